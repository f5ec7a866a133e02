/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Fault injection for the tests that kill the daemon at the moments that
 * matter: with ZVIRTD_FAULT_KILL=<point> in its environment the daemon
 * SIGKILLs itself when it reaches that point, exactly there and without
 * cleaning up, as a crash would. Unset (always, outside tests) it costs
 * one string compare. Points are named "<call>-<moment>" at their site. */

void fault_point(const char *point);
