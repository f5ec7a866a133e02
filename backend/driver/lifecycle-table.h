/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The transitions of docs/lifecycle.md: which calls are allowed in which
 * state, where a start ends, and what QEMU's run states mean. Pure
 * functions, no I/O. */

#include <stdbool.h>

#include "conf/domain-state.h"
#include "util/error.h"

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
	DOMAIN_OP_MANAGED_SAVE,
	DOMAIN_OP_CORE_DUMP,
	DOMAIN_OP_MIGRATE,
	/* These two change no state; the table only says when they work. */
	DOMAIN_OP_INJECT_NMI,
	DOMAIN_OP_OPEN_CONSOLE,
	/* The live half of a device change (its config half needs no state). */
	DOMAIN_OP_ATTACH_DEVICE,
	DOMAIN_OP_DETACH_DEVICE,
	DOMAIN_OP_UPDATE_DEVICE,
	_DOMAIN_OP_MAX,
} DomainOp;

const char *domain_op_to_string(DomainOp op);

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
