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
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "zvirtctl-run.h"

#define COCKPIT_WS  "/usr/lib/cockpit/cockpit-ws"
#define GUEST       "cockpit-guest"
#define BRIDGE      "zvcbr0"
#define MIG_GUEST   "cockpit-mig"
#define BROWSER_MS  (10 * 60 * 1000)
#define WS_READY_MS 10000

/* A TCP port on 127.0.0.1 that nothing listens on now. */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Until something accepts connections on 127.0.0.1:port. */
static void wait_listening(int port)
{
	for (int64_t start = harness_now_ms(); harness_now_ms() - start < WS_READY_MS;
	     harness_sleep_ms(50)) {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons(port),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		int r = connect(fd, (struct sockaddr *)&a, sizeof(a));
		close(fd);
		if (r == 0)
			return;
	}
	fail_msg("cockpit-ws did not listen on port %d within %d ms", port, WS_READY_MS);
}

/* TMP/cockpit-data/cockpit/zvirt: the built page where cockpit-bridge
 * looks for packages ($XDG_DATA_DIRS/cockpit/), readable by nobody too. */
static char *page_data_dir(void)
{
	const char *page = getenv("ZVIRT_COCKPIT_PAGE");
	_cleanup_free_ char *cmd = NULL;
	char *data;

	assert_non_null(page);
	assert_true(asprintf(&data, "%s/cockpit-data", harness_tmpdir()) > 0);
	assert_true(asprintf(&cmd,
			     "mkdir -p '%s/cockpit' && cp -r '%s' '%s/cockpit/zvirt' && chmod -R a+rX '%s'",
			     data, page, data, data) > 0);
	assert_int_equal(system(cmd), 0);
	return data;
}

typedef struct Ws {
	pid_t pid;
	int port;
	int out;
} Ws;

/*
 * cockpit-ws without TLS on a free port, with one local session (the
 * bridge runs as the user cockpit-ws runs as, without a login) on the
 * harness's bus. A --local-session cockpit-ws serves one session: the
 * browser opens each of them once.
 */
static Ws ws_start(const char *data, bool nobody)
{
	_cleanup_free_ char *bus = NULL, *xdg = NULL, *home = NULL, *port = NULL, *home_dir = NULL;
	Ws ws = {.port = free_port()};

	assert_true(asprintf(&home_dir, "%s/home-%s", harness_tmpdir(), nobody ? "nobody" : "root") > 0);
	assert_int_equal(mkdir(home_dir, 0700), 0);
	if (nobody)
		assert_int_equal(chown(home_dir, HARNESS_NOBODY_UID, HARNESS_NOBODY_UID), 0);
	assert_true(asprintf(&bus, "DBUS_SYSTEM_BUS_ADDRESS=%s", address()) > 0);
	assert_true(asprintf(&xdg, "XDG_DATA_DIRS=%s:/usr/share", data) > 0);
	assert_true(asprintf(&home, "HOME=%s", home_dir) > 0);
	assert_true(asprintf(&port, "%d", ws.port) > 0);
	ws.out = open_capture(nobody ? "cockpit-ws-nobody.log" : "cockpit-ws-root.log");
	ws.pid = spawn_prog("/usr/bin/env", nobody, false, ws.out, ws.out,
			    (const char *const[]){bus, xdg, home, COCKPIT_WS, "--no-tls", "-a", "127.0.0.1",
						  "-p", port, "--local-session=cockpit-bridge", NULL});
	wait_listening(ws.port);
	return ws;
}

/* Stops it; its log is printed when the test failed. */
static void ws_stop(Ws *ws, bool failed)
{
	if (ws->pid > 0) {
		(void)kill(ws->pid, SIGTERM);
		(void)wait_exit(ws->pid, 10000);
	}
	_cleanup_free_ char *log = read_capture(ws->out);
	if (failed && log[0])
		fprintf(stderr, "--- cockpit-ws on port %d ---\n%s", ws->port, log);
	close(ws->out);
}

static void test_browser(void **state)
{
	const char *node = getenv("ZVIRT_NODE"), *shots = getenv("ZVIRT_COCKPIT_SHOTS");
	_cleanup_free_ char *data = page_data_dir(), *script = NULL, *image = NULL, *cmd = NULL,
			    *xml_file = NULL, *env_url = NULL, *env_url_nobody = NULL, *env_xml = NULL,
			    *env_image = NULL, *env_shots = NULL, *env_bus = NULL, *env_peer = NULL;

	assert_non_null(node);
	assert_non_null(shots);
	if (access(COCKPIT_WS, X_OK) < 0 || access("/usr/share/cockpit/shell/index.html", R_OK) < 0 ||
	    access("/usr/bin/chromium", X_OK) < 0)
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

	Ws root = ws_start(data, false), nobody = ws_start(data, true);

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
	ws_stop(&root, r.code != 0);
	ws_stop(&nobody, r.code != 0);
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
