/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* dump.c's hooks into the rest of the driver. For backend/driver/ only. */

#include <stdbool.h>

#include "conf/domain-def.h"
#include "domain.h"

typedef struct DumpOp DumpOp;

/* A guest crashed and on_crash (or EnableDump=) wants a dump: starts it
 * into DumpDir, and once it is written carries out action (destroy,
 * restart, preserve). false when no dump is made: the caller acts now. */
bool domain_crash_dump(Domain *d, LifecycleAction action);

/* The watchdog expired with action dump (QEMU paused the guest): a
 * dump into DumpDir as a job, then the guest runs again
 * (running/unpaused), as libvirt does; with another job running it stays
 * paused/watchdog. */
void domain_watchdog_dump(Domain *d);

/* QEMU's DUMP_COMPLETED event: the dump looks at once. */
void domain_dump_event(Domain *d);

/* QEMU ended during a dump: the job fails, the file goes. */
void domain_dump_stopped(Domain *d);

/* The daemon stops. */
void domain_dump_forget(Domain *d);
