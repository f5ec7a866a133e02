/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Why a prepared device's node is missing (disk-node.h): the node's
 * name says which device it stands for, sysfs says what that device
 * lacks. */
#include "host/disk-node.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/ccw-device.h"
#include "host/dasd.h"
#include "host/scsi-device.h"
#include "host/sysfs-attr.h"
#include "util/cleanup.h"

/* s without prefix, or NULL. */
static const char *after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

static int missing(ZvError *err, const char *path, const char *why)
{
	return zv_error_set(err, ZV_ERROR_HOST, ENOENT, "%s does not exist: %s", path, why);
}

/* A DASD named by bus id: online, formatted, a base device. part is the
 * "-partN" after the bus id, "" for the whole disk. */
static int check_dasd(const char *sysfs_root, const char *dev_root, const char *path, const char *busid,
		      const char *part, ZvError *err)
{
	char why[512];
	_cleanup_(ccw_device_done) CcwDevice c = {};
	int r = ccw_device_read(sysfs_root, busid, &c);
	if (r == -ENOENT) {
		snprintf(why, sizeof(why),
			 "the host has no ccw device %s (it is not in this system's I/O configuration)",
			 busid);
		return missing(err, path, why);
	}
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	if (strcmp(c.driver, "dasd-eckd") != 0 && strcmp(c.driver, "dasd-fba") != 0) {
		snprintf(why, sizeof(why), "ccw device %s is not a DASD (its driver is %s)", busid,
			 c.driver[0] ? c.driver : "none");
		return missing(err, path, why);
	}
	if (!c.online) {
		snprintf(
			why, sizeof(why),
			"DASD %s is offline: set it online first (org.zvirt1.Host.SetCcwOnline, as chccwdev "
			"-e %s)",
			busid, busid);
		return missing(err, path, why);
	}
	_cleanup_(dasd_done) Dasd d = {};
	r = dasd_read(sysfs_root, dev_root, busid, &d);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	if (d.alias)
		snprintf(why, sizeof(why),
			 "ccw device %s is a PAV alias, which has no block device: name its base device",
			 busid);
	else if (strcmp(d.status, "n/f") == 0)
		snprintf(why, sizeof(why),
			 "DASD %s is online but not formatted: format it on the host (dasdfmt -b 4096), "
			 "which the guest cannot do",
			 busid);
	else if (part[0])
		snprintf(why, sizeof(why), "DASD %s (%s) has no partition %s", busid, d.name, part + 5);
	else
		snprintf(why, sizeof(why), "DASD %s is online as %s, but udev has not made its node", busid,
			 d.name);
	return missing(err, path, why);
}

/* A DASD named by UID: the DASD that has it, then as by bus id. */
static int check_dasd_uid(const char *sysfs_root, const char *dev_root, const char *path, const char *uid,
			  ZvError *err)
{
	_cleanup_(dasd_list_done) DasdList l = {};
	int r = dasd_list(sysfs_root, dev_root, &l);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	char part[16] = "";
	const char *p = strstr(uid, "-part");
	size_t uid_len = p ? (size_t)(p - uid) : strlen(uid);
	if (p)
		snprintf(part, sizeof(part), "%s", p);
	for (size_t i = 0; i < l.n; i++)
		if (!l.dasds[i].alias && strlen(l.dasds[i].uid) == uid_len &&
		    strncmp(l.dasds[i].uid, uid, uid_len) == 0)
			return check_dasd(sysfs_root, dev_root, path, l.dasds[i].busid, part, err);
	char why[512];
	snprintf(
		why, sizeof(why),
		"no online DASD of this host has UID %.*s (the kernel shows a DASD's UID once it is online: "
		"org.zvirt1.Host.SetCcwOnline)",
		(int)uid_len, uid);
	return missing(err, path, why);
}

/* A LUN named by its SCSI id (the multipath map's or by-id name). */
static int check_scsi_id(const char *sysfs_root, const char *dev_root, const char *path, const char *id,
			 bool map, ZvError *err)
{
	_cleanup_(host_scsi_device_list_done) HostScsiDeviceList l = {};
	ZvError ignored = ZV_ERROR_INIT;
	int r = host_scsi_device_list(sysfs_root, dev_root, &l, &ignored);
	zv_error_clear(&ignored);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	char why[512];
	for (size_t i = 0; i < l.n; i++) {
		const HostScsiDevice *s = &l.devices[i];
		if (!s->scsi_id || strcmp(s->scsi_id, id) != 0)
			continue;
		if (map)
			snprintf(why, sizeof(why),
				 "the LUN with WWID %s is SCSI device %s (%s), but multipathd has no map "
				 "for it: is multipathd running, with user_friendly_names no?",
				 id, s->address, s->node ? s->node : "no node");
		else
			snprintf(why, sizeof(why),
				 "the LUN with WWID %s is SCSI device %s, but udev has not made its node",
				 id, s->address);
		return missing(err, path, why);
	}
	snprintf(why, sizeof(why),
		 "no SCSI device of this host has WWID %s: set its FCP device online and add the LUN "
		 "(org.zvirt1.Host.SetCcwOnline, org.zvirt1.Host.ZfcpAddUnit)",
		 id);
	return missing(err, path, why);
}

/* A LUN named by path: ccw-<bus id>-zfcp-<wwpn>:<lun>. */
static int check_zfcp_path(const char *sysfs_root, const char *path, const char *busid, const char *wwpn,
			   const char *lun, ZvError *err)
{
	char why[512];
	_cleanup_(ccw_device_done) CcwDevice c = {};
	int r = ccw_device_read(sysfs_root, busid, &c);
	if (r == -ENOENT) {
		snprintf(why, sizeof(why), "the host has no FCP device %s", busid);
		return missing(err, path, why);
	}
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	if (!c.online) {
		snprintf(why, sizeof(why),
			 "FCP device %s is offline: set it online first (org.zvirt1.Host.SetCcwOnline)",
			 busid);
		return missing(err, path, why);
	}
	_cleanup_free_ char *address = NULL;
	r = host_scsi_device_find_zfcp(sysfs_root, busid, wwpn, lun, &address);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		snprintf(why, sizeof(why),
			 "LUN %s of port %s on FCP device %s is not attached: add it "
			 "(org.zvirt1.Host.ZfcpAddUnit)",
			 lun, wwpn, busid);
	else
		snprintf(why, sizeof(why), "the LUN is SCSI device %s, but udev has not made its node",
			 address);
	return missing(err, path, why);
}

/* An existing DASD node: only one that is not formatted is refused
 * (the guest would see an empty disk). */
static int check_dasd_formatted(const char *sysfs_root, const char *dev_root, const char *path,
				const char *busid, ZvError *err)
{
	_cleanup_(dasd_done) Dasd d = {};
	if (dasd_read(sysfs_root, dev_root, busid, &d) < 0 || strcmp(d.status, "n/f") != 0)
		return 0;
	return zv_error_set(
		err, ZV_ERROR_HOST, EMEDIUMTYPE,
		"%s is DASD %s, which is not formatted: format it on the host (dasdfmt -b 4096), "
		"which the guest cannot do",
		path, busid);
}

int host_disk_node_check(const char *sysfs_root, const char *dev_root, const char *path, ZvError *err)
{
	if (!sysfs_root || !dev_root || !path)
		return -EINVAL;
	bool exists = access(path, F_OK) == 0;
	if (!exists && errno != ENOENT)
		return 0;
	const char *rel = after(path, dev_root);
	if (!rel || *rel != '/')
		return 0;
	rel++;

	const char *s;
	char busid[CCW_BUSID_MAX];
	if ((s = after(rel, "disk/by-path/ccw-"))) {
		size_t n = strcspn(s, "-");
		if (n >= sizeof(busid))
			return 0;
		memcpy(busid, s, n);
		busid[n] = 0;
		if (!ccw_busid_valid(busid))
			return 0;
		const char *rest = s + n, *z = after(rest, "-zfcp-");
		if (z) {
			/* <wwpn>:<lun>, each 0x and 16 hex digits */
			char wwpn[19], lun[19];
			if (exists || strlen(z) != 37 || z[18] != ':')
				return 0;
			memcpy(wwpn, z, 18);
			wwpn[18] = 0;
			memcpy(lun, z + 19, 18);
			lun[18] = 0;
			return check_zfcp_path(sysfs_root, path, busid, wwpn, lun, err);
		}
		if (rest[0] && (!after(rest, "-part") || !rest[5] ||
				strspn(rest + 5, "0123456789") != strlen(rest + 5)))
			return 0;
		if (exists)
			return rest[0] ? 0 : check_dasd_formatted(sysfs_root, dev_root, path, busid, err);
		return check_dasd(sysfs_root, dev_root, path, busid, rest, err);
	}
	if (exists)
		return 0;
	if ((s = after(rel, "disk/by-id/ccw-")) && *s && !strchr(s, '/'))
		return check_dasd_uid(sysfs_root, dev_root, path, s, err);
	if ((s = after(rel, "disk/by-id/scsi-")) && *s && !strchr(s, '/'))
		return check_scsi_id(sysfs_root, dev_root, path, s, false, err);
	if ((s = after(rel, "mapper/")) && *s && !strchr(s, '/'))
		return check_scsi_id(sysfs_root, dev_root, path, s, true, err);
	return 0;
}
