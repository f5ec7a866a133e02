/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rows of docs/lifecycle.md that a guest drives: a panic (the guest enters
 * a disabled wait, QEMU reports GUEST_PANICKED) under each on_crash
 * action, Reset, and Reboot.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void test_panic_preserve(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml_on_crash("crash-preserve", "preserve");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *log = harness_console_log("crash-preserve");

	harness_boot_guest(path, "crash-preserve");
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	size_t mark = harness_signal_mark();

	harness_panic_guest(path);
	assert_int_equal(harness_wait_state(path, "crashed", "panicked", HARNESS_BOOT_TIMEOUT_MS), 0);
	const HarnessSignal *crashed = harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "Crashed", NULL,
							   HARNESS_STATE_TIMEOUT_MS);
	assert_non_null(crashed);

	/* Preserved for a dump: QEMU is still there. */
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	assert_true(harness_pid_alive((pid_t)pid));

	/* Reset brings a crashed guest back: running/reset in the same QEMU,
	 * and the guest boots again (a new ready line). */
	off_t console_mark = harness_file_size(log);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Reset", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "reset", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	assert_int_equal(harness_wait_console_from(log, console_mark, "zvirt-guest: ready boot_id=",
						   HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);

	/* A second panic, then Destroy from crashed. */
	harness_panic_guest(path);
	assert_int_equal(harness_wait_state(path, "crashed", "panicked", HARNESS_BOOT_TIMEOUT_MS), 0);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_assert_state(path, "shut-off", "destroyed");
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);
	harness_undefine(path);
}

static void test_panic_destroy(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml_on_crash("crash-destroy", "destroy");
	_cleanup_free_ char *path = harness_define(xml);

	harness_boot_guest(path, "crash-destroy");
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	size_t mark = harness_signal_mark();

	harness_panic_guest(path);
	assert_int_equal(harness_wait_state(path, "shut-off", "crashed", HARNESS_BOOT_TIMEOUT_MS), 0);
	/* It passed through crashed/panicked on the way. */
	assert_non_null(harness_signal_find(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "crashed"));
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);
	harness_undefine(path);
}

static void test_panic_restart(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml_on_crash("crash-restart", "restart");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *log = harness_console_log("crash-restart");

	harness_boot_guest(path, "crash-restart");
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	off_t console_mark = harness_file_size(log);
	size_t mark = harness_signal_mark();

	/* crashed/panicked, then a new QEMU boots the same configuration. */
	harness_panic_guest(path);
	assert_non_null(harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "crashed",
					    HARNESS_BOOT_TIMEOUT_MS));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_BOOT_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console_from(log, console_mark, "zvirt-guest: ready boot_id=",
						   HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	assert_true(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid") != pid);
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_assert_state(path, "shut-off", "destroyed");
	harness_undefine(path);
}

static void test_reboot(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("reboot-guest");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *log = harness_console_log("reboot-guest");

	harness_boot_guest(path, "reboot-guest");
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	off_t console_mark = harness_file_size(log);
	size_t mark = harness_signal_mark();

	/* Reboot (on_reboot=restart): the guest shuts down in an orderly way,
	 * shut-off/shutdown, then the unchanged configuration boots again:
	 * running/booted, as docs/lifecycle.md says. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Reboot", "a{sv}", 0));
	assert_int_equal(harness_wait_console_from(log, console_mark, "zvirt-guest: powering off",
						   HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	assert_non_null(harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "shut-off",
					    HARNESS_BOOT_TIMEOUT_MS));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_BOOT_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console_from(log, console_mark, "zvirt-guest: ready boot_id=",
						   HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	assert_true(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid") != pid);
	/* No pause was ever reported: the guest's halt is part of the shutdown. */
	assert_null(harness_signal_find(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "paused"));

	/* Reset on a running guest: running/reset. A second reset in a row is
	 * a transition of its own: a new StateChanged, a higher sequence. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Reset", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "reset", HARNESS_STATE_TIMEOUT_MS), 0);
	uint64_t seq = harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence");
	size_t reset_mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Reset", "a{sv}", 0));
	assert_non_null(harness_wait_signal(reset_mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "running",
					    HARNESS_STATE_TIMEOUT_MS));
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence"), seq + 1);
	harness_assert_state(path, "running", "reset");

	/* Graceful destroy: SIGTERM is enough for QEMU. */
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 1, "graceful", "b", 1));
	harness_assert_state(path, "shut-off", "destroyed");
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_panic_preserve),
		cmocka_unit_test(test_panic_destroy),
		cmocka_unit_test(test_panic_restart),
		cmocka_unit_test(test_reboot),
	};
	return harness_main("crash", tests, 0);
}
