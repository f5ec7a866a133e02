/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The life-cycle commands: start, shutdown, reboot, reset, destroy,
 * suspend, resume; each one Domain method with its options. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "command.h"
#include "connection.h"
#include "console.h"
#include "domain-info.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

#define MAX_FLAGS 3

typedef struct Flag {
	const char *option; /* --option */
	const char *key;    /* the method's option key */
	/* 'b': a flag, key=true; 'S': --option SECONDS, key in milliseconds;
	 * 'C': not the method's: attach the console after it (start --console) */
	char kind;
} Flag;

typedef struct Lifecycle {
	const char *name;
	const char *method;
	const char *done; /* virsh's sentence after "Domain 'NAME' " */
	Flag flags[MAX_FLAGS];
} Lifecycle;

static const Lifecycle lifecycles[] = {
	{"start",
	 "Start",
	 "started",
	 {{"paused", "paused", 'b'}, {"force-boot", "force-boot", 'b'}, {"console", NULL, 'C'}}},
	{"shutdown", "Shutdown", "is being shutdown", {{"timeout", "timeout-ms", 'S'}}},
	{"reboot", "Reboot", "is being rebooted", {}},
	{"reset", "Reset", "was reset", {}},
	{"destroy", "Destroy", "destroyed", {{"graceful", "graceful", 'b'}}},
	{"suspend", "Suspend", "suspended", {}},
	{"resume", "Resume", "resumed", {}},
	/* virsh prints nothing: what the guest does with it is its affair. */
	{"inject-nmi", "InjectNMI", NULL, {}},
};

static const Lifecycle *lifecycle(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(lifecycles); i++)
		if (strcmp(lifecycles[i].name, name) == 0)
			return &lifecycles[i];
	abort();
}

static const Command *command(const char *name);

static int parse_seconds(const char *s, uint64_t *ret_ms)
{
	char *end;
	unsigned long long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT64_MAX / 1000)
		return -ERANGE;
	*ret_ms = v * 1000;
	return 0;
}

static int run_lifecycle(Ctl *ctl, const char *name, int argc, char **argv)
{
	const Lifecycle *lc = lifecycle(name);
	const Command *cmd = command(name);
	struct option options[4 + MAX_FLAGS] = {COMMAND_COMMON_OPTIONS};
	const char *values[MAX_FLAGS] = {0};
	uint64_t ms[MAX_FLAGS] = {0};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(domain_info_done) DomainInfo before = {0}, after = {0};
	_cleanup_free_ char *path = NULL;
	CommandArgs args = {0};
	size_t n = 3;
	int c, r;

	for (size_t i = 0; i < MAX_FLAGS && lc->flags[i].option; i++)
		options[n++] = (struct option){lc->flags[i].option,
					       lc->flags[i].kind == 'S' ? required_argument : no_argument,
					       NULL, OPT_FIRST_OWN + (int)i};
	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		if (c >= OPT_FIRST_OWN && c < OPT_FIRST_OWN + MAX_FLAGS) {
			size_t i = (size_t)(c - OPT_FIRST_OWN);
			values[i] = optarg ? optarg : "";
			if (lc->flags[i].kind == 'S' && parse_seconds(values[i], &ms[i]) < 0)
				return error_usage(cmd, "--%s takes whole seconds, not '%s'",
						   lc->flags[i].option, values[i]);
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
	r = domain_info_get(ctl, path, &before, &error);
	if (r < 0)
		return error_report(&error, r);

	r = call_new(ctl, path, ZVIRT_DOMAIN_IFACE, lc->method, &m);
	if (r >= 0)
		r = call_options_open(m);
	bool console = false;
	for (size_t i = 0; r >= 0 && i < MAX_FLAGS; i++) {
		if (!values[i])
			continue;
		if (lc->flags[i].kind == 'C')
			console = true;
		else if (lc->flags[i].kind == 'b')
			r = call_option_bool(m, lc->flags[i].key, true);
		else
			r = call_option_u64(m, lc->flags[i].key, ms[i]);
	}
	if (console && ctl->json)
		return error_usage(cmd, "--console and --json exclude each other");
	if (r < 0)
		return error_report(NULL, r);
	r = call_run(ctl, m, &error, NULL);
	if (r < 0)
		return error_report(&error, r);

	if (!ctl->json) {
		if (lc->done)
			printf("Domain '%s' %s\n\n", before.name, lc->done);
		return console ? console_attach(ctl, path, before.name, false) : ZVIRTCTL_EXIT_OK;
	}
	/* The state the call left; a transient domain may be gone already. */
	sd_bus_error_free(&error);
	const DomainInfo *now = domain_info_get(ctl, path, &after, &error) >= 0 ? &after : &before;
	r = output_json(domain_info_json(now), true);
	return r < 0 ? error_report(NULL, r) : ZVIRTCTL_EXIT_OK;
}

#define LIFECYCLE_RUN(fn, name)                              \
	static int fn(Ctl *ctl, int argc, char **argv)       \
	{                                                    \
		return run_lifecycle(ctl, name, argc, argv); \
	}
LIFECYCLE_RUN(run_start, "start")
LIFECYCLE_RUN(run_shutdown, "shutdown")
LIFECYCLE_RUN(run_reboot, "reboot")
LIFECYCLE_RUN(run_reset, "reset")
LIFECYCLE_RUN(run_destroy, "destroy")
LIFECYCLE_RUN(run_suspend, "suspend")
LIFECYCLE_RUN(run_resume, "resume")
LIFECYCLE_RUN(run_inject_nmi, "inject-nmi")

const Command lifecycle_commands[] = {
	{"start", run_start, "DOMAIN [--paused] [--force-boot] [--console]",
	 "start a domain (restoring its managed-save image unless --force-boot)"},
	{"shutdown", run_shutdown, "DOMAIN [--timeout SECONDS]",
	 "ask the guest to power off (destroy it after SECONDS)"},
	{"reboot", run_reboot, "DOMAIN", "ask the guest to reboot"},
	{"reset", run_reset, "DOMAIN", "reset the virtual machine at once"},
	{"destroy", run_destroy, "DOMAIN [--graceful]",
	 "stop a domain at once (SIGTERM first with --graceful)"},
	{"suspend", run_suspend, "DOMAIN", "stop the guest's CPUs"},
	{"resume", run_resume, "DOMAIN", "let a suspended guest run again"},
	{"inject-nmi", run_inject_nmi, "DOMAIN", "a restart interrupt for the guest (s390x's NMI)"},
	{},
};

static const Command *command(const char *name)
{
	for (const Command *c = lifecycle_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	abort();
}
