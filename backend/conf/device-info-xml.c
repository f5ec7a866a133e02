/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <alias name='...'/> inside a device element, read and written: the
 * user's ua-NAME belongs to the definition, the daemon's own names
 * (virtio-disk0, console0, balloon0) to the running domain only, like a
 * pty path. What a valid alias is: device-info.c. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

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
