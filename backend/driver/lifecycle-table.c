/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state table: which call each state allows, where a Start ends,
 * and what QEMU's run states mean (lifecycle-table.h). */
#include "driver/lifecycle-table.h"

#include <errno.h>
#include <string.h>

#include "util/cleanup.h"

static const char *const op_names[_DOMAIN_OP_MAX] = {
	[DOMAIN_OP_START] = "Start",
	[DOMAIN_OP_SHUTDOWN] = "Shutdown",
	[DOMAIN_OP_REBOOT] = "Reboot",
	[DOMAIN_OP_RESET] = "Reset",
	[DOMAIN_OP_DESTROY] = "Destroy",
	[DOMAIN_OP_SUSPEND] = "Suspend",
	[DOMAIN_OP_RESUME] = "Resume",
	[DOMAIN_OP_UNDEFINE] = "Undefine",
	[DOMAIN_OP_MANAGED_SAVE] = "ManagedSave",
	[DOMAIN_OP_MIGRATE] = "Migrate",
	[DOMAIN_OP_CORE_DUMP] = "CoreDump",
	[DOMAIN_OP_INJECT_NMI] = "InjectNMI",
	[DOMAIN_OP_OPEN_CONSOLE] = "OpenConsole",
	[DOMAIN_OP_ATTACH_DEVICE] = "AttachDevice",
	[DOMAIN_OP_DETACH_DEVICE] = "DetachDevice",
	[DOMAIN_OP_UPDATE_DEVICE] = "UpdateDevice",
};

#define BIT(x) (1u << (x))

/* Which states each call accepts (docs/lifecycle.md, "Transitions"). Reset and
 * Destroy reach every live state; Shutdown may be repeated while the
 * guest is still shutting down, as virsh allows. */
static const unsigned allowed_states[_DOMAIN_OP_MAX] = {
	[DOMAIN_OP_START] = BIT(DOMAIN_STATE_SHUT_OFF),
	[DOMAIN_OP_SHUTDOWN] =
		BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED) | BIT(DOMAIN_STATE_IN_SHUTDOWN),
	[DOMAIN_OP_REBOOT] = BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED),
	[DOMAIN_OP_RESET] = BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED) |
			    BIT(DOMAIN_STATE_CRASHED) | BIT(DOMAIN_STATE_IN_SHUTDOWN),
	[DOMAIN_OP_DESTROY] = BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED) |
			      BIT(DOMAIN_STATE_CRASHED) | BIT(DOMAIN_STATE_IN_SHUTDOWN),
	[DOMAIN_OP_SUSPEND] = BIT(DOMAIN_STATE_RUNNING),
	[DOMAIN_OP_RESUME] = BIT(DOMAIN_STATE_PAUSED),
	[DOMAIN_OP_UNDEFINE] = BIT(DOMAIN_STATE_SHUT_OFF),
	[DOMAIN_OP_MANAGED_SAVE] = BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED),
	[DOMAIN_OP_MIGRATE] = BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED),
	/* A crashed guest is kept (on_crash preserve) for exactly this. */
	[DOMAIN_OP_CORE_DUMP] =
		BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED) | BIT(DOMAIN_STATE_CRASHED),
	/* A restart interrupt needs CPUs that can take it (a paused one takes
	 * it at Resume); a crashed guest is left for a dump. */
	[DOMAIN_OP_INJECT_NMI] = BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED),
	/* The console is there as long as QEMU is. */
	[DOMAIN_OP_OPEN_CONSOLE] = BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED) |
				   BIT(DOMAIN_STATE_CRASHED) | BIT(DOMAIN_STATE_IN_SHUTDOWN),
	/* Hot-plug needs a QEMU whose guest is not going away. */
	[DOMAIN_OP_ATTACH_DEVICE] = BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED),
	[DOMAIN_OP_DETACH_DEVICE] = BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED),
	[DOMAIN_OP_UPDATE_DEVICE] = BIT(DOMAIN_STATE_RUNNING) | BIT(DOMAIN_STATE_PAUSED),
};

const char *domain_op_to_string(DomainOp op)
{
	return op >= 0 && op < _DOMAIN_OP_MAX ? op_names[op] : NULL;
}

static void format_allowed(DomainOp op, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = 0;
	for (int s = 0; s < _DOMAIN_STATE_MAX; s++) {
		if (!(allowed_states[op] & BIT(s)))
			continue;
		int k = snprintf(buf + n, size - n, "%s%s", n ? ", " : "", domain_state_to_string(s));
		if (k < 0 || (size_t)k >= size - n)
			break;
		n += (size_t)k;
	}
}

int lifecycle_check(DomainOp op, DomainState state, DomainReason reason, const char *name, ZvError *err)
{
	if (allowed_states[op] & BIT(state))
		return 0;

	char allowed[128];
	format_allowed(op, allowed, sizeof(allowed));
	return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
			    "%s is not possible: domain '%s' is %s (%s); it needs to be %s", op_names[op],
			    name, domain_state_to_string(state), domain_reason_to_string(reason), allowed);
}

void lifecycle_start_result(DomainReason from, bool image_paused, bool opt_paused, bool opt_force_boot,
			    DomainState *ret_state, DomainReason *ret_reason)
{
	bool saved = from == DOMAIN_REASON_SAVED;

	if (!saved || (opt_force_boot && !image_paused)) {
		/* From scratch (IPL); force-boot throws the image away. */
		*ret_state = opt_paused ? DOMAIN_STATE_PAUSED : DOMAIN_STATE_RUNNING;
		*ret_reason = opt_paused ? DOMAIN_REASON_USER : DOMAIN_REASON_BOOTED;
	} else if (opt_force_boot) {
		/* Saved from paused, force-boot: docs/lifecycle.md says paused/user. */
		*ret_state = DOMAIN_STATE_PAUSED;
		*ret_reason = DOMAIN_REASON_USER;
	} else if (image_paused || opt_paused) {
		*ret_state = DOMAIN_STATE_PAUSED;
		*ret_reason = DOMAIN_REASON_MIGRATING;
	} else {
		*ret_state = DOMAIN_STATE_RUNNING;
		*ret_reason = DOMAIN_REASON_RESTORED;
	}
}

int lifecycle_from_qemu_status(const char *status, DomainState *ret_state, DomainReason *ret_reason)
{
	static const struct {
		const char *status;
		DomainState state;
		DomainReason reason;
	} map[] = {
		{"running", DOMAIN_STATE_RUNNING, DOMAIN_REASON_UNPAUSED},
		{"paused", DOMAIN_STATE_PAUSED, DOMAIN_REASON_USER},
		{"prelaunch", DOMAIN_STATE_PAUSED, DOMAIN_REASON_USER},
		{"io-error", DOMAIN_STATE_PAUSED, DOMAIN_REASON_IOERROR},
		{"watchdog", DOMAIN_STATE_PAUSED, DOMAIN_REASON_WATCHDOG},
		{"guest-panicked", DOMAIN_STATE_CRASHED, DOMAIN_REASON_PANICKED},
		{"inmigrate", DOMAIN_STATE_PAUSED, DOMAIN_REASON_MIGRATING},
		{"postmigrate", DOMAIN_STATE_PAUSED, DOMAIN_REASON_MIGRATING},
		{"finish-migrate", DOMAIN_STATE_PAUSED, DOMAIN_REASON_MIGRATING},
		{"save-vm", DOMAIN_STATE_PAUSED, DOMAIN_REASON_MIGRATING},
		{"restore-vm", DOMAIN_STATE_PAUSED, DOMAIN_REASON_MIGRATING},
		{"suspended", DOMAIN_STATE_PAUSED, DOMAIN_REASON_USER},
		{"debug", DOMAIN_STATE_PAUSED, DOMAIN_REASON_UNKNOWN},
		{"internal-error", DOMAIN_STATE_PAUSED, DOMAIN_REASON_UNKNOWN},
	};

	if (strcmp(status, "shutdown") == 0)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (strcmp(map[i].status, status) == 0) {
			*ret_state = map[i].state;
			*ret_reason = map[i].reason;
			return 0;
		}
	*ret_state = DOMAIN_STATE_PAUSED;
	*ret_reason = DOMAIN_REASON_UNKNOWN;
	return 0;
}
