/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A cgroup of its own for each running domain's QEMU, in the hierarchy
 * that has the cpu controller: <mount>/zvirt/<uuid> (cgroup v1, as on
 * hosts with a separate cpu hierarchy, or cgroup v2), found at run time.
 * It is made at start, before the guest runs (QEMU waits under -S), found
 * again by a restarted daemon, and removed once QEMU has ended. Its
 * cpu.shares (v1) or cpu.weight (v2) carries the domain's CPU weight
 * (<cputune><shares>), so the cpu controller splits host CPU time among
 * the running domains in proportion to their weights.
 *
 * Everything here is the kernel's memory (cgroupfs, procfs): no disk
 * I/O, so it runs on the loop; but moving a process with threads can
 * take the kernel tens of milliseconds, so a new QEMU joins its cgroup
 * itself, in the child before exec. */

#include <stdint.h>

#include "domain.h"

typedef enum CgroupVersion {
	CGROUP_VERSION_NONE,
	CGROUP_VERSION_V1,
	CGROUP_VERSION_V2,
} CgroupVersion;

/* Where the cpu controller is, from /proc/self/mountinfo's text: a v1
 * hierarchy with the cpu controller wins (the controller is then not
 * in v2), else the cgroup2 mount (v2, if its cgroup.controllers offers
 * cpu: the caller checks). *ret_mount is malloc'd (NULL with NONE).
 * Pure; -ENOMEM. */
int cgroup_parse_cpu_mount(const char *mountinfo, CgroupVersion *ret_version, char **ret_mount);

/* cgroup v2's cpu.weight (1..10000, default 100) for cgroup v1's
 * shares (2..262144, default 1024), and back, as systemd converts
 * CPUShares= (shares × 100 / 1024, clamped); libvirt on v2 writes the
 * number unchanged, which makes <shares>1024</shares> ten times the
 * default weight. */
uint64_t cgroup_shares_to_weight(uint64_t shares);
uint64_t cgroup_weight_to_shares(uint64_t weight);

/* Before QEMU is spawned: the domain's cgroup, made if needed, with the
 * weight of the live definition; returns its cgroup.procs open for
 * writing, for the child to join (QemuProcessUser.cgroup_procs_fd), or
 * -1: without a usable cpu controller the domain runs without a cgroup
 * (said once in the log), and one that cannot be made is logged. Never
 * fails the start. */
int domain_cgroup_prepare(Domain *d);

/* A restarted daemon's QEMU: its cgroup found again (or made now), and
 * QEMU moved into it if it is not there. */
void domain_cgroup_reattach(Domain *d);

/* QEMU has ended: its cgroup goes. */
void domain_cgroup_remove(Domain *d);

/* The weight of a running domain, now. HostError when the domain has
 * no cgroup (naming why) or the kernel refuses the value. */
int domain_cgroup_set_shares(Domain *d, uint64_t shares, ZvError *err);

/* The cgroup's directory (for logs and tests), NULL when it has none. */
const char *domain_cgroup_dir(const Domain *d);
