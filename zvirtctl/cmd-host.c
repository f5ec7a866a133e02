/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The host's network link commands: iface-list, iface-start,
 * iface-destroy, iface-undefine, iface-set-qlen, iface-bond, iface-vlan. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "call.h"
#include "dict-json.h"
#include "domain-call.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

#define HOST_CALL(name, ...)                                                        \
	{                                                                           \
		.cmd = command_find(host_commands, name), .host = true, __VA_ARGS__ \
	}

static const char *string_of(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static int run_iface_list(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {{"all", NULL, 'b'}, {"inactive", NULL, 'b'}, {}};
	static const char *const header[] = {"Name", "State", "MAC Address"};
	_cleanup_(domain_call_done) DomainCall dc = HOST_CALL("iface-list", .flags = flags);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *arr = json_object_new_array();
	_cleanup_(table_freep) Table *t = table_new(3, header);
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	if (!arr || !t)
		return error_report(NULL, -ENOMEM);
	bool all = domain_call_has(&dc, "all"), inactive = domain_call_has(&dc, "inactive");
	r = domain_call(ctl, &dc, "ListNetworkLinks", &reply, NULL);
	if (r >= 0)
		return r;
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
		return error_report(NULL, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "interfaces", TAKE_PTR(arr));
		return command_print_json(doc);
	}
	return command_print_table(t);
}

/* What a link command printed and answered with --json. */
static int print_link(Ctl *ctl, const char *name, const char *key, json_object *value, const char *sentence)
{
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "name", json_object_new_string(name));
			json_object_object_add(doc, key, value);
		} else
			json_object_put(value);
		return command_print_json(doc);
	}
	json_object_put(value);
	if (sentence)
		printf("Interface %s %s\n\n", name, sentence);
	return ZVIRTCTL_EXIT_OK;
}

/* iface-start, iface-destroy NAME: SetLinkUp. */
static int set_link_up(Ctl *ctl, const char *name, bool up, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = HOST_CALL(name, .n_min = 1, .n_max = 1);
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = domain_call(ctl, &dc, "SetLinkUp", NULL, "sb", dc.pos[0], (int)up);
	if (r >= 0)
		return r;
	return print_link(ctl, dc.pos[0], "up", json_object_new_boolean(up), up ? "started" : "destroyed");
}

static int run_iface_start(Ctl *ctl, int argc, char **argv)
{
	return set_link_up(ctl, "iface-start", true, argc, argv);
}

static int run_iface_destroy(Ctl *ctl, int argc, char **argv)
{
	return set_link_up(ctl, "iface-destroy", false, argc, argv);
}

static int run_iface_undefine(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = HOST_CALL("iface-undefine", .n_min = 1, .n_max = 1);
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = domain_call(ctl, &dc, "DeleteLink", NULL, "s", dc.pos[0]);
	if (r >= 0)
		return r;
	return print_link(ctl, dc.pos[0], "deleted", json_object_new_boolean(true), "undefined");
}

static int run_iface_set_qlen(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = HOST_CALL("iface-set-qlen", .n_min = 2, .n_max = 2);
	int r = domain_call_parse(ctl, &dc, argc, argv);
	unsigned long value;
	char *end;

	if (r >= 0)
		return r;
	value = strtoul(dc.pos[1], &end, 10);
	if (*end || end == dc.pos[1] || value > UINT32_MAX)
		return error_usage(dc.cmd, "'%s' is not a queue length", dc.pos[1]);
	r = domain_call(ctl, &dc, "SetQueueLength", NULL, "su", dc.pos[0], (uint32_t)value);
	if (r >= 0)
		return r;
	return print_link(ctl, dc.pos[0], "qlen", json_object_new_int64((int64_t)value), NULL);
}

static int option_miimon(sd_bus_message *m, const DomainCall *dc)
{
	const char *v = domain_call_value(dc, "miimon");
	return v ? call_option_u32(m, "miimon", (uint32_t)dc->numbers[1]) : 0;
}

/* iface-bond NAME [SLAVE...]: Host.CreateBond (virsh defines a bond with
 * iface-define's XML; here its options are the kernel's). */
static int run_iface_bond(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {
		{"mode", "mode", 's'},
		{"miimon", NULL, 't'},
		{"fail-over-mac", "fail_over_mac", 's'},
		{},
	};
	_cleanup_(domain_call_done) DomainCall dc =
		HOST_CALL("iface-bond", .flags = flags, .n_min = 1, .n_max = 64);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	const char *name;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	if (dc.values[1] && dc.numbers[1] > UINT32_MAX)
		return error_usage(dc.cmd, "--miimon %s is out of range", dc.values[1]);
	/* The slaves are an array: built here, the options as for every call. */
	r = call_new(ctl, ZVIRT_HOST_PATH, ZVIRT_HOST_IFACE, "CreateBond", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "s", dc.pos[0]);
	if (r >= 0)
		r = sd_bus_message_append_strv(m, dc.pos + 1);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = domain_call_append_flags(m, &dc);
	if (r >= 0)
		r = option_miimon(m, &dc);
	if (r >= 0)
		r = call_run(ctl, m, &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &name);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json)
		return print_link(ctl, name, "created", json_object_new_boolean(true), NULL);
	printf("Bond %s created\n\n", name);
	return ZVIRTCTL_EXIT_OK;
}

/* iface-vlan LINK ID [--name NAME]: Host.CreateVlan. */
static int run_iface_vlan(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {{"name", "name", 's'}, {}};
	_cleanup_(domain_call_done) DomainCall dc =
		HOST_CALL("iface-vlan", .flags = flags, .n_min = 2, .n_max = 2);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *name;
	unsigned long id;
	char *end;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	id = strtoul(dc.pos[1], &end, 10);
	if (*end || end == dc.pos[1] || id > UINT16_MAX)
		return error_usage(dc.cmd, "'%s' is not a VLAN id", dc.pos[1]);
	r = domain_call(ctl, &dc, "CreateVlan", &reply, "sq", dc.pos[0], (uint16_t)id);
	if (r >= 0)
		return r;
	r = sd_bus_message_read(reply, "s", &name);
	if (r < 0)
		return error_report(NULL, r);
	if (ctl->json)
		return print_link(ctl, name, "created", json_object_new_boolean(true), NULL);
	printf("VLAN %s created\n\n", name);
	return ZVIRTCTL_EXIT_OK;
}

const Command host_commands[] = {
	{"iface-list", run_iface_list, "[--all | --inactive]",
	 "the host's network links (the up ones unless told otherwise)"},
	{"iface-start", run_iface_start, "NAME", "set a host link up"},
	{"iface-destroy", run_iface_destroy, "NAME", "set a host link down"},
	{"iface-undefine", run_iface_undefine, "NAME",
	 "delete a virtual host link (a bond, a VLAN, a veth)"},
	{"iface-set-qlen", run_iface_set_qlen, "NAME QLEN", "set a host link's transmit queue length"},
	{"iface-bond", run_iface_bond,
	 "NAME [SLAVE...] [--mode MODE] [--miimon MS] [--fail-over-mac none|active|follow]",
	 "create a bond of host links (left down: iface-start brings it up)"},
	{"iface-vlan", run_iface_vlan, "LINK ID [--name NAME]",
	 "create an 802.1Q VLAN on a host link (LINK.ID unless named)"},
	{},
};
