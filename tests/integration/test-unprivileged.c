/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU without root: it runs as the configured user with no capability
 * left, reaches exactly the files its definition names (given to that
 * user for the run and given back after it, across a daemon killed with
 * SIGKILL, by the last of two domains sharing one), never opens a qcow2
 * image's backing file, and is only ever a binary the configuration
 * allows. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define QEMU_USER "zvirt-qemu" /* what the harness configures */

static uid_t qemu_uid(void)
{
	struct passwd *pw = getpwnam(QEMU_USER);
	if (!pw)
		fail_msg("user %s is missing: tools/install-deps.sh creates it", QEMU_USER);
	return pw->pw_uid;
}

static gid_t qemu_gid(void)
{
	struct passwd *pw = getpwnam(QEMU_USER);
	if (!pw)
		fail_msg("user %s is missing: tools/install-deps.sh creates it", QEMU_USER);
	return pw->pw_gid;
}

static char *tmp_path(const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", harness_tmpdir(), name) > 0);
	return p;
}

/* A root-only file of size bytes (zeros, or text when given). */
static char *root_file(const char *name, off_t size, const char *text)
{
	char *p = tmp_path(name);
	harness_write_file(p, text ? text : "");
	if (size > 0)
		assert_int_equal(truncate(p, size), 0);
	assert_int_equal(chown(p, 0, 0), 0);
	assert_int_equal(chmod(p, 0600), 0);
	return p;
}

static void assert_owner(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	if (st.st_uid != uid || st.st_gid != gid)
		fail_msg("%s belongs to %u:%u, expected %u:%u", path, (unsigned)st.st_uid,
			 (unsigned)st.st_gid, (unsigned)uid, (unsigned)gid);
	/* chown never touches the permission bits we set. */
	assert_int_equal(st.st_mode & 07777, 0600);
}

/* The test guest with disks (XML fragments) in its <devices>. */
static char *guest_with(const char *name, const char *disks)
{
	_cleanup_free_ char *base = harness_guest_xml(name);
	const char *devices = strstr(base, "  <devices>\n");
	assert_non_null(devices);
	devices += strlen("  <devices>\n");
	char *xml = NULL;
	assert_true(asprintf(&xml, "%.*s%s%s", (int)(devices - base), base, disks, devices) > 0);
	return xml;
}

static char *disk_xml(const char *target, const char *format, const char *source, const char *extra)
{
	char *x = NULL;
	assert_true(asprintf(&x,
			     "    <disk type='file' device='disk'><driver name='qemu' type='%s'/>"
			     "<source file='%s'/><target dev='%s' bus='virtio'/>%s</disk>\n",
			     format, source, target, extra) > 0);
	return x;
}

/* The line of /proc/<pid>/status starting with key (malloc'd, without
 * the key), or NULL. */
static char *proc_status(pid_t pid, const char *key)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	char *found = NULL;
	while (!found && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0) {
			line[strcspn(line, "\n")] = 0;
			found = strdup(line + strlen(key) + strspn(line + strlen(key), "\t "));
		}
	fclose(f);
	return found;
}

/* Whether any of pid's open descriptors is path. */
static bool has_open(pid_t pid, const char *path)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	bool found = false;
	for (int fd = 0; fd < 4096 && !found; fd++) {
		char name[16], target[PATH_MAX];
		snprintf(name, sizeof(name), "%d", fd);
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		found = strcmp(target, path) == 0;
	}
	close(dfd);
	return found;
}

/* What open(path, flags) gives a process with QEMU's uid, gid and
 * groups: 0 or the errno. */
static int errno_as_qemu_user(const char *path, int flags)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		gid_t groups[64];
		int n = 64;
		if (getgrouplist(QEMU_USER, qemu_gid(), groups, &n) < 0 ||
		    setgroups((size_t)n, groups) < 0 || setresgid(qemu_gid(), qemu_gid(), qemu_gid()) < 0 ||
		    setresuid(qemu_uid(), qemu_uid(), qemu_uid()) < 0)
			_exit(255);
		int fd = open(path, flags | O_CLOEXEC);
		_exit(fd >= 0 ? 0 : errno);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 255);
	return WEXITSTATUS(status);
}

static char *status_file(const char *path)
{
	_cleanup_free_ char *uuid = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "UUID");
	char hex[33];
	size_t n = 0;
	for (const char *i = uuid; *i && n < 32; i++)
		if (*i != '-')
			hex[n++] = *i;
	hex[n] = 0;
	char *p = NULL;
	assert_true(asprintf(&p, "%s/run/domains/%s.xml", harness_tmpdir(), hex) > 0);
	return p;
}

static void destroy(const char *path)
{
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
}

/* Who QEMU is, what it may open and what it does not have open; the disk
 * it was given goes back to root when it stops. */
static void test_qemu_identity(void **state)
{
	_cleanup_free_ char *disk = root_file("id-disk.raw", 1024 * 1024, NULL);
	_cleanup_free_ char *secret = root_file("id-secret", 0, "host secret\n");
	_cleanup_free_ char *disks = disk_xml("vda", "raw", disk, "");
	_cleanup_free_ char *xml = guest_with("id-guest", disks);
	_cleanup_free_ char *path = harness_define(xml);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	pid_t pid = (pid_t)harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(pid > 0);

	char ids[64];
	snprintf(ids, sizeof(ids), "%u\t%u\t%u\t%u", (unsigned)qemu_uid(), (unsigned)qemu_uid(),
		 (unsigned)qemu_uid(), (unsigned)qemu_uid());
	_cleanup_free_ char *uid = proc_status(pid, "Uid:");
	assert_string_equal(uid, ids);
	snprintf(ids, sizeof(ids), "%u\t%u\t%u\t%u", (unsigned)qemu_gid(), (unsigned)qemu_gid(),
		 (unsigned)qemu_gid(), (unsigned)qemu_gid());
	_cleanup_free_ char *gid = proc_status(pid, "Gid:");
	assert_string_equal(gid, ids);
	/* No capability in any set that counts, no way to gain one back. */
	_cleanup_free_ char *eff = proc_status(pid, "CapEff:"), *prm = proc_status(pid, "CapPrm:"),
			    *inh = proc_status(pid, "CapInh:"), *amb = proc_status(pid, "CapAmb:"),
			    *nnp = proc_status(pid, "NoNewPrivs:"), *seccomp = proc_status(pid, "Seccomp:");
	assert_string_equal(eff, "0000000000000000");
	assert_string_equal(prm, "0000000000000000");
	assert_string_equal(inh, "0000000000000000");
	assert_string_equal(amb, "0000000000000000");
	assert_string_equal(nnp, "1");
	assert_string_equal(seccomp, "2"); /* -sandbox on */

	/* The disk is QEMU's for the run; the secret stays root's, is not
	 * open in QEMU, and QEMU's user cannot open it. */
	assert_owner(disk, qemu_uid(), qemu_gid());
	assert_owner(secret, 0, 0);
	assert_true(has_open(pid, disk));
	assert_false(has_open(pid, secret));
	assert_int_equal(errno_as_qemu_user(secret, O_RDONLY), EACCES);
	assert_int_equal(errno_as_qemu_user(disk, O_RDWR), 0);
	/* Nor anything of the daemon's. */
	_cleanup_free_ char *status = status_file(path);
	assert_int_equal(errno_as_qemu_user(status, O_RDONLY), EACCES);

	destroy(path);
	assert_owner(disk, 0, 0);
	harness_undefine(path);
}

/* The old owner is in the status file: a daemon killed with SIGKILL and
 * started again still gives the disk back when the guest is destroyed. */
static void test_owner_survives_daemon_kill(void **state)
{
	_cleanup_free_ char *disk = root_file("kill-disk.raw", 1024 * 1024, NULL);
	_cleanup_free_ char *disks = disk_xml("vda", "raw", disk, "");
	_cleanup_free_ char *xml = guest_with("kill-guest", disks);
	_cleanup_free_ char *path = harness_define(xml);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_owner(disk, qemu_uid(), qemu_gid());
	_cleanup_free_ char *status_path = status_file(path);
	_cleanup_free_ char *status = harness_read_file(status_path);
	assert_non_null(strstr(status, "<owners>"));
	assert_non_null(strstr(status, disk));

	assert_return_code(harness_kill_daemon(), 0);
	assert_owner(disk, qemu_uid(), qemu_gid()); /* the guest runs on */
	assert_int_equal(harness_start_daemon(), 0);
	harness_assert_state(path, "paused", "user");

	destroy(path);
	assert_owner(disk, 0, 0);
	harness_undefine(path);
}

/* The daemon dies (SIGKILL) right after it gave the first file to QEMU's
 * user, before QEMU exists: the next daemon gives it back, from the
 * status file written before any file changed hands. */
static void test_owner_back_after_kill_while_labelling(void **state)
{
	_cleanup_free_ char *disk = root_file("label-disk.raw", 1024 * 1024, NULL);
	_cleanup_free_ char *disk2 = root_file("label-disk2.raw", 1024 * 1024, NULL);
	_cleanup_free_ char *one = disk_xml("vda", "raw", disk, ""),
			    *two = disk_xml("vdb", "raw", disk2, "");
	_cleanup_free_ char *disks = NULL;
	assert_true(asprintf(&disks, "%s%s", one, two) > 0);
	_cleanup_free_ char *xml = guest_with("label-guest", disks);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	assert_int_equal(harness_stop_daemon(), 0);
	assert_int_equal(setenv("ZVIRTD_FAULT_KILL", "start-file-given", 1), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(unsetenv("ZVIRTD_FAULT_KILL"), 0);
	assert_true(harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start",
				      "a{sv}", 0) < 0);
	assert_return_code(harness_kill_daemon(), 0);
	/* One of them was given away when the daemon died. */
	struct stat a, b;
	assert_int_equal(stat(disk, &a), 0);
	assert_int_equal(stat(disk2, &b), 0);
	assert_true(a.st_uid == qemu_uid() || b.st_uid == qemu_uid());

	assert_int_equal(harness_start_daemon(), 0);
	harness_assert_state(path, "shut-off", "failed");
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);
	assert_owner(disk, 0, 0);
	assert_owner(disk2, 0, 0);
	harness_undefine(path);
}

/* Two running domains share one read-only image: the first to stop
 * leaves it with QEMU, the last gives it back, and a daemon restart in
 * between changes nothing about that. */
static void test_shared_image(void **state)
{
	_cleanup_free_ char *image = root_file("shared.raw", 1024 * 1024, NULL);
	_cleanup_free_ char *disks = disk_xml("vda", "raw", image, "<readonly/><shareable/>");
	_cleanup_free_ char *xml_a = guest_with("share-a", disks), *xml_b = guest_with("share-b", disks);
	_cleanup_free_ char *a = harness_define(xml_a), *b = harness_define(xml_b);

	sd_bus_message_unref(harness_call(a, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(a, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_owner(image, qemu_uid(), qemu_gid());
	sd_bus_message_unref(harness_call(b, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(b, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_owner(image, qemu_uid(), qemu_gid());

	assert_return_code(harness_kill_daemon(), 0);
	assert_int_equal(harness_start_daemon(), 0);

	destroy(a);
	assert_owner(image, qemu_uid(), qemu_gid()); /* b still reads it */
	pid_t pid_b = (pid_t)harness_get_u32(b, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(has_open(pid_b, image));
	destroy(b);
	assert_owner(image, 0, 0);
	harness_undefine(a);
	harness_undefine(b);
}

/* A qcow2 whose header names a root-only backing file: the guest boots
 * with the disk (reading zeros where the image has no data), and QEMU
 * never opened the backing file, which it could not have read anyway. */
static void test_backing_file_not_opened(void **state)
{
	_cleanup_free_ char *backing = root_file("backing.raw", 1024 * 1024, "host data, not the guest's\n");
	_cleanup_free_ char *image = tmp_path("overlay.qcow2");
	_cleanup_free_ char *cmd = NULL, *log = NULL, *qemu_log = NULL, *pty = NULL, *devices = NULL;
	assert_true(asprintf(&cmd, "qemu-img create -q -f qcow2 -b '%s' -F raw '%s' 1M", backing, image) >
		    0);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(image, 0600), 0);
	assert_int_equal(errno_as_qemu_user(backing, O_RDONLY), EACCES);

	_cleanup_free_ char *disks = disk_xml("vda", "qcow2", image, "");
	_cleanup_free_ char *xml = guest_with("backing-guest", disks);
	_cleanup_free_ char *path = harness_define(xml);
	log = harness_console_log("backing-guest");
	off_t mark = harness_file_size(log);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(
		harness_wait_console_from(log, mark, "zvirt-guest: ready", HARNESS_BOOT_TIMEOUT_MS, NULL),
		0);
	pty = harness_console_pty(path);
	assert_non_null(pty);
	/* The guest has its 1 MiB disk: 2048 sectors on vda. */
	assert_int_equal(harness_console_command(pty, "devices", 20000, &devices), 0);
	assert_non_null(strstr(devices, "vda 2048 "));

	pid_t pid = (pid_t)harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_true(has_open(pid, image));
	assert_false(has_open(pid, backing));
	assert_owner(backing, 0, 0); /* never given away: the definition does not name it */

	/* The command line in QEMU's log says why. */
	assert_true(asprintf(&qemu_log, "%s/backing-guest.log", harness_log_dir()) > 0);
	_cleanup_free_ char *text = harness_read_file(qemu_log);
	assert_non_null(strstr(text, "\"driver\":\"qcow2\""));
	assert_non_null(strstr(text, "\"backing\":null"));

	destroy(path);
	harness_undefine(path);
}

/* What cannot be given away safely is refused before QEMU runs, with
 * nothing changed: a symbolic link in the last component. */
static void test_symlink_refused(void **state)
{
	_cleanup_free_ char *target = root_file("link-target.raw", 1024 * 1024, NULL);
	_cleanup_free_ char *link = tmp_path("link.raw");
	assert_int_equal(symlink(target, link), 0);
	_cleanup_free_ char *disks = disk_xml("vda", "raw", link, "");
	_cleanup_free_ char *xml = guest_with("link-guest", disks);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	int r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}",
				  0);
	assert_true(r < 0);
	assert_string_equal(error.name, ZVIRT_ERROR("InvalidArgument"));
	if (!strstr(error.message, "symbolic link") || !strstr(error.message, link))
		fail_msg("unexpected message: %s", error.message);
	harness_assert_state(path, "shut-off", "failed");
	assert_owner(target, 0, 0);
	harness_undefine(path);
}

static char *emulator_xml(const char *emulator)
{
	char *xml = NULL;
	assert_true(asprintf(&xml,
			     "<domain type='kvm'><name>emu-guest</name><memory unit='MiB'>256</memory>"
			     "<os><type arch='s390x' machine='s390-ccw-virtio'>hvm</type></os>"
			     "<devices><emulator>%s</emulator><memballoon model='none'/></devices></domain>",
			     emulator) > 0);
	return xml;
}

/* <emulator> names only what the configuration allows: anything else is
 * refused at define (and validate), saying what is allowed. */
static void test_emulator_allowed(void **state)
{
	const char *methods[] = {"DefineXML", "ValidateXML"};
	for (size_t i = 0; i < ELEMENTSOF(methods); i++) {
		_cleanup_free_ char *xml = emulator_xml("/bin/sh");
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		int r = harness_call_full(harness_bus(), &error, NULL, ZVIRT_MANAGER_PATH,
					  ZVIRT_MANAGER_IFACE, methods[i], "sa{sv}", xml, 0);
		assert_true(r < 0);
		assert_string_equal(error.name, ZVIRT_ERROR("InvalidArgument"));
		if (!strstr(error.message, "/bin/sh") ||
		    !strstr(error.message, "/usr/bin/qemu-system-s390x"))
			fail_msg("%s: unexpected message: %s", methods[i], error.message);
	}
	assert_null(harness_lookup("emu-guest"));

	/* The configured one is fine. */
	_cleanup_free_ char *xml = emulator_xml("/usr/bin/qemu-system-s390x");
	_cleanup_free_ char *path = harness_define(xml);
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_identity),
		cmocka_unit_test(test_owner_survives_daemon_kill),
		cmocka_unit_test(test_owner_back_after_kill_while_labelling),
		cmocka_unit_test(test_shared_image),
		cmocka_unit_test(test_backing_file_not_opened),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_emulator_allowed),
	};
	return harness_main("unprivileged", tests, 0);
}
