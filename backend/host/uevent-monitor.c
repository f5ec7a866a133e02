/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's uevents (uevent-monitor.h). */
#include "host/uevent-monitor.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "util/log.h"

/* A uevent is at most a page of environment (UEVENT_BUFFER_SIZE 2048
 * plus the header); datagrams per wake-up, epoll wakes us for the rest. */
#define UEVENT_MAX 8192
#define READS_MAX  64

struct HostUeventMonitor {
	int fd;
	sd_event_source *io;
	host_uevent_fn fn;
	void *userdata;
};

int host_uevent_parse(const char *buf, size_t len, HostUevent *ret)
{
	HostUevent ev = {};
	const char *at = memchr(buf, '@', strnlen(buf, len));
	if (!at || len == 0 || buf[len - 1] != 0)
		return -EINVAL;
	for (size_t off = strlen(buf) + 1; off < len; off += strlen(buf + off) + 1) {
		const char *kv = buf + off;
		if (strncmp(kv, "ACTION=", 7) == 0)
			ev.action = kv + 7;
		else if (strncmp(kv, "DEVPATH=", 8) == 0)
			ev.devpath = kv + 8;
		else if (strncmp(kv, "SUBSYSTEM=", 10) == 0)
			ev.subsystem = kv + 10;
	}
	if (!ev.action || !ev.devpath || !ev.subsystem || ev.devpath[0] != '/')
		return -EINVAL;
	*ret = ev;
	return 0;
}

static bool wanted(const char *subsystem)
{
	return strcmp(subsystem, "ccw") == 0 || strcmp(subsystem, "ccwgroup") == 0 ||
	       strcmp(subsystem, "block") == 0 || strcmp(subsystem, "scsi") == 0;
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	HostUeventMonitor *m = userdata;
	char buf[UEVENT_MAX + 1];

	for (int i = 0; i < READS_MAX; i++) {
		ssize_t n = recv(m->fd, buf, UEVENT_MAX, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				m->fn(&(HostUevent){.action = "change"}, m->userdata);
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				log_debug("Uevent monitor: %s", strerror(errno));
			break;
		}
		buf[n] = 0;
		HostUevent ev;
		if (n > 0 && host_uevent_parse(buf, (size_t)n + (buf[n - 1] != 0), &ev) >= 0 &&
		    wanted(ev.subsystem))
			m->fn(&ev, m->userdata);
	}
	return 0;
}

int host_uevent_monitor_new(sd_event *event, host_uevent_fn fn, void *userdata, HostUeventMonitor **ret)
{
	HostUeventMonitor *m = calloc(1, sizeof(*m));
	int r;
	if (!m)
		return -ENOMEM;
	m->fn = fn;
	m->userdata = userdata;
	m->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
	if (m->fd < 0) {
		r = -errno;
		goto fail;
	}
	/* A burst (a thousand devices set online) fits; more is ENOBUFS. */
	int size = 4 * 1024 * 1024;
	(void)setsockopt(m->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	struct sockaddr_nl a = {.nl_family = AF_NETLINK, .nl_groups = 1};
	if (bind(m->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		goto fail;
	}
	r = sd_event_add_io(event, &m->io, m->fd, EPOLLIN, on_readable, m);
	if (r < 0)
		goto fail;
	(void)sd_event_source_set_description(m->io, "uevent-monitor");
	*ret = m;
	return 0;
fail:
	host_uevent_monitor_free(m);
	return r;
}

HostUeventMonitor *host_uevent_monitor_free(HostUeventMonitor *m)
{
	if (!m)
		return NULL;
	sd_event_source_disable_unref(m->io);
	if (m->fd >= 0)
		close(m->fd);
	free(m);
	return NULL;
}
