/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain.Migrate from the source's side, and its tuning calls: what it
 * refuses before anything begins, a destination that cannot be reached or
 * that refuses (the guest keeps running here, untouched), and the tuning
 * (SetMigrationMaxSpeed, GetMigrationMaxSpeed, SetMigrationMaxDowntime,
 * AbortJob).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define JOB_IFACE      "org.zvirt1.Job"
#define NOT_AUTHORIZED ZVIRT_ERROR("NotAuthorized")
#define UNLIMITED      UINT64_C(8796093022207)

static char *migrate(const char *path, const char *destination)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}", destination, 1, "live", "b", 1);
	const char *job;
	assert_int_equal(sd_bus_message_read(reply, "o", &job), 1);
	assert_string_not_equal(job, "/");
	return strdup(job);
}

static char *wait_job(const char *job, size_t mark)
{
	const HarnessSignal *s = harness_wait_signal(mark, job, JOB_IFACE, "Completed", NULL, 60000);
	assert_non_null(s);
	return harness_get_string(job, JOB_IFACE, "State");
}

static uint64_t max_speed(const char *path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "GetMigrationMaxSpeed", "a{sv}", 0);
	uint64_t v;
	assert_int_equal(sd_bus_message_read(reply, "t", &v), 1);
	return v;
}

/* What is refused on a shut-off domain, and the tuning that works on one. */
static void test_shut_off(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("mig-off");
	_cleanup_free_ char *path = harness_define(xml);

	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
			     harness_peer_bus_address() ?: "unix:path=/nonexistent", 0);
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), path, ZVIRT_DOMAIN_IFACE,
			     "SetMigrationMaxDowntime", "ta{sv}", (uint64_t)100, 0);
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), path, ZVIRT_DOMAIN_IFACE, "AbortJob", "a{sv}",
			     0);

	/* The speed is the domain's, for its next migrations. */
	assert_int_equal(max_speed(path), UNLIMITED);
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "SetMigrationMaxSpeed", "ta{sv}", (uint64_t)100, 0));
	assert_int_equal(max_speed(path), 100);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE,
			     "SetMigrationMaxSpeed", "ta{sv}", (uint64_t)0, 0);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE,
			     "SetMigrationMaxSpeed", "ta{sv}", UNLIMITED + 1, 0);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE,
			     "SetMigrationMaxSpeed", "ta{sv}", (uint64_t)5, 1, "bogus", "b", 1);
	assert_int_equal(max_speed(path), 100);

	/* Polkit: nobody may neither tune nor move it; reading is free. */
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "SetMigrationMaxSpeed",
				    "ta{sv}", (uint64_t)7, 0);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
				    "unix:path=/nonexistent", 0);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "AbortJob", "a{sv}", 0);
	free(harness_nobody_call(path, ZVIRT_DOMAIN_IFACE, "GetMigrationMaxSpeed", "a{sv}", 0));
	assert_int_equal(max_speed(path), 100);
	harness_undefine(path);
}

/* A running guest: bad destinations and options are refused at once,
 * a destination that is not there or says no fails the job, and the
 * guest runs on here as if nothing had been tried. */
static void test_refused(void **state)
{
	if (!harness_peer_dir())
		assert_int_equal(harness_peer_start(NULL), 0);
	_cleanup_free_ char *xml = harness_guest_xml("mig-ref");
	_cleanup_free_ char *path = harness_define(xml);
	harness_boot_guest(path, "mig-ref");
	uint64_t seq = harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence");

	const char *const bad[] = {"", "ssh://", "ssh://a b", "ssh://-oProxyCommand=x", "nothing"};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "Migrate",
				     "sa{sv}", bad[i], 0);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
			     harness_peer_bus_address(), 1, "copy-storage-all", "b", 1);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
			     harness_peer_bus_address(), 1, "live", "s", "yes");
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
			     harness_peer_bus_address(), 1, "max-downtime-ms", "t", (uint64_t)2000001);
	/* No bus there at all. */
	harness_expect_error(ZVIRT_ERROR("MigrationFailed"), path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
			     "unix:path=/nonexistent/bus", 0);

	/* The peer refuses (its Server= is no): the job fails saying so. */
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = migrate(path, harness_peer_bus_address());
	_cleanup_free_ char *type = harness_get_string(job, JOB_IFACE, "Type");
	assert_string_equal(type, "migration-out");
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "failed");
	_cleanup_free_ char *error = harness_get_string(job, JOB_IFACE, "Error");
	if (!strstr(error, "refused the migration"))
		fail_msg("job error: %s", error);
	harness_assert_state(path, "running", "booted");
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence"), seq);

	/* The guest never noticed. */
	_cleanup_free_ char *out = harness_guest_command(path, "echo still-here", 30000);
	assert_non_null(strstr(out, "still-here"));

	/* Tuning a running domain. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "SetMigrationMaxDowntime", "ta{sv}",
					  (uint64_t)50, 0));
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE,
			     "SetMigrationMaxDowntime", "ta{sv}", (uint64_t)0, 0);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "SetMigrationMaxDowntime",
				    "ta{sv}", (uint64_t)50, 0);
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), path, ZVIRT_DOMAIN_IFACE, "AbortJob", "a{sv}",
			     0);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shut_off),
		cmocka_unit_test(test_refused),
	};
	return harness_run_tests("migrate", tests, ELEMENTSOF(tests), 0);
}
