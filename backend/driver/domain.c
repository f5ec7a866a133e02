/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qemu/process.h"
#include "qemu/qmp.h"
#include "registry.h"
#include "store.h"
#include "util/log.h"

int domain_new(Registry *r, DomainDef *def, bool persistent, Domain **ret)
{
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

static int on_status_writer(sd_event_source *s, void *userdata)
{
	Domain *d = userdata;
	if (domain_state_is_active(d->state) && d->live)
		(void)store_save_status(d);
	return 0;
}

Domain *domain_free(Domain *d)
{
	if (!d)
		return NULL;
	if (d->qmp) {
		qmp_forget_userdata(d->qmp, d);
		qmp_free(d->qmp);
	}
	qemu_process_free(d->process);
	sd_event_source_disable_unref(d->timer);
	/* At exit: what a restarted daemon reads must not be stale. */
	if (d->status_writer && sd_event_source_get_enabled(d->status_writer, NULL) > 0)
		on_status_writer(d->status_writer, d);
	sd_event_source_disable_unref(d->status_writer);
	domain_def_free(d->def);
	domain_def_free(d->live);
	free(d->qmp_path);
	free(d->log_path);
	free(d->stop_waiters);
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
	if (sd_event_add_defer(d->registry->event, &d->status_writer, on_status_writer, d) < 0) {
		(void)store_save_status(d);
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

	bool was_active = domain_state_is_active(d->state), active = domain_state_is_active(state);
	d->state = state;
	d->reason = reason;
	d->sequence++;

	if (was_active != active) {
		if (active)
			d->registry->n_active++;
		else
			d->registry->n_active--;
	}

	registry_notify_state(d->registry, d);
	if (active && d->live)
		save_status_soon(d);
}

int domain_check_idle(Domain *d, DomainOp op, ZvError *err)
{
	if (!d->op_active)
		return 0;
	return zv_error_set(err, ZV_ERROR_BUSY, EBUSY, "%s is not possible now: domain '%s' is busy with %s",
			    domain_op_to_string(op), domain_name(d), domain_op_to_string(d->op));
}

void domain_finish_op(Domain *d, int r, const ZvError *err)
{
	if (!d->op_active)
		return;
	DomainCall call = d->op_call;
	d->op_active = false;
	d->op_call = (DomainCall){};
	if (call.cb)
		call.cb(d, r, err, call.userdata);
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
