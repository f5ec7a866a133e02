/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* daemon-reload: Manager.ReloadConfig, as SIGHUP (systemctl's word; virsh
 * has none: libvirtd reloads on SIGHUP only). */

#include <stdio.h>

#include "command.h"
#include "domain-call.h"
#include "errors.h"
#include "util/cleanup.h"

static int run_daemon_reload(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = {
		.cmd = command_find(daemon_commands, "daemon-reload"),
		.host = true,
		.path = ZVIRT_MANAGER_PATH,
		.iface = ZVIRT_MANAGER_IFACE,
	};
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = domain_call(ctl, &dc, "ReloadConfig", NULL, NULL);
	if (r >= 0)
		return r;
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "reloaded", json_object_new_boolean(true));
		return command_print_json(doc);
	}
	return ZVIRTCTL_EXIT_OK; /* systemctl daemon-reload says nothing */
}

const Command daemon_commands[] = {
	{"daemon-reload", run_daemon_reload, "",
	 "re-read zvirtd.conf and its drop-ins (a bad file is refused, nothing changes)"},
	{},
};
