/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ManagedSave of the real test guest: the job and its signals, the image
 * on disk (header, then QEMU's stream), shut-off/saved without a pause on
 * the way, HasManagedSave, the managed-save filter, Undefine's refusal,
 * ManagedSaveRemove; and the failures that must change nothing: a full
 * disk, a Cancel, a Destroy and a daemon killed in the middle.
 */

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define JOB_IFACE "org.zvirt1.Job"

/* "... boot_id=<id> ..." → "<id>" */
static char *boot_id_of(const char *line)
{
	const char *p = line ? strstr(line, "boot_id=") : NULL;
	if (!p)
		return NULL;
	p += strlen("boot_id=");
	size_t n = strcspn(p, " \t\r\n");
	return n > 0 ? strndup(p, n) : NULL;
}

typedef struct Guest {
	char *name, *path, *uuid_hex, *log, *boot_id;
	uint32_t pid;
} Guest;

static void guest_boot(Guest *g, const char *name)
{
	_cleanup_free_ char *xml = harness_guest_xml(name);
	_cleanup_free_ char *ready = NULL;
	*g = (Guest){.name = strdup(name), .log = harness_console_log(name)};
	g->path = harness_define(xml);
	g->uuid_hex = strdup(strrchr(g->path, '/') + 1);
	off_t mark = harness_file_size(g->log);
	sd_bus_message_unref(harness_call(g->path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(harness_wait_state(g->path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console_from(g->log, mark, "zvirt-guest: ready boot_id=",
						   HARNESS_BOOT_TIMEOUT_MS, &ready),
			 0);
	g->boot_id = boot_id_of(ready);
	assert_non_null(g->boot_id);
	g->pid = harness_get_u32(g->path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	/* The live definition's figures, as the properties show them while
	 * it runs (an absent current= means all of them). */
	assert_int_equal(harness_get_u32(g->path, ZVIRT_DOMAIN_IFACE, "VCPUs"), 1);
	assert_int_equal(harness_get_u64(g->path, ZVIRT_DOMAIN_IFACE, "Memory"), 262144ULL * 1024);
}

static void guest_done(Guest *g)
{
	if (harness_get_u32(g->path, ZVIRT_DOMAIN_IFACE, "QemuPid") != 0) {
		sd_bus_message_unref(harness_call(g->path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
		assert_int_equal(
			harness_wait_state(g->path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	}
	if (harness_get_bool(g->path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"))
		sd_bus_message_unref(
			harness_call(g->path, ZVIRT_DOMAIN_IFACE, "ManagedSaveRemove", "a{sv}", 0));
	harness_undefine(g->path);
	free(g->name);
	free(g->path);
	free(g->uuid_hex);
	free(g->log);
	free(g->boot_id);
}

/* The guest still runs in the same QEMU and answers with its boot id. */
static void assert_guest_undisturbed(const Guest *g)
{
	_cleanup_free_ char *pty = harness_console_pty(g->path), *answer = NULL, *id = NULL;
	harness_assert_state(g->path, "running", "booted");
	assert_int_equal(harness_get_u32(g->path, ZVIRT_DOMAIN_IFACE, "QemuPid"), g->pid);
	assert_non_null(pty);
	assert_int_equal(harness_console_command(pty, "bootid", 30000, &answer), 0);
	id = boot_id_of(answer);
	if (!id || strcmp(id, g->boot_id) != 0)
		fail_msg("boot id %s, before the save %s", id ?: "(none)", g->boot_id);
}

static char *save_dir(void)
{
	char *p;
	assert_true(asprintf(&p, "%s/state/save", harness_tmpdir()) > 0);
	return p;
}

static char *image_path(const Guest *g)
{
	char *p;
	assert_true(asprintf(&p, "%s/state/save/%s.save", harness_tmpdir(), g->uuid_hex) > 0);
	return p;
}

/* Files in the save directory (images and temporary ones). */
static unsigned count_save_files(void)
{
	_cleanup_free_ char *dir = save_dir();
	_cleanup_free_ char *cmd = NULL;
	assert_true(asprintf(&cmd, "ls -A '%s' 2>/dev/null | wc -l", dir) > 0);
	FILE *f = popen(cmd, "r");
	unsigned n = 0;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%u", &n), 1);
	pclose(f);
	return n;
}

/* An "o" property (harness_get_string reads "s" only). */
static char *get_path(const char *path, const char *iface, const char *property)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *v;
	if (sd_bus_get_property(harness_bus(), ZVIRT_BUS_NAME, path, iface, property, &error, &reply, "o") <
		    0 ||
	    sd_bus_message_read(reply, "o", &v) < 0)
		fail_msg("Get %s.%s on %s: %s", iface, property, path, error.message ?: "bad reply");
	return strdup(v);
}

/* ManagedSave, returns the job's path. */
static char *managed_save(const char *path, const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *job;
	va_list ap;
	va_start(ap, types);
	int r = harness_call_fullv(harness_bus(), &error, &reply, path, ZVIRT_DOMAIN_IFACE, "ManagedSave",
				   types, ap);
	va_end(ap);
	if (r < 0)
		fail_msg("ManagedSave: %s: %s", error.name, error.message);
	assert_int_equal(sd_bus_message_read(reply, "o", &job), 1);
	assert_string_not_equal(job, "/");
	return strdup(job);
}

/* Waits for the job's Completed signal (or finds it ended) and returns
 * its final State. */
static char *wait_job(const char *job, size_t mark)
{
	const HarnessSignal *s = harness_wait_signal(mark, job, JOB_IFACE, "Completed", NULL, 60000);
	assert_non_null(s);
	return harness_get_string(job, JOB_IFACE, "State");
}

static void test_save_running_guest(void **state)
{
	Guest g;
	guest_boot(&g, "save-running");
	_cleanup_free_ char *image = image_path(&g);
	size_t mark = harness_signal_mark();

	_cleanup_free_ char *job = managed_save(g.path, "a{sv}", 0);
	_cleanup_free_ char *job_type = harness_get_string(job, JOB_IFACE, "Type");
	_cleanup_free_ char *job_domain = get_path(job, JOB_IFACE, "Domain");
	assert_string_equal(job_type, "managed-save");
	assert_string_equal(job_domain, g.path);
	_cleanup_free_ char *final = wait_job(job, mark);
	_cleanup_free_ char *error = harness_get_string(job, JOB_IFACE, "Error");
	if (strcmp(final, "completed") != 0)
		fail_msg("the save ended %s: %s", final, error);
	assert_string_equal(error, "");
	assert_int_equal(harness_wait_state(g.path, "shut-off", "saved", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_true(harness_get_u64(job, JOB_IFACE, "DataTotal") > 0);

	/* Straight from running to shut-off/saved: no pause in between. */
	assert_return_code(harness_flush_signals(), 0);
	for (size_t i = mark; i < harness_signal_count(); i++) {
		const HarnessSignal *s = harness_signal_get(i);
		if (strcmp(s->path, g.path) == 0 && strcmp(s->member, "StateChanged") == 0 &&
		    strcmp(s->state, "shut-off") != 0)
			fail_msg("the save passed through %s/%s", s->state, s->reason);
	}
	/* The job was announced through the ObjectManager. */
	assert_non_null(harness_signal_find(mark, NULL, NULL, "InterfacesAdded", job));

	assert_true(harness_get_bool(g.path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));
	assert_int_equal(harness_get_u32(g.path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);
	_cleanup_free_ char *job_now = get_path(g.path, ZVIRT_DOMAIN_IFACE, "Job");
	assert_string_equal(job_now, "/");
	assert_int_equal(harness_wait_pid_gone((pid_t)g.pid, 10000), 0);

	/* The image: our header with the live XML, then QEMU's stream. */
	struct stat st;
	assert_int_equal(stat(image, &st), 0);
	assert_true(st.st_size > 4096 + 1024 * 1024);
	assert_int_equal(st.st_mode & 0777, 0600);
	_cleanup_free_ char *head = calloc(1, 8192);
	FILE *f = fopen(image, "re");
	assert_non_null(f);
	assert_int_equal(fread(head, 1, 8191, f), 8191);
	fclose(f);
	assert_memory_equal(head, "ZVIRTD-SAVE", 11);
	assert_non_null(memmem(head, 8191, "<name>save-running</name>", 25));
	assert_non_null(memmem(head, 8191, "alias name=", 11));
	assert_memory_equal(head + 4096, "QEVM", 4); /* QEMU's migration stream magic */

	/* The filter, and Undefine's refusal. */
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 1,
				     "managed-save", "b", 1);
		const char *p;
		bool found = false;
		assert_int_equal(sd_bus_message_enter_container(reply, 'a', "o"), 1);
		while (sd_bus_message_read(reply, "o", &p) > 0)
			found |= strcmp(p, g.path) == 0;
		assert_true(found);
	}
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), g.path, ZVIRT_DOMAIN_IFACE, "Undefine",
			     "a{sv}", 0);
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), g.path, ZVIRT_DOMAIN_IFACE, "ManagedSave",
			     "a{sv}", 0);
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), g.path, ZVIRT_DOMAIN_IFACE, "Rename", "sa{sv}",
			     "save-renamed", 0);

	/* A daemon restart keeps the image and the state. */
	assert_int_equal(harness_restart_daemon(), 0);
	harness_assert_state(g.path, "shut-off", "saved");
	assert_true(harness_get_bool(g.path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));

	/* ManagedSaveRemove: the image goes, the domain is plain shut-off. */
	sd_bus_message_unref(harness_call(g.path, ZVIRT_DOMAIN_IFACE, "ManagedSaveRemove", "a{sv}", 0));
	assert_int_equal(harness_wait_state(g.path, "shut-off", "unknown", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_false(harness_get_bool(g.path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));
	assert_int_equal(access(image, F_OK), -1);
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), g.path, ZVIRT_DOMAIN_IFACE,
			     "ManagedSaveRemove", "a{sv}", 0);
	guest_done(&g);
}

static void test_save_errors(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("save-idle", NULL);
	_cleanup_free_ char *idle = harness_define(xml);
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), idle, ZVIRT_DOMAIN_IFACE, "ManagedSave",
			     "a{sv}", 0);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), idle, ZVIRT_DOMAIN_IFACE, "ManagedSave",
			     "a{sv}", 1, "no-such-option", "b", 1);
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), idle, ZVIRT_DOMAIN_IFACE, "ManagedSaveRemove",
			     "a{sv}", 0);
	harness_undefine(idle);

	Guest g;
	guest_boot(&g, "save-errors");
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), g.path, ZVIRT_DOMAIN_IFACE, "ManagedSave",
			     "a{sv}", 2, "running", "b", 1, "paused", "b", 1);
	harness_nobody_expect_error(ZVIRT_ERROR("NotAuthorized"), g.path, ZVIRT_DOMAIN_IFACE, "ManagedSave",
				    "a{sv}", 0);

	/* Held by SIGSTOP, the save is in flight: a second call and other
	 * state changes are Busy; reads are not held up. */
	assert_int_equal(kill((pid_t)g.pid, SIGSTOP), 0);
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = managed_save(g.path, "a{sv}", 0);
	harness_expect_error(ZVIRT_ERROR("Busy"), g.path, ZVIRT_DOMAIN_IFACE, "ManagedSave", "a{sv}", 0);
	harness_expect_error(ZVIRT_ERROR("Busy"), g.path, ZVIRT_DOMAIN_IFACE, "Suspend", "a{sv}", 0);
	_cleanup_free_ char *job_now = get_path(g.path, ZVIRT_DOMAIN_IFACE, "Job");
	assert_string_equal(job_now, job);
	_cleanup_free_ char *job_state = harness_get_string(job, JOB_IFACE, "State");
	assert_string_equal(job_state, "running");
	harness_nobody_expect_error(ZVIRT_ERROR("NotAuthorized"), job, JOB_IFACE, "Cancel", "a{sv}", 0);

	/* Cancel: the guest goes on as before, nothing is left on disk. */
	sd_bus_message_unref(harness_call(job, JOB_IFACE, "Cancel", "a{sv}", 0));
	assert_int_equal(kill((pid_t)g.pid, SIGCONT), 0);
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "cancelled");
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), job, JOB_IFACE, "Cancel", "a{sv}", 0);
	assert_guest_undisturbed(&g);
	assert_false(harness_get_bool(g.path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));
	assert_int_equal(count_save_files(), 0);
	guest_done(&g);
}

/* StateDir/save on a tmpfs far smaller than the guest's memory: QEMU's
 * write fails, the call's job says so, the guest runs on. */
static void test_save_disk_full(void **state)
{
	Guest g;
	guest_boot(&g, "save-full");
	_cleanup_free_ char *dir = save_dir();
	(void)mkdir(dir, 0700);
	if (mount("tmpfs", dir, "tmpfs", 0, "size=4m,mode=0700") < 0)
		fail_msg("cannot mount a tmpfs on %s: %m", dir);

	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = managed_save(g.path, "a{sv}", 0);
	_cleanup_free_ char *final = wait_job(job, mark);
	_cleanup_free_ char *error = harness_get_string(job, JOB_IFACE, "Error");
	assert_string_equal(final, "failed");
	assert_true(strlen(error) > 0);
	print_message("the full disk: %s\n", error);
	assert_guest_undisturbed(&g);
	assert_int_equal(count_save_files(), 0);
	assert_int_equal(umount(dir), 0);
	guest_done(&g);
}

/* The directory's fsync fails after QEMU wrote everything: nothing is
 * saved, the guest runs on. */
static void test_save_sync_fails(void **state)
{
	assert_int_equal(harness_stop_daemon(), 0);
	assert_int_equal(setenv("ZVIRTD_FAULT_FAIL", "save-sync", 1), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(unsetenv("ZVIRTD_FAULT_FAIL"), 0);
	Guest g;
	guest_boot(&g, "save-sync");
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = managed_save(g.path, "a{sv}", 0);
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "failed");
	assert_guest_undisturbed(&g);
	assert_int_equal(count_save_files(), 0);
	guest_done(&g);
	assert_int_equal(harness_restart_daemon(), 0);
}

/* Destroy during the save: destroyed, no image. */
static void test_destroy_during_save(void **state)
{
	Guest g;
	guest_boot(&g, "save-destroy");
	assert_int_equal(kill((pid_t)g.pid, SIGSTOP), 0);
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = managed_save(g.path, "a{sv}", 0);
	sd_bus_message_unref(harness_call(g.path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "failed");
	harness_assert_state(g.path, "shut-off", "destroyed");
	assert_false(harness_get_bool(g.path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));
	assert_int_equal(count_save_files(), 0);
	guest_done(&g);
}

/* The daemon dies (SIGKILL) in the middle of a save: the next one
 * cancels QEMU's stream and the guest runs on, with no image. */
static void test_daemon_killed_during_save(void **state)
{
	Guest g;
	guest_boot(&g, "save-killed");
	assert_int_equal(kill((pid_t)g.pid, SIGSTOP), 0);
	_cleanup_free_ char *job = managed_save(g.path, "a{sv}", 0);
	assert_return_code(harness_kill_daemon(), 0);
	assert_int_equal(kill((pid_t)g.pid, SIGCONT), 0);
	assert_int_equal(harness_start_daemon(), 0);
	/* The new daemon knows no job; the guest is as it was (its CPUs run
	 * again once the new daemon reached QEMU's monitor). */
	_cleanup_free_ char *job_now = get_path(g.path, ZVIRT_DOMAIN_IFACE, "Job");
	assert_string_equal(job_now, "/");
	assert_guest_undisturbed(&g);
	assert_false(harness_get_bool(g.path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));
	assert_int_equal(count_save_files(), 0);
	guest_done(&g);
}

/* Saves g (extra options as ManagedSave's) and waits for shut-off/saved. */
static void save_and_wait(Guest *g, const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *job;
	size_t mark = harness_signal_mark();
	va_list ap;
	va_start(ap, types);
	int r = harness_call_fullv(harness_bus(), &error, &reply, g->path, ZVIRT_DOMAIN_IFACE, "ManagedSave",
				   types, ap);
	va_end(ap);
	if (r < 0)
		fail_msg("ManagedSave: %s: %s", error.name, error.message);
	assert_int_equal(sd_bus_message_read(reply, "o", &job), 1);
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "completed");
	assert_int_equal(harness_wait_state(g->path, "shut-off", "saved", HARNESS_STATE_TIMEOUT_MS), 0);
}

/* The StateChanged signals of path since mark, as "state/reason ...". */
static char *states_since(const char *path, size_t mark)
{
	char buf[1024] = "";
	assert_return_code(harness_flush_signals(), 0);
	for (size_t i = mark; i < harness_signal_count(); i++) {
		const HarnessSignal *s = harness_signal_get(i);
		if (strcmp(s->path, path) != 0 || strcmp(s->member, "StateChanged") != 0)
			continue;
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s/%s", *buf ? " " : "", s->state,
			 s->reason);
	}
	return strdup(buf);
}

/* The highest "count <n>" the guest printed so far. */
static unsigned max_count(const Guest *g)
{
	unsigned max = 0, n;
	_cleanup_free_ char *cmd = NULL;
	assert_true(asprintf(&cmd, "grep -ao 'count [0-9]*' '%s' 2>/dev/null | cut -d' ' -f2", g->log) > 0);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	while (fscanf(f, "%u", &n) == 1)
		max = n > max ? n : max;
	pclose(f);
	return max;
}

static void wait_image_gone(const Guest *g)
{
	_cleanup_free_ char *image = image_path(g);
	for (int i = 0; i < 200 && access(image, F_OK) == 0; i++)
		usleep(50 * 1000);
	assert_int_equal(access(image, F_OK), -1);
}

/* Saved while running, restored: the same boot, its counter goes on. */
static void test_restore_running(void **state)
{
	Guest g;
	guest_boot(&g, "restore-running");
	_cleanup_free_ char *pty = harness_console_pty(g.path), *line = NULL, *after = NULL, *out = NULL;
	assert_non_null(pty);
	assert_int_equal(harness_console_command(pty, "count start", 30000, &out), 0);
	assert_int_equal(harness_wait_console_from(g.log, 0, "count 3", 30000, &line), 0);
	save_and_wait(&g, "a{sv}", 0);
	unsigned counted = max_count(&g);
	off_t log_mark = harness_file_size(g.log); /* the guest's <log> is appended to */

	size_t mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(g.path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	harness_assert_state(g.path, "running", "restored");
	_cleanup_free_ char *seen = states_since(g.path, mark);
	assert_string_equal(seen, "running/restored");
	/* The restore was a job of its own. */
	assert_non_null(harness_signal_find(mark, NULL, JOB_IFACE, "Completed", NULL));
	assert_false(harness_get_bool(g.path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));
	wait_image_gone(&g);

	/* The guest did not boot again: its counter goes on from where it
	 * was (a new boot would not count at all). */
	assert_int_equal(harness_wait_console_from(g.log, log_mark, "count ", 60000, &after), 0);
	unsigned n = 0;
	assert_int_equal(sscanf(strstr(after, "count "), "count %u", &n), 1);
	if (n <= counted)
		fail_msg("the counter was at %u before the save, %u after the restore", counted, n);
	g.pid = harness_get_u32(g.path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	_cleanup_free_ char *pty2 = harness_console_pty(g.path), *answer = NULL, *id = NULL;
	assert_int_equal(harness_console_command(pty2, "bootid", 30000, &answer), 0);
	id = boot_id_of(answer);
	if (!id || strcmp(id, g.boot_id) != 0)
		fail_msg("boot id %s after the restore, %s before", id ?: "(none)", g.boot_id);
	guest_done(&g);
}

/* Saved with `paused` (or while paused): Start gives paused/migrating,
 * Resume the same boot; Start `paused` of a running image the same. */
static void test_restore_paused(void **state)
{
	Guest g;
	guest_boot(&g, "restore-paused");
	save_and_wait(&g, "a{sv}", 1, "paused", "b", 1);
	sd_bus_message_unref(harness_call(g.path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	harness_assert_state(g.path, "paused", "migrating");
	sd_bus_message_unref(harness_call(g.path, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}", 0));
	assert_int_equal(harness_wait_state(g.path, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);

	save_and_wait(&g, "a{sv}", 0);
	sd_bus_message_unref(
		harness_call(g.path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	harness_assert_state(g.path, "paused", "migrating");
	sd_bus_message_unref(harness_call(g.path, ZVIRT_DOMAIN_IFACE, "Resume", "a{sv}", 0));
	assert_int_equal(harness_wait_state(g.path, "running", "unpaused", HARNESS_STATE_TIMEOUT_MS), 0);
	g.pid = harness_get_u32(g.path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	_cleanup_free_ char *pty = harness_console_pty(g.path), *answer = NULL, *id = NULL;
	assert_int_equal(harness_console_command(pty, "bootid", 30000, &answer), 0);
	id = boot_id_of(answer);
	assert_non_null(id);
	assert_string_equal(id, g.boot_id);
	guest_done(&g);
}

/* force-boot discards the image: a new boot. */
static void test_restore_force_boot(void **state)
{
	Guest g;
	guest_boot(&g, "restore-force");
	save_and_wait(&g, "a{sv}", 0);
	_cleanup_free_ char *ready = NULL, *id = NULL;
	off_t log_mark = harness_file_size(g.log);
	sd_bus_message_unref(
		harness_call(g.path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "force-boot", "b", 1));
	harness_assert_state(g.path, "running", "booted");
	assert_false(harness_get_bool(g.path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));
	wait_image_gone(&g);
	assert_int_equal(harness_wait_console_from(g.log, log_mark, "zvirt-guest: ready boot_id=",
						   HARNESS_BOOT_TIMEOUT_MS, &ready),
			 0);
	id = boot_id_of(ready);
	assert_non_null(id);
	assert_string_not_equal(id, g.boot_id);
	guest_done(&g);
}

/* A damaged, foreign or cut image: Start fails clearly, the image stays,
 * the domain stays shut-off/saved. */
static void test_restore_bad_images(void **state)
{
	Guest g;
	guest_boot(&g, "restore-bad");
	save_and_wait(&g, "a{sv}", 0);
	_cleanup_free_ char *image = image_path(&g), *copy = NULL;
	assert_true(asprintf(&copy, "%s.good", image) > 0);
	_cleanup_free_ char *cmd = NULL;
	assert_true(asprintf(&cmd, "cp '%s' '%s'", image, copy) > 0);
	assert_int_equal(system(cmd), 0);

	/* Cut in the middle of QEMU's stream. */
	struct stat st;
	assert_int_equal(stat(image, &st), 0);
	assert_int_equal(truncate(image, st.st_size / 2), 0);
	size_t mark = harness_signal_mark();
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	assert_true(harness_call_full(harness_bus(), &error, NULL, g.path, ZVIRT_DOMAIN_IFACE, "Start",
				      "a{sv}", 0) < 0);
	print_message("a cut image: %s: %s\n", error.name, error.message);
	harness_assert_state(g.path, "shut-off", "saved");
	assert_true(harness_get_bool(g.path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));
	assert_int_equal(access(image, F_OK), 0);
	_cleanup_free_ char *seen = states_since(g.path, mark);
	assert_string_equal(seen, "");
	assert_int_equal(harness_get_u32(g.path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);

	/* Not ours at all. */
	harness_write_file(image, "this is not a save image, it is a text file that is long enough\n");
	sd_bus_error_free(&error);
	assert_true(harness_call_full(harness_bus(), &error, NULL, g.path, ZVIRT_DOMAIN_IFACE, "Start",
				      "a{sv}", 0) < 0);
	assert_string_equal(error.name, ZVIRT_ERROR("OperationInvalid"));
	assert_non_null(strstr(error.message, "not a zvirtd save image"));
	harness_assert_state(g.path, "shut-off", "saved");

	/* Another domain's image. */
	_cleanup_free_ char *other_xml = harness_guest_xml("restore-other");
	_cleanup_free_ char *other = harness_define(other_xml);
	_cleanup_free_ char *other_image = NULL, *mv = NULL;
	assert_true(asprintf(&other_image, "%s/state/save/%s.save", harness_tmpdir(),
			     strrchr(other, '/') + 1) > 0);
	assert_true(asprintf(&mv, "cp '%s' '%s'", copy, other_image) > 0);
	assert_int_equal(system(mv), 0);
	assert_int_equal(harness_restart_daemon(), 0); /* it finds the image at load */
	harness_assert_state(other, "shut-off", "saved");
	sd_bus_error_free(&error);
	assert_true(harness_call_full(harness_bus(), &error, NULL, other, ZVIRT_DOMAIN_IFACE, "Start",
				      "a{sv}", 0) < 0);
	assert_non_null(strstr(error.message, "belongs to another domain"));
	sd_bus_message_unref(harness_call(other, ZVIRT_DOMAIN_IFACE, "ManagedSaveRemove", "a{sv}", 0));
	harness_undefine(other);

	/* The good image still restores. */
	assert_int_equal(rename(copy, image), 0);
	sd_bus_message_unref(harness_call(g.path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	harness_assert_state(g.path, "running", "restored");
	guest_done(&g);
}

/* The daemon dies during a restore (at QEMU's QMP handshake): the next
 * one stops that QEMU and the domain is saved, with its image, again. */
static void test_daemon_killed_during_restore(void **state)
{
	Guest g;
	guest_boot(&g, "restore-killed");
	save_and_wait(&g, "a{sv}", 0);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	assert_int_equal(harness_stop_daemon(), 0);
	assert_int_equal(setenv("ZVIRTD_FAULT_KILL", "start-handshake", 1), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(unsetenv("ZVIRTD_FAULT_KILL"), 0);
	assert_true(harness_call_full(harness_bus(), &error, NULL, g.path, ZVIRT_DOMAIN_IFACE, "Start",
				      "a{sv}", 0) < 0);
	assert_return_code(harness_kill_daemon(), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(harness_wait_state(g.path, "shut-off", "saved", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_true(harness_get_bool(g.path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));
	for (int i = 0; i < 100 && harness_get_u32(g.path, ZVIRT_DOMAIN_IFACE, "QemuPid") != 0; i++)
		usleep(50 * 1000);
	assert_int_equal(harness_get_u32(g.path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);

	sd_bus_message_unref(harness_call(g.path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	harness_assert_state(g.path, "running", "restored");
	guest_done(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_running_guest),
		cmocka_unit_test(test_save_errors),
		cmocka_unit_test(test_save_disk_full),
		cmocka_unit_test(test_save_sync_fails),
		cmocka_unit_test(test_destroy_during_save),
		cmocka_unit_test(test_daemon_killed_during_save),
		cmocka_unit_test(test_restore_running),
		cmocka_unit_test(test_restore_paused),
		cmocka_unit_test(test_restore_force_boot),
		cmocka_unit_test(test_restore_bad_images),
		cmocka_unit_test(test_daemon_killed_during_restore),
	};
	return harness_main("save", tests, 0);
}
