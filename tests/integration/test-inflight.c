/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Calls still in flight when the daemon stops or is killed: each caller
 * gets an answer, and what the caller asked for (a graceful Destroy's
 * escalation to SIGKILL) is carried on by the next daemon. A daemon that
 * cannot own the bus name fails. QEMU is made to ignore SIGTERM by
 * stopping it (SIGSTOP), so a graceful Destroy is in flight for 10 s.
 */

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

	/* The QEMU is still there (stopped); the next daemon finishes it off. */
	assert_true(harness_pid_alive((pid_t)pid));
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(kill((pid_t)pid, SIGKILL), 0);
	assert_int_equal(harness_wait_state(path, "shut-off", "crashed", HARNESS_STATE_TIMEOUT_MS), 0);
	free(reply.error_name);
	free(reply.error_message);
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
	};

	return harness_main("inflight", tests, 0);
}
