/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Typed QMP: each command of monitor.h is a qmp_send_async() whose JSON
 * reply is decoded here, and each event is decoded into a QemuEvent. */

#include "monitor.h"
#include "monitor-internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qmp.h"
#include "util/cleanup.h"
#include "util/log.h"

struct QemuMonitor {
	/* The owner's reference and one per command awaiting its reply: a
	 * reply may still arrive while the transport closes after the owner
	 * let go, even from inside another reply's callback. */
	unsigned n_ref;
	Qmp *qmp;
	QemuMonitorCallbacks callbacks;
	void *userdata;
	/* Set by qemu_monitor_free(): replies still delivered while the
	 * transport closes go nowhere. */
	bool freeing;
};

static const char *const event_names[_QEMU_EVENT_MAX] = {
	[QEMU_EVENT_STOP] = "STOP",
	[QEMU_EVENT_RESUME] = "RESUME",
	[QEMU_EVENT_SHUTDOWN] = "SHUTDOWN",
	[QEMU_EVENT_RESET] = "RESET",
	[QEMU_EVENT_GUEST_PANICKED] = "GUEST_PANICKED",
	[QEMU_EVENT_BLOCK_IO_ERROR] = "BLOCK_IO_ERROR",
	[QEMU_EVENT_WATCHDOG] = "WATCHDOG",
	[QEMU_EVENT_MIGRATION] = "MIGRATION",
	[QEMU_EVENT_DUMP_COMPLETED] = "DUMP_COMPLETED",
	[QEMU_EVENT_DEVICE_DELETED] = "DEVICE_DELETED",
	[QEMU_EVENT_DEVICE_UNPLUG_GUEST_ERROR] = "DEVICE_UNPLUG_GUEST_ERROR",
	[QEMU_EVENT_DEVICE_TRAY_MOVED] = "DEVICE_TRAY_MOVED",
	[QEMU_EVENT_BLOCK_JOB_READY] = "BLOCK_JOB_READY",
	[QEMU_EVENT_BLOCK_JOB_COMPLETED] = "BLOCK_JOB_COMPLETED",
	[QEMU_EVENT_BLOCK_JOB_CANCELLED] = "BLOCK_JOB_CANCELLED",
	[QEMU_EVENT_OTHER] = "other",
};

const char *qemu_event_type_to_string(QemuEventType t)
{
	return t >= 0 && t < _QEMU_EVENT_MAX ? event_names[t] : NULL;
}

static const char *json_string_member(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void decode_event(const char *name, json_object *data, QemuEvent *ev)
{
	*ev = (QemuEvent){.type = QEMU_EVENT_OTHER, .name = name, .panic.core = -1};
	for (QemuEventType t = 0; t < QEMU_EVENT_OTHER; t++)
		if (strcmp(name, event_names[t]) == 0)
			ev->type = t;

	switch (ev->type) {
	case QEMU_EVENT_SHUTDOWN:
		ev->shutdown_reason = json_string_member(data, "reason");
		break;
	case QEMU_EVENT_BLOCK_IO_ERROR:
	case QEMU_EVENT_WATCHDOG:
		ev->action = json_string_member(data, "action");
		break;
	case QEMU_EVENT_MIGRATION:
		ev->migration_status = json_string_member(data, "status");
		break;
	case QEMU_EVENT_DEVICE_DELETED:
	case QEMU_EVENT_DEVICE_UNPLUG_GUEST_ERROR:
		ev->device = json_string_member(data, "device");
		ev->device_path = json_string_member(data, "path");
		break;
	case QEMU_EVENT_DEVICE_TRAY_MOVED: {
		json_object *open = NULL;
		/* "device" is the BlockBackend's name, empty with -blockdev. */
		ev->device = json_string_member(data, "id");
		ev->tray_open = data && json_object_object_get_ex(data, "tray-open", &open) &&
				json_object_get_boolean(open);
		break;
	}
	case QEMU_EVENT_BLOCK_JOB_READY:
	case QEMU_EVENT_BLOCK_JOB_COMPLETED:
	case QEMU_EVENT_BLOCK_JOB_CANCELLED:
		/* "device" is the job's id with -blockdev jobs. */
		ev->device = json_string_member(data, "device");
		ev->job_error = json_string_member(data, "error");
		break;
	case QEMU_EVENT_GUEST_PANICKED: {
		json_object *info = NULL;
		if (data && json_object_object_get_ex(data, "info", &info) && info) {
			ev->panic.reason = json_string_member(info, "reason");
			json_object *core;
			if (json_object_object_get_ex(info, "core", &core))
				ev->panic.core = json_object_get_int64(core);
			ev->panic.psw_mask = monitor_json_u64(info, "psw-mask");
			ev->panic.psw_addr = monitor_json_u64(info, "psw-addr");
		}
		break;
	}
	default:
		break;
	}
}

static QemuMonitor *monitor_ref(QemuMonitor *mon)
{
	mon->n_ref++;
	return mon;
}

static void monitor_unref(QemuMonitor *mon)
{
	assert(mon->n_ref > 0);
	if (--mon->n_ref == 0)
		free(mon);
}

static void on_ready(Qmp *qmp, int error, void *userdata)
{
	QemuMonitor *mon = userdata;
	if (mon->callbacks.ready)
		mon->callbacks.ready(mon, error, mon->userdata);
}

static void on_event(Qmp *qmp, const char *event, json_object *data, void *userdata)
{
	QemuMonitor *mon = userdata;
	QemuEvent ev;

	decode_event(event, data, &ev);
	log_debug("QMP event %s", event);
	if (mon->callbacks.event)
		mon->callbacks.event(mon, &ev, mon->userdata);
}

static void on_closed(Qmp *qmp, void *userdata)
{
	QemuMonitor *mon = userdata;
	if (mon->callbacks.closed)
		mon->callbacks.closed(mon, mon->userdata);
}

int qemu_monitor_new(sd_event *event, int fd, const QemuMonitorCallbacks *callbacks, void *userdata,
		     QemuMonitor **ret)
{
	assert(event);
	assert(callbacks);
	assert(ret);

	_cleanup_close_ int owned = fd;
	QemuMonitor *mon = calloc(1, sizeof(*mon));
	if (!mon)
		return -ENOMEM;
	mon->n_ref = 1;
	mon->callbacks = *callbacks;
	mon->userdata = userdata;

	QmpCallbacks cb = {.ready = on_ready, .event = on_event, .closed = on_closed, .userdata = mon};
	int r = qmp_new(event, TAKE_FD(owned), &cb, &mon->qmp);
	if (r < 0) {
		free(mon);
		return r;
	}
	*ret = mon;
	return 0;
}

QemuMonitor *qemu_monitor_free(QemuMonitor *mon)
{
	if (!mon || mon->freeing)
		return NULL;
	mon->freeing = true;
	/* Replies of pending commands are delivered (and dropped) right here. */
	mon->qmp = qmp_free(mon->qmp);
	monitor_unref(mon);
	return NULL;
}

/* What a pending command needs when its reply comes: whom to tell, and
 * how to decode the result. */
typedef enum ReplyKind {
	REPLY_DONE,
	REPLY_STATUS,
	REPLY_CHARDEVS,
	REPLY_RESULT, /* monitor-internal.h: the raw result, for the other monitor-*.c */
	REPLY_CPUS,
	REPLY_BALLOON,
	REPLY_BLOCKSTATS,
} ReplyKind;

typedef struct Reply {
	QemuMonitor *mon;
	ReplyKind kind;
	union {
		qemu_monitor_done_fn done;
		qemu_monitor_status_fn status;
		qemu_monitor_chardevs_fn chardevs;
		monitor_result_fn result;
		qemu_monitor_cpus_fn cpus;
		qemu_monitor_balloon_fn balloon;
		qemu_monitor_blockstats_fn blockstats;
	};
	/* REPLY_RESULT; the request's own userdata for REPLY_CPUS, _BALLOON, _BLOCKSTATS */
	void *ctx;
	void (*free_ctx)(void *ctx); /* REPLY_RESULT: when the reply never comes */
} Reply;

static void reply_chardevs(const Reply *rep, int r, json_object *result, const char *error)
{
	size_t n = r >= 0 && json_object_is_type(result, json_type_array) ? json_object_array_length(result)
									  : 0;
	_cleanup_free_ QemuChardev *v = n ? calloc(n, sizeof(*v)) : NULL;
	size_t k = 0;

	if (n && !v) {
		r = -ENOMEM;
		error = "Out of memory";
	}
	for (size_t i = 0; v && i < n; i++) {
		json_object *c = json_object_array_get_idx(result, i);
		const char *label = json_string_member(c, "label");
		const char *filename = json_string_member(c, "filename");
		if (!label)
			continue;
		v[k].label = label;
		v[k].pty_path = filename && strncmp(filename, "pty:", 4) == 0 ? filename + 4 : NULL;
		k++;
	}
	rep->chardevs(rep->mon, r, v, k, error, rep->mon->userdata);
}

static int64_t json_i64_member(json_object *o, const char *key, int64_t fallback)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return fallback;
	return json_object_get_int64(v);
}

static void reply_cpus(const Reply *rep, int r, json_object *result, const char *error)
{
	size_t n = r >= 0 && json_object_is_type(result, json_type_array) ? json_object_array_length(result)
									  : 0;
	_cleanup_free_ QemuCpuInfo *v = n ? calloc(n, sizeof(*v)) : NULL;

	if (n && !v) {
		r = -ENOMEM;
		error = "Out of memory";
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(result, i);
		v[i].cpu_index = json_i64_member(c, "cpu-index", (int64_t)i);
		v[i].thread_id = json_i64_member(c, "thread-id", 0);
		v[i].s390_state = json_string_member(c, "cpu-state");
	}
	rep->cpus(rep->mon, r, v, n, error, rep->ctx);
}

static void reply_balloon(const Reply *rep, int r, json_object *result, const char *error)
{
	int64_t actual = r >= 0 ? json_i64_member(result, "actual", -1) : -1;
	if (r >= 0 && actual < 0) {
		r = -EBADMSG;
		error = "query-balloon returned no actual size";
	}
	rep->balloon(rep->mon, r, actual < 0 ? 0 : (uint64_t)actual, error, rep->ctx);
}

static uint64_t json_counter(json_object *o, const char *key)
{
	int64_t v = json_i64_member(o, key, 0);
	return v < 0 ? 0 : (uint64_t)v;
}

static void reply_blockstats(const Reply *rep, int r, json_object *result, const char *error)
{
	size_t n = r >= 0 && json_object_is_type(result, json_type_array) ? json_object_array_length(result)
									  : 0;
	_cleanup_free_ QemuBlockStats *v = n ? calloc(n, sizeof(*v)) : NULL;

	if (n && !v) {
		r = -ENOMEM;
		error = "Out of memory";
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *b = json_object_array_get_idx(result, i), *st = NULL;
		v[i].node_name = json_string_member(b, "node-name");
		v[i].qdev = json_string_member(b, "qdev");
		if (!b || !json_object_object_get_ex(b, "stats", &st))
			continue;
		v[i].rd_bytes = json_counter(st, "rd_bytes");
		v[i].wr_bytes = json_counter(st, "wr_bytes");
		v[i].rd_operations = json_counter(st, "rd_operations");
		v[i].wr_operations = json_counter(st, "wr_operations");
		v[i].flush_operations = json_counter(st, "flush_operations");
		v[i].rd_total_time_ns = json_counter(st, "rd_total_time_ns");
		v[i].wr_total_time_ns = json_counter(st, "wr_total_time_ns");
		v[i].flush_total_time_ns = json_counter(st, "flush_total_time_ns");
		v[i].failed_operations = json_counter(st, "failed_rd_operations") +
					 json_counter(st, "failed_wr_operations") +
					 json_counter(st, "failed_flush_operations");
		json_object *parent = NULL, *pst = NULL, *hi = NULL;
		if (json_object_object_get_ex(b, "parent", &parent) &&
		    json_object_object_get_ex(parent, "stats", &pst) &&
		    json_object_object_get_ex(pst, "wr_highest_offset", &hi) &&
		    json_object_is_type(hi, json_type_int)) {
			v[i].wr_highest_offset = json_counter(pst, "wr_highest_offset");
			v[i].has_wr_highest_offset = true;
		}
	}
	rep->blockstats(rep->mon, r, v, n, error, rep->ctx);
}

static void on_reply(Qmp *qmp, json_object *result, const char *error_class, const char *error_desc,
		     void *userdata)
{
	_cleanup_free_ Reply *rep = userdata;
	QemuMonitor *mon = rep->mon;
	if (mon->freeing) {
		if (rep->kind == REPLY_RESULT && rep->free_ctx)
			rep->free_ctx(rep->ctx);
		monitor_unref(mon);
		return;
	}

	int r = 0;
	const char *error = NULL;
	if (error_class) {
		r = strcmp(error_class, "Disconnected") == 0 ? -ENOTCONN : -EIO;
		error = error_desc ? error_desc : error_class;
	}

	switch (rep->kind) {
	case REPLY_DONE:
		rep->done(rep->mon, r, error, rep->mon->userdata);
		break;
	case REPLY_STATUS: {
		const char *status = r >= 0 ? json_string_member(result, "status") : NULL;
		if (r >= 0 && !status) {
			r = -EBADMSG;
			error = "query-status returned no status";
		}
		rep->status(rep->mon, r, status, error, rep->mon->userdata);
		break;
	}
	case REPLY_CHARDEVS:
		reply_chardevs(rep, r, result, error);
		break;
	case REPLY_RESULT:
		rep->result(rep->mon, r, result, error, rep->ctx);
		break;
	case REPLY_CPUS:
		reply_cpus(rep, r, result, error);
		break;
	case REPLY_BALLOON:
		reply_balloon(rep, r, result, error);
		break;
	case REPLY_BLOCKSTATS:
		reply_blockstats(rep, r, result, error);
		break;
	}
	monitor_unref(mon);
}

/* args is consumed in every case. */
static int send_command_args(QemuMonitor *mon, const char *command, json_object *args, int pass_fd,
			     const Reply *tmpl)
{
	assert(mon);
	if (mon->freeing || !mon->qmp) {
		json_object_put(args);
		return -ENOTCONN;
	}

	bool wants_reply = tmpl->kind != REPLY_DONE || tmpl->done;
	if (!wants_reply)
		return qmp_send_async(mon->qmp, command, args, pass_fd, NULL, NULL);

	Reply *rep = malloc(sizeof(*rep));
	if (!rep) {
		json_object_put(args);
		return -ENOMEM;
	}
	*rep = *tmpl;
	rep->mon = monitor_ref(mon);
	int r = qmp_send_async(mon->qmp, command, args, pass_fd, on_reply, rep);
	if (r < 0) {
		monitor_unref(mon);
		free(rep);
	}
	return r;
}

static int send_command(QemuMonitor *mon, const char *command, const Reply *tmpl)
{
	return send_command_args(mon, command, NULL, -1, tmpl);
}

int monitor_send(QemuMonitor *mon, const char *command, json_object *args, int pass_fd, monitor_result_fn cb,
		 void *ctx, void (*free_ctx)(void *ctx))
{
	assert(cb);
	return send_command_args(
		mon, command, args, pass_fd,
		&(Reply){.kind = REPLY_RESULT, .result = cb, .ctx = ctx, .free_ctx = free_ctx});
}

typedef struct DoneCtx {
	qemu_monitor_done_fn cb;
} DoneCtx;

static void on_done(QemuMonitor *mon, int r, json_object *result, const char *error, void *ctx)
{
	_cleanup_free_ DoneCtx *c = ctx;
	if (c->cb)
		c->cb(mon, r, error, mon->userdata);
}

int monitor_send_done(QemuMonitor *mon, const char *command, json_object *args, int pass_fd,
		      qemu_monitor_done_fn cb)
{
	DoneCtx *c = malloc(sizeof(*c));
	if (!c) {
		json_object_put(args);
		return -ENOMEM;
	}
	c->cb = cb;
	int r = monitor_send(mon, command, args, pass_fd, on_done, c, free);
	if (r < 0)
		free(c);
	return r;
}

/* PSW words are full 64-bit values: json-c keeps those as unsigned. */
uint64_t monitor_json_u64(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_uint64(v);
}

void *monitor_userdata(const QemuMonitor *mon)
{
	return mon->userdata;
}

static int send_simple(QemuMonitor *mon, const char *command, qemu_monitor_done_fn cb)
{
	return send_command(mon, command, &(Reply){.kind = REPLY_DONE, .done = cb});
}

int qemu_monitor_cont(QemuMonitor *mon, qemu_monitor_done_fn cb)
{
	return send_simple(mon, "cont", cb);
}

int qemu_monitor_stop(QemuMonitor *mon, qemu_monitor_done_fn cb)
{
	return send_simple(mon, "stop", cb);
}

int qemu_monitor_quit(QemuMonitor *mon, qemu_monitor_done_fn cb)
{
	return send_simple(mon, "quit", cb);
}

int qemu_monitor_system_reset(QemuMonitor *mon, qemu_monitor_done_fn cb)
{
	return send_simple(mon, "system_reset", cb);
}

int qemu_monitor_system_powerdown(QemuMonitor *mon, qemu_monitor_done_fn cb)
{
	return send_simple(mon, "system_powerdown", cb);
}

int qemu_monitor_query_status(QemuMonitor *mon, qemu_monitor_status_fn cb)
{
	assert(cb);
	return send_command(mon, "query-status", &(Reply){.kind = REPLY_STATUS, .status = cb});
}

int qemu_monitor_query_chardev(QemuMonitor *mon, qemu_monitor_chardevs_fn cb)
{
	assert(cb);
	return send_command(mon, "query-chardev", &(Reply){.kind = REPLY_CHARDEVS, .chardevs = cb});
}

int qemu_monitor_inject_nmi(QemuMonitor *mon, qemu_monitor_done_fn cb)
{
	return send_simple(mon, "inject-nmi", cb);
}

int qemu_monitor_query_cpus_fast(QemuMonitor *mon, qemu_monitor_cpus_fn cb, void *userdata)
{
	assert(cb);
	return send_command(mon, "query-cpus-fast",
			    &(Reply){.kind = REPLY_CPUS, .cpus = cb, .ctx = userdata});
}

int qemu_monitor_query_balloon(QemuMonitor *mon, qemu_monitor_balloon_fn cb, void *userdata)
{
	assert(cb);
	return send_command(mon, "query-balloon",
			    &(Reply){.kind = REPLY_BALLOON, .balloon = cb, .ctx = userdata});
}

int qemu_monitor_query_blockstats(QemuMonitor *mon, qemu_monitor_blockstats_fn cb, void *userdata)
{
	assert(cb);
	return send_command(mon, "query-blockstats",
			    &(Reply){.kind = REPLY_BLOCKSTATS, .blockstats = cb, .ctx = userdata});
}
