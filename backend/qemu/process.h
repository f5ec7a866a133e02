/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU processes: spawned in their own session so they outlive the
 * daemon, watched through a pidfd so the same code serves a child and a
 * process the daemon reattached to after a restart (not its child).
 * Without pidfds (kernels before 5.3, valgrind) a child is watched through
 * SIGCHLD and a reattached process by looking at /proc. QEMU runs as the
 * configured unprivileged user (QemuProcessUser). */

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "log-pump.h"

typedef struct QemuProcess QemuProcess;

/* The process ended. Called once from the event loop; the QemuProcess
 * stays valid until qemu_process_free(). */
typedef void (*qemu_process_exit_fn)(QemuProcess *p, void *userdata);

/* Whom the process runs as, and where. */
typedef struct QemuProcessUser {
	bool change; /* false: as the daemon itself (a daemon that is not root) */
	uid_t uid;
	gid_t gid;
	const gid_t *groups; /* supplementary; /dev/kvm's group is added */
	size_t n_groups;
	/* A cgroup's cgroup.procs, open for writing, which the child joins
	 * (as root, before anything else runs in it); only numbers above 2
	 * count (0, the default: none). Joining costs the child, not the
	 * daemon's loop, and the process has one thread then. */
	int cgroup_procs_fd;
} QemuProcessUser;

/* Starts argv[0] with argv in a new session. stdin is /dev/null, stdout
 * and stderr append to log_path. keep_fd (>= 0) is inherited under the
 * same number; every other descriptor is closed. With user.change, the
 * child takes on user's groups, gid and uid before exec, checks that it
 * cannot become root again and that no capability is left, and sets
 * no_new_privs; a step that fails ends it (status 126) with a line in
 * log_path that says which. -EINVAL for a user.uid or gid of -1. */
int qemu_process_spawn(sd_event *event, char **argv, const char *log_path, int keep_fd, QemuProcessUser user,
		       qemu_process_exit_fn cb, void *userdata, QemuProcess **ret);

/* The same, with stdout and stderr on out_fd (a log pump's pipe) and
 * every descriptor of keep_fds inherited. pump (may be NULL) is taken,
 * also on failure: the exit callback then waits until the pump has
 * written all QEMU wrote (at most a couple of seconds), so that whoever
 * is told reads QEMU's last words in its log. */
int qemu_process_spawn_piped(sd_event *event, char **argv, int out_fd, const int *keep_fds,
			     size_t n_keep_fds, QemuLogPump *pump, QemuProcessUser user,
			     qemu_process_exit_fn cb, void *userdata, QemuProcess **ret);

/* Watches an existing QEMU: -ESRCH when it is gone, -ESTALE when pid now
 * belongs to a process whose command line does not carry `-uuid uuid`
 * (the pid was reused). */
int qemu_process_attach(sd_event *event, pid_t pid, const char *uuid, qemu_process_exit_fn cb,
			void *userdata, QemuProcess **ret);

pid_t qemu_process_pid(const QemuProcess *p);
bool qemu_process_exited(const QemuProcess *p);

/* Sends sig through the pidfd (no race with pid reuse). */
int qemu_process_kill(QemuProcess *p, int sig);

/* CPU time used so far in nanoseconds (from /proc/<pid>/stat). */
int qemu_process_cpu_time(const QemuProcess *p, unsigned long long *ret_ns);
/* The same for one of its threads (a vCPU's thread id from QMP):
 * /proc/<pid>/task/<tid>/stat. -ENOENT when there is no such thread. */
int qemu_process_thread_cpu_time(const QemuProcess *p, pid_t tid, unsigned long long *ret_ns);

/* Stops watching (QEMU and its pump); does not kill. Returns NULL. */
QemuProcess *qemu_process_free(QemuProcess *p);

/* What the driver writes into QEMU's log before each start, after a
 * "YYYY-MM-DD HH:MM:SS" (UTC) stamp, on a line of its own. */
#define QEMU_LOG_HEADER_TAG ": starting up"
bool qemu_log_is_header(const char *line);

/* The last line of a QEMU log that looks like an error, since the last
 * start's header, for messages ("qemu-system-s390x: -drive ...: Could
 * not open ..."); when the log rotated since that header, log_path.0 is
 * read too. NULL if none. */
char *qemu_log_last_error(const char *log_path);
