/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every child of the daemon (QEMU, the log pump) does between fork
 * and exec, async-signal-safe: nothing of the daemon's leaks into it but
 * the descriptors it is given, and it starts with default signals
 * (the daemon blocks some for sd-event). */

#include <stddef.h>

/* Marks every descriptor from 3 up close-on-exec but keep[] (entries < 0
 * ignored), unblocks every signal and resets their actions. < 0 on
 * failure: the child then exits. */
int child_prepare_exec(const int *keep, size_t n_keep);
