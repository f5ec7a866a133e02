/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ReservedHostMemory= (xend's dom0-min-mem): memory a start must leave
 * to the host. */

#include <stdint.h>

#include "domain.h"

/* MemAvailable of /proc/meminfo's text, in bytes. Pure; -ENOENT when the
 * line is missing (kernels before 3.14), -EBADMSG when it is garbled. */
int meminfo_available(const char *meminfo, uint64_t *ret_bytes);

/* 0 when starting def (its <memory>) leaves the host at least
 * [Hypervisor] ReservedHostMemory of its MemAvailable, or when nothing is
 * reserved (0, the default); else HostError saying how much there is,
 * how much the domain needs and how much stays reserved. The kernel's
 * estimate is read now (procfs: no disk I/O). */
int domain_check_host_memory(const Domain *d, const DomainDef *def, ZvError *err);
