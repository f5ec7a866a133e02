/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* InjectNMI: QEMU's inject-nmi, which on s390x is a restart interrupt.
 * The call changes no state itself; what the guest makes of it (Linux
 * stops in a disabled wait, which QEMU reports as GUEST_PANICKED) comes
 * as events, through the state table like any other. */

#include <errno.h>

#include "domain-internal.h"

static void on_nmi_reply(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (!d->op_active || d->op != DOMAIN_OP_INJECT_NMI)
		return; /* overtaken: domain_stopped answered */
	if (r < 0) {
		ZvError err = ZV_ERROR_INIT;
		int k = zv_error_set(&err, ZV_ERROR_HYPERVISOR, EIO,
				     "QEMU refused inject-nmi for domain '%s': %s", domain_name(d), error);
		domain_finish_op(d, k, &err);
		return;
	}
	domain_finish_op(d, 0, NULL);
}

int domain_inject_nmi(Domain *d, domain_done_fn cb, void *userdata, ZvError *err)
{
	return domain_one_command_call(d, DOMAIN_OP_INJECT_NMI, "inject-nmi", qemu_monitor_inject_nmi,
				       on_nmi_reply, cb, userdata, err);
}
