/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfs attributes (sysfs-attr.h). */
#include "host/sysfs-attr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

/* sysfs's show gives at most a page. */
#define ATTR_MAX 4096

static char *join(const char *root, const char *path)
{
	char *full = NULL;
	return asprintf(&full, "%s/%s", root, path[0] == '/' ? path + 1 : path) < 0 ? NULL : full;
}

int sysfs_read_attr(const char *root, const char *path, char **ret)
{
	_cleanup_free_ char *full = join(root, path);
	if (!full)
		return -ENOMEM;
	int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	char *buf = malloc(ATTR_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	ssize_t n = read(fd, buf, ATTR_MAX);
	int e = errno;
	close(fd);
	if (n < 0) {
		free(buf);
		return -e;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	*ret = buf;
	return 0;
}

int sysfs_read_attrf(const char *root, char **ret, const char *fmt, ...)
{
	_cleanup_free_ char *path = NULL;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&path, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	return sysfs_read_attr(root, path, ret);
}

DIR *sysfs_opendirf(const char *root, const char *fmt, ...)
{
	_cleanup_free_ char *rel = NULL, *path = NULL;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&rel, fmt, ap);
	va_end(ap);
	if (k < 0 || !(path = join(root, rel))) {
		errno = ENOMEM;
		return NULL;
	}
	return opendir(path);
}

int sysfs_write_attr(const char *root, const char *path, const char *value)
{
	_cleanup_free_ char *full = join(root, path);
	if (!full)
		return -ENOMEM;
	int fd = open(full, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t len = strlen(value);
	ssize_t n = write(fd, value, len);
	int r = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	/* A store's error can come at close on some file systems. */
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	return r;
}

int sysfs_link_basename(const char *root, const char *path, char **ret)
{
	_cleanup_free_ char *full = join(root, path);
	char target[PATH_MAX];
	if (!full)
		return -ENOMEM;
	ssize_t n = readlink(full, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	const char *base = strrchr(target, '/');
	char *s = strdup(base ? base + 1 : target);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

bool sysfs_exists(const char *root, const char *path)
{
	_cleanup_free_ char *full = join(root, path);
	return full && faccessat(AT_FDCWD, full, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}
