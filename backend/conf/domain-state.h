/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The words of the life cycle: a domain's states and the reasons that
 * qualify them (docs/lifecycle.md), with their names on the bus and in
 * the runtime status file. Which calls each state allows is the driver's
 * business (driver/lifecycle-table.h). */

#include <stdbool.h>

typedef enum DomainState {
	DOMAIN_STATE_SHUT_OFF,
	DOMAIN_STATE_RUNNING,
	DOMAIN_STATE_PAUSED,
	DOMAIN_STATE_CRASHED,
	DOMAIN_STATE_IN_SHUTDOWN,
	_DOMAIN_STATE_MAX,
} DomainState;

typedef enum DomainReason {
	DOMAIN_REASON_UNKNOWN,
	DOMAIN_REASON_SAVED,
	DOMAIN_REASON_SHUTDOWN,
	DOMAIN_REASON_DESTROYED,
	DOMAIN_REASON_CRASHED,
	DOMAIN_REASON_MIGRATED,
	DOMAIN_REASON_FAILED,
	DOMAIN_REASON_BOOTED,
	DOMAIN_REASON_RESTORED,
	DOMAIN_REASON_UNPAUSED,
	DOMAIN_REASON_RESET,
	DOMAIN_REASON_USER,
	DOMAIN_REASON_MIGRATING,
	DOMAIN_REASON_IOERROR,
	DOMAIN_REASON_WATCHDOG,
	DOMAIN_REASON_PANICKED,
	_DOMAIN_REASON_MAX,
} DomainReason;

const char *domain_state_to_string(DomainState s);
int domain_state_from_string(const char *s);
const char *domain_reason_to_string(DomainReason r);
int domain_reason_from_string(const char *s);

/* Whether the pair is a row of the table of states and reasons. */
bool domain_state_reason_valid(DomainState s, DomainReason r);

/* A QEMU process exists in this state. */
static inline bool domain_state_is_active(DomainState s)
{
	return s != DOMAIN_STATE_SHUT_OFF;
}
