/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.zvirt1.Host's OSA/qeth calls (what znetconf does) against the s390
 * sysfs simulator with the seed's devices (seed.ini: OSA 0.0.8050-8052):
 * the seed's "Preparing network devices" steps over D-Bus, each result
 * checked in the D-Bus answer and in the simulator's sysfs.
 *
 * The simulator cannot make real network devices: the qeth interface
 * exists in its sysfs only, and ListNetworkLinks lists rtnetlink's links,
 * so its kind "qeth" is not checked here. (A stand-in veth of that name
 * is no help: its rtnetlink kind "veth" rightly wins over sysfs, and
 * this kernel has no driver whose links have no kind, such as
 * netdevsim.)
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define HOST_PATH  "/org/zvirt1/host"
#define HOST_IFACE "org.zvirt1.Host"
#define OSA        "0.0.8050"
#define OSA_IF     "enccw0.0.8050"
#define Q          "bus/ccwgroup/devices/0.0.8050/"

typedef struct Qeth {
	char *id, *cdevs, *card_type, *chpid, *driver, *state, *bridge_role, *bridge_state, *if_name;
	bool configured, online, layer2, has_online;
	uint32_t buffer_count;
} Qeth;

static void qeth_done(Qeth *q)
{
	free(q->id);
	free(q->cdevs);
	free(q->card_type);
	free(q->chpid);
	free(q->driver);
	free(q->state);
	free(q->bridge_role);
	free(q->bridge_state);
	free(q->if_name);
	*q = (Qeth){};
}

static bool sim_ok;

static void need_sim(void)
{
	if (!sim_ok)
		skip();
}

static void read_qeth(sd_bus_message *reply, Qeth *q)
{
	int r;
	assert_return_code(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key, *s;
		int b;
		assert_return_code(sd_bus_message_read(reply, "s", &key), 0);
		char **str = strcmp(key, "id") == 0             ? &q->id
			     : strcmp(key, "card_type") == 0    ? &q->card_type
			     : strcmp(key, "chpid") == 0        ? &q->chpid
			     : strcmp(key, "driver") == 0       ? &q->driver
			     : strcmp(key, "state") == 0        ? &q->state
			     : strcmp(key, "bridge_role") == 0  ? &q->bridge_role
			     : strcmp(key, "bridge_state") == 0 ? &q->bridge_state
			     : strcmp(key, "if_name") == 0      ? &q->if_name
								: NULL;
		bool *flag = strcmp(key, "configured") == 0 ? &q->configured
			     : strcmp(key, "online") == 0   ? &q->online
			     : strcmp(key, "layer2") == 0   ? &q->layer2
							    : NULL;
		if (str) {
			assert_return_code(sd_bus_message_read(reply, "v", "s", &s), 0);
			*str = strdup(s);
		} else if (flag) {
			assert_return_code(sd_bus_message_read(reply, "v", "b", &b), 0);
			*flag = b;
			if (flag == &q->online)
				q->has_online = true;
		} else if (strcmp(key, "buffer_count") == 0) {
			assert_return_code(sd_bus_message_read(reply, "v", "u", &q->buffer_count), 0);
		} else if (strcmp(key, "cdevs") == 0) {
			_cleanup_strv_free_ char **v = NULL;
			assert_return_code(sd_bus_message_enter_container(reply, 'v', "as"), 0);
			assert_return_code(sd_bus_message_read_strv(reply, &v), 0);
			assert_return_code(sd_bus_message_exit_container(reply), 0);
			assert_non_null(v);
			assert_non_null(v[0]);
			assert_non_null(v[1]);
			assert_non_null(v[2]);
			assert_null(v[3]);
			assert_true(asprintf(&q->cdevs, "%s,%s,%s", v[0], v[1], v[2]) > 0);
		} else
			fail_msg("ListQethDevices: unknown key '%s'", key);
		assert_return_code(sd_bus_message_exit_container(reply), 0);
	}
	assert_return_code(r, 0);
	assert_return_code(sd_bus_message_exit_container(reply), 0);
}

/* The entry whose id is id in ListQethDevices; false when there is none.
 * *n_entries: how many entries name a device of the OSA port at all. */
static bool find_qeth(const char *id, Qeth *ret, size_t *n_entries)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(HOST_PATH, HOST_IFACE, "ListQethDevices", "a{sv}", 0);
	bool found = false;
	size_t n = 0;
	int r;
	assert_return_code(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
	while ((r = sd_bus_message_at_end(reply, false)) == 0) {
		Qeth q = {};
		read_qeth(reply, &q);
		assert_non_null(q.id);
		assert_non_null(q.cdevs);
		if (strstr(q.cdevs, "0.0.805"))
			n++;
		if (!found && strcmp(q.id, id) == 0) {
			*ret = q;
			found = true;
		} else
			qeth_done(&q);
	}
	assert_return_code(r, 0);
	if (n_entries)
		*n_entries = n;
	return found;
}

static bool sim_exists(const char *path)
{
	_cleanup_free_ char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", harness_sim_sysfs(), path) > 0);
	return access(p, F_OK) == 0;
}

static void expect_sim(const char *path, const char *value)
{
	_cleanup_free_ char *v = harness_sim_read(path);
	if (strcmp(v, value) != 0)
		fail_msg("%s is '%s', not '%s'", path, v, value);
}

/* Asserting: the call fails with error_name and a message holding part. */
static void expect_error_msg(const char *error_name, const char *part, const char *method, const char *types,
			     ...)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	va_list ap;
	va_start(ap, types);
	int r = harness_call_fullv(harness_bus(), &error, NULL, HOST_PATH, HOST_IFACE, method, types, ap);
	va_end(ap);
	if (r >= 0)
		fail_msg("%s succeeded; expected %s", method, error_name);
	if (!sd_bus_error_has_name(&error, error_name))
		fail_msg("%s: %s (%s), expected %s", method, error.name, error.message, error_name);
	if (part && !strstr(error.message, part))
		fail_msg("%s: the message '%s' does not say '%s'", method, error.message, part);
	print_message("%s: %s\n", method, error.message);
	sd_bus_error_free(&error);
}

/* Asserting: the OSA port is three free devices, as before any group. */
static void expect_unconfigured(void)
{
	Qeth q = {};
	size_t n;
	if (!find_qeth(OSA, &q, &n))
		fail_msg("ListQethDevices has no %s", OSA);
	assert_false(q.configured);
	assert_false(q.has_online);
	assert_int_equal(n, 1);
	qeth_done(&q);
	assert_false(sim_exists(Q));
	for (int i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof(p), "bus/ccw/devices/0.0.805%d/group_device", i);
		assert_false(sim_exists(p));
	}
}

static void test_start(void **state)
{
	int r = harness_sim_start("seed.ini", NULL);
	if (r == -EOPNOTSUPP)
		skip();
	assert_return_code(r, -r);
	sim_ok = true;
}

/* znetconf -u: 0.0.8050,0.0.8051,0.0.8052 1731/01 OSA (QDIO) 90 qeth. */
static void test_list_unconfigured(void **state)
{
	need_sim();
	Qeth q = {};
	size_t n;
	if (!find_qeth(OSA, &q, &n))
		fail_msg("ListQethDevices has no %s", OSA);
	assert_false(q.configured);
	assert_string_equal(q.cdevs, "0.0.8050,0.0.8051,0.0.8052");
	assert_string_equal(q.card_type, "OSA (QDIO)");
	assert_string_equal(q.chpid, "90");
	assert_string_equal(q.driver, "qeth");
	assert_int_equal(n, 1); /* one triplet, not one entry per ccw device */
	qeth_done(&q);
	/* The DASDs and FCP devices are no qeth devices. */
	assert_false(find_qeth("0.0.7500", &q, NULL));
	assert_false(find_qeth("0.0.1700", &q, NULL));
	/* Reading is open to everyone. */
	_cleanup_free_ char *out = harness_nobody_call(HOST_PATH, HOST_IFACE, "ListQethDevices", "a{sv}", 0);
	assert_non_null(strstr(out, OSA));
}

/* Refused calls change nothing. */
static void test_bad_options(void **state)
{
	need_sim();
	const char *ia = ZVIRT_ERROR("InvalidArgument");
	expect_error_msg(ia, "buffer_count", "GroupQeth", "asa{sv}", 1, OSA, 1, "buffer_count", "u", 200);
	expect_error_msg(ia, "buffer_count", "GroupQeth", "asa{sv}", 1, OSA, 1, "buffer_count", "u", 4);
	expect_error_msg(ia, "bridge_role", "GroupQeth", "asa{sv}", 1, OSA, 1, "bridge_role", "s", "boss");
	expect_error_msg(ia, NULL, "GroupQeth", "asa{sv}", 1, OSA, 1, "portname", "s", "x");
	expect_error_msg(ia, NULL, "GroupQeth", "asa{sv}", 1, OSA, 1, "layer2", "u", 1);
	expect_error_msg(ia, "bus id", "GroupQeth", "asa{sv}", 1, "0.0.805G", 0);
	expect_error_msg(ia, "bus id", "GroupQeth", "asa{sv}", 1, "../../x", 0);
	expect_error_msg(ia, "bus id", "GroupQeth", "asa{sv}", 1, "0.0.8050/", 0);
	expect_error_msg(ia, "2 given", "GroupQeth", "asa{sv}", 2, OSA, "0.0.8051", 0);
	expect_error_msg(ia, "0 given", "GroupQeth", "asa{sv}", 0, 0);
	/* The kernel refuses a group of devices that are not three OSA
	 * devices (EINVAL). */
	expect_error_msg(ia, "the kernel refused", "GroupQeth", "asa{sv}", 3, OSA, "0.0.8051", "0.0.7500",
			 0);
	/* A read device that starts no free triplet. */
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), NULL, "GroupQeth", "asa{sv}", 1, "0.0.9999", 0);
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), "read device", "GroupQeth", "asa{sv}", 1, "0.0.8051",
			 0);
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), NULL, "GroupQeth", "asa{sv}", 3, "0.0.9997",
			 "0.0.9998", "0.0.9999", 0);
	expect_unconfigured();

	/* Half way: grouped, then the kernel refuses a bridge port without
	 * layer2 (EOPNOTSUPP); the group is undone. */
	expect_error_msg(ZVIRT_ERROR("OperationInvalid"), "layer2", "GroupQeth", "asa{sv}", 1, OSA, 2,
			 "buffer_count", "u", 32, "bridge_role", "s", "primary");
	expect_unconfigured();
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), NULL, "SetQethOnline", "sba{sv}", OSA, 1, 0);
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), NULL, "UngroupQeth", "sa{sv}", OSA, 0);
	expect_error_msg(ia, "bus id", "UngroupQeth", "sa{sv}", "0.0.80/0", 0);
	expect_error_msg(ia, "bus id", "SetQethOnline", "sba{sv}", "0.0.8O50", 1, 0);
}

static void test_nobody_refused(void **state)
{
	need_sim();
	const char *na = ZVIRT_ERROR("NotAuthorized");
	harness_nobody_expect_error(na, HOST_PATH, HOST_IFACE, "GroupQeth", "asa{sv}", 1, OSA, 1, "layer2",
				    "b", 1);
	harness_nobody_expect_error(na, HOST_PATH, HOST_IFACE, "SetQethOnline", "sba{sv}", OSA, 1, 0);
	harness_nobody_expect_error(na, HOST_PATH, HOST_IFACE, "UngroupQeth", "sa{sv}", OSA, 0);
	expect_unconfigured();
}

/* znetconf -a 0.0.8050 -o layer2=1 -o buffer_count=128 -o bridge_role=primary. */
static void test_group(void **state)
{
	need_sim();
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(HOST_PATH, HOST_IFACE, "GroupQeth", "asa{sv}", 1, OSA, 3, "layer2", "b", 1,
			     "buffer_count", "u", 128, "bridge_role", "s", "primary");
	const char *ifname;
	assert_return_code(sd_bus_message_read(reply, "s", &ifname), 0);
	assert_string_equal(ifname, OSA_IF);

	expect_sim(Q "online", "1");
	expect_sim(Q "layer2", "1");
	expect_sim(Q "buffer_count", "128");
	expect_sim(Q "bridge_role", "primary");
	expect_sim(Q "bridge_state", "active");
	expect_sim(Q "if_name", OSA_IF);
	expect_sim("bus/ccw/devices/0.0.8052/online", "1");
	assert_true(sim_exists("class/net/" OSA_IF));

	/* znetconf -c. */
	Qeth q = {};
	size_t n;
	if (!find_qeth(OSA, &q, &n))
		fail_msg("ListQethDevices has no %s", OSA);
	assert_true(q.configured);
	assert_int_equal(n, 1); /* not listed as unconfigured too */
	assert_string_equal(q.cdevs, "0.0.8050,0.0.8051,0.0.8052");
	assert_string_equal(q.card_type, "OSD_1000");
	assert_string_equal(q.chpid, "90");
	assert_string_equal(q.driver, "qeth");
	assert_true(q.online);
	assert_true(q.layer2);
	assert_int_equal(q.buffer_count, 128);
	assert_string_equal(q.bridge_role, "primary");
	assert_string_equal(q.bridge_state, "active");
	assert_string_equal(q.if_name, OSA_IF);
	assert_non_null(strstr(q.state, "UP"));
	qeth_done(&q);
}

static void test_already_grouped(void **state)
{
	need_sim();
	const char *oi = ZVIRT_ERROR("OperationInvalid");
	expect_error_msg(oi, "already in the qeth device 0.0.8050", "GroupQeth", "asa{sv}", 1, OSA, 0);
	expect_error_msg(oi, "already", "GroupQeth", "asa{sv}", 3, OSA, "0.0.8051", "0.0.8052", 0);
	expect_error_msg(oi, "already", "GroupQeth", "asa{sv}", 1, "0.0.8052", 0);
	expect_sim(Q "online", "1");
	expect_sim(Q "buffer_count", "128");
}

static void test_online(void **state)
{
	need_sim();
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *off =
		harness_call(HOST_PATH, HOST_IFACE, "SetQethOnline", "sba{sv}", OSA, 0, 0);
	expect_sim(Q "online", "0");
	expect_sim(Q "if_name", "");
	expect_sim(Q "bridge_state", "inactive");
	expect_sim("bus/ccw/devices/0.0.8051/online", "0");
	assert_false(sim_exists("class/net/" OSA_IF));
	Qeth q = {};
	assert_true(find_qeth(OSA, &q, NULL));
	assert_true(q.configured);
	assert_false(q.online);
	qeth_done(&q);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *on =
		harness_call(HOST_PATH, HOST_IFACE, "SetQethOnline", "sba{sv}", OSA, 1, 0);
	expect_sim(Q "online", "1");
	expect_sim(Q "if_name", OSA_IF);
	expect_sim(Q "bridge_state", "active");
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), NULL, "SetQethOnline", "sba{sv}", "0.0.9999", 1, 0);
	/* A ccw device in the group is not the group. */
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), NULL, "SetQethOnline", "sba{sv}", "0.0.8051", 1, 0);
}

/* znetconf -r: offline first, then ungrouped; listed as free again. */
static void test_ungroup(void **state)
{
	need_sim();
	expect_sim(Q "online", "1");
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(HOST_PATH, HOST_IFACE, "UngroupQeth", "sa{sv}", OSA, 0);
	expect_unconfigured();
	expect_sim("bus/ccw/devices/0.0.8050/online", "0");
	assert_false(sim_exists("class/net/" OSA_IF));
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), NULL, "UngroupQeth", "sa{sv}", OSA, 0);
}

/* Option online false: grouped and set up, left offline; "" back. */
static void test_group_offline(void **state)
{
	need_sim();
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(HOST_PATH, HOST_IFACE, "GroupQeth", "asa{sv}", 3, OSA, "0.0.8051", "0.0.8052",
			     2, "layer2", "b", 1, "online", "b", 0);
	const char *ifname;
	assert_return_code(sd_bus_message_read(reply, "s", &ifname), 0);
	assert_string_equal(ifname, "");
	expect_sim(Q "online", "0");
	expect_sim(Q "layer2", "1");
	expect_sim(Q "buffer_count", "64");
	expect_sim(Q "bridge_role", "none");
	Qeth q = {};
	assert_true(find_qeth(OSA, &q, NULL));
	assert_true(q.configured);
	assert_false(q.online);
	assert_string_equal(q.if_name, "");
	qeth_done(&q);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *un =
		harness_call(HOST_PATH, HOST_IFACE, "UngroupQeth", "sa{sv}", OSA, 0);
	expect_unconfigured();
}

/* A card whose online fails (ENODEV: a device without a path): the
 * error says so and the half-made group is gone again. Its own
 * scenario, so last. */
static void test_online_fails(void **state)
{
	need_sim();
	_cleanup_free_ char *ini = NULL;
	assert_true(asprintf(&ini, "%s/qeth-no-path.ini", harness_tmpdir()) > 0);
	harness_write_file(ini, "[osa 0.0.8060]\nnot_operational = yes\ndevices = 3\n");
	harness_sim_stop();
	sim_ok = false;
	int r = harness_sim_start(ini, NULL);
	assert_return_code(r, -r);
	sim_ok = true;
	Qeth q = {};
	assert_true(find_qeth("0.0.8060", &q, NULL));
	assert_false(q.configured);
	qeth_done(&q);
	expect_error_msg(ZVIRT_ERROR("HostError"), "not operational", "GroupQeth", "asa{sv}", 1, "0.0.8060",
			 1, "layer2", "b", 1);
	assert_false(sim_exists("bus/ccwgroup/devices/0.0.8060"));
	assert_false(sim_exists("bus/ccw/devices/0.0.8060/group_device"));
	assert_true(find_qeth("0.0.8060", &q, NULL));
	assert_false(q.configured);
	qeth_done(&q);
}

int main(void)
{
	/* Before the harness starts anything: the simulator's uevents
	 * stay in this network namespace. */
	if (harness_enter_netns() < 0) {
		if (geteuid() != 0) {
			fprintf(stderr, "test-host-qeth: skipped, the integration tests must run as root\n");
			return 77;
		}
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start),         cmocka_unit_test(test_list_unconfigured),
		cmocka_unit_test(test_bad_options),   cmocka_unit_test(test_nobody_refused),
		cmocka_unit_test(test_group),         cmocka_unit_test(test_already_grouped),
		cmocka_unit_test(test_online),        cmocka_unit_test(test_ungroup),
		cmocka_unit_test(test_group_offline), cmocka_unit_test(test_online_fails),
	};
	return harness_main("test-host-qeth", tests, 0);
}
