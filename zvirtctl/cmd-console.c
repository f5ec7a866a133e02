/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* console DOMAIN [--force]: the guest's console, as virsh console. */

#include "command.h"
#include "connection.h"
#include "console.h"
#include "domain-info.h"
#include "errors.h"
#include "util/cleanup.h"

static const Command *command(void);

static int run_console(Ctl *ctl, int argc, char **argv)
{
	enum { O_FORCE = OPT_FIRST_OWN, O_SAFE };
	static const struct option options[] = {
		COMMAND_COMMON_OPTIONS,
		{"force", no_argument, NULL, O_FORCE},
		/* virsh's: the relay is always safe (one client at a time). */
		{"safe", no_argument, NULL, O_SAFE},
		{},
	};
	const Command *cmd = command();
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	_cleanup_free_ char *path = NULL;
	CommandArgs args = {0};
	bool force = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		if (c == O_FORCE) {
			force = true;
			continue;
		}
		if (c == O_SAFE)
			continue;
		r = command_common_option(ctl, cmd, &args, argv, c);
		if (r >= 0)
			return r;
	}
	if (ctl->json)
		return error_usage(cmd, "console has no JSON form: it is the guest's terminal");
	r = command_positional(cmd, &args, argc, argv, 1, NULL);
	if (r >= 0)
		return r;
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	r = command_domain_path(ctl, &args, &path);
	if (r >= 0)
		return r;
	r = domain_info_get(ctl, path, &info, &error);
	if (r < 0)
		return error_report(&error, r);
	return console_attach(ctl, path, info.name, force);
}

const Command console_commands[] = {
	{"console", run_console, "DOMAIN [--force] [--safe]",
	 "the guest's console on this terminal (Ctrl-] leaves; --force takes it from another client)"},
	{},
};

static const Command *command(void)
{
	return &console_commands[0];
}
