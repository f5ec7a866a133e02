/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain.SetMemory (virsh setmem, setmaxmem) on a real s390x guest with
 * a virtio balloon: the live target is what the guest's balloon driver
 * gives back; config sets the next start's current and maximum memory;
 * a domain without a balloon, sizes past the maximum, a maximum live,
 * unknown options and an unprivileged caller are refused and change
 * nothing.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define MIB (1024ULL * 1024)

/* The test guest (256 MiB) with a virtio balloon instead of none. */
static char *guest_with_balloon(const char *name)
{
	_cleanup_free_ char *base = harness_guest_xml(name);
	char *none = strstr(base, "<memballoon model='none'/>");
	char *xml = NULL;
	assert_non_null(none);
	assert_true(asprintf(&xml, "%.*s<memballoon model='virtio'/>%s", (int)(none - base), base,
			     none + strlen("<memballoon model='none'/>")) > 0);
	return xml;
}

/* balloon.current of GetStats: what the guest holds now. */
static uint64_t balloon_current(const char *path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "GetStats", "a{sv}", 0);
	const char *key;
	uint64_t value = 0;
	int r;
	assert_return_code(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		assert_return_code(sd_bus_message_read(reply, "s", &key), 0);
		if (strcmp(key, "balloon.current") == 0)
			assert_return_code(sd_bus_message_read(reply, "v", "t", &value), 0);
		else
			assert_return_code(sd_bus_message_skip(reply, "v"), 0);
		assert_return_code(sd_bus_message_exit_container(reply), 0);
	}
	return value;
}

static void set_memory(const char *path, uint64_t bytes, const char *flag)
{
	if (flag)
		sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "SetMemory", "ta{sv}", bytes, 1,
						  flag, "b", 1));
	else
		sd_bus_message_unref(
			harness_call(path, ZVIRT_DOMAIN_IFACE, "SetMemory", "ta{sv}", bytes, 0));
}

static char *inactive_xml(const char *path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1, "inactive", "b", 1);
	const char *xml;
	assert_int_equal(sd_bus_message_read(reply, "s", &xml), 1);
	return strdup(xml);
}

static void test_balloon_live_and_config(void **state)
{
	_cleanup_free_ char *xml = guest_with_balloon("setmem-guest");
	_cleanup_free_ char *path = harness_define(xml);

	harness_boot_guest(path, "setmem-guest");
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "Memory"), 256 * MIB);

	/* Live: the target at once, the guest's memory as it lets go. */
	size_t mark = harness_signal_mark();
	set_memory(path, 192 * MIB, NULL);
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "Memory"), 192 * MIB);
	assert_non_null(harness_wait_signal(mark, path, "org.freedesktop.DBus.Properties",
					    "PropertiesChanged", ZVIRT_DOMAIN_IFACE, 5000));
	uint64_t now = 0;
	for (int i = 0; i < 60 && (now = balloon_current(path)) > 192 * MIB; i++)
		usleep(500 * 1000);
	if (now > 192 * MIB)
		fail_msg("the guest still holds %llu bytes, target %llu", (unsigned long long)now,
			 (unsigned long long)(192 * MIB));
	_cleanup_free_ char *live = harness_get_xml(path);
	assert_non_null(strstr(live, "<currentMemory unit='KiB'>196608</currentMemory>"));
	_cleanup_free_ char *persistent = inactive_xml(path);
	assert_null(strstr(persistent, "196608"));
	/* And back up to the maximum. */
	set_memory(path, 256 * MIB, "live");
	for (int i = 0; i < 60 && (now = balloon_current(path)) < 256 * MIB; i++)
		usleep(500 * 1000);
	assert_int_equal(now, 256 * MIB);

	/* Config: the next start's current memory, and its maximum. */
	set_memory(path, 128 * MIB, "config");
	free(persistent);
	persistent = inactive_xml(path);
	assert_non_null(strstr(persistent, "<currentMemory unit='KiB'>131072</currentMemory>"));
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "SetMemory", "ta{sv}", 512 * MIB, 2,
					  "config", "b", 1, "maximum", "b", 1));
	free(persistent);
	persistent = inactive_xml(path);
	assert_non_null(strstr(persistent, "<memory unit='KiB'>524288</memory>"));

	/* Refused, changing nothing. */
	harness_wait_machine_expanded(path);
	_cleanup_free_ char *live_before = harness_get_xml(path);
	_cleanup_free_ char *config_before = inactive_xml(path);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "SetMemory",
			     "ta{sv}", 512 * MIB, 0); /* past the running maximum */
	harness_expect_error("org.zvirt1.Error.OperationInvalid", path, ZVIRT_DOMAIN_IFACE, "SetMemory",
			     "ta{sv}", 128 * MIB, 1, "maximum", "b", 1);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "SetMemory",
			     "ta{sv}", 1024 * MIB, 1, "config", "b", 1); /* past the next start's maximum */
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "SetMemory",
			     "ta{sv}", (uint64_t)0, 0);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "SetMemory",
			     "ta{sv}", 128 * MIB, 1, "bogus", "b", 1);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "SetMemory",
			     "ta{sv}", 128 * MIB, 2, "current", "b", 1, "live", "b", 1);
	harness_nobody_expect_error("org.zvirt1.Error.NotAuthorized", path, ZVIRT_DOMAIN_IFACE, "SetMemory",
				    "ta{sv}", 128 * MIB, 0);
	_cleanup_free_ char *live_after = harness_get_xml(path);
	_cleanup_free_ char *config_after = inactive_xml(path);
	assert_string_equal(live_after, live_before);
	assert_string_equal(config_after, config_before);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

/* Without a balloon the memory of a running guest cannot change; shut
 * off, no option (live) is refused and config works. */
static void test_no_balloon(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("setmem-none");
	_cleanup_free_ char *path = harness_define(xml);

	harness_expect_error("org.zvirt1.Error.OperationInvalid", path, ZVIRT_DOMAIN_IFACE, "SetMemory",
			     "ta{sv}", 128 * MIB, 0);
	set_memory(path, 200 * MIB, "current");
	_cleanup_free_ char *persistent = inactive_xml(path);
	assert_non_null(strstr(persistent, "<currentMemory unit='KiB'>204800</currentMemory>"));

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	harness_expect_error("org.zvirt1.Error.OperationInvalid", path, ZVIRT_DOMAIN_IFACE, "SetMemory",
			     "ta{sv}", 128 * MIB, 0);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_balloon_live_and_config),
		cmocka_unit_test(test_no_balloon),
	};

	return harness_main("setmem", tests, 0);
}
