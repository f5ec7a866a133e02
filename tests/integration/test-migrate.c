/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live migration between two daemons on this machine, each with its own
 * bus (the harness's second host): Domain.Migrate on the source, with
 * what it refuses before anything begins, a destination that cannot be
 * reached, refuses ([Relocation] Server=no) or does not let the data in
 * (HostsAllow=); the tuning calls; the destination's PrepareMigration and
 * FinishMigration driven by hand (their refusals, a cancel, a source that
 * leaves, a destination daemon killed mid-way); and the real thing: the
 * test guest counts in memory while it moves there and back, and keeps
 * counting, with the same boot id.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define JOB_IFACE      "org.zvirt1.Job"
#define NOT_AUTHORIZED ZVIRT_ERROR("NotAuthorized")
#define UNLIMITED      UINT64_C(8796093022207)
#define ROOT           "/org/zvirt1"
/* The destination's relocation server, on its own loopback address. */
#define PEER_ACCEPTS "[Relocation]\nServer=yes\nAddress=127.0.0.3\n"

/* The peer again, with conf. */
static void restart_peer(const char *conf)
{
	if (harness_peer_dir())
		harness_peer_stop();
	assert_int_equal(harness_peer_start(conf), 0);
}

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

	const char *const bad[] = {"",          "ssh://",
				   "ssh://a b", "ssh://-oProxyCommand=x",
				   "nothing",   "unixexec:path=/bin/touch,argv1=/tmp/zvirt-migrate-owned"};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "Migrate",
				     "sa{sv}", bad[i], 0);
	/* The test guest has no disk: nothing to copy. */
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
			     harness_peer_bus_address(), 1, "copy-storage-all", "b", 1);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
			     harness_peer_bus_address(), 1, "live", "s", "yes");
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
			     harness_peer_bus_address(), 1, "max-downtime-ms", "t", (uint64_t)2000001);
	assert_int_equal(access("/tmp/zvirt-migrate-owned", F_OK), -1);
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

/* The destination lets nobody's data in (HostsAllow=): the connection is
 * closed, the migration fails on both sides, the guest runs on here. */
static void test_denied_peer(void **state)
{
	restart_peer(PEER_ACCEPTS "HostsAllow=^nothing$\n");
	_cleanup_free_ char *xml = harness_guest_xml("mig-deny");
	_cleanup_free_ char *path = harness_define(xml);
	harness_boot_guest(path, "mig-deny");
	off_t log_mark = harness_file_size(harness_peer_daemon_log());

	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = migrate(path, harness_peer_bus_address());
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "failed");
	harness_assert_state(path, "running", "booted");
	if (harness_wait_console_from(harness_peer_daemon_log(), log_mark,
				      "not in [Relocation] HostsAllow=", 10000, NULL) < 0)
		fail_msg("the destination did not log the refused peer");
	/* Nothing stays there. */
	for (int i = 0; i < 100; i++) {
		_cleanup_free_ char *left = harness_peer_lookup("mig-deny");
		if (!left)
			break;
		usleep(100 * 1000);
	}
	_cleanup_free_ char *left = harness_peer_lookup("mig-deny");
	assert_null(left);
	_cleanup_free_ char *out = harness_guest_command(path, "echo still-here", 30000);
	assert_non_null(strstr(out, "still-here"));
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

/* PrepareMigration on bus (the peer's), as a source would call it. */
static int prepare_on(sd_bus *bus, const char *xml, sd_bus_error *error, char **ret_uri, char **ret_job)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r = harness_call_full(bus, error, &reply, ROOT, ZVIRT_MANAGER_IFACE, "PrepareMigration",
				  "sa{sv}", xml, 0);
	if (r < 0)
		return r;
	const char *uri, *job;
	assert_int_equal(sd_bus_message_read(reply, "so", &uri, &job), 1);
	*ret_uri = strdup(uri);
	*ret_job = strdup(job);
	return 0;
}

static void peer_wait_gone(const char *name)
{
	for (int i = 0; i < 200; i++) {
		_cleanup_free_ char *p = harness_peer_lookup(name);
		if (!p)
			return;
		usleep(50 * 1000);
	}
	fail_msg("domain %s is still on the destination", name);
}

/* No QEMU of that UUID runs any more (on either host). */
static void assert_no_qemu(const char *uuid)
{
	for (int i = 0; i < 100; i++) {
		_cleanup_free_ char *pids = harness_sh_out("pgrep -f -- '-uuid[ ]%s' || true", uuid);
		if (!pids[0])
			return;
		usleep(100 * 1000);
	}
	fail_msg("a QEMU of %s still runs", uuid);
}

#define PREP_UUID "7a1b2c3d-0000-4000-8000-00000000c0de"

/* The destination's calls by hand: refusals, then a prepared migration
 * that the source cancels. */
static void test_prepare(void **state)
{
	restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *xml = harness_guest_xml_uuid("mig-prep", PREP_UUID);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *uri = NULL, *job = NULL;

	/* The [Relocation] settings, as configured. */
	int b = -1;
	assert_int_equal(sd_bus_get_property_trivial(harness_peer_bus(), ZVIRT_BUS_NAME, ROOT,
						     ZVIRT_MANAGER_IFACE, "RelocationServer", &error, 'b',
						     &b),
			 0);
	assert_true(b);
	uint16_t port = 0;
	assert_int_equal(sd_bus_get_property_trivial(harness_peer_bus(), ZVIRT_BUS_NAME, ROOT,
						     ZVIRT_MANAGER_IFACE, "RelocationPort", &error, 'q',
						     &port),
			 0);
	assert_int_equal(port, 8002);
	_cleanup_free_ char *addr = harness_peer_get_string(ROOT, ZVIRT_MANAGER_IFACE, "RelocationAddress");
	assert_string_equal(addr, "127.0.0.3");

	/* Refusals: nobody, bad XML, unknown option, unknown UUID. */
	harness_peer_nobody_expect_error(NOT_AUTHORIZED, ROOT, ZVIRT_MANAGER_IFACE, "PrepareMigration",
					 "sa{sv}", xml, 0);
	harness_peer_expect_error(ZVIRT_ERROR("InvalidXML"), ROOT, ZVIRT_MANAGER_IFACE, "PrepareMigration",
				  "sa{sv}", "<domain type='kvm'><name>x</name", 0);
	harness_peer_expect_error(ZVIRT_ERROR("InvalidArgument"), ROOT, ZVIRT_MANAGER_IFACE,
				  "PrepareMigration", "sa{sv}", xml, 1, "copy-storage-all", "b", 1);
	harness_peer_expect_error(ZVIRT_ERROR("NoSuchDomain"), ROOT, ZVIRT_MANAGER_IFACE, "FinishMigration",
				  "sba{sv}", PREP_UUID, 0, 0);
	_cleanup_free_ char *none = harness_peer_lookup("mig-prep");
	assert_null(none);

	/* A definition of that name with another UUID is in the way; one of
	 * that UUID with another name too. */
	_cleanup_free_ char *other = harness_guest_xml("mig-prep");
	_cleanup_free_ char *other_path = harness_peer_define(other);
	harness_peer_expect_error(ZVIRT_ERROR("DomainExists"), ROOT, ZVIRT_MANAGER_IFACE, "PrepareMigration",
				  "sa{sv}", xml, 0);
	harness_peer_undefine(other_path);
	_cleanup_free_ char *renamed = harness_guest_xml_uuid("mig-prep-other", PREP_UUID);
	_cleanup_free_ char *renamed_path = harness_peer_define(renamed);
	harness_peer_expect_error(ZVIRT_ERROR("DomainExists"), ROOT, ZVIRT_MANAGER_IFACE, "PrepareMigration",
				  "sa{sv}", xml, 0);
	harness_peer_undefine(renamed_path);

	/* A host without the memory says so, as Start does. */
	_cleanup_free_ char *dropin = NULL;
	assert_true(asprintf(&dropin, "%s/zvirtd.conf.d", harness_peer_dir()) > 0);
	harness_sh("mkdir -p '%s' && printf '[Hypervisor]\\nReservedHostMemory=64T\\n' > '%s/50-mem.conf'",
		   dropin, dropin);
	sd_bus_message_unref(harness_peer_call(ROOT, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));
	harness_peer_expect_error(ZVIRT_ERROR("HostError"), ROOT, ZVIRT_MANAGER_IFACE, "PrepareMigration",
				  "sa{sv}", xml, 0);
	none = (free(none), harness_peer_lookup("mig-prep"));
	assert_null(none);
	harness_sh("rm -f '%s/50-mem.conf'", dropin);
	sd_bus_message_unref(harness_peer_call(ROOT, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));

	/* Prepared: paused/migrating, transient, a migration-in job that waits. */
	size_t mark = harness_peer_signal_mark();
	assert_int_equal(prepare_on(harness_peer_bus(), xml, &error, &uri, &job), 0);
	if (strncmp(uri, "tcp:127.0.0.3:", 14) != 0)
		fail_msg("uri %s", uri);
	_cleanup_free_ char *path = harness_peer_lookup("mig-prep");
	assert_non_null(path);
	harness_peer_assert_state(path, "paused", "migrating");
	assert_non_null(
		harness_peer_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "paused", 5000));
	_cleanup_free_ char *type = harness_peer_get_string(job, JOB_IFACE, "Type");
	assert_string_equal(type, "migration-in");
	_cleanup_free_ char *phase = harness_peer_get_string(job, JOB_IFACE, "Phase");
	assert_string_equal(phase, "waiting");
	/* Active here now: a second Prepare of it is refused; the guest is
	 * not one yet, so nothing else may touch it. */
	harness_peer_expect_error(ZVIRT_ERROR("DomainExists"), ROOT, ZVIRT_MANAGER_IFACE, "PrepareMigration",
				  "sa{sv}", xml, 0);
	harness_peer_expect_error(ZVIRT_ERROR("Busy"), path, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}", 0);
	harness_peer_nobody_expect_error(NOT_AUTHORIZED, ROOT, ZVIRT_MANAGER_IFACE, "FinishMigration",
					 "sba{sv}", PREP_UUID, 1, 0);

	/* The source cancels: QEMU and the domain go, the job says so. */
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_peer_call(ROOT, ZVIRT_MANAGER_IFACE, "FinishMigration", "sba{sv}", PREP_UUID, 1, 0);
	const char *gone;
	assert_int_equal(sd_bus_message_read(reply, "o", &gone), 1);
	assert_string_equal(gone, "/");
	peer_wait_gone("mig-prep");
	assert_no_qemu(PREP_UUID);
	harness_peer_expect_error(ZVIRT_ERROR("NoSuchDomain"), ROOT, ZVIRT_MANAGER_IFACE, "FinishMigration",
				  "sba{sv}", PREP_UUID, 0, 0);
}

/* The source leaves the bus before Finish: the destination cleans up.
 * Then the destination's daemon is killed mid-way: the next one leaves
 * no QEMU and no domain behind. */
static void test_prepare_abandoned(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *xml = harness_guest_xml_uuid("mig-prep", PREP_UUID);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *uri = NULL, *job = NULL, *uri2 = NULL, *job2 = NULL;

	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *own = NULL;
	assert_true(sd_bus_new(&own) >= 0);
	assert_true(sd_bus_set_address(own, harness_peer_bus_address()) >= 0);
	assert_true(sd_bus_set_bus_client(own, 1) >= 0);
	assert_true(sd_bus_start(own) >= 0);
	assert_int_equal(prepare_on(own, xml, &error, &uri, &job), 0);
	_cleanup_free_ char *path = harness_peer_lookup("mig-prep");
	assert_non_null(path);
	own = sd_bus_flush_close_unref(own);
	peer_wait_gone("mig-prep");
	assert_no_qemu(PREP_UUID);

	assert_int_equal(prepare_on(harness_peer_bus(), xml, &error, &uri2, &job2), 0);
	assert_int_equal(harness_peer_kill_daemon(), 0);
	assert_int_equal(harness_peer_start_daemon(), 0);
	peer_wait_gone("mig-prep");
	assert_no_qemu(PREP_UUID);

	/* The same to an inactive definition (shut-off/destroyed): the next
	 * daemon gives it that state back, not a failed start. */
	_cleanup_free_ char *def_path = harness_peer_define(xml);
	harness_peer_boot_guest(def_path, "mig-prep");
	sd_bus_message_unref(harness_peer_call(def_path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(
		harness_peer_wait_state(def_path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	_cleanup_free_ char *uri3 = NULL, *job3 = NULL;
	assert_int_equal(prepare_on(harness_peer_bus(), xml, &error, &uri3, &job3), 0);
	harness_peer_assert_state(def_path, "paused", "migrating");
	assert_int_equal(harness_peer_kill_daemon(), 0);
	assert_int_equal(harness_peer_start_daemon(), 0);
	assert_int_equal(
		harness_peer_wait_state(def_path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_no_qemu(PREP_UUID);
	harness_peer_undefine(def_path);
}

/* The last "count N" the guest printed into its console log. */
static unsigned last_count(const char *log)
{
	_cleanup_free_ char *text = harness_read_file(log);
	unsigned n = 0;
	for (const char *p = text; (p = strstr(p, "count ")); p += 6)
		if (p == text || p[-1] == '\n')
			n = (unsigned)strtoul(p + 6, NULL, 10);
	return n;
}

/* The guest counts on from where it was (a new boot would not count at
 * all): the next count it prints after from is above n. */
static void assert_counts_past(const char *log, off_t from, unsigned n)
{
	_cleanup_free_ char *after = NULL;
	if (harness_wait_console_from(log, from, "count ", 60000, &after) < 0)
		fail_msg("the guest did not count on after the migration (last: %u)", n);
	unsigned m = 0;
	assert_int_equal(sscanf(strstr(after, "count "), "count %u", &m), 1);
	if (m <= n)
		fail_msg("the counter was at %u before the migration, %u after", n, m);
}

static char *boot_id_at(const char *pty)
{
	char *out = NULL;
	assert_int_equal(harness_console_command(pty, "bootid", 30000, &out), 0);
	char *b = strstr(out, "boot_id=");
	if (!b)
		fail_msg("no boot id in: %s", out);
	char *id = strndup(b + 8, 36);
	free(out);
	return id;
}

/* The real thing, there and back: the guest keeps its memory (it counts
 * on) and its boot (same boot id); the state/reason pairs on both sides;
 * persistent and undefine-source on the way back. */
static void test_live(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *xml = harness_guest_xml("mig-live");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *log = harness_console_log("mig-live");
	harness_boot_guest(path, "mig-live");
	_cleanup_free_ char *pty = harness_console_pty(path);
	_cleanup_free_ char *boot = boot_id_at(pty);
	_cleanup_free_ char *started = harness_guest_command(path, "count start", 30000);
	assert_int_equal(harness_wait_console_from(log, 0, "count 3", 30000, NULL), 0);

	/* There: transient on the destination, shut-off/migrated here. */
	size_t mark = harness_signal_mark(), pmark = harness_peer_signal_mark();
	_cleanup_free_ char *job = migrate(path, harness_peer_bus_address());
	_cleanup_free_ char *final = wait_job(job, mark);
	if (strcmp(final, "completed") != 0) {
		_cleanup_free_ char *error = harness_get_string(job, JOB_IFACE, "Error");
		fail_msg("the migration ended %s: %s", final, error);
	}
	assert_int_equal(harness_wait_state(path, "shut-off", "migrated", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_non_null(
		harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "shut-off", 5000));
	unsigned before = last_count(log);
	off_t log_mark = harness_file_size(log);
	_cleanup_free_ char *ppath = harness_peer_lookup("mig-live");
	assert_non_null(ppath);
	harness_peer_assert_state(ppath, "running", "migrated");
	assert_non_null(
		harness_peer_wait_signal(pmark, ppath, ZVIRT_DOMAIN_IFACE, "StateChanged", "paused", 5000));
	int pers = -1;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	assert_int_equal(sd_bus_get_property_trivial(harness_peer_bus(), ZVIRT_BUS_NAME, ppath,
						     ZVIRT_DOMAIN_IFACE, "Persistent", &error, 'b', &pers),
			 0);
	assert_false(pers);
	assert_counts_past(log, log_mark, before);
	_cleanup_free_ char *ppty = harness_peer_console_pty(ppath);
	_cleanup_free_ char *boot_there = boot_id_at(ppty);
	assert_string_equal(boot_there, boot);
	/* A transient domain has nothing to undefine. */
	harness_peer_expect_error(ZVIRT_ERROR("OperationInvalid"), ppath, ZVIRT_DOMAIN_IFACE, "Migrate",
				  "sa{sv}", getenv("DBUS_SYSTEM_BUS_ADDRESS"), 1, "undefine-source", "b", 1);

	/* Back, persistent: this host takes migrations once its config says
	 * so (ReloadConfig); the definition here is what it returns to. */
	_cleanup_free_ char *conf = NULL;
	assert_true(asprintf(&conf, "%s/zvirtd.conf", harness_tmpdir()) > 0);
	harness_sh("printf '[Relocation]\\nServer=yes\\nAddress=127.0.0.2\\n' >> '%s'", conf);
	sd_bus_message_unref(harness_call(ROOT, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));
	_cleanup_free_ char *addr = harness_get_string(ROOT, ZVIRT_MANAGER_IFACE, "RelocationAddress");
	assert_string_equal(addr, "127.0.0.2");
	assert_true(harness_get_bool(ROOT, ZVIRT_MANAGER_IFACE, "RelocationServer"));

	mark = harness_signal_mark();
	pmark = harness_peer_signal_mark();
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = harness_peer_call(
		ppath, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}", getenv("DBUS_SYSTEM_BUS_ADDRESS"), 2, "live",
		"b", 1, "persistent", "b", 1);
	const char *pjob;
	assert_int_equal(sd_bus_message_read(reply, "o", &pjob), 1);
	assert_non_null(harness_peer_wait_signal(pmark, pjob, JOB_IFACE, "Completed", NULL, 60000));
	assert_int_equal(harness_wait_state(path, "running", "migrated", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_non_null(harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "paused", 5000));
	assert_true(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Persistent"));
	peer_wait_gone("mig-live");
	before = last_count(log);
	assert_counts_past(log, harness_file_size(log), before);
	free(pty);
	pty = harness_console_pty(path);
	_cleanup_free_ char *boot_back = boot_id_at(pty);
	assert_string_equal(boot_back, boot);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

/* --- a migration that takes its time, and what can happen meanwhile ---- */

/* Migrate to the peer, live, capped at mibps (extra: one more option). */
static char *migrate_capped(const char *path, uint64_t mibps, const char *extra, uint64_t extra_value)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	if (extra && strcmp(extra, "auto-converge") == 0)
		reply = harness_call(path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
				     harness_peer_bus_address(), 3, "live", "b", 1, "bandwidth-MiBps", "t",
				     mibps, "auto-converge", "b", 1);
	else if (extra)
		reply = harness_call(path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
				     harness_peer_bus_address(), 3, "live", "b", 1, "bandwidth-MiBps", "t",
				     mibps, extra, "t", extra_value);
	else
		reply = harness_call(path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
				     harness_peer_bus_address(), 2, "live", "b", 1, "bandwidth-MiBps", "t",
				     mibps);
	const char *job;
	assert_int_equal(sd_bus_message_read(reply, "o", &job), 1);
	return strdup(job);
}

/* The job is in its live phase and QEMU is sending. */
static void wait_live(const char *job)
{
	for (int i = 0; i < 300; i++) {
		_cleanup_free_ char *phase = harness_get_string(job, JOB_IFACE, "Phase");
		if (strcmp(phase, "live") == 0 &&
		    harness_get_u64(job, JOB_IFACE, "DataProcessed") > (1u << 20))
			return;
		usleep(100 * 1000);
	}
	_cleanup_free_ char *phase = harness_get_string(job, JOB_IFACE, "Phase");
	fail_msg("the migration is not sending (phase %s)", phase);
}

/* After a migration that failed: the guest runs here, answers, and the
 * destination has nothing left of it. */
static void assert_stayed(const char *path, const char *name, uint64_t seq)
{
	harness_assert_state(path, "running", "booted");
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence"), seq);
	peer_wait_gone(name);
	_cleanup_free_ char *out = harness_guest_command(path, "echo still-here", 30000);
	assert_non_null(strstr(out, "still-here"));
}

static void destroy_undefine(const char *path)
{
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

/* AbortJob mid-way: cancelled, nothing moved. */
static void test_abort(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *path = harness_boot_dirty("mig-abort", 32);
	uint64_t seq = harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence");
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = migrate_capped(path, 4, NULL, 0);
	wait_live(job);
	/* The speed changes under way; nobody may abort. */
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "SetMigrationMaxSpeed", "ta{sv}", (uint64_t)2, 0));
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "AbortJob", "a{sv}", 0);
	_cleanup_free_ char *ppath = harness_peer_lookup("mig-abort");
	assert_non_null(ppath);
	harness_peer_assert_state(ppath, "paused", "migrating");
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	assert_true(sd_bus_get_property(harness_peer_bus(), ZVIRT_BUS_NAME, ppath, ZVIRT_DOMAIN_IFACE, "Job",
					&error, &reply, "o") >= 0);
	const char *pjob;
	assert_int_equal(sd_bus_message_read(reply, "o", &pjob), 1);
	_cleanup_free_ char *pphase = harness_peer_get_string(pjob, JOB_IFACE, "Phase");
	assert_string_equal(pphase, "receiving");

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "AbortJob", "a{sv}", 0));
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "cancelled");
	assert_stayed(path, "mig-abort", seq);
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), path, ZVIRT_DOMAIN_IFACE, "AbortJob", "a{sv}",
			     0);
	destroy_undefine(path);
}

/* A capped migration of the domain `name` at path under way: its job in
 * *ret_job (signals from *mark on), and the pid of the QEMU that
 * receives it on the peer. */
static pid_t migrating_into(const char *path, const char *name, size_t *mark, char **ret_job)
{
	*mark = harness_signal_mark();
	*ret_job = migrate_capped(path, 4, NULL, 0);
	wait_live(*ret_job);
	_cleanup_free_ char *ppath = harness_peer_lookup(name);
	assert_non_null(ppath);
	pid_t qemu = (pid_t)harness_peer_get_u32(ppath, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(qemu > 0);
	return qemu;
}

/* The destination's QEMU dies mid-way, then its daemon, then its daemon
 * is stopped: each time the migration fails, the guest runs on here, and
 * nothing stays there. */
static void test_destination_dies(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *path = harness_boot_dirty("mig-dies", 32);
	uint64_t seq = harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence");
	size_t mark;

	_cleanup_free_ char *job = NULL;
	pid_t qemu = migrating_into(path, "mig-dies", &mark, &job);
	assert_int_equal(kill(qemu, SIGKILL), 0);
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "failed");
	assert_stayed(path, "mig-dies", seq);

	_cleanup_free_ char *job2 = NULL;
	qemu = migrating_into(path, "mig-dies", &mark, &job2);
	assert_int_equal(harness_peer_kill_daemon(), 0);
	_cleanup_free_ char *final2 = wait_job(job2, mark);
	assert_string_equal(final2, "failed");
	_cleanup_free_ char *error = harness_get_string(job2, JOB_IFACE, "Error");
	if (!strstr(error, "left its bus"))
		fail_msg("job error: %s", error);
	/* Its QEMU ends with the stream; the next daemon knows nothing of it. */
	assert_int_equal(harness_wait_pid_gone(qemu, 30000), 0);
	assert_int_equal(harness_peer_start_daemon(), 0);
	assert_stayed(path, "mig-dies", seq);

	/* Stopped (SIGTERM) while it receives: it ends the incoming
	 * migration and exits cleanly (it once went on reporting the job's
	 * end to its freed D-Bus objects). */
	_cleanup_free_ char *job3 = NULL;
	qemu = migrating_into(path, "mig-dies", &mark, &job3);
	assert_int_equal(harness_peer_stop_daemon(), 0);
	_cleanup_free_ char *final3 = wait_job(job3, mark);
	assert_string_equal(final3, "failed");
	assert_int_equal(harness_wait_pid_gone(qemu, 30000), 0);
	assert_int_equal(harness_peer_start_daemon(), 0);
	_cleanup_free_ char *none = harness_peer_lookup("mig-dies");
	assert_null(none);
	assert_stayed(path, "mig-dies", seq);
	destroy_undefine(path);
}

/* A guest that dirties faster than the cap: timeout-s pauses it so that
 * the rest goes over (paused/migrating here on the way). */
static void test_timeout(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *path = harness_boot_dirty("mig-timeout", 32);
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = migrate_capped(path, 8, "timeout-s", 2);
	_cleanup_free_ char *final = wait_job(job, mark);
	if (strcmp(final, "completed") != 0) {
		_cleanup_free_ char *error = harness_get_string(job, JOB_IFACE, "Error");
		fail_msg("the migration ended %s: %s", final, error);
	}
	assert_non_null(harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "paused", 5000));
	assert_int_equal(harness_wait_state(path, "shut-off", "migrated", HARNESS_STATE_TIMEOUT_MS), 0);
	_cleanup_free_ char *ppath = harness_peer_lookup("mig-timeout");
	assert_non_null(ppath);
	harness_peer_assert_state(ppath, "running", "migrated");
	sd_bus_message_unref(harness_peer_call(ppath, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	peer_wait_gone("mig-timeout");
	harness_undefine(path);
}

/* The same guest with auto-converge: QEMU throttles its CPUs until the
 * copy catches up (the job shows the throttle). */
static void test_auto_converge(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *path = harness_boot_dirty("mig-converge", 32);
	size_t mark = harness_signal_mark();
	/* Below what the guest dirties on an idle machine (about 33 MiB/s;
	 * less on a loaded one): without the throttle it would not end. */
	_cleanup_free_ char *job = migrate_capped(path, 16, "auto-converge", 0);
	uint32_t throttle = 0;
	uint64_t dirty = 0;
	for (int i = 0; i < 1800; i++) {
		assert_true(harness_flush_signals() >= 0);
		if (harness_signal_find(mark, job, JOB_IFACE, "Completed", NULL))
			break;
		uint32_t t = harness_get_u32(job, JOB_IFACE, "ThrottlePercent");
		uint64_t r = harness_get_u64(job, JOB_IFACE, "DirtyRateMiBps");
		throttle = t > throttle ? t : throttle;
		dirty = r > dirty ? r : dirty;
		usleep(100 * 1000);
	}
	_cleanup_free_ char *final = wait_job(job, mark);
	if (strcmp(final, "completed") != 0) {
		_cleanup_free_ char *error = harness_get_string(job, JOB_IFACE, "Error");
		fail_msg("the migration ended %s: %s", final, error);
	}
	/* A guest that out-dirtied the link was throttled (one that did not,
	 * on a machine too loaded to let it, had no need to be). */
	if (dirty > 16 && throttle == 0)
		fail_msg("the guest dirtied %" PRIu64 " MiB/s over a 16 MiB/s link, and auto-converge "
			 "never throttled it",
			 dirty);
	assert_int_equal(harness_wait_state(path, "shut-off", "migrated", HARNESS_STATE_TIMEOUT_MS), 0);
	_cleanup_free_ char *ppath = harness_peer_lookup("mig-converge");
	assert_non_null(ppath);
	harness_peer_assert_state(ppath, "running", "migrated");
	sd_bus_message_unref(harness_peer_call(ppath, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	peer_wait_gone("mig-converge");
	harness_undefine(path);
}

/* persistent, undefine-source and suspend: the definition moves with the
 * guest, which waits there paused until resumed (its boot goes on). */
static void test_move_suspended(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *xml = harness_guest_xml("mig-move");
	_cleanup_free_ char *path = harness_define(xml);
	harness_boot_guest(path, "mig-move");
	_cleanup_free_ char *pty = harness_console_pty(path);
	_cleanup_free_ char *boot = boot_id_at(pty);

	size_t mark = harness_signal_mark();
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = harness_call(
		path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}", harness_peer_bus_address(), 4, "live", "b", 1,
		"persistent", "b", 1, "undefine-source", "b", 1, "suspend", "b", 1);
	const char *job;
	assert_int_equal(sd_bus_message_read(reply, "o", &job), 1);
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "completed");
	/* Gone here: its definition too. */
	for (int i = 0; i < 100; i++) {
		_cleanup_free_ char *p = harness_lookup("mig-move");
		if (!p)
			break;
		usleep(100 * 1000);
	}
	_cleanup_free_ char *left = harness_lookup("mig-move");
	assert_null(left);
	assert_non_null(harness_wait_signal(mark, ROOT, ZVIRT_MANAGER_IFACE, "DomainUndefined", NULL, 5000));

	_cleanup_free_ char *ppath = harness_peer_lookup("mig-move");
	assert_non_null(ppath);
	harness_peer_assert_state(ppath, "paused", "user");
	int pers = -1;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	assert_int_equal(sd_bus_get_property_trivial(harness_peer_bus(), ZVIRT_BUS_NAME, ppath,
						     ZVIRT_DOMAIN_IFACE, "Persistent", &error, 'b', &pers),
			 0);
	assert_true(pers);
	sd_bus_message_unref(harness_peer_call(ppath, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}", 0));
	assert_int_equal(harness_peer_wait_state(ppath, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);
	_cleanup_free_ char *ppty = harness_peer_console_pty(ppath);
	_cleanup_free_ char *boot_there = boot_id_at(ppty);
	assert_string_equal(boot_there, boot);
	sd_bus_message_unref(harness_peer_call(ppath, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_peer_wait_state(ppath, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS),
			 0);
	harness_peer_undefine(ppath);
}

/* The source's daemon dies mid-way: the destination drops its half when
 * the source leaves its bus, QEMU lets the guest run on, and the next
 * daemon finds it running. */
static void test_source_daemon_killed(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *path = harness_boot_dirty("mig-srckill", 32);
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	_cleanup_free_ char *job = migrate_capped(path, 4, NULL, 0);
	wait_live(job);
	assert_int_equal(harness_kill_daemon(), 0);
	peer_wait_gone("mig-srckill");
	assert_int_equal(harness_start_daemon(), 0);
	harness_assert_state(path, "running", "booted");
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	_cleanup_free_ char *out = harness_guest_command(path, "echo still-here", 30000);
	assert_non_null(strstr(out, "still-here"));
	/* Nothing of the first migration is in the way of a second. */
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job2 = migrate_capped(path, 4, NULL, 0);
	wait_live(job2);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "AbortJob", "a{sv}", 0));
	_cleanup_free_ char *final = wait_job(job2, mark);
	assert_string_equal(final, "cancelled");
	peer_wait_gone("mig-srckill");
	destroy_undefine(path);
}

/* A guest paused here moves paused (not live: QEMU copies it stopped)
 * and stays paused there until resumed. */
static void test_paused_stays_paused(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *xml = harness_guest_xml("mig-paused");
	_cleanup_free_ char *path = harness_define(xml);
	harness_boot_guest(path, "mig-paused");
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Suspend", "a{sv}", 0));
	harness_assert_state(path, "paused", "user");
	size_t mark = harness_signal_mark();
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}", harness_peer_bus_address(), 0);
	const char *job;
	assert_int_equal(sd_bus_message_read(reply, "o", &job), 1);
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "completed");
	assert_int_equal(harness_wait_state(path, "shut-off", "migrated", HARNESS_STATE_TIMEOUT_MS), 0);
	_cleanup_free_ char *ppath = harness_peer_lookup("mig-paused");
	assert_non_null(ppath);
	harness_peer_assert_state(ppath, "paused", "user");
	sd_bus_message_unref(harness_peer_call(ppath, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}", 0));
	assert_int_equal(harness_peer_wait_state(ppath, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);
	_cleanup_free_ char *ppty = harness_peer_console_pty(ppath);
	_cleanup_free_ char *out = NULL;
	assert_int_equal(harness_console_command(ppty, "echo moved", 30000, &out), 0);
	assert_non_null(strstr(out, "moved"));
	sd_bus_message_unref(harness_peer_call(ppath, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	peer_wait_gone("mig-paused");
	harness_undefine(path);
}

/* The source's daemon dies while the guest is stopped for the migration
 * (timeout-s paused it): the destination drops its half, the stream
 * fails, and the next daemon lets the guest run again, from the intent
 * its predecessor recorded. */
static void test_source_daemon_killed_stopped(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *path = harness_boot_dirty("mig-srcstop", 32);
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = migrate_capped(path, 1, "timeout-s", 1);
	assert_non_null(
		harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "paused", 30000));
	harness_assert_state(path, "paused", "migrating");
	assert_int_equal(harness_kill_daemon(), 0);
	peer_wait_gone("mig-srcstop");
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(harness_wait_state(path, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);
	_cleanup_free_ char *out = harness_guest_command(path, "echo still-here", 30000);
	assert_non_null(strstr(out, "still-here"));
	destroy_undefine(path);
}

/* --- copy-storage ---------------------------------------------------------- */

static const char *const copy_disks[] = {"vdb", "vdc", NULL};

/* Migrate with copy-storage-all of the disks named (a strv), as far as
 * the call: the job, or NULL with the error expected. */
static char *migrate_copying_with(const char *path, const char *copy, const char *const *disks,
				  uint64_t bandwidth, const char *expected_error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	assert_true(sd_bus_message_new_method_call(harness_bus(), &m, ZVIRT_BUS_NAME, path,
						   ZVIRT_DOMAIN_IFACE, "Migrate") >= 0);
	assert_true(sd_bus_message_append(m, "s", harness_peer_bus_address()) >= 0);
	assert_true(sd_bus_message_open_container(m, 'a', "{sv}") >= 0);
	assert_true(sd_bus_message_append(m, "{sv}{sv}", "live", "b", 1, copy, "b", 1) >= 0);
	if (bandwidth > 0)
		assert_true(sd_bus_message_append(m, "{sv}", "bandwidth-MiBps", "t", bandwidth) >= 0);
	assert_true(sd_bus_message_open_container(m, 'e', "sv") >= 0);
	assert_true(sd_bus_message_append(m, "s", "migrate-disks") >= 0);
	assert_true(sd_bus_message_open_container(m, 'v', "as") >= 0);
	assert_true(sd_bus_message_append_strv(m, (char **)disks) >= 0);
	for (int i = 0; i < 3; i++)
		assert_true(sd_bus_message_close_container(m) >= 0);
	int r = sd_bus_call(harness_bus(), m, 0, &error, &reply);
	if (expected_error) {
		assert_true(r < 0);
		assert_string_equal(error.name, expected_error);
		return NULL;
	}
	if (r < 0)
		fail_msg("Migrate with %s: %s: %s", copy, error.name, error.message);
	const char *job;
	assert_true(sd_bus_message_read(reply, "o", &job) >= 0);
	return strdup(job);
}

static char *migrate_copying(const char *path, const char *const *disks, uint64_t bandwidth,
			     const char *expected_error)
{
	return migrate_copying_with(path, "copy-storage-all", disks, bandwidth, expected_error);
}

/* A migration with copy (copy-storage-all|-inc) of disks that must
 * complete: here shut-off/migrated, there running; the peer's path. */
static char *migrate_copied(const char *path, const char *copy, const char *const *disks, const char *name)
{
	size_t mark = harness_signal_mark(), pmark = harness_peer_signal_mark();
	_cleanup_free_ char *job = migrate_copying_with(path, copy, disks, 0, NULL);
	_cleanup_free_ char *final = wait_job(job, mark);
	if (strcmp(final, "completed") != 0) {
		_cleanup_free_ char *error = harness_get_string(job, JOB_IFACE, "Error");
		fail_msg("the migration ended %s: %s", final, error);
	}
	assert_int_equal(harness_wait_state(path, "shut-off", "migrated", HARNESS_STATE_TIMEOUT_MS), 0);
	char *ppath = harness_peer_lookup(name);
	assert_non_null(ppath);
	assert_non_null(harness_peer_wait_signal(pmark, ppath, ZVIRT_DOMAIN_IFACE, "StateChanged", "running",
						 10000));
	return ppath;
}

/* The guest's block device name of the disk at that ccw address. */
static char *guest_disk(const char *pty, const char *ccw)
{
	/* fe.0.0001 → 0.0.0001 */
	_cleanup_free_ char *busid = NULL;
	assert_true(asprintf(&busid, "0.0.%s", strrchr(ccw, '.') + 1) > 0);
	return harness_wait_guest_block(pty, busid, true);
}

static char *disk_ccw(const char *path, const char *target, bool peer)
{
	_cleanup_free_ char *disk = NULL;
	assert_true(asprintf(&disk, "%s/disk/%s", path, target) > 0);
	return peer ? harness_peer_get_string(disk, "org.zvirt1.Disk", "CcwAddress")
		    : harness_get_string(disk, "org.zvirt1.Disk", "CcwAddress");
}

static void guest_blkwrite(const char *pty, const char *name, const char *text)
{
	_cleanup_free_ char *cmd = NULL, *out = NULL;
	assert_true(asprintf(&cmd, "blkwrite %s %s", name, text) > 0);
	assert_int_equal(harness_console_command(pty, cmd, 60000, &out), 0);
	assert_non_null(strstr(out, "wrote "));
}

static void expect_read(const char *pty, const char *name, size_t n, const char *expected)
{
	_cleanup_free_ char *cmd = NULL, *out = NULL;
	assert_true(asprintf(&cmd, "blkread %s %zu", name, n) > 0);
	assert_int_equal(harness_console_command(pty, cmd, 60000, &out), 0);
	if (!strstr(out, expected))
		fail_msg("blkread %s: '%s', expected '%s'", name, out, expected);
}

/* TMP/<name> for this host's images and TMP/<name>-peer for the peer's,
 * which it sees at the same path once peer_sees_own() restarted it. */
static void image_dirs(const char *name, char **ret_images, char **ret_own)
{
	assert_true(asprintf(ret_images, "%s/%s", harness_tmpdir(), name) > 0);
	assert_true(asprintf(ret_own, "%s/%s-peer", harness_tmpdir(), name) > 0);
	harness_sh("mkdir -p '%s' '%s' && chmod 755 '%s' '%s'", *ret_images, *ret_own, *ret_images,
		   *ret_own);
}

/* own over images for the peer's daemon (NULL, NULL: the harness's view). */
static void peer_sees_own(const char *own, const char *images)
{
	assert_int_equal(harness_peer_own_dir(own, images), 0);
	assert_int_equal(harness_peer_stop_daemon(), 0);
	assert_int_equal(harness_peer_start_daemon(), 0);
}

/* The seed's disk migration: a qcow2 disk whose image the destination
 * has already (qemu-img create, of the same size) and a raw disk whose
 * image it creates, copied while the guest runs, with what the guest
 * wrote; the destination has its own disks at the same paths (its own
 * mount namespace). What cannot be copied is refused, an image of
 * another size fails the migration, and the guest runs on here. */
static void test_copy_storage(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	const char *tmp = harness_tmpdir();
	_cleanup_free_ char *images = NULL, *own = NULL, *devices = NULL;
	image_dirs("copy-images", &images, &own);
	harness_sh("qemu-img create -q -f qcow2 '%s/vdb.qcow2' 64M && "
		   "qemu-io -f qcow2 -c 'write -P 0x5a 0 4M' -c 'write -P 0xa5 40M 1M' '%s/vdb.qcow2' "
		   ">/dev/null",
		   images, images);
	harness_sh("truncate -s 16M '%s/vdc.raw' && truncate -s 1M '%s/copy-ro.raw'", images, tmp);
	/* The destination's qcow2 image, but too small at first. */
	harness_sh("qemu-img create -q -f qcow2 '%s/vdb.qcow2' 32M", own);
	peer_sees_own(own, images);

	assert_true(asprintf(&devices,
			     "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
			     "<source file='%s/vdb.qcow2'/><target dev='vdb' bus='virtio'/></disk>\n"
			     "    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
			     "<source file='%s/vdc.raw'/><target dev='vdc' bus='virtio'/></disk>\n"
			     "    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
			     "<source file='%s/copy-ro.raw'/><target dev='vdd' "
			     "bus='virtio'/><readonly/></disk>\n",
			     images, images, tmp) > 0);
	_cleanup_free_ char *xml = harness_guest_xml_devices("mig-copy", devices);
	_cleanup_free_ char *path = harness_define(xml);
	harness_boot_guest(path, "mig-copy");
	_cleanup_free_ char *pty = harness_console_pty(path);
	_cleanup_free_ char *vdc_ccw = disk_ccw(path, "vdc", false);
	_cleanup_free_ char *vdc = guest_disk(pty, vdc_ccw);
	guest_blkwrite(pty, vdc, "ZVIRT-RAW-GUEST");
	uint64_t seq = harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence");

	/* Refused before anything begins. */
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}",
			     harness_peer_bus_address(), 2, "copy-storage-all", "b", 1, "copy-storage-inc",
			     "b", 1);
	static const char *const ro[] = {"vdd", NULL}, *const unknown[] = {"vdx", NULL};
	free(migrate_copying(path, ro, 0, ZVIRT_ERROR("OperationInvalid")));
	free(migrate_copying(path, unknown, 0, ZVIRT_ERROR("InvalidArgument")));
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	assert_true(sd_bus_message_new_method_call(harness_bus(), &m, ZVIRT_BUS_NAME, path,
						   ZVIRT_DOMAIN_IFACE, "Migrate") >= 0);
	assert_true(sd_bus_message_append(m, "s", harness_peer_bus_address()) >= 0);
	assert_true(sd_bus_message_append(m, "a{sv}", 1, "migrate-disks", "as", 1, "vdb") >= 0);
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	assert_true(sd_bus_call(harness_bus(), m, 0, &e, NULL) < 0);
	assert_string_equal(e.name, ZVIRT_ERROR("InvalidArgument"));

	/* The destination's image is smaller: refused there, nothing made. */
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = migrate_copying(path, copy_disks, 0, NULL);
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "failed");
	_cleanup_free_ char *why = harness_get_string(job, JOB_IFACE, "Error");
	if (!strstr(why, "same size"))
		fail_msg("the job failed for another reason: %s", why);
	assert_stayed(path, "mig-copy", seq);
	harness_sh("test ! -e '%s/vdc.raw'", own);

	/* The right size, but 1 MiB/s: cancelled while the disks copy; the
	 * image made there goes, and nothing of the copy stays here. */
	harness_sh("rm '%s/vdb.qcow2' && qemu-img create -q -f qcow2 '%s/vdb.qcow2' 64M", own, own);
	mark = harness_signal_mark();
	free(job);
	job = migrate_copying(path, copy_disks, 1, NULL);
	bool copying = false;
	for (int i = 0; i < 300 && !copying; i++) {
		_cleanup_free_ char *phase = harness_get_string(job, JOB_IFACE, "Phase");
		copying = strcmp(phase, "copying-disks") == 0 &&
			  harness_get_u64(job, JOB_IFACE, "DataProcessed") > 0;
		if (!copying)
			usleep(20000);
	}
	assert_true(copying);
	assert_true(harness_get_u64(job, JOB_IFACE, "DataTotal") >= (64u << 20));
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "AbortJob", "a{sv}", 0));
	free(final);
	final = wait_job(job, mark);
	assert_string_equal(final, "cancelled");
	assert_stayed(path, "mig-copy", seq);
	peer_wait_gone("mig-copy");
	/* The removal runs on the destination's worker, after QEMU is gone. */
	_cleanup_free_ char *made = NULL;
	assert_true(asprintf(&made, "%s/vdc.raw", own) > 0);
	for (int i = 0; i < 100 && access(made, F_OK) == 0; i++)
		usleep(20000);
	harness_sh("test ! -e '%s/vdc.raw'", own);

	/* Copied, and the guest reads there what it wrote here. */
	_cleanup_free_ char *ppath = migrate_copied(path, "copy-storage-all", copy_disks, "mig-copy");
	_cleanup_free_ char *ppty = harness_peer_console_pty(ppath);
	_cleanup_free_ char *pvdb_ccw = disk_ccw(ppath, "vdb", true),
			    *pvdc_ccw = disk_ccw(ppath, "vdc", true);
	_cleanup_free_ char *pvdb = guest_disk(ppty, pvdb_ccw), *pvdc = guest_disk(ppty, pvdc_ccw);
	expect_read(ppty, pvdb, 8, "read ZZZZZZZZ");
	expect_read(ppty, pvdc, 15, "read ZVIRT-RAW-GUEST");
	sd_bus_message_unref(harness_peer_call(ppath, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	peer_wait_gone("mig-copy");
	/* Block for block: the guest wrote nothing after it moved. */
	harness_sh("qemu-img compare -q '%s/vdb.qcow2' '%s/vdb.qcow2' && cmp -s '%s/vdc.raw' '%s/vdc.raw'",
		   images, own, images, own);
	harness_undefine(path);
	peer_sees_own(NULL, NULL);
}

/* copy-storage-inc: a qcow2 overlay over a raw base that both hosts have
 * (the seed: the backing images must be there already). The destination
 * creates the overlay over its own base, only the overlay's clusters
 * travel, and there the guest sees what it wrote here on top of the
 * base. */
static void test_copy_storage_inc(void **state)
{
	if (!harness_peer_dir())
		restart_peer(PEER_ACCEPTS);
	_cleanup_free_ char *images = NULL, *own = NULL, *devices = NULL;
	image_dirs("inc-images", &images, &own);
	/* 8 MiB of the base's data where the overlay has none. */
	harness_sh("truncate -s 32M '%s/base.raw' && printf 'ZVIRT-BASE-DATA-AND-MORE' | "
		   "dd of='%s/base.raw' conv=notrunc 2>/dev/null && "
		   "qemu-io -f raw -c 'write -P 0x42 4M 8M' '%s/base.raw' >/dev/null && "
		   "cp '%s/base.raw' '%s/base.raw' && "
		   "qemu-img create -q -f qcow2 -b '%s/base.raw' -F raw '%s/top.qcow2'",
		   images, images, images, images, own, images, images);
	peer_sees_own(own, images);

	assert_true(asprintf(&devices,
			     "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
			     "<source file='%s/top.qcow2'/><backingStore type='file'><format type='raw'/>"
			     "<source file='%s/base.raw'/></backingStore>"
			     "<target dev='vdb' bus='virtio'/></disk>\n",
			     images, images) > 0);
	_cleanup_free_ char *xml = harness_guest_xml_devices("mig-inc", devices);
	_cleanup_free_ char *path = harness_define(xml);
	harness_boot_guest(path, "mig-inc");
	_cleanup_free_ char *pty = harness_console_pty(path);
	_cleanup_free_ char *ccw = disk_ccw(path, "vdb", false);
	_cleanup_free_ char *vdb = guest_disk(pty, ccw);
	guest_blkwrite(pty, vdb, "ZVIRT-INC");
	expect_read(pty, vdb, 24, "read ZVIRT-INCE-DATA-AND-MORE");

	static const char *const vdb_only[] = {"vdb", NULL};
	_cleanup_free_ char *ppath = migrate_copied(path, "copy-storage-inc", vdb_only, "mig-inc");
	_cleanup_free_ char *ppty = harness_peer_console_pty(ppath);
	_cleanup_free_ char *pccw = disk_ccw(ppath, "vdb", true);
	_cleanup_free_ char *pvdb = guest_disk(ppty, pccw);
	expect_read(ppty, pvdb, 24, "read ZVIRT-INCE-DATA-AND-MORE");
	sd_bus_message_unref(harness_peer_call(ppath, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	peer_wait_gone("mig-inc");
	/* The overlay made there stands on that host's base, holds what the
	 * guest wrote and not the base's 8 MiB (sync top: only the top layer
	 * travelled), and the chains read the same. */
	harness_sh("qemu-img info '%s/top.qcow2' | grep -q '^backing file: %s/base.raw'", own, images);
	_cleanup_free_ char *size = harness_sh_out("qemu-img info --output=json '%s/top.qcow2' | sed -n "
						   "'s/.*\"actual-size\": *\\([0-9]*\\).*/\\1/p'",
						   own);
	if (strtoull(size, NULL, 10) >= (4u << 20))
		fail_msg("the destination's overlay has %s bytes: more than the top layer travelled", size);
	harness_sh("qemu-img compare -q '%s/top.qcow2' '%s/top.qcow2'", images, own);
	harness_undefine(path);
	peer_sees_own(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shut_off),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_denied_peer),
		cmocka_unit_test(test_prepare),
		cmocka_unit_test(test_prepare_abandoned),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_move_suspended),
		cmocka_unit_test(test_paused_stays_paused),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_destination_dies),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_auto_converge),
		cmocka_unit_test(test_source_daemon_killed),
		cmocka_unit_test(test_source_daemon_killed_stopped),
		cmocka_unit_test(test_copy_storage),
		cmocka_unit_test(test_copy_storage_inc),
	};
	return harness_run_tests("migrate", tests, ELEMENTSOF(tests), 0);
}
