/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <hostdev mode='subsystem' type='scsi'>: a host SCSI device (tape,
 * medium changer) named by its host address (<source><adapter
 * name='scsi_hostN'/><address bus target unit/></source>), with its
 * guest address on a virtio-scsi controller, read into a HostdevDef
 * and written back as libvirt writes it. Which guest addresses are free
 * is domain-validate.c's; the host node (/dev/sgN) is found at start
 * (host/scsi-host.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml-internal.h"

static int parse_hostdev_source(ParseContext *c, xmlNode *n, HostdevDef *h)
{
	xmlNode *child = NULL, *adapter = NULL, *address = NULL;
	char vbuf[80];
	int r;

	/* protocol='iscsi' (and its name=) is libvirt's iSCSI hostdev. */
	r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;
	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "adapter")) {
			r = once(c, &adapter, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "name");
			if (r >= 0)
				r = attr_get(child, "name", &h->adapter);
			if (r >= 0 && !h->adapter)
				r = xml_error(c->err, child, "missing attribute 'name'");
			if (r < 0)
				return r;
			const char *num = h->adapter + strlen("scsi_host");
			if (strncmp(h->adapter, "scsi_host", strlen("scsi_host")) != 0 || !*num ||
			    strspn(num, "0123456789") != strlen(num) || strlen(num) > 9 ||
			    (num[0] == '0' && num[1]))
				return xml_error(
					c->err, child,
					"adapter name '%s' is not a SCSI host (expected scsi_hostN, "
					"N the host number)",
					shorten(h->adapter, vbuf));
		} else if (node_is(child, "address")) {
			bool present;
			r = once(c, &address, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "bus", "target", "unit");
			if (r >= 0)
				r = attr_unsigned(c, child, "bus", &h->host_bus, &present);
			if (r >= 0 && !present)
				r = xml_error(c->err, child, "missing attribute 'bus'");
			if (r >= 0)
				r = attr_unsigned(c, child, "target", &h->host_target, &present);
			if (r >= 0 && !present)
				r = xml_error(c->err, child, "missing attribute 'target'");
			if (r < 0)
				return r;
			_cleanup_free_ char *unit = NULL;
			r = attr_get(child, "unit", &unit);
			if (r < 0)
				return r;
			if (!unit)
				return xml_error(c->err, child, "missing attribute 'unit'");
			_cleanup_free_ char *copy = strdup(unit);
			if (!copy)
				return -ENOMEM;
			r = parse_u64(copy, &h->host_unit);
			if (r < 0)
				return xml_error(c->err, child, "unit= '%s' is %s", shorten(unit, vbuf),
						 r == -ERANGE ? "too large" : "not a number");
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	r = require(c, n, adapter, "adapter");
	if (r >= 0)
		r = require(c, n, address, "address");
	return r;
}

int parse_hostdev(ParseContext *c, xmlNode *n, HostdevDef *h, xmlNode **ret_address)
{
	_cleanup_free_ char *mode = NULL, *type = NULL, *managed = NULL, *rawio = NULL, *sgio = NULL;
	xmlNode *child = NULL, *source = NULL, *readonly = NULL, *shareable = NULL, *alias = NULL;
	char vbuf[80];
	int r;

	*ret_address = NULL;
	r = CHECK_ATTRIBUTES(c, n, "mode", "type", "managed", "rawio", "sgio");
	if (r < 0)
		return r;
	if ((r = attr_get(n, "mode", &mode)) < 0 || (r = attr_get(n, "type", &type)) < 0 ||
	    (r = attr_get(n, "managed", &managed)) < 0 || (r = attr_get(n, "rawio", &rawio)) < 0 ||
	    (r = attr_get(n, "sgio", &sgio)) < 0)
		return r;
	if (!mode || strcmp(mode, "subsystem") != 0)
		return xml_error(c->err, n, "hostdev mode '%s' is not supported (expected 'subsystem')",
				 shorten(mode, vbuf));
	if (!type || strcmp(type, "scsi") != 0)
		return xml_error(c->err, n,
				 "hostdev type '%s' is not supported (expected 'scsi': a SCSI tape or "
				 "medium changer)",
				 shorten(type, vbuf));
	if (managed) {
		if (strcmp(managed, "yes") != 0 && strcmp(managed, "no") != 0)
			return xml_error(c->err, n,
					 "invalid value '%s' for attribute 'managed' (expected one of: yes, "
					 "no)",
					 shorten(managed, vbuf));
		h->managed = strcmp(managed, "yes") == 0;
	}
	h->rawio = -1;
	if (rawio) {
		if (strcmp(rawio, "no") == 0)
			h->rawio = 0;
		else if (strcmp(rawio, "yes") == 0)
			/* libvirt gives the QEMU process CAP_SYS_RAWIO; zvirtd
			 * runs QEMU without capabilities and will not. */
			return xml_error(c->err, n,
					 "rawio='yes' is not supported: zvirtd runs QEMU without the "
					 "CAP_SYS_RAWIO capability");
		else
			return xml_error(
				c->err, n,
				"invalid value '%s' for attribute 'rawio' (expected one of: yes, no)",
				shorten(rawio, vbuf));
	}
	if (sgio) {
		if (strcmp(sgio, "filtered") == 0)
			h->sgio_set = true;
		else if (strcmp(sgio, "unfiltered") == 0)
			/* The kernel's unpriv_sgio switch is gone (Linux 5.19). */
			return xml_error(c->err, n,
					 "sgio='unfiltered' is not supported: the host kernel filters SG_IO "
					 "of unprivileged processes and has no switch to turn it off");
		else
			return xml_error(c->err, n,
					 "invalid value '%s' for attribute 'sgio' (expected one of: "
					 "filtered, unfiltered)",
					 shorten(sgio, vbuf));
	}

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "source")) {
			r = once(c, &source, child);
			if (r >= 0)
				r = parse_hostdev_source(c, child, h);
		} else if (node_is(child, "readonly") || node_is(child, "shareable")) {
			bool ro = node_is(child, "readonly");
			r = once(c, ro ? &readonly : &shareable, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, NULL);
			if (r >= 0 && has_element_children(child))
				r = xml_error(c->err, child, "<%s> must be empty", node_label(child));
			if (ro)
				h->readonly = true;
			else
				h->shareable = true;
		} else if (node_is(child, "alias")) {
			r = once(c, &alias, child);
			if (r >= 0)
				r = parse_device_alias(c, child, &h->info);
		} else if (node_is(child, "address")) {
			r = once(c, ret_address, child);
			if (r >= 0)
				r = parse_device_address(c, child, ADDRESS_DRIVE_OR_SCSI,
							 "a SCSI host device", &h->info);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return require(c, n, source, "source");
}

void put_hostdev(FILE *f, const HostdevDef *h, bool live)
{
	fputs("    <hostdev mode='subsystem' type='scsi'", f);
	put_attribute(f, "managed", h->managed ? "yes" : "no");
	if (h->sgio_set)
		put_attribute(f, "sgio", "filtered");
	if (h->rawio == 0)
		put_attribute(f, "rawio", "no");
	fputs(">\n      <source>\n", f);
	put_indent(f, 4);
	fputs("<adapter", f);
	put_attribute(f, "name", h->adapter ? h->adapter : "");
	fprintf(f, "/>\n        <address bus='%u' target='%u' unit='%" PRIu64 "'/>\n", h->host_bus,
		h->host_target, h->host_unit);
	fputs("      </source>\n", f);
	if (h->readonly)
		fputs("      <readonly/>\n", f);
	if (h->shareable)
		fputs("      <shareable/>\n", f);
	put_device_alias(f, 3, &h->info, live);
	put_drive_address(f, 3, &h->info.drive);
	fputs("    </hostdev>\n", f);
}
