/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every device element may carry, read and written: <alias
 * name='...'/> (the user's ua-NAME belongs to the definition, the
 * daemon's own names, virtio-disk0, console0, balloon0, to the running
 * domain only, like a pty path; what a valid alias is: device-info.c),
 * and <boot order='N' loadparm='...'/>. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/device-info.h"
#include "xml-internal.h"

int parse_device_alias(ParseContext *c, xmlNode *n, DeviceInfo *info)
{
	_cleanup_free_ char *name = NULL;
	char vbuf[80];
	int r;

	r = CHECK_ATTRIBUTES(c, n, "name");
	if (r < 0)
		return r;
	r = attr_get(n, "name", &name);
	if (r < 0)
		return r;
	if (!name)
		return xml_error(c->err, n, "missing attribute 'name'");
	const char *problem = device_alias_problem(name);
	if (problem)
		return xml_error(c->err, n, "invalid alias '%s': %s", shorten(name, vbuf), problem);

	/* GetXMLDesc of a running domain shows the daemon's aliases; a
	 * definition made from it must not keep them. */
	if (!device_alias_is_user(name) && !(c->flags & DOMAIN_XML_PARSE_LIVE))
		return 0;
	if (c->n_aliases >= c->aliases_size)
		return -EINVAL; /* parse_devices counted every device */
	info->alias = TAKE_PTR(name);
	c->aliases[c->n_aliases++] = (AliasNode){.alias = info->alias, .node = n};
	return 0;
}

bool device_alias_shown(const DeviceInfo *info, bool live)
{
	return info->alias && (live || device_alias_is_user(info->alias));
}

void put_device_alias(FILE *f, unsigned level, const DeviceInfo *info, bool live)
{
	if (!device_alias_shown(info, live))
		return;
	put_indent(f, level);
	fputs("<alias", f);
	put_attribute(f, "name", info->alias);
	fputs("/>\n", f);
}

int parse_device_boot(ParseContext *c, xmlNode *n, DeviceInfo *info)
{
	_cleanup_free_ char *loadparm = NULL;
	bool present;
	char vbuf[80];
	int r;

	r = CHECK_ATTRIBUTES(c, n, "order", "loadparm");
	if (r < 0)
		return r;
	r = attr_unsigned(c, n, "order", &info->boot_order, &present);
	if (r < 0)
		return r;
	if (!present)
		return xml_error(c->err, n, "missing attribute 'order'");
	if (info->boot_order == 0)
		return xml_error(c->err, n, "boot order must be a positive integer, not 0");
	if (info->boot_order > INT32_MAX)
		return xml_error(c->err, n, "boot order %u is too large", info->boot_order);

	r = attr_get(n, "loadparm", &loadparm);
	if (r <= 0)
		return r;
	/* libvirt (and the HMC) take it in any case and keep it upper case. */
	for (char *p = loadparm; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	const char *problem = device_loadparm_problem(loadparm);
	if (problem)
		return xml_error(c->err, n,
				 "invalid loadparm '%s': %s (at most 8 of A-Z, 0-9, '.' and space)",
				 shorten(loadparm, vbuf), problem);
	info->loadparm = TAKE_PTR(loadparm);
	return 0;
}

void put_device_boot(FILE *f, unsigned level, const DeviceInfo *info)
{
	if (!info->boot_order)
		return;
	put_indent(f, level);
	fprintf(f, "<boot order='%u'", info->boot_order);
	if (info->loadparm)
		put_attribute(f, "loadparm", info->loadparm);
	fputs("/>\n", f);
}
