/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shutdown and Reboot: ask the guest to power off (system_powerdown is
 * the SCLP signal-quiesce on s390x) and let events.c see it go. Reboot
 * then boots the same live definition in a new QEMU. */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "domain-internal.h"
#include "registry-internal.h"
#include "util/log.h"

/* The powerdown request of a Shutdown or a Reboot was answered. */
static bool powerdown_refused(Domain *d, DomainOp op, int r, const char *error)
{
	if (!d->op_active || d->op != op)
		return true; /* overtaken: whoever overtook it answers */
	if (r >= 0)
		return false;
	ZvError err = ZV_ERROR_INIT;
	int k = zv_error_set(&err, ZV_ERROR_HYPERVISOR, EIO, "QEMU refused system_powerdown for '%s': %s",
			     domain_name(d), error);
	domain_finish_op(d, k, &err);
	return true;
}

static void on_shutdown_cont(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (!d->op_active || d->op != DOMAIN_OP_SHUTDOWN)
		return;
	if (r < 0) {
		ZvError err = ZV_ERROR_INIT;
		int k = zv_error_set(&err, ZV_ERROR_HYPERVISOR, EIO,
				     "QEMU refused to run the vCPUs of '%s' for its shutdown: %s",
				     domain_name(d), error);
		domain_finish_op(d, k, &err);
		return;
	}
	domain_finish_op(d, 0, NULL);
}

static void on_powerdown_reply(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (powerdown_refused(d, DOMAIN_OP_SHUTDOWN, r, error))
		return;
	bool paused = d->state == DOMAIN_STATE_PAUSED;
	if (d->state != DOMAIN_STATE_IN_SHUTDOWN)
		domain_set_state(d, DOMAIN_STATE_IN_SHUTDOWN, DOMAIN_REASON_UNKNOWN);
	/* A paused guest cannot act on the quiesce signal: its vCPUs have to
	 * run (paused → in-shutdown → shut-off/shutdown). The RESUME that
	 * follows is no unpause: the state is in-shutdown by then. */
	if (paused && qemu_monitor_cont(d->monitor, on_shutdown_cont) >= 0)
		return;
	domain_finish_op(d, 0, NULL);
}

int domain_shutdown(Domain *d, uint64_t timeout_ms, domain_done_fn cb, void *userdata, ZvError *err)
{
	uint64_t now = 0;
	if (timeout_ms > 0) {
		int r = sd_event_now(registry_get_event(d->registry), CLOCK_MONOTONIC, &now);
		if (r < 0)
			return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot read the clock: %s",
					    strerror(-r));
		if (timeout_ms > (UINT64_MAX - now) / 1000)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ERANGE,
					    "timeout-ms %" PRIu64 " is too large", timeout_ms);
	}
	int r = domain_one_command_call(d, DOMAIN_OP_SHUTDOWN, "system_powerdown",
					qemu_monitor_system_powerdown, on_powerdown_reply, cb, userdata,
					err);
	if (r < 0 || timeout_ms == 0)
		return r;
	r = domain_arm_kill_deadline(d, now + timeout_ms * 1000);
	if (r < 0)
		/* The request is out and will be answered; say loudly that the
		 * deadline will not be kept rather than answer twice. */
		log_error_errno(r,
				"Domain %s: cannot arm the shutdown timeout, it will not be destroyed: %m",
				domain_name(d));
	return 0;
}

static void on_reboot_powerdown(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (r < 0 && d->op_active && d->op == DOMAIN_OP_REBOOT)
		d->restart_pending = false;
	if (powerdown_refused(d, DOMAIN_OP_REBOOT, r, error))
		return;
	/* Like virsh reboot: answer once the request is delivered. */
	domain_finish_op(d, 0, NULL);
}

int domain_reboot(Domain *d, domain_done_fn cb, void *userdata, ZvError *err)
{
	/* on_reboot=destroy: destroy, then boot (shut-off → running/booted);
	 * else an orderly shutdown first. Both boot the unchanged live
	 * definition. */
	if (d->live && d->live->on_reboot == LIFECYCLE_ACTION_DESTROY) {
		int r = domain_begin_op(d, DOMAIN_OP_REBOOT, cb, userdata, err);
		if (r < 0)
			return r;
		domain_restart_process(d, DOMAIN_REASON_DESTROYED);
		return 0;
	}
	int r = domain_one_command_call(d, DOMAIN_OP_REBOOT, "system_powerdown",
					qemu_monitor_system_powerdown, on_reboot_powerdown, cb, userdata,
					err);
	if (r >= 0) {
		d->restart_pending = true;
		domain_save_intents(d);
	}
	return r;
}
