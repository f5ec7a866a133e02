/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The commands of long work: managedsave (a Job, waited for),
 * managedsave-remove, domjobinfo, domjobabort. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "command.h"
#include "connection.h"
#include "domain-info.h"
#include "errors.h"
#include "job.h"
#include "output.h"
#include "util/cleanup.h"

#define MAX_FLAGS 4

static const Command *command(const char *name);

/* Parses DOMAIN and the flags (long options, set[i] for each), connects
 * and reads the domain. -1 or the exit code. */
static int parse_domain(Ctl *ctl, const Command *cmd, int argc, char **argv, const char *const *flags,
			bool *set, DomainInfo *ret_info)
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
	r = command_positional(cmd, &args, argc, argv, 1, NULL);
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

/* The domain's properties after a call, as --json gives them. */
static int print_domain_json(Ctl *ctl, const DomainInfo *before)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_info_done) DomainInfo after = {0};
	int r = domain_info_get(ctl, before->path, &after, &error);

	if (r < 0)
		return error_report(&error, r);
	return output_json(domain_info_json(&after), true) < 0 ? error_report(NULL, -ENOMEM)
							       : ZVIRTCTL_EXIT_OK;
}

static int run_managedsave(Ctl *ctl, int argc, char **argv)
{
	static const char *const flags[] = {"running", "paused", "bypass-cache", "verbose", NULL};
	const Command *cmd = command("managedsave");
	bool set[MAX_FLAGS] = {0};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	_cleanup_(job_watch_done) JobWatch watch = {0};
	const char *job;
	int r = parse_domain(ctl, cmd, argc, argv, flags, set, &info);

	if (r >= 0)
		return r;
	r = job_watch_begin(ctl, &watch, &error);
	if (r >= 0)
		r = call_new(ctl, info.path, ZVIRT_DOMAIN_IFACE, "ManagedSave", &m);
	if (r >= 0)
		r = call_options_open(m);
	for (size_t i = 0; r >= 0 && i < 3; i++)
		if (set[i])
			r = call_option_bool(m, flags[i], true);
	if (r >= 0)
		r = call_run(ctl, m, &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &job);
	if (r < 0)
		return error_report(&error, r);
	r = job_wait(ctl, &watch, job, "managed save", set[3]);
	if (r != ZVIRTCTL_EXIT_OK)
		return r;
	if (ctl->json)
		return print_domain_json(ctl, &info);
	printf("Domain '%s' state saved\n\n", info.name);
	return ZVIRTCTL_EXIT_OK;
}

/* dump DOMAIN FILE: CoreDump's job, waited for as managedsave's. */
static int run_dump(Ctl *ctl, int argc, char **argv)
{
	enum { O_FORMAT = OPT_FIRST_OWN + 16 };
	static const char *const flags[] = {"memory-only", "crash", "reset", "verbose", "live", NULL};
	const Command *cmd = command("dump");
	struct option options[4 + 6] = {COMMAND_COMMON_OPTIONS};
	bool set[6] = {0};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	_cleanup_(job_watch_done) JobWatch watch = {0};
	_cleanup_free_ char *path = NULL, *file = NULL;
	CommandArgs args = {0};
	const char *format = NULL, *job;
	char **pos;
	size_t n = 0;
	int c, r;

	for (; flags[n]; n++)
		options[3 + n] = (struct option){flags[n], no_argument, NULL, OPT_FIRST_OWN + (int)n};
	options[3 + n] = (struct option){"format", required_argument, NULL, O_FORMAT};
	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		if (c >= OPT_FIRST_OWN && c < OPT_FIRST_OWN + (int)n) {
			set[c - OPT_FIRST_OWN] = true;
			continue;
		}
		if (c == O_FORMAT) {
			format = optarg;
			continue;
		}
		r = command_common_option(ctl, cmd, &args, argv, c);
		if (r >= 0)
			return r;
	}
	r = command_positional(cmd, &args, argc, argv, 2, &pos);
	if (r >= 0)
		return r;
	/* The daemon takes an absolute path; a relative one is the caller's
	 * directory's, as for virsh (on this host: -H names another). */
	if (pos[0][0] != '/' && !ctl->host) {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		if (!cwd || asprintf(&file, "%s/%s", cwd, pos[0]) < 0)
			return error_report(NULL, -ENOMEM);
	} else if (!(file = strdup(pos[0])))
		return error_report(NULL, -ENOMEM);
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	r = command_domain_path(ctl, &args, &path);
	if (r >= 0)
		return r;
	r = domain_info_get(ctl, path, &info, &error);
	if (r >= 0)
		r = job_watch_begin(ctl, &watch, &error);
	if (r >= 0)
		r = call_new(ctl, path, ZVIRT_DOMAIN_IFACE, "CoreDump", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "s", file);
	if (r >= 0)
		r = call_options_open(m);
	/* memory-only, crash, reset, live: the method's keys ("verbose" is ours). */
	for (size_t i = 0; r >= 0 && flags[i]; i++)
		if (set[i] && strcmp(flags[i], "verbose") != 0)
			r = call_option_bool(m, flags[i], true);
	if (r >= 0 && format)
		r = call_option_string(m, "format", format);
	if (r >= 0)
		r = call_run(ctl, m, &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &job);
	if (r < 0)
		return error_report(&error, r);
	r = job_wait(ctl, &watch, job, "dump", set[3]);
	if (r != ZVIRTCTL_EXIT_OK)
		return r;
	if (ctl->json) {
		r = print_domain_json(ctl, &info);
		return r;
	}
	printf("Domain '%s' dumped to %s\n\n", info.name, file);
	return ZVIRTCTL_EXIT_OK;
}

static int run_managedsave_remove(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	int r = parse_domain(ctl, command("managedsave-remove"), argc, argv, NULL, NULL, &info);

	if (r >= 0)
		return r;
	r = call_simple(ctl, info.path, ZVIRT_DOMAIN_IFACE, "ManagedSaveRemove", &error, NULL);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json)
		return print_domain_json(ctl, &info);
	printf("Removed managedsave image for domain '%s'\n\n", info.name);
	return ZVIRTCTL_EXIT_OK;
}

static int run_domjobinfo(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	_cleanup_(job_info_done) JobInfo job = {0};
	_cleanup_free_ char *path = NULL;
	int r = parse_domain(ctl, command("domjobinfo"), argc, argv, NULL, NULL, &info);

	if (r >= 0)
		return r;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *p;
	r = sd_bus_get_property(ctl->bus, ZVIRT_BUS_NAME, info.path, ZVIRT_DOMAIN_IFACE, "Job", &error,
				&reply, "o");
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &p);
	if (r >= 0 && !(path = strdup(p)))
		r = -ENOMEM;
	bool none = r >= 0 && strcmp(path, "/") == 0;
	if (r >= 0 && !none)
		r = job_info_get(ctl, path, &job, &error);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "job", none ? NULL : job_info_json(&job));
		return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
	}
	if (none) {
		printf("%-17s %s\n\n", "Job type:", "None");
		return ZVIRTCTL_EXIT_OK;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t now_usec = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
	printf("%-17s %s\n", "Job type:", job.type);
	printf("%-17s %s\n", "State:", job.state);
	if (job.phase && *job.phase)
		printf("%-17s %s\n", "Phase:", job.phase);
	if (job.started_usec && now_usec > job.started_usec)
		printf("%-17s %-12" PRIu64 " ms\n", "Time elapsed:", (now_usec - job.started_usec) / 1000);
	printf("%-17s %.3f MiB\n", "Data processed:", (double)job.processed / (1024 * 1024));
	printf("%-17s %.3f MiB\n", "Data remaining:", (double)job.remaining / (1024 * 1024));
	printf("%-17s %.3f MiB\n", "Data total:", (double)job.total / (1024 * 1024));
	printf("%-17s %" PRIu64 " MiB/s\n", "Speed:", job.speed_mibps);
	if (job.error && *job.error)
		printf("%-17s %s\n", "Error:", job.error);
	putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

static int run_domjobabort(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	int r = parse_domain(ctl, command("domjobabort"), argc, argv, NULL, NULL, &info);

	if (r >= 0)
		return r;
	r = call_simple(ctl, info.path, ZVIRT_DOMAIN_IFACE, "AbortJob", &error, NULL);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json)
		return print_domain_json(ctl, &info);
	printf("Job of domain '%s' aborted\n\n", info.name);
	return ZVIRTCTL_EXIT_OK;
}

const Command job_commands[] = {
	{"managedsave", run_managedsave, "DOMAIN [--running | --paused] [--bypass-cache] [--verbose]",
	 "save a running domain's state and stop it; start restores it (Ctrl-C cancels)"},
	{"managedsave-remove", run_managedsave_remove, "DOMAIN", "remove a domain's managed-save image"},
	{"dump", run_dump,
	 "DOMAIN FILE [--memory-only] [--crash | --reset] [--format elf|kdump-zlib|kdump-lzo|kdump-snappy] "
	 "[--verbose]",
	 "write the guest's memory into FILE (a new file)"},
	{"domjobinfo", run_domjobinfo, "DOMAIN", "the domain's running job and its progress"},
	{"domjobabort", run_domjobabort, "DOMAIN", "cancel the domain's running job"},
	{},
};

static const Command *command(const char *name)
{
	for (const Command *c = job_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	abort();
}
