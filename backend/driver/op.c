/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one state-changing call in flight per domain: the table decides
 * whether a call may begin, a second one is Busy, and the call ends
 * exactly once (its reply, or the end of QEMU, whichever comes first). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain-internal.h"
#include "util/cleanup.h"

int domain_check_idle(Domain *d, DomainOp op, ZvError *err)
{
	/* Destroy may still end a guest whose definition goes; Undefine
	 * checks for itself. */
	if (d->undefine_pending && op != DOMAIN_OP_DESTROY && op != DOMAIN_OP_UNDEFINE)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "%s is not possible now: domain '%s' is being undefined",
				    domain_op_to_string(op), domain_name(d));
	if (d->rename_pending && op != DOMAIN_OP_DESTROY)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "%s is not possible now: domain '%s' is being renamed",
				    domain_op_to_string(op), domain_name(d));
	if (!d->op_active)
		return 0;
	return zv_error_set(err, ZV_ERROR_BUSY, EBUSY, "%s is not possible now: domain '%s' is busy with %s",
			    domain_op_to_string(op), domain_name(d), domain_op_to_string(d->op));
}

int domain_begin_op(Domain *d, DomainOp op, domain_done_fn cb, void *userdata, ZvError *err)
{
	int r = lifecycle_check(op, d->state, d->reason, domain_name(d), err);
	if (r < 0)
		return r;
	r = domain_check_idle(d, op, err);
	if (r < 0)
		return r;
	d->op = op;
	d->op_active = true;
	d->op_call = (DomainCall){cb, userdata};
	zv_error_clear(&d->op_error);
	return 0;
}

void domain_abort_op(Domain *d)
{
	d->op_active = false;
	d->op_call = (DomainCall){};
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

int domain_one_command_call(Domain *d, DomainOp op, const char *command, domain_send_fn send,
			    qemu_monitor_done_fn reply, domain_done_fn cb, void *userdata, ZvError *err)
{
	int r = domain_begin_op(d, op, cb, userdata, err);
	if (r < 0)
		return r;
	r = d->monitor ? send(d->monitor, reply) : -ENOTCONN;
	if (r < 0) {
		domain_abort_op(d);
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, r,
				    "Cannot send %s to QEMU for domain '%s': %s", command, domain_name(d),
				    strerror(-r));
	}
	return 0;
}

void domain_reply_then_state(Domain *d, const char *command, int r, const char *error, DomainState state,
			     DomainReason reason)
{
	if (!d->op_active)
		return; /* overtaken by Destroy; domain_stopped answered */
	if (r < 0) {
		ZvError err = ZV_ERROR_INIT;
		int k = zv_error_set(&err, ZV_ERROR_HYPERVISOR, EIO, "QEMU refused %s for domain '%s': %s",
				     command, domain_name(d), error);
		domain_finish_op(d, k, &err);
		return;
	}
	domain_set_state(d, state, reason);
	domain_finish_op(d, 0, NULL);
}

void domain_answer_stop_waiters(Domain *d, int r, const ZvError *err)
{
	/* Taken first: a callback may Destroy again and queue a new waiter. */
	DomainCall *waiters = TAKE_PTR(d->stop_waiters);
	size_t n = d->n_stop_waiters;
	d->n_stop_waiters = 0;
	for (size_t i = 0; i < n; i++)
		if (waiters[i].cb)
			waiters[i].cb(d, r, err, waiters[i].userdata);
	free(waiters);
}
