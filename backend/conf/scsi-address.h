/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Drive addresses on virtio-scsi controllers, as libvirt gives them:
 * what define does for every SCSI disk and hostdev without one
 * (conf/scsi-validate.c), and what hot-plug needs for one new device. */

#include <stdbool.h>

#include "conf/domain-def.h"
#include "util/error.h"

/* libvirt's SCSI_NARROW_BUS_MAX_CONT_UNIT: automatic addresses use units
 * 0..6 of each controller, bus 0, target 0. */
#define SCSI_AUTO_UNITS 7

/* virDomainDiskDefAssignAddress for bus scsi: sda is 0:0:0:0, sdg
 * 0:0:0:6, sdh 1:0:0:0. -EINVAL for a target that is not sd[a-z]+,
 * -ERANGE past controller DRIVE_ADDRESS_CONTROLLER_MAX. */
int scsi_disk_default_address(const char *target, DriveAddress *ret);

/* Whether a SCSI disk or hostdev of def holds a. */
bool domain_def_drive_address_used(const DomainDef *def, const DriveAddress *a);

/* Hot-plug: gives disk (bus scsi, no drive address yet) libvirt's
 * address from its name, unless a device of def holds it
 * (ZV_ERROR_INVALID_ARGUMENT naming the address). A disk with an
 * address is checked the same way. The controller it names may not
 * exist yet: libvirt then plugs a virtio-scsi controller of that index
 * first (qemu_controller_device_props). disk changes only on success. */
int domain_def_assign_scsi_disk_address(const DomainDef *def, DiskDef *disk, ZvError *err);
