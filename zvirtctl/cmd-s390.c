/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The host's s390 devices, in s390-tools' words: lscss, chccwdev,
 * lsdasd, lsscsi, lszfcp (Host.ListCcwDevices, SetCcwOnline, ListDasds,
 * ListScsiDevices, ListZfcpDevices). */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "command.h"
#include "connection.h"
#include "domain-call.h"
#include "dict-json.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

#define HOST_CALL(name, ...)                                                        \
	{                                                                           \
		.cmd = command_find(s390_commands, name), .host = true, __VA_ARGS__ \
	}

/* A Host list method's aa{sv}, as a JSON array. */
static int list_dicts(Ctl *ctl, const char *method, json_object **ret, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *arr = json_object_new_array();
	int r = arr ? call_simple(ctl, ZVIRT_HOST_PATH, ZVIRT_HOST_IFACE, method, error, &reply) : -ENOMEM;

	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "a{sv}");
	while (r >= 0 && !sd_bus_message_at_end(reply, false)) {
		json_object *o;
		r = dict_json_read(reply, &o);
		if (r >= 0)
			json_object_array_add(arr, o);
	}
	if (r < 0)
		return sd_bus_error_is_set(error)
			       ? r
			       : sd_bus_error_set_errnof(error, r, "Cannot read %s: %m", method);
	*ret = TAKE_PTR(arr);
	return 0;
}

static const char *field(json_object *o, const char *key)
{
	json_object *v;
	const char *s = json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
	return s && *s ? s : "-";
}

/* Prints the list as {"key": [...]} with --json; else the table `made`,
 * or (NULL) one of the keys' values. */
static int print_dicts(Ctl *ctl, json_object *arr, const char *json_key, size_t n, const char *const *header,
		       const char *const *keys, const Table *made)
{
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, json_key, json_object_get(arr));
		return command_print_json(doc);
	}
	if (made)
		return command_print_table(made);
	_cleanup_(table_freep) Table *t = table_new(n, header);
	for (size_t i = 0; t && i < json_object_array_length(arr); i++) {
		const char *cells[8];
		for (size_t k = 0; k < n; k++)
			cells[k] = field(json_object_array_get_idx(arr, i), keys[k]);
		if (table_add_row(t, cells) < 0)
			return error_report(NULL, -ENOMEM);
	}
	return command_print_table(t);
}

static int run_lscss(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {{"devtype", "devtype", 's'}, {"cutype", "cutype", 's'}, {}};
	static const char *const header[] = {"Device", "DevType", "CU Type", "Online", "Driver"};
	_cleanup_(domain_call_done) DomainCall dc = HOST_CALL("lscss", .flags = flags);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *arr = json_object_new_array();
	_cleanup_(table_freep) Table *t = table_new(ELEMENTSOF(header), header);
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	if (!arr || !t)
		return error_report(NULL, -ENOMEM);
	r = domain_call(ctl, &dc, "ListCcwDevices", &reply, NULL);
	if (r >= 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "(sssbs)");
	const char *busid, *cu, *dev, *driver;
	int online;
	while (r >= 0 &&
	       (r = sd_bus_message_read(reply, "(sssbs)", &busid, &cu, &dev, &online, &driver)) > 0) {
		json_object *o = json_object_new_object();
		if (!o)
			return error_report(NULL, -ENOMEM);
		json_object_object_add(o, "busid", json_object_new_string(busid));
		json_object_object_add(o, "cutype", json_object_new_string(cu));
		json_object_object_add(o, "devtype", json_object_new_string(dev));
		json_object_object_add(o, "online", json_object_new_boolean(online));
		json_object_object_add(o, "driver", json_object_new_string(driver));
		json_object_array_add(arr, o);
		const char *cells[] = {busid, dev, cu, online ? "yes" : "no", *driver ? driver : "-"};
		if (table_add_row(t, cells) < 0)
			return error_report(NULL, -ENOMEM);
	}
	if (r < 0)
		return error_report(NULL, r);
	return print_dicts(ctl, arr, "devices", 0, NULL, NULL, t);
}

/* s390-tools' -e and -d of chccwdev and chzdev: --online, --offline. */
static void short_online_options(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-e") == 0)
			argv[i] = (char *)"--online";
		else if (strcmp(argv[i], "-d") == 0)
			argv[i] = (char *)"--offline";
	}
}

static int option_no_aliases(sd_bus_message *m, const DomainCall *dc)
{
	return domain_call_has(dc, "no-aliases") ? call_option_bool(m, "aliases", false) : 0;
}

/* chccwdev -e|-d BUSID [--no-aliases] */
static int run_chccwdev(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {
		{"online", NULL, 'b'}, {"offline", NULL, 'b'}, {"no-aliases", NULL, 'b'}, {}};
	_cleanup_(domain_call_done) DomainCall dc =
		HOST_CALL("chccwdev", .flags = flags, .n_min = 1, .n_max = 1);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	short_online_options(argc, argv);
	r = domain_call_parse(ctl, &dc, argc, argv);
	if (r >= 0)
		return r;
	bool online = domain_call_has(&dc, "online");
	if (online == domain_call_has(&dc, "offline"))
		return error_usage(dc.cmd, "one of -e/--online and -d/--offline is needed");
	r = domain_call_method(ctl, &dc, NULL, NULL, "SetCcwOnline", option_no_aliases, &error, NULL, "sb",
			       dc.pos[0], (int)online);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "busid", json_object_new_string(dc.pos[0]));
			json_object_object_add(doc, "online", json_object_new_boolean(online));
		}
		return command_print_json(doc);
	}
	printf("Setting device %s %s\nDone\n", dc.pos[0], online ? "online" : "offline");
	return ZVIRTCTL_EXIT_OK;
}

static int list_command(Ctl *ctl, const char *name, const char *method, const char *json_key, size_t n,
			const char *const *header, const char *const *keys, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = HOST_CALL(name);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(json_object_putp) json_object *arr = NULL;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = list_dicts(ctl, method, &arr, &error);
	if (r < 0)
		return error_report(&error, r);
	return print_dicts(ctl, arr, json_key, n, header, keys, NULL);
}

static int run_lsdasd(Ctl *ctl, int argc, char **argv)
{
	static const char *const header[] = {"Bus-ID", "Status", "Name", "Device",
					     "Type",   "BlkSz",  "MB",   "Blocks"};
	static const char *const keys[] = {"bus-id", "status",     "name",    "device",
					   "type",   "block-size", "size-mb", "blocks"};
	return list_command(ctl, "lsdasd", "ListDasds", "dasds", ELEMENTSOF(header), header, keys, argc,
			    argv);
}

static int run_lsscsi(Ctl *ctl, int argc, char **argv)
{
	static const char *const header[] = {"Address", "Type", "Vendor", "Model", "Node", "SG", "WWID"};
	static const char *const keys[] = {"address", "type", "vendor", "model", "node", "sg", "wwid"};
	return list_command(ctl, "lsscsi", "ListScsiDevices", "devices", ELEMENTSOF(header), header, keys,
			    argc, argv);
}

static int run_lszfcp(Ctl *ctl, int argc, char **argv)
{
	static const char *const header[] = {"Bus-ID", "Online", "NPIV", "SCSI Host"};
	static const char *const keys[] = {"busid", "online", "npiv", "scsi-host"};
	return list_command(ctl, "lszfcp", "ListZfcpDevices", "devices", ELEMENTSOF(header), header, keys,
			    argc, argv);
}

static int option_timeout(sd_bus_message *m, const DomainCall *dc)
{
	/* A u here (Host's timeouts), where Shutdown's is a t. */
	return dc->values[0] ? call_option_u32(m, "timeout-ms", (uint32_t)(dc->numbers[0] * 1000)) : 0;
}

/* zfcp-add-unit, zfcp-remove-unit: BUSID WWPN LUN. */
static int zfcp_unit(Ctl *ctl, const char *name, const char *method, int argc, char **argv)
{
	static const CommandFlag timeout[] = {{"timeout", NULL, 'v'}, {}};
	bool add = strcmp(method, "ZfcpAddUnit") == 0;
	_cleanup_(domain_call_done) DomainCall dc =
		HOST_CALL(name, .flags = add ? timeout : NULL, .n_min = 3, .n_max = 3);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *address = NULL;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	if (dc.values[0]) {
		char *end;
		dc.numbers[0] = strtoull(dc.values[0], &end, 10);
		if (*end || end == dc.values[0] || dc.numbers[0] == 0 || dc.numbers[0] > 3600)
			return error_usage(dc.cmd, "--timeout takes whole seconds (1 to 3600), not '%s'",
					   dc.values[0]);
	}
	r = domain_call_method(ctl, &dc, NULL, NULL, method, option_timeout, &error, &reply, "sss",
			       dc.pos[0], dc.pos[1], dc.pos[2]);
	if (r >= 0 && add)
		r = sd_bus_message_read(reply, "s", &address);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "busid", json_object_new_string(dc.pos[0]));
			json_object_object_add(doc, "wwpn", json_object_new_string(dc.pos[1]));
			json_object_object_add(doc, "lun", json_object_new_string(dc.pos[2]));
			json_object_object_add(doc, "address", output_json_string(address));
		}
		return command_print_json(doc);
	}
	if (add)
		printf("LUN %s of %s on %s is SCSI device %s\n\n", dc.pos[2], dc.pos[1], dc.pos[0], address);
	else
		printf("LUN %s of %s on %s removed\n\n", dc.pos[2], dc.pos[1], dc.pos[0]);
	return ZVIRTCTL_EXIT_OK;
}

static int run_zfcp_add_unit(Ctl *ctl, int argc, char **argv)
{
	return zfcp_unit(ctl, "zfcp-add-unit", "ZfcpAddUnit", argc, argv);
}

static int run_zfcp_remove_unit(Ctl *ctl, int argc, char **argv)
{
	return zfcp_unit(ctl, "zfcp-remove-unit", "ZfcpRemoveUnit", argc, argv);
}

static int run_zfcp_port_rescan(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = HOST_CALL("zfcp-port-rescan", .n_min = 1, .n_max = 1);
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = domain_call(ctl, &dc, "ZfcpPortRescan", NULL, "s", dc.pos[0]);
	if (r >= 0)
		return r;
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "busid", json_object_new_string(dc.pos[0]));
		return command_print_json(doc);
	}
	return ZVIRTCTL_EXIT_OK;
}

/* chzdev qeth ID -e|-d: Host.SetQethOnline (s390-tools' chzdev of a qeth group). */
static int run_chzdev(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {{"online", NULL, 'b'}, {"offline", NULL, 'b'}, {}};
	_cleanup_(domain_call_done) DomainCall dc =
		HOST_CALL("chzdev", .flags = flags, .n_min = 2, .n_max = 2);
	int r;

	short_online_options(argc, argv);
	r = domain_call_parse(ctl, &dc, argc, argv);
	if (r >= 0)
		return r;
	if (strcmp(dc.pos[0], "qeth") != 0)
		return error_usage(dc.cmd, "'%s': the device type is qeth (chccwdev sets ccw devices)",
				   dc.pos[0]);
	bool online = domain_call_has(&dc, "online");
	if (online == domain_call_has(&dc, "offline"))
		return error_usage(dc.cmd, "one of -e/--online and -d/--offline is needed");
	r = domain_call(ctl, &dc, "SetQethOnline", NULL, "sb", dc.pos[1], (int)online);
	if (r >= 0)
		return r;
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "id", json_object_new_string(dc.pos[1]));
			json_object_object_add(doc, "online", json_object_new_boolean(online));
		}
		return command_print_json(doc);
	}
	printf("QETH device %s %s\n", dc.pos[1], online ? "configured" : "deconfigured");
	return ZVIRTCTL_EXIT_OK;
}

/* znetconf -u | -c | -a BUSID [-o KEY=VALUE]... [--offline] | -r ID */
static int run_znetconf(Ctl *ctl, int argc, char **argv)
{
	enum { O_OFFLINE = OPT_FIRST_OWN };
	static const struct option options[] = {
		COMMAND_COMMON_OPTIONS,
		{"unconfigured", no_argument, NULL, 'u'},
		{"configured", no_argument, NULL, 'c'},
		{"add", required_argument, NULL, 'a'},
		{"remove", required_argument, NULL, 'r'},
		{"option", required_argument, NULL, 'o'},
		{"offline", no_argument, NULL, O_OFFLINE},
		{},
	};
	const Command *cmd = command_find(s390_commands, "znetconf");
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	const char *add = NULL, *remove = NULL, *opts[3] = {0}, *name = NULL;
	static const char *const keys[] = {"layer2", "buffer_count", "bridge_role"};
	bool offline = false;
	char mode = 0;
	CommandArgs args = {0};
	int c, r;

	while ((c = getopt_long(argc, argv, "uca:r:o:", options, NULL)) >= 0) {
		switch (c) {
		case 'u':
		case 'c':
			mode = (char)c;
			break;
		case 'a':
			mode = 'a', add = optarg;
			break;
		case 'r':
			mode = 'r', remove = optarg;
			break;
		case 'o': {
			size_t i, len = strcspn(optarg, "=");
			for (i = 0; i < ELEMENTSOF(keys); i++)
				if (strlen(keys[i]) == len && strncmp(optarg, keys[i], len) == 0 &&
				    optarg[len])
					break;
			if (i == ELEMENTSOF(keys))
				return error_usage(
					cmd,
					"'%s': the options are layer2=0|1, buffer_count=N, bridge_role=ROLE",
					optarg);
			opts[i] = optarg + len + 1;
			break;
		}
		case O_OFFLINE:
			offline = true;
			break;
		default:
			r = command_common_option(ctl, cmd, &args, argv, c);
			if (r >= 0)
				return r;
			if (args.domain)
				return error_usage(cmd, "znetconf takes no domain");
		}
	}
	r = command_positional(cmd, NULL, argc, argv, 0, NULL);
	if (r >= 0)
		return r;
	if (!mode)
		return error_usage(cmd, "one of -u, -c, -a and -r is needed");
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;

	if (mode == 'u' || mode == 'c') {
		static const char *const header_u[] = {"Device IDs", "Card Type", "CHPID", "Drv."};
		static const char *const header_c[] = {"Device IDs", "Card Type", "CHPID",
						       "Drv.",       "Name",      "State"};
		_cleanup_(json_object_putp) json_object *all = NULL, *arr = json_object_new_array();
		_cleanup_(table_freep) Table *t =
			mode == 'u' ? table_new(4, header_u) : table_new(6, header_c);
		if (!arr || !t)
			return error_report(NULL, -ENOMEM);
		r = list_dicts(ctl, "ListQethDevices", &all, &error);
		if (r < 0)
			return error_report(&error, r);
		for (size_t i = 0; i < json_object_array_length(all); i++) {
			json_object *d = json_object_array_get_idx(all, i), *v, *cdevs;
			bool configured =
				json_object_object_get_ex(d, "configured", &v) && json_object_get_boolean(v);
			if (configured != (mode == 'c'))
				continue;
			json_object_array_add(arr, json_object_get(d));
			char ids[64] = "";
			if (json_object_object_get_ex(d, "cdevs", &cdevs))
				for (size_t k = 0; k < json_object_array_length(cdevs); k++)
					snprintf(
						ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s",
						k ? "," : "",
						json_object_get_string(json_object_array_get_idx(cdevs, k)));
			const char *cells[] = {ids,
					       field(d, "card_type"),
					       field(d, "chpid"),
					       field(d, "driver"),
					       field(d, "if_name"),
					       field(d, "state")};
			if (table_add_row(t, cells) < 0)
				return error_report(NULL, -ENOMEM);
		}
		return print_dicts(ctl, arr, "devices", 0, NULL, NULL, t);
	}

	if (mode == 'a') {
		r = call_new(ctl, ZVIRT_HOST_PATH, ZVIRT_HOST_IFACE, "GroupQeth", &m);
		if (r >= 0)
			r = sd_bus_message_append(m, "as", 1, add);
		if (r >= 0)
			r = call_options_open(m);
		if (r >= 0 && opts[0])
			r = call_option_bool(m, "layer2", strcmp(opts[0], "0") != 0);
		if (r >= 0 && opts[1]) {
			char *end;
			unsigned long n = strtoul(opts[1], &end, 10);
			if (*end || end == opts[1] || n > UINT32_MAX)
				return error_usage(cmd, "buffer_count=%s is not a number", opts[1]);
			r = call_option_u32(m, "buffer_count", (uint32_t)n);
		}
		if (r >= 0 && opts[2])
			r = call_option_string(m, "bridge_role", opts[2]);
		if (r >= 0 && offline)
			r = call_option_bool(m, "online", false);
		if (r >= 0)
			r = call_run(ctl, m, &error, &reply);
		if (r >= 0)
			r = sd_bus_message_read(reply, "s", &name);
	} else
		r = call_string(ctl, ZVIRT_HOST_PATH, ZVIRT_HOST_IFACE, "UngroupQeth", remove, &error, NULL);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "id",
					       json_object_new_string(mode == 'a' ? add : remove));
			json_object_object_add(doc, "interface",
					       name && *name ? json_object_new_string(name) : NULL);
		}
		return command_print_json(doc);
	}
	if (mode == 'a')
		printf("Successfully configured device %s (%s)\n", add, name && *name ? name : "offline");
	else
		printf("Successfully removed device %s\n", remove);
	return ZVIRTCTL_EXIT_OK;
}

const Command s390_commands[] = {
	{"lscss", run_lscss, "[--devtype TYPE[/MODEL]] [--cutype TYPE[/MODEL]]", "the host's ccw devices"},
	{"chccwdev", run_chccwdev, "{-e | -d} BUSID [--no-aliases]",
	 "set a ccw device online or offline (a DASD with its aliases)"},
	{"lsdasd", run_lsdasd, "", "the host's DASDs"},
	{"lsscsi", run_lsscsi, "", "the host's SCSI devices (zfcp LUNs, tapes, changers)"},
	{"lszfcp", run_lszfcp, "", "the host's FCP devices"},
	{"zfcp-add-unit", run_zfcp_add_unit, "BUSID WWPN LUN [--timeout SECONDS]",
	 "attach an FCP LUN (unit_add) and wait for its SCSI device"},
	{"zfcp-remove-unit", run_zfcp_remove_unit, "BUSID WWPN LUN", "detach an FCP LUN (unit_remove)"},
	{"znetconf", run_znetconf,
	 "{-u | -c | -a BUSID [-o layer2=0|1] [-o buffer_count=N] [-o bridge_role=ROLE] [--offline] | -r "
	 "ID}",
	 "the host's OSA/HiperSockets (qeth) devices: list, configure, remove"},
	{"zfcp-port-rescan", run_zfcp_port_rescan, "BUSID", "look for the FCP device's remote ports again"},
	{"chzdev", run_chzdev, "qeth ID {-e | -d}",
	 "set a configured qeth device (its group) online or offline"},
	{},
};
