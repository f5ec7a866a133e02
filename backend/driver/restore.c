/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Start of a domain that has a managed-save image: the image's header is
 * read and checked off the loop (its XML is the definition that runs),
 * QEMU starts with -incoming defer, reads its stream from a descriptor
 * the daemon opened at the stream's offset, and the domain comes back
 * as docs/lifecycle.md says (running/restored or paused/migrating). The
 * image goes once the guest is back. A restore that fails leaves the
 * domain shut-off/saved with its image. force-boot discards the image
 * and boots. */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/domain-xml.h"
#include "conf/save-image.h"
#include "domain-internal.h"
#include "job-internal.h"
#include "registry-internal.h"
#include "save-internal.h"
#include "util/cleanup.h"
#include "util/event-accuracy.h"
#include "util/fileio.h"
#include "util/log.h"

#define RESTORE_POLL_USEC (100ULL * 1000)
#define RESTORE_FD_NAME   "zvirt-restore"

typedef struct RestoreOp RestoreOp;

struct RestoreOp {
	Registry *registry;
	Domain *d;
	DomainStartFlags flags;
	sd_id128_t uuid; /* the domain's, for the worker */
	Job *job;
	char *path;
	char *emulator; /* the settings' default, copied for the worker */
	/* The worker's results. */
	int fd; /* at the stream's offset */
	uint64_t size;
	bool image_paused;
	DomainDef *live;
	ZvError err;
	sd_event_source *poll;
};

static void restore_free(RestoreOp *o)
{
	if (!o)
		return;
	sd_event_source_disable_unref(o->poll);
	if (o->fd >= 0)
		close(o->fd);
	domain_def_free(o->live);
	free(o->path);
	free(o->emulator);
	free(o);
}

/* --- off the loop: the header, the XML, and for force-boot the unlink ---- */

static int read_image(void *userdata)
{
	RestoreOp *o = userdata;
	_cleanup_free_ char *xml = NULL;
	uint8_t head[SAVE_IMAGE_HEADER_SIZE];
	SaveImageHeader h;
	const char *why = NULL;
	struct stat st;

	o->fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (o->fd < 0)
		return zv_error_set(&o->err, ZV_ERROR_HOST, errno,
				    "Cannot open the managed-save image %s: %s", o->path, strerror(errno));
	ssize_t n = pread(o->fd, head, sizeof(head), 0);
	int k = n < 0 ? -errno : save_image_decode(head, (size_t)n, DOMAIN_XML_MAX_SIZE, &h, &why);
	if (o->flags & DOMAIN_START_FORCE_BOOT) {
		/* Discarded whatever it holds; a header that reads says how the
		 * boot ends (the table), one that does not: as from running. */
		o->image_paused = k >= 0 && !(h.flags & SAVE_IMAGE_RUNNING);
		k = unlink(o->path) < 0 ? -errno : fsync_parent_directory(o->path);
		if (k < 0)
			return zv_error_set(&o->err, ZV_ERROR_HOST, -k, "Cannot discard %s: %s", o->path,
					    strerror(-k));
		return 0;
	}
	if (k >= 0 && fstat(o->fd, &st) < 0)
		k = -errno;
	if (k >= 0 && (uint64_t)st.st_size <= h.data_offset) {
		why = "it ends before QEMU's part";
		k = -EBADMSG;
	}
	if (k >= 0 && !sd_id128_equal(h.uuid, o->uuid)) {
		why = "it belongs to another domain";
		k = -EBADMSG;
	}
	if (k >= 0 && !(xml = calloc(1, h.xml_len + 1)))
		k = -ENOMEM;
	if (k >= 0) {
		n = pread(o->fd, xml, h.xml_len, SAVE_IMAGE_HEADER_SIZE);
		if (n < 0 || (uint64_t)n != h.xml_len) {
			why = "its XML is cut short";
			k = -EBADMSG;
		}
	}
	if (k < 0)
		return zv_error_set(
			&o->err, ZV_ERROR_OPERATION_INVALID, -k,
			"Cannot restore from %s: %s; the image is kept (ManagedSaveRemove, or Start with "
			"force-boot, discards it)",
			o->path, why ?: strerror(-k));
	o->image_paused = !(h.flags & SAVE_IMAGE_RUNNING);
	o->size = (uint64_t)st.st_size - h.data_offset;

	DomainXMLDefaults defaults = {.emulator = o->emulator};
	ZvError perr = ZV_ERROR_INIT;
	k = domain_def_parse(xml, h.xml_len, &defaults, 0, &o->live, &perr);
	if (k < 0)
		return zv_error_set(
			&o->err, ZV_ERROR_OPERATION_INVALID, -k,
			"Cannot restore from %s: its domain XML is not valid (%s); the image is kept",
			o->path, perr.message);
	if (!sd_id128_equal(o->live->uuid, h.uuid))
		return zv_error_set(
			&o->err, ZV_ERROR_OPERATION_INVALID, EBADMSG,
			"Cannot restore from %s: its XML names another domain; the image is kept", o->path);
	if (lseek(o->fd, (off_t)h.data_offset, SEEK_SET) < 0)
		return zv_error_set(&o->err, ZV_ERROR_HOST, errno, "Cannot read %s: %s", o->path,
				    strerror(errno));
	return 0;
}

static const JobOps restore_job_ops = {};

static void on_image_read(int result, void *userdata)
{
	RestoreOp *o = userdata;
	Domain *d = o->d;
	/* The op held the domain while the worker read; the start takes it
	 * over, with the caller waiting for it. */
	DomainCall call = d->op_call;
	domain_abort_op(d);
	d->restore_pending = NULL;
	if (result < 0) {
		if (call.cb)
			call.cb(d, result, &o->err, call.userdata);
		restore_free(o);
		return;
	}

	ZvError err = ZV_ERROR_INIT;
	int k;
	if (o->flags & DOMAIN_START_FORCE_BOOT) {
		log_info("Domain %s: managed-save image discarded (force-boot)", domain_name(d));
		d->has_managed_save = false;
		/* The state the image was taken in still decides where the
		 * boot ends (docs/lifecycle.md). */
		d->start_image_paused = o->image_paused;
		DomainStartFlags flags = o->flags;
		restore_free(o);
		k = domain_start_with(d, NULL, flags, call.cb, call.userdata, &err);
		if (k < 0 && call.cb)
			call.cb(d, k, &err, call.userdata);
		return;
	}

	k = job_new(d, JOB_RESTORE, &restore_job_ops, o, &o->job);
	if (k < 0) {
		zv_error_set(&o->err, ZV_ERROR_HOST, -k, "Cannot create the job: %s", strerror(-k));
		if (call.cb)
			call.cb(d, k, &o->err, call.userdata);
		restore_free(o);
		return;
	}
	job_set_progress(o->job, &(JobProgress){.total = o->size, .remaining = o->size});
	job_set_phase(o->job, "starting QEMU");
	d->restore = o;
	d->start_image_paused = o->image_paused;
	k = domain_start_with(d, TAKE_PTR(o->live), o->flags, call.cb, call.userdata, &err);
	if (k < 0) {
		d->restore = NULL;
		job_finish(o->job, JOB_STATE_FAILED, err.message);
		if (call.cb)
			call.cb(d, k, &err, call.userdata);
		restore_free(o);
	}
}

int domain_restore(Domain *d, DomainStartFlags flags, domain_done_fn cb, void *userdata, ZvError *err)
{
	Registry *r = d->registry;
	int k = registry_start_worker(r);
	if (k < 0)
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot start a worker thread: %s", strerror(-k));
	if (d->job)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "Start is not possible now: domain '%s' is busy with a %s job",
				    domain_name(d), job_type_to_string(job_get_type(d->job)));
	/* Holds the domain (a second Start is Busy) while the worker reads;
	 * at exit, the op's caller is answered with everyone else's. */
	k = domain_begin_op(d, DOMAIN_OP_START, cb, userdata, err);
	if (k < 0)
		return k;

	RestoreOp *o = calloc(1, sizeof(*o));
	if (!o || !(o->path = domain_managed_save_path(d)) ||
	    (registry_get_settings(r)->emulator &&
	     !(o->emulator = strdup(registry_get_settings(r)->emulator)))) {
		restore_free(o);
		domain_abort_op(d);
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	o->registry = r;
	o->d = d;
	o->flags = flags;
	o->uuid = d->uuid_id;
	o->fd = -1;
	o->err = (ZvError)ZV_ERROR_INIT;
	k = worker_submit(r->worker, read_image, on_image_read, o, NULL);
	if (k < 0) {
		restore_free(o);
		domain_abort_op(d);
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot queue the read of the image: %s",
				    strerror(-k));
	}
	d->restore_pending = o;
	return 0;
}

/* --- QEMU reads ----------------------------------------------------------- */

static int unlink_image(void *userdata)
{
	char *path = userdata;
	if (unlink(path) < 0)
		return errno == ENOENT ? 0 : -errno;
	return fsync_parent_directory(path);
}

static void on_image_unlinked(int result, void *userdata)
{
	_cleanup_free_ char *path = userdata;
	if (result < 0)
		log_error_errno(result, "Cannot remove the restored image %s: %m", path);
}

/* The guest is back: the job ends, the image goes (off the loop). */
static void restore_done(Domain *d)
{
	RestoreOp *o = d->restore;
	d->restore = NULL;
	d->has_managed_save = false;
	job_set_progress(o->job, &(JobProgress){.total = o->size, .processed = o->size});
	job_finish(o->job, JOB_STATE_COMPLETED, NULL);
	char *path = TAKE_PTR(o->path);
	if (worker_submit(d->registry->worker, unlink_image, on_image_unlinked, path, NULL) < 0) {
		log_error("Domain %s: cannot queue the removal of %s", domain_name(d), path);
		free(path);
	}
	restore_free(o);
	log_info("Domain %s: restored from its managed-save image", domain_name(d));
}

static void on_restored_cont(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (r < 0)
		return domain_fail_start(d, "cont after the restore", error);
	restore_done(d);
	domain_start_done(d);
}

static int arm_poll(RestoreOp *o);

static void on_incoming_info(QemuMonitor *mon, int r, const QemuMigrationInfo *info, const char *error,
			     void *userdata)
{
	Domain *d = userdata;
	RestoreOp *o = d->restore;
	if (!o)
		return;
	if (r < 0)
		return domain_fail_start(d, "query-migrate", error);
	if (strcmp(info->status, "completed") == 0) {
		DomainState state;
		DomainReason reason;
		lifecycle_start_result(d->reason, o->image_paused, d->start_flags & DOMAIN_START_PAUSED,
				       false, &state, &reason);
		if (state == DOMAIN_STATE_RUNNING) {
			if (qemu_monitor_cont(d->monitor, on_restored_cont) < 0)
				domain_fail_start(d, "cont after the restore",
						  "the monitor connection is gone");
			return;
		}
		restore_done(d);
		domain_start_done(d);
		return;
	}
	if (strcmp(info->status, "failed") == 0 || strcmp(info->status, "cancelled") == 0)
		return domain_fail_start(d, "reading the managed-save image",
					 info->error ?: "QEMU could not load the image");
	if (arm_poll(o) < 0)
		domain_fail_start(d, "query-migrate", "cannot follow the restore");
}

static int on_poll(sd_event_source *es, uint64_t usec, void *userdata)
{
	RestoreOp *o = userdata;
	Domain *d = o->d;
	if (!d->monitor || qemu_monitor_query_migrate(d->monitor, on_incoming_info) < 0)
		domain_fail_start(d, "query-migrate", "the monitor connection is gone");
	return 0;
}

static int arm_poll(RestoreOp *o)
{
	o->poll = sd_event_source_disable_unref(o->poll);
	return sd_event_add_time_relative(registry_get_event(o->registry), &o->poll, CLOCK_MONOTONIC,
					  RESTORE_POLL_USEC, EVENT_ACCURACY_USEC, on_poll, o);
}

static void on_incoming(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	RestoreOp *o = d->restore;
	if (!o)
		return;
	if (r < 0)
		return domain_fail_start(d, "migrate-incoming", error);
	o->fd = (close(o->fd), -1); /* QEMU reads through its duplicate */
	if (arm_poll(o) < 0)
		domain_fail_start(d, "query-migrate", "cannot follow the restore");
}

static void on_events(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (!d->restore)
		return;
	/* Without the events the polls still see the end, later. */
	if (r < 0)
		log_debug("Domain %s: no MIGRATION events: %s", domain_name(d), error);
	if (qemu_monitor_migrate_incoming(d->monitor, "fd:" RESTORE_FD_NAME, on_incoming) < 0)
		domain_fail_start(d, "migrate-incoming", "the monitor connection is gone");
}

static void on_getfd(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (!d->restore)
		return;
	if (r < 0)
		return domain_fail_start(d, "getfd", error);
	if (qemu_monitor_enable_migration_events(d->monitor, on_events) < 0)
		domain_fail_start(d, "migrate-set-capabilities", "the monitor connection is gone");
}

void domain_restore_migration_event(Domain *d)
{
	RestoreOp *o = d->restore;
	/* A poll waiting (none is, while a query is out): now. */
	if (o && o->poll && sd_event_source_get_enabled(o->poll, NULL) > 0)
		(void)sd_event_source_set_time_relative(o->poll, 0);
}

void domain_restore_incoming(Domain *d)
{
	RestoreOp *o = d->restore;
	assert(o);
	job_set_phase(o->job, "reading");
	if (qemu_monitor_getfd(d->monitor, RESTORE_FD_NAME, o->fd, on_getfd) < 0)
		domain_fail_start(d, "getfd", "the monitor connection is gone");
}

bool domain_restore_stopped(Domain *d, ZvError *err)
{
	RestoreOp *o = d->restore;
	if (!o)
		return false;
	d->restore = NULL;
	job_finish(o->job, JOB_STATE_FAILED, err->message);
	restore_free(o);
	return true;
}

void domain_restore_forget(Domain *d)
{
	/* The daemon stops: worker_free() has waited for a read under way.
	 * A restore in flight is undone by the next daemon (its intent). */
	restore_free(d->restore_pending);
	d->restore_pending = NULL;
	restore_free(d->restore);
	d->restore = NULL;
}
