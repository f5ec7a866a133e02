/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The log pump of a QEMU (service/zvirtd-log-pump.c): started before
 * QEMU with one pipe per stream, it copies what QEMU writes into rotated
 * files and ends once QEMU has closed every pipe. It runs in its own
 * session and is not killed with the daemon, so a restarted daemon finds
 * QEMU's logs still being written; this object only watches it (and
 * reaps it, as the daemon's child). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#define QEMU_LOG_PUMP_MAX_STREAMS 8

typedef struct QemuLogStream {
	const char *path;
	uint64_t max_size; /* rotated to path.0 before it would pass this */
	bool fresh;        /* a path that is not empty becomes path.0 first */
} QemuLogStream;

typedef struct QemuLogPump QemuLogPump;

/* The pump ended: everything QEMU wrote is in the files. */
typedef void (*qemu_log_pump_exit_fn)(QemuLogPump *p, void *userdata);

/* Starts binary reading one new pipe per stream; ret_fds[i] gets the
 * write end of stream i (O_CLOEXEC), for QEMU. The caller closes them
 * once QEMU has its copies: the pump ends when no writer is left. The
 * pump keeps max_backups old files per stream, runs with no_new_privs and
 * nothing but its pipes and stdio (stdin and stdout /dev/null, stderr
 * the daemon's, for its own complaints). */
int qemu_log_pump_start(sd_event *event, const char *binary, const QemuLogStream *streams, size_t n_streams,
			unsigned max_backups, int *ret_fds, QemuLogPump **ret);

pid_t qemu_log_pump_pid(const QemuLogPump *p);
bool qemu_log_pump_exited(const QemuLogPump *p);

/* Called once, from the loop, when the pump has ended; NULL for none. */
void qemu_log_pump_on_exit(QemuLogPump *p, qemu_log_pump_exit_fn cb, void *userdata);

/* Stops watching. A pump still running goes on (it ends with QEMU); the
 * loop still reaps it. Returns NULL. */
QemuLogPump *qemu_log_pump_free(QemuLogPump *p);

static inline void qemu_log_pump_freep(QemuLogPump **p)
{
	if (*p)
		qemu_log_pump_free(*p);
}
