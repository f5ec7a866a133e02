/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The harness's second host (harness_peer_*), which the migration tests
 * stand on: two daemons, each on its own bus with its own polkitd and
 * its own state, that know nothing of each other; the test guest boots
 * on the second as on the first; stopping the second leaves the first
 * alone.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define NOT_AUTHORIZED ZVIRT_ERROR("NotAuthorized")
#define POLKIT_NAME    "org.freedesktop.PolicyKit1"
/* More [Hypervisor] lines, then a whole section: what harness_peer_start() adds. */
#define PEER_EXTRA_CONF "ReservedHostMemory=1M\n[Network]\nDefaultNIC=\n"

static void ensure_peer(void)
{
	if (!harness_peer_dir())
		assert_int_equal(harness_peer_start(PEER_EXTRA_CONF), 0);
	assert_true(harness_peer_daemon_pid() > 0);
}

static char **list_domains(sd_bus *bus)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	char **paths = NULL;

	if (harness_call_full(bus, &error, &reply, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains",
			      "a{sv}", 0) < 0)
		fail_msg("ListDomains: %s: %s", error.name, error.message);
	assert_return_code(sd_bus_message_read_strv(reply, &paths), 0);
	return paths;
}

static bool listed(sd_bus *bus, const char *path)
{
	_cleanup_strv_free_ char **paths = list_domains(bus);
	for (char **p = paths; p && *p; p++)
		if (strcmp(*p, path) == 0)
			return true;
	return false;
}

/* The pid that owns a name on a bus. */
static pid_t name_owner_pid(sd_bus *bus, const char *name)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint32_t pid = 0;

	if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
			       "GetConnectionUnixProcessID", &error, &reply, "s", name) < 0)
		fail_msg("GetConnectionUnixProcessID(%s): %s", name, error.message);
	assert_int_equal(sd_bus_message_read(reply, "u", &pid), 1);
	return (pid_t)pid;
}

/* DBUS_SYSTEM_BUS_ADDRESS in a process's environment (malloc'd, or NULL). */
static char *environ_bus(pid_t pid)
{
	_cleanup_free_ char *path = NULL, *env = NULL;
	assert_true(asprintf(&path, "/proc/%d/environ", (int)pid) > 0);
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	size_t size = 0;
	ssize_t n = getdelim(&env, &size, 0, f); /* NUL-separated entries */
	char *found = NULL;
	while (n > 0) {
		if (strncmp(env, "DBUS_SYSTEM_BUS_ADDRESS=", 24) == 0)
			found = strdup(env + 24);
		n = getdelim(&env, &size, 0, f);
	}
	fclose(f);
	return found;
}

static void assert_serves(pid_t pid, const char *address)
{
	_cleanup_free_ char *env = environ_bus(pid);
	assert_non_null(env);
	assert_string_equal(env, address);
}

static void test_two_hosts(void **state)
{
	ensure_peer();
	sd_bus *primary = harness_bus(), *peer = harness_peer_bus();
	const char *address = harness_peer_bus_address();
	_cleanup_free_ char *socket = NULL, *primary_address = NULL, *conf_path = NULL;

	/* Its own bus, below TMP/peer. */
	assert_non_null(address);
	assert_true(asprintf(&socket, "unix:path=%s/peer/system_bus_socket", harness_tmpdir()) > 0);
	assert_true(strncmp(address, socket, strlen(socket)) == 0);
	assert_true(primary != peer);

	/* Each daemon and each polkitd owns its name on its own bus, and
	 * found that bus through its environment. */
	assert_int_equal(harness_name_has_owner(primary, ZVIRT_BUS_NAME), 1);
	assert_int_equal(harness_name_has_owner(peer, ZVIRT_BUS_NAME), 1);
	assert_int_equal(harness_name_has_owner(peer, POLKIT_NAME), 1);
	pid_t daemon = name_owner_pid(primary, ZVIRT_BUS_NAME),
	      peer_daemon = name_owner_pid(peer, ZVIRT_BUS_NAME);
	pid_t polkitd = name_owner_pid(primary, POLKIT_NAME),
	      peer_polkitd = name_owner_pid(peer, POLKIT_NAME);
	assert_int_equal(daemon, harness_daemon_pid());
	assert_int_equal(peer_daemon, harness_peer_daemon_pid());
	assert_int_not_equal(daemon, peer_daemon);
	assert_int_not_equal(polkitd, peer_polkitd);
	primary_address = environ_bus(daemon);
	assert_non_null(primary_address);
	assert_string_not_equal(primary_address, address);
	assert_serves(peer_daemon, address);
	assert_serves(peer_polkitd, address);
	assert_serves(polkitd, primary_address);

	/* Both answer. */
	_cleanup_strv_free_ char **a = list_domains(primary), **b = list_domains(peer);
	sd_bus_message_unref(
		harness_peer_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 0));

	/* The peer's configuration: the primary's, with its own files and
	 * the test's lines where they belong. */
	assert_true(asprintf(&conf_path, "%s/zvirtd.conf", harness_peer_dir()) > 0);
	_cleanup_free_ char *conf = harness_read_file(conf_path);
	_cleanup_free_ char *want = NULL;
	assert_true(
		asprintf(
			&want,
			"LogTarget=%1$s/zvirtd.log\nStateDir=%1$s/state\nRunDir=%1$s/run\nLogDir=%1$s/log\n",
			harness_peer_dir()) > 0);
	assert_non_null(strstr(conf, want));
	const char *hyp = strstr(conf, "[Hypervisor]\n");
	assert_non_null(hyp);
	const char *extra = strstr(conf, PEER_EXTRA_CONF);
	assert_non_null(extra);
	assert_true(extra > hyp);
	_cleanup_free_ char *log_want = NULL;
	assert_true(asprintf(&log_want, "%s/zvirtd.log", harness_peer_dir()) > 0);
	assert_string_equal(harness_peer_daemon_log(), log_want);
	assert_true(harness_file_size(log_want) > 0);
}

static void test_domains_apart(void **state)
{
	ensure_peer();
	_cleanup_free_ char *xml_a = harness_minimal_xml("only-primary", NULL);
	_cleanup_free_ char *xml_b = harness_minimal_xml("only-peer", NULL);

	size_t mark = harness_signal_mark(), peer_mark = harness_peer_signal_mark();
	_cleanup_free_ char *b = harness_peer_define(xml_b);
	/* The peer's signal reached the peer's recorder, not the primary's. */
	assert_non_null(harness_peer_wait_signal(peer_mark, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
						 "DomainDefined", b, HARNESS_SIGNAL_TIMEOUT_MS));
	assert_return_code(harness_flush_signals(), 0);
	assert_null(
		harness_signal_find(mark, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainDefined", NULL));

	mark = harness_signal_mark();
	peer_mark = harness_peer_signal_mark();
	_cleanup_free_ char *a = harness_define(xml_a);
	assert_non_null(harness_wait_signal(mark, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainDefined",
					    a, HARNESS_SIGNAL_TIMEOUT_MS));
	assert_null(harness_peer_signal_find(peer_mark, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
					     "DomainDefined", NULL));

	assert_true(listed(harness_bus(), a));
	assert_false(listed(harness_bus(), b));
	assert_true(listed(harness_peer_bus(), b));
	assert_false(listed(harness_peer_bus(), a));
	harness_expect_error(ZVIRT_ERROR("NoSuchDomain"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "LookupDomainByName", "sa{sv}", "only-peer", 0);
	harness_peer_expect_error(ZVIRT_ERROR("NoSuchDomain"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
				  "LookupDomainByName", "sa{sv}", "only-primary", 0);
	_cleanup_free_ char *found = harness_peer_lookup("only-peer");
	assert_non_null(found);
	assert_string_equal(found, b);
	assert_null(harness_peer_lookup("only-primary"));

	/* Each definition is in its own daemon's StateDir only. */
	harness_sh("grep -rqs only-peer '%s/state'", harness_peer_dir());
	harness_sh("! grep -rqs only-primary '%s/state'", harness_peer_dir());
	harness_sh("grep -rqs only-primary '%s/state'", harness_tmpdir());
	harness_sh("! grep -rqs only-peer '%s/state'", harness_tmpdir());

	harness_undefine(a);
	harness_peer_undefine(b);
	assert_null(harness_peer_lookup("only-peer"));
	harness_sh("! grep -rqs only-peer '%s/state'", harness_peer_dir());
}

static bool cmdline_names(pid_t pid, const char *text)
{
	_cleanup_free_ char *path = NULL, *cmd = NULL;
	assert_true(asprintf(&path, "/proc/%d/cmdline", (int)pid) > 0);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t size = 0;
	bool hit = false;
	while (!hit && getdelim(&cmd, &size, 0, f) > 0)
		hit = strstr(cmd, text) != NULL;
	fclose(f);
	return hit;
}

static void test_guest_on_peer(void **state)
{
	ensure_peer();
	_cleanup_free_ char *xml = harness_guest_xml("peer-guest");
	_cleanup_free_ char *path = harness_peer_define(xml);
	_cleanup_free_ char *out = NULL, *pidfile = NULL;

	harness_peer_boot_guest(path, "peer-guest");
	harness_peer_assert_state(path, "running", "booted");
	assert_null(harness_lookup("peer-guest"));
	pid_t qemu = (pid_t)harness_peer_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(harness_pid_alive(qemu));
	/* Its command line names TMP (the harness's cleanups kill by that)
	 * and the peer's RunDir (harness_peer_stop() kills by that). */
	assert_true(cmdline_names(qemu, harness_tmpdir()));
	_cleanup_free_ char *run = NULL;
	assert_true(asprintf(&run, "%s/run/", harness_peer_dir()) > 0);
	assert_true(cmdline_names(qemu, run));
	pidfile = harness_peer_run_file(path, ".pid");
	assert_int_equal(access(pidfile, F_OK), 0);

	/* The console works. */
	_cleanup_free_ char *pty = harness_peer_console_pty(path);
	assert_non_null(pty);
	assert_int_equal(harness_console_command(pty, "echo hello-from-the-peer", 60000, &out), 0);
	assert_non_null(strstr(out, "hello-from-the-peer"));

	/* The whole peer stops with its guest; a new one finds the domain
	 * in the same StateDir, shut off. */
	harness_peer_stop();
	assert_null(harness_peer_dir());
	assert_int_equal(harness_wait_pid_gone(qemu, 10000), 0);
	assert_int_equal(harness_peer_start(PEER_EXTRA_CONF), 0);
	_cleanup_free_ char *again = harness_peer_lookup("peer-guest");
	assert_non_null(again);
	_cleanup_free_ char *st = harness_peer_get_string(again, ZVIRT_DOMAIN_IFACE, "State");
	assert_string_equal(st, "shut-off");
	harness_peer_undefine(again);
}

static void test_nobody_on_peer(void **state)
{
	ensure_peer();
	_cleanup_free_ char *xml = harness_minimal_xml("peer-nobody", NULL);
	_cleanup_free_ char *other = harness_minimal_xml("peer-nobody-new", NULL);
	_cleanup_free_ char *path = harness_peer_define(xml);

	/* The call goes to the peer's bus: the peer's domain is there. */
	_cleanup_free_ char *listing =
		harness_peer_nobody_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 0);
	assert_non_null(strstr(listing, path));
	_cleanup_free_ char *primary_listing =
		harness_nobody_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 0);
	assert_null(strstr(primary_listing, path));

	/* And the peer's polkitd says no. */
	harness_peer_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0);
	harness_peer_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 0);
	harness_peer_nobody_expect_error(NOT_AUTHORIZED, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
					 "DefineXML", "sa{sv}", other, 0);
	assert_null(harness_peer_lookup("peer-nobody-new"));
	harness_peer_assert_state(path, "shut-off", "unknown");
	harness_peer_undefine(path);
}

static void test_peer_restart_leaves_primary(void **state)
{
	ensure_peer();
	_cleanup_free_ char *xml_a = harness_minimal_xml("stays-primary", NULL);
	_cleanup_free_ char *xml_b = harness_minimal_xml("stays-peer", NULL);
	_cleanup_free_ char *a = harness_define(xml_a), *b = harness_peer_define(xml_b);
	pid_t primary = harness_daemon_pid(), peer = harness_peer_daemon_pid();

	assert_int_equal(harness_peer_stop_daemon(), 0);
	assert_int_equal(harness_peer_daemon_pid(), 0);
	assert_int_equal(harness_name_has_owner(harness_peer_bus(), ZVIRT_BUS_NAME), 0);
	/* The peer's bus and polkitd stay; the primary does not notice. */
	assert_int_equal(harness_name_has_owner(harness_peer_bus(), POLKIT_NAME), 1);
	assert_int_equal(harness_daemon_pid(), primary);
	assert_true(harness_pid_alive(primary));
	_cleanup_free_ char *found = harness_lookup("stays-primary");
	assert_non_null(found);
	assert_string_equal(found, a);

	assert_int_equal(harness_peer_start_daemon(), 0);
	assert_true(harness_peer_daemon_pid() > 0);
	assert_int_not_equal(harness_peer_daemon_pid(), peer);
	_cleanup_free_ char *again = harness_peer_lookup("stays-peer");
	assert_non_null(again);
	assert_string_equal(again, b);

	/* A killed peer daemon too. */
	peer = harness_peer_daemon_pid();
	assert_int_equal(harness_peer_kill_daemon(), 0);
	assert_false(harness_pid_alive(peer));
	assert_int_equal(harness_daemon_pid(), primary);
	sd_bus_message_unref(
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 0));
	assert_int_equal(harness_peer_start_daemon(), 0);

	/* And the other way round: the primary's restart leaves the peer. */
	peer = harness_peer_daemon_pid();
	assert_int_equal(harness_restart_daemon(), 0);
	assert_int_equal(harness_peer_daemon_pid(), peer);
	_cleanup_free_ char *still = harness_peer_lookup("stays-peer");
	assert_non_null(still);

	harness_undefine(a);
	harness_peer_undefine(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_hosts),
		cmocka_unit_test(test_domains_apart),
		cmocka_unit_test(test_guest_on_peer),
		cmocka_unit_test(test_nobody_on_peer),
		cmocka_unit_test(test_peer_restart_leaves_primary),
	};
	return harness_main("peer", tests, 0);
}
