/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Definitions and autostart marks are durable, written off the loop, and
 * told as they are: a write cut by a crash leaves the old definition and
 * no debris, a change whose directory fsync failed is reported as made
 * (not as "nothing changed"), a slow disk holds up no other caller, and
 * what the daemon says after a storm of changes is what it reads back
 * after a restart.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define HOST_ERROR ZVIRT_ERROR("HostError")

static char *xml_with_memory(const char *name, const char *uuid, unsigned kib)
{
	_cleanup_free_ char *base = harness_minimal_xml(name, uuid);
	char *at = strstr(base, "262144");
	char *xml = NULL;
	assert_non_null(at);
	assert_true(asprintf(&xml, "%.*s%u%s", (int)(at - base), base, kib, at + strlen("262144")) > 0);
	return xml;
}

/* Files in StateDir/domains whose name holds ".tmp.". */
static unsigned count_temp_files(void)
{
	_cleanup_free_ char *dir = NULL;
	assert_true(asprintf(&dir, "%s/state/domains", harness_tmpdir()) > 0);
	DIR *d = opendir(dir);
	assert_non_null(d);
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void restart_with(const char *variable, const char *value)
{
	assert_int_equal(harness_stop_daemon(), 0);
	assert_int_equal(setenv(variable, value, 1), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(unsetenv(variable), 0);
}

/* The daemon dies with the new definition in its temporary file, before
 * the rename: the next daemon has the old one and removed the debris. */
static void test_interrupted_redefine_keeps_old(void **state)
{
	const char *uuid = "6a1b2c3d-0000-4000-8000-00000000d001";
	_cleanup_free_ char *v1 = xml_with_memory("dur-cut", uuid, 262144);
	_cleanup_free_ char *v2 = xml_with_memory("dur-cut", uuid, 524288);
	_cleanup_free_ char *fresh = harness_minimal_xml("dur-cut-new", NULL);
	_cleanup_free_ char *path = harness_define(v1);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	restart_with("ZVIRTD_FAULT_KILL", "durable-write-before-rename");
	assert_true(harness_call_full(harness_bus(), &error, NULL, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
				      "DefineXML", "sa{sv}", v2, 0) < 0);
	assert_return_code(harness_kill_daemon(), 0);
	assert_true(WIFSIGNALED(harness_daemon_exit_status()));
	assert_int_equal(count_temp_files(), 1);

	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(count_temp_files(), 0);
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "MaxMemory"), 262144ULL * 1024);

	/* A new domain cut the same way does not exist afterwards. */
	sd_bus_error_free(&error);
	restart_with("ZVIRTD_FAULT_KILL", "durable-write-before-rename");
	assert_true(harness_call_full(harness_bus(), &error, NULL, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
				      "DefineXML", "sa{sv}", fresh, 0) < 0);
	assert_return_code(harness_kill_daemon(), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(count_temp_files(), 0);
	assert_null(harness_lookup("dur-cut-new"));
	harness_undefine(path);
}

static void expect_host_error(sd_bus_error *error, int r, const char *what, const char *says)
{
	if (r >= 0 || !sd_bus_error_has_name(error, HOST_ERROR) || !strstr(error->message, says))
		fail_msg("%s: %s (%s), expected %s saying '%s'", what, r >= 0 ? "success" : error->name,
			 r >= 0 ? "" : error->message, HOST_ERROR, says);
	sd_bus_error_free(error);
}

/* The rename happened, the directory's fsync failed: the change is in
 * place (and said to be), the caller learns it may not survive a power
 * cut. */
static void test_unsynced_change_is_reported_as_made(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("dur-unsynced", NULL);
	_cleanup_free_ char *path = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	restart_with("ZVIRTD_FAULT_FAIL", "store-directory-fsync");
	int r = harness_call_full(harness_bus(), &error, NULL, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
				  "DefineXML", "sa{sv}", xml, 0);
	expect_host_error(&error, r, "DefineXML", "is defined, but a power cut may undo it");
	path = harness_lookup("dur-unsynced");
	assert_non_null(path);

	r = sd_bus_set_property(harness_bus(), ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE, "Autostart", &error,
				"b", 1);
	expect_host_error(&error, r, "Autostart", "is enabled, but a power cut may undo it");
	assert_true(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));

	r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 0);
	expect_host_error(&error, r, "Undefine", "is undefined, but a power cut may bring it back");
	assert_null(harness_lookup("dur-unsynced"));

	assert_int_equal(harness_restart_daemon(), 0);
	assert_null(harness_lookup("dur-unsynced"));
}

typedef struct Pending {
	sd_bus_slot *slot;
	bool done;
	bool failed;
	uint64_t answered_ms;
} Pending;

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	Pending *p = userdata;
	p->done = true;
	p->failed = sd_bus_message_is_method_error(reply, NULL);
	p->answered_ms = now_ms();
	return 0;
}

static void send_async(Pending *p, sd_bus_message *m)
{
	*p = (Pending){};
	assert_return_code(
		sd_bus_call_async(harness_bus(), &p->slot, m, on_reply, p, HARNESS_CALL_TIMEOUT_USEC), 0);
}

static void define_async(Pending *p, const char *xml)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	assert_return_code(sd_bus_message_new_method_call(harness_bus(), &m, ZVIRT_BUS_NAME,
							  ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
							  "DefineXML"),
			   0);
	assert_return_code(sd_bus_message_append(m, "sa{sv}", xml, 0), 0);
	send_async(p, m);
}

static void undefine_async(Pending *p, const char *path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	assert_return_code(sd_bus_message_new_method_call(harness_bus(), &m, ZVIRT_BUS_NAME, path,
							  ZVIRT_DOMAIN_IFACE, "Undefine"),
			   0);
	assert_return_code(sd_bus_message_append(m, "a{sv}", 0), 0);
	send_async(p, m);
}

static void autostart_async(Pending *p, const char *path, bool value)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	assert_return_code(sd_bus_message_new_method_call(harness_bus(), &m, ZVIRT_BUS_NAME, path,
							  "org.freedesktop.DBus.Properties", "Set"),
			   0);
	assert_return_code(sd_bus_message_append(m, "ssv", ZVIRT_DOMAIN_IFACE, "Autostart", "b", value), 0);
	send_async(p, m);
}

static void dispatch_until(Pending *p, size_t n)
{
	for (int i = 0; i < 1200; i++) {
		size_t done = 0;
		for (size_t k = 0; k < n; k++)
			done += p[k].done;
		if (done == n)
			break;
		int r = sd_bus_process(harness_bus(), NULL);
		assert_return_code(r, -r);
		if (r == 0)
			(void)sd_bus_wait(harness_bus(), 50 * 1000);
	}
	for (size_t k = 0; k < n; k++) {
		if (!p[k].done)
			fail_msg("call %zu was not answered", k);
		p[k].slot = sd_bus_slot_unref(p[k].slot);
	}
}

/* Every durable write takes 2 s more (a slow disk): the writes wait,
 * other callers do not. */
static void test_slow_disk_holds_up_nobody(void **state)
{
	_cleanup_free_ char *existing = harness_minimal_xml("dur-slow-a", NULL);
	_cleanup_free_ char *fresh = harness_minimal_xml("dur-slow-b", NULL);
	_cleanup_free_ char *path = harness_define(existing);
	Pending writes[3];

	restart_with("ZVIRTD_FAULT_DELAY", "store-directory-fsync:2000");
	uint64_t start = now_ms();
	define_async(&writes[0], fresh);
	autostart_async(&writes[1], path, true);
	undefine_async(&writes[2], path);

	/* Meanwhile (for its first second; the first write takes two) the
	 * daemon answers everyone else at once. */
	uint64_t worst = 0;
	for (int i = 0; i < 10 && now_ms() - start < 1000; i++) {
		uint64_t t = now_ms();
		sd_bus_message_unref(
			harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 0));
		free(harness_get_string(path, ZVIRT_DOMAIN_IFACE, "Name"));
		if (now_ms() - t > worst)
			worst = now_ms() - t;
	}
	assert_false(writes[0].done || writes[1].done || writes[2].done);
	if (worst > 1000)
		fail_msg("ListDomains took %llu ms while the disk was slow", (unsigned long long)worst);

	dispatch_until(writes, 3);
	for (int i = 0; i < 3; i++)
		assert_false(writes[i].failed);
	/* One write at a time, each 2 s or more, in whatever order they came
	 * ready (the undefine syncs twice): the last answer comes after 8 s. */
	uint64_t last = 0;
	for (int i = 0; i < 3; i++)
		last = writes[i].answered_ms > last ? writes[i].answered_ms : last;
	assert_true(last - start >= 4 * 2000);
	assert_null(harness_lookup("dur-slow-a"));
	_cleanup_free_ char *b = harness_lookup("dur-slow-b");
	assert_non_null(b);

	assert_int_equal(harness_restart_daemon(), 0);
	assert_null(harness_lookup("dur-slow-a"));
	harness_undefine(b);
}

/* What the daemon says about each domain: memory and autostart, or gone. */
static void snapshot(const char *names[], size_t n, char *out, size_t size)
{
	*out = 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = harness_lookup(names[i]);
		char line[128];
		if (path)
			snprintf(line, sizeof(line), "%s:%llu:%d ", names[i],
				 (unsigned long long)harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "MaxMemory"),
				 harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
		else
			snprintf(line, sizeof(line), "%s:gone ", names[i]);
		strncat(out, line, size - strlen(out) - 1);
	}
}

/* Defines, undefines and autostart changes sent without waiting, many at
 * once: some refused (Busy, gone), none torn; a restart reads back
 * exactly what the daemon said. */
static void test_storm_reads_back_the_same(void **state)
{
	const char *names[] = {"dur-storm-0", "dur-storm-1", "dur-storm-2"};
	const char *uuids[] = {"6a1b2c3d-0000-4000-8000-00000000e000",
			       "6a1b2c3d-0000-4000-8000-00000000e001",
			       "6a1b2c3d-0000-4000-8000-00000000e002"};
	enum { N_CALLS = 60 };
	Pending calls[N_CALLS];
	char before[512], after[512];

	unsigned seed = 7;
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < N_CALLS; i++) {
			size_t k = rand_r(&seed) % 3;
			_cleanup_free_ char *path = harness_lookup(names[k]);
			int what = rand_r(&seed) % 4;
			if (!path || what == 0) {
				_cleanup_free_ char *xml = xml_with_memory(
					names[k], uuids[k], 262144 + 1024 * (rand_r(&seed) % 64));
				define_async(&calls[i], xml);
			} else if (what == 1)
				undefine_async(&calls[i], path);
			else
				autostart_async(&calls[i], path, what == 2);
			/* Let some calls land in between, so that lookups change. */
			if (i % 7 == 0)
				(void)sd_bus_process(harness_bus(), NULL);
		}
		dispatch_until(calls, N_CALLS);
		snapshot(names, 3, before, sizeof(before));
		assert_int_equal(harness_kill_daemon(), 0);
		assert_int_equal(harness_start_daemon(), 0);
		snapshot(names, 3, after, sizeof(after));
		assert_string_equal(before, after);
	}
	for (size_t k = 0; k < 3; k++) {
		_cleanup_free_ char *path = harness_lookup(names[k]);
		if (path)
			harness_undefine(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interrupted_redefine_keeps_old),
		cmocka_unit_test(test_unsynced_change_is_reported_as_made),
		cmocka_unit_test(test_slow_disk_holds_up_nobody),
		cmocka_unit_test(test_storm_reads_back_the_same),
	};
	return harness_main("durable", tests, 0);
}
