/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The console relay: the daemon opens the pty QEMU made for the guest's
 * console and copies bytes between it and one client's socket on the
 * event loop, never blocking. Guest output is never held up by a client
 * that does not read: past CONSOLE_BUF_SIZE of unsent output, further
 * output is dropped (QEMU's console log still has all of it). Client
 * input is back-pressured instead: the socket is read only as fast as the
 * pty takes it, so nothing a client typed is lost. QEMU writes its
 * console log itself, whoever reads the pty. */

#include "console.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "dac.h"
#include "domain-internal.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#define CONSOLE_BUF_SIZE (64u * 1024)

/* Unix98 pty slaves: majors 136-143 (Documentation/admin-guide/devices.txt). */
#define PTY_SLAVE_MAJOR_FIRST 136
#define PTY_SLAVE_MAJOR_LAST  143

typedef struct Buffer {
	size_t len;
	char data[CONSOLE_BUF_SIZE];
} Buffer;

struct DomainConsole {
	Domain *domain;
	int pty_fd;
	int client_fd;
	sd_event_source *pty_source;
	sd_event_source *client_source;
	Buffer to_client; /* guest output not yet sent */
	Buffer to_pty;    /* client input not yet written */
	uint64_t dropped; /* guest output bytes dropped for a slow client */
};

static void console_free(DomainConsole *c)
{
	if (!c)
		return;
	if (c->dropped)
		log_info("Domain %s: console client was slow, %llu bytes of guest output not sent to it",
			 domain_name(c->domain), (unsigned long long)c->dropped);
	sd_event_source_disable_unref(c->pty_source);
	sd_event_source_disable_unref(c->client_source);
	if (c->pty_fd >= 0)
		close(c->pty_fd);
	if (c->client_fd >= 0)
		close(c->client_fd);
	free(c);
}

void domain_console_close(Domain *d)
{
	console_free(TAKE_PTR(d->console));
}

/* What each side waits for follows from what the buffers hold. */
static void update_events(DomainConsole *c)
{
	(void)sd_event_source_set_io_events(c->pty_source, EPOLLIN | (c->to_pty.len ? EPOLLOUT : 0));
	(void)sd_event_source_set_io_events(c->client_source,
					    (c->to_pty.len < CONSOLE_BUF_SIZE ? EPOLLIN : 0) |
						    (c->to_client.len ? EPOLLOUT : 0));
}

/* Writes what fits; 0, or negative errno when fd is broken. */
static int flush(int fd, Buffer *b, bool is_socket)
{
	while (b->len > 0) {
		ssize_t n = is_socket ? send(fd, b->data, b->len, MSG_NOSIGNAL | MSG_DONTWAIT)
				      : write(fd, b->data, b->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		memmove(b->data, b->data + n, b->len - (size_t)n);
		b->len -= (size_t)n;
	}
	return 0;
}

/* The relay ends: the client sees EOF, the pty is let go. */
static void relay_end(DomainConsole *c, const char *why)
{
	log_debug("Domain %s: console relay ends: %s", domain_name(c->domain), why);
	domain_console_close(c->domain);
}

static int on_pty(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	DomainConsole *c = userdata;

	if (revents & EPOLLIN) {
		char scratch[4096];
		for (;;) {
			/* When the client's buffer is full, read anyway and drop:
			 * QEMU must never wait for our client. */
			size_t room = CONSOLE_BUF_SIZE - c->to_client.len;
			char *dst = room ? c->to_client.data + c->to_client.len : scratch;
			ssize_t n = read(fd, dst, room ? room : sizeof(scratch));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0) {
				/* EIO: QEMU closed the master, it is going away. */
				relay_end(c, n < 0 ? strerror(errno) : "end of file on the pty");
				return 0;
			}
			if (room)
				c->to_client.len += (size_t)n;
			else
				c->dropped += (uint64_t)n;
		}
		if (flush(c->client_fd, &c->to_client, true) < 0) {
			relay_end(c, "the client's socket broke");
			return 0;
		}
	} else if (revents & (EPOLLHUP | EPOLLERR)) {
		relay_end(c, "the pty hung up");
		return 0;
	}
	if ((revents & EPOLLOUT) && flush(fd, &c->to_pty, false) < 0) {
		relay_end(c, "the pty cannot be written");
		return 0;
	}
	update_events(c);
	return 0;
}

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	DomainConsole *c = userdata;

	if ((revents & EPOLLOUT) && flush(fd, &c->to_client, true) < 0) {
		relay_end(c, "the client's socket broke");
		return 0;
	}
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		while (c->to_pty.len < CONSOLE_BUF_SIZE) {
			ssize_t n = recv(fd, c->to_pty.data + c->to_pty.len,
					 CONSOLE_BUF_SIZE - c->to_pty.len, MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0) {
				relay_end(c, "the client closed its socket");
				return 0;
			}
			c->to_pty.len += (size_t)n;
		}
		if (flush(c->pty_fd, &c->to_pty, false) < 0) {
			relay_end(c, "the pty cannot be written");
			return 0;
		}
	}
	update_events(c);
	return 0;
}

/* The pty console a client gets: the SCLP console first. */
static const ConsoleDef *find_pty_console(const DomainDef *live)
{
	const ConsoleDef *found = NULL;
	for (size_t i = 0; live && i < live->n_consoles; i++) {
		const ConsoleDef *con = &live->consoles[i];
		if (con->type != CONSOLE_TYPE_PTY || !con->live_pty_path)
			continue;
		if (!found || con->target == CONSOLE_TARGET_SCLP)
			found = con;
	}
	return found;
}

/* The path came from QEMU, which is not trusted with root's power: it
 * must be a pty slave that QEMU's user owns, never a file or another
 * user's terminal. */
static int open_pty(Domain *d, const char *path, ZvError *err)
{
	if (strncmp(path, "/dev/pts/", strlen("/dev/pts/")) != 0)
		return zv_error_set(err, ZV_ERROR_HOST, EPERM,
				    "The console of domain '%s' is not a pty (%s)", domain_name(d), path);

	_cleanup_close_ int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno,
				    "Cannot open the console %s of domain '%s': %s", path, domain_name(d),
				    strerror(errno));

	struct stat st;
	QemuProcessUser user = dac_process_user(d);
	uid_t owner = user.change ? user.uid : geteuid();
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) < PTY_SLAVE_MAJOR_FIRST ||
	    major(st.st_rdev) > PTY_SLAVE_MAJOR_LAST || st.st_uid != owner)
		return zv_error_set(err, ZV_ERROR_HOST, EPERM,
				    "The console %s of domain '%s' is not a pty of QEMU's user", path,
				    domain_name(d));

	/* Raw: no echo, no line editing, no CR/LF games; bytes as they are. */
	struct termios tio;
	if (tcgetattr(fd, &tio) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot read the modes of %s: %s", path,
				    strerror(errno));
	cfmakeraw(&tio);
	if (tcsetattr(fd, TCSANOW, &tio) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot make %s raw: %s", path,
				    strerror(errno));
	return TAKE_FD(fd);
}

static int console_new(Domain *d, const char *pty_path, DomainConsole **ret, ZvError *err)
{
	DomainConsole *c = calloc(1, sizeof(*c));
	if (!c)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	c->domain = d;
	c->client_fd = -1;
	c->pty_fd = open_pty(d, pty_path, err);
	if (c->pty_fd < 0) {
		int r = c->pty_fd;
		console_free(c);
		return r;
	}
	int r = sd_event_add_io(registry_get_event(d->registry), &c->pty_source, c->pty_fd, EPOLLIN, on_pty,
				c);
	if (r < 0) {
		console_free(c);
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot watch the console of domain '%s': %s",
				    domain_name(d), strerror(-r));
	}
	*ret = c;
	return 0;
}

/* Gives the relay a new client socket (our end), closing the old one:
 * its client sees end of file. Guest output queued for it is dropped,
 * input it sent and the pty has not taken yet still goes to the guest. */
static int console_attach(DomainConsole *c, int fd, ZvError *err)
{
	c->client_source = sd_event_source_disable_unref(c->client_source);
	if (c->client_fd >= 0)
		close(c->client_fd);
	c->client_fd = fd;
	c->to_client.len = 0;
	int r = sd_event_add_io(registry_get_event(c->domain->registry), &c->client_source, fd, EPOLLIN,
				on_client, c);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r,
				    "Cannot watch the console client of domain '%s': %s",
				    domain_name(c->domain), strerror(-r));
	update_events(c);
	return 0;
}

int domain_open_console(Domain *d, bool force, int *ret_fd, ZvError *err)
{
	assert(d);
	assert(ret_fd);

	int r = lifecycle_check(DOMAIN_OP_OPEN_CONSOLE, d->state, d->reason, domain_name(d), err);
	if (r < 0)
		return r;
	const ConsoleDef *con = find_pty_console(d->live);
	if (!con)
		return zv_error_set(
			err, ZV_ERROR_OPERATION_INVALID, ENODEV,
			"Domain '%s' has no pty console (OpenConsole relays <console type='pty'>)",
			domain_name(d));
	if (d->console && !force)
		return zv_error_set(
			err, ZV_ERROR_BUSY, EBUSY,
			"The console of domain '%s' is open by another client; force takes it over",
			domain_name(d));

	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot create a socket for the console: %s",
				    strerror(errno));
	_cleanup_close_ int ours = pair[0], theirs = pair[1];
	/* Only our end: the caller's end blocks or not, as the caller likes. */
	if (fcntl(ours, F_SETFL, O_NONBLOCK) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot set up the console socket: %s",
				    strerror(errno));

	/* A takeover keeps the pty open, so QEMU never sees it hang up. */
	bool created = !d->console;
	if (created) {
		r = console_new(d, con->live_pty_path, &d->console, err);
		if (r < 0)
			return r;
	}
	r = console_attach(d->console, TAKE_FD(ours), err);
	if (r < 0) {
		domain_console_close(d);
		return r;
	}
	log_info("Domain %s: console %s opened%s", domain_name(d), con->live_pty_path,
		 created ? "" : " (taken over from the previous client)");
	*ret_fd = TAKE_FD(theirs);
	return 0;
}
