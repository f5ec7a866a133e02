/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Domain.Migrate, the source's half in the driver (migration-out.c). The
 * steps that talk to the destination's daemon are objects/' (it speaks
 * D-Bus); the driver does what happens here, in this order:
 *
 *   domain_migrate_begin()    checks, the migration-out job, the XML the
 *                             destination is to run
 *   (objects/: the destination's PrepareMigration answers a tcp: uri)
 *   domain_migrate_perform()  connects, hands QEMU the socket, follows
 *                             the stream; cb once QEMU has sent it all,
 *                             or once it failed (then everything here is
 *                             undone already: the guest runs again)
 *   (objects/: the destination's FinishMigration starts the guest there)
 *   domain_migrate_confirm()  the outcome: QEMU quits here
 *                             (shut-off/migrated), or the guest runs
 *                             again, or, when nobody knows whether the
 *                             destination runs it, stays paused
 *
 * domain_migrate_abort() ends a migration that never reached perform. */

#include <stdbool.h>
#include <stdint.h>

#include "conf/migration-disks.h"
#include "domain.h"
#include "job.h"

typedef enum DomainMigrateFlags {
	DOMAIN_MIGRATE_LIVE = 1 << 0,            /* else the guest is paused for the transfer */
	DOMAIN_MIGRATE_AUTO_CONVERGE = 1 << 1,   /* QEMU throttles a guest that dirties too fast */
	DOMAIN_MIGRATE_UNDEFINE_SOURCE = 1 << 2, /* the definition goes here once the guest left */
} DomainMigrateFlags;

typedef struct DomainMigrateParams {
	DomainMigrateFlags flags;
	MigrationStorage storage;         /* copy-storage-all / -inc, or shared disks */
	const char *const *migrate_disks; /* the disks to copy (targets), NULL: every one that can be */
	uint64_t bandwidth_mibps;         /* 0: the domain's migration speed */
	uint64_t max_downtime_ms;         /* 0: the domain's maximum downtime */
	uint64_t timeout_s;               /* 0: none; else the guest is paused after that long */
} DomainMigrateParams;

/* What "no limit" is, as libvirt reports it (INT64_MAX bytes in MiB). */
#define DOMAIN_MIGRATE_SPEED_UNLIMITED UINT64_C(8796093022207)
/* QEMU's upper bound of downtime-limit, in ms. */
#define DOMAIN_MIGRATE_DOWNTIME_MAX UINT64_C(2000000)

/* The domain's migration tuning, kept while the daemon runs: applied
 * to QEMU at once when a migration is under way, else to the next one. */
int domain_set_migration_max_speed(Domain *d, uint64_t mibps, ZvError *err);
uint64_t domain_get_migration_max_speed(const Domain *d);
int domain_set_migration_max_downtime(Domain *d, uint64_t ms, ZvError *err);

typedef enum DomainMigrateOutcome {
	DOMAIN_MIGRATE_CONFIRMED, /* the destination runs the guest */
	DOMAIN_MIGRATE_FAILED,    /* the destination does not: it runs here again */
	DOMAIN_MIGRATE_UNKNOWN,   /* nobody can tell: it stays paused here */
} DomainMigrateOutcome;

/* What begin checks first, for a caller that has more to do before. */
int domain_migrate_check(Domain *d, const DomainMigrateParams *p, ZvError *err);
/* Begins: the job (ret_job, phase "preparing") and the XML for the
 * destination (ret_xml, malloc'd). Errors as ManagedSave's: the state,
 * a call or job in flight, devices that cannot move (host devices). */
int domain_migrate_begin(Domain *d, const DomainMigrateParams *p, Job **ret_job, char **ret_xml,
			 ZvError *err);

/* The disks a migration with copy-storage copies, as the destination
 * must have them: their targets ("vdb") and what the guest sees of each
 * (bytes), borrowed for the call. r < 0 with err: QEMU did not say. */
typedef void (*domain_migrate_disks_fn)(Domain *d, int r, const char *const *targets, const uint64_t *sizes,
					size_t n, const ZvError *err, void *userdata);
/* After begin; n 0 (at once) without copy-storage. < 0 with err: no
 * migration to prepare, or QEMU's monitor is gone (cb never runs). */
int domain_migrate_disks(Domain *d, domain_migrate_disks_fn cb, void *userdata, ZvError *err);

/* r 0: QEMU sent everything, the guest is stopped here, confirm comes
 * next. r < 0 with err: it failed or was cancelled, and it is over (the
 * job ended, the guest runs again if it ran). */
typedef void (*domain_migrate_fn)(Domain *d, int r, const ZvError *err, void *userdata);
/* < 0 with err only when d has no migration to perform (cb never runs);
 * else cb runs exactly once, unless the domain goes first. */
/* uri: the destination's relocation port; disks_uri: its NBD server
 * with the copied disks (NULL without copy-storage), which are mirrored
 * there first, until in sync. */
int domain_migrate_perform(Domain *d, const char *uri, const char *disks_uri, domain_migrate_fn cb,
			   void *userdata, ZvError *err);
void domain_migrate_confirm(Domain *d, DomainMigrateOutcome outcome, const char *message);
/* Before perform: the destination refused, or could not be reached. */
void domain_migrate_abort(Domain *d, const char *message);
/* The destination's daemon is gone: a migration still sending fails (the
 * guest runs here again); one that has sent everything waits for
 * Finish's answer, which says more. */
void domain_migrate_destination_lost(Domain *d, const char *message);
/* Whether d has a migration that objects/ is driving. */
bool domain_migrating(const Domain *d);
/* That migration's number, unique while the daemon runs (0: none): a
 * late answer of the destination's finds whether it still is its own. */
unsigned domain_migration_id(const Domain *d);
