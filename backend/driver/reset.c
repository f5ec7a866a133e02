/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reset: QEMU's system_reset, the same QEMU and the same definition. A
 * crashed guest is halted and needs a cont afterwards; a paused one
 * stays paused. */

#include "domain-internal.h"

static void on_reset_cont(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	domain_reply_then_state(userdata, "cont", r, error, DOMAIN_STATE_RUNNING, DOMAIN_REASON_RESET);
}

static void on_reset_reply(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (!d->op_active)
		return;
	if (r >= 0 && d->state == DOMAIN_STATE_CRASHED && qemu_monitor_cont(d->monitor, on_reset_cont) >= 0)
		return;
	if (r >= 0 && d->state == DOMAIN_STATE_PAUSED) {
		/* No state change: a paused guest stays paused. */
		domain_finish_op(d, 0, NULL);
		return;
	}
	domain_reply_then_state(d, "system_reset", r, error, DOMAIN_STATE_RUNNING, DOMAIN_REASON_RESET);
}

int domain_reset(Domain *d, domain_done_fn cb, void *userdata, ZvError *err)
{
	return domain_one_command_call(d, DOMAIN_OP_RESET, "system_reset", qemu_monitor_system_reset,
				       on_reset_reply, cb, userdata, err);
}
