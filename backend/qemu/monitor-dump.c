/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dump commands of the monitor (monitor.h): dump-guest-memory into
 * a descriptor, and its progress. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-internal.h"
#include "util/cleanup.h"

int qemu_monitor_dump_guest_memory(QemuMonitor *mon, const char *fd_name, const char *format,
				   qemu_monitor_done_fn cb)
{
	_cleanup_free_ char *protocol = NULL;
	json_object *args = json_object_new_object();
	if (!args || asprintf(&protocol, "fd:%s", fd_name) < 0 ||
	    json_object_object_add(args, "paging", json_object_new_boolean(false)) < 0 ||
	    json_object_object_add(args, "protocol", json_object_new_string(protocol)) < 0 ||
	    /* Answer at once; progress comes from query-dump. */
	    json_object_object_add(args, "detach", json_object_new_boolean(true)) < 0 ||
	    json_object_object_add(args, "format", json_object_new_string(format)) < 0) {
		json_object_put(args);
		return -ENOMEM;
	}
	return monitor_send_done(mon, "dump-guest-memory", args, -1, cb);
}

typedef struct QueryCtx {
	qemu_monitor_dump_fn cb;
} QueryCtx;

static void on_query(QemuMonitor *mon, int r, json_object *result, const char *error, void *ctx)
{
	_cleanup_free_ QueryCtx *c = ctx;
	QemuDumpInfo info = {};
	json_object *v;
	if (r >= 0) {
		info.status =
			json_object_object_get_ex(result, "status", &v) ? json_object_get_string(v) : "none";
		info.completed = monitor_json_u64(result, "completed");
		info.total = monitor_json_u64(result, "total");
	}
	c->cb(mon, r, r >= 0 ? &info : NULL, error, monitor_userdata(mon));
}

int qemu_monitor_query_dump(QemuMonitor *mon, qemu_monitor_dump_fn cb)
{
	assert(cb);
	QueryCtx *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cb = cb;
	int r = monitor_send(mon, "query-dump", NULL, -1, on_query, c, free);
	if (r < 0)
		free(c);
	return r;
}
