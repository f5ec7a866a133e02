/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asks polkit whether the sender of a call may do an action, without
 * blocking the loop: the first time a handler asks, the check starts and
 * the handler returns; when the answer is in, the same message is
 * dispatched again and the second ask returns the answer. So a handler
 * must ask before it changes anything. uid 0 needs no polkit round trip;
 * a call without a sender (nobody to ask about) is refused.
 *
 * Each check holds a reply the bus counts against the daemon (dbus-daemon
 * allows a connection max_replies_per_connection, 128 by default), so the
 * checks in flight are bounded, per caller and in all; a caller's further
 * calls wait in its own queue, callers take turns for a free check, and a
 * call past a full queue is refused as Busy at once. A caller that leaves
 * loses its waiting calls. */

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "objects.h"

/* The bounds (docs/dbus-api.md, "Authorization"): checks in flight for
 * one caller (unique bus name) and for all, well below the bus's 128;
 * calls of one caller that may wait for a check. */
#define POLKIT_SENDER_IN_FLIGHT_MAX 16
#define POLKIT_IN_FLIGHT_MAX        64
#define POLKIT_SENDER_WAITING_MAX   256

/* details: NULL-terminated key, value, key, value, ... (may be NULL).
 * Returns 1: allowed, go on. 0: asked, return 1 from the handler now.
 * < 0: not allowed (error is NotAuthorized) or failed. */
int polkit_check(Objects *o, sd_bus_message *call, const char *action, const char *const *details,
		 bool no_user_interaction, sd_bus_error *error);

/* At exit: answers the calls still being authorized ("zvirtd is
 * stopping") and frees every check. */
void polkit_queries_free(Objects *o);
