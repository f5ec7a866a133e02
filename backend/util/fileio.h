/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum WriteFlags {
	/* fsync the file before the rename: for what must survive a power
	 * cut (definitions). Runtime status under /run skips it. */
	WRITE_DURABLE = 1 << 0,
} WriteFlags;

/* Atomically replace path with data: temp file in the same directory,
 * (fsync,) rename. Either the old or the new file remains: < 0 means path
 * is unchanged. A durable write is complete only once the caller has
 * also called fsync_parent_directory(), whose failure means the new file
 * is in place but a power cut may still undo the rename. */
int write_file_atomic(const char *path, const void *data, size_t size, unsigned mode, WriteFlags flags);

/* fsync the directory that holds path: makes a rename, link or unlink in
 * it survive a power cut. */
int fsync_parent_directory(const char *path);

/* Reads a whole (small) file, NUL-terminated; refuses files over max bytes. */
int read_file_full(const char *path, size_t max, char **ret, size_t *ret_size);

/* mkdir -p with the given mode for created directories. */
int mkdir_p(const char *path, unsigned mode);

/* Removes path; a missing file is not an error. */
int unlink_if_exists(const char *path);
