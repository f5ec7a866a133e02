/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* zfcp FCP devices through sysfs (zfcp-device.h). */
#include "host/zfcp-device.h"

#include "host/ccw-device.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/sysfs-attr.h"
#include "util/cleanup.h"

static bool lower_hex(const char *s, size_t n)
{
	return strlen(s) >= n && strspn(s, "0123456789abcdef") >= n;
}

bool host_zfcp_wwpn_valid(const char *s)
{
	return s && strlen(s) == 18 && s[0] == '0' && s[1] == 'x' && lower_hex(s + 2, 16);
}

void host_zfcp_device_done(HostZfcpDevice *d)
{
	free(d->busid);
	free(d->scsi_host);
	if (d->ports)
		for (char **p = d->ports; *p; p++)
			free(*p);
	free(d->ports);
	*d = (HostZfcpDevice){};
}

void host_zfcp_device_list_done(HostZfcpDeviceList *l)
{
	for (size_t i = 0; i < l->n; i++)
		host_zfcp_device_done(&l->devices[i]);
	free(l->devices);
	*l = (HostZfcpDeviceList){};
}

static bool is_fcp(const char *root, const char *busid)
{
	_cleanup_free_ char *cu = NULL, *dt = NULL;
	return sysfs_read_attrf(root, &cu, "bus/ccw/devices/%s/cutype", busid) == 0 &&
	       sysfs_read_attrf(root, &dt, "bus/ccw/devices/%s/devtype", busid) == 0 &&
	       strcmp(cu, "1731/03") == 0 && strcmp(dt, "1732/03") == 0;
}

static int compare_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The device's directory: hostN and the remote ports (0x<wwpn>). */
static int read_children(const char *root, HostZfcpDevice *d)
{
	size_t n = 0;
	_cleanup_closedir_ DIR *dir = sysfs_opendirf(root, "bus/ccw/devices/%s", d->busid);
	if (!dir)
		return -errno;
	d->ports = calloc(1, sizeof(char *));
	if (!d->ports)
		return -ENOMEM;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (host_zfcp_wwpn_valid(de->d_name)) {
			char **p = realloc(d->ports, (n + 2) * sizeof(char *));
			if (!p)
				return -ENOMEM;
			d->ports = p;
			if (!(d->ports[n] = strdup(de->d_name)))
				return -ENOMEM;
			d->ports[++n] = NULL;
		} else if (strncmp(de->d_name, "host", 4) == 0 && de->d_name[4] &&
			   strspn(de->d_name + 4, "0123456789") == strlen(de->d_name + 4) && !d->scsi_host) {
			if (!(d->scsi_host = strdup(de->d_name)))
				return -ENOMEM;
		}
	}
	if (n)
		qsort(d->ports, n, sizeof(char *), compare_str);
	return 0;
}

static int read_device(const char *root, const char *busid, HostZfcpDevice *d)
{
	_cleanup_free_ char *online = NULL, *port_type = NULL, *scan = NULL;
	int r;
	if (!(d->busid = strdup(busid)))
		return -ENOMEM;
	r = sysfs_read_attrf(root, &online, "bus/ccw/devices/%s/online", busid);
	if (r < 0)
		return r;
	d->online = strcmp(online, "1") == 0;
	if ((r = read_children(root, d)) < 0)
		return r;
	if (d->scsi_host &&
	    sysfs_read_attrf(root, &port_type, "class/fc_host/%s/port_type", d->scsi_host) == 0)
		d->npiv = strcmp(port_type, "NPIV VPORT") == 0;
	/* The kernel scans LUNs itself only on an NPIV port. */
	if (sysfs_read_attr(root, "module/zfcp/parameters/allow_lun_scan", &scan) == 0)
		d->auto_lun_scan = d->npiv && (strcmp(scan, "Y") == 0 || strcmp(scan, "1") == 0);
	return 0;
}

int host_zfcp_device_get(const char *sysfs_root, const char *busid, HostZfcpDevice *ret, ZvError *err)
{
	HostZfcpDevice d = {};
	if (!ccw_busid_valid(busid))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "'%s' is not a bus id (x.y.zzzz, lower-case hex)", busid);
	if (!is_fcp(sysfs_root, busid))
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV, "No FCP device %s", busid);
	int r = read_device(sysfs_root, busid, &d);
	if (r < 0) {
		host_zfcp_device_done(&d);
		if (r == -ENOMEM)
			return r;
		return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot read the FCP device %s: %s", busid,
				    strerror(-r));
	}
	*ret = d;
	return 0;
}

static int compare_dev(const void *a, const void *b)
{
	return strcmp(((const HostZfcpDevice *)a)->busid, ((const HostZfcpDevice *)b)->busid);
}

int host_zfcp_device_list(const char *sysfs_root, HostZfcpDeviceList *ret, ZvError *err)
{
	HostZfcpDeviceList l = {};
	int r = 0;
	_cleanup_closedir_ DIR *dir = sysfs_opendirf(sysfs_root, "bus/ccw/devices");
	if (!dir) {
		if (errno == ENOENT) {
			*ret = l;
			return 0;
		}
		r = -errno;
		return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot read %s/bus/ccw/devices: %s", sysfs_root,
				    strerror(-r));
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (!ccw_busid_valid(de->d_name) || !is_fcp(sysfs_root, de->d_name))
			continue;
		HostZfcpDevice *n = realloc(l.devices, (l.n + 1) * sizeof(*n));
		if (!n) {
			r = -ENOMEM;
			break;
		}
		l.devices = n;
		l.devices[l.n] = (HostZfcpDevice){};
		r = read_device(sysfs_root, de->d_name, &l.devices[l.n++]);
		if (r < 0)
			break;
	}
	if (r < 0) {
		host_zfcp_device_list_done(&l);
		if (r == -ENOMEM)
			return r;
		return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot read the FCP devices: %s", strerror(-r));
	}
	if (l.n)
		qsort(l.devices, l.n, sizeof(*l.devices), compare_dev);
	*ret = l;
	return 0;
}

/* The device exists, is an FCP device and is online. */
static int check_online(const char *root, const char *busid, ZvError *err)
{
	HostZfcpDevice d = {};
	int r = host_zfcp_device_get(root, busid, &d, err);
	if (r < 0)
		return r;
	bool online = d.online;
	host_zfcp_device_done(&d);
	if (!online)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, ENODEV,
				    "The FCP device %s is offline; set it online first", busid);
	return 0;
}

static int port_store(const char *root, const char *busid, const char *wwpn, const char *attr,
		      const char *lun, ZvError *err)
{
	_cleanup_free_ char *path = NULL;
	if (!host_zfcp_wwpn_valid(wwpn))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "'%s' is not a WWPN (0x and 16 lower-case hex digits)", wwpn);
	if (!host_zfcp_wwpn_valid(lun))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "'%s' is not an FCP LUN (0x and 16 lower-case hex digits)", lun);
	int r = check_online(root, busid, err);
	if (r < 0)
		return r;
	if (asprintf(&path, "bus/ccw/devices/%s/%s/%s", busid, wwpn, attr) < 0)
		return -ENOMEM;
	r = sysfs_write_attr(root, path, lun);
	if (r == -ENOENT || r == -ENXIO)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, -r,
				    "The FCP device %s has no port %s (try ZfcpPortRescan)", busid, wwpn);
	if (r == -EEXIST)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EEXIST,
				    "The unit %s of port %s on %s exists", lun, wwpn, busid);
	if (r == -EINVAL && strcmp(attr, "unit_remove") == 0)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, EINVAL,
				    "The kernel refused %s for %s: port %s on %s has no such unit", lun,
				    attr, wwpn, busid);
	if (r == -EINVAL)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "The kernel refused %s for %s of port %s on %s", lun, attr, wwpn, busid);
	if (r == -EBUSY)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY, "%s of port %s on %s: device busy", attr,
				    wwpn, busid);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, -r, "%s %s of port %s on %s failed: %s", attr, lun,
				    wwpn, busid, strerror(-r));
	return 0;
}

int host_zfcp_unit_add(const char *sysfs_root, const char *busid, const char *wwpn, const char *lun,
		       ZvError *err)
{
	return port_store(sysfs_root, busid, wwpn, "unit_add", lun, err);
}

int host_zfcp_unit_remove(const char *sysfs_root, const char *busid, const char *wwpn, const char *lun,
			  ZvError *err)
{
	return port_store(sysfs_root, busid, wwpn, "unit_remove", lun, err);
}

int host_zfcp_port_rescan(const char *sysfs_root, const char *busid, ZvError *err)
{
	_cleanup_free_ char *path = NULL;
	int r = check_online(sysfs_root, busid, err);
	if (r < 0)
		return r;
	if (asprintf(&path, "bus/ccw/devices/%s/port_rescan", busid) < 0)
		return -ENOMEM;
	r = sysfs_write_attr(sysfs_root, path, "1");
	if (r == -ENODEV)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, ENODEV,
				    "port_rescan of %s: not operational", busid);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, -r, "port_rescan of %s failed: %s", busid,
				    strerror(-r));
	return 0;
}
