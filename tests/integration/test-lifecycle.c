/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The life-cycle table (docs/lifecycle.md) on a real s390x guest under
 * TCG: the states and reasons, the signals that report them, and the
 * wrong-state calls that must fail and change nothing. One guest boot
 * serves the whole define → start → suspend → resume → shutdown walk.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "harness.h"

#define OPERATION_INVALID ZVIRT_ERROR("OperationInvalid")

/* A call in the wrong state: OperationInvalid, and nothing moves. */
static void expect_wrong_state(const char *path, const char *method, const char *state, const char *reason)
{
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	size_t mark = harness_signal_mark();

	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, method, "a{sv}", 0);
	harness_assert_state(path, state, reason);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	assert_return_code(harness_flush_signals(), 0);
	if (harness_signal_find(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", NULL))
		fail_msg("%s in %s/%s failed but the state changed", method, state, reason);
}

static const struct {
	const char *state;
	const char *reason;
} walk[] = {
	{"running", "booted"},      {"paused", "user"},       {"running", "unpaused"},
	{"in-shutdown", "unknown"}, {"shut-off", "shutdown"},
};

/* The signals of the walk: StateChanged for each step, in order, the
 * sequence growing by one; the same on the manager's DomainStateChanged;
 * and a PropertiesChanged carrying the new State each time. */
static void check_walk_signals(const char *path, size_t mark)
{
	size_t n = 0, props_from = mark;
	uint64_t first = 0;

	assert_return_code(harness_flush_signals(), 0);
	for (size_t i = mark; i < harness_signal_count(); i++) {
		const HarnessSignal *s = harness_signal_get(i);

		if (strcmp(s->path, path) != 0 || !s->interface ||
		    strcmp(s->interface, ZVIRT_DOMAIN_IFACE) != 0 || strcmp(s->member, "StateChanged") != 0)
			continue;
		if (n >= ELEMENTSOF(walk))
			fail_msg("extra StateChanged %s/%s #%" PRIu64, s->state, s->reason, s->sequence);
		if (strcmp(s->state, walk[n].state) != 0 || strcmp(s->reason, walk[n].reason) != 0)
			fail_msg("StateChanged #%zu is %s/%s, expected %s/%s", n, s->state, s->reason,
				 walk[n].state, walk[n].reason);
		if (n == 0)
			first = s->sequence;
		else if (s->sequence != first + n)
			fail_msg("StateChanged %s/%s has sequence %" PRIu64 ", expected %" PRIu64, s->state,
				 s->reason, s->sequence, first + n);

		const HarnessSignal *agg = harness_signal_find(mark, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
							       "DomainStateChanged", path);
		for (; agg && agg->sequence != s->sequence;)
			agg = harness_signal_find(agg->index + 1, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
						  "DomainStateChanged", path);
		if (!agg || strcmp(agg->state, s->state) != 0 || strcmp(agg->reason, s->reason) != 0)
			fail_msg("no DomainStateChanged for %s/%s #%" PRIu64, s->state, s->reason,
				 s->sequence);

		/* PropertiesChanged in order too (it may come just before or after StateChanged). */
		const HarnessSignal *p =
			harness_signal_find(props_from, path, "org.freedesktop.DBus.Properties",
					    "PropertiesChanged", ZVIRT_DOMAIN_IFACE);
		for (; p && !(p->state && strcmp(p->state, s->state) == 0);)
			p = harness_signal_find(p->index + 1, path, "org.freedesktop.DBus.Properties",
						"PropertiesChanged", ZVIRT_DOMAIN_IFACE);
		if (!p)
			fail_msg("no PropertiesChanged with State=%s", s->state);
		if (p->reason && strcmp(p->reason, s->reason) != 0)
			fail_msg("PropertiesChanged State=%s carries StateReason=%s, expected %s", p->state,
				 p->reason, s->reason);
		props_from = p->index + 1;
		n++;
	}
	if (n != ELEMENTSOF(walk))
		fail_msg("%zu StateChanged signals, expected %zu", n, ELEMENTSOF(walk));
}

static void test_full_cycle(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("lc-guest");
	_cleanup_free_ char *log = harness_console_log("lc-guest");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *ready = NULL;
	off_t console_mark = harness_file_size(log);
	uint32_t pid;
	size_t mark;

	harness_assert_state(path, "shut-off", "unknown");
	assert_int_equal(harness_get_i32(path, ZVIRT_DOMAIN_IFACE, "Id"), -1);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);
	expect_wrong_state(path, "Suspend", "shut-off", "unknown");
	expect_wrong_state(path, "Resume", "shut-off", "unknown");

	mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);
	assert_true(harness_pid_alive((pid_t)pid));
	assert_true(harness_get_i32(path, ZVIRT_DOMAIN_IFACE, "Id") >= 0);
	assert_int_equal(harness_wait_console_from(log, console_mark, "zvirt-guest: ready boot_id=",
						   HARNESS_BOOT_TIMEOUT_MS, &ready),
			 0);

	/* Wrong-state calls on a running domain. */
	expect_wrong_state(path, "Resume", "running", "booted");
	expect_wrong_state(path, "Start", "running", "booted");
	expect_wrong_state(path, "Undefine", "running", "booted");
	{
		_cleanup_free_ char *p = harness_lookup("lc-guest");
		assert_non_null(p); /* still defined */
	}

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Suspend", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	expect_wrong_state(path, "Suspend", "paused", "user");

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);

	/* The guest powers itself off on the SCLP quiesce signal. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Shutdown", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "in-shutdown", "unknown", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_state(path, "shut-off", "shutdown", HARNESS_BOOT_TIMEOUT_MS), 0);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);
	assert_int_equal(harness_get_i32(path, ZVIRT_DOMAIN_IFACE, "Id"), -1);
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);

	expect_wrong_state(path, "Suspend", "shut-off", "shutdown");
	check_walk_signals(path, mark);

	harness_undefine(path);
	assert_null(harness_lookup("lc-guest"));
}

static void test_start_paused_then_destroy(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("paused-guest");
	_cleanup_free_ char *path = harness_define(xml);
	uint32_t pid;

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);
	assert_true(harness_pid_alive((pid_t)pid));

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);

	/* Nothing left to destroy. */
	expect_wrong_state(path, "Destroy", "shut-off", "destroyed");
	harness_undefine(path);
}

static void test_qemu_killed_is_crash(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("crash-guest");
	_cleanup_free_ char *path = harness_define(xml);
	uint32_t pid;

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);

	assert_return_code(kill((pid_t)pid, SIGKILL), errno);
	assert_int_equal(harness_wait_state(path, "shut-off", "crashed", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);
	assert_int_equal(harness_get_i32(path, ZVIRT_DOMAIN_IFACE, "Id"), -1);
	{
		_cleanup_free_ char *p = harness_lookup("crash-guest");
		assert_non_null(p); /* a crash does not undefine a persistent domain */
	}
	harness_undefine(path);
}

/* Shutdown of a paused guest: its vCPUs must run for it to see the
 * quiesce signal, so it goes paused → in-shutdown → shut-off/shutdown
 * instead of sitting in in-shutdown with stopped vCPUs. */
static void test_shutdown_while_paused(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("paused-shutdown");
	_cleanup_free_ char *log = harness_console_log("paused-shutdown");
	_cleanup_free_ char *path = harness_define(xml);
	off_t mark = harness_file_size(log);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(
		harness_wait_console_from(log, mark, "zvirt-guest: ready", HARNESS_BOOT_TIMEOUT_MS, NULL),
		0);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Suspend", "a{sv}", 0));
	harness_assert_state(path, "paused", "user");

	size_t from = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Shutdown", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "shutdown", HARNESS_STATE_TIMEOUT_MS), 0);
	/* Straight from paused to in-shutdown: no running/unpaused between. */
	const HarnessSignal *s = harness_signal_find(from, path, ZVIRT_DOMAIN_IFACE, "StateChanged", NULL);
	assert_non_null(s);
	assert_string_equal(s->state, "in-shutdown");
	harness_undefine(path);
}

/* A QEMU that exits at once says why in its log; the error says it too,
 * not only the step that noticed (the QMP handshake). */
static void test_start_failure_carries_qemu_message(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("no-kernel");
	char *k = strstr(xml, "/vmlinuz");
	assert_non_null(k);
	memcpy(k, "/vmlinuX", strlen("/vmlinuX"));
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	int r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}",
				  0);
	assert_true(r < 0);
	assert_true(sd_bus_error_has_name(&error, ZVIRT_ERROR("HypervisorError")));
	if (!strstr(error.message, "could not load kernel") || !strstr(error.message, "/vmlinuX"))
		fail_msg("the error does not carry QEMU's line: %s", error.message);
	harness_assert_state(path, "shut-off", "failed");
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_cycle),
		cmocka_unit_test(test_start_paused_then_destroy),
		cmocka_unit_test(test_qemu_killed_is_crash),
		cmocka_unit_test(test_shutdown_while_paused),
		cmocka_unit_test(test_start_failure_carries_qemu_message),
	};

	return harness_main("lifecycle", tests, 0);
}
