/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host's SCSI devices as lsscsi -i and lszfcp -D show them: the
 * address H:C:T:L, the peripheral type, inquiry data, the nodes the
 * upper drivers (sd, st, ch, sg) made, the WWID, and for a LUN behind
 * zfcp the FCP device, port and LUN it was reached through. Reads of
 * <sysfs_root>/bus/scsi/devices; the nodes are named below dev_root
 * (/dev, or a test's directory). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct HostScsiDevice {
	char *address; /* "2:0:17:1086079011" */
	unsigned host, channel, target;
	uint64_t lun;
	int type_number;  /* the SCSI peripheral device type */
	const char *type; /* "disk", "tape", "changer" or "other" */
	char *vendor, *model, *rev;
	char *node;                    /* dev_root/sda, st0, sch0; NULL without one */
	char *sg;                      /* dev_root/sgN; NULL without sg */
	char *wwid;                    /* "naa.6005..."; NULL when the device has none */
	char *scsi_id;                 /* lsscsi -i's SCSI id, "36005...": host_scsi_wwid_to_id */
	char *by_id;                   /* dev_root/disk/by-id/scsi-<id> when it exists */
	char *multipath;               /* dev_root/mapper/<id> when it exists */
	char *hba_id, *wwpn, *fcp_lun; /* zfcp only, else NULL */
} HostScsiDevice;

typedef struct HostScsiDeviceList {
	HostScsiDevice *devices;
	size_t n;
} HostScsiDeviceList;

/* Every SCSI device, sorted by address. A host without SCSI devices
 * (no bus/scsi/devices) gives an empty list. ZV_ERROR_HOST when sysfs
 * cannot be read; -ENOMEM. */
int host_scsi_device_list(const char *sysfs_root, const char *dev_root, HostScsiDeviceList *ret,
			  ZvError *err);
void host_scsi_device_list_done(HostScsiDeviceList *l);

/* The address (malloc'd) of the SCSI device zfcp reached as LUN lun of
 * port wwpn on FCP device busid (strings as sysfs shows them: "0x" and
 * 16 hex digits); -ENOENT when there is none (yet). */
int host_scsi_device_find_zfcp(const char *sysfs_root, const char *busid, const char *wwpn, const char *lun,
			       char **ret);

/* The device-mapper name multipathd gives a WWID ("naa.6005..." is
 * "36005..."): the SCSI name string's type digit, then the id. NULL for
 * a WWID of another form or on -ENOMEM. */
char *host_scsi_wwid_to_id(const char *wwid);
