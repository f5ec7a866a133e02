/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GetStats: the configured values, then what the running QEMU says.
 * The queries go out at once (query-cpus-fast, query-balloon when there
 * is a balloon, query-blockstats and query-named-block-nodes); once all
 * replied, or at once when the monitor is gone meanwhile, the sizes
 * only the image files know (all of them for a domain that does not
 * run, the physical size QEMU did not give otherwise) are read in a
 * worker thread, and the call is answered with the groups that came.
 * A NIC's counters come from rtnetlink when the answer is put together
 * (net-stats.h: the kernel answers at once).
 * Disk.GetStats is the same call for one disk of a running domain. Nothing
 * here waits on the loop: /proc is read when the vCPU thread ids
 * arrive, the image files off it. */

#include "stats.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain-internal.h"
#include "net-stats.h"
#include "qemu/cmdline.h"
#include "qemu/image.h"
#include "qemu/process.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/worker.h"

typedef struct VcpuStat {
	int64_t index;
	uint64_t time_ns;
	bool have_time;
	bool halted;
	bool have_halted;
} VcpuStat;

/* One disk of the definition the call began with, found again by its
 * target (a hot-plug may change the definition before the answer). */
typedef struct BlockStat {
	char *target;
	DiskFormat format;
	char *source;     /* NULL for an empty drive */
	bool found;       /* query-blockstats had its backend */
	QemuBlockStats s; /* the counters; the names are not kept */
	bool have_node;   /* query-named-block-nodes had its format node */
	uint64_t capacity, actual_size;
	bool have_actual_size;
	bool want_file;      /* what only the image file can tell is needed */
	bool have_file;      /* ... and was read */
	QemuImageSizes file; /* image.h: from the file itself */
} BlockStat;

typedef struct FileJob FileJob;

struct DomainStatsCall {
	Domain *domain;
	DomainStatsCall *next;
	domain_stats_fn cb;
	void *userdata;
	unsigned pending;      /* queries without a reply yet */
	sd_event_source *done; /* the answer, from the loop */

	char *disk;  /* Disk.GetStats: only this disk's counters and sizes */
	bool active; /* the domain ran when the call began */

	VcpuStat *vcpus;
	size_t n_vcpus;
	bool have_vcpus;
	uint64_t balloon_bytes;
	bool have_balloon;
	BlockStat *blocks; /* one per disk of the definition the call began with */
	size_t n_blocks;
	bool have_blocks;  /* query-blockstats answered */
	bool files_tried;  /* the image files were read, or need not be */
	FileJob *file_job; /* reading them, off the loop */
};

/* The image files of a call, read in a worker thread: copies of what
 * the job needs, so that it never touches the call, which may be
 * answered (and freed) meanwhile: call is then NULL. */
typedef struct FileItem {
	size_t block; /* index in the call's blocks */
	char *path;
	DiskFormat format;
	int r;
	QemuImageSizes sizes;
} FileItem;

struct FileJob {
	DomainStatsCall *call;
	size_t n;
	FileItem items[];
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

static const BlockStat *block_of(const DomainStatsCall *call, const char *target)
{
	for (size_t i = 0; target && i < call->n_blocks; i++)
		if (strcmp(call->blocks[i].target, target) == 0)
			return &call->blocks[i];
	return NULL;
}

/* domblkinfo's three sizes, as libvirt's domstats has them: for a
 * running domain what QEMU says (capacity: the format node's
 * virtual-size; allocation: the highest offset written in the image
 * file; physical: what the file takes on the host, actual-size, or the
 * file's own size when QEMU has none), else what the file says. */
typedef struct BlockSizes {
	bool have_capacity, have_allocation, have_physical;
	uint64_t capacity, allocation, physical;
} BlockSizes;

static BlockSizes block_sizes(const BlockStat *b, bool active)
{
	BlockSizes z = {};
	if (!b)
		return z;
	if (!active) {
		if (b->have_file)
			z = (BlockSizes){
				true, true, true, b->file.capacity, b->file.allocation, b->file.physical};
		return z;
	}
	/* An empty drive (a cdrom without medium) has no image: no sizes. */
	if (b->found && b->have_node) {
		z.have_allocation = true;
		z.allocation = b->s.has_wr_highest_offset ? b->s.wr_highest_offset : 0;
	}
	if (b->have_node && b->capacity > 0) {
		z.have_capacity = true;
		z.capacity = b->capacity;
	}
	if (b->have_node && b->have_actual_size && b->actual_size > 0) {
		z.have_physical = true;
		z.physical = b->actual_size;
	} else if (b->have_file) {
		z.have_physical = true;
		z.physical = b->file.physical;
	}
	return z;
}

/* The sizes under prefix ("block.0." or ""). */
static int add_sizes(DomainStats *s, const BlockSizes *z, const char *prefix)
{
	if ((z->have_capacity && stats_add(s, U64(z->capacity), "%scapacity", prefix) < 0) ||
	    (z->have_allocation && stats_add(s, U64(z->allocation), "%sallocation", prefix) < 0) ||
	    (z->have_physical && stats_add(s, U64(z->physical), "%sphysical", prefix) < 0))
		return -ENOMEM;
	return 0;
}

static int add_block(DomainStats *s, const DiskDef *disk, size_t i, const BlockStat *b, bool active)
{
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "block.%zu.", i);
	int r = stats_add(s, STR(disk->target), "block.%zu.name", i);
	if (r >= 0 && disk->source)
		r = stats_add(s, STR(disk->source), "block.%zu.path", i);
	if (r < 0)
		return r;
	BlockSizes z = block_sizes(b, active);
	if (add_sizes(s, &z, prefix) < 0)
		return -ENOMEM;
	if (!active || !b || !b->found)
		return 0;
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

/* virsh domiflist's columns, and while it runs the host link's counters
 * in the guest's view under domstats' names; a link that cannot be read
 * is left out, as domstats leaves it out. */
static int add_net(DomainStats *s, const Domain *d, const InterfaceDef *net, size_t i, bool active)
{
	char mac[NET_MAC_STRING_MAX];
	const char *source = net->type == NET_TYPE_DIRECT ? net->source_dev : net->source_bridge;
	if ((active && net->target_dev && stats_add(s, STR(net->target_dev), "net.%zu.name", i) < 0) ||
	    stats_add(s, STR(net_mac_to_string(net->mac, mac)), "net.%zu.mac", i) < 0 ||
	    stats_add(s, STR(net_type_to_string(net->type)), "net.%zu.type", i) < 0 ||
	    (source && stats_add(s, STR(source), "net.%zu.source", i) < 0) ||
	    stats_add(s, STR(net_model_to_string(net->model)), "net.%zu.model", i) < 0)
		return -ENOMEM;
	HostLinkStats c;
	ZvError err = ZV_ERROR_INIT;
	if (!active || domain_net_stats(d, net, &c, &err) < 0) {
		if (active)
			log_debug("Domain %s: %s", domain_name(d), err.message);
		return 0;
	}
	if (stats_add(s, U64(c.rx_bytes), "net.%zu.rx.bytes", i) < 0 ||
	    stats_add(s, U64(c.rx_packets), "net.%zu.rx.pkts", i) < 0 ||
	    stats_add(s, U64(c.rx_errs), "net.%zu.rx.errs", i) < 0 ||
	    stats_add(s, U64(c.rx_drop), "net.%zu.rx.drop", i) < 0 ||
	    stats_add(s, U64(c.tx_bytes), "net.%zu.tx.bytes", i) < 0 ||
	    stats_add(s, U64(c.tx_packets), "net.%zu.tx.pkts", i) < 0 ||
	    stats_add(s, U64(c.tx_errs), "net.%zu.tx.errs", i) < 0 ||
	    stats_add(s, U64(c.tx_drop), "net.%zu.tx.drop", i) < 0)
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
		if (add_block(s, &def->disks[i], i, block_of(call, def->disks[i].target), active) < 0)
			return -ENOMEM;
	if (stats_add(s, U32((uint32_t)def->n_interfaces), "net.count") < 0)
		return -ENOMEM;
	for (size_t i = 0; i < def->n_interfaces; i++)
		if (add_net(s, d, &def->interfaces[i], i, active) < 0)
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

static ssize_t live_disk_index(const Domain *d, const char *target)
{
	for (size_t i = 0; d->live && i < d->live->n_disks; i++)
		if (d->live->disks[i].target && strcmp(d->live->disks[i].target, target) == 0)
			return (ssize_t)i;
	return -1;
}

/* Disk.GetStats: virsh domblkstat's names (rd_req, ...; the times in
 * ns) and domblkinfo's sizes, of one disk QEMU runs. */
static int collect_disk(Domain *d, const DomainStatsCall *call, DomainStats *s, ZvError *err)
{
	if (!domain_state_is_active(d->state) || !d->live)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' stopped (%s) before the statistics of disk '%s' came",
				    domain_name(d), domain_reason_to_string(d->reason), call->disk);
	if (live_disk_index(d, call->disk) < 0)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV,
				    "Domain '%s' no longer has disk '%s'", domain_name(d), call->disk);
	const BlockStat *b = block_of(call, call->disk);
	if (!call->have_blocks)
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, EIO,
				    "Cannot read the statistics of disk '%s' of domain '%s': QEMU's monitor "
				    "did not answer (it is being reconnected); try again",
				    call->disk, domain_name(d));
	if (!b || !b->found)
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, EIO,
				    "QEMU reports no block device for disk '%s' of domain '%s'", call->disk,
				    domain_name(d));
	const QemuBlockStats *c = &b->s;
	BlockSizes z = block_sizes(b, true);
	if (stats_add(s, U64(c->rd_operations), "rd_req") < 0 ||
	    stats_add(s, U64(c->rd_bytes), "rd_bytes") < 0 ||
	    stats_add(s, U64(c->wr_operations), "wr_req") < 0 ||
	    stats_add(s, U64(c->wr_bytes), "wr_bytes") < 0 ||
	    stats_add(s, U64(c->flush_operations), "flush_operations") < 0 ||
	    stats_add(s, U64(c->rd_total_time_ns), "rd_total_times") < 0 ||
	    stats_add(s, U64(c->wr_total_time_ns), "wr_total_times") < 0 ||
	    stats_add(s, U64(c->flush_total_time_ns), "flush_total_times") < 0 ||
	    stats_add(s, U64(c->failed_operations), "errs") < 0 || add_sizes(s, &z, "") < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
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

static FileJob *file_job_free(FileJob *job)
{
	for (size_t i = 0; job && i < job->n; i++)
		free(job->items[i].path);
	free(job);
	return NULL;
}

static void call_free(DomainStatsCall *call)
{
	if (call->file_job) {
		/* Its done frees it once the worker is through; after
		 * worker_free() (the daemon stops) no done comes. */
		if (call->domain->registry->worker)
			call->file_job->call = NULL;
		else
			file_job_free(call->file_job);
	}
	sd_event_source_disable_unref(call->done);
	free(call->vcpus);
	for (size_t i = 0; i < call->n_blocks; i++) {
		free(call->blocks[i].target);
		free(call->blocks[i].source);
	}
	free(call->blocks);
	free(call->disk);
	free(call);
}

static void call_finish(DomainStatsCall *call)
{
	Domain *d = call->domain;
	DomainStats stats = {};
	ZvError err = ZV_ERROR_INIT;

	call_unlink(call);
	int r = call->disk ? collect_disk(d, call, &stats, &err) : collect(d, call, &stats);
	if (r < 0 && err.code == ZV_ERROR_NONE)
		r = zv_error_set(&err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	call->cb(d, r, r < 0 ? &err : NULL, r < 0 ? NULL : &stats, call->userdata);
	stats_clear(&stats);
	call_free(call);
}

/* --- what only the image files know ----------------------------------------- */

static int read_files(void *userdata)
{
	FileJob *job = userdata;
	fault_delay("stats-image-read"); /* a slow or hung file system */
	for (size_t i = 0; i < job->n; i++)
		job->items[i].r = qemu_image_read_sizes(job->items[i].path, job->items[i].format,
							&job->items[i].sizes);
	return 0;
}

static void files_read(int result, void *userdata)
{
	FileJob *job = userdata;
	DomainStatsCall *call = job->call;

	if (call) {
		call->file_job = NULL;
		for (size_t i = 0; i < job->n; i++) {
			const FileItem *it = &job->items[i];
			BlockStat *b = &call->blocks[it->block];
			if (it->r >= 0) {
				b->file = it->sizes;
				b->have_file = true;
			} else
				/* As libvirt's domstats: an image it cannot read
				 * has no sizes, the rest is answered. */
				log_debug("Domain %s: disk %s: cannot read the sizes of %s: %s",
					  domain_name(call->domain), b->target, it->path, strerror(-it->r));
		}
	}
	file_job_free(job);
	if (call)
		call_finish(call);
}

/* Starts reading the image files the answer needs; false when there
 * is nothing to read (or it cannot be queued: the sizes are left out). */
static bool read_files_soon(DomainStatsCall *call)
{
	Registry *r = call->domain->registry;
	size_t n = 0;

	call->files_tried = true;
	for (size_t i = 0; i < call->n_blocks; i++) {
		BlockStat *b = &call->blocks[i];
		/* A running domain's sizes come from QEMU: the file only for
		 * a physical size QEMU has not (as libvirt stats it). */
		b->want_file =
			b->source && (!call->disk || strcmp(b->target, call->disk) == 0) &&
			(!call->active || (b->have_node && (!b->have_actual_size || !b->actual_size)));
		n += b->want_file;
	}
	if (n == 0 || registry_start_worker(r) < 0)
		return false;

	FileJob *job = calloc(1, sizeof(*job) + n * sizeof(FileItem));
	if (!job)
		return false;
	for (size_t i = 0; i < call->n_blocks; i++) {
		if (!call->blocks[i].want_file)
			continue;
		FileItem *it = &job->items[job->n++];
		*it = (FileItem){.block = i, .format = call->blocks[i].format};
		if (!(it->path = strdup(call->blocks[i].source))) {
			file_job_free(job);
			return false;
		}
	}
	job->call = call;
	if (worker_submit(r->worker, read_files, files_read, job, NULL) < 0) {
		file_job_free(job);
		return false;
	}
	call->file_job = job;
	return true;
}

/* Every QEMU query has its answer (or never will): the files, then the answer. */
static void queries_done(DomainStatsCall *call)
{
	if (!call->files_tried && read_files_soon(call))
		return;
	call_finish(call);
}

static int on_done(sd_event_source *s, void *userdata)
{
	queries_done(userdata);
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
		queries_done(call);
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

/* The disk of the running definition a block of the call stands for. */
static const DiskDef *live_disk(const DomainStatsCall *call, const BlockStat *b)
{
	ssize_t i = live_disk_index(call->domain, b->target);
	return i < 0 ? NULL : &call->domain->live->disks[i];
}

static void on_blockstats(QemuMonitor *mon, int r, const QemuBlockStats *stats, size_t n, const char *error,
			  void *userdata)
{
	DomainStatsCall *call = userdata;

	if (r >= 0) {
		call->have_blocks = true;
		for (size_t i = 0; i < call->n_blocks; i++) {
			BlockStat *b = &call->blocks[i];
			const DiskDef *disk = live_disk(call, b);
			for (size_t k = 0; disk && k < n && !b->found; k++)
				if (block_matches(&stats[k], disk)) {
					b->found = true;
					b->s = stats[k];
					b->s.node_name = b->s.qdev = NULL;
				}
		}
	} else
		log_debug("Domain %s: query-blockstats failed: %s", domain_name(call->domain), error);
	reply_arrived(call);
}

static void on_block_nodes(QemuMonitor *mon, int r, const QemuBlockNode *nodes, size_t n, const char *error,
			   void *userdata)
{
	DomainStatsCall *call = userdata;

	for (size_t i = 0; r >= 0 && i < call->n_blocks; i++) {
		BlockStat *b = &call->blocks[i];
		const DiskDef *disk = live_disk(call, b);
		char storage[QEMU_NODE_NAME_MAX], format[QEMU_NODE_NAME_MAX];
		if (!disk || qemu_disk_node_names(disk->info.alias, storage, format) < 0)
			continue;
		/* The format node: what the guest sees, and (libvirt's
		 * physical) what the whole image takes on the host. */
		for (size_t k = 0; k < n && !b->have_node; k++)
			if (strcmp(nodes[k].node_name, format) == 0) {
				b->have_node = true;
				b->capacity = nodes[k].virtual_size;
				b->actual_size = nodes[k].actual_size;
				b->have_actual_size = nodes[k].has_actual_size;
			}
	}
	if (r < 0)
		log_debug("Domain %s: query-named-block-nodes failed: %s", domain_name(call->domain), error);
	reply_arrived(call);
}

static void send_queries(DomainStatsCall *call)
{
	Domain *d = call->domain;
	QemuMonitor *mon = d->monitor;

	if (!mon || !call->active)
		return;
	if (!call->disk && qemu_monitor_query_cpus_fast(mon, on_cpus, call) >= 0)
		call->pending++;
	if (!call->disk && d->live->memballoon.model == MEMBALLOON_MODEL_VIRTIO &&
	    qemu_monitor_query_balloon(mon, on_balloon, call) >= 0)
		call->pending++;
	if (call->n_blocks > 0 && qemu_monitor_query_blockstats(mon, on_blockstats, call) >= 0)
		call->pending++;
	if (call->n_blocks > 0 && qemu_monitor_query_named_block_nodes(mon, on_block_nodes, call) >= 0)
		call->pending++;
}

/* The call and one block per disk of the definition now (only the one
 * disk for Disk.GetStats). */
static DomainStatsCall *call_new(Domain *d, const char *disk, domain_stats_fn cb, void *userdata)
{
	const DomainDef *def = domain_current_def(d);
	DomainStatsCall *call = calloc(1, sizeof(*call));
	if (!call)
		return NULL;
	*call = (DomainStatsCall){.domain = d,
				  .cb = cb,
				  .userdata = userdata,
				  .next = d->stats_calls,
				  .active = domain_state_is_active(d->state) && d->live};
	if ((disk && !(call->disk = strdup(disk))) ||
	    (def->n_disks > 0 && !(call->blocks = calloc(def->n_disks, sizeof(BlockStat))))) {
		call_free(call);
		return NULL;
	}
	for (size_t i = 0; i < def->n_disks; i++) {
		const DiskDef *dd = &def->disks[i];
		if (!dd->target || (disk && strcmp(dd->target, disk) != 0))
			continue;
		BlockStat *b = &call->blocks[call->n_blocks++];
		b->format = dd->format;
		if (!(b->target = strdup(dd->target)) || (dd->source && !(b->source = strdup(dd->source)))) {
			call_free(call);
			return NULL;
		}
	}
	return call;
}

static int call_begin(DomainStatsCall *call, ZvError *err)
{
	Domain *d = call->domain;
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

int domain_get_stats(Domain *d, domain_stats_fn cb, void *userdata, ZvError *err)
{
	assert(d);
	assert(cb);

	DomainStatsCall *call = call_new(d, NULL, cb, userdata);
	if (!call)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	return call_begin(call, err);
}

int domain_get_disk_stats(Domain *d, const char *target, domain_stats_fn cb, void *userdata, ZvError *err)
{
	assert(d);
	assert(target);
	assert(cb);

	/* As libvirt's domblkstat: counters are QEMU's, so only while it runs. */
	if (!domain_state_is_active(d->state) || !d->live)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Disk.GetStats is not possible: domain '%s' is %s (%s); the statistics "
				    "of disk '%s' exist while QEMU runs it (running, paused, crashed, "
				    "in-shutdown)",
				    domain_name(d), domain_state_to_string(d->state),
				    domain_reason_to_string(d->reason), target);
	if (live_disk_index(d, target) < 0)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV, "Domain '%s' has no disk '%s'",
				    domain_name(d), target);
	DomainStatsCall *call = call_new(d, target, cb, userdata);
	if (!call)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	return call_begin(call, err);
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
