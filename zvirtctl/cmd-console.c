/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* console DOMAIN [--force]: the guest's console, as virsh console. */

#include "command.h"
#include "console.h"
#include "domain-call.h"
#include "errors.h"
#include "util/cleanup.h"

static int run_console(Ctl *ctl, int argc, char **argv)
{
	/* --safe is virsh's: the relay is always safe (one client at a time). */
	static const CommandFlag flags[] = {{"force", NULL, 'b'}, {"safe", NULL, 'b'}, {}};
	_cleanup_(domain_call_done)
		DomainCall dc = {.cmd = command_find(console_commands, "console"), .flags = flags};
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	if (ctl->json)
		return error_usage(dc.cmd, "console has no JSON form: it is the guest's terminal");
	return console_attach(ctl, dc.info.path, dc.info.name, domain_call_has(&dc, "force"));
}

const Command console_commands[] = {
	{"console", run_console, "DOMAIN [--force] [--safe]",
	 "the guest's console on this terminal (Ctrl-] leaves; --force takes it from another client)"},
	{},
};
