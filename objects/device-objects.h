/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every device object below a domain shares (disk.c, hostdev.c,
 * interface.c):
 * its path <domain path>/<segment>/<label>, finding it from a path,
 * listing every one, properties read as strings from the definition
 * that describes the domain now, and the announcements: what was
 * announced is remembered per domain and class, so that every change of
 * the definition (a define, a start or stop, a hot-plug) comes out as
 * exactly the InterfacesAdded, InterfacesRemoved and PropertiesChanged
 * it means. */

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-bus.h>

#include "conf/device-xml.h"
#include "driver/modify-flags.h"
#include "objects.h"

#define DEVICE_PROP_STRING_MAX 64
#define DEVICE_PROPS_MAX       32 /* properties of one device interface */

typedef struct DeviceProp {
	const char *name;
	char type; /* 's', 'b', 'u', 't' */
	/* The value as a string: borrowed, or written into buf. For 'b',
	 * "true"/"false"; for 'u' and 't', decimal. live: dev is of the
	 * running definition (what exists only while it runs). */
	const char *(*value)(const void *dev, bool live, char buf[static DEVICE_PROP_STRING_MAX]);
} DeviceProp;

typedef struct DeviceClass {
	const char *segment; /* "disk": <domain path>/disk/<label> */
	const char *iface;   /* "org.zvirt1.Disk" */
	size_t (*count)(const DomainDef *def);
	const void *(*get)(const DomainDef *def, size_t i);
	/* The last path element of device i (before encoding): its target,
	 * its index. NULL on ENOMEM. */
	char *(*label)(const DomainDef *def, size_t i);
	/* The label is a path element as it is (an index: digits), not
	 * escaped: sd_bus_path_encode would make "0" "_30". */
	bool label_verbatim;
	const DeviceProp *props;
	size_t n_props;
	const sd_bus_vtable *vtable;
} DeviceClass;

extern const DeviceClass disk_class;
extern const DeviceClass hostdev_class;
extern const DeviceClass interface_class;

/* <domain path>/<segment>/<label> (malloc'd; NULL on ENOMEM). */
char *device_object_path(const DeviceClass *c, const Domain *d, const char *label);

/* The device a call or getter on path is about: its domain, its index in
 * domain_current_def and its label (malloc'd); NULL when path names none. */
const void *device_of_path(const DeviceClass *c, Objects *o, const char *path, Domain **ret_domain,
			   size_t *ret_index, char **ret_label);

/* For sd_bus_add_fallback_vtable and sd_bus_add_node_enumerator: userdata
 * is the Objects; the class is found by the path's segment. */
int device_object_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
		       sd_bus_error *error);
int device_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
			   sd_bus_error *error);
/* The getter of every property of a class's table. */
int device_prop_get(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error);

/* virsh's live/config/current/persistent of a device call, with the
 * state rules (driver/modify-flags.h); sets error. */
int device_modify_flags(const ModifyOptions *mo, Domain *d, const char *call, DomainModifyFlags *ret,
			sd_bus_error *error);
/* The answer of a device call that returns nothing. */
void device_call_done(Domain *d, int r, const ZvError *err, const DeviceDef *dev, void *userdata);
/* The object of a device as a call named it: a disk's, a hostdev's, an
 * interface's, or (a controller has none) the domain's. malloc'd; NULL on ENOMEM. */
char *device_object_path_of(const Domain *d, const DeviceDef *dev);

/* The detail "device" polkit gets: a disk's target, "scsi<N>" for a
 * controller, the host address of a hostdev ("scsi_host3:0:8:0"), an
 * interface's MAC. */
const char *device_polkit_name(const DeviceDef *dev, char buf[static 96]);

/* Detach on a device object (Disk.Detach, HostDevice.Detach,
 * NetworkInterface.Detach):
 * DetachDevice of the device key names (taken), with virsh's
 * live/config/current/persistent read from m, polkit's verb
 * detach-device. Returns what the method handler returns. */
int device_object_detach(sd_bus_message *m, Domain *d, DeviceDef *key, sd_bus_error *error);
