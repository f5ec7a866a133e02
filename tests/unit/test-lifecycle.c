/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state/reason table of docs/lifecycle.md, row by row. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/lifecycle-table.h"

static void test_state_reason_rows(void **state)
{
	static const struct {
		const char *state, *reason;
	} rows[] = {
		{"shut-off", "unknown"},   {"shut-off", "saved"},   {"shut-off", "shutdown"},
		{"shut-off", "destroyed"}, {"shut-off", "crashed"}, {"shut-off", "migrated"},
		{"shut-off", "failed"},    {"running", "booted"},   {"running", "migrated"},
		{"running", "restored"},   {"running", "unpaused"}, {"running", "reset"},
		{"paused", "user"},        {"paused", "migrating"}, {"paused", "ioerror"},
		{"paused", "watchdog"},    {"crashed", "panicked"}, {"in-shutdown", "unknown"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int s = domain_state_from_string(rows[i].state),
		    r = domain_reason_from_string(rows[i].reason);
		assert_true(s >= 0);
		assert_true(r >= 0);
		assert_true(domain_state_reason_valid(s, r));
		/* The strings round-trip exactly: they are the API's words. */
		assert_string_equal(domain_state_to_string(s), rows[i].state);
		assert_string_equal(domain_reason_to_string(r), rows[i].reason);
	}
	/* Pairs that are not rows. */
	assert_false(domain_state_reason_valid(DOMAIN_STATE_RUNNING, DOMAIN_REASON_USER));
	assert_false(domain_state_reason_valid(DOMAIN_STATE_SHUT_OFF, DOMAIN_REASON_BOOTED));
	assert_false(domain_state_reason_valid(DOMAIN_STATE_CRASHED, DOMAIN_REASON_UNKNOWN));
	assert_false(domain_state_reason_valid(DOMAIN_STATE_IN_SHUTDOWN, DOMAIN_REASON_SHUTDOWN));
	assert_int_equal(domain_state_from_string("shut off"), -EINVAL);
	assert_int_equal(domain_reason_from_string("Booted"), -EINVAL);
}

static void assert_start(DomainReason from, bool image_paused, bool paused, bool force,
			 DomainState want_state, DomainReason want_reason)
{
	DomainState s;
	DomainReason r;
	lifecycle_start_result(from, image_paused, paused, force, &s, &r);
	assert_int_equal(s, want_state);
	assert_int_equal(r, want_reason);
}

static void test_start_table(void **state)
{
	/* "From shut-off" table: columns unknown/shutdown/destroyed/crashed/failed. */
	DomainReason plain[] = {DOMAIN_REASON_UNKNOWN, DOMAIN_REASON_SHUTDOWN, DOMAIN_REASON_DESTROYED,
				DOMAIN_REASON_CRASHED, DOMAIN_REASON_FAILED};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		assert_start(plain[i], false, false, false, DOMAIN_STATE_RUNNING, DOMAIN_REASON_BOOTED);
		assert_start(plain[i], false, false, true, DOMAIN_STATE_RUNNING, DOMAIN_REASON_BOOTED);
		assert_start(plain[i], false, true, false, DOMAIN_STATE_PAUSED, DOMAIN_REASON_USER);
	}
	/* saved, image taken while running */
	assert_start(DOMAIN_REASON_SAVED, false, false, false, DOMAIN_STATE_RUNNING, DOMAIN_REASON_RESTORED);
	assert_start(DOMAIN_REASON_SAVED, false, false, true, DOMAIN_STATE_RUNNING, DOMAIN_REASON_BOOTED);
	assert_start(DOMAIN_REASON_SAVED, false, true, false, DOMAIN_STATE_PAUSED, DOMAIN_REASON_MIGRATING);
	/* saved, image taken while paused */
	assert_start(DOMAIN_REASON_SAVED, true, false, false, DOMAIN_STATE_PAUSED, DOMAIN_REASON_MIGRATING);
	assert_start(DOMAIN_REASON_SAVED, true, false, true, DOMAIN_STATE_PAUSED, DOMAIN_REASON_USER);
	assert_start(DOMAIN_REASON_SAVED, true, true, false, DOMAIN_STATE_PAUSED, DOMAIN_REASON_MIGRATING);
}

static void test_allowed_calls(void **state)
{
	static const struct {
		DomainOp op;
		DomainState state;
		bool allowed;
	} cases[] = {
		{DOMAIN_OP_START, DOMAIN_STATE_SHUT_OFF, true},
		{DOMAIN_OP_START, DOMAIN_STATE_RUNNING, false},
		{DOMAIN_OP_START, DOMAIN_STATE_PAUSED, false},
		{DOMAIN_OP_DESTROY, DOMAIN_STATE_RUNNING, true},
		{DOMAIN_OP_DESTROY, DOMAIN_STATE_PAUSED, true},
		{DOMAIN_OP_DESTROY, DOMAIN_STATE_CRASHED, true},
		{DOMAIN_OP_DESTROY, DOMAIN_STATE_IN_SHUTDOWN, true},
		{DOMAIN_OP_DESTROY, DOMAIN_STATE_SHUT_OFF, false},
		{DOMAIN_OP_SHUTDOWN, DOMAIN_STATE_RUNNING, true},
		{DOMAIN_OP_SHUTDOWN, DOMAIN_STATE_PAUSED, true},
		{DOMAIN_OP_SHUTDOWN, DOMAIN_STATE_SHUT_OFF, false},
		{DOMAIN_OP_SHUTDOWN, DOMAIN_STATE_CRASHED, false},
		{DOMAIN_OP_SUSPEND, DOMAIN_STATE_RUNNING, true},
		{DOMAIN_OP_SUSPEND, DOMAIN_STATE_PAUSED, false},
		{DOMAIN_OP_SUSPEND, DOMAIN_STATE_SHUT_OFF, false},
		{DOMAIN_OP_RESUME, DOMAIN_STATE_PAUSED, true},
		{DOMAIN_OP_RESUME, DOMAIN_STATE_RUNNING, false},
		{DOMAIN_OP_RESUME, DOMAIN_STATE_SHUT_OFF, false},
		{DOMAIN_OP_UNDEFINE, DOMAIN_STATE_SHUT_OFF, true},
		{DOMAIN_OP_UNDEFINE, DOMAIN_STATE_RUNNING, false},
		{DOMAIN_OP_REBOOT, DOMAIN_STATE_RUNNING, true},
		{DOMAIN_OP_REBOOT, DOMAIN_STATE_SHUT_OFF, false},
		{DOMAIN_OP_RESET, DOMAIN_STATE_CRASHED, true},
		{DOMAIN_OP_RESET, DOMAIN_STATE_SHUT_OFF, false},
		{DOMAIN_OP_INJECT_NMI, DOMAIN_STATE_RUNNING, true},
		{DOMAIN_OP_INJECT_NMI, DOMAIN_STATE_PAUSED, true},
		{DOMAIN_OP_INJECT_NMI, DOMAIN_STATE_CRASHED, false},
		{DOMAIN_OP_INJECT_NMI, DOMAIN_STATE_SHUT_OFF, false},
		{DOMAIN_OP_OPEN_CONSOLE, DOMAIN_STATE_RUNNING, true},
		{DOMAIN_OP_OPEN_CONSOLE, DOMAIN_STATE_CRASHED, true},
		{DOMAIN_OP_OPEN_CONSOLE, DOMAIN_STATE_IN_SHUTDOWN, true},
		{DOMAIN_OP_OPEN_CONSOLE, DOMAIN_STATE_SHUT_OFF, false},
		{DOMAIN_OP_ATTACH_DEVICE, DOMAIN_STATE_RUNNING, true},
		{DOMAIN_OP_ATTACH_DEVICE, DOMAIN_STATE_PAUSED, true},
		{DOMAIN_OP_ATTACH_DEVICE, DOMAIN_STATE_CRASHED, false},
		{DOMAIN_OP_ATTACH_DEVICE, DOMAIN_STATE_IN_SHUTDOWN, false},
		{DOMAIN_OP_ATTACH_DEVICE, DOMAIN_STATE_SHUT_OFF, false},
		{DOMAIN_OP_DETACH_DEVICE, DOMAIN_STATE_PAUSED, true},
		{DOMAIN_OP_DETACH_DEVICE, DOMAIN_STATE_CRASHED, false},
		{DOMAIN_OP_UPDATE_DEVICE, DOMAIN_STATE_RUNNING, true},
		{DOMAIN_OP_UPDATE_DEVICE, DOMAIN_STATE_SHUT_OFF, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ZvError err = ZV_ERROR_INIT;
		int r = lifecycle_check(cases[i].op, cases[i].state, DOMAIN_REASON_UNKNOWN, "vs1", &err);
		if (cases[i].allowed) {
			assert_int_equal(r, 0);
			assert_int_equal(err.code, ZV_ERROR_NONE);
		} else {
			assert_int_equal(r, -EPERM);
			assert_int_equal(err.code, ZV_ERROR_OPERATION_INVALID);
		}
	}
}

static void test_error_names_state_and_reason(void **state)
{
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(
		lifecycle_check(DOMAIN_OP_RESUME, DOMAIN_STATE_RUNNING, DOMAIN_REASON_BOOTED, "vs1", &err),
		-EPERM);
	assert_string_equal(
		err.message,
		"Resume is not possible: domain 'vs1' is running (booted); it needs to be paused");

	zv_error_clear(&err);
	assert_int_equal(lifecycle_check(DOMAIN_OP_SUSPEND, DOMAIN_STATE_SHUT_OFF, DOMAIN_REASON_DESTROYED,
					 "a", &err),
			 -EPERM);
	assert_non_null(strstr(err.message, "is shut-off (destroyed)"));
}

static void test_qemu_status(void **state)
{
	DomainState s;
	DomainReason r;
	assert_int_equal(lifecycle_from_qemu_status("running", &s, &r), 0);
	assert_int_equal(s, DOMAIN_STATE_RUNNING);
	assert_int_equal(lifecycle_from_qemu_status("io-error", &s, &r), 0);
	assert_int_equal(s, DOMAIN_STATE_PAUSED);
	assert_int_equal(r, DOMAIN_REASON_IOERROR);
	assert_int_equal(lifecycle_from_qemu_status("guest-panicked", &s, &r), 0);
	assert_int_equal(s, DOMAIN_STATE_CRASHED);
	assert_int_equal(r, DOMAIN_REASON_PANICKED);
	assert_int_equal(lifecycle_from_qemu_status("prelaunch", &s, &r), 0);
	assert_int_equal(s, DOMAIN_STATE_PAUSED);
	assert_int_equal(r, DOMAIN_REASON_USER);
	assert_int_equal(lifecycle_from_qemu_status("watchdog", &s, &r), 0);
	assert_int_equal(r, DOMAIN_REASON_WATCHDOG);
	assert_int_equal(lifecycle_from_qemu_status("shutdown", &s, &r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_reason_rows),
		cmocka_unit_test(test_start_table),
		cmocka_unit_test(test_allowed_calls),
		cmocka_unit_test(test_error_names_state_and_reason),
		cmocka_unit_test(test_qemu_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
