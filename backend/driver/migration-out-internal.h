/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* migration-out.c's hooks into the rest of the driver. For
 * backend/driver/ only. */

#include <stdbool.h>

#include "domain.h"

typedef struct MigrationOut MigrationOut;

/* QEMU's MIGRATION event: look at the stream at once. */
void domain_migrate_qemu_event(Domain *d);
/* A STOP while QEMU streams: the stopped phase (paused/migrating). */
void domain_migrate_cpus_stopped(Domain *d);
/* A migration owns the STOP events now (it configured QEMU). */
bool migration_out_owns_stop(const Domain *d);
/* QEMU ended during a migration: it failed (the job ends, objects/ hears). */
void domain_migrate_stopped(Domain *d);
/* The daemon stops. */
void domain_migrate_forget(Domain *d);
/* QEMU is sending a migration (for the status's intent); *ret_resume:
 * the guest ran before, and runs again should it not complete. */
bool migration_out_sending(const Domain *d, bool *ret_resume);
/* After a restart, the monitor is up: undo the previous daemon's
 * migration unless it completed, then domain_reattach_query_state(). */
void domain_migrate_recover(Domain *d);
