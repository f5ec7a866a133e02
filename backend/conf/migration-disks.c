/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The migration's checks of a definition and the disks it copies
 * (migration-disks.h). */
#include "conf/migration-disks.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

static bool named(char *const *list, const char *target)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(list[i], target) == 0)
			return true;
	return false;
}

/* Why disk d cannot be copied, or NULL. */
static const char *cannot_copy(const DiskDef *d)
{
	if (d->device == DISK_DEVICE_CDROM)
		return "is a CD/DVD drive";
	if (d->readonly)
		return "is read-only";
	if (d->shareable)
		return "is shared (<shareable/>): both hosts see it already";
	if (!d->source)
		return "has no medium";
	if (d->iothread)
		return "is bound to an I/O thread (<driver iothread=...>)";
	return NULL;
}

int domain_def_migration_disks(const DomainDef *def, MigrationStorage storage, char *const *migrate_disks,
			       size_t **ret, size_t *ret_n, ZvError *err)
{
	*ret = NULL;
	*ret_n = 0;
	if (def->n_hostdevs > 0)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EOPNOTSUPP,
				    "Domain '%s' has SCSI host devices (%s bus %u target %u unit %llu%s): "
				    "detach them before the migration and attach them again on the "
				    "destination, whose SCSI names may differ",
				    def->name, def->hostdevs[0].adapter ? def->hostdevs[0].adapter : "?",
				    def->hostdevs[0].host_bus, def->hostdevs[0].host_target,
				    (unsigned long long)def->hostdevs[0].host_unit,
				    def->n_hostdevs > 1 ? ", ..." : "");
	for (size_t i = 0; migrate_disks && migrate_disks[i]; i++) {
		bool found = false;
		for (size_t k = 0; k < def->n_disks && !found; k++)
			found = strcmp(def->disks[k].target, migrate_disks[i]) == 0;
		if (!found)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ENOENT,
					    "migrate-disks names '%s', which domain '%s' does not have",
					    migrate_disks[i], def->name);
	}
	if (storage == MIGRATION_STORAGE_NONE) {
		if (migrate_disks && migrate_disks[0])
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
					    "migrate-disks needs copy-storage-all or copy-storage-inc");
		return 0;
	}

	_cleanup_free_ size_t *idx = calloc(def->n_disks ? def->n_disks : 1, sizeof(*idx));
	size_t n = 0;
	if (!idx)
		return -ENOMEM;
	bool chosen = migrate_disks && migrate_disks[0];
	for (size_t k = 0; k < def->n_disks; k++) {
		const DiskDef *d = &def->disks[k];
		const char *why = cannot_copy(d);
		if (chosen) {
			if (!named(migrate_disks, d->target))
				continue;
			if (why)
				return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EOPNOTSUPP,
						    "Disk '%s' cannot be copied to the destination: it %s",
						    d->target, why);
		} else if (why) {
			/* Not copied: a CD, a read-only or shared disk is
			 * there already, an empty drive has nothing. An
			 * I/O thread's disk is another matter: it would be
			 * left behind. */
			if (d->iothread && d->device == DISK_DEVICE_DISK && !d->readonly && !d->shareable &&
			    d->source)
				return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EOPNOTSUPP,
						    "Disk '%s' cannot be copied to the destination: it %s; "
						    "name the disks to copy with migrate-disks",
						    d->target, why);
			continue;
		}
		idx[n++] = k;
	}
	if (n == 0)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EINVAL,
				    "copy-storage: domain '%s' has no disk to copy", def->name);
	*ret = TAKE_PTR(idx);
	*ret_n = n;
	return 0;
}
