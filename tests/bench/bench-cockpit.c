/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Cockpit page's rows (tests/bench/README.md, issue 14): the page
 * opened in Debian's headless Chromium through cockpit-ws on a daemon with
 * the benchmark's 1000 domains, timed by the page's own clock (open →
 * transport → model → list drawn); a DefineXML from the page until the
 * new row is drawn; beside them their limits in the same run:
 * GetManagedObjects of the same objects in-process, and Peer.Ping from
 * the page through cockpit-bridge. tests/bench/cockpit-page.mjs does the
 * browser's part, one cockpit-ws session per round.
 *
 * libvirt has no column: its page, cockpit-machines, finds libvirtd
 * through systemd's units, and there is no systemd here.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define COCKPIT_ROUNDS  5  /* page opens, each with its own cockpit-ws and browser */
#define COCKPIT_PINGS   50 /* Peer.Ping calls from the page, per round */
#define COCKPIT_DEFINES 4  /* DefineXML from the page, per round */
#define GMO_CALLS       5

/* One round of cockpit-page.mjs: its "name value" lines into the rows. */
static void page_round(const char *url, const char *xml_file, unsigned expect)
{
	const char *src = getenv("ZVIRT_SOURCE_ROOT"), *node = getenv("ZVIRT_NODE");
	_cleanup_free_ char *script = xasprintf("%s/tests/bench/cockpit-page.mjs", src ?: ".");
	_cleanup_free_ char *expect_s = xasprintf("%u", expect), *pings = xasprintf("%d", COCKPIT_PINGS),
			    *defines = xasprintf("%d", COCKPIT_DEFINES);
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		fail_msg("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(fds[1], 1) < 0)
			_exit(120);
		if (setenv("ZVIRT_BENCH_COCKPIT_URL", url, 1) < 0 ||
		    setenv("ZVIRT_BENCH_COCKPIT_EXPECT", expect_s, 1) < 0 ||
		    setenv("ZVIRT_BENCH_COCKPIT_PINGS", pings, 1) < 0 ||
		    setenv("ZVIRT_BENCH_COCKPIT_DEFINES", defines, 1) < 0 ||
		    setenv("ZVIRT_BENCH_COCKPIT_XML", xml_file, 1) < 0)
			_exit(121);
		execl(node ?: "/usr/bin/node", "node", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	if (!f)
		fail_msg("fdopen: %s", strerror(errno));
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		char name[32];
		double v;
		if (sscanf(line, "%31s %lf", name, &v) != 2)
			continue;
		RowId id = strcmp(name, "open") == 0              ? ROW_COCKPIT_OPEN
			   : strcmp(name, "transport") == 0       ? ROW_COCKPIT_TRANSPORT
			   : strcmp(name, "model") == 0           ? ROW_COCKPIT_MODEL
			   : strcmp(name, "draw") == 0            ? ROW_COCKPIT_DRAW
			   : strcmp(name, "ping") == 0            ? ROW_COCKPIT_PING
			   : strcmp(name, "define") == 0          ? ROW_COCKPIT_DEFINE
			   : strcmp(name, "define-call") == 0     ? ROW_COCKPIT_DEFINE_CALL
			   : strcmp(name, "define-external") == 0 ? ROW_COCKPIT_DEFINE_EXT
			   : strcmp(name, "busctl-ping") == 0     ? ROW_COCKPIT_BUSCTL
								  : N_ROWS;
		if (id != N_ROWS)
			series_add(&rows[id].s, v);
	}
	fclose(f);
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("tests/bench/cockpit-page.mjs failed (status %d)", status);
}

void phase_cockpit(unsigned expect)
{
	if (!harness_cockpit_available() || !getenv("ZVIRT_COCKPIT_PAGE")) {
		note("Cockpit rows: not measured, cockpit-ws, cockpit-system, chromium or the built page "
		     "(ZVIRT_COCKPIT_PAGE) is missing");
		return;
	}
	/* The limit of the page's model: the daemon's GetManagedObjects of the
	 * same objects, in-process. */
	for (unsigned i = 0; i < GMO_CALLS; i++) {
		double ms;
		sd_bus_message_unref(bench_call(&ms, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
						"org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
						""));
		series_add(&rows[ROW_COCKPIT_GMO].s, ms);
	}

	_cleanup_free_ char *xml = harness_minimal_xml("@NAME@", NULL);
	_cleanup_free_ char *xml_file = xasprintf("%s/cockpit-bench.xml", harness_tmpdir());
	harness_write_file(xml_file, xml);
	for (unsigned round = 0; round < COCKPIT_ROUNDS; round++) {
		HarnessCockpit c;
		progress("cockpit: round %u of %d, the page with %u domains", round + 1, COCKPIT_ROUNDS,
			 expect);
		if (harness_cockpit_start(&c, false) < 0)
			fail_msg("cockpit-ws did not start");
		_cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d", c.port);
		page_round(url, xml_file, expect);
		harness_cockpit_stop(&c, false);
		/* The page's defines and undefines were signals for us too. */
		(void)harness_flush_signals();
	}
	note("Cockpit rows: the page's own clock in headless Chromium (Debian's), each of %d rounds with a "
	     "cockpit-ws of its own; open counts from the frame's start (the shell is loaded before it). "
	     "libvirt has no column: cockpit-machines finds libvirtd through systemd, absent here",
	     COCKPIT_ROUNDS);
}
