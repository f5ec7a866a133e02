/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a start does with a disk whose source is missing, by its
 * <source startupPolicy=> (libvirt's qemuDomainCheckDiskStartupPolicy):
 * optional drops it at any start (a cdrom becomes an empty drive, a
 * disk leaves the live definition; at a restore only a cdrom may be
 * dropped), requisite drops a cdrom except at a cold boot, mandatory
 * fails. Without a policy nothing is checked here (QEMU says it). */

#include <stdbool.h>

#include "conf/domain-def.h"
#include "util/error.h"

/* Whether path exists; the driver passes one that stats the file. */
typedef bool (*source_exists_fn)(const char *path, void *userdata);

/* Applies the policies to def (the live definition of a start):
 * cold_boot is false for a restore. ZV_ERROR_HOST naming the disk and
 * its source when the policy says the start fails; -ENOMEM. Returns
 * how many disks were dropped or emptied. */
int domain_def_apply_startup_policy(DomainDef *def, bool cold_boot, source_exists_fn exists, void *userdata,
				    ZvError *err);
