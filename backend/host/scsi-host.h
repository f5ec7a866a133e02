/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A host SCSI device (a tape or medium changer behind zfcp) by its
 * address, scsi_hostH bus C target T unit L, as the kernel names it
 * H:C:T:L, and the SCSI generic node it has: what a <hostdev
 * type='scsi'> is passed to QEMU as. */

#include <stdint.h>

#include "util/error.h"

/* "<dev_root>/sgN" from <sysfs_root>/bus/scsi/devices/H:C:T:L/scsi_generic/sgN
 * (the kernel's class directory of the device's sg node; libvirt's
 * virSCSIDeviceGetSgName reads the same). adapter is "scsi_hostH".
 * Errors: ZV_ERROR_HOST naming the address when the device or its sg
 * node does not exist (-ENOENT), or sysfs cannot be read; -ENOMEM. */
int host_scsi_sg_path(const char *sysfs_root, const char *dev_root, const char *adapter, unsigned bus,
		      unsigned target, uint64_t unit, char **ret, ZvError *err);
