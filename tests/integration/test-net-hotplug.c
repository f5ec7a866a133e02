/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NICs plugged into and pulled out of the real s390x guest while it
 * runs, in a network namespace of the test's own: a direct interface (a
 * macvtap on a veth end) and a bridge interface (a tap on a Linux
 * bridge) appear in the guest, which reaches a peer namespace through
 * them, and go again with their host links; a bad plug changes nothing,
 * on the host or in the guest; nobody may not plug; a NIC's link state
 * goes down and up while the guest runs (UpdateDevice, virsh
 * domif-setlink) and starts down when the definition says so. The
 * host's links are the same before and after every scenario.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define PEER_ADDR   "10.79.0.1"
#define GUEST_ADDR  "10.79.0.2/24"
#define BPEER_ADDR  "10.80.0.1"
#define BGUEST_ADDR "10.80.0.2/24"
#define MAC_DIRECT  "52:54:00:7b:00:01"
#define MAC_BRIDGE  "52:54:00:7b:00:02"
#define MAC_DOWN    "52:54:00:7b:00:03"

#define DIRECT_XML                                                 \
	"<interface type='direct'><mac address='" MAC_DIRECT "'/>" \
	"<source dev='zvh0' mode='bridge'/><model type='virtio'/></interface>"

static char *before_links;

/* Asserting: the guest's NIC of that MAC is there (its name, malloc'd)
 * or gone (NULL), waiting as the guest's waitnic does. */
static char *wait_guest_nic(const char *path, const char *mac, bool present)
{
	_cleanup_free_ char *cmd = NULL, *out = NULL;
	assert_true(asprintf(&cmd, "waitnic %s %s", mac, present ? "present" : "absent") > 0);
	out = harness_guest_command(path, cmd, 40000);
	const char *p = strstr(out, present ? " present " : " absent");
	if (!p)
		fail_msg("the guest's NIC %s did not %s: %s", mac, present ? "appear" : "go", out);
	if (!present)
		return NULL;
	p += strlen(" present ");
	return strndup(p, strcspn(p, " \r\n"));
}

/* "up", "down", ... as the guest's sysfs says for the NIC of mac. */
static char *guest_operstate(const char *path, const char *mac)
{
	_cleanup_free_ char *out = harness_guest_command(path, "nics", 20000);
	const char *line = strstr(out, mac);
	assert_non_null(line);
	line += strlen(mac);
	line += strspn(line, " ");
	line += strcspn(line, " "); /* the ccw bus id */
	line += strspn(line, " ");
	return strndup(line, strcspn(line, " \r\n"));
}

/* The NIC's operstate once it is want, or what it is after 20 s. */
static char *wait_operstate(const char *path, const char *mac, const char *want)
{
	char *st = NULL;
	for (int i = 0; i < 40; i++) {
		free(st);
		st = guest_operstate(path, mac);
		if (strcmp(st, want) == 0)
			break;
		usleep(500 * 1000);
	}
	return st;
}

static bool guest_pings(const char *path, const char *mac, const char *addr, const char *peer)
{
	_cleanup_free_ char *cmd = NULL, *out = NULL, *ping = NULL, *pout = NULL;
	assert_true(asprintf(&cmd, "netup %s %s", mac, addr) > 0);
	out = harness_guest_command(path, cmd, 30000);
	if (!strstr(out, " ok"))
		fail_msg("the guest could not bring up its NIC %s: %s", mac, out);
	assert_true(asprintf(&ping, "ping %s 2", peer) > 0);
	pout = harness_guest_command(path, ping, 60000);
	return strstr(pout, " ok") != NULL;
}

static void attach(const char *path, const char *xml, bool config)
{
	sd_bus_message_unref(config ? harness_call(path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}", xml,
						   2, "live", "b", 1, "config", "b", 1)
				    : harness_call(path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}", xml,
						   1, "live", "b", 1));
}

static void detach(const char *path, const char *xml, bool config)
{
	sd_bus_message_unref(config ? harness_call(path, ZVIRT_DOMAIN_IFACE, "DetachDevice", "sa{sv}", xml,
						   2, "live", "b", 1, "config", "b", 1)
				    : harness_call(path, ZVIRT_DOMAIN_IFACE, "DetachDevice", "sa{sv}", xml,
						   1, "live", "b", 1));
}

static void destroy(const char *path)
{
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
}

/* A direct NIC plugged live: the guest sees it with its MAC and reaches
 * the peer; unplugged, it and its macvtap go. */
static void test_direct(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("hp-direct"), *path = NULL, *nic = NULL, *live = NULL,
			    *after = NULL;
	path = harness_define(xml);
	harness_boot_guest(path, "hp-direct");

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	attach(path, DIRECT_XML, false);
	nic = wait_guest_nic(path, MAC_DIRECT, true);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "# direct NIC plugged and seen in the guest (%s) in %.0f ms\n", nic,
		(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	live = harness_get_xml(path);
	assert_non_null(strstr(live, "<target dev='macvtap"));
	assert_non_null(strstr(live, "<alias name='net0'/>"));
	assert_true(guest_pings(path, MAC_DIRECT, GUEST_ADDR, PEER_ADDR));

	/* A second plug of the same MAC is refused, and changes nothing. */
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", DIRECT_XML, 1, "live", "b", 1);

	detach(path, "<interface type='direct'><mac address='" MAC_DIRECT "'/></interface>", false);
	assert_null(wait_guest_nic(path, MAC_DIRECT, false));
	after = harness_get_xml(path);
	assert_null(strstr(after, "<interface"));
	harness_assert_host_links(before_links);
	/* Gone from the live definition: a second unplug finds nothing. */
	harness_expect_error("org.zvirt1.Error.NoSuchDevice", path, ZVIRT_DOMAIN_IFACE, "DetachDevice",
			     "sa{sv}", DIRECT_XML, 1, "live", "b", 1);
	destroy(path);
	harness_assert_host_links(before_links);
	harness_undefine(path);
}

/* A bridge NIC without a MAC, plugged live and in the definition: one
 * generated MAC for both; the guest reaches the peer behind the bridge. */
static void test_bridge_config(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("hp-bridge"), *path = NULL, *live = NULL,
			    *inactive = NULL, *nic = NULL;
	path = harness_define(xml);
	harness_boot_guest(path, "hp-bridge");
	attach(path, "<interface type='bridge'><source bridge='zvbr0'/></interface>", true);
	live = harness_get_xml(path);
	const char *m = strstr(live, "<mac address='");
	assert_non_null(m);
	char mac[18];
	snprintf(mac, sizeof(mac), "%.17s", m + strlen("<mac address='"));
	assert_true(strncmp(mac, "52:54:00:", 9) == 0);
	assert_non_null(strstr(live, "<target dev='vnet"));
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1, "inactive", "b", 1);
	const char *s = NULL;
	assert_int_equal(sd_bus_message_read(reply, "s", &s), 1);
	inactive = strdup(s);
	assert_non_null(strstr(inactive, mac)); /* the same MAC in both */
	assert_null(strstr(inactive, "<target dev='vnet"));
	nic = wait_guest_nic(path, mac, true);
	assert_true(guest_pings(path, mac, BGUEST_ADDR, BPEER_ADDR));

	_cleanup_free_ char *dxml = NULL;
	assert_true(asprintf(&dxml,
			     "<interface type='bridge'><mac address='%s'/><source bridge='zvbr0'/>"
			     "</interface>",
			     mac) > 0);
	detach(path, dxml, true);
	assert_null(wait_guest_nic(path, mac, false));
	harness_assert_host_links(before_links);
	destroy(path);
	_cleanup_free_ char *after = harness_get_xml(path);
	assert_null(strstr(after, "<interface"));
	harness_undefine(path);
}

/* Plugs that cannot work change nothing: no host link, no NIC in the
 * guest or in the live definition. */
static void test_bad_plugs(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("hp-bad"), *path = NULL, *live = NULL, *nics = NULL;
	path = harness_define(xml);
	harness_boot_guest(path, "hp-bad");
	harness_expect_error("org.zvirt1.Error.HostError", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", "<interface type='direct'><source dev='nosuchlink0'/></interface>", 1,
			     "live", "b", 1);
	harness_expect_error("org.zvirt1.Error.HostError", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", "<interface type='bridge'><source bridge='nosuchbr0'/></interface>",
			     1, "live", "b", 1);
	harness_expect_error("org.zvirt1.Error.InvalidXML", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", "<interface type='direct'><source dev='../x'/></interface>", 1,
			     "live", "b", 1);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", DIRECT_XML, 1, "bogus", "b", 1);
	harness_nobody_expect_error("org.zvirt1.Error.NotAuthorized", path, ZVIRT_DOMAIN_IFACE,
				    "AttachDevice", "sa{sv}", DIRECT_XML, 1, "live", "b", 1);
	harness_assert_host_links(before_links);
	live = harness_get_xml(path);
	assert_null(strstr(live, "<interface"));
	nics = harness_guest_command(path, "nics", 20000);
	assert_null(strstr(nics, "nic "));
	destroy(path);
	harness_undefine(path);
}

/* <link state='down'/> at start, then up and down again live. */
static void test_link_state(void **state)
{
	_cleanup_free_ char *xml = NULL, *path = NULL, *st = NULL;
	xml = harness_guest_xml_devices("hp-link", "    <interface type='direct'>\n"
						   "      <mac address='" MAC_DOWN "'/>\n"
						   "      <source dev='zvh0' mode='bridge'/>\n"
						   "      <link state='down'/>\n"
						   "    </interface>\n");
	path = harness_define(xml);
	harness_boot_guest(path, "hp-link");
	assert_false(guest_pings(path, MAC_DOWN, GUEST_ADDR, PEER_ADDR));
	st = guest_operstate(path, MAC_DOWN);
	assert_string_equal(st, "down");

	static const char up[] = "<interface type='direct'><mac address='" MAC_DOWN "'/>"
				 "<source dev='zvh0' mode='bridge'/><link state='up'/></interface>";
	static const char down[] = "<interface type='direct'><mac address='" MAC_DOWN "'/>"
				   "<source dev='zvh0' mode='bridge'/><link state='down'/></interface>";
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "UpdateDevice", "sa{sv}", up, 1, "live", "b", 1));
	_cleanup_free_ char *live = harness_get_xml(path);
	assert_null(strstr(live, "<link state='down'/>"));
	/* The guest learns of its carrier from a config interrupt, and
	 * its kernel's linkwatch tells operstate up to a second later. */
	free(st);
	st = wait_operstate(path, MAC_DOWN, "up");
	assert_string_equal(st, "up");
	/* Its first ARP after the carrier came can be lost under TCG. */
	bool pinged = false;
	for (int i = 0; i < 3 && !pinged; i++)
		pinged = guest_pings(path, MAC_DOWN, GUEST_ADDR, PEER_ADDR);
	assert_true(pinged);

	/* Anything else of the NIC cannot change live. */
	harness_expect_error("org.zvirt1.Error.OperationInvalid", path, ZVIRT_DOMAIN_IFACE, "UpdateDevice",
			     "sa{sv}",
			     "<interface type='direct'><mac address='" MAC_DOWN "'/>"
			     "<source dev='zvh0' mode='vepa'/></interface>",
			     1, "live", "b", 1);
	harness_nobody_expect_error("org.zvirt1.Error.NotAuthorized", path, ZVIRT_DOMAIN_IFACE,
				    "UpdateDevice", "sa{sv}", down, 1, "live", "b", 1);

	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "UpdateDevice", "sa{sv}", down, 1, "live", "b", 1));
	free(live);
	live = harness_get_xml(path);
	assert_non_null(strstr(live, "<link state='down'/>"));
	free(st);
	st = wait_operstate(path, MAC_DOWN, "down");
	assert_string_equal(st, "down");
	destroy(path);
	harness_assert_host_links(before_links);
	harness_undefine(path);
}

/* A plugged NIC outlives a daemon restart (the runtime status has it)
 * and its unplug then still removes its link; QEMU killed with a
 * plugged NIC takes its link along. */
static void test_restart_and_crash(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("hp-restart"), *path = NULL, *nic = NULL, *live = NULL;
	path = harness_define(xml);
	harness_boot_guest(path, "hp-restart");
	attach(path, DIRECT_XML, false);
	nic = wait_guest_nic(path, MAC_DIRECT, true);
	assert_int_equal(harness_restart_daemon(), 0);
	free(path);
	path = harness_lookup("hp-restart");
	live = harness_get_xml(path);
	assert_non_null(strstr(live, "<target dev='macvtap"));
	detach(path, "<interface type='direct'><mac address='" MAC_DIRECT "'/></interface>", false);
	assert_null(wait_guest_nic(path, MAC_DIRECT, false));
	harness_assert_host_links(before_links);

	attach(path, DIRECT_XML, false);
	free(nic);
	nic = wait_guest_nic(path, MAC_DIRECT, true);
	pid_t qemu = (pid_t)harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_int_equal(kill(qemu, SIGKILL), 0);
	assert_int_equal(harness_wait_state(path, "shut-off", "crashed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_assert_host_links(before_links);
	harness_undefine(path);
}

static char *conf_path(void)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/zvirtd.conf", harness_tmpdir()) > 0);
	return p;
}

/* A direct NIC without <source dev> goes on [Network] DefaultNIC=, and
 * without that key the start says what is missing. */
static void test_default_nic(void **state)
{
	_cleanup_free_ char *xml = NULL, *path = NULL, *conf = conf_path(), *original = NULL, *live = NULL,
			    *cmd = NULL, *show = NULL;
	original = harness_read_file(conf);
	xml = harness_guest_xml_devices("hp-default", "    <interface type='direct'>\n"
						      "      <mac address='" MAC_DIRECT "'/>\n"
						      "    </interface>\n");
	path = harness_define(xml);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	assert_true(harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start",
				      "a{sv}", 0) < 0);
	assert_string_equal(error.name, "org.zvirt1.Error.InvalidArgument");
	assert_non_null(strstr(error.message, "DefaultNIC="));
	harness_assert_host_links(before_links);

	_cleanup_free_ char *with = NULL;
	assert_true(asprintf(&with, "%s\n[Network]\nDefaultNIC=zvh0\n", original) > 0);
	harness_write_file(conf, with);
	assert_int_equal(harness_restart_daemon(), 0);
	free(path);
	path = harness_lookup("hp-default");
	harness_boot_guest(path, "hp-default");
	live = harness_get_xml(path);
	const char *t = strstr(live, "<target dev='macvtap");
	assert_non_null(t);
	t += strlen("<target dev='");
	assert_true(asprintf(&cmd, "ip -o link show %.*s", (int)strcspn(t, "'"), t) > 0);
	FILE *p = popen(cmd, "r");
	char line[512] = "";
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	assert_non_null(strstr(line, "@zvh0:")); /* its parent is the DefaultNIC */
	assert_true(guest_pings(path, MAC_DIRECT, GUEST_ADDR, PEER_ADDR));
	destroy(path);
	harness_assert_host_links(before_links);
	harness_undefine(path);
	harness_write_file(conf, original);
	assert_int_equal(harness_restart_daemon(), 0);
}

static int setup_net(void **state)
{
	if (harness_netns_peer("hpd", "zvh0", "zvp0", PEER_ADDR "/24") < 0 ||
	    harness_netns_peer("hpb", "zvh1", "zvp1", BPEER_ADDR "/24") < 0 ||
	    system("ip link add zvbr0 type bridge && ip link set zvbr0 up && "
		   "ip link set zvh1 master zvbr0") != 0)
		return -1;
	before_links = harness_host_links();
	return before_links ? 0 : -1;
}

static int teardown_net(void **state)
{
	free(before_links);
	before_links = NULL;
	(void)!system("ip link del zvbr0 2>/dev/null");
	harness_netns_cleanup();
	return 0;
}

int main(void)
{
	if (harness_enter_netns() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_direct, setup_net, teardown_net),
		cmocka_unit_test_setup_teardown(test_bridge_config, setup_net, teardown_net),
		cmocka_unit_test_setup_teardown(test_bad_plugs, setup_net, teardown_net),
		cmocka_unit_test_setup_teardown(test_link_state, setup_net, teardown_net),
		cmocka_unit_test_setup_teardown(test_restart_and_crash, setup_net, teardown_net),
		cmocka_unit_test_setup_teardown(test_default_nic, setup_net, teardown_net),
	};
	return harness_main("net-hotplug", tests, 0);
}
