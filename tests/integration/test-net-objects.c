/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.zvirt1.NetworkInterface objects and the interface counters, with
 * the real s390x guest in a network namespace of the test's own: a
 * direct NIC (a macvtap on a veth end) and a bridge NIC (a tap on a
 * Linux bridge), each reaching a peer namespace at the far end of its
 * veth. The object comes and goes with the definition (define, a config
 * attach and detach), its TargetDevice with the run (PropertiesChanged);
 * GetStats and Domain.GetStats' net.* count what the guest sent and got,
 * in the guest's view (a tap's counters swapped, a macvtap's not),
 * checked against the kernel's own counters and against broadcasts the
 * peer sends that the guest only receives; a link deleted under the
 * guest has none; a daemon restart keeps the object's link. GetStats is
 * open to every caller, Detach is not; a live Detach is refused (not
 * yet), a config one and a config update change the object.
 */

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define NET_IFACE   "org.zvirt1.NetworkInterface"
#define PROPS_IFACE "org.freedesktop.DBus.Properties"
#define PEER_ADDR   "10.79.0.1"
#define PEER_BRD    "10.79.0.255"
#define GUEST_ADDR  "10.79.0.2/24"
#define BPEER_ADDR  "10.80.0.1"
#define BPEER_BRD   "10.80.0.255"
#define BGUEST_ADDR "10.80.0.2/24"
#define MAC_DIRECT  "52:54:00:7b:00:01"
#define MAC_BRIDGE  "52:54:00:7b:00:02"
#define MAC_ADDED   "52:54:00:7b:00:03"
/* Broadcasts from the peer: the guest takes them and answers none
 * (Linux ignores broadcast pings), so only its receive side grows. */
#define BROADCASTS     40
#define BROADCAST_SIZE 1000

static char peer_ns[64];

static void assert_guest_pings(const char *path, const char *mac, const char *addr, const char *peer)
{
	_cleanup_free_ char *cmd = NULL, *out = NULL, *ping = NULL, *pout = NULL;
	assert_true(asprintf(&cmd, "netup %s %s", mac, addr) > 0);
	out = harness_guest_command(path, cmd, 30000);
	if (!strstr(out, " ok"))
		fail_msg("the guest could not bring up its NIC %s: %s", mac, out);
	assert_true(asprintf(&ping, "ping %s 3", peer) > 0);
	pout = harness_guest_command(path, ping, 60000);
	if (!strstr(pout, "ok"))
		fail_msg("the guest cannot ping %s: %s", peer, pout);
}

static void peer_broadcasts(const char *brd)
{
	/* No answer comes, so ping fails: what counts is what it sent. */
	harness_sh("ip netns exec %s ping -q -b -c %d -i 0.01 -W 1 -s %d %s >/dev/null 2>&1 || true",
		   peer_ns, BROADCASTS, BROADCAST_SIZE, brd);
}

static char *net_path(const char *path, unsigned index)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/interface/%u", path, index) > 0);
	return p;
}

static void assert_prop(const char *net, const char *prop, const char *expect)
{
	_cleanup_free_ char *v = harness_get_string(net, NET_IFACE, prop);
	if (strcmp(v, expect) != 0)
		fail_msg("%s.%s is '%s', expected '%s'", net, prop, v, expect);
}

/* --- GetStats replies ------------------------------------------------------ */

typedef struct Stat {
	char type;
	uint64_t u;
	char *s;
} Stat;

/* 1 and *ret when key is in the a{sv} reply, 0 when not. */
static int find_stat(sd_bus_message *reply, const char *key, Stat *ret)
{
	const char *k, *contents;
	int r, found = 0;

	assert_return_code(sd_bus_message_rewind(reply, true), 0);
	assert_return_code(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
	while (!found && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		assert_return_code(sd_bus_message_read(reply, "s", &k), 0);
		assert_return_code(sd_bus_message_peek_type(reply, NULL, &contents), 0);
		if (strcmp(k, key) != 0) {
			assert_return_code(sd_bus_message_skip(reply, "v"), 0);
		} else {
			Stat st = {.type = contents[0]};
			uint64_t t;
			uint32_t u;
			const char *s;
			if (st.type == 't') {
				assert_return_code(sd_bus_message_read(reply, "v", "t", &t), 0);
				st.u = t;
			} else if (st.type == 'u') {
				assert_return_code(sd_bus_message_read(reply, "v", "u", &u), 0);
				st.u = u;
			} else if (st.type == 's') {
				assert_return_code(sd_bus_message_read(reply, "v", "s", &s), 0);
				st.s = strdup(s);
			} else
				fail_msg("stat %s has type %s", key, contents);
			*ret = st;
			found = 1;
		}
		assert_return_code(sd_bus_message_exit_container(reply), 0);
	}
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
	Stat st = {};
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
	free(st.s);
}

typedef struct Counters {
	uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;
	uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
} Counters;

static Counters nic_stats(const char *net)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(net, NET_IFACE, "GetStats", "a{sv}", 0);
	return (Counters){
		.rx_bytes = stat_num(reply, "rx_bytes", 't'),
		.rx_packets = stat_num(reply, "rx_packets", 't'),
		.rx_errs = stat_num(reply, "rx_errs", 't'),
		.rx_drop = stat_num(reply, "rx_drop", 't'),
		.tx_bytes = stat_num(reply, "tx_bytes", 't'),
		.tx_packets = stat_num(reply, "tx_packets", 't'),
		.tx_errs = stat_num(reply, "tx_errs", 't'),
		.tx_drop = stat_num(reply, "tx_drop", 't'),
	};
}

/* The kernel's own counter of a host link (its view). */
static uint64_t sysfs_counter(const char *link, const char *name)
{
	_cleanup_free_ char *p = NULL;
	assert_true(asprintf(&p, "/sys/class/net/%s/statistics/%s", link, name) > 0);
	_cleanup_free_ char *text = harness_read_file(p);
	return strtoull(text, NULL, 10);
}

/* The guest's receive counters are the host link's host_rx (a macvtap's
 * rx_*, a tap's tx_*): GetStats falls between two readings of the
 * kernel's, and so does its send side. */
static void assert_guest_view(const char *net, const char *link, bool swapped)
{
	const char *host_rx = swapped ? "tx_packets" : "rx_packets";
	const char *host_tx = swapped ? "rx_packets" : "tx_packets";
	uint64_t rx0 = sysfs_counter(link, host_rx), tx0 = sysfs_counter(link, host_tx);
	Counters c = nic_stats(net);
	uint64_t rx1 = sysfs_counter(link, host_rx), tx1 = sysfs_counter(link, host_tx);
	if (c.rx_packets < rx0 || c.rx_packets > rx1 || c.tx_packets < tx0 || c.tx_packets > tx1)
		fail_msg("%s: rx_packets %llu (host %s %llu..%llu), tx_packets %llu (host %s %llu..%llu)",
			 net, (unsigned long long)c.rx_packets, host_rx, (unsigned long long)rx0,
			 (unsigned long long)rx1, (unsigned long long)c.tx_packets, host_tx,
			 (unsigned long long)tx0, (unsigned long long)tx1);
}

/* The peer's broadcasts make the guest's rx grow by at least what was
 * sent, and its tx by little (the odd ARP or IPv6 packet). */
static void assert_broadcasts_received(const char *net, const char *brd)
{
	Counters before = nic_stats(net);
	peer_broadcasts(brd);
	Counters after = nic_stats(net);
	uint64_t drx = after.rx_bytes - before.rx_bytes, dtx = after.tx_bytes - before.tx_bytes;
	if (after.rx_packets - before.rx_packets < BROADCASTS || drx < BROADCASTS * BROADCAST_SIZE ||
	    dtx >= drx / 4)
		fail_msg("%s: %d broadcasts of %d bytes to the guest: rx grew by %llu packets, %llu bytes; "
			 "tx by %llu packets, %llu bytes",
			 net, BROADCASTS, BROADCAST_SIZE,
			 (unsigned long long)(after.rx_packets - before.rx_packets), (unsigned long long)drx,
			 (unsigned long long)(after.tx_packets - before.tx_packets),
			 (unsigned long long)dtx);
}

static bool has_property(const HarnessSignal *s, const char *prop)
{
	char want[64];
	snprintf(want, sizeof(want), ",%s,", prop);
	return s && s->properties && strstr(s->properties, want);
}

/* A PropertiesChanged of net's interface after mark that names prop. */
static void wait_property_changed(size_t mark, const char *net, const char *prop)
{
	const HarnessSignal *s;
	while ((s = harness_wait_signal(mark, net, PROPS_IFACE, "PropertiesChanged", NET_IFACE, 10000))) {
		if (has_property(s, prop))
			return;
		mark = s->index + 1;
	}
	fail_msg("no PropertiesChanged of %s on %s", prop, net);
}

/* --- the scenarios --------------------------------------------------------- */

static void test_direct(void **state)
{
	_cleanup_free_ char *xml =
		harness_guest_xml_devices("netobj-direct", "    <interface type='direct'>\n"
							   "      <mac address='" MAC_DIRECT "'/>\n"
							   "      <source dev='zvo0' mode='bridge'/>\n"
							   "      <model type='virtio'/>\n"
							   "    </interface>\n");
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *net = net_path(path, 0);
	assert_non_null(harness_wait_signal(mark, NULL, NULL, "InterfacesAdded", net, 5000));

	/* Shut off: the definition's values, no host link. */
	assert_prop(net, "Type", "direct");
	assert_prop(net, "Source", "zvo0");
	assert_prop(net, "Mode", "bridge");
	assert_prop(net, "MAC", MAC_DIRECT);
	assert_prop(net, "Model", "virtio");
	assert_prop(net, "TargetDevice", "");
	assert_prop(net, "VirtualPort", "");
	assert_prop(net, "LinkState", "up");
	assert_int_equal(harness_get_u32(net, NET_IFACE, "MTU"), 0);
	_cleanup_free_ char *ccw = harness_get_string(net, NET_IFACE, "CcwAddress");
	assert_true(strncmp(ccw, "fe.0.", 5) == 0 && strlen(ccw) == 9);
	harness_expect_error("org.zvirt1.Error.OperationInvalid", net, NET_IFACE, "GetStats", "a{sv}", 0);
	harness_nobody_expect_error("org.zvirt1.Error.OperationInvalid", net, NET_IFACE, "GetStats", "a{sv}",
				    0);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", net, NET_IFACE, "GetStats", "a{sv}", 1,
			     "bogus", "b", 1);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			harness_call(path, ZVIRT_DOMAIN_IFACE, "GetStats", "a{sv}", 0);
		assert_int_equal(stat_num(reply, "net.count", 'u'), 1);
		assert_stat_string(reply, "net.0.mac", MAC_DIRECT);
		assert_stat_string(reply, "net.0.type", "direct");
		assert_stat_string(reply, "net.0.source", "zvo0");
		assert_stat_string(reply, "net.0.model", "virtio");
		assert_no_stat(reply, "net.0.name");
		assert_no_stat(reply, "net.0.rx.bytes");
	}

	/* Running: the link's name is announced. */
	mark = harness_signal_mark();
	harness_boot_guest(path, "netobj-direct");
	wait_property_changed(mark, net, "TargetDevice");
	_cleanup_free_ char *target = harness_get_string(net, NET_IFACE, "TargetDevice");
	assert_true(strncmp(target, "macvtap", 7) == 0);
	assert_prop(net, "Alias", "net0");
	assert_prop(net, "CcwAddress", ccw);

	assert_guest_pings(path, MAC_DIRECT, GUEST_ADDR, PEER_ADDR);
	Counters c = nic_stats(net);
	assert_true(c.rx_packets >= 3 && c.tx_packets >= 3);
	assert_true(c.rx_bytes > 3 * 64 && c.tx_bytes > 3 * 64);
	assert_guest_view(net, target, false);
	assert_broadcasts_received(net, PEER_BRD);

	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			harness_call(path, ZVIRT_DOMAIN_IFACE, "GetStats", "a{sv}", 0);
		Counters now = nic_stats(net);
		assert_int_equal(stat_num(reply, "net.count", 'u'), 1);
		assert_stat_string(reply, "net.0.name", target);
		assert_stat_string(reply, "net.0.mac", MAC_DIRECT);
		assert_stat_string(reply, "net.0.type", "direct");
		assert_stat_string(reply, "net.0.source", "zvo0");
		assert_stat_string(reply, "net.0.model", "virtio");
		uint64_t rx = stat_num(reply, "net.0.rx.pkts", 't');
		uint64_t tx = stat_num(reply, "net.0.tx.pkts", 't');
		/* Read just before now: never more, and the broadcasts in. */
		assert_true(rx <= now.rx_packets && rx >= c.rx_packets + BROADCASTS);
		assert_true(tx <= now.tx_packets && tx >= c.tx_packets);
		assert_true(stat_num(reply, "net.0.rx.bytes", 't') <= now.rx_bytes);
		assert_true(stat_num(reply, "net.0.tx.bytes", 't') <= now.tx_bytes);
		(void)stat_num(reply, "net.0.rx.errs", 't');
		(void)stat_num(reply, "net.0.rx.drop", 't');
		(void)stat_num(reply, "net.0.tx.errs", 't');
		(void)stat_num(reply, "net.0.tx.drop", 't');
	}

	/* Anyone may read; changing needs polkit. */
	_cleanup_free_ char *dump = harness_nobody_call(net, NET_IFACE, "GetStats", "a{sv}", 0);
	assert_non_null(strstr(dump, "rx_packets"));
	harness_nobody_expect_error("org.zvirt1.Error.NotAuthorized", net, NET_IFACE, "Detach", "a{sv}", 0);
	harness_nobody_expect_error("org.zvirt1.Error.NotAuthorized", net, NET_IFACE, "Detach", "a{sv}", 1,
				    "config", "b", 1);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", net, NET_IFACE, "Detach", "a{sv}", 1,
			     "bogus", "b", 1);
	assert_prop(net, "TargetDevice", target);

	/* A link gone under the domain (someone deleted it): no counters. */
	harness_sh("ip link del %s", target);
	harness_expect_error("org.zvirt1.Error.NoSuchDevice", net, NET_IFACE, "GetStats", "a{sv}", 0);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			harness_call(path, ZVIRT_DOMAIN_IFACE, "GetStats", "a{sv}", 0);
		assert_stat_string(reply, "net.0.name", target);
		assert_no_stat(reply, "net.0.rx.bytes");
		assert_no_stat(reply, "net.0.tx.pkts");
	}

	/* Stopped: no link, no counters. */
	mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	wait_property_changed(mark, net, "TargetDevice");
	assert_prop(net, "TargetDevice", "");
	assert_null(harness_signal_find(mark, NULL, NULL, "InterfacesRemoved", net));
	harness_expect_error("org.zvirt1.Error.OperationInvalid", net, NET_IFACE, "GetStats", "a{sv}", 0);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			harness_call(path, ZVIRT_DOMAIN_IFACE, "GetStats", "a{sv}", 0);
		assert_int_equal(stat_num(reply, "net.count", 'u'), 1);
		assert_no_stat(reply, "net.0.name");
		assert_no_stat(reply, "net.0.rx.pkts");
	}
	harness_undefine(path);
}

static void test_bridge(void **state)
{
	_cleanup_free_ char *xml =
		harness_guest_xml_devices("netobj-bridge", "    <interface type='bridge'>\n"
							   "      <mac address='" MAC_BRIDGE "'/>\n"
							   "      <source bridge='zvobr0'/>\n"
							   "      <mtu size='1500'/>\n"
							   "    </interface>\n");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *net = net_path(path, 0);
	assert_prop(net, "Type", "bridge");
	assert_prop(net, "Source", "zvobr0");
	assert_prop(net, "Mode", "");
	assert_int_equal(harness_get_u32(net, NET_IFACE, "MTU"), 1500);

	harness_boot_guest(path, "netobj-bridge");
	_cleanup_free_ char *target = harness_get_string(net, NET_IFACE, "TargetDevice");
	assert_true(strncmp(target, "vnet", 4) == 0);
	assert_guest_pings(path, MAC_BRIDGE, BGUEST_ADDR, BPEER_ADDR);
	Counters c = nic_stats(net);
	assert_true(c.rx_packets >= 3 && c.tx_packets >= 3);
	/* A tap: the host's tx is what the guest received. */
	assert_guest_view(net, target, true);
	assert_broadcasts_received(net, BPEER_BRD);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			harness_call(path, ZVIRT_DOMAIN_IFACE, "GetStats", "a{sv}", 0);
		assert_stat_string(reply, "net.0.name", target);
		assert_stat_string(reply, "net.0.type", "bridge");
		assert_stat_string(reply, "net.0.source", "zvobr0");
		assert_true(stat_num(reply, "net.0.rx.pkts", 't') >= c.rx_packets + BROADCASTS);
	}

	/* A daemon restart finds the link again in the runtime status. */
	assert_int_equal(harness_restart_daemon(), 0);
	free(path);
	path = harness_lookup("netobj-bridge");
	free(net);
	net = net_path(path, 0);
	assert_prop(net, "TargetDevice", target);
	assert_guest_view(net, target, true);

	/* Detach on the object, live: the guest lets go, the object goes
	 * (the persistent definition keeps the NIC); AttachDevice brings it
	 * back and answers with its object. */
	size_t mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(net, NET_IFACE, "Detach", "a{sv}", 0));
	assert_non_null(harness_wait_signal(mark, NULL, NULL, "InterfacesRemoved", net, 5000));
	_cleanup_free_ char *gone = harness_guest_command(path, "waitnic " MAC_BRIDGE " absent", 40000);
	assert_non_null(strstr(gone, " absent"));
	harness_expect_error("org.freedesktop.DBus.Error.UnknownObject", net, NET_IFACE, "GetStats", "a{sv}",
			     0);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = harness_call(
			path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}",
			"<interface type='bridge'><mac address='" MAC_BRIDGE "'/><source bridge='zvobr0'/>"
			"</interface>",
			1, "live", "b", 1);
		const char *obj = NULL;
		assert_int_equal(sd_bus_message_read(reply, "o", &obj), 1);
		assert_string_equal(obj, net);
	}
	_cleanup_free_ char *back = harness_guest_command(path, "waitnic " MAC_BRIDGE " present", 40000);
	assert_non_null(strstr(back, " present "));
	_cleanup_free_ char *target2 = harness_get_string(net, NET_IFACE, "TargetDevice");
	assert_true(strncmp(target2, "vnet", 4) == 0);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_prop(net, "TargetDevice", "");
	harness_undefine(path);
}

/* The persistent definition's NICs: a config attach makes an object, a
 * Detach with config removes the NIC and its object. */
static void test_config_attach_detach(void **state)
{
	_cleanup_free_ char *xml =
		harness_guest_xml_devices("netobj-config", "    <interface type='direct'>\n"
							   "      <mac address='" MAC_DIRECT "'/>\n"
							   "      <source dev='zvo0' mode='vepa'/>\n"
							   "    </interface>\n");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *net0 = net_path(path, 0), *net1 = net_path(path, 1);
	assert_prop(net0, "Mode", "vepa");

	size_t mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}",
					  "<interface type='bridge'><mac address='" MAC_ADDED "'/>"
					  "<source bridge='zvobr0'/><virtualport type='openvswitch'/>"
					  "<target dev='zvotap7'/><link state='down'/></interface>",
					  1, "config", "b", 1));
	assert_non_null(harness_wait_signal(mark, NULL, NULL, "InterfacesAdded", net1, 5000));
	assert_prop(net1, "MAC", MAC_ADDED);
	assert_prop(net1, "LinkState", "down");
	assert_prop(net1, "Type", "bridge");
	assert_prop(net1, "VirtualPort", "openvswitch");
	/* The name it asks for is not a link yet. */
	assert_prop(net1, "TargetDevice", "");

	/* A config update of a NIC that stays: its object tells. */
	mark = harness_signal_mark();
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "UpdateDevice", "sa{sv}",
			     "<interface type='direct'><mac address='" MAC_DIRECT "'/>"
			     "<source dev='zvo0' mode='private'/><link state='down'/></interface>",
			     1, "config", "b", 1));
	wait_property_changed(mark, net0, "LinkState");
	assert_prop(net0, "LinkState", "down");
	assert_prop(net0, "Mode", "private");

	/* Detach by the object: polkit's first; live needs a running domain. */
	harness_nobody_expect_error("org.zvirt1.Error.NotAuthorized", net0, NET_IFACE, "Detach", "a{sv}", 1,
				    "config", "b", 1);
	harness_expect_error("org.zvirt1.Error.OperationInvalid", net0, NET_IFACE, "Detach", "a{sv}", 1,
			     "live", "b", 1);
	mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(net0, NET_IFACE, "Detach", "a{sv}", 1, "config", "b", 1));
	/* The other NIC moves up to index 0: the last path goes. */
	assert_non_null(harness_wait_signal(mark, NULL, NULL, "InterfacesRemoved", net1, 5000));
	assert_prop(net0, "MAC", MAC_ADDED);
	_cleanup_free_ char *inactive = harness_get_xml(path);
	assert_null(strstr(inactive, MAC_DIRECT));
	assert_non_null(strstr(inactive, MAC_ADDED));
	harness_expect_error("org.freedesktop.DBus.Error.UnknownObject", net1, NET_IFACE, "GetStats",
			     "a{sv}", 0);

	mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(net0, NET_IFACE, "Detach", "a{sv}", 1, "config", "b", 1));
	assert_non_null(harness_wait_signal(mark, NULL, NULL, "InterfacesRemoved", net0, 5000));
	harness_expect_error("org.freedesktop.DBus.Error.UnknownObject", net0, NET_IFACE, "Detach", "a{sv}",
			     1, "config", "b", 1);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			harness_call(path, ZVIRT_DOMAIN_IFACE, "GetStats", "a{sv}", 0);
		assert_int_equal(stat_num(reply, "net.count", 'u'), 0);
	}
	harness_undefine(path);
}

static int setup_net(void **state)
{
	snprintf(peer_ns, sizeof(peer_ns), "zvopeer%d", (int)getpid());
	harness_sh("ip netns add %s", peer_ns);
	harness_sh("ip link add zvo0 type veth peer name zvop0 && ip link set zvop0 netns %s", peer_ns);
	harness_sh("ip link add zvobr0 type bridge && ip link set zvobr0 up");
	harness_sh("ip link add zvo1 type veth peer name zvop1 && ip link set zvop1 netns %s", peer_ns);
	harness_sh("ip link set zvo1 master zvobr0 && ip link set zvo1 up && ip link set zvo0 up");
	harness_sh("ip -n %s addr add " PEER_ADDR "/24 brd + dev zvop0 && ip -n %s link set zvop0 up",
		   peer_ns, peer_ns);
	harness_sh("ip -n %s addr add " BPEER_ADDR "/24 brd + dev zvop1 && ip -n %s link set zvop1 up",
		   peer_ns, peer_ns);
	return 0;
}

static int teardown_net(void **state)
{
	(void)!system("ip link del zvobr0 2>/dev/null; ip link del zvo0 2>/dev/null; "
		      "ip link del zvo1 2>/dev/null");
	if (peer_ns[0]) {
		_cleanup_free_ char *cmd = NULL;
		if (asprintf(&cmd, "ip netns del %s", peer_ns) > 0)
			(void)!system(cmd);
		peer_ns[0] = 0;
	}
	return 0;
}

int main(void)
{
	if (geteuid() == 0 && harness_enter_netns() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_attach_detach, setup_net, teardown_net),
		cmocka_unit_test_setup_teardown(test_direct, setup_net, teardown_net),
		cmocka_unit_test_setup_teardown(test_bridge, setup_net, teardown_net),
	};
	return harness_main("net-objects", tests, 0);
}
