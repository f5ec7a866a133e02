/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* a{sv} entries of replies (bus-dict.h). */
#include "bus-dict.h"

#include <stdarg.h>

#include "util/cleanup.h"

int bus_append_dict_entry(sd_bus_message *m, const char *key, const char *type, ...)
{
	va_list ap;
	int r = sd_bus_message_open_container(m, 'e', "sv");
	if (r >= 0)
		r = sd_bus_message_append_basic(m, 's', key);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', type);
	if (r >= 0) {
		va_start(ap, type);
		r = sd_bus_message_appendv(m, type, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

int bus_append_dict_strv(sd_bus_message *m, const char *key, char **strv)
{
	int r = sd_bus_message_open_container(m, 'e', "sv");
	if (r >= 0)
		r = sd_bus_message_append_basic(m, 's', key);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', "as");
	if (r >= 0)
		r = sd_bus_message_append_strv(m, strv);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

int bus_reply_dict_list(sd_bus_message *m, const void *items, size_t n, size_t size,
			int (*append)(sd_bus_message *reply, const void *item))
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "a{sv}");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = sd_bus_message_open_container(reply, 'a', "{sv}");
		if (r >= 0)
			r = append(reply, (const char *)items + i * size);
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}
