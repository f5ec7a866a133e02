/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Open vSwitch ports through ovs-vsctl (ovs.h): spawned without a shell,
 * its output read and its exit awaited with a deadline. */
#include "ovs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

#define OVS_VSCTL        "ovs-vsctl"
#define OVS_TIMEOUT_ARG  "--timeout=5"
#define OVS_STDERR_MAX   4096
#define OVS_STDOUT_MAX   (1024 * 1024)
#define OVS_VLAN_TAG_MAX 4095
#define OVS_NAME_MAX     15 /* IFNAMSIZ - 1: a kernel link name */
#define OVS_IFACE_ID_MAX 64
#define OVS_REAP_POLL_NS 1000000L

extern char **environ;

static atomic_uint wait_ms_override;

void host_ovs_set_wait_ms(unsigned ms)
{
	atomic_store(&wait_ms_override, ms);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- what may be passed on ---- */

/* A link name as the kernel takes it, and nothing ovs-vsctl could read
 * as an option or as more than one word. */
static bool valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > OVS_NAME_MAX || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return true;
}

static bool valid_mac(const char *s)
{
	if (!s || strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool valid_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* An interfaceid is a UUID in libvirt; OVN's are free text, so any one
 * word without the characters ovsdb's syntax gives a meaning to. */
static bool valid_iface_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > OVS_IFACE_ID_MAX || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-:", *p))
			return false;
	return true;
}

/* ---- running ovs-vsctl ---- */

typedef struct OvsOutput {
	char *text;
	size_t len;
	size_t max;
	bool eof;
} OvsOutput;

/* Reads what there is; beyond max the rest is drained and dropped. */
static int read_some(int fd, OvsOutput *o)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0) {
		o->eof = true;
		return 0;
	}
	size_t keep = o->len + (size_t)n > o->max ? o->max - o->len : (size_t)n;
	if (keep == 0)
		return 0;
	char *t = realloc(o->text, o->len + keep + 1);
	if (!t)
		return -ENOMEM;
	memcpy(t + o->len, buf, keep);
	o->len += keep;
	t[o->len] = 0;
	o->text = t;
	return 0;
}

/* ovs-vsctl's last words, one line, for a message. */
static const char *stderr_words(OvsOutput *e)
{
	if (!e->text || e->len == 0)
		return "no message";
	while (e->len > 0 && isspace((unsigned char)e->text[e->len - 1]))
		e->text[--e->len] = 0;
	for (char *p = e->text; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return e->text;
}

static void kill_and_reap(pid_t pid)
{
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Whether name is an executable on PATH, as posix_spawnp would look.
 * Asked first: posix_spawnp's own -ENOENT does not always come back (a
 * fork-based fallback, as under valgrind, reports a child exiting 127). */
static bool on_path(const char *name)
{
	const char *path = getenv("PATH") ?: "/bin:/usr/bin";
	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	for (const char *p = path;;) {
		size_t len = strcspn(p, ":");
		char full[PATH_MAX];
		if (snprintf(full, sizeof(full), "%.*s/%s", (int)len, len ? p : ".", name) <
			    (int)sizeof(full) &&
		    access(full, X_OK) == 0)
			return true;
		if (!p[len])
			return false;
		p += len + 1;
	}
}

static int spawn_vsctl(char *const argv[], int out_fd, int err_fd, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int r;

	if (!on_path(argv[0]))
		return -ENOENT;
	r = posix_spawn_file_actions_init(&fa);
	if (r != 0)
		return -r;
	r = posix_spawnattr_init(&attr);
	if (r != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -r;
	}
	/* The loop's blocked SIGCHLD and an ignored SIGPIPE must not reach
	 * ovs-vsctl, nor any fd of the daemon but the two pipes. */
	sigemptyset(&none);
	sigfillset(&all);
	r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
	if (r == 0)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	if (r == 0)
		r = posix_spawnattr_setsigmask(&attr, &none);
	if (r == 0)
		r = posix_spawnattr_setsigdefault(&attr, &all);
	if (r == 0)
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (r == 0)
		r = posix_spawnp(ret_pid, argv[0], &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

static void close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

/* Runs ovs-vsctl with args (argv[0] is OVS_VSCTL) and waits. 0 with its
 * exit status in *ret_status (a status in ok_mask, bit per code, is no
 * failure); stdout in *ret_stdout when not NULL. `what` says what it was
 * for in a message: "Cannot <what>: <ovs-vsctl's stderr>". */
static int run_vsctl(char *const argv[], unsigned ok_mask, int *ret_status, char **ret_stdout, ZvError *err,
		     const char *what)
{
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	OvsOutput out = {.max = OVS_STDOUT_MAX}, errout = {.max = OVS_STDERR_MAX};
	pid_t pid;
	int status = 0, r;

	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		r = -errno;
		close_pair(outp);
		close_pair(errp);
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot %s: no pipe for ovs-vsctl: %s", what,
				    strerror(-r));
	}
	r = spawn_vsctl(argv, outp[1], errp[1], &pid);
	close(outp[1]);
	close(errp[1]);
	_cleanup_close_ int out_fd = outp[0], err_fd = errp[0];
	if (r == -ENOENT)
		return zv_error_set(err, ZV_ERROR_HOST, ENOENT,
				    "Open vSwitch is not installed (no ovs-vsctl)");
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot %s: cannot run ovs-vsctl: %s", what,
				    strerror(-r));

	unsigned wait_ms = atomic_load(&wait_ms_override) ?: HOST_OVS_WAIT_MS;
	int64_t deadline = now_ms() + wait_ms;
	while (!out.eof || !errout.eof) {
		struct pollfd p[2] = {
			{.fd = out.eof ? -1 : out_fd, .events = POLLIN},
			{.fd = errout.eof ? -1 : err_fd, .events = POLLIN},
		};
		int64_t left = deadline - now_ms();
		if (left <= 0)
			goto timeout;
		int n = poll(p, 2, (int)left);
		if (n < 0 && errno != EINTR) {
			r = -errno;
			kill_and_reap(pid);
			return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot %s: %s", what, strerror(-r));
		}
		if (n <= 0)
			continue;
		r = 0;
		if (p[0].revents)
			r = read_some(out_fd, &out);
		if (r >= 0 && p[1].revents)
			r = read_some(err_fd, &errout);
		if (r < 0) {
			kill_and_reap(pid);
			free(out.text);
			free(errout.text);
			return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot %s: reading ovs-vsctl: %s", what,
					    strerror(-r));
		}
	}
	/* Both pipes closed: it is exiting, or has (it forks nothing). */
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			r = -errno;
			free(out.text);
			free(errout.text);
			return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot %s: waiting for ovs-vsctl: %s",
					    what, strerror(-r));
		}
		if (now_ms() >= deadline)
			goto timeout;
		struct timespec ts = {0, OVS_REAP_POLL_NS};
		nanosleep(&ts, NULL);
	}

	if (WIFSIGNALED(status)) {
		r = zv_error_set(err, ZV_ERROR_HOST, EIO, "Cannot %s: ovs-vsctl was killed by signal %s",
				 what, strsignal(WTERMSIG(status)));
		goto out;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
	if (code != 0 && !(code < 32 && (ok_mask & (1u << code)))) {
		r = zv_error_set(err, ZV_ERROR_HOST, EIO, "Cannot %s: %s (exit status %d)", what,
				 stderr_words(&errout), code);
		goto out;
	}
	*ret_status = code;
	if (ret_stdout) {
		*ret_stdout = out.text ? out.text : strdup("");
		out.text = NULL;
		if (!*ret_stdout) {
			r = zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
			goto out;
		}
	}
	r = 0;
out:
	free(out.text);
	free(errout.text);
	return r;

timeout:
	kill_and_reap(pid);
	free(out.text);
	free(errout.text);
	return zv_error_set(err, ZV_ERROR_HOST, ETIMEDOUT,
			    "Cannot %s: ovs-vsctl did not finish within %u ms (is ovs-vswitchd running?)",
			    what, wait_ms);
}

/* ---- the calls ---- */

int host_ovs_add_port(const char *bridge, const char *ifname, const char *mac, const char *iface_id,
		      const char *vm_uuid, unsigned vlan_tag, ZvError *err)
{
	if (!valid_name(bridge))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Invalid Open vSwitch bridge name '%s'", bridge ?: "");
	if (!valid_name(ifname))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Invalid interface name '%s'",
				    ifname ?: "");
	if (!valid_mac(mac))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Invalid MAC address '%s' (want xx:xx:xx:xx:xx:xx)", mac ?: "");
	if (!valid_iface_id(iface_id))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Invalid Open vSwitch interface id '%s'", iface_id ?: "");
	if (!valid_uuid(vm_uuid))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Invalid domain UUID '%s'",
				    vm_uuid ?: "");
	if (vlan_tag > OVS_VLAN_TAG_MAX)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Invalid VLAN tag %u (1-%u, or none)", vlan_tag, OVS_VLAN_TAG_MAX);

	_cleanup_free_ char *tag = NULL, *mac_id = NULL, *iface = NULL, *vm = NULL;
	if ((vlan_tag > 0 && asprintf(&tag, "tag=%u", vlan_tag) < 0) ||
	    asprintf(&mac_id, "external-ids:attached-mac=%s", mac) < 0 ||
	    asprintf(&iface, "external-ids:iface-id=%s", iface_id) < 0 ||
	    asprintf(&vm, "external-ids:vm-id=%s", vm_uuid) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");

	/* tag is a column of the Port, which add-port takes after the
	 * names; the marks are the Interface's. */
	const char *argv[20];
	size_t n = 0;
	argv[n++] = OVS_VSCTL;
	argv[n++] = OVS_TIMEOUT_ARG;
	argv[n++] = "--";
	argv[n++] = "--may-exist";
	argv[n++] = "add-port";
	argv[n++] = bridge;
	argv[n++] = ifname;
	if (tag)
		argv[n++] = tag;
	argv[n++] = "--";
	argv[n++] = "set";
	argv[n++] = "Interface";
	argv[n++] = ifname;
	argv[n++] = mac_id;
	argv[n++] = iface;
	argv[n++] = "external-ids:iface-status=active";
	argv[n++] = vm;
	argv[n] = NULL;

	_cleanup_free_ char *what = NULL;
	if (asprintf(&what, "add port %s to Open vSwitch bridge %s", ifname, bridge) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	int status;
	return run_vsctl((char *const *)argv, 0, &status, NULL, err, what);
}

int host_ovs_del_port(const char *ifname, ZvError *err)
{
	if (!valid_name(ifname))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Invalid interface name '%s'",
				    ifname ?: "");
	const char *argv[] = {OVS_VSCTL, OVS_TIMEOUT_ARG, "--", "--if-exists", "del-port", ifname, NULL};
	_cleanup_free_ char *what = NULL;
	if (asprintf(&what, "remove Open vSwitch port %s", ifname) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	int status;
	return run_vsctl((char *const *)argv, 0, &status, NULL, err, what);
}

int host_ovs_bridge_exists(const char *bridge, ZvError *err)
{
	if (!valid_name(bridge))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Invalid Open vSwitch bridge name '%s'", bridge ?: "");
	const char *argv[] = {OVS_VSCTL, OVS_TIMEOUT_ARG, "br-exists", bridge, NULL};
	_cleanup_free_ char *what = NULL;
	if (asprintf(&what, "look up Open vSwitch bridge %s", bridge) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	int status;
	/* Exit status 2: no such bridge. */
	int r = run_vsctl((char *const *)argv, 1u << 2, &status, NULL, err, what);
	if (r < 0)
		return r;
	return status == 0;
}

int host_ovs_vm_ports(const char *vm_uuid, char ***ret_ifnames, ZvError *err)
{
	if (!valid_uuid(vm_uuid))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Invalid domain UUID '%s'",
				    vm_uuid ?: "");
	_cleanup_free_ char *match = NULL, *what = NULL, *out = NULL;
	if (asprintf(&match, "external-ids:vm-id=%s", vm_uuid) < 0 ||
	    asprintf(&what, "list the Open vSwitch ports of domain %s", vm_uuid) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	const char *argv[] = {
		OVS_VSCTL,        OVS_TIMEOUT_ARG, "--format=csv", "--data=bare", "--no-headings",
		"--columns=name", "find",          "Interface",    match,         NULL};
	int status;
	int r = run_vsctl((char *const *)argv, 0, &status, &out, err, what);
	if (r < 0)
		return r;

	size_t n = 0, lines = 1;
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	_cleanup_strv_free_ char **names = calloc(lines + 1, sizeof(char *));
	if (!names)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(l);
		while (len > 0 && isspace((unsigned char)l[len - 1]))
			l[--len] = 0;
		if (len == 0)
			continue;
		names[n] = strdup(l);
		if (!names[n])
			return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		n++;
	}
	*ret_ifnames = TAKE_PTR(names);
	return 0;
}
