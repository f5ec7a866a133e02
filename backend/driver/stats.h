/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* GetStats: what virsh dominfo and domstats show, as a list of typed,
 * named values (libvirt's domstats keys: "cpu.time", "vcpu.0.time",
 * "block.1.rd.bytes", ...). Sizes are bytes, times nanoseconds. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "util/error.h"

typedef enum DomainStatType {
	DOMAIN_STAT_U64,
	DOMAIN_STAT_U32,
	DOMAIN_STAT_I32,
	DOMAIN_STAT_BOOL,
	DOMAIN_STAT_STRING,
} DomainStatType;

typedef struct DomainStat {
	char *key;
	DomainStatType type;
	union {
		uint64_t u64;
		uint32_t u32;
		int32_t i32;
		bool b;
		char *s;
	};
} DomainStat;

typedef struct DomainStats {
	DomainStat *v;
	size_t n;
} DomainStats;

/* r < 0 with err set on failure; stats are borrowed for the callback. */
typedef void (*domain_stats_fn)(Domain *d, int r, const ZvError *err, const DomainStats *stats,
				void *userdata);

/* Collects the statistics of d: for an inactive domain its state,
 * configured values (each NIC's domiflist columns among them) and each
 * disk's sizes as its image file has them;
 * for an active one also what QEMU, /proc and rtnetlink say (CPU time
 * per vCPU, the balloon, each disk's counters and sizes, each NIC's
 * host link counters in the guest's view). A group QEMU cannot
 * answer (a monitor that is reconnecting), or an image file that
 * cannot be read, is left out, as libvirt's domstats leaves it out. cb
 * runs exactly once, later. */
int domain_get_stats(Domain *d, domain_stats_fn cb, void *userdata, ZvError *err);

/* Disk.GetStats: the counters of one disk of a running domain, under
 * virsh domblkstat's names (rd_req, rd_bytes, wr_req, wr_bytes,
 * flush_operations, rd_total_times, wr_total_times, flush_total_times
 * in ns, errs), and its domblkinfo sizes (capacity, allocation,
 * physical, as "block.<n>.*" of domain_get_stats). An inactive domain
 * is OperationInvalid and a target the running definition lacks
 * NoSuchDevice, at once; a disk QEMU does not report, or a monitor
 * that does not answer, is HypervisorError through cb. */
int domain_get_disk_stats(Domain *d, const char *target, domain_stats_fn cb, void *userdata, ZvError *err);
