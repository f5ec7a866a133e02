/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --with-libvirt: the same rows against what a user would run instead,
 * Debian's libvirtd with libvirt-dbus, on the same machine, bus and guest,
 * so that the ratios come from one run rather than from the recorded
 * anchor figures (tests/bench/README.md).
 *
 * libvirtd runs as root, as the system instance, but in a mount namespace
 * of its own whose /etc/libvirt, /var/lib/libvirt, /run/libvirt,
 * /var/cache/libvirt and /var/log/libvirt are directories below the
 * harness's temporary directory: the host's libvirt configuration and state
 * are neither used nor touched. libvirt-dbus runs in the same namespace (it
 * reaches libvirtd through /run/libvirt) and owns org.libvirt on the
 * harness's private bus, whose policy is extended for it.
 *
 * Deviations from a stock setup, each needed on this rig: qemu.conf runs
 * QEMU as root (the console logs live in a 0700 directory) and lets QEMU
 * write its output to a file instead of virtlogd (one daemon fewer to
 * start); the domain type is 'qemu' (libvirt refuses 'kvm' without
 * /dev/kvm; zvirtd takes 'kvm' and its Accelerator=tcg setting).
 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define LV_BUS       "org.libvirt"
#define LV_PATH      "/org/libvirt/QEMU"
#define LV_CONNECT   "org.libvirt.Connect"
#define LV_DOMAIN    "org.libvirt.Domain"
#define LIBVIRTD     "/usr/sbin/libvirtd"
#define LIBVIRT_DBUS "/usr/sbin/libvirt-dbus"
#define VIRSH        "/usr/bin/virsh"
/* libvirtd.conf host_uuid of the first libvirtd and of the second one
 * (the migration rows' destination). */
#define LV_HOST_UUID      "7a0b1c2d-3e4f-4a5b-8c6d-7e8f90a1b2c3"
#define LV_PEER_HOST_UUID "7a0b1c2d-3e4f-4a5b-8c6d-7e8f90a1b2c4"

/* virDomainEventType and virDomainEventStoppedDetailType */
#define VIR_DOMAIN_EVENT_STOPPED          5
#define VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN 0
/* virDomainModificationImpact */
#define VIR_DOMAIN_AFFECT_LIVE   1
#define VIR_DOMAIN_AFFECT_CONFIG 2
/* virDomainCoreDumpFormat and virDomainCoreDumpFlags */
#define VIR_DOMAIN_CORE_DUMP_FORMAT_RAW 0
#define VIR_DUMP_MEMORY_ONLY            (1 << 4)

static const struct {
	const char *dir;
	const char *target;
} binds[] = {
	{"etc", "/etc/libvirt"},         {"lib", "/var/lib/libvirt"}, {"run", "/run/libvirt"},
	{"cache", "/var/cache/libvirt"}, {"log", "/var/log/libvirt"},
};

static struct {
	char *root; /* TMP/libvirt */
	pid_t holder, libvirtd, dbus;
	/* Mount points that did not exist on the host; removed at the end.
	 * Fixed size and plain strings: the signal handler reads them. */
	char created[ELEMENTSOF(binds)][64];
	size_t n_created;
	/* A directory of its own over one of the host's (the copy-storage
	 * images, on the second libvirtd), or empty. */
	char own_dir[512], over_dir[512];
} L;

/* The second libvirtd of the migration rows (libvirt_migrate()): while it
 * is set up or stopped its state is swapped into L and Spawner, and the
 * first's waits here. */
static __typeof__(L) L_other;

typedef struct LvEvent {
	char *path;
	int event, detail;
	uint64_t mono_ns;
} LvEvent;

static void stop_all(void);

static LvEvent *events;
static size_t n_events, cap_events;
static sd_bus_slot *event_slot;

typedef struct LvGuest {
	char *name;
	char *path;
	char *console_log;
	uint32_t id;
} LvGuest;

static void lv_swap(void);
static void stop_instance(void);

void libvirt_cleanup(void)
{
	if (L_other.root) {
		lv_swap();
		stop_instance();
		lv_swap();
	}
	if (L.root)
		stop_all();
}

void libvirt_emergency_cleanup(void)
{
	/* From a signal handler: kill(2) and rmdir(2) only. The guests'
	 * QEMUs name the harness's directory, and the harness kills them. */
	if (L.dbus > 0)
		kill(L.dbus, SIGKILL);
	if (L.libvirtd > 0)
		kill(L.libvirtd, SIGKILL);
	if (L.holder > 0)
		kill(L.holder, SIGKILL);
	if (L_other.libvirtd > 0)
		kill(L_other.libvirtd, SIGKILL);
	if (L_other.holder > 0)
		kill(L_other.holder, SIGKILL);
	for (size_t i = 0; i < L.n_created; i++)
		(void)rmdir(L.created[i]);
}

/* ---- the namespace and the daemons ---- */

static void write_text(const char *path, const char *text, bool append)
{
	FILE *f = fopen(path, append ? "ae" : "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		fail_msg("writing %s: %m", path);
}

/* TMP/<dir>: the directories bound over the host's, a copy of the host's
 * /etc/libvirt, and libvirtd.conf's host_uuid (libvirt refuses to
 * migrate to a host with its own UUID, and this machine has no DMI one). */
static void prepare_tree(const char *dir, const char *host_uuid)
{
	_cleanup_free_ char *cmd = NULL, *qemu_conf = NULL, *daemon_conf = NULL, *uuid_line = NULL;

	L.root = xasprintf("%s/%s", harness_tmpdir(), dir);
	if (mkdir(L.root, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %m", L.root);
	for (size_t i = 0; i < ELEMENTSOF(binds); i++) {
		_cleanup_free_ char *d = xasprintf("%s/%s", L.root, binds[i].dir);
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %m", d);
	}
	/* The packaged configuration, so that libvirtd runs as shipped. */
	cmd = xasprintf("cp -a /etc/libvirt/. '%s/etc/'", L.root);
	if (system(cmd) != 0)
		fail_msg("copying /etc/libvirt failed");
	qemu_conf = xasprintf("%s/etc/qemu.conf", L.root);
	write_text(qemu_conf,
		   "\n# zvirt-bench: the console logs are in a root-only directory; no virtlogd.\n"
		   "user = \"root\"\n"
		   "group = \"root\"\n"
		   "stdio_handler = \"file\"\n",
		   true);
	daemon_conf = xasprintf("%s/etc/libvirtd.conf", L.root);
	uuid_line = xasprintf(
		"\n# zvirt-bench: one UUID per libvirtd (the migration rows).\nhost_uuid = \"%s\"\n",
		host_uuid);
	write_text(daemon_conf, uuid_line, true);
	/* For looking into a libvirt figure: its debug log (slows it). */
	if (getenv("ZVIRT_BENCH_LIBVIRT_DEBUG")) {
		_cleanup_free_ char *conf = xasprintf("%s/etc/libvirtd.conf", L.root);
		write_text(conf,
			   "\nlog_filters = \"1:qemu 1:util.process 1:conf 3:util 3:rpc 3:object 3:event\"\n"
			   "log_outputs = \"1:file:/var/log/libvirt/libvirtd-debug.log\"\n",
			   true);
	}
}

/* Let root own org.libvirt on the private bus, and make dbus-daemon re-read. */
static void extend_bus_policy(void)
{
	_cleanup_free_ char *conf = xasprintf("%s/bus.conf", harness_tmpdir());
	_cleanup_free_ char *text = NULL, *patched = NULL;
	_cleanup_fclose_ FILE *f = fopen(conf, "re");
	size_t size = 0;
	char *end;

	if (!f || getdelim(&text, &size, '\0', f) < 0)
		fail_msg("reading %s: %m", conf);
	end = strstr(text, "</busconfig>");
	if (!end)
		fail_msg("%s has no </busconfig>", conf);
	*end = '\0';
	patched = xasprintf("%s"
			    "  <policy user=\"root\">\n"
			    "    <allow own=\"" LV_BUS "\"/>\n"
			    "    <allow send_destination=\"" LV_BUS "\"/>\n"
			    "  </policy>\n"
			    "</busconfig>\n",
			    text);
	write_text(conf, patched, false);
	sd_bus_message_unref(bench_call(NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					"org.freedesktop.DBus", "ReloadConfig", NULL));
}

/*
 * The holder: a child that makes the mount namespace, and in it starts
 * libvirtd and libvirt-dbus when asked (a program name on `cmd`, the pid
 * back on `reply`). It is also their reaper (PR_SET_CHILD_SUBREAPER): QEMU,
 * which libvirtd double-forks, becomes its child and is reaped the moment
 * it exits. Without that the orphaned QEMU would go to this machine's
 * PID 1, which may leave a zombie for seconds; libvirtd polls the pid with
 * kill(pid, 0) and waits for it, which a zombie satisfies, so Destroy and
 * Shutdown would be charged seconds that a host with a prompt init (any
 * systemd machine) never sees. zvirtd watches QEMU through a pidfd and is
 * not affected either way.
 */
static struct {
	int cmd, reply;
} Spawner = {-1, -1};

_Noreturn static void holder_main(int cmd, int reply, pid_t parent)
{
	sigset_t chld;
	int sfd;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		_exit(127);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(126);
	for (size_t i = 0; i < ELEMENTSOF(binds); i++) {
		char src[4096];
		snprintf(src, sizeof(src), "%s/%s", L.root, binds[i].dir);
		if (mount(src, binds[i].target, NULL, MS_BIND, NULL) < 0)
			_exit(125);
	}
	if (L.own_dir[0] && mount(L.own_dir, L.over_dir, NULL, MS_BIND, NULL) < 0)
		_exit(125);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC);
	if (sfd < 0)
		_exit(124);
	(void)!write(reply, "r", 1);

	for (;;) {
		struct pollfd p[2] = {{.fd = cmd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
		char req[256];
		ssize_t n;

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			(void)!read(sfd, &si, sizeof(si));
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		n = read(cmd, req, sizeof(req) - 1);
		if (n <= 0)
			_exit(0);
		req[n] = '\0';
		/* "<program>\t<argument or empty>\t<log file>" */
		char *arg = strchr(req, '\t'), *log = arg ? strchr(arg + 1, '\t') : NULL;
		if (!arg || !log)
			_exit(123);
		*arg++ = '\0';
		*log++ = '\0';
		pid_t pid = fork();
		if (pid == 0) {
			int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			sigset_t none;

			if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
				_exit(127);
			if (null_fd < 0 || log_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
			    dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
				_exit(125);
			signal(SIGPIPE, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			if (*arg)
				execl(req, req, arg, (char *)NULL);
			else
				execl(req, req, (char *)NULL);
			_exit(124);
		}
		int32_t v = pid;
		(void)!write(reply, &v, sizeof(v));
	}
}

static void start_holder(void)
{
	pid_t parent = getpid();
	int to[2], from[2];
	char c;

	for (size_t i = 0; i < ELEMENTSOF(binds); i++) {
		if (access(binds[i].target, F_OK) == 0)
			continue;
		if (mkdir(binds[i].target, 0755) < 0)
			fail_msg("mkdir %s: %m", binds[i].target);
		snprintf(L.created[L.n_created++], sizeof(L.created[0]), "%s", binds[i].target);
	}
	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
		fail_msg("pipe: %m");
	fflush(stdout);
	fflush(stderr);
	L.holder = fork();
	if (L.holder < 0)
		fail_msg("fork: %m");
	if (L.holder == 0) {
		close(to[1]);
		close(from[0]);
		holder_main(to[0], from[1], parent);
	}
	close(to[0]);
	close(from[1]);
	Spawner.cmd = to[1];
	Spawner.reply = from[0];
	if (read(Spawner.reply, &c, 1) != 1)
		fail_msg("could not set up the mount namespace for libvirtd");
}

/* Started by the holder, in the namespace; not our child, so waited for
 * through a pidfd. */
static pid_t spawn_in_ns(const char *program, const char *arg, const char *log_name)
{
	_cleanup_free_ char *req = xasprintf("%s\t%s\t%s/%s", program, arg ? arg : "", L.root, log_name);
	int32_t pid = 0;

	if (write(Spawner.cmd, req, strlen(req)) != (ssize_t)strlen(req) ||
	    read(Spawner.reply, &pid, sizeof(pid)) != sizeof(pid) || pid <= 0)
		fail_msg("the namespace holder could not start %s", program);
	return pid;
}

static bool pid_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

static bool socket_answers(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

static void start_libvirtd_with(const char *arg)
{
	_cleanup_free_ char *sock = xasprintf("%s/run/libvirt-sock", L.root);
	uint64_t t0 = now_ns();

	L.libvirtd = spawn_in_ns(LIBVIRTD, arg, "libvirtd.log");
	while (!socket_answers(sock)) {
		if (pid_gone(L.libvirtd)) {
			L.libvirtd = 0;
			fail_msg("libvirtd exited; see %s/libvirtd.log", L.root);
		}
		if (ms_since(t0) > ANSWER_TIMEOUT_MS)
			fail_msg("libvirtd did not listen within %d ms", ANSWER_TIMEOUT_MS);
		sleep_ms(1);
	}
}

static void start_libvirtd(void)
{
	start_libvirtd_with(NULL);
}

/* SIGTERM, and wait until the process is gone (the holder reaps it). */
static void stop_child(pid_t *pid, const char *what)
{
	_cleanup_close_ int fd = -1;

	if (*pid <= 0)
		return;
	fd = (int)syscall(SYS_pidfd_open, *pid, 0);
	(void)kill(*pid, SIGTERM);
	if (fd >= 0) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 15000) == 0) {
			progress("%s did not stop on SIGTERM; killing it", what);
			(void)kill(*pid, SIGKILL);
			(void)poll(&p, 1, 5000);
		}
	} else {
		for (uint64_t t0 = now_ns(); !pid_gone(*pid) && ms_since(t0) < 15000;)
			sleep_ms(1);
	}
	*pid = 0;
}

static void start_libvirt_dbus(void)
{
	uint64_t t0 = now_ns();

	L.dbus = spawn_in_ns(LIBVIRT_DBUS, "--system", "libvirt-dbus.log");
	while (harness_name_has_owner(B, LV_BUS) <= 0) {
		if (pid_gone(L.dbus)) {
			L.dbus = 0;
			fail_msg("libvirt-dbus exited; see %s/libvirt-dbus.log", L.root);
		}
		if (ms_since(t0) > ANSWER_TIMEOUT_MS)
			fail_msg("libvirt-dbus did not take %s within %d ms", LV_BUS, ANSWER_TIMEOUT_MS);
		sleep_ms(2);
	}
}

/* The daemons of L, its holder and its mount points. */
static void stop_instance(void)
{
	stop_child(&L.dbus, "libvirt-dbus");
	stop_child(&L.libvirtd, "libvirtd");
	if (L.holder > 0) {
		(void)kill(L.holder, SIGKILL);
		(void)waitpid(L.holder, NULL, 0);
		L.holder = 0;
	}
	if (Spawner.cmd >= 0)
		Spawner.cmd = (close(Spawner.cmd), -1);
	if (Spawner.reply >= 0)
		Spawner.reply = (close(Spawner.reply), -1);
	for (size_t i = 0; i < L.n_created; i++)
		(void)rmdir(L.created[i]);
	L.n_created = 0;
	free(L.root);
	L.root = NULL;
}

static void stop_all(void)
{
	stop_instance();
	event_slot = sd_bus_slot_unref(event_slot);
	for (size_t i = 0; i < n_events; i++)
		free(events[i].path);
	free(events);
	events = NULL;
	n_events = cap_events = 0;
	free(L.root);
	L.root = NULL;
}

/* ---- calls ---- */

static void lv_swap(void)
{
	__typeof__(L) l = L;
	__typeof__(Spawner) sp = Spawner;
	static __typeof__(Spawner) spawner_other = {-1, -1};

	L = L_other;
	L_other = l;
	Spawner = spawner_other;
	spawner_other = sp;
}

static int on_domain_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	uint64_t mono = now_ns();
	const char *path;
	int32_t event, detail;

	if (sd_bus_message_read(m, "oii", &path, &event, &detail) < 0)
		return 0;
	if (n_events == cap_events) {
		size_t cap = cap_events ? cap_events * 2 : 64;
		LvEvent *n = realloc(events, cap * sizeof(*n));
		if (!n)
			abort();
		events = n;
		cap_events = cap;
	}
	events[n_events++] =
		(LvEvent){.path = xstrdup(path), .event = event, .detail = detail, .mono_ns = mono};
	return 0;
}

typedef struct EventWait {
	size_t from;
	const char *path;
	int event, detail;
	const LvEvent *found;
} EventWait;

static bool event_arrived(void *userdata)
{
	EventWait *w = userdata;

	for (size_t i = w->from; i < n_events; i++)
		if (strcmp(events[i].path, w->path) == 0 && events[i].event == w->event &&
		    events[i].detail == w->detail) {
			w->found = &events[i];
			return true;
		}
	return false;
}

static bool nothing(void *userdata)
{
	return false;
}

/* Dispatch what has arrived: the index of the next event to come. */
static size_t event_mark(void)
{
	(void)bench_wait(nothing, NULL, 0, -1);
	return n_events;
}

static char *lv_define(const char *xml, double *ret_ms)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;

	reply = bench_call(ret_ms, LV_BUS, LV_PATH, LV_CONNECT, "DomainDefineXML", "s", xml);
	if (sd_bus_message_read(reply, "o", &path) < 0)
		fail_msg("DomainDefineXML: bad reply");
	return xstrdup(path);
}

static void lv_domain_call(double *ret_ms, const char *path, const char *method)
{
	/* Create, Destroy, Shutdown take flags; Suspend and Resume nothing. */
	if (strcmp(method, "Suspend") == 0 || strcmp(method, "Resume") == 0)
		sd_bus_message_unref(bench_call(ret_ms, LV_BUS, path, LV_DOMAIN, method, NULL));
	else
		sd_bus_message_unref(bench_call(ret_ms, LV_BUS, path, LV_DOMAIN, method, "u", 0));
}

static bool lv_active(const char *path)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int v = 0;

	if (sd_bus_get_property_trivial(B, LV_BUS, path, LV_DOMAIN, "Active", &error, 'b', &v) < 0)
		fail_msg("Get Active on %s: %s", path, error.message ?: "?");
	return v;
}

static uint32_t lv_id(const char *path)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	uint32_t v = 0;

	if (sd_bus_get_property_trivial(B, LV_BUS, path, LV_DOMAIN, "Id", &error, 'u', &v) < 0)
		fail_msg("Get Id on %s: %s", path, error.message ?: "?");
	return v;
}

static int lv_try(double *ret_ms, sd_bus_error *error, sd_bus_message **reply, const char *path,
		  const char *iface, const char *method, const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = bench_callv(error, reply, ret_ms, LV_BUS, path, iface, method, types, ap);
	va_end(ap);
	return r;
}

/* ListDomains: how many; -1 when libvirt-dbus cannot answer (yet) and
 * `must` is false. */
static int lv_list(double *ret_ms, bool must)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_strv_free_ char **paths = NULL;
	int n = 0, r;

	r = lv_try(ret_ms, &error, &reply, LV_PATH, LV_CONNECT, "ListDomains", "u", 0);
	if (r >= 0)
		r = sd_bus_message_read_strv(reply, &paths);
	if (r < 0) {
		if (must)
			fail_msg("libvirt ListDomains: %s", error.message ?: strerror(-r));
		return -1;
	}
	for (char **p = paths; p && *p; p++)
		n++;
	return n;
}

/*
 * The same XML the zvirtd rows use, as libvirt must have it: type 'qemu'.
 * And a word on the kernel command line naming the harness's directory
 * (the guest ignores it): libvirt hands QEMU its log files as descriptors,
 * so nothing else in QEMU's command line would let the harness, or run.sh
 * after a SIGKILL, find and kill these guests.
 */
static char *lv_xml(const char *xml)
{
	const char *p = strstr(xml, "type='kvm'"), *c;
	_cleanup_free_ char *typed = NULL;

	typed = p ? xasprintf("%.*stype='qemu'%s", (int)(p - xml), xml, p + strlen("type='kvm'"))
		  : xstrdup(xml);
	c = strstr(typed, "</cmdline>");
	if (!c)
		return TAKE_PTR(typed);
	return xasprintf("%.*s zvirt_bench=%s%s", (int)(c - typed), typed, harness_tmpdir(), c);
}

static double lv_rss(const char *what)
{
	Rss d = rss_of(L.libvirtd), b = rss_of(L.dbus);

	if (what)
		note("libvirt RSS %s: libvirtd %.1f MB (%.1f anonymous) + libvirt-dbus %.1f MB (%.1f "
		     "anonymous)",
		     what, d.total, d.anon, b.total, b.anon);
	return d.total + b.total;
}

static void wait_lv_ready(LvGuest *g)
{
	if (harness_wait_console_from(g->console_log, 0, READY_LINE, BOOT_TIMEOUT_MS, NULL) < 0)
		fail_msg("libvirt: %s did not boot", g->name);
}

static double lv_start(LvGuest *g)
{
	double ms;

	(void)unlink(g->console_log);
	lv_domain_call(&ms, g->path, "Create");
	if (!lv_active(g->path))
		fail_msg("libvirt: %s: Create returned, but it is not active", g->name);
	g->id = lv_id(g->path);
	return ms;
}

static void lv_destroy_all(LvGuest *g, size_t n)
{
	char *paths[N_GUESTS];
	size_t k = 0;

	for (size_t i = 0; i < n && k < ELEMENTSOF(paths); i++)
		if (lv_active(g[i].path))
			paths[k++] = g[i].path;
	if (k > 0)
		(void)call_all_v(LV_BUS, paths, k, LV_DOMAIN, "Destroy", "u", 0);
}

/* ---- the rows ---- */

static void lv_queries(const char *minimal)
{
	_cleanup_free_ char *dest = xstrdup(LV_BUS);
	double ms;

	progress("libvirt: ListDomains, GetAll, busctl");
	for (unsigned i = 0; i < 20; i++)
		(void)lv_list(NULL, true);
	for (unsigned i = 0; i < opt.list; i++) {
		int n = lv_list(&ms, true);
		if (n != N_DOMAINS)
			fail_msg("libvirt ListDomains returned %d domains, expected %d", n, N_DOMAINS);
		series_add(&rows[ROW_LIST].lv, ms);
	}
	for (unsigned i = 0; i < opt.getall + 20; i++) {
		sd_bus_message_unref(bench_call(&ms, LV_BUS, minimal, "org.freedesktop.DBus.Properties",
						"GetAll", "s", LV_DOMAIN));
		if (i >= 20)
			series_add(&rows[ROW_GETALL].lv, ms);
	}
	for (unsigned i = 0; i < opt.getall + 20; i++) {
		sd_bus_message_unref(
			bench_call(&ms, LV_BUS, LV_PATH, "org.freedesktop.DBus.Peer", "Ping", NULL));
		if (i >= 20)
			series_add(&rows[ROW_PING].lv, ms);
	}
	{
		char *ping[] = {"busctl", "call", dest, LV_PATH, "org.freedesktop.DBus.Peer", "Ping", NULL};
		char *list[] = {"busctl", "call", dest, LV_PATH, LV_CONNECT, "ListDomains", "u", "0", NULL};

		for (unsigned i = 0; i < 3; i++)
			(void)run_busctl(ping);
		for (unsigned i = 0; i < opt.busctl_floor; i++)
			series_add(&rows[ROW_BUSCTL_FLOOR].lv, run_busctl(ping));
		for (unsigned i = 0; i < opt.busctl; i++)
			series_add(&rows[ROW_LIST_BUSCTL].lv, run_busctl(list));
	}
}

static void lv_lifecycle(LvGuest *g)
{
	for (unsigned c = 0; c < opt.cycles; c++) {
		double ms;

		progress("libvirt: cycle %u/%u: Create %s", c + 1, opt.cycles, g->name);
		series_add(&rows[ROW_START].lv, lv_start(g));
		wait_lv_ready(g);
		for (unsigned i = 0; i < opt.suspend; i++) {
			uint64_t t0 = now_ns();
			lv_domain_call(NULL, g->path, "Suspend");
			lv_domain_call(NULL, g->path, "Resume");
			series_add(&rows[ROW_SUSPEND].lv, ms_since(t0));
		}
		if (c % 2 == 0) {
			lv_domain_call(&ms, g->path, "Destroy");
			series_add(&rows[ROW_DESTROY].lv, ms);
		} else {
			size_t mark = event_mark();
			uint64_t t0 = now_ns();
			EventWait w = {.from = mark,
				       .path = g->path,
				       .event = VIR_DOMAIN_EVENT_STOPPED,
				       .detail = VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN};

			lv_domain_call(NULL, g->path, "Shutdown");
			if (!bench_wait(event_arrived, &w, STATE_TIMEOUT_MS, -1))
				fail_msg("libvirt: %s did not stop within %d ms of Shutdown", g->name,
					 STATE_TIMEOUT_MS);
			series_add(&rows[ROW_SHUTDOWN].lv, ms_between(t0, w.found->mono_ns));
		}
		if (lv_active(g->path))
			fail_msg("libvirt: %s is still active", g->name);
	}
}

static void lv_concurrent(LvGuest *g)
{
	char *paths[N_GUESTS];

	for (size_t i = 0; i < N_GUESTS; i++)
		paths[i] = g[i].path;
	for (unsigned round = 0; round < opt.concurrent; round++) {
		double ms;

		progress("libvirt: 5 concurrent Creates, round %u/%u", round + 1, opt.concurrent);
		for (size_t i = 0; i < N_GUESTS; i++)
			(void)unlink(g[i].console_log);
		ms = call_all_v(LV_BUS, paths, N_GUESTS, LV_DOMAIN, "Create", "u", 0);
		for (size_t i = 0; i < N_GUESTS; i++)
			if (!lv_active(paths[i]))
				fail_msg("libvirt: %s: Create returned, but it is not active", g[i].name);
		series_add(&rows[ROW_CONCURRENT].lv, ms);
		lv_destroy_all(g, N_GUESTS);
		sleep_ms(500);
	}
}

/* SIGTERM libvirtd, start it again, until libvirt-dbus answers ListDomains
 * with every domain (it reconnects to libvirtd by itself on the next call;
 * until then calls fail, so poll every millisecond). */
static void lv_restart(LvGuest *g)
{
	unsigned ok = 0;

	progress("libvirt: restart with %d defined and %d running: booting the guests", N_DOMAINS, N_GUESTS);
	for (size_t i = 0; i < N_GUESTS; i++)
		(void)lv_start(&g[i]);
	for (size_t i = 0; i < N_GUESTS; i++)
		wait_lv_ready(&g[i]);

	for (unsigned k = 0; k < opt.restarts; k++) {
		uint64_t t0, t_stopped, t_answer;
		unsigned attached = 0;
		int n;

		progress("libvirt: restart %u/%u", k + 1, opt.restarts);
		sleep_ms(1000); /* as for zvirtd: no restart right on top of the last */
		t0 = now_ns();
		stop_child(&L.libvirtd, "libvirtd");
		t_stopped = now_ns();
		start_libvirtd();
		while ((n = lv_list(NULL, false)) != N_DOMAINS) {
			if (ms_since(t0) > ANSWER_TIMEOUT_MS)
				fail_msg("libvirt: no answer with %d domains within %d ms of the restart "
					 "(last: %d)",
					 N_DOMAINS, ANSWER_TIMEOUT_MS, n);
			sleep_ms(1);
		}
		t_answer = now_ns();
		series_add(&rows[ROW_RESTART].lv, ms_between(t0, t_answer));
		series_add(&rows[ROW_RESTART_START].lv, ms_between(t_stopped, t_answer));
		if (k == 0)
			series_add(&rows[ROW_RSS_RESTART].lv, lv_rss("after a restart"));
		for (size_t i = 0; i < N_GUESTS; i++)
			if (lv_active(g[i].path) && lv_id(g[i].path) == g[i].id)
				attached++;
		if (attached == N_GUESTS)
			ok++;
	}
	note("libvirt restart: from SIGTERM to libvirtd until libvirt-dbus answers ListDomains with all %d "
	     "domains (polled every ms); all %d guests still active with the same Id after %u of %u "
	     "restarts",
	     N_DOMAINS, N_GUESTS, ok, opt.restarts);
	lv_destroy_all(g, N_GUESTS);
}

/* The pty libvirt made for the guest's <console>: tty='...' in its live XML. */
static char *lv_console_pty(const char *path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *xml, *console, *tty;

	reply = bench_call(NULL, LV_BUS, path, LV_DOMAIN, "GetXMLDesc", "u", 0);
	if (sd_bus_message_read(reply, "s", &xml) < 0)
		fail_msg("libvirt GetXMLDesc: bad reply");
	console = strstr(xml, "<console type='pty'");
	tty = console ? strstr(console, "tty='") : NULL;
	if (!tty)
		fail_msg("libvirt: no console pty in the live XML of %s", path);
	tty += strlen("tty='");
	return xasprintf("%.*s", (int)strcspn(tty, "'"), tty);
}

/* QEMU's pid, from the pidfile libvirtd keeps in its run directory. */
static pid_t lv_qemu_pid(const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/run/qemu/%s.pid", L.root, name);
	_cleanup_free_ char *text = harness_read_file(path);
	long pid = strtol(text, NULL, 10);

	if (pid <= 0)
		fail_msg("libvirt: no pid in %s", path);
	return (pid_t)pid;
}

/* CoreDump (virDomainCoreDumpWithFormat) memory-only, raw format: QEMU's
 * dump-guest-memory in elf, as zvirtd's; call → return, the guest must
 * still run. Each file is removed once measured. */
static void lv_dump(LvGuest *g)
{
	for (unsigned r = 0; r < opt.saves; r++) {
		_cleanup_free_ char *file = dump_file("libvirt", r);
		double ms;

		progress("libvirt: CoreDump of %s, %u/%u", g->name, r + 1, opt.saves);
		sd_bus_message_unref(bench_call(&ms, LV_BUS, g->path, LV_DOMAIN, "CoreDump", "suu", file,
						VIR_DOMAIN_CORE_DUMP_FORMAT_RAW, VIR_DUMP_MEMORY_ONLY));
		series_add(&rows[ROW_DUMP].lv, ms);
		if (!lv_active(g->path))
			fail_msg("libvirt: %s: CoreDump returned, but it is not active", g->name);
		series_add(&rows[ROW_DUMP_SIZE].lv, file_mib(file));
		if (unlink(file) < 0)
			fail_msg("unlink %s: %m", file);
	}
}

/* The same guests and data as the zvirtd rows: boot, dirty, then
 * ManagedSave (answered once the image is written) and Create, which
 * restores it, `saves` times. */
static void lv_save(void)
{
	for (size_t k = 0; k < ELEMENTSOF(save_sizes); k++) {
		const SaveSize *z = &save_sizes[k];
		LvGuest g = {.name = xasprintf("lv-save-%u", z->mib)};
		_cleanup_free_ char *base = NULL, *sized = NULL, *xml = NULL, *pty = NULL, *image = NULL;

		g.console_log = harness_console_log(g.name);
		base = harness_guest_xml(g.name);
		sized = guest_xml_with_memory(base, z->mib);
		xml = lv_xml(sized);
		g.path = lv_define(xml, NULL);
		image = xasprintf("%s/lib/qemu/save/%s.save", L.root, g.name);

		progress("libvirt: ManagedSave: %s, booting and dirtying %u MiB", g.name, z->dirty_mib);
		(void)lv_start(&g);
		wait_lv_ready(&g);
		pty = lv_console_pty(g.path);
		guest_dirty(pty, lv_qemu_pid(g.name), z->dirty_mib);
		if (k == DUMP_SIZE)
			lv_dump(&g);
		for (unsigned r = 0; r < opt.saves; r++) {
			double ms;

			progress("libvirt: ManagedSave and Create of %s, %u/%u", g.name, r + 1, opt.saves);
			lv_domain_call(&ms, g.path, "ManagedSave");
			series_add(&rows[z->save].lv, ms);
			if (lv_active(g.path))
				fail_msg("libvirt: %s: ManagedSave returned, but it is active", g.name);
			series_add(&rows[z->size].lv, file_mib(image));
			if (r == 0)
				check_image("libvirt", z, file_mib(image));
			lv_domain_call(&ms, g.path, "Create");
			series_add(&rows[z->restore].lv, ms);
			if (!lv_active(g.path))
				fail_msg("libvirt: %s: Create returned, but it is not active", g.name);
			if (!file_goes(image, 5000))
				fail_msg("libvirt: %s: the image is still there 5 s after Create", g.name);
		}
		lv_destroy_all(&g, 1);
		lv_domain_call(NULL, g.path, "Undefine");
		free(g.name);
		free(g.path);
		free(g.console_log);
	}
	note("libvirt ManagedSave: call → return (libvirtd answers once the image is written); Create "
	     "restores it; the image is /var/lib/libvirt/qemu/save/<name>.save in its private state "
	     "directory. libvirt CoreDump: memory-only, raw (elf), call → return, into a new file in the "
	     "harness's directory. libvirt-dbus has no OpenConsole (org.libvirt.Domain offers "
	     "OpenGraphicsFD only)");
}

/* The same live attach and detach as zvirtd's rows, on the same guest
 * and image kind: AttachDevice / DetachDevice with
 * VIR_DOMAIN_AFFECT_LIVE (libvirtd answers a detach once QEMU's
 * DEVICE_DELETED came, or after 5 s). */
static void lv_hotplug(LvGuest *g)
{
	_cleanup_free_ char *image = hotplug_image("libvirt"), *xml = hotplug_disk_xml(image);
	_cleanup_free_ char *pty = NULL;
	GuestConsole *c;
	bool seen = true;

	progress("libvirt: disk hot-plug, %u rounds", opt.hotplug);
	(void)lv_start(g);
	wait_lv_ready(g);
	pty = lv_console_pty(g->path);
	c = guest_console_open(pty);
	for (unsigned r = 0; r < opt.hotplug; r++) {
		double ms;
		uint64_t t0;

		seen = seen && guest_waitblk_begin(c, true);
		t0 = now_ns();
		sd_bus_message_unref(bench_call(&ms, LV_BUS, g->path, LV_DOMAIN, "AttachDevice", "su", xml,
						VIR_DOMAIN_AFFECT_LIVE));
		series_add(&rows[ROW_ATTACH].lv, ms);
		if (seen)
			series_add(&rows[ROW_ATTACH_SEEN].lv, ms_between(t0, guest_waitblk_end(c, true)));
		else
			sleep_ms(1000);
		if (seen)
			(void)guest_waitblk_begin(c, false);
		t0 = now_ns();
		sd_bus_message_unref(bench_call(&ms, LV_BUS, g->path, LV_DOMAIN, "DetachDevice", "su", xml,
						VIR_DOMAIN_AFFECT_LIVE));
		series_add(&rows[ROW_DETACH].lv, ms);
		if (seen)
			series_add(&rows[ROW_DETACH_GONE].lv, ms_between(t0, guest_waitblk_end(c, false)));
		else
			sleep_ms(1000);
	}
	guest_console_close(c);
	lv_destroy_all(g, 1);
}

static void lv_nic_call(double *ret_ms, LvGuest *g, const char *method, const char *xml)
{
	sd_bus_message_unref(
		bench_call(ret_ms, LV_BUS, g->path, LV_DOMAIN, method, "su", xml, VIR_DOMAIN_AFFECT_LIVE));
}

/* One NIC's ping row through libvirt's NIC: plug, netup, pings, unplug. */
static void lv_nic_ping_row(LvGuest *g, GuestConsole *c, const char *xml, const char *mac, const char *addr,
			    const char *peer, RowId row)
{
	(void)guest_waitnic_begin(c, mac, true);
	lv_nic_call(NULL, g, "AttachDevice", xml);
	(void)guest_waitnic_end(c, mac, true);
	guest_nic_pings(c, mac, addr, peer, &rows[row].lv);
	(void)guest_waitnic_begin(c, mac, false);
	lv_nic_call(NULL, g, "DetachDevice", xml);
	(void)guest_waitnic_end(c, mac, false);
}

/* The same NIC rows as zvirtd's, with the same XML and peers (zvirtd's
 * guest is gone by now, and its links with it): AttachDevice /
 * DetachDevice with VIR_DOMAIN_AFFECT_LIVE (libvirtd makes the macvtap or
 * the tap itself, in the benchmark's network namespace, which it was
 * started in), the guest's waitnic and ping as for zvirtd. */
static void lv_nic(LvGuest *g)
{
	_cleanup_free_ char *direct = nic_direct_xml(), *bridge = nic_bridge_xml(), *pty = NULL;
	GuestConsole *c;

	progress("libvirt: NIC hot-plug, %u rounds, then the guest's pings", opt.hotplug);
	(void)lv_start(g);
	wait_lv_ready(g);
	pty = lv_console_pty(g->path);
	c = guest_console_open(pty);
	for (unsigned r = 0; r < opt.hotplug; r++) {
		double ms;
		uint64_t t0;

		(void)guest_waitnic_begin(c, NIC_MAC_DIRECT, true);
		t0 = now_ns();
		lv_nic_call(&ms, g, "AttachDevice", direct);
		series_add(&rows[ROW_NIC_ATTACH].lv, ms);
		series_add(&rows[ROW_NIC_ATTACH_SEEN].lv,
			   ms_between(t0, guest_waitnic_end(c, NIC_MAC_DIRECT, true)));
		(void)guest_waitnic_begin(c, NIC_MAC_DIRECT, false);
		t0 = now_ns();
		lv_nic_call(&ms, g, "DetachDevice", direct);
		series_add(&rows[ROW_NIC_DETACH].lv, ms);
		series_add(&rows[ROW_NIC_DETACH_GONE].lv,
			   ms_between(t0, guest_waitnic_end(c, NIC_MAC_DIRECT, false)));
	}
	lv_nic_ping_row(g, c, direct, NIC_MAC_DIRECT, NIC_DIRECT_GUEST, NIC_DIRECT_PEER,
			ROW_NIC_PING_DIRECT);
	lv_nic_ping_row(g, c, bridge, NIC_MAC_BRIDGE, NIC_BRIDGE_GUEST, NIC_BRIDGE_PEER,
			ROW_NIC_PING_BRIDGE);
	guest_console_close(c);
	lv_destroy_all(g, 1);
}

/* UpdateDevice with VIR_DOMAIN_AFFECT_CONFIG on a shut-off domain, the
 * same cache mode back and forth as zvirtd's row (libvirtd writes the
 * definition with fsync and rename). */
static void lv_update(void)
{
	_cleanup_free_ char *image = xasprintf("%s/lv-update.raw", harness_tmpdir());
	_cleanup_free_ char *base = harness_minimal_xml("lv-update", NULL);
	_cleanup_free_ char *none = update_disk_xml(image, "none"),
			    *wb = update_disk_xml(image, "writeback");
	_cleanup_free_ char *x = NULL, *xml = NULL, *path = NULL;
	const char *at = strstr(base, "    <memballoon");

	progress("libvirt: UpdateDevice, config only: %u calls", opt.update);
	harness_write_file(image, "");
	if (!at)
		fail_msg("the minimal XML has no <memballoon>");
	x = xasprintf("%.*s    %s\n%s", (int)(at - base), base, wb, at);
	xml = lv_xml(x);
	path = lv_define(xml, NULL);
	for (unsigned i = 0; i < opt.update + 5; i++) {
		double ms;
		sd_bus_message_unref(bench_call(&ms, LV_BUS, path, LV_DOMAIN, "UpdateDevice", "su",
						i % 2 ? wb : none, VIR_DOMAIN_AFFECT_CONFIG));
		if (i >= 5)
			series_add(&rows[ROW_UPDATE].lv, ms);
	}
	lv_domain_call(NULL, path, "Undefine");
}

/* SetVcpus (virDomainSetVcpusFlags) with VIR_DOMAIN_AFFECT_LIVE, +1 per
 * call on a guest of its own defined like zvirtd's (1 of 6 vCPUs), call
 * → return; then the guest's own `cpus online`, as for zvirtd. */
static void lv_vcpus(void)
{
	LvGuest g = {.name = xstrdup("lv-vcpus")};
	_cleanup_free_ char *x = vcpu_guest_xml(g.name), *xml = lv_xml(x), *pty = NULL;

	progress("libvirt: vCPU hot-plug, %d rounds", VCPU_ROUNDS);
	g.console_log = harness_console_log(g.name);
	g.path = lv_define(xml, NULL);
	(void)lv_start(&g);
	wait_lv_ready(&g);
	pty = lv_console_pty(g.path);
	for (unsigned k = 2; k <= VCPU_ROUNDS + 1; k++) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		double ms;

		if (lv_try(&ms, &error, &reply, g.path, LV_DOMAIN, "SetVcpus", "uu", k,
			   VIR_DOMAIN_AFFECT_LIVE) < 0) {
			note("libvirt SetVcpus %u live failed: %s: %s", k, error.name ?: "?",
			     error.message ?: "?");
			break;
		}
		series_add(&rows[ROW_VCPU_HOTPLUG].lv, ms);
		series_add(&rows[ROW_VCPU_ONLINE].lv, guest_cpus_online(g.name, pty, k));
	}
	lv_destroy_all(&g, 1);
	lv_domain_call(NULL, g.path, "Undefine");
	free(g.name);
	free(g.path);
	free(g.console_log);
}

/* The same live medium change as zvirtd's row: UpdateDevice
 * (virDomainUpdateDeviceFlags, what virsh change-media calls) with
 * VIR_DOMAIN_AFFECT_LIVE and the same cdrom XML, on a guest of its own
 * with the same controller and cdrom; the guest's readdev as for zvirtd. */
static void lv_media(void)
{
	LvGuest g = {.name = xstrdup("lv-media")};
	_cleanup_free_ char *a = medium_file("libvirt-a", MEDIUM_TEXT_A),
			    *b = medium_file("libvirt-b", MEDIUM_TEXT_B);
	_cleanup_free_ char *x = media_guest_xml(g.name, a), *xml = lv_xml(x), *pty = NULL;
	GuestConsole *c;

	progress("libvirt: media change, %u rounds", opt.hotplug);
	g.console_log = harness_console_log(g.name);
	g.path = lv_define(xml, NULL);
	(void)lv_start(&g);
	wait_lv_ready(&g);
	pty = lv_console_pty(g.path);
	c = guest_console_open(pty);
	(void)guest_reads_medium(c, MEDIUM_TEXT_A, NULL);
	for (unsigned r = 0; r < opt.hotplug; r++) {
		const char *next = r % 2 ? a : b, *text = r % 2 ? MEDIUM_TEXT_A : MEDIUM_TEXT_B;
		_cleanup_free_ char *cd = cdrom_xml(next);
		double ms, step;
		uint64_t t0;

		(void)guest_reads_medium(c, r % 2 ? MEDIUM_TEXT_B : MEDIUM_TEXT_A, &step);
		series_add(&rows[ROW_MEDIA_READ].lv, step);
		t0 = now_ns();
		sd_bus_message_unref(bench_call(&ms, LV_BUS, g.path, LV_DOMAIN, "UpdateDevice", "su", cd,
						VIR_DOMAIN_AFFECT_LIVE));
		series_add(&rows[ROW_MEDIA].lv, ms);
		series_add(&rows[ROW_MEDIA_SEEN].lv, ms_between(t0, guest_reads_medium(c, text, NULL)));
	}
	guest_console_close(c);
	lv_destroy_all(&g, 1);
	lv_domain_call(NULL, g.path, "Undefine");
	free(g.name);
	free(g.path);
	free(g.console_log);
}

/* ---- live migration: a second libvirtd, virsh migrate ---- */

/*
 * virsh with its arguments (NULL-terminated), as a child: its exit status;
 * what it printed (stdout and stderr) in *ret_out if not NULL; fork → reaped
 * in *ret_ms if not NULL.
 */
static int virsh(char **ret_out, double *ret_ms, const char *uri, ...)
{
	const char *argv[32] = {VIRSH, "-q", "-c", uri};
	size_t n = 4, len = 0;
	char *out = NULL, buf[4096];
	uint64_t t0;
	int fds[2], status = 0;
	ssize_t k;
	va_list ap;
	pid_t pid;

	va_start(ap, uri);
	while (n < ELEMENTSOF(argv) - 1 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0)
		fail_msg("pipe: %m");
	fflush(stdout);
	fflush(stderr);
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %m");
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0 ||
		    dup2(fds[1], STDERR_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execv(VIRSH, (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((k = read(fds[0], buf, sizeof(buf))) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		char *o = realloc(out, len + (size_t)k + 1);
		if (!o)
			abort();
		out = o;
		memcpy(out + len, buf, (size_t)k);
		len += (size_t)k;
		out[len] = '\0';
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret_ms)
		*ret_ms = ms_since(t0);
	if (ret_out)
		*ret_out = out ? out : xstrdup("");
	else
		free(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* virsh that must succeed; what it printed, to free. */
#define virsh_ok(uri, ...)                                                            \
	({                                                                            \
		char *_out = NULL;                                                    \
		if (virsh(&_out, NULL, uri, __VA_ARGS__, (const char *)NULL) != 0)    \
			fail_msg("libvirt: virsh %s failed: %s", #__VA_ARGS__, _out); \
		_out;                                                                 \
	})

/* The "Total downtime: N ms" of `virsh domjobinfo --completed`, or NAN. */
static double lv_downtime(const char *uri, const char *name)
{
	_cleanup_free_ char *out = NULL;
	const char *p;

	if (virsh(&out, NULL, uri, "domjobinfo", "--completed", name, (const char *)NULL) != 0)
		return NAN;
	p = strstr(out, "Total downtime:");
	return p ? strtod(p + strlen("Total downtime:"), NULL) : NAN;
}

static pid_t lv_qemu_pid_in(const char *root, const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/run/qemu/%s.pid", root, name);
	_cleanup_free_ char *text = harness_read_file(path);
	long pid = text ? strtol(text, NULL, 10) : 0;

	if (pid <= 0)
		fail_msg("libvirt: no pid in %s", path);
	return (pid_t)pid;
}

/*
 * The copy-storage-all row's libvirt column: the same guest with its
 * 1 GiB qcow2 disk (the second libvirtd sees its own image, created
 * beforehand as libvirt wants it), `virsh migrate --live
 * --copy-storage-all`, rounds alternating. libvirt runs its own NBD
 * server on the destination and a drive-mirror on the source, as zvirtd.
 */
static void libvirt_migrate_copy(const char *const uri[2], const char *const incoming[2])
{
	const MigCase *c = &mig_copy_case;
	_cleanup_free_ char *sized = mig_copy_guest_xml("lv-mig-copy");
	_cleanup_free_ char *xml = lv_xml(sized);
	_cleanup_free_ char *file = xasprintf("%s/lv-mig-copy.xml", L.root);
	_cleanup_free_ char *log = harness_console_log("lv-mig-copy");
	size_t at = 0;

	write_text(file, xml, false);
	free(virsh_ok(uri[0], "define", file));
	(void)unlink(log);
	progress("libvirt: live migration: lv-mig-copy, booting");
	free(virsh_ok(uri[0], "start", "lv-mig-copy"));
	if (harness_wait_console_from(log, 0, READY_LINE, BOOT_TIMEOUT_MS, NULL) < 0)
		fail_msg("libvirt: lv-mig-copy did not boot");
	for (unsigned r = 0; r < opt.migrations; r++) {
		_cleanup_free_ char *out = NULL;
		double ms, down;

		progress("libvirt: live migration of lv-mig-copy (%u MiB, copy-storage-all), %u/%u", c->mib,
			 r + 1, opt.migrations);
		if (virsh(&out, &ms, uri[at], "migrate", "--live", "--copy-storage-all", "lv-mig-copy",
			  uri[1 - at], "--migrateuri", incoming[1 - at], (const char *)NULL) != 0)
			fail_msg("libvirt: virsh migrate --copy-storage-all failed: %s", out);
		series_add(&rows[c->time].lv, ms);
		down = lv_downtime(uri[1 - at], "lv-mig-copy");
		if (isnan(down))
			down = lv_downtime(uri[at], "lv-mig-copy");
		if (!isnan(down))
			series_add(&rows[c->down].lv, down);
		progress("  libvirt: %.1f ms, its downtime %.0f ms", ms, down);
		at = 1 - at;
		sleep_ms(200);
	}
	free(virsh_ok(uri[at], "destroy", "lv-mig-copy"));
	free(virsh_ok(uri[0], "undefine", "lv-mig-copy"));
	(void)unlink(file);
	mig_copy_compare("libvirt");
}

/*
 * The migration rows' libvirt column: a second libvirtd (no libvirt-dbus)
 * in a mount namespace of its own beside the one phase_libvirt() started,
 * each with its own host_uuid; one guest per size defined on the first,
 * then `virsh migrate --live DOM <the other's uri> --migrateuri
 * tcp://127.0.0.3` (back: 127.0.0.2), with --bandwidth 100 for the capped
 * rows and --auto-converge for the dirtying guest, rounds alternating as
 * zvirtd's. virsh drives the migration itself (not --p2p) and exits once
 * the destination's Finish has resumed the guest and the source's Confirm
 * returned: the figure is fork → virsh reaped, its start-up included (the
 * floor, `virsh uri`, is in the notes). Downtime: libvirt's own "Total
 * downtime" of `virsh domjobinfo --completed` on the destination.
 */
void libvirt_migrate(void)
{
	_cleanup_free_ char *uri0 = NULL, *uri1 = NULL, *root0 = NULL, *root1 = NULL;
	const char *uri[2], *root[2];
	const char *incoming[2] = {"tcp://127.0.0.2", "tcp://127.0.0.3"};
	Series floor = {};

	if (access(VIRSH, X_OK) < 0) {
		note("libvirt, live migration: not measured, %s is missing (tests/bench/run.sh "
		     "--with-libvirt "
		     "installs libvirt-clients)",
		     VIRSH);
		return;
	}
	uri0 = xasprintf("qemu+unix:///system?socket=%s/run/libvirt-sock", L.root);
	root0 = xstrdup(L.root);
	progress("libvirt: a second libvirtd for the migration rows");
	lv_swap();
	prepare_tree("libvirt-peer", LV_PEER_HOST_UUID);
	/* Both libvirtd share this host's cgroup tree, and each names a
	 * guest's cgroup machine/qemu-<id>-<name>: with the same name and
	 * ids counting alike, the destination's QEMU joined the source's
	 * cgroup, whose removal then failed (EBUSY) for libvirt's 1 s of
	 * retries in every migration away from the first. The second makes
	 * no cgroups. */
	{
		_cleanup_free_ char *qemu_conf = xasprintf("%s/etc/qemu.conf", L.root);
		write_text(
			qemu_conf,
			"\n# zvirt-bench: no cgroups (see libvirt_migrate()).\ncgroup_controllers = [ ]\n",
			true);
	}
	/* The copy-storage row's images, before the namespace binds them:
	 * the second libvirtd sees its own at the same path. */
	mig_copy_images();
	{
		_cleanup_free_ char *own = mig_copy_peer_dir(), *over = mig_copy_dir();
		snprintf(L.own_dir, sizeof(L.own_dir), "%s", own);
		snprintf(L.over_dir, sizeof(L.over_dir), "%s", over);
	}
	start_holder();
	/* Its pid file where the first one's is not: /run is the host's. */
	start_libvirtd_with("--pid-file=/run/libvirt/libvirtd.pid");
	uri1 = xasprintf("qemu+unix:///system?socket=%s/run/libvirt-sock", L.root);
	root1 = xstrdup(L.root);
	lv_swap();
	uri[0] = uri0;
	uri[1] = uri1;
	root[0] = root0;
	root[1] = root1;

	for (unsigned i = 0; i < 5; i++) {
		double ms;
		if (virsh(NULL, &ms, uri[0], "uri", (const char *)NULL) != 0)
			fail_msg("libvirt: virsh cannot reach %s", uri[0]);
		series_add(&floor, ms);
	}

	for (size_t k = 0; k < N_MIG_SIZES; k++) {
		_cleanup_free_ char *name = xasprintf("lv-mig-%u", mig_sizes[k]);
		_cleanup_free_ char *log = harness_console_log(name);
		_cleanup_free_ char *base = harness_guest_xml(name);
		_cleanup_free_ char *sized = guest_xml_with_memory(base, mig_sizes[k]);
		_cleanup_free_ char *xml = lv_xml(sized);
		_cleanup_free_ char *file = xasprintf("%s/%s.xml", root[0], name);
		size_t at = 0;

		write_text(file, xml, false);
		free(virsh_ok(uri[0], "define", file));
		(void)unlink(log);
		progress("libvirt: live migration: %s, booting", name);
		free(virsh_ok(uri[0], "start", name));
		if (harness_wait_console_from(log, 0, READY_LINE, BOOT_TIMEOUT_MS, NULL) < 0)
			fail_msg("libvirt: %s did not boot", name);

		for (size_t i = 0; i < N_MIG_CASES; i++) {
			const MigCase *c = &mig_cases[i];

			if (c->mib != mig_sizes[k])
				continue;
			if (c->dirty) {
				_cleanup_free_ char *pty = virsh_ok(uri[at], "ttyconsole", name);
				pty[strcspn(pty, "\n")] = '\0';
				progress("libvirt: %s dirties %u MiB", name, MIG_DIRTY_MIB);
				mig_start_dirtying(pty, lv_qemu_pid_in(root[at], name), MIG_DIRTY_MIB);
			}
			for (unsigned r = 0; r < opt.migrations; r++) {
				_cleanup_free_ char *out = NULL;
				double ms, down;
				int rc;

				progress("libvirt: live migration of %s (%u MiB%s%s), %u/%u", name, c->mib,
					 c->cap_mibps ? ", 100 MiB/s cap" : "",
					 c->dirty ? ", dirtying, auto-converge" : "", r + 1, opt.migrations);
				if (c->cap_mibps)
					rc = virsh(&out, &ms, uri[at], "migrate", "--live", "--bandwidth",
						   "100", name, uri[1 - at], "--migrateuri",
						   incoming[1 - at], (const char *)NULL);
				else if (c->dirty)
					rc = virsh(&out, &ms, uri[at], "migrate", "--live",
						   "--auto-converge", name, uri[1 - at], "--migrateuri",
						   incoming[1 - at], (const char *)NULL);
				else
					rc = virsh(&out, &ms, uri[at], "migrate", "--live", name,
						   uri[1 - at], "--migrateuri", incoming[1 - at],
						   (const char *)NULL);
				if (rc != 0)
					fail_msg("libvirt: virsh migrate of %s failed (%d): %s", name, rc,
						 out);
				series_add(&rows[c->time].lv, ms);
				down = lv_downtime(uri[1 - at], name);
				if (isnan(down))
					down = lv_downtime(uri[at], name);
				if (!isnan(down))
					series_add(&rows[c->down].lv, down);
				progress("  libvirt: %.1f ms, its downtime %.0f ms", ms, down);
				at = 1 - at;
				sleep_ms(200);
			}
		}
		free(virsh_ok(uri[at], "destroy", name));
		free(virsh_ok(uri[0], "undefine", name));
		(void)unlink(file);
	}
	libvirt_migrate_copy(uri, incoming);

	lv_swap();
	stop_instance();
	lv_swap();
	note("libvirt, live migration: the second libvirtd makes no cgroups (qemu.conf cgroup_controllers "
	     "empty): with the first's, a guest's cgroup of the same name and id stayed busy and its "
	     "removal cost libvirt 1 s of retries in each migration away from the first");
	note("libvirt, live migration: two libvirtd in mount namespaces of their own (host_uuid differs), "
	     "virsh migrate --live between their qemu+unix sockets with --migrateuri tcp://127.0.0.3 "
	     "(back: 127.0.0.2); the figure is virsh's run, fork → reaped (it returns once the "
	     "destination runs the guest); virsh alone (`virsh uri`) takes %.1f ms here; downtime is "
	     "libvirt's Total downtime (domjobinfo --completed)",
	     series_median(&floor));
	free(floor.v);
}

void phase_libvirt(void)
{
	LvGuest g[N_GUESTS] = {};
	_cleanup_free_ char *minimal = NULL;
	int r;

	if (access(LIBVIRTD, X_OK) < 0 || access(LIBVIRT_DBUS, X_OK) < 0) {
		note("--with-libvirt: %s or %s is missing (tests/bench/run.sh --with-libvirt installs them)",
		     LIBVIRTD, LIBVIRT_DBUS);
		return;
	}
	progress("libvirt: starting libvirtd and libvirt-dbus in a private mount namespace");
	prepare_tree("libvirt", LV_HOST_UUID);
	extend_bus_policy();
	start_holder();
	start_libvirtd();
	start_libvirt_dbus();
	r = sd_bus_add_match(B, &event_slot,
			     "type='signal',interface='" LV_CONNECT "',member='DomainEvent',path='" LV_PATH
			     "'",
			     on_domain_event, NULL);
	if (r < 0)
		fail_msg("cannot add the DomainEvent match: %s", strerror(-r));

	/* The first define makes libvirtd probe QEMU's capabilities (once,
	 * then cached); that is not Define's cost. */
	{
		_cleanup_free_ char *x = harness_minimal_xml("lv-warmup", NULL);
		_cleanup_free_ char *xml = lv_xml(x);
		_cleanup_free_ char *path = lv_define(xml, NULL);
		lv_domain_call(NULL, path, "Undefine");
	}

	if (opt.only_migrate) {
		libvirt_migrate();
		goto done;
	}
	if (opt.only_nic) {
		/* --only nic: one guest of the same XML, the NIC rows. */
		_cleanup_free_ char *x = NULL, *xml = NULL;

		g[0].name = xstrdup("lv-guest-0");
		g[0].console_log = harness_console_log(g[0].name);
		x = harness_guest_xml(g[0].name);
		xml = lv_xml(x);
		g[0].path = lv_define(xml, NULL);
		lv_nic(&g[0]);
		goto done;
	}

	progress("libvirt: defining %d domains", N_DOMAINS);
	for (size_t i = 0; i < N_GUESTS; i++) {
		_cleanup_free_ char *x = NULL, *xml = NULL;
		double ms;

		g[i].name = xasprintf("lv-guest-%zu", i);
		g[i].console_log = harness_console_log(g[i].name);
		x = harness_guest_xml(g[i].name);
		xml = lv_xml(x);
		g[i].path = lv_define(xml, &ms);
		series_add(&rows[ROW_DEFINE].lv, ms);
	}
	for (unsigned i = N_GUESTS; i < N_DOMAINS; i++) {
		_cleanup_free_ char *name = xasprintf("lv-%05u", i);
		_cleanup_free_ char *x = harness_minimal_xml(name, NULL);
		_cleanup_free_ char *xml = lv_xml(x);
		_cleanup_free_ char *path = NULL;
		double ms;

		path = lv_define(xml, &ms);
		series_add(&rows[ROW_DEFINE].lv, ms);
		if (!minimal)
			minimal = TAKE_PTR(path);
	}
	(void)harness_flush_signals();

	lv_queries(minimal);
	series_add(&rows[ROW_RSS].lv, lv_rss("with 1000 defined"));
	lv_lifecycle(&g[0]);
	lv_concurrent(g);
	lv_restart(g);
	lv_save();
	lv_vcpus();
	lv_hotplug(&g[0]);
	lv_nic(&g[0]);
	lv_media();
	lv_update();
	libvirt_migrate();

done:
	stop_all();
	for (size_t i = 0; i < N_GUESTS; i++) {
		free(g[i].name);
		free(g[i].path);
		free(g[i].console_log);
	}
	note("libvirt: libvirtd %s and libvirt-dbus as packaged, system instance as root in a private mount "
	     "namespace on the same bus; domain type 'qemu', QEMU as root, its output to a file (no "
	     "virtlogd)",
	     "9.0");
}
