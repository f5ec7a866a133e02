/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Open vSwitch guest NICs for real, in a network namespace of the test's
 * own with a private userspace Open vSwitch whose environment the daemon
 * has: the guest's tap is a port of the OVS bridge, marked with the
 * external_ids an OVN controller reads (iface-id, attached-mac, vm-id)
 * and tagged with the <vlan>; the guest pings a peer namespace whose
 * veth end is another port of the bridge, in the same VLAN. A stop
 * removes the port and the tap; after the daemon was killed and QEMU
 * died, the next daemon removes the port, from the status file or, when
 * there is none, by its vm-id, and never a port it did not mark; a start
 * on a bridge that does not exist fails with HostError and leaves no
 * port and no link. The host's links are the same before and after
 * every scenario.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define OVS_BRIDGE    "zvovs0"
#define PEER_IF       "zvoh0"
#define PEER_ADDR     "10.79.0.1"
#define GUEST_ADDR    "10.79.0.2/24"
#define VLAN          "10"
#define MAC           "52:54:00:7b:00:01"
#define IFACE_ID      "0b5c6a3e-7d21-4e8f-9a10-b2c3d4e5f607"
#define UUID_PING     "a1b2c3d4-0001-4000-8000-00000000a001"
#define UUID_CRASH    "a1b2c3d4-0002-4000-8000-00000000a002"
#define UUID_NOSTAT   "a1b2c3d4-0003-4000-8000-00000000a003"
#define UUID_MISSING  "a1b2c3d4-0004-4000-8000-00000000a004"
#define UUID_REBOOT   "a1b2c3d4-0005-4000-8000-00000000a005"
#define UUID_INFLIGHT "a1b2c3d4-0006-4000-8000-00000000a006"
#define UUID_FOREIGN  "f0f0f0f0-0000-4000-8000-00000000f0f0"
#define UUID_HOTPLUG  "a1b2c3d4-0007-4000-8000-00000000a007"
#define PORT_WAIT_MS  15000

static bool ovs_ready, ovs_missing;

/* The names of the ports whose Interface has vm-id=uuid, one a line. */
static char *ports_of(const char *uuid)
{
	return harness_sh_out(
		"ovs-vsctl --format=csv --data=bare --no-headings --columns=name find Interface "
		"external-ids:vm-id=%s",
		uuid);
}

/* Waits until no port carries vm-id=uuid (the removal is queued on the
 * daemon's OVS worker, after the state change is told). */
static void wait_no_ports(const char *uuid)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		_cleanup_free_ char *ports = ports_of(uuid);
		if (ports[0] == 0)
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
		    PORT_WAIT_MS)
			fail_msg("the Open vSwitch ports of %s are still there: %s", uuid, ports);
		usleep(100 * 1000);
	}
}

/* The test's Open vSwitch NIC on bridge, as an element (malloc'd). */
static char *ovs_iface(const char *bridge)
{
	char *out = NULL;
	assert_true(asprintf(&out,
			     "    <interface type='bridge'>\n"
			     "      <mac address='" MAC "'/>\n"
			     "      <source bridge='%s'/>\n"
			     "      <vlan><tag id='" VLAN "'/></vlan>\n"
			     "      <virtualport type='openvswitch'>\n"
			     "        <parameters interfaceid='" IFACE_ID "'/>\n"
			     "      </virtualport>\n"
			     "    </interface>\n",
			     bridge) > 0);
	return out;
}

static char *ovs_xml(const char *name, const char *uuid, const char *bridge)
{
	_cleanup_free_ char *xml = harness_guest_xml_uuid(name, uuid), *iface = ovs_iface(bridge);
	char *end = strstr(xml, "  </devices>");
	assert_non_null(end);
	char *out = NULL;
	assert_true(asprintf(&out, "%.*s%s%s", (int)(end - xml), xml, iface, end) > 0);
	return out;
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

/* The port of the running guest at path: its marks, its tag, a tap on
 * no Linux bridge. Returns the tap's name. */
static char *assert_port(const char *path, const char *uuid)
{
	char *target = live_target(path);
	assert_true(strncmp(target, "vnet", 4) == 0);
	_cleanup_free_ char *show = harness_sh_out("ip -d link show %s", target);
	assert_non_null(strstr(show, " tun "));
	assert_null(strstr(show, "master"));
	assert_non_null(strstr(show, "fe:54:00:7b:00:01"));
	assert_non_null(strstr(show, "alias zvirtd:"));
	_cleanup_free_ char *ids = harness_sh_out("ovs-vsctl get Interface %s external-ids", target);
	if (!strstr(ids, "attached-mac=\"" MAC "\"") || !strstr(ids, "iface-id=\"" IFACE_ID "\"") ||
	    !strstr(ids, "iface-status=active") || !strstr(ids, uuid))
		fail_msg("external_ids of %s: %s", target, ids);
	_cleanup_free_ char *want_vm = NULL;
	assert_true(asprintf(&want_vm, "vm-id=\"%s\"", uuid) > 0);
	assert_non_null(strstr(ids, want_vm));
	_cleanup_free_ char *tag = harness_sh_out("ovs-vsctl get Port %s tag", target);
	assert_string_equal(tag, VLAN);
	_cleanup_free_ char *br = harness_sh_out("ovs-vsctl port-to-br %s", target);
	assert_string_equal(br, OVS_BRIDGE);
	_cleanup_free_ char *ports = ports_of(uuid);
	assert_string_equal(ports, target);
	return target;
}

/* The guest's NIC of MAC gets its address and reaches the peer. */
static void assert_guest_pings(const char *path)
{
	_cleanup_free_ char *out = harness_guest_command(path, "netup " MAC " " GUEST_ADDR, 30000);
	if (!strstr(out, " ok"))
		fail_msg("the guest could not bring up its NIC: %s", out);
	_cleanup_free_ char *pout = harness_guest_command(path, "ping " PEER_ADDR " 3", 60000);
	/* The userspace datapath sends a new port's first packets (the ARP
	 * exchange) up to ovs-vswitchd, which a loaded machine (valgrind, the
	 * suite in parallel) can delay past ping's 2 s wait: one more try. */
	if (!strstr(pout, " ok ")) {
		free(pout);
		pout = harness_guest_command(path, "ping " PEER_ADDR " 5", 60000);
	}
	if (!strstr(pout, " ok "))
		fail_msg("the guest cannot ping its peer through Open vSwitch: %s", pout);
}

static unsigned link_mtu(const char *name)
{
	_cleanup_free_ char *mtu = harness_sh_out("cat /sys/class/net/%s/mtu", name);
	return (unsigned)strtoul(mtu, NULL, 10);
}

/* Once per program: the switch, the bridge, the peer on its VLAN, then
 * the daemon, which must see OVS_RUNDIR. */
static int setup_ovs(void **state)
{
	if (ovs_ready)
		return 0;
	if (ovs_missing)
		return 0;
	int r = harness_ovs_start();
	if (r == -EOPNOTSUPP) {
		ovs_missing = true;
		return 0;
	}
	if (r < 0 || harness_ovs_add_bridge(OVS_BRIDGE) < 0 ||
	    harness_netns_peer("peer", PEER_IF, "eth0", PEER_ADDR "/24") < 0 ||
	    system("ovs-vsctl add-port " OVS_BRIDGE " " PEER_IF " tag=" VLAN) != 0 ||
	    harness_start_daemon() < 0)
		return -1;
	ovs_ready = true;
	return 0;
}

static void test_ping_and_stop(void **state)
{
	if (ovs_missing)
		skip();
	_cleanup_free_ char *before = harness_host_links(), *xml = NULL, *path = NULL, *target = NULL,
			    *live = NULL;
	assert_non_null(before);
	xml = ovs_xml("ovs-ping", UUID_PING, OVS_BRIDGE);
	path = harness_define(xml);
	harness_boot_guest(path, "ovs-ping");
	target = assert_port(path, UUID_PING);
	live = harness_get_xml(path);
	assert_non_null(strstr(live, "<parameters interfaceid='" IFACE_ID "'/>"));

	assert_guest_pings(path);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	wait_no_ports(UUID_PING);
	_cleanup_free_ char *ports = harness_sh_out("ovs-vsctl list-ports " OVS_BRIDGE);
	assert_string_equal(ports, PEER_IF);
	harness_assert_host_links(before);
	harness_undefine(path);
}

/* A reboot is a new QEMU whose tap gets the same name: the old port's
 * removal, queued at the stop, comes before the new one's addition. The
 * tap takes the OVS bridge's MTU. */
static void test_reboot_and_mtu(void **state)
{
	if (ovs_missing)
		skip();
	_cleanup_free_ char *before = harness_host_links(), *xml = NULL, *path = NULL, *target = NULL,
			    *again = NULL, *log = harness_console_log("ovs-reboot");
	assert_non_null(before);
	harness_sh("ovs-vsctl set Interface " OVS_BRIDGE " mtu_request=1400");
	for (int i = 0; i < 100 && link_mtu(OVS_BRIDGE) != 1400; i++)
		usleep(50 * 1000);
	assert_int_equal(link_mtu(OVS_BRIDGE), 1400);

	xml = ovs_xml("ovs-reboot", UUID_REBOOT, OVS_BRIDGE);
	path = harness_define(xml);
	harness_boot_guest(path, "ovs-reboot");
	target = assert_port(path, UUID_REBOOT);
	assert_int_equal(link_mtu(target), 1400);

	off_t console_mark = harness_file_size(log);
	size_t mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Reboot", "a{sv}", 0));
	assert_non_null(harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "shut-off",
					    HARNESS_BOOT_TIMEOUT_MS));
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_BOOT_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console_from(log, console_mark, "zvirt-guest: ready boot_id=",
						   HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	again = assert_port(path, UUID_REBOOT);
	assert_string_equal(again, target);
	assert_int_equal(link_mtu(again), 1400);
	assert_guest_pings(path);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	wait_no_ports(UUID_REBOOT);
	harness_sh("ovs-vsctl clear Interface " OVS_BRIDGE " mtu_request");
	harness_assert_host_links(before);
	harness_undefine(path);
}

/* The daemon dies after the port was added, before cont: the next one
 * carries the start through, adding the port again (it is there: its
 * marks are rewritten), and the guest reaches its peer. */
static void test_killed_before_cont(void **state)
{
	if (ovs_missing)
		skip();
	_cleanup_free_ char *before = harness_host_links(), *xml = NULL, *path = NULL, *target = NULL,
			    *log = harness_console_log("ovs-inflight");
	assert_non_null(before);
	xml = ovs_xml("ovs-inflight", UUID_INFLIGHT, OVS_BRIDGE);
	path = harness_define(xml);
	assert_int_equal(harness_stop_daemon(), 0);
	assert_int_equal(setenv("ZVIRTD_FAULT_KILL", "start-before-cont", 1), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(unsetenv("ZVIRTD_FAULT_KILL"), 0);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	assert_true(harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start",
				      "a{sv}", 0) < 0);
	assert_return_code(harness_kill_daemon(), 0);
	_cleanup_free_ char *left = ports_of(UUID_INFLIGHT);
	assert_true(strncmp(left, "vnet", 4) == 0);

	assert_int_equal(harness_start_daemon(), 0);
	free(path);
	path = harness_lookup("ovs-inflight");
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console(log, "zvirt-guest: ready boot_id=", HARNESS_BOOT_TIMEOUT_MS),
			 0);
	target = assert_port(path, UUID_INFLIGHT);
	assert_string_equal(target, left);
	assert_guest_pings(path);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	wait_no_ports(UUID_INFLIGHT);
	harness_assert_host_links(before);
	harness_undefine(path);
}

/* The daemon killed, then QEMU: the port stays until the next daemon;
 * a port of a UUID that is no domain of this host stays for good. */
static void crash_and_restart(const char *name, const char *uuid, bool drop_status)
{
	_cleanup_free_ char *before = harness_host_links(), *xml = NULL, *path = NULL, *target = NULL,
			    *status = NULL;
	assert_non_null(before);
	xml = ovs_xml(name, uuid, OVS_BRIDGE);
	path = harness_define(xml);
	harness_boot_guest(path, name);
	target = assert_port(path, uuid);
	status = harness_run_file(path, ".xml");
	pid_t qemu = (pid_t)harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_int_equal(harness_kill_daemon(), 0);
	assert_int_equal(kill(qemu, SIGKILL), 0);
	assert_int_equal(harness_wait_pid_gone(qemu, 10000), 0);
	/* The tap went with QEMU; the port did not: nobody removed it. */
	_cleanup_free_ char *left = ports_of(uuid);
	assert_string_equal(left, target);
	/* Without a status the next daemon cannot know the domain ran: only
	 * the vm-id tells. */
	if (drop_status)
		assert_int_equal(unlink(status), 0);
	harness_sh("ovs-vsctl -- --if-exists del-port zvforeign0 -- --if-exists del-port zvforeign1 -- "
		   "add-port " OVS_BRIDGE " zvforeign0 -- set Interface zvforeign0 "
		   "external-ids:vm-id=" UUID_FOREIGN " external-ids:iface-id=foreign");
	harness_sh("ovs-vsctl add-port " OVS_BRIDGE " zvforeign1");

	assert_int_equal(harness_start_daemon(), 0);
	free(path);
	path = harness_lookup(name);
	assert_non_null(path);
	if (drop_status) {
		_cleanup_free_ char *st = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "State");
		assert_string_equal(st, "shut-off");
	} else
		harness_assert_state(path, "shut-off", "crashed");
	wait_no_ports(uuid);
	harness_assert_host_links(before);
	/* Not ours: kept. */
	_cleanup_free_ char *ports = harness_sh_out("ovs-vsctl list-ports " OVS_BRIDGE);
	harness_sh("ovs-vsctl del-port zvforeign0 -- del-port zvforeign1");
	assert_string_equal(ports, "zvforeign0\nzvforeign1\n" PEER_IF);
	harness_undefine(path);
}

static void test_crash_with_status(void **state)
{
	if (ovs_missing)
		skip();
	crash_and_restart("ovs-crash", UUID_CRASH, false);
}

static void test_crash_without_status(void **state)
{
	if (ovs_missing)
		skip();
	crash_and_restart("ovs-nostatus", UUID_NOSTAT, true);
}

static void test_missing_bridge(void **state)
{
	if (ovs_missing)
		skip();
	_cleanup_free_ char *before = harness_host_links(), *xml = NULL, *path = NULL, *ports_before = NULL,
			    *ports_after = NULL, *ours = NULL;
	assert_non_null(before);
	ports_before =
		harness_sh_out("ovs-vsctl --format=csv --data=bare --no-headings --columns=name list Port");
	xml = ovs_xml("ovs-missing", UUID_MISSING, "zvnobr0");
	path = harness_define(xml);

	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}",
				  0);
	assert_true(r < 0);
	assert_string_equal(error.name, ZVIRT_ERROR("HostError"));
	if (strncmp(error.message, "Starting domain 'ovs-missing' failed: Cannot add port vnet", 58) != 0 ||
	    !strstr(error.message, "to Open vSwitch bridge zvnobr0: ovs-vsctl: no bridge named zvnobr0"))
		fail_msg("unexpected message: %s", error.message);
	assert_int_equal(harness_wait_state(path, "shut-off", "failed", HARNESS_STATE_TIMEOUT_MS), 0);
	/* add-port is one transaction: it failed whole, before the answer. */
	ours = ports_of(UUID_MISSING);
	assert_string_equal(ours, "");
	ports_after =
		harness_sh_out("ovs-vsctl --format=csv --data=bare --no-headings --columns=name list Port");
	assert_string_equal(ports_after, ports_before);
	harness_assert_host_links(before);
	harness_undefine(path);
}

/* The NIC plugged into a running guest: its port (marked, tagged) before
 * the guest sees it; pulled, port and tap go. A plug on a bridge OVS
 * does not have is HostError and leaves nothing. */
static void test_hotplug(void **state)
{
	if (ovs_missing)
		skip();
	_cleanup_free_ char *before = harness_host_links(), *xml = NULL, *path = NULL, *target = NULL,
			    *nic = NULL, *iface = NULL, *after = NULL;
	assert_non_null(before);
	xml = harness_guest_xml_uuid("ovs-hotplug", UUID_HOTPLUG);
	path = harness_define(xml);
	harness_boot_guest(path, "ovs-hotplug");
	iface = ovs_iface(OVS_BRIDGE);
	_cleanup_free_ char *bad_iface = ovs_iface("zvnobr0");

	harness_expect_error(ZVIRT_ERROR("HostError"), path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}",
			     bad_iface, 1, "live", "b", 1);
	harness_assert_host_links(before);
	_cleanup_free_ char *none = ports_of(UUID_HOTPLUG);
	assert_string_equal(none, "");

	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}", iface, 1, "live", "b", 1));
	target = assert_port(path, UUID_HOTPLUG);
	nic = harness_guest_command(path, "waitnic " MAC " present", 40000);
	if (!strstr(nic, " present "))
		fail_msg("the plugged NIC did not appear in the guest: %s", nic);
	assert_guest_pings(path);

	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "DetachDevice", "sa{sv}", iface, 1, "live", "b", 1));
	after = harness_guest_command(path, "waitnic " MAC " absent", 40000);
	assert_non_null(strstr(after, " absent"));
	wait_no_ports(UUID_HOTPLUG);
	harness_assert_host_links(before);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_undefine(path);
}

/* The daemon's log from byte from on (malloc'd). */
static char *log_from(off_t from)
{
	_cleanup_free_ char *all = harness_read_file(harness_daemon_log());
	assert_true((size_t)from <= strlen(all));
	return strdup(all + from);
}

/* A daemon that finds no ovs-vsctl, or no ovsdb: the search for leftover
 * ports of a domain that does not run says nothing above debug; a start
 * of the domain at path fails with HostError saying why (start_error),
 * leaving no link, and the removal at its stop is quiet too. */
static void daemon_without_ovs(const char *path_env, const char *leftover_msg, const char *start_error)
{
	off_t mark = harness_file_size(harness_daemon_log());
	_cleanup_free_ char *saved = strdup(getenv("PATH")), *before = harness_host_links(), *path = NULL;
	assert_non_null(saved);
	if (path_env)
		assert_int_equal(setenv("PATH", path_env, 1), 0);
	int r = harness_start_daemon();
	assert_int_equal(setenv("PATH", saved, 1), 0);
	assert_int_equal(r, 0);
	if (harness_wait_console_from(harness_daemon_log(), mark, leftover_msg, 10000, NULL) < 0)
		fail_msg("the daemon did not say '%s'", leftover_msg);

	path = harness_lookup("ovs-idle");
	assert_non_null(path);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0);
	assert_true(r < 0);
	assert_string_equal(error.name, ZVIRT_ERROR("HostError"));
	if (strncmp(error.message, "Starting domain 'ovs-idle' failed: ", 35) != 0 ||
	    !strstr(error.message, start_error))
		fail_msg("unexpected message: %s", error.message);
	assert_int_equal(harness_wait_state(path, "shut-off", "failed", HARNESS_STATE_TIMEOUT_MS), 0);
	if (harness_wait_console_from(harness_daemon_log(), mark, "no Open vSwitch ports to remove", 10000,
				      NULL) < 0)
		fail_msg("the daemon did not try to remove the port of the failed start");
	harness_assert_host_links(before);

	_cleanup_free_ char *log = log_from(mark);
	for (char *l = log; l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = 0;
		if (strstr(l, "Open vSwitch") && !strstr(l, " debug: ") && !strstr(l, "Starting domain"))
			fail_msg("not a debug line: %s", l);
		l = nl ? nl + 1 : NULL;
	}
	assert_int_equal(harness_stop_daemon(), 0);
}

static void test_no_ovs_is_silent(void **state)
{
	if (ovs_missing)
		skip();
	_cleanup_free_ char *xml = ovs_xml("ovs-idle", UUID_MISSING, OVS_BRIDGE),
			    *path = harness_define(xml);
	assert_int_equal(harness_stop_daemon(), 0);
	harness_ovs_stop();
	ovs_ready = false;
	/* No ovs-vsctl on PATH (the daemon runs QEMU and its log pump by
	 * their full paths). */
	_cleanup_free_ char *empty = NULL;
	assert_true(asprintf(&empty, "%s/empty-path", harness_tmpdir()) > 0);
	assert_int_equal(mkdir(empty, 0755), 0);
	/* A daemon run under a wrapper (valgrind) still needs to find it. */
	const char *wrapper = getenv("ZVIRTD_WRAPPER");
	if (wrapper && *wrapper) {
		_cleanup_free_ char *prog = strndup(wrapper, strcspn(wrapper, " ")), *full = NULL,
				    *link = NULL;
		full = harness_sh_out("command -v %s", prog);
		assert_true(asprintf(&link, "%s/%s", empty, prog) > 0);
		assert_int_equal(symlink(full, link), 0);
		/* Debian's valgrind is a script that runs "$0.bin". */
		_cleanup_free_ char *bin = NULL, *bin_link = NULL;
		assert_true(asprintf(&bin, "%s.bin", full) > 0);
		assert_true(asprintf(&bin_link, "%s.bin", link) > 0);
		if (access(bin, X_OK) == 0)
			assert_int_equal(symlink(bin, bin_link), 0);
	}
	daemon_without_ovs(empty, "Open vSwitch is not installed (no ovs-vsctl)",
			   "Open vSwitch is not installed (no ovs-vsctl)");
	/* ovs-vsctl, but no ovsdb-server where it looks. */
	daemon_without_ovs(NULL, "database connection failed",
			   "Cannot add port vnet0 to Open vSwitch bridge " OVS_BRIDGE ": ovs-vsctl: ");
	assert_int_equal(harness_start_daemon(), 0);
	free(path);
	path = harness_lookup("ovs-idle");
	harness_undefine(path);
}

int main(void)
{
	if (geteuid() == 0 && harness_enter_netns() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ping_and_stop, setup_ovs),
		cmocka_unit_test_setup(test_reboot_and_mtu, setup_ovs),
		cmocka_unit_test_setup(test_killed_before_cont, setup_ovs),
		cmocka_unit_test_setup(test_crash_with_status, setup_ovs),
		cmocka_unit_test_setup(test_crash_without_status, setup_ovs),
		cmocka_unit_test_setup(test_missing_bridge, setup_ovs),
		cmocka_unit_test_setup(test_hotplug, setup_ovs),
		cmocka_unit_test(test_no_ovs_is_silent),
	};
	int r = harness_main("network-ovs", tests, HARNESS_NO_DAEMON);
	if (r == 0 && ovs_missing)
		fprintf(stderr, "network-ovs: Open vSwitch is not installed: the tests were skipped\n");
	return r;
}
