/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Cockpit page (cockpit/) in a real headless Chromium: Debian's
 * cockpit-ws serves Cockpit's shell and the built page, one for root's
 * session and one for user nobody's, against the harness's bus, polkitd,
 * daemon and a booted guest; cockpit/test/browser.test.mjs (node's test
 * runner, playwright-core driving /usr/bin/chromium over the DevTools
 * protocol) clicks through the page and checks every change on the bus
 * with busctl. Its screenshots go to $ZVIRT_COCKPIT_SHOTS
 * (<build>/meson-logs/cockpit-screenshots).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "zvirtctl-run.h"

#define GUEST      "cockpit-guest"
#define BRIDGE     "zvcbr0"
#define MIG_GUEST  "cockpit-mig"
#define BROWSER_MS (10 * 60 * 1000)

static void test_browser(void **state)
{
	const char *node = getenv("ZVIRT_NODE"), *shots = getenv("ZVIRT_COCKPIT_SHOTS");
	_cleanup_free_ char *script = NULL, *image = NULL, *cmd = NULL, *xml_file = NULL, *env_url = NULL,
			    *env_url_nobody = NULL, *env_xml = NULL, *env_image = NULL, *env_shots = NULL,
			    *env_bus = NULL, *env_peer = NULL;

	assert_non_null(node);
	assert_non_null(shots);
	if (!harness_cockpit_available())
		fail_msg("cockpit-ws, cockpit-system and chromium are needed (tools/install-deps.sh "
			 "installs them)");

	/* The s390 host devices the page lists and sets online (the sysfs
	 * simulator: the seed's DASDs and FCP devices), a bridge for a NIC in
	 * this test's network namespace, the guest the page finds running, a
	 * domain the test defines with busctl while the page is open, and an
	 * image to attach. */
	int r_sim = harness_sim_start("seed.ini", NULL);
	if (r_sim == -EOPNOTSUPP)
		fprintf(stderr,
			"test-cockpit: no FUSE here, the host devices part runs without the simulator\n");
	else
		assert_int_equal(r_sim, 0);
	assert_int_equal(system("ip link add " BRIDGE " type bridge && ip link set " BRIDGE " up"), 0);
	_cleanup_free_ char *xml = harness_guest_xml(GUEST),
			    *new_xml = harness_minimal_xml("cockpit-new", NULL);
	_cleanup_free_ char *path = harness_define(xml);
	harness_boot_guest(path, GUEST);
	/* A second host to migrate to, and a guest whose migration takes its
	 * time (it rewrites its memory; the page caps the speed): the job the
	 * page shows, and cancels. */
	assert_int_equal(harness_peer_start("[Relocation]\nServer=yes\nAddress=127.0.0.3\n"), 0);
	_cleanup_free_ char *mig = harness_boot_dirty(MIG_GUEST, 32);
	xml_file = write_tmp("cockpit-new.xml", new_xml);
	assert_true(asprintf(&image, "%s/cockpit-disk.img", harness_tmpdir()) > 0);
	assert_true(asprintf(&cmd, "qemu-img create -q -f raw '%s' 16M && chmod a+r '%s'", image, image) >
		    0);
	assert_int_equal(system(cmd), 0);

	HarnessCockpit root, nobody;
	assert_int_equal(harness_cockpit_start(&root, false), 0);
	assert_int_equal(harness_cockpit_start(&nobody, true), 0);

	assert_true(asprintf(&script, "%s/cockpit/test/browser.test.mjs", harness_source_root()) > 0);
	assert_true(asprintf(&env_url, "ZVIRT_COCKPIT_URL=http://127.0.0.1:%d", root.port) > 0);
	assert_true(asprintf(&env_url_nobody, "ZVIRT_COCKPIT_URL_NOBODY=http://127.0.0.1:%d", nobody.port) >
		    0);
	assert_true(asprintf(&env_xml, "ZVIRT_COCKPIT_NEW_XML=%s", xml_file) > 0);
	assert_true(asprintf(&env_image, "ZVIRT_COCKPIT_IMAGE=%s", image) > 0);
	assert_true(asprintf(&env_shots, "ZVIRT_COCKPIT_SHOTS=%s", shots) > 0);
	assert_true(asprintf(&env_bus, "DBUS_SYSTEM_BUS_ADDRESS=%s", address()) > 0);
	assert_true(asprintf(&env_peer, "ZVIRT_COCKPIT_MIGRATE_TO=%s", harness_peer_bus_address()) > 0);
	_cleanup_(run_done) Run r = run_argv_within(
		"/usr/bin/env", false, false,
		(const char *const[]){env_url, env_url_nobody, env_xml, env_image, env_shots, env_bus,
				      env_peer, "ZVIRT_COCKPIT_DOMAIN=" GUEST,
				      "ZVIRT_COCKPIT_BRIDGE=" BRIDGE, "ZVIRT_COCKPIT_MIG_DOMAIN=" MIG_GUEST,
				      r_sim == 0 ? "ZVIRT_COCKPIT_SIM=1" : "ZVIRT_COCKPIT_SIM=0", node,
				      "--test", "--test-reporter=spec", script, NULL},
		BROWSER_MS);
	harness_cockpit_stop(&root, r.code != 0);
	harness_cockpit_stop(&nobody, r.code != 0);
	fprintf(stderr, "%s%s", r.out, r.err);
	assert_int_equal(r.code, 0);

	/* What the page did is what the daemon holds: the guest runs again
	 * (restored from its managed save), with the weight set on the page;
	 * nobody's Start changed nothing. */
	harness_assert_state(path, "running", "restored");
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "CPUShares"), 512);
	_cleanup_free_ char *other = harness_lookup("cockpit-new");
	harness_assert_state(other, "shut-off", "unknown");
	/* The cancelled migration left the guest here, running, and nothing there. */
	harness_assert_state(mig, "running", "booted");
	_cleanup_free_ char *there = harness_peer_lookup(MIG_GUEST);
	assert_null(there);
}

int main(void)
{
	/* The bridge and the guest's tap stay in a namespace of the test's own. */
	if (geteuid() == 0 && harness_enter_netns() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_browser),
	};
	return harness_main("cockpit", tests, 0);
}
