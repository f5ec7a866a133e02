/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From "device 0.0.7500 is offline" to "a guest uses it", over D-Bus
 * only, against the s390 sysfs simulator (tests/sysfs-sim), whose disks
 * are loop devices the real s390x guest reads and writes: the seed's
 * DASD and zfcp LUN named as the seed names them (by-path, by-id, the
 * multipath map), a start or plug that says which Host call a missing
 * node needs, ValidateXML's warnings, and the tape's and changer's sg
 * nodes by scsi_host and H:C:T:L.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define HOST_PATH  "/org/zvirt1/host"
#define HOST_IFACE "org.zvirt1.Host"
#define WWPN       "0x500507630513c1ae"
#define LUN        "0x402340bc00000000"
#define WWID       "36005076305ffc1ae00000000000023bc"
#define DASD_UID   "IBM.75000000092461.e900.10"
#define TAPE_WWPN  "0x5005076044840242"

static void start_sim(void)
{
	int r = harness_sim_start("seed.ini", NULL);
	if (r == -EOPNOTSUPP)
		skip();
	assert_return_code(r, -r);
}

static int sim_teardown(void **state)
{
	(void)state;
	harness_sim_stop();
	return 0;
}

static char *dev(const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", harness_sim_devroot(), name) > 0);
	return p;
}

static void set_online(const char *busid, bool online)
{
	sd_bus_message_unref(
		harness_call(HOST_PATH, HOST_IFACE, "SetCcwOnline", "sba{sv}", busid, online, 0));
}

static void add_unit(const char *busid, const char *wwpn, const char *lun)
{
	sd_bus_message_unref(
		harness_call(HOST_PATH, HOST_IFACE, "ZfcpAddUnit", "sssa{sv}", busid, wwpn, lun, 0));
}

/* The simulator's disk nodes are loop devices unless this host has none. */
static void need_block_node(const char *path)
{
	struct stat st;
	assert_return_code(stat(path, &st), errno);
	if (!S_ISBLK(st.st_mode)) {
		fprintf(stderr, "test-host-guest: skipped, %s is no block device (no loop devices here)\n",
			path);
		skip();
	}
}

/* text at the start of the block device, past any cache (the guest's
 * QEMU opens it with O_DIRECT). */
static void node_write(const char *path, const char *text)
{
	char *buf = aligned_alloc(4096, 4096);
	assert_non_null(buf);
	memset(buf, 0, 4096);
	memcpy(buf, text, strlen(text));
	int fd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
	assert_return_code(fd, errno);
	assert_int_equal(pwrite(fd, buf, 4096, 0), 4096);
	assert_return_code(fsync(fd), errno);
	close(fd);
	free(buf);
}

static char *node_read(const char *path, size_t len)
{
	char *buf = aligned_alloc(4096, 4096);
	assert_non_null(buf);
	int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	assert_return_code(fd, errno);
	assert_int_equal(pread(fd, buf, 4096, 0), 4096);
	close(fd);
	char *s = strndup(buf, len);
	free(buf);
	return s;
}

/* Asserting: the call fails with HostError whose message has every part. */
static void expect_host_error(const char *path, const char *iface, const char *method, const char *types,
			      const char *arg, const char *part1, const char *part2)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = types[0] == 's'
			? harness_call_full(harness_bus(), &error, NULL, path, iface, method, types, arg, 0)
			: harness_call_full(harness_bus(), &error, NULL, path, iface, method, types, 0);
	assert_true(r < 0);
	if (strcmp(error.name, ZVIRT_ERROR("HostError")) != 0 || !strstr(error.message, part1) ||
	    (part2 && !strstr(error.message, part2)))
		fail_msg("%s: %s '%s', expected HostError '%s' and '%s'", method, error.name, error.message,
			 part1, part2 ?: "");
}

static char *disk_xml(const char *source, const char *target, const char *devno)
{
	char *xml = NULL;
	assert_true(asprintf(&xml,
			     "    <disk type='block' device='disk'>\n"
			     "      <driver name='qemu' type='raw' cache='none' io='native'/>\n"
			     "      <source dev='%s'/>\n"
			     "      <target dev='%s' bus='virtio'/>\n"
			     "      <address type='ccw' cssid='0xfe' ssid='0x0' devno='%s'/>\n"
			     "    </disk>\n",
			     source, target, devno) > 0);
	return xml;
}

/* The guest's "<name> <sectors> <busid>" line of the disk at busid. */
static char *guest_disk_line(const char *path, const char *busid)
{
	_cleanup_free_ char *out = harness_guest_command(path, "devices", 30000);
	for (char *line = strtok(out, "\r\n"); line; line = strtok(NULL, "\r\n")) {
		const char *b = strrchr(line, ' ');
		if (b && strcmp(b + 1, busid) == 0 && strncmp(line, "ccw ", 4) != 0)
			return strdup(line);
	}
	return NULL;
}

/* The seed's zfcp LUN by its multipath map at start, then its DASD by
 * by-path plugged live: each refused with the Host call it needs while
 * the device is not prepared, then read and written by the guest. */
static void test_prepared_disks_in_guest(void **state)
{
	(void)state;
	start_sim();
	_cleanup_free_ char *mapper = dev("mapper/" WWID), *by_path = dev("disk/by-path/ccw-0.0.7500");
	_cleanup_free_ char *lun_disk = disk_xml(mapper, "vdb", "0x1700");
	_cleanup_free_ char *xml = harness_guest_xml_devices("prep-guest", lun_disk);
	_cleanup_free_ char *path = harness_define(xml);

	/* The FCP device offline, no LUN: the start names the calls. */
	expect_host_error(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", NULL,
			  "no SCSI device of this host has WWID " WWID, "ZfcpAddUnit");
	_cleanup_free_ char *state_after = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "State");
	assert_string_equal(state_after, "shut-off");

	set_online("0.0.1700", true);
	add_unit("0.0.1700", WWPN, LUN);
	need_block_node(mapper);
	node_write(mapper, "ZVIRT-LUN-23bc");
	harness_boot_guest(path, "prep-guest");
	_cleanup_free_ char *pty = harness_console_pty(path);
	_cleanup_free_ char *lun_name = harness_guest_block_at(pty, "0.0.1700");
	assert_non_null(lun_name);
	_cleanup_free_ char *cmd = NULL, *out = NULL;
	assert_true(asprintf(&cmd, "blkread %s 14", lun_name) > 0);
	out = harness_guest_command(path, cmd, 30000);
	if (!strstr(out, "read ZVIRT-LUN-23bc"))
		fail_msg("the guest read '%s' from the LUN", out);

	/* The DASD offline: the plug says so and changes nothing. */
	_cleanup_free_ char *before = harness_get_xml(path);
	_cleanup_free_ char *dasd_disk = disk_xml(by_path, "vdc", "0x7500");
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	assert_true(harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
				      "sa{sv}", dasd_disk, 1, "live", "b", 1) < 0);
	assert_string_equal(error.name, ZVIRT_ERROR("HostError"));
	if (!strstr(error.message, "DASD 0.0.7500 is offline") || !strstr(error.message, "SetCcwOnline"))
		fail_msg("AttachDevice: %s", error.message);
	_cleanup_free_ char *after = harness_get_xml(path);
	assert_string_equal(before, after);

	/* chccwdev -e 0.0.7500, then the plug: the guest sees the whole
	 * DASD (1803060 blocks of 4096 bytes) with what the host wrote. */
	set_online("0.0.7500", true);
	need_block_node(by_path);
	node_write(by_path, "ZVIRT-DASD-7500");
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}", dasd_disk, 1,
					  "live", "b", 1));
	_cleanup_free_ char *dasd_name = harness_wait_guest_block(pty, "0.0.7500", true);
	_cleanup_free_ char *line = guest_disk_line(path, "0.0.7500"), *expect = NULL;
	assert_true(asprintf(&expect, "%s 14424480 0.0.7500", dasd_name) > 0);
	if (!line)
		fail_msg("the guest has no disk at 0.0.7500 in its devices");
	assert_string_equal(line, expect);
	free(cmd);
	free(out);
	assert_true(asprintf(&cmd, "blkread %s 15", dasd_name) > 0);
	out = harness_guest_command(path, cmd, 30000);
	if (!strstr(out, "read ZVIRT-DASD-7500"))
		fail_msg("the guest read '%s' from the DASD", out);

	/* What the guest writes is on the host's DASD. */
	free(cmd);
	free(out);
	assert_true(asprintf(&cmd, "blkwrite %s GUEST-WROTE-7500", dasd_name) > 0);
	out = harness_guest_command(path, cmd, 30000);
	assert_non_null(strstr(out, "wrote"));
	_cleanup_free_ char *back = node_read(by_path, 16);
	assert_string_equal(back, "GUEST-WROTE-7500");

	/* The nodes went to QEMU's user while it ran, and come back. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	struct stat st;
	_cleanup_free_ char *dasda = dev("dasda");
	assert_return_code(stat(dasda, &st), errno);
	assert_int_equal(st.st_uid, 0);
	harness_undefine(path);
}

/* Each way a prepared node can be missing, said at the start. */
static void test_missing_nodes(void **state)
{
	(void)state;
	start_sim();
	static const struct {
		const char *node, *part1, *part2;
		const char *online; /* set online first, or NULL */
	} cases[] = {
		{"disk/by-path/ccw-0.0.7599", "the host has no ccw device 0.0.7599", NULL, NULL},
		{"disk/by-path/ccw-0.0.7500", "DASD 0.0.7500 is offline", "SetCcwOnline", NULL},
		{"disk/by-id/ccw-" DASD_UID, "DASD 0.0.7500 is offline", "SetCcwOnline", NULL},
		{"disk/by-path/ccw-0.0.7501", "is DASD 0.0.7501, which is not formatted", "dasdfmt",
		 "0.0.7501"},
		{"disk/by-path/ccw-0.0.7500-part1", "DASD 0.0.7500 (dasd", "has no partition 1", "0.0.7500"},
		{"disk/by-path/ccw-0.0.75fe", "0.0.75fe is a PAV alias", "base device", "0.0.7500"},
		{"disk/by-path/ccw-0.0.1700", "ccw device 0.0.1700 is not a DASD (its driver is zfcp)", NULL,
		 NULL},
		{"disk/by-path/ccw-0.0.1700-zfcp-" WWPN ":" LUN, "FCP device 0.0.1700 is offline", NULL,
		 NULL},
		{"disk/by-path/ccw-0.0.1700-zfcp-" WWPN ":" LUN, "is not attached", "ZfcpAddUnit",
		 "0.0.1700"},
		{"disk/by-id/scsi-" WWID, "no SCSI device of this host has WWID", "ZfcpAddUnit", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].online)
			set_online(cases[i].online, true);
		_cleanup_free_ char *node = dev(cases[i].node), *disk = disk_xml(node, "vdb", "0x0100");
		_cleanup_free_ char *xml = harness_guest_xml_devices("missing-guest", disk);
		_cleanup_free_ char *path = harness_define(xml);
		expect_host_error(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", NULL, cases[i].part1,
				  cases[i].part2);
		_cleanup_free_ char *st = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "State");
		assert_string_equal(st, "shut-off");
		harness_undefine(path);
	}

	/* A LUN the host has but multipathd did not map: which device it is. */
	_cleanup_free_ char *mapper = dev("mapper/" WWID);
	add_unit("0.0.1700", WWPN, LUN);
	assert_return_code(unlink(mapper), errno);
	_cleanup_free_ char *disk = disk_xml(mapper, "vdb", "0x0100");
	_cleanup_free_ char *xml = harness_guest_xml_devices("missing-guest", disk);
	_cleanup_free_ char *path = harness_define(xml);
	expect_host_error(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", NULL,
			  "is SCSI device 2:0:17:1086079011", "multipathd has no map");
	harness_undefine(path);
}

static char **validate(const char *xml)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ValidateXML", "sa{sv}", xml, 0);
	char **w = NULL;
	assert_return_code(sd_bus_message_read_strv(reply, &w), 0);
	if (!w)
		w = calloc(1, sizeof(*w));
	return w;
}

/* ValidateXML answers the seed's warnings; DefineXML logs them. */
static void test_warnings(void **state)
{
	(void)state;
	start_sim();
	_cleanup_free_ char *by_path = dev("disk/by-path/ccw-0.0.7500"),
			    *by_id = dev("disk/by-id/ccw-" DASD_UID), *mapper = dev("mapper/" WWID),
			    *sdq = dev("sdq");
	_cleanup_free_ char *d1 = disk_xml(by_path, "vdb", "0x7500"), *d2 = disk_xml(by_id, "vdc", "0x7501"),
			    *d3 = disk_xml(mapper, "vdd", "0x1700"), *d4 = disk_xml(sdq, "vde", "0x1701"),
			    *all = NULL;
	assert_true(asprintf(&all, "%s%s%s%s", d1, d2, d3, d4) > 0);
	_cleanup_free_ char *xml = harness_guest_xml_devices("warn-guest", all);
	_cleanup_strv_free_ char **w = validate(xml);
	assert_non_null(w[0]);
	assert_non_null(w[1]);
	assert_null(w[2]);
	if (!strstr(w[0], "disk 'vdb'") || !strstr(w[0], "IOCDS") || !strstr(w[0], by_path))
		fail_msg("first warning: %s", w[0]);
	if (!strstr(w[1], "disk 'vde'") || !strstr(w[1], "multipath map"))
		fail_msg("second warning: %s", w[1]);

	/* The recommended names alone: no warning. */
	_cleanup_free_ char *good_devs = NULL;
	assert_true(asprintf(&good_devs, "%s%s", d2, d3) > 0);
	_cleanup_free_ char *good = harness_guest_xml_devices("warn-guest", good_devs);
	_cleanup_strv_free_ char **none = validate(good);
	assert_null(none[0]);

	/* Defined all the same, with the warning in the log. */
	off_t mark = harness_file_size(harness_daemon_log());
	_cleanup_free_ char *path = harness_define(xml);
	assert_int_equal(
		harness_wait_console_from(harness_daemon_log(), mark,
					  "Domain warn-guest: disk 'vdb' names its DASD by device number",
					  10000, NULL),
		0);
	harness_undefine(path);
}

/* The seed's tape and medium changer (0.0.1cc8, 1:0:2:0 and 1:0:2:1)
 * as <hostdev> by scsi_host and address: their sg nodes once the LUNs
 * are added, as the start would pass them (this host has no sg driver:
 * QEMU cannot open the simulator's placeholders). */
static void test_tape_changer_nodes(void **state)
{
	(void)state;
	start_sim();
	const char *hostdevs =
		"    <controller type='scsi' model='virtio-scsi' index='0'/>\n"
		"    <hostdev mode='subsystem' type='scsi'>\n"
		"      <source><adapter name='scsi_host1'/><address bus='0' target='2' unit='0'/></source>\n"
		"    </hostdev>\n"
		"    <hostdev mode='subsystem' type='scsi'>\n"
		"      <source><adapter name='scsi_host1'/><address bus='0' target='2' unit='1'/></source>\n"
		"    </hostdev>\n";
	_cleanup_free_ char *xml = harness_guest_xml_devices("tape-guest", hostdevs);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	assert_true(harness_call_full(harness_bus(), &error, NULL, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
				      "DomainXMLToNative", "ssa{sv}", "qemu-argv", xml, 0) < 0);
	assert_string_equal(error.name, ZVIRT_ERROR("HostError"));
	if (!strstr(error.message, "1:0:2:0"))
		fail_msg("DomainXMLToNative: %s", error.message);

	set_online("0.0.1cc8", true);
	add_unit("0.0.1cc8", TAPE_WWPN, "0x0000000000000000");
	add_unit("0.0.1cc8", TAPE_WWPN, "0x0001000000000000");
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainXMLToNative", "ssa{sv}",
			     "qemu-argv", xml, 0);
	const char *native;
	assert_return_code(sd_bus_message_read(reply, "s", &native), 0);
	/* The kernel numbers sg nodes in the order the devices come: the
	 * tape's is sg0, the changer's sg1, below DevRoot=. */
	_cleanup_free_ char *sg0 = NULL, *sg1 = NULL;
	assert_true(asprintf(&sg0, "\"filename\":\"%s/sg0\"", harness_sim_devroot()) > 0);
	assert_true(asprintf(&sg1, "\"filename\":\"%s/sg1\"", harness_sim_devroot()) > 0);
	if (!strstr(native, sg0) || !strstr(native, sg1) || !strstr(native, "scsi-generic"))
		fail_msg("native: %s", native);
}

int main(void)
{
	int r = harness_enter_netns();
	if (r < 0) {
		if (geteuid() != 0) {
			fprintf(stderr,
				"test-host-guest: skipped, the integration tests must run as root\n");
			return 77;
		}
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_prepared_disks_in_guest, sim_teardown),
		cmocka_unit_test_teardown(test_missing_nodes, sim_teardown),
		cmocka_unit_test_teardown(test_warnings, sim_teardown),
		cmocka_unit_test_teardown(test_tape_changer_nodes, sim_teardown),
	};
	return harness_main("test-host-guest", tests, 0);
}
