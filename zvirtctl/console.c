/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "call.h"
#include "console.h"
#include "errors.h"
#include "util/cleanup.h"

#define ESCAPE 0x1d /* Ctrl-] */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 0 at Ctrl-] or the end of stdin, 1 when the console ended, or negative errno. */
static int relay(int console)
{
	char buf[4096];
	struct pollfd p[2] = {
		{.fd = STDIN_FILENO, .events = POLLIN},
		{.fd = console, .events = POLLIN},
	};

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(console, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0)
				return 1;
			int r = write_all(STDOUT_FILENO, buf, (size_t)n);
			if (r < 0)
				return r;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0)
				return 0;
			char *esc = memchr(buf, ESCAPE, (size_t)n);
			int r = write_all(console, buf, esc ? (size_t)(esc - buf) : (size_t)n);
			if (r < 0)
				return r;
			if (esc)
				return 0;
		}
	}
}

int console_attach(Ctl *ctl, const char *path, const char *name, bool force)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_close_ int console = -1;
	struct termios saved, raw;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	int fd, r;

	r = call_new(ctl, path, ZVIRT_DOMAIN_IFACE, "OpenConsole", &m);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0 && force)
		r = call_option_bool(m, "force", true);
	if (r >= 0)
		r = call_run(ctl, m, &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "h", &fd);
	if (r < 0)
		return error_report(&error, r);
	/* The reply owns its descriptor. */
	console = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (console < 0)
		return error_report(NULL, -errno);

	printf("Connected to domain '%s'\nEscape character is ^] (Ctrl + ])\n", name);
	fflush(stdout);
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &raw);
	}
	r = relay(console);
	if (tty)
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	/* The raw terminal left the cursor where the guest put it. */
	printf("\n");
	if (r < 0)
		return error_report(NULL, r);
	return ZVIRTCTL_EXIT_OK;
}
