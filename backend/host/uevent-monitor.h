/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kernel's uevents (netlink NETLINK_KOBJECT_UEVENT, group 1: the
 * kernel's own, not udev's) of the subsystems the host device calls
 * care about (ccw, ccwgroup, block, scsi), on the event loop. An event
 * is only a hint of what changed: its reader re-reads sysfs, so a
 * forged event (any root process can send one) changes nothing but a
 * re-read. A socket that overflowed (ENOBUFS) is told as an event with
 * a NULL devpath: anything may have changed. */

#include <stddef.h>

#include <systemd/sd-event.h>

typedef struct HostUevent {
	const char *action;    /* "add", "remove", "change", "online", ... */
	const char *devpath;   /* "/devices/css0/0.0.0000/0.0.7500"; NULL: lost events */
	const char *subsystem; /* "ccw", ... */
} HostUevent;

typedef void (*host_uevent_fn)(const HostUevent *ev, void *userdata);

/* Parses one datagram "ACTION@DEVPATH\0KEY=VALUE\0..." (buf[len] need
 * not be 0; the strings point into buf, which must have a 0 at or
 * after len-1). -EINVAL when it is no kernel uevent (udev's "libudev"
 * ones among them). */
int host_uevent_parse(const char *buf, size_t len, HostUevent *ret);

typedef struct HostUeventMonitor HostUeventMonitor;

int host_uevent_monitor_new(sd_event *event, host_uevent_fn fn, void *userdata, HostUeventMonitor **ret);
HostUeventMonitor *host_uevent_monitor_free(HostUeventMonitor *m);
