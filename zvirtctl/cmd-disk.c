/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The commands of one disk's object (<domain>/disk/<target>):
 * domblkstat (Disk.GetStats; of every disk, summed, without a target) and
 * detach-disk (Disk.Detach). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "dict-json.h"
#include "domain-call.h"
#include "domain-stats.h"
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

/* virsh's order; errs only when the daemon has it. */
static const char *const blkstat_keys[] = {"rd_req",         "rd_bytes",          "wr_req",
					   "wr_bytes",       "flush_operations",  "rd_total_times",
					   "wr_total_times", "flush_total_times", "errs"};

/* Disk.GetStats of the domain's disk `target` into *ret. -1, or the exit
 * code after printing why. */
static int disk_stats(Ctl *ctl, const DomainCall *dc, const char *target, json_object **ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *path = NULL;
	int r = disk_path(dc, target, &path);

	if (r >= 0)
		return r;
	r = domain_call_method(ctl, dc, path, DISK_IFACE, "GetStats", NULL, &error, &reply, NULL);
	if (r >= 0)
		r = dict_json_read(reply, ret);
	return r < 0 ? command_device_error(&error, r, "disk", target) : -1;
}

/* Without a target, virsh sums every disk's counters: the targets from
 * Domain.GetStats (block.<n>.name), each disk's counters from its object,
 * so an inactive domain fails as a disk of it does. */
static int all_disks_stats(Ctl *ctl, const DomainCall *dc, json_object **ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(json_object_putp) json_object *domain = NULL, *sum = NULL;
	int r = domain_stats_get(ctl, dc->info.path, &domain, &error);

	if (r < 0)
		return error_report(&error, r);
	if (!(sum = json_object_new_object()))
		return error_report(NULL, -ENOMEM);
	unsigned n = (unsigned)domain_stat_count(domain, "block.count");
	for (unsigned i = 0; i < n; i++) {
		const char *target = domain_stat_string(domain, "block", i, "name");
		if (!target)
			continue;
		_cleanup_(json_object_putp) json_object *stats = NULL;
		r = disk_stats(ctl, dc, target, &stats);
		if (r >= 0)
			return r;
		for (size_t k = 0; k < ELEMENTSOF(blkstat_keys); k++) {
			json_object *add, *have;
			if (!json_object_object_get_ex(stats, blkstat_keys[k], &add))
				continue;
			uint64_t total = (uint64_t)json_object_get_uint64(add);
			if (json_object_object_get_ex(sum, blkstat_keys[k], &have))
				total += (uint64_t)json_object_get_uint64(have);
			json_object_object_add(sum, blkstat_keys[k], json_object_new_uint64(total));
		}
	}
	*ret = TAKE_PTR(sum);
	return -1;
}

static int run_domblkstat(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = DOMAIN_CALL("domblkstat", .n_min = 0, .n_max = 1);
	_cleanup_(json_object_putp) json_object *stats = NULL;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	const char *target = dc.n_pos > 0 ? dc.pos[0] : NULL;
	r = target ? disk_stats(ctl, &dc, target, &stats) : all_disks_stats(ctl, &dc, &stats);
	if (r >= 0)
		return r;
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "device",
					       target ? json_object_new_string(target) : NULL);
			json_object_object_add(doc, "stats", TAKE_PTR(stats));
		}
		return command_print_json(doc);
	}
	/* The sum's lines start with an empty device name, as virsh's. */
	for (size_t i = 0; i < ELEMENTSOF(blkstat_keys); i++) {
		json_object *v;
		if (json_object_object_get_ex(stats, blkstat_keys[i], &v))
			printf("%s %s %s\n", target ? target : "", blkstat_keys[i],
			       json_object_get_string(v));
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
	{"domblkstat", run_domblkstat, "DOMAIN [TARGET]",
	 "a disk's I/O counters while the domain runs (TARGET: vda, sdb; none: all disks' summed)"},
	{"detach-disk", run_detach_disk, "DOMAIN TARGET [--live] [--config] [--current] [--persistent]",
	 "pull out a disk (or CD drive) by its target"},
	{},
};
