/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting and watching the log pump of a QEMU (log-pump.h). */
#include "log-pump.h"
#include "child.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct QemuLogPump {
	pid_t pid;
	bool exited;
	sd_event_source *source;
	qemu_log_pump_exit_fn cb;
	void *userdata;
};

static int on_pump_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	QemuLogPump *p = userdata;

	if (si->si_code != CLD_EXITED || si->si_status != 0)
		log_warning("Log pump %d ended with %s %d", (int)si->si_pid,
			    si->si_code == CLD_EXITED ? "status" : "signal", si->si_status);
	if (!p) {
		/* Let go by qemu_log_pump_free(): reaped, nobody to tell. */
		(void)sd_event_source_set_floating(s, false);
		return 0;
	}
	p->exited = true;
	if (p->cb)
		p->cb(p, p->userdata);
	return 0;
}

/* Runs in the forked child: only async-signal-safe calls. */
static void __attribute__((noreturn))
exec_pump(const char *binary, char **argv, const int *read_fds, size_t n)
{
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* Its own session: the daemon's process group and terminal may go. */
	if (setsid() < 0 || null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(null_fd, STDOUT_FILENO) < 0)
		_exit(126);
	if (child_prepare_exec(read_fds, n) < 0)
		_exit(126);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(126);
	execv(binary, argv);
	_exit(127);
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

int qemu_log_pump_start(sd_event *event, const char *binary, const QemuLogStream *streams, size_t n_streams,
			unsigned max_backups, int *ret_fds, QemuLogPump **ret)
{
	assert(event && binary && streams && ret_fds && ret);
	assert(n_streams > 0 && n_streams <= QEMU_LOG_PUMP_MAX_STREAMS);

	int read_fds[QEMU_LOG_PUMP_MAX_STREAMS], write_fds[QEMU_LOG_PUMP_MAX_STREAMS];
	_cleanup_strv_free_ char **argv = calloc(n_streams + 3, sizeof(char *));
	int r = 0;

	if (!argv)
		return -ENOMEM;
	if (access(binary, X_OK) < 0)
		return log_error_errno(errno, "The log pump %s is not executable: %m", binary);

	for (size_t i = 0; i < n_streams; i++)
		read_fds[i] = write_fds[i] = -1;
	for (size_t i = 0; i < n_streams && r >= 0; i++) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) < 0) {
			r = log_error_errno(errno, "Cannot create a pipe for %s: %m", streams[i].path);
			break;
		}
		read_fds[i] = fds[0];
		write_fds[i] = fds[1];
	}
	/* Built before fork: the child may not allocate. */
	if (r >= 0 &&
	    (!(argv[0] = strdup(binary)) || asprintf(&argv[1], "--max-backups=%u", max_backups) < 0))
		r = -ENOMEM;
	for (size_t i = 0; i < n_streams && r >= 0; i++)
		if (asprintf(&argv[i + 2], "%d:%" PRIu64 ":%s:%s", read_fds[i], streams[i].max_size,
			     streams[i].fresh ? "fresh" : "append", streams[i].path) < 0) {
			argv[i + 2] = NULL;
			r = -ENOMEM;
		}

	_cleanup_free_ QemuLogPump *p = r >= 0 ? calloc(1, sizeof(*p)) : NULL;
	if (r >= 0 && !p)
		r = -ENOMEM;
	if (r < 0) {
		close_all(read_fds, n_streams);
		close_all(write_fds, n_streams);
		return r;
	}

	/* sd-event watches children through a pidfd, or SIGCHLD where there
	 * is none (valgrind), and wants the signal blocked either way. */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
		r = -errno;

	pid_t pid = r >= 0 ? fork() : -1;
	if (pid == 0)
		exec_pump(binary, argv, read_fds, n_streams);
	close_all(read_fds, n_streams);
	if (pid < 0) {
		close_all(write_fds, n_streams);
		return log_error_errno(r < 0 ? -r : errno, "Cannot start the log pump: %m");
	}

	p->pid = pid;
	r = sd_event_add_child(event, &p->source, pid, WEXITED, on_pump_exit, p);
	if (r < 0) {
		close_all(write_fds, n_streams);
		/* Without writers it ends at once; reap it here, it is quick. */
		(void)waitpid(pid, NULL, 0);
		return log_error_errno(r, "Cannot watch the log pump %d: %m", (int)pid);
	}
	log_debug("Started log pump %d for %s%s", (int)pid, streams[0].path,
		  n_streams > 1 ? " and more" : "");
	memcpy(ret_fds, write_fds, n_streams * sizeof(int));
	*ret = TAKE_PTR(p);
	return 0;
}

pid_t qemu_log_pump_pid(const QemuLogPump *p)
{
	return p->pid;
}

bool qemu_log_pump_exited(const QemuLogPump *p)
{
	return p->exited;
}

void qemu_log_pump_on_exit(QemuLogPump *p, qemu_log_pump_exit_fn cb, void *userdata)
{
	p->cb = cb;
	p->userdata = userdata;
}

QemuLogPump *qemu_log_pump_free(QemuLogPump *p)
{
	if (!p)
		return NULL;
	if (p->source && !p->exited) {
		/* The loop keeps the source and reaps the pump when it ends;
		 * at daemon exit the source goes and the pump runs on. */
		(void)sd_event_source_set_userdata(p->source, NULL);
		if (sd_event_source_set_floating(p->source, true) >= 0)
			p->source = sd_event_source_unref(p->source);
	}
	sd_event_source_disable_unref(p->source);
	free(p);
	return NULL;
}
