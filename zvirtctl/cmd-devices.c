/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The device commands: attach-device, detach-device, update-device
 * (a device's XML from a file) and change-media (a cdrom's medium). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
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
	{},
};
