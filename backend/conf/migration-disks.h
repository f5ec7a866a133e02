/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a live migration may take along, decided from the definition
 * before anything starts (the protocol's Begin): the seed's rules. A
 * domain with SCSI host devices (tapes, changers) does not migrate: their
 * names may differ on the destination, so they are detached first and
 * attached there again. A disk copied to the destination (copy-storage,
 * virsh --copy-storage-all / -inc) must be writable (no CD/DVD, no
 * <readonly/>), not shared, and bound to no I/O thread. */

#include <stddef.h>

#include "conf/domain-def.h"
#include "util/error.h"

typedef enum MigrationStorage {
	MIGRATION_STORAGE_NONE, /* the disks are shared (NFS, SAN): nothing copied */
	MIGRATION_STORAGE_ALL,  /* copy-storage-all: every block of the copied disks */
	MIGRATION_STORAGE_INC,  /* copy-storage-inc: what the destination's images lack */
} MigrationStorage;

/* The disks to copy, as indexes into def->disks (malloc'd in *ret,
 * count in *ret_n; none for MIGRATION_STORAGE_NONE). migrate_disks
 * (targets, "vdd"; NULL-terminated, may be NULL) chooses them, as virsh
 * --migrate-disks does; without it every writable, unshared disk with a
 * medium is copied. ZV_ERROR_OPERATION_INVALID for what the seed says
 * cannot migrate, ZV_ERROR_INVALID_ARGUMENT for a target the domain does
 * not have or migrate_disks without copy-storage; -ENOMEM. */
int domain_def_migration_disks(const DomainDef *def, MigrationStorage storage, char *const *migrate_disks,
			       size_t **ret, size_t *ret_n, ZvError *err);
