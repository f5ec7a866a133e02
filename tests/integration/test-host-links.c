/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.zvirt1.Host's network links, against the real kernel in a network
 * namespace of the test's own (harness_enter_netns: nothing of the
 * host's links is touched). Links are set up with ip(8) and read back
 * through ip and sysfs; the daemon does its part through libnl.
 *
 * Bonds and VLANs need the kernel's bonding and 8021q modules. A kernel
 * without them answers "Unknown device type": then those tests check
 * the HostError the daemon gives for it, say so and skip the rest.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define HOST_PATH  "/org/zvirt1/host"
#define HOST_IFACE "org.zvirt1.Host"
#define TAG_UUID   "6c1c1a7e0b2d4f6a9d3e5b8c7a1f2e3d"

typedef struct Link {
	char *name, *kind, *mac, *operstate, *master, *alias, *mode, *slaves, *link;
	uint32_t index, mtu, qlen;
	uint16_t vlan_id;
	bool up, has_vlan_id;
} Link;

static void link_done(Link *l)
{
	free(l->name);
	free(l->kind);
	free(l->mac);
	free(l->operstate);
	free(l->master);
	free(l->alias);
	free(l->mode);
	free(l->slaves);
	free(l->link);
	*l = (Link){};
}

/* Whether ip(8) can make a link of that kind here (the kernel has it). */
static bool kernel_has(const char *kind_args)
{
	_cleanup_free_ char *cmd = NULL;
	assert_true(asprintf(&cmd, "ip link add name zv-probe %s 2>/dev/null", kind_args) > 0);
	bool yes = system(cmd) == 0;
	if (yes)
		harness_sh("ip link delete zv-probe");
	return yes;
}

static bool link_exists(const char *name)
{
	_cleanup_free_ char *p = NULL;
	assert_true(asprintf(&p, "/sys/class/net/%s", name) > 0);
	return access(p, F_OK) == 0;
}

static char *sysfs_attr(const char *name, const char *attr)
{
	_cleanup_free_ char *p = NULL;
	assert_true(asprintf(&p, "/sys/class/net/%s/%s", name, attr) > 0);
	char *s = harness_read_file(p);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

static int read_link(sd_bus_message *reply, Link *l)
{
	int r;
	assert_return_code(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key, *s;
		assert_return_code(sd_bus_message_read(reply, "s", &key), 0);
		char **str = strcmp(key, "name") == 0        ? &l->name
			     : strcmp(key, "kind") == 0      ? &l->kind
			     : strcmp(key, "mac") == 0       ? &l->mac
			     : strcmp(key, "operstate") == 0 ? &l->operstate
			     : strcmp(key, "master") == 0    ? &l->master
			     : strcmp(key, "alias") == 0     ? &l->alias
			     : strcmp(key, "mode") == 0      ? &l->mode
			     : strcmp(key, "link") == 0      ? &l->link
							     : NULL;
		uint32_t *u = strcmp(key, "index") == 0  ? &l->index
			      : strcmp(key, "mtu") == 0  ? &l->mtu
			      : strcmp(key, "qlen") == 0 ? &l->qlen
							 : NULL;
		if (str) {
			assert_return_code(sd_bus_message_read(reply, "v", "s", &s), 0);
			*str = strdup(s);
		} else if (u) {
			assert_return_code(sd_bus_message_read(reply, "v", "u", u), 0);
		} else if (strcmp(key, "up") == 0) {
			int b;
			assert_return_code(sd_bus_message_read(reply, "v", "b", &b), 0);
			l->up = b;
		} else if (strcmp(key, "vlan-id") == 0) {
			assert_return_code(sd_bus_message_read(reply, "v", "q", &l->vlan_id), 0);
			l->has_vlan_id = true;
		} else if (strcmp(key, "slaves") == 0) {
			_cleanup_strv_free_ char **v = NULL;
			size_t len = 2;
			assert_return_code(sd_bus_message_enter_container(reply, 'v', "as"), 0);
			assert_return_code(sd_bus_message_read_strv(reply, &v), 0);
			assert_return_code(sd_bus_message_exit_container(reply), 0);
			for (char **i = v; *i; i++)
				len += strlen(*i) + 1;
			l->slaves = calloc(1, len);
			strcat(l->slaves, ",");
			for (char **i = v; *i; i++) {
				strcat(l->slaves, *i);
				strcat(l->slaves, ",");
			}
		} else
			fail_msg("ListNetworkLinks: unknown key '%s'", key);
		assert_return_code(sd_bus_message_exit_container(reply), 0);
	}
	assert_return_code(r, 0);
	return sd_bus_message_exit_container(reply);
}

/* The link called name in ListNetworkLinks; false when it has none. */
static bool find_link(const char *name, Link *ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(HOST_PATH, HOST_IFACE, "ListNetworkLinks", "a{sv}", 0);
	bool found = false;
	int r;

	assert_return_code(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
	while ((r = sd_bus_message_at_end(reply, false)) == 0) {
		Link l = {};
		read_link(reply, &l);
		assert_non_null(l.name);
		assert_non_null(l.kind);
		assert_non_null(l.operstate);
		assert_non_null(l.master);
		assert_non_null(l.alias);
		assert_non_null(l.mac);
		if (!found && strcmp(l.name, name) == 0) {
			*ret = l;
			found = true;
		} else
			link_done(&l);
	}
	assert_return_code(r, 0);
	return found;
}

static Link get_link(const char *name)
{
	Link l = {};
	if (!find_link(name, &l))
		fail_msg("ListNetworkLinks has no link '%s'", name);
	return l;
}

/* Asserting: the call fails with error_name and a message holding part. */
static void expect_error_msg(const char *error_name, const char *part, const char *method, const char *types,
			     ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	va_list ap;
	va_start(ap, types);
	int r = harness_call_fullv(harness_bus(), &error, NULL, HOST_PATH, HOST_IFACE, method, types, ap);
	va_end(ap);
	if (r >= 0)
		fail_msg("%s succeeded; expected %s", method, error_name);
	if (!sd_bus_error_has_name(&error, error_name))
		fail_msg("%s: %s (%s); expected %s", method, error.name, error.message, error_name);
	if (part && !strstr(error.message, part))
		fail_msg("%s: the message '%s' does not say '%s'", method, error.message, part);
	print_message("%s: %s\n", method, error.message);
}

/* Set up once: veths, a bridge with a port, a tap, and a dummy where the
 * kernel has them. */
static bool have_dummy;

static void test_list(void **state)
{
	harness_sh("ip link add name zv-veth0 type veth peer name zv-veth1");
	harness_sh("ip link add name zv-br0 type bridge");
	harness_sh("ip link set zv-veth0 master zv-br0");
	harness_sh("ip link set zv-veth1 mtu 1400 txqueuelen 2000 alias 'uplink to switch 3'");
	harness_sh("ip link set zv-br0 up");
	harness_sh("ip tuntap add dev zv-tap0 mode tap");
	harness_sh("ip tuntap add dev zv-tun0 mode tun");
	have_dummy = kernel_has("type dummy");
	if (have_dummy)
		harness_sh("ip link add name zv-dummy0 type dummy");
	else
		print_message("this kernel has no dummy links: listed without one\n");

	Link l = get_link("lo");
	assert_string_equal(l.kind, "loopback");
	assert_true(l.up);
	assert_int_equal(l.index, 1);
	assert_string_equal(l.master, "");
	link_done(&l);

	l = get_link("zv-br0");
	assert_string_equal(l.kind, "bridge");
	assert_true(l.up);
	_cleanup_free_ char *br_mac = sysfs_attr("zv-br0", "address");
	assert_string_equal(l.mac, br_mac);
	_cleanup_free_ char *br_index = sysfs_attr("zv-br0", "ifindex");
	assert_int_equal(l.index, strtoul(br_index, NULL, 10));
	assert_null(l.mode);
	assert_null(l.slaves);
	link_done(&l);

	l = get_link("zv-veth0");
	assert_string_equal(l.kind, "veth");
	assert_string_equal(l.master, "zv-br0");
	assert_false(l.up);
	assert_string_equal(l.operstate, "down");
	link_done(&l);

	l = get_link("zv-veth1");
	assert_string_equal(l.kind, "veth");
	assert_int_equal(l.mtu, 1400);
	assert_int_equal(l.qlen, 2000);
	assert_string_equal(l.alias, "uplink to switch 3");
	assert_string_equal(l.master, "");
	_cleanup_free_ char *mac = sysfs_attr("zv-veth1", "address");
	assert_string_equal(l.mac, mac);
	link_done(&l);

	l = get_link("zv-tap0");
	assert_string_equal(l.kind, "tap");
	link_done(&l);
	l = get_link("zv-tun0");
	assert_string_equal(l.kind, "tun");
	assert_string_equal(l.mac, "");
	link_done(&l);
	if (have_dummy) {
		l = get_link("zv-dummy0");
		assert_string_equal(l.kind, "dummy");
		link_done(&l);
	}

	/* Everyone may read; an unknown option is refused. */
	_cleanup_free_ char *dump =
		harness_nobody_call(HOST_PATH, HOST_IFACE, "ListNetworkLinks", "a{sv}", 0);
	assert_non_null(strstr(dump, "zv-br0"));
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "kind", "ListNetworkLinks", "a{sv}", 1, "kind", "s",
			 "bridge");
}

static void test_up_and_qlen(void **state)
{
	sd_bus_message_unref(harness_call(HOST_PATH, HOST_IFACE, "SetLinkUp", "sba{sv}", "zv-veth1", 1, 0));
	_cleanup_free_ char *flags = sysfs_attr("zv-veth1", "flags");
	assert_true(strtoul(flags, NULL, 0) & 1);
	Link l = get_link("zv-veth1");
	assert_true(l.up);
	link_done(&l);
	sd_bus_message_unref(harness_call(HOST_PATH, HOST_IFACE, "SetLinkUp", "sba{sv}", "zv-veth1", 0, 0));
	free(flags);
	flags = sysfs_attr("zv-veth1", "flags");
	assert_false(strtoul(flags, NULL, 0) & 1);

	/* The seed's queue length for OSA links. */
	sd_bus_message_unref(
		harness_call(HOST_PATH, HOST_IFACE, "SetQueueLength", "sua{sv}", "zv-veth1", 2500, 0));
	_cleanup_free_ char *qlen = sysfs_attr("zv-veth1", "tx_queue_len");
	assert_string_equal(qlen, "2500");

	/* Bad names, unknown links, unknown options: nothing changes. */
	static const char *const bad[] = {"", "a-name-of-16-byt", "a/b", "a b", "a:b", ".", ".."};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "link name", "SetLinkUp", "sba{sv}", bad[i],
				 1, 0);
		expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "link name", "SetQueueLength", "sua{sv}",
				 bad[i], 100, 0);
		expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "link name", "DeleteLink", "sa{sv}", bad[i],
				 0);
	}
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), "zv-none", "SetLinkUp", "sba{sv}", "zv-none", 1, 0);
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), "zv-none", "SetQueueLength", "sua{sv}", "zv-none", 10,
			 0);
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), "zv-none", "DeleteLink", "sa{sv}", "zv-none", 0);
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "force", "SetQueueLength", "sua{sv}", "zv-veth1",
			 10, 1, "force", "b", 1);
	free(qlen);
	qlen = sysfs_attr("zv-veth1", "tx_queue_len");
	assert_string_equal(qlen, "2500");
}

static void test_delete(void **state)
{
	harness_sh("ip link add name zv-del0 type veth peer name zv-del1");
	sd_bus_message_unref(harness_call(HOST_PATH, HOST_IFACE, "DeleteLink", "sa{sv}", "zv-del0", 0));
	assert_false(link_exists("zv-del0"));
	assert_false(link_exists("zv-del1")); /* a veth's peer goes with it */
	Link l = {};
	assert_false(find_link("zv-del0", &l));

	/* lo is no virtual link the kernel would remove. */
	expect_error_msg(ZVIRT_ERROR("HostError"), "virtual", "DeleteLink", "sa{sv}", "lo", 0);
	assert_true(link_exists("lo"));
}

/* A link a domain owns (the guest-interface code tags it) is not the
 * Host's to change. */
static void test_domain_links_refused(void **state)
{
	harness_sh("ip link add name zv-guest0 type veth peer name zv-guest1");
	harness_sh("ip link set zv-guest0 alias zvirtd:" TAG_UUID ":net0");
	harness_sh("ip link set zv-guest1 alias zvirtd:not-a-tag");

	expect_error_msg(ZVIRT_ERROR("OperationInvalid"), "it belongs to domain " TAG_UUID, "DeleteLink",
			 "sa{sv}", "zv-guest0", 0);
	expect_error_msg(ZVIRT_ERROR("OperationInvalid"), "it belongs to domain " TAG_UUID, "SetLinkUp",
			 "sba{sv}", "zv-guest0", 1, 0);
	expect_error_msg(ZVIRT_ERROR("OperationInvalid"), "it belongs to domain " TAG_UUID, "SetQueueLength",
			 "sua{sv}", "zv-guest0", 2500, 0);
	/* Marked as ours though malformed: refused all the same. */
	expect_error_msg(ZVIRT_ERROR("OperationInvalid"), "zvirtd:not-a-tag", "DeleteLink", "sa{sv}",
			 "zv-guest1", 0);
	assert_true(link_exists("zv-guest0"));
	assert_true(link_exists("zv-guest1"));
	_cleanup_free_ char *flags = sysfs_attr("zv-guest0", "flags");
	assert_false(strtoul(flags, NULL, 0) & 1);
	Link l = get_link("zv-guest0");
	assert_string_equal(l.alias, "zvirtd:" TAG_UUID ":net0");
	link_done(&l);
	harness_sh("ip link delete zv-guest0");
}

static void test_bond(void **state)
{
	harness_sh("ip link add name zv-s0 type veth peer name zv-p0");
	harness_sh("ip link add name zv-s1 type veth peer name zv-p1");
	harness_sh("ip link set zv-s0 up");
	const char *slaves[] = {"zv-s0", "zv-s1"};

	/* Refused before anything changes, with or without bonding. */
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "Unknown bond mode 'hot-standby'", "CreateBond",
			 "sasa{sv}", "zv-bond0", 2, slaves[0], slaves[1], 1, "mode", "s", "hot-standby");
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "fail_over_mac", "CreateBond", "sasa{sv}",
			 "zv-bond0", 2, slaves[0], slaves[1], 1, "fail_over_mac", "s", "always");
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "miimon", "CreateBond", "sasa{sv}", "zv-bond0", 2,
			 slaves[0], slaves[1], 1, "miimon", "s", "100");
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "bond name", "CreateBond", "sasa{sv}", "bond/0", 0,
			 0);
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "exists already", "CreateBond", "sasa{sv}",
			 "zv-br0", 0, 0);
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), "zv-none", "CreateBond", "sasa{sv}", "zv-bond0", 2,
			 slaves[0], "zv-none", 0);
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "named twice", "CreateBond", "sasa{sv}", "zv-bond0",
			 2, slaves[0], slaves[0], 0);
	expect_error_msg(ZVIRT_ERROR("OperationInvalid"), "another bond or bridge", "CreateBond", "sasa{sv}",
			 "zv-bond0", 1, "zv-veth0", 0);
	assert_false(link_exists("zv-bond0"));

	bool can = kernel_has("type bond");
	if (!can) {
		expect_error_msg(ZVIRT_ERROR("HostError"),
				 "the kernel has no bonding support (module bonding)", "CreateBond",
				 "sasa{sv}", "zv-bond0", 2, slaves[0], slaves[1], 3, "mode", "s",
				 "active-backup", "miimon", "u", 100, "fail_over_mac", "s", "active");
		assert_false(link_exists("zv-bond0"));
		/* The slaves are as they were: no master, zv-s0 still up. */
		Link l = get_link("zv-s0");
		assert_string_equal(l.master, "");
		assert_true(l.up);
		link_done(&l);
		print_message("this kernel has no bonding (module bonding): only the HostError it gives was "
			      "checked, creating a bond is skipped\n");
		skip();
	}

	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = harness_call(
		HOST_PATH, HOST_IFACE, "CreateBond", "sasa{sv}", "zv-bond0", 2, slaves[0], slaves[1], 3,
		"mode", "s", "active-backup", "miimon", "u", 100, "fail_over_mac", "s", "active");
	const char *name;
	assert_return_code(sd_bus_message_read(reply, "s", &name), 0);
	assert_string_equal(name, "zv-bond0");
	Link l = get_link("zv-bond0");
	assert_string_equal(l.kind, "bond");
	assert_string_equal(l.mode, "active-backup");
	assert_string_equal(l.slaves, ",zv-s0,zv-s1,");
	link_done(&l);
	l = get_link("zv-s0");
	assert_string_equal(l.master, "zv-bond0");
	link_done(&l);
	_cleanup_free_ char *miimon = sysfs_attr("zv-bond0", "bonding/miimon");
	assert_string_equal(miimon, "100");
	_cleanup_free_ char *fom = sysfs_attr("zv-bond0", "bonding/fail_over_mac");
	assert_non_null(strstr(fom, "active"));
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "exists already", "CreateBond", "sasa{sv}",
			 "zv-bond0", 0, 0);
	sd_bus_message_unref(harness_call(HOST_PATH, HOST_IFACE, "DeleteLink", "sa{sv}", "zv-bond0", 0));
	assert_false(link_exists("zv-bond0"));
}

static void test_vlan(void **state)
{
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "1 to 4094", "CreateVlan", "sqa{sv}", "zv-veth1", 0,
			 0);
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "1 to 4094", "CreateVlan", "sqa{sv}", "zv-veth1",
			 4095, 0);
	expect_error_msg(ZVIRT_ERROR("NoSuchDevice"), "zv-none", "CreateVlan", "sqa{sv}", "zv-none", 100, 0);
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "exists already", "CreateVlan", "sqa{sv}",
			 "zv-veth1", 100, 1, "name", "s", "zv-br0");
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "VLAN name", "CreateVlan", "sqa{sv}", "zv-veth1",
			 100, 1, "name", "s", "bad name");
	/* zv-veth1.4000 is 13 bytes; a longer parent needs option name. */
	expect_error_msg(ZVIRT_ERROR("InvalidArgument"), "option name", "CreateVlan", "sqa{sv}",
			 "zv-a-long-name", 4000, 0);

	if (!kernel_has("link zv-veth1 type vlan id 7")) {
		expect_error_msg(ZVIRT_ERROR("HostError"),
				 "the kernel has no 802.1Q VLAN support (module 8021q)", "CreateVlan",
				 "sqa{sv}", "zv-veth1", 623, 0);
		assert_false(link_exists("zv-veth1.623"));
		print_message(
			"this kernel has no 802.1Q VLANs (module 8021q): only the HostError it gives was "
			"checked, creating a VLAN is skipped\n");
		skip();
	}
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(HOST_PATH, HOST_IFACE, "CreateVlan", "sqa{sv}", "zv-veth1", 623, 0);
	const char *name;
	assert_return_code(sd_bus_message_read(reply, "s", &name), 0);
	assert_string_equal(name, "zv-veth1.623");
	Link l = get_link("zv-veth1.623");
	assert_string_equal(l.kind, "vlan");
	assert_string_equal(l.link, "zv-veth1");
	assert_true(l.has_vlan_id);
	assert_int_equal(l.vlan_id, 623);
	link_done(&l);
	sd_bus_message_unref(harness_call(HOST_PATH, HOST_IFACE, "CreateVlan", "sqa{sv}", "zv-veth1", 624, 1,
					  "name", "s", "zv-v624"));
	assert_true(link_exists("zv-v624"));
	harness_sh("ip link delete zv-v624");
	harness_sh("ip link delete zv-veth1.623");
}

static void test_nobody_refused(void **state)
{
	const char *na = ZVIRT_ERROR("NotAuthorized");
	harness_nobody_expect_error(na, HOST_PATH, HOST_IFACE, "CreateBond", "sasa{sv}", "zv-bond9", 0, 0);
	harness_nobody_expect_error(na, HOST_PATH, HOST_IFACE, "CreateVlan", "sqa{sv}", "zv-veth1", 9, 0);
	harness_nobody_expect_error(na, HOST_PATH, HOST_IFACE, "DeleteLink", "sa{sv}", "zv-veth1", 0);
	harness_nobody_expect_error(na, HOST_PATH, HOST_IFACE, "SetLinkUp", "sba{sv}", "zv-veth1", 1, 0);
	harness_nobody_expect_error(na, HOST_PATH, HOST_IFACE, "SetQueueLength", "sua{sv}", "zv-veth1", 10,
				    0);
	assert_true(link_exists("zv-veth1"));
	assert_false(link_exists("zv-bond9"));
	_cleanup_free_ char *qlen = sysfs_attr("zv-veth1", "tx_queue_len");
	assert_string_equal(qlen, "2500");
}

static size_t count_changed(size_t from)
{
	size_t n = 0;
	for (const HarnessSignal *s;
	     (s = harness_signal_find(from, HOST_PATH, HOST_IFACE, "NetworkLinksChanged", NULL));
	     from = s->index + 1)
		n++;
	return n;
}

static void test_signal(void **state)
{
	size_t mark = harness_signal_mark();
	harness_sh("ip link add name zv-sig0 type veth peer name zv-sig1");
	assert_non_null(harness_wait_signal(mark, HOST_PATH, HOST_IFACE, "NetworkLinksChanged", NULL,
					    HARNESS_SIGNAL_TIMEOUT_MS));

	/* A burst of changes (three pairs, up, down, gone: dozens of
	 * rtnetlink messages within milliseconds) is told once or twice,
	 * not per message. */
	usleep(300 * 1000);
	(void)harness_flush_signals();
	mark = harness_signal_mark();
	_cleanup_free_ char *batch = NULL;
	assert_true(asprintf(&batch, "%s/batch", harness_tmpdir()) > 0);
	harness_write_file(batch, "link add name zv-b0 type veth peer name zv-b1\n"
				  "link add name zv-b2 type veth peer name zv-b3\n"
				  "link add name zv-b4 type veth peer name zv-b5\n"
				  "link set zv-b0 up\n"
				  "link set zv-b1 up\n"
				  "link delete zv-b0\n"
				  "link delete zv-b2\n"
				  "link delete zv-b4\n"
				  "link delete zv-sig0\n");
	harness_sh("ip -batch %s", batch);
	assert_non_null(harness_wait_signal(mark, HOST_PATH, HOST_IFACE, "NetworkLinksChanged", NULL,
					    HARNESS_SIGNAL_TIMEOUT_MS));
	usleep(500 * 1000);
	(void)harness_flush_signals();
	size_t n = count_changed(mark);
	print_message("NetworkLinksChanged for the burst: %zu\n", n);
	assert_in_range(n, 1, 2);
}

int main(void)
{
	/* Before the harness starts anything: the bus, polkitd and zvirtd
	 * live in this network namespace with the test. */
	int r = harness_enter_netns();
	if (r < 0) {
		if (geteuid() != 0) {
			fprintf(stderr,
				"test-host-links: skipped, the integration tests must run as root\n");
			return 77;
		}
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),           cmocka_unit_test(test_up_and_qlen),
		cmocka_unit_test(test_delete),         cmocka_unit_test(test_domain_links_refused),
		cmocka_unit_test(test_bond),           cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_nobody_refused), cmocka_unit_test(test_signal),
	};
	return harness_main("test-host-links", tests, 0);
}
