/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Fault injection for the tests that kill the daemon at the moments that
 * matter: with ZVIRTD_FAULT_KILL=<point> in its environment the daemon
 * SIGKILLs itself when it reaches that point, exactly there and without
 * cleaning up, as a crash would. Unset (always, outside tests) it costs
 * one string compare. Points are named "<call>-<moment>" at their site. */

void fault_point(const char *point);

/* The same for failures the host can cause but a test cannot easily
 * provoke (an fsync that fails): with ZVIRTD_FAULT_FAIL=<point> this
 * returns -EIO at that point, else 0. Thread-safe. */
int fault_error(const char *point);

/* And a slow host (a state directory on a slow disk): with
 * ZVIRTD_FAULT_DELAY=<point>:<ms> the calling thread sleeps that long
 * at that point. Thread-safe. */
void fault_delay(const char *point);
