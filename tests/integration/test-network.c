/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest NICs for real, in a network namespace of the test's own: a
 * direct interface (a macvtap link in bridge mode on a veth end) and a
 * bridge interface (a tap on a Linux bridge), each reaching a peer
 * namespace at the far end of its veth pair; the real s390x guest finds
 * its NIC by MAC, takes an address and pings the peer. The host links
 * the daemon makes carry its tag and are gone when the guest stops,
 * when its daemon is killed and QEMU with it, and after a start that
 * fails; the host's list of links is the same before and after every
 * scenario.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define PEER_ADDR   "10.77.0.1"
#define GUEST_ADDR  "10.77.0.2/24"
#define BPEER_ADDR  "10.78.0.1"
#define BGUEST_ADDR "10.78.0.2/24"
#define MAC_DIRECT  "52:54:00:7a:00:01"
#define MAC_BRIDGE  "52:54:00:7a:00:02"

static char peer_ns[64];

/* The guest's NIC of that MAC gets addr and reaches peer. */
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

/* <target dev='NAME'/> of the live XML. */
static char *live_target(const char *path)
{
	_cleanup_free_ char *xml = harness_get_xml(path);
	const char *t = strstr(xml, "<target dev='");
	assert_non_null(t);
	t += strlen("<target dev='");
	return strndup(t, strcspn(t, "'"));
}

static void test_direct(void **state)
{
	_cleanup_free_ char *before = harness_host_links(), *xml = NULL, *path = NULL, *target = NULL,
			    *show = NULL, *cmd = NULL;
	xml = harness_guest_xml_devices("net-direct", "    <interface type='direct'>\n"
						      "      <mac address='" MAC_DIRECT "'/>\n"
						      "      <source dev='zvh0' mode='bridge'/>\n"
						      "      <model type='virtio'/>\n"
						      "    </interface>\n");
	path = harness_define(xml);
	harness_boot_guest(path, "net-direct");
	target = live_target(path);
	assert_true(strncmp(target, "macvtap", 7) == 0);
	assert_true(asprintf(&cmd, "ip -d link show %s", target) > 0);
	show = harness_sh_out("%s", cmd);
	assert_non_null(strstr(show, "macvtap mode bridge"));
	assert_non_null(strstr(show, MAC_DIRECT));
	assert_non_null(strstr(show, "alias zvirtd:"));
	assert_guest_pings(path, MAC_DIRECT, GUEST_ADDR, PEER_ADDR);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_assert_host_links(before);
	/* The inactive definition keeps no name of the daemon's. */
	_cleanup_free_ char *inactive = harness_get_xml(path);
	assert_null(strstr(inactive, "<target dev='macvtap"));
	harness_undefine(path);
}

static void test_bridge(void **state)
{
	_cleanup_free_ char *before = harness_host_links(), *xml = NULL, *path = NULL, *target = NULL,
			    *show = NULL, *cmd = NULL;
	xml = harness_guest_xml_devices("net-bridge", "    <interface type='bridge'>\n"
						      "      <mac address='" MAC_BRIDGE "'/>\n"
						      "      <source bridge='zvbr0'/>\n"
						      "    </interface>\n");
	path = harness_define(xml);
	harness_boot_guest(path, "net-bridge");
	target = live_target(path);
	assert_true(strncmp(target, "vnet", 4) == 0);
	assert_true(asprintf(&cmd, "ip -d link show %s", target) > 0);
	show = harness_sh_out("%s", cmd);
	assert_non_null(strstr(show, "master zvbr0"));
	assert_non_null(strstr(show, "fe:54:00:7a:00:02"));
	assert_guest_pings(path, MAC_BRIDGE, BGUEST_ADDR, BPEER_ADDR);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_assert_host_links(before);
	harness_undefine(path);
}

/* A start that fails on its second NIC leaves no link of the first. */
static void test_failed_start(void **state)
{
	_cleanup_free_ char *before = harness_host_links(), *xml = NULL, *path = NULL;
	xml = harness_guest_xml_devices("net-fail", "    <interface type='direct'>\n"
						    "      <source dev='zvh0' mode='bridge'/>\n"
						    "    </interface>\n"
						    "    <interface type='direct'>\n"
						    "      <source dev='nosuchlink0' mode='vepa'/>\n"
						    "    </interface>\n");
	path = harness_define(xml);
	harness_expect_error("org.zvirt1.Error.HostError", path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0);
	harness_assert_state(path, "shut-off", "failed");
	harness_assert_host_links(before);
	harness_undefine(path);
}

/* The daemon and QEMU killed: the next daemon removes the macvtap. */
static void test_leftover_after_crash(void **state)
{
	_cleanup_free_ char *before = harness_host_links(), *xml = NULL, *path = NULL, *target = NULL,
			    *cmd = NULL;
	xml = harness_guest_xml_devices("net-crash", "    <interface type='direct'>\n"
						     "      <source dev='zvh0' mode='private'/>\n"
						     "    </interface>\n");
	path = harness_define(xml);
	harness_boot_guest(path, "net-crash");
	target = live_target(path);
	pid_t qemu = (pid_t)harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_int_equal(harness_kill_daemon(), 0);
	assert_int_equal(kill(qemu, SIGKILL), 0);
	assert_int_equal(harness_wait_pid_gone(qemu, 10000), 0);
	assert_true(asprintf(&cmd, "ip link show %s >/dev/null 2>&1", target) > 0);
	assert_int_equal(system(cmd), 0); /* still there: nobody removed it */
	assert_int_equal(harness_start_daemon(), 0);
	free(path);
	path = harness_lookup("net-crash");
	harness_assert_state(path, "shut-off", "crashed");
	harness_assert_host_links(before);
	harness_undefine(path);
}

/* A daemon restart keeps a running guest's link, and its stop removes it. */
static void test_restart_keeps_link(void **state)
{
	_cleanup_free_ char *before = harness_host_links(), *xml = NULL, *path = NULL, *target = NULL,
			    *cmd = NULL;
	xml = harness_guest_xml_devices("net-restart", "    <interface type='direct'>\n"
						       "      <source dev='zvh0' mode='bridge'/>\n"
						       "    </interface>\n");
	path = harness_define(xml);
	harness_boot_guest(path, "net-restart");
	target = live_target(path);
	assert_int_equal(harness_restart_daemon(), 0);
	free(path);
	path = harness_lookup("net-restart");
	harness_assert_state(path, "running", "booted");
	assert_true(asprintf(&cmd, "ip link show %s >/dev/null 2>&1", target) > 0);
	assert_int_equal(system(cmd), 0);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_assert_host_links(before);
	harness_undefine(path);
}

/* Bad interfaces are refused at define with the element's path. */
static void test_bad_xml(void **state)
{
	static const struct {
		const char *iface, *error;
	} bad[] = {
		{"<interface type='direct'><mac address='01:00:5e:00:00:01'/></interface>", "multicast"},
		{"<interface type='direct'><source dev='a/b'/></interface>",
		 "not a valid network interface name"},
		{"<interface type='direct'><source dev='..'/></interface>",
		 "not a valid network interface name"},
		{"<interface type='bridge'/>", "missing element <source>"},
		{"<interface type='network'><source network='default'/></interface>", "not supported"},
		{"<interface type='direct'><model type='e1000'/></interface>", "not supported"},
		{"<interface type='direct'><mtu size='20'/></interface>", "outside 68..65535"},
		{"<interface type='direct'><mac address='52:54:00:00:00:01'/></interface>"
		 "<interface type='direct'><mac address='52:54:00:00:00:01'/></interface>",
		 "used twice"},
		{"<interface type='direct' trustGuestRxFilters='yes'/>", "not supported"},
		{"<interface type='direct'><source dev='\xc3\xa9th0'/></interface>", "not a valid"},
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_free_ char *xml = harness_guest_xml_devices("net-bad", bad[i].iface);
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		int r = harness_call_full(harness_bus(), &error, NULL, ZVIRT_MANAGER_PATH,
					  ZVIRT_MANAGER_IFACE, "DefineXML", "sa{sv}", xml, 0);
		assert_true(r < 0);
		assert_string_equal(error.name, "org.zvirt1.Error.InvalidXML");
		if (!strstr(error.message, bad[i].error))
			fail_msg("%s: '%s' does not say '%s'", bad[i].iface, error.message, bad[i].error);
	}
}

static int setup_net(void **state)
{
	snprintf(peer_ns, sizeof(peer_ns), "zvpeer%d", (int)getpid());
	harness_sh("ip netns add %s", peer_ns);
	harness_sh("ip link add zvh0 type veth peer name zvp0 && ip link set zvp0 netns %s", peer_ns);
	harness_sh("ip link add zvbr0 type bridge && ip link set zvbr0 up");
	harness_sh("ip link add zvh1 type veth peer name zvp1 && ip link set zvp1 netns %s", peer_ns);
	harness_sh("ip link set zvh1 master zvbr0 && ip link set zvh1 up && ip link set zvh0 up");
	harness_sh("ip -n %s addr add " PEER_ADDR "/24 dev zvp0 && ip -n %s link set zvp0 up", peer_ns,
		   peer_ns);
	harness_sh("ip -n %s addr add " BPEER_ADDR "/24 dev zvp1 && ip -n %s link set zvp1 up", peer_ns,
		   peer_ns);
	return 0;
}

static int teardown_net(void **state)
{
	(void)!system(
		"ip link del zvbr0 2>/dev/null; ip link del zvh0 2>/dev/null; ip link del zvh1 2>/dev/null");
	if (peer_ns[0]) {
		_cleanup_free_ char *cmd = NULL;
		if (asprintf(&cmd, "ip netns del %s", peer_ns) > 0)
			(void)!system(cmd);
	}
	return 0;
}

int main(void)
{
	if (harness_enter_netns() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_xml),
		cmocka_unit_test_setup_teardown(test_direct, setup_net, teardown_net),
		cmocka_unit_test_setup_teardown(test_bridge, setup_net, teardown_net),
		cmocka_unit_test_setup_teardown(test_failed_start, setup_net, teardown_net),
		cmocka_unit_test_setup_teardown(test_leftover_after_crash, setup_net, teardown_net),
		cmocka_unit_test_setup_teardown(test_restart_keeps_link, setup_net, teardown_net),
	};
	return harness_main("network", tests, 0);
}
