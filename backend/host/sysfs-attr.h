/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sysfs attributes below a root (Settings.sysfs_root: /sys, or a test's
 * simulator): read as the kernel's show gives them, written as one
 * store. A read is one small read() the kernel answers at once; a store
 * can wait on the device (zfcp's unit_add, a ccw device's online) and
 * runs in the worker, never on the loop. */

#include <dirent.h>
#include <stdbool.h>

/* The attribute's first line, its newline cut (malloc'd in *ret).
 * -ENOENT when it does not exist; other -errno. */
int sysfs_read_attr(const char *root, const char *path, char **ret);
/* The same for a path built from fmt. */
int sysfs_read_attrf(const char *root, char **ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* value (without a newline: the kernel's sysfs_streq takes either) as
 * one write(); 0, or the store's -errno (-EBUSY, -EINVAL, -ENODEV, ...). */
int sysfs_write_attr(const char *root, const char *path, const char *value);

/* The last component of the symlink root/path ("dasd-eckd" for a
 * device's driver link), malloc'd; -ENOENT when there is no link. */
int sysfs_link_basename(const char *root, const char *path, char **ret);

/* The directory root/<fmt...> opened for reading its entries; NULL
 * with errno set (ENOENT: there is none). */
DIR *sysfs_opendirf(const char *root, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether root/path exists (a file, directory or link). */
bool sysfs_exists(const char *root, const char *path);
