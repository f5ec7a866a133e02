/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Suspend and Resume: QEMU's stop and cont, answered when QEMU has done
 * it. The STOP/RESUME events they cause are echoes (events.c). */

#include "domain-internal.h"

static void on_stop_reply(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	domain_reply_then_state(userdata, "stop", r, error, DOMAIN_STATE_PAUSED, DOMAIN_REASON_USER);
}

static void on_cont_reply(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	domain_reply_then_state(userdata, "cont", r, error, DOMAIN_STATE_RUNNING, DOMAIN_REASON_UNPAUSED);
}

int domain_suspend(Domain *d, domain_done_fn cb, void *userdata, ZvError *err)
{
	return domain_one_command_call(d, DOMAIN_OP_SUSPEND, "stop", qemu_monitor_stop, on_stop_reply, cb,
				       userdata, err);
}

int domain_resume(Domain *d, domain_done_fn cb, void *userdata, ZvError *err)
{
	return domain_one_command_call(d, DOMAIN_OP_RESUME, "cont", qemu_monitor_cont, on_cont_reply, cb,
				       userdata, err);
}
