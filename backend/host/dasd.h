/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host's DASDs as lsdasd shows them: the ccw devices bound to
 * dasd-eckd or dasd-fba, with their block device (dasdX) while online,
 * and the by-path node udev made below dev_root. Reads only. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/ccw-device.h"

typedef struct Dasd {
	char busid[CCW_BUSID_MAX];
	const char *status; /* "active", "n/f" (not formatted), "alias", "offline" */
	char *name;         /* "dasda", "" while offline */
	char *device;       /* "94:0", "" while offline */
	const char *type;   /* "ECKD", "FBA" */
	uint32_t block_size;
	uint64_t blocks;
	uint64_t size_mb;
	bool alias;    /* a PAV/HyperPAV alias: no block device of its own */
	char *uid;     /* "IBM.75000000092461.e900.10", "" when unknown */
	char *by_path; /* dev_root/disk/by-path/ccw-<bus id>, "" when there is none */
} Dasd;

typedef struct DasdList {
	Dasd *dasds; /* sorted by bus id */
	size_t n;
} DasdList;

/* One DASD; -ENOENT no such device, -ENOTBLK not a DASD. */
int dasd_read(const char *root, const char *dev_root, const char *busid, Dasd *ret);
void dasd_done(Dasd *d);
int dasd_list(const char *root, const char *dev_root, DasdList *ret);
void dasd_list_done(DasdList *l);

/* The bus ids of base's PAV aliases: the DASDs whose alias is 1 and
 * whose uid has base's up to its last '.' (the same storage subsystem:
 * a HyperPAV alias serves any base there). NULL-terminated, malloc'd;
 * empty when base has no uid or is an alias itself. */
int dasd_aliases_of(const char *root, const char *base, char ***ret);
