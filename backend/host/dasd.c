/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's DASDs (dasd.h). */
#include "host/dasd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/sysfs-attr.h"
#include "util/cleanup.h"

void dasd_done(Dasd *d)
{
	free(d->name);
	free(d->device);
	free(d->uid);
	free(d->by_path);
	*d = (Dasd){};
}

/* dir/attr, "" when it is missing (a device going away). */
static int read_or_empty(const char *root, char **ret, const char *dir, const char *attr)
{
	int r = sysfs_read_attrf(root, ret, "%s/%s", dir, attr);
	if (r == -ENOENT || r == -ENODEV)
		return (*ret = strdup("")) ? 0 : -ENOMEM;
	return r;
}

static int read_u64(const char *root, uint64_t *ret, const char *dir, const char *attr)
{
	_cleanup_free_ char *v = NULL;
	int r = read_or_empty(root, &v, dir, attr);
	if (r < 0)
		return r;
	*ret = strtoull(v, NULL, 10);
	return 0;
}

static int dasd_fill(const char *root, const char *dev_root, const CcwDevice *c, Dasd *d)
{
	_cleanup_free_ char *status = NULL, *alias = NULL;
	_cleanup_free_ char *cdir = NULL;
	uint64_t sectors = 0, bs = 0;
	int r;

	if (asprintf(&cdir, "bus/ccw/devices/%s", c->busid) < 0)
		return -ENOMEM;

	snprintf(d->busid, sizeof(d->busid), "%s", c->busid);
	d->type = strcmp(c->driver, "dasd-fba") == 0 ? "FBA" : "ECKD";
	r = read_or_empty(root, &status, cdir, "status");
	if (r >= 0)
		r = read_or_empty(root, &alias, cdir, "alias");
	if (r >= 0)
		r = read_or_empty(root, &d->uid, cdir, "uid");
	if (r >= 0)
		r = (d->name = strdup(c->block)) ? 0 : -ENOMEM;
	if (r >= 0 && c->block[0]) {
		_cleanup_free_ char *bdir = NULL;
		if (asprintf(&bdir, "bus/ccw/devices/%s/block/%s", c->busid, c->block) < 0)
			return -ENOMEM;
		r = read_or_empty(root, &d->device, bdir, "dev");
		if (r >= 0)
			r = read_u64(root, &sectors, bdir, "size");
		if (r >= 0)
			r = read_u64(root, &bs, bdir, "queue/logical_block_size");
	} else if (r >= 0)
		r = (d->device = strdup("")) ? 0 : -ENOMEM;
	if (r < 0)
		return r;

	d->alias = strcmp(alias, "1") == 0;
	d->block_size = (uint32_t)bs;
	d->blocks = bs ? sectors * 512 / bs : 0;
	d->size_mb = sectors * 512 >> 20;
	/* lsdasd's words: the driver's "online" is active, "unformatted"
	 * is n/f; an online alias has no block device. */
	if (!c->online)
		d->status = "offline";
	else if (d->alias)
		d->status = "alias";
	else if (strcmp(status, "unformatted") == 0 || (c->block[0] && sectors == 0))
		d->status = "n/f";
	else
		d->status = "active";

	_cleanup_free_ char *node = NULL;
	if (asprintf(&node, "%s/disk/by-path/ccw-%s", dev_root, c->busid) < 0)
		return -ENOMEM;
	d->by_path = access(node, F_OK) == 0 ? TAKE_PTR(node) : strdup("");
	return d->by_path ? 0 : -ENOMEM;
}

static bool is_dasd(const CcwDevice *c)
{
	return strcmp(c->driver, "dasd-eckd") == 0 || strcmp(c->driver, "dasd-fba") == 0;
}

int dasd_read(const char *root, const char *dev_root, const char *busid, Dasd *ret)
{
	_cleanup_(ccw_device_done) CcwDevice c = {};
	Dasd d = {};
	int r = ccw_device_read(root, busid, &c);
	if (r < 0)
		return r;
	if (!is_dasd(&c))
		return -ENOTBLK;
	r = dasd_fill(root, dev_root, &c, &d);
	if (r < 0) {
		dasd_done(&d);
		return r;
	}
	*ret = d;
	return 0;
}

void dasd_list_done(DasdList *l)
{
	for (size_t i = 0; i < l->n; i++)
		dasd_done(&l->dasds[i]);
	free(l->dasds);
	*l = (DasdList){};
}

int dasd_list(const char *root, const char *dev_root, DasdList *ret)
{
	_cleanup_(ccw_device_list_done) CcwDeviceList all = {};
	DasdList l = {};
	int r = ccw_device_list(root, &all);
	if (r < 0)
		return r;
	if (all.n && !(l.dasds = calloc(all.n, sizeof(*l.dasds))))
		return -ENOMEM;
	for (size_t i = 0; i < all.n; i++) {
		if (!is_dasd(&all.devs[i]))
			continue;
		r = dasd_fill(root, dev_root, &all.devs[i], &l.dasds[l.n]);
		l.n++;
		if (r < 0) {
			dasd_list_done(&l);
			return r;
		}
	}
	*ret = l;
	return 0;
}

/* The uid up to its last '.': "IBM.75000000092461.e900". */
static size_t uid_prefix(const char *uid)
{
	const char *dot = strrchr(uid, '.');
	return dot ? (size_t)(dot - uid) : 0;
}

static int busid_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dasd_aliases_of(const char *root, const char *base, char ***ret)
{
	_cleanup_free_ char *base_uid = NULL;
	int r = sysfs_read_attrf(root, &base_uid, "bus/ccw/devices/%s/uid", base);
	if (r == -ENOENT)
		return (*ret = calloc(1, sizeof(char *))) ? 0 : -ENOMEM;
	if (r < 0)
		return r;
	/* An alias is no base: it brings nothing along. */
	_cleanup_free_ char *base_alias = NULL;
	if (sysfs_read_attrf(root, &base_alias, "bus/ccw/devices/%s/alias", base) >= 0 &&
	    strcmp(base_alias, "1") == 0)
		return (*ret = calloc(1, sizeof(char *))) ? 0 : -ENOMEM;
	size_t plen = uid_prefix(base_uid);
	_cleanup_strv_free_ char **out = calloc(1, sizeof(char *));
	size_t n = 0;
	if (!out)
		return -ENOMEM;
	/* The DASD drivers' own lists, and of each device only its alias
	 * flag: a host with 1000 DASDs is read in a blink, not listed whole. */
	static const char *const drivers[] = {"dasd-eckd", "dasd-fba"};
	for (size_t d = 0; plen && d < ELEMENTSOF(drivers); d++) {
		_cleanup_closedir_ DIR *dir = sysfs_opendirf(root, "bus/ccw/drivers/%s", drivers[d]);
		struct dirent *e;
		while (dir && (e = readdir(dir))) {
			_cleanup_free_ char *alias = NULL, *uid = NULL;
			if (!ccw_busid_valid(e->d_name) || strcmp(e->d_name, base) == 0)
				continue;
			if (sysfs_read_attrf(root, &alias, "bus/ccw/devices/%s/alias", e->d_name) < 0 ||
			    strcmp(alias, "1") != 0)
				continue;
			if (sysfs_read_attrf(root, &uid, "bus/ccw/devices/%s/uid", e->d_name) < 0 ||
			    uid_prefix(uid) != plen || strncmp(uid, base_uid, plen) != 0)
				continue;
			char **nv = realloc(out, (n + 2) * sizeof(char *));
			if (!nv)
				return -ENOMEM;
			out = nv;
			out[n + 1] = NULL;
			if (!(out[n] = strdup(e->d_name)))
				return -ENOMEM;
			n++;
		}
	}
	qsort(out, n, sizeof(char *), busid_strcmp);
	*ret = TAKE_PTR(out);
	return 0;
}
