/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The diag288 watchdog of the real s390x guest: the guest arms
 * /dev/watchdog with diag288's shortest timeout (15 s) and never feeds
 * it, QEMU's WATCHDOG event comes, and the domain goes where
 * docs/lifecycle.md says for its <watchdog action>: pause →
 * paused/watchdog (Resume → running/unpaused, also across a daemon
 * restart); dump → paused/watchdog, a dump job into DumpDir, then
 * running/unpaused again; reset → running/reset and a new boot; shutdown
 * → in-shutdown, then shut-off/shutdown; poweroff → shut-off/crashed
 * (QEMU exits, as libvirt reports it); inject-nmi → crashed/panicked (a
 * restart interrupt, the guest has no kdump).
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define JOB_IFACE "org.zvirt1.Job"
/* diag288's shortest timeout; QEMU's timer runs on the virtual clock,
 * which under TCG follows the host's. */
#define WATCHDOG_TIMEOUT_S 15
/* The event after the timeout, with room for a busy host. */
#define FIRE_TIMEOUT_MS ((WATCHDOG_TIMEOUT_S + 45) * 1000)

static char *watchdog_xml(const char *name, const char *action, const char *on_crash)
{
	_cleanup_free_ char *xml =
		on_crash ? harness_guest_xml_on_crash(name, on_crash) : harness_guest_xml(name);
	char *end = strstr(xml, "  </devices>");
	assert_non_null(end);
	char *out = NULL;
	assert_true(asprintf(&out, "%.*s    <watchdog model='diag288' action='%s'/>\n%s", (int)(end - xml),
			     xml, action, end) > 0);
	return out;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The guest arms its watchdog; returns when it did (monotonic ms). */
static int64_t arm(const char *path)
{
	_cleanup_free_ char *pty = harness_console_pty(path), *out = NULL, *cmd = NULL;
	assert_non_null(pty);
	assert_true(asprintf(&cmd, "watchdog %d", WATCHDOG_TIMEOUT_S) > 0);
	assert_int_equal(harness_console_command(pty, cmd, 30000, &out), 0);
	if (!strstr(out, "watchdog armed timeout="))
		fail_msg("the guest did not arm its watchdog: %s", out);
	return monotonic_ms();
}

static void assert_alive(const char *path)
{
	_cleanup_free_ char *pty = harness_console_pty(path), *out = NULL;
	assert_non_null(pty);
	assert_int_equal(harness_console_command(pty, "echo alive", 60000, &out), 0);
	assert_non_null(strstr(out, "alive"));
}

/* QEMU was given the device and the action (dump: QEMU pauses). */
static void assert_qemu_argv(const char *path, const char *qemu_action)
{
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	_cleanup_free_ char *file = NULL, *cmdline = NULL;
	assert_true(asprintf(&file, "/proc/%u/cmdline", pid) > 0);
	cmdline = harness_read_file(file);
	/* NUL-separated: look for "-device\0diag288,id=watchdog0\0". */
	bool device = false, action = false;
	for (const char *a = cmdline; *a; a += strlen(a) + 1) {
		const char *next = a + strlen(a) + 1;
		if (strcmp(a, "-device") == 0 && strcmp(next, "diag288,id=watchdog0") == 0)
			device = true;
		if (strcmp(a, "-watchdog-action") == 0 && strcmp(next, qemu_action) == 0)
			action = true;
	}
	assert_true(device);
	assert_true(action);
}

static void destroy_and_undefine(const char *path)
{
	_cleanup_free_ char *state = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "State");
	if (strcmp(state, "shut-off") != 0) {
		sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
		assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS),
				 0);
	}
	harness_undefine(path);
}

static void test_pause(void **state)
{
	_cleanup_free_ char *xml = watchdog_xml("wd-pause", "pause", NULL);
	_cleanup_free_ char *path = harness_define(xml);
	harness_boot_guest(path, "wd-pause");
	assert_qemu_argv(path, "pause");
	_cleanup_free_ char *live = harness_get_xml(path);
	assert_non_null(
		strstr(live, "<watchdog model='diag288' action='pause'>\n      <alias name='watchdog0'/>"));

	int64_t armed = arm(path);
	assert_int_equal(harness_wait_state(path, "paused", "watchdog", FIRE_TIMEOUT_MS), 0);
	/* Not before the guest's timeout ran out. */
	assert_true(monotonic_ms() - armed >= (WATCHDOG_TIMEOUT_S - 2) * 1000);

	/* QEMU says "watchdog" and a new daemon keeps the reason. */
	assert_return_code(harness_restart_daemon(), 0);
	harness_assert_state(path, "paused", "watchdog");

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}", 0));
	harness_assert_state(path, "running", "unpaused");
	assert_alive(path);
	destroy_and_undefine(path);
}

/* DumpDir/<name>-*.core files (the daemon's own dumps). */
static unsigned auto_dumps(const char *name, char **ret_one)
{
	_cleanup_free_ char *dir = NULL;
	assert_true(asprintf(&dir, "%s/state/dump", harness_tmpdir()) > 0);
	DIR *d = opendir(dir);
	unsigned n = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, name, strlen(name)) != 0 || de->d_name[strlen(name)] != '-')
			continue;
		n++;
		if (ret_one && !*ret_one)
			assert_true(asprintf(ret_one, "%s/%s", dir, de->d_name) > 0);
	}
	if (d)
		closedir(d);
	return n;
}

static void test_dump(void **state)
{
	_cleanup_free_ char *xml = watchdog_xml("wd-dump", "dump", NULL);
	_cleanup_free_ char *path = harness_define(xml);
	harness_boot_guest(path, "wd-dump");
	assert_qemu_argv(path, "pause");
	size_t mark = harness_signal_mark();

	(void)arm(path);
	assert_int_equal(harness_wait_state(path, "paused", "watchdog", FIRE_TIMEOUT_MS), 0);
	/* The dump is a job like CoreDump's; then the guest runs again. */
	const HarnessSignal *done = harness_wait_signal(mark, NULL, JOB_IFACE, "Completed", NULL, 120000);
	assert_non_null(done);
	_cleanup_free_ char *type = harness_get_string(done->path, JOB_IFACE, "Type");
	_cleanup_free_ char *final = harness_get_string(done->path, JOB_IFACE, "State");
	assert_string_equal(type, "dump");
	assert_string_equal(final, "completed");
	assert_int_equal(harness_wait_state(path, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);

	_cleanup_free_ char *file = NULL;
	assert_int_equal(auto_dumps("wd-dump", &file), 1);
	FILE *f = fopen(file, "re");
	assert_non_null(f);
	char head[20];
	assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	/* A 64-bit big-endian ELF core (ET_CORE) of an s390 (EM_S390). */
	assert_memory_equal(head, "\177ELF\002\002", 6);
	assert_int_equal(head[17], 4);
	assert_int_equal(head[19], 22);
	assert_alive(path);
	destroy_and_undefine(path);
	unlink(file);
}

/* The actions QEMU carries out itself, on three guests at once: each
 * reaches its row of the table through QEMU's own events. */
static void test_qemu_actions(void **state)
{
	static const struct {
		const char *name, *action, *on_crash;
		const char *state, *reason;
	} cases[] = {
		{"wd-reset", "reset", NULL, "running", "reset"},
		{"wd-shutdown", "shutdown", NULL, "shut-off", "shutdown"},
		{"wd-poweroff", "poweroff", NULL, "shut-off", "crashed"},
		{"wd-nmi", "inject-nmi", "preserve", "crashed", "panicked"},
	};
	char *paths[ELEMENTSOF(cases)];
	off_t marks[ELEMENTSOF(cases)];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *xml = watchdog_xml(cases[i].name, cases[i].action, cases[i].on_crash);
		paths[i] = harness_define(xml);
		sd_bus_message_unref(harness_call(paths[i], ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	}
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *log = harness_console_log(cases[i].name);
		assert_int_equal(harness_wait_state(paths[i], "running", "booted", HARNESS_STATE_TIMEOUT_MS),
				 0);
		assert_int_equal(
			harness_wait_console(log, "zvirt-guest: ready boot_id=", HARNESS_BOOT_TIMEOUT_MS),
			0);
		assert_qemu_argv(paths[i], cases[i].action);
	}
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *log = harness_console_log(cases[i].name);
		(void)arm(paths[i]);
		marks[i] = harness_file_size(log);
	}
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		/* An orderly power-off passes through in-shutdown. */
		if (strcmp(cases[i].action, "shutdown") == 0)
			assert_int_equal(
				harness_wait_state(paths[i], "in-shutdown", "unknown", FIRE_TIMEOUT_MS), 0);
		if (harness_wait_state(paths[i], cases[i].state, cases[i].reason, FIRE_TIMEOUT_MS) < 0)
			fail_msg("watchdog action %s: no %s/%s", cases[i].action, cases[i].state,
				 cases[i].reason);
		if (strcmp(cases[i].action, "reset") == 0) {
			/* The guest boots again in the same QEMU. */
			_cleanup_free_ char *log = harness_console_log(cases[i].name);
			assert_int_equal(harness_wait_console_from(log, marks[i],
								   "zvirt-guest: ready boot_id=",
								   HARNESS_BOOT_TIMEOUT_MS, NULL),
					 0);
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		destroy_and_undefine(paths[i]);
		free(paths[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_qemu_actions),
	};
	return harness_main("watchdog", tests, 0);
}
