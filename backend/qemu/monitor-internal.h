/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* For the monitor's own files (monitor-*.c): a command with arguments
 * (and a descriptor) whose raw result they decode themselves, so that
 * each group of commands has its file and JSON stays on this floor. */

#include <json-c/json.h>

#include "monitor.h"

/* result is borrowed for the call; r and error as qemu_monitor_done_fn. */
typedef void (*monitor_result_fn)(QemuMonitor *mon, int r, json_object *result, const char *error,
				  void *ctx);

/* args (may be NULL) is consumed in every case; pass_fd >= 0 goes with
 * the command (SCM_RIGHTS) and stays the caller's. cb gets ctx, or,
 * when the monitor is freed before the reply, free_ctx (may be NULL)
 * does; on failure to send, neither runs. */
int monitor_send(QemuMonitor *mon, const char *command, json_object *args, int pass_fd, monitor_result_fn cb,
		 void *ctx, void (*free_ctx)(void *ctx));

/* A command whose reply only says done or failed: cb as the typed
 * calls of monitor.h take it. */
int monitor_send_done(QemuMonitor *mon, const char *command, json_object *args, int pass_fd,
		      qemu_monitor_done_fn cb);

/* An integer member of o, 0 when absent or not an integer. */
uint64_t monitor_json_u64(json_object *o, const char *key);

/* What the monitor's callbacks get as userdata. */
void *monitor_userdata(const QemuMonitor *mon);
