/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Exit codes and the one way errors are printed. */

#include <systemd/sd-bus.h>

#include "zvirtctl.h"

/* Distinct, so that a script can tell them apart (zvirtctl(1), EXIT STATUS). */
enum {
	ZVIRTCTL_EXIT_OK = 0,
	ZVIRTCTL_EXIT_FAILURE = 1,        /* anything else */
	ZVIRTCTL_EXIT_INVALID = 2,        /* a bad argument, option, file or document */
	ZVIRTCTL_EXIT_NO_DOMAIN = 3,      /* no such domain */
	ZVIRTCTL_EXIT_NOT_AUTHORIZED = 4, /* polkit (or the bus) said no */
	ZVIRTCTL_EXIT_WRONG_STATE = 5,    /* not possible in the domain's state, or busy */
};

#define ZVIRT_ERROR_NO_SUCH_DOMAIN "org.zvirt1.Error.NoSuchDomain"

/* The exit code for a failure: from the error's name, else from r. */
int error_exit_code(const sd_bus_error *error, int r);
/* Prints "error: NAME: MESSAGE" on stderr; returns the exit code. */
int error_report(const sd_bus_error *error, int r);
/* A usage error of cmd (NULL: of zvirtctl itself): printed as an
 * InvalidArgs error with the synopsis; returns ZVIRTCTL_EXIT_INVALID. */
int error_usage(const Command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
