/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * zvirtctl's host commands (lscss, chccwdev, lsdasd, lszfcp, lsscsi)
 * against the daemon on the s390 sysfs simulator (tests/sysfs-sim,
 * seed.ini: the DASD 0.0.7500 with its alias 0.0.75fe, the unformatted
 * 0.0.7501, the FCP devices 0.0.1700 and 0.0.1cc8), each answer checked
 * against the simulator's sysfs. No guest.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "zvirtctl-run.h"

static bool sim_ok;

static void test_start_sim(void **state)
{
	int r = harness_sim_start("seed.ini", NULL);
	if (r == -EOPNOTSUPP)
		skip();
	assert_int_equal(r, 0);
	sim_ok = true;
}

/* The entry of the array whose `key` is `value`, or NULL. */
static json_object *find(json_object *arr, const char *key, const char *value)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i), *v;
		if (json_object_object_get_ex(o, key, &v) && strcmp(json_object_get_string(v), value) == 0)
			return o;
	}
	return NULL;
}

static void test_lscss(void **state)
{
	if (!sim_ok)
		skip();
	_cleanup_free_ char *text = OK("lscss");
	assert_contains(text, " Device     DevType   CU Type   Online   Driver\n");
	assert_contains(text, "\n 0.0.7500   3390/0c   3990/e9   no       dasd-eckd\n");

	_cleanup_free_ char *j = OK("lscss", "--json");
	json_object *doc = parse_json(j);
	json_object *d = find(member(doc, "devices"), "busid", "0.0.7500");
	assert_non_null(d);
	assert_string_equal(member_string(d, "devtype"), "3390/0c");
	assert_string_equal(member_string(d, "cutype"), "3990/e9");
	assert_false(json_object_get_boolean(member(d, "online")));
	assert_non_null(find(member(doc, "devices"), "busid", "0.0.1700"));
	json_object_put(doc);

	/* lscss -t: the FCP devices only. */
	_cleanup_free_ char *fj = OK("lscss", "--devtype", "1732/03", "--json");
	json_object *f = parse_json(fj);
	json_object *devices = member(f, "devices");
	assert_true(json_object_array_length(devices) >= 2);
	for (size_t i = 0; i < json_object_array_length(devices); i++)
		assert_string_equal(member_string(json_object_array_get_idx(devices, i), "devtype"),
				    "1732/03");
	json_object_put(f);
}

static void test_chccwdev_and_lsdasd(void **state)
{
	if (!sim_ok)
		skip();
	_cleanup_free_ char *on = OK("chccwdev", "-e", "0.0.7500");
	assert_string_equal(on, "Setting device 0.0.7500 online\nDone\n");
	_cleanup_free_ char *s = harness_sim_read("bus/ccw/devices/0.0.7500/online");
	assert_string_equal(s, "1");
	/* Its alias came along. */
	_cleanup_free_ char *a = harness_sim_read("bus/ccw/devices/0.0.75fe/online");
	assert_string_equal(a, "1");

	_cleanup_free_ char *ls = OK("lsdasd");
	assert_contains(ls, " Bus-ID     Status    Name    Device   Type   BlkSz   MB     Blocks\n");
	assert_contains(ls, "\n 0.0.7500   active    dasda   94:0     ECKD   4096    7043   1803060\n");
	assert_contains(ls, "\n 0.0.75fe   alias     -       -        ECKD");
	_cleanup_free_ char *lj = OK("lsdasd", "--json");
	json_object *doc = parse_json(lj);
	json_object *d = find(member(doc, "dasds"), "bus-id", "0.0.7500");
	assert_non_null(d);
	assert_string_equal(member_string(d, "status"), "active");
	assert_string_equal(member_string(d, "type"), "ECKD");
	assert_int_equal(json_object_get_int64(member(d, "blocks")), 1803060);
	assert_int_equal(json_object_get_int64(member(d, "block-size")), 4096);
	json_object *alias = find(member(doc, "dasds"), "bus-id", "0.0.75fe");
	assert_non_null(alias);
	assert_true(json_object_get_boolean(member(alias, "alias")));
	json_object_put(doc);

	_cleanup_free_ char *lcj = OK("lscss", "--json");
	json_object *c = parse_json(lcj);
	assert_true(
		json_object_get_boolean(member(find(member(c, "devices"), "busid", "0.0.7500"), "online")));
	json_object_put(c);

	_cleanup_free_ char *offj = OK("chccwdev", "--offline", "0.0.7500", "--json");
	json_object *o = parse_json(offj);
	assert_false(json_object_get_boolean(member(o, "online")));
	json_object_put(o);
	_cleanup_free_ char *s2 = harness_sim_read("bus/ccw/devices/0.0.7500/online");
	assert_string_equal(s2, "0");

	/* The refusals. */
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "chccwdev", "0.0.7500");
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "chccwdev", "-e", "7500");
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "chccwdev", "-e", "0.0.9999");
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("chccwdev", "-e", "0.0.7500");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	_cleanup_free_ char *s3 = harness_sim_read("bus/ccw/devices/0.0.7500/online");
	assert_string_equal(s3, "0");
	/* Reading is open to nobody. */
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("lsdasd");
		assert_int_equal(r.code, 0);
		assert_contains(r.out, " Bus-ID ");
	}
}

static void test_zfcp_lists(void **state)
{
	if (!sim_ok)
		skip();
	_cleanup_free_ char *zj = OK("lszfcp", "--json");
	json_object *doc = parse_json(zj);
	json_object *z = find(member(doc, "devices"), "busid", "0.0.1700");
	assert_non_null(z);
	assert_false(json_object_get_boolean(member(z, "online")));
	json_object_put(doc);
	_cleanup_free_ char *zt = OK("lszfcp");
	assert_contains(zt, " Bus-ID     Online   NPIV    SCSI Host\n");
	assert_contains(zt, "\n 0.0.1700   false    false   -\n");

	_cleanup_free_ char *sj = OK("lsscsi", "--json");
	json_object *s = parse_json(sj);
	assert_true(json_object_is_type(member(s, "devices"), json_type_array));
	json_object_put(s);
	_cleanup_free_ char *st = OK("lsscsi");
	assert_contains(st, " Address   Type   Vendor   Model   Node   SG   WWID\n");
}

#define WWPN "0x500507630513c1ae"
#define LUN  "0x402340bc00000000"

/* The seed's zfcp LUN: the FCP device online, the unit added (its SCSI
 * device appears in lsscsi), refused twice, removed. */
static void test_zfcp_unit(void **state)
{
	if (!sim_ok)
		skip();
	_cleanup_free_ char *on = OK("chccwdev", "-e", "0.0.1700");
	_cleanup_free_ char *rs = OK("zfcp-port-rescan", "0.0.1700");
	assert_string_equal(rs, "");
	_cleanup_free_ char *add = OK("zfcp-add-unit", "0.0.1700", WWPN, LUN, "--timeout", "20", "--json");
	json_object *a = parse_json(add);
	const char *address = member_string(a, "address");
	assert_true(strchr(address, ':') != NULL);
	_cleanup_free_ char *lj = OK("lsscsi", "--json");
	json_object *l = parse_json(lj);
	json_object *dev = find(member(l, "devices"), "address", address);
	assert_non_null(dev);
	assert_string_equal(member_string(dev, "type"), "disk");
	assert_string_equal(member_string(dev, "fcp-lun"), LUN);
	assert_string_equal(member_string(dev, "hba-id"), "0.0.1700");
	json_object_put(l);
	_cleanup_free_ char *lt = OK("lsscsi");
	_cleanup_free_ char *row = NULL;
	assert_true(asprintf(&row, "\n %s ", address) > 0);
	assert_contains(lt, row);
	json_object_put(a);

	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "zfcp-add-unit", "0.0.1700", WWPN,
		    LUN);
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "zfcp-add-unit", "0.0.1700", "0x5005",
		    LUN);
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("zfcp-remove-unit", "0.0.1700", WWPN, LUN);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	_cleanup_free_ char *rm = OK("zfcp-remove-unit", "0.0.1700", WWPN, LUN);
	assert_string_equal(rm, "LUN " LUN " of " WWPN " on 0.0.1700 removed\n\n");
	_cleanup_free_ char *lj2 = OK("lsscsi", "--json");
	json_object *l2 = parse_json(lj2);
	if (find(member(l2, "devices"), "fcp-lun", LUN))
		fail_msg("the LUN is still there: %s", lj2);
	json_object_put(l2);
	_cleanup_free_ char *off = OK("chccwdev", "-d", "0.0.1700");
}

/* A veth of the test's network namespace: down, up, its queue length. */
static void test_links(void **state)
{
	harness_sh("ip link add zc0 type veth peer name zc1");
	_cleanup_free_ char *up = OK("iface-start", "zc0");
	assert_string_equal(up, "Interface zc0 started\n\n");
	_cleanup_free_ char *q = OK("iface-set-qlen", "zc0", "2500");
	assert_string_equal(q, "");
	_cleanup_free_ char *lj = OK("iface-list", "--json");
	json_object *l = parse_json(lj);
	json_object *zc = find(member(l, "interfaces"), "name", "zc0");
	assert_non_null(zc);
	assert_true(json_object_get_boolean(member(zc, "up")));
	assert_int_equal(json_object_get_int(member(zc, "qlen")), 2500);
	assert_string_equal(member_string(zc, "kind"), "veth");
	json_object_put(l);
	_cleanup_free_ char *down = OK("iface-destroy", "zc0", "--json");
	json_object *d = parse_json(down);
	assert_false(json_object_get_boolean(member(d, "up")));
	json_object_put(d);
	_cleanup_free_ char *inactive = OK("iface-list", "--inactive");
	assert_contains(inactive, "\n zc0 ");
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "iface-start", "zc-nosuch");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "iface-set-qlen", "zc0", "long");
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("iface-start", "zc0");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	/* iface-bond, iface-vlan: this kernel has neither bonding nor 8021q,
	 * so what can be checked is every refusal before the kernel and the
	 * kernel's own, named. */
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "iface-bond", "zcb0", "zc0", "--mode",
		    "bogus");
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "iface-bond", "lo");
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "iface-bond", "zcb0", "zc-nosuch");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "iface-bond", "zcb0", "--miimon",
		    "often");
	{
		_cleanup_(run_done) Run r =
			CTL("iface-bond", "zcb0", "zc0", "--mode", "active-backup", "--miimon", "100");
		expect_fail(&r, EXIT_FAILURE_OTHER, "org.zvirt1.Error.HostError");
		assert_contains(r.err, "bonding");
	}
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("iface-bond", "zcb0", "zc0");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "iface-vlan", "zc0", "4095");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "iface-vlan", "zc0", "ten");
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "iface-vlan", "zc-nosuch", "10");
	{
		_cleanup_(run_done) Run r = CTL("iface-vlan", "zc0", "10", "--name", "zcv10");
		expect_fail(&r, EXIT_FAILURE_OTHER, "org.zvirt1.Error.HostError");
		assert_contains(r.err, "8021q");
	}
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("iface-vlan", "zc0", "10");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	_cleanup_free_ char *nolinks = OK("iface-list", "--all");
	if (strstr(nolinks, " zcb0 ") || strstr(nolinks, " zcv10 "))
		fail_msg("a refused link is there:\n%s", nolinks);

	/* iface-undefine deletes it (its peer goes with it). */
	_cleanup_free_ char *del = OK("iface-undefine", "zc0");
	assert_string_equal(del, "Interface zc0 undefined\n\n");
	_cleanup_free_ char *after = OK("iface-list", "--all");
	if (strstr(after, " zc0 ") || strstr(after, " zc1 "))
		fail_msg("zc0 is still there:\n%s", after);
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "iface-undefine", "zc0");
	/* lo is the host's own: refused. */
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.HostError", "iface-undefine", "lo");
}

/* znetconf: the seed's OSA device unconfigured, configured in layer 2,
 * listed configured, removed again. */
static void test_znetconf(void **state)
{
	if (!sim_ok)
		skip();
	_cleanup_free_ char *u = OK("znetconf", "-u");
	assert_contains(u, " Device IDs                   Card Type    CHPID   Drv.\n");
	assert_contains(u, "\n 0.0.8050,0.0.8051,0.0.8052   OSA (QDIO)");
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("znetconf", "-a", "0.0.8050");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "znetconf", "-a", "0.0.8050",
		    "-o", "colour=blue");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "znetconf");

	_cleanup_free_ char *aj = OK("znetconf", "-a", "0.0.8050", "-o", "layer2=1", "--json");
	json_object *a = parse_json(aj);
	const char *ifname = member_string(a, "interface");
	assert_true(*ifname);
	_cleanup_free_ char *l2 = harness_sim_read("bus/ccwgroup/devices/0.0.8050/layer2");
	assert_string_equal(l2, "1");
	_cleanup_free_ char *cj = OK("znetconf", "-c", "--json");
	json_object *c = parse_json(cj);
	json_object *g = find(member(c, "devices"), "id", "0.0.8050");
	assert_non_null(g);
	assert_true(json_object_get_boolean(member(g, "online")));
	assert_string_equal(member_string(g, "if_name"), ifname);
	json_object_put(c);
	_cleanup_free_ char *ct = OK("znetconf", "-c");
	assert_contains(ct, ifname);
	json_object_put(a);
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "znetconf", "-a", "0.0.8050");

	/* chzdev qeth: the group offline and online again. */
	_cleanup_free_ char *off = OK("chzdev", "qeth", "0.0.8050", "-d");
	assert_string_equal(off, "QETH device 0.0.8050 deconfigured\n");
	_cleanup_free_ char *so = harness_sim_read("bus/ccwgroup/devices/0.0.8050/online");
	assert_string_equal(so, "0");
	_cleanup_free_ char *cj2 = OK("znetconf", "-c", "--json");
	json_object *c2 = parse_json(cj2);
	assert_false(
		json_object_get_boolean(member(find(member(c2, "devices"), "id", "0.0.8050"), "online")));
	json_object_put(c2);
	{
		_cleanup_(run_done) Run n = CTL_NOBODY("chzdev", "qeth", "0.0.8050", "-e");
		expect_fail(&n, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "chzdev", "qeth", "0.0.8050");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "chzdev", "dasd", "0.0.7500",
		    "-e");
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "chzdev", "qeth", "0.0.9990", "-e");
	_cleanup_free_ char *onj = OK("chzdev", "qeth", "0.0.8050", "--online", "--json");
	json_object *o = parse_json(onj);
	assert_string_equal(member_string(o, "id"), "0.0.8050");
	assert_true(json_object_get_boolean(member(o, "online")));
	json_object_put(o);
	_cleanup_free_ char *so2 = harness_sim_read("bus/ccwgroup/devices/0.0.8050/online");
	assert_string_equal(so2, "1");

	_cleanup_free_ char *r = OK("znetconf", "-r", "0.0.8050");
	assert_string_equal(r, "Successfully removed device 0.0.8050\n");
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "znetconf", "-r", "0.0.8050");
	_cleanup_free_ char *u2 = OK("znetconf", "-u");
	assert_contains(u2, "\n 0.0.8050,0.0.8051,0.0.8052 ");
}

#define NIC_MAC  "52:54:00:12:34:61"
#define NIC_MAC2 "52:54:00:12:34:62"

/* domblkstat's keys, in virsh's order. */
static const char *const blk_keys[] = {"rd_req",         "rd_bytes",          "wr_req",
				       "wr_bytes",       "flush_operations",  "rd_total_times",
				       "wr_total_times", "flush_total_times", "errs"};

/* The lines "DEV KEY N" of domblkstat/domifstat: the keys in this order, numbers. */
static void assert_stat_lines(const char *text, const char *dev, const char *const *keys, size_t n)
{
	const char *at = text;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *head = NULL;
		assert_true(asprintf(&head, "%s %s ", dev, keys[i]) > 0);
		if (strncmp(at, head, strlen(head)) != 0)
			fail_msg("expected '%s...' at:\n%s", head, at);
		at += strlen(head);
		size_t digits = strspn(at, "0123456789");
		assert_true(digits > 0);
		assert_int_equal(at[digits], '\n');
		at += digits + 1;
	}
	assert_string_equal(at, "\n");
}

/* The guest NIC and disk commands: domblkinfo, domif-getlink and -setlink,
 * attach-interface, detach-interface, detach-disk on a shut-off domain with
 * a disk and a NIC on a bridge of this namespace; then started paused (the
 * guest runs nothing): domblkstat, domifstat, a live domif-setlink. */
static void test_guest_nic_and_disk(void **state)
{
	harness_sh("ip link add zcbr0 type bridge && ip link set zcbr0 up");
	_cleanup_free_ char *disk = write_tmp("zc-nic-disk.img", "");
	harness_sh("truncate -s 1M '%s'", disk);
	_cleanup_free_ char *devices = NULL;
	assert_true(asprintf(&devices,
			     "    <disk type='file' device='disk'>\n"
			     "      <driver name='qemu' type='raw'/>\n"
			     "      <source file='%s'/>\n"
			     "      <target dev='vda' bus='virtio'/>\n"
			     "    </disk>\n"
			     "    <interface type='bridge'>\n"
			     "      <mac address='" NIC_MAC "'/>\n"
			     "      <source bridge='zcbr0'/>\n"
			     "      <model type='virtio'/>\n"
			     "    </interface>\n",
			     disk) > 0);
	_cleanup_free_ char *xml = harness_guest_xml_devices("zc-nic", devices);
	_cleanup_free_ char *file = write_tmp("zc-nic.xml", xml);
	_cleanup_free_ char *d = OK("define", file);

	/* Shut off: the sizes from the file (a sparse one allocates nothing). */
	_cleanup_free_ char *bi = OK("domblkinfo", "zc-nic", "vda");
	assert_string_equal(bi, "Capacity:       1048576\nAllocation:     0\nPhysical:       1048576\n\n");
	_cleanup_free_ char *bij = OK("domblkinfo", "zc-nic", "vda", "--json");
	json_object *b = parse_json(bij);
	assert_string_equal(member_string(b, "device"), "vda");
	assert_int_equal(json_object_get_int64(member(b, "capacity")), 1048576);
	assert_int_equal(json_object_get_int64(member(b, "allocation")), 0);
	json_object_put(b);
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "domblkinfo", "zc-nic", "vdz");
	EXPECT_FAIL(EXIT_NO_DOMAIN, "org.zvirt1.Error.NoSuchDomain", "domblkinfo", "zc-nosuch", "vda");
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "domblkstat", "zc-nic", "vda");
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "domifstat", "zc-nic", NIC_MAC);
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "domblkstat", "zc-nic",
		    "../vda");

	/* The link: up, down in the definition, up again. */
	_cleanup_free_ char *gl = OK("domif-getlink", "zc-nic", NIC_MAC);
	assert_string_equal(gl, NIC_MAC " up\n\n");
	_cleanup_free_ char *sl = OK("domif-setlink", "zc-nic", NIC_MAC, "down", "--config");
	assert_string_equal(sl, "Device updated successfully\n\n");
	_cleanup_free_ char *glc = OK("domif-getlink", "zc-nic", "52:54:00:12:34:61", "--config", "--json");
	json_object *g = parse_json(glc);
	assert_string_equal(member_string(g, "state"), "down");
	assert_string_equal(member_string(g, "mac"), NIC_MAC);
	json_object_put(g);
	_cleanup_free_ char *inactive = OK("dumpxml", "zc-nic", "--inactive");
	assert_contains(inactive, "<link state='down'/>");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "domif-setlink", "zc-nic",
		    NIC_MAC, "sideways");
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "domif-getlink", "zc-nic",
		    "52:54:00:00:00:99");
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("domif-setlink", "zc-nic", NIC_MAC, "up", "--config");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	_cleanup_free_ char *up = OK("domif-setlink", "zc-nic", NIC_MAC, "up", "--config");
	_cleanup_free_ char *glu = OK("domif-getlink", "zc-nic", NIC_MAC, "--config");
	assert_string_equal(glu, NIC_MAC " up\n\n");

	/* attach-interface builds the element virsh would. */
	_cleanup_free_ char *px = OK("attach-interface", "zc-nic", "bridge", "zcbr0", "--mac", NIC_MAC2,
				     "--model", "virtio", "--print-xml");
	assert_string_equal(px, "<interface type=\"bridge\"><mac address=\"" NIC_MAC2
				"\"/><source bridge=\"zcbr0\"/><model type=\"virtio\"/></interface>\n\n");
	_cleanup_free_ char *ai = OK("attach-interface", "zc-nic", "--type", "bridge", "--source", "zcbr0",
				     "--mac", NIC_MAC2, "--model", "virtio", "--config");
	assert_string_equal(ai, "Interface attached successfully\n\n");
	_cleanup_free_ char *il = OK("domiflist", "zc-nic");
	assert_contains(il, NIC_MAC "\n");
	assert_contains(il, NIC_MAC2 "\n");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "attach-interface", "zc-nic",
		    "ethernet", "zcbr0", "--config");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "attach-interface", "zc-nic",
		    "bridge", "--config");
	/* A MAC taken: the daemon refuses. */
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "attach-interface", "zc-nic", "bridge",
		    "zcbr0", "--mac", NIC_MAC, "--config");
	{
		_cleanup_(run_done) Run r =
			CTL_NOBODY("attach-interface", "zc-nic", "bridge", "zcbr0", "--config");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	{
		_cleanup_(run_done) Run r = CTL("detach-interface", "zc-nic", "bridge", "--config");
		expect_fail(&r, EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs");
		assert_contains(r.err, "Domain has 2 interfaces");
	}
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "detach-interface", "zc-nic",
		    "direct", "--config");
	{
		_cleanup_(run_done) Run r =
			CTL_NOBODY("detach-interface", "zc-nic", "bridge", "--mac", NIC_MAC2, "--config");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	_cleanup_free_ char *di = OK("detach-interface", "zc-nic", "bridge", "--mac", NIC_MAC2, "--config");
	assert_string_equal(di, "Interface detached successfully\n\n");
	_cleanup_free_ char *il2 = OK("domiflist", "zc-nic");
	if (strstr(il2, NIC_MAC2))
		fail_msg("the NIC is still there:\n%s", il2);

	/* Started paused: QEMU runs the disk and the tap, the guest nothing. */
	_cleanup_free_ char *st = OK("start", "zc-nic", "--paused");
	_cleanup_free_ char *bs = OK("domblkstat", "zc-nic", "vda");
	assert_stat_lines(bs, "vda", blk_keys, ELEMENTSOF(blk_keys));
	_cleanup_free_ char *bsj = OK("domblkstat", "zc-nic", "vda", "--json");
	json_object *bj = parse_json(bsj);
	assert_int_equal(json_object_get_int64(member(member(bj, "stats"), "wr_req")), 0);
	json_object_put(bj);
	{
		/* Open to every caller. */
		_cleanup_(run_done) Run r = CTL_NOBODY("domblkstat", "zc-nic", "vda");
		assert_int_equal(r.code, 0);
		assert_string_equal(r.out, bs);
	}
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "domblkstat", "zc-nic", "vdz");
	_cleanup_free_ char *bir = OK("domblkinfo", "zc-nic", "vda", "--json");
	json_object *br = parse_json(bir);
	assert_int_equal(json_object_get_int64(member(br, "capacity")), 1048576);
	json_object_put(br);

	/* domifstat by the tap's name and by the MAC: the same NIC. */
	_cleanup_free_ char *ilj = OK("domiflist", "zc-nic", "--json");
	json_object *l = parse_json(ilj);
	json_object *nic = json_object_array_get_idx(member(l, "interfaces"), 0);
	_cleanup_free_ char *tap = strdup(member_string(nic, "interface"));
	json_object_put(l);
	static const char *const net_keys[] = {"rx_bytes", "rx_packets", "rx_errs", "rx_drop",
					       "tx_bytes", "tx_packets", "tx_errs", "tx_drop"};
	_cleanup_free_ char *is = OK("domifstat", "zc-nic", tap);
	assert_stat_lines(is, tap, net_keys, ELEMENTSOF(net_keys));
	_cleanup_free_ char *isj = OK("domifstat", "zc-nic", NIC_MAC, "--json");
	json_object *ij = parse_json(isj);
	assert_string_equal(member_string(ij, "mac"), NIC_MAC);
	assert_non_null(member(member(ij, "stats"), "tx_packets"));
	json_object_put(ij);
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "domifstat", "zc-nic",
		    "vnet-nosuch");

	/* The live link: down (QEMU's set_link), the property says so, up again. */
	_cleanup_free_ char *ld = OK("domif-setlink", "zc-nic", tap, "down");
	assert_string_equal(ld, "Device updated successfully\n\n");
	_cleanup_free_ char *gd = OK("domif-getlink", "zc-nic", tap);
	_cleanup_free_ char *gd_expect = NULL;
	assert_true(asprintf(&gd_expect, "%s down\n\n", tap) > 0);
	assert_string_equal(gd, gd_expect);
	_cleanup_free_ char *live = OK("dumpxml", "zc-nic");
	assert_contains(live, "<link state='down'/>");
	_cleanup_free_ char *lu = OK("domif-setlink", "zc-nic", NIC_MAC, "up", "--json");
	json_object *u = parse_json(lu);
	assert_string_equal(member_string(u, "state"), "up");
	json_object_put(u);
	_cleanup_free_ char *gu = OK("domif-getlink", "zc-nic", NIC_MAC, "--json");
	json_object *gj = parse_json(gu);
	assert_string_equal(member_string(gj, "state"), "up");
	json_object_put(gj);

	/* detach-disk: from the definition, then live (QEMU unplugs a ccw
	 * device without the guest). */
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("detach-disk", "zc-nic", "vda", "--config");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "detach-disk", "zc-nic", "vdz",
		    "--config");
	_cleanup_free_ char *dd = OK("detach-disk", "zc-nic", "vda", "--config");
	assert_string_equal(dd, "Disk detached successfully\n\n");
	_cleanup_free_ char *inactive2 = OK("dumpxml", "zc-nic", "--inactive");
	if (strstr(inactive2, "<target dev='vda'"))
		fail_msg("vda is still in the definition:\n%s", inactive2);
	_cleanup_free_ char *dl = OK("detach-disk", "zc-nic", "vda", "--live");
	_cleanup_free_ char *bl_live = OK("domblklist", "zc-nic");
	if (strstr(bl_live, "vda"))
		fail_msg("vda still runs:\n%s", bl_live);
	_cleanup_free_ char *ds = OK("destroy", "zc-nic");
	_cleanup_free_ char *bl = OK("domblklist", "zc-nic");
	if (strstr(bl, "vda"))
		fail_msg("vda is back:\n%s", bl);
	_cleanup_free_ char *un = OK("undefine", "zc-nic");
	harness_sh("ip link delete zcbr0");
}

/* event --event device-removal-failed: the daemon told to miss QEMU's
 * DEVICE_DELETED (a guest that never lets go), a live detach-disk ends
 * with Timeout after 5 s, the disk stays, and the event says which. */
static void test_device_removal_failed(void **state)
{
	_cleanup_free_ char *disk = write_tmp("zc-rm-disk.img", "");
	_cleanup_free_ char *devices = NULL;
	assert_true(asprintf(&devices,
			     "    <disk type='file' device='disk'>\n"
			     "      <driver name='qemu' type='raw'/>\n"
			     "      <source file='%s'/>\n"
			     "      <target dev='vda' bus='virtio'/>\n"
			     "    </disk>\n",
			     disk) > 0);
	_cleanup_free_ char *xml = harness_guest_xml_devices("zc-rm", devices);
	_cleanup_free_ char *file = write_tmp("zc-rm.xml", xml);
	_cleanup_free_ char *d = OK("define", file);

	assert_int_equal(harness_stop_daemon(), 0);
	assert_int_equal(setenv("ZVIRTD_FAULT_FAIL", "detach-device-deleted", 1), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(unsetenv("ZVIRTD_FAULT_FAIL"), 0);
	_cleanup_free_ char *st = OK("start", "zc-rm", "--paused");
	{
		_cleanup_(sd_bus_flush_close_unrefp) sd_bus *mon = monitor_open(
			"type='method_call',interface='org.freedesktop.DBus',member='AddMatch'");
		Listener ev = listen_start("event-removal",
					   (const char *const[]){"event", "--domain", "zc-rm", "--event",
								 "device-removal-failed", "--timeout", "60",
								 NULL});
		monitor_wait_member(mon, "DeviceRemovalFailed");
		_cleanup_(run_done) Run r = CTL("detach-disk", "zc-rm", "vda");
		expect_fail(&r, EXIT_FAILURE_OTHER, "org.zvirt1.Error.Timeout");
		_cleanup_(run_done) Run e = listen_end(&ev, false);
		assert_int_equal(e.code, 0);
		if (strncmp(e.out, "event 'device-removal-failed' for domain 'zc-rm': vda: ", 55) != 0)
			fail_msg("not the event: %s%s", e.out, e.err);
		assert_contains(e.out, "\nevents received: 1\n");
	}
	_cleanup_free_ char *still = OK("domblklist", "zc-rm");
	assert_contains(still, " vda ");
	_cleanup_free_ char *types = OK("event", "--list");
	assert_contains(types, "device-removal-failed ");
	_cleanup_free_ char *ds = OK("destroy", "zc-rm");
	assert_int_equal(harness_restart_daemon(), 0);
	_cleanup_free_ char *un = OK("undefine", "zc-rm");
}

/* domblkstat without a target: every disk's counters summed, as virsh
 * sums them, the lines with an empty target; the guest writes to both
 * disks (the second more), then nothing moves while the sum and each
 * disk's are read. */
static void test_domblkstat_sum(void **state)
{
	_cleanup_free_ char *devices = strdup("");
	for (char t = 'a'; t <= 'b'; t++) {
		_cleanup_free_ char *img = NULL, *name = NULL, *more = NULL;
		assert_true(asprintf(&name, "zc-sum-vd%c.img", t) > 0);
		img = write_tmp(name, "");
		harness_sh("truncate -s 1M '%s'", img);
		assert_true(asprintf(&more,
				     "%s    <disk type='file' device='disk'>\n"
				     "      <driver name='qemu' type='raw'/>\n"
				     "      <source file='%s'/>\n"
				     "      <target dev='vd%c' bus='virtio'/>\n"
				     "    </disk>\n",
				     devices, img, t) > 0);
		free(devices);
		devices = TAKE_PTR(more);
	}
	_cleanup_free_ char *xml = harness_guest_xml_devices("zc-sum", devices);
	_cleanup_free_ char *path = harness_define(xml);
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "domblkstat", "zc-sum");
	harness_boot_guest(path, "zc-sum");
	static const char *const writes[] = {"blkwrite vda one", "blkwrite vdb two", "blkwrite vdb three"};
	for (size_t i = 0; i < ELEMENTSOF(writes); i++) {
		_cleanup_free_ char *out = harness_guest_command(path, writes[i], 60000);
		assert_contains(out, "wrote ");
	}

	_cleanup_free_ char *sum = OK("domblkstat", "zc-sum");
	assert_stat_lines(sum, "", blk_keys, ELEMENTSOF(blk_keys));
	_cleanup_free_ char *sj = OK("domblkstat", "zc-sum", "--json");
	_cleanup_free_ char *aj = OK("domblkstat", "zc-sum", "vda", "--json");
	_cleanup_free_ char *bj = OK("domblkstat", "zc-sum", "vdb", "--json");
	json_object *s = parse_json(sj), *a = parse_json(aj), *b = parse_json(bj);
	assert_null(member(s, "device"));
	for (size_t i = 0; i < ELEMENTSOF(blk_keys); i++) {
		int64_t vs = json_object_get_int64(member(member(s, "stats"), blk_keys[i]));
		int64_t va = json_object_get_int64(member(member(a, "stats"), blk_keys[i]));
		int64_t vb = json_object_get_int64(member(member(b, "stats"), blk_keys[i]));
		if (vs != va + vb)
			fail_msg("%s: the sum says %" PRId64 ", vda %" PRId64 " + vdb %" PRId64, blk_keys[i],
				 vs, va, vb);
	}
	/* Both disks counted, not one of them. */
	int64_t wa = json_object_get_int64(member(member(a, "stats"), "wr_req"));
	int64_t wb = json_object_get_int64(member(member(b, "stats"), "wr_req"));
	assert_true(wa > 0 && wb > wa);
	/* The text is the JSON's. */
	_cleanup_free_ char *line = NULL;
	assert_true(asprintf(&line, " wr_req %" PRId64 "\n", wa + wb) > 0);
	assert_contains(sum, line);
	json_object_put(s);
	json_object_put(a);
	json_object_put(b);
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("domblkstat", "zc-sum");
		assert_int_equal(r.code, 0);
	}
	EXPECT_FAIL(EXIT_NO_DOMAIN, "org.zvirt1.Error.NoSuchDomain", "domblkstat", "zc-nosuch");
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

int main(void)
{
	int r = harness_enter_netns();
	if (r < 0) {
		if (geteuid() != 0) {
			fprintf(stderr,
				"test-zvirtctl-host: skipped, the integration tests must run as root\n");
			return 77;
		}
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_sim),
		cmocka_unit_test(test_lscss),
		cmocka_unit_test(test_chccwdev_and_lsdasd),
		cmocka_unit_test(test_zfcp_lists),
		cmocka_unit_test(test_zfcp_unit),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_znetconf),
		cmocka_unit_test(test_guest_nic_and_disk),
		cmocka_unit_test(test_domblkstat_sum),
		cmocka_unit_test(test_device_removal_failed),
	};
	return harness_main("zvirtctl-host", tests, 0);
}
