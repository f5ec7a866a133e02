/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's drive addresses of SCSI disks (see scsi-address.h). */
#include "conf/scsi-address.h"

#include <errno.h>

static bool drive_equal(const DriveAddress *a, const DriveAddress *b)
{
	return a->controller == b->controller && a->bus == b->bus && a->target == b->target &&
	       a->unit == b->unit;
}

int scsi_disk_default_address(const char *target, DriveAddress *ret)
{
	int idx = disk_target_index(target);
	if (idx < 0 || target[0] != 's' || target[1] != 'd')
		return -EINVAL;
	DriveAddress a = {
		.assigned = true,
		.controller = (unsigned)idx / SCSI_AUTO_UNITS,
		.unit = (unsigned)idx % SCSI_AUTO_UNITS,
	};
	if (a.controller > DRIVE_ADDRESS_CONTROLLER_MAX)
		return -ERANGE;
	*ret = a;
	return 0;
}

bool domain_def_drive_address_used(const DomainDef *def, const DriveAddress *a)
{
	for (size_t i = 0; i < def->n_disks; i++)
		if (def->disks[i].bus == DISK_BUS_SCSI && def->disks[i].info.drive.assigned &&
		    drive_equal(&def->disks[i].info.drive, a))
			return true;
	for (size_t i = 0; i < def->n_hostdevs; i++)
		if (def->hostdevs[i].info.drive.assigned && drive_equal(&def->hostdevs[i].info.drive, a))
			return true;
	return false;
}

int domain_def_assign_scsi_disk_address(const DomainDef *def, DiskDef *disk, ZvError *err)
{
	DriveAddress a = disk->info.drive;

	if (!def || !disk || disk->bus != DISK_BUS_SCSI)
		return -EINVAL;
	if (!a.assigned) {
		int r = scsi_disk_default_address(disk->target, &a);
		if (r < 0)
			return zv_error_set(
				err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				"Disk '%s': no SCSI address can be derived from its name; give it "
				"an <address type='drive'/>",
				disk->target ? disk->target : "?");
	}
	if (domain_def_drive_address_used(def, &a))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
				    "Disk '%s': SCSI address controller='%u' bus='%u' target='%u' unit='%u' "
				    "is already used by another device of the domain",
				    disk->target, a.controller, a.bus, a.target, a.unit);
	disk->info.drive = a;
	return 0;
}
