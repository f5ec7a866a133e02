/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The end of a QEMU: how the driver ends one (quit, SIGTERM, SIGKILL,
 * Destroy), and what happens once it has ended, however it ended
 * (domain_stopped): the state, the answer to who waited, a restart. */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "net.h"
#include "cgroup.h"
#include "dac.h"
#include "domain-internal.h"
#include "qemu/process.h"
#include "registry-internal.h"
#include "dump-internal.h"
#include "migration-in-internal.h"
#include "migration-out-internal.h"
#include "save-internal.h"
#include "store.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"

#define GRACEFUL_DESTROY_USEC (10ULL * 1000 * 1000)

static void expect_stop(Domain *d, DomainReason reason)
{
	/* The first reason given wins: a Destroy during a shutdown is a destroy. */
	if (d->stop_expected)
		return;
	d->stop_expected = true;
	d->stop_reason = reason;
	domain_save_intents(d);
}

static void on_quit_reply(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	/* -ENOTCONN is the normal answer: QEMU exits before replying. */
	if (r < 0 && r != -ENOTCONN && d->process)
		(void)qemu_process_kill(d->process, SIGTERM);
}

void domain_quit_qemu(Domain *d, DomainReason reason)
{
	expect_stop(d, reason);
	if ((!d->monitor || qemu_monitor_quit(d->monitor, on_quit_reply) < 0) && d->process)
		(void)qemu_process_kill(d->process, SIGTERM);
}

void domain_kill_qemu(Domain *d, DomainReason reason)
{
	expect_stop(d, reason);
	if (d->process)
		(void)qemu_process_kill(d->process, SIGKILL);
}

void domain_restart_process(Domain *d, DomainReason stop_reason)
{
	d->restart_pending = true;
	domain_save_intents(d);
	if (stop_reason == DOMAIN_REASON_SHUTDOWN)
		domain_quit_qemu(d, stop_reason);
	else
		domain_kill_qemu(d, stop_reason);
}

/* The error a Start in flight ends with, now that QEMU is gone. */
static DomainReason failed_start_error(Domain *d, ZvError *err)
{
	if (d->stop_expected && d->stop_reason == DOMAIN_REASON_DESTROYED) {
		zv_error_set(err, ZV_ERROR_CANCELLED, ECANCELED,
			     "Starting domain '%s' was cancelled by Destroy", domain_name(d));
		return DOMAIN_REASON_DESTROYED;
	}
	/* QEMU's own last word is the cause a user can act on ("could not
	 * load kernel"); the step that noticed it (a reset QMP handshake) is
	 * only the symptom, so it goes first and QEMU's line after it. */
	_cleanup_free_ char *why = d->log_path ? qemu_log_last_error(d->log_path) : NULL;
	if (d->op_error.code != ZV_ERROR_NONE)
		zv_error_set(err, d->op_error.code, EIO, "%s%s%s", d->op_error.message,
			     why ? "; QEMU said: " : "", why ?: "");
	else
		zv_error_set(err, ZV_ERROR_HYPERVISOR, EIO, "QEMU for domain '%s' exited while starting%s%s",
			     domain_name(d), why ? ": " : "", why ?: "");
	return DOMAIN_REASON_FAILED;
}

/* The call in flight learns that QEMU ended. */
static void finish_op_stopped(Domain *d, bool was_starting, DomainReason reason, const ZvError *start_err)
{
	if (!d->op_active)
		return;
	if (was_starting)
		domain_finish_op(d, -EIO, start_err);
	else if (d->op == DOMAIN_OP_SHUTDOWN || d->op == DOMAIN_OP_REBOOT)
		domain_finish_op(d, 0, NULL);
	else {
		ZvError e = ZV_ERROR_INIT;
		int k = zv_error_set(&e, ZV_ERROR_OPERATION_INVALID, ESRCH,
				     "Domain '%s' stopped (%s) before %s completed", domain_name(d),
				     domain_reason_to_string(reason), domain_op_to_string(d->op));
		domain_finish_op(d, k, &e);
	}
}

void domain_stopped(Domain *d)
{
	Registry *r = d->registry;
	bool was_starting = d->op_active && d->op == DOMAIN_OP_START;
	DomainReason reason = d->stop_expected ? d->stop_reason : DOMAIN_REASON_CRASHED;
	ZvError err = ZV_ERROR_INIT;

	if (was_starting) {
		reason = failed_start_error(d, &err);
		/* A restore that failed keeps its image: still saved. */
		if (domain_restore_stopped(d, &err))
			reason = DOMAIN_REASON_SAVED;
		/* An incoming migration's QEMU: no guest was lost. */
		(void)domain_incoming_stopped(d, &reason);
	} else if (!d->stop_expected)
		log_warning("Domain %s: QEMU ended unexpectedly", domain_name(d));

	d->monitor = qemu_monitor_free(d->monitor);
	domain_stats_monitor_gone(d);
	domain_console_close(d); /* its client sees end of file */
	d->process = qemu_process_free(d->process);
	domain_cgroup_remove(d);
	dac_restore_domain(d); /* QEMU is gone: its files get their owners back */
	/* Its OVS ports and macvtap links (its taps went with it); a port
	 * connect under way answers nobody now. */
	domain_net_ovs_detach(d);
	domain_net_release_all(d);
	d->timer = sd_event_source_disable_unref(d->timer);
	d->kill_at_usec = 0;
	d->reconnect = sd_event_source_disable_unref(d->reconnect);
	d->reconnect_delay_usec = 0;
	if (d->qmp_path)
		(void)unlink_if_exists(d->qmp_path);
	d->qmp_path = (free(d->qmp_path), NULL);
	(void)store_remove_status(registry_get_settings(r), d->uuid_hex);
	_cleanup_free_ char *pidfile = domain_pidfile_path(d);
	if (pidfile)
		(void)unlink_if_exists(pidfile);
	/* A restart boots what ran, not a definition changed meanwhile. */
	/* A restart boots what ran, not a definition changed meanwhile; a
	 * Reboot overtaken by ManagedSave does not boot beside its image. */
	DomainDef *restart_def = d->restart_pending && !was_starting && reason != DOMAIN_REASON_SAVED
					 ? TAKE_PTR(d->live)
					 : NULL;
	d->live = domain_def_free(d->live);
	d->id = -1;
	d->restart_pending = false;
	d->guest_halted = false;
	d->stop_expected = false;
	d->undo_save = d->undo_save_resume = false;
	d->undo_migration = d->undo_migration_resume = false;

	domain_set_state(d, DOMAIN_STATE_SHUT_OFF, reason);
	registry_notify_definition(r, d);
	(void)domain_save_stopped(d); /* answers a ManagedSave */
	domain_dump_stopped(d);
	domain_migrate_stopped(d); /* fails a Migrate */
	finish_op_stopped(d, was_starting, reason, &err);
	/* Destroy callers: answered once the process is really gone. */
	domain_answer_stop_waiters(d, 0, NULL);

	if (restart_def) {
		ZvError e = ZV_ERROR_INIT;
		log_info("Domain %s: booting it again", domain_name(d));
		if (domain_start_with(d, restart_def, 0, NULL, NULL, &e) < 0)
			log_error("Domain %s: restart failed: %s", domain_name(d), e.message);
		return;
	}

	if (!d->persistent)
		registry_remove(r, d);
}

void domain_on_process_exit(QemuProcess *p, void *userdata)
{
	domain_stopped(userdata);
}

static int on_kill_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
	Domain *d = userdata;
	d->timer = sd_event_source_disable_unref(d->timer);
	d->kill_at_usec = 0;
	if (!d->process)
		return 0;
	if (d->stop_expected && d->stop_reason == DOMAIN_REASON_DESTROYED)
		log_info("Domain %s: still there after SIGTERM; sending SIGKILL", domain_name(d));
	else
		log_info("Domain %s: the guest did not power off in time; destroying it", domain_name(d));
	domain_kill_qemu(d, DOMAIN_REASON_DESTROYED);
	return 0;
}

int domain_arm_kill_deadline(Domain *d, uint64_t deadline_usec)
{
	d->timer = sd_event_source_disable_unref(d->timer);
	int r = sd_event_add_time(registry_get_event(d->registry), &d->timer, CLOCK_MONOTONIC, deadline_usec,
				  0, on_kill_deadline, d);
	if (r < 0)
		return r;
	d->kill_at_usec = deadline_usec;
	domain_save_intents(d);
	return 0;
}

int domain_destroy(Domain *d, bool graceful, domain_done_fn cb, void *userdata, ZvError *err)
{
	int r = lifecycle_check(DOMAIN_OP_DESTROY, d->state, d->reason, domain_name(d), err);
	if (r < 0)
		return r;
	if (!d->process)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, ESRCH,
				    "Domain '%s' has no QEMU process", domain_name(d));

	DomainCall *w = realloc(d->stop_waiters, (d->n_stop_waiters + 1) * sizeof(*w));
	if (!w)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	d->stop_waiters = w;
	w[d->n_stop_waiters++] = (DomainCall){cb, userdata};

	/* Destroy wins over any stop already on its way (a shutdown, a start). */
	d->stop_expected = true;
	d->stop_reason = DOMAIN_REASON_DESTROYED;
	domain_save_intents(d);
	uint64_t now;
	if (graceful && sd_event_now(registry_get_event(d->registry), CLOCK_MONOTONIC, &now) >= 0 &&
	    domain_arm_kill_deadline(d, now + GRACEFUL_DESTROY_USEC) >= 0)
		(void)qemu_process_kill(d->process, SIGTERM);
	else
		/* Without a deadline a graceful Destroy could wait forever. */
		(void)qemu_process_kill(d->process, SIGKILL);
	return 0;
}
