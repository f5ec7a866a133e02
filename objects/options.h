/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The trailing a{sv} options of every method: known keys with their
 * types; an unknown key or a wrong type is InvalidArgument, never
 * ignored. "auth.no_user_interaction" (b) is accepted everywhere. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

typedef struct OptionSpec {
	const char *key;
	/* "b", "t", "s", "u", "as", "a{st}" */
	const char *type;
	/* bool*, uint64_t*, const char** (borrowed from the message),
	 * uint32_t*, char*** (the caller's: strv_free), OptionSizes* (the
	 * caller's: option_sizes_done) */
	void *value;
	bool *present; /* may be NULL: set when the key was given (filters need that) */
} OptionSpec;

/* An "a{st}" option: names and their numbers, in the caller's order. */
typedef struct OptionSizes {
	char **keys; /* NULL-terminated */
	uint64_t *values;
	size_t n;
} OptionSizes;
void option_sizes_done(OptionSizes *s);

typedef struct OptionsCommon {
	bool no_user_interaction;
} OptionsCommon;

/* specs ends with {}; common may be NULL. */
int bus_read_options(sd_bus_message *m, const OptionSpec *specs, OptionsCommon *common, sd_bus_error *error);
