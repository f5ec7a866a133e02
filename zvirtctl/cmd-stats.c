/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The commands of Domain.GetStats: domstats, domblklist, domiflist. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "domain-call.h"
#include "domain-stats.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

/* Parses DOMAIN, connects, reads name and statistics. -1 or the exit code. */
static int domain_stats(Ctl *ctl, const char *name, int argc, char **argv, DomainCall *dc,
			json_object **ret_stats)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	dc->cmd = command_find(stats_commands, name);
	r = domain_call_parse(ctl, dc, argc, argv);
	if (r >= 0)
		return r;
	r = domain_stats_get(ctl, dc->info.path, ret_stats, &error);
	return r < 0 ? error_report(&error, r) : -1;
}

static int run_domstats(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = {0};
	_cleanup_(json_object_putp) json_object *stats = NULL;
	int r = domain_stats(ctl, "domstats", argc, argv, &dc, &stats);

	if (r >= 0)
		return r;
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "name", json_object_new_string(dc.info.name));
			json_object_object_add(doc, "stats", TAKE_PTR(stats));
		}
		return command_print_json(doc);
	}
	/* virsh's layout, in the daemon's order; sizes are bytes (virsh: KiB). */
	printf("Domain: '%s'\n", dc.info.name);
	json_object_object_foreach(stats, key, value)
		printf("  %s=%s\n", key, json_object_get_string(value));
	putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

static int run_domblklist(Ctl *ctl, int argc, char **argv)
{
	static const char *const header[] = {"Target", "Source"};
	_cleanup_(domain_call_done) DomainCall dc = {0};
	_cleanup_(json_object_putp) json_object *stats = NULL;
	int r = domain_stats(ctl, "domblklist", argc, argv, &dc, &stats);

	if (r >= 0)
		return r;
	unsigned n = (unsigned)domain_stat_count(stats, "block.count");
	if (ctl->json) {
		json_object *doc = json_object_new_object(), *arr = json_object_new_array();
		for (unsigned i = 0; arr && i < n; i++) {
			json_object *d = json_object_new_object();
			if (!d)
				break;
			json_object_object_add(
				d, "target",
				output_json_string(domain_stat_string(stats, "block", i, "name")));
			json_object_object_add(
				d, "source",
				output_json_string(domain_stat_string(stats, "block", i, "path")));
			json_object_array_add(arr, d);
		}
		if (doc && arr)
			json_object_object_add(doc, "disks", arr);
		else
			json_object_put(arr);
		return command_print_json(doc);
	}
	_cleanup_(table_freep) Table *t = table_new(2, header);
	for (unsigned i = 0; t && i < n; i++) {
		const char *path = domain_stat_string(stats, "block", i, "path");
		const char *cells[] = {domain_stat_string(stats, "block", i, "name"), path ? path : "-"};
		if (table_add_row(t, cells) < 0)
			return error_report(NULL, -ENOMEM);
	}
	return command_print_table(t);
}

static int run_domiflist(Ctl *ctl, int argc, char **argv)
{
	static const char *const header[] = {"Interface", "Type", "Source", "Model", "MAC"};
	static const char *const fields[] = {"name", "type", "source", "model", "mac"};
	_cleanup_(domain_call_done) DomainCall dc = {0};
	_cleanup_(json_object_putp) json_object *stats = NULL;
	int r = domain_stats(ctl, "domiflist", argc, argv, &dc, &stats);

	if (r >= 0)
		return r;
	unsigned n = (unsigned)domain_stat_count(stats, "net.count");
	if (ctl->json) {
		static const char *const keys[] = {"interface", "type", "source", "model", "mac"};
		json_object *doc = json_object_new_object(), *arr = json_object_new_array();
		for (unsigned i = 0; arr && i < n; i++) {
			json_object *d = json_object_new_object();
			if (!d)
				break;
			for (size_t f = 0; f < ELEMENTSOF(fields); f++)
				json_object_object_add(
					d, keys[f],
					output_json_string(domain_stat_string(stats, "net", i, fields[f])));
			json_object_array_add(arr, d);
		}
		if (doc && arr)
			json_object_object_add(doc, "interfaces", arr);
		else
			json_object_put(arr);
		return command_print_json(doc);
	}
	_cleanup_(table_freep) Table *t = table_new(ELEMENTSOF(header), header);
	for (unsigned i = 0; t && i < n; i++) {
		const char *cells[ELEMENTSOF(fields)];
		for (size_t f = 0; f < ELEMENTSOF(fields); f++) {
			const char *v = domain_stat_string(stats, "net", i, fields[f]);
			cells[f] = v ? v : "-";
		}
		if (table_add_row(t, cells) < 0)
			return error_report(NULL, -ENOMEM);
	}
	return command_print_table(t);
}

/* domblkinfo DOMAIN TARGET: the sizes of block.<n> (in every state,
 * where Disk.GetStats has them only while the domain runs). */
static int run_domblkinfo(Ctl *ctl, int argc, char **argv)
{
	static const char *const fields[] = {"capacity", "allocation", "physical"};
	static const char *const labels[] = {"Capacity:", "Allocation:", "Physical:"};
	_cleanup_(domain_call_done) DomainCall dc = {.n_min = 1, .n_max = 1};
	_cleanup_(json_object_putp) json_object *stats = NULL;
	int r = domain_stats(ctl, "domblkinfo", argc, argv, &dc, &stats);

	if (r >= 0)
		return r;
	const char *target = dc.pos[0];
	unsigned n = (unsigned)domain_stat_count(stats, "block.count"), i;
	for (i = 0; i < n; i++) {
		const char *name = domain_stat_string(stats, "block", i, "name");
		if (name && strcmp(name, target) == 0)
			break;
	}
	if (i == n) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		sd_bus_error_setf(&error, "org.zvirt1.Error.NoSuchDevice", "The domain has no disk '%s'",
				  target);
		return error_report(&error, -ENODEV);
	}
	/* An empty drive has no sizes: 0, as virsh shows it. */
	uint64_t values[ELEMENTSOF(fields)];
	for (size_t f = 0; f < ELEMENTSOF(fields); f++) {
		const char *v = domain_stat_string(stats, "block", i, fields[f]);
		values[f] = v ? strtoull(v, NULL, 10) : 0;
	}
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "device", json_object_new_string(target));
			for (size_t f = 0; f < ELEMENTSOF(fields); f++)
				json_object_object_add(doc, fields[f], json_object_new_uint64(values[f]));
		}
		return command_print_json(doc);
	}
	for (size_t f = 0; f < ELEMENTSOF(fields); f++)
		output_field(labels[f], "%" PRIu64, values[f]);
	putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

const Command stats_commands[] = {
	{"domstats", run_domstats, "DOMAIN",
	 "the domain's statistics, libvirt's domstats keys (sizes in bytes)"},
	{"domblklist", run_domblklist, "DOMAIN", "the domain's disks: target and source"},
	{"domiflist", run_domiflist, "DOMAIN", "the domain's network interfaces"},
	{"domblkinfo", run_domblkinfo, "DOMAIN TARGET",
	 "a disk's sizes: capacity, allocation, physical (bytes)"},
	{},
};
