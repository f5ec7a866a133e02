/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hot-plug commands of the monitor (monitor.h): one step of a
 * qemu/hotplug-plan.h plan at a time. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-internal.h"

int qemu_monitor_run_step(QemuMonitor *mon, const char *command, json_object *args, qemu_monitor_done_fn cb)
{
	return monitor_send_done(mon, command, args, -1, cb);
}

int qemu_monitor_run_step_fd(QemuMonitor *mon, const char *command, json_object *args, int pass_fd,
			     qemu_monitor_done_fn cb)
{
	return monitor_send_done(mon, command, args, pass_fd, cb);
}

int qemu_monitor_set_link(QemuMonitor *mon, const char *id, bool up, qemu_monitor_done_fn cb)
{
	json_object *args = json_object_new_object();
	if (!args || json_object_object_add(args, "name", json_object_new_string(id)) < 0 ||
	    json_object_object_add(args, "up", json_object_new_boolean(up)) < 0) {
		json_object_put(args);
		return -ENOMEM;
	}
	return monitor_send_done(mon, "set_link", args, -1, cb);
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

typedef struct TrayQuery {
	char *id;
	qemu_monitor_tray_fn cb;
} TrayQuery;

static void tray_query_free(void *ctx)
{
	TrayQuery *q = ctx;
	free(q->id);
	free(q);
}

static void on_query_block(QemuMonitor *mon, int r, json_object *result, const char *error, void *ctx)
{
	TrayQuery *q = ctx;
	bool open = false, found = false;
	for (size_t i = 0;
	     r >= 0 && json_object_is_type(result, json_type_array) && i < json_object_array_length(result);
	     i++) {
		json_object *b = json_object_array_get_idx(result, i), *qdev, *tray;
		if (!json_object_object_get_ex(b, "qdev", &qdev) ||
		    strcmp(json_object_get_string(qdev), q->id) != 0)
			continue;
		found = true;
		open = json_object_object_get_ex(b, "tray_open", &tray) && json_object_get_boolean(tray);
	}
	if (r >= 0 && !found)
		r = -ENOENT;
	q->cb(mon, r, open, error, monitor_userdata(mon));
	tray_query_free(q);
}

int qemu_monitor_query_tray(QemuMonitor *mon, const char *id, qemu_monitor_tray_fn cb)
{
	TrayQuery *q = calloc(1, sizeof(*q));
	if (!q || !(q->id = strdup(id))) {
		free(q);
		return -ENOMEM;
	}
	q->cb = cb;
	int r = monitor_send(mon, "query-block", NULL, -1, on_query_block, q, tray_query_free);
	if (r < 0)
		tray_query_free(q);
	return r;
}
