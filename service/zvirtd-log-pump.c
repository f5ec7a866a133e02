/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* zvirtd-log-pump: copies QEMU's output from pipes into size-bounded,
 * rotated log files, and ends when QEMU (every writer) is gone.
 *
 *   zvirtd-log-pump [--max-backups=N] FD:MAX_SIZE:MODE:PATH...
 *
 * One argument per stream: the pipe's read end it inherited, the size
 * PATH may grow to, MODE "append" (keep adding to PATH) or "fresh" (move
 * a PATH that is not empty to PATH.0 first), and the file. PATH comes
 * last, so it may contain colons.
 *
 * Why a process of its own: QEMU must never write into a pipe whose
 * reader went away (EPIPE, or a stalled guest), and the daemon may be
 * restarted or killed while guests run. So zvirtd starts one pump per
 * domain, in its own session, before QEMU; a daemon that dies leaves it
 * running, and the next one need not know it. It writes files as the
 * daemon's user, so QEMU's unprivileged user needs no write access to
 * LogDir. It ignores SIGTERM, SIGINT and SIGHUP: QEMU's last words
 * (terminating on signal ...) come after such a signal, and the pump ends
 * on its own once QEMU has. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log-rotate.h"

#define MAX_STREAMS 8
#define CHUNK       65536

typedef struct Stream {
	int fd;
	uint64_t max_size;
	bool fresh;
	const char *path;
	LogRotate file;
	int error;          /* the last write error, 0 while writes work */
	uint64_t n_dropped; /* bytes lost since that error */
} Stream;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "zvirtd-log-pump[%d]: ", (int)getpid());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int parse_u64(const char *s, char **end, uint64_t *ret)
{
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, end, 10);
	if (errno)
		return -errno;
	*ret = v;
	return 0;
}

/* FD:MAX_SIZE:MODE:PATH */
static int parse_stream(char *arg, Stream *s)
{
	char *end;
	uint64_t fd = 0, max = 0;

	if (parse_u64(arg, &end, &fd) < 0 || *end != ':' || fd < 3 || fd > INT32_MAX)
		return -EINVAL;
	if (parse_u64(end + 1, &end, &max) < 0 || *end != ':' || max == 0)
		return -EINVAL;
	char *mode = end + 1, *colon = strchr(mode, ':');
	if (!colon || colon[1] != '/')
		return -EINVAL;
	*colon = 0;
	if (strcmp(mode, "append") != 0 && strcmp(mode, "fresh") != 0)
		return -EINVAL;
	*s = (Stream){.fd = (int)fd, .max_size = max, .fresh = mode[0] == 'f', .path = colon + 1};
	s->file = (LogRotate)LOG_ROTATE_INIT;
	return fcntl(s->fd, F_GETFD) < 0 ? -EBADF : 0;
}

static void copy_chunk(Stream *s, const char *buf, size_t len)
{
	int r = log_rotate_write(&s->file, buf, len);
	if (r < 0) {
		/* Said once per failure, not once per chunk. */
		if (r != s->error)
			say("%s: cannot write: %s; dropping output until it works again", s->path,
			    strerror(-r));
		s->error = r;
		s->n_dropped += len;
		return;
	}
	if (s->error)
		say("%s: writing again (%" PRIu64 " bytes were dropped)", s->path, s->n_dropped);
	s->error = 0;
	s->n_dropped = 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: zvirtd-log-pump [--max-backups=N] FD:MAX_SIZE:append|fresh:PATH...\n"
		   "Copies each pipe FD into PATH, rotating PATH to PATH.0 .. PATH.<N-1> at MAX_SIZE\n"
		   "bytes (N defaults to 3). Runs until every pipe is at its end. Started by zvirtd.\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"max-backups", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	Stream streams[MAX_STREAMS];
	size_t n = 0;
	uint64_t backups = 3;
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		char *end;
		switch (c) {
		case 'b':
			if (parse_u64(optarg, &end, &backups) < 0 || *end || backups > 100) {
				say("--max-backups=%s: expected a number from 0 to 100", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc || argc - optind > MAX_STREAMS) {
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		char *arg = argv[i];
		if (parse_stream(arg, &streams[n]) < 0) {
			say("%s: expected FD:MAX_SIZE:append|fresh:/PATH with an open FD above 2", argv[i]);
			return 2;
		}
		n++;
	}

	/* Nothing here may end the pump while QEMU still writes. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	/* Not to keep the daemon's working directory's file system busy. */
	(void)!chdir("/");

	for (size_t i = 0; i < n; i++) {
		Stream *s = &streams[i];
		int r = log_rotate_open(&s->file, s->path, s->max_size, (unsigned)backups, s->fresh);
		if (r == -ENOMEM)
			return 1;
		if (r < 0) {
			/* Tried again at the first output. */
			say("%s: cannot open: %s", s->path, strerror(-r));
			s->error = r;
		}
	}

	static char buf[CHUNK];
	size_t open_streams = n;
	while (open_streams > 0) {
		struct pollfd pfd[MAX_STREAMS];
		for (size_t i = 0; i < n; i++)
			pfd[i] = (struct pollfd){.fd = streams[i].fd, .events = POLLIN};
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			say("poll: %s", strerror(errno));
			return 1;
		}
		for (size_t i = 0; i < n; i++) {
			Stream *s = &streams[i];
			if (s->fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			/* After POLLHUP, read() still returns what is left; 0 once it is all out. */
			ssize_t k = read(s->fd, buf, sizeof(buf));
			if (k < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (k > 0) {
				copy_chunk(s, buf, (size_t)k);
				continue;
			}
			if (k < 0)
				say("%s: read: %s", s->path, strerror(errno));
			/* End of file: every writer (QEMU) is gone. */
			close(s->fd);
			s->fd = -1;
			log_rotate_close(&s->file);
			open_streams--;
		}
	}
	return 0;
}
