/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdint.h>

#include "dict-json.h"
#include "output.h"
#include "util/cleanup.h"

static int read_value(sd_bus_message *m, const char *contents, json_object **ret)
{
	int r;

	*ret = NULL;
	switch (contents[0]) {
	case 's': {
		const char *s;
		r = sd_bus_message_read_basic(m, 's', &s);
		if (r >= 0)
			*ret = json_object_new_string(s);
		return r;
	}
	case 'b': {
		int b;
		r = sd_bus_message_read_basic(m, 'b', &b);
		*ret = json_object_new_boolean(b);
		return r;
	}
	case 'i': {
		int32_t i;
		r = sd_bus_message_read_basic(m, 'i', &i);
		*ret = json_object_new_int(i);
		return r;
	}
	case 'q': {
		uint16_t q;
		r = sd_bus_message_read_basic(m, 'q', &q);
		*ret = json_object_new_int(q);
		return r;
	}
	case 'u': {
		uint32_t u;
		r = sd_bus_message_read_basic(m, 'u', &u);
		*ret = json_object_new_int64(u);
		return r;
	}
	case 'x': {
		int64_t x;
		r = sd_bus_message_read_basic(m, 'x', &x);
		*ret = json_object_new_int64(x);
		return r;
	}
	case 't': {
		uint64_t t;
		r = sd_bus_message_read_basic(m, 't', &t);
		*ret = json_object_new_uint64(t);
		return r;
	}
	case 'a':
		if (contents[1] == 's') {
			_cleanup_strv_free_ char **v = NULL;
			r = sd_bus_message_read_strv(m, &v);
			if (r < 0)
				return r;
			*ret = json_object_new_array();
			for (char **i = v; *ret && i && *i; i++)
				json_object_array_add(*ret, json_object_new_string(*i));
			return 0;
		}
		/* Another array is not in the API's dictionaries. */
		return sd_bus_message_skip(m, contents);
	default:
		return sd_bus_message_skip(m, contents);
	}
}

int dict_json_read(sd_bus_message *m, json_object **ret)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	int r = o ? sd_bus_message_enter_container(m, 'a', "{sv}") : -ENOMEM;

	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key, *contents;
		json_object *v = NULL;
		char type;

		r = sd_bus_message_read(m, "s", &key);
		if (r >= 0)
			r = sd_bus_message_peek_type(m, &type, &contents);
		if (r >= 0)
			r = sd_bus_message_enter_container(m, 'v', contents);
		if (r >= 0)
			r = read_value(m, contents, &v);
		if (r >= 0 && v)
			json_object_object_add(o, key, v);
		else
			json_object_put(v);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(o);
	return 0;
}
