/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "errors.h"
#include "lookup.h"
#include "util/cleanup.h"

/* Domain XML is at most 1 MiB (DefineXML); a little more tells the daemon's refusal. */
#define FILE_MAX (2U * 1024 * 1024)

int command_common_option(Ctl *ctl, const Command *cmd, CommandArgs *args, char **argv, int c)
{
	switch (c) {
	case OPT_JSON:
		ctl->json = true;
		return -1;
	case OPT_HELP:
		command_help(cmd);
		return ZVIRTCTL_EXIT_OK;
	case OPT_DOMAIN:
		args->domain = optarg;
		return -1;
	default:
		/* opterr is off: one error line, in our format. */
		return error_usage(cmd, "unknown option, or one without its value: '%s'",
				   optind > 0 ? argv[optind - 1] : "?");
	}
}

int command_positional(const Command *cmd, CommandArgs *args, int argc, char **argv, int n_pos,
		       char ***ret_pos)
{
	int have = argc - optind;

	if (args && !args->domain) {
		if (have < 1)
			return error_usage(cmd, "a domain is needed (name, UUID or id)");
		args->domain = argv[optind++];
		have--;
		n_pos--;
	} else if (args)
		n_pos--;
	if (have < n_pos)
		return error_usage(cmd, "an argument is missing");
	if (have > n_pos)
		return error_usage(cmd, "unexpected argument '%s'", argv[optind + n_pos]);
	if (ret_pos)
		*ret_pos = argv + optind;
	return -1;
}

int command_domain_path(Ctl *ctl, const CommandArgs *args, char **ret_path)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = domain_lookup(ctl, args->domain, ret_path, &error);

	return r < 0 ? error_report(&error, r) : -1;
}

int command_read_file(const char *path, char **ret_text)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_fclose_ FILE *f = strcmp(path, "-") == 0 ? fdopen(dup(0), "r") : fopen(path, "re");
	_cleanup_free_ char *text = NULL;
	size_t n;

	if (!f) {
		int r = -errno;
		sd_bus_error_setf(&error,
				  r == -ENOENT ? SD_BUS_ERROR_FILE_NOT_FOUND : SD_BUS_ERROR_INVALID_ARGS,
				  "Cannot open '%s': %s", path, strerror(-r));
		return error_report(&error, r);
	}
	text = malloc(FILE_MAX + 1);
	if (!text)
		return error_report(NULL, -ENOMEM);
	n = fread(text, 1, FILE_MAX + 1, f);
	if (ferror(f)) {
		sd_bus_error_setf(&error, SD_BUS_ERROR_INVALID_ARGS, "Cannot read '%s': %s", path,
				  strerror(errno));
		return error_report(&error, -EIO);
	}
	if (n > FILE_MAX) {
		sd_bus_error_setf(&error, SD_BUS_ERROR_INVALID_ARGS, "'%s' is larger than %u bytes", path,
				  FILE_MAX);
		return error_report(&error, -EFBIG);
	}
	text[n] = 0;
	if (strlen(text) != n) {
		sd_bus_error_setf(&error, SD_BUS_ERROR_INVALID_ARGS,
				  "'%s' holds a NUL byte: not an XML document", path);
		return error_report(&error, -EINVAL);
	}
	*ret_text = TAKE_PTR(text);
	return -1;
}

void command_help(const Command *cmd)
{
	printf("zvirtctl %s %s\n\n  %s\n\n  Every command also takes --json (one JSON document on "
	       "stdout).\n",
	       cmd->name, cmd->synopsis, cmd->summary);
}

const Command *command_find(const Command *table, const char *name)
{
	for (const Command *c = table; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	abort();
}

int command_print_json(json_object *doc)
{
	return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
}

int command_print_table(const Table *t)
{
	if (!t)
		return error_report(NULL, -ENOMEM);
	table_print(t);
	putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

int command_absolute_path(const Ctl *ctl, const char *path, char **ret)
{
	if (*path && path[0] != '/' && !ctl->host) {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		if (!cwd || asprintf(ret, "%s/%s", cwd, path) < 0)
			return error_report(NULL, -ENOMEM);
	} else if (!(*ret = strdup(path)))
		return error_report(NULL, -ENOMEM);
	return -1;
}

int command_device_error(sd_bus_error *error, int r, const char *kind, const char *name)
{
	if (sd_bus_error_has_names(error, SD_BUS_ERROR_UNKNOWN_OBJECT, SD_BUS_ERROR_UNKNOWN_METHOD)) {
		sd_bus_error_free(error);
		sd_bus_error_setf(error, "org.zvirt1.Error.NoSuchDevice", "The domain has no %s '%s'", kind,
				  name);
		return error_report(error, -ENODEV);
	}
	return error_report(error, r);
}
