/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asks polkit whether the sender of a call may do an action, without
 * blocking the loop: the first time a handler asks, the check starts and
 * the handler returns; when the answer is in, the same message is
 * dispatched again and the second ask returns the answer. So a handler
 * must ask before it changes anything. uid 0 needs no polkit round trip;
 * a call without a sender (nobody to ask about) is refused. */

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "objects.h"

/* details: NULL-terminated key, value, key, value, ... (may be NULL).
 * Returns 1: allowed, go on. 0: asked, return 1 from the handler now.
 * < 0: not allowed (error is NotAuthorized) or failed. */
int polkit_check(Objects *o, sd_bus_message *call, const char *action, const char *const *details,
		 bool no_user_interaction, sd_bus_error *error);

/* Frees pending checks (at exit). */
void polkit_queries_free(Objects *o);
