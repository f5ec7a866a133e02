/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The simulator's file tree: what its FUSE mount shows, path by path
 * (absolute below the mount, "/bus/ccw/devices/0.0.7500"). Directories,
 * attribute files whose writes go to a handler (as a sysfs store does),
 * and symlinks. Not thread-safe: the caller holds sim_lock. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct SimEntry SimEntry;

/* A store: the written bytes (not NUL-terminated), what the file's
 * owner registered; returns len or a negative errno, as a kernel store
 * does. */
typedef ssize_t (*sim_store_fn)(SimEntry *e, const char *buf, size_t len);

typedef enum SimKind { SIM_DIR, SIM_FILE, SIM_LINK } SimKind;

struct SimEntry {
	char *path;
	SimKind kind;
	char *value; /* a file's contents (with its newline), a link's target */
	bool writable, readable;
	sim_store_fn store;
	void *owner; /* the device the file belongs to */
};

void sim_tree_init(void);
SimEntry *sim_lookup(const char *path);
/* Each creates the missing parent directories. A path that exists is
 * replaced (a file's value updated). */
SimEntry *sim_dir(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
SimEntry *sim_file(const char *value, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
SimEntry *sim_link(const char *target, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A file written by store (read too when readable: then value is shown). */
SimEntry *sim_attr(const char *value, bool readable, sim_store_fn store, void *owner, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The file's new contents ("1\n"). */
void sim_set(SimEntry *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Removes the path and everything below it. */
void sim_remove(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Calls fn for each direct child's name of a directory. */
void sim_children(const char *dir, void (*fn)(const char *name, void *userdata), void *userdata);
