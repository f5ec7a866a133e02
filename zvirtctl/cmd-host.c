/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The host's commands: iface-list (Host.ListNetworkLinks). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "command.h"
#include "connection.h"
#include "dict-json.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

#define ZVIRT_HOST_PATH  "/org/zvirt1/host"
#define ZVIRT_HOST_IFACE "org.zvirt1.Host"

static const Command *command(void);

static const char *string_of(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static int run_iface_list(Ctl *ctl, int argc, char **argv)
{
	enum { O_ALL = OPT_FIRST_OWN, O_INACTIVE };
	static const struct option options[] = {
		COMMAND_COMMON_OPTIONS,
		{"all", no_argument, NULL, O_ALL},
		{"inactive", no_argument, NULL, O_INACTIVE},
		{},
	};
	static const char *const header[] = {"Name", "State", "MAC Address"};
	const Command *cmd = command();
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *arr = json_object_new_array();
	_cleanup_(table_freep) Table *t = table_new(3, header);
	CommandArgs args = {0};
	bool all = false, inactive = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		if (c == O_ALL)
			all = true;
		else if (c == O_INACTIVE)
			inactive = true;
		else {
			r = command_common_option(ctl, cmd, &args, argv, c);
			if (r >= 0)
				return r;
			if (args.domain)
				return error_usage(cmd, "iface-list takes no domain");
		}
	}
	r = command_positional(cmd, NULL, argc, argv, 0, NULL);
	if (r >= 0)
		return r;
	if (!arr || !t)
		return error_report(NULL, -ENOMEM);
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	r = call_simple(ctl, ZVIRT_HOST_PATH, ZVIRT_HOST_IFACE, "ListNetworkLinks", &error, &reply);
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "a{sv}");
	while (r >= 0 && !sd_bus_message_at_end(reply, false)) {
		json_object *link = NULL, *up = NULL;

		r = dict_json_read(reply, &link);
		if (r < 0)
			break;
		/* virsh: the active ones, --inactive the others, --all both. */
		bool active = json_object_object_get_ex(link, "up", &up) && json_object_get_boolean(up);
		if (!all && active == inactive) {
			json_object_put(link);
			continue;
		}
		const char *mac = string_of(link, "mac");
		const char *cells[] = {string_of(link, "name"), active ? "active" : "inactive",
				       *mac ? mac : "-"};
		r = table_add_row(t, cells);
		json_object_array_add(arr, link);
	}
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "interfaces", TAKE_PTR(arr));
		return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
	}
	table_print(t);
	putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

const Command host_commands[] = {
	{"iface-list", run_iface_list, "[--all | --inactive]",
	 "the host's network links (the up ones unless told otherwise)"},
	{},
};

static const Command *command(void)
{
	return &host_commands[0];
}
