/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the trailing a{sv} options against a method's known keys. */
#include "options.h"

#include <errno.h>
#include <string.h>

#include "errors.h"
#include "util/utf8.h"

/* How much of an unknown key an error quotes. */
#define KEY_QUOTE_MAX 64

static int read_value(sd_bus_message *m, const char *key, const char *type, void *value, sd_bus_error *error)
{
	const char *contents;
	int r = sd_bus_message_peek_type(m, NULL, &contents);
	if (r < 0)
		return r;
	if (strcmp(contents, type) != 0)
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "Option '%s' must have type '%s', not '%s'", key, type, contents);

	r = sd_bus_message_enter_container(m, 'v', type);
	if (r < 0)
		return r;
	switch (type[0]) {
	case 'b': {
		int b;
		r = sd_bus_message_read_basic(m, 'b', &b);
		if (r >= 0)
			*(bool *)value = b;
		break;
	}
	case 't':
		r = sd_bus_message_read_basic(m, 't', value);
		break;
	case 'u':
		r = sd_bus_message_read_basic(m, 'u', value);
		break;
	case 's':
		r = sd_bus_message_read_basic(m, 's', value);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

int bus_read_options(sd_bus_message *m, const OptionSpec *specs, OptionsCommon *common, sd_bus_error *error)
{
	OptionsCommon dummy = {};
	int r;

	if (!common)
		common = &dummy;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;

	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key;
		r = sd_bus_message_read_basic(m, 's', &key);
		if (r < 0)
			return r;

		const OptionSpec *spec = NULL;
		for (const OptionSpec *s = specs; s && s->key; s++)
			if (strcmp(s->key, key) == 0)
				spec = s;

		if (spec) {
			r = read_value(m, key, spec->type, spec->value, error);
			if (r >= 0 && spec->present)
				*spec->present = true;
		} else if (strcmp(key, "auth.no_user_interaction") == 0)
			r = read_value(m, key, "b", &common->no_user_interaction, error);
		else {
			char known[512] = "auth.no_user_interaction",
			     quoted[UTF8_SHORTEN_SIZE(KEY_QUOTE_MAX)];
			for (const OptionSpec *s = specs; s && s->key; s++) {
				strncat(known, ", ", sizeof(known) - strlen(known) - 1);
				strncat(known, s->key, sizeof(known) - strlen(known) - 1);
			}
			return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
					      "Unknown option '%s'; this method takes: %s",
					      utf8_shorten(key, KEY_QUOTE_MAX, quoted), known);
		}
		if (r < 0)
			return r;

		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}
