/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The accuracy of the timers whose delay a caller sees (a coalescing
 * window, a poll of progress, a wait for a device): 1 ms. sd-event takes
 * 0 as its default of 250 ms, which it may add to any timer to batch
 * wake-ups; long timeouts (a job's linger, a shutdown's deadline) keep
 * that default. */
#define EVENT_ACCURACY_USEC 1000ULL
