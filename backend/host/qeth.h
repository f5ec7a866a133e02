/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* OSA/qeth devices as znetconf sees them, below a sysfs root: the
 * unconfigured ones (three consecutive ccw devices of an OSA port bound
 * to the qeth ccw driver and in no group: read, write, data) and the
 * configured qeth group devices under bus/ccwgroup/devices. Grouping,
 * the options, online and ungrouping are sysfs stores that can wait on
 * the card: they run in the worker. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct QethDevice {
	bool configured;
	char *id;        /* the group's bus id (its read device's) */
	char *cdev[3];   /* read, write, data */
	char *card_type; /* "OSD_1000"; unconfigured: from cu type ("OSA (QDIO)") */
	char *chpid;     /* "90" */
	char *driver;    /* "qeth" */
	/* Configured only ("" or 0 otherwise). */
	bool online;
	char *state; /* "UP (LAN ONLINE)", "DOWN", ... */
	bool layer2;
	uint32_t buffer_count;
	char *bridge_role, *bridge_state, *if_name;
} QethDevice;

typedef struct QethList {
	QethDevice *devs;
	size_t n;
} QethList;

void qeth_list_done(QethList *l);

/* Configured groups first, then the unconfigured triplets, each sorted
 * by bus id. Only reads. */
int qeth_list(const char *root, QethList *ret, ZvError *err);

/* znetconf -o: the attributes set while the group is offline, in this
 * order (layer2 first: bridge_role needs it). */
typedef struct QethOptions {
	bool has_layer2, layer2;
	bool has_buffer_count;
	uint32_t buffer_count;
	const char *bridge_role; /* NULL: not set */
	bool online;             /* online after the options (default true) */
} QethOptions;

/* InvalidArgument for a value the kernel would refuse. */
int qeth_options_check(const QethOptions *opts, ZvError *err);

/* The three bus ids of the unconfigured device whose read device is
 * busid (znetconf -a BUSID), malloc'd into ret[0..2]. NoSuchDevice when
 * there is none (OperationInvalid when busid is in a group already). */
int qeth_find_triplet(const char *root, const char *busid, char *ret[3], ZvError *err);

/* Blocking (worker). Groups cdev[0..2] (group id cdev[0]), applies opts
 * while offline, then sets it online unless !opts->online; a failure
 * after the group ungroups it again. *ret_if_name: the interface name,
 * "" when left offline. */
int qeth_group(const char *root, char *const cdev[3], const QethOptions *opts, char **ret_if_name,
	       ZvError *err);
/* Blocking (worker). The group id's online. */
int qeth_set_online(const char *root, const char *id, bool online, ZvError *err);
/* Blocking (worker). Offline first when online, then ungroup. */
int qeth_ungroup(const char *root, const char *id, ZvError *err);
