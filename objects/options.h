/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The trailing a{sv} options of every method: known keys with their
 * types; an unknown key or a wrong type is InvalidArgument, never
 * ignored. "auth.no_user_interaction" (b) is accepted everywhere. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

typedef struct OptionSpec {
	const char *key;
	const char *type; /* "b", "t", "s", "u" */
	void *value;      /* bool*, uint64_t*, const char** (borrowed from the message), uint32_t* */
	bool *present;    /* may be NULL: set when the key was given (filters need that) */
} OptionSpec;

typedef struct OptionsCommon {
	bool no_user_interaction;
} OptionsCommon;

/* specs ends with {}; common may be NULL. */
int bus_read_options(sd_bus_message *m, const OptionSpec *specs, OptionsCommon *common, sd_bus_error *error);
