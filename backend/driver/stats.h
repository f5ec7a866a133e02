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

/* Collects the statistics of d: for an inactive domain its state and
 * configured values; for an active one also what QEMU and /proc say
 * (CPU time per vCPU, the balloon, each disk's counters). A group QEMU
 * cannot answer (a monitor that is reconnecting) is left out, as
 * libvirt's domstats leaves it out. cb runs exactly once, later. */
int domain_get_stats(Domain *d, domain_stats_fn cb, void *userdata, ZvError *err);
