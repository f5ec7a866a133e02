/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Link changes from rtnetlink, coalesced (see link-monitor.h). The
 * socket is non-blocking and read until it is empty, at most a bounded
 * number of reads per wake-up, so a storm of changes never holds the
 * loop; the messages themselves are not parsed: a client lists again. */
#include "host/link-monitor.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "host/netlink.h"
#include "util/event-accuracy.h"
#include "util/log.h"

/* Reads per wake-up; epoll wakes us again for the rest. */
#define READS_MAX 64

struct HostLinkMonitor {
	sd_event *event;
	struct nl_sock *sock;
	sd_event_source *io;
	sd_event_source *timer;
	host_link_changed_fn fn;
	void *userdata;
};

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	HostLinkMonitor *m = userdata;
	m->fn(m->userdata);
	return 0;
}

/* The first change of a round arms the timer; later ones ride on it. */
static void changed(HostLinkMonitor *m)
{
	int enabled = SD_EVENT_OFF;
	uint64_t now;

	if (m->timer && sd_event_source_get_enabled(m->timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
		return;
	if (sd_event_now(m->event, CLOCK_MONOTONIC, &now) < 0)
		return;
	if (!m->timer) {
		if (sd_event_add_time(m->event, &m->timer, CLOCK_MONOTONIC,
				      now + HOST_LINK_MONITOR_COALESCE_USEC, EVENT_ACCURACY_USEC, on_timer,
				      m) < 0) {
			/* Better told at once than never. */
			m->fn(m->userdata);
			return;
		}
		(void)sd_event_source_set_description(m->timer, "link-changes");
		return;
	}
	(void)sd_event_source_set_time(m->timer, now + HOST_LINK_MONITOR_COALESCE_USEC);
	(void)sd_event_source_set_enabled(m->timer, SD_EVENT_ONESHOT);
}

static int on_message(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	HostLinkMonitor *m = userdata;
	bool any = false;

	for (int i = 0; i < READS_MAX; i++) {
		int r = nl_recvmsgs_default(m->sock);
		/* 0: a datagram was read and handled. */
		if (r == -NLE_AGAIN)
			break;
		/* Anything else, ENOBUFS (libnl: NLE_NOMEM) among it: something
		 * changed that we may not have seen, which is all we tell. */
		any = true;
		if (r < 0) {
			log_debug("Link monitor: %s", nl_geterror(r));
			if (r != -NLE_NOMEM && r != -NLE_DUMP_INTR)
				break;
		}
	}
	if (any)
		changed(m);
	return 0;
}

int host_link_monitor_new(sd_event *event, host_link_changed_fn fn, void *userdata, HostLinkMonitor **ret)
{
	HostLinkMonitor *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->event = sd_event_ref(event);
	m->fn = fn;
	m->userdata = userdata;
	r = host_netlink_connect(&m->sock);
	if (r < 0)
		goto fail;
	/* Notifications carry the kernel's numbers, not ours. */
	nl_socket_disable_seq_check(m->sock);
	r = host_netlink_errno(nl_socket_modify_cb(m->sock, NL_CB_VALID, NL_CB_CUSTOM, on_message, m));
	if (r >= 0)
		r = host_netlink_errno(nl_socket_add_membership(m->sock, RTNLGRP_LINK));
	if (r >= 0)
		r = host_netlink_errno(nl_socket_set_nonblocking(m->sock));
	if (r < 0)
		goto fail;
	r = sd_event_add_io(event, &m->io, nl_socket_get_fd(m->sock), EPOLLIN, on_readable, m);
	if (r < 0)
		goto fail;
	(void)sd_event_source_set_description(m->io, "link-monitor");
	*ret = m;
	return 0;
fail:
	host_link_monitor_free(m);
	return r;
}

HostLinkMonitor *host_link_monitor_free(HostLinkMonitor *m)
{
	if (!m)
		return NULL;
	sd_event_source_disable_unref(m->io);
	sd_event_source_disable_unref(m->timer);
	if (m->sock)
		nl_socket_free(m->sock);
	sd_event_unref(m->event);
	free(m);
	return NULL;
}
