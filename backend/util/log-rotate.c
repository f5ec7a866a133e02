/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Size-bounded log files with numbered backups (log-rotate.h). */
#include "util/log-rotate.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

static int open_current(LogRotate *l)
{
	_cleanup_close_ int fd =
		open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	/* Renaming a device or FIFO away would be nonsense. */
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	l->fd = TAKE_FD(fd);
	l->size = (uint64_t)st.st_size;
	return 0;
}

static int backup_name(const LogRotate *l, unsigned i, char **ret)
{
	return asprintf(ret, "%s.%u", l->path, i) < 0 ? -ENOMEM : 0;
}

int log_rotate_rollover(LogRotate *l)
{
	assert(l && l->path);

	if (l->max_backups == 0) {
		if (unlink(l->path) < 0 && errno != ENOENT)
			return -errno;
	} else {
		/* Oldest first: each rename overwrites the one it replaces. */
		for (unsigned i = l->max_backups - 1;; i--) {
			_cleanup_free_ char *from = NULL, *to = NULL;
			if ((i > 0 && backup_name(l, i - 1, &from) < 0) || backup_name(l, i, &to) < 0)
				return -ENOMEM;
			if (rename(from ? from : l->path, to) < 0 && errno != ENOENT)
				return -errno;
			if (i == 0)
				break;
		}
	}
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->size = 0;
	return open_current(l);
}

int log_rotate_open(LogRotate *l, const char *path, uint64_t max_size, unsigned max_backups, bool fresh)
{
	assert(l && path && max_size > 0);

	*l = (LogRotate){.fd = -1, .max_size = max_size, .max_backups = max_backups};
	l->path = strdup(path);
	if (!l->path)
		return -ENOMEM;
	int r = open_current(l);
	if (r >= 0 && fresh && l->size > 0)
		r = log_rotate_rollover(l);
	return r;
}

/* How much of buf goes into the current file before a rollover: up to
 * and including the last newline that fits; nothing when no newline fits
 * and the file already holds something (the line starts a new file);
 * the room that is left when the file is empty (a line longer than the
 * limit). */
static size_t fitting(const LogRotate *l, const char *buf, size_t len)
{
	uint64_t room = l->size < l->max_size ? l->max_size - l->size : 0;
	if (len <= room)
		return len;
	for (size_t i = (size_t)room; i > 0; i--)
		if (buf[i - 1] == '\n')
			return i;
	return l->size > 0 ? 0 : (size_t)room;
}

static int write_all(LogRotate *l, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(l->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		l->size += (uint64_t)n;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int log_rotate_write(LogRotate *l, const void *data, size_t len)
{
	assert(l && l->path && (data || len == 0));
	const char *buf = data;
	int r;

	if (l->fd < 0 && (r = open_current(l)) < 0)
		return r;
	while (len > 0) {
		size_t n = fitting(l, buf, len);
		if (n == 0) {
			r = log_rotate_rollover(l);
			if (r < 0)
				return r;
			continue;
		}
		r = write_all(l, buf, n);
		if (r < 0)
			return r;
		buf += n;
		len -= n;
	}
	return 0;
}

void log_rotate_close(LogRotate *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	*l = (LogRotate)LOG_ROTATE_INIT;
}
