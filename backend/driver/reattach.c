/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* After a daemon restart: watch the QEMU the status file names, connect
 * to its monitor again and take QEMU's word for the state. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "domain-internal.h"
#include "migration-out-internal.h"
#include "qemu/process.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

static void on_reattach_status(QemuMonitor *mon, int r, const char *status, const char *error,
			       void *userdata)
{
	Domain *d = userdata;
	DomainState state;
	DomainReason reason;

	if (r < 0) {
		log_warning("Domain %s: query-status failed after reattach: %s", domain_name(d),
			    error ? error : "no status");
		return;
	}
	if (lifecycle_from_qemu_status(status, &state, &reason) < 0) {
		/* The guest powered off while the daemon was away. */
		domain_handle_guest_shutdown(d, "guest-shutdown");
		return;
	}
	/* Keep the recorded reason when QEMU agrees on the state. */
	if (state == d->state || (state == DOMAIN_STATE_RUNNING && d->state == DOMAIN_STATE_IN_SHUTDOWN))
		return;
	domain_set_state(d, state, reason);
}

void domain_reattach_monitor_ready(Domain *d)
{
	if (d->undo_save) {
		/* The previous daemon was saving: QEMU's stream goes nowhere now
		 * (its file was removed at load), the guest goes on as before.
		 * The commands run in order, query-status sees the result. */
		log_info("Domain %s: cancelling the managed save the previous zvirtd left unfinished",
			 domain_name(d));
		(void)qemu_monitor_migrate_cancel(d->monitor, NULL);
		if (d->undo_save_resume)
			(void)qemu_monitor_cont(d->monitor, NULL);
		d->undo_save = d->undo_save_resume = false;
		domain_save_intents(d);
	}
	if (d->undo_migration)
		return domain_migrate_recover(d);
	domain_reattach_query_state(d);
}

void domain_reattach_query_state(Domain *d)
{
	/* What QEMU says now beats what the status file said. */
	if (d->monitor)
		(void)qemu_monitor_query_status(d->monitor, on_reattach_status);
}

int domain_reattach(Domain *d, pid_t pid, const char *qmp_path)
{
	d->qmp_path = strdup(qmp_path);
	if (!d->qmp_path)
		return -ENOMEM;

	/* pid 0: the daemon died before it spawned QEMU (the status was
	 * written for the files it was giving away): a start that failed. */
	if (pid <= 0) {
		d->stop_expected = true;
		d->stop_reason = DOMAIN_REASON_FAILED;
		/* It may have spawned QEMU all the same: QEMU's pidfile lock
		 * says so, and the pidfile goes with domain_stopped(). */
		_cleanup_free_ char *pidfile = domain_pidfile_path(d);
		if (pidfile)
			(void)domain_kill_stray_qemu(d, pidfile);
	}
	int r = pid > 0 ? qemu_process_attach(registry_get_event(d->registry), pid, d->uuid,
					      domain_on_process_exit, d, &d->process)
			: -ESRCH;
	if (r < 0) {
		log_warning_errno(r, "Domain %s: QEMU pid %d is gone (%m); it stopped while zvirtd was away",
				  domain_name(d), (int)pid);
		/* A transient domain is freed here: the caller must not touch d. */
		domain_stopped(d);
		return r;
	}
	log_info("Reattached to domain %s (pid %d)", domain_name(d), (int)pid);
	domain_cgroup_reattach(d);

	/* QEMU is there; its monitor may not be. The state stays as recorded
	 * until QEMU answers, and the guest is not disturbed for it. */
	r = domain_connect_monitor(d);
	if (r < 0)
		domain_reconnect_monitor_later(d, r);
	return 0;
}
