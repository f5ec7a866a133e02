/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the command line's rooms share: cmdline.c (the argv as a whole,
 * consoles, the watchdog and rng, the machine) and cmdline-storage.c
 * (disks, SCSI controllers and host devices, with their hot-plug
 * objects). For backend/qemu/ only. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "conf/domain-def.h"
#include "util/cleanup.h"
#include "util/error.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

typedef struct Argv {
	char **v;
	size_t n;
	size_t allocated;
	bool oom; /* sticky: checked once at the end */
} Argv;

/* The argv and its values (cmdline.c). */
void argv_take(Argv *a, char *s);
void argv_add(Argv *a, const char *s);
void argv_add_pair(Argv *a, const char *option, char *value);
char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void argv_clear(Argv *a);
char *devno_string(const CcwAddress *a);
int json_add(json_object *o, const char *key, json_object *v);
int json_add_string(json_object *o, const char *key, const char *s);
int json_add_bool(json_object *o, const char *key, bool b);
int json_add_int(json_object *o, const char *key, int64_t i);
char *json_to_arg(json_object *o);
char *device_props_to_opts(json_object *props);

/* cmdline-storage.c: what the whole line needs of the storage devices:
 * the alias rules every device shares, a disk's own checks, a devno
 * property, and each storage device's -blockdev/-device arguments. */
/* A disk's target for messages, "(no target)" when it has none. */
const char *disk_what(const DiskDef *disk);
int check_alias(const DeviceInfo *info, const char *what, ZvError *err);
int check_disk(const DiskDef *disk, ZvError *err);
int add_devno(json_object *o, const CcwAddress *a);
int add_disk(Argv *a, const DomainDef *def, const DiskDef *disk, ZvError *err);
int add_controller(Argv *a, const ControllerDef *cont, ZvError *err);
int add_hostdev(Argv *a, const DomainDef *def, const HostdevDef *h, ZvError *err);

/* cmdline-net.c: an interface's -netdev and -device, the backend on
 * descriptor fd (inherited by QEMU under that number). */
int add_interface(Argv *a, const InterfaceDef *net, int fd, ZvError *err);
