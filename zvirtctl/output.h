/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What commands print: virsh's aligned tables and key/value lists for
 * people, one JSON document for programs (--json). */

#include <stddef.h>

#include <json-c/json.h>

typedef struct Table Table;

/* A table with n columns, named by the header cells. */
Table *table_new(size_t n, const char *const *header);
/* Adds a row of n cells (copied). 0 or -ENOMEM. */
int table_add_row(Table *t, const char *const *cells);
/* virsh's layout: " cell" padded to the column's width plus two, a rule
 * of dashes under the header, the last column unpadded. */
void table_print(const Table *t);
void table_free(Table *t);
static inline void table_freep(Table **t)
{
	table_free(*t);
}

/* "Name:           value", virsh's dominfo layout. */
void output_field(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints the document and a newline on stdout and drops the reference.
 * pretty: indented (one command's answer); else on one line (events). */
int output_json(json_object *doc, int pretty);
/* json_object_new_string, or null for NULL. */
json_object *output_json_string(const char *s);

static inline void json_object_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}
