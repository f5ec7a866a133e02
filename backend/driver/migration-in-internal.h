/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* migration-in.c's hooks into the rest of the driver. For
 * backend/driver/ only. */

#include <stdbool.h>

#include "conf/domain-state.h"
#include "domain.h"

typedef struct MigrationIn MigrationIn;

/* The incoming QEMU's monitor is up and its NICs are connected: wait for
 * the data connection and answer Prepare. */
void domain_incoming_ready(Domain *d);
/* QEMU's MIGRATION event: look at the stream at once. */
void domain_incoming_qemu_event(Domain *d);
/* QEMU ended during an incoming migration (true): *reason becomes the
 * one the domain returns to (its inactive definition's). The answers
 * come with the Start's end. */
bool domain_incoming_stopped(Domain *d, DomainReason *reason);
/* Where a failed incoming start leaves the domain. */
DomainReason domain_incoming_failed_reason(const Domain *d);
/* For the status: the reason of the inactive definition the guest came
 * to, _DOMAIN_REASON_MAX for a new transient domain. */
DomainReason domain_incoming_prev_reason(const Domain *d);
/* An incoming QEMU that no guest ran in yet (the status's intent). */
bool domain_incoming_waiting(const Domain *d);
/* The daemon stops: the incoming QEMU, no guest yet, is killed (first),
 * and what is left of the migration is freed (last). */
void domain_incoming_kill(Domain *d);
void domain_incoming_forget(Domain *d);
