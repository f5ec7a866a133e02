/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The source's disk copy during a migration (migration-mirror.c), as
 * libvirt's NBD storage migration: each copied disk gets an NBD client
 * node of the destination's export of the same name (its target,
 * "vdb") and a mirror job into it. The memory stream starts once every
 * mirror is in sync (READY); once QEMU has sent the memory and the guest
 * is stopped, the mirrors are cancelled without force, which completes
 * them with every write there, and their nodes are removed. For
 * backend/driver/ only. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "qemu/monitor.h"

typedef struct MigrationMirror MigrationMirror;

/* r 0: every mirror is in sync (after start), or complete (after
 * finish); < 0 with error: one failed (QEMU's words), at any time until
 * the abort, and only once. */
typedef void (*migration_mirror_fn)(Domain *d, int r, const char *error);
/* While they sync: bytes copied of the total (both grow while the guest
 * writes). */
typedef void (*migration_mirror_progress_fn)(Domain *d, uint64_t total, uint64_t done);

/* The disks of d->live at the indexes given (conf/migration-disks.h),
 * to the destination's NBD server at disks_uri ("tcp:ADDRESS:PORT");
 * top_only for copy-storage-inc; speed in bytes/s (0: unlimited).
 * < 0: nothing was sent (-EINVAL for a bad uri); else cb runs once. */
int migration_mirror_start(Domain *d, const size_t *disks, size_t n, const char *disks_uri, bool top_only,
			   uint64_t speed, migration_mirror_fn cb, migration_mirror_progress_fn progress,
			   MigrationMirror **ret);
/* The guest is stopped: every mirror completes. */
int migration_mirror_finish(MigrationMirror *m, migration_mirror_fn cb);
/* The migration failed: the mirrors stop at once (force), no callback
 * runs; nodes whose job still runs go when it ends
 * (migration_mirror_orphan_event). NULL. */
MigrationMirror *migration_mirror_abort(MigrationMirror *m);

/* A BLOCK_JOB_* event of d's QEMU: the mirror it belongs to, if any. */
void migration_mirror_event(MigrationMirror *m, const QemuEvent *ev);
/* A BLOCK_JOB_* event no migration owns: a mirror an aborted or
 * restarted daemon's migration left ended; its NBD node goes. */
void migration_mirror_orphan_event(Domain *d, const QemuEvent *ev);
/* After a restart: every mirror a previous daemon's migration of d may
 * have left is stopped (their nodes go when the jobs end). */
void migration_mirror_stop_leftovers(Domain *d);
