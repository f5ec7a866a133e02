/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Device XML: one device element alone (<disk>, <controller>,
 * <hostdev>, <interface>), as virsh
 * attach-device, detach-device and update-device take it. Read with the
 * same schema and the same element readers as the domain XML, so that
 * a device is accepted here exactly when it would be inside <devices>;
 * what can only be checked against a domain (a free target, a free ccw
 * address) is conf/domain-devices.h's. */

#include <stdbool.h>
#include <stddef.h>

#include "conf/domain-def.h"
#include "conf/domain-xml.h"
#include "util/error.h"

/* The largest device document: one element, parsed on the event loop
 * (64 KiB of XML parse in well under a millisecond). */
#define DEVICE_XML_MAX_SIZE (64 * 1024)

typedef enum DeviceKind {
	DEVICE_KIND_DISK,
	DEVICE_KIND_CONTROLLER,
	DEVICE_KIND_HOSTDEV,
	DEVICE_KIND_INTERFACE,
	_DEVICE_KIND_MAX,
} DeviceKind;

typedef struct DeviceDef {
	DeviceKind kind;
	union {
		DiskDef disk;
		ControllerDef controller;
		HostdevDef hostdev;
		InterfaceDef interface;
	};
} DeviceDef;

/* Frees what the device holds (dev itself stays, its kind too). */
void device_def_clear(DeviceDef *dev);
DeviceDef *device_def_free(DeviceDef *dev);
DEFINE_TRIVIAL_CLEANUP_FUNC(DeviceDef *, device_def_free)

/* "disk", "controller", "hostdev", "interface": the element name, for messages. */
const char *device_kind_to_string(DeviceKind kind);

/* Parses and validates one device document. DOMAIN_XML_PARSE_LIVE keeps
 * the daemon's own alias (the device XML of a running domain names the
 * device that way); a user's ua- alias is kept either way. Errors as
 * domain_def_parse() (the message says "device XML" and the path
 * starts at the device element). */
int device_def_parse(const char *xml, size_t len, DomainXMLParseFlags flags, DeviceDef **ret, ZvError *err);

/* The device as it appears inside <devices> (live: with the daemon's
 * alias). NULL on ENOMEM. */
char *device_def_format(const DeviceDef *dev, bool live);

/* A deep copy (through the XML, live form: the daemon's alias stays).
 * NULL on ENOMEM. */
DeviceDef *device_def_copy(const DeviceDef *dev);
