/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU's log (LogDir/NAME.log) and the default console log
 * (LogDir/NAME.console) are written by a log pump per domain: they stay
 * within LogLimit= and ConsoleLimit= with at most three backups, keep
 * being written while the daemon is killed and restarted, carry QEMU's
 * own message into a failed start across rotations, and no pump is left
 * once a domain has stopped. A domain named "x.console" has files of its
 * own, apart from x's.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define LIMIT      4096
#define MAX_PUMPS  16
#define LOG_SUFFIX ".log"

static const char *const backups[] = {"", ".0", ".1", ".2"};

/* The tiny limits of this test, once: ReloadConfig applies them to every
 * start from then on. */
static void use_small_limits(void)
{
	_cleanup_free_ char *conf = NULL;
	assert_true(asprintf(&conf, "%s/zvirtd.conf", harness_tmpdir()) > 0);
	_cleanup_free_ char *text = harness_read_file(conf);
	if (strstr(text, "ConsoleLimit="))
		return;
	_cleanup_free_ char *more = NULL;
	assert_true(asprintf(&more, "%s\n[Hypervisor]\nConsoleLimit=4K\nLogLimit=4K\n", text) > 0);
	harness_write_file(conf, more);
	sd_bus_message_unref(
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));
}

static char *log_file(const char *name, const char *kind, const char *backup)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s%s%s", harness_log_dir(), name, kind, backup) > 0);
	return p;
}

/* The test guest with the default console log (no <log> of its own) and
 * without "quiet": the kernel's boot messages fill a few files. */
static char *guest_xml(const char *name)
{
	_cleanup_free_ char *xml = harness_guest_xml(name);
	char *log = strstr(xml, "      <log file=");
	assert_non_null(log);
	char *end = strchr(log, '\n');
	memmove(log, end + 1, strlen(end + 1) + 1);
	char *quiet = strstr(xml, " quiet</cmdline>");
	assert_non_null(quiet);
	memmove(quiet, quiet + strlen(" quiet"), strlen(quiet + strlen(" quiet")) + 1);
	return TAKE_PTR(xml);
}

/* All kept files of a log, oldest first, as one text. */
static char *read_all(const char *name, const char *kind)
{
	size_t cap = 1, len = 0;
	char *all = calloc(1, 1);
	assert_non_null(all);
	for (size_t i = ELEMENTSOF(backups); i-- > 0;) {
		_cleanup_free_ char *p = log_file(name, kind, backups[i]);
		/* The pump may rename it away meanwhile: the caller asks again. */
		_cleanup_free_ char *t = harness_read_file_if_exists(p);
		if (!t)
			continue;
		size_t n = strlen(t);
		all = realloc(all, cap + n);
		assert_non_null(all);
		memcpy(all + len, t, n + 1);
		len += n;
		cap += n;
	}
	return all;
}

static int wait_in_logs(const char *name, const char *kind, const char *needle, int timeout_ms)
{
	for (int waited = 0;; waited += 50) {
		_cleanup_free_ char *all = read_all(name, kind);
		if (strstr(all, needle))
			return 0;
		if (waited >= timeout_ms) {
			fprintf(stderr, "\"%s\" not in %s%s* within %d ms\n", needle, name, kind,
				timeout_ms);
			return -ETIMEDOUT;
		}
		usleep(50 * 1000);
	}
}

/* No file over the limit, no fourth backup; how many files there are. */
static size_t assert_bounded(const char *name, const char *kind)
{
	size_t n = 0;
	for (size_t i = 0; i < ELEMENTSOF(backups); i++) {
		_cleanup_free_ char *p = log_file(name, kind, backups[i]);
		off_t size = harness_file_size(p);
		if (size > LIMIT)
			fail_msg("%s has %lld bytes, more than %d", p, (long long)size, LIMIT);
		n += access(p, F_OK) == 0;
	}
	_cleanup_free_ char *too_many = log_file(name, kind, ".3");
	if (access(too_many, F_OK) == 0)
		fail_msg("%s exists: only three backups are kept", too_many);
	return n;
}

/* Waits until the pump has stopped rotating a log: the same files with
 * the same sizes for 300 ms. In the middle of a rotation the current
 * file is missing for a moment. */
static void settle(const char *name, const char *kind)
{
	char last[256] = "", now[256];
	int same = 0;
	for (int i = 0; i < 100 && same < 3; i++) {
		size_t n = 0;
		for (size_t b = 0; b < ELEMENTSOF(backups); b++) {
			_cleanup_free_ char *p = log_file(name, kind, backups[b]);
			struct stat st;
			n += (size_t)snprintf(now + n, sizeof(now) - n, "%lld ",
					      stat(p, &st) < 0 ? -1LL : (long long)st.st_size);
		}
		same = strcmp(now, last) == 0 ? same + 1 : 0;
		memcpy(last, now, sizeof(last));
		usleep(100 * 1000);
	}
	if (same < 3)
		fail_msg("%s%s* still changes after 10 s: %s", name, kind, now);
}

/* Running log pumps with an argument that contains needle. */
static size_t find_pumps(const char *needle, pid_t *pids)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;
	assert_non_null(d);
	while ((de = readdir(d)) && n < MAX_PUMPS) {
		char path[300], buf[8192];
		pid_t pid = (pid_t)atoi(de->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		const char *base = strrchr(buf, '/');
		if (len == 0 || strcmp(base ? base + 1 : buf, "zvirtd-log-pump") != 0)
			continue;
		for (size_t i = strlen(buf) + 1; i < len; i += strlen(buf + i) + 1)
			if (strstr(buf + i, needle)) {
				pids[n++] = pid;
				break;
			}
	}
	return n;
}

static pid_t the_pump(const char *name)
{
	_cleanup_free_ char *needle = NULL;
	pid_t pids[MAX_PUMPS];
	assert_true(asprintf(&needle, "/%s.log", name) > 0);
	size_t n = find_pumps(needle, pids);
	if (n != 1)
		fail_msg("%zu log pumps for %s, expected one", n, name);
	return pids[0];
}

static void assert_no_pump(const char *name)
{
	_cleanup_free_ char *needle = NULL;
	pid_t pids[MAX_PUMPS];
	assert_true(asprintf(&needle, "/%s.log", name) > 0);
	size_t n = find_pumps(needle, pids);
	if (n > 0)
		fail_msg("log pump %d of %s is still running", (int)pids[0], name);
}

static void start(const char *path)
{
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
}

static void destroy(const char *path)
{
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
}

static void echo(const char *pty, const char *text)
{
	_cleanup_free_ char *cmd = NULL, *out = NULL;
	assert_true(asprintf(&cmd, "echo %s", text) > 0);
	assert_int_equal(harness_console_command(pty, cmd, 30000, &out), 0);
	assert_non_null(strstr(out, text));
}

/* The boot messages and a few long lines rotate the console log through
 * all its backups; no file passes 4K, lines stay whole, the oldest
 * output is gone. The pump ends with QEMU, before Destroy is answered. */
static void test_console_bounded(void **state)
{
	use_small_limits();
	_cleanup_free_ char *xml = guest_xml("logs-boot");
	_cleanup_free_ char *path = harness_define(xml);

	start(path);
	assert_int_equal(
		wait_in_logs("logs-boot", ".console", "zvirt-guest: ready", HARNESS_BOOT_TIMEOUT_MS), 0);
	pid_t pump = the_pump("logs-boot");
	_cleanup_free_ char *pty = harness_console_pty(path);
	assert_non_null(pty);

	char line[1000];
	for (int i = 0; i < 16; i++) {
		int n = snprintf(line, sizeof(line), "mark-%02d-", i);
		memset(line + n, 'a' + i, 900);
		line[n + 900] = 0;
		echo(pty, line);
	}
	assert_int_equal(wait_in_logs("logs-boot", ".console", line, 10000), 0);
	settle("logs-boot", ".console");
	assert_int_equal(assert_bounded("logs-boot", ".console"), 4);

	/* The last line is whole in one file; the kernel's first lines went
	 * with the oldest backup. */
	bool whole = false;
	for (size_t i = 0; i < ELEMENTSOF(backups); i++) {
		_cleanup_free_ char *p = log_file("logs-boot", ".console", backups[i]);
		_cleanup_free_ char *t = harness_read_file_if_exists(p);
		whole |= t && strstr(t, line) != NULL;
	}
	assert_true(whole);
	_cleanup_free_ char *all = read_all("logs-boot", ".console");
	assert_null(strstr(all, "Linux version"));

	/* QEMU's log is bounded too, and starts with this run's header. */
	assert_true(assert_bounded("logs-boot", LOG_SUFFIX) >= 1);
	_cleanup_free_ char *qemu_log = read_all("logs-boot", LOG_SUFFIX);
	assert_non_null(strstr(qemu_log, ": starting up\n"));

	destroy(path);
	/* Ended before Destroy was answered, and reaped by the daemon (its
	 * child): not even a zombie is left. */
	assert_false(harness_pid_alive(pump));
	assert_no_pump("logs-boot");
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/%d", (int)pump);
	for (int i = 0; i < 40 && access(proc, F_OK) == 0; i++)
		usleep(50 * 1000);
	if (access(proc, F_OK) == 0)
		fail_msg("log pump %d was not reaped", (int)pump);
	harness_undefine(path);
}

/* Each start adds its header and command line to QEMU's log, which
 * rotates at 4K; a start that fails still carries QEMU's own message,
 * also when the log rotated in between. Each start begins a new console
 * log (the last one becomes .0). */
static void test_qemu_log_rotates(void **state)
{
	use_small_limits();
	_cleanup_free_ char *xml = guest_xml("logs-starts");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *console = log_file("logs-starts", ".console", "");

	for (int i = 0; i < 4; i++) {
		start(path);
		assert_int_equal(harness_wait_console(console, "Linux version", HARNESS_BOOT_TIMEOUT_MS), 0);
		destroy(path);
		assert_no_pump("logs-starts");
	}
	/* About 1K a start: no rotation yet; the failed starts cross 4K. */
	assert_true(assert_bounded("logs-starts", LOG_SUFFIX) >= 1);
	assert_true(assert_bounded("logs-starts", ".console") >= 2);

	/* The same domain (its UUID), with a kernel that is not there. */
	_cleanup_free_ char *defined = harness_get_xml(path);
	char *k = strstr(defined, "/vmlinuz");
	assert_non_null(k);
	memcpy(k, "/vmlinuX", strlen("/vmlinuX"));
	free(harness_define(defined));
	for (int i = 0; i < 4; i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		int r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start",
					  "a{sv}", 0);
		assert_true(r < 0);
		if (!strstr(error.message, "could not load kernel") || !strstr(error.message, "/vmlinuX"))
			fail_msg("start %d: the error does not carry QEMU's line: %s", i, error.message);
		harness_assert_state(path, "shut-off", "failed");
		assert_no_pump("logs-starts");
	}
	assert_true(assert_bounded("logs-starts", LOG_SUFFIX) >= 2);
	harness_undefine(path);
}

/* SIGKILL the daemon: QEMU and its pump go on, the console log is still
 * written; a new daemon reattaches, and when the guest stops the pump
 * (no longer the daemon's child) ends with it. */
static void test_survives_daemon_kill(void **state)
{
	use_small_limits();
	_cleanup_free_ char *xml = guest_xml("logs-restart");
	_cleanup_free_ char *path = harness_define(xml);

	start(path);
	assert_int_equal(
		wait_in_logs("logs-restart", ".console", "zvirt-guest: ready", HARNESS_BOOT_TIMEOUT_MS), 0);
	pid_t pump = the_pump("logs-restart");
	uint32_t qemu = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	_cleanup_free_ char *pty = harness_console_pty(path);
	assert_non_null(pty);

	assert_return_code(harness_kill_daemon(), 0);
	echo(pty, "written-while-the-daemon-is-dead");
	assert_int_equal(wait_in_logs("logs-restart", ".console", "written-while-the-daemon-is-dead", 10000),
			 0);
	assert_true(harness_pid_alive(pump));
	assert_true(harness_pid_alive((pid_t)qemu));

	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), qemu);
	_cleanup_free_ char *st = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "State");
	assert_string_equal(st, "running");
	assert_int_equal(the_pump("logs-restart"), pump);
	echo(pty, "written-after-the-restart");
	assert_int_equal(wait_in_logs("logs-restart", ".console", "written-after-the-restart", 10000), 0);
	assert_bounded("logs-restart", ".console");

	destroy(path);
	assert_int_equal(harness_wait_pid_gone(pump, 10000), 0);
	assert_no_pump("logs-restart");
	harness_undefine(path);
}

/* x's console log is x.console; the domain x.console has x.console.log
 * (QEMU) and x.console.console: nothing is shared. */
static void test_names_do_not_collide(void **state)
{
	use_small_limits();
	_cleanup_free_ char *xml_a = guest_xml("coll");
	_cleanup_free_ char *xml_b = guest_xml("coll.console");
	_cleanup_free_ char *a = harness_define(xml_a);
	_cleanup_free_ char *b = harness_define(xml_b);

	start(a);
	start(b);
	assert_int_equal(wait_in_logs("coll", ".console", "zvirt-guest: ready", HARNESS_BOOT_TIMEOUT_MS), 0);
	assert_int_equal(
		wait_in_logs("coll.console", ".console", "zvirt-guest: ready", HARNESS_BOOT_TIMEOUT_MS), 0);

	_cleanup_free_ char *a_console = read_all("coll", ".console");
	_cleanup_free_ char *a_qemu = read_all("coll", LOG_SUFFIX);
	_cleanup_free_ char *b_qemu = read_all("coll.console", LOG_SUFFIX);
	assert_null(strstr(a_console, ": starting up"));
	assert_non_null(strstr(a_qemu, "guest=coll,"));
	assert_null(strstr(a_qemu, "guest=coll.console,"));
	assert_non_null(strstr(b_qemu, "guest=coll.console,"));
	assert_null(strstr(b_qemu, "zvirt-guest"));

	destroy(a);
	destroy(b);
	assert_no_pump("coll");
	assert_no_pump("coll.console");
	harness_undefine(a);
	harness_undefine(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_bounded),
		cmocka_unit_test(test_qemu_log_rotates),
		cmocka_unit_test(test_survives_daemon_kill),
		cmocka_unit_test(test_names_do_not_collide),
	};
	return harness_main("logs", tests, 0);
}
