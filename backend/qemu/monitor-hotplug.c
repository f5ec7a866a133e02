/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hot-plug commands of the monitor (monitor.h): block nodes and
 * devices in and out of a running QEMU. The arguments are the objects
 * qemu/cmdline.c builds for the command line, so that a device plugged
 * later is the device a start would have made. */

#include <errno.h>

#include "monitor-internal.h"

int qemu_monitor_blockdev_add(QemuMonitor *mon, json_object *props, qemu_monitor_done_fn cb)
{
	return monitor_send_done(mon, "blockdev-add", props, -1, cb);
}

static int send_named(QemuMonitor *mon, const char *command, const char *key, const char *value,
		      qemu_monitor_done_fn cb)
{
	json_object *args = json_object_new_object();
	if (!args || json_object_object_add(args, key, json_object_new_string(value)) < 0) {
		json_object_put(args);
		return -ENOMEM;
	}
	return monitor_send_done(mon, command, args, -1, cb);
}

int qemu_monitor_blockdev_del(QemuMonitor *mon, const char *node_name, qemu_monitor_done_fn cb)
{
	return send_named(mon, "blockdev-del", "node-name", node_name, cb);
}

int qemu_monitor_device_add(QemuMonitor *mon, json_object *props, qemu_monitor_done_fn cb)
{
	return monitor_send_done(mon, "device_add", props, -1, cb);
}

int qemu_monitor_device_del(QemuMonitor *mon, const char *id, qemu_monitor_done_fn cb)
{
	return send_named(mon, "device_del", "id", id, cb);
}
