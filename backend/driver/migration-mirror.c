/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The source's disk copy during a migration (migration-mirror.h): NBD
 * client nodes and mirror jobs, added one disk after the other, followed
 * by QEMU's BLOCK_JOB events (query-block-jobs only for the progress),
 * completed once the guest is stopped, stopped at once when the
 * migration fails. */
#include "migration-mirror.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain-internal.h"
#include "migration/data-connect.h"
#include "qemu/cmdline.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/event-accuracy.h"
#include "util/log.h"

/* The NBD node and the mirror job of a disk share this name and the
 * target's: a daemon that finds them later knows them for its own. */
#define MIRROR_PREFIX    "migrate-nbd-"
#define MIRROR_POLL_USEC (100ULL * 1000)

typedef struct MirrorDisk {
	char name[QEMU_NODE_NAME_MAX];   /* node and job: migrate-nbd-<target> */
	char device[QEMU_NODE_NAME_MAX]; /* the disk's format node */
	const char *target;              /* the export's name there */
	bool added, started, ready, ended;
	uint64_t len, offset;
} MirrorDisk;

typedef enum MirrorStep {
	MIRROR_ADDING,     /* nodes and jobs, one disk after the other */
	MIRROR_SYNCING,    /* waiting for every READY */
	MIRROR_SYNCED,     /* the memory goes over; writes go to both */
	MIRROR_COMPLETING, /* cancelled without force: their last writes go */
} MirrorStep;

struct MigrationMirror {
	Domain *d;
	MirrorDisk *disks;
	size_t n, next;
	MirrorStep step;
	char host[NI_MAXHOST], port[NI_MAXSERV];
	bool top_only;
	bool failed; /* told once; what follows is the abort's */
	uint64_t speed;
	sd_event_source *poll;
	migration_mirror_fn cb;
	migration_mirror_progress_fn progress;
};

static MigrationMirror *mirror_free(MigrationMirror *m)
{
	if (!m)
		return NULL;
	if (m->d->migration_mirror == m)
		m->d->migration_mirror = NULL;
	sd_event_source_disable_unref(m->poll);
	free(m->disks);
	free(m);
	return NULL;
}

static MigrationMirror *mirror_of(const Domain *d)
{
	return d->migration_mirror;
}

/* Once: the caller hears it; the mirror stays for it to finish or abort. */
static void mirror_done(MigrationMirror *m, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mirror_done(MigrationMirror *m, int r, const char *fmt, ...)
{
	if (m->failed)
		return;
	m->failed = r < 0;
	m->poll = sd_event_source_disable_unref(m->poll);
	_cleanup_free_ char *msg = NULL;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		va_end(ap);
	}
	m->cb(m->d, r, r < 0 ? msg ?: "Out of memory" : NULL);
}

static MirrorDisk *disk_by_name(MigrationMirror *m, const char *name)
{
	for (size_t i = 0; m && name && i < m->n; i++)
		if (strcmp(m->disks[i].name, name) == 0)
			return &m->disks[i];
	return NULL;
}

/* --- progress ------------------------------------------------------------- */

static int arm_poll(MigrationMirror *m);

static void on_jobs(QemuMonitor *mon, int r, const QemuBlockJob *jobs, size_t n, const char *error,
		    void *userdata)
{
	Domain *d = userdata;
	MigrationMirror *m = mirror_of(d);
	if (!m || m->step != MIRROR_SYNCING)
		return;
	uint64_t total = 0, done = 0;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		MirrorDisk *disk = disk_by_name(m, jobs[i].id);
		if (disk) {
			disk->len = jobs[i].len;
			disk->offset = jobs[i].offset;
		}
	}
	for (size_t i = 0; i < m->n; i++) {
		total += m->disks[i].len;
		done += m->disks[i].offset;
	}
	if (m->progress)
		m->progress(d, total, done);
	if (arm_poll(m) < 0)
		mirror_done(m, -ENOMEM, "Cannot follow the disk copy of '%s'", domain_name(d));
}

static int on_poll(sd_event_source *es, uint64_t usec, void *userdata)
{
	MigrationMirror *m = userdata;
	if (!m->d->monitor || qemu_monitor_query_block_jobs(m->d->monitor, on_jobs, m->d) < 0)
		mirror_done(m, -ENOTCONN, "Lost QEMU's monitor while copying the disks of '%s'",
			    domain_name(m->d));
	return 0;
}

static int arm_poll(MigrationMirror *m)
{
	m->poll = sd_event_source_disable_unref(m->poll);
	return sd_event_add_time_relative(registry_get_event(m->d->registry), &m->poll, CLOCK_MONOTONIC,
					  MIRROR_POLL_USEC, EVENT_ACCURACY_USEC, on_poll, m);
}

/* --- start ---------------------------------------------------------------- */

static void add_next(MigrationMirror *m);

static void on_mirror_started(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationMirror *m = mirror_of(d);
	if (!m || m->step != MIRROR_ADDING)
		return;
	MirrorDisk *disk = &m->disks[m->next];
	if (r < 0)
		return mirror_done(m, r, "QEMU cannot copy disk '%s' of '%s' to the destination: %s",
				   disk->target, domain_name(d), error);
	disk->started = true;
	m->next++;
	add_next(m);
}

static void on_node_added(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationMirror *m = mirror_of(d);
	if (!m || m->step != MIRROR_ADDING)
		return;
	MirrorDisk *disk = &m->disks[m->next];
	if (r < 0)
		return mirror_done(m, r,
				   "QEMU cannot reach the destination's export of disk '%s' at %s:%s: %s",
				   disk->target, m->host, m->port, error);
	disk->added = true;
	if (qemu_monitor_blockdev_mirror(d->monitor, disk->name, disk->device, disk->name, m->top_only,
					 m->speed, on_mirror_started) < 0)
		mirror_done(m, -ENOTCONN, "Lost QEMU's monitor while copying the disks of '%s'",
			    domain_name(d));
}

static bool all_ready(const MigrationMirror *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!m->disks[i].ready)
			return false;
	return true;
}

static void add_next(MigrationMirror *m)
{
	Domain *d = m->d;
	if (m->next < m->n) {
		MirrorDisk *disk = &m->disks[m->next];
		if (!d->monitor || qemu_monitor_nbd_blockdev_add(d->monitor, disk->name, m->host, m->port,
								 disk->target, on_node_added) < 0)
			mirror_done(m, -ENOTCONN, "Lost QEMU's monitor while copying the disks of '%s'",
				    domain_name(d));
		return;
	}
	m->step = MIRROR_SYNCING;
	log_info("Domain %s: copying %zu disk(s) to the destination", domain_name(d), m->n);
	/* A disk already in sync said so before the last job started. */
	if (all_ready(m)) {
		m->step = MIRROR_SYNCED;
		return mirror_done(m, 0, NULL);
	}
	if (arm_poll(m) < 0)
		mirror_done(m, -ENOMEM, "Cannot follow the disk copy of '%s'", domain_name(d));
}

int migration_mirror_start(Domain *d, const size_t *disks, size_t n, const char *disks_uri, bool top_only,
			   uint64_t speed, migration_mirror_fn cb, migration_mirror_progress_fn progress,
			   MigrationMirror **ret)
{
	struct sockaddr_storage addr;
	socklen_t len;
	if (n == 0 || !disks_uri || migration_uri_parse(disks_uri, &addr, &len) < 0)
		return -EINVAL;
	if (!d->monitor)
		return -ENOTCONN;
	_cleanup_free_ MigrationMirror *m = calloc(1, sizeof(*m));
	if (!m || !(m->disks = calloc(n, sizeof(*m->disks)))) {
		if (m)
			free(m->disks);
		return -ENOMEM;
	}
	int k = getnameinfo((struct sockaddr *)&addr, len, m->host, sizeof(m->host), m->port,
			    sizeof(m->port), NI_NUMERICHOST | NI_NUMERICSERV);
	if (k != 0) {
		free(m->disks);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		const DiskDef *disk = &d->live->disks[disks[i]];
		char storage[QEMU_NODE_NAME_MAX];
		if (qemu_disk_node_names(disk->info.alias, storage, m->disks[i].device) < 0 ||
		    snprintf(m->disks[i].name, sizeof(m->disks[i].name), MIRROR_PREFIX "%s", disk->target) >=
			    (int)sizeof(m->disks[i].name)) {
			free(m->disks);
			return -ENAMETOOLONG;
		}
		m->disks[i].target = disk->target;
	}
	m->d = d;
	m->n = n;
	m->top_only = top_only;
	m->speed = speed;
	m->cb = cb;
	m->progress = progress;
	d->migration_mirror = m;
	*ret = TAKE_PTR(m);
	add_next(*ret);
	return 0;
}

/* --- events --------------------------------------------------------------- */

static void on_node_deleted(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (r < 0)
		log_warning("Domain %s: cannot remove a migration's NBD node: %s", domain_name(d), error);
}

static bool all_ended(const MigrationMirror *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!m->disks[i].ended)
			return false;
	return true;
}

void migration_mirror_event(MigrationMirror *m, const QemuEvent *ev)
{
	Domain *d = m->d;
	MirrorDisk *disk = disk_by_name(m, ev->device);
	if (!disk) {
		migration_mirror_orphan_event(d, ev);
		return;
	}
	if (ev->type == QEMU_EVENT_BLOCK_JOB_READY) {
		disk->ready = true;
		if (m->step == MIRROR_SYNCING && all_ready(m)) {
			m->step = MIRROR_SYNCED;
			log_info("Domain %s: the disks are in sync with the destination", domain_name(d));
			mirror_done(m, 0, NULL);
		}
		return;
	}
	/* COMPLETED or CANCELLED: the job is gone, its node can go. */
	disk->ended = true;
	if (d->monitor)
		(void)qemu_monitor_blockdev_del(d->monitor, disk->name, on_node_deleted);
	disk->added = false;
	bool failed = ev->type == QEMU_EVENT_BLOCK_JOB_CANCELLED || ev->job_error;
	if (failed)
		return mirror_done(m, -EIO, "The copy of disk '%s' of '%s' to the destination %s: %s",
				   disk->target, domain_name(d),
				   ev->type == QEMU_EVENT_BLOCK_JOB_CANCELLED ? "was cancelled" : "failed",
				   ev->job_error ?: "before it was in sync");
	if (m->step == MIRROR_COMPLETING && all_ended(m)) {
		log_info("Domain %s: the disks are copied", domain_name(d));
		mirror_done(m, 0, NULL);
	} else if (m->step != MIRROR_COMPLETING)
		/* A mirror ends on its own only when it failed. */
		mirror_done(m, -EIO, "The copy of disk '%s' of '%s' ended early", disk->target,
			    domain_name(d));
}

void migration_mirror_orphan_event(Domain *d, const QemuEvent *ev)
{
	if (ev->type == QEMU_EVENT_BLOCK_JOB_READY || !ev->device ||
	    strncmp(ev->device, MIRROR_PREFIX, strlen(MIRROR_PREFIX)) != 0 || !d->monitor)
		return;
	log_info("Domain %s: removing the NBD node %s a migration left", domain_name(d), ev->device);
	(void)qemu_monitor_blockdev_del(d->monitor, ev->device, on_node_deleted);
}

/* --- the end -------------------------------------------------------------- */

static void on_cancel_sent(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationMirror *m = mirror_of(d);
	if (r < 0 && m && m->step == MIRROR_COMPLETING)
		mirror_done(m, r, "QEMU cannot complete the disk copy of '%s': %s", domain_name(d), error);
}

int migration_mirror_finish(MigrationMirror *m, migration_mirror_fn cb)
{
	Domain *d = m->d;
	if (!d->monitor)
		return -ENOTCONN;
	m->step = MIRROR_COMPLETING;
	m->cb = cb;
	for (size_t i = 0; i < m->n; i++) {
		int k = qemu_monitor_block_job_cancel(d->monitor, m->disks[i].name, false, on_cancel_sent);
		if (k < 0)
			return k;
	}
	return 0;
}

/* What undoes a migration's disk copy may find it undone: no such job,
 * a node in use until its job ends. */
static void on_ignored(QemuMonitor *mon, int r, const char *error, void *userdata)
{
}

MigrationMirror *migration_mirror_abort(MigrationMirror *m)
{
	if (!m)
		return NULL;
	Domain *d = m->d;
	/* QEMU runs commands in order: these come after one in flight (a
	 * blockdev-add or blockdev-mirror of disk next), and undo it too. */
	for (size_t i = 0; i < m->n && d->monitor; i++) {
		MirrorDisk *disk = &m->disks[i];
		bool in_flight = m->step == MIRROR_ADDING && i == m->next;
		if (disk->ended || (!disk->added && !in_flight))
			continue;
		if (disk->started || (in_flight && disk->added))
			/* Its node goes with the job's end (the orphan event). */
			(void)qemu_monitor_block_job_cancel(d->monitor, disk->name, true, on_ignored);
		/* Refused while the job holds it; then the event removes it. */
		(void)qemu_monitor_blockdev_del(d->monitor, disk->name, on_ignored);
	}
	return mirror_free(m);
}

static void on_leftover_jobs(QemuMonitor *mon, int r, const QemuBlockJob *jobs, size_t n, const char *error,
			     void *userdata)
{
	Domain *d = userdata;
	for (size_t i = 0; r >= 0 && i < n && d->monitor; i++)
		if (strncmp(jobs[i].id, MIRROR_PREFIX, strlen(MIRROR_PREFIX)) == 0) {
			log_info("Domain %s: stopping the disk copy %s a previous zvirtd left",
				 domain_name(d), jobs[i].id);
			(void)qemu_monitor_block_job_cancel(d->monitor, jobs[i].id, true, on_ignored);
		}
}

static void on_leftover_nodes(QemuMonitor *mon, int r, const QemuBlockNode *nodes, size_t n,
			      const char *error, void *userdata)
{
	Domain *d = userdata;
	/* A node still used by its job refuses; it goes when the job ends. */
	for (size_t i = 0; r >= 0 && i < n && d->monitor; i++)
		if (strncmp(nodes[i].node_name, MIRROR_PREFIX, strlen(MIRROR_PREFIX)) == 0)
			(void)qemu_monitor_blockdev_del(d->monitor, nodes[i].node_name, on_ignored);
}

void migration_mirror_stop_leftovers(Domain *d)
{
	if (!d->monitor)
		return;
	(void)qemu_monitor_query_block_jobs(d->monitor, on_leftover_jobs, d);
	(void)qemu_monitor_query_named_block_nodes(d->monitor, on_leftover_nodes, d);
}
