/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cockpit-ws for the Cockpit page's test and benchmark: without TLS, on
 * 127.0.0.1 and a free port, with one local session (cockpit-bridge as
 * the user cockpit-ws runs as, no login) on the harness's bus, the page
 * found through XDG_DATA_DIRS in a copy of the build's that nobody can
 * read too.
 */

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness-internal.h"

#define COCKPIT_WS  "/usr/lib/cockpit/cockpit-ws"
#define WS_READY_MS 10000

static bool listening(int port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
}

bool harness_cockpit_available(void)
{
	return access(COCKPIT_WS, X_OK) == 0 && access("/usr/share/cockpit/shell/index.html", R_OK) == 0 &&
	       access("/usr/bin/chromium", X_OK) == 0;
}

/* TMP/cockpit-data/cockpit/zvirt: a copy of $ZVIRT_COCKPIT_PAGE. */
static char *page_data_dir(void)
{
	const char *page = getenv("ZVIRT_COCKPIT_PAGE");
	_cleanup_free_ char *cmd = NULL, *manifest = NULL;
	char *data = NULL;

	if (!page)
		return NULL;
	if (asprintf(&data, "%s/cockpit-data", harness_tmpdir()) < 0)
		return NULL;
	if (asprintf(&manifest, "%s/cockpit/zvirt/manifest.json", data) < 0)
		return free(data), NULL;
	if (access(manifest, F_OK) == 0)
		return data;
	if (asprintf(&cmd, "mkdir -p '%s/cockpit' && cp -r '%s' '%s/cockpit/zvirt' && chmod -R a+rX '%s'",
		     data, page, data, data) < 0 ||
	    system(cmd) != 0)
		return free(data), NULL;
	return data;
}

int harness_cockpit_start(HarnessCockpit *c, bool nobody)
{
	_cleanup_free_ char *data = page_data_dir(), *home = NULL, *xdg = NULL, *home_env = NULL,
			    *port = NULL;
	static unsigned counter;
	uint16_t p;
	int r;

	*c = (HarnessCockpit){.pid = -1, .port = -1};
	if (!data || !getenv("DBUS_SYSTEM_BUS_ADDRESS")) {
		fprintf(stderr, "harness: no page to serve ($ZVIRT_COCKPIT_PAGE) or no bus\n");
		return -EINVAL;
	}
	r = harness_free_port(&p);
	if (r < 0)
		return r;
	c->port = p;
	counter++;
	if (asprintf(&home, "%s/cockpit-home-%u", harness_tmpdir(), counter) < 0 ||
	    asprintf(&c->log, "%s/cockpit-ws-%u.log", harness_tmpdir(), counter) < 0 ||
	    asprintf(&xdg, "XDG_DATA_DIRS=%s:/usr/share", data) < 0 ||
	    asprintf(&home_env, "HOME=%s", home) < 0 || asprintf(&port, "%d", c->port) < 0)
		return -ENOMEM;
	if (mkdir(home, 0700) < 0 || (nobody && chown(home, HARNESS_NOBODY_UID, HARNESS_NOBODY_UID) < 0))
		return -errno;

	/* The bus is the harness's (its DBUS_SYSTEM_BUS_ADDRESS), inherited. */
	char *const argv[] = {
		COCKPIT_WS, "--no-tls", "-a", "127.0.0.1", "-p", port, "--local-session=cockpit-bridge",
		NULL};
	char *const env[] = {xdg, home_env, NULL};
	const SpawnOptions o = {
		.log_path = c->log, .keep_fd = -1, .death_signal = SIGTERM, .env = env, .as_nobody = nobody};
	pid_t pid;
	r = harness_spawn(argv, &o, &pid);
	if (r < 0)
		return r;
	c->pid = pid;
	for (int64_t start = harness_now_ms(); harness_now_ms() - start < WS_READY_MS;
	     harness_sleep_ms(50)) {
		if (listening(c->port))
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			c->pid = -1;
			break;
		}
	}
	fprintf(stderr, "harness: cockpit-ws did not listen on port %d within %d ms\n", c->port,
		WS_READY_MS);
	harness_cockpit_stop(c, true);
	return -ETIMEDOUT;
}

void harness_cockpit_stop(HarnessCockpit *c, bool print_log)
{
	if (c->pid > 0)
		(void)harness_stop_child(&c->pid, SIGTERM, 10000, "cockpit-ws", NULL);
	c->pid = -1;
	if (print_log && c->log) {
		_cleanup_free_ char *text = harness_read_file_if_exists(c->log);
		if (text && text[0])
			fprintf(stderr, "--- cockpit-ws on port %d ---\n%s", c->port, text);
	}
	free(c->log);
	c->log = NULL;
}
