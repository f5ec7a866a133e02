/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Tells when the host's links change: an rtnetlink socket in the
 * RTNLGRP_LINK group on the event loop. Changes that come within
 * HOST_LINK_MONITOR_COALESCE_USEC of the first are told once, after
 * that time: creating a bond and enslaving two ports is one change. A
 * socket that overflowed (ENOBUFS: the kernel dropped messages) is told
 * as a change too; nothing is lost that a new listing would not show. */

#include <stdint.h>

#include <systemd/sd-event.h>

#define HOST_LINK_MONITOR_COALESCE_USEC (100 * 1000ULL)

typedef struct HostLinkMonitor HostLinkMonitor;

typedef void (*host_link_changed_fn)(void *userdata);

/* 0 and *ret, or negative errno (the socket cannot be opened: a daemon
 * without CAP_NET_ADMIN still can, any user may listen). */
int host_link_monitor_new(sd_event *event, host_link_changed_fn fn, void *userdata, HostLinkMonitor **ret);
HostLinkMonitor *host_link_monitor_free(HostLinkMonitor *m);
