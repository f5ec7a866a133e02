/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <watchdog model='diag288' action='...'/>: the s390x watchdog (the
 * guest's /dev/watchdog, QEMU's diag288 device), with its alias, read
 * into the definition's WatchdogDef and written back. It has no ccw
 * address: DIAG 288 is an instruction, not a channel device. At most
 * one per domain, as libvirt allows on s390x; a hot-plug of it is
 * refused (seed: persistent only). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "xml-internal.h"

#define ACTIONS "one of: reset, shutdown, poweroff, pause, dump, inject-nmi, none"

int parse_watchdog(ParseContext *c, xmlNode *n)
{
	xmlNode *child = NULL, *alias = NULL;
	int v, r;

	if (c->watchdog_node) {
		char other[256];
		_cleanup_xml_free_ xmlChar *p = xmlGetNodePath(c->watchdog_node);
		snprintf(other, sizeof(other), "%s", p ? (const char *)p : "?");
		return xml_error(c->err, n, "only one <watchdog> is allowed (also %s)", other);
	}
	c->watchdog_node = n;

	WatchdogDef *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	c->def->watchdog = w;

	r = CHECK_ATTRIBUTES(c, n, "model", "action");
	if (r < 0)
		return r;
	r = attr_enum(c, n, "model", watchdog_model_from_string, "'diag288', the s390x watchdog", &v);
	if (r < 0)
		return r;
	if (r == 0)
		return xml_error(c->err, n, "missing attribute 'model' (expected 'diag288')");
	w->model = (WatchdogModel)v;
	/* libvirt's default: reset. */
	r = attr_enum(c, n, "action", watchdog_action_from_string, ACTIONS, &v);
	if (r < 0)
		return r;
	w->action = r > 0 ? (WatchdogAction)v : WATCHDOG_ACTION_RESET;

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "alias")) {
			r = once(c, &alias, child);
			if (r >= 0)
				r = parse_device_alias(c, child, &w->info);
		} else if (node_is(child, "address"))
			r = xml_error(c->err, child,
				      "a diag288 watchdog has no address (it is no channel device)");
		else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	return r;
}

void put_watchdog(FILE *f, const WatchdogDef *w, bool live)
{
	fputs("    <watchdog", f);
	put_attribute(f, "model", watchdog_model_to_string(w->model));
	put_attribute(f, "action", watchdog_action_to_string(w->action));
	if (!device_alias_shown(&w->info, live)) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n", f);
	put_device_alias(f, 3, &w->info, live);
	fputs("    </watchdog>\n", f);
}
