/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hot-plug commands of the monitor (monitor.h): one step of a
 * qemu/hotplug-plan.h plan at a time. */

#include <errno.h>

#include "monitor-internal.h"

int qemu_monitor_run_step(QemuMonitor *mon, const char *command, json_object *args, qemu_monitor_done_fn cb)
{
	return monitor_send_done(mon, command, args, -1, cb);
}

int qemu_monitor_device_del(QemuMonitor *mon, const char *id, qemu_monitor_done_fn cb)
{
	json_object *args = json_object_new_object();
	if (!args || json_object_object_add(args, "id", json_object_new_string(id)) < 0) {
		json_object_put(args);
		return -ENOMEM;
	}
	return monitor_send_done(mon, "device_del", args, -1, cb);
}
