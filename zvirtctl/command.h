/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the commands share: their option parsing (getopt_long with the
 * options every command takes) and their domain argument. */

#include <getopt.h>

#include "zvirtctl.h"

enum {
	OPT_JSON = 0x100,
	OPT_HELP,
	OPT_DOMAIN,
	OPT_FIRST_OWN, /* a command's own long-only options from here */
};

#define COMMAND_COMMON_OPTIONS                                                        \
	{"json", no_argument, NULL, OPT_JSON}, {"help", no_argument, NULL, OPT_HELP}, \
	{                                                                             \
		"domain", required_argument, NULL, OPT_DOMAIN                         \
	}

/* One command's option parse. argv[0] is the command's name. */
typedef struct CommandArgs {
	const char *domain; /* --domain, or the first positional argument */
} CommandArgs;

/* Handles the options every command takes. -1 when c was one of them
 * (carry on), else the exit code to return now (--help: 0, a bad option: 2). */
int command_common_option(Ctl *ctl, const Command *cmd, CommandArgs *args, char **argv, int c);
/* After the parse: the positional arguments argv[optind...] must be
 * exactly n_pos (the domain counted when it was not given as --domain);
 * *ret_pos points at them. -1 when they are, else the exit code. */
int command_positional(const Command *cmd, CommandArgs *args, int argc, char **argv, int n_pos,
		       char ***ret_pos);
/* Looks the domain up and prints a failure: -1 and the path, or the exit code. */
int command_domain_path(Ctl *ctl, const CommandArgs *args, char **ret_path);
/* Reads a whole file ("-" is stdin): -1 and the text, or the exit code
 * after printing why. */
int command_read_file(const char *path, char **ret_text);
/* path as the daemon takes it: absolute, a relative one the caller's
 * directory's (as for virsh; with -H as it is: another host's). "" stays.
 * -1 and the copy, or the exit code. */
int command_absolute_path(const Ctl *ctl, const char *path, char **ret);
/* Prints a failed call on a device's object (a disk, a NIC): no such
 * object is the domain's having no such device. The exit code. */
int command_device_error(sd_bus_error *error, int r, const char *kind, const char *name);
/* Prints the command's synopsis and summary. */
void command_help(const Command *cmd);
/* The entry of a command table named name (a command's own: it exists). */
const Command *command_find(const Command *table, const char *name);

#include <json-c/json.h>

#include "output.h"

/* Prints a command's answer with --json and drops the reference: the exit code. */
int command_print_json(json_object *doc);
/* Prints the table and the blank line after it: the exit code (NULL: out of memory). */
int command_print_table(const Table *t);
