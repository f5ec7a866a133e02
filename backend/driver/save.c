/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ManagedSave: the guest's CPUs stop, QEMU writes its migration stream
 * into a descriptor the daemon opened (a temporary file in
 * <StateDir>/save that already holds the image header), the file is
 * fsync'd and renamed into place off the loop, and only then QEMU quits
 * and the domain is shut-off/saved. Until the rename nothing has
 * changed: any failure, a Cancel or a Destroy removes the temporary file
 * and lets a guest that ran run again. Also ManagedSaveRemove and the
 * image's place on disk. */

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/save-image.h"
#include "domain-internal.h"
#include "job-internal.h"
#include "registry-internal.h"
#include "save-internal.h"
#include "util/cleanup.h"
#include "util/event-accuracy.h"
#include "util/fault.h"
#include "util/fileio.h"
#include "util/log.h"

/* Progress is read and announced this often while QEMU writes. */
#define SAVE_POLL_USEC (100ULL * 1000)
/* QEMU's default of 32 MiB/s is for migrations over a shared network;
 * a save goes to a local disk as fast as it can (QEMU's own upper bound
 * is SIZE_MAX / 10 bytes per second). */
#define SAVE_BANDWIDTH (UINT64_C(1) << 60)
#define SAVE_FD_NAME   "zvirt-save"

typedef enum SaveStep {
	SAVE_STOPPING,  /* stop sent: the CPUs halt */
	SAVE_MIGRATING, /* QEMU writes its stream */
	SAVE_SYNCING,   /* the worker fsyncs and renames */
	SAVE_QUITTING,  /* the image is in place; QEMU quits */
} SaveStep;

struct SaveOp {
	Domain *d; /* NULL once the domain stopped under it */
	Registry *registry;
	Job *job;
	SaveStep step;
	int fd;
	char *path, *tmp_path, *state_dir;
	bool resume; /* it ran before: on failure it runs again */
	bool come_back_running;
	bool bypass_cache;
	bool cancelled;
	bool migrating;        /* QEMU took the migrate command */
	atomic_bool abandoned; /* the domain stopped during the fsync: no rename */
	Domain *detached_from; /* ... and this domain waits for the worker to let go */
	sd_event_source *poll;
	/* The worker's results. */
	int sync_result;
	bool renamed;
};

char *domain_managed_save_path(const Domain *d)
{
	char *p;
	if (asprintf(&p, "%s/save/%s.save", registry_get_settings(d->registry)->state_dir, d->uuid_hex) < 0)
		return NULL;
	return p;
}

bool save_resumes(const Domain *d)
{
	return d->save && d->save->resume;
}

bool save_in_flight(const Domain *d)
{
	return d->save && d->save->step != SAVE_QUITTING;
}

bool domain_has_managed_save(const Domain *d)
{
	return d->has_managed_save;
}

static void save_free(SaveOp *s)
{
	if (!s)
		return;
	sd_event_source_disable_unref(s->poll);
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s->tmp_path);
	free(s->state_dir);
	free(s);
}

/* The end of a save that did not happen: no file, the guest as before. */
static void save_undo_files(SaveOp *s)
{
	if (s->renamed) {
		/* Stopped after the rename but before QEMU quit: the domain
		 * did not become saved, so the image must not stay. */
		(void)unlink_if_exists(s->path);
		(void)fsync_parent_directory(s->path);
	} else if (s->tmp_path)
		(void)unlink_if_exists(s->tmp_path);
}

static void on_resumed(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (r < 0)
		log_error("Domain %s: cannot let the guest run again after a failed save: %s",
			  domain_name(d), error);
}

static void save_fail(SaveOp *s, JobState state, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void save_fail(SaveOp *s, JobState state, const char *fmt, ...)
{
	Domain *d = s->d;
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);

	save_undo_files(s);
	if (d) {
		d->save = NULL;
		/* RESUME is not news: the state never left running. */
		if (s->resume && d->monitor)
			(void)qemu_monitor_cont(d->monitor, on_resumed);
		domain_save_intents(d);
		ZvError err = ZV_ERROR_INIT;
		zv_error_set(&err, state == JOB_STATE_CANCELLED ? ZV_ERROR_CANCELLED : ZV_ERROR_HOST, EIO,
			     "%s", msg ?: "Out of memory");
		domain_finish_op(d, -EIO, &err);
		log_warning("Domain %s: managed save %s: %s", domain_name(d),
			    state == JOB_STATE_CANCELLED ? "cancelled" : "failed", msg ?: "");
	}
	job_finish(s->job, state, msg ?: "Out of memory");
	save_free(s);
}

/* --- the disk: fsync and rename off the loop ---------------------------- */

static int sync_image(void *userdata)
{
	SaveOp *s = userdata;
	int r = fsync(s->fd) < 0 ? -errno : 0;
	if (r == 0 && s->bypass_cache)
		/* The image is on disk: keep it out of the page cache, where it
		 * would push out what the host's other guests use. */
		(void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_DONTNEED);
	if (r == 0)
		r = fault_error("save-sync");
	/* Destroyed meanwhile: this image is no domain's any more. */
	if (r == 0 && atomic_load(&s->abandoned))
		r = -ECANCELED;
	if (r == 0 && rename(s->tmp_path, s->path) < 0)
		r = -errno;
	if (r == 0) {
		s->renamed = true;
		r = fsync_parent_directory(s->path);
	}
	s->sync_result = r;
	return r;
}

static void on_image_synced(int result, void *userdata)
{
	SaveOp *s = userdata;
	Domain *d = s->d;

	if (!d) {
		/* Destroyed (or crashed) meanwhile: nothing is saved. */
		if (s->detached_from)
			s->detached_from->save_detached = NULL;
		save_undo_files(s);
		save_free(s);
		return;
	}
	if (s->sync_result < 0)
		return save_fail(s, JOB_STATE_FAILED, "Cannot write the managed-save image %s: %s", s->path,
				 strerror(-s->sync_result));
	fault_point("save-renamed");
	s->step = SAVE_QUITTING;
	d->has_managed_save = true;
	/* Saved from here on, for a daemon that comes next too. */
	domain_save_intents(d);
	/* QEMU has stopped the guest for good (postmigrate); the domain is
	 * saved once QEMU is gone (domain_save_stopped()). */
	domain_quit_qemu(d, DOMAIN_REASON_SAVED);
}

/* --- QEMU writes -------------------------------------------------------- */

static int arm_poll(SaveOp *s);

static void on_migration_info(QemuMonitor *mon, int r, const QemuMigrationInfo *info, const char *error,
			      void *userdata)
{
	Domain *d = userdata;
	SaveOp *s = d->save;
	if (!s || s->step != SAVE_MIGRATING)
		return;
	if (r < 0)
		return save_fail(s, JOB_STATE_FAILED, "Cannot follow the save of '%s': %s", domain_name(d),
				 error);

	uint64_t done = info->transferred;
	job_set_progress(s->job,
			 &(JobProgress){
				 .total = info->total,
				 .processed = done,
				 .remaining = info->remaining,
				 .speed_mibps = (uint64_t)(info->mbps * 1000000.0 / 8 / (1024 * 1024)),
			 });
	if (strcmp(info->status, "completed") == 0) {
		s->step = SAVE_SYNCING;
		job_set_phase(s->job, "writing to disk");
		int k = worker_submit(d->registry->worker, sync_image, on_image_synced, s, NULL);
		if (k < 0)
			save_fail(s, JOB_STATE_FAILED, "Cannot queue the write of the image: %s",
				  strerror(-k));
		return;
	}
	if (strcmp(info->status, "failed") == 0)
		return save_fail(s, JOB_STATE_FAILED,
				 "QEMU could not write the managed-save image of '%s': %s", domain_name(d),
				 info->error ?: "no reason given");
	if (strcmp(info->status, "cancelled") == 0)
		return save_fail(s, JOB_STATE_CANCELLED, "The managed save of '%s' was cancelled",
				 domain_name(d));
	if (arm_poll(s) < 0)
		save_fail(s, JOB_STATE_FAILED, "Cannot follow the save of '%s'", domain_name(d));
}

static int on_poll(sd_event_source *es, uint64_t usec, void *userdata)
{
	SaveOp *s = userdata;
	if (!s->d->monitor || qemu_monitor_query_migrate(s->d->monitor, on_migration_info) < 0)
		save_fail(s, JOB_STATE_FAILED, "Lost QEMU's monitor while saving '%s'", domain_name(s->d));
	return 0;
}

static int arm_poll(SaveOp *s)
{
	s->poll = sd_event_source_disable_unref(s->poll);
	return sd_event_add_time_relative(registry_get_event(s->registry), &s->poll, CLOCK_MONOTONIC,
					  SAVE_POLL_USEC, EVENT_ACCURACY_USEC, on_poll, s);
}

static void on_migrate(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	SaveOp *s = d->save;
	if (!s)
		return;
	if (r < 0)
		return save_fail(s, JOB_STATE_FAILED, "QEMU refused to save '%s': %s", domain_name(d),
				 error);
	/* QEMU writes through its duplicate; ours stays for the fsync. */
	s->migrating = true;
	if (s->cancelled)
		(void)qemu_monitor_migrate_cancel(d->monitor, NULL);
	if (arm_poll(s) < 0)
		save_fail(s, JOB_STATE_FAILED, "Cannot follow the save of '%s'", domain_name(d));
}

static void on_getfd(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	SaveOp *s = d->save;
	if (!s)
		return;
	if (r < 0)
		return save_fail(s, JOB_STATE_FAILED, "QEMU did not take the image's descriptor: %s", error);
	if (qemu_monitor_migrate(d->monitor, "fd:" SAVE_FD_NAME, on_migrate) < 0)
		save_fail(s, JOB_STATE_FAILED, "Lost QEMU's monitor while saving '%s'", domain_name(d));
}

static void on_events(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	SaveOp *s = d->save;
	if (!s)
		return;
	/* Without the events the polls still see the end, later. */
	if (r < 0)
		log_debug("Domain %s: no MIGRATION events: %s", domain_name(d), error);
	if (qemu_monitor_getfd(d->monitor, SAVE_FD_NAME, s->fd, on_getfd) < 0)
		save_fail(s, JOB_STATE_FAILED, "Lost QEMU's monitor while saving '%s'", domain_name(d));
}

static void on_speed(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	SaveOp *s = d->save;
	if (!s)
		return;
	if (r < 0)
		return save_fail(s, JOB_STATE_FAILED, "QEMU refused the save's bandwidth: %s", error);
	if (qemu_monitor_enable_migration_events(d->monitor, on_events) < 0)
		save_fail(s, JOB_STATE_FAILED, "Lost QEMU's monitor while saving '%s'", domain_name(d));
}

static void start_writing(SaveOp *s)
{
	Domain *d = s->d;
	if (s->cancelled)
		return save_fail(s, JOB_STATE_CANCELLED, "The managed save of '%s' was cancelled",
				 domain_name(d));
	s->step = SAVE_MIGRATING;
	job_set_phase(s->job, "writing");
	if (qemu_monitor_set_migration_speed(d->monitor, SAVE_BANDWIDTH, on_speed) < 0)
		save_fail(s, JOB_STATE_FAILED, "Lost QEMU's monitor while saving '%s'", domain_name(d));
}

static void on_cpus_stopped(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	SaveOp *s = d->save;
	if (!s)
		return;
	if (r < 0) {
		s->resume = false; /* it did not stop */
		return save_fail(s, JOB_STATE_FAILED, "QEMU could not stop the CPUs of '%s': %s",
				 domain_name(d), error);
	}
	start_writing(s);
}

void domain_save_migration_event(Domain *d)
{
	SaveOp *s = d->save;
	/* A status change: look now rather than at the next poll. */
	if (s && s->step == SAVE_MIGRATING && s->migrating && s->poll &&
	    sd_event_source_get_enabled(s->poll, NULL) > 0)
		(void)sd_event_source_set_time_relative(s->poll, 0);
}

/* --- the job ------------------------------------------------------------ */

static int save_cancel(Job *j, void *userdata, ZvError *err)
{
	SaveOp *s = userdata;
	if (s->step >= SAVE_SYNCING)
		return zv_error_set(
			err, ZV_ERROR_OPERATION_INVALID, EPERM,
			"The managed-save image is complete and being written to disk; it cannot be "
			"cancelled now");
	s->cancelled = true;
	/* Stopping: start_writing() sees the flag. Writing: QEMU ends the
	 * stream and query-migrate reports cancelled. */
	if (s->migrating && s->d->monitor)
		(void)qemu_monitor_migrate_cancel(s->d->monitor, NULL);
	return 0;
}

static const JobOps save_job_ops = {.cancel = save_cancel};

/* The temporary file with its header, positioned where QEMU's stream
 * starts. The header is small (the XML is at most 1 MiB) and goes to the
 * page cache, not to the disk: the fsync comes later, off the loop. */
static int open_image(SaveOp *s, Domain *d, ZvError *err)
{
	_cleanup_free_ char *dir = NULL, *xml = NULL;
	_cleanup_free_ void *header = NULL;
	size_t header_len;

	if (asprintf(&dir, "%s/save", s->state_dir) < 0 || !(s->path = domain_managed_save_path(d)) ||
	    asprintf(&s->tmp_path, "%s.tmp.XXXXXX", s->path) < 0 ||
	    !(xml = domain_def_format(d->live, -1, 0)))
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	int r = mkdir_p(dir, 0700);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot create %s: %s", dir, strerror(-r));
	SaveImageHeader h = {.flags = s->come_back_running ? SAVE_IMAGE_RUNNING : 0, .uuid = d->uuid_id};
	r = save_image_encode(&h, xml, &header, &header_len);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Out of memory");

	s->fd = mkostemp(s->tmp_path, O_CLOEXEC);
	if (s->fd < 0) {
		r = -errno;
		s->tmp_path = (free(s->tmp_path), NULL);
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot create the managed-save image in %s: %s",
				    dir, strerror(-r));
	}
	for (size_t done = 0; done < header_len;) {
		ssize_t n = write(s->fd, (const char *)header + done, header_len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return zv_error_set(err, ZV_ERROR_HOST, n < 0 ? errno : EIO, "Cannot write %s: %s",
					    s->tmp_path, strerror(n < 0 ? errno : EIO));
		done += (size_t)n;
	}
	return 0;
}

int domain_managed_save(Domain *d, DomainSaveFlags flags, Job **ret_job, ZvError *err)
{
	Registry *r = d->registry;
	int k = lifecycle_check(DOMAIN_OP_MANAGED_SAVE, d->state, d->reason, domain_name(d), err);
	if (k < 0)
		return k;
	if (!d->persistent)
		return zv_error_set(
			err, ZV_ERROR_OPERATION_INVALID, EPERM,
			"Domain '%s' is transient: a managed save needs a definition to come back to",
			domain_name(d));
	if ((flags & DOMAIN_SAVE_RUNNING) && (flags & DOMAIN_SAVE_PAUSED))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Options 'running' and 'paused' exclude each other");
	if (!d->monitor)
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, ENOTCONN,
				    "QEMU's monitor of '%s' is not reachable now", domain_name(d));
	k = registry_start_worker(r);
	if (k < 0)
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot start a worker thread: %s", strerror(-k));
	k = domain_check_idle(d, DOMAIN_OP_MANAGED_SAVE, err);
	if (k < 0)
		return k;
	if (d->save_detached)
		return zv_error_set(
			err, ZV_ERROR_BUSY, EBUSY,
			"ManagedSave is not possible now: the image of an earlier save of '%s' is "
			"still being written",
			domain_name(d));
	if (d->job)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "ManagedSave is not possible now: domain '%s' is busy with a %s job",
				    domain_name(d), job_type_to_string(job_get_type(d->job)));

	SaveOp *s = calloc(1, sizeof(*s));
	if (!s)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*s = (SaveOp){
		.d = d,
		.registry = r,
		.fd = -1,
		.resume = d->state == DOMAIN_STATE_RUNNING,
		.come_back_running = (flags & DOMAIN_SAVE_RUNNING) ||
				     (d->state == DOMAIN_STATE_RUNNING && !(flags & DOMAIN_SAVE_PAUSED)),
		.bypass_cache = flags & DOMAIN_SAVE_BYPASS_CACHE,
	};
	if (!(s->state_dir = strdup(registry_get_settings(r)->state_dir))) {
		save_free(s);
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	k = open_image(s, d, err);
	if (k < 0) {
		save_undo_files(s);
		save_free(s);
		return k;
	}
	k = domain_begin_op(d, DOMAIN_OP_MANAGED_SAVE, NULL, NULL, err);
	if (k < 0) {
		save_undo_files(s);
		save_free(s);
		return k;
	}
	k = job_new(d, JOB_MANAGED_SAVE, &save_job_ops, s, &s->job);
	if (k < 0) {
		domain_abort_op(d);
		save_undo_files(s);
		save_free(s);
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot create the job: %s", strerror(-k));
	}
	d->save = s;
	/* The job outlives s should the save fail at once. */
	*ret_job = s->job;
	domain_save_intents(d);
	log_info("Domain %s: managed save into %s", domain_name(d), s->path);

	if (d->state == DOMAIN_STATE_RUNNING) {
		s->step = SAVE_STOPPING;
		job_set_phase(s->job, "stopping the CPUs");
		if (qemu_monitor_stop(d->monitor, on_cpus_stopped) < 0) {
			s->resume = false;
			save_fail(s, JOB_STATE_FAILED, "Lost QEMU's monitor while saving '%s'",
				  domain_name(d));
		}
	} else
		start_writing(s);
	return 0;
}

bool domain_save_stopped(Domain *d)
{
	SaveOp *s = d->save;
	if (!s)
		return false;
	d->save = NULL;
	if (s->step == SAVE_QUITTING) {
		/* The image was in place before QEMU quit: saved. */
		log_info("Domain %s: saved into %s", domain_name(d), s->path);
		domain_finish_op(d, 0, NULL);
		job_set_progress(s->job, &(JobProgress){.total = job_get_progress(s->job)->total,
							.processed = job_get_progress(s->job)->total});
		job_finish(s->job, JOB_STATE_COMPLETED, NULL);
		save_free(s);
		return true;
	}
	ZvError err = ZV_ERROR_INIT;
	zv_error_set(&err, ZV_ERROR_OPERATION_INVALID, ESRCH,
		     "Domain '%s' stopped (%s) before the managed save completed", domain_name(d),
		     domain_reason_to_string(d->stop_expected ? d->stop_reason : DOMAIN_REASON_CRASHED));
	job_finish(s->job, JOB_STATE_FAILED, err.message);
	domain_finish_op(d, -ESRCH, &err);
	if (s->step == SAVE_SYNCING) {
		/* The worker still has the file: on_image_synced() cleans up,
		 * and the rename does not happen. */
		atomic_store(&s->abandoned, true);
		s->d = NULL;
		s->detached_from = d;
		d->save_detached = s;
		return false;
	}
	save_undo_files(s);
	save_free(s);
	return false;
}

void domain_save_forget(Domain *d)
{
	SaveOp *s = d->save;
	if (!s)
		return;
	/* The daemon stops (worker_free() has waited for a write under way):
	 * the file goes, the guest keeps its state; the next daemon cancels
	 * QEMU's stream and lets it run (the intent in the status file). */
	d->save = NULL;
	/* In its last step the image is the domain's: QEMU is quitting. */
	if (s->step != SAVE_QUITTING)
		save_undo_files(s);
	save_free(s);
}

void domain_save_forget_detached(Domain *d)
{
	/* After worker_free(): the fsync of a save that lost its domain is
	 * over, its completion will never run. */
	SaveOp *s = d->save_detached;
	if (!s)
		return;
	d->save_detached = NULL;
	save_undo_files(s);
	save_free(s);
}

/* --- the image on disk ---------------------------------------------------- */

int domain_managed_save_remove(Domain *d, ZvError *err)
{
	if (!d->has_managed_save)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, ENOENT,
				    "Domain '%s' has no managed-save image", domain_name(d));
	if (d->job)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY, "Domain '%s' is busy with a %s job",
				    domain_name(d), job_type_to_string(job_get_type(d->job)));
	_cleanup_free_ char *path = domain_managed_save_path(d);
	if (!path)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	int r = unlink_if_exists(path);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot remove %s: %s", path, strerror(-r));
	d->has_managed_save = false;
	log_info("Domain %s: managed-save image removed", domain_name(d));
	if (d->state == DOMAIN_STATE_SHUT_OFF && d->reason == DOMAIN_REASON_SAVED)
		domain_set_state(d, DOMAIN_STATE_SHUT_OFF, DOMAIN_REASON_UNKNOWN);
	registry_notify_definition(d->registry, d);
	return 0;
}

void domain_load_managed_save(Domain *d)
{
	_cleanup_free_ char *path = domain_managed_save_path(d);
	struct stat st;
	if (!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	d->has_managed_save = true;
	if (d->state == DOMAIN_STATE_SHUT_OFF)
		d->reason = DOMAIN_REASON_SAVED;
}
