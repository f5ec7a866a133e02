/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <memballoon model='virtio|none'>, with the alias and address of a
 * virtio one, read into the definition's MemballoonDef and written
 * back. */
#include <stdio.h>

#include "xml-internal.h"

int parse_memballoon(ParseContext *c, xmlNode *n)
{
	MemballoonDef *mb = &c->def->memballoon;
	xmlNode *child = NULL, *alias = NULL;
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "model");
	if (r < 0)
		return r;
	r = attr_enum(c, n, "model", memballoon_model_from_string, "one of: virtio, none", &v);
	if (r < 0)
		return r;
	if (r == 0)
		return xml_error(c->err, n, "missing attribute 'model'");
	mb->model = (MemballoonModel)v;

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "address")) {
			r = once(c, &c->memballoon_address, child);
			if (r >= 0)
				r = parse_ccw_address(c, child, &mb->info.address);
		} else if (node_is(child, "alias")) {
			r = once(c, &alias, child);
			if (r >= 0)
				r = parse_device_alias(c, child, &mb->info);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (mb->model == MEMBALLOON_MODEL_NONE && c->memballoon_address)
		return xml_error(c->err, c->memballoon_address,
				 "a memballoon with model='none' has no address");
	if (mb->model == MEMBALLOON_MODEL_NONE && alias)
		return xml_error(c->err, alias, "a memballoon with model='none' has no alias");
	return 0;
}

void put_memballoon(FILE *f, const MemballoonDef *mb, bool live)
{
	fputs("    <memballoon", f);
	put_attribute(f, "model", memballoon_model_to_string(mb->model));
	if (mb->model != MEMBALLOON_MODEL_NONE &&
	    (mb->info.address.assigned || device_alias_shown(&mb->info, live))) {
		fputs(">\n", f);
		put_device_alias(f, 3, &mb->info, live);
		put_ccw_address(f, 3, &mb->info.address);
		fputs("    </memballoon>\n", f);
	} else
		fputs("/>\n", f);
}
