/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU processes: spawn one as its unprivileged user, attach to one
 * after a restart, watch, signal them and read their logs (process.h). */
#include "process.h"
#include "child.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/event-accuracy.h"
#include "util/fileio.h"
#include "util/log.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct QemuProcess {
	sd_event *event; /* the daemon's loop, which outlives every process */
	pid_t pid;
	int pidfd;
	bool is_child; /* ours to reap; a reattached one is reaped by PID 1 */
	bool exited;
	char *uuid; /* reattached without a pidfd: what proves the pid is still it */
	sd_event_source *source;
	qemu_process_exit_fn cb;
	void *userdata;
	/* Writes QEMU's output into LogDir; QEMU's end is reported once it
	 * has written the last of it, or after QEMU_LOG_DRAIN_USEC. */
	QemuLogPump *pump;
	sd_event_source *drain_timer;
};

/* A pump ends within milliseconds of its last writer; longer means a
 * stuck file system or a descendant of QEMU holding the pipe. */
#define QEMU_LOG_DRAIN_USEC (2ULL * 1000 * 1000)

static int pidfd_open_compat(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_send_signal_compat(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static void report_exit(QemuProcess *p)
{
	p->drain_timer = sd_event_source_disable_unref(p->drain_timer);
	if (p->pump)
		qemu_log_pump_on_exit(p->pump, NULL, NULL);
	if (p->cb)
		p->cb(p, p->userdata);
}

static void on_pump_drained(QemuLogPump *pump, void *userdata)
{
	report_exit(userdata);
}

static int on_drain_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	QemuProcess *p = userdata;
	log_warning(
		"The log pump %d of QEMU %d is still running %llu s after QEMU ended; not waiting for it",
		(int)qemu_log_pump_pid(p->pump), (int)p->pid,
		(unsigned long long)(QEMU_LOG_DRAIN_USEC / 1000000));
	report_exit(p);
	return 0;
}

/* QEMU is gone. Whoever is told reads QEMU's last words from its log,
 * so the pump must have written them first: QEMU's exit and the pump's
 * last write race. */
static void process_ended(QemuProcess *p)
{
	p->exited = true;
	p->source = sd_event_source_disable_unref(p->source);
	if (!p->pump || qemu_log_pump_exited(p->pump))
		return report_exit(p);

	uint64_t now;
	qemu_log_pump_on_exit(p->pump, on_pump_drained, p);
	if (sd_event_now(p->event, CLOCK_MONOTONIC, &now) < 0 ||
	    sd_event_add_time(p->event, &p->drain_timer, CLOCK_MONOTONIC, now + QEMU_LOG_DRAIN_USEC,
			      EVENT_ACCURACY_USEC, on_drain_timeout, p) < 0)
		report_exit(p);
}

static void log_exit(const QemuProcess *p, const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		log_debug("Process %d exited with status %d", (int)p->pid, si->si_status);
	else
		log_info("Process %d was killed by signal %s", (int)p->pid, strsignal(si->si_status));
}

static int on_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	QemuProcess *p = userdata;

	if (p->is_child) {
		siginfo_t si = {};
		/* Reap our own child now; a zombie would keep the pid. */
		if (waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) >= 0 && si.si_pid > 0)
			log_exit(p, &si);
	}
	process_ended(p);
	return 0;
}

static int watch(sd_event *event, QemuProcess *p)
{
	return sd_event_add_io(event, &p->source, p->pidfd, EPOLLIN, on_pidfd, p);
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	QemuProcess *p = userdata;
	log_exit(p, si);
	process_ended(p);
	return 0;
}

/* Without pidfds (kernels before 5.3, valgrind) a child can still be
 * watched through SIGCHLD; sd-event wants that signal blocked. */
static int watch_child(sd_event *event, QemuProcess *p)
{
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
		return -errno;
	return sd_event_add_child(event, &p->source, p->pid, WEXITED, on_child, p);
}

/* In the child, once stderr is the log: "zvirtd: error: <what>: <errno
 * name>", which the daemon shows as QEMU's last word. write() only. */
static void __attribute__((noreturn)) child_fail(const char *what)
{
	const char *name = strerrorname_np(errno);
	const char *parts[] = {"zvirtd: error: ", what, ": ", name ? name : "unknown error", "\n"};
	for (size_t i = 0; i < ELEMENTSOF(parts); i++)
		(void)!write(STDERR_FILENO, parts[i], strlen(parts[i]));
	_exit(126);
}

/* The user's groups, gid and uid, in that order (setgroups and setgid
 * need the privilege setuid gives up); then proof that it stuck. */
static void drop_privileges(const QemuProcessUser *u, const gid_t *groups, size_t n_groups)
{
	if (setgroups(n_groups, groups) < 0)
		child_fail("setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		child_fail("setresgid");
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		child_fail("setresuid");
	if (u->uid == 0)
		return; /* User=root, which the configuration warned about */

	/* Real, effective and saved ids all moved, so the way back is shut. */
	if (setuid(0) == 0 || seteuid(0) == 0) {
		errno = EPERM;
		child_fail("root could be regained after setresuid");
	}
	/* A uid change away from 0 clears the permitted and effective sets
	 * (no SECBIT_KEEP_CAPS here); ambient ones go with them. Check. */
	struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	if (syscall(SYS_capget, &head, data) < 0)
		child_fail("capget");
	for (size_t i = 0; i < ELEMENTSOF(data); i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable) {
			errno = EPERM;
			child_fail("capabilities left after setresuid");
		}
}

/* Runs in the forked child: only async-signal-safe calls. */
static void __attribute__((noreturn))
exec_child(char **argv, int log_fd, const int *keep_fds, size_t n_keep_fds, const QemuProcessUser *user,
	   const gid_t *groups, size_t n_groups)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (setsid() < 0)
		_exit(126);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
	    dup2(log_fd, STDERR_FILENO) < 0)
		_exit(126);

	/* Nothing of the daemon's (bus socket, other guests' QMP) leaks,
	 * and the signals sd-event blocks are not QEMU's. */
	if (child_prepare_exec(keep_fds, n_keep_fds) < 0)
		_exit(126);

	/* "0" is the writer itself; the descriptor is close-on-exec. */
	if (user->cgroup_procs_fd > 2 && write(user->cgroup_procs_fd, "0", 1) != 1)
		child_fail("joining the domain's cgroup");
	if (user->change)
		drop_privileges(user, groups, n_groups);
	/* No setuid binary, no file capability gives anything back. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail("PR_SET_NO_NEW_PRIVS");

	execv(argv[0], argv);
	child_fail("execv");
}

/* The user's supplementary groups, plus the one that owns /dev/kvm where
 * there is one: QEMU needs the device, and udev makes it root:kvm 0660.
 * Built before fork (stat and malloc are not for the child). */
static int process_groups(const QemuProcessUser *u, gid_t **ret, size_t *ret_n)
{
	gid_t *g = malloc((u->n_groups + 1) * sizeof(gid_t));
	if (!g)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < u->n_groups; i++)
		g[n++] = u->groups[i];

	struct stat st;
	if (stat("/dev/kvm", &st) == 0 && S_ISCHR(st.st_mode) && st.st_gid != 0) {
		bool have = st.st_gid == u->gid;
		for (size_t i = 0; i < n; i++)
			have |= g[i] == st.st_gid;
		if (!have)
			g[n++] = st.st_gid;
	}
	*ret = g;
	*ret_n = n;
	return 0;
}

int qemu_process_spawn_piped(sd_event *event, char **argv, int out_fd, const int *keep_fds,
			     size_t n_keep_fds, QemuLogPump *pump_arg, QemuProcessUser user,
			     qemu_process_exit_fn cb, void *userdata, QemuProcess **ret)
{
	_cleanup_(qemu_log_pump_freep) QemuLogPump *pump = pump_arg;
	assert(event && argv && argv[0] && out_fd >= 0 && (keep_fds || n_keep_fds == 0) && ret);

	if (user.change && (user.uid == (uid_t)-1 || user.gid == (gid_t)-1))
		return log_error_errno(EINVAL, "No user to run %s as", argv[0]);
	_cleanup_free_ gid_t *groups = NULL;
	size_t n_groups = 0;
	if (user.change && process_groups(&user, &groups, &n_groups) < 0)
		return -ENOMEM;

	if (access(argv[0], X_OK) < 0)
		return log_error_errno(errno, "Emulator %s is not executable: %m", argv[0]);

	_cleanup_free_ QemuProcess *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pidfd = -1;

	pid_t pid = fork();
	if (pid < 0)
		return log_error_errno(errno, "fork failed: %m");
	if (pid == 0)
		exec_child(argv, out_fd, keep_fds, n_keep_fds, &user, groups, n_groups);

	p->event = event;
	p->pid = pid;
	p->is_child = true;
	p->cb = cb;
	p->userdata = userdata;
	p->pidfd = pidfd_open_compat(pid);
	int r = p->pidfd >= 0 ? watch(event, p) : errno == ENOSYS ? watch_child(event, p) : -errno;
	if (r < 0) {
		kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		if (p->pidfd >= 0)
			close(p->pidfd);
		return log_error_errno(r, "Cannot watch pid %d: %m", (int)pid);
	}
	if (user.change)
		log_debug("Spawned %s as pid %d, uid %u gid %u", argv[0], (int)pid, (unsigned)user.uid,
			  (unsigned)user.gid);
	else
		log_debug("Spawned %s as pid %d", argv[0], (int)pid);
	p->pump = TAKE_PTR(pump);
	*ret = TAKE_PTR(p);
	return 0;
}

int qemu_process_spawn(sd_event *event, char **argv, const char *log_path, int keep_fd, QemuProcessUser user,
		       qemu_process_exit_fn cb, void *userdata, QemuProcess **ret)
{
	_cleanup_close_ int log_fd =
		open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (log_fd < 0)
		return log_error_errno(errno, "Cannot open QEMU log %s: %m", log_path);
	return qemu_process_spawn_piped(event, argv, log_fd, &keep_fd, keep_fd >= 0 ? 1 : 0, NULL, user, cb,
					userdata, ret);
}

/* Whether /proc/<pid>/cmdline has the two arguments "-uuid" "<uuid>". */
static int cmdline_has_uuid(pid_t pid, const char *uuid)
{
	char path[64];
	_cleanup_free_ char *buf = NULL;
	size_t size;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	/* procfs reports size 0: read_file_full would refuse it, read by hand. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	size_t cap = 64 * 1024;
	buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	ssize_t n = read(fd, buf, cap);
	if (n < 0)
		return -errno;
	size = (size_t)n;
	buf[size] = 0;

	for (size_t i = 0; i < size;) {
		const char *arg = buf + i;
		size_t len = strnlen(arg, size - i);
		if (strcmp(arg, "-uuid") == 0 && i + len + 1 < size)
			return strcasecmp(arg + len + 1, uuid) == 0;
		i += len + 1;
	}
	return 0;
}

/* A reattached process without a pidfd (kernels before 5.3, valgrind) is
 * not our child, so no SIGCHLD either: look at it every ATTACH_POLL_USEC.
 * Its command line carries its UUID, so a reused pid is not mistaken for
 * it; a zombie's command line is empty. */
#define ATTACH_POLL_USEC (100 * 1000)

static int on_attach_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	QemuProcess *p = userdata;
	if (cmdline_has_uuid(p->pid, p->uuid) == 1) {
		(void)sd_event_source_set_time(s, usec + ATTACH_POLL_USEC);
		return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	}
	log_debug("Process %d is gone", (int)p->pid);
	process_ended(p);
	return 0;
}

static int watch_attached_by_polling(sd_event *event, QemuProcess *p, const char *uuid)
{
	uint64_t now;
	p->uuid = strdup(uuid);
	if (!p->uuid)
		return -ENOMEM;
	int r = sd_event_now(event, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	return sd_event_add_time(event, &p->source, CLOCK_MONOTONIC, now + ATTACH_POLL_USEC,
				 EVENT_ACCURACY_USEC, on_attach_poll, p);
}

int qemu_process_attach(sd_event *event, pid_t pid, const char *uuid, qemu_process_exit_fn cb,
			void *userdata, QemuProcess **ret)
{
	_cleanup_free_ QemuProcess *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;

	_cleanup_close_ int pidfd = pidfd_open_compat(pid);
	if (pidfd < 0 && errno != ENOSYS)
		return -errno;

	/* Checked after pidfd_open: from here the pid cannot be reused. */
	int r = cmdline_has_uuid(pid, uuid);
	if (r < 0)
		return r;
	if (r == 0)
		return -ESTALE;

	p->event = event;
	p->pid = pid;
	p->pidfd = TAKE_FD(pidfd);
	p->cb = cb;
	p->userdata = userdata;
	r = p->pidfd >= 0 ? watch(event, p) : watch_attached_by_polling(event, p, uuid);
	if (r < 0) {
		if (p->pidfd >= 0)
			close(p->pidfd);
		free(p->uuid);
		return r;
	}
	*ret = TAKE_PTR(p);
	return 0;
}

pid_t qemu_process_pid(const QemuProcess *p)
{
	return p->pid;
}

bool qemu_process_exited(const QemuProcess *p)
{
	return p->exited;
}

int qemu_process_kill(QemuProcess *p, int sig)
{
	if (p->exited)
		return -ESRCH;
	if (p->pidfd < 0) {
		/* Our unreaped child: its pid is safe. A reattached one: safe
		 * enough once its command line says it is still ours. */
		if (!p->is_child && cmdline_has_uuid(p->pid, p->uuid) != 1)
			return -ESRCH;
		return kill(p->pid, sig) < 0 ? -errno : 0;
	}
	if (pidfd_send_signal_compat(p->pidfd, sig) < 0)
		return -errno;
	return 0;
}

/* utime + stime of a /proc/.../stat file, in nanoseconds. */
static int read_stat_cpu_time(const char *path, unsigned long long *ret_ns)
{
	char buf[1024];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;

	/* comm may contain spaces and parentheses: fields start after the last ')'. */
	char *s = strrchr(buf, ')');
	if (!s)
		return -EIO;
	unsigned long long utime, stime;
	if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
		return -EIO;
	long hz = sysconf(_SC_CLK_TCK);
	*ret_ns = (utime + stime) * (1000000000ULL / (unsigned long long)(hz > 0 ? hz : 100));
	return 0;
}

int qemu_process_cpu_time(const QemuProcess *p, unsigned long long *ret_ns)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid);
	return read_stat_cpu_time(path, ret_ns);
}

int qemu_process_thread_cpu_time(const QemuProcess *p, pid_t tid, unsigned long long *ret_ns)
{
	char path[96];
	if (tid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)p->pid, (int)tid);
	return read_stat_cpu_time(path, ret_ns);
}

QemuProcess *qemu_process_free(QemuProcess *p)
{
	if (!p)
		return NULL;
	sd_event_source_disable_unref(p->source);
	sd_event_source_disable_unref(p->drain_timer);
	/* Its pump too: it ends when QEMU does. */
	qemu_log_pump_free(p->pump);
	/* A QEMU still running is left alone: guests outlive the daemon. */
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p->uuid);
	free(p);
	return NULL;
}

bool qemu_log_is_header(const char *line)
{
	/* "YYYY-MM-DD HH:MM:SS: starting up", as the driver writes it. */
	size_t n = strlen(line), tag = strlen(QEMU_LOG_HEADER_TAG);
	return n == 19 + tag && line[4] == '-' && line[7] == '-' && line[10] == ' ' && line[13] == ':' &&
	       strcmp(line + 19, QEMU_LOG_HEADER_TAG) == 0;
}

/* The last error-looking line of f after its last header, into *last
 * (kept when f has none); whether f has a header. */
static bool scan_log(FILE *f, char **last)
{
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	bool header = false, command_line = false;

	/* getline: a command line of any length is one line to skip. */
	while (getline(&line, &size, f) >= 0) {
		line[strcspn(line, "\n")] = 0;
		if (qemu_log_is_header(line)) {
			header = command_line = true;
			*last = (free(*last), NULL);
			continue;
		}
		/* The header's second line names the emulator: not an error. */
		if (command_line) {
			command_line = false;
			continue;
		}
		/* QEMU prefixes its errors with its own name. */
		if (strstr(line, "qemu-system-") || strstr(line, "error") || strstr(line, "Error")) {
			char *copy = strndup(line, 1023);
			if (copy) {
				free(*last);
				*last = copy;
			}
		}
	}
	return header;
}

char *qemu_log_last_error(const char *log_path)
{
	_cleanup_free_ char *last = NULL, *older = NULL, *previous = NULL;
	_cleanup_fclose_ FILE *f = fopen(log_path, "re");
	if (!f)
		return NULL;
	if (scan_log(f, &last))
		return TAKE_PTR(last);

	/* No header: the log rotated since this run started; its earlier
	 * lines are in the newest backup (all of them are this run's when
	 * that has no header either). */
	if (asprintf(&previous, "%s.0", log_path) < 0)
		return TAKE_PTR(last);
	_cleanup_fclose_ FILE *g = fopen(previous, "re");
	if (g)
		(void)scan_log(g, &older);
	return last ? TAKE_PTR(last) : TAKE_PTR(older);
}
