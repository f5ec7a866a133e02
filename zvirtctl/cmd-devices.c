/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The device commands: attach-device, detach-device, update-device
 * (a device's XML from a file) and change-media (a cdrom's medium). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "call.h"
#include "command.h"
#include "connection.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

#define MAX_FLAGS 8

static const Command *command(const char *name);

/* Parses DOMAIN, n_min to n_max more arguments (their number in *ret_n)
 * and the flags; connects, finds the domain. -1 or the exit code. */
static int parse(Ctl *ctl, const Command *cmd, int argc, char **argv, const char *const *flags, bool *set,
		 int n_min, int n_max, char ***ret_pos, int *ret_n, char **ret_path)
{
	struct option options[4 + MAX_FLAGS] = {COMMAND_COMMON_OPTIONS};
	CommandArgs args = {0};
	size_t n = 0;
	int c, r;

	for (; flags[n]; n++)
		options[3 + n] = (struct option){flags[n], no_argument, NULL, OPT_FIRST_OWN + (int)n};
	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		if (c >= OPT_FIRST_OWN && c < OPT_FIRST_OWN + (int)n) {
			set[c - OPT_FIRST_OWN] = true;
			continue;
		}
		r = command_common_option(ctl, cmd, &args, argv, c);
		if (r >= 0)
			return r;
	}
	int extra = argc - optind - (args.domain ? 0 : 1);
	int want = extra < n_min ? n_min : extra > n_max ? n_max : extra;
	r = command_positional(cmd, &args, argc, argv, 1 + want, ret_pos);
	if (r >= 0)
		return r;
	*ret_n = want;
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	return command_domain_path(ctl, &args, ret_path);
}

static int append_flags(sd_bus_message *m, const char *const *flags, const bool *set)
{
	int r = 0;
	for (size_t i = 0; r >= 0 && flags[i]; i++)
		if (set[i])
			r = call_option_bool(m, flags[i], true);
	return r;
}

static int print_done(Ctl *ctl, const char *sentence, const char *device)
{
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "device", output_json_string(device));
		return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
	}
	printf("%s\n\n", sentence);
	return ZVIRTCTL_EXIT_OK;
}

/* attach-device, detach-device, update-device: method(xml, options). */
static int device_xml(Ctl *ctl, const char *name, const char *method, const char *sentence, int argc,
		      char **argv)
{
	static const char *const flags[] = {"live", "config", "current", "persistent", "force", NULL};
	const Command *cmd = command(name);
	bool set[MAX_FLAGS] = {0};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_free_ char *path = NULL, *xml = NULL;
	const char *device = NULL;
	char **pos;
	int n, r = parse(ctl, cmd, argc, argv, flags, set, 1, 1, &pos, &n, &path);

	if (r >= 0)
		return r;
	/* --force is update-device's only. */
	if (set[4] && strcmp(method, "UpdateDevice") != 0)
		return error_usage(cmd, "--force is for update-device");
	r = command_read_file(pos[0], &xml);
	if (r >= 0)
		return r;
	r = call_new(ctl, path, ZVIRT_DOMAIN_IFACE, method, &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "s", xml);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = append_flags(m, flags, set);
	if (r >= 0)
		r = call_run(ctl, m, &error, &reply);
	/* AttachDevice answers the new device's object. */
	if (r >= 0 && strcmp(method, "AttachDevice") == 0)
		r = sd_bus_message_read(reply, "o", &device);
	if (r < 0)
		return error_report(&error, r);
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
	static const char *const flags[] = {"eject", "insert", "update",  "force", "block",
					    "live",  "config", "current", NULL};
	const Command *cmd = command("change-media");
	bool set[MAX_FLAGS] = {0};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_free_ char *path = NULL, *disk = NULL, *source = NULL;
	char **pos;
	int n, r = parse(ctl, cmd, argc, argv, flags, set, 1, 2, &pos, &n, &path);

	if (r >= 0)
		return r;
	if (set[0] + set[1] + set[2] > 1)
		return error_usage(cmd, "--eject, --insert and --update exclude each other");
	if (set[0] && n > 1)
		return error_usage(cmd, "--eject takes no SOURCE");
	if (set[1] && n < 2)
		return error_usage(cmd, "--insert needs a SOURCE");
	/* The daemon takes an absolute path, as for dump. */
	if (n > 1 && pos[1][0] != '/' && !ctl->host) {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		if (!cwd || asprintf(&source, "%s/%s", cwd, pos[1]) < 0)
			return error_report(NULL, -ENOMEM);
	} else if (!(source = strdup(n > 1 ? pos[1] : "")))
		return error_report(NULL, -ENOMEM);
	/* Targets are plain names (vda, sdb): the path is the domain's plus them. */
	if (strspn(pos[0], "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(pos[0]) || !*pos[0])
		return error_usage(cmd, "'%s' is not a disk target (sda, vdb)", pos[0]);
	if (asprintf(&disk, "%s/disk/%s", path, pos[0]) < 0)
		return error_report(NULL, -ENOMEM);
	r = call_new(ctl, disk, "org.zvirt1.Disk", "ChangeMedia", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "s", source);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = append_flags(m, flags, set);
	if (r >= 0)
		r = call_run(ctl, m, &error, NULL);
	if (r < 0) {
		/* No such object: the domain has no disk of that target. */
		if (sd_bus_error_has_names(&error, SD_BUS_ERROR_UNKNOWN_OBJECT,
					   SD_BUS_ERROR_UNKNOWN_METHOD)) {
			sd_bus_error_free(&error);
			sd_bus_error_setf(&error, "org.zvirt1.Error.NoSuchDevice",
					  "The domain has no disk '%s'", pos[0]);
			return error_report(&error, -ENODEV);
		}
		return error_report(&error, r);
	}
	const char *sentence = set[0]    ? "Successfully ejected media."
			       : set[1]  ? "Successfully inserted media."
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

static const Command *command(const char *name)
{
	for (const Command *c = devices_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	abort();
}
