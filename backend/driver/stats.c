/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GetStats: the configured values, then what the running QEMU says.
 * Three queries go out at once (query-cpus-fast, query-balloon when
 * there is a balloon, query-blockstats); the call is answered once all
 * three replied, or at once when the monitor is gone meanwhile, with the
 * groups that came. Nothing here waits: /proc is read when the vCPU
 * thread ids arrive. */

#include "stats.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain-internal.h"
#include "qemu/cmdline.h"
#include "qemu/process.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

typedef struct VcpuStat {
	int64_t index;
	uint64_t time_ns;
	bool have_time;
	bool halted;
	bool have_halted;
} VcpuStat;

typedef struct BlockStat {
	bool found;
	QemuBlockStats s; /* the counters; the names are not kept */
} BlockStat;

struct DomainStatsCall {
	Domain *domain;
	DomainStatsCall *next;
	domain_stats_fn cb;
	void *userdata;
	unsigned pending;      /* queries without a reply yet */
	sd_event_source *done; /* the answer, from the loop */

	VcpuStat *vcpus;
	size_t n_vcpus;
	bool have_vcpus;
	uint64_t balloon_bytes;
	bool have_balloon;
	BlockStat *blocks; /* one per disk of the live definition */
	size_t n_blocks;
	bool have_blocks;
};

static void stats_clear(DomainStats *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		if (s->v[i].type == DOMAIN_STAT_STRING)
			free(s->v[i].s);
	}
	free(s->v);
	*s = (DomainStats){};
}

/* Appends one value named by a printf format; -ENOMEM. */
static int __attribute__((format(printf, 3, 4)))
stats_add(DomainStats *s, DomainStat value, const char *fmt, ...)
{
	va_list ap;
	char *key;

	va_start(ap, fmt);
	int k = vasprintf(&key, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	if (value.type == DOMAIN_STAT_STRING && !(value.s = strdup(value.s ?: ""))) {
		free(key);
		return -ENOMEM;
	}
	DomainStat *v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v) {
		free(key);
		if (value.type == DOMAIN_STAT_STRING)
			free(value.s);
		return -ENOMEM;
	}
	s->v = v;
	value.key = key;
	s->v[s->n++] = value;
	return 0;
}

#define U64(x)  ((DomainStat){.type = DOMAIN_STAT_U64, .u64 = (x)})
#define U32(x)  ((DomainStat){.type = DOMAIN_STAT_U32, .u32 = (x)})
#define I32(x)  ((DomainStat){.type = DOMAIN_STAT_I32, .i32 = (x)})
#define BOOL(x) ((DomainStat){.type = DOMAIN_STAT_BOOL, .b = (x)})
#define STR(x)  ((DomainStat){.type = DOMAIN_STAT_STRING, .s = (char *)(x)})

/* libvirt's virVcpuState: the vCPUs QEMU lists are there and run. */
#define VCPU_STATE_RUNNING 1

static int add_block(DomainStats *s, const DiskDef *disk, size_t i, const BlockStat *b)
{
	int r = stats_add(s, STR(disk->target), "block.%zu.name", i);
	if (r >= 0 && disk->source)
		r = stats_add(s, STR(disk->source), "block.%zu.path", i);
	if (r < 0 || !b || !b->found)
		return r;
	const QemuBlockStats *c = &b->s;
	if (stats_add(s, U64(c->rd_operations), "block.%zu.rd.reqs", i) < 0 ||
	    stats_add(s, U64(c->rd_bytes), "block.%zu.rd.bytes", i) < 0 ||
	    stats_add(s, U64(c->rd_total_time_ns), "block.%zu.rd.times", i) < 0 ||
	    stats_add(s, U64(c->wr_operations), "block.%zu.wr.reqs", i) < 0 ||
	    stats_add(s, U64(c->wr_bytes), "block.%zu.wr.bytes", i) < 0 ||
	    stats_add(s, U64(c->wr_total_time_ns), "block.%zu.wr.times", i) < 0 ||
	    stats_add(s, U64(c->flush_operations), "block.%zu.fl.reqs", i) < 0 ||
	    stats_add(s, U64(c->flush_total_time_ns), "block.%zu.fl.times", i) < 0 ||
	    stats_add(s, U64(c->failed_operations), "block.%zu.errs", i) < 0)
		return -ENOMEM;
	return 0;
}

static int collect(Domain *d, const DomainStatsCall *call, DomainStats *s)
{
	const DomainDef *def = domain_current_def(d);
	bool active = domain_state_is_active(d->state) && d->live;
	/* A live copy leaves out what equals its default (qemu/cmdline.c
	 * reads them the same way). */
	unsigned vcpus = domain_def_current_vcpus(def);
	uint64_t memory_kib = domain_def_current_memory_kib(def);

	if (stats_add(s, STR(domain_state_to_string(d->state)), "state") < 0 ||
	    stats_add(s, STR(domain_reason_to_string(d->reason)), "reason") < 0 ||
	    stats_add(s, U32(vcpus), "vcpu.current") < 0 ||
	    stats_add(s, U32(def->vcpus_max), "vcpu.maximum") < 0 ||
	    stats_add(s, U64(active && call->have_balloon ? call->balloon_bytes : memory_kib * 1024),
		      "balloon.current") < 0 ||
	    stats_add(s, U64(def->memory_kib * 1024), "balloon.maximum") < 0 ||
	    stats_add(s, U32((uint32_t)def->n_disks), "block.count") < 0)
		return -ENOMEM;
	for (size_t i = 0; i < def->n_disks; i++)
		if (add_block(s, &def->disks[i], i,
			      active && call->have_blocks && i < call->n_blocks ? &call->blocks[i] : NULL) <
		    0)
			return -ENOMEM;
	if (!active)
		return 0;

	if (stats_add(s, U64(domain_cpu_time_ns(d)), "cpu.time") < 0)
		return -ENOMEM;
	for (size_t i = 0; call->have_vcpus && i < call->n_vcpus; i++) {
		const VcpuStat *v = &call->vcpus[i];
		if (stats_add(s, I32(VCPU_STATE_RUNNING), "vcpu.%" PRId64 ".state", v->index) < 0 ||
		    (v->have_time && stats_add(s, U64(v->time_ns), "vcpu.%" PRId64 ".time", v->index) < 0) ||
		    (v->have_halted &&
		     stats_add(s, BOOL(v->halted), "vcpu.%" PRId64 ".halted", v->index) < 0))
			return -ENOMEM;
	}
	return 0;
}

static void call_unlink(DomainStatsCall *call)
{
	for (DomainStatsCall **p = &call->domain->stats_calls; *p; p = &(*p)->next)
		if (*p == call) {
			*p = call->next;
			return;
		}
}

static void call_free(DomainStatsCall *call)
{
	sd_event_source_disable_unref(call->done);
	free(call->vcpus);
	free(call->blocks);
	free(call);
}

static void call_finish(DomainStatsCall *call)
{
	Domain *d = call->domain;
	DomainStats stats = {};
	ZvError err = ZV_ERROR_INIT;

	call_unlink(call);
	int r = collect(d, call, &stats);
	if (r < 0)
		r = zv_error_set(&err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	call->cb(d, r, r < 0 ? &err : NULL, r < 0 ? NULL : &stats, call->userdata);
	stats_clear(&stats);
	call_free(call);
}

static int on_done(sd_event_source *s, void *userdata)
{
	call_finish(userdata);
	return 0;
}

/* Answers from the loop, not from inside a monitor or a backend call. */
static int finish_soon(DomainStatsCall *call)
{
	if (call->done)
		return sd_event_source_set_enabled(call->done, SD_EVENT_ONESHOT);
	int r = sd_event_add_defer(registry_get_event(call->domain->registry), &call->done, on_done, call);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(call->done, SD_EVENT_ONESHOT);
}

static void reply_arrived(DomainStatsCall *call)
{
	assert(call->pending > 0);
	if (--call->pending == 0)
		call_finish(call);
}

static void on_cpus(QemuMonitor *mon, int r, const QemuCpuInfo *cpus, size_t n, const char *error,
		    void *userdata)
{
	DomainStatsCall *call = userdata;
	Domain *d = call->domain;

	if (r >= 0 && n > 0 && (call->vcpus = calloc(n, sizeof(*call->vcpus)))) {
		call->n_vcpus = n;
		call->have_vcpus = true;
		for (size_t i = 0; i < n; i++) {
			VcpuStat *v = &call->vcpus[i];
			unsigned long long ns;
			v->index = cpus[i].cpu_index;
			/* Under TCG without MTTCG all vCPUs share one thread:
			 * each then shows that thread's time. */
			if (d->process && cpus[i].thread_id > 0 &&
			    qemu_process_thread_cpu_time(d->process, (pid_t)cpus[i].thread_id, &ns) >= 0) {
				v->time_ns = ns;
				v->have_time = true;
			}
			/* As libvirt: a stopped s390 CPU is halted, an operating one not. */
			if (cpus[i].s390_state) {
				v->have_halted = true;
				v->halted = strcmp(cpus[i].s390_state, "stopped") == 0 ||
					    strcmp(cpus[i].s390_state, "check-stop") == 0;
			}
		}
	} else if (r < 0)
		log_debug("Domain %s: query-cpus-fast failed: %s", domain_name(d), error);
	reply_arrived(call);
}

static void on_balloon(QemuMonitor *mon, int r, uint64_t actual, const char *error, void *userdata)
{
	DomainStatsCall *call = userdata;
	if (r >= 0) {
		call->balloon_bytes = actual;
		call->have_balloon = true;
	} else
		log_debug("Domain %s: query-balloon failed: %s", domain_name(call->domain), error);
	reply_arrived(call);
}

/* A backend belongs to a disk by its root node ("<alias>-format") or by
 * the device it is attached to (the alias, or a QOM path ending in
 * /<alias>/virtio-backend). */
static bool block_matches(const QemuBlockStats *b, const DiskDef *disk)
{
	char storage[QEMU_NODE_NAME_MAX], format[QEMU_NODE_NAME_MAX];
	const char *alias = disk->info.alias;

	if (!alias)
		return false;
	if (b->node_name && qemu_disk_node_names(alias, storage, format) >= 0 &&
	    (strcmp(b->node_name, format) == 0 || strcmp(b->node_name, storage) == 0))
		return true;
	if (!b->qdev)
		return false;
	if (strcmp(b->qdev, alias) == 0)
		return true;
	_cleanup_free_ char *suffix = NULL;
	if (asprintf(&suffix, "/%s/virtio-backend", alias) < 0)
		return false;
	size_t ls = strlen(suffix), lq = strlen(b->qdev);
	return lq >= ls && strcmp(b->qdev + lq - ls, suffix) == 0;
}

static void on_blockstats(QemuMonitor *mon, int r, const QemuBlockStats *stats, size_t n, const char *error,
			  void *userdata)
{
	DomainStatsCall *call = userdata;
	const DomainDef *live = call->domain->live;

	if (r >= 0 && live && live->n_disks > 0 &&
	    (call->blocks = calloc(live->n_disks, sizeof(*call->blocks)))) {
		call->n_blocks = live->n_disks;
		call->have_blocks = true;
		for (size_t i = 0; i < live->n_disks; i++)
			for (size_t k = 0; k < n && !call->blocks[i].found; k++)
				if (block_matches(&stats[k], &live->disks[i])) {
					call->blocks[i].found = true;
					call->blocks[i].s = stats[k];
					call->blocks[i].s.node_name = call->blocks[i].s.qdev = NULL;
				}
	} else if (r < 0)
		log_debug("Domain %s: query-blockstats failed: %s", domain_name(call->domain), error);
	reply_arrived(call);
}

static void send_queries(DomainStatsCall *call)
{
	Domain *d = call->domain;
	QemuMonitor *mon = d->monitor;

	if (!mon || !d->live || !domain_state_is_active(d->state))
		return;
	if (qemu_monitor_query_cpus_fast(mon, on_cpus, call) >= 0)
		call->pending++;
	if (d->live->memballoon.model == MEMBALLOON_MODEL_VIRTIO &&
	    qemu_monitor_query_balloon(mon, on_balloon, call) >= 0)
		call->pending++;
	if (d->live->n_disks > 0 && qemu_monitor_query_blockstats(mon, on_blockstats, call) >= 0)
		call->pending++;
}

int domain_get_stats(Domain *d, domain_stats_fn cb, void *userdata, ZvError *err)
{
	assert(d);
	assert(cb);

	DomainStatsCall *call = calloc(1, sizeof(*call));
	if (!call)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*call = (DomainStatsCall){.domain = d, .cb = cb, .userdata = userdata, .next = d->stats_calls};

	send_queries(call);
	if (call->pending == 0) {
		int r = finish_soon(call);
		if (r < 0) {
			call_free(call);
			return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot schedule GetStats: %s",
					    strerror(-r));
		}
	}
	d->stats_calls = call;
	return 0;
}

void domain_stats_monitor_gone(Domain *d)
{
	/* Their replies will never come: answer with what came so far. */
	for (DomainStatsCall *call = d->stats_calls; call; call = call->next)
		if (call->pending > 0) {
			call->pending = 0;
			if (finish_soon(call) < 0)
				log_error("Domain %s: cannot schedule a GetStats answer", domain_name(d));
		}
}

void domain_stats_answer_all(Domain *d)
{
	while (d->stats_calls)
		call_finish(d->stats_calls);
}
