/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The monitor's commands for copying disks during a migration
 * (monitor.h), as libvirt's NBD storage migration: the destination's
 * QEMU serves its disks over NBD, the source's mirrors its disks into
 * NBD client nodes that reach them. */

#include <errno.h>
#include <stdlib.h>

#include "cmdline-internal.h"
#include "monitor-internal.h"
#include "util/cleanup.h"

/* Sends a command and its args (consumed), or -ENOMEM when building them failed. */
static int send_built(QemuMonitor *mon, const char *command, json_object *args, int built, int pass_fd,
		      qemu_monitor_done_fn cb)
{
	if (!args || built < 0) {
		json_object_put(args);
		return -ENOMEM;
	}
	return monitor_send_done(mon, command, args, pass_fd, cb);
}

int qemu_monitor_nbd_server_start_fd(QemuMonitor *mon, const char *fd_name, unsigned max_connections,
				     qemu_monitor_done_fn cb)
{
	/* nbd-server-start's addr is the legacy SocketAddress: {type, data}. */
	json_object *args = json_object_new_object(), *addr = json_object_new_object(),
		    *data = json_object_new_object();
	int r = args && addr && data ? 0 : -ENOMEM;
	if (r >= 0)
		r = json_add_string(data, "str", fd_name);
	if (r >= 0)
		r = json_add_string(addr, "type", "fd");
	if (r >= 0)
		r = json_add(addr, "data", TAKE_PTR(data));
	if (r >= 0)
		r = json_add(args, "addr", TAKE_PTR(addr));
	if (r >= 0 && max_connections > 0)
		r = json_add_int(args, "max-connections", max_connections);
	json_object_put(data);
	json_object_put(addr);
	return send_built(mon, "nbd-server-start", args, r, -1, cb);
}

int qemu_monitor_nbd_export_add(QemuMonitor *mon, const char *id, const char *node_name, const char *name,
				qemu_monitor_done_fn cb)
{
	json_object *args = json_object_new_object();
	int r = args ? 0 : -ENOMEM;
	if (r >= 0)
		r = json_add_string(args, "type", "nbd");
	if (r >= 0)
		r = json_add_string(args, "id", id);
	if (r >= 0)
		r = json_add_string(args, "node-name", node_name);
	if (r >= 0)
		r = json_add_string(args, "name", name);
	if (r >= 0)
		r = json_add_bool(args, "writable", true);
	return send_built(mon, "block-export-add", args, r, -1, cb);
}

int qemu_monitor_nbd_server_stop(QemuMonitor *mon, qemu_monitor_done_fn cb)
{
	return monitor_send_done(mon, "nbd-server-stop", NULL, -1, cb);
}

int qemu_monitor_nbd_blockdev_add(QemuMonitor *mon, const char *node_name, const char *host,
				  const char *port, const char *export_name, qemu_monitor_done_fn cb)
{
	json_object *args = json_object_new_object(), *server = json_object_new_object();
	int r = args && server ? 0 : -ENOMEM;
	if (r >= 0)
		r = json_add_string(server, "type", "inet");
	if (r >= 0)
		r = json_add_string(server, "host", host);
	if (r >= 0)
		r = json_add_string(server, "port", port);
	if (r >= 0)
		r = json_add_string(args, "driver", "nbd");
	if (r >= 0)
		r = json_add_string(args, "node-name", node_name);
	if (r >= 0)
		r = json_add(args, "server", TAKE_PTR(server));
	if (r >= 0)
		r = json_add_string(args, "export", export_name);
	json_object_put(server);
	return send_built(mon, "blockdev-add", args, r, -1, cb);
}

int qemu_monitor_blockdev_del(QemuMonitor *mon, const char *node_name, qemu_monitor_done_fn cb)
{
	json_object *args = json_object_new_object();
	int r = args ? json_add_string(args, "node-name", node_name) : -ENOMEM;
	return send_built(mon, "blockdev-del", args, r, -1, cb);
}

int qemu_monitor_blockdev_mirror(QemuMonitor *mon, const char *job_id, const char *device,
				 const char *target, bool top_only, uint64_t speed, qemu_monitor_done_fn cb)
{
	json_object *args = json_object_new_object();
	int r = args ? 0 : -ENOMEM;
	if (r >= 0)
		r = json_add_string(args, "job-id", job_id);
	if (r >= 0)
		r = json_add_string(args, "device", device);
	if (r >= 0)
		r = json_add_string(args, "target", target);
	/* top: what the destination's backing chain already has stays there. */
	if (r >= 0)
		r = json_add_string(args, "sync", top_only ? "top" : "full");
	if (r >= 0 && speed > 0)
		r = json_add_int(args, "speed", (int64_t)speed);
	return send_built(mon, "blockdev-mirror", args, r, -1, cb);
}

int qemu_monitor_block_job_cancel(QemuMonitor *mon, const char *job_id, bool force, qemu_monitor_done_fn cb)
{
	json_object *args = json_object_new_object();
	int r = args ? json_add_string(args, "device", job_id) : -ENOMEM;
	if (r >= 0 && force)
		r = json_add_bool(args, "force", true);
	return send_built(mon, "block-job-cancel", args, r, -1, cb);
}

typedef struct JobsCtx {
	qemu_monitor_block_jobs_fn cb;
	void *userdata;
} JobsCtx;

static void on_jobs(QemuMonitor *mon, int r, json_object *result, const char *error, void *ctx)
{
	_cleanup_free_ JobsCtx *c = ctx;
	size_t n = r >= 0 && json_object_is_type(result, json_type_array) ? json_object_array_length(result)
									  : 0;
	_cleanup_free_ QemuBlockJob *v = n ? calloc(n, sizeof(*v)) : NULL;
	size_t k = 0;

	if (n && !v) {
		r = -ENOMEM;
		error = "Out of memory";
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *job = json_object_array_get_idx(result, i), *id = NULL, *ready = NULL;
		if (!json_object_object_get_ex(job, "device", &id) ||
		    !json_object_is_type(id, json_type_string))
			continue;
		v[k].id = json_object_get_string(id);
		v[k].len = monitor_json_u64(job, "len");
		v[k].offset = monitor_json_u64(job, "offset");
		v[k].ready =
			json_object_object_get_ex(job, "ready", &ready) && json_object_get_boolean(ready);
		k++;
	}
	c->cb(mon, r, v, k, error, c->userdata);
}

int qemu_monitor_query_block_jobs(QemuMonitor *mon, qemu_monitor_block_jobs_fn cb, void *userdata)
{
	JobsCtx *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (JobsCtx){.cb = cb, .userdata = userdata};
	int r = monitor_send(mon, "query-block-jobs", NULL, -1, on_jobs, c, free);
	if (r < 0)
		free(c);
	return r;
}
