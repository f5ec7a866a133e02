/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A device's <address>: which type a device takes (ccw for virtio
 * devices, drive for what sits on a virtio-scsi controller), and the
 * drive address <address type='drive' controller= bus= target= unit=/>
 * read (decimal, ranges checked) and written. The ccw form is
 * ccw-address-xml.c's; which SCSI addresses are taken is
 * domain-validate.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml-internal.h"

static int parse_drive_address(ParseContext *c, xmlNode *n, DriveAddress *ret)
{
	static const struct {
		const char *name;
		unsigned max;
	} fields[] = {
		{"controller", DRIVE_ADDRESS_CONTROLLER_MAX},
		{"bus", 0},
		{"target", DRIVE_ADDRESS_TARGET_MAX},
		{"unit", DRIVE_ADDRESS_UNIT_MAX},
	};
	unsigned v[ELEMENTSOF(fields)] = {};
	int r;

	r = CHECK_ATTRIBUTES(c, n, "type", "controller", "bus", "target", "unit");
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		bool present;
		r = attr_unsigned(c, n, fields[i].name, &v[i], &present);
		if (r < 0)
			return r;
		/* libvirt reads a missing one as 0, and so does zvirtd. */
		if (v[i] > fields[i].max) {
			if (fields[i].max == 0)
				return xml_error(
					c->err, n,
					"bus must be 0 (a virtio-scsi controller has one bus), not %u",
					v[i]);
			return xml_error(c->err, n, "%s must be 0 to %u, not %u", fields[i].name,
					 fields[i].max, v[i]);
		}
	}
	*ret = (DriveAddress){
		.assigned = true,
		.controller = v[0],
		.bus = v[1],
		.target = v[2],
		.unit = v[3],
	};
	return 0;
}

int parse_device_address(ParseContext *c, xmlNode *n, AddressKind want, const char *what, DeviceInfo *info)
{
	_cleanup_free_ char *type = NULL;
	char vbuf[80];
	int r;

	r = attr_get(n, "type", &type);
	if (r < 0)
		return r;
	if (!type)
		return xml_error(c->err, n, "missing attribute 'type'");
	bool drive =
		strcmp(type, "drive") == 0 || (want == ADDRESS_DRIVE_OR_SCSI && strcmp(type, "scsi") == 0);
	if (want == ADDRESS_CCW && strcmp(type, "ccw") == 0)
		return parse_ccw_address(c, n, &info->address);
	if (want != ADDRESS_CCW && drive)
		return parse_drive_address(c, n, &info->drive);
	if (want == ADDRESS_CCW)
		return xml_error(c->err, n, "address type '%s' is not supported for %s (expected 'ccw')",
				 shorten(type, vbuf), what);
	return xml_error(c->err, n,
			 "address type '%s' is not supported for %s (expected 'drive', with controller, "
			 "bus, target and unit)",
			 shorten(type, vbuf), what);
}

void put_drive_address(FILE *f, unsigned level, const DriveAddress *a)
{
	if (!a->assigned)
		return;
	put_indent(f, level);
	fprintf(f, "<address type='drive' controller='%u' bus='%u' target='%u' unit='%u'/>\n", a->controller,
		a->bus, a->target, a->unit);
}
