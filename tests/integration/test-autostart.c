/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain.Autostart: a writable property behind polkit
 * (org.zvirt1.domain.define), kept as <StateDir>/autostart/<uuid>.xml, and
 * honoured once per host boot: the first daemon start after a boot starts
 * the marked domains, later daemon starts (restarts) do not. The harness's
 * RunDir stands in for /run, so removing its "autostarted" mark is a
 * reboot as far as the daemon can tell.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define NOT_AUTHORIZED   ZVIRT_ERROR("NotAuthorized")
#define PROPERTIES_IFACE "org.freedesktop.DBus.Properties"

static const char *uuid_hex_of(const char *path)
{
	const char *p = strrchr(path, '/');
	assert_non_null(p);
	return p + 1;
}

static char *autostart_link(const char *path)
{
	char *s;
	assert_true(asprintf(&s, "%s/state/autostart/%s.xml", harness_tmpdir(), uuid_hex_of(path)) > 0);
	return s;
}

static bool link_exists(const char *link)
{
	struct stat st;
	return lstat(link, &st) == 0;
}

static int set_autostart(const char *path, bool value, sd_bus_error *error)
{
	return sd_bus_set_property(harness_bus(), ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE, "Autostart",
				   error, "b", (int)value);
}

static void assert_set_autostart(const char *path, bool value)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = set_autostart(path, value, &error);
	if (r < 0)
		fail_msg("Setting Autostart=%d on %s: %s", value, path, error.message ?: strerror(-r));
}

/* Whether ListDomains with the given autostart filter lists path. */
static bool listed(const char *path, bool autostart)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 1, "autostart",
			     "b", (int)autostart);
	const char *p;
	bool found = false;

	assert_return_code(sd_bus_message_enter_container(reply, 'a', "o"), 0);
	while (sd_bus_message_read(reply, "o", &p) > 0)
		if (strcmp(p, path) == 0)
			found = true;
	return found;
}

static void test_autostart_property(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("autostart-plain", NULL);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *link = autostart_link(path);
	char target[PATH_MAX];
	ssize_t n;
	size_t mark;

	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
	assert_false(link_exists(link));
	assert_false(listed(path, true));
	assert_true(listed(path, false));

	/* On: the property, the signal, the mark on disk, the filter. */
	mark = harness_signal_mark();
	assert_set_autostart(path, true);
	assert_true(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
	{
		const HarnessSignal *s =
			harness_wait_signal(mark, path, PROPERTIES_IFACE, "PropertiesChanged",
					    ZVIRT_DOMAIN_IFACE, HARNESS_SIGNAL_TIMEOUT_MS);
		assert_non_null(s);
		assert_non_null(strstr(s->properties, ",Autostart,"));
	}
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = 0;
	{
		_cleanup_free_ char *expected = NULL;
		assert_true(asprintf(&expected, "../domains/%s.xml", uuid_hex_of(path)) > 0);
		assert_string_equal(target, expected);
	}
	assert_true(listed(path, true));
	assert_false(listed(path, false));

	/* Setting what is already set is no error and no change. */
	assert_set_autostart(path, true);
	assert_true(link_exists(link));

	/* A value of the wrong type changes nothing. */
	{
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		int r = sd_bus_set_property(harness_bus(), ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE,
					    "Autostart", &error, "s", "no");
		assert_true(r < 0);
		assert_string_equal(error.name, SD_BUS_ERROR_INVALID_ARGS);
		assert_true(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
	}

	/* nobody has no rule for this domain: refused, nothing changes, and
	 * answered once (a second answer, which the bus would reject and
	 * log, once came from the gate and from sd-bus both). */
	_cleanup_free_ char *bus_log = NULL;
	assert_true(asprintf(&bus_log, "%s/dbus-daemon.log", harness_tmpdir()) > 0);
	off_t bus_mark = harness_file_size(bus_log);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, PROPERTIES_IFACE, "Set", "ssv", ZVIRT_DOMAIN_IFACE,
				    "Autostart", "b", 0);
	assert_true(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 0));
	if (harness_wait_console_from(bus_log, bus_mark, "Rejected", 200, NULL) == 0)
		fail_msg("the bus rejected a second answer to the refused Set");
	assert_true(link_exists(link));

	/* Off again. */
	assert_set_autostart(path, false);
	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
	assert_false(link_exists(link));

	/* Undefine takes the mark with the definition. */
	assert_set_autostart(path, true);
	assert_true(link_exists(link));
	harness_undefine(path);
	assert_false(link_exists(link));
}

/* A polkit rule, not uid 0: the call waits for polkit's yes and then sets. */
static void test_autostart_granted_by_rule(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml(HARNESS_DEFINE_GRANTED_DOMAIN, NULL);
	_cleanup_free_ char *other_xml = harness_minimal_xml("autostart-not-granted", NULL);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *other = harness_define(other_xml);
	_cleanup_free_ char *link = autostart_link(path);

	free(harness_nobody_call(path, PROPERTIES_IFACE, "Set", "ssv", ZVIRT_DOMAIN_IFACE, "Autostart", "b",
				 1));
	assert_true(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
	assert_true(link_exists(link));
	free(harness_nobody_call(path, PROPERTIES_IFACE, "Set", "ssv", ZVIRT_DOMAIN_IFACE, "Autostart", "b",
				 0));
	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
	assert_false(link_exists(link));

	harness_nobody_expect_error(NOT_AUTHORIZED, other, PROPERTIES_IFACE, "Set", "ssv",
				    ZVIRT_DOMAIN_IFACE, "Autostart", "b", 1);
	assert_false(harness_get_bool(other, ZVIRT_DOMAIN_IFACE, "Autostart"));

	harness_undefine(path);
	harness_undefine(other);
}

/* Only a defined domain can start at boot. */
static void test_autostart_transient(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("autostart-transient");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *link = autostart_link(path);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_set_autostart(path, true);

	/* Undefined while running: transient now, so no autostart. */
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 1, "keep-running", "b", 1));
	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Persistent"));
	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
	assert_false(link_exists(link));
	{
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		assert_true(set_autostart(path, true, &error) < 0);
		assert_string_equal(error.name, ZVIRT_ERROR("OperationInvalid"));
		assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
		assert_false(link_exists(link));
	}

	/* Gone when it stops. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	for (int i = 0; i < 100; i++) {
		_cleanup_free_ char *p = harness_lookup("autostart-transient");
		if (!p)
			return;
		usleep(100 * 1000);
	}
	fail_msg("the transient domain is still there after Destroy");
}

static void simulate_reboot(void)
{
	_cleanup_free_ char *mark = NULL;
	assert_true(asprintf(&mark, "%s/run/autostarted", harness_tmpdir()) > 0);
	assert_true(link_exists(mark)); /* the running daemon autostarted */
	assert_int_equal(harness_stop_daemon(), 0);
	assert_return_code(unlink(mark), 0);
}

/* No StateChanged for path within a few seconds (a start shows in 0.1 s). */
static void assert_not_started(const char *path, size_t mark)
{
	assert_null(harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", NULL, 3000));
	harness_assert_state(path, "shut-off", "unknown");
}

static void test_autostart_at_boot(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("autostart-boot");
	_cleanup_free_ char *idle_xml = harness_minimal_xml("autostart-idle", NULL);
	_cleanup_free_ char *log = harness_console_log("autostart-boot");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *idle = harness_define(idle_xml);
	_cleanup_free_ char *stale = NULL;
	off_t console_mark;
	uint32_t pid;
	size_t mark;

	assert_set_autostart(path, true);

	/* A daemon restart in the same boot starts nothing. */
	mark = harness_signal_mark();
	assert_int_equal(harness_restart_daemon(), 0);
	assert_true(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
	assert_false(harness_get_bool(idle, ZVIRT_DOMAIN_IFACE, "Autostart"));
	assert_not_started(path, mark);

	/* A mark whose definition is gone is dropped at load. */
	assert_true(asprintf(&stale, "%s/state/autostart/0123456789abcdef0123456789abcdef.xml",
			     harness_tmpdir()) > 0);
	assert_return_code(symlink("../domains/0123456789abcdef0123456789abcdef.xml", stale), 0);

	/* The first start after a boot starts it, and only it. */
	simulate_reboot();
	console_mark = harness_file_size(log);
	mark = harness_signal_mark();
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console_from(log, console_mark, "zvirt-guest: ready",
						   HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	assert_null(harness_signal_find(mark, idle, ZVIRT_DOMAIN_IFACE, "StateChanged", NULL));
	harness_assert_state(idle, "shut-off", "unknown");
	assert_false(link_exists(stale));
	pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);

	/* Restarted with the guest running: reattached, not started twice. */
	assert_int_equal(harness_restart_daemon(), 0);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	harness_assert_state(path, "running", "booted");

	/* What a user stopped stays stopped across a daemon restart. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);
	mark = harness_signal_mark();
	assert_int_equal(harness_restart_daemon(), 0);
	assert_null(harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", NULL, 3000));
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);

	harness_undefine(path);
	harness_undefine(idle);
}

/* A domain that cannot start is logged; the daemon and the others go on. */
static void test_autostart_failure_is_logged(void **state)
{
	_cleanup_free_ char *bad_xml = NULL;
	_cleanup_free_ char *good_xml = harness_guest_xml("autostart-good");
	_cleanup_free_ char *good = harness_define(good_xml);
	_cleanup_free_ char *bad = NULL;
	_cleanup_free_ char *daemon_log = NULL;

	/* Defines fine, but its kernel is not there at start. */
	bad_xml = harness_guest_xml("autostart-bad");
	{
		char *k = strstr(bad_xml, "/vmlinuz");
		assert_non_null(k);
		memcpy(k, "/vmlinuX", strlen("/vmlinuX"));
	}
	bad = harness_define(bad_xml);
	assert_set_autostart(good, true);
	assert_set_autostart(bad, true);

	simulate_reboot();
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(harness_wait_state(good, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_state(bad, "shut-off", "failed", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_true(harness_get_bool(bad, ZVIRT_DOMAIN_IFACE, "Autostart"));
	{
		_cleanup_free_ char *log = harness_read_file(harness_daemon_log());
		assert_non_null(strstr(log, "autostart-bad: autostart failed"));
	}

	harness_undefine(good);
	harness_undefine(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_autostart_property),
		cmocka_unit_test(test_autostart_granted_by_rule),
		cmocka_unit_test(test_autostart_transient),
		cmocka_unit_test(test_autostart_at_boot),
		cmocka_unit_test(test_autostart_failure_is_logged),
	};

	return harness_main("autostart", tests, 0);
}
