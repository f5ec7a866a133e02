/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.zvirt1.Manager: DefineXML and its errors, lookups, ListDomains
 * filters, and the signals that announce domains coming and going.
 */

#include <string.h>

#include "harness.h"

#define LOOKUP_UUID        "6b1c0a3e-8f5d-4c2a-9e7b-2d4f6a8c0e1f"
#define LOOKUP_UUID_NODASH "6b1c0a3e8f5d4c2a9e7b2d4f6a8c0e1f"

static bool strv_contains(char **l, const char *s)
{
	for (; l && *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

/* ListDomains with the options in `types`/varargs (an "a{sv}"). */
static char **list_domains(const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	char **paths = NULL;
	va_list ap;
	int r;

	va_start(ap, types);
	r = harness_call_fullv(harness_bus(), &error, &reply, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			       "ListDomains", types, ap);
	va_end(ap);
	if (r < 0)
		fail_msg("ListDomains: %s: %s", error.name, error.message);
	assert_return_code(sd_bus_message_read_strv(reply, &paths), 0);
	return paths;
}

static void assert_no_domain_signal(size_t mark)
{
	assert_return_code(harness_flush_signals(), 0);
	assert_null(
		harness_signal_find(mark, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainDefined", NULL));
	assert_null(harness_signal_find(mark, ZVIRT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
					"InterfacesAdded", NULL));
}

static void test_define_errors(void **state)
{
	_cleanup_free_ char *good = harness_minimal_xml("dup-name", "0a8e3c52-1f04-4d67-8b9a-5c3e2f1d0b7a");
	_cleanup_free_ char *dup = harness_minimal_xml("dup-name", "f4b2d6e8-0a1c-4e3f-9d5b-7c6a8e2f1b30");
	_cleanup_free_ char *slash = harness_minimal_xml("bad/name", NULL);
	_cleanup_free_ char *path = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	uint32_t count;
	size_t mark;
	int r;

	path = harness_define(good);
	count = harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount");
	mark = harness_signal_mark();

	harness_expect_error(ZVIRT_ERROR("InvalidXML"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DefineXML",
			     "sa{sv}", "<domain type='kvm'><name>broken", 0);
	/* An empty argument is refused like an oversized one (conf/domain-xml.h). */
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "DefineXML", "sa{sv}", "", 0);

	/* '/' would escape the state directory; either name is fine for the error. */
	r = harness_call_full(harness_bus(), &error, NULL, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			      "DefineXML", "sa{sv}", slash, 0);
	assert_true(r < 0);
	if (!sd_bus_error_has_name(&error, ZVIRT_ERROR("InvalidXML")) &&
	    !sd_bus_error_has_name(&error, ZVIRT_ERROR("InvalidArgument")))
		fail_msg("a name with '/': %s (%s), expected InvalidXML or InvalidArgument", error.name,
			 error.message);

	/* The name is taken by another UUID. */
	harness_expect_error(ZVIRT_ERROR("DomainExists"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "DefineXML", "sa{sv}", dup, 0);

	/* Unknown option keys are refused, never ignored. */
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "DefineXML", "sa{sv}", good, 1, "no-such-option", "b", 1);

	/* A failed call changes nothing. */
	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount"), count);
	assert_no_domain_signal(mark);
	{
		_cleanup_free_ char *uuid = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "UUID");
		assert_string_equal(uuid, "0a8e3c52-1f04-4d67-8b9a-5c3e2f1d0b7a");
	}
	assert_null(harness_lookup("bad/name"));
	harness_undefine(path);
}

static void test_lookup(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("lookup-guest", LOOKUP_UUID);
	_cleanup_free_ char *path = harness_define(xml);
	static const char *const uuids[] = {LOOKUP_UUID, LOOKUP_UUID_NODASH};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	assert_string_equal(path, "/org/zvirt1/domain/" LOOKUP_UUID_NODASH);
	{
		_cleanup_free_ char *p = harness_lookup("lookup-guest");
		assert_non_null(p);
		assert_string_equal(p, path);
	}
	for (size_t i = 0; i < ELEMENTSOF(uuids); i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		const char *p;

		reply = harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "LookupDomainByUUID", "sa{sv}",
				     uuids[i], 0);
		assert_return_code(sd_bus_message_read(reply, "o", &p), 0);
		assert_string_equal(p, path);
	}
	{
		_cleanup_free_ char *name = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "Name");
		_cleanup_free_ char *uuid = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "UUID");
		assert_string_equal(name, "lookup-guest");
		assert_string_equal(uuid, LOOKUP_UUID);
	}

	harness_expect_error(ZVIRT_ERROR("NoSuchDomain"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "LookupDomainByName", "sa{sv}", "no-such-guest", 0);
	harness_expect_error(ZVIRT_ERROR("NoSuchDomain"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "LookupDomainByUUID", "sa{sv}", "00000000-0000-4000-8000-000000000000", 0);
	harness_expect_error(ZVIRT_ERROR("NoSuchDomain"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "LookupDomainByUUID", "sa{sv}", "00000000000040008000000000000000", 0);
	/* Not a UUID at all: a caller error, or simply no such domain. */
	r = harness_call_full(harness_bus(), &error, NULL, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			      "LookupDomainByUUID", "sa{sv}", "not-a-uuid", 0);
	assert_true(r < 0);
	if (!sd_bus_error_has_name(&error, ZVIRT_ERROR("InvalidArgument")) &&
	    !sd_bus_error_has_name(&error, ZVIRT_ERROR("NoSuchDomain")))
		fail_msg("LookupDomainByUUID(\"not-a-uuid\"): %s", error.name);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "LookupDomainByName", "sa{sv}", "lookup-guest", 1, "no-such-option", "b", 1);

	harness_undefine(path);
}

static bool managed_objects_contain(const char *path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	bool found = false;
	const char *p;
	int r;

	reply = harness_call(ZVIRT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
			     NULL);
	assert_return_code(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}"), 0);
	while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
		assert_return_code(sd_bus_message_read(reply, "o", &p), 0);
		if (strcmp(p, path) == 0)
			found = true;
		assert_return_code(sd_bus_message_skip(reply, "a{sa{sv}}"), 0);
		assert_return_code(sd_bus_message_exit_container(reply), 0);
	}
	assert_return_code(r, 0);
	return found;
}

static void test_define_undefine_signals(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("signal-guest", NULL);
	_cleanup_free_ char *path = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const HarnessSignal *s;
	uint32_t count = harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount");
	size_t mark = harness_signal_mark();
	char *value = NULL;
	int r;

	path = harness_define(xml);
	s = harness_wait_signal(mark, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainDefined", path,
				HARNESS_SIGNAL_TIMEOUT_MS);
	assert_non_null(s);
	assert_string_equal(s->name, "signal-guest");
	s = harness_wait_signal(mark, ZVIRT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
				"InterfacesAdded", path, HARNESS_SIGNAL_TIMEOUT_MS);
	assert_non_null(s);
	assert_non_null(s->interfaces);
	assert_non_null(strstr(s->interfaces, "," ZVIRT_DOMAIN_IFACE ","));
	assert_true(managed_objects_contain(path));
	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount"), count + 1);
	harness_assert_state(path, "shut-off", "unknown");
	assert_true(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Persistent"));
	assert_int_equal(harness_get_i32(path, ZVIRT_DOMAIN_IFACE, "Id"), -1);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);

	/* Defining it again with its UUID is an edit: same object, no new domain. */
	mark = harness_signal_mark();
	{
		_cleanup_free_ char *uuid = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "UUID");
		_cleanup_free_ char *edit = harness_minimal_xml("signal-guest", uuid);
		_cleanup_free_ char *again = harness_define(edit);
		assert_string_equal(again, path);
	}
	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount"), count + 1);
	assert_null(harness_signal_find(mark, ZVIRT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
					"InterfacesAdded", path));

	mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 0));
	s = harness_wait_signal(mark, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainUndefined", path,
				HARNESS_SIGNAL_TIMEOUT_MS);
	assert_non_null(s);
	assert_string_equal(s->name, "signal-guest");
	s = harness_wait_signal(mark, ZVIRT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
				"InterfacesRemoved", path, HARNESS_SIGNAL_TIMEOUT_MS);
	assert_non_null(s);
	assert_non_null(strstr(s->interfaces, "," ZVIRT_DOMAIN_IFACE ","));

	/* The object is gone, and so is the name. */
	r = sd_bus_get_property_string(harness_bus(), ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE, "Name",
				       &error, &value);
	free(value);
	if (r >= 0)
		fail_msg("%s still answers after Undefine", path);
	assert_false(managed_objects_contain(path));
	assert_null(harness_lookup("signal-guest"));
	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount"), count);
	harness_expect_error(ZVIRT_ERROR("NoSuchDomain"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "LookupDomainByName", "sa{sv}", "signal-guest", 0);
}

static void test_list_filters(void **state)
{
	_cleanup_free_ char *xml_off = harness_minimal_xml("list-off", NULL);
	_cleanup_free_ char *xml_on = harness_guest_xml("list-on"); /* started, so it needs a kernel */
	_cleanup_free_ char *off = harness_define(xml_off);
	_cleanup_free_ char *on = harness_define(xml_on);
	uint32_t active_before =
		harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ActiveDomainCount");

	/* Paused right away: active without spending CPU on a boot. */
	sd_bus_message_unref(harness_call(on, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(on, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ActiveDomainCount"),
			 active_before + 1);

	{
		_cleanup_strv_free_ char **all = list_domains("a{sv}", 0);
		assert_true(strv_contains(all, off));
		assert_true(strv_contains(all, on));
	}
	{
		_cleanup_strv_free_ char **active = list_domains("a{sv}", 1, "active", "b", 1);
		assert_false(strv_contains(active, off));
		assert_true(strv_contains(active, on));
	}
	{
		_cleanup_strv_free_ char **inactive = list_domains("a{sv}", 1, "inactive", "b", 1);
		assert_true(strv_contains(inactive, off));
		assert_false(strv_contains(inactive, on));
	}
	{
		_cleanup_strv_free_ char **persistent = list_domains("a{sv}", 1, "persistent", "b", 1);
		assert_true(strv_contains(persistent, off));
		assert_true(strv_contains(persistent, on));
	}
	{
		_cleanup_strv_free_ char **transient = list_domains("a{sv}", 1, "transient", "b", 1);
		assert_false(strv_contains(transient, off));
		assert_false(strv_contains(transient, on));
	}
	{
		_cleanup_strv_free_ char **paused = list_domains("a{sv}", 1, "state", "s", "paused");
		assert_false(strv_contains(paused, off));
		assert_true(strv_contains(paused, on));
	}
	{
		_cleanup_strv_free_ char **shut_off = list_domains("a{sv}", 1, "state", "s", "shut-off");
		assert_true(strv_contains(shut_off, off));
		assert_false(strv_contains(shut_off, on));
	}
	{
		/* Filters combine: active and shut-off cannot both hold. */
		_cleanup_strv_free_ char **none =
			list_domains("a{sv}", 2, "active", "b", 1, "state", "s", "shut-off");
		assert_false(strv_contains(none, off));
		assert_false(strv_contains(none, on));
	}
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "ListDomains", "a{sv}", 1, "no-such-filter", "b", 1);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "ListDomains", "a{sv}", 1, "state", "s", "no-such-state");

	harness_undefine(on);
	harness_undefine(off);
	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ActiveDomainCount"),
			 active_before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_define_errors),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_define_undefine_signals),
		cmocka_unit_test(test_list_filters),
	};

	return harness_main("manager", tests, 0);
}
