/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a domain gets of the host, changed while it runs and in its
 * persistent definition, as virsh setvcpus / vcpucount, schedinfo and
 * iothreadadd / iothreaddel / iothreadinfo do it: vCPUs (vcpus.c), the
 * CPU weight (schedinfo.c) and I/O threads (iothreads.c). Which
 * definition a call touches comes from its live / config / current
 * options (modify-flags.h, as the device calls resolve them; see
 * domain_resource_flags()).
 *
 * The setters check everything first (< 0 with err set: nothing was
 * changed, cb never runs). Then the live part goes to QEMU (or the
 * domain's cgroup), and the config part through the queue of durable
 * changes (registry_edit_definition_async); cb runs exactly once, later,
 * when both are done: with an error, what was done before it stays done
 * (the message says which part failed). A setter that had nothing to
 * wait for returns 1 and never calls cb. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "modify-flags.h"
#include "registry.h"

/* virsh's options to the definitions a call touches: as
 * modify_flags_resolve(), but no option at all means current where
 * no_option_is_current (schedinfo, iothread*, and every read) rather than
 * live (setvcpus without flags), and a read (one definition) refuses live
 * and config together. Pure. */
int domain_resource_flags(const ModifyOptions *o, bool read, bool no_option_is_current, bool active,
			  bool persistent, const char *call, const char *domain, DomainModifyFlags *ret,
			  ZvError *err);

/* vcpucount: the current (or, with maximum, the maximum) vCPUs of the
 * one definition the options name. */
int domain_get_vcpu_count(Domain *d, const ModifyOptions *o, bool maximum, unsigned *ret, ZvError *err);

/* setvcpus. Live: count may only grow, up to the live maximum; each new
 * vCPU is device_add'ed into a free slot of query-hotpluggable-cpus (id
 * "vcpu<core-id>"), comes up stopped and is the guest's to bring online;
 * fewer is OperationInvalid (QEMU cannot unplug a vCPU on s390x). Config:
 * the current vCPUs of the next start (at most its maximum) or, with
 * maximum, that maximum (a current above it comes down with it);
 * maximum with live is refused. */
int domain_set_vcpus(Domain *d, unsigned count, const ModifyOptions *o, bool maximum, registry_done_fn cb,
		     void *userdata, ZvError *err);

/* setmem (and with maximum, setmaxmem), bytes rounded up to KiB. Live:
 * the virtio balloon's target (a domain without one is
 * OperationInvalid), at most the maximum; the guest gives the memory
 * back in its own time (GetStats' balloon.current tells). Config: the
 * next start's current memory (at most its maximum) or, with maximum,
 * that maximum (a current above it comes down with it); maximum with
 * live is refused. No option is live, as virsh setmem without flags. */
int domain_set_memory(Domain *d, uint64_t bytes, const ModifyOptions *o, bool maximum, registry_done_fn cb,
		      void *userdata, ZvError *err);

/* schedinfo cpu_shares: the <cputune><shares> of one definition (1024
 * when unset). */
int domain_get_cpu_shares(Domain *d, const ModifyOptions *o, uint64_t *ret, ZvError *err);
/* shares 2..262144 (InvalidArgument otherwise). Live: the domain's
 * cgroup (cgroup.h) and live definition; config: the next start's. */
int domain_set_cpu_shares(Domain *d, uint64_t shares, const ModifyOptions *o, registry_done_fn cb,
			  void *userdata, ZvError *err);

/* iothreadadd / iothreaddel: I/O thread id (> 0) is added to, or removed
 * from, what runs (object-add / object-del of "iothread<id>") and / or
 * the persistent definition. Adding an id that exists, or removing one
 * that does not, is InvalidArgument; removing one a disk of that
 * definition is bound to is OperationInvalid. */
int domain_add_iothread(Domain *d, unsigned id, const ModifyOptions *o, registry_done_fn cb, void *userdata,
			ZvError *err);
int domain_del_iothread(Domain *d, unsigned id, const ModifyOptions *o, registry_done_fn cb, void *userdata,
			ZvError *err);

/* iothreadinfo: each I/O thread with the host CPUs it may run on, as
 * cpulist ranges ("0-7", or "0-3" and "8-11"): live, the affinity of
 * QEMU's thread (query-iothreads); config, the host's online CPUs (no
 * pinning is defined). */
typedef struct DomainIOThreadInfo {
	unsigned id;
	char **cpus; /* NULL-terminated */
} DomainIOThreadInfo;
typedef void (*domain_iothreads_fn)(int r, const ZvError *err, const DomainIOThreadInfo *threads, size_t n,
				    void *userdata);
/* cb runs exactly once, later (also for config, from the loop). */
int domain_get_iothreads(Domain *d, const ModifyOptions *o, domain_iothreads_fn cb, void *userdata,
			 ZvError *err);
