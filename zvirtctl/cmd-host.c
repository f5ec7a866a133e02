/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The host's commands: iface-list (Host.ListNetworkLinks). */

#include <errno.h>
#include <stdint.h>
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

static const Command *command(const char *name);

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
	const Command *cmd = command("iface-list");
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

/* iface-start, iface-destroy, iface-undefine NAME; iface-set-qlen NAME QLEN. */
static int link_call(Ctl *ctl, const char *name, int argc, char **argv)
{
	static const struct option options[] = {
		COMMAND_COMMON_OPTIONS,
		{},
	};
	const Command *cmd = command(name);
	bool qlen = strcmp(name, "iface-set-qlen") == 0, up = strcmp(name, "iface-start") == 0;
	bool delete = strcmp(name, "iface-undefine") == 0;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	CommandArgs args = {0};
	unsigned long value = 0;
	char **pos;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		r = command_common_option(ctl, cmd, &args, argv, c);
		if (r >= 0)
			return r;
		if (args.domain)
			return error_usage(cmd, "%s takes no domain", name);
	}
	r = command_positional(cmd, NULL, argc, argv, qlen ? 2 : 1, &pos);
	if (r >= 0)
		return r;
	if (qlen) {
		char *end;
		value = strtoul(pos[1], &end, 10);
		if (*end || end == pos[1] || value > UINT32_MAX)
			return error_usage(cmd, "'%s' is not a queue length", pos[1]);
	}
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	r = call_new(ctl, ZVIRT_HOST_PATH, ZVIRT_HOST_IFACE,
		     qlen     ? "SetQueueLength"
		     : delete ? "DeleteLink"
			      : "SetLinkUp",
		     &m);
	if (r >= 0)
		r = qlen     ? sd_bus_message_append(m, "su", pos[0], (uint32_t)value)
		    : delete ? sd_bus_message_append(m, "s", pos[0])
			     : sd_bus_message_append(m, "sb", pos[0], (int)up);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = call_run(ctl, m, &error, NULL);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "name", json_object_new_string(pos[0]));
			if (qlen)
				json_object_object_add(doc, "qlen", json_object_new_int64((int64_t)value));
			else if (delete)
				json_object_object_add(doc, "deleted", json_object_new_boolean(true));
			else
				json_object_object_add(doc, "up", json_object_new_boolean(up));
		}
		return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
	}
	if (!qlen)
		printf("Interface %s %s\n\n", pos[0], delete ? "undefined" : up ? "started" : "destroyed");
	return ZVIRTCTL_EXIT_OK;
}

static int run_iface_start(Ctl *ctl, int argc, char **argv)
{
	return link_call(ctl, "iface-start", argc, argv);
}

static int run_iface_destroy(Ctl *ctl, int argc, char **argv)
{
	return link_call(ctl, "iface-destroy", argc, argv);
}

static int run_iface_undefine(Ctl *ctl, int argc, char **argv)
{
	return link_call(ctl, "iface-undefine", argc, argv);
}

static int run_iface_set_qlen(Ctl *ctl, int argc, char **argv)
{
	return link_call(ctl, "iface-set-qlen", argc, argv);
}

const Command host_commands[] = {
	{"iface-list", run_iface_list, "[--all | --inactive]",
	 "the host's network links (the up ones unless told otherwise)"},
	{"iface-start", run_iface_start, "NAME", "set a host link up"},
	{"iface-destroy", run_iface_destroy, "NAME", "set a host link down"},
	{"iface-undefine", run_iface_undefine, "NAME",
	 "delete a virtual host link (a bond, a VLAN, a veth)"},
	{"iface-set-qlen", run_iface_set_qlen, "NAME QLEN", "set a host link's transmit queue length"},
	{},
};

static const Command *command(const char *name)
{
	for (const Command *c = host_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	abort();
}
