/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the trailing a{sv} options against a method's known keys. */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "util/cleanup.h"
#include "util/utf8.h"

/* How much of an unknown key an error quotes. */
#define KEY_QUOTE_MAX 64

void option_sizes_done(OptionSizes *s)
{
	strv_free(s->keys);
	free(s->values);
	*s = (OptionSizes){};
}

static int read_sizes(sd_bus_message *m, OptionSizes *ret)
{
	_cleanup_(option_sizes_done) OptionSizes s = {};
	int r = sd_bus_message_enter_container(m, 'a', "{st}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "st")) > 0) {
		const char *key;
		uint64_t v;
		r = sd_bus_message_read(m, "st", &key, &v);
		if (r < 0)
			return r;
		char **keys = reallocarray(s.keys, s.n + 2, sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		s.keys = keys;
		uint64_t *values = reallocarray(s.values, s.n + 1, sizeof(*values));
		if (!values)
			return -ENOMEM;
		s.values = values;
		if (!(s.keys[s.n] = strdup(key)))
			return -ENOMEM;
		s.values[s.n++] = v;
		s.keys[s.n] = NULL;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(m);
	if (r < 0)
		return r;
	option_sizes_done(ret);
	*ret = s;
	s = (OptionSizes){};
	return 0;
}

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
	if (strcmp(type, "as") == 0) {
		char **l = NULL;
		r = sd_bus_message_read_strv(m, &l);
		if (r < 0)
			return r;
		/* Given twice: the last one counts, as for the other types. */
		strv_free(*(char ***)value);
		*(char ***)value = l;
		return sd_bus_message_exit_container(m);
	}
	if (strcmp(type, "a{st}") == 0) {
		r = read_sizes(m, value);
		if (r < 0)
			return r;
		return sd_bus_message_exit_container(m);
	}
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
