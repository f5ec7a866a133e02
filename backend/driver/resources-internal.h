/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the resource calls (vcpus.c, schedinfo.c, iothreads.c) share:
 * resources.c. For backend/driver/ only. */

#include "domain-internal.h"
#include "resources.h"

/* domain_resource_flags() for d as it is now: active while it has a
 * live definition (a Start in flight too, as libvirt counts it). */
int domain_resource_affect(const Domain *d, const ModifyOptions *o, bool read, bool no_option_is_current,
			   const char *call, DomainModifyFlags *ret, ZvError *err);

/* A live change to QEMU can begin now: the monitor is there, and no
 * other live vCPU or I/O thread change, job or Start is under way
 * (Busy); HypervisorError without a monitor. */
int domain_resource_check_live(const Domain *d, const char *call, ZvError *err);

/* err of a config part that failed after its live part was made: the
 * live change stays, and the message says so (as the device calls do). */
void domain_resource_live_stays(ZvError *err);

/* The live definition changed (vCPUs, I/O threads, weight): the status
 * file now, the properties to clients. */
void domain_resource_live_changed(Domain *d);
