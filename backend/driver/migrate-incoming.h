/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The destination's half of a migration in the driver (migration-in.c),
 * xend's relocation server. objects/ speaks D-Bus to the source's
 * daemon; the driver does this:
 *
 *   registry_incoming_start()  (Manager.PrepareMigration) after the
 *                              parse: the checks against this host's
 *                              domains, the domain in paused/migrating,
 *                              QEMU with -incoming defer, the listening
 *                              socket; cb answers the tcp: uri and the
 *                              migration-in job. The first connection
 *                              [Relocation] HostsAllow= lets in goes to
 *                              QEMU; the listening socket closes then.
 *   domain_incoming_finish()   (Manager.FinishMigration) once QEMU has
 *                              it all: the guest runs here
 *                              (running/migrated, or paused/user with
 *                              suspend), defined here when Prepare had
 *                              persistent.
 *   domain_incoming_cancel()   the source gave up or left: QEMU goes,
 *                              and with it a transient domain.
 *
 * Any failure is cleaned up the same way: nothing stays behind. */

#include <stdbool.h>

#include "conf/migration-disks.h"
#include "domain.h"
#include "job.h"
#include "registry.h"

typedef struct DomainIncomingParams {
	/* Define the domain here at Finish (else it stays transient, or
	 * keeps the inactive definition it had). */
	bool persistent;
	/* copy-storage: the disks the source copies here (targets,
	 * NULL-terminated) and what the guest sees of each (bytes). Their
	 * images are checked against the sizes, a missing file image is
	 * created, then QEMU's NBD server exports them under their targets'
	 * names at the job's DisksUri. */
	MigrationStorage storage;
	char **copy_disks;
	uint64_t *copy_sizes;
	size_t n_copy;
} DomainIncomingParams;

/* Frees the arrays (a params whose arrays were taken has none). */
void domain_incoming_params_done(DomainIncomingParams *p);

/* r 0: the domain waits for the stream: uri "tcp:ADDRESS:PORT" (IPv6 as
 * "tcp:[ADDRESS]:PORT", borrowed for the call) and its job. r < 0 with
 * err: nothing was left behind. */
typedef void (*registry_incoming_fn)(Registry *r, int result, Domain *d, const char *uri, Job *job,
				     const ZvError *err, void *userdata);

/* Takes c (from registry_create_parse_async, authorized by the caller)
 * and p's arrays (p's are emptied).
 * Refuses with OperationInvalid when [Relocation] Server= is off;
 * DomainExists when a domain of that UUID is active here, or has another
 * name, or another domain has the name (an inactive persistent
 * definition of the same name and UUID is what the guest returns to,
 * libvirt's rule). cb runs exactly once, maybe before this returns. */
void registry_incoming_start(RegistryCreate *c, DomainIncomingParams *p, registry_incoming_fn cb,
			     void *userdata);

/* Whether d is an incoming migration's domain (waiting or receiving). */
bool domain_incoming(const Domain *d);

/* Waits (at most 30 s) until QEMU has the whole stream, then lets the
 * guest run (suspend: leaves it paused/user). cb: 0 once it runs here,
 * MigrationFailed with QEMU's words when the stream did not arrive
 * whole (everything is cleaned up then), -ECONNABORTED without err when
 * nobody can say whether it ran here (the daemon stopped after cont, or
 * the guest ended right after it): the source must keep its copy
 * paused. < 0 with err, cb never runs: no incoming migration, or Finish
 * already under way. */
int domain_incoming_finish(Domain *d, bool suspend, domain_done_fn cb, void *userdata, ZvError *err);

/* Ends the incoming migration on purpose: QEMU is killed, the job ends
 * cancelled, a transient domain goes (a persistent one returns to its
 * inactive definition and state). cb (may be NULL) once QEMU is gone.
 * < 0 with err: d has no incoming migration, or it has completed. */
int domain_incoming_cancel(Domain *d, const char *why, domain_done_fn cb, void *userdata, ZvError *err);
