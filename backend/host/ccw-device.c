/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's ccw devices (ccw-device.h). */
#include "host/ccw-device.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/sysfs-attr.h"
#include "util/cleanup.h"

static bool hex_run(const char *s, size_t min, size_t max, size_t *len)
{
	size_t n = 0;
	while ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))
		n++;
	*len = n;
	return n >= min && n <= max;
}

bool ccw_busid_valid(const char *busid)
{
	size_t n;
	/* The kernel prints %x.%x.%04x: no leading zero in the css id. */
	if (!busid || !hex_run(busid, 1, 2, &n) || busid[n] != '.' || (n == 2 && busid[0] == '0'))
		return false;
	busid += n + 1;
	if (busid[0] < '0' || busid[0] > '3' || busid[1] != '.')
		return false;
	busid += 2;
	return hex_run(busid, 4, 4, &n) && busid[n] == 0;
}

void ccw_device_done(CcwDevice *d)
{
	free(d->subchannel);
	free(d->cutype);
	free(d->devtype);
	free(d->driver);
	free(d->availability);
	free(d->block);
	*d = (CcwDevice){};
}

/* An attribute that may be missing (a device going away): "". */
static int read_or_empty(const char *root, const char *busid, const char *attr, char **ret)
{
	int r = sysfs_read_attrf(root, ret, "bus/ccw/devices/%s/%s", busid, attr);
	if (r == -ENOENT || r == -ENODEV)
		return (*ret = strdup("")) ? 0 : -ENOMEM;
	return r;
}

/* The device's real path is devices/css0/<subchannel>/<bus id>. */
static int read_subchannel(const char *root, const char *busid, char **ret)
{
	_cleanup_free_ char *link = NULL;
	char real[PATH_MAX];
	if (asprintf(&link, "%s/bus/ccw/devices/%s", root, busid) < 0)
		return -ENOMEM;
	if (!realpath(link, real))
		return -errno;
	char *slash = strrchr(real, '/');
	if (!slash)
		return -EIO;
	*slash = 0;
	slash = strrchr(real, '/');
	return (*ret = strdup(slash ? slash + 1 : real)) ? 0 : -ENOMEM;
}

/* The one entry of the device's block/ directory, "" without one. */
static int read_block(const char *root, const char *busid, char **ret)
{
	_cleanup_closedir_ DIR *d = sysfs_opendirf(root, "bus/ccw/devices/%s/block", busid);
	const char *name = "";
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			name = e->d_name;
			break;
		}
	*ret = strdup(name);
	return *ret ? 0 : -ENOMEM;
}

int ccw_device_read(const char *root, const char *busid, CcwDevice *ret)
{
	CcwDevice d = {};
	_cleanup_free_ char *online = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	if (!ccw_busid_valid(busid))
		return -EINVAL;
	if (asprintf(&path, "bus/ccw/devices/%s", busid) < 0)
		return -ENOMEM;
	if (!sysfs_exists(root, path))
		return -ENOENT;
	snprintf(d.busid, sizeof(d.busid), "%s", busid);
	r = read_subchannel(root, busid, &d.subchannel);
	if (r >= 0)
		r = read_or_empty(root, busid, "cutype", &d.cutype);
	if (r >= 0)
		r = read_or_empty(root, busid, "devtype", &d.devtype);
	if (r >= 0)
		r = read_or_empty(root, busid, "availability", &d.availability);
	if (r >= 0)
		r = read_or_empty(root, busid, "online", &online);
	if (r >= 0)
		r = read_block(root, busid, &d.block);
	if (r >= 0) {
		_cleanup_free_ char *drv_path = NULL;
		r = asprintf(&drv_path, "%s/driver", path) < 0 ? -ENOMEM : 0;
		if (r >= 0)
			r = sysfs_link_basename(root, drv_path, &d.driver);
		if (r == -ENOENT)
			r = (d.driver = strdup("")) ? 0 : -ENOMEM;
	}
	if (r < 0) {
		ccw_device_done(&d);
		/* Gone while read. */
		return r == -ENODEV ? -ENOENT : r;
	}
	d.online = strcmp(online, "1") == 0;
	*ret = d;
	return 0;
}

bool ccw_device_equal(const CcwDevice *a, const CcwDevice *b)
{
	return strcmp(a->busid, b->busid) == 0 && strcmp(a->subchannel, b->subchannel) == 0 &&
	       strcmp(a->cutype, b->cutype) == 0 && strcmp(a->devtype, b->devtype) == 0 &&
	       strcmp(a->driver, b->driver) == 0 && strcmp(a->availability, b->availability) == 0 &&
	       strcmp(a->block, b->block) == 0 && a->online == b->online;
}

void ccw_device_list_done(CcwDeviceList *l)
{
	for (size_t i = 0; i < l->n; i++)
		ccw_device_done(&l->devs[i]);
	free(l->devs);
	*l = (CcwDeviceList){};
}

/* Bus ids sort as lscss shows them: by subchannel set, then number. */
static int busid_cmp(const void *a, const void *b)
{
	unsigned ca, sa, da, cb, sb, db;
	const CcwDevice *x = a, *y = b;
	if (sscanf(x->busid, "%x.%x.%x", &ca, &sa, &da) != 3 ||
	    sscanf(y->busid, "%x.%x.%x", &cb, &sb, &db) != 3)
		return strcmp(x->busid, y->busid);
	if (ca != cb)
		return ca < cb ? -1 : 1;
	if (sa != sb)
		return sa < sb ? -1 : 1;
	return da < db ? -1 : da > db ? 1 : 0;
}

int ccw_device_list(const char *root, CcwDeviceList *ret)
{
	CcwDeviceList l = {};
	size_t cap = 0;
	int r = 0;

	_cleanup_closedir_ DIR *d = sysfs_opendirf(root, "bus/ccw/devices");
	if (!d) {
		*ret = l;
		return errno == ENOENT ? 0 : -errno;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!ccw_busid_valid(e->d_name))
			continue;
		if (l.n == cap) {
			cap = cap ? cap * 2 : 64;
			CcwDevice *n = realloc(l.devs, cap * sizeof(*n));
			if (!n) {
				r = -ENOMEM;
				break;
			}
			l.devs = n;
		}
		r = ccw_device_read(root, e->d_name, &l.devs[l.n]);
		if (r == -ENOENT) {
			r = 0; /* went meanwhile */
			continue;
		}
		if (r < 0)
			break;
		l.n++;
	}
	if (r < 0) {
		ccw_device_list_done(&l);
		return r;
	}
	if (l.n)
		qsort(l.devs, l.n, sizeof(*l.devs), busid_cmp);
	*ret = l;
	return 0;
}

int ccw_device_set_online(const char *root, const char *busid, bool online)
{
	_cleanup_free_ char *path = NULL, *dev = NULL;
	if (!ccw_busid_valid(busid))
		return -EINVAL;
	if (asprintf(&dev, "bus/ccw/devices/%s", busid) < 0 || asprintf(&path, "%s/online", dev) < 0)
		return -ENOMEM;
	if (!sysfs_exists(root, dev))
		return -ENOENT;
	return sysfs_write_attr(root, path, online ? "1" : "0");
}
