/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The guest NIC commands of virsh: domifstat (NetworkInterface.GetStats),
 * domif-getlink, domif-setlink (UpdateDevice with <link state>),
 * attach-interface (AttachDevice of the <interface> its options
 * describe) and detach-interface (NetworkInterface.Detach). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "command.h"
#include "dict-json.h"
#include "domain-call.h"
#include "errors.h"
#include "interface-xml.h"
#include "nic-list.h"
#include "output.h"
#include "util/cleanup.h"

#define NIC_IFACE "org.zvirt1.NetworkInterface"

#define DOMAIN_CALL(name, ...)                                             \
	{                                                                  \
		.cmd = command_find(interface_commands, name), __VA_ARGS__ \
	}

/* The same scope flags as attach-device's. */
#define SCOPE_FLAGS                                                                    \
	{"live", "live", 'b'}, {"config", "config", 'b'}, {"current", "current", 'b'}, \
	{                                                                              \
		"persistent", "persistent", 'b'                                        \
	}

/* The NIC named by spec (its host device or MAC), into *ret_nic of *list.
 * -1 or the exit code. */
static int find_nic(Ctl *ctl, const DomainCall *dc, const char *spec, NicList *list, const Nic **ret_nic)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = nic_list_get(ctl, dc->info.path, list, &error);

	if (r < 0)
		return error_report(&error, r);
	*ret_nic = nic_list_find(list, spec);
	if (!*ret_nic) {
		sd_bus_error_setf(&error, "org.zvirt1.Error.NoSuchDevice",
				  "The domain '%s' has no interface '%s' (a host device name or a MAC)",
				  dc->info.name, spec);
		return error_report(&error, -ENODEV);
	}
	return -1;
}

static int run_domifstat(Ctl *ctl, int argc, char **argv)
{
	/* virsh's order. */
	static const char *const keys[] = {"rx_bytes", "rx_packets", "rx_errs", "rx_drop",
					   "tx_bytes", "tx_packets", "tx_errs", "tx_drop"};
	_cleanup_(domain_call_done) DomainCall dc = DOMAIN_CALL("domifstat", .n_min = 1, .n_max = 1);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(nic_list_done) NicList list = {0};
	_cleanup_(json_object_putp) json_object *stats = NULL;
	const Nic *nic;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = find_nic(ctl, &dc, dc.pos[0], &list, &nic);
	if (r >= 0)
		return r;
	r = domain_call_method(ctl, &dc, nic->path, NIC_IFACE, "GetStats", NULL, &error, &reply, NULL);
	if (r >= 0)
		r = dict_json_read(reply, &stats);
	if (r < 0)
		return command_device_error(&error, r, "interface", dc.pos[0]);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "interface", json_object_new_string(dc.pos[0]));
			json_object_object_add(doc, "mac", output_json_string(nic->mac));
			json_object_object_add(doc, "stats", TAKE_PTR(stats));
		}
		return command_print_json(doc);
	}
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		json_object *v;
		if (json_object_object_get_ex(stats, keys[i], &v))
			printf("%s %s %s\n", dc.pos[0], keys[i], json_object_get_string(v));
	}
	putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

/* The domain's XML: the persistent definition's with config, else what runs. */
static int domain_xml(Ctl *ctl, const DomainCall *dc, bool config, sd_bus_message **reply, const char **ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	if (config)
		r = sd_bus_call_method(ctl->bus, ZVIRT_BUS_NAME, dc->info.path, ZVIRT_DOMAIN_IFACE,
				       "GetXMLDesc", &error, reply, "a{sv}", 2, "inactive", "b", 1,
				       "auth.no_user_interaction", "b", (int)!ctl->interactive);
	else
		r = sd_bus_call_method(ctl->bus, ZVIRT_BUS_NAME, dc->info.path, ZVIRT_DOMAIN_IFACE,
				       "GetXMLDesc", &error, reply, "a{sv}", 1, "auth.no_user_interaction",
				       "b", (int)!ctl->interactive);
	if (r >= 0)
		r = sd_bus_message_read(*reply, "s", ret);
	return r < 0 ? error_report(&error, r) : -1;
}

/* A failure of interface-xml.c: the exit code. */
static int xml_error(int r, const char *mac, bool config)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	if (r == -ENODEV)
		sd_bus_error_setf(&error, "org.zvirt1.Error.NoSuchDevice",
				  "The %s definition has no interface with MAC %s",
				  config ? "persistent" : "live", mac);
	else if (r == -EINVAL)
		sd_bus_error_setf(&error, "org.zvirt1.Error.InvalidXML",
				  "The daemon's domain XML does not parse");
	return error_report(sd_bus_error_is_set(&error) ? &error : NULL, r);
}

static int print_link(Ctl *ctl, const char *spec, const char *mac, const char *state)
{
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "interface", json_object_new_string(spec));
			json_object_object_add(doc, "mac", output_json_string(mac));
			json_object_object_add(doc, "state", json_object_new_string(state));
		}
		return command_print_json(doc);
	}
	printf("%s %s\n\n", spec, state);
	return ZVIRTCTL_EXIT_OK;
}

static int run_domif_getlink(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {{"config", NULL, 'b'}, {}};
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL("domif-getlink", .flags = flags, .n_min = 1, .n_max = 1);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(nic_list_done) NicList list = {0};
	const Nic *nic;
	const char *xml;
	bool up;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = find_nic(ctl, &dc, dc.pos[0], &list, &nic);
	if (r >= 0)
		return r;
	if (!domain_call_has(&dc, "config"))
		return print_link(ctl, dc.pos[0], nic->mac, nic->link_state);
	/* The next start's: the persistent definition's <link>. */
	r = domain_xml(ctl, &dc, true, &reply, &xml);
	if (r >= 0)
		return r;
	r = interface_xml_get_link(xml, nic->mac, &up);
	if (r < 0)
		return xml_error(r, nic->mac, true);
	return print_link(ctl, dc.pos[0], nic->mac, up ? "up" : "down");
}

static int run_domif_setlink(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {{"config", "config", 'b'}, {}};
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL("domif-setlink", .flags = flags, .n_min = 2, .n_max = 2);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(nic_list_done) NicList list = {0};
	_cleanup_free_ char *nic_xml = NULL;
	const Nic *nic;
	const char *xml;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	const char *state = dc.pos[1];
	if (strcmp(state, "up") != 0 && strcmp(state, "down") != 0)
		return error_usage(dc.cmd, "'%s': the state is up or down", state);
	r = find_nic(ctl, &dc, dc.pos[0], &list, &nic);
	if (r >= 0)
		return r;
	/* The whole NIC as the definition has it: an update may change the link only. */
	bool config = domain_call_has(&dc, "config");
	r = domain_xml(ctl, &dc, config, &reply, &xml);
	if (r >= 0)
		return r;
	r = interface_xml_set_link(xml, nic->mac, strcmp(state, "up") == 0, &nic_xml);
	if (r < 0)
		return xml_error(r, nic->mac, config);
	r = domain_call(ctl, &dc, "UpdateDevice", NULL, "s", nic_xml);
	if (r >= 0)
		return r;
	if (ctl->json)
		return print_link(ctl, dc.pos[0], nic->mac, state);
	printf("Device updated successfully\n\n");
	return ZVIRTCTL_EXIT_OK;
}

static int run_attach_interface(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {
		SCOPE_FLAGS,
		{"type", NULL, 'v'},
		{"source", NULL, 'v'},
		{"mac", NULL, 'v'},
		{"model", NULL, 'v'},
		{"target", NULL, 'v'},
		{"source-mode", NULL, 'v'},
		{"print-xml", NULL, 'b'},
		{},
	};
	/* virsh: attach-interface DOMAIN TYPE SOURCE, or --type and --source. */
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL("attach-interface", .flags = flags, .n_max = 2);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *xml = NULL;
	const char *device;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	InterfaceSpec spec = {
		.type = domain_call_value(&dc, "type"),
		.source = domain_call_value(&dc, "source"),
		.source_mode = domain_call_value(&dc, "source-mode"),
		.mac = domain_call_value(&dc, "mac"),
		.model = domain_call_value(&dc, "model"),
		.target = domain_call_value(&dc, "target"),
	};
	if (dc.n_pos > 0 && spec.type)
		return error_usage(dc.cmd, "the type is given twice");
	if (dc.n_pos > 0)
		spec.type = dc.pos[0];
	if (dc.n_pos > 1 && spec.source)
		return error_usage(dc.cmd, "the source is given twice");
	if (dc.n_pos > 1)
		spec.source = dc.pos[1];
	if (!spec.type || (strcmp(spec.type, "bridge") != 0 && strcmp(spec.type, "direct") != 0))
		return error_usage(dc.cmd, "the type is bridge or direct, not '%s'",
				   spec.type ? spec.type : "(none)");
	if (!spec.source || !*spec.source)
		return error_usage(dc.cmd,
				   "a source is needed (a bridge, or the host link of a direct NIC)");
	if (spec.source_mode && strcmp(spec.type, "direct") != 0)
		return error_usage(dc.cmd, "--source-mode is for direct NICs");
	r = interface_xml_build(&spec, &xml);
	if (r < 0)
		return error_report(NULL, r);
	if (domain_call_has(&dc, "print-xml")) {
		if (!ctl->json) {
			printf("%s\n\n", xml);
			return ZVIRTCTL_EXIT_OK;
		}
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "xml", json_object_new_string(xml));
		return command_print_json(doc);
	}
	r = domain_call(ctl, &dc, "AttachDevice", &reply, "s", xml);
	if (r >= 0)
		return r;
	r = sd_bus_message_read(reply, "o", &device);
	if (r < 0)
		return error_report(NULL, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "device", json_object_new_string(device));
		return command_print_json(doc);
	}
	printf("Interface attached successfully\n\n");
	return ZVIRTCTL_EXIT_OK;
}

static int run_detach_interface(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {SCOPE_FLAGS, {"type", NULL, 'v'}, {"mac", NULL, 'v'}, {}};
	/* virsh: detach-interface DOMAIN TYPE [--mac MAC], or --type. */
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL("detach-interface", .flags = flags, .n_max = 1);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(nic_list_done) NicList list = {0};
	const char *type, *mac;
	const Nic *nic = NULL;
	size_t matches = 0;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	type = dc.n_pos > 0 ? dc.pos[0] : domain_call_value(&dc, "type");
	mac = domain_call_value(&dc, "mac");
	if (!type)
		return error_usage(dc.cmd, "the type is needed (bridge or direct)");
	r = nic_list_get(ctl, dc.info.path, &list, &error);
	if (r < 0)
		return error_report(&error, r);
	for (size_t i = 0; i < list.n; i++)
		if (strcmp(list.nics[i].type, type) == 0 && (!mac || strcasecmp(list.nics[i].mac, mac) == 0))
			nic = &list.nics[i], matches++;
	if (!nic) {
		if (mac)
			sd_bus_error_setf(&error, "org.zvirt1.Error.NoSuchDevice",
					  "No interface found whose type is %s and MAC address is %s", type,
					  mac);
		else
			sd_bus_error_setf(&error, "org.zvirt1.Error.NoSuchDevice",
					  "No interface found whose type is %s", type);
		return error_report(&error, -ENODEV);
	}
	if (matches > 1)
		return error_usage(
			dc.cmd, "Domain has %zu interfaces. Please specify which one to detach using --mac",
			matches);
	r = domain_call_method(ctl, &dc, nic->path, NIC_IFACE, "Detach", NULL, &error, NULL, NULL);
	if (r < 0)
		return command_device_error(&error, r, "interface", nic->mac);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "device", json_object_new_string(nic->path));
			json_object_object_add(doc, "mac", output_json_string(nic->mac));
		}
		return command_print_json(doc);
	}
	printf("Interface detached successfully\n\n");
	return ZVIRTCTL_EXIT_OK;
}

const Command interface_commands[] = {
	{"domifstat", run_domifstat, "DOMAIN INTERFACE",
	 "a guest NIC's traffic counters (INTERFACE: its host device, vnet0, or its MAC)"},
	{"domif-getlink", run_domif_getlink, "DOMAIN INTERFACE [--config]", "a guest NIC's link state"},
	{"domif-setlink", run_domif_setlink, "DOMAIN INTERFACE up|down [--config]",
	 "set a guest NIC's link up or down (the guest sees its carrier go)"},
	{"attach-interface", run_attach_interface,
	 "DOMAIN {bridge|direct} SOURCE [--mac MAC] [--model MODEL] [--target DEV] [--source-mode MODE] "
	 "[--live] [--config] [--current] [--persistent] [--print-xml]",
	 "plug in a NIC on a bridge or a host link (macvtap)"},
	{"detach-interface", run_detach_interface,
	 "DOMAIN {bridge|direct} [--mac MAC] [--live] [--config] [--current] [--persistent]",
	 "pull out a NIC (by its MAC when there are several)"},
	{},
};
