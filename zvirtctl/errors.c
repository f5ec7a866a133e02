/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "util/cleanup.h"

static const struct {
	const char *name;
	int code;
} codes[] = {
	{ZVIRT_ERROR_NO_SUCH_DOMAIN, ZVIRTCTL_EXIT_NO_DOMAIN},
	/* A domain that went away between the lookup and the call. */
	{SD_BUS_ERROR_UNKNOWN_OBJECT, ZVIRTCTL_EXIT_NO_DOMAIN},
	{"org.zvirt1.Error.NotAuthorized", ZVIRTCTL_EXIT_NOT_AUTHORIZED},
	{SD_BUS_ERROR_ACCESS_DENIED, ZVIRTCTL_EXIT_NOT_AUTHORIZED},
	{SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, ZVIRTCTL_EXIT_NOT_AUTHORIZED},
	{"org.zvirt1.Error.InvalidArgument", ZVIRTCTL_EXIT_INVALID},
	{"org.zvirt1.Error.InvalidXML", ZVIRTCTL_EXIT_INVALID},
	{SD_BUS_ERROR_INVALID_ARGS, ZVIRTCTL_EXIT_INVALID},
	{SD_BUS_ERROR_FILE_NOT_FOUND, ZVIRTCTL_EXIT_INVALID},
	{"org.zvirt1.Error.OperationInvalid", ZVIRTCTL_EXIT_WRONG_STATE},
	{"org.zvirt1.Error.Busy", ZVIRTCTL_EXIT_WRONG_STATE},
};

int error_exit_code(const sd_bus_error *error, int r)
{
	if (error && sd_bus_error_is_set(error)) {
		for (size_t i = 0; i < ELEMENTSOF(codes); i++)
			if (sd_bus_error_has_name(error, codes[i].name))
				return codes[i].code;
		return ZVIRTCTL_EXIT_FAILURE;
	}
	switch (r) {
	case -EINVAL:
	case -ENOENT:
		return ZVIRTCTL_EXIT_INVALID;
	case -EACCES:
	case -EPERM:
		return ZVIRTCTL_EXIT_NOT_AUTHORIZED;
	default:
		return ZVIRTCTL_EXIT_FAILURE;
	}
}

int error_report(const sd_bus_error *error, int r)
{
	if (error && sd_bus_error_is_set(error)) {
		fprintf(stderr, "error: %s: %s\n", error->name, error->message ? error->message : "");
		return error_exit_code(error, r);
	}
	/* A local failure without a bus error: sd-bus's name for the errno. */
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	(void)sd_bus_error_set_errno(&e, r < 0 ? -r : EIO);
	fprintf(stderr, "error: %s: %s\n", e.name, strerror(r < 0 ? -r : EIO));
	return error_exit_code(NULL, r);
}

int error_usage(const Command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "error: " SD_BUS_ERROR_INVALID_ARGS ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\nusage: zvirtctl %s %s\n", cmd->name, cmd->synopsis);
	else
		fprintf(stderr,
			"\nusage: zvirtctl [-c ADDRESS | -H [USER@]HOST[:PORT]] [--json] COMMAND [ARGS]"
			" (zvirtctl help)\n");
	return ZVIRTCTL_EXIT_INVALID;
}
