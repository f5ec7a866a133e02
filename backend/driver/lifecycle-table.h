/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The state/reason table of design/lifecycle.md: which calls are allowed
 * in which state, and where a start ends. Pure functions, no I/O. */

#include <stdbool.h>

#include "util/error.h"

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

/* The calls of org.zvirt1.Domain that depend on the state. */
typedef enum DomainOp {
	DOMAIN_OP_START,
	DOMAIN_OP_SHUTDOWN,
	DOMAIN_OP_REBOOT,
	DOMAIN_OP_RESET,
	DOMAIN_OP_DESTROY,
	DOMAIN_OP_SUSPEND,
	DOMAIN_OP_RESUME,
	DOMAIN_OP_UNDEFINE,
	_DOMAIN_OP_MAX,
} DomainOp;

const char *domain_state_to_string(DomainState s);
int domain_state_from_string(const char *s);
const char *domain_reason_to_string(DomainReason r);
int domain_reason_from_string(const char *s);
const char *domain_op_to_string(DomainOp op);

/* Whether the pair is a row of the table. */
bool domain_state_reason_valid(DomainState s, DomainReason r);

/* A QEMU process exists in this state. */
static inline bool domain_state_is_active(DomainState s)
{
	return s != DOMAIN_STATE_SHUT_OFF;
}

/* 0 when op may run in (state, reason), else -EBUSY-free -EPERM with
 * err = OperationInvalid naming the state, reason and what is allowed. */
int lifecycle_check(DomainOp op, DomainState state, DomainReason reason, const char *name, ZvError *err);

/* Where a Start from shut-off ends (without managed-save images the
 * saved rows never apply; they are here so the table stays whole). */
void lifecycle_start_result(DomainReason from, bool image_paused, bool opt_paused, bool opt_force_boot,
			    DomainState *ret_state, DomainReason *ret_reason);

/* Maps QEMU's query-status "status" to a state and reason, for a daemon
 * that reattaches and for STOP events without a call in flight. Returns
 * -EINVAL for statuses that mean "about to end" (shutdown): the caller
 * finishes the shutdown instead. */
int lifecycle_from_qemu_status(const char *status, DomainState *ret_state, DomainReason *ret_reason);
