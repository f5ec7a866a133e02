/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sg node of a host SCSI address, found through sysfs (see
 * scsi-host.h). A few directory reads of a virtual file system: quick
 * enough for the start path. */
#include "host/scsi-host.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

/* sgN, N decimal */
static bool sg_name(const char *s)
{
	return strncmp(s, "sg", 2) == 0 && s[2] && strspn(s + 2, "0123456789") == strlen(s + 2);
}

/* The device is there but sg is not bound to it: say so, since nothing
 * else would. */
static int no_sg_node(const char *addr, const char *adapter, unsigned bus, unsigned target, uint64_t unit,
		      ZvError *err)
{
	return zv_error_set(err, ZV_ERROR_HOST, ENOENT,
			    "The SCSI device %s (%s bus %u target %u unit %" PRIu64
			    ") has no SCSI generic node (is the sg module loaded?)",
			    addr, adapter, bus, target, unit);
}

int host_scsi_sg_path(const char *sysfs_root, const char *dev_root, const char *adapter, unsigned bus,
		      unsigned target, uint64_t unit, char **ret, ZvError *err)
{
	const char *prefix = "scsi_host";
	char addr[80];

	if (!sysfs_root || !dev_root || !adapter || !ret || strncmp(adapter, prefix, strlen(prefix)) != 0)
		return -EINVAL;
	const char *host = adapter + strlen(prefix);
	if (!*host || strspn(host, "0123456789") != strlen(host))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "'%s' is not a SCSI host adapter name (scsi_hostN)", adapter);
	snprintf(addr, sizeof(addr), "%s:%u:%u:%" PRIu64, host, bus, target, unit);

	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/bus/scsi/devices/%s/scsi_generic", sysfs_root, addr) < 0)
		return -ENOMEM;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d) {
		int r = -errno;
		if (r != -ENOENT && r != -ENOTDIR)
			return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot read %s: %s", dir, strerror(-r));
		/* Without the sg driver the device has no scsi_generic
		 * directory at all: say which of the two is missing. */
		*strrchr(dir, '/') = 0;
		if (access(dir, F_OK) == 0)
			return no_sg_node(addr, adapter, bus, target, unit, err);
		return zv_error_set(
			err, ZV_ERROR_HOST, ENOENT,
			"The host has no SCSI generic device at %s (%s bus %u target %u unit %" PRIu64
			"): no %s",
			addr, adapter, bus, target, unit, dir);
	}
	for (struct dirent *e; (errno = 0, e = readdir(d));) {
		if (!sg_name(e->d_name))
			continue;
		if (asprintf(ret, "%s/%s", dev_root, e->d_name) < 0) {
			*ret = NULL;
			return -ENOMEM;
		}
		return 0;
	}
	if (errno)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot read %s: %s", dir, strerror(errno));
	return no_sg_node(addr, adapter, bus, target, unit, err);
}
