/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names of states and reasons, and which pairs the table has. */
#include "conf/domain-state.h"

#include <errno.h>
#include <string.h>

static const char *const state_names[_DOMAIN_STATE_MAX] = {
	[DOMAIN_STATE_SHUT_OFF] = "shut-off",       [DOMAIN_STATE_RUNNING] = "running",
	[DOMAIN_STATE_PAUSED] = "paused",           [DOMAIN_STATE_CRASHED] = "crashed",
	[DOMAIN_STATE_IN_SHUTDOWN] = "in-shutdown",
};

static const char *const reason_names[_DOMAIN_REASON_MAX] = {
	[DOMAIN_REASON_UNKNOWN] = "unknown",     [DOMAIN_REASON_SAVED] = "saved",
	[DOMAIN_REASON_SHUTDOWN] = "shutdown",   [DOMAIN_REASON_DESTROYED] = "destroyed",
	[DOMAIN_REASON_CRASHED] = "crashed",     [DOMAIN_REASON_MIGRATED] = "migrated",
	[DOMAIN_REASON_FAILED] = "failed",       [DOMAIN_REASON_BOOTED] = "booted",
	[DOMAIN_REASON_RESTORED] = "restored",   [DOMAIN_REASON_UNPAUSED] = "unpaused",
	[DOMAIN_REASON_RESET] = "reset",         [DOMAIN_REASON_USER] = "user",
	[DOMAIN_REASON_MIGRATING] = "migrating", [DOMAIN_REASON_IOERROR] = "ioerror",
	[DOMAIN_REASON_WATCHDOG] = "watchdog",   [DOMAIN_REASON_PANICKED] = "panicked",
};

#define BIT(x) (1u << (x))

/* The rows of docs/lifecycle.md's "States and their reasons" table. */
static const unsigned valid_reasons[_DOMAIN_STATE_MAX] = {
	[DOMAIN_STATE_SHUT_OFF] = BIT(DOMAIN_REASON_UNKNOWN) | BIT(DOMAIN_REASON_SAVED) |
				  BIT(DOMAIN_REASON_SHUTDOWN) | BIT(DOMAIN_REASON_DESTROYED) |
				  BIT(DOMAIN_REASON_CRASHED) | BIT(DOMAIN_REASON_MIGRATED) |
				  BIT(DOMAIN_REASON_FAILED),
	[DOMAIN_STATE_RUNNING] = BIT(DOMAIN_REASON_BOOTED) | BIT(DOMAIN_REASON_MIGRATED) |
				 BIT(DOMAIN_REASON_RESTORED) | BIT(DOMAIN_REASON_UNPAUSED) |
				 BIT(DOMAIN_REASON_RESET),
	[DOMAIN_STATE_PAUSED] = BIT(DOMAIN_REASON_USER) | BIT(DOMAIN_REASON_MIGRATING) |
				BIT(DOMAIN_REASON_IOERROR) | BIT(DOMAIN_REASON_WATCHDOG) |
				BIT(DOMAIN_REASON_UNKNOWN),
	[DOMAIN_STATE_CRASHED] = BIT(DOMAIN_REASON_PANICKED),
	[DOMAIN_STATE_IN_SHUTDOWN] = BIT(DOMAIN_REASON_UNKNOWN),
};

const char *domain_state_to_string(DomainState s)
{
	return s >= 0 && s < _DOMAIN_STATE_MAX ? state_names[s] : NULL;
}

int domain_state_from_string(const char *s)
{
	for (int i = 0; i < _DOMAIN_STATE_MAX; i++)
		if (strcmp(state_names[i], s) == 0)
			return i;
	return -EINVAL;
}

const char *domain_reason_to_string(DomainReason r)
{
	return r >= 0 && r < _DOMAIN_REASON_MAX ? reason_names[r] : NULL;
}

int domain_reason_from_string(const char *s)
{
	for (int i = 0; i < _DOMAIN_REASON_MAX; i++)
		if (strcmp(reason_names[i], s) == 0)
			return i;
	return -EINVAL;
}

bool domain_state_reason_valid(DomainState s, DomainReason r)
{
	if (s < 0 || s >= _DOMAIN_STATE_MAX || r < 0 || r >= _DOMAIN_REASON_MAX)
		return false;
	return valid_reasons[s] & BIT(r);
}
