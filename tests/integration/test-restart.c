/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restarting the daemon never disturbs a guest: QEMU runs in its own
 * session, the new daemon re-reads the runtime status, reconnects QMP and
 * carries on. Checked against a booted guest that must still answer on its
 * console with the boot id it printed before the restart.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "harness.h"

/* "... boot_id=<id> ..." → "<id>" */
static char *boot_id_of(const char *line)
{
	const char *p = strstr(line, "boot_id=");
	size_t n;

	if (!p)
		return NULL;
	p += strlen("boot_id=");
	n = strcspn(p, " \t\r\n");
	return n > 0 ? strndup(p, n) : NULL;
}

static void test_restart_keeps_guest(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("restart-guest");
	_cleanup_free_ char *idle_xml = harness_minimal_xml("restart-idle", NULL);
	_cleanup_free_ char *log = harness_console_log("restart-guest");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *idle = harness_define(idle_xml);
	_cleanup_free_ char *ready = NULL, *boot_id = NULL, *answer = NULL, *answer_id = NULL;
	_cleanup_free_ char *pty = NULL, *uuid = NULL;
	off_t console_mark = harness_file_size(log);
	uint32_t pid;
	int status;

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console_from(log, console_mark, "zvirt-guest: ready boot_id=",
						   HARNESS_BOOT_TIMEOUT_MS, &ready),
			 0);
	boot_id = boot_id_of(ready);
	assert_non_null(boot_id);
	pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);
	uuid = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "UUID");

	/* A clean stop: the daemon exits 0 and the guest runs on without it. */
	assert_int_equal(harness_stop_daemon(), 0);
	status = harness_daemon_exit_status();
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(harness_pid_alive((pid_t)pid));
	assert_int_equal(harness_name_has_owner(harness_bus(), ZVIRT_BUS_NAME), 0);

	assert_int_equal(harness_start_daemon(), 0);
	assert_true(harness_pid_alive((pid_t)pid));

	/* Same domain, same process, same state. */
	{
		_cleanup_free_ char *p = harness_lookup("restart-guest");
		_cleanup_free_ char *u = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "UUID");
		assert_non_null(p);
		assert_string_equal(p, path);
		assert_string_equal(u, uuid);
	}
	{
		_cleanup_free_ char *p = harness_lookup("restart-idle");
		assert_non_null(p);
		assert_string_equal(p, idle);
		harness_assert_state(idle, "shut-off", "unknown");
	}
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	harness_assert_state(path, "running", "booted");
	assert_true(harness_get_i32(path, ZVIRT_DOMAIN_IFACE, "Id") >= 0);

	/* The guest itself was not disturbed: it still answers with the
	 * boot id it printed when it came up. */
	pty = harness_console_pty(path);
	assert_non_null(pty);
	assert_int_equal(harness_console_command(pty, "bootid", 20000, &answer), 0);
	answer_id = boot_id_of(answer);
	if (!answer_id || strcmp(answer_id, boot_id) != 0)
		fail_msg("boot id after the restart: %s, before: %s", answer_id ?: "(none)", boot_id);

	/* QMP is reconnected: the new daemon controls the guest. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Suspend", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);

	harness_undefine(path);
	harness_undefine(idle);
}

/* A daemon that dies without cleaning up (SIGKILL) leaves its guests too,
 * and the next one takes them over. Paused, so no boot is needed. */
static void test_daemon_killed_keeps_guest(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("orphan-guest");
	_cleanup_free_ char *path = harness_define(xml);
	uint32_t pid;

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);

	assert_return_code(harness_kill_daemon(), 0);
	assert_true(harness_pid_alive((pid_t)pid));
	assert_int_equal(harness_start_daemon(), 0);

	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	harness_assert_state(path, "paused", "user");
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);
	harness_undefine(path);
}

/* A transient domain whose QEMU died while no daemon ran: the next daemon
 * finds its status file, learns the pid is gone and forgets the domain,
 * without touching it after it is freed (ASan saw exactly that). */
static void test_transient_dead_while_away(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("transient-dead");
	_cleanup_free_ char *path = harness_define(xml);
	uint32_t pid;

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 1, "keep-running", "b", 1));
	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Persistent"));
	pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);

	assert_return_code(harness_kill_daemon(), 0);
	assert_int_equal(kill((pid_t)pid, SIGKILL), 0);
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);

	assert_int_equal(harness_start_daemon(), 0);
	_cleanup_free_ char *p = harness_lookup("transient-dead");
	assert_null(p);
	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount"), 0);
}

/* Device aliases name QEMU's devices: a user's ua- alias is part of the
 * definition, the daemon's (virtio-disk0) only of the live XML, and
 * both, with the console's pty, come back after a daemon restart from
 * the status file. */
static void test_aliases_survive_restart(void **state)
{
	_cleanup_free_ char *base = harness_guest_xml("alias-guest");
	_cleanup_free_ char *disk = NULL, *xml = NULL, *path = NULL;
	_cleanup_free_ char *live = NULL, *inactive = NULL, *after = NULL;
	const char *target = "<target type='sclp' port='0'/>\n";
	char *at = strstr(base, target), *devices = strstr(base, "  <devices>\n");
	assert_non_null(at);
	assert_non_null(devices);

	assert_true(asprintf(&disk, "%s/alias-disk.raw", harness_tmpdir()) > 0);
	harness_write_file(disk, "");
	assert_int_equal(truncate(disk, 1024 * 1024), 0);
	at += strlen(target);
	devices += strlen("  <devices>\n");
	assert_true(asprintf(&xml,
			     "%.*s    <disk type='file' device='disk'><source file='%s'/><target dev='vda' "
			     "bus='virtio'/>"
			     "</disk>\n%.*s      <alias name='ua-sclp'/>\n%s",
			     (int)(devices - base), base, disk, (int)(at - devices), devices, at) > 0);
	path = harness_define(xml);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	live = harness_get_xml(path);
	assert_non_null(strstr(live, "<alias name='ua-sclp'/>"));
	assert_non_null(strstr(live, "<alias name='virtio-disk0'/>"));
	_cleanup_free_ char *pty = harness_console_pty(path);
	assert_non_null(pty);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			harness_call(path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1, "inactive", "b", 1);
		const char *x;
		assert_int_equal(sd_bus_message_read(reply, "s", &x), 1);
		assert_non_null(strstr(x, "<alias name='ua-sclp'/>"));
		assert_null(strstr(x, "virtio-disk0"));
	}

	assert_return_code(harness_kill_daemon(), 0);
	assert_int_equal(harness_start_daemon(), 0);
	after = harness_get_xml(path);
	assert_string_equal(after, live);
	_cleanup_free_ char *pty_after = harness_console_pty(path);
	assert_non_null(pty_after);
	assert_string_equal(pty_after, pty);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_undefine(path);
}

/* The QMP socket of a running guest is out of reach when the daemon comes
 * back (here: moved away). The guest is not touched: it runs on, its
 * state stays as recorded, calls that need QEMU fail clearly, and once
 * the socket is back the daemon reconnects by itself. */
static void test_monitor_unreachable_after_restart(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("qmp-away");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *sock = NULL, *hidden = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	uint32_t pid;

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	sock = harness_run_file(path, ".qmp");
	assert_true(asprintf(&hidden, "%s.away", sock) > 0);

	assert_return_code(harness_kill_daemon(), 0);
	assert_int_equal(rename(sock, hidden), 0);
	assert_int_equal(harness_start_daemon(), 0);

	assert_true(harness_pid_alive((pid_t)pid));
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	harness_assert_state(path, "paused", "user");
	int r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}",
				  0);
	assert_true(r < 0);
	assert_true(sd_bus_error_has_name(&error, ZVIRT_ERROR("HypervisorError")));
	usleep(500 * 1000);
	assert_true(harness_pid_alive((pid_t)pid));

	assert_int_equal(rename(hidden, sock), 0);
	for (int i = 0; i < 100; i++) {
		sd_bus_error_free(&error);
		r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Resume",
				      "a{sv}", 0);
		if (r >= 0)
			break;
		usleep(200 * 1000);
	}
	assert_true(r >= 0);
	assert_int_equal(harness_wait_state(path, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_undefine(path);
}

/* An atomic write cut by a crash leaves its temporary file behind; the
 * next daemon removes such files, and only those. */
static void test_leftover_temp_files_removed(void **state)
{
	const char *hex = "0123456789abcdef0123456789abcdef";
	_cleanup_free_ char *a = NULL, *b = NULL, *other = NULL;
	assert_true(asprintf(&a, "%s/state/domains/%s.xml.tmp.Ab12Cd", harness_tmpdir(), hex) > 0);
	assert_true(asprintf(&b, "%s/run/domains/%s.xml.tmp.Zz99Yy", harness_tmpdir(), hex) > 0);
	assert_true(asprintf(&other, "%s/state/domains/notes.xml.tmp.keepme", harness_tmpdir()) > 0);

	assert_int_equal(harness_stop_daemon(), 0);
	harness_write_file(a, "<domain type='kvm'><name>half");
	harness_write_file(b, "<domstatus state='run");
	harness_write_file(other, "not ours");
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(access(a, F_OK), -1);
	assert_int_equal(access(b, F_OK), -1);
	assert_int_equal(access(other, F_OK), 0);
	assert_int_equal(unlink(other), 0);
}

/* Every domain's files have names of their own: the console log of "x"
 * is not the QEMU log of a domain called "x.console". */
static void test_log_names_do_not_collide(void **state)
{
	const char *names[] = {"coll", "coll.console"};
	char *paths[2] = {};
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *base = harness_minimal_xml(names[i], NULL), *xml = NULL;
		char *mb = strstr(base, "    <memballoon");
		assert_non_null(mb);
		assert_true(asprintf(&xml, "%.*s    <console type='pty'><target type='sclp'/></console>\n%s",
				     (int)(mb - base), base, mb) > 0);
		paths[i] = harness_define(xml);
		sd_bus_message_unref(
			harness_call(paths[i], ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
		harness_assert_state(paths[i], "paused", "user");
	}
	/* coll's QEMU log names its console log; it is not coll.console's QEMU log. */
	_cleanup_free_ char *qemu_log = NULL, *other_log = NULL, *text = NULL, *console = NULL;
	assert_true(asprintf(&qemu_log, "%s/coll.log", harness_log_dir()) > 0);
	assert_true(asprintf(&other_log, "%s/coll.console.log", harness_log_dir()) > 0);
	text = harness_read_file(qemu_log);
	assert_non_null(text);
	const char *at = strstr(text, "logfile=");
	assert_non_null(at);
	console = strndup(at + strlen("logfile="), strcspn(at + strlen("logfile="), ","));
	assert_string_not_equal(console, other_log);
	_cleanup_free_ char *other = harness_read_file(other_log);
	assert_non_null(other);
	assert_non_null(strstr(other, "guest=coll.console"));
	assert_null(strstr(other, "guest=coll,"));
	for (size_t i = 0; i < 2; i++) {
		sd_bus_message_unref(harness_call(paths[i], ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
		assert_int_equal(
			harness_wait_state(paths[i], "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
		harness_undefine(paths[i]);
		free(paths[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_keeps_guest),
		cmocka_unit_test(test_daemon_killed_keeps_guest),
		cmocka_unit_test(test_transient_dead_while_away),
		cmocka_unit_test(test_aliases_survive_restart),
		cmocka_unit_test(test_monitor_unreachable_after_restart),
		cmocka_unit_test(test_leftover_temp_files_removed),
		cmocka_unit_test(test_log_names_do_not_collide),
	};

	return harness_main("restart", tests, 0);
}
