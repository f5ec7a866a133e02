/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cockpit-ws for the Cockpit page's test and benchmark: without TLS, on
 * 127.0.0.1 and a free port, with one local session (cockpit-bridge as
 * the user cockpit-ws runs as, no login) on the harness's bus, the page
 * found through XDG_DATA_DIRS in a copy of the build's that nobody can
 * read too.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define COCKPIT_WS  "/usr/lib/cockpit/cockpit-ws"
#define WS_READY_MS 10000

/* A TCP port on 127.0.0.1 that nothing listens on now. */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -errno;
	return ntohs(a.sin_port);
}

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
	_cleanup_free_ char *data = page_data_dir(), *home = NULL, *log = NULL, *bus = NULL, *xdg = NULL,
			    *home_env = NULL, *port = NULL;
	static unsigned counter;
	const char *address = getenv("DBUS_SYSTEM_BUS_ADDRESS");

	*c = (HarnessCockpit){.pid = -1, .port = -1};
	if (!data || !address) {
		fprintf(stderr, "harness: no page to serve ($ZVIRT_COCKPIT_PAGE) or no bus\n");
		return -EINVAL;
	}
	c->port = free_port();
	if (c->port < 0)
		return c->port;
	counter++;
	if (asprintf(&home, "%s/cockpit-home-%u", harness_tmpdir(), counter) < 0 ||
	    asprintf(&log, "%s/cockpit-ws-%u.log", harness_tmpdir(), counter) < 0 ||
	    asprintf(&bus, "DBUS_SYSTEM_BUS_ADDRESS=%s", address) < 0 ||
	    asprintf(&xdg, "XDG_DATA_DIRS=%s:/usr/share", data) < 0 ||
	    asprintf(&home_env, "HOME=%s", home) < 0 || asprintf(&port, "%d", c->port) < 0)
		return -ENOMEM;
	if (mkdir(home, 0700) < 0 || (nobody && chown(home, HARNESS_NOBODY_UID, HARNESS_NOBODY_UID) < 0))
		return -errno;
	c->log = TAKE_PTR(log);

	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || devnull < 0 || dup2(devnull, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(120);
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (nobody && (setgroups(0, NULL) < 0 || setgid(HARNESS_NOBODY_UID) < 0 ||
			       setuid(HARNESS_NOBODY_UID) < 0))
			_exit(121);
		char *env[] = {bus, xdg, home_env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
			       NULL};
		execve(COCKPIT_WS,
		       (char *const[]){COCKPIT_WS, "--no-tls", "-a", "127.0.0.1", "-p", port,
				       "--local-session=cockpit-bridge", NULL},
		       env);
		_exit(127);
	}
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
	if (c->pid > 0) {
		(void)kill(c->pid, SIGTERM);
		for (int i = 0; i < 200 && waitpid(c->pid, NULL, WNOHANG) == 0; i++)
			harness_sleep_ms(50);
		(void)kill(c->pid, SIGKILL);
		(void)waitpid(c->pid, NULL, 0);
		c->pid = -1;
	}
	if (print_log && c->log) {
		_cleanup_free_ char *text = harness_read_file_if_exists(c->log);
		if (text && text[0])
			fprintf(stderr, "--- cockpit-ws on port %d ---\n%s", c->port, text);
	}
	free(c->log);
	c->log = NULL;
}
