/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Connecting to the destination's relocation port (data-connect.h). */
#include "migration/data-connect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

struct DataConnect {
	int fd;
	sd_event_source *io, *timer;
	data_connect_fn cb;
	void *userdata;
};

int migration_uri_parse(const char *uri, struct sockaddr_storage *ret_addr, socklen_t *ret_len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *p, *colon;
	size_t n;

	if (!uri || strncmp(uri, "tcp:", 4) != 0)
		return -EINVAL;
	p = uri + 4;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		n = (size_t)(close - p - 1);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, p + 1, n);
		colon = close + 1;
	} else {
		colon = strrchr(p, ':');
		if (!colon || (n = (size_t)(colon - p)) >= sizeof(host))
			return -EINVAL;
		memcpy(host, p, n);
	}
	host[n] = 0;

	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || *end || colon[1] < '0' || colon[1] > '9' || port == 0 || port > 65535)
		return -EINVAL;

	memset(ret_addr, 0, sizeof(*ret_addr));
	struct sockaddr_in *in = (struct sockaddr_in *)ret_addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret_addr;
	if (p[0] != '[' && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*ret_len = sizeof(*in);
		return 0;
	}
	if (p[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*ret_len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

DataConnect *data_connect_free(DataConnect *c)
{
	if (!c)
		return NULL;
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return NULL;
}

static void finish(DataConnect *c, int result)
{
	data_connect_fn cb = c->cb;
	int fd = result == 0 ? TAKE_FD(c->fd) : -1;
	c->cb = NULL;
	(void)sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
	(void)sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
	cb(result, fd, c->userdata);
}

static int on_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	DataConnect *c = userdata;
	int error = 0;
	socklen_t len = sizeof(error);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	finish(c, -error);
	return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	finish(userdata, -ETIMEDOUT);
	return 0;
}

int data_connect_new(sd_event *event, const char *uri, uint64_t timeout_usec, data_connect_fn cb,
		     void *userdata, DataConnect **ret)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int r = migration_uri_parse(uri, &addr, &len);
	if (r < 0)
		return r;

	_cleanup_(data_connect_freep) DataConnect *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (DataConnect){.fd = -1, .cb = cb, .userdata = userdata};
	c->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&addr, len) < 0 && errno != EINPROGRESS)
		return -errno;
	/* Connected at once (loopback) or not: writable says when. */
	r = sd_event_add_io(event, &c->io, c->fd, EPOLLOUT, on_writable, c);
	if (r < 0)
		return r;
	r = sd_event_add_time_relative(event, &c->timer, CLOCK_MONOTONIC, timeout_usec, 0, on_timeout, c);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}
