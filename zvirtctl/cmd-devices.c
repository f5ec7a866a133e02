/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The device commands: attach-device, detach-device, update-device
 * (a device's XML from a file), change-media (a cdrom's medium) and
 * detach-device-alias (a device object's Detach). */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "call.h"
#include "command.h"
#include "dict-json.h"
#include "domain-call.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

static int print_done(Ctl *ctl, const char *sentence, const char *device)
{
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "device", output_json_string(device));
		return command_print_json(doc);
	}
	printf("%s\n\n", sentence);
	return ZVIRTCTL_EXIT_OK;
}

/* virsh's --live --config --current --persistent: the method's keys. */
#define SCOPE_FLAGS                                                                    \
	{"live", "live", 'b'}, {"config", "config", 'b'}, {"current", "current", 'b'}, \
	{                                                                              \
		"persistent", "persistent", 'b'                                        \
	}

/* attach-device, detach-device, update-device: method(xml, options). */
static int device_xml(Ctl *ctl, const char *name, const char *method, const char *sentence, int argc,
		      char **argv)
{
	static const CommandFlag flags[] = {SCOPE_FLAGS, {"force", "force", 'b'}, {}};
	_cleanup_(domain_call_done) DomainCall dc = {
		.cmd = command_find(devices_commands, name),
		.flags = flags,
		.n_min = 1,
		.n_max = 1,
		.path_only = true,
	};
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *xml = NULL;
	const char *device = NULL;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	/* --force is update-device's only. */
	if (domain_call_has(&dc, "force") && strcmp(method, "UpdateDevice") != 0)
		return error_usage(dc.cmd, "--force is for update-device");
	r = command_read_file(dc.pos[0], &xml);
	if (r >= 0)
		return r;
	r = domain_call(ctl, &dc, method, &reply, "s", xml);
	if (r >= 0)
		return r;
	/* AttachDevice answers the new device's object. */
	if (strcmp(method, "AttachDevice") == 0 && (r = sd_bus_message_read(reply, "o", &device)) < 0)
		return error_report(NULL, r);
	return print_done(ctl, sentence, device);
}

static int run_attach_device(Ctl *ctl, int argc, char **argv)
{
	return device_xml(ctl, "attach-device", "AttachDevice", "Device attached successfully", argc, argv);
}

static int run_detach_device(Ctl *ctl, int argc, char **argv)
{
	return device_xml(ctl, "detach-device", "DetachDevice", "Device detached successfully", argc, argv);
}

static int run_update_device(Ctl *ctl, int argc, char **argv)
{
	return device_xml(ctl, "update-device", "UpdateDevice", "Device updated successfully", argc, argv);
}

/* change-media DOMAIN TARGET [SOURCE]: Disk.ChangeMedia on the drive's object. */
static int run_change_media(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {
		{"eject", "eject", 'b'},   {"insert", "insert", 'b'},   {"update", "update", 'b'},
		{"force", "force", 'b'},   {"block", "block", 'b'},     {"live", "live", 'b'},
		{"config", "config", 'b'}, {"current", "current", 'b'}, {},
	};
	_cleanup_(domain_call_done) DomainCall dc = {
		.cmd = command_find(devices_commands, "change-media"),
		.flags = flags,
		.n_min = 1,
		.n_max = 2,
		.path_only = true,
	};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *disk = NULL, *source = NULL;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	bool eject = domain_call_has(&dc, "eject"), insert = domain_call_has(&dc, "insert");
	if (eject + insert + domain_call_has(&dc, "update") > 1)
		return error_usage(dc.cmd, "--eject, --insert and --update exclude each other");
	if (eject && dc.n_pos > 1)
		return error_usage(dc.cmd, "--eject takes no SOURCE");
	if (insert && dc.n_pos < 2)
		return error_usage(dc.cmd, "--insert needs a SOURCE");
	/* The daemon takes an absolute path, as for dump. */
	r = command_absolute_path(ctl, dc.n_pos > 1 ? dc.pos[1] : "", &source);
	if (r >= 0)
		return r;
	/* Targets are plain names (vda, sdb): the path is the domain's plus them. */
	const char *target = dc.pos[0];
	if (strspn(target, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(target) || !*target)
		return error_usage(dc.cmd, "'%s' is not a disk target (sda, vdb)", target);
	if (asprintf(&disk, "%s/disk/%s", dc.info.path, target) < 0)
		return error_report(NULL, -ENOMEM);
	r = domain_call_method(ctl, &dc, disk, "org.zvirt1.Disk", "ChangeMedia", NULL, &error, NULL, "s",
			       source);
	if (r < 0)
		return command_device_error(&error, r, "disk", target);
	const char *sentence = eject     ? "Successfully ejected media."
			       : insert  ? "Successfully inserted media."
			       : *source ? "Successfully updated media."
					 : "Successfully ejected media.";
	return print_done(ctl, sentence, disk);
}

/* The Alias of the object at path, NULL (and 0) when there is no such
 * object: the end of a numbered kind. */
static int alias_of(Ctl *ctl, const char *path, const char *iface, char **ret, sd_bus_error *error)
{
	int r = sd_bus_get_property_string(ctl->bus, ZVIRT_BUS_NAME, path, iface, "Alias", error, ret);
	if (r < 0 && sd_bus_error_has_names(error, SD_BUS_ERROR_UNKNOWN_OBJECT,
					    SD_BUS_ERROR_UNKNOWN_INTERFACE, SD_BUS_ERROR_UNKNOWN_PROPERTY)) {
		sd_bus_error_free(error);
		*ret = NULL;
		return 0;
	}
	return r;
}

/* The device object of the domain whose Alias is alias, and its
 * interface: the host devices and NICs by index, the disks by target. */
static int find_alias(Ctl *ctl, const char *domain_path, const char *alias, char **ret_path,
		      const char **ret_iface, sd_bus_error *error)
{
	static const struct {
		const char *kind, *iface;
	} numbered[] = {{"hostdev", "org.zvirt1.HostDevice"}, {"interface", "org.zvirt1.NetworkInterface"}};
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *stats = NULL;
	int r;

	for (size_t k = 0; k < ELEMENTSOF(numbered); k++)
		for (unsigned i = 0; i < 1024; i++) {
			_cleanup_free_ char *path = NULL, *a = NULL;
			if (asprintf(&path, "%s/%s/%u", domain_path, numbered[k].kind, i) < 0)
				return -ENOMEM;
			r = alias_of(ctl, path, numbered[k].iface, &a, error);
			if (r < 0)
				return r;
			if (!a)
				break;
			if (strcmp(a, alias) == 0) {
				*ret_path = TAKE_PTR(path);
				*ret_iface = numbered[k].iface;
				return 1;
			}
		}
	/* The disks' targets: Domain.GetStats' block.<n>.name. */
	r = call_simple(ctl, domain_path, ZVIRT_DOMAIN_IFACE, "GetStats", error, &reply);
	if (r >= 0)
		r = dict_json_read(reply, &stats);
	if (r < 0)
		return r;
	json_object *count;
	int64_t n =
		json_object_object_get_ex(stats, "block.count", &count) ? json_object_get_int64(count) : 0;
	for (int64_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL, *a = NULL;
		char key[64];
		json_object *name;
		snprintf(key, sizeof(key), "block.%" PRIi64 ".name", i);
		if (!json_object_object_get_ex(stats, key, &name))
			continue;
		if (asprintf(&path, "%s/disk/%s", domain_path, json_object_get_string(name)) < 0)
			return -ENOMEM;
		r = alias_of(ctl, path, "org.zvirt1.Disk", &a, error);
		if (r < 0)
			return r;
		if (a && strcmp(a, alias) == 0) {
			*ret_path = TAKE_PTR(path);
			*ret_iface = "org.zvirt1.Disk";
			return 1;
		}
	}
	return 0;
}

/* detach-device-alias DOMAIN ALIAS: the Detach of the device object
 * with that alias (QEMU's, virtio-disk1, net0, hostdev0, while it runs;
 * a user's ua- alias always). */
static int run_detach_device_alias(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {SCOPE_FLAGS, {}};
	_cleanup_(domain_call_done) DomainCall dc = {
		.cmd = command_find(devices_commands, "detach-device-alias"),
		.flags = flags,
		.n_min = 1,
		.n_max = 1,
	};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *device = NULL;
	const char *iface = NULL;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = find_alias(ctl, dc.info.path, dc.pos[0], &device, &iface, &error);
	if (r < 0)
		return error_report(&error, r);
	if (r == 0) {
		sd_bus_error_setf(&error, "org.zvirt1.Error.NoSuchDevice",
				  "The domain '%s' has no device with alias '%s'", dc.info.name, dc.pos[0]);
		return error_report(&error, -ENODEV);
	}
	r = domain_call_method(ctl, &dc, device, iface, "Detach", NULL, &error, NULL, NULL);
	if (r < 0)
		return command_device_error(&error, r, "device", dc.pos[0]);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "device", json_object_new_string(device));
			json_object_object_add(doc, "alias", json_object_new_string(dc.pos[0]));
		}
		return command_print_json(doc);
	}
	printf("Device detach request sent successfully\n\n");
	return ZVIRTCTL_EXIT_OK;
}

const Command devices_commands[] = {
	{"attach-device", run_attach_device, "DOMAIN FILE [--live] [--config] [--current] [--persistent]",
	 "plug in the device an XML file describes (<disk>, <controller>, <hostdev>, <interface>)"},
	{"detach-device", run_detach_device, "DOMAIN FILE [--live] [--config] [--current] [--persistent]",
	 "pull out the device an XML file names"},
	{"update-device", run_update_device,
	 "DOMAIN FILE [--live] [--config] [--current] [--persistent] [--force]",
	 "change a device's settings (live: a cdrom's medium, a NIC's link state)"},
	{"change-media", run_change_media,
	 "DOMAIN TARGET [SOURCE] [--eject | --insert | --update] [--force] [--block] [--live] [--config] "
	 "[--current]",
	 "put another medium into a CD drive, or take it out"},
	{"detach-device-alias", run_detach_device_alias,
	 "DOMAIN ALIAS [--live] [--config] [--current] [--persistent]",
	 "pull out the device of that alias (a disk, a NIC, a host device)"},
	{},
};
