/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* zfcp FCP devices (control unit 1731/03, device 1732/03) as lszfcp
 * shows them, and the stores that attach and detach their LUNs:
 * unit_add, unit_remove and port_rescan below the device in
 * <sysfs_root>/bus/ccw/devices. The stores block (the kernel waits on
 * the fabric): call them on a worker thread. */

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

typedef struct HostZfcpDevice {
	char *busid; /* "0.0.1700" */
	bool online;
	bool npiv;          /* the FCP device is an NPIV virtual port */
	bool auto_lun_scan; /* NPIV and zfcp.allow_lun_scan: LUNs come without unit_add */
	char *scsi_host;    /* "host2" while online, else NULL */
	char **ports;       /* the remote ports' WWPNs ("0x5005..."), NULL-terminated */
} HostZfcpDevice;

typedef struct HostZfcpDeviceList {
	HostZfcpDevice *devices;
	size_t n;
} HostZfcpDeviceList;

/* A WWPN or FCP LUN: "0x" and 16 lower-case hex digits, nothing else
 * (bus ids: ccw_busid_valid in host/ccw-device.h). */
bool host_zfcp_wwpn_valid(const char *s);

/* Every FCP device, sorted by bus id; ZV_ERROR_HOST when sysfs cannot
 * be read; -ENOMEM. */
int host_zfcp_device_list(const char *sysfs_root, HostZfcpDeviceList *ret, ZvError *err);
void host_zfcp_device_list_done(HostZfcpDeviceList *l);

/* One FCP device: ZV_ERROR_NO_SUCH_DEVICE (-ENODEV) when busid is not
 * one (or not an FCP device). */
int host_zfcp_device_get(const char *sysfs_root, const char *busid, HostZfcpDevice *ret, ZvError *err);
void host_zfcp_device_done(HostZfcpDevice *d);

/* The stores (blocking). The device must be online. The kernel's
 * errno reaches err: unit_add EEXIST (the unit exists:
 * ZV_ERROR_OPERATION_INVALID), EINVAL (ZV_ERROR_INVALID_ARGUMENT),
 * no such port (ZV_ERROR_NO_SUCH_DEVICE); unit_remove EINVAL (no such
 * unit: ZV_ERROR_NO_SUCH_DEVICE); an offline device
 * ZV_ERROR_OPERATION_INVALID. */
int host_zfcp_unit_add(const char *sysfs_root, const char *busid, const char *wwpn, const char *lun,
		       ZvError *err);
int host_zfcp_unit_remove(const char *sysfs_root, const char *busid, const char *wwpn, const char *lun,
			  ZvError *err);
int host_zfcp_port_rescan(const char *sysfs_root, const char *busid, ZvError *err);
