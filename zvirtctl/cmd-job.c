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

#include "command.h"
#include "domain-call.h"
#include "errors.h"
#include "job.h"
#include "output.h"
#include "util/cleanup.h"

#define DOMAIN_CALL(name, ...)                                       \
	{                                                            \
		.cmd = command_find(job_commands, name), __VA_ARGS__ \
	}

static int run_managedsave(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {{"running", "running", 'b'},
					    {"paused", "paused", 'b'},
					    {"bypass-cache", "bypass-cache", 'b'},
					    {"verbose", NULL, 'b'},
					    {}};
	_cleanup_(domain_call_done) DomainCall dc = DOMAIN_CALL("managedsave", .flags = flags);
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = domain_call_job(ctl, &dc, "ManagedSave", "managed save", domain_call_has(&dc, "verbose"), NULL);
	if (r >= 0)
		return r;
	if (ctl->json)
		return domain_call_print_json(ctl, dc.info.path);
	printf("Domain '%s' state saved\n\n", dc.info.name);
	return ZVIRTCTL_EXIT_OK;
}

/* dump DOMAIN FILE: CoreDump's job, waited for as managedsave's. */
static int run_dump(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {
		{"memory-only", "memory-only", 'b'},
		{"crash", "crash", 'b'},
		{"reset", "reset", 'b'},
		{"verbose", NULL, 'b'},
		{"live", "live", 'b'},
		{"format", "format", 's'},
		{},
	};
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL("dump", .flags = flags, .n_min = 1, .n_max = 1);
	_cleanup_free_ char *file = NULL;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = command_absolute_path(ctl, dc.pos[0], &file);
	if (r >= 0)
		return r;
	r = domain_call_job(ctl, &dc, "CoreDump", "dump", domain_call_has(&dc, "verbose"), "s", file);
	if (r >= 0)
		return r;
	if (ctl->json)
		return domain_call_print_json(ctl, dc.info.path);
	printf("Domain '%s' dumped to %s\n\n", dc.info.name, file);
	return ZVIRTCTL_EXIT_OK;
}

static int run_managedsave_remove(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = DOMAIN_CALL("managedsave-remove");
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = domain_call(ctl, &dc, "ManagedSaveRemove", NULL, NULL);
	if (r >= 0)
		return r;
	if (ctl->json)
		return domain_call_print_json(ctl, dc.info.path);
	printf("Removed managedsave image for domain '%s'\n\n", dc.info.name);
	return ZVIRTCTL_EXIT_OK;
}

static int run_domjobinfo(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_call_done) DomainCall dc = DOMAIN_CALL("domjobinfo");
	_cleanup_(job_info_done) JobInfo job = {0};
	_cleanup_free_ char *path = NULL;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *p;
	r = sd_bus_get_property(ctl->bus, ZVIRT_BUS_NAME, dc.info.path, ZVIRT_DOMAIN_IFACE, "Job", &error,
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
		return command_print_json(doc);
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
	/* virsh's lines of a migration, only when QEMU gave them. */
	if (job.expected_downtime_ms)
		printf("%-17s %-12" PRIu64 " ms\n", "Expected downtime:", job.expected_downtime_ms);
	if (job.dirty_rate_mibps)
		printf("%-17s %" PRIu64 " MiB/s\n", "Dirty rate:", job.dirty_rate_mibps);
	if (job.throttle_percent)
		printf("%-17s %-12" PRIu32 " %%\n", "Auto converge throttle:", job.throttle_percent);
	if (job.error && *job.error)
		printf("%-17s %s\n", "Error:", job.error);
	putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

static int run_domjobabort(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = DOMAIN_CALL("domjobabort");
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = domain_call(ctl, &dc, "AbortJob", NULL, NULL);
	if (r >= 0)
		return r;
	if (ctl->json)
		return domain_call_print_json(ctl, dc.info.path);
	printf("Job of domain '%s' aborted\n\n", dc.info.name);
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
