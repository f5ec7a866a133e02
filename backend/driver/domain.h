/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A domain as the daemon knows it: its definition, its state and, while
 * active, its QEMU process and QMP connection. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>

#include "conf/domain-def.h"
#include "driver/lifecycle-table.h"
#include "util/error.h"

typedef enum DomainStartFlags {
	DOMAIN_START_PAUSED = 1 << 0,
	DOMAIN_START_FORCE_BOOT = 1 << 1,
} DomainStartFlags;

typedef struct Registry Registry;
typedef struct Domain Domain;
typedef struct QemuProcess QemuProcess;
typedef struct Qmp Qmp;

/* Completion of an asynchronous call: r < 0 with err set on failure. */
typedef void (*domain_done_fn)(Domain *d, int r, const ZvError *err, void *userdata);

typedef struct DomainCall {
	domain_done_fn cb;
	void *userdata;
} DomainCall;

struct Domain {
	Registry *registry;
	sd_id128_t uuid_id;
	char uuid_hex[SD_ID128_STRING_MAX];  /* key and object path label */
	char uuid[SD_ID128_UUID_STRING_MAX]; /* dashed, for people */

	DomainDef *def;  /* the next-boot definition (persistent or transient) */
	DomainDef *live; /* what runs, while active; def may be redefined meanwhile */
	bool persistent;
	bool autostart;

	DomainState state;
	DomainReason reason;
	uint64_t sequence; /* +1 on every state change */
	int id;            /* -1 while inactive */

	/* While active. */
	QemuProcess *process;
	Qmp *qmp;
	char *qmp_path;
	char *log_path;
	long log_offset; /* where this run's QEMU output starts in log_path */

	/* The one state-changing call in flight; Destroy may overtake it. */
	DomainOp op;
	bool op_active;
	DomainCall op_call;
	DomainStartFlags start_flags;
	ZvError op_error; /* a failed start, reported once QEMU has exited */

	/* Destroy calls waiting for the process to end. */
	DomainCall *stop_waiters;
	size_t n_stop_waiters;

	/* How the coming end of QEMU is to be reported (else: crashed). */
	bool stop_expected;
	DomainReason stop_reason;
	/* Boot the same live definition again once QEMU has ended: Reboot,
	 * on_poweroff/on_crash=restart (the seed's shut-off → running/booted). */
	bool restart_pending;
	/* QEMU (-no-shutdown) stopped the guest after its SHUTDOWN: the STOP
	 * that follows is part of that, not a user's pause. */
	bool guest_halted;

	sd_event_source *timer;         /* Shutdown timeout-ms, graceful Destroy */
	sd_event_source *status_writer; /* the runtime status file, written after the signals */
};

/* The definition that describes the domain now: live while active. */
static inline const DomainDef *domain_current_def(const Domain *d)
{
	return d->live ? d->live : d->def;
}

static inline const char *domain_name(const Domain *d)
{
	return d->def->name;
}

int domain_new(Registry *r, DomainDef *def, bool persistent, Domain **ret);
Domain *domain_free(Domain *d);

/* Moves to (state, reason): sequence+1, status file, callbacks. Setting
 * the current pair again changes nothing, but for running/reset: every
 * reset is a transition. */
void domain_set_state(Domain *d, DomainState state, DomainReason reason);

/* Fails with Busy when a call is in flight. */
int domain_check_idle(Domain *d, DomainOp op, ZvError *err);

/* Finishes the call in flight (if any) with r/err. */
void domain_finish_op(Domain *d, int r, const ZvError *err);

/* CPU time used by QEMU so far, 0 when inactive. */
uint64_t domain_cpu_time_ns(const Domain *d);
uint32_t domain_qemu_pid(const Domain *d);
