/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulator's tree (sim-tree.h): a sorted array of entries, so that
 * a directory's children are a contiguous run after it. */
#include "sim-tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SimEntry **entries;
static size_t n_entries, allocated;

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

/* Sorted so that "/a" < "/a/b" < "/a-b": '/' sorts before every other
 * character. */
static int path_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char ca = *a == '/' ? 1 : (unsigned char)*a, cb = *b == '/' ? 1 : (unsigned char)*b;
		if (ca != cb || !ca)
			return ca - cb;
	}
}

/* The index of path, or where it would go (*found false). */
static size_t position(const char *path, bool *found)
{
	size_t lo = 0, hi = n_entries;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = path_cmp(entries[mid]->path, path);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

SimEntry *sim_lookup(const char *path)
{
	bool found;
	size_t i = position(path, &found);
	return found ? entries[i] : NULL;
}

static void entry_free(SimEntry *e)
{
	free(e->path);
	free(e->value);
	free(e);
}

static SimEntry *put(char *path, SimKind kind, char *value)
{
	/* Parents first. */
	for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		if (!sim_lookup(path))
			put(strdup(path), SIM_DIR, NULL);
		*slash = '/';
	}
	bool found;
	size_t i = position(path, &found);
	if (found) {
		SimEntry *e = entries[i];
		free(path);
		free(e->value);
		e->kind = kind;
		e->value = value;
		return e;
	}
	if (n_entries == allocated) {
		allocated = allocated ? allocated * 2 : 1024;
		entries = realloc(entries, allocated * sizeof(*entries));
		if (!entries)
			abort();
	}
	memmove(entries + i + 1, entries + i, (n_entries - i) * sizeof(*entries));
	SimEntry *e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	*e = (SimEntry){.path = path, .kind = kind, .value = value, .readable = true};
	entries[i] = e;
	n_entries++;
	return e;
}

void sim_tree_init(void)
{
	put(strdup("/"), SIM_DIR, NULL);
}

SimEntry *sim_dir(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *path = vformat(fmt, ap);
	va_end(ap);
	SimEntry *e = sim_lookup(path);
	if (e && e->kind == SIM_DIR) {
		free(path);
		return e;
	}
	return put(path, SIM_DIR, NULL);
}

SimEntry *sim_file(const char *value, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *path = vformat(fmt, ap);
	va_end(ap);
	SimEntry *e = put(path, SIM_FILE, NULL);
	if (asprintf(&e->value, "%s\n", value) < 0)
		abort();
	return e;
}

SimEntry *sim_link(const char *target, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *path = vformat(fmt, ap);
	va_end(ap);
	return put(path, SIM_LINK, strdup(target));
}

SimEntry *sim_attr(const char *value, bool readable, sim_store_fn store, void *owner, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *path = vformat(fmt, ap);
	va_end(ap);
	SimEntry *e = put(path, SIM_FILE, NULL);
	if (asprintf(&e->value, "%s\n", value ? value : "") < 0)
		abort();
	e->writable = true;
	e->readable = readable;
	e->store = store;
	e->owner = owner;
	return e;
}

void sim_set(SimEntry *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *v = vformat(fmt, ap);
	va_end(ap);
	free(e->value);
	if (asprintf(&e->value, "%s\n", v) < 0)
		abort();
	free(v);
}

void sim_remove(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *path = vformat(fmt, ap);
	va_end(ap);
	bool found;
	size_t i = position(path, &found), end = i;
	size_t len = strlen(path);
	if (found) {
		end = i + 1;
		while (end < n_entries && strncmp(entries[end]->path, path, len) == 0 &&
		       entries[end]->path[len] == '/')
			end++;
		for (size_t k = i; k < end; k++)
			entry_free(entries[k]);
		memmove(entries + i, entries + end, (n_entries - end) * sizeof(*entries));
		n_entries -= end - i;
	}
	free(path);
}

void sim_children(const char *dir, void (*fn)(const char *name, void *userdata), void *userdata)
{
	bool found;
	size_t i = position(dir, &found);
	if (!found)
		return;
	size_t len = strcmp(dir, "/") == 0 ? 0 : strlen(dir);
	for (size_t k = i + 1; k < n_entries; k++) {
		const char *p = entries[k]->path;
		if (strncmp(p, dir, len) != 0 || p[len] != '/')
			break;
		if (!strchr(p + len + 1, '/'))
			fn(p + len + 1, userdata);
	}
}
