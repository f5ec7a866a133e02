/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One state-changing call per domain at a time: a second one while the
 * first is in flight is org.zvirt1.Error.Busy and changes nothing; the
 * first still completes. QEMU is held with SIGSTOP where a call would
 * otherwise be over too soon to be overtaken.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define BUSY ZVIRT_ERROR("Busy")

typedef struct Pending {
	sd_bus_slot *slot;
	bool done;
	char error_name[128];
	char error_message[512];
} Pending;

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	Pending *p = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);

	if (e) {
		snprintf(p->error_name, sizeof(p->error_name), "%s", e->name);
		snprintf(p->error_message, sizeof(p->error_message), "%s", e->message ?: "");
	}
	p->done = true;
	return 0;
}

/* Sends a call on harness_bus() without waiting for its answer. */
static void call_async(Pending *p, const char *path, const char *method)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

	*p = (Pending){};
	assert_return_code(sd_bus_message_new_method_call(harness_bus(), &m, ZVIRT_BUS_NAME, path,
							  ZVIRT_DOMAIN_IFACE, method),
			   0);
	assert_return_code(sd_bus_message_append(m, "a{sv}", 0), 0);
	assert_return_code(
		sd_bus_call_async(harness_bus(), &p->slot, m, on_reply, p, HARNESS_CALL_TIMEOUT_USEC), 0);
}

/* Dispatches harness_bus() until p is answered. */
static void wait_reply(Pending *p, const char *what)
{
	for (int i = 0; !p->done && i < 600; i++) {
		int r = sd_bus_process(harness_bus(), NULL);
		assert_return_code(r, -r);
		if (r == 0)
			(void)sd_bus_wait(harness_bus(), 100 * 1000);
	}
	if (!p->done)
		fail_msg("%s was not answered", what);
	p->slot = sd_bus_slot_unref(p->slot);
}

/* A second call is Busy, names the call in flight, and moves nothing:
 * same state, same QEMU (pid NULL: not compared, a Start in flight sets
 * it on its own). */
static void expect_busy(const char *path, const char *method, const char *in_flight, const char *state,
			const char *reason, const uint32_t *pid)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	size_t mark = harness_signal_mark();

	int r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, method, "a{sv}", 0);
	if (r >= 0 || !sd_bus_error_has_name(&error, BUSY))
		fail_msg("%s while %s is in flight: %s (%s), expected %s", method, in_flight,
			 r >= 0 ? "success" : error.name, r >= 0 ? "" : error.message, BUSY);
	if (!strstr(error.message, in_flight))
		fail_msg("'%s' does not name %s", error.message, in_flight);

	harness_assert_state(path, state, reason);
	if (pid)
		assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), *pid);
	assert_return_code(harness_flush_signals(), 0);
	if (harness_signal_find(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", NULL))
		fail_msg("%s was Busy but the state changed", method);
}

/* Start, and Start again before the first has the guest running. */
static void test_second_start_is_busy(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("busy-start");
	_cleanup_free_ char *path = harness_define(xml);
	size_t mark = harness_signal_mark();
	Pending start;

	call_async(&start, path, "Start");
	/* harness_call_full() sends after the Start: the daemon sees them in order. */
	expect_busy(path, "Start", "Start", "shut-off", "unknown", NULL);

	wait_reply(&start, "the first Start");
	if (start.error_name[0])
		fail_msg("the first Start failed: %s (%s)", start.error_name, start.error_message);
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0 && harness_pid_alive((pid_t)pid));

	/* One start happened: one running/booted, nothing after it. */
	assert_return_code(harness_flush_signals(), 0);
	const HarnessSignal *s =
		harness_signal_find(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "running");
	assert_non_null(s);
	assert_null(harness_signal_find(s->index + 1, path, ZVIRT_DOMAIN_IFACE, "StateChanged", NULL));

	harness_undefine(path);
}

/* With QEMU stopped, a call waits for its QMP answer as long as needed:
 * every call the state allows is Busy meanwhile. */
static void test_busy_while_qemu_is_held(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("busy-held");
	_cleanup_free_ char *path = harness_define(xml);
	Pending first;

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);

	/* Paused: Resume in flight; Resume, Reset, Shutdown, Reboot are Busy. */
	assert_return_code(kill((pid_t)pid, SIGSTOP), errno);
	call_async(&first, path, "Resume");
	static const char *const paused_calls[] = {"Resume", "Reset", "Shutdown", "Reboot"};
	for (size_t i = 0; i < ELEMENTSOF(paused_calls); i++)
		expect_busy(path, paused_calls[i], "Resume", "paused", "user", &pid);
	assert_false(first.done);
	assert_return_code(kill((pid_t)pid, SIGCONT), errno);
	wait_reply(&first, "Resume");
	if (first.error_name[0])
		fail_msg("Resume failed: %s (%s)", first.error_name, first.error_message);
	assert_int_equal(harness_wait_state(path, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);

	/* Running: two Shutdowns; the second is Busy, the first completes. */
	assert_return_code(kill((pid_t)pid, SIGSTOP), errno);
	call_async(&first, path, "Shutdown");
	expect_busy(path, "Shutdown", "Shutdown", "running", "unpaused", &pid);
	expect_busy(path, "Suspend", "Shutdown", "running", "unpaused", &pid);
	assert_return_code(kill((pid_t)pid, SIGCONT), errno);
	wait_reply(&first, "Shutdown");
	if (first.error_name[0])
		fail_msg("Shutdown failed: %s (%s)", first.error_name, first.error_message);
	assert_int_equal(harness_wait_state(path, "in-shutdown", "unknown", HARNESS_STATE_TIMEOUT_MS), 0);

	harness_undefine(path);
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_start_is_busy),
		cmocka_unit_test(test_busy_while_qemu_is_held),
	};
	return harness_main("busy", tests, 0);
}
