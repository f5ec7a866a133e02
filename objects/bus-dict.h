/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One {sv} entry of an a{sv} being appended to a reply (the caller has
 * opened the "a{sv}" container): key, and a variant of type made of the
 * values that follow, as sd_bus_message_append takes them. */

#include <stddef.h>
#include <systemd/sd-bus.h>

int bus_append_dict_entry(sd_bus_message *m, const char *key, const char *type, ...);
/* The same for an "as" of a NULL-terminated string vector. */
int bus_append_dict_strv(sd_bus_message *m, const char *key, char **strv);

/* Answers m with an aa{sv} of the n items (size bytes each, from items):
 * one dictionary per item, its entries from append(reply, item).
 * Returns what a method handler returns. */
int bus_reply_dict_list(sd_bus_message *m, const void *items, size_t n, size_t size,
			int (*append)(sd_bus_message *reply, const void *item));
