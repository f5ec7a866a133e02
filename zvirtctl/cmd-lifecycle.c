/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The life-cycle commands: start, shutdown, reboot, reset, destroy,
 * suspend, resume; each one Domain method with its options. */

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "console.h"
#include "domain-call.h"
#include "errors.h"
#include "util/cleanup.h"

typedef struct Lifecycle {
	const char *name;
	const char *method;
	const char *done; /* virsh's sentence after "Domain 'NAME' " */
	CommandFlag flags[4];
} Lifecycle;

static const Lifecycle lifecycles[] = {
	{"start",
	 "Start",
	 "started",
	 /* --console is not the method's: the console is attached after it. */
	 {{"paused", "paused", 'b'}, {"force-boot", "force-boot", 'b'}, {"console", NULL, 'b'}}},
	{"shutdown", "Shutdown", "is being shutdown", {{"timeout", "timeout-ms", 'S'}}},
	{"reboot", "Reboot", "is being rebooted", {}},
	{"reset", "Reset", "was reset", {}},
	{"destroy", "Destroy", "destroyed", {{"graceful", "graceful", 'b'}}},
	{"suspend", "Suspend", "suspended", {}},
	{"resume", "Resume", "resumed", {}},
	/* virsh prints nothing: what the guest does with it is its affair. */
	{"inject-nmi", "InjectNMI", NULL, {}},
};

static int run_lifecycle(Ctl *ctl, const char *name, int argc, char **argv)
{
	const Lifecycle *lc = NULL;
	for (size_t i = 0; i < ELEMENTSOF(lifecycles); i++)
		if (strcmp(lifecycles[i].name, name) == 0)
			lc = &lifecycles[i];
	assert(lc);
	_cleanup_(domain_call_done) DomainCall dc = {
		.cmd = command_find(lifecycle_commands, name),
		.flags = lc->flags,
	};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_info_done) DomainInfo after = {0};
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	bool console = strcmp(name, "start") == 0 && domain_call_has(&dc, "console");
	if (console && ctl->json)
		return error_usage(dc.cmd, "--console and --json exclude each other");
	r = domain_call(ctl, &dc, lc->method, NULL, NULL);
	if (r >= 0)
		return r;

	if (!ctl->json) {
		if (lc->done)
			printf("Domain '%s' %s\n\n", dc.info.name, lc->done);
		return console ? console_attach(ctl, dc.info.path, dc.info.name, false) : ZVIRTCTL_EXIT_OK;
	}
	/* The state the call left; a transient domain may be gone already. */
	const DomainInfo *now = domain_info_get(ctl, dc.info.path, &after, &error) >= 0 ? &after : &dc.info;
	return command_print_json(domain_info_json(now));
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
