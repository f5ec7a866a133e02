/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* zvirtctl: virsh's commands for zvirtd, over D-Bus. The global options,
 * then the command's name and its own options (zvirtctl(1)). */

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "connection.h"
#include "command.h"
#include "errors.h"
#include "zvirtd-config.h"

static const Command *const groups[] = {
	info_commands,    lifecycle_commands, define_commands,    edit_commands,
	console_commands, job_commands,       resources_commands, stats_commands,
	devices_commands, migrate_commands,   host_commands,      s390_commands,
	event_commands,   interface_commands, disk_commands,      daemon_commands,
};

static const Command *find_command(const char *name)
{
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (const Command *c = groups[g]; c->name; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

static void help(void)
{
	printf("zvirtctl [-c ADDRESS | -H [USER@]HOST[:PORT]] [--json] COMMAND [ARGS]\n\n"
	       "  -c, --connect ADDRESS   a D-Bus address of zvirtd's bus (default: the system bus)\n"
	       "  -H, --host [USER@]HOST[:PORT]\n"
	       "                          zvirtd on another host, over ssh\n"
	       "      --json              one JSON document on stdout\n"
	       "  -h, --help              this text; zvirtctl help COMMAND for one command\n"
	       "  -v, --version           zvirtctl's version\n\n"
	       "Commands (a DOMAIN is a name, a UUID or the id of a running domain):\n");
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (const Command *c = groups[g]; c->name; c++)
			printf("  %-18s %s\n", c->name, c->summary);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"connect", required_argument, NULL, 'c'}, {"host", required_argument, NULL, 'H'},
		{"json", no_argument, NULL, 'j'},          {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},       {},
	};
	Ctl ctl = {0};
	const Command *cmd;
	int c, code;

	setlocale(LC_ALL, "");
	opterr = 0; /* errors are printed as every other error is */
	/* "+": the command's options are the command's. */
	while ((c = getopt_long(argc, argv, "+c:H:hv", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			ctl.connect = optarg;
			break;
		case 'H':
			ctl.host = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'h':
			help();
			return ZVIRTCTL_EXIT_OK;
		case 'v':
			printf("%s\n", PACKAGE_VERSION);
			return ZVIRTCTL_EXIT_OK;
		default:
			return error_usage(NULL, "unknown option, or one without its value: '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return error_usage(NULL, "no command given");
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 >= argc) {
			help();
			return ZVIRTCTL_EXIT_OK;
		}
		cmd = find_command(argv[optind + 1]);
		if (!cmd)
			return error_usage(NULL, "unknown command '%s'", argv[optind + 1]);
		command_help(cmd);
		return ZVIRTCTL_EXIT_OK;
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		return error_usage(NULL, "unknown command '%s'", argv[optind]);

	argc -= optind;
	argv += optind;
	optind = 0; /* GNU getopt: start afresh for the command's options */
	code = cmd->run(&ctl, argc, argv);
	fflush(stdout);
	connection_close(&ctl);
	if (ferror(stdout) && code == ZVIRTCTL_EXIT_OK) {
		fprintf(stderr, "error: cannot write the output\n");
		code = ZVIRTCTL_EXIT_FAILURE;
	}
	return code;
}
