/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The life cycle calls, asynchronous: each returns < 0 with err set when
 * it cannot begin (the callback is then never called), or 0 and calls
 * cb exactly once, later, from the event loop. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "domain.h"
#include "conf/settings.h"

/* Spawns QEMU, connects QMP and (unless paused) lets the guest run; cb
 * runs when the domain is running (or paused). */
int domain_start(Domain *d, DomainStartFlags flags, domain_done_fn cb, void *userdata, ZvError *err);

/* Asks the guest to power off (signal-quiesce); cb runs once the request
 * is delivered and the domain is in-shutdown. timeout_ms > 0: destroy
 * when the guest has not gone by then. */
int domain_shutdown(Domain *d, uint64_t timeout_ms, domain_done_fn cb, void *userdata, ZvError *err);

/* Shutdown, then boot the same configuration again in the same QEMU. */
int domain_reboot(Domain *d, domain_done_fn cb, void *userdata, ZvError *err);
int domain_reset(Domain *d, domain_done_fn cb, void *userdata, ZvError *err);

/* cb runs when the QEMU process is gone. graceful: SIGTERM first, SIGKILL
 * after 10 s. */
int domain_destroy(Domain *d, bool graceful, domain_done_fn cb, void *userdata, ZvError *err);

int domain_suspend(Domain *d, domain_done_fn cb, void *userdata, ZvError *err);
int domain_resume(Domain *d, domain_done_fn cb, void *userdata, ZvError *err);

/* After a daemon restart: watch pid, reconnect QMP at qmp_path and read
 * the real state. The domain's state fields hold what the status file
 * said until QEMU answers. */
int domain_reattach(Domain *d, pid_t pid, const char *qmp_path);

/* Whether this host can run s390x guests with KVM (an s390x host with a
 * usable /dev/kvm). */
bool host_has_s390x_kvm(void);

/* What a type='kvm' domain runs with here: "kvm" where the host has it,
 * "tcg" where the config says to emulate (Accelerator=tcg), NULL where it
 * cannot run at all. */
const char *host_kvm_domain_accelerator(const Settings *s);

/* The accelerator a start would use, or an error saying why none. */
int domain_pick_accelerator(const Domain *d, bool *ret_kvm, ZvError *err);
