/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* backend ZvError codes ↔ org.zvirt1.Error.* names. */

#include <systemd/sd-bus.h>

#include "util/error.h"

#define ZVIRT_ERROR_PREFIX "org.zvirt1.Error."

/* Registers the error map so sd-bus turns our names into errnos and back. */
int bus_errors_register(void);

/* Sets error from err (HostError with strerror(r) if err is empty) and
 * returns r (negative), for `return bus_error_from_zv(error, &err, r)`. */
int bus_error_from_zv(sd_bus_error *error, const ZvError *err, int r);

/* sd_bus_error_setf with an org.zvirt1.Error.* code; returns negative errno. */
int bus_error_setf(sd_bus_error *error, ZvErrorCode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Replies to a message that was kept for later, on failure. */
int bus_reply_zv_error(sd_bus_message *m, const ZvError *err, int r);
/* Cancelled, "zvirtd is stopping": the answer of a call kept for later
 * that the daemon leaves unfinished as it exits. */
int bus_reply_cancelled_stopping(sd_bus_message *m);

/* The answer of a call kept for later that returns nothing: an empty
 * reply, or err when r < 0. m is not unreferenced. */
void bus_reply_result(sd_bus_message *m, int r, const ZvError *err);

/* A backend call that was given a reference to m has begun (r >= 0: its
 * callback answers m later; 1 for sd-bus) or could not (the reference
 * is dropped and err is the answer). */
int bus_call_begun(sd_bus_message *m, int r, const ZvError *err, sd_bus_error *error);
