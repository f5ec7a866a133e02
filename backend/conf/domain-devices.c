/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One disk in or out of a definition: what must be free for it, where
 * it goes, and its ccw address when the device XML gave none. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ccw-address.h"
#include "conf/domain-devices.h"
#include "util/cleanup.h"

ssize_t domain_def_disk_index(const DomainDef *def, const char *target)
{
	if (!def || !target)
		return -ENOENT;
	for (size_t i = 0; i < def->n_disks; i++)
		if (def->disks[i].target && strcmp(def->disks[i].target, target) == 0)
			return (ssize_t)i;
	return -ENOENT;
}

/* The device of def that holds alias, for the message; NULL if none. */
static const char *alias_holder(const DomainDef *def, const char *alias, char buf[static 64])
{
	for (size_t i = 0; i < def->n_disks; i++)
		if (def->disks[i].info.alias && strcmp(def->disks[i].info.alias, alias) == 0) {
			snprintf(buf, 64, "disk '%s'", def->disks[i].target);
			return buf;
		}
	for (size_t i = 0; i < def->n_consoles; i++)
		if (def->consoles[i].info.alias && strcmp(def->consoles[i].info.alias, alias) == 0) {
			snprintf(buf, 64, "console %zu", i);
			return buf;
		}
	if (def->memballoon.info.alias && strcmp(def->memballoon.info.alias, alias) == 0)
		return "the memory balloon";
	return NULL;
}

static int check_in(const DomainDef *def, const DiskDef *disk, ZvError *err)
{
	char buf[64];
	if (domain_def_disk_index(def, disk->target) >= 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
				    "Domain '%s' already has a disk with target '%s'", def->name,
				    disk->target);
	if (disk->info.alias && alias_holder(def, disk->info.alias, buf))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
				    "Disk '%s': alias '%s' is already used by %s of domain '%s'",
				    disk->target, disk->info.alias, alias_holder(def, disk->info.alias, buf),
				    def->name);
	if (disk->info.boot_order)
		for (size_t i = 0; i < def->n_disks; i++)
			if (def->disks[i].info.boot_order == disk->info.boot_order)
				return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
						    "Disk '%s': boot order %u is already used by disk '%s'",
						    disk->target, disk->info.boot_order,
						    def->disks[i].target);
	return 0;
}

/* The addresses def's devices hold, into s. */
static int reserve_domain(CcwAddressSet *s, const DomainDef *def, ZvError *err)
{
	CcwConflict conflict = {};
	int r = ccw_address_set_add_domain(s, def, &conflict);
	if (r == -ENOMEM)
		return r;
	if (r < 0) /* a definition the parser accepted has none of these */
		return zv_error_set(err, ZV_ERROR_HOST, -r, "Domain '%s' holds conflicting ccw addresses",
				    def->name);
	return 0;
}

int domain_def_check_new_disk(const DomainDef *def, const DomainDef *other, DiskDef *disk, ZvError *err)
{
	char buf[CCW_ADDRESS_STRING_MAX];
	int r;

	if (!def || !disk || !disk->target)
		return -EINVAL;
	r = check_in(def, disk, err);
	if (r >= 0 && other)
		r = check_in(other, disk, err);
	if (r < 0)
		return r;

	CcwAddressSet *s = ccw_address_set_new();
	if (!s)
		return -ENOMEM;
	r = reserve_domain(s, def, err);
	if (r >= 0 && other)
		r = reserve_domain(s, other, err);
	if (r >= 0 && disk->info.address.assigned) {
		r = ccw_address_set_reserve(s, &disk->info.address);
		if (r == -EINVAL)
			r = zv_error_set(
				err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				"Disk '%s': ccw address %s is out of range (cssid 0xfe, ssid 0 to 3, "
				"devno 0x0000 to 0xffff)",
				disk->target, ccw_address_to_string(&disk->info.address, buf));
		else if (r == -EEXIST)
			r = zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
					 "Disk '%s': ccw address %s is already used by another device of "
					 "domain '%s'",
					 disk->target, ccw_address_to_string(&disk->info.address, buf),
					 def->name);
	} else if (r >= 0) {
		CcwAddress a;
		r = ccw_address_set_next_free(s, &a);
		if (r == -ENOSPC)
			r = zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ENOSPC,
					 "Disk '%s': domain '%s' has no free ccw address left", disk->target,
					 def->name);
		else if (r >= 0)
			disk->info.address = a;
	}
	ccw_address_set_free(s);
	return r < 0 ? r : 0;
}

int domain_def_insert_disk(DomainDef *def, DiskDef *disk)
{
	DiskDef *v = realloc(def->disks, (def->n_disks + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	def->disks = v;
	size_t at = 0;
	while (at < def->n_disks && disk_target_compare(def->disks[at].target, disk->target) < 0)
		at++;
	memmove(&v[at + 1], &v[at], (def->n_disks - at) * sizeof(*v));
	v[at] = *disk;
	def->n_disks++;
	*disk = (DiskDef){};
	return 0;
}

void domain_def_remove_disk(DomainDef *def, size_t index, DiskDef *ret)
{
	*ret = def->disks[index];
	memmove(&def->disks[index], &def->disks[index + 1], (def->n_disks - index - 1) * sizeof(DiskDef));
	def->n_disks--;
}
