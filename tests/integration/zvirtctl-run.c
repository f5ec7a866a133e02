/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "zvirtctl-run.h"

#define RUN_TIMEOUT_MS 180000

void run_done(Run *r)
{
	free(r->out);
	free(r->err);
}

const char *binary(void)
{
	const char *b = getenv("ZVIRTCTL_BINARY");
	assert_non_null(b);
	return b;
}

const char *address(void)
{
	const char *a = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	assert_non_null(a);
	return a;
}

int open_capture(const char *name)
{
	_cleanup_free_ char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", harness_tmpdir(), name) > 0);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	return fd;
}

char *read_capture(int fd)
{
	size_t size = 0, len = 0;
	char *text = NULL;
	ssize_t n;

	assert_true(lseek(fd, 0, SEEK_SET) == 0);
	do {
		if (size - len < 4096) {
			size = size ? size * 2 : 8192;
			text = realloc(text, size);
			assert_non_null(text);
		}
		n = read(fd, text + len, size - len - 1);
		assert_true(n >= 0);
		len += (size_t)n;
	} while (n > 0);
	text[len] = 0;
	return text;
}

/* Forks zvirtctl with argv (NULL-terminated, without the binary) and
 * stdout/stderr into the given fds; with `connect`, -c ADDRESS first;
 * as nobody when told. */
pid_t spawn_prog(const char *prog, bool nobody, bool connect, int out, int err, const char *const *argv)
{
	const char *args[64];
	size_t n = 0;

	args[n++] = prog;
	if (connect) {
		args[n++] = "-c";
		args[n++] = address();
	}
	for (; *argv; argv++) {
		assert_true(n < ELEMENTSOF(args) - 1);
		args[n++] = *argv;
	}
	args[n] = NULL;

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(120);
		if (nobody && (setgroups(0, NULL) < 0 || setgid(HARNESS_NOBODY_UID) < 0 ||
			       setuid(HARNESS_NOBODY_UID) < 0))
			_exit(121);
		execv(args[0], (char *const *)args);
		_exit(122);
	}
	return pid;
}

pid_t spawn(bool nobody, bool connect, int out, int err, const char *const *argv)
{
	return spawn_prog(binary(), nobody, connect, out, err, argv);
}

int wait_exit(pid_t pid, int timeout_ms)
{
	struct timespec start, now;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		assert_true(r >= 0);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
		    timeout_ms) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		usleep(20 * 1000);
	}
}

Run run_argv_within(const char *prog, bool nobody, bool connect, const char *const *argv, int timeout_ms)
{
	_cleanup_close_ int out = open_capture("zvirtctl.out");
	_cleanup_close_ int err = open_capture("zvirtctl.err");
	pid_t pid = spawn_prog(prog, nobody, connect, out, err, argv);
	Run r = {.code = wait_exit(pid, timeout_ms)};

	r.out = read_capture(out);
	r.err = read_capture(err);
	if (r.code == -ETIMEDOUT)
		fail_msg("%s %s ... did not finish", prog, argv[0] ? argv[0] : "");
	return r;
}

Run run_argv_full(const char *prog, bool nobody, bool connect, const char *const *argv)
{
	return run_argv_within(prog, nobody, connect, argv, RUN_TIMEOUT_MS);
}

Run run_argv(bool nobody, bool connect, const char *const *argv)
{
	return run_argv_full(binary(), nobody, connect, argv);
}

Run run_argv_prog(bool nobody, const char *prog, const char *const *argv)
{
	return run_argv_full(prog, nobody, false, argv);
}

/* Asserting: exit 0 and nothing on stderr; returns stdout. */
char *ok_argv(const char *const *argv)
{
	_cleanup_(run_done) Run r = run_argv(false, true, argv);
	if (r.code != 0 || *r.err)
		fail_msg("zvirtctl %s %s exited %d: %s%s", argv[0], argv[1] ? argv[1] : "", r.code, r.err,
			 r.out);
	return TAKE_PTR(r.out);
}

/* Asserting: exit code `code` and exactly one "error: NAME: ..." line on stderr. */
void expect_fail(const Run *r, int code, const char *error_name)
{
	_cleanup_free_ char *prefix = NULL;
	assert_true(asprintf(&prefix, "error: %s: ", error_name) > 0);
	if (r->code != code || strncmp(r->err, prefix, strlen(prefix)) != 0)
		fail_msg("expected exit %d with '%s...', got %d: %s", code, prefix, r->code, r->err);
	if (*r->out)
		fail_msg("a failure printed on stdout: %s", r->out);
}

json_object *parse_json(const char *text)
{
	json_object *o = json_tokener_parse(text);
	if (!o)
		fail_msg("not JSON: %s", text);
	return o;
}

json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no key '%s' in %s", key, json_object_to_json_string(o));
	return v;
}

const char *member_string(json_object *o, const char *key)
{
	json_object *v = member(o, key);
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

void assert_contains(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("'%s' not in:\n%s", needle, text);
}

char *write_tmp(const char *name, const char *text)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", harness_tmpdir(), name) > 0);
	harness_write_file(path, text);
	return path;
}

sd_bus *monitor_open(const char *rule)
{
	sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	assert_return_code(sd_bus_new(&bus), 0);
	assert_return_code(sd_bus_set_address(bus, address()), 0);
	assert_return_code(sd_bus_set_bus_client(bus, true), 0);
	assert_return_code(sd_bus_set_monitor(bus, true), 0);
	assert_return_code(sd_bus_start(bus), 0);
	assert_return_code(
		sd_bus_message_new_method_call(bus, &m, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					       "org.freedesktop.DBus.Monitoring", "BecomeMonitor"),
		0);
	assert_return_code(sd_bus_message_append(m, "as", 1, rule), 0);
	assert_return_code(sd_bus_message_append(m, "u", 0), 0);
	if (sd_bus_call(bus, m, 0, &error, NULL) < 0)
		fail_msg("BecomeMonitor: %s: %s", error.name, error.message);
	return bus;
}

Listener listen_start(const char *name, const char *const *argv)
{
	_cleanup_free_ char *out = NULL, *err = NULL;
	assert_true(asprintf(&out, "%s.out", name) > 0 && asprintf(&err, "%s.err", name) > 0);
	Listener l = {.out = open_capture(out), .err = open_capture(err)};
	l.pid = spawn(false, true, l.out, l.err, argv);
	return l;
}

Run listen_end(Listener *l, bool stop)
{
	if (stop)
		assert_return_code(kill(l->pid, SIGTERM), 0);
	Run r = {.code = wait_exit(l->pid, 30000)};
	r.out = read_capture(l->out);
	r.err = read_capture(l->err);
	close(l->out);
	close(l->err);
	return r;
}

void monitor_wait_member(sd_bus *bus, const char *member)
{
	_cleanup_free_ char *want = NULL;
	time_t deadline = time(NULL) + 30;

	assert_true(asprintf(&want, "member='%s'", member) > 0);
	for (;;) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
		const char *rule;
		int r = sd_bus_process(bus, &m);

		assert_true(r >= 0);
		if (m && sd_bus_message_is_method_call(m, "org.freedesktop.DBus", "AddMatch") &&
		    sd_bus_message_read(m, "s", &rule) > 0 && strstr(rule, want))
			return;
		if (r > 0 || m)
			continue;
		if (time(NULL) > deadline)
			fail_msg("no AddMatch for %s", member);
		(void)sd_bus_wait(bus, 1000 * 1000);
	}
}

char *bus_socket_path(const char *address)
{
	const char *p = strstr(address, "unix:path=");
	assert_non_null(p);
	p += strlen("unix:path=");
	char *path = strndup(p, strcspn(p, ","));
	assert_non_null(path);
	return path;
}

/* args[0] with args (NULL-terminated) on the terminal. */
void pty_exec(Pty *p, const char *const *args)
{
	struct winsize ws = {.ws_row = 24, .ws_col = 120};
	fflush(stdout);
	fflush(stderr);
	p->len = 0;
	p->pid = forkpty(&p->fd, NULL, NULL, &ws);
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		execv(args[0], (char *const *)args);
		_exit(127);
	}
}

/* zvirtctl -c ADDRESS with argv. */
void pty_start(Pty *p, const char *const *argv)
{
	const char *args[32] = {binary(), "-c", address()};
	size_t n = 3;
	for (; *argv; argv++) {
		assert_true(n < ELEMENTSOF(args) - 1);
		args[n++] = *argv;
	}
	args[n] = NULL;
	pty_exec(p, args);
}

/* Until `needle` comes after offset `from`; the offset after it. */
size_t pty_expect(Pty *p, size_t from, const char *needle, int timeout_ms)
{
	for (int64_t deadline = harness_now_ms() + timeout_ms;;) {
		p->buf[p->len] = '\0';
		const char *at = strstr(p->buf + from, needle);
		if (at)
			return (size_t)(at - p->buf) + strlen(needle);
		int64_t left = deadline - harness_now_ms();
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		if (left <= 0 || p->len >= sizeof(p->buf) - 1 || poll(&pfd, 1, (int)left) <= 0)
			fail_msg("no '%s' on the terminal after offset %zu:\n%s", needle, from, p->buf);
		ssize_t r = read(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		if (r <= 0)
			fail_msg("the terminal closed before '%s':\n%s", needle, p->buf);
		p->len += (size_t)r;
	}
}

/* Until the program turned the terminal's echo off, as a password
 * prompt does (TCSAFLUSH: what was typed before is dropped). The
 * master's termios are the terminal's. */
void pty_wait_no_echo(Pty *p)
{
	for (int64_t deadline = harness_now_ms() + 30000; harness_now_ms() < deadline;
	     harness_sleep_ms(10)) {
		struct termios t;
		assert_return_code(tcgetattr(p->fd, &t), errno);
		if (!(t.c_lflag & ECHO))
			return;
	}
	fail_msg("the terminal's echo stayed on:\n%.*s", (int)p->len, p->buf);
}

void pty_type(Pty *p, const char *keys)
{
	assert_int_equal(write(p->fd, keys, strlen(keys)), (ssize_t)strlen(keys));
}

/* Its exit status, what is left read. */
int pty_end(Pty *p)
{
	int status = wait_exit(p->pid, 60000);
	for (ssize_t r; p->len < sizeof(p->buf) - 1 &&
			(r = read(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len)) > 0;)
		p->len += (size_t)r;
	p->buf[p->len] = '\0';
	close(p->fd);
	return status;
}
