/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Calls still in flight when the daemon stops or is killed: each caller
 * gets an answer, and what the caller asked for (a graceful Destroy's
 * escalation to SIGKILL) is carried on by the next daemon. A daemon that
 * cannot own the bus name fails. QEMU is made to ignore SIGTERM by
 * stopping it (SIGSTOP), so a graceful Destroy is in flight for 10 s.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

extern char **environ;

typedef struct AsyncReply {
	bool done;
	char *error_name;
	char *error_message;
} AsyncReply;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	AsyncReply *a = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	a->done = true;
	if (e) {
		a->error_name = strdup(e->name);
		a->error_message = strdup(e->message ?: "");
	}
	return 0;
}

static int wait_reply(AsyncReply *a, int timeout_ms)
{
	for (int waited = 0; !a->done && waited < timeout_ms; waited += 50) {
		int r = sd_bus_process(harness_bus(), NULL);
		if (r < 0)
			return r;
		if (r == 0)
			(void)sd_bus_wait(harness_bus(), 50 * 1000);
	}
	return a->done ? 0 : -ETIMEDOUT;
}

/* Whether sig is pending for pid (it is stopped, so it cannot take it). */
static bool signal_pending(pid_t pid, int sig)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_free_ char *status = harness_read_file(path);
	const char *p = status ? strstr(status, "ShdPnd:\t") : NULL;
	if (!p)
		return false;
	unsigned long long mask = strtoull(p + strlen("ShdPnd:\t"), NULL, 16);
	return mask & (1ULL << (sig - 1));
}

static uint32_t start_stopped_guest(const char *name, char **ret_path)
{
	_cleanup_free_ char *xml = harness_guest_xml(name);
	char *path = harness_define(xml);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);
	assert_int_equal(kill((pid_t)pid, SIGSTOP), 0);
	*ret_path = path;
	return pid;
}

/* A graceful Destroy that QEMU ignores is escalated to SIGKILL after 10 s. */
static void test_graceful_destroy_escalates(void **state)
{
	_cleanup_free_ char *path = NULL;
	uint32_t pid = start_stopped_guest("graceful-escalate", &path);
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* harness_call() waits 30 s, long enough. */
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 1, "graceful", "b", 1));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	harness_assert_state(path, "shut-off", "destroyed");
	assert_false(harness_pid_alive((pid_t)pid));
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (s < 9.5 || s > 20)
		fail_msg("graceful Destroy took %.1f s; SIGKILL is due after 10 s", s);
	harness_undefine(path);
}

/* SIGTERM to the daemon while a Destroy waits: the caller gets Cancelled,
 * not silence, and the daemon still exits cleanly. */
static void test_call_answered_at_exit(void **state)
{
	_cleanup_free_ char *path = NULL;
	uint32_t pid = start_stopped_guest("inflight-exit", &path);
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	AsyncReply reply = {};

	assert_int_equal(sd_bus_call_method_async(harness_bus(), &slot, ZVIRT_BUS_NAME, path,
						  ZVIRT_DOMAIN_IFACE, "Destroy", on_reply, &reply, "a{sv}",
						  1, "graceful", "b", 1),
			 1);
	/* In flight once QEMU has the SIGTERM it cannot take while stopped. */
	for (int i = 0; i < 200 && !signal_pending((pid_t)pid, SIGTERM); i++) {
		(void)sd_bus_process(harness_bus(), NULL);
		usleep(10 * 1000);
	}
	assert_true(signal_pending((pid_t)pid, SIGTERM));
	assert_false(reply.done);

	assert_int_equal(harness_stop_daemon(), 0);
	assert_int_equal(wait_reply(&reply, 5000), 0);
	assert_non_null(reply.error_name);
	assert_string_equal(reply.error_name, ZVIRT_ERROR("Cancelled"));
	assert_non_null(strstr(reply.error_message, "stopping"));

	/* The QEMU is still there (stopped, deaf to SIGTERM). The next daemon
	 * keeps the Destroy's deadline: SIGKILL within the 10 s, reported as
	 * destroyed, not as a crash. */
	assert_true(harness_pid_alive((pid_t)pid));
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", 15000), 0);
	assert_false(harness_pid_alive((pid_t)pid));
	free(reply.error_name);
	free(reply.error_message);
	harness_undefine(path);
}

/* How many processes run with "-uuid <uuid>" on their command line. */
static unsigned count_qemus(const char *uuid, pid_t *ret_pid)
{
	unsigned n = 0;
	DIR *dir = opendir("/proc");
	assert_non_null(dir);
	for (struct dirent *e; (e = readdir(dir));) {
		char path[300], buf[65536];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
			if (strcmp(buf + i, "-uuid") == 0 && i + 6 < len &&
			    strcasecmp(buf + i + 6, uuid) == 0) {
				if (ret_pid)
					*ret_pid = (pid_t)atoi(e->d_name);
				n++;
				break;
			}
	}
	closedir(dir);
	return n;
}

/* Whether some process holds the lock QEMU takes on its pidfile. */
static bool pidfile_locked(const char *domain_path)
{
	_cleanup_free_ char *path = harness_run_file(domain_path, ".pid");
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	return fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

/* The daemon dies (SIGKILL, from ZVIRTD_FAULT_KILL) at one point of a
 * Start; the next daemon must leave exactly one QEMU or none, and its
 * state must say which. */
static void start_killed_at(const char *point, const char *name, bool finishes)
{
	_cleanup_free_ char *xml = harness_guest_xml(name);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *uuid = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "UUID");
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	pid_t pid = 0;

	assert_int_equal(harness_stop_daemon(), 0);
	assert_int_equal(setenv("ZVIRTD_FAULT_KILL", point, 1), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(unsetenv("ZVIRTD_FAULT_KILL"), 0);
	assert_true(harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start",
				      "a{sv}", 0) < 0);
	assert_return_code(harness_kill_daemon(), 0);
	assert_true(WIFSIGNALED(harness_daemon_exit_status()));

	/* QEMU was spawned at every point; by now it locks its pidfile. */
	for (int i = 0; i < 100 && !pidfile_locked(path); i++)
		usleep(50 * 1000);
	assert_true(pidfile_locked(path));
	assert_int_equal(count_qemus(uuid, &pid), 1);

	assert_int_equal(harness_start_daemon(), 0);
	if (finishes) {
		/* The status file knew it: the Start is carried through. */
		assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
		assert_int_equal(count_qemus(uuid, NULL), 1);
		assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), (uint32_t)pid);
	} else {
		/* Only the status of the files given away knew the start, and
		 * QEMU's pidfile lock that it spawned: QEMU is killed, the start
		 * failed. */
		assert_int_equal(harness_wait_pid_gone(pid, 10000), 0);
		harness_assert_state(path, "shut-off", "failed");
		assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);
		sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
		assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
		assert_int_equal(count_qemus(uuid, NULL), 1);
	}
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(count_qemus(uuid, NULL), 0);
	harness_undefine(path);
}

static void test_start_killed_after_spawn(void **state)
{
	start_killed_at("start-spawned", "kill-spawned", false);
}

static void test_start_killed_after_record(void **state)
{
	start_killed_at("start-recorded", "kill-recorded", true);
}

static void test_start_killed_in_handshake(void **state)
{
	start_killed_at("start-handshake", "kill-handshake", true);
}

static void test_start_killed_before_cont(void **state)
{
	start_killed_at("start-before-cont", "kill-before-cont", true);
}

/* A Reboot whose daemon is killed right after answering: the guest shuts
 * down with nobody watching, and the next daemon still boots it again. */
static void test_reboot_survives_restart(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("reboot-away");
	_cleanup_free_ char *log = harness_console_log("reboot-away");
	_cleanup_free_ char *path = harness_define(xml);
	off_t mark = harness_file_size(log);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(
		harness_wait_console_from(log, mark, "zvirt-guest: ready", HARNESS_BOOT_TIMEOUT_MS, NULL),
		0);
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");

	mark = harness_file_size(log);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Reboot", "a{sv}", 0));
	assert_return_code(harness_kill_daemon(), 0);
	assert_int_equal(harness_wait_console_from(log, mark, "zvirt-guest: powering off",
						   HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(
		harness_wait_console_from(log, mark, "zvirt-guest: ready", HARNESS_BOOT_TIMEOUT_MS, NULL),
		0);
	assert_int_not_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_undefine(path);
}

/* Shutdown's timeout-ms outlives the daemon: a guest that never powers
 * off (its QEMU is stopped) is destroyed at the deadline by the next
 * daemon. */
static void test_shutdown_timeout_survives_restart(void **state)
{
	_cleanup_free_ char *path = NULL;
	uint32_t pid = start_stopped_guest("timeout-away", &path);
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	AsyncReply reply = {};
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sd_bus_call_method_async(harness_bus(), &slot, ZVIRT_BUS_NAME, path,
						  ZVIRT_DOMAIN_IFACE, "Shutdown", on_reply, &reply, "a{sv}",
						  1, "timeout-ms", "t", (uint64_t)4000),
			 1);
	/* Let the daemon take the call (it cannot finish: QEMU is stopped). */
	for (int i = 0; i < 20; i++) {
		(void)sd_bus_process(harness_bus(), NULL);
		usleep(25 * 1000);
	}
	assert_false(reply.done);
	assert_return_code(harness_kill_daemon(), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", 15000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_false(harness_pid_alive((pid_t)pid));
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (s < 3.5)
		fail_msg("destroyed after %.1f s, before the 4 s timeout", s);
	free(reply.error_name);
	free(reply.error_message);
	harness_undefine(path);
}

/* A timeout that would overflow the clock is refused, not wrapped. */
static void test_shutdown_timeout_too_large(void **state)
{
	_cleanup_free_ char *path = NULL;
	uint32_t pid = start_stopped_guest("timeout-huge", &path);
	assert_int_equal(kill((pid_t)pid, SIGCONT), 0);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "Shutdown", "a{sv}",
			     1, "timeout-ms", "t", UINT64_MAX);
	harness_assert_state(path, "paused", "user");
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_undefine(path);
}

/* Runs zvirtd -f conf and returns its exit status (it must end by itself
 * within 15 s). */
static int run_second_daemon(const char *conf)
{
	const char *binary = getenv("ZVIRTD_BINARY");
	char *argv[] = {(char *)binary, "-f", (char *)conf, NULL};
	pid_t pid;
	int status = -1;

	assert_non_null(binary);
	assert_int_equal(posix_spawn(&pid, binary, NULL, NULL, argv, environ), 0);
	for (int i = 0; i < 300; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fail_msg("the second daemon did not exit within 15 s");
	return -1;
}

/* A second daemon fails, not exit 0 as if it had done its job: with the
 * same RunDir it does not even read the state (the instance lock), and
 * with a RunDir of its own it cannot own org.zvirt1. */
static void test_second_daemon_fails(void **state)
{
	_cleanup_free_ char *conf = NULL, *other = NULL, *text = NULL, *run = NULL, *state_dir = NULL;
	int status;

	assert_true(asprintf(&conf, "%s/zvirtd.conf", harness_tmpdir()) > 0);
	status = run_second_daemon(conf);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	assert_int_equal(harness_name_has_owner(harness_bus(), ZVIRT_BUS_NAME), 1);

	/* The same settings but its own directories. */
	text = harness_read_file(conf);
	assert_non_null(text);
	assert_true(asprintf(&run, "RunDir=%s/run", harness_tmpdir()) > 0);
	assert_true(asprintf(&state_dir, "StateDir=%s/state", harness_tmpdir()) > 0);
	char *r = strstr(text, run), *st = strstr(text, state_dir);
	assert_non_null(r);
	assert_non_null(st);
	r[strlen(run) - 3] = 'X'; /* .../run → .../Xun */
	st[strlen(state_dir) - 5] = 'X';
	assert_true(asprintf(&other, "%s/zvirtd-second.conf", harness_tmpdir()) > 0);
	harness_write_file(other, text);
	status = run_second_daemon(other);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	assert_int_equal(harness_name_has_owner(harness_bus(), ZVIRT_BUS_NAME), 1);
	/* Still the first one answering. */
	assert_true(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount") == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_graceful_destroy_escalates),
		cmocka_unit_test(test_call_answered_at_exit),
		cmocka_unit_test(test_second_daemon_fails),
		cmocka_unit_test(test_start_killed_after_spawn),
		cmocka_unit_test(test_start_killed_after_record),
		cmocka_unit_test(test_start_killed_in_handshake),
		cmocka_unit_test(test_start_killed_before_cont),
		cmocka_unit_test(test_reboot_survives_restart),
		cmocka_unit_test(test_shutdown_timeout_survives_restart),
		cmocka_unit_test(test_shutdown_timeout_too_large),
	};

	return harness_main("inflight", tests, 0);
}
