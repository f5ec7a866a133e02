/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vCPU and I/O thread commands of the monitor (monitor.h): CPU
 * slots and hot-plug, I/O thread objects and their host threads. Each
 * request carries its caller's userdata and is answered exactly once,
 * also when the monitor goes before QEMU replied. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "monitor-internal.h"
#include "util/cleanup.h"

typedef enum RequestKind {
	REQUEST_DONE,
	REQUEST_HOTPLUGGABLE_CPUS,
	REQUEST_IOTHREADS,
} RequestKind;

typedef struct Request {
	RequestKind kind;
	union {
		qemu_monitor_request_fn done;
		qemu_monitor_hotpluggable_cpus_fn cpus;
		qemu_monitor_iothreads_fn iothreads;
	};
	void *userdata;
} Request;

static const char *string_member(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t int_member(json_object *o, const char *key, int64_t fallback)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return fallback;
	return json_object_get_int64(v);
}

static void reply_cpus(const Request *req, QemuMonitor *mon, int r, json_object *result, const char *error)
{
	size_t n = r >= 0 && json_object_is_type(result, json_type_array) ? json_object_array_length(result)
									  : 0;
	_cleanup_free_ QemuHotpluggableCpu *v = n ? calloc(n, sizeof(*v)) : NULL;
	if (n && !v) {
		r = -ENOMEM;
		error = "Out of memory";
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(result, i), *props = NULL;
		v[i].type = string_member(c, "type");
		v[i].qom_path = string_member(c, "qom-path");
		v[i].core_id = c && json_object_object_get_ex(c, "props", &props)
				       ? int_member(props, "core-id", -1)
				       : -1;
	}
	req->cpus(mon, r, v, n, error, req->userdata);
}

static void reply_iothreads(const Request *req, QemuMonitor *mon, int r, json_object *result,
			    const char *error)
{
	size_t n = r >= 0 && json_object_is_type(result, json_type_array) ? json_object_array_length(result)
									  : 0;
	_cleanup_free_ QemuIOThread *v = n ? calloc(n, sizeof(*v)) : NULL;
	if (n && !v) {
		r = -ENOMEM;
		error = "Out of memory";
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(result, i);
		v[i].id = string_member(t, "id");
		v[i].thread_id = int_member(t, "thread-id", 0);
	}
	req->iothreads(mon, r, v, n, error, req->userdata);
}

static void on_result(QemuMonitor *mon, int r, json_object *result, const char *error, void *ctx)
{
	_cleanup_free_ Request *req = ctx;
	switch (req->kind) {
	case REQUEST_DONE:
		req->done(mon, r, error, req->userdata);
		break;
	case REQUEST_HOTPLUGGABLE_CPUS:
		reply_cpus(req, mon, r, result, error);
		break;
	case REQUEST_IOTHREADS:
		reply_iothreads(req, mon, r, result, error);
		break;
	}
}

/* The monitor is being freed with the reply still to come. */
static void on_gone(void *ctx)
{
	_cleanup_free_ Request *req = ctx;
	const char *error = "the connection to QEMU's monitor was closed before QEMU replied";
	switch (req->kind) {
	case REQUEST_DONE:
		req->done(NULL, -ENOTCONN, error, req->userdata);
		break;
	case REQUEST_HOTPLUGGABLE_CPUS:
		req->cpus(NULL, -ENOTCONN, NULL, 0, error, req->userdata);
		break;
	case REQUEST_IOTHREADS:
		req->iothreads(NULL, -ENOTCONN, NULL, 0, error, req->userdata);
		break;
	}
}

/* args is consumed in every case. */
static int send_request(QemuMonitor *mon, const char *command, json_object *args, const Request *tmpl)
{
	Request *req = malloc(sizeof(*req));
	if (!req) {
		json_object_put(args);
		return -ENOMEM;
	}
	*req = *tmpl;
	int r = monitor_send(mon, command, args, -1, on_result, req, on_gone);
	if (r < 0)
		free(req);
	return r;
}

int qemu_monitor_query_hotpluggable_cpus(QemuMonitor *mon, qemu_monitor_hotpluggable_cpus_fn cb,
					 void *userdata)
{
	assert(cb);
	return send_request(mon, "query-hotpluggable-cpus", NULL,
			    &(Request){.kind = REQUEST_HOTPLUGGABLE_CPUS, .cpus = cb, .userdata = userdata});
}

int qemu_monitor_add_cpu(QemuMonitor *mon, const char *type, int64_t core_id, const char *id,
			 qemu_monitor_request_fn cb, void *userdata)
{
	assert(cb);
	json_object *args = json_object_new_object();
	if (!args || json_object_object_add(args, "driver", json_object_new_string(type)) < 0 ||
	    json_object_object_add(args, "core-id", json_object_new_int64(core_id)) < 0 ||
	    json_object_object_add(args, "id", json_object_new_string(id)) < 0) {
		json_object_put(args);
		return -ENOMEM;
	}
	return send_request(mon, "device_add", args,
			    &(Request){.kind = REQUEST_DONE, .done = cb, .userdata = userdata});
}

int qemu_monitor_add_iothread(QemuMonitor *mon, unsigned id, qemu_monitor_request_fn cb, void *userdata)
{
	assert(cb);
	json_object *args = qemu_iothread_props(id);
	if (!args)
		return -ENOMEM;
	return send_request(mon, "object-add", args,
			    &(Request){.kind = REQUEST_DONE, .done = cb, .userdata = userdata});
}

int qemu_monitor_del_iothread(QemuMonitor *mon, unsigned id, qemu_monitor_request_fn cb, void *userdata)
{
	assert(cb);
	char name[QEMU_IOTHREAD_ID_MAX];
	json_object *args = json_object_new_object();
	if (!args ||
	    json_object_object_add(args, "id", json_object_new_string(qemu_iothread_id(id, name))) < 0) {
		json_object_put(args);
		return -ENOMEM;
	}
	return send_request(mon, "object-del", args,
			    &(Request){.kind = REQUEST_DONE, .done = cb, .userdata = userdata});
}

int qemu_monitor_query_iothreads(QemuMonitor *mon, qemu_monitor_iothreads_fn cb, void *userdata)
{
	assert(cb);
	return send_request(mon, "query-iothreads", NULL,
			    &(Request){.kind = REQUEST_IOTHREADS, .iothreads = cb, .userdata = userdata});
}

int qemu_monitor_set_balloon(QemuMonitor *mon, uint64_t bytes, qemu_monitor_request_fn cb, void *userdata)
{
	assert(cb);
	json_object *args = json_object_new_object();
	if (!args || json_object_object_add(args, "value", json_object_new_int64((int64_t)bytes)) < 0) {
		json_object_put(args);
		return -ENOMEM;
	}
	return send_request(mon, "balloon", args,
			    &(Request){.kind = REQUEST_DONE, .done = cb, .userdata = userdata});
}
