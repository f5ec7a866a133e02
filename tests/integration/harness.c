/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The integration test harness; see harness.h for what it offers.
 *
 * Layout of the temporary directory (TMP = $TMPDIR/zvirt-it-<pid>-XXXXXX,
 * the pid lets a later run recognise and clean up after a killed one):
 *   bus.conf, system_bus_socket, dbus-daemon.log     the private system bus
 *   polkit/{actions,rules.d,empty}, polkitd.log      what polkitd sees
 *   zvirtd.conf, zvirtd.log, zvirtd.stderr           the daemon
 *   state/ run/ log/                                 its StateDir, RunDir, LogDir
 *   ovs/                                             harness_ovs_start()'s database, sockets, logs
 *   peer/                                            harness_peer_start()'s host: the same layout again
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <net/if.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "harness-internal.h"

#define DBUS_DAEMON_BINARY "dbus-daemon"
#define POLKITD_BINARY     "/usr/lib/polkit-1/polkitd"
#define POLKIT_BUS_NAME    "org.freedesktop.PolicyKit1"
#define QEMU_BINARY        "/usr/bin/qemu-system-s390x"
/* Whom the daemon runs QEMU as (tools/install-deps.sh creates it). */
#define QEMU_USER  "zvirt-qemu"
#define TMP_PREFIX "zvirt-it-"

#define POLL_MS           5
#define START_TIMEOUT_MS  30000 /* valgrind (ZVIRTD_WRAPPER) is slow to start */
#define STOP_TIMEOUT_MS   30000
#define NOBODY_TIMEOUT_MS 60000
#define LOG_TAIL_LINES    80

/* One harness per test program. */
static struct Harness {
	unsigned flags;
	char *tmp;
	char *src_root;
	HarnessHost host; /* the primary: TMP's bus, polkitd and zvirtd */
	char *guest_dir;
	bool handlers_installed;
	struct sigaction old_actions[3];
} H = {
	.host = {.what = "zvirtd", .daemon_status = -1},
};

static const int fatal_signals[] = {SIGTERM, SIGINT, SIGHUP};

/* ---- small helpers ---- */

static bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int64_t harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ms_left(int64_t deadline)
{
	int64_t left = deadline - harness_now_ms();

	return left < 0 ? 0 : (int)left;
}

void harness_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The harness is test code: running out of memory is not a case to handle. */
__attribute__((format(printf, 1, 2))) static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static char *xstrdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		abort();
	return d;
}

static int write_data(const char *path, const char *data, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_file(const char *path, const char *content, mode_t mode)
{
	return write_data(path, content, strlen(content), mode);
}

/* Whole file, NUL-terminated (it may contain NULs; *ret_len tells). */
static int read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (size - len < 4096) {
			size = size ? size * 2 : 8192;
			char *b = realloc(buf, size);
			if (!b)
				abort();
			buf = b;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf) {
		buf = calloc(1, 1);
		if (!buf)
			abort();
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	r = read_file(src, &data, &len);
	if (r < 0)
		return r;
	return write_data(dst, data, len, mode);
}

static int rm_rf_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

/* Depth first, never following symlinks or crossing into other mounts. */
static void rm_rf(const char *path)
{
	(void)nftw(path, rm_rf_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static const char *tmp_base(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t == '/' ? t : "/tmp";
}

/* ---- processes ---- */

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

bool harness_pid_alive(pid_t pid)
{
	char path[64];
	_cleanup_free_ char *stat = NULL;
	const char *p;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, &stat, NULL) < 0)
		return false;
	/* "pid (comm) S ...": comm may hold anything, the state follows the last ')'. */
	p = strrchr(stat, ')');
	if (!p || p[1] != ' ' || !p[2])
		return false;
	return p[2] != 'Z' && p[2] != 'X';
}

/* A pidfd turns readable when the process exits, whoever its parent is:
 * that covers QEMU, which is not our child, and whose zombie init may take
 * seconds to reap on this kind of machine. */
int harness_wait_pid_gone(pid_t pid, int timeout_ms)
{
	_cleanup_close_ int fd = pidfd_open_(pid);
	int64_t deadline = harness_now_ms() + timeout_ms;
	struct pollfd p;

	if (fd < 0) {
		if (errno == ESRCH)
			return 0;
		/* Without pidfd (old kernel), poll /proc. */
		while (harness_pid_alive(pid)) {
			if (harness_now_ms() >= deadline)
				return -ETIMEDOUT;
			harness_sleep_ms(POLL_MS);
		}
		return 0;
	}
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	for (;;) {
		int r = poll(&p, 1, ms_left(deadline));
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int harness_free_port(uint16_t *ret)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	*ret = ntohs(sa.sin_port);
	return 0;
}

/* Reap our child `*pid` if it has exited; then *pid becomes 0. */
static bool child_exited(pid_t *pid, int *ret_status)
{
	int status;
	pid_t r;

	if (*pid <= 0)
		return true;
	r = waitpid(*pid, &status, WNOHANG);
	if (r == *pid || (r < 0 && errno == ECHILD)) {
		if (ret_status)
			*ret_status = r == *pid ? status : -1;
		*pid = 0;
		return true;
	}
	return false;
}

static int wait_child(pid_t *pid, int timeout_ms, int *ret_status)
{
	int r = harness_wait_pid_gone(*pid, timeout_ms);

	if (r < 0)
		return r;
	for (int64_t deadline = harness_now_ms() + 1000; !child_exited(pid, ret_status);) {
		if (harness_now_ms() >= deadline)
			return -ETIMEDOUT;
		harness_sleep_ms(1);
	}
	return 0;
}

int harness_stop_child(pid_t *pid, int sig, int timeout_ms, const char *what, int *ret_status)
{
	int r;

	if (*pid <= 0)
		return 0;
	(void)kill(*pid, sig);
	r = wait_child(pid, timeout_ms, ret_status);
	if (r == -ETIMEDOUT) {
		fprintf(stderr, "harness: %s (pid %d) still runs %d ms after signal %d, killing it\n", what,
			(int)*pid, timeout_ms, sig);
		(void)kill(*pid, SIGKILL);
		(void)wait_child(pid, 5000, ret_status);
		*pid = 0;
	}
	return r;
}

static void describe_status(int status, char *buf, size_t size)
{
	if (status < 0)
		snprintf(buf, size, "unknown status");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exit code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "status 0x%x", (unsigned)status);
}

/*
 * Kill the qemu-system-* processes one of whose arguments contains
 * `needle`. Guests run in their own session and outlive the daemon on
 * purpose, so the harness must end them itself. With `stale_only`, only
 * those whose harness (the pid that follows the needle, "zvirt-it-<pid>-")
 * no longer runs: leftovers of a run that was killed. Waits up to
 * wait_ms for them to end. Returns how many were killed.
 */
static int kill_guests(const char *needle, bool stale_only, int wait_ms)
{
	pid_t killed[256];
	size_t n = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[64], buf[32768];
		const char *base;
		ssize_t len = 0;
		bool match = false;
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int fd;

		if (*end || pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		while ((size_t)len < sizeof(buf) - 1) {
			ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - (size_t)len);
			if (k <= 0)
				break;
			len += k;
		}
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		base = strrchr(buf, '/');
		base = base ? base + 1 : buf;
		if (strncmp(base, "qemu-system-", strlen("qemu-system-")) != 0)
			continue;
		for (const char *a = buf; a < buf + len; a += strlen(a) + 1) {
			const char *hit = strstr(a, needle);
			if (!hit)
				continue;
			if (stale_only) {
				long owner = strtol(hit + strlen(needle), NULL, 10);
				if (owner <= 0 || harness_pid_alive((pid_t)owner))
					continue;
			}
			match = true;
			break;
		}
		if (!match)
			continue;
		if (kill((pid_t)pid, SIGKILL) == 0 && n < ELEMENTSOF(killed))
			killed[n++] = (pid_t)pid;
	}
	closedir(d);
	for (size_t i = 0; wait_ms > 0 && i < n; i++)
		(void)harness_wait_pid_gone(killed[i], wait_ms);
	return (int)n;
}

int harness_kill_guests(const char *needle, int wait_ms)
{
	return kill_guests(needle, false, wait_ms);
}

/* Guests and temporary directories left by runs that were killed. */
static void cleanup_stale(void)
{
	_cleanup_free_ char *needle = xasprintf("/%s", TMP_PREFIX);
	const char *base = tmp_base();
	DIR *d;
	struct dirent *de;
	int n;

	n = kill_guests(needle, true, 5000);
	if (n > 0)
		fprintf(stderr, "harness: killed %d QEMU process(es) left by an earlier run\n", n);

	d = opendir(base);
	if (!d)
		return;
	while ((de = readdir(d))) {
		long owner;

		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
			continue;
		owner = strtol(de->d_name + strlen(TMP_PREFIX), NULL, 10);
		/* A killed harness may linger as a zombie: that counts as gone. */
		if (owner <= 0 || harness_pid_alive((pid_t)owner))
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", base, de->d_name);
		rm_rf(p);
	}
	closedir(d);
}

static void reset_signals_in_child(void)
{
	sigset_t all;

	for (size_t i = 0; i < ELEMENTSOF(fatal_signals); i++)
		signal(fatal_signals[i], SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/*
 * polkitd reads actions and rules only from fixed directories and has no
 * option to change them. Give it ours in a mount namespace of its own, so
 * the host's directories are never touched and the host's rules do not
 * leak into the tests. Runs in the forked child, as root, before exec.
 */
static int enter_polkit_namespace(void)
{
	static const struct {
		const char *source;
		const char *target;
		bool needed;
	} binds[] = {
		{"polkit/actions", "/usr/share/polkit-1/actions", true},
		{"polkit/rules.d", "/etc/polkit-1/rules.d", true},
		{"polkit/empty", "/usr/share/polkit-1/rules.d", false},
	};

	if (unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr, "harness: unshare(CLONE_NEWNS): %m\n");
		return -errno;
	}
	/* Without this the binds would propagate back to the host's mounts. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "harness: making / private: %m\n");
		return -errno;
	}
	for (size_t i = 0; i < ELEMENTSOF(binds); i++) {
		char source[PATH_MAX];

		snprintf(source, sizeof(source), "%s/%s", H.tmp, binds[i].source);
		if (mount(source, binds[i].target, NULL, MS_BIND, NULL) < 0) {
			if (errno == ENOENT && !binds[i].needed)
				continue;
			fprintf(stderr, "harness: bind %s over %s: %m\n", source, binds[i].target);
			return -errno;
		}
	}
	return 0;
}

int harness_spawn(char *const argv[], const SpawnOptions *o, pid_t *ret_pid)
{
	_cleanup_close_ int log_fd = -1;
	pid_t parent = getpid(), pid;

	log_fd = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log_fd < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null_fd;

		reset_signals_in_child();
		/* Die with the harness even if it is SIGKILLed: nothing may outlive a test run. */
		if (o->death_signal > 0 && prctl(PR_SET_PDEATHSIG, o->death_signal) < 0)
			_exit(127);
		if (getppid() != parent)
			_exit(127);
		null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
		    dup2(log_fd, STDERR_FILENO) < 0)
			_exit(127);
		if (o->keep_fd >= 0 && fcntl(o->keep_fd, F_SETFD, 0) < 0)
			_exit(127);
		if (o->polkit_namespace && enter_polkit_namespace() < 0)
			_exit(127);
		if (o->bus_address && setenv("DBUS_SYSTEM_BUS_ADDRESS", o->bus_address, 1) < 0)
			_exit(127);
		if (o->mount_src &&
		    (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		     mount(o->mount_src, o->mount_dst, NULL, MS_BIND, NULL) < 0)) {
			fprintf(stderr, "harness: bind-mounting %s over %s: %m\n", o->mount_src,
				o->mount_dst);
			_exit(127);
		}
		for (char *const *e = o->env; e && *e; e++)
			if (putenv(*e) < 0)
				_exit(127);
		if (o->as_nobody && (setgroups(0, NULL) < 0 || setgid(HARNESS_NOBODY_UID) < 0 ||
				     setuid(HARNESS_NOBODY_UID) < 0)) {
			fprintf(stderr, "harness: becoming uid %d: %m\n", HARNESS_NOBODY_UID);
			_exit(127);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "harness: exec %s: %m\n", argv[0]);
		_exit(127);
	}
	*ret_pid = pid;
	return 0;
}

/* ---- emergency cleanup ---- */

void host_emergency(HarnessHost *h)
{
	if (h->daemon_pid > 0)
		kill(h->daemon_pid, SIGKILL);
	if (h->polkit_pid > 0)
		kill(h->polkit_pid, SIGKILL);
	if (h->dbus_pid > 0)
		kill(h->dbus_pid, SIGKILL);
}

/*
 * meson sends SIGTERM to the test's process group on a timeout and
 * SIGKILL half a second later. The daemon, the bus and polkitd die with us
 * (PR_SET_PDEATHSIG), but QEMU runs in its own session: kill it here, and
 * remove TMP. Not strictly async-signal-safe (opendir, nftw); the process
 * is going away either way, and a later run cleans what this misses.
 */
static void on_fatal_signal(int sig)
{
	if (H.host.daemon_pid > 0)
		kill(H.host.daemon_pid, SIGKILL);
	harness_peer_emergency();
	harness_sshd_emergency();
	harness_net_emergency();
	harness_sim_emergency();
	if (H.tmp) {
		kill_guests(H.tmp, false, 0);
		if (!getenv("ZVIRT_KEEP_TMP"))
			rm_rf(H.tmp);
	}
	host_emergency(&H.host);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signal_handlers(void)
{
	struct sigaction sa = {.sa_handler = on_fatal_signal};

	if (H.handlers_installed)
		return;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(fatal_signals); i++)
		sigaction(fatal_signals[i], &sa, &H.old_actions[i]);
	/* A guest that went away under a console write must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	H.handlers_installed = true;
}

static void restore_signal_handlers(void)
{
	if (!H.handlers_installed)
		return;
	for (size_t i = 0; i < ELEMENTSOF(fatal_signals); i++)
		sigaction(fatal_signals[i], &H.old_actions[i], NULL);
	H.handlers_installed = false;
}

/* ---- signal recorder ---- */

static void signal_free(HarnessSignal *s)
{
	if (!s)
		return;
	free(s->path);
	free(s->interface);
	free(s->member);
	free(s->arg0);
	free(s->state);
	free(s->reason);
	free(s->name);
	free(s->properties);
	free(s->interfaces);
	free(s);
}

/* Append `item` to a ",a,b," list (so a test can strstr ",State,"). */
static void list_append(char **list, const char *item)
{
	char *n = xasprintf("%s%s,", *list ? *list : ",", item);

	free(*list);
	*list = n;
}

static int read_properties_changed(sd_bus_message *m, HarnessSignal *s)
{
	const char *iface;
	int r;

	r = sd_bus_message_read(m, "s", &iface);
	if (r < 0)
		return r;
	s->arg0 = xstrdup(iface);
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key, *value;

		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return r;
		list_append(&s->properties, key);
		if (streq_ptr(key, "State") || streq_ptr(key, "StateReason")) {
			char **field = streq_ptr(key, "State") ? &s->state : &s->reason;

			r = sd_bus_message_read(m, "v", "s", &value);
			if (r < 0)
				return r;
			free(*field);
			*field = xstrdup(value);
		} else if (streq_ptr(key, "StateSequence")) {
			r = sd_bus_message_read(m, "v", "t", &s->sequence);
			if (r < 0)
				return r;
			s->has_sequence = true;
		} else {
			r = sd_bus_message_skip(m, "v");
			if (r < 0)
				return r;
		}
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_interfaces_added(sd_bus_message *m, HarnessSignal *s)
{
	const char *path, *iface;
	int r;

	r = sd_bus_message_read(m, "o", &path);
	if (r < 0)
		return r;
	s->arg0 = xstrdup(path);
	r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
		r = sd_bus_message_read(m, "s", &iface);
		if (r < 0)
			return r;
		list_append(&s->interfaces, iface);
		r = sd_bus_message_skip(m, "a{sv}");
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_interfaces_removed(sd_bus_message *m, HarnessSignal *s)
{
	_cleanup_strv_free_ char **ifaces = NULL;
	const char *path;
	int r;

	r = sd_bus_message_read(m, "o", &path);
	if (r < 0)
		return r;
	s->arg0 = xstrdup(path);
	r = sd_bus_message_read_strv(m, &ifaces);
	if (r < 0)
		return r;
	for (char **i = ifaces; i && *i; i++)
		list_append(&s->interfaces, *i);
	return 0;
}

static int record_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	HarnessHost *h = userdata;
	HarnessSignal *s = calloc(1, sizeof(*s));
	const char *a = NULL, *b = NULL, *c = NULL;
	int r = 0;

	if (!s)
		abort();
	s->index = h->n_signals;
	s->path = xstrdup(sd_bus_message_get_path(m));
	s->interface = xstrdup(sd_bus_message_get_interface(m));
	s->member = xstrdup(sd_bus_message_get_member(m));

	if (sd_bus_message_is_signal(m, ZVIRT_DOMAIN_IFACE, "StateChanged")) {
		r = sd_bus_message_read(m, "sst", &a, &b, &s->sequence);
		if (r >= 0) {
			s->arg0 = xstrdup(a);
			s->state = xstrdup(a);
			s->reason = xstrdup(b);
			s->has_sequence = true;
		}
	} else if (sd_bus_message_is_signal(m, ZVIRT_MANAGER_IFACE, "DomainStateChanged")) {
		r = sd_bus_message_read(m, "osst", &a, &b, &c, &s->sequence);
		if (r >= 0) {
			s->arg0 = xstrdup(a);
			s->state = xstrdup(b);
			s->reason = xstrdup(c);
			s->has_sequence = true;
		}
	} else if (sd_bus_message_is_signal(m, ZVIRT_MANAGER_IFACE, "DomainDefined") ||
		   sd_bus_message_is_signal(m, ZVIRT_MANAGER_IFACE, "DomainUndefined")) {
		r = sd_bus_message_read(m, "os", &a, &b);
		if (r >= 0) {
			s->arg0 = xstrdup(a);
			s->name = xstrdup(b);
		}
	} else if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Properties", "PropertiesChanged"))
		r = read_properties_changed(m, s);
	else if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded"))
		r = read_interfaces_added(m, s);
	else if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved"))
		r = read_interfaces_removed(m, s);
	else {
		/* Any other signal whose first argument is a path or a string
		 * (DeviceRemovalFailed's device, ...). */
		char type;
		if (sd_bus_message_peek_type(m, &type, NULL) > 0 && (type == 'o' || type == 's') &&
		    (r = sd_bus_message_read_basic(m, type, &a)) >= 0)
			s->arg0 = xstrdup(a);
	}
	if (r < 0)
		fprintf(stderr, "harness: cannot parse signal %s.%s on %s (signature %s): %s\n",
			s->interface, s->member, s->path, sd_bus_message_get_signature(m, true),
			strerror(-r));

	HarnessSignal **n = realloc(h->signals, (h->n_signals + 1) * sizeof(*n));
	if (!n)
		abort();
	h->signals = n;
	h->signals[h->n_signals++] = s;
	return 0; /* let other handlers see it too */
}

static Tracker *tracker_get(HarnessHost *h, const char *path)
{
	Tracker *n;

	for (size_t i = 0; i < h->n_trackers; i++)
		if (streq_ptr(h->trackers[i].path, path))
			return &h->trackers[i];
	n = realloc(h->trackers, (h->n_trackers + 1) * sizeof(*n));
	if (!n)
		abort();
	h->trackers = n;
	h->trackers[h->n_trackers] = (Tracker){.path = xstrdup(path)};
	return &h->trackers[h->n_trackers++];
}

/* After a daemon restart or a (re)definition, sequences may start over and
 * earlier signals tell nothing about the new state. */
static void tracker_reset(Tracker *t, size_t scan_from)
{
	t->has_baseline = false;
	t->consumed = 0;
	t->scan_from = scan_from;
}

/* ---- the bus ---- */

int harness_name_has_owner(sd_bus *bus, const char *name)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int has, r;

	r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
			       "NameHasOwner", &error, &reply, "s", name);
	if (r < 0) {
		fprintf(stderr, "harness: NameHasOwner(%s): %s\n", name, error.message ?: strerror(-r));
		return r;
	}
	r = sd_bus_message_read(reply, "b", &has);
	return r < 0 ? r : !!has;
}

sd_bus *host_bus(HarnessHost *h)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (h->bus)
		return h->bus;
	if (!h->bus_address)
		fail_msg("the bus of %s before it was started", h->what);
	/* Not sd_bus_open_system(): the address is this host's, not
	 * necessarily $DBUS_SYSTEM_BUS_ADDRESS. */
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, h->bus_address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, true);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0)
		fail_msg("cannot connect to the private bus %s: %s", h->bus_address, strerror(-r));
	(void)sd_bus_set_description(bus, "harness");
	/* Recording starts before any domain exists, so no signal is missed. */
	r = sd_bus_add_match(bus, &h->recorder, "type='signal',path_namespace='/org/zvirt1'", record_signal,
			     h);
	if (r < 0)
		fail_msg("cannot add the signal match: %s", strerror(-r));
	h->bus = TAKE_PTR(bus);
	return h->bus;
}

sd_bus *harness_bus(void)
{
	if (!H.host.bus && !getenv("DBUS_SYSTEM_BUS_ADDRESS"))
		fail_msg("harness_bus() before harness_setup()");
	return host_bus(&H.host);
}

/* Poll NameHasOwner until `name` appears; give up early if `pid` exits. */
static int wait_for_name(HarnessHost *h, const char *name, pid_t *pid, int *ret_status, const char *what,
			 int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		int status = -1, r;
		char desc[128];

		r = harness_name_has_owner(host_bus(h), name);
		if (r < 0)
			return r;
		if (r > 0)
			return 0;
		if (child_exited(pid, &status)) {
			if (ret_status)
				*ret_status = status;
			describe_status(status, desc, sizeof(desc));
			fprintf(stderr, "harness: %s ended (%s) before it took the bus name %s\n", what,
				desc, name);
			return -ECHILD;
		}
		if (harness_now_ms() >= deadline) {
			fprintf(stderr, "harness: %s did not take the bus name %s within %d ms\n", what,
				name, timeout_ms);
			return -ETIMEDOUT;
		}
		harness_sleep_ms(POLL_MS);
	}
}

/* After the owner's process is gone: dbus-daemon may not have seen its
 * socket close yet, and a new daemon's start would take the old owner's
 * name for its own. */
static void wait_for_name_gone(HarnessHost *h, const char *name, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	while (harness_name_has_owner(host_bus(h), name) > 0 && harness_now_ms() < deadline)
		harness_sleep_ms(POLL_MS);
}

/* text with every `key` replaced by `value` (malloc'd). */
static char *replace_all(const char *text, const char *key, const char *value)
{
	size_t n = 0, klen = strlen(key), vlen = strlen(value);
	for (const char *p = text; (p = strstr(p, key)); p += klen)
		n++;
	char *out = malloc(strlen(text) + n * vlen + 1), *o = out;
	if (!out)
		abort();
	for (const char *p = text, *q; *p; p = q + klen) {
		q = strstr(p, key);
		if (!q) {
			strcpy(o, p);
			return out;
		}
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, value, vlen);
		o += vlen;
	}
	*o = 0;
	return out;
}

/* tools/private-bus.conf.in, which the demo uses too. */
static int write_bus_config(const char *path, const char *dir)
{
	_cleanup_free_ char *template_path = xasprintf("%s/tools/private-bus.conf.in", H.src_root);
	_cleanup_free_ char *template = NULL, *with_dir = NULL, *conf = NULL;
	size_t len;
	int r = read_file(template_path, &template, &len);
	if (r < 0) {
		fprintf(stderr, "harness: cannot read %s: %s\n", template_path, strerror(-r));
		return r;
	}
	with_dir = replace_all(template, "@BUS_DIR@", dir);
	conf = replace_all(with_dir, "@SOURCE_ROOT@", H.src_root);
	return write_file(path, conf, 0644);
}

int host_start_bus(HarnessHost *h)
{
	_cleanup_free_ char *conf = xasprintf("%s/bus.conf", h->dir);
	_cleanup_free_ char *log = xasprintf("%s/dbus-daemon.log", h->dir);
	_cleanup_free_ char *conf_arg = NULL, *fd_arg = NULL;
	_cleanup_close_ int rfd = -1, wfd = -1;
	int fds[2], r;
	char addr[512];
	size_t len = 0;
	int64_t deadline;

	r = write_bus_config(conf, h->dir);
	if (r < 0)
		return r;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	rfd = fds[0];
	wfd = fds[1];
	conf_arg = xasprintf("--config-file=%s", conf);
	fd_arg = xasprintf("--print-address=%d", wfd);
	char *argv[] = {DBUS_DAEMON_BINARY, conf_arg, "--nofork", fd_arg, NULL};
	SpawnOptions o = {.log_path = log, .keep_fd = wfd, .death_signal = SIGTERM};
	r = harness_spawn(argv, &o, &h->dbus_pid);
	if (r < 0)
		return r;
	closep(&wfd);
	wfd = -1;

	/* dbus-daemon prints its address once it listens. */
	deadline = harness_now_ms() + START_TIMEOUT_MS;
	while (!memchr(addr, '\n', len)) {
		struct pollfd p = {.fd = rfd, .events = POLLIN};
		ssize_t n;

		r = poll(&p, 1, ms_left(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "harness: dbus-daemon printed no address within %d ms\n",
				START_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		n = read(rfd, addr + len, sizeof(addr) - 1 - len);
		if (n <= 0) {
			fprintf(stderr, "harness: dbus-daemon ended before it printed its address\n");
			return -ECHILD;
		}
		len += (size_t)n;
		if (len >= sizeof(addr) - 1)
			return -E2BIG;
	}
	addr[len] = '\0';
	*strchr(addr, '\n') = '\0';
	free(h->bus_address);
	h->bus_address = xstrdup(addr);
	return 0;
}

int host_start_polkitd(HarnessHost *h)
{
	_cleanup_free_ char *log = xasprintf("%s/polkitd.log", h->dir);
	char *argv[] = {POLKITD_BINARY, "--no-debug", NULL};
	SpawnOptions o = {.log_path = log,
			  .keep_fd = -1,
			  .death_signal = SIGTERM,
			  .polkit_namespace = true,
			  .bus_address = h->bus_address};
	int r;

	r = harness_spawn(argv, &o, &h->polkit_pid);
	if (r < 0)
		return r;
	return wait_for_name(h, POLKIT_BUS_NAME, &h->polkit_pid, NULL, "polkitd", START_TIMEOUT_MS);
}

static int prepare_tmp(void)
{
	static const char *const dirs[] = {
		"state", "run", "log", "polkit", "polkit/actions", "polkit/rules.d", "polkit/empty"};
	_cleanup_free_ char *conf = NULL;
	int r;

	H.tmp = xasprintf("%s/%s%d-XXXXXX", tmp_base(), TMP_PREFIX, (int)getpid());
	if (!mkdtemp(H.tmp)) {
		r = -errno;
		fprintf(stderr, "harness: mkdtemp %s: %m\n", H.tmp);
		free(H.tmp);
		H.tmp = NULL;
		return r;
	}
	/* nobody must reach the bus socket in here, and QEMU (user
	 * zvirt-qemu) the daemon's RunDir and LogDir, which the daemon makes
	 * searchable by QEMU's group. */
	if (chmod(H.tmp, 0755) < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", H.tmp, dirs[i]);
		/* polkitd reads its directories as user polkitd (through the
		 * bind mounts, so TMP's own mode does not matter to it). */
		if (mkdir(p, strncmp(dirs[i], "polkit", 6) == 0 ? 0755 : 0700) < 0)
			return -errno;
	}

	struct {
		const char *from;
		const char *to;
	} copies[] = {
		{"policy/org.zvirt1.policy", "polkit/actions/org.zvirt1.policy"},
		{"tests/integration/test.rules", "polkit/rules.d/50-zvirt-test.rules"},
	};
	for (size_t i = 0; i < ELEMENTSOF(copies); i++) {
		_cleanup_free_ char *from = xasprintf("%s/%s", H.src_root, copies[i].from);
		_cleanup_free_ char *to = xasprintf("%s/%s", H.tmp, copies[i].to);
		r = copy_file(from, to, 0644);
		if (r < 0) {
			fprintf(stderr, "harness: copy %s: %s\n", from, strerror(-r));
			return r;
		}
	}

	H.host.dir = xstrdup(H.tmp);
	H.host.log_dir = xasprintf("%s/log", H.tmp);
	H.host.run_dir = xasprintf("%s/run", H.tmp);
	H.host.daemon_log = xasprintf("%s/zvirtd.log", H.tmp);
	H.host.daemon_conf = xasprintf("%s/zvirtd.conf", H.tmp);
	conf = xasprintf("# Written by the integration test harness.\n"
			 "[Daemon]\n"
			 "LogLevel=debug\n"
			 "LogTarget=%s\n"
			 "StateDir=%s/state\n"
			 "RunDir=%s/run\n"
			 "LogDir=%s\n"
			 "\n"
			 "[Hypervisor]\n"
			 "Emulator=%s\n"
			 "Accelerator=tcg\n"
			 "User=%s\n"
			 "Group=%s\n",
			 H.host.daemon_log, H.tmp, H.tmp, H.host.log_dir, QEMU_BINARY, QEMU_USER, QEMU_USER);
	return write_file(H.host.daemon_conf, conf, 0644);
}

int harness_setup(unsigned flags)
{
	const char *src = getenv("ZVIRT_SOURCE_ROOT");
	int r;

	if (H.tmp) {
		fprintf(stderr, "harness: set up twice\n");
		return -EBUSY;
	}
	if (!src || !*src) {
		fprintf(stderr, "harness: ZVIRT_SOURCE_ROOT is not set (meson sets it)\n");
		return -EINVAL;
	}
	if (!(flags & HARNESS_NO_DAEMON) && !getenv("ZVIRTD_BINARY")) {
		fprintf(stderr, "harness: ZVIRTD_BINARY is not set (meson sets it)\n");
		return -EINVAL;
	}
	H.flags = flags;
	H.src_root = xstrdup(src);
	/* The daemon must not report readiness to whatever runs the tests. */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");

	install_signal_handlers();
	cleanup_stale();
	r = prepare_tmp();
	if (r < 0) {
		fprintf(stderr, "harness: preparing the temporary directory: %s\n", strerror(-r));
		return r;
	}
	r = host_start_bus(&H.host);
	if (r < 0) {
		fprintf(stderr, "harness: starting dbus-daemon: %s\n", strerror(-r));
		return r;
	}
	/* The harness's own clients (harness_as_nobody's too) find it there. */
	if (setenv("DBUS_SYSTEM_BUS_ADDRESS", H.host.bus_address, 1) < 0)
		return -errno;
	(void)harness_bus();
	r = host_start_polkitd(&H.host);
	if (r < 0) {
		fprintf(stderr, "harness: starting polkitd: %s\n", strerror(-r));
		return r;
	}
	if (!(flags & HARNESS_NO_DAEMON)) {
		r = harness_start_daemon();
		if (r < 0)
			return r;
	}
	return 0;
}

/* The cgroup file system under the old /sys, carried over to the new
 * one (the daemon makes each guest's cgroup there). Best effort: a test
 * of links runs without it. */
static void keep_cgroup_fs(const char *stash, bool restore)
{
	if (!restore) {
		if (mount("/sys/fs/cgroup", stash, NULL, MS_BIND | MS_REC, NULL) < 0)
			fprintf(stderr, "harness: keeping /sys/fs/cgroup: %m (going on without it)\n");
		return;
	}
	if (mount(stash, "/sys/fs/cgroup", NULL, MS_MOVE, NULL) < 0 && errno != EINVAL)
		fprintf(stderr, "harness: putting back /sys/fs/cgroup: %m (going on without it)\n");
}

int harness_enter_netns(void)
{
	char stash[] = "/tmp/zvirt-netns-XXXXXX";
	struct ifreq ifr = {};
	_cleanup_close_ int fd = -1;

	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
		int r = -errno;
		fprintf(stderr, "harness: unshare(CLONE_NEWNET | CLONE_NEWNS): %m\n");
		return r;
	}
	/* Nothing mounted here may reach the host's mount table. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		int r = -errno;
		fprintf(stderr, "harness: making / private: %m\n");
		return r;
	}
	bool stashed = mkdtemp(stash) != NULL;
	if (stashed)
		keep_cgroup_fs(stash, false);
	/* A sysfs mounted from inside the namespace shows its links. */
	if (umount2("/sys", MNT_DETACH) < 0 || mount("sysfs", "/sys", "sysfs", 0, NULL) < 0) {
		int r = -errno;
		fprintf(stderr, "harness: mounting a sysfs of the new network namespace on /sys: %m\n");
		return r;
	}
	if (stashed) {
		keep_cgroup_fs(stash, true);
		(void)umount2(stash, MNT_DETACH);
		(void)rmdir(stash);
	}

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)) {
		int r = -errno;
		fprintf(stderr, "harness: bringing lo up: %m\n");
		return r;
	}
	return 0;
}

static void host_forget_signals(HarnessHost *h)
{
	for (size_t i = 0; i < h->n_signals; i++)
		signal_free(h->signals[i]);
	free(h->signals);
	h->signals = NULL;
	h->n_signals = 0;
	for (size_t i = 0; i < h->n_trackers; i++)
		free(h->trackers[i].path);
	free(h->trackers);
	h->trackers = NULL;
	h->n_trackers = 0;
}

void host_stop(HarnessHost *h)
{
	if (h->daemon_pid > 0)
		(void)harness_stop_child(&h->daemon_pid, SIGTERM, STOP_TIMEOUT_MS, h->what,
					 &h->daemon_status);
	if (h->bus) {
		h->recorder = sd_bus_slot_unref(h->recorder);
		h->bus = sd_bus_flush_close_unref(h->bus);
	}
	(void)harness_stop_child(&h->polkit_pid, SIGTERM, STOP_TIMEOUT_MS, "polkitd", NULL);
	(void)harness_stop_child(&h->dbus_pid, SIGTERM, STOP_TIMEOUT_MS, "dbus-daemon", NULL);
	host_forget_signals(h);
}

static void host_free(HarnessHost *h)
{
	free(h->dir);
	free(h->bus_address);
	free(h->log_dir);
	free(h->run_dir);
	free(h->daemon_log);
	free(h->daemon_conf);
	h->dir = h->bus_address = h->log_dir = h->run_dir = h->daemon_log = h->daemon_conf = NULL;
}

void harness_teardown(void)
{
	/* The second host first: it was started last, on the primary's TMP;
	 * then the sshd that may lead to its bus. */
	harness_peer_stop();
	harness_sshd_stop();
	if (H.host.daemon_pid > 0)
		(void)harness_stop_child(&H.host.daemon_pid, SIGTERM, STOP_TIMEOUT_MS, "zvirtd",
					 &H.host.daemon_status);
	if (H.tmp) {
		int n = kill_guests(H.tmp, false, 5000);
		if (n > 0)
			fprintf(stderr, "harness: killed %d QEMU guest(s) at teardown\n", n);
	}
	host_stop(&H.host);
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
	/* After the guests, whose taps may sit on a bridge or a peer. */
	harness_ovs_stop();
	harness_netns_cleanup();
	harness_sim_stop();

	if (H.tmp) {
		if (getenv("ZVIRT_KEEP_TMP"))
			fprintf(stderr, "harness: kept %s (ZVIRT_KEEP_TMP)\n", H.tmp);
		else
			rm_rf(H.tmp);
	}
	free(H.tmp);
	free(H.src_root);
	free(H.guest_dir);
	host_free(&H.host);
	H.tmp = H.src_root = H.guest_dir = NULL;
	restore_signal_handlers();
}

static void print_tail(const char *path, int lines)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	const char *start;
	int seen = 0;

	if (read_file(path, &data, &len) < 0 || len == 0)
		return;
	start = data + len;
	if (start > data && start[-1] == '\n')
		start--;
	while (start > data) {
		if (start[-1] == '\n' && ++seen >= lines)
			break;
		start--;
	}
	fprintf(stderr, "---- last %d lines of %s ----\n%s%s", lines, path, start,
		data[len - 1] == '\n' ? "" : "\n");
}

static void print_dir_tails(const char *dir, const char *name, int lines)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	print_tail(p, lines);
}

/* The guests' QEMU logs and consoles, in a LogDir. */
static void print_log_dir(const char *log_dir)
{
	DIR *d = opendir(log_dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		print_dir_tails(log_dir, de->d_name, 15);
	}
	if (d)
		closedir(d);
}

void host_dump_logs(const char *dir)
{
	_cleanup_free_ char *log_dir = xasprintf("%s/log", dir);

	print_dir_tails(dir, "dbus-daemon.log", 20);
	print_dir_tails(dir, "polkitd.log", 20);
	print_dir_tails(dir, "zvirtd.stderr", 30);
	print_log_dir(log_dir);
	print_dir_tails(dir, "zvirtd.log", LOG_TAIL_LINES);
}

void harness_dump_logs(void)
{
	if (!H.tmp)
		return;
	fflush(stdout);
	print_dir_tails(H.tmp, "dbus-daemon.log", 20);
	print_dir_tails(H.tmp, "polkitd.log", 20);
	print_dir_tails(H.tmp, "zvirtd.stderr", 30);
	print_log_dir(H.host.log_dir);
	print_dir_tails(H.tmp, "ovs/ovs-vswitchd.log", 15);
	harness_peer_dump_logs();
	harness_sshd_dump_logs();
	print_tail(H.host.daemon_log, LOG_TAIL_LINES);
	fprintf(stderr, "---- end of logs (ZVIRT_KEEP_TMP=1 keeps %s) ----\n", H.tmp);
}

int harness_run_tests(const char *group, const struct CMUnitTest *tests, size_t n_tests, unsigned flags)
{
	int failed, r;

	if (geteuid() != 0) {
		/* polkitd's mount namespace, the daemon and the uid switch to nobody need root. */
		fprintf(stderr, "%s: skipped, the integration tests must run as root\n", group);
		return 77;
	}
	r = harness_setup(flags);
	if (r < 0) {
		fprintf(stderr, "%s: harness setup failed: %s\n", group, strerror(-r));
		harness_dump_logs();
		harness_teardown();
		return 1;
	}
	/* ZVIRT_TEST_FILTER=test_name (cmocka's pattern): one test by hand. */
	if (getenv("ZVIRT_TEST_FILTER"))
		cmocka_set_test_filter(getenv("ZVIRT_TEST_FILTER"));
	failed = _cmocka_run_group_tests(group, tests, n_tests, NULL, NULL);
	/* The last daemon's exit is where ASan's leak check and valgrind
	 * report: an unclean one fails the program even if every test passed.
	 * The peer's too, when a test left it running. */
	if (harness_peer_stop_daemon() < 0) {
		fprintf(stderr, "%s: the peer's zvirtd did not exit cleanly at the end (see below)\n",
			group);
		failed = 1;
	}
	if (harness_stop_daemon() < 0) {
		fprintf(stderr, "%s: zvirtd did not exit cleanly at the end (see zvirtd.stderr below)\n",
			group);
		failed = 1;
	}
	if (failed)
		harness_dump_logs();
	harness_teardown();
	if (failed) {
		/* cmocka jumps out of a failing test past its cleanups: what it
		 * held is still allocated, and LeakSanitizer's report of that at
		 * exit would only bury the failure. */
		fflush(NULL);
		_exit(1);
	}
	return 0;
}

const char *harness_tmpdir(void)
{
	return H.tmp;
}

const char *harness_source_root(void)
{
	return H.src_root;
}

const char *harness_log_dir(void)
{
	return H.host.log_dir;
}

const char *harness_daemon_log(void)
{
	return H.host.daemon_log;
}

/* ---- the daemon ---- */

int host_start_daemon(HarnessHost *h)
{
	const char *binary = getenv("ZVIRTD_BINARY");
	_cleanup_free_ char *log = NULL;
	int r;

	if (!h->dir || !binary)
		return -EINVAL;
	if (h->daemon_pid > 0)
		return -EBUSY;
	log = xasprintf("%s/zvirtd.stderr", h->dir);
	/* ZVIRTD_WRAPPER: a command line to run the daemon under (valgrind). */
	_cleanup_free_ char *wrapper = xstrdup(getenv("ZVIRTD_WRAPPER") ?: "");
	char *argv[32];
	size_t n = 0;
	for (char *save = NULL, *w = strtok_r(wrapper, " ", &save); w && n < ELEMENTSOF(argv) - 4;
	     w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	argv[n++] = (char *)binary;
	argv[n++] = "-f";
	argv[n++] = h->daemon_conf;
	argv[n] = NULL;
	/* SIGTERM is the clean stop: guests keep running, as after a crash of
	 * the harness they must not (kill_guests in the signal handler). */
	SpawnOptions o = {.log_path = log,
			  .keep_fd = -1,
			  .death_signal = SIGTERM,
			  .bus_address = h->bus_address,
			  .mount_src = h->mount_src,
			  .mount_dst = h->mount_dst};
	h->daemon_status = -1;
	r = harness_spawn(argv, &o, &h->daemon_pid);
	if (r < 0) {
		fprintf(stderr, "harness: starting %s: %s\n", binary, strerror(-r));
		return r;
	}
	r = wait_for_name(h, ZVIRT_BUS_NAME, &h->daemon_pid, &h->daemon_status, h->what, START_TIMEOUT_MS);
	if (r < 0) {
		(void)harness_stop_child(&h->daemon_pid, SIGKILL, 5000, h->what, &h->daemon_status);
		return r;
	}
	/* What is queued came from the previous daemon; states seen from now
	 * on are judged afresh (sequences may restart). */
	(void)host_flush_signals(h);
	for (size_t i = 0; i < h->n_trackers; i++)
		tracker_reset(&h->trackers[i], h->n_signals);
	return 0;
}

int host_stop_daemon(HarnessHost *h)
{
	char desc[128];
	int r;

	if (h->daemon_pid <= 0)
		return 0;
	r = harness_stop_child(&h->daemon_pid, SIGTERM, STOP_TIMEOUT_MS, h->what, &h->daemon_status);
	wait_for_name_gone(h, ZVIRT_BUS_NAME, STOP_TIMEOUT_MS);
	if (r < 0)
		return r;
	if (!WIFEXITED(h->daemon_status) || WEXITSTATUS(h->daemon_status) != 0) {
		describe_status(h->daemon_status, desc, sizeof(desc));
		fprintf(stderr, "harness: %s did not exit cleanly on SIGTERM: %s\n", h->what, desc);
		return -EPROTO;
	}
	return 0;
}

int host_kill_daemon(HarnessHost *h)
{
	if (h->daemon_pid <= 0)
		return 0;
	int r = harness_stop_child(&h->daemon_pid, SIGKILL, STOP_TIMEOUT_MS, h->what, &h->daemon_status);
	wait_for_name_gone(h, ZVIRT_BUS_NAME, STOP_TIMEOUT_MS);
	return r;
}

int harness_start_daemon(void)
{
	return host_start_daemon(&H.host);
}

int harness_stop_daemon(void)
{
	return host_stop_daemon(&H.host);
}

int harness_restart_daemon(void)
{
	int r = harness_stop_daemon();

	if (r < 0)
		return r;
	return harness_start_daemon();
}

int harness_kill_daemon(void)
{
	return host_kill_daemon(&H.host);
}

pid_t harness_daemon_pid(void)
{
	return H.host.daemon_pid;
}

int harness_daemon_exit_status(void)
{
	return H.host.daemon_status;
}

/* ---- calls ---- */

int harness_call_fullv(sd_bus *bus, sd_bus_error *error, sd_bus_message **reply, const char *path,
		       const char *iface, const char *method, const char *types, va_list ap)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, ZVIRT_BUS_NAME, path, iface, method);
	if (r < 0)
		return r;
	if (types && *types) {
		r = sd_bus_message_appendv(m, types, ap);
		if (r < 0)
			return r;
	}
	return sd_bus_call(bus, m, HARNESS_CALL_TIMEOUT_USEC, error, reply);
}

int harness_call_full(sd_bus *bus, sd_bus_error *error, sd_bus_message **reply, const char *path,
		      const char *iface, const char *method, const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = harness_call_fullv(bus, error, reply, path, iface, method, types, ap);
	va_end(ap);
	return r;
}

sd_bus_message *host_callv(HarnessHost *h, const char *path, const char *iface, const char *method,
			   const char *types, va_list ap)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r = harness_call_fullv(host_bus(h), &error, &reply, path, iface, method, types, ap);
	if (r < 0)
		fail_msg("%s.%s on %s (%s) failed: %s: %s", iface, method, path, h->what,
			 error.name ?: "(local)", error.message ?: strerror(-r));
	return reply;
}

sd_bus_message *harness_call(const char *path, const char *iface, const char *method, const char *types, ...)
{
	sd_bus_message *reply;
	va_list ap;

	va_start(ap, types);
	reply = host_callv(&H.host, path, iface, method, types, ap);
	va_end(ap);
	return reply;
}

void host_expect_errorv(HarnessHost *h, const char *error_name, const char *path, const char *iface,
			const char *method, const char *types, va_list ap)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r = harness_call_fullv(host_bus(h), &error, &reply, path, iface, method, types, ap);
	if (r >= 0)
		fail_msg("%s.%s on %s (%s) succeeded; expected %s", iface, method, path, h->what,
			 error_name);
	if (!sd_bus_error_has_name(&error, error_name))
		fail_msg("%s.%s on %s (%s) failed with %s (%s); expected %s", iface, method, path, h->what,
			 error.name ?: "(local)", error.message ?: strerror(-r), error_name);
}

void harness_expect_error(const char *error_name, const char *path, const char *iface, const char *method,
			  const char *types, ...)
{
	va_list ap;

	va_start(ap, types);
	host_expect_errorv(&H.host, error_name, path, iface, method, types, ap);
	va_end(ap);
}

static sd_bus_message *host_call(HarnessHost *h, const char *path, const char *iface, const char *method,
				 const char *types, ...)
{
	sd_bus_message *reply;
	va_list ap;

	va_start(ap, types);
	reply = host_callv(h, path, iface, method, types, ap);
	va_end(ap);
	return reply;
}

char *host_define(HarnessHost *h, const char *xml)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	size_t mark = host_signal_mark(h);
	const char *path;
	int r;

	reply = host_call(h, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DefineXML", "sa{sv}", xml, 0);
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		fail_msg("DefineXML reply: %s", strerror(-r));
	/* A redefinition may reuse the path; its old signals say nothing now. */
	tracker_reset(tracker_get(h, path), mark);
	return xstrdup(path);
}

char *harness_define(const char *xml)
{
	return host_define(&H.host, xml);
}

char *host_lookup(HarnessHost *h, const char *name)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;

	if (harness_call_full(host_bus(h), &error, &reply, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			      "LookupDomainByName", "sa{sv}", name, 0) < 0)
		return NULL;
	if (sd_bus_message_read(reply, "o", &path) < 0)
		return NULL;
	return xstrdup(path);
}

char *harness_lookup(const char *name)
{
	return host_lookup(&H.host, name);
}

void host_undefine(HarnessHost *h, const char *path)
{
	_cleanup_free_ char *state = host_get_string(h, path, ZVIRT_DOMAIN_IFACE, "State");

	if (!streq_ptr(state, "shut-off")) {
		sd_bus_message_unref(host_call(h, path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
		if (host_wait_state(h, path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS) < 0)
			fail_msg("%s did not stop for Undefine", path);
	}
	sd_bus_message_unref(host_call(h, path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 0));
}

void harness_undefine(const char *path)
{
	host_undefine(&H.host, path);
}

static void get_property_failed(const char *path, const char *iface, const char *property, int r,
				const sd_bus_error *error)
{
	fail_msg("Get %s.%s on %s: %s: %s", iface, property, path, error->name ?: "(local)",
		 error->message ?: strerror(-r));
}

char *host_get_string(HarnessHost *h, const char *path, const char *iface, const char *property)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	char *value = NULL;
	int r;

	r = sd_bus_get_property_string(host_bus(h), ZVIRT_BUS_NAME, path, iface, property, &error, &value);
	if (r < 0)
		get_property_failed(path, iface, property, r, &error);
	return value;
}

char *harness_get_string(const char *path, const char *iface, const char *property)
{
	return host_get_string(&H.host, path, iface, property);
}

#define DEFINE_TRIVIAL_GETTER(name, ctype, sig)                                                           \
	static ctype name##_on(HarnessHost *h, const char *path, const char *iface, const char *property) \
	{                                                                                                 \
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;                      \
		ctype value = 0;                                                                          \
		int r = sd_bus_get_property_trivial(host_bus(h), ZVIRT_BUS_NAME, path, iface, property,   \
						    &error, sig, &value);                                 \
		if (r < 0)                                                                                \
			get_property_failed(path, iface, property, r, &error);                            \
		return value;                                                                             \
	}                                                                                                 \
	ctype name(const char *path, const char *iface, const char *property)                             \
	{                                                                                                 \
		return name##_on(&H.host, path, iface, property);                                         \
	}

DEFINE_TRIVIAL_GETTER(harness_get_u32, uint32_t, 'u')
DEFINE_TRIVIAL_GETTER(harness_get_i32, int32_t, 'i')
DEFINE_TRIVIAL_GETTER(harness_get_u64, uint64_t, 't')

uint32_t host_get_u32(HarnessHost *h, const char *path, const char *iface, const char *property)
{
	return harness_get_u32_on(h, path, iface, property);
}

bool harness_get_bool(const char *path, const char *iface, const char *property)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int value = 0, r;

	r = sd_bus_get_property_trivial(harness_bus(), ZVIRT_BUS_NAME, path, iface, property, &error, 'b',
					&value);
	if (r < 0)
		get_property_failed(path, iface, property, r, &error);
	return value;
}

char *host_get_xml(HarnessHost *h, const char *path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *xml;
	int r;

	reply = host_call(h, path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 0);
	r = sd_bus_message_read(reply, "s", &xml);
	if (r < 0)
		fail_msg("GetXMLDesc reply: %s", strerror(-r));
	return xstrdup(xml);
}

char *harness_get_xml(const char *path)
{
	return host_get_xml(&H.host, path);
}

char *host_console_pty(HarnessHost *h, const char *path)
{
	_cleanup_free_ char *xml = host_get_xml(h, path);
	xmlDocPtr doc;
	xmlXPathContextPtr ctx = NULL;
	xmlXPathObjectPtr res = NULL;
	char *pty = NULL;

	doc = xmlReadMemory(xml, (int)strlen(xml), "live.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
	if (!doc)
		fail_msg("live XML of %s does not parse", path);
	ctx = xmlXPathNewContext(doc);
	if (ctx)
		res = xmlXPathEvalExpression(
			(const xmlChar *)"string(/domain/devices/console[@type='pty']/source/@path)", ctx);
	if (res && res->type == XPATH_STRING && res->stringval && *res->stringval)
		pty = xstrdup((const char *)res->stringval);
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return pty;
}

char *harness_console_pty(const char *path)
{
	return host_console_pty(&H.host, path);
}

/* ---- states and signals ---- */

int host_flush_signals(HarnessHost *h)
{
	int r;

	while ((r = sd_bus_process(host_bus(h), NULL)) > 0)
		;
	return r;
}

int harness_flush_signals(void)
{
	return host_flush_signals(&H.host);
}

size_t host_signal_mark(HarnessHost *h)
{
	(void)host_flush_signals(h);
	return h->n_signals;
}

size_t harness_signal_mark(void)
{
	return host_signal_mark(&H.host);
}

size_t harness_signal_count(void)
{
	return H.host.n_signals;
}

const HarnessSignal *harness_signal_get(size_t index)
{
	return index < H.host.n_signals ? H.host.signals[index] : NULL;
}

const HarnessSignal *host_signal_find(HarnessHost *h, size_t from, const char *path, const char *interface,
				      const char *member, const char *arg0)
{
	for (size_t i = from; i < h->n_signals; i++) {
		const HarnessSignal *s = h->signals[i];

		if ((!path || streq_ptr(s->path, path)) &&
		    (!interface || streq_ptr(s->interface, interface)) &&
		    (!member || streq_ptr(s->member, member)) && (!arg0 || streq_ptr(s->arg0, arg0)))
			return s;
	}
	return NULL;
}

const HarnessSignal *harness_signal_find(size_t from, const char *path, const char *interface,
					 const char *member, const char *arg0)
{
	return host_signal_find(&H.host, from, path, interface, member, arg0);
}

/* Dispatch one message, or wait for one until the deadline. 1 if
 * something was dispatched, 0 on a quiet wait, -ETIMEDOUT, or an error. */
static int process_until(HarnessHost *h, int64_t deadline)
{
	int r = sd_bus_process(host_bus(h), NULL);

	if (r != 0)
		return r;
	if (harness_now_ms() >= deadline)
		return -ETIMEDOUT;
	r = sd_bus_wait(host_bus(h), (uint64_t)ms_left(deadline) * 1000);
	return r == -EINTR ? 0 : (r < 0 ? r : 0);
}

const HarnessSignal *host_wait_signal(HarnessHost *h, size_t from, const char *path, const char *interface,
				      const char *member, const char *arg0, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		const HarnessSignal *s = host_signal_find(h, from, path, interface, member, arg0);
		int r;

		if (s)
			return s;
		r = process_until(h, deadline);
		if (r < 0) {
			fprintf(stderr,
				"harness: no signal %s.%s on %s (arg0 %s) from %s within %d ms: %s\n",
				interface ?: "*", member ?: "*", path ?: "*", arg0 ?: "*", h->what,
				timeout_ms, strerror(-r));
			return NULL;
		}
	}
}

const HarnessSignal *harness_wait_signal(size_t from, const char *path, const char *interface,
					 const char *member, const char *arg0, int timeout_ms)
{
	return host_wait_signal(&H.host, from, path, interface, member, arg0, timeout_ms);
}

static bool state_in_record(HarnessHost *h, Tracker *t, const char *state, const char *reason)
{
	for (size_t i = t->scan_from; i < h->n_signals; i++) {
		const HarnessSignal *s = h->signals[i];

		if (!streq_ptr(s->path, t->path) || !streq_ptr(s->interface, ZVIRT_DOMAIN_IFACE) ||
		    !streq_ptr(s->member, "StateChanged"))
			continue;
		if (t->has_baseline && s->sequence <= t->consumed)
			continue; /* stale: older than what a previous wait accepted */
		if (streq_ptr(s->state, state) && streq_ptr(s->reason, reason)) {
			t->scan_from = i + 1;
			t->has_baseline = true;
			t->consumed = s->sequence;
			return true;
		}
	}
	return false;
}

/* State, StateReason and (if the daemon has it) StateSequence. */
static int read_state(HarnessHost *h, const char *path, char **ret_state, char **ret_reason,
		      uint64_t *ret_seq, bool *ret_has_seq)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus *bus = host_bus(h);
	int r;

	r = sd_bus_get_property_string(bus, ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE, "State", &error,
				       ret_state);
	if (r < 0)
		return r;
	r = sd_bus_get_property_string(bus, ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE, "StateReason", &error,
				       ret_reason);
	if (r < 0)
		return r;
	sd_bus_error_free(&error);
	*ret_has_seq = sd_bus_get_property_trivial(bus, ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE,
						   "StateSequence", &error, 't', ret_seq) >= 0;
	return 0;
}

int host_wait_state(HarnessHost *h, const char *path, const char *state, const char *reason, int timeout_ms)
{
	Tracker *t = tracker_get(h, path);
	int64_t deadline = harness_now_ms() + timeout_ms;
	_cleanup_free_ char *cur_state = NULL, *cur_reason = NULL;
	uint64_t seq = 0;
	bool has_seq = false;
	int r;

	(void)host_flush_signals(h);
	if (state_in_record(h, t, state, reason))
		return 0;

	/* The state may have been reached before anything was recorded for it
	 * (right after a daemon restart, say): the properties tell. */
	r = read_state(h, path, &cur_state, &cur_reason, &seq, &has_seq);
	if (r >= 0 && streq_ptr(cur_state, state) && streq_ptr(cur_reason, reason) &&
	    (!t->has_baseline || (has_seq && seq > t->consumed))) {
		t->has_baseline = has_seq;
		t->consumed = seq;
		t->scan_from = h->n_signals;
		return 0;
	}

	for (;;) {
		t = tracker_get(h, path); /* the recorder may have grown the array */
		if (state_in_record(h, t, state, reason))
			return 0;
		r = process_until(h, deadline);
		if (r == -ETIMEDOUT)
			break;
		if (r < 0) {
			fprintf(stderr, "harness: waiting for %s to reach %s/%s: %s\n", path, state, reason,
				strerror(-r));
			return r;
		}
	}

	free(cur_state);
	free(cur_reason);
	cur_state = cur_reason = NULL;
	r = read_state(h, path, &cur_state, &cur_reason, &seq, &has_seq);
	fprintf(stderr, "harness: %s (%s) did not reach %s/%s within %d ms; it is %s/%s", path, h->what,
		state, reason, timeout_ms, r < 0 ? "?" : cur_state, r < 0 ? "?" : cur_reason);
	if (has_seq)
		fprintf(stderr, " (StateSequence %" PRIu64 ")", seq);
	fprintf(stderr, "; StateChanged seen:");
	for (size_t i = 0; i < h->n_signals; i++) {
		const HarnessSignal *s = h->signals[i];
		if (streq_ptr(s->path, path) && streq_ptr(s->member, "StateChanged"))
			fprintf(stderr, " %s/%s#%" PRIu64, s->state, s->reason, s->sequence);
	}
	fprintf(stderr, "\n");
	return -ETIMEDOUT;
}

int harness_wait_state(const char *path, const char *state, const char *reason, int timeout_ms)
{
	return host_wait_state(&H.host, path, state, reason, timeout_ms);
}

void host_assert_state(HarnessHost *h, const char *path, const char *state, const char *reason)
{
	_cleanup_free_ char *cur_state = host_get_string(h, path, ZVIRT_DOMAIN_IFACE, "State");
	_cleanup_free_ char *cur_reason = host_get_string(h, path, ZVIRT_DOMAIN_IFACE, "StateReason");

	if (!streq_ptr(cur_state, state) || !streq_ptr(cur_reason, reason))
		fail_msg("%s (%s) is %s/%s, expected %s/%s", path, h->what, cur_state, cur_reason, state,
			 reason);
}

void harness_assert_state(const char *path, const char *state, const char *reason)
{
	host_assert_state(&H.host, path, state, reason);
}

/* ---- the guest ---- */

/* Run tests/guest/build-guest.sh; its last line of output is the directory. */
static char *build_guest(const char *script)
{
	_cleanup_close_ int rfd = -1;
	_cleanup_free_ char *out = NULL;
	size_t len = 0, size = 0;
	int fds[2], status = -1;
	pid_t pid;
	char *line, *end;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		reset_signals_in_child();
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		execl(script, script, (char *)NULL);
		fprintf(stderr, "harness: exec %s: %m\n", script);
		_exit(127);
	}
	close(fds[1]);
	rfd = fds[0];
	for (;;) {
		ssize_t n;

		if (size - len < 1024) {
			size = size ? size * 2 : 4096;
			char *b = realloc(out, size);
			if (!b)
				abort();
			out = b;
		}
		n = read(rfd, out + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!out || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return NULL;
	out[len] = '\0';
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r' || out[len - 1] == ' '))
		out[--len] = '\0';
	line = strrchr(out, '\n');
	line = line ? line + 1 : out;
	end = line + strlen(line);
	return end > line ? xstrdup(line) : NULL;
}

/* QEMU runs as zvirt-qemu and must read the guest's kernel and initrd.
 * They are Debian's public packages, shared by every test program (each
 * with a daemon of its own, which knows nothing of the others' labels):
 * rather than have each daemon give them to QEMU's user and back, make
 * the directories on the way searchable and the files readable for all,
 * so that no daemon needs to change their owner. */
static void make_world_readable(const char *dir, const char *const *files, size_t n_files)
{
	_cleanup_free_ char *path = xstrdup(dir);
	for (char *slash = path;; slash++) {
		slash = strchr(slash, '/');
		if (slash)
			*slash = 0;
		struct stat st;
		if (*path && stat(path, &st) == 0 && S_ISDIR(st.st_mode) && !(st.st_mode & S_IXOTH) &&
		    chmod(path, (st.st_mode & 07777) | S_IXOTH) == 0)
			fprintf(stderr, "harness: made %s searchable for QEMU's user\n", path);
		if (!slash)
			break;
		*slash = '/';
	}
	for (size_t i = 0; i < n_files; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, files[i]);
		struct stat st;
		if (stat(p, &st) == 0 && !(st.st_mode & S_IROTH) &&
		    chmod(p, (st.st_mode & 07777) | S_IROTH) == 0)
			fprintf(stderr, "harness: made %s readable for QEMU's user\n", p);
	}
}

const char *harness_guest_dir(void)
{
	const char *env = getenv("ZVIRT_GUEST_DIR");
	_cleanup_free_ char *script = NULL;
	char *dir;

	if (H.guest_dir)
		return H.guest_dir;
	if (env && *env)
		dir = xstrdup(env);
	else {
		script = xasprintf("%s/tests/guest/build-guest.sh", H.src_root);
		if (access(script, X_OK) < 0)
			fail_msg("no test guest: set ZVIRT_GUEST_DIR, or provide %s", script);
		dir = build_guest(script);
		if (!dir)
			fail_msg("%s failed or printed no directory", script);
	}
	static const char *const files[] = {"vmlinuz", "initrd.img"};
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, files[i]);
		if (access(p, R_OK) < 0) {
			free(dir);
			fail_msg("test guest incomplete: %s: %m", p);
		}
	}
	make_world_readable(dir, files, ELEMENTSOF(files));
	H.guest_dir = dir;
	return H.guest_dir;
}

char *harness_console_log(const char *name)
{
	return xasprintf("%s/%s.console.log", H.host.log_dir, name);
}

char *harness_guest_xml_uuid(const char *name, const char *uuid)
{
	const char *dir = harness_guest_dir();
	_cleanup_free_ char *uuid_elem = uuid ? xasprintf("  <uuid>%s</uuid>\n", uuid) : xstrdup("");
	_cleanup_free_ char *log = harness_console_log(name);

	return xasprintf("<domain type='kvm'>\n"
			 "  <name>%s</name>\n"
			 "%s"
			 "  <memory unit='KiB'>262144</memory>\n"
			 "  <vcpu>1</vcpu>\n"
			 "  <os>\n"
			 "    <type arch='s390x' machine='s390-ccw-virtio'>hvm</type>\n"
			 "    <kernel>%s/vmlinuz</kernel>\n"
			 "    <initrd>%s/initrd.img</initrd>\n"
			 "    <cmdline>console=ttysclp0 panic=0 quiet</cmdline>\n"
			 "  </os>\n"
			 "  <devices>\n"
			 "    <console type='pty'>\n"
			 "      <target type='sclp' port='0'/>\n"
			 "      <log file='%s' append='on'/>\n"
			 "    </console>\n"
			 "    <memballoon model='none'/>\n"
			 "  </devices>\n"
			 "</domain>\n",
			 name, uuid_elem, dir, dir, log);
}

char *harness_worst_domain_xml(const char *name)
{
	size_t cap = 1024 * 1024, len = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	len += (size_t)snprintf(s, cap, "<domain type='kvm'><name>%s</name><devices>", name);
	while (len < cap - 2048) {
		len += (size_t)snprintf(s + len, cap - len, "<disk");
		for (int a = 0; a < 32; a++)
			len += (size_t)snprintf(s + len, cap - len, " b%d=''", a);
		len += (size_t)snprintf(s + len, cap - len, "/>");
	}
	snprintf(s + len, cap - len, "</devices></domain>");
	return s;
}

char *host_run_file(HarnessHost *h, const char *path, const char *suffix)
{
	const char *label = strrchr(path, '/');
	assert_non_null(label);
	return xasprintf("%s/domains/%s%s", h->run_dir, label + 1, suffix);
}

char *harness_run_file(const char *path, const char *suffix)
{
	return host_run_file(&H.host, path, suffix);
}

char *harness_minimal_xml(const char *name, const char *uuid)
{
	_cleanup_free_ char *uuid_elem = uuid ? xasprintf("  <uuid>%s</uuid>\n", uuid) : xstrdup("");

	return xasprintf("<domain type='kvm'>\n"
			 "  <name>%s</name>\n"
			 "%s"
			 "  <memory unit='KiB'>262144</memory>\n"
			 "  <vcpu>1</vcpu>\n"
			 "  <os>\n"
			 "    <type arch='s390x' machine='s390-ccw-virtio'>hvm</type>\n"
			 "  </os>\n"
			 "  <devices>\n"
			 "    <memballoon model='none'/>\n"
			 "  </devices>\n"
			 "</domain>\n",
			 name, uuid_elem);
}

char *harness_guest_xml_on_crash(const char *name, const char *action)
{
	_cleanup_free_ char *xml = harness_guest_xml(name);
	char *os_end = strstr(xml, "</os>\n");
	assert_non_null(os_end);
	os_end += strlen("</os>\n");
	return xasprintf("%.*s  <on_crash>%s</on_crash>\n%s", (int)(os_end - xml), xml, action, os_end);
}

void host_boot_guest(HarnessHost *h, const char *path, const char *name)
{
	_cleanup_free_ char *log = harness_console_log(name);
	off_t mark = harness_file_size(log);

	sd_bus_message_unref(host_call(h, path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(host_wait_state(h, path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console_from(
				 log, mark, "zvirt-guest: ready boot_id=", HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
}

void harness_boot_guest(const char *path, const char *name)
{
	host_boot_guest(&H.host, path, name);
}

char *harness_boot_dirty(const char *name, unsigned mib)
{
	_cleanup_free_ char *xml = harness_guest_xml(name);
	char *path = harness_define(xml);
	harness_boot_guest(path, name);
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "dirty %u", mib);
	_cleanup_free_ char *out = harness_guest_command(path, cmd, 30000);
	if (!strstr(out, "dirtying"))
		fail_msg("the guest does not dirty its memory: %s", out);
	sleep(2); /* it has filled its buffer */
	return path;
}

void harness_panic_guest(const char *path)
{
	_cleanup_free_ char *pty = harness_console_pty(path);
	assert_non_null(pty);
	/* With on_crash=destroy or restart QEMU may be gone before the write
	 * returns; the states checked next tell whether the panic happened. */
	int r = harness_console_send(pty, "panic");
	assert_true(r == 0 || r == -EPIPE || r == -EIO);
}

char *harness_guest_xml(const char *name)
{
	return harness_guest_xml_uuid(name, NULL);
}

void harness_sh(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	assert_true(k > 0);
	int r = system(cmd);
	if (r != 0)
		fail_msg("'%s' failed (status 0x%x)", cmd, (unsigned)r);
}

char *harness_sh_out(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	assert_true(k > 0);
	FILE *p = popen(cmd, "re");
	assert_non_null(p);
	char *text = NULL;
	size_t size = 0;
	ssize_t n = getdelim(&text, &size, 0, p);
	int r = pclose(p);
	if (r != 0)
		fail_msg("'%s' failed (status 0x%x): %s", cmd, (unsigned)r, n > 0 ? text : "");
	if (n <= 0) {
		free(text);
		return strdup("");
	}
	if (text[n - 1] == '\n')
		text[n - 1] = 0;
	return text;
}

char *harness_guest_xml_devices(const char *name, const char *devices)
{
	_cleanup_free_ char *xml = harness_guest_xml(name);
	char *end = strstr(xml, "  </devices>");
	char *out = NULL;
	assert_non_null(end);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(end - xml), xml, devices, end) > 0);
	return out;
}

char *harness_guest_command(const char *path, const char *command, int timeout_ms)
{
	_cleanup_free_ char *pty = harness_console_pty(path);
	char *out = NULL;
	assert_non_null(pty);
	assert_int_equal(harness_console_command(pty, command, timeout_ms, &out), 0);
	return out;
}

void harness_assert_host_links(const char *before)
{
	_cleanup_free_ char *now = harness_host_links();
	assert_non_null(now);
	if (strcmp(before, now) != 0)
		fail_msg("host links changed:\nbefore:\n%safter:\n%s", before, now);
}

char *harness_read_file(const char *path)
{
	char *buf;
	size_t len;
	int r = read_file(path, &buf, &len);
	if (r < 0)
		fail_msg("cannot read %s: %s", path, strerror(-r));
	return buf;
}

char *harness_read_file_if_exists(const char *path)
{
	char *buf;
	size_t len;
	int r = read_file(path, &buf, &len);
	if (r == -ENOENT)
		return NULL;
	if (r < 0)
		fail_msg("cannot read %s: %s", path, strerror(-r));
	return buf;
}

void harness_write_file(const char *path, const char *text)
{
	int r = write_file(path, text, 0644);
	if (r < 0)
		fail_msg("cannot write %s: %s", path, strerror(-r));
}

off_t harness_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? 0 : st.st_size;
}

int harness_wait_console_from(const char *log_path, off_t from, const char *substring, int timeout_ms,
			      char **ret_line)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0, size = 0, sublen = strlen(substring);
	off_t pos = from;

	for (;;) {
		const char *hit;

		if (fd < 0)
			fd = open(log_path, O_RDONLY | O_CLOEXEC);
		for (; fd >= 0;) {
			ssize_t n;

			if (size - len < 4096) {
				size = size ? size * 2 : 16384;
				char *b = realloc(buf, size);
				if (!b)
					abort();
				buf = b;
			}
			n = pread(fd, buf + len, size - len - 1, pos);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
			pos += n;
		}
		hit = buf ? memmem(buf, len, substring, sublen) : NULL;
		if (hit) {
			const char *start = hit, *end = hit + sublen;

			while (start > buf && start[-1] != '\n')
				start--;
			while (end < buf + len && *end != '\n' && *end != '\r')
				end++;
			if (ret_line)
				*ret_line = strndup(start, (size_t)(end - start));
			return 0;
		}
		if (harness_now_ms() >= deadline) {
			fprintf(stderr, "harness: \"%s\" did not appear in %s within %d ms\n", substring,
				log_path, timeout_ms);
			return -ETIMEDOUT;
		}
		harness_sleep_ms(10);
	}
}

int harness_wait_console(const char *log_path, const char *substring, int timeout_ms)
{
	return harness_wait_console_from(log_path, 0, substring, timeout_ms, NULL);
}

/* The guest console's pty, raw: with the default line discipline the
 * slave would echo the guest's output straight back into the guest. */
static int open_pty(const char *pty_path)
{
	struct termios t;
	int fd = open(pty_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		(void)tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static int write_all_timeout(int fd, const char *data, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if (poll(&p, 1, ms_left(deadline)) == 0)
				return -ETIMEDOUT;
			continue;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read what the guest prints until `until` shows up (if given), or the
 * deadline, or (with quiet_ms > 0) that long after the first output. */
static int read_pty(int fd, const char *until, int64_t deadline, int quiet_ms, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int timeout = ms_left(deadline), r;
		ssize_t n;

		if (quiet_ms > 0 && len > 0 && timeout > quiet_ms)
			timeout = quiet_ms;
		r = poll(&p, 1, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		if (size - len < 1024) {
			size = size ? size * 2 : 4096;
			char *b = realloc(buf, size);
			if (!b)
				abort();
			buf = b;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno; /* QEMU closed its side: the guest is gone */
		len += (size_t)n;
		buf[len] = '\0';
		if (until) {
			const char *hit = memmem(buf, len, until, strlen(until));
			/* the whole line, so the caller sees complete output */
			if (hit && memchr(hit, '\n', len - (size_t)(hit - buf)))
				break;
		}
	}
	if (ret)
		*ret = buf ? TAKE_PTR(buf) : xstrdup("");
	if (until && (!ret || !*ret || !strstr(*ret, until)))
		return -ETIMEDOUT;
	if (!until && len == 0)
		return -ETIMEDOUT;
	return 0;
}

int harness_console_send(const char *pty_path, const char *line)
{
	_cleanup_close_ int fd = open_pty(pty_path);
	_cleanup_free_ char *data = xasprintf("%s\n", line);
	int64_t deadline = harness_now_ms() + 5000;
	int r;

	if (fd < 0)
		return fd;
	r = write_all_timeout(fd, data, strlen(data), deadline);
	if (r < 0)
		return r;
	/* QEMU reads the pty only once it has noticed that someone opened it
	 * (it checks about every second); close too early and the line is
	 * lost. Output from the guest proves QEMU serves the pty now. */
	return read_pty(fd, NULL, deadline, 100, NULL);
}

int harness_console_command(const char *pty_path, const char *command, int timeout_ms, char **ret_output)
{
	_cleanup_close_ int fd = open_pty(pty_path);
	_cleanup_free_ char *data = xasprintf("%s\n", command);
	_cleanup_free_ char *output = NULL;
	_cleanup_free_ char *until = NULL;
	int64_t deadline = harness_now_ms() + timeout_ms;
	size_t word = strcspn(command, " \t");
	int r;

	if (fd < 0)
		return fd;
	until = xasprintf("zvirt-guest: done %.*s", (int)word, command);
	r = write_all_timeout(fd, data, strlen(data), deadline);
	if (r < 0)
		return r;
	r = read_pty(fd, until, deadline, 0, &output);
	if (r < 0)
		fprintf(stderr, "harness: console command \"%s\" on %s: no \"%s\" within %d ms; read: %s\n",
			command, pty_path, until, timeout_ms, output ?: "");
	if (ret_output)
		*ret_output = TAKE_PTR(output);
	return r;
}

char *harness_guest_block_at(const char *pty_path, const char *busid)
{
	_cleanup_free_ char *out = NULL;
	if (harness_console_command(pty_path, "devices", 60000, &out) < 0)
		fail_msg("the guest did not answer \"devices\" on %s", pty_path);
	for (char *line = out; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char name[32], id[32];
		unsigned long long sectors;
		if (sscanf(line, "%31s %llu %31s", name, &sectors, id) == 3 && strcmp(id, busid) == 0)
			return xstrdup(name);
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

char *harness_wait_guest_block(const char *pty_path, const char *busid, bool present)
{
	for (int i = 0; i < 30; i++) {
		char *name = harness_guest_block_at(pty_path, busid);
		if (!!name == present)
			return name ? name : xstrdup("");
		free(name);
		usleep(500 * 1000);
	}
	fail_msg("the guest %s a disk at %s", present ? "never got" : "still has", busid);
	return NULL;
}

/* ---- the unprivileged caller ---- */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Result record on the pipe: int32 r, then three strings (error name,
 * error message, output), each a uint32 length (UINT32_MAX for none)
 * followed by its bytes. */
static void send_result(int fd, int32_t r, const char *const strings[3])
{
	(void)write_all(fd, &r, sizeof(r));
	for (size_t i = 0; i < 3; i++) {
		uint32_t len = strings[i] ? (uint32_t)strlen(strings[i]) : UINT32_MAX;
		(void)write_all(fd, &len, sizeof(len));
		if (strings[i])
			(void)write_all(fd, strings[i], len);
	}
}

_Noreturn static void nobody_child(int fd, const char *address, HarnessNobodyFn fn, void *userdata)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_free_ char *output = NULL;
	int r;

	/* Another uid than the daemon's, or sd-bus would count us as
	 * privileged and polkit would never be asked. */
	if (setgroups(0, NULL) < 0 || setgid(HARNESS_NOBODY_UID) < 0 || setuid(HARNESS_NOBODY_UID) < 0) {
		r = -errno;
		sd_bus_error_set_errnof(&error, -r, "harness: cannot become uid %d: %m", HARNESS_NOBODY_UID);
	} else if (getuid() != HARNESS_NOBODY_UID || geteuid() != HARNESS_NOBODY_UID ||
		   getegid() != HARNESS_NOBODY_UID) {
		r = -EPERM;
		sd_bus_error_set_const(&error, SD_BUS_ERROR_ACCESS_DENIED,
				       "harness: uid switch did not stick");
	} else if (address && setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1) < 0) {
		r = -errno;
		sd_bus_error_set_errnof(&error, -r, "harness: setenv: %m");
	} else if ((r = sd_bus_open_system(&bus)) < 0)
		sd_bus_error_set_errnof(&error, -r, "harness: nobody cannot connect to the bus: %m");
	else {
		(void)sd_bus_set_description(bus, "harness-nobody");
		r = fn(bus, userdata, &error, &output);
	}
	const char *strings[3] = {error.name, error.message, output};
	send_result(fd, r, strings);
	close(fd);
	/* Not exit(): the parent's atexit handlers and stdio buffers are not ours. */
	_exit(0);
}

static int read_full_timeout(int fd, char **ret, size_t *ret_len, int64_t deadline)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;
		int r = poll(&p, 1, ms_left(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		if (size - len < 1024) {
			size = size ? size * 2 : 4096;
			char *b = realloc(buf, size);
			if (!b)
				abort();
			buf = b;
		}
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int take_string(const char **p, const char *end, char **ret)
{
	uint32_t len;

	if ((size_t)(end - *p) < sizeof(len))
		return -EBADMSG;
	memcpy(&len, *p, sizeof(len));
	*p += sizeof(len);
	if (len == UINT32_MAX) {
		*ret = NULL;
		return 0;
	}
	if ((size_t)(end - *p) < len)
		return -EBADMSG;
	*ret = strndup(*p, len);
	*p += len;
	return 0;
}

static int as_nobody_on(const char *address, HarnessNobodyFn fn, void *userdata, char **ret_error_name,
			char **ret_error_message, char **ret_output)
{
	_cleanup_free_ char *data = NULL, *name = NULL, *message = NULL, *output = NULL;
	_cleanup_close_ int rfd = -1;
	int64_t deadline = harness_now_ms() + NOBODY_TIMEOUT_MS;
	int fds[2], status = -1, r;
	size_t len = 0;
	const char *p, *end;
	int32_t result;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	if (pid == 0) {
		close(fds[0]);
		reset_signals_in_child();
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		nobody_child(fds[1], address, fn, userdata);
	}
	close(fds[1]);
	rfd = fds[0];

	r = read_full_timeout(rfd, &data, &len, deadline);
	if (r < 0) {
		fprintf(stderr, "harness: the call as nobody did not finish within %d ms\n",
			NOBODY_TIMEOUT_MS);
		(void)kill(pid, SIGKILL);
	}
	if (wait_child(&pid, r < 0 ? 5000 : ms_left(deadline) + 1000, &status) < 0) {
		(void)kill(pid, SIGKILL);
		(void)wait_child(&pid, 5000, &status);
	}
	if (r < 0)
		return r;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || len < sizeof(result)) {
		char desc[128];
		describe_status(status, desc, sizeof(desc));
		fprintf(stderr, "harness: the child running as nobody failed (%s)\n", desc);
		return -ECHILD;
	}
	memcpy(&result, data, sizeof(result));
	p = data + sizeof(result);
	end = data + len;
	if (take_string(&p, end, &name) < 0 || take_string(&p, end, &message) < 0 ||
	    take_string(&p, end, &output) < 0)
		return -EBADMSG;
	if (ret_error_name)
		*ret_error_name = TAKE_PTR(name);
	if (ret_error_message)
		*ret_error_message = TAKE_PTR(message);
	if (ret_output)
		*ret_output = TAKE_PTR(output);
	return result;
}

int harness_as_nobody(HarnessNobodyFn fn, void *userdata, char **ret_error_name, char **ret_error_message,
		      char **ret_output)
{
	return as_nobody_on(NULL, fn, userdata, ret_error_name, ret_error_message, ret_output);
}

typedef struct CallArgs {
	const char *path;
	const char *iface;
	const char *method;
	const char *types;
	va_list *ap;
} CallArgs;

static int call_as_nobody_fn(sd_bus *bus, void *userdata, sd_bus_error *error, char **ret_output)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	CallArgs *a = userdata;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	int r;

	/* The forked child owns a copy of the caller's stack, so the va_list
	 * is still good here. */
	r = harness_call_fullv(bus, error, &reply, a->path, a->iface, a->method, a->types, *a->ap);
	if (r < 0)
		return r;
	f = open_memstream(&buf, &size);
	if (!f)
		return -errno;
	r = sd_bus_message_dump(reply, f, 0);
	fclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret_output = buf;
	return 0;
}

int host_call_as_nobodyv(const char *address, char **ret_error_name, char **ret_output, const char *path,
			 const char *iface, const char *method, const char *types, va_list ap)
{
	va_list copy;
	int r;

	/* A copy of our own: the address of a va_list parameter is not a va_list *. */
	va_copy(copy, ap);
	CallArgs a = {.path = path, .iface = iface, .method = method, .types = types, .ap = &copy};
	r = as_nobody_on(address, call_as_nobody_fn, &a, ret_error_name, NULL, ret_output);
	va_end(copy);
	return r;
}

int harness_call_as_nobodyv(char **ret_error_name, char **ret_output, const char *path, const char *iface,
			    const char *method, const char *types, va_list ap)
{
	return host_call_as_nobodyv(NULL, ret_error_name, ret_output, path, iface, method, types, ap);
}

int harness_call_as_nobody(char **ret_error_name, char **ret_output, const char *path, const char *iface,
			   const char *method, const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = harness_call_as_nobodyv(ret_error_name, ret_output, path, iface, method, types, ap);
	va_end(ap);
	return r;
}

char *host_nobody_callv(const char *address, const char *path, const char *iface, const char *method,
			const char *types, va_list ap)
{
	_cleanup_free_ char *name = NULL;
	char *output = NULL;
	int r = host_call_as_nobodyv(address, &name, &output, path, iface, method, types, ap);
	if (r < 0) {
		free(output);
		fail_msg("%s.%s on %s as nobody failed: %s", iface, method, path, name ?: strerror(-r));
	}
	return output ?: xstrdup("");
}

char *harness_nobody_call(const char *path, const char *iface, const char *method, const char *types, ...)
{
	va_list ap;
	char *output;

	va_start(ap, types);
	output = host_nobody_callv(NULL, path, iface, method, types, ap);
	va_end(ap);
	return output;
}

void host_nobody_expect_errorv(const char *address, const char *error_name, const char *path,
			       const char *iface, const char *method, const char *types, va_list ap)
{
	_cleanup_free_ char *name = NULL, *output = NULL;
	int r = host_call_as_nobodyv(address, &name, &output, path, iface, method, types, ap);
	if (r >= 0)
		fail_msg("%s.%s on %s as nobody succeeded; expected %s", iface, method, path, error_name);
	if (!streq_ptr(name, error_name))
		fail_msg("%s.%s on %s as nobody failed with %s; expected %s", iface, method, path,
			 name ?: strerror(-r), error_name);
}

void harness_nobody_expect_error(const char *error_name, const char *path, const char *iface,
				 const char *method, const char *types, ...)
{
	va_list ap;

	va_start(ap, types);
	host_nobody_expect_errorv(NULL, error_name, path, iface, method, types, ap);
	va_end(ap);
}

void harness_wait_machine_expanded(const char *path)
{
	/* The persistent definition's: the Machine property of a running
	 * domain is its live definition's, which a probe never rewrites. */
	for (int i = 0; i < 300; i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			harness_call(path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1, "inactive", "b", 1);
		const char *xml;
		assert_int_equal(sd_bus_message_read(reply, "s", &xml), 1);
		if (!strstr(xml, "machine='s390-ccw-virtio'"))
			return;
		usleep(100 * 1000);
	}
	/* What the daemon said of its emulator probe, from its start on
	 * (the log's tail is printed anyway). */
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (read_file(H.host.daemon_log, &data, &len) >= 0) {
		fprintf(stderr, "---- the daemon's words on the probe and machine types ----\n");
		for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n"))
			if (strstr(line, "Emulator") || strstr(line, "capabilit") ||
			    strstr(line, "Probing") || strstr(line, "machine type") ||
			    strstr(line, "Defined domain") || strstr(line, "ready on"))
				fprintf(stderr, "%s\n", line);
	}
	fail_msg("the machine type of %s was not expanded within 30 s", path);
}
