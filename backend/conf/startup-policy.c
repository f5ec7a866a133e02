/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The startupPolicy of disks at a start (see startup-policy.h). */
#include "conf/startup-policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

int domain_def_apply_startup_policy(DomainDef *def, bool cold_boot, source_exists_fn exists, void *userdata,
				    ZvError *err)
{
	int dropped = 0;

	if (!def || !exists)
		return -EINVAL;
	for (size_t i = def->n_disks; i-- > 0;) {
		DiskDef *d = &def->disks[i];
		if (!d->source || d->startup_policy == DISK_STARTUP_POLICY_DEFAULT ||
		    exists(d->source, userdata))
			continue;
		bool cdrom = d->device == DISK_DEVICE_CDROM;
		bool drop;
		switch (d->startup_policy) {
		case DISK_STARTUP_POLICY_OPTIONAL:
			/* A restore's migration stream has the disk's state:
			 * only a removable medium may go missing there. */
			drop = cold_boot || cdrom;
			break;
		case DISK_STARTUP_POLICY_REQUISITE:
			drop = !cold_boot;
			break;
		case DISK_STARTUP_POLICY_MANDATORY:
		default:
			drop = false;
			break;
		}
		if (!drop)
			return zv_error_set(err, ZV_ERROR_HOST, ENOENT,
					    "Disk '%s': its source %s does not exist (startupPolicy='%s'%s)",
					    d->target, d->source,
					    disk_startup_policy_to_string(d->startup_policy),
					    d->startup_policy == DISK_STARTUP_POLICY_MANDATORY ? ""
					    : cold_boot ? " at a cold boot"
							: " at a restore");
		dropped++;
		if (cdrom) {
			log_info("Disk '%s': medium %s is missing, starting with an empty drive "
				 "(startupPolicy='%s')",
				 d->target, d->source, disk_startup_policy_to_string(d->startup_policy));
			/* As libvirt: the policy went with the medium. */
			free(d->source);
			d->source = NULL;
			d->startup_policy = DISK_STARTUP_POLICY_DEFAULT;
			for (size_t k = 0; k < d->n_backing; k++)
				free(d->backing[k].source);
			free(d->backing);
			d->backing = NULL;
			d->n_backing = 0;
			d->backing_terminated = false;
			continue;
		}
		log_info("Disk '%s': source %s is missing, starting without the disk (startupPolicy='%s')",
			 d->target, d->source, disk_startup_policy_to_string(d->startup_policy));
		disk_def_clear(d);
		memmove(&def->disks[i], &def->disks[i + 1], (def->n_disks - i - 1) * sizeof(DiskDef));
		def->n_disks--;
	}
	return dropped;
}
