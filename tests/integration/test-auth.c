/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Authorization, end to end: the unprivileged user nobody (another uid
 * than the daemon's, so sd-bus does not count it as privileged and polkit
 * is really asked) may read everything and change nothing, except what
 * tests/integration/test.rules grants: the life cycle of "granted-guest"
 * and Start of "start-only". And a flood of calls from a caller that
 * leaves does not flood the daemon's log.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define NOT_AUTHORIZED ZVIRT_ERROR("NotAuthorized")
/* test.rules: nobody may Start this domain, and no other life cycle call. */
#define START_ONLY_DOMAIN "start-only"

/* A refused call changes nothing: same state, same QEMU. */
static void assert_unchanged(const char *path, const char *state, const char *reason, uint32_t pid,
			     size_t mark)
{
	harness_assert_state(path, state, reason);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	assert_return_code(harness_flush_signals(), 0);
	assert_null(harness_signal_find(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", NULL));
}

static void test_nobody_cannot_change(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("auth-guest");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *other = harness_minimal_xml("auth-other", NULL);
	uint32_t pid;
	size_t mark;

	/* Shut off: Start is a valid call, only the caller is wrong. */
	mark = harness_signal_mark();
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused",
				    "b", 1);
	assert_unchanged(path, "shut-off", "unknown", 0, mark);

	/* Defining and undefining is org.zvirt1.domain.define. */
	harness_nobody_expect_error(NOT_AUTHORIZED, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DefineXML",
				    "sa{sv}", other, 0);
	assert_null(harness_lookup("auth-other"));
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 0);
	{
		_cleanup_free_ char *p = harness_lookup("auth-guest");
		assert_non_null(p);
	}
	/* Secrets in the XML are org.zvirt1.domain.dump. */
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1,
				    "security-info", "b", 1);

	/* Running: each life-cycle call is valid now, and still refused. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);
	mark = harness_signal_mark();
	static const char *const running_calls[] = {"Suspend", "Shutdown", "Destroy", "Reboot", "Reset"};
	for (size_t i = 0; i < ELEMENTSOF(running_calls); i++)
		harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, running_calls[i],
					    "a{sv}", 0);
	assert_unchanged(path, "running", "booted", pid, mark);
	assert_true(harness_pid_alive((pid_t)pid));

	/* Paused: Resume is valid, and refused. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Suspend", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	mark = harness_signal_mark();
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}", 0);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0);
	assert_unchanged(path, "paused", "user", pid, mark);

	harness_undefine(path);
}

static void test_nobody_can_read(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("auth-reader", NULL);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *out = NULL;

	out = harness_nobody_call(path, "org.freedesktop.DBus.Properties", "Get", "ss", ZVIRT_DOMAIN_IFACE,
				  "State");
	assert_non_null(strstr(out, "shut-off"));
	free(out);

	out = harness_nobody_call(path, "org.freedesktop.DBus.Properties", "GetAll", "s",
				  ZVIRT_DOMAIN_IFACE);
	assert_non_null(strstr(out, "auth-reader"));
	free(out);

	out = harness_nobody_call(ZVIRT_MANAGER_PATH, "org.freedesktop.DBus.Properties", "GetAll", "s",
				  ZVIRT_MANAGER_IFACE);
	assert_non_null(strstr(out, "DomainCount"));
	free(out);

	out = harness_nobody_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 0);
	assert_non_null(strstr(out, path));
	free(out);

	out = harness_nobody_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "LookupDomainByName", "sa{sv}",
				  "auth-reader", 0);
	assert_non_null(strstr(out, path));
	free(out);

	out = harness_nobody_call(path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 0);
	assert_non_null(strstr(out, "auth-reader"));
	free(out);

	out = harness_nobody_call(ZVIRT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
				  "GetManagedObjects", NULL);
	assert_non_null(strstr(out, path));
	free(out);

	out = harness_nobody_call(path, "org.freedesktop.DBus.Introspectable", "Introspect", NULL);
	assert_non_null(strstr(out, ZVIRT_DOMAIN_IFACE));
	free(out);
	out = NULL;

	harness_undefine(path);
}

/* test.rules: nobody may run the life cycle of "granted-guest", and only that. */
static void test_rule_grants_one_domain(void **state)
{
	_cleanup_free_ char *granted_xml = harness_guest_xml(HARNESS_GRANTED_DOMAIN);
	_cleanup_free_ char *other_xml = harness_guest_xml("other-guest");
	_cleanup_free_ char *granted = harness_define(granted_xml);
	_cleanup_free_ char *other = harness_define(other_xml);
	uint32_t pid;
	size_t mark;

	mark = harness_signal_mark();
	harness_nobody_expect_error(NOT_AUTHORIZED, other, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused",
				    "b", 1);
	assert_unchanged(other, "shut-off", "unknown", 0, mark);

	/* Paused keeps the host's CPU free: the grant is what is tested here. */
	free(harness_nobody_call(granted, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(granted, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	pid = harness_get_u32(granted, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);

	/* The grant is the life cycle, not the definition. */
	harness_nobody_expect_error(NOT_AUTHORIZED, granted, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 0);

	free(harness_nobody_call(granted, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(granted, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);

	harness_undefine(granted);
	harness_undefine(other);
}

static int destroy_as_nobody(sd_bus *bus, void *userdata, sd_bus_error *error, char **ret_output)
{
	return sd_bus_call_method(bus, ZVIRT_BUS_NAME, userdata, ZVIRT_DOMAIN_IFACE, "Destroy", error, NULL,
				  "a{sv}", 0);
}

/* The verb detail: a rule grants Start of a domain and not Destroy,
 * though both are org.zvirt1.domain.lifecycle, through the real polkitd. */
static void test_rule_grants_one_verb(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml(START_ONLY_DOMAIN);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *name = NULL, *message = NULL;
	uint32_t pid;
	size_t mark;

	free(harness_nobody_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);

	mark = harness_signal_mark();
	static const char *const refused[] = {"Resume", "Reset", "Shutdown", "Reboot"};
	for (size_t i = 0; i < ELEMENTSOF(refused); i++)
		harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, refused[i], "a{sv}",
					    0);
	/* The refusal says which call, on which domain, needs which action. */
	assert_true(harness_as_nobody(destroy_as_nobody, path, &name, &message, NULL) < 0);
	assert_string_equal(name, NOT_AUTHORIZED);
	static const char expected[] = "Not authorized to destroy domain '" START_ONLY_DOMAIN
				       "' (polkit action org.zvirt1.domain.lifecycle)";
	if (strncmp(message, expected, strlen(expected)) != 0)
		fail_msg("'%s' does not begin with '%s'", message, expected);
	assert_unchanged(path, "paused", "user", pid, mark);
	assert_true(harness_pid_alive((pid_t)pid));

	harness_undefine(path);
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);
}

#define FLOOD_CALLS 200
/* Log lines the flood may cause at most: the rate limit's burst and a
 * few more for the daemon's own business meanwhile. */
#define FLOOD_MAX_LINES 20

/* As nobody: one call that is answered (so the daemon knows this
 * caller's uid and later goes straight to polkit), then FLOOD_CALLS
 * calls sent at once, and gone (the child exits) before any answer. */
static int flood_and_leave(sd_bus *bus, void *userdata, sd_bus_error *error, char **ret_output)
{
	const char *path = userdata;
	int r;

	r = sd_bus_call_method(bus, ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE, "Start", error, NULL, "a{sv}",
			       0);
	if (r >= 0 || !sd_bus_error_has_name(error, NOT_AUTHORIZED))
		return r >= 0 ? -EIO : r;
	sd_bus_error_free(error);
	for (int i = 0; i < FLOOD_CALLS; i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

		r = sd_bus_message_new_method_call(bus, &m, ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE,
						   "Start");
		if (r >= 0)
			r = sd_bus_message_append(m, "a{sv}", 0);
		if (r >= 0)
			r = sd_bus_send(bus, m, NULL);
		if (r < 0)
			return r;
	}
	return sd_bus_flush(bus);
}

/* Lines in file from byte `from` on; the first of them in excerpt. */
static size_t count_lines_from(const char *file, off_t from, char *excerpt, size_t size)
{
	_cleanup_free_ char *text = harness_read_file(file);
	size_t n = 0;

	if ((size_t)from > strlen(text))
		from = 0;
	for (const char *p = text + from; *p; p++)
		if (*p == '\n')
			n++;
	snprintf(excerpt, size, "%s", text + from);
	return n;
}

/* A caller that leaves with its calls still being authorized must not
 * be able to write one log line per call. */
static void test_refused_flood_is_rate_limited(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("flood-guest", NULL);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *name = NULL;
	char excerpt[2048];
	const char *log = harness_daemon_log();
	off_t mark = harness_file_size(log), size = -1;

	assert_return_code(harness_as_nobody(flood_and_leave, path, &name, NULL, NULL), 0);

	/* Wait until polkit has answered everything: the log stops growing. */
	for (int stable = 0, i = 0; stable < 10 && i < 300; i++) {
		off_t now = harness_file_size(log);
		stable = now == size ? stable + 1 : 0;
		size = now;
		usleep(100 * 1000);
	}
	/* Still serving, and nothing was started. */
	harness_assert_state(path, "shut-off", "unknown");

	size_t n = count_lines_from(log, mark, excerpt, sizeof(excerpt));
	if (n > FLOOD_MAX_LINES)
		fail_msg("%zu calls of a caller that left wrote %zu log lines:\n%s", (size_t)FLOOD_CALLS, n,
			 excerpt);
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nobody_can_read),
		cmocka_unit_test(test_nobody_cannot_change),
		cmocka_unit_test(test_rule_grants_one_domain),
		cmocka_unit_test(test_rule_grants_one_verb),
		cmocka_unit_test(test_refused_flood_is_rate_limited),
	};

	return harness_main("auth", tests, 0);
}
