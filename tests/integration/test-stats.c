/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain.GetStats on a real s390x guest with a disk and a balloon: the
 * configured values of a shut-off domain; the state, CPU time per vCPU,
 * the balloon and the disk's counters of a running one (the guest's
 * kernel reads the disk's partition table at boot). Disk.GetStats of a
 * raw and a qcow2 disk: counters that grow as the guest writes and
 * reads, and domblkinfo's sizes, from the image files while shut off
 * and from QEMU while running; a SCSI cdrom's medium, and an empty
 * drive without sizes. Open to every caller; unknown options and a
 * domain that does not run are refused.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MIB (1024ULL * 1024)

/* One value of a GetStats reply, by key: its type and the value. */
typedef struct Stat {
	char type;
	uint64_t u; /* t, u, i (as unsigned), b */
	char *s;
} Stat;

static sd_bus_message *get_stats(const char *path)
{
	return harness_call(path, ZVIRT_DOMAIN_IFACE, "GetStats", "a{sv}", 0);
}

/* 1 and *ret when key is in the reply, 0 when not. */
static int find_stat(sd_bus_message *reply, const char *key, Stat *ret)
{
	const char *k, *contents;
	int r, found = 0;

	assert_return_code(sd_bus_message_rewind(reply, true), 0);
	assert_return_code(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		assert_return_code(sd_bus_message_read(reply, "s", &k), 0);
		assert_return_code(sd_bus_message_peek_type(reply, NULL, &contents), 0);
		if (strcmp(k, key) != 0) {
			assert_return_code(sd_bus_message_skip(reply, "v"), 0);
		} else {
			Stat st = {.type = contents[0]};
			uint64_t t;
			uint32_t u;
			int32_t i;
			int b;
			const char *s;
			switch (st.type) {
			case 't':
				assert_return_code(sd_bus_message_read(reply, "v", "t", &t), 0);
				st.u = t;
				break;
			case 'u':
				assert_return_code(sd_bus_message_read(reply, "v", "u", &u), 0);
				st.u = u;
				break;
			case 'i':
				assert_return_code(sd_bus_message_read(reply, "v", "i", &i), 0);
				st.u = (uint64_t)i;
				break;
			case 'b':
				assert_return_code(sd_bus_message_read(reply, "v", "b", &b), 0);
				st.u = (uint64_t)b;
				break;
			case 's':
				assert_return_code(sd_bus_message_read(reply, "v", "s", &s), 0);
				st.s = strdup(s);
				break;
			default:
				fail_msg("stat %s has type %s", key, contents);
			}
			*ret = st;
			found = 1;
		}
		assert_return_code(sd_bus_message_exit_container(reply), 0);
		if (found)
			break;
	}
	assert_return_code(r, 0);
	return found;
}

static uint64_t stat_num(sd_bus_message *reply, const char *key, char type)
{
	Stat st;
	if (!find_stat(reply, key, &st))
		fail_msg("GetStats has no %s", key);
	if (st.type != type)
		fail_msg("%s has type %c, expected %c", key, st.type, type);
	return st.u;
}

static void assert_stat_string(sd_bus_message *reply, const char *key, const char *expect)
{
	Stat st;
	if (!find_stat(reply, key, &st))
		fail_msg("GetStats has no %s", key);
	if (st.type != 's' || strcmp(st.s, expect) != 0)
		fail_msg("%s is '%s', expected '%s'", key, st.s ?: "(not a string)", expect);
	free(st.s);
}

static void assert_no_stat(sd_bus_message *reply, const char *key)
{
	Stat st = {};
	if (find_stat(reply, key, &st))
		fail_msg("GetStats has %s, which it should not", key);
}

static char *disk_image(void)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/stats-disk.raw", harness_tmpdir()) > 0);
	harness_write_file(p, "");
	assert_int_equal(truncate(p, 4 * MIB), 0);
	return p;
}

/* The test guest with a raw disk vda and a virtio balloon. */
static char *guest_with_disk(const char *name, const char *image)
{
	_cleanup_free_ char *base = harness_guest_xml(name);
	_cleanup_free_ char *disk = NULL;
	char *none = strstr(base, "    <memballoon model='none'/>\n");
	char *xml = NULL;
	assert_non_null(none);
	assert_true(asprintf(&disk,
			     "    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
			     "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n"
			     "    <memballoon model='virtio'/>\n",
			     image) > 0);
	assert_true(asprintf(&xml, "%.*s%s%s", (int)(none - base), base, disk,
			     none + strlen("    <memballoon model='none'/>\n")) > 0);
	return xml;
}

/* The configured values, the same in every state. */
static void check_configured(sd_bus_message *reply, const char *image)
{
	assert_int_equal(stat_num(reply, "vcpu.current", 'u'), 1);
	assert_int_equal(stat_num(reply, "vcpu.maximum", 'u'), 1);
	assert_int_equal(stat_num(reply, "balloon.maximum", 't'), 256 * MIB);
	assert_int_equal(stat_num(reply, "block.count", 'u'), 1);
	assert_stat_string(reply, "block.0.name", "vda");
	assert_stat_string(reply, "block.0.path", image);
}

static int on_async_stats(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	unsigned *answered = userdata;
	if (sd_bus_message_is_method_error(m, NULL))
		fail_msg("GetStats failed: %s", sd_bus_message_get_error(m)->message);
	assert_stat_string(m, "state", "paused");
	(*answered)++;
	return 0;
}

static void test_stats(void **state)
{
	_cleanup_free_ char *image = disk_image();
	_cleanup_free_ char *xml = guest_with_disk("stats-guest", image);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *log = harness_console_log("stats-guest");

	/* Shut off: the state and the configuration only. */
	sd_bus_message *reply = get_stats(path);
	assert_stat_string(reply, "state", "shut-off");
	assert_stat_string(reply, "reason", "unknown");
	check_configured(reply, image);
	assert_int_equal(stat_num(reply, "balloon.current", 't'), 256 * MIB);
	assert_no_stat(reply, "cpu.time");
	assert_no_stat(reply, "vcpu.0.time");
	assert_no_stat(reply, "block.0.rd.reqs");
	sd_bus_message_unref(reply);

	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "GetStats", "a{sv}",
			     1, "bogus", "b", 1);

	/* Running. */
	off_t mark = harness_file_size(log);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console_from(
				 log, mark, "zvirt-guest: ready boot_id=", HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);

	reply = get_stats(path);
	assert_stat_string(reply, "state", "running");
	assert_stat_string(reply, "reason", "booted");
	check_configured(reply, image);
	uint64_t cpu = stat_num(reply, "cpu.time", 't');
	assert_true(cpu > 0);
	/* A vCPU's thread is part of QEMU: it cannot have used more. */
	uint64_t vcpu = stat_num(reply, "vcpu.0.time", 't');
	assert_true(vcpu > 0);
	assert_true(vcpu <= cpu);
	assert_int_equal(stat_num(reply, "vcpu.0.state", 'i'), 1);
	/* A running Linux CPU is operating (in an enabled wait when idle). */
	assert_int_equal(stat_num(reply, "vcpu.0.halted", 'b'), 0);
	/* The guest has no balloon driver: QEMU reports all of its memory. */
	assert_int_equal(stat_num(reply, "balloon.current", 't'), 256 * MIB);
	/* The kernel read the partition table; it wrote nothing. */
	assert_true(stat_num(reply, "block.0.rd.reqs", 't') > 0);
	assert_true(stat_num(reply, "block.0.rd.bytes", 't') > 0);
	(void)stat_num(reply, "block.0.rd.times", 't');
	assert_int_equal(stat_num(reply, "block.0.wr.reqs", 't'), 0);
	assert_int_equal(stat_num(reply, "block.0.wr.bytes", 't'), 0);
	(void)stat_num(reply, "block.0.wr.times", 't');
	(void)stat_num(reply, "block.0.fl.reqs", 't');
	(void)stat_num(reply, "block.0.fl.times", 't');
	assert_int_equal(stat_num(reply, "block.0.errs", 't'), 0);
	/* No NIC: a count of none (test-net-objects has NICs). */
	assert_int_equal(stat_num(reply, "net.count", 'u'), 0);
	assert_no_stat(reply, "net.0.name");
	sd_bus_message_unref(reply);

	/* The CPUTime property stays the cheap counter, and agrees. */
	assert_true(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "CPUTime") >= cpu);

	/* Reading is open to everyone. */
	_cleanup_free_ char *dump = harness_nobody_call(path, ZVIRT_DOMAIN_IFACE, "GetStats", "a{sv}", 0);
	if (!strstr(dump, "block.0.rd.reqs") || !strstr(dump, "vcpu.0.time"))
		fail_msg("GetStats as nobody: %s", dump);

	/* Paused: the same groups, the CPU no longer counts. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Suspend", "a{sv}", 0));
	reply = get_stats(path);
	assert_stat_string(reply, "state", "paused");
	assert_stat_string(reply, "reason", "user");
	assert_true(stat_num(reply, "vcpu.0.time", 't') >= vcpu);
	assert_true(stat_num(reply, "block.0.rd.reqs", 't') > 0);
	sd_bus_message_unref(reply);

	/* Many in flight at once: each is answered. */
	unsigned answered = 0;
	for (int i = 0; i < 8; i++)
		assert_return_code(sd_bus_call_method_async(harness_bus(), NULL, ZVIRT_BUS_NAME, path,
							    ZVIRT_DOMAIN_IFACE, "GetStats", on_async_stats,
							    &answered, "a{sv}", 0),
				   0);
	while (answered < 8) {
		int r = sd_bus_process(harness_bus(), NULL);
		assert_return_code(r, 0);
		if (r == 0)
			assert_return_code(sd_bus_wait(harness_bus(), 10 * 1000 * 1000), 0);
	}

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	reply = get_stats(path);
	assert_stat_string(reply, "state", "shut-off");
	assert_stat_string(reply, "reason", "destroyed");
	assert_no_stat(reply, "cpu.time");
	assert_no_stat(reply, "block.0.rd.reqs");
	sd_bus_message_unref(reply);
	harness_undefine(path);
}

#define DISK_IFACE "org.zvirt1.Disk"

static sd_bus_message *disk_stats(const char *disk)
{
	return harness_call(disk, DISK_IFACE, "GetStats", "a{sv}", 0);
}

/* The error of Disk.GetStats, which must fail with error_name; its message. */
static char *disk_stats_error(const char *disk, const char *error_name)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = harness_call_full(harness_bus(), &error, NULL, disk, DISK_IFACE, "GetStats", "a{sv}", 0);
	if (r >= 0)
		fail_msg("Disk.GetStats on %s succeeded; expected %s", disk, error_name);
	if (!sd_bus_error_has_name(&error, error_name))
		fail_msg("Disk.GetStats on %s: %s (%s); expected %s", disk, error.name, error.message,
			 error_name);
	return strdup(error.message);
}

static uint64_t allocated(const char *file)
{
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

static uint64_t file_size(const char *file)
{
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	return (uint64_t)st.st_size;
}

/* The counters of Disk.GetStats, by virsh domblkstat's names. */
typedef struct BlkStat {
	uint64_t rd_req, rd_bytes, wr_req, wr_bytes, flush, rd_times, wr_times, flush_times, errs;
	uint64_t capacity, allocation, physical;
} BlkStat;

static BlkStat read_blkstat(const char *disk)
{
	sd_bus_message *reply = disk_stats(disk);
	BlkStat b = {
		.rd_req = stat_num(reply, "rd_req", 't'),
		.rd_bytes = stat_num(reply, "rd_bytes", 't'),
		.wr_req = stat_num(reply, "wr_req", 't'),
		.wr_bytes = stat_num(reply, "wr_bytes", 't'),
		.flush = stat_num(reply, "flush_operations", 't'),
		.rd_times = stat_num(reply, "rd_total_times", 't'),
		.wr_times = stat_num(reply, "wr_total_times", 't'),
		.flush_times = stat_num(reply, "flush_total_times", 't'),
		.errs = stat_num(reply, "errs", 't'),
		.capacity = stat_num(reply, "capacity", 't'),
		.allocation = stat_num(reply, "allocation", 't'),
		.physical = stat_num(reply, "physical", 't'),
	};
	/* Only what belongs to the disk: no domain keys. */
	assert_no_stat(reply, "state");
	assert_no_stat(reply, "block.count");
	sd_bus_message_unref(reply);
	return b;
}

/* A raw disk vda (4 MiB, sparse) and a qcow2 disk vdb (16 MiB). */
static char *guest_with_two_disks(const char *name, const char *raw, const char *qcow2)
{
	_cleanup_free_ char *base = harness_guest_xml(name);
	const char *at = strstr(base, "    <memballoon model='none'/>\n");
	char *xml = NULL;
	assert_non_null(at);
	assert_true(asprintf(&xml,
			     "%.*s"
			     "    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
			     "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n"
			     "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
			     "<source file='%s'/><target dev='vdb' bus='virtio'/></disk>\n"
			     "%s",
			     (int)(at - base), base, raw, qcow2, at) > 0);
	return xml;
}

static void test_disk_stats(void **state)
{
	_cleanup_free_ char *raw = NULL, *qcow2 = NULL, *cmd = NULL;
	assert_true(asprintf(&raw, "%s/blk-vda.raw", harness_tmpdir()) > 0);
	assert_true(asprintf(&qcow2, "%s/blk-vdb.qcow2", harness_tmpdir()) > 0);
	harness_write_file(raw, "");
	assert_int_equal(truncate(raw, 4 * MIB), 0);
	assert_true(asprintf(&cmd, "qemu-img create -q -f qcow2 '%s' 16M", qcow2) > 0);
	assert_int_equal(system(cmd), 0);
	_cleanup_free_ char *xml = guest_with_two_disks("blk-guest", raw, qcow2);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *vda = NULL, *vdb = NULL;
	assert_true(asprintf(&vda, "%s/disk/vda", path) > 0);
	assert_true(asprintf(&vdb, "%s/disk/vdb", path) > 0);

	/* Shut off: domblkinfo from the files (a qcow2's capacity from its
	 * header), no counters; Disk.GetStats says the domain does not run. */
	sd_bus_message *reply = get_stats(path);
	assert_int_equal(stat_num(reply, "block.count", 'u'), 2);
	assert_int_equal(stat_num(reply, "block.0.capacity", 't'), 4 * MIB);
	assert_int_equal(stat_num(reply, "block.0.physical", 't'), 4 * MIB);
	assert_int_equal(stat_num(reply, "block.0.allocation", 't'), allocated(raw));
	assert_int_equal(stat_num(reply, "block.1.capacity", 't'), 16 * MIB);
	assert_int_equal(stat_num(reply, "block.1.physical", 't'), file_size(qcow2));
	assert_int_equal(stat_num(reply, "block.1.allocation", 't'), allocated(qcow2));
	assert_true(file_size(qcow2) < 16 * MIB);
	assert_no_stat(reply, "block.1.rd.reqs");
	sd_bus_message_unref(reply);

	_cleanup_free_ char *off = disk_stats_error(vda, ZVIRT_ERROR("OperationInvalid"));
	if (!strstr(off, "shut-off") || !strstr(off, "'vda'"))
		fail_msg("the error names neither the state nor the disk: %s", off);
	harness_nobody_expect_error(ZVIRT_ERROR("OperationInvalid"), vdb, DISK_IFACE, "GetStats", "a{sv}",
				    0);
	/* The options are read first, whatever the state. */
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), vda, DISK_IFACE, "GetStats", "a{sv}", 1,
			     "bogus", "b", 1);

	/* Running: the kernel read each disk's partition table at boot. */
	harness_boot_guest(path, "blk-guest");
	_cleanup_free_ char *pty = harness_console_pty(path);
	assert_non_null(pty);
	_cleanup_free_ char *name = harness_wait_guest_block(pty, "0.0.0000", true);
	BlkStat boot = read_blkstat(vda);
	assert_true(boot.rd_req > 0);
	assert_true(boot.rd_bytes >= boot.rd_req * 512);
	assert_int_equal(boot.wr_req, 0);
	assert_int_equal(boot.wr_bytes, 0);
	assert_int_equal(boot.errs, 0);
	assert_int_equal(boot.capacity, 4 * MIB);
	/* Nothing written yet, and QEMU's allocated size of a file that is
	 * all hole is 0: physical is then the file's size (as libvirt). */
	assert_int_equal(boot.allocation, 0);
	assert_int_equal(boot.physical, 4 * MIB);

	/* A write with fsync: a write request, and a flush of the disk's
	 * write cache; the highest offset written moves. */
	_cleanup_free_ char *out = NULL, *line = NULL;
	assert_true(asprintf(&line, "blkwrite %s zvirt-blkstat-data", name) > 0);
	assert_int_equal(harness_console_command(pty, line, 60000, &out), 0);
	assert_non_null(strstr(out, "wrote "));
	BlkStat wrote = read_blkstat(vda);
	assert_true(wrote.wr_req > boot.wr_req);
	assert_true(wrote.wr_bytes >= boot.wr_bytes + strlen("zvirt-blkstat-data"));
	assert_true(wrote.flush > boot.flush);
	assert_true(wrote.wr_times > boot.wr_times);
	assert_true(wrote.allocation > 0);
	assert_true(wrote.allocation <= 4 * MIB);
	assert_true(wrote.physical > 0);
	assert_true(wrote.rd_req >= boot.rd_req);

	/* An uncached read. */
	free(line);
	free(out);
	out = NULL;
	assert_true(asprintf(&line, "blkread %s 4096", name) > 0);
	assert_int_equal(harness_console_command(pty, line, 60000, &out), 0);
	assert_non_null(strstr(out, "read zvirt-blkstat-data"));
	BlkStat read = read_blkstat(vda);
	assert_true(read.rd_req > wrote.rd_req);
	assert_true(read.rd_bytes >= wrote.rd_bytes + 4096);
	assert_true(read.rd_times > wrote.rd_times);
	assert_int_equal(read.wr_req, wrote.wr_req);

	/* Domain.GetStats shows the same disk the same way (the guest is idle). */
	reply = get_stats(path);
	assert_int_equal(stat_num(reply, "block.0.rd.reqs", 't'), read.rd_req);
	assert_int_equal(stat_num(reply, "block.0.wr.reqs", 't'), read.wr_req);
	assert_int_equal(stat_num(reply, "block.0.wr.bytes", 't'), read.wr_bytes);
	assert_int_equal(stat_num(reply, "block.0.fl.reqs", 't'), read.flush);
	assert_int_equal(stat_num(reply, "block.0.capacity", 't'), read.capacity);
	assert_int_equal(stat_num(reply, "block.0.allocation", 't'), read.allocation);
	assert_int_equal(stat_num(reply, "block.0.physical", 't'), read.physical);
	/* The qcow2 disk: the guest's size from QEMU, what it takes on the host. */
	assert_int_equal(stat_num(reply, "block.1.capacity", 't'), 16 * MIB);
	assert_true(stat_num(reply, "block.1.physical", 't') > 0);
	sd_bus_message_unref(reply);
	BlkStat q = read_blkstat(vdb);
	assert_int_equal(q.capacity, 16 * MIB);
	assert_true(q.physical > 0);
	assert_true(q.rd_req > 0);
	assert_int_equal(q.wr_req, 0);

	/* Open to everyone; unknown options refused while running too. */
	_cleanup_free_ char *dump = harness_nobody_call(vda, DISK_IFACE, "GetStats", "a{sv}", 0);
	if (!strstr(dump, "rd_req") || !strstr(dump, "flush_total_times") || !strstr(dump, "capacity"))
		fail_msg("Disk.GetStats as nobody: %s", dump);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), vda, DISK_IFACE, "GetStats", "a{sv}", 1, "live",
			     "b", 1);

	/* Paused still has QEMU's counters. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Suspend", "a{sv}", 0));
	assert_int_equal(read_blkstat(vda).wr_req, read.wr_req);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	_cleanup_free_ char *gone = disk_stats_error(vda, ZVIRT_ERROR("OperationInvalid"));
	if (!strstr(gone, "destroyed"))
		fail_msg("the error does not say why: %s", gone);
	/* Back to the files: the raw image now holds the data. */
	reply = get_stats(path);
	assert_int_equal(stat_num(reply, "block.0.capacity", 't'), 4 * MIB);
	assert_int_equal(stat_num(reply, "block.0.allocation", 't'), allocated(raw));
	assert_true(allocated(raw) > 0);
	sd_bus_message_unref(reply);
	harness_undefine(path);
}

/* SCSI cdroms: one with a medium the guest reads, one empty, which has
 * counters but, without an image, no sizes. */
static void test_cdrom_stats(void **state)
{
	_cleanup_free_ char *medium = NULL, *base = harness_guest_xml("blk-cd");
	assert_true(asprintf(&medium, "%s/blk-cd.iso", harness_tmpdir()) > 0);
	harness_write_file(medium, "zvirt-cdrom-stats");
	assert_int_equal(truncate(medium, 2 * MIB), 0);
	const char *at = strstr(base, "    <memballoon model='none'/>\n");
	_cleanup_free_ char *xml = NULL;
	assert_non_null(at);
	assert_true(asprintf(&xml,
			     "%.*s"
			     "    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
			     "<source file='%s'/><target dev='sda' bus='scsi'/><readonly/></disk>\n"
			     "    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
			     "<target dev='sdb' bus='scsi'/><readonly/></disk>\n"
			     "%s",
			     (int)(at - base), base, medium, at) > 0);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *sda = NULL, *sdb = NULL;
	assert_true(asprintf(&sda, "%s/disk/sda", path) > 0);
	assert_true(asprintf(&sdb, "%s/disk/sdb", path) > 0);

	/* Shut off: the medium's size from its file; nothing for the empty one. */
	sd_bus_message *reply = get_stats(path);
	assert_stat_string(reply, "block.0.name", "sda");
	assert_int_equal(stat_num(reply, "block.0.capacity", 't'), 2 * MIB);
	assert_stat_string(reply, "block.1.name", "sdb");
	assert_no_stat(reply, "block.1.capacity");
	assert_no_stat(reply, "block.1.physical");
	sd_bus_message_unref(reply);

	harness_boot_guest(path, "blk-cd");
	_cleanup_free_ char *pty = harness_console_pty(path);
	assert_non_null(pty);
	_cleanup_free_ char *out = NULL;
	assert_int_equal(harness_console_command(pty, "readdev sr0 17", 60000, &out), 0);
	assert_non_null(strstr(out, "data=7a766972742d6364726f6d2d7374617473")); /* zvirt-cdrom-stats */
	BlkStat cd = read_blkstat(sda);
	assert_true(cd.rd_req > 0);
	assert_true(cd.rd_bytes >= 2048);
	assert_int_equal(cd.wr_req, 0);
	assert_int_equal(cd.capacity, 2 * MIB);

	reply = disk_stats(sdb);
	(void)stat_num(reply, "rd_req", 't');
	assert_int_equal(stat_num(reply, "wr_req", 't'), 0);
	assert_no_stat(reply, "capacity");
	assert_no_stat(reply, "allocation");
	assert_no_stat(reply, "physical");
	sd_bus_message_unref(reply);
	harness_undefine(path);
}

static int on_slow_stats(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	sd_bus_message **reply = userdata;
	*reply = sd_bus_message_ref(m);
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wait_reply(sd_bus_message **reply, int timeout_ms)
{
	for (uint64_t end = mono_ms() + (uint64_t)timeout_ms; !*reply && mono_ms() < end;) {
		int r = sd_bus_process(harness_bus(), NULL);
		assert_return_code(r, 0);
		if (r == 0)
			assert_return_code(sd_bus_wait(harness_bus(), 50 * 1000), 0);
	}
	assert_non_null(*reply);
}

/* A shut-off domain's sizes are read off the loop: an image on a slow
 * file system (every read 2 s late) holds up that answer, no other;
 * and a domain that goes meanwhile is answered at once, without sizes. */
static void test_slow_image_file(void **state)
{
	_cleanup_free_ char *image = disk_image();
	_cleanup_free_ char *base = harness_minimal_xml("stats-slow", NULL);
	_cleanup_free_ char *xml = NULL;
	const char *at = strstr(base, "    <memballoon model='none'/>");
	assert_non_null(at);
	assert_true(asprintf(&xml,
			     "%.*s    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
			     "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n%s",
			     (int)(at - base), base, image, at) > 0);
	_cleanup_free_ char *path = harness_define(xml);

	assert_int_equal(harness_stop_daemon(), 0);
	assert_int_equal(setenv("ZVIRTD_FAULT_DELAY", "stats-image-read:2000", 1), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(unsetenv("ZVIRTD_FAULT_DELAY"), 0);

	sd_bus_message *slow = NULL;
	uint64_t start = mono_ms();
	assert_return_code(sd_bus_call_method_async(harness_bus(), NULL, ZVIRT_BUS_NAME, path,
						    ZVIRT_DOMAIN_IFACE, "GetStats", on_slow_stats, &slow,
						    "a{sv}", 0),
			   0);
	/* Meanwhile everyone else is answered at once. */
	for (int i = 0; i < 5; i++) {
		uint64_t t = mono_ms();
		sd_bus_message_unref(
			harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 0));
		if (mono_ms() - t > 1000)
			fail_msg("ListDomains took %llu ms during a slow image read",
				 (unsigned long long)(mono_ms() - t));
	}
	assert_null(slow);
	wait_reply(&slow, 10000);
	assert_true(mono_ms() - start >= 2000);
	assert_false(sd_bus_message_is_method_error(slow, NULL));
	assert_int_equal(stat_num(slow, "block.0.capacity", 't'), 4 * MIB);
	sd_bus_message_unref(slow);

	/* Undefined while its sizes are read: answered then, and the read
	 * that ends later finds nobody to answer. */
	slow = NULL;
	assert_return_code(sd_bus_call_method_async(harness_bus(), NULL, ZVIRT_BUS_NAME, path,
						    ZVIRT_DOMAIN_IFACE, "GetStats", on_slow_stats, &slow,
						    "a{sv}", 0),
			   0);
	usleep(200 * 1000);
	start = mono_ms();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 0));
	wait_reply(&slow, 10000);
	assert_false(sd_bus_message_is_method_error(slow, NULL));
	assert_stat_string(slow, "block.0.name", "vda");
	assert_no_stat(slow, "block.0.capacity");
	sd_bus_message_unref(slow);
	sleep(3);
	sd_bus_message_unref(
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 0));
	assert_int_equal(harness_restart_daemon(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_disk_stats),
		cmocka_unit_test(test_cdrom_stats),
		cmocka_unit_test(test_slow_image_file),
	};

	return harness_main("stats", tests, 0);
}
