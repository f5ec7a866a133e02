/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's SCSI devices from sysfs (scsi-device.h): small reads of a
 * virtual file system, quick enough for the loop. */
#include "host/scsi-device.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/sysfs-attr.h"
#include "util/cleanup.h"

static void device_done(HostScsiDevice *d)
{
	free(d->address);
	free(d->vendor);
	free(d->model);
	free(d->rev);
	free(d->node);
	free(d->sg);
	free(d->wwid);
	free(d->scsi_id);
	free(d->by_id);
	free(d->multipath);
	free(d->hba_id);
	free(d->wwpn);
	free(d->fcp_lun);
}

void host_scsi_device_list_done(HostScsiDeviceList *l)
{
	for (size_t i = 0; i < l->n; i++)
		device_done(&l->devices[i]);
	free(l->devices);
	*l = (HostScsiDeviceList){};
}

static const char *type_name(int t)
{
	switch (t) {
	case 0:
		return "disk";
	case 1:
		return "tape";
	case 8:
		return "changer";
	default:
		return "other";
	}
}

char *host_scsi_wwid_to_id(const char *wwid)
{
	/* SPC's designator types as the kernel's wwid shows them, and the
	 * digit udev's scsi_id (and so multipath) puts before the id. */
	static const struct {
		const char *prefix;
		char digit;
	} kinds[] = {{"t10.", '1'}, {"eui.", '2'}, {"naa.", '3'}};
	char *out = NULL;
	if (!wwid)
		return NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].prefix);
		if (strncmp(wwid, kinds[i].prefix, n) == 0 && wwid[n] && !strchr(wwid + n, '/') &&
		    !strchr(wwid + n, ' '))
			return asprintf(&out, "%c%s", kinds[i].digit, wwid + n) < 0 ? NULL : out;
	}
	return NULL;
}

/* "H:C:T:L", all decimal. */
static bool parse_address(const char *s, HostScsiDevice *d)
{
	char tail;
	return sscanf(s, "%u:%u:%u:%" SCNu64 "%c", &d->host, &d->channel, &d->target, &d->lun, &tail) == 4 &&
	       strspn(s, "0123456789:") == strlen(s);
}

/* The one entry of the device's class directory (block/, scsi_tape/...)
 * that fits: sdX, stN (not nstN), schN, sgN. */
static int class_entry(const char *dir, const char *prefix, char **ret)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *de;
	size_t n = strlen(prefix);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, n) == 0 && de->d_name[n] && !strchr(de->d_name, '.')) {
			*ret = strdup(de->d_name);
			return *ret ? 0 : -ENOMEM;
		}
	return -ENOENT;
}

static int dev_path(const char *dev_root, const char *name, char **ret)
{
	return asprintf(ret, "%s/%s", dev_root, name) < 0 ? -ENOMEM : 0;
}

/* The node below dev_root/sub, only when it exists (udev made it). */
static int dev_link_if_exists(const char *dev_root, const char *sub, const char *id, char **ret)
{
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/%s%s", dev_root, sub, id) < 0)
		return -ENOMEM;
	/* The link itself: udev's, even before its target settles. */
	if (faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		*ret = TAKE_PTR(p);
	return 0;
}

static int read_optional(const char *root, const char *dir, const char *attr, char **ret)
{
	int r = sysfs_read_attrf(root, ret, "bus/scsi/devices/%s/%s", dir, attr);
	return r == -ENOENT ? 0 : r;
}

/* The inquiry strings come padded with blanks to their field's width. */
static void trim_end(char *s)
{
	size_t n = s ? strlen(s) : 0;
	while (n && s[n - 1] == ' ')
		s[--n] = 0;
}

static int read_device(const char *sysfs_root, const char *dev_root, const char *name, HostScsiDevice *d)
{
	_cleanup_free_ char *type = NULL, *dir = NULL, *entry = NULL;
	int r;

	d->address = strdup(name);
	if (!d->address)
		return -ENOMEM;
	r = sysfs_read_attrf(sysfs_root, &type, "bus/scsi/devices/%s/type", name);
	if (r < 0)
		return r;
	d->type_number = atoi(type);
	d->type = type_name(d->type_number);
	if ((r = read_optional(sysfs_root, name, "vendor", &d->vendor)) < 0 ||
	    (r = read_optional(sysfs_root, name, "model", &d->model)) < 0 ||
	    (r = read_optional(sysfs_root, name, "rev", &d->rev)) < 0 ||
	    (r = read_optional(sysfs_root, name, "wwid", &d->wwid)) < 0 ||
	    (r = read_optional(sysfs_root, name, "hba_id", &d->hba_id)) < 0 ||
	    (r = read_optional(sysfs_root, name, "wwpn", &d->wwpn)) < 0 ||
	    (r = read_optional(sysfs_root, name, "fcp_lun", &d->fcp_lun)) < 0)
		return r;
	trim_end(d->vendor);
	trim_end(d->model);
	trim_end(d->rev);

	/* The upper driver's node: the subdirectory it registered. */
	static const struct {
		const char *sub, *prefix;
	} uppers[] = {{"block", "sd"}, {"scsi_tape", "st"}, {"scsi_changer", "sch"}};
	for (size_t i = 0; i < sizeof(uppers) / sizeof(uppers[0]) && !d->node; i++) {
		free(dir);
		if (asprintf(&dir, "%s/bus/scsi/devices/%s/%s", sysfs_root, name, uppers[i].sub) < 0)
			return -ENOMEM;
		r = class_entry(dir, uppers[i].prefix, &entry);
		if (r == -ENOMEM)
			return r;
		if (r == 0 && (r = dev_path(dev_root, entry, &d->node)) < 0)
			return r;
		free(entry);
		entry = NULL;
	}
	free(dir);
	if (asprintf(&dir, "%s/bus/scsi/devices/%s/scsi_generic", sysfs_root, name) < 0)
		return -ENOMEM;
	r = class_entry(dir, "sg", &entry);
	if (r == -ENOMEM)
		return r;
	if (r == 0 && (r = dev_path(dev_root, entry, &d->sg)) < 0)
		return r;

	if (d->wwid && (d->scsi_id = host_scsi_wwid_to_id(d->wwid))) {
		if ((r = dev_link_if_exists(dev_root, "disk/by-id/scsi-", d->scsi_id, &d->by_id)) < 0 ||
		    (r = dev_link_if_exists(dev_root, "mapper/", d->scsi_id, &d->multipath)) < 0)
			return r;
	}
	return 0;
}

static int compare(const void *a, const void *b)
{
	const HostScsiDevice *x = a, *y = b;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	if (x->channel != y->channel)
		return x->channel < y->channel ? -1 : 1;
	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	return x->lun < y->lun ? -1 : x->lun > y->lun;
}

int host_scsi_device_list(const char *sysfs_root, const char *dev_root, HostScsiDeviceList *ret,
			  ZvError *err)
{
	HostScsiDeviceList l = {};
	int r = 0;

	_cleanup_closedir_ DIR *dir = sysfs_opendirf(sysfs_root, "bus/scsi/devices");
	if (!dir) {
		if (errno == ENOENT) {
			*ret = l;
			return 0;
		}
		r = -errno;
		return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot read %s/bus/scsi/devices: %s",
				    sysfs_root, strerror(-r));
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		HostScsiDevice d = {};
		/* Only devices: targetH:C:T and hostN are there too. */
		if (!parse_address(de->d_name, &d))
			continue;
		HostScsiDevice *n = realloc(l.devices, (l.n + 1) * sizeof(*n));
		if (!n) {
			r = -ENOMEM;
			break;
		}
		l.devices = n;
		r = read_device(sysfs_root, dev_root, de->d_name, &d);
		if (r == -ENOENT) {
			/* Gone between readdir and the read: not listed. */
			device_done(&d);
			r = 0;
			continue;
		}
		l.devices[l.n++] = d;
		if (r < 0)
			break;
	}
	if (r < 0) {
		host_scsi_device_list_done(&l);
		if (r == -ENOMEM)
			return r;
		return zv_error_set(err, ZV_ERROR_HOST, -r,
				    "Cannot read the SCSI devices in %s/bus/scsi/devices: %s", sysfs_root,
				    strerror(-r));
	}
	if (l.n)
		qsort(l.devices, l.n, sizeof(*l.devices), compare);
	*ret = l;
	return 0;
}

int host_scsi_device_find_zfcp(const char *sysfs_root, const char *busid, const char *wwpn, const char *lun,
			       char **ret)
{
	_cleanup_closedir_ DIR *dir = sysfs_opendirf(sysfs_root, "bus/scsi/devices");
	if (!dir)
		return -errno;
	struct dirent *de;
	while ((de = readdir(dir))) {
		HostScsiDevice d = {};
		_cleanup_free_ char *h = NULL, *w = NULL, *l = NULL;
		if (!parse_address(de->d_name, &d))
			continue;
		if (read_optional(sysfs_root, de->d_name, "hba_id", &h) < 0 || !h ||
		    read_optional(sysfs_root, de->d_name, "wwpn", &w) < 0 || !w ||
		    read_optional(sysfs_root, de->d_name, "fcp_lun", &l) < 0 || !l)
			continue;
		if (strcmp(h, busid) == 0 && strcmp(w, wwpn) == 0 && strcmp(l, lun) == 0) {
			*ret = strdup(de->d_name);
			return *ret ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}
