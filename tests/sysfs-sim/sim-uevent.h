/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Uevents as the kernel sends them: on NETLINK_KOBJECT_UEVENT, group 1
 * (the kernel's; udev re-sends on group 2), "ACTION@DEVPATH" and then
 * KEY=VALUE strings, each NUL-terminated. Only root may send there: the
 * simulator runs as root in the test's network namespace, where the
 * daemon listens. */

int sim_uevent_open(void);
/* action "add", "remove", "change", "online", "offline"; devpath below
 * /sys ("/devices/css0/0.0.0000/0.0.7500"); extra "KEY=VALUE" strings
 * (NULL-terminated list, may be NULL). */
void sim_uevent(const char *action, const char *devpath, const char *subsystem, const char *const *extra);
