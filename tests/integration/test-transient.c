/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Transient domains (Manager.CreateXML) on the real test guest: created
 * running or paused, never written to StateDir, gone with their signals
 * when they stop (and when their start fails), taken over by a daemon
 * that restarts or was killed. Domain.Rename: shut-off persistent domains
 * only, the name rules of DefineXML, the definition and the logs follow,
 * the new name survives a restart. GetXMLDesc's migratable form. And
 * the unprivileged caller, whom polkit asks about the domain by name.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define DOMAIN_EXISTS     ZVIRT_ERROR("DomainExists")
#define OPERATION_INVALID ZVIRT_ERROR("OperationInvalid")
#define INVALID_ARGUMENT  ZVIRT_ERROR("InvalidArgument")
#define NOT_AUTHORIZED    ZVIRT_ERROR("NotAuthorized")

#define PROPS_IFACE "org.freedesktop.DBus.Properties"
#define OM_IFACE    "org.freedesktop.DBus.ObjectManager"

/* CreateXML(xml, {paused}) as root; the path, or NULL with *error set. */
static char *create(const char *xml, bool paused, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;
	int r = paused ? harness_call_full(harness_bus(), error, &reply, ZVIRT_MANAGER_PATH,
					   ZVIRT_MANAGER_IFACE, "CreateXML", "sa{sv}", xml, 1, "paused", "b",
					   1)
		       : harness_call_full(harness_bus(), error, &reply, ZVIRT_MANAGER_PATH,
					   ZVIRT_MANAGER_IFACE, "CreateXML", "sa{sv}", xml, 0);
	if (r < 0)
		return NULL;
	assert_return_code(sd_bus_message_read(reply, "o", &path), 0);
	return strdup(path);
}

static char *create_ok(const char *xml, bool paused)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	char *path = create(xml, paused, &error);
	if (!path)
		fail_msg("CreateXML failed: %s: %s", error.name, error.message);
	return path;
}

static void expect_create_error(const char *error_name, const char *xml)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *path = create(xml, true, &error);
	if (path)
		fail_msg("CreateXML succeeded (%s), expected %s", path, error_name);
	if (!sd_bus_error_has_name(&error, error_name))
		fail_msg("CreateXML failed with %s (%s), expected %s", error.name, error.message,
			 error_name);
}

/* Whether ListDomains({}) has path. */
static bool listed(const char *path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 0);
	const char *p;
	bool found = false;
	assert_return_code(sd_bus_message_enter_container(reply, 'a', "o"), 0);
	while (sd_bus_message_read(reply, "o", &p) > 0)
		if (strcmp(p, path) == 0)
			found = true;
	return found;
}

/* <StateDir>/domains/<label>.xml of the domain at path. */
static char *definition_file(const char *path)
{
	char *f = NULL;
	assert_true(asprintf(&f, "%s/state/domains/%s.xml", harness_tmpdir(), strrchr(path, '/') + 1) > 0);
	return f;
}

/* The domain at path is gone, and said so. */
static void assert_vanished(const char *path, const char *name, size_t mark)
{
	_cleanup_free_ char *found = harness_lookup(name), *def = definition_file(path),
			    *status = harness_run_file(path, ".xml");
	assert_null(found);
	assert_false(listed(path));
	assert_non_null(harness_wait_signal(mark, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainUndefined",
					    path, HARNESS_SIGNAL_TIMEOUT_MS));
	assert_non_null(harness_wait_signal(mark, ZVIRT_MANAGER_PATH, OM_IFACE, "InterfacesRemoved", path,
					    HARNESS_SIGNAL_TIMEOUT_MS));
	assert_int_equal(access(def, F_OK), -1);
	assert_int_equal(access(status, F_OK), -1);
}

static void test_create_runs_then_vanishes(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("transient-guest");
	_cleanup_free_ char *log = harness_console_log("transient-guest");
	off_t console_mark = harness_file_size(log);
	size_t mark = harness_signal_mark();

	_cleanup_free_ char *path = create_ok(xml, false);
	/* Answered once it runs, like Start. */
	harness_assert_state(path, "running", "booted");
	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Persistent"));
	assert_true(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid") > 0);
	assert_true(listed(path));
	{
		_cleanup_free_ char *p = harness_lookup("transient-guest");
		assert_non_null(p);
		assert_string_equal(p, path);
	}
	assert_non_null(harness_wait_signal(mark, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainDefined",
					    path, HARNESS_SIGNAL_TIMEOUT_MS));
	assert_non_null(harness_wait_signal(mark, ZVIRT_MANAGER_PATH, OM_IFACE, "InterfacesAdded", path,
					    HARNESS_SIGNAL_TIMEOUT_MS));
	/* Never written to StateDir. */
	{
		_cleanup_free_ char *def = definition_file(path);
		assert_int_equal(access(def, F_OK), -1);
	}
	/* The real guest boots. */
	assert_int_equal(harness_wait_console_from(log, console_mark, "zvirt-guest: ready",
						   HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	/* Transient: nothing to undefine or rename, no autostart. */
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 0);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}", "other-name",
			     0);

	/* The migratable form: what runs, without what only this host knows. */
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = harness_call(
			path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1, "migratable", "b", 1);
		const char *mig;
		assert_return_code(sd_bus_message_read(reply, "s", &mig), 0);
		_cleanup_free_ char *live = harness_get_xml(path);
		assert_non_null(strstr(live, " id='"));
		assert_non_null(strstr(live, "/dev/pts/"));
		assert_null(strstr(mig, " id='"));
		assert_null(strstr(mig, "/dev/pts/"));
		assert_non_null(strstr(mig, "<name>transient-guest</name>"));
	}

	mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_vanished(path, "transient-guest", mark);
}

static void test_create_paused_and_conflicts(void **state)
{
	static const char uuid[] = "5a0e2c1d-7b3f-4e8a-9c6d-1f2e3a4b5c6d";
	_cleanup_free_ char *persist_xml = harness_minimal_xml("persist-x", NULL);
	_cleanup_free_ char *persist = harness_define(persist_xml);
	_cleanup_free_ char *persist_uuid = harness_get_string(persist, ZVIRT_DOMAIN_IFACE, "UUID");
	_cleanup_free_ char *xml = harness_guest_xml_uuid("transient-paused", uuid);

	/* A name or UUID a persistent domain holds. */
	{
		_cleanup_free_ char *same_name = harness_guest_xml("persist-x");
		_cleanup_free_ char *same_uuid = harness_guest_xml_uuid("other-name", persist_uuid);
		_cleanup_free_ char *both = harness_guest_xml_uuid("persist-x", persist_uuid);
		expect_create_error(DOMAIN_EXISTS, same_name);
		expect_create_error(DOMAIN_EXISTS, same_uuid);
		expect_create_error(DOMAIN_EXISTS, both);
		harness_assert_state(persist, "shut-off", "unknown");
	}
	expect_create_error(ZVIRT_ERROR("InvalidXML"), "<domain type='kvm'><name>x</name></domai>");
	harness_expect_error(INVALID_ARGUMENT, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "CreateXML",
			     "sa{sv}", xml, 1, "bogus", "b", 1);

	_cleanup_free_ char *path = create_ok(xml, true);
	harness_assert_state(path, "paused", "user");

	/* A name or UUID a transient domain holds. */
	{
		_cleanup_free_ char *same_name = harness_guest_xml("transient-paused");
		_cleanup_free_ char *same_uuid = harness_guest_xml_uuid("another-name", uuid);
		_cleanup_free_ char *define_name = harness_minimal_xml("transient-paused", NULL);
		expect_create_error(DOMAIN_EXISTS, xml);
		expect_create_error(DOMAIN_EXISTS, same_name);
		expect_create_error(DOMAIN_EXISTS, same_uuid);
		harness_expect_error(DOMAIN_EXISTS, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DefineXML",
				     "sa{sv}", define_name, 0);
	}

	size_t mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_vanished(path, "transient-paused", mark);
	harness_undefine(persist);
}

/* A start that fails leaves no domain behind. */
static void test_create_failure_leaves_nothing(void **state)
{
	static const char uuid[] = "6b1f3d2e-8c4a-4f9b-8d7e-2a3b4c5d6e7f";
	_cleanup_free_ char *xml = harness_guest_xml_uuid("transient-fails", uuid);
	char *k = strstr(xml, "/vmlinuz");
	assert_non_null(k);
	memcpy(k, "/vmlinuX", strlen("/vmlinuX"));
	size_t mark = harness_signal_mark();
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	_cleanup_free_ char *path = create(xml, false, &error);
	assert_null(path);
	if (!sd_bus_error_has_name(&error, ZVIRT_ERROR("HypervisorError")) ||
	    !strstr(error.message, "could not load kernel"))
		fail_msg("CreateXML failed with %s: %s", error.name, error.message);
	assert_vanished("/org/zvirt1/domain/6b1f3d2e8c4a4f9b8d7e2a3b4c5d6e7f", "transient-fails", mark);
	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ActiveDomainCount"), 0);
}

/* A restarted daemon, and one that was killed, take the transient domain
 * over from its runtime status; once it stops it is gone for good. */
static void test_create_survives_restart(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("transient-restart");
	_cleanup_free_ char *path = create_ok(xml, true);
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);

	for (int kill = 0; kill < 2; kill++) {
		if (kill) {
			assert_return_code(harness_kill_daemon(), 0);
			assert_return_code(harness_start_daemon(), 0);
		} else
			assert_return_code(harness_restart_daemon(), 0);
		assert_true(harness_pid_alive((pid_t)pid));
		_cleanup_free_ char *p = harness_lookup("transient-restart");
		assert_non_null(p);
		assert_string_equal(p, path);
		assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Persistent"));
		assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
		harness_assert_state(path, "paused", "user");
	}

	/* The new daemon drives it: it runs on, and then it goes. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);
	size_t mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_vanished(path, "transient-restart", mark);
	assert_int_equal(harness_wait_pid_gone((pid_t)pid, 10000), 0);

	assert_return_code(harness_restart_daemon(), 0);
	_cleanup_free_ char *p = harness_lookup("transient-restart");
	assert_null(p);
}

static char *log_file(const char *name, const char *suffix)
{
	char *f = NULL;
	assert_true(asprintf(&f, "%s/%s%s", harness_log_dir(), name, suffix) > 0);
	return f;
}

static void test_rename(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("rename-a", NULL);
	_cleanup_free_ char *other_xml = harness_minimal_xml("rename-taken", NULL);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *other = harness_define(other_xml);
	_cleanup_free_ char *old_log = log_file("rename-a", ".log"), *new_log = log_file("rename-b", ".log");
	_cleanup_free_ char *old_console = log_file("rename-a", ".console");
	_cleanup_free_ char *new_console = log_file("rename-b", ".console");
	_cleanup_free_ char *def = definition_file(path);

	/* The name rules of DefineXML; a failed Rename changes nothing. */
	harness_expect_error(DOMAIN_EXISTS, path, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}", "rename-taken", 0);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}", "", 0);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}", "a/b", 0);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}", ".hidden", 0);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}", "rename-a", 0);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}", "rename-b", 1,
			     "bogus", "b", 1);
	{
		_cleanup_free_ char *name = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "Name");
		assert_string_equal(name, "rename-a");
	}

	/* Logs named after the domain follow it (a missing one is fine). */
	harness_write_file(old_log, "the old log\n");
	_cleanup_free_ char *old_backup = log_file("rename-a", ".log.0"),
			    *new_backup = log_file("rename-b", ".log.0");
	harness_write_file(old_backup, "a rotated one\n");
	(void)unlink(old_console);
	size_t mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}", "rename-b", 0));
	{
		_cleanup_free_ char *name = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "Name");
		_cleanup_free_ char *found = harness_lookup("rename-b"), *gone = harness_lookup("rename-a");
		_cleanup_free_ char *text = harness_read_file(def), *moved = harness_read_file(new_log);
		assert_string_equal(name, "rename-b");
		assert_non_null(found);
		assert_string_equal(found, path);
		assert_null(gone);
		assert_non_null(strstr(text, "<name>rename-b</name>"));
		assert_string_equal(moved, "the old log\n");
		_cleanup_free_ char *backup = harness_read_file(new_backup);
		assert_string_equal(backup, "a rotated one\n");
		assert_int_equal(access(old_backup, F_OK), -1);
		assert_int_equal(access(old_log, F_OK), -1);
		assert_int_equal(access(new_console, F_OK), -1);
	}
	const HarnessSignal *s = harness_wait_signal(mark, path, PROPS_IFACE, "PropertiesChanged",
						     ZVIRT_DOMAIN_IFACE, HARNESS_SIGNAL_TIMEOUT_MS);
	assert_non_null(s);
	assert_non_null(strstr(s->properties, ",Name,"));

	/* The new name is what the next daemon loads. */
	assert_return_code(harness_restart_daemon(), 0);
	{
		_cleanup_free_ char *found = harness_lookup("rename-b"), *gone = harness_lookup("rename-a");
		assert_non_null(found);
		assert_string_equal(found, path);
		assert_null(gone);
	}
	/* The old name is free again. */
	_cleanup_free_ char *again = harness_define(xml);
	assert_string_not_equal(again, path);
	harness_undefine(again);
	harness_undefine(path);
	harness_undefine(other);
	(void)unlink(new_log);
	(void)unlink(new_backup);
}

/* Only a shut-off domain can be renamed. */
static void test_rename_active_refused(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("rename-active");
	_cleanup_free_ char *path = harness_define(xml);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}", "rename-other",
			     0);
	_cleanup_free_ char *name = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "Name");
	assert_string_equal(name, "rename-active");
	harness_undefine(path); /* destroys it first */
}

static void test_unprivileged(void **state)
{
	_cleanup_free_ char *denied_xml = harness_guest_xml("nobody-transient");
	_cleanup_free_ char *start_only_xml = harness_guest_xml("start-only");
	_cleanup_free_ char *granted_xml = harness_guest_xml(HARNESS_GRANTED_DOMAIN);
	_cleanup_free_ char *minimal = harness_minimal_xml("nobody-rename", NULL);
	_cleanup_free_ char *granted_define = harness_minimal_xml(HARNESS_DEFINE_GRANTED_DOMAIN, NULL);

	/* polkit is asked about the domain the XML names, with verb create. */
	harness_nobody_expect_error(NOT_AUTHORIZED, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "CreateXML",
				    "sa{sv}", denied_xml, 0);
	harness_nobody_expect_error(NOT_AUTHORIZED, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "CreateXML",
				    "sa{sv}", start_only_xml, 0);
	{
		_cleanup_free_ char *a = harness_lookup("nobody-transient"),
				    *b = harness_lookup("start-only");
		assert_null(a);
		assert_null(b);
	}
	_cleanup_free_ char *out = harness_nobody_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "CreateXML",
						       "sa{sv}", granted_xml, 1, "paused", "b", 1);
	_cleanup_free_ char *granted = harness_lookup(HARNESS_GRANTED_DOMAIN);
	assert_non_null(granted);
	assert_non_null(strstr(out, granted));
	harness_assert_state(granted, "paused", "user");
	size_t mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(granted, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_vanished(granted, HARNESS_GRANTED_DOMAIN, mark);

	/* Rename is org.zvirt1.domain.define. */
	_cleanup_free_ char *path = harness_define(minimal);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}",
				    "by-nobody", 0);
	_cleanup_free_ char *name = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "Name");
	assert_string_equal(name, "nobody-rename");
	_cleanup_free_ char *gpath = harness_define(granted_define);
	free(harness_nobody_call(gpath, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}", "renamed-by-nobody", 0));
	_cleanup_free_ char *gname = harness_get_string(gpath, ZVIRT_DOMAIN_IFACE, "Name");
	assert_string_equal(gname, "renamed-by-nobody");
	harness_undefine(path);
	harness_undefine(gpath);
}

/* The migratable form of a running domain is what runs, not a newer
 * definition; update-cpu changes nothing (no <cpu> in the subset). */
static void test_migratable_is_what_runs(void **state)
{
	_cleanup_free_ char *xml =
		harness_guest_xml_uuid("migratable-guest", "7c2a4e3f-9d5b-4a0c-9e8f-3b4c5d6e7f80");
	_cleanup_free_ char *path = harness_define(xml);
	const char *mig, *inactive, *cpu;

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	/* A new definition for the next start: 512 MiB. */
	char *m = strstr(xml, "262144");
	assert_non_null(m);
	memcpy(m, "524288", 6);
	free(harness_define(xml));

	_cleanup_(sd_bus_message_unrefp) sd_bus_message *r1 =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1, "migratable", "b", 1);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *r2 =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1, "inactive", "b", 1);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *r3 =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1, "update-cpu", "b", 1);
	assert_return_code(sd_bus_message_read(r1, "s", &mig), 0);
	assert_return_code(sd_bus_message_read(r2, "s", &inactive), 0);
	assert_return_code(sd_bus_message_read(r3, "s", &cpu), 0);
	assert_non_null(strstr(mig, ">262144<"));
	assert_null(strstr(mig, " id='"));
	assert_non_null(strstr(inactive, ">524288<"));
	_cleanup_free_ char *live = harness_get_xml(path);
	assert_string_equal(cpu, live);
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_runs_then_vanishes),
		cmocka_unit_test(test_create_paused_and_conflicts),
		cmocka_unit_test(test_create_failure_leaves_nothing),
		cmocka_unit_test(test_create_survives_restart),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_rename_active_refused),
		cmocka_unit_test(test_unprivileged),
		cmocka_unit_test(test_migratable_is_what_runs),
	};

	return harness_main("transient", tests, 0);
}
