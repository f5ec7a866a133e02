/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "output.h"
#include "util/cleanup.h"

struct Table {
	size_t n_cols;
	size_t n_rows; /* the header included */
	char **cells;  /* n_rows * n_cols */
};

Table *table_new(size_t n, const char *const *header)
{
	Table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->n_cols = n;
	if (table_add_row(t, header) < 0) {
		table_free(t);
		return NULL;
	}
	return t;
}

int table_add_row(Table *t, const char *const *cells)
{
	char **grown = realloc(t->cells, (t->n_rows + 1) * t->n_cols * sizeof(char *));

	if (!grown)
		return -ENOMEM;
	t->cells = grown;
	for (size_t i = 0; i < t->n_cols; i++) {
		char *c = strdup(cells[i] ? cells[i] : "");
		if (!c) {
			for (size_t j = 0; j < i; j++)
				free(t->cells[t->n_rows * t->n_cols + j]);
			return -ENOMEM;
		}
		t->cells[t->n_rows * t->n_cols + i] = c;
	}
	t->n_rows++;
	return 0;
}

/* Columns on a terminal: a name in UTF-8 is as wide as it looks. */
static size_t width_of(const char *s)
{
	size_t n = mbstowcs(NULL, s, 0);
	if (n == (size_t)-1)
		return strlen(s);
	_cleanup_free_ wchar_t *w = calloc(n + 1, sizeof(wchar_t));
	if (!w)
		return strlen(s);
	(void)mbstowcs(w, s, n + 1);
	int cols = wcswidth(w, n);
	return cols < 0 ? strlen(s) : (size_t)cols;
}

void table_print(const Table *t)
{
	_cleanup_free_ size_t *widths = calloc(t->n_cols, sizeof(size_t));

	if (!widths)
		return;
	for (size_t r = 0; r < t->n_rows; r++)
		for (size_t c = 0; c < t->n_cols; c++) {
			size_t w = width_of(t->cells[r * t->n_cols + c]);
			if (w > widths[c])
				widths[c] = w;
		}
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *cell = t->cells[r * t->n_cols + c];
			if (c + 1 < t->n_cols)
				printf(" %s%*s", cell, (int)(widths[c] - width_of(cell) + 2), "");
			else
				printf(" %s", cell);
		}
		putchar('\n');
		if (r == 0) {
			for (size_t c = 0; c < t->n_cols; c++)
				for (size_t i = 0; i < widths[c] + 3; i++)
					putchar('-');
			putchar('\n');
		}
	}
}

void table_free(Table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void output_field(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%-15s ", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int output_json(json_object *doc, int pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
	const char *text;

	if (!doc)
		return -ENOMEM;
	text = json_object_to_json_string_ext(doc, flags);
	if (text)
		printf("%s\n", text);
	json_object_put(doc);
	return text ? 0 : -ENOMEM;
}

json_object *output_json_string(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}
