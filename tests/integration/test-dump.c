/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CoreDump of the real s390x guest: an ELF core of the guest's memory
 * with the s390x notes (or a kdump file), written as a job, the guest
 * untouched by it unless crash or reset asks otherwise; its errors; and
 * the dump a crash writes with <on_crash>coredump-destroy / -restart.
 */

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define JOB_IFACE "org.zvirt1.Job"

static char *boot(const char *xml, const char *name)
{
	char *path = harness_define(xml);
	harness_boot_guest(path, name);
	return path;
}

static char *dump_path(const char *name)
{
	char *p;
	assert_true(asprintf(&p, "%s/%s.core", harness_tmpdir(), name) > 0);
	return p;
}

/* CoreDump; returns the job's path. */
static char *core_dump(const char *path, const char *file, const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *job;
	va_list ap;

	assert_return_code(sd_bus_message_new_method_call(harness_bus(), &m, ZVIRT_BUS_NAME, path,
							  ZVIRT_DOMAIN_IFACE, "CoreDump"),
			   0);
	assert_return_code(sd_bus_message_append(m, "s", file), 0);
	va_start(ap, types);
	assert_return_code(sd_bus_message_appendv(m, types, ap), 0);
	va_end(ap);
	if (sd_bus_call(harness_bus(), m, HARNESS_CALL_TIMEOUT_USEC, &error, &reply) < 0)
		fail_msg("CoreDump: %s: %s", error.name, error.message);
	assert_int_equal(sd_bus_message_read(reply, "o", &job), 1);
	return strdup(job);
}

static char *wait_job(const char *job, size_t mark)
{
	assert_non_null(harness_wait_signal(mark, job, JOB_IFACE, "Completed", NULL, 120000));
	return harness_get_string(job, JOB_IFACE, "State");
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* An s390x ELF core: 64-bit, big-endian, ET_CORE, EM_S390, with a
 * PT_NOTE that holds the registers (NT_PRSTATUS) and s390x notes
 * (NT_S390_PREFIX 0x305 and its kin 0x300..0x30f), and PT_LOADs that
 * cover the guest's 256 MiB. */
static void assert_s390x_core(const char *file)
{
	FILE *f = fopen(file, "re");
	assert_non_null(f);
	uint8_t eh[64];
	assert_int_equal(fread(eh, 1, sizeof(eh), f), sizeof(eh));
	assert_memory_equal(eh, "\177ELF", 4);
	assert_int_equal(eh[4], 2);          /* ELFCLASS64 */
	assert_int_equal(eh[5], 2);          /* ELFDATA2MSB */
	assert_int_equal(be16(eh + 16), 4);  /* ET_CORE */
	assert_int_equal(be16(eh + 18), 22); /* EM_S390 */
	uint64_t phoff = be64(eh + 32);
	uint16_t phentsize = be16(eh + 54), phnum = be16(eh + 56);
	assert_true(phnum >= 2);

	bool prstatus = false, s390_note = false;
	uint64_t loaded = 0;
	for (unsigned i = 0; i < phnum; i++) {
		uint8_t ph[56];
		assert_int_equal(fseeko(f, (off_t)(phoff + (uint64_t)i * phentsize), SEEK_SET), 0);
		assert_int_equal(fread(ph, 1, sizeof(ph), f), sizeof(ph));
		uint32_t type = be32(ph);
		uint64_t offset = be64(ph + 8), filesz = be64(ph + 32);
		if (type == 1) /* PT_LOAD */
			loaded += filesz;
		if (type != 4) /* PT_NOTE */
			continue;
		_cleanup_free_ uint8_t *notes = malloc(filesz);
		assert_non_null(notes);
		assert_int_equal(fseeko(f, (off_t)offset, SEEK_SET), 0);
		assert_int_equal(fread(notes, 1, filesz, f), filesz);
		for (uint64_t at = 0; at + 12 <= filesz;) {
			uint32_t namesz = be32(notes + at), descsz = be32(notes + at + 4),
				 ntype = be32(notes + at + 8);
			prstatus |= ntype == 1;
			s390_note |= ntype >= 0x300 && ntype <= 0x30f;
			at += 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
		}
	}
	fclose(f);
	assert_true(prstatus);
	assert_true(s390_note);
	assert_true(loaded >= 256ULL * 1024 * 1024);
}

static void test_dump_running_guest(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("dump-running");
	_cleanup_free_ char *path = boot(xml, "dump-running");
	_cleanup_free_ char *file = dump_path("dump-running");
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	size_t mark = harness_signal_mark();

	_cleanup_free_ char *job = core_dump(path, file, "a{sv}", 0);
	_cleanup_free_ char *type = harness_get_string(job, JOB_IFACE, "Type");
	assert_string_equal(type, "dump");
	_cleanup_free_ char *final = wait_job(job, mark);
	_cleanup_free_ char *error = harness_get_string(job, JOB_IFACE, "Error");
	if (strcmp(final, "completed") != 0)
		fail_msg("the dump ended %s: %s", final, error);
	assert_true(harness_get_u64(job, JOB_IFACE, "DataTotal") >= 256ULL * 1024 * 1024);
	assert_int_equal(harness_get_u64(job, JOB_IFACE, "DataProcessed"),
			 harness_get_u64(job, JOB_IFACE, "DataTotal"));
	assert_s390x_core(file);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* QEMU stopped and resumed the CPUs: no state change for that. */
	harness_assert_state(path, "running", "booted");
	assert_return_code(harness_flush_signals(), 0);
	assert_null(harness_signal_find(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", NULL));
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	_cleanup_free_ char *pty = harness_console_pty(path), *answer = NULL;
	assert_int_equal(harness_console_command(pty, "echo alive", 30000, &answer), 0);

	/* kdump-zlib: makedumpfile's format, flattened (QEMU writes a
	 * stream), which `makedumpfile -R` turns into the kdump file. */
	_cleanup_free_ char *kfile = NULL;
	assert_true(asprintf(&kfile, "%s.kdump", file) > 0);
	mark = harness_signal_mark();
	_cleanup_free_ char *kjob = core_dump(path, kfile, "a{sv}", 1, "format", "s", "kdump-zlib");
	_cleanup_free_ char *kfinal = wait_job(kjob, mark);
	assert_string_equal(kfinal, "completed");
	char sig[12];
	FILE *f = fopen(kfile, "re");
	assert_non_null(f);
	assert_int_equal(fread(sig, 1, 12, f), 12);
	fclose(f);
	assert_memory_equal(sig, "makedumpfile", 12);

	/* crash: dumped, then destroyed as a crash. */
	_cleanup_free_ char *cfile = NULL;
	assert_true(asprintf(&cfile, "%s.crash", file) > 0);
	mark = harness_signal_mark();
	_cleanup_free_ char *cjob = core_dump(path, cfile, "a{sv}", 1, "crash", "b", 1);
	_cleanup_free_ char *cfinal = wait_job(cjob, mark);
	assert_string_equal(cfinal, "completed");
	assert_int_equal(harness_wait_state(path, "shut-off", "crashed", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_s390x_core(cfile);
	harness_undefine(path);
	unlink(file);
	unlink(kfile);
	unlink(cfile);
}

static void test_dump_reset(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("dump-reset");
	_cleanup_free_ char *path = boot(xml, "dump-reset");
	_cleanup_free_ char *file = dump_path("dump-reset");
	_cleanup_free_ char *log = harness_console_log("dump-reset");
	off_t log_mark = harness_file_size(log);
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = core_dump(path, file, "a{sv}", 1, "reset", "b", 1);
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "completed");
	assert_int_equal(harness_wait_state(path, "running", "reset", HARNESS_STATE_TIMEOUT_MS), 0);
	/* The guest boots again after the reset. */
	assert_int_equal(harness_wait_console_from(log, log_mark, "zvirt-guest: ready boot_id=",
						   HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_undefine(path);
	unlink(file);
}

static void test_dump_errors(void **state)
{
	_cleanup_free_ char *idle_xml = harness_minimal_xml("dump-idle", NULL);
	_cleanup_free_ char *idle = harness_define(idle_xml);
	_cleanup_free_ char *file = dump_path("dump-errors");
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), idle, ZVIRT_DOMAIN_IFACE, "CoreDump", "sa{sv}",
			     file, 0);
	harness_undefine(idle);

	_cleanup_free_ char *xml = harness_guest_xml("dump-errors");
	_cleanup_free_ char *path = harness_define(xml);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "CoreDump", "sa{sv}",
			     "relative.core", 0);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "CoreDump", "sa{sv}",
			     file, 1, "format", "s", "win-dmp");
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "CoreDump", "sa{sv}",
			     file, 1, "live", "b", 1);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "CoreDump", "sa{sv}",
			     file, 1, "memory-only", "b", 0);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "CoreDump", "sa{sv}",
			     file, 2, "crash", "b", 1, "reset", "b", 1);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "CoreDump", "sa{sv}",
			     file, 1, "no-such-option", "b", 1);
	harness_nobody_expect_error(ZVIRT_ERROR("NotAuthorized"), path, ZVIRT_DOMAIN_IFACE, "CoreDump",
				    "sa{sv}", file, 0);
	/* An existing file is never replaced (the daemon is root). */
	harness_write_file(file, "precious");
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "CoreDump", "sa{sv}",
			     file, 0);
	_cleanup_free_ char *kept = harness_read_file(file);
	assert_string_equal(kept, "precious");
	assert_int_equal(unlink(file), 0);
	/* Nor a symbolic link followed. */
	assert_int_equal(symlink("/etc/zvirt-dump-target", file), 0);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "CoreDump", "sa{sv}",
			     file, 0);
	assert_int_equal(access("/etc/zvirt-dump-target", F_OK), -1);
	assert_int_equal(unlink(file), 0);

	/* Held by SIGSTOP, a dump is in flight: a second one is Busy, and it
	 * cannot be cancelled. */
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_int_equal(kill((pid_t)pid, SIGSTOP), 0);
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *job = core_dump(path, file, "a{sv}", 0);
	_cleanup_free_ char *other = NULL;
	assert_true(asprintf(&other, "%s.2", file) > 0);
	harness_expect_error(ZVIRT_ERROR("Busy"), path, ZVIRT_DOMAIN_IFACE, "CoreDump", "sa{sv}", other, 0);
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), job, JOB_IFACE, "Cancel", "a{sv}", 0);
	assert_int_equal(kill((pid_t)pid, SIGCONT), 0);
	_cleanup_free_ char *final = wait_job(job, mark);
	assert_string_equal(final, "completed");
	harness_assert_state(path, "paused", "user");
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_undefine(path);
	unlink(file);
}

/* The dump files a crash left in StateDir/dump for domain name. */
static unsigned crash_dumps(const char *name, char **ret_one)
{
	_cleanup_free_ char *dir = NULL;
	assert_true(asprintf(&dir, "%s/state/dump", harness_tmpdir()) > 0);
	DIR *d = opendir(dir);
	unsigned n = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, name, strlen(name)) != 0 || de->d_name[strlen(name)] != '-')
			continue;
		n++;
		if (ret_one && !*ret_one)
			assert_true(asprintf(ret_one, "%s/%s", dir, de->d_name) > 0);
	}
	if (d)
		closedir(d);
	return n;
}

/* <on_crash>coredump-destroy: crashed/panicked, the dump, shut-off/crashed. */
static void test_crash_dump_destroy(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml_on_crash("dump-crash", "coredump-destroy");
	_cleanup_free_ char *path = boot(xml, "dump-crash");
	size_t mark = harness_signal_mark();
	harness_panic_guest(path);
	assert_int_equal(harness_wait_state(path, "crashed", "panicked", HARNESS_BOOT_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_state(path, "shut-off", "crashed", 120000), 0);
	const HarnessSignal *crashed = harness_signal_find(mark, path, ZVIRT_DOMAIN_IFACE, "Crashed", NULL);
	assert_non_null(crashed);
	assert_non_null(harness_signal_find(mark, NULL, JOB_IFACE, "Completed", NULL));
	_cleanup_free_ char *file = NULL;
	assert_int_equal(crash_dumps("dump-crash", &file), 1);
	assert_s390x_core(file);
	harness_undefine(path);
	unlink(file);
}

/* <on_crash>coredump-restart: the dump, then a new boot. */
static void test_crash_dump_restart(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml_on_crash("dump-restart", "coredump-restart");
	_cleanup_free_ char *path = boot(xml, "dump-restart");
	_cleanup_free_ char *log = harness_console_log("dump-restart");
	harness_panic_guest(path);
	off_t log_mark = harness_file_size(log);
	assert_int_equal(harness_wait_state(path, "crashed", "panicked", HARNESS_BOOT_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_state(path, "running", "booted", 120000), 0);
	assert_int_equal(harness_wait_console_from(log, log_mark, "zvirt-guest: ready boot_id=",
						   HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	_cleanup_free_ char *file = NULL;
	assert_int_equal(crash_dumps("dump-restart", &file), 1);
	assert_s390x_core(file);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_undefine(path);
	unlink(file);
}

/* The daemon dies (SIGKILL) during a dump: QEMU finishes it on its own
 * and the guest runs on; the next daemon has no job for it. */
static void test_daemon_killed_during_dump(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("dump-killed");
	_cleanup_free_ char *path = boot(xml, "dump-killed");
	_cleanup_free_ char *file = dump_path("dump-killed");
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_int_equal(kill((pid_t)pid, SIGSTOP), 0);
	_cleanup_free_ char *job = core_dump(path, file, "a{sv}", 0);
	assert_return_code(harness_kill_daemon(), 0);
	assert_int_equal(kill((pid_t)pid, SIGCONT), 0);
	assert_int_equal(harness_start_daemon(), 0);
	harness_assert_state(path, "running", "booted");
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	_cleanup_free_ char *pty = harness_console_pty(path), *answer = NULL;
	assert_int_equal(harness_console_command(pty, "echo alive", 60000, &answer), 0);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_undefine(path);
	unlink(file);
}

/* EnableDump=yes (xend's enable-dump): a plain on_crash destroy dumps
 * too, into DumpDir. Last: it changes the configuration. */
static void test_enable_dump(void **state)
{
	_cleanup_free_ char *conf = NULL, *text = NULL, *more = NULL, *dir = NULL, *cmd = NULL;
	assert_true(asprintf(&conf, "%s/zvirtd.conf", harness_tmpdir()) > 0);
	assert_true(asprintf(&dir, "%s/crash-dumps", harness_tmpdir()) > 0);
	text = harness_read_file(conf);
	assert_true(asprintf(&more, "%s\n[Hypervisor]\nEnableDump=yes\nDumpDir=%s\n", text, dir) > 0);
	harness_write_file(conf, more);
	sd_bus_message_unref(
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));

	_cleanup_free_ char *xml = harness_guest_xml("dump-enabled");
	_cleanup_free_ char *path = boot(xml, "dump-enabled");
	harness_panic_guest(path);
	assert_int_equal(harness_wait_state(path, "crashed", "panicked", HARNESS_BOOT_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_state(path, "shut-off", "crashed", 120000), 0);
	assert_true(asprintf(&cmd, "ls %s/dump-enabled-*.core >/dev/null 2>&1", dir) > 0);
	assert_int_equal(system(cmd), 0);
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_running_guest), cmocka_unit_test(test_dump_reset),
		cmocka_unit_test(test_dump_errors),        cmocka_unit_test(test_crash_dump_destroy),
		cmocka_unit_test(test_crash_dump_restart), cmocka_unit_test(test_daemon_killed_during_dump),
		cmocka_unit_test(test_enable_dump),
	};
	return harness_main("dump", tests, 0);
}
