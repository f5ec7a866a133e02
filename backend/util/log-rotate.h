/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A log file bounded in size, rotated the way libvirt's virtlogd does it:
 * <path> is written; when the next bytes would take it past max_size it
 * becomes <path>.0, the old <path>.0 becomes <path>.1, and so on up to
 * <path>.<max_backups - 1>; what was the oldest is gone. No file ever
 * grows past max_size. Output is cut at a newline where one fits, so a
 * line lands whole in one file unless it is longer than max_size itself
 * (then it is split at max_size). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct LogRotate {
	char *path;
	uint64_t max_size;
	unsigned max_backups;
	int fd;        /* -1 until opened, or after a failed rollover */
	uint64_t size; /* what the file at fd holds */
} LogRotate;

#define LOG_ROTATE_INIT  \
	{                \
		.fd = -1 \
	}

/* Opens (creates, mode 0600) path for appending. fresh: a file that is
 * not empty is rotated away first, so this run starts a file of its own.
 * The file must be a regular file and not a symbolic link (-ELOOP,
 * -EINVAL). max_size must be at least 1. */
int log_rotate_open(LogRotate *l, const char *path, uint64_t max_size, unsigned max_backups, bool fresh);

/* Appends len bytes, rotating as often as needed. On a failed write or
 * rollover it returns the negative errno; the bytes not written by then
 * are dropped (a pump must keep reading whatever happens), and the next
 * call tries again (reopening the file after a failed rollover). */
int log_rotate_write(LogRotate *l, const void *buf, size_t len);

/* Moves the current file away now and starts an empty one. */
int log_rotate_rollover(LogRotate *l);

void log_rotate_close(LogRotate *l);
