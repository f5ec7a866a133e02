/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The commands of a domain's resources: setvcpus, vcpucount, setmem,
 * setmaxmem, schedinfo; and domrename. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "call.h"
#include "command.h"
#include "domain-call.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

/* The definitions a call names, as virsh's flags (--live --config --current). */
#define SCOPE_FLAGS                                       \
	{"live", "live", 'b'}, {"config", "config", 'b'}, \
	{                                                 \
		"current", "current", 'b'                 \
	}
static const CommandFlag scope_flags[] = {SCOPE_FLAGS, {}};

#define DOMAIN_CALL(name, ...)                                             \
	{                                                                  \
		.cmd = command_find(resources_commands, name), __VA_ARGS__ \
	}

static int print_domain_json(Ctl *ctl, const char *path)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_info_done) DomainInfo now = {0};
	int r = domain_info_get(ctl, path, &now, &error);

	if (r < 0)
		return error_report(&error, r);
	json_object *doc = domain_info_json(&now);
	if (doc) {
		json_object_object_add(doc, "vcpus", json_object_new_int64(now.vcpus));
		json_object_object_add(doc, "max-vcpus", json_object_new_int64(now.max_vcpus));
		json_object_object_add(doc, "memory", json_object_new_uint64(now.memory));
		json_object_object_add(doc, "max-memory", json_object_new_uint64(now.max_memory));
	}
	return command_print_json(doc);
}

/* After a change: virsh says nothing; --json the domain now. */
static int print_changed(Ctl *ctl, const DomainCall *dc)
{
	return ctl->json ? print_domain_json(ctl, dc->info.path) : ZVIRTCTL_EXIT_OK;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	if (!*s || strspn(s, "0123456789") == 0)
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	*ret = v;
	return (int)(end - s);
}

/* virsh's sizes: a number in KiB, or with a unit (B, K/KiB, M/MiB, G/GiB, T/TiB). */
static int parse_size(const char *s, uint64_t *ret_bytes)
{
	static const struct {
		const char *unit;
		unsigned shift;
	} units[] = {
		{"", 10},    {"b", 0},  {"k", 10},   {"kib", 10}, {"m", 20},
		{"mib", 20}, {"g", 30}, {"gib", 30}, {"t", 40},   {"tib", 40},
	};
	uint64_t v;
	int n = parse_u64(s, &v);

	if (n < 0)
		return n;
	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		if (strcasecmp(s + n, units[i].unit) == 0) {
			if (v > (UINT64_MAX >> units[i].shift))
				return -ERANGE;
			*ret_bytes = v << units[i].shift;
			return 0;
		}
	return -EINVAL;
}

/* ---- vCPUs ---- */

static int run_setvcpus(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {SCOPE_FLAGS, {"maximum", "maximum", 'b'}, {}};
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL("setvcpus", .flags = flags, .n_min = 1, .n_max = 1);
	uint64_t count;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = parse_u64(dc.pos[0], &count);
	if (r < 0 || dc.pos[0][r] || count == 0 || count > UINT32_MAX)
		return error_usage(dc.cmd, "'%s' is not a number of vCPUs", dc.pos[0]);
	r = domain_call(ctl, &dc, "SetVcpus", NULL, "u", (uint32_t)count);
	return r >= 0 ? r : print_changed(ctl, &dc);
}

/* GetVcpuCount of one definition; -ENODATA when it has none (live of a shut-off domain). */
static int vcpu_count(Ctl *ctl, const char *path, bool maximum, bool live, uint32_t *ret,
		      sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	int r = call_new(ctl, path, ZVIRT_DOMAIN_IFACE, "GetVcpuCount", &m);

	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0 && maximum)
		r = call_option_bool(m, "maximum", true);
	if (r >= 0)
		r = call_option_bool(m, live ? "live" : "config", true);
	if (r >= 0)
		r = call_run(ctl, m, error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "u", ret);
	return r;
}

static int run_vcpucount(Ctl *ctl, int argc, char **argv)
{
	/* Which counts to show: not the method's options, each call names one. */
	static const CommandFlag flags[] = {{"maximum", NULL, 'b'},
					    {"current", NULL, 'b'},
					    {"config", NULL, 'b'},
					    {"live", NULL, 'b'},
					    {}};
	static const char *const keys[] = {"maximum-config", "maximum-live", "current-config",
					   "current-live"};
	_cleanup_(domain_call_done) DomainCall dc = DOMAIN_CALL("vcpucount", .flags = flags);
	uint32_t counts[4];
	bool have[4] = {0}, set[4];
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	for (size_t i = 0; i < 4; i++)
		set[i] = dc.values[i] != NULL;
	if ((set[0] && set[1]) || (set[2] && set[3]))
		return error_usage(dc.cmd,
				   "--maximum and --current, --config and --live exclude each other");
	bool active = strcmp(dc.info.state, "shut-off") != 0;
	for (size_t i = 0; i < 4; i++) {
		bool maximum = i < 2, live = i % 2;
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

		if ((set[0] && !maximum) || (set[1] && maximum) || (set[2] && live) || (set[3] && !live))
			continue;
		/* A shut-off domain has no live definition (virsh leaves the rows out). */
		if (live && !active && !set[3])
			continue;
		r = vcpu_count(ctl, dc.info.path, maximum, live, &counts[i], &error);
		if (r < 0)
			return error_report(&error, r);
		have[i] = true;
	}
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		for (size_t i = 0; doc && i < 4; i++)
			json_object_object_add(doc, keys[i],
					       have[i] ? json_object_new_int64(counts[i]) : NULL);
		return command_print_json(doc);
	}
	size_t n = 0, only = 0;
	for (size_t i = 0; i < 4; i++)
		if (have[i])
			n++, only = i;
	if (n == 1 && (set[0] || set[1]) && (set[2] || set[3])) {
		printf("%" PRIu32 "\n\n", counts[only]);
		return ZVIRTCTL_EXIT_OK;
	}
	for (size_t i = 0; i < 4; i++)
		if (have[i])
			printf("%-12s %-12s %3" PRIu32 "\n", i < 2 ? "maximum" : "current",
			       i % 2 ? "live" : "config", counts[i]);
	putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

/* ---- memory ---- */

static int option_maximum(sd_bus_message *m, const DomainCall *dc)
{
	return call_option_bool(m, "maximum", true);
}

static int set_memory(Ctl *ctl, const char *name, bool maximum, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL(name, .flags = scope_flags, .n_min = 1, .n_max = 1);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	uint64_t bytes;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	if (parse_size(dc.pos[0], &bytes) < 0 || bytes == 0)
		return error_usage(dc.cmd, "'%s' is not a size (KiB, or with a unit: 512M, 2G)", dc.pos[0]);
	r = domain_call_method(ctl, &dc, NULL, NULL, "SetMemory", maximum ? option_maximum : NULL, &error,
			       NULL, "t", bytes);
	return r < 0 ? error_report(&error, r) : print_changed(ctl, &dc);
}

static int run_setmem(Ctl *ctl, int argc, char **argv)
{
	return set_memory(ctl, "setmem", false, argc, argv);
}

static int run_setmaxmem(Ctl *ctl, int argc, char **argv)
{
	return set_memory(ctl, "setmaxmem", true, argc, argv);
}

/* ---- schedinfo ---- */

static int run_schedinfo(Ctl *ctl, int argc, char **argv)
{
	/* virsh: schedinfo DOMAIN [cpu_shares=N] (its --set form is not taken). */
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL("schedinfo", .flags = scope_flags, .n_max = 1);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint64_t shares = 0, now = 0;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	if (dc.n_pos > 0) {
		const char *assignment = dc.pos[0];
		if (strncmp(assignment, "cpu_shares=", 11) != 0)
			return error_usage(dc.cmd, "'%s': the parameter is cpu_shares=N", assignment);
		r = parse_u64(assignment + 11, &shares);
		if (r < 0 || assignment[11 + r])
			return error_usage(dc.cmd, "'%s' is not a number", assignment + 11);
		r = domain_call(ctl, &dc, "SetSchedulerParameters", NULL, "a{sv}", 1, "cpu_shares", "t",
				shares);
		if (r >= 0)
			return r;
	}
	/* What was set is what is shown: the same definition. */
	r = domain_call(ctl, &dc, "GetSchedulerParameters", &reply, NULL);
	if (r >= 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key;
		r = sd_bus_message_read(reply, "s", &key);
		if (r >= 0 && strcmp(key, "cpu_shares") == 0)
			r = sd_bus_message_read(reply, "v", "t", &now);
		else if (r >= 0)
			r = sd_bus_message_skip(reply, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	if (r < 0)
		return error_report(NULL, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "scheduler", json_object_new_string("posix"));
			json_object_object_add(doc, "cpu_shares", json_object_new_uint64(now));
		}
		return command_print_json(doc);
	}
	printf("%-15s: %s\n%-15s: %" PRIu64 "\n\n", "Scheduler", "posix", "cpu_shares", now);
	return ZVIRTCTL_EXIT_OK;
}

/* ---- I/O threads ---- */

static int iothread_change(Ctl *ctl, const char *name, const char *method, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL(name, .flags = scope_flags, .n_min = 1, .n_max = 1);
	uint64_t id;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = parse_u64(dc.pos[0], &id);
	if (r < 0 || dc.pos[0][r] || id == 0 || id > UINT32_MAX)
		return error_usage(dc.cmd, "'%s' is not an I/O thread id", dc.pos[0]);
	r = domain_call(ctl, &dc, method, NULL, "u", (uint32_t)id);
	return r >= 0 ? r : print_changed(ctl, &dc);
}

static int run_iothreadadd(Ctl *ctl, int argc, char **argv)
{
	return iothread_change(ctl, "iothreadadd", "AddIOThread", argc, argv);
}

static int run_iothreaddel(Ctl *ctl, int argc, char **argv)
{
	return iothread_change(ctl, "iothreaddel", "DeleteIOThread", argc, argv);
}

static int run_iothreadinfo(Ctl *ctl, int argc, char **argv)
{
	static const char *const header[] = {"IOThread ID", "CPU Affinity"};
	_cleanup_(domain_call_done) DomainCall dc = DOMAIN_CALL("iothreadinfo", .flags = scope_flags);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *arr = json_object_new_array();
	_cleanup_(table_freep) Table *t = table_new(2, header);
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	if (!arr || !t)
		return error_report(NULL, -ENOMEM);
	r = domain_call(ctl, &dc, "GetIOThreads", &reply, NULL);
	if (r >= 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "(uas)");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "uas")) > 0) {
		_cleanup_strv_free_ char **cpus = NULL;
		_cleanup_free_ char *joined = NULL;
		uint32_t id;
		char idtext[16];
		size_t len = 1;

		r = sd_bus_message_read(reply, "u", &id);
		if (r >= 0)
			r = sd_bus_message_read_strv(reply, &cpus);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		if (r < 0)
			break;
		for (char **c = cpus; c && *c; c++)
			len += strlen(*c) + 1;
		joined = calloc(1, len);
		if (!joined)
			return error_report(NULL, -ENOMEM);
		json_object *list = json_object_new_array();
		for (char **c = cpus; c && *c; c++) {
			if (c != cpus)
				strcat(joined, ",");
			strcat(joined, *c);
			json_object_array_add(list, json_object_new_string(*c));
		}
		json_object *o = json_object_new_object();
		if (o) {
			json_object_object_add(o, "id", json_object_new_int64(id));
			json_object_object_add(o, "cpus", list);
			json_object_array_add(arr, o);
		} else
			json_object_put(list);
		snprintf(idtext, sizeof(idtext), "%" PRIu32, id);
		const char *cells[] = {idtext, joined};
		if (table_add_row(t, cells) < 0)
			return error_report(NULL, -ENOMEM);
	}
	if (r < 0)
		return error_report(NULL, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "iothreads", TAKE_PTR(arr));
		return command_print_json(doc);
	}
	return command_print_table(t);
}

/* ---- domrename ---- */

static int run_domrename(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = DOMAIN_CALL("domrename", .n_min = 1, .n_max = 1);
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = domain_call(ctl, &dc, "Rename", NULL, "s", dc.pos[0]);
	if (r >= 0)
		return r;
	if (ctl->json)
		return print_domain_json(ctl, dc.info.path);
	printf("Domain successfully renamed\n\n");
	return ZVIRTCTL_EXIT_OK;
}

const Command resources_commands[] = {
	{"setvcpus", run_setvcpus, "DOMAIN COUNT [--live] [--config] [--current] [--maximum]",
	 "set the vCPUs (live: hot-plug, more only; --maximum: the definition's maximum)"},
	{"vcpucount", run_vcpucount, "DOMAIN [--maximum | --current] [--config | --live]",
	 "the vCPU counts of the definitions"},
	{"setmem", run_setmem, "DOMAIN SIZE [--live] [--config] [--current]",
	 "set the current memory (KiB, or 512M, 2G; live: the balloon's target)"},
	{"setmaxmem", run_setmaxmem, "DOMAIN SIZE [--config] [--current]",
	 "set the maximum memory of the definition"},
	{"schedinfo", run_schedinfo, "DOMAIN [cpu_shares=N] [--live] [--config] [--current]",
	 "show (or set) the CPU weight"},
	{"iothreadadd", run_iothreadadd, "DOMAIN ID [--live] [--config] [--current]", "add an I/O thread"},
	{"iothreaddel", run_iothreaddel, "DOMAIN ID [--live] [--config] [--current]",
	 "remove an I/O thread"},
	{"iothreadinfo", run_iothreadinfo, "DOMAIN [--live] [--config] [--current]",
	 "the I/O threads and the host CPUs they may run on"},
	{"domrename", run_domrename, "DOMAIN NEW-NAME", "rename a shut-off persistent domain"},
	{},
};
