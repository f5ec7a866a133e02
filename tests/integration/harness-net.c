/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The networking bench of the harness (harness.h, "networking"): peer
 * namespaces joined by veth pairs, the list of links for leak checks, a
 * private Open vSwitch (ovsdb-server and a userspace-datapath
 * ovs-vswitchd on a database in TMP/ovs).
 *
 * Peer namespaces are named zvirt-it-<pid>-<name>, as TMP is, so that a
 * later run can tell whose they were.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define NETNS_DIR      "/run/netns"
#define NETNS_PREFIX   "zvirt-it-"
#define MAX_PEERS      16
#define NETNS_GONE_MS  10000
#define OVS_SCHEMA     "/usr/share/openvswitch/vswitch.ovsschema"
#define OVS_START_MS   15000
#define OVS_STOP_MS    5000
#define CMD_OUTPUT_MAX 65536

static struct {
	char *peers[MAX_PEERS];
	char *peer_links[MAX_PEERS]; /* the veth end here */
	size_t n_peers;
	char *ovs_dir;
	pid_t ovsdb_pid;
	pid_t vswitchd_pid;
} N;

/* Runs argv, its stdout (and stderr unless only_stdout: then that is
 * ours) into a pipe; 0 if it exited 0, and what it printed in
 * *ret_output (may be NULL). On failure prints the command and its
 * output: -EIO (or -errno). */
static int run_capture(const char *const argv[], bool only_stdout, char **ret_output)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0 ||
		    (!only_stdout && dup2(p[1], STDERR_FILENO) < 0))
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %m\n", argv[0]);
		_exit(127);
	}
	close(p[1]);
	char *out = calloc(1, CMD_OUTPUT_MAX + 1);
	size_t len = 0;
	ssize_t n;
	while (out && len < CMD_OUTPUT_MAX &&
	       ((n = read(p[0], out + len, CMD_OUTPUT_MAX - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(p[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!out)
		return -ENOMEM;
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!ok) {
		fprintf(stderr, "harness:");
		for (size_t i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, ": failed (status 0x%x): %s\n", (unsigned)status, out);
		free(out);
		return -EIO;
	}
	if (ret_output)
		*ret_output = out;
	else
		free(out);
	return 0;
}

static int run(const char *const argv[])
{
	return run_capture(argv, false, NULL);
}

/* ---- peer namespaces ---- */

/* What `ip netns delete` does, without forking: usable at any time. */
static void netns_delete(const char *full)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), NETNS_DIR "/%s", full);
	(void)umount2(path, MNT_DETACH);
	(void)unlink(path);
}

/* Peer namespaces of harnesses that no longer run. */
static void netns_cleanup_stale(void)
{
	DIR *d = opendir(NETNS_DIR);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, NETNS_PREFIX, strlen(NETNS_PREFIX)) != 0)
			continue;
		long owner = strtol(de->d_name + strlen(NETNS_PREFIX), NULL, 10);
		if (owner > 0 && owner != getpid() && !harness_pid_alive((pid_t)owner))
			netns_delete(de->d_name);
	}
	if (d)
		closedir(d);
}

char *harness_netns_name(const char *name)
{
	char *full;
	if (asprintf(&full, NETNS_PREFIX "%d-%s", (int)getpid(), name) < 0)
		abort();
	return full;
}

int harness_netns_peer(const char *name, const char *ifname_here, const char *ifname_there,
		       const char *addr_there)
{
	int r;

	if (N.n_peers >= MAX_PEERS)
		return -ENOSPC;
	netns_cleanup_stale();
	char *full = harness_netns_name(name);
	const char *add[] = {"ip", "netns", "add", full, NULL};
	r = run(add);
	if (r < 0) {
		free(full);
		return r;
	}
	N.peer_links[N.n_peers] = strdup(ifname_here);
	N.peers[N.n_peers++] = full;

	const char *veth[] = {"ip",   "link", "add",        ifname_here, "type", "veth",
			      "peer", "name", ifname_there, "netns",     full,   NULL};
	const char *lo[] = {"ip", "-n", full, "link", "set", "lo", "up", NULL};
	const char *addr[] = {"ip", "-n", full, "addr", "add", addr_there, "dev", ifname_there, NULL};
	const char *up_there[] = {"ip", "-n", full, "link", "set", ifname_there, "up", NULL};
	const char *up_here[] = {"ip", "link", "set", ifname_here, "up", NULL};
	const char *const *steps[] = {veth, lo, addr, up_there, up_here};
	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		r = run(steps[i]);
		if (r < 0)
			return r; /* harness_netns_cleanup() removes what was made */
	}
	return 0;
}

int harness_netns_pair(const char *name_a, const char *addr_a, const char *name_b, const char *addr_b)
{
	if (N.n_peers + 2 > MAX_PEERS)
		return -ENOSPC;
	netns_cleanup_stale();
	const char *names[] = {name_a, name_b};
	char *full[2];
	for (size_t i = 0; i < 2; i++) {
		full[i] = harness_netns_name(names[i]);
		const char *add[] = {"ip", "netns", "add", full[i], NULL};
		int r = run(add);
		if (r < 0) {
			free(full[i]);
			return r;
		}
		N.peer_links[N.n_peers] = NULL; /* both ends go with the namespaces */
		N.peers[N.n_peers++] = full[i];
	}
	const char *veth[] = {"ip",   "-n",   full[0], "link", "add",   "eth0",  "type",
			      "veth", "peer", "name",  "eth0", "netns", full[1], NULL};
	int r = run(veth);
	if (r < 0)
		return r;
	const char *addrs[] = {addr_a, addr_b};
	for (size_t i = 0; i < 2; i++) {
		const char *lo[] = {"ip", "-n", full[i], "link", "set", "lo", "up", NULL};
		const char *addr[] = {"ip", "-n", full[i], "addr", "add", addrs[i], "dev", "eth0", NULL};
		const char *up[] = {"ip", "-n", full[i], "link", "set", "eth0", "up", NULL};
		const char *const *steps[] = {lo, addr, up};
		for (size_t j = 0; j < ELEMENTSOF(steps); j++) {
			r = run(steps[j]);
			if (r < 0)
				return r; /* harness_netns_cleanup() removes what was made */
		}
	}
	return 0;
}

void harness_netns_cleanup(void)
{
	/* A veth pair goes with the namespace of either end, once the
	 * kernel has dismantled it (a moment after its last reference). */
	for (size_t i = 0; i < N.n_peers; i++)
		netns_delete(N.peers[i]);
	for (size_t i = 0; i < N.n_peers; i++) {
		for (int64_t deadline = harness_now_ms() + NETNS_GONE_MS;
		     N.peer_links[i] && if_nametoindex(N.peer_links[i]) > 0;) {
			if (harness_now_ms() >= deadline) {
				fprintf(stderr, "harness: %s still here %d ms after its peer namespace %s\n",
					N.peer_links[i], NETNS_GONE_MS, N.peers[i]);
				break;
			}
			harness_sleep_ms(5);
		}
		free(N.peers[i]);
		free(N.peer_links[i]);
		N.peers[i] = N.peer_links[i] = NULL;
	}
	N.n_peers = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "2: veth0@if3: <...> ...\    link/ether ...\    veth addrgenmode ..."
 * -> "veth0 veth": the kind is the first word of the third part, where
 * `ip -d` shows one (lo and physical links have none: "-"). */
static char *link_line(char *line)
{
	char *parts[4] = {};
	size_t n = 0;
	for (char *p = line; n < ELEMENTSOF(parts) && p;) {
		parts[n++] = p;
		p = strchr(p, '\\');
		if (p)
			*p++ = 0;
	}
	char *name = strchr(parts[0], ' ');
	if (!name)
		return NULL;
	name++;
	name[strcspn(name, "@: ")] = 0;
	char kind[32] = "-";
	for (size_t i = 2; i < n; i++) {
		char word[32] = "";
		if (sscanf(parts[i], " %31s", word) == 1 && strcmp(word, "altname") != 0) {
			snprintf(kind, sizeof(kind), "%s", word);
			break;
		}
	}
	char *s;
	if (asprintf(&s, "%s %s\n", name, kind) < 0)
		abort();
	return s;
}

char *harness_host_links(void)
{
	const char *argv[] = {"ip", "-o", "-d", "link", "show", NULL};
	_cleanup_free_ char *out = NULL;
	char *lines[1024];
	size_t n = 0;

	/* Its complaints (a veth whose peer's namespace is going away) are
	 * not links. */
	if (run_capture(argv, true, &out) < 0)
		return NULL;
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l && n < ELEMENTSOF(lines);
	     l = strtok_r(NULL, "\n", &save)) {
		char *s = link_line(l);
		if (s)
			lines[n++] = s;
	}
	qsort(lines, n, sizeof(lines[0]), cmp_str);
	size_t total = 1;
	for (size_t i = 0; i < n; i++)
		total += strlen(lines[i]);
	char *text = calloc(1, total);
	if (!text)
		abort();
	for (size_t i = 0; i < n; i++) {
		strcat(text, lines[i]);
		free(lines[i]);
	}
	return text;
}

/* ---- Open vSwitch ---- */

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH") ?: "/usr/bin:/bin";
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		abort();
	for (char *save = NULL, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", d, prog);
		if (access(p, X_OK) == 0)
			return true;
	}
	/* Debian keeps ovsdb-server and ovs-vswitchd in /usr/sbin, which
	 * a plain user's PATH lacks. */
	char p[256];
	snprintf(p, sizeof(p), "/usr/sbin/%s", prog);
	return access(p, X_OK) == 0;
}

/* A daemon of the bench, in the foreground, dying with the harness. */
static int spawn_daemon(const char *const argv[], const char *log_path, pid_t *ret_pid)
{
	pid_t parent = getpid();
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(127);
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (null_fd < 0 || log_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
		    dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %m\n", argv[0]);
		_exit(127);
	}
	*ret_pid = pid;
	return 0;
}

/* Waits for our child to end, SIGKILL after timeout_ms. */
static void reap(pid_t *pid, int timeout_ms)
{
	if (*pid <= 0)
		return;
	for (int64_t deadline = harness_now_ms() + timeout_ms;;) {
		pid_t r = waitpid(*pid, NULL, WNOHANG);
		if (r == *pid || (r < 0 && errno != EINTR))
			break;
		if (harness_now_ms() >= deadline) {
			(void)kill(*pid, SIGKILL);
			(void)waitpid(*pid, NULL, 0);
			break;
		}
		harness_sleep_ms(5);
	}
	*pid = 0;
}

static bool child_running(pid_t pid)
{
	return pid > 0 && waitpid(pid, NULL, WNOHANG) == 0;
}

static int wait_for_socket(const char *path, pid_t pid, const char *what)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (int64_t deadline = harness_now_ms() + OVS_START_MS;;) {
		_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return 0;
		if (!child_running(pid)) {
			fprintf(stderr, "harness: %s exited before %s appeared\n", what, path);
			return -ESRCH;
		}
		if (harness_now_ms() >= deadline) {
			fprintf(stderr, "harness: %s did not open %s within %d ms\n", what, path,
				OVS_START_MS);
			return -ETIMEDOUT;
		}
		harness_sleep_ms(10);
	}
}

static char *ovs_path(const char *file)
{
	char *p;
	if (asprintf(&p, "%s/%s", N.ovs_dir, file) < 0)
		abort();
	return p;
}

static int ovs_start(void)
{
	_cleanup_free_ char *db = ovs_path("conf.db"), *sock = ovs_path("db.sock"), *remote = NULL,
			    *db_ctl = ovs_path("ovsdb-server.ctl"), *sw_ctl = ovs_path("ovs-vswitchd.ctl"),
			    *db_unixctl = NULL, *sw_unixctl = NULL, *db_log = ovs_path("ovsdb-server.log"),
			    *sw_log = ovs_path("ovs-vswitchd.log"), *target = NULL, *db_logfile = NULL,
			    *sw_logfile = NULL;
	if (asprintf(&remote, "--remote=punix:%s", sock) < 0 ||
	    asprintf(&db_unixctl, "--unixctl=%s", db_ctl) < 0 ||
	    asprintf(&sw_unixctl, "--unixctl=%s", sw_ctl) < 0 || asprintf(&target, "unix:%s", sock) < 0 ||
	    asprintf(&db_logfile, "--log-file=%s", db_log) < 0 ||
	    asprintf(&sw_logfile, "--log-file=%s", sw_log) < 0)
		abort();
	int r;

	const char *create[] = {"ovsdb-tool", "create", db, OVS_SCHEMA, NULL};
	r = run(create);
	if (r < 0)
		return r;
	const char *server[] = {"ovsdb-server", db, remote, "--pidfile", db_unixctl, db_logfile, NULL};
	r = spawn_daemon(server, db_log, &N.ovsdb_pid);
	if (r < 0)
		return r;
	r = wait_for_socket(sock, N.ovsdb_pid, "ovsdb-server");
	if (r < 0)
		return r;
	const char *init[] = {"ovs-vsctl", "--no-wait", "init", NULL};
	r = run(init);
	if (r < 0)
		return r;
	/* netdev bridges only: no kernel datapath module here. */
	const char *vswitchd[] = {"ovs-vswitchd", target, "--pidfile", sw_unixctl, sw_logfile, NULL};
	r = spawn_daemon(vswitchd, sw_log, &N.vswitchd_pid);
	if (r < 0)
		return r;
	r = wait_for_socket(sw_ctl, N.vswitchd_pid, "ovs-vswitchd");
	if (r < 0)
		return r;
	/* Without --no-wait ovs-vsctl waits until ovs-vswitchd has applied
	 * the database: it is then ready. */
	const char *sync[] = {"ovs-vsctl", "--timeout=10", "init", NULL};
	return run(sync);
}

int harness_ovs_start(void)
{
	static const char *const progs[] = {"ovsdb-tool", "ovsdb-server", "ovs-vsctl", "ovs-vswitchd",
					    "ovs-appctl"};
	const char *tmp = harness_tmpdir();

	if (!tmp)
		return -EINVAL;
	if (N.ovs_dir)
		return -EBUSY;
	for (size_t i = 0; i < ELEMENTSOF(progs); i++)
		if (!on_path(progs[i])) {
			fprintf(stderr,
				"harness: Open vSwitch is not installed (no %s; Debian's "
				"openvswitch-switch, "
				"tools/install-deps.sh installs it)\n",
				progs[i]);
			return -EOPNOTSUPP;
		}
	if (access(OVS_SCHEMA, R_OK) < 0) {
		fprintf(stderr, "harness: Open vSwitch is not installed (no %s)\n", OVS_SCHEMA);
		return -EOPNOTSUPP;
	}
	/* /usr/sbin for ovsdb-server and ovs-vswitchd, whatever PATH says. */
	const char *path = getenv("PATH") ?: "/usr/bin:/bin";
	if (!strstr(path, "/usr/sbin")) {
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s:/usr/sbin", path) < 0)
			abort();
		setenv("PATH", p, 1);
	}

	if (asprintf(&N.ovs_dir, "%s/ovs", tmp) < 0)
		abort();
	if (mkdir(N.ovs_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	/* Where every Open vSwitch program, ours and the daemon's ovs-vsctl
	 * included, looks for the database socket, pid files and logs. */
	setenv("OVS_RUNDIR", N.ovs_dir, 1);
	setenv("OVS_DBDIR", N.ovs_dir, 1);
	setenv("OVS_LOGDIR", N.ovs_dir, 1);

	int r = ovs_start();
	if (r < 0) {
		harness_ovs_stop();
		return r;
	}
	/* A daemon that runs already has the old environment. */
	if (harness_daemon_pid() > 0) {
		r = harness_restart_daemon();
		if (r < 0)
			return r;
	}
	return 0;
}

int harness_ovs_add_bridge(const char *br)
{
	const char *argv[] = {"ovs-vsctl", "--timeout=10",         "add-br", br, "--", "set", "bridge",
			      br,          "datapath_type=netdev", NULL};
	return run(argv);
}

void harness_ovs_stop(void)
{
	if (!N.ovs_dir)
		return;
	if (child_running(N.vswitchd_pid)) {
		/* --cleanup: the bridges' tap devices go too. */
		_cleanup_free_ char *ctl = ovs_path("ovs-vswitchd.ctl");
		const char *argv[] = {"ovs-appctl", "-t", ctl, "exit", "--cleanup", NULL};
		if (run(argv) < 0)
			(void)kill(N.vswitchd_pid, SIGTERM);
	}
	reap(&N.vswitchd_pid, OVS_STOP_MS);
	if (N.ovsdb_pid > 0)
		(void)kill(N.ovsdb_pid, SIGTERM);
	reap(&N.ovsdb_pid, OVS_STOP_MS);
	unsetenv("OVS_RUNDIR");
	unsetenv("OVS_DBDIR");
	unsetenv("OVS_LOGDIR");
	free(N.ovs_dir);
	N.ovs_dir = NULL;
}

/* From the harness's signal handler: no forks, no waits. */
void harness_net_emergency(void)
{
	if (N.vswitchd_pid > 0)
		(void)kill(N.vswitchd_pid, SIGKILL);
	if (N.ovsdb_pid > 0)
		(void)kill(N.ovsdb_pid, SIGKILL);
	for (size_t i = 0; i < N.n_peers; i++)
		netns_delete(N.peers[i]);
}
