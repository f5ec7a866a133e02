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
#include "connection.h"
#include "domain-info.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

#define MAX_FLAGS 4

static const Command *command(const char *name);

/* The definitions a call names, as virsh's flags (--live --config --current). */
static const char *const scope_flags[] = {"live", "config", "current", NULL};

/* Parses DOMAIN, n_pos more positional arguments (in *ret_pos; with
 * n_pos < 0, up to -n_pos of them, their number in *ret_n) and the flags;
 * connects and reads the domain. -1 or the exit code. */
static int parse_n(Ctl *ctl, const Command *cmd, int argc, char **argv, const char *const *flags, bool *set,
		   int n_pos, char ***ret_pos, int *ret_n, DomainInfo *ret_info)
{
	struct option options[4 + MAX_FLAGS] = {COMMAND_COMMON_OPTIONS};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *path = NULL;
	CommandArgs args = {0};
	size_t n = 0;
	int c, r;

	for (; flags && flags[n]; n++)
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
	if (n_pos < 0) {
		int extra = argc - optind - (args.domain ? 0 : 1);
		n_pos = extra < 0 ? 0 : extra > -n_pos ? -n_pos : extra;
	}
	if (ret_n)
		*ret_n = n_pos;
	r = command_positional(cmd, &args, argc, argv, 1 + n_pos, ret_pos);
	if (r >= 0)
		return r;
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	r = command_domain_path(ctl, &args, &path);
	if (r >= 0)
		return r;
	r = domain_info_get(ctl, path, ret_info, &error);
	return r < 0 ? error_report(&error, r) : -1;
}

static int parse(Ctl *ctl, const Command *cmd, int argc, char **argv, const char *const *flags, bool *set,
		 int n_pos, char ***ret_pos, DomainInfo *ret_info)
{
	return parse_n(ctl, cmd, argc, argv, flags, set, n_pos, ret_pos, NULL, ret_info);
}

static int append_flags(sd_bus_message *m, const char *const *flags, const bool *set)
{
	int r = 0;
	for (size_t i = 0; r >= 0 && flags[i]; i++)
		if (set[i])
			r = call_option_bool(m, flags[i], true);
	return r;
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
	return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
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
	static const char *const flags[] = {"live", "config", "current", "maximum", NULL};
	const Command *cmd = command("setvcpus");
	bool set[MAX_FLAGS] = {0};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	uint64_t count;
	char **pos;
	int r = parse(ctl, cmd, argc, argv, flags, set, 1, &pos, &info);

	if (r >= 0)
		return r;
	r = parse_u64(pos[0], &count);
	if (r < 0 || pos[0][r] || count == 0 || count > UINT32_MAX)
		return error_usage(cmd, "'%s' is not a number of vCPUs", pos[0]);
	r = call_new(ctl, info.path, ZVIRT_DOMAIN_IFACE, "SetVcpus", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "u", (uint32_t)count);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = append_flags(m, flags, set);
	if (r >= 0)
		r = call_run(ctl, m, &error, NULL);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json)
		return print_domain_json(ctl, info.path);
	return ZVIRTCTL_EXIT_OK; /* virsh says nothing */
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
	static const char *const flags[] = {"maximum", "current", "config", "live", NULL};
	static const char *const keys[] = {"maximum-config", "maximum-live", "current-config",
					   "current-live"};
	const Command *cmd = command("vcpucount");
	bool set[MAX_FLAGS] = {0};
	_cleanup_(domain_info_done) DomainInfo info = {0};
	uint32_t counts[4];
	bool have[4] = {0};
	int r = parse(ctl, cmd, argc, argv, flags, set, 0, NULL, &info);

	if (r >= 0)
		return r;
	if ((set[0] && set[1]) || (set[2] && set[3]))
		return error_usage(cmd, "--maximum and --current, --config and --live exclude each other");
	bool active = strcmp(info.state, "shut-off") != 0;
	for (size_t i = 0; i < 4; i++) {
		bool maximum = i < 2, live = i % 2;
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

		if ((set[0] && !maximum) || (set[1] && maximum) || (set[2] && live) || (set[3] && !live))
			continue;
		/* A shut-off domain has no live definition (virsh leaves the rows out). */
		if (live && !active && !set[3])
			continue;
		r = vcpu_count(ctl, info.path, maximum, live, &counts[i], &error);
		if (r < 0)
			return error_report(&error, r);
		have[i] = true;
	}
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		for (size_t i = 0; doc && i < 4; i++)
			json_object_object_add(doc, keys[i],
					       have[i] ? json_object_new_int64(counts[i]) : NULL);
		return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
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

static int set_memory(Ctl *ctl, const char *name, bool maximum, int argc, char **argv)
{
	const Command *cmd = command(name);
	bool set[MAX_FLAGS] = {0};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	uint64_t bytes;
	char **pos;
	int r = parse(ctl, cmd, argc, argv, scope_flags, set, 1, &pos, &info);

	if (r >= 0)
		return r;
	if (parse_size(pos[0], &bytes) < 0 || bytes == 0)
		return error_usage(cmd, "'%s' is not a size (KiB, or with a unit: 512M, 2G)", pos[0]);
	r = call_new(ctl, info.path, ZVIRT_DOMAIN_IFACE, "SetMemory", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "t", bytes);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = append_flags(m, scope_flags, set);
	if (r >= 0 && maximum)
		r = call_option_bool(m, "maximum", true);
	if (r >= 0)
		r = call_run(ctl, m, &error, NULL);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json)
		return print_domain_json(ctl, info.path);
	return ZVIRTCTL_EXIT_OK;
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
	const Command *cmd = command("schedinfo");
	bool set[MAX_FLAGS] = {0};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	const char *assignment = NULL;
	uint64_t shares = 0, now = 0;
	char **pos;
	int n_pos;
	/* virsh: schedinfo DOMAIN [cpu_shares=N] (its --set form is not taken). */
	int r = parse_n(ctl, cmd, argc, argv, scope_flags, set, -1, &pos, &n_pos, &info);

	if (r >= 0)
		return r;
	if (n_pos > 0) {
		assignment = pos[0];
		if (strncmp(assignment, "cpu_shares=", 11) != 0)
			return error_usage(cmd, "'%s': the parameter is cpu_shares=N", assignment);
		r = parse_u64(assignment + 11, &shares);
		if (r < 0 || assignment[11 + r])
			return error_usage(cmd, "'%s' is not a number", assignment + 11);
		r = call_new(ctl, info.path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters", &m);
		if (r >= 0)
			r = sd_bus_message_append(m, "a{sv}", 1, "cpu_shares", "t", shares);
		if (r >= 0)
			r = call_options_open(m);
		if (r >= 0)
			r = append_flags(m, scope_flags, set);
		if (r >= 0)
			r = call_run(ctl, m, &error, NULL);
		if (r < 0)
			return error_report(&error, r);
		m = sd_bus_message_unref(m);
	}
	r = call_new(ctl, info.path, ZVIRT_DOMAIN_IFACE, "GetSchedulerParameters", &m);
	if (r >= 0)
		r = call_options_open(m);
	/* What was set is what is shown: the same definition. */
	if (r >= 0)
		r = append_flags(m, scope_flags, set);
	if (r >= 0)
		r = call_run(ctl, m, &error, &reply);
	if (r >= 0)
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
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "scheduler", json_object_new_string("posix"));
			json_object_object_add(doc, "cpu_shares", json_object_new_uint64(now));
		}
		return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
	}
	printf("%-15s: %s\n%-15s: %" PRIu64 "\n\n", "Scheduler", "posix", "cpu_shares", now);
	return ZVIRTCTL_EXIT_OK;
}

/* ---- I/O threads ---- */

static int iothread_change(Ctl *ctl, const char *name, const char *method, int argc, char **argv)
{
	const Command *cmd = command(name);
	bool set[MAX_FLAGS] = {0};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	uint64_t id;
	char **pos;
	int r = parse(ctl, cmd, argc, argv, scope_flags, set, 1, &pos, &info);

	if (r >= 0)
		return r;
	r = parse_u64(pos[0], &id);
	if (r < 0 || pos[0][r] || id == 0 || id > UINT32_MAX)
		return error_usage(cmd, "'%s' is not an I/O thread id", pos[0]);
	r = call_new(ctl, info.path, ZVIRT_DOMAIN_IFACE, method, &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "u", (uint32_t)id);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = append_flags(m, scope_flags, set);
	if (r >= 0)
		r = call_run(ctl, m, &error, NULL);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json)
		return print_domain_json(ctl, info.path);
	return ZVIRTCTL_EXIT_OK; /* virsh says nothing */
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
	const Command *cmd = command("iothreadinfo");
	bool set[MAX_FLAGS] = {0};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	_cleanup_(json_object_putp) json_object *arr = json_object_new_array();
	_cleanup_(table_freep) Table *t = table_new(2, header);
	int r = parse(ctl, cmd, argc, argv, scope_flags, set, 0, NULL, &info);

	if (r >= 0)
		return r;
	if (!arr || !t)
		return error_report(NULL, -ENOMEM);
	r = call_new(ctl, info.path, ZVIRT_DOMAIN_IFACE, "GetIOThreads", &m);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = append_flags(m, scope_flags, set);
	if (r >= 0)
		r = call_run(ctl, m, &error, &reply);
	if (r >= 0)
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
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "iothreads", TAKE_PTR(arr));
		return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
	}
	table_print(t);
	putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

/* ---- domrename ---- */

static int run_domrename(Ctl *ctl, int argc, char **argv)
{
	const Command *cmd = command("domrename");
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	char **pos;
	int r = parse(ctl, cmd, argc, argv, NULL, NULL, 1, &pos, &info);

	if (r >= 0)
		return r;
	r = call_new(ctl, info.path, ZVIRT_DOMAIN_IFACE, "Rename", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "s", pos[0]);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = call_run(ctl, m, &error, NULL);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json)
		return print_domain_json(ctl, info.path);
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

static const Command *command(const char *name)
{
	for (const Command *c = resources_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	abort();
}
