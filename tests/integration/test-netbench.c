/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The networking bench itself, before any test relies on it: in a
 * network namespace of the test's own, a private Open vSwitch whose
 * environment reaches the daemon, a netdev bridge, a tap port added and
 * removed through host/ovs.c as the daemon will do it, a peer namespace
 * that answers a ping, and no link left behind by any of it. */

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "host/ovs.h"

#define BRIDGE "zvbr0"
#define TAP    "zvtap0"
#define UUID   "6d1f7a8e-2b7c-4d5e-8f90-0123456789ab"
#define IFACE  "b0c3e1d2-1111-4222-8333-444455556666"
#define MAC    "52:54:00:5a:00:01"

static bool ovs_missing;

static void test_ovs_port(void **state)
{
	(void)state;
	ZvError err = ZV_ERROR_INIT;
	_cleanup_free_ char *before = harness_host_links();
	assert_non_null(before);

	int r = harness_ovs_start();
	if (r == -EOPNOTSUPP) {
		ovs_missing = true;
		skip();
	}
	assert_int_equal(r, 0);

	/* The daemon started from now on finds the same database. */
	assert_int_equal(harness_start_daemon(), 0);
	_cleanup_free_ char *env_path = NULL, *want = NULL;
	assert_true(asprintf(&env_path, "/proc/%d/environ", (int)harness_daemon_pid()) > 0);
	assert_true(asprintf(&want, "OVS_RUNDIR=%s/ovs", harness_tmpdir()) > 0);
	{
		_cleanup_free_ char *cmd = NULL, *got = NULL;
		assert_true(asprintf(&cmd, "tr '\\0' '\\n' < %s | grep '^OVS_RUNDIR='", env_path) > 0);
		got = harness_sh_out("%s", cmd);
		assert_string_equal(got, want);
	}

	assert_int_equal(harness_ovs_add_bridge(BRIDGE), 0);
	assert_int_equal(host_ovs_bridge_exists(BRIDGE, &err), 1);
	assert_int_equal(host_ovs_bridge_exists("zvnone", &err), 0);
	assert_int_equal(err.code, ZV_ERROR_NONE);
	_cleanup_free_ char *with_bridge = harness_host_links();
	assert_non_null(strstr(with_bridge, BRIDGE " tun\n"));

	harness_sh("ip tuntap add " TAP " mode tap && ip link set " TAP " up");
	assert_int_equal(host_ovs_add_port(BRIDGE, TAP, MAC, IFACE, UUID, 10, &err), 0);
	{
		_cleanup_free_ char *ids = harness_sh_out("ovs-vsctl get Interface " TAP " external-ids");
		assert_non_null(strstr(ids, "attached-mac=\"" MAC "\""));
		assert_non_null(strstr(ids, "iface-id=\"" IFACE "\""));
		assert_non_null(strstr(ids, "iface-status=active"));
		assert_non_null(strstr(ids, "vm-id=\"" UUID "\""));
		_cleanup_free_ char *tag = harness_sh_out("ovs-vsctl get Port " TAP " tag");
		assert_string_equal(tag, "10");
		_cleanup_free_ char *ports = harness_sh_out("ovs-vsctl list-ports " BRIDGE);
		assert_string_equal(ports, TAP);
	}
	/* Again: --may-exist, the marks rewritten. */
	assert_int_equal(host_ovs_add_port(BRIDGE, TAP, MAC, IFACE, UUID, 0, &err), 0);
	{
		_cleanup_strv_free_ char **names = NULL;
		assert_int_equal(host_ovs_vm_ports(UUID, &names, &err), 0);
		assert_non_null(names[0]);
		assert_string_equal(names[0], TAP);
		assert_null(names[1]);
	}

	/* ovs-vsctl's own words come back. */
	assert_int_equal(host_ovs_add_port("zvnone", "zvtap9", MAC, IFACE, UUID, 0, &err), -EIO);
	assert_int_equal(err.code, ZV_ERROR_HOST);
	if (!strstr(err.message, "no bridge named zvnone"))
		fail_msg("unexpected message: %s", err.message);
	zv_error_clear(&err);

	assert_int_equal(host_ovs_del_port(TAP, &err), 0);
	assert_int_equal(host_ovs_del_port(TAP, &err), 0);
	{
		_cleanup_strv_free_ char **names = NULL;
		assert_int_equal(host_ovs_vm_ports(UUID, &names, &err), 0);
		assert_null(names[0]);
		_cleanup_free_ char *ports = harness_sh_out("ovs-vsctl list-ports " BRIDGE);
		assert_string_equal(ports, "");
	}
	harness_sh("ip link del " TAP);
	_cleanup_free_ char *after_port = harness_host_links();
	assert_string_equal(after_port, with_bridge);

	/* The bench leaves nothing: the bridge's taps go with ovs-vswitchd. */
	assert_int_equal(harness_stop_daemon(), 0);
	harness_ovs_stop();
	_cleanup_free_ char *after = harness_host_links();
	assert_string_equal(after, before);
}

static void test_peer_ping(void **state)
{
	(void)state;
	_cleanup_free_ char *before = harness_host_links();
	assert_non_null(before);

	assert_int_equal(harness_netns_peer("peer", "zvpeer0", "eth0", "10.78.0.2/24"), 0);
	harness_sh("ip addr add 10.78.0.1/24 dev zvpeer0");
	_cleanup_free_ char *links = harness_host_links();
	assert_non_null(strstr(links, "zvpeer0 veth\n"));
	harness_sh("ping -c 1 -W 2 10.78.0.2 >/dev/null");
	/* The far end is in the peer namespace, not here. */
	_cleanup_free_ char *ns = harness_netns_name("peer"), *cmd = NULL, *far = NULL;
	assert_true(asprintf(&cmd, "ip -n %s -o addr show dev eth0 | grep -c 10.78.0.2/24", ns) > 0);
	far = harness_sh_out("%s", cmd);
	assert_string_equal(far, "1");

	harness_netns_cleanup();
	_cleanup_free_ char *after = harness_host_links();
	assert_string_equal(after, before);
	_cleanup_free_ char *path = NULL;
	assert_true(asprintf(&path, "/run/netns/%s", ns) > 0);
	assert_int_equal(access(path, F_OK), -1);
}

/* What harness_enter_netns() will do once it is in the harness: a
 * network namespace of this program's own and a /sys that shows its
 * links, lo up. */
static int enter_netns(void)
{
	if (geteuid() != 0)
		return 0; /* harness_run_tests() skips */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
		fprintf(stderr, "test-netbench: unshare: %m\n");
		return -errno;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || umount2("/sys", MNT_DETACH) < 0 ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL) < 0) {
		fprintf(stderr, "test-netbench: a sysfs of the new namespace: %m\n");
		return -errno;
	}
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)) {
		fprintf(stderr, "test-netbench: lo up: %m\n");
		return -errno;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ovs_port),
		cmocka_unit_test(test_peer_ping),
	};
	if (enter_netns() < 0)
		return 1;
	int r = harness_main("netbench", tests, HARNESS_NO_DAEMON);
	if (r == 0 && ovs_missing)
		fprintf(stderr, "netbench: Open vSwitch is not installed: its part was skipped\n");
	return r;
}
