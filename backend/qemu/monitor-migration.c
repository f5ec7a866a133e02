/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The migration commands of the monitor (monitor.h): descriptors handed
 * to QEMU, the outgoing and incoming stream, its speed, its progress. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-internal.h"
#include "util/cleanup.h"

/* {"key": "value"}, or NULL when out of memory. */
static json_object *args_string(const char *key, const char *value)
{
	json_object *a = json_object_new_object();
	json_object *v = json_object_new_string(value);
	if (!a || !v || json_object_object_add(a, key, v) < 0) {
		json_object_put(a);
		json_object_put(v);
		return NULL;
	}
	return a;
}

int qemu_monitor_getfd(QemuMonitor *mon, const char *name, int fd, qemu_monitor_done_fn cb)
{
	assert(fd >= 0);
	json_object *args = args_string("fdname", name);
	return args ? monitor_send_done(mon, "getfd", args, fd, cb) : -ENOMEM;
}

int qemu_monitor_migrate(QemuMonitor *mon, const char *uri, qemu_monitor_done_fn cb)
{
	json_object *args = args_string("uri", uri);
	return args ? monitor_send_done(mon, "migrate", args, -1, cb) : -ENOMEM;
}

int qemu_monitor_migrate_incoming(QemuMonitor *mon, const char *uri, qemu_monitor_done_fn cb)
{
	json_object *args = args_string("uri", uri);
	return args ? monitor_send_done(mon, "migrate-incoming", args, -1, cb) : -ENOMEM;
}

int qemu_monitor_migrate_cancel(QemuMonitor *mon, qemu_monitor_done_fn cb)
{
	return monitor_send_done(mon, "migrate_cancel", NULL, -1, cb);
}

int qemu_monitor_set_migration_capabilities(QemuMonitor *mon, const char *const *names, const bool *states,
					    size_t n, qemu_monitor_done_fn cb)
{
	json_object *args = json_object_new_object(), *list = json_object_new_array();
	if (!args || !list || json_object_object_add(args, "capabilities", list) < 0) {
		json_object_put(args);
		json_object_put(list);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *cap = json_object_new_object();
		if (!cap || json_object_array_add(list, cap) < 0) {
			json_object_put(cap);
			json_object_put(args);
			return -ENOMEM;
		}
		if (json_object_object_add(cap, "capability", json_object_new_string(names[i])) < 0 ||
		    json_object_object_add(cap, "state", json_object_new_boolean(states[i])) < 0) {
			json_object_put(args);
			return -ENOMEM;
		}
	}
	return monitor_send_done(mon, "migrate-set-capabilities", args, -1, cb);
}

int qemu_monitor_enable_migration_events(QemuMonitor *mon, qemu_monitor_done_fn cb)
{
	static const char *const names[] = {"events"};
	static const bool on[] = {true};
	return qemu_monitor_set_migration_capabilities(mon, names, on, 1, cb);
}

static int add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object *j = json_object_new_uint64(v);
	if (!j || json_object_object_add(o, key, j) < 0) {
		json_object_put(j);
		return -ENOMEM;
	}
	return 0;
}

int qemu_monitor_set_migration_parameters(QemuMonitor *mon, const QemuMigrationParams *p,
					  qemu_monitor_done_fn cb)
{
	json_object *args = json_object_new_object();
	if (!args)
		return -ENOMEM;
	if ((p->set_max_bandwidth && add_u64(args, "max-bandwidth", p->max_bandwidth) < 0) ||
	    (p->set_downtime_limit && add_u64(args, "downtime-limit", p->downtime_limit_ms) < 0)) {
		json_object_put(args);
		return -ENOMEM;
	}
	return monitor_send_done(mon, "migrate-set-parameters", args, -1, cb);
}

int qemu_monitor_set_migration_speed(QemuMonitor *mon, uint64_t bytes_per_second, qemu_monitor_done_fn cb)
{
	QemuMigrationParams p = {.set_max_bandwidth = true, .max_bandwidth = bytes_per_second};
	return qemu_monitor_set_migration_parameters(mon, &p, cb);
}

typedef struct QueryCtx {
	qemu_monitor_migration_fn cb;
} QueryCtx;

static void on_query(QemuMonitor *mon, int r, json_object *result, const char *error, void *ctx)
{
	_cleanup_free_ QueryCtx *c = ctx;
	QemuMigrationInfo info = {};
	json_object *v, *ram = NULL;

	if (r >= 0) {
		/* No status at all: no migration ever ran. */
		info.status =
			json_object_object_get_ex(result, "status", &v) ? json_object_get_string(v) : "none";
		if (json_object_object_get_ex(result, "error-desc", &v))
			info.error = json_object_get_string(v);
		(void)json_object_object_get_ex(result, "ram", &ram);
		info.total = monitor_json_u64(ram, "total");
		info.transferred = monitor_json_u64(ram, "transferred");
		info.remaining = monitor_json_u64(ram, "remaining");
		/* QEMU's mbps is megabits per second, a double. */
		if (ram && json_object_object_get_ex(ram, "mbps", &v))
			info.mbps = json_object_get_double(v);
		info.expected_downtime_ms = monitor_json_u64(result, "expected-downtime");
		info.dirty_rate =
			monitor_json_u64(ram, "dirty-pages-rate") * monitor_json_u64(ram, "page-size");
		info.dirty_sync_count = monitor_json_u64(ram, "dirty-sync-count");
		info.throttle_percent = monitor_json_u64(result, "cpu-throttle-percentage");
		info.downtime_ms = monitor_json_u64(result, "downtime");
		info.total_time_ms = monitor_json_u64(result, "total-time");
	}
	c->cb(mon, r, r >= 0 ? &info : NULL, error, monitor_userdata(mon));
}

int qemu_monitor_query_migrate(QemuMonitor *mon, qemu_monitor_migration_fn cb)
{
	assert(cb);
	QueryCtx *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cb = cb;
	int r = monitor_send(mon, "query-migrate", NULL, -1, on_query, c, free);
	if (r < 0)
		free(c);
	return r;
}
