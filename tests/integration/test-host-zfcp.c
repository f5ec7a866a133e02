/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.zvirt1.Host's SCSI devices and zfcp units against the s390 sysfs
 * simulator (tests/sysfs-sim): the seed's zfcp steps (lszfcp, unit_add,
 * lsscsi), the kernel's refusals, an NPIV port's own LUN scan, and the
 * backend's node lookup below the simulator's /dev (the daemon's
 * DevRoot= is not in this branch yet: it names nodes below /dev).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "host/scsi-device.h"

#define HOST_PATH  "/org/zvirt1/host"
#define HOST_IFACE "org.zvirt1.Host"
#define WWPN       "0x500507630513c1ae"
#define LUN        "0x402340bc00000000"
#define TAPE_WWPN  "0x5005076044840242"

/* One a{sv} of a list, every value as a string (b: "true"/"false",
 * u: decimal, as: joined with ','). */
typedef struct Entry {
	char *keys[24], *values[24];
	size_t n;
} Entry;

static void entry_done(Entry *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->keys[i]);
		free(e->values[i]);
	}
	*e = (Entry){};
}

static const char *entry_get(const Entry *e, const char *key)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->keys[i], key) == 0)
			return e->values[i];
	return NULL;
}

static char *read_variant(sd_bus_message *m)
{
	const char *contents;
	char type;
	char *out = NULL;
	assert_return_code(sd_bus_message_peek_type(m, &type, &contents), 0);
	assert_return_code(sd_bus_message_enter_container(m, 'v', contents), 0);
	if (strcmp(contents, "s") == 0) {
		const char *s;
		assert_return_code(sd_bus_message_read(m, "s", &s), 0);
		out = strdup(s);
	} else if (strcmp(contents, "b") == 0) {
		int b;
		assert_return_code(sd_bus_message_read(m, "b", &b), 0);
		out = strdup(b ? "true" : "false");
	} else if (strcmp(contents, "u") == 0) {
		uint32_t u;
		assert_return_code(sd_bus_message_read(m, "u", &u), 0);
		assert_true(asprintf(&out, "%u", u) > 0);
	} else if (strcmp(contents, "as") == 0) {
		_cleanup_strv_free_ char **v = NULL;
		assert_return_code(sd_bus_message_read_strv(m, &v), 0);
		size_t len = 1;
		for (char **p = v; p && *p; p++)
			len += strlen(*p) + 1;
		out = calloc(1, len);
		for (char **p = v; p && *p; p++) {
			if (p != v)
				strcat(out, ",");
			strcat(out, *p);
		}
	} else {
		fail_msg("unexpected variant type %s", contents);
	}
	assert_non_null(out);
	assert_return_code(sd_bus_message_exit_container(m), 0);
	return out;
}

/* The list's entries (at most max); returns how many. */
static size_t list(const char *method, Entry *out, size_t max)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(HOST_PATH, HOST_IFACE, method, "a{sv}", 0);
	size_t n = 0;
	assert_return_code(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
	while (sd_bus_message_enter_container(reply, 'a', "{sv}") > 0) {
		assert_true(n < max);
		Entry *e = &out[n++];
		*e = (Entry){};
		while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
			const char *key;
			assert_return_code(sd_bus_message_read(reply, "s", &key), 0);
			assert_true(e->n < 24);
			e->keys[e->n] = strdup(key);
			e->values[e->n++] = read_variant(reply);
			assert_return_code(sd_bus_message_exit_container(reply), 0);
		}
		assert_return_code(sd_bus_message_exit_container(reply), 0);
	}
	assert_return_code(sd_bus_message_exit_container(reply), 0);
	return n;
}

/* The entry whose key has value, copied out (entry_done it); asserting. */
static Entry find(const char *method, const char *key, const char *value)
{
	Entry all[32], found = {};
	bool seen = false;
	size_t n = list(method, all, 32);
	for (size_t i = 0; i < n; i++) {
		const char *v = entry_get(&all[i], key);
		if (!seen && v && strcmp(v, value) == 0) {
			found = all[i];
			seen = true;
		} else {
			entry_done(&all[i]);
		}
	}
	if (!seen)
		fail_msg("%s has no entry with %s=%s", method, key, value);
	return found;
}

static bool has(const char *method, const char *key, const char *value)
{
	Entry all[32];
	bool seen = false;
	size_t n = list(method, all, 32);
	for (size_t i = 0; i < n; i++) {
		const char *v = entry_get(&all[i], key);
		seen |= v && strcmp(v, value) == 0;
		entry_done(&all[i]);
	}
	return seen;
}

static bool sim_exists(const char *path)
{
	_cleanup_free_ char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", harness_sim_sysfs(), path) > 0);
	return access(p, F_OK) == 0;
}

static void start(const char *scenario)
{
	int r = harness_sim_start(scenario, NULL);
	if (r == -EOPNOTSUPP)
		skip();
	assert_return_code(r, -r);
}

/* helper A's SetCcwOnline is not in this branch: the simulator's file. */
static void set_online(const char *busid)
{
	_cleanup_free_ char *p = NULL;
	assert_true(asprintf(&p, "bus/ccw/devices/%s/online", busid) > 0);
	assert_return_code(harness_sim_write(p, "1"), 0);
}

static char *add_unit(const char *busid, const char *wwpn, const char *lun)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(HOST_PATH, HOST_IFACE, "ZfcpAddUnit", "sssa{sv}", busid, wwpn, lun, 0);
	const char *addr;
	assert_return_code(sd_bus_message_read(reply, "s", &addr), 0);
	return strdup(addr);
}

static void assert_prefix(const char *s, const char *prefix)
{
	assert_non_null(s);
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("'%s' does not begin with '%s'", s, prefix);
}

/* A node as the daemon names it: below /dev in this branch, below the
 * simulator's /dev once the daemon reads DevRoot= (either passes). */
static void assert_node(const char *got, const char *name)
{
	_cleanup_free_ char *sim = NULL, *dev = NULL;
	assert_true(asprintf(&sim, "%s/%s", harness_sim_devroot(), name) > 0);
	assert_true(asprintf(&dev, "/dev/%s", name) > 0);
	assert_non_null(got);
	if (strncmp(got, sim, strlen(sim)) != 0 && strncmp(got, dev, strlen(dev)) != 0)
		fail_msg("'%s' is not %s... below /dev or %s", got, name, harness_sim_devroot());
}

/* The seed: lszfcp, chccwdev -e, unit_add, lsscsi. */
static void test_seed_disk(void **state)
{
	(void)state;
	start("seed.ini");
	Entry z = find("ListZfcpDevices", "busid", "0.0.1700");
	assert_string_equal(entry_get(&z, "online"), "false");
	assert_string_equal(entry_get(&z, "ports"), "");
	entry_done(&z);
	/* Offline: no port to add a unit to. */
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), HOST_PATH, HOST_IFACE, "ZfcpAddUnit",
			     "sssa{sv}", "0.0.1700", WWPN, LUN, 0);
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), HOST_PATH, HOST_IFACE, "ZfcpPortRescan",
			     "sa{sv}", "0.0.1700", 0);

	set_online("0.0.1700");
	z = find("ListZfcpDevices", "busid", "0.0.1700");
	assert_string_equal(entry_get(&z, "online"), "true");
	assert_string_equal(entry_get(&z, "npiv"), "false");
	assert_string_equal(entry_get(&z, "auto-lun-scan"), "false");
	assert_string_equal(entry_get(&z, "ports"), WWPN);
	assert_string_equal(entry_get(&z, "scsi-host"), "host2");
	entry_done(&z);
	sd_bus_message_unref(harness_call(HOST_PATH, HOST_IFACE, "ZfcpPortRescan", "sa{sv}", "0.0.1700", 0));

	_cleanup_free_ char *addr = add_unit("0.0.1700", WWPN, LUN);
	assert_string_equal(addr, "2:0:17:1086079011");
	Entry d = find("ListScsiDevices", "address", addr);
	assert_string_equal(entry_get(&d, "type"), "disk");
	assert_string_equal(entry_get(&d, "type-number"), "0");
	assert_string_equal(entry_get(&d, "vendor"), "IBM");
	assert_string_equal(entry_get(&d, "model"), "2107900");
	assert_string_equal(entry_get(&d, "rev"), ".5.7");
	assert_node(entry_get(&d, "node"), "sd");
	assert_node(entry_get(&d, "sg"), "sg");
	assert_string_equal(entry_get(&d, "wwid"), "naa.6005076305ffc1ae00000000000023bc");
	assert_string_equal(entry_get(&d, "scsi-id"), "36005076305ffc1ae00000000000023bc");
	/* With DevRoot= at the simulator's /dev, its udev links are found. */
	const char *sim_dev = harness_sim_devroot();
	if (strncmp(entry_get(&d, "node"), sim_dev, strlen(sim_dev)) == 0) {
		_cleanup_free_ char *mp = NULL;
		assert_true(asprintf(&mp, "%s/mapper/36005076305ffc1ae00000000000023bc", sim_dev) > 0);
		assert_non_null(entry_get(&d, "multipath"));
		assert_string_equal(entry_get(&d, "multipath"), mp);
		assert_non_null(entry_get(&d, "by-id"));
	}
	assert_string_equal(entry_get(&d, "adapter"), "scsi_host2");
	assert_string_equal(entry_get(&d, "hba-id"), "0.0.1700");
	assert_string_equal(entry_get(&d, "wwpn"), WWPN);
	assert_string_equal(entry_get(&d, "fcp-lun"), LUN);
	entry_done(&d);

	/* The nodes below the simulator's /dev, as DevRoot= will give them. */
	HostScsiDeviceList l = {};
	ZvError err = ZV_ERROR_INIT;
	assert_return_code(host_scsi_device_list(harness_sim_sysfs(), harness_sim_devroot(), &l, &err), 0);
	assert_int_equal(l.n, 1);
	_cleanup_free_ char *mapper = NULL, *byid = NULL, *node = NULL;
	assert_true(asprintf(&mapper, "%s/mapper/36005076305ffc1ae00000000000023bc", harness_sim_devroot()) >
		    0);
	assert_true(asprintf(&byid, "%s/disk/by-id/scsi-36005076305ffc1ae00000000000023bc",
			     harness_sim_devroot()) > 0);
	assert_string_equal(l.devices[0].multipath, mapper);
	assert_string_equal(l.devices[0].by_id, byid);
	assert_true(asprintf(&node, "%s/sd", harness_sim_devroot()) > 0);
	assert_prefix(l.devices[0].node, node);
	assert_return_code(access(l.devices[0].node, F_OK), errno);
	assert_return_code(access(l.devices[0].sg, F_OK), errno);
	host_scsi_device_list_done(&l);

	/* unit_add twice: the kernel's EEXIST. */
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), HOST_PATH, HOST_IFACE, "ZfcpAddUnit",
			     "sssa{sv}", "0.0.1700", WWPN, LUN, 0);

	sd_bus_message_unref(
		harness_call(HOST_PATH, HOST_IFACE, "ZfcpRemoveUnit", "sssa{sv}", "0.0.1700", WWPN, LUN, 0));
	assert_false(has("ListScsiDevices", "address", "2:0:17:1086079011"));
	/* No such unit any more: the kernel's EINVAL. */
	harness_expect_error(ZVIRT_ERROR("NoSuchDevice"), HOST_PATH, HOST_IFACE, "ZfcpRemoveUnit",
			     "sssa{sv}", "0.0.1700", WWPN, LUN, 0);
}

/* A LUN the fabric does not have: its unit comes, its SCSI device
 * never; the call says so in time and the unit stays. */
static void test_timeout(void **state)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	(void)state;
	start("seed.ini");
	set_online("0.0.1700");
	int r = harness_call_full(harness_bus(), &error, NULL, HOST_PATH, HOST_IFACE, "ZfcpAddUnit",
				  "sssa{sv}", "0.0.1700", WWPN, "0x4023400000000000", 1, "timeout-ms", "u",
				  300);
	assert_true(r < 0);
	assert_string_equal(error.name, ZVIRT_ERROR("Timeout"));
	assert_non_null(strstr(error.message, "0x4023400000000000"));
	assert_non_null(strstr(error.message, "stays"));
	sd_bus_error_free(&error);
	assert_true(sim_exists("bus/ccw/devices/0.0.1700/" WWPN "/0x4023400000000000"));
	/* The unit is there: a second add is the kernel's EEXIST. */
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), HOST_PATH, HOST_IFACE, "ZfcpAddUnit",
			     "sssa{sv}", "0.0.1700", WWPN, "0x4023400000000000", 0);
	sd_bus_message_unref(harness_call(HOST_PATH, HOST_IFACE, "ZfcpRemoveUnit", "sssa{sv}", "0.0.1700",
					  WWPN, "0x4023400000000000", 0));
	/* A port the device does not have. */
	harness_expect_error(ZVIRT_ERROR("NoSuchDevice"), HOST_PATH, HOST_IFACE, "ZfcpAddUnit", "sssa{sv}",
			     "0.0.1700", "0x500507630513c1af", LUN, 0);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	char **name = userdata;
	(void)error;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	*name = strdup(e ? e->name : "ok");
	return 0;
}

/* While one ZfcpAddUnit waits for its SCSI device, the daemon answers
 * other calls, and another unit comes and is returned. */
static void test_wait_does_not_block(void **state)
{
	_cleanup_free_ char *name = NULL;
	sd_bus_slot *slot = NULL;
	sd_bus *bus = harness_bus();
	(void)state;
	start("seed.ini");
	set_online("0.0.1700");
	uint64_t t0 = now_ms();
	assert_return_code(sd_bus_call_method_async(bus, &slot, "org.zvirt1", HOST_PATH, HOST_IFACE,
						    "ZfcpAddUnit", on_reply, &name, "sssa{sv}", "0.0.1700",
						    WWPN, "0x4023400000000000", 1, "timeout-ms", "u", 2000),
			   0);
	/* The store has run once a list shows its unit. */
	while (!sim_exists("bus/ccw/devices/0.0.1700/" WWPN "/0x4023400000000000"))
		assert_true(usleep(10 * 1000) == 0 && now_ms() - t0 < 1500);
	uint64_t t1 = now_ms();
	Entry all[32];
	size_t n = list("ListScsiDevices", all, 32);
	for (size_t i = 0; i < n; i++)
		entry_done(&all[i]);
	_cleanup_free_ char *addr = add_unit("0.0.1700", WWPN, LUN);
	assert_string_equal(addr, "2:0:17:1086079011");
	assert_true(now_ms() - t1 < 1500);
	assert_null(name);
	while (!name) {
		assert_return_code(sd_bus_process(bus, NULL), 0);
		if (!name)
			assert_return_code(sd_bus_wait(bus, 100 * 1000), 0);
		assert_true(now_ms() - t0 < 10000);
	}
	assert_string_equal(name, ZVIRT_ERROR("Timeout"));
	assert_true(now_ms() - t0 >= 2000);
	sd_bus_slot_unref(slot);
}

/* The daemon stops while a ZfcpAddUnit waits: the call is answered
 * (Cancelled, or the connection's end), and nothing is left behind
 * (the sanitizer's leak check at the daemon's exit). */
static void test_stop_while_waiting(void **state)
{
	_cleanup_free_ char *name = NULL;
	sd_bus_slot *slot = NULL;
	sd_bus *bus = harness_bus();
	(void)state;
	start("seed.ini");
	set_online("0.0.1700");
	assert_return_code(sd_bus_call_method_async(bus, &slot, "org.zvirt1", HOST_PATH, HOST_IFACE,
						    "ZfcpAddUnit", on_reply, &name, "sssa{sv}", "0.0.1700",
						    WWPN, "0x4023400000000000", 1, "timeout-ms", "u", 60000),
			   0);
	uint64_t t0 = now_ms();
	while (!sim_exists("bus/ccw/devices/0.0.1700/" WWPN "/0x4023400000000000"))
		assert_true(usleep(10 * 1000) == 0 && now_ms() - t0 < 1500);
	assert_return_code(harness_stop_daemon(), 0);
	assert_int_equal(harness_daemon_exit_status(), 0);
	while (!name) {
		assert_return_code(sd_bus_process(bus, NULL), 0);
		if (!name)
			assert_return_code(sd_bus_wait(bus, 100 * 1000), 0);
		assert_true(now_ms() - t0 < 10000);
	}
	if (strcmp(name, ZVIRT_ERROR("Cancelled")) != 0 &&
	    strcmp(name, "org.freedesktop.DBus.Error.NoReply") != 0)
		fail_msg("the waiting call got %s", name);
	sd_bus_slot_unref(slot);
	assert_return_code(harness_start_daemon(), 0);
}

/* busctl's output of one call, its newline cut; asserting success. */
static char *busctl(const char *args)
{
	_cleanup_free_ char *cmd = NULL;
	char buf[8192];
	assert_true(asprintf(&cmd, "busctl --system call org.zvirt1 " HOST_PATH " " HOST_IFACE " %s", args) >
		    0);
	FILE *f = popen(cmd, "re");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	if (pclose(f) != 0)
		fail_msg("'%s' failed", cmd);
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return strdup(buf);
}

/* The README's busctl lines, as they are written there. */
static void test_readme_busctl(void **state)
{
	(void)state;
	start("seed.ini");
	set_online("0.0.1700");
	free(busctl("ZfcpPortRescan 'sa{sv}' 0.0.1700 0"));
	_cleanup_free_ char *zfcp = busctl("ListZfcpDevices 'a{sv}' 0");
	assert_non_null(strstr(zfcp, "\"ports\" as 1 \"" WWPN "\""));
	_cleanup_free_ char *addr = busctl("ZfcpAddUnit 'sssa{sv}' 0.0.1700 " WWPN " " LUN " 0");
	assert_string_equal(addr, "s \"2:0:17:1086079011\"");
	_cleanup_free_ char *scsi = busctl("ListScsiDevices 'a{sv}' 0");
	assert_non_null(strstr(scsi, "\"scsi-id\" s \"36005076305ffc1ae00000000000023bc\""));
}

/* The tape and changer of 0.0.1cc8 (lsscsi -g). */
static void test_tape_changer(void **state)
{
	(void)state;
	start("seed.ini");
	set_online("0.0.1cc8");
	_cleanup_free_ char *tape = add_unit("0.0.1cc8", TAPE_WWPN, "0x0000000000000000");
	_cleanup_free_ char *changer = add_unit("0.0.1cc8", TAPE_WWPN, "0x0001000000000000");
	assert_string_equal(tape, "1:0:2:0");
	assert_string_equal(changer, "1:0:2:1");
	Entry t = find("ListScsiDevices", "address", "1:0:2:0");
	assert_string_equal(entry_get(&t, "type"), "tape");
	assert_node(entry_get(&t, "node"), "st0");
	assert_node(entry_get(&t, "sg"), "sg");
	assert_string_equal(entry_get(&t, "model"), "03592E08");
	assert_string_equal(entry_get(&t, "adapter"), "scsi_host1");
	entry_done(&t);
	Entry c = find("ListScsiDevices", "address", "1:0:2:1");
	assert_string_equal(entry_get(&c, "type"), "changer");
	assert_string_equal(entry_get(&c, "type-number"), "8");
	assert_node(entry_get(&c, "node"), "sch0");
	assert_node(entry_get(&c, "sg"), "sg");
	assert_null(entry_get(&c, "multipath"));
	entry_done(&c);
}

/* NPIV: the LUNs come by themselves. */
static void test_npiv(void **state)
{
	(void)state;
	start("npiv.ini");
	set_online("0.0.1900");
	Entry z = find("ListZfcpDevices", "busid", "0.0.1900");
	assert_string_equal(entry_get(&z, "npiv"), "true");
	assert_string_equal(entry_get(&z, "auto-lun-scan"), "true");
	entry_done(&z);
	/* The scan takes the simulator 200 ms. */
	for (int i = 0; i < 100 && !has("ListScsiDevices", "fcp-lun", "0x4010401200000000"); i++)
		usleep(50 * 1000);
	Entry a = find("ListScsiDevices", "fcp-lun", "0x4010401100000000");
	assert_string_equal(entry_get(&a, "hba-id"), "0.0.1900");
	assert_string_equal(entry_get(&a, "type"), "disk");
	entry_done(&a);
	Entry b = find("ListScsiDevices", "fcp-lun", "0x4010401200000000");
	assert_string_equal(entry_get(&b, "wwid"), "naa.6005076305ffc1ae0000000000001012");
	entry_done(&b);
}

static void test_bad_arguments(void **state)
{
	const char *ia = ZVIRT_ERROR("InvalidArgument");
	(void)state;
	start("seed.ini");
	set_online("0.0.1700");
	const char *bad_ids[] = {"0.0.170",  "0.0.1700/", "0.0.17000", "0.0.17G0",
				 "0.0.1A00", "../1700",   "0.4.1700",  ""};
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		harness_expect_error(ia, HOST_PATH, HOST_IFACE, "ZfcpAddUnit", "sssa{sv}", bad_ids[i], WWPN,
				     LUN, 0);
		harness_expect_error(ia, HOST_PATH, HOST_IFACE, "ZfcpPortRescan", "sa{sv}", bad_ids[i], 0);
	}
	const char *bad_hex[] = {"500507630513c1ae",    "0x500507630513C1AE", "0x500507630513c1a",
				 "0x500507630513c1ae0", "0x500507630513c1ag", "0X500507630513c1ae",
				 "0x/../0513c1ae0000"};
	for (size_t i = 0; i < sizeof(bad_hex) / sizeof(bad_hex[0]); i++) {
		harness_expect_error(ia, HOST_PATH, HOST_IFACE, "ZfcpAddUnit", "sssa{sv}", "0.0.1700",
				     bad_hex[i], LUN, 0);
		harness_expect_error(ia, HOST_PATH, HOST_IFACE, "ZfcpAddUnit", "sssa{sv}", "0.0.1700", WWPN,
				     bad_hex[i], 0);
		harness_expect_error(ia, HOST_PATH, HOST_IFACE, "ZfcpRemoveUnit", "sssa{sv}", "0.0.1700",
				     WWPN, bad_hex[i], 0);
	}
	harness_expect_error(ia, HOST_PATH, HOST_IFACE, "ZfcpAddUnit", "sssa{sv}", "0.0.1700", WWPN, LUN, 1,
			     "timeout-ms", "u", 0);
	/* Well formed, but no such device, or not an FCP device (a DASD). */
	harness_expect_error(ZVIRT_ERROR("NoSuchDevice"), HOST_PATH, HOST_IFACE, "ZfcpAddUnit", "sssa{sv}",
			     "0.0.1701", WWPN, LUN, 0);
	harness_expect_error(ZVIRT_ERROR("NoSuchDevice"), HOST_PATH, HOST_IFACE, "ZfcpPortRescan", "sa{sv}",
			     "0.0.7500", 0);
	assert_false(has("ListScsiDevices", "hba-id", "0.0.1700"));
}

static void test_nobody_refused(void **state)
{
	const char *na = ZVIRT_ERROR("NotAuthorized");
	(void)state;
	start("seed.ini");
	set_online("0.0.1700");
	harness_nobody_expect_error(na, HOST_PATH, HOST_IFACE, "ZfcpAddUnit", "sssa{sv}", "0.0.1700", WWPN,
				    LUN, 0);
	harness_nobody_expect_error(na, HOST_PATH, HOST_IFACE, "ZfcpRemoveUnit", "sssa{sv}", "0.0.1700",
				    WWPN, LUN, 0);
	harness_nobody_expect_error(na, HOST_PATH, HOST_IFACE, "ZfcpPortRescan", "sa{sv}", "0.0.1700", 0);
	assert_false(sim_exists("bus/ccw/devices/0.0.1700/" WWPN "/" LUN));
	/* Reading is open to everyone. */
	free(harness_nobody_call(HOST_PATH, HOST_IFACE, "ListZfcpDevices", "a{sv}", 0));
	free(harness_nobody_call(HOST_PATH, HOST_IFACE, "ListScsiDevices", "a{sv}", 0));
}

/* A failed test leaves the simulator running: stop it for the next. */
static int sim_teardown(void **state)
{
	(void)state;
	harness_sim_stop();
	return 0;
}

int main(void)
{
	int r = harness_enter_netns();
	if (r < 0) {
		if (geteuid() != 0) {
			fprintf(stderr, "test-host-zfcp: skipped, the integration tests must run as root\n");
			return 77;
		}
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_seed_disk, sim_teardown),
		cmocka_unit_test_teardown(test_timeout, sim_teardown),
		cmocka_unit_test_teardown(test_wait_does_not_block, sim_teardown),
		cmocka_unit_test_teardown(test_readme_busctl, sim_teardown),
		cmocka_unit_test_teardown(test_stop_while_waiting, sim_teardown),
		cmocka_unit_test_teardown(test_tape_changer, sim_teardown),
		cmocka_unit_test_teardown(test_npiv, sim_teardown),
		cmocka_unit_test_teardown(test_bad_arguments, sim_teardown),
		cmocka_unit_test_teardown(test_nobody_refused, sim_teardown),
	};
	return harness_main("test-host-zfcp", tests, 0);
}
