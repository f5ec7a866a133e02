/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Domain object: creation, the getters objects/ reads it through, and
 * the one place its state changes (domain_set_state). */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain-internal.h"
#include "job-internal.h"
#include "net.h"
#include "dump-internal.h"
#include "migration-in-internal.h"
#include "migration-out-internal.h"
#include "save-internal.h"
#include "qemu/process.h"
#include "registry-internal.h"
#include "store.h"
#include "util/log.h"

int domain_new(Registry *r, DomainDef *def, bool persistent, Domain **ret)
{
	assert(r);
	assert(def);
	assert(ret);

	Domain *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;

	d->registry = r;
	d->def = def;
	d->uuid_id = def->uuid;
	sd_id128_to_string(def->uuid, d->uuid_hex);
	sd_id128_to_uuid_string(def->uuid, d->uuid);
	d->persistent = persistent;
	d->state = DOMAIN_STATE_SHUT_OFF;
	d->reason = DOMAIN_REASON_UNKNOWN;
	d->id = -1;
	*ret = d;
	return 0;
}

int domain_save_status(const Domain *d)
{
	bool migrating_resume = false;
	bool migrating = migration_out_sending(d, &migrating_resume);
	DomainStatus st = {
		.state = d->state,
		.reason = d->reason,
		.sequence = d->sequence,
		.id = d->id,
		.pid = (pid_t)domain_qemu_pid(d),
		.persistent = d->persistent,
		.qmp_path = d->qmp_path,
		.log_path = d->log_path,
		.live = d->live,
		.starting = d->op_active && d->op == DOMAIN_OP_START && d->process,
		.start_paused = d->start_flags & DOMAIN_START_PAUSED,
		.restart_pending = d->restart_pending,
		.stop_expected = d->stop_expected,
		.stop_reason = d->stop_reason,
		.kill_at_usec = d->kill_at_usec,
		.saving = save_in_flight(d) || d->undo_save,
		.restoring = d->restore != NULL,
		.incoming = domain_incoming_waiting(d),
		.incoming_prev_reason = domain_incoming_prev_reason(d),
		.migrating = migrating || d->undo_migration,
		.migrating_resume = d->migration_out ? migrating_resume : d->undo_migration_resume,
		.saving_resume = d->save ? save_resumes(d) : d->undo_save_resume,
		.owners = d->owners,
	};
	return store_save_status(registry_get_settings(d->registry), d->uuid_hex, &st);
}

static int on_status_writer(sd_event_source *s, void *userdata)
{
	Domain *d = userdata;
	if ((domain_state_is_active(d->state) || d->process) && d->live)
		(void)domain_save_status(d);
	return 0;
}

/* The daemon is stopping with calls still waiting for QEMU: each gets
 * an answer now rather than none. What QEMU does next, the next daemon
 * reads back from it. */
static void answer_pending_calls(Domain *d)
{
	ZvError err = ZV_ERROR_INIT;
	int r;

	if (d->op_active) {
		r = zv_error_set(&err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				 "zvirtd is stopping: %s of domain '%s' did not complete",
				 domain_op_to_string(d->op), domain_name(d));
		domain_finish_op(d, r, &err);
	}
	zv_error_clear(&err);
	r = zv_error_set(&err, ZV_ERROR_CANCELLED, ESHUTDOWN,
			 "zvirtd is stopping: Destroy of domain '%s' was sent, but QEMU had not yet ended",
			 domain_name(d));
	domain_answer_stop_waiters(d, r, &err);
}

Domain *domain_free(Domain *d)
{
	if (!d)
		return NULL;
	domain_incoming_kill(d); /* before its callers hear that it failed */
	answer_pending_calls(d);
	job_forget_domain(d);
	domain_stats_answer_all(d);
	domain_hotplug_stopped(d);
	domain_net_ovs_detach(d);
	domain_console_close(d);
	qemu_monitor_free(d->monitor);
	qemu_process_free(d->process);
	sd_event_source_disable_unref(d->timer);
	sd_event_source_disable_unref(d->reconnect);
	/* At exit: what a restarted daemon reads must not be stale. */
	if (d->status_writer && sd_event_source_get_enabled(d->status_writer, NULL) > 0)
		on_status_writer(d->status_writer, d);
	sd_event_source_disable_unref(d->status_writer);
	domain_save_forget(d); /* after the status: it keeps the intent */
	domain_save_forget_detached(d);
	domain_restore_forget(d);
	domain_dump_forget(d);
	domain_migrate_forget(d);
	domain_incoming_forget(d);
	domain_def_free(d->def);
	domain_def_free(d->live);
	free(d->qmp_path);
	free(d->log_path);
	free(d->cgroup_dir); /* QEMU runs on in it; the next daemon finds it */
	free(d->stop_waiters);
	file_owners_done(&d->owners); /* a running guest keeps them; the status file has them */
	free(d);
	return NULL;
}

/* The status file is for a daemon that restarts later, the signals are
 * for clients now: they go first, and a burst of changes is one write. */
static void save_status_soon(Domain *d)
{
	if (d->status_writer) {
		(void)sd_event_source_set_enabled(d->status_writer, SD_EVENT_ONESHOT);
		return;
	}
	if (sd_event_add_defer(registry_get_event(d->registry), &d->status_writer, on_status_writer, d) <
	    0) {
		(void)domain_save_status(d);
		return;
	}
	(void)sd_event_source_set_enabled(d->status_writer, SD_EVENT_ONESHOT);
}

void domain_set_state(Domain *d, DomainState state, DomainReason reason)
{
	/* The same pair again is no news, except a reset: that names an
	 * event, and a second one in a row is a transition of its own. */
	if (d->state == state && d->reason == reason && reason != DOMAIN_REASON_RESET)
		return;

	log_info("Domain %s: %s (%s) -> %s (%s)", domain_name(d), domain_state_to_string(d->state),
		 domain_reason_to_string(d->reason), domain_state_to_string(state),
		 domain_reason_to_string(reason));

	DomainState old = d->state;
	d->state = state;
	d->reason = reason;
	d->sequence++;

	registry_notify_state(d->registry, d, old);
	if (domain_state_is_active(state) && d->live)
		save_status_soon(d);
}

void domain_save_intents(Domain *d)
{
	if (d->process && d->live)
		(void)domain_save_status(d);
}

char *domain_pidfile_path(const Domain *d)
{
	return store_path(registry_get_settings(d->registry)->run_dir, d->uuid_hex, ".pid");
}

/* --- getters ------------------------------------------------------------- */

Registry *domain_get_registry(const Domain *d)
{
	return d->registry;
}

const char *domain_name(const Domain *d)
{
	return d->def->name;
}

const char *domain_uuid(const Domain *d)
{
	return d->uuid;
}

const char *domain_uuid_hex(const Domain *d)
{
	return d->uuid_hex;
}

const DomainDef *domain_get_def(const Domain *d)
{
	return d->def;
}

const DomainDef *domain_get_live_def(const Domain *d)
{
	return d->live;
}

const DomainDef *domain_current_def(const Domain *d)
{
	return d->live ? d->live : d->def;
}

int domain_get_id(const Domain *d)
{
	return d->id;
}

DomainState domain_get_state(const Domain *d)
{
	return d->state;
}

DomainReason domain_get_reason(const Domain *d)
{
	return d->reason;
}

uint64_t domain_get_sequence(const Domain *d)
{
	return d->sequence;
}

bool domain_is_persistent(const Domain *d)
{
	return d->persistent;
}

bool domain_get_autostart(const Domain *d)
{
	return d->autostart;
}

uint64_t domain_cpu_time_ns(const Domain *d)
{
	unsigned long long ns = 0;
	if (d->process && !qemu_process_exited(d->process))
		(void)qemu_process_cpu_time(d->process, &ns);
	return ns;
}

uint32_t domain_qemu_pid(const Domain *d)
{
	if (!d->process || qemu_process_exited(d->process))
		return 0;
	return (uint32_t)qemu_process_pid(d->process);
}
