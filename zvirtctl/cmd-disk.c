/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The commands of one disk's object (<domain>/disk/<target>):
 * domblkstat (Disk.GetStats) and detach-disk (Disk.Detach). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "dict-json.h"
#include "domain-call.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

#define DISK_IFACE "org.zvirt1.Disk"

#define DOMAIN_CALL(name, ...)                                                           \
	{                                                                                \
		.cmd = command_find(disk_commands, name), .path_only = true, __VA_ARGS__ \
	}

/* The disk object of target: -1 and its path, or the exit code. */
static int disk_path(const DomainCall *dc, const char *target, char **ret)
{
	/* Targets are plain names (vda, sdb): the path is the domain's plus them. */
	if (!*target || strspn(target, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(target))
		return error_usage(dc->cmd, "'%s' is not a disk target (sda, vdb)", target);
	return asprintf(ret, "%s/disk/%s", dc->info.path, target) < 0 ? error_report(NULL, -ENOMEM) : -1;
}

static int run_domblkstat(Ctl *ctl, int argc, char **argv)
{
	/* virsh's order; errs only when the daemon has it. */
	static const char *const keys[] = {"rd_req",         "rd_bytes",          "wr_req",
					   "wr_bytes",       "flush_operations",  "rd_total_times",
					   "wr_total_times", "flush_total_times", "errs"};
	_cleanup_(domain_call_done) DomainCall dc = DOMAIN_CALL("domblkstat", .n_min = 1, .n_max = 1);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *stats = NULL;
	_cleanup_free_ char *path = NULL;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = disk_path(&dc, dc.pos[0], &path);
	if (r >= 0)
		return r;
	r = domain_call_method(ctl, &dc, path, DISK_IFACE, "GetStats", NULL, &error, &reply, NULL);
	if (r >= 0)
		r = dict_json_read(reply, &stats);
	if (r < 0)
		return command_device_error(&error, r, "disk", dc.pos[0]);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "device", json_object_new_string(dc.pos[0]));
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

static int run_detach_disk(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {
		{"live", "live", 'b'},
		{"config", "config", 'b'},
		{"current", "current", 'b'},
		{"persistent", "persistent", 'b'},
		{},
	};
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL("detach-disk", .flags = flags, .n_min = 1, .n_max = 1);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *path = NULL;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = disk_path(&dc, dc.pos[0], &path);
	if (r >= 0)
		return r;
	r = domain_call_method(ctl, &dc, path, DISK_IFACE, "Detach", NULL, &error, NULL, NULL);
	if (r < 0)
		return command_device_error(&error, r, "disk", dc.pos[0]);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "device", json_object_new_string(path));
		return command_print_json(doc);
	}
	printf("Disk detached successfully\n\n");
	return ZVIRTCTL_EXIT_OK;
}

const Command disk_commands[] = {
	{"domblkstat", run_domblkstat, "DOMAIN TARGET",
	 "a disk's I/O counters while the domain runs (TARGET: vda, sdb)"},
	{"detach-disk", run_detach_disk, "DOMAIN TARGET [--live] [--config] [--current] [--persistent]",
	 "pull out a disk (or CD drive) by its target"},
	{},
};
