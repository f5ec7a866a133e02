/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain.Migrate, the source's side in the driver (migrate.h): the job,
 * QEMU's tuning, the data connection handed to QEMU, the stream followed
 * to its end, and what becomes of the guest here afterwards. Until the
 * destination runs the guest nothing is lost: every failure, a Cancel or
 * a destination that refuses lets a guest that ran run again here. */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/domain-xml.h"
#include "conf/migration-disks.h"
#include "domain-internal.h"
#include "job-internal.h"
#include "migrate.h"
#include "migration-mirror.h"
#include "migration-out-internal.h"
#include "migration/data-connect.h"
#include "qemu/cmdline.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/event-accuracy.h"
#include "util/log.h"

/* Progress is read and announced this often while QEMU sends. */
#define MIGRATE_POLL_USEC (100ULL * 1000)
/* The destination listens already when it answers: a connect that takes
 * longer goes nowhere. */
#define MIGRATE_CONNECT_USEC (10ULL * 1000 * 1000)
#define MIGRATE_FD_NAME      "zvirt-migrate"
/* QEMU's own bound is SIZE_MAX / 10 bytes per second. */
#define MIGRATE_BANDWIDTH_MAX (UINT64_C(1) << 60)

typedef enum MigrateStep {
	MIGRATE_PREPARING,  /* objects/ asks the destination */
	MIGRATE_CONNECTING, /* the data connection */
	MIGRATE_MIRRORING,  /* copy-storage: the disks, until they are in sync */
	MIGRATE_SETUP,      /* QEMU's tuning, the socket, migrate */
	MIGRATE_SENDING,    /* QEMU sends (live, then stopped) */
	MIGRATE_COMPLETING, /* the memory is sent: the disk mirrors complete */
	MIGRATE_SENT,       /* all sent: the destination finishes, confirm comes */
} MigrateStep;

struct MigrationOut {
	unsigned id;
	Domain *d;
	Registry *registry;
	Job *job;
	DomainMigrateParams params;
	MigrateStep step;
	bool resume;    /* it ran before: on failure it runs again */
	bool cancelled; /* Cancel/AbortJob: ends as cancelled at the next step */
	bool migrating; /* QEMU took the migrate command */
	bool stopped;   /* the guest's CPUs are stopped for the migration */
	DataConnect *connect;
	int fd;
	size_t *disks; /* copy-storage: indexes into d->live->disks */
	size_t n_disks;
	char *disks_uri;
	MigrationMirror *mirror;
	sd_event_source *poll, *timeout;
	domain_migrate_fn cb;
	void *userdata;
};

static void migration_free(MigrationOut *o)
{
	if (!o)
		return;
	data_connect_free(o->connect);
	migration_mirror_abort(o->mirror);
	free(o->disks);
	free(o->disks_uri);
	sd_event_source_disable_unref(o->poll);
	sd_event_source_disable_unref(o->timeout);
	if (o->fd >= 0)
		close(o->fd);
	free(o);
}

bool domain_migrating(const Domain *d)
{
	return d->migration_out;
}

unsigned domain_migration_id(const Domain *d)
{
	return d->migration_out ? d->migration_out->id : 0;
}

bool migration_out_sending(const Domain *d, bool *ret_resume)
{
	const MigrationOut *o = d->migration_out;
	*ret_resume = o && o->resume;
	return o && o->migrating;
}

bool migration_out_owns_stop(const Domain *d)
{
	return d->migration_out && d->migration_out->step >= MIGRATE_MIRRORING;
}

static void on_resumed(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (r < 0)
		log_error("Domain %s: cannot let the guest run again after the failed migration: %s",
			  domain_name(d), error);
}

/* The end of a migration that did not move the guest: it runs here again
 * (if it ran), the job ends, the call chain hears why. */
static void migration_fail(MigrationOut *o, JobState state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void migration_fail(MigrationOut *o, JobState state, const char *fmt, ...)
{
	Domain *d = o->d;
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);

	d->migration_out = NULL;
	if (o->migrating && d->monitor)
		(void)qemu_monitor_migrate_cancel(d->monitor, NULL);
	o->mirror = migration_mirror_abort(o->mirror);
	if (o->resume && o->stopped && d->monitor)
		(void)qemu_monitor_cont(d->monitor, on_resumed);
	log_warning("Domain %s: migration %s: %s", domain_name(d),
		    state == JOB_STATE_CANCELLED ? "cancelled" : "failed", msg ?: "");
	job_finish(o->job, state, msg ?: "Out of memory");
	domain_finish_op(d, 0, NULL);
	ZvError err = ZV_ERROR_INIT;
	int k = zv_error_set(&err,
			     state == JOB_STATE_CANCELLED ? ZV_ERROR_CANCELLED : ZV_ERROR_MIGRATION_FAILED,
			     state == JOB_STATE_CANCELLED ? ECANCELED : EIO, "%s", msg ?: "Out of memory");
	domain_migrate_fn cb = o->cb;
	void *userdata = o->userdata;
	migration_free(o);
	domain_save_intents(d);
	if (cb)
		cb(d, k, &err, userdata);
}

/* --- the tuning ---------------------------------------------------------- */

static uint64_t bandwidth_bytes(uint64_t mibps)
{
	return mibps >= (MIGRATE_BANDWIDTH_MAX >> 20) ? MIGRATE_BANDWIDTH_MAX : mibps << 20;
}

uint64_t domain_get_migration_max_speed(const Domain *d)
{
	return d->migrate_speed_mibps ?: DOMAIN_MIGRATE_SPEED_UNLIMITED;
}

static void on_tuned(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (r < 0)
		log_warning("Domain %s: QEMU refused the migration tuning: %s", domain_name(d), error);
}

/* Under way: QEMU takes it at once (it applies to what is left to send). */
static int apply_now(Domain *d, const QemuMigrationParams *p, ZvError *err)
{
	if (!d->migration_out || !d->migration_out->migrating || !d->monitor)
		return 0;
	int r = qemu_monitor_set_migration_parameters(d->monitor, p, on_tuned);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, -r,
				    "Cannot send the migration tuning to QEMU for domain '%s': %s",
				    domain_name(d), strerror(-r));
	return 0;
}

int domain_set_migration_max_speed(Domain *d, uint64_t mibps, ZvError *err)
{
	if (mibps == 0 || mibps > DOMAIN_MIGRATE_SPEED_UNLIMITED)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "A migration speed is 1 to %" PRIu64 " MiB/s",
				    DOMAIN_MIGRATE_SPEED_UNLIMITED);
	int r = apply_now(
		d,
		&(QemuMigrationParams){.set_max_bandwidth = true, .max_bandwidth = bandwidth_bytes(mibps)},
		err);
	if (r < 0)
		return r;
	d->migrate_speed_mibps = mibps;
	return 0;
}

int domain_set_migration_max_downtime(Domain *d, uint64_t ms, ZvError *err)
{
	if (ms == 0 || ms > DOMAIN_MIGRATE_DOWNTIME_MAX)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "A maximum downtime is 1 to %" PRIu64 " ms",
				    DOMAIN_MIGRATE_DOWNTIME_MAX);
	if (d->state == DOMAIN_STATE_SHUT_OFF)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' is not running: the maximum downtime is QEMU's setting",
				    domain_name(d));
	int r = apply_now(d, &(QemuMigrationParams){.set_downtime_limit = true, .downtime_limit_ms = ms},
			  err);
	if (r < 0)
		return r;
	d->migrate_downtime_ms = ms;
	return 0;
}

/* --- the stream ---------------------------------------------------------- */

static int arm_poll(MigrationOut *o);
static void on_mirror(Domain *d, int r, const char *error);

/* Everything is at the destination: from here on its answer to Finish
 * decides. The callback runs once. */
static void stream_sent(MigrationOut *o)
{
	o->step = MIGRATE_SENT;
	domain_migrate_fn cb = o->cb;
	o->cb = NULL;
	if (cb)
		cb(o->d, 0, NULL, o->userdata);
}

static void on_migration_info(QemuMonitor *mon, int r, const QemuMigrationInfo *info, const char *error,
			      void *userdata)
{
	Domain *d = userdata;
	MigrationOut *o = d->migration_out;
	if (!o || o->step != MIGRATE_SENDING)
		return;
	if (r < 0)
		return migration_fail(o, JOB_STATE_FAILED, "Cannot follow the migration of '%s': %s",
				      domain_name(d), error);
	job_set_progress(o->job,
			 &(JobProgress){
				 .total = info->total,
				 .processed = info->transferred,
				 .remaining = info->remaining,
				 .speed_mibps = (uint64_t)(info->mbps * 1000000.0 / 8 / (1024 * 1024)),
				 .expected_downtime_ms = info->expected_downtime_ms,
				 .dirty_rate_mibps = info->dirty_rate >> 20,
				 .throttle_percent = info->throttle_percent,
			 });
	if (strcmp(info->status, "completed") == 0) {
		o->stopped = true; /* QEMU stops the CPUs for the last pass */
		o->poll = sd_event_source_disable_unref(o->poll);
		o->timeout = sd_event_source_disable_unref(o->timeout);
		log_info("Domain %s: migration stream sent (%" PRIu64 " bytes, downtime %" PRIu64 " ms)",
			 domain_name(d), info->transferred, info->downtime_ms);
		if (!o->mirror)
			return stream_sent(o);
		/* The guest is stopped: what it wrote last goes before Finish. */
		o->step = MIGRATE_COMPLETING;
		if (migration_mirror_finish(o->mirror, on_mirror) < 0)
			migration_fail(o, JOB_STATE_FAILED, "Lost QEMU's monitor while migrating '%s'",
				       domain_name(d));
		return;
	}
	if (strcmp(info->status, "failed") == 0)
		return migration_fail(o, JOB_STATE_FAILED, "QEMU could not migrate '%s': %s", domain_name(d),
				      info->error ?: "no reason given");
	if (strcmp(info->status, "cancelled") == 0)
		return migration_fail(o, o->cancelled ? JOB_STATE_CANCELLED : JOB_STATE_FAILED,
				      "The migration of '%s' was cancelled", domain_name(d));
	if (arm_poll(o) < 0)
		migration_fail(o, JOB_STATE_FAILED, "Cannot follow the migration of '%s'", domain_name(d));
}

static int on_poll(sd_event_source *es, uint64_t usec, void *userdata)
{
	MigrationOut *o = userdata;
	if (!o->d->monitor || qemu_monitor_query_migrate(o->d->monitor, on_migration_info) < 0)
		migration_fail(o, JOB_STATE_FAILED, "Lost QEMU's monitor while migrating '%s'",
			       domain_name(o->d));
	return 0;
}

static int arm_poll(MigrationOut *o)
{
	o->poll = sd_event_source_disable_unref(o->poll);
	return sd_event_add_time_relative(registry_get_event(o->registry), &o->poll, CLOCK_MONOTONIC,
					  MIGRATE_POLL_USEC, EVENT_ACCURACY_USEC, on_poll, o);
}

void domain_migrate_qemu_event(Domain *d)
{
	MigrationOut *o = d->migration_out;
	/* A status change: look now rather than at the next poll. */
	if (o && o->step == MIGRATE_SENDING && o->poll && sd_event_source_get_enabled(o->poll, NULL) > 0)
		(void)sd_event_source_set_time_relative(o->poll, 0);
}

void domain_migrate_cpus_stopped(Domain *d)
{
	MigrationOut *o = d->migration_out;
	o->stopped = true;
	job_set_phase(o->job, "stopped");
	domain_set_state(d, DOMAIN_STATE_PAUSED, DOMAIN_REASON_MIGRATING);
}

static void on_timeout_stopped(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (r < 0)
		log_warning("Domain %s: cannot pause the guest after the migration's timeout: %s",
			    domain_name(d), error);
}

/* timeout-s: the live phase took too long; a paused guest dirties nothing,
 * so what is left goes over and the migration ends. */
static int on_timeout(sd_event_source *es, uint64_t usec, void *userdata)
{
	MigrationOut *o = userdata;
	Domain *d = o->d;
	o->timeout = sd_event_source_disable_unref(o->timeout);
	if (o->step != MIGRATE_SENDING || o->stopped || !d->monitor)
		return 0;
	log_info("Domain %s: the live migration passed its %" PRIu64 " s; pausing the guest to finish it",
		 domain_name(d), o->params.timeout_s);
	(void)qemu_monitor_stop(d->monitor, on_timeout_stopped);
	return 0;
}

static void on_migrate(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationOut *o = d->migration_out;
	if (!o)
		return;
	if (r < 0)
		return migration_fail(o, JOB_STATE_FAILED, "QEMU refused to migrate '%s': %s",
				      domain_name(d), error);
	o->migrating = true;
	o->fd = (close(o->fd), -1); /* QEMU sends through its duplicate */
	/* A daemon killed from here on leaves the next one to undo it. */
	domain_save_intents(d);
	o->step = MIGRATE_SENDING;
	if (!o->stopped)
		job_set_phase(o->job, "live");
	if (o->cancelled)
		(void)qemu_monitor_migrate_cancel(d->monitor, NULL);
	if (o->params.timeout_s > 0 && !o->stopped &&
	    sd_event_add_time_relative(registry_get_event(o->registry), &o->timeout, CLOCK_MONOTONIC,
				       o->params.timeout_s * 1000000ULL, 0, on_timeout, o) < 0)
		return migration_fail(o, JOB_STATE_FAILED, "Cannot arm the migration's timeout");
	if (arm_poll(o) < 0)
		migration_fail(o, JOB_STATE_FAILED, "Cannot follow the migration of '%s'", domain_name(d));
}

static void on_getfd(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationOut *o = d->migration_out;
	if (!o)
		return;
	if (r < 0)
		return migration_fail(o, JOB_STATE_FAILED, "QEMU did not take the migration's socket: %s",
				      error);
	if (o->cancelled)
		return migration_fail(o, JOB_STATE_CANCELLED, "The migration of '%s' was cancelled",
				      domain_name(d));
	if (qemu_monitor_migrate(d->monitor, "fd:" MIGRATE_FD_NAME, on_migrate) < 0)
		migration_fail(o, JOB_STATE_FAILED, "Lost QEMU's monitor while migrating '%s'",
			       domain_name(d));
}

static void send_socket(Domain *d)
{
	MigrationOut *o = d->migration_out;
	if (qemu_monitor_getfd(d->monitor, MIGRATE_FD_NAME, o->fd, on_getfd) < 0)
		migration_fail(o, JOB_STATE_FAILED, "Lost QEMU's monitor while migrating '%s'",
			       domain_name(d));
}

static void on_paused_first(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationOut *o = d->migration_out;
	if (!o)
		return;
	if (r < 0)
		return migration_fail(o, JOB_STATE_FAILED, "QEMU could not pause '%s' for the migration: %s",
				      domain_name(d), error);
	send_socket(d);
}

static void on_capabilities(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationOut *o = d->migration_out;
	if (!o)
		return;
	if (r < 0)
		return migration_fail(o, JOB_STATE_FAILED, "QEMU refused the migration's capabilities: %s",
				      error);
	/* Without live, the guest waits paused while all of it goes over. */
	if (!(o->params.flags & DOMAIN_MIGRATE_LIVE) && d->state == DOMAIN_STATE_RUNNING) {
		if (qemu_monitor_stop(d->monitor, on_paused_first) < 0)
			migration_fail(o, JOB_STATE_FAILED, "Lost QEMU's monitor while migrating '%s'",
				       domain_name(d));
		return;
	}
	send_socket(d);
}

static void on_parameters(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationOut *o = d->migration_out;
	if (!o)
		return;
	if (r < 0)
		return migration_fail(o, JOB_STATE_FAILED, "QEMU refused the migration's tuning: %s", error);
	/* events: the end is seen at once, not at the next poll. */
	static const char *const names[] = {"events", "auto-converge"};
	const bool states[] = {true, o->params.flags & DOMAIN_MIGRATE_AUTO_CONVERGE};
	if (qemu_monitor_set_migration_capabilities(d->monitor, names, states, ELEMENTSOF(names),
						    on_capabilities) < 0)
		migration_fail(o, JOB_STATE_FAILED, "Lost QEMU's monitor while migrating '%s'",
			       domain_name(d));
}

static void setup_stream(MigrationOut *o);

static void on_mirror_progress(Domain *d, uint64_t total, uint64_t done)
{
	MigrationOut *o = d->migration_out;
	if (o && o->step == MIGRATE_MIRRORING)
		job_set_progress(o->job, &(JobProgress){.total = total,
							.processed = done,
							.remaining = total > done ? total - done : 0});
}

/* The mirrors are in sync (the stream starts), or complete (the
 * destination finishes), or one failed (the migration with it). */
static void on_mirror(Domain *d, int r, const char *error)
{
	MigrationOut *o = d->migration_out;
	if (!o)
		return;
	if (r < 0)
		return migration_fail(o, JOB_STATE_FAILED, "%s", error);
	if (o->cancelled && o->step == MIGRATE_MIRRORING)
		return migration_fail(o, JOB_STATE_CANCELLED, "The migration of '%s' was cancelled",
				      domain_name(d));
	if (o->step == MIGRATE_MIRRORING)
		setup_stream(o);
	else if (o->step == MIGRATE_COMPLETING)
		stream_sent(o);
}

static void on_connected(int result, int fd, void *userdata)
{
	MigrationOut *o = userdata;
	Domain *d = o->d;
	o->connect = data_connect_free(o->connect);
	if (result < 0)
		return migration_fail(o, JOB_STATE_FAILED,
				      "Cannot connect to the destination's relocation port: %s",
				      strerror(-result));
	o->fd = fd;
	if (o->cancelled)
		return migration_fail(o, JOB_STATE_CANCELLED, "The migration of '%s' was cancelled",
				      domain_name(d));
	if (!d->monitor)
		return migration_fail(o, JOB_STATE_FAILED, "Lost QEMU's monitor while migrating '%s'",
				      domain_name(d));
	if (o->n_disks > 0) {
		o->step = MIGRATE_MIRRORING;
		job_set_phase(o->job, "copying-disks");
		uint64_t mirror_speed =
			o->params.bandwidth_mibps ? bandwidth_bytes(o->params.bandwidth_mibps) : 0;
		int k = migration_mirror_start(d, o->disks, o->n_disks, o->disks_uri,
					       o->params.storage == MIGRATION_STORAGE_INC, mirror_speed,
					       on_mirror, on_mirror_progress, &o->mirror);
		if (k < 0)
			migration_fail(o, JOB_STATE_FAILED, "Cannot copy the disks of '%s' to %s: %s",
				       domain_name(d), o->disks_uri ?: "nowhere",
				       k == -EINVAL ? "not a tcp:ADDRESS:PORT uri" : strerror(-k));
		return;
	}
	setup_stream(o);
}

static void setup_stream(MigrationOut *o)
{
	Domain *d = o->d;
	o->step = MIGRATE_SETUP;
	uint64_t speed = o->params.bandwidth_mibps ?: domain_get_migration_max_speed(d);
	uint64_t downtime = o->params.max_downtime_ms ?: d->migrate_downtime_ms;
	QemuMigrationParams p = {
		.set_max_bandwidth = true,
		.max_bandwidth = bandwidth_bytes(speed),
		.set_downtime_limit = downtime > 0,
		.downtime_limit_ms = downtime,
	};
	if (qemu_monitor_set_migration_parameters(d->monitor, &p, on_parameters) < 0)
		migration_fail(o, JOB_STATE_FAILED, "Lost QEMU's monitor while migrating '%s'",
			       domain_name(d));
}

/* --- the job ------------------------------------------------------------- */

static int migration_cancel(Job *j, void *userdata, ZvError *err)
{
	MigrationOut *o = userdata;
	if (o->step == MIGRATE_SENT)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "The migration of '%s' has sent everything and the destination is "
				    "starting the guest; it cannot be cancelled now",
				    domain_name(o->d));
	o->cancelled = true;
	/* Still asking the destination: over now (its answer, when it comes,
	 * finds no migration and tells it to drop its half). */
	if (o->step == MIGRATE_PREPARING) {
		o->cb = NULL;
		migration_fail(o, JOB_STATE_CANCELLED, "The migration of '%s' was cancelled",
			       domain_name(o->d));
		return 0;
	}
	/* A disk copy may take long: it stops now. */
	if (o->step == MIGRATE_MIRRORING) {
		migration_fail(o, JOB_STATE_CANCELLED, "The migration of '%s' was cancelled",
			       domain_name(o->d));
		return 0;
	}
	/* Before QEMU streams, the next step sees the flag; while it does,
	 * it ends the stream and query-migrate reports cancelled. */
	if (o->migrating && o->d->monitor)
		(void)qemu_monitor_migrate_cancel(o->d->monitor, NULL);
	return 0;
}

static const JobOps migration_job_ops = {.cancel = migration_cancel};

/* The checks, and the disks copy-storage copies (indexes into d->live's). */
static int check_migration(Domain *d, const DomainMigrateParams *p, size_t **ret_disks, size_t *ret_n,
			   ZvError *err)
{
	int k = lifecycle_check(DOMAIN_OP_MIGRATE, d->state, d->reason, domain_name(d), err);
	if (k < 0)
		return k;
	if (!d->monitor)
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, ENOTCONN,
				    "QEMU's monitor of '%s' is not reachable now", domain_name(d));
	if (p->bandwidth_mibps > DOMAIN_MIGRATE_SPEED_UNLIMITED)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "bandwidth-MiBps is at most %" PRIu64, DOMAIN_MIGRATE_SPEED_UNLIMITED);
	if (p->max_downtime_ms > DOMAIN_MIGRATE_DOWNTIME_MAX)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "max-downtime-ms is at most %" PRIu64, DOMAIN_MIGRATE_DOWNTIME_MAX);
	if ((p->flags & DOMAIN_MIGRATE_UNDEFINE_SOURCE) && !d->persistent)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' is transient: it has no definition to undefine",
				    domain_name(d));
	k = domain_check_idle(d, DOMAIN_OP_MIGRATE, err);
	if (k < 0)
		return k;
	if (d->job)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "Migrate is not possible now: domain '%s' is busy with a %s job",
				    domain_name(d), job_type_to_string(job_get_type(d->job)));
	/* What cannot move, or cannot be copied, is refused here. */
	return domain_def_migration_disks(d->live, p->storage, (char *const *)p->migrate_disks, ret_disks,
					  ret_n, err);
}

int domain_migrate_check(Domain *d, const DomainMigrateParams *p, ZvError *err)
{
	_cleanup_free_ size_t *disks = NULL;
	size_t n = 0;
	return check_migration(d, p, &disks, &n, err);
}

int domain_migrate_begin(Domain *d, const DomainMigrateParams *p, Job **ret_job, char **ret_xml,
			 ZvError *err)
{
	_cleanup_free_ size_t *disks = NULL;
	size_t n_disks = 0;
	int k = check_migration(d, p, &disks, &n_disks, err);
	if (k < 0)
		return k;

	_cleanup_free_ char *xml = domain_def_format(d->live, 0, DOMAIN_XML_FORMAT_INACTIVE);
	MigrationOut *o = calloc(1, sizeof(*o));
	if (!xml || !o) {
		free(o);
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	static unsigned last_id;
	*o = (MigrationOut){
		.id = ++last_id ?: ++last_id,
		.d = d,
		.registry = d->registry,
		.params = *p,
		.fd = -1,
		.resume = d->state == DOMAIN_STATE_RUNNING,
		.stopped = d->state == DOMAIN_STATE_PAUSED,
		.disks = TAKE_PTR(disks),
		.n_disks = n_disks,
	};
	o->params.migrate_disks = NULL; /* borrowed for this call */
	k = domain_begin_op(d, DOMAIN_OP_MIGRATE, NULL, NULL, err);
	if (k < 0) {
		migration_free(o);
		return k;
	}
	k = job_new(d, JOB_MIGRATION_OUT, &migration_job_ops, o, &o->job);
	if (k < 0) {
		domain_abort_op(d);
		migration_free(o);
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot create the job: %s", strerror(-k));
	}
	job_set_phase(o->job, "preparing");
	d->migration_out = o;
	*ret_job = o->job;
	*ret_xml = TAKE_PTR(xml);
	log_info("Domain %s: migration begins", domain_name(d));
	return 0;
}

typedef struct DisksQuery {
	Registry *registry;
	char uuid_hex[SD_ID128_STRING_MAX];
	unsigned id;
	domain_migrate_disks_fn cb;
	void *userdata;
} DisksQuery;

static void on_block_nodes(QemuMonitor *mon, int r, const QemuBlockNode *nodes, size_t n, const char *error,
			   void *userdata)
{
	_cleanup_free_ DisksQuery *q = userdata;
	Domain *d = registry_find_by_uuid(q->registry, q->uuid_hex);
	MigrationOut *o = d ? d->migration_out : NULL;
	ZvError err = ZV_ERROR_INIT;
	/* The migration it was for is over. */
	if (!o || o->id != q->id)
		return;
	if (r < 0) {
		int k = zv_error_set(&err, ZV_ERROR_HYPERVISOR, -r,
				     "QEMU did not say how large the disks of '%s' are: %s", domain_name(d),
				     error);
		return q->cb(d, k, NULL, NULL, 0, &err, q->userdata);
	}
	_cleanup_free_ const char **targets = calloc(o->n_disks + 1, sizeof(*targets));
	_cleanup_free_ uint64_t *sizes = calloc(o->n_disks + 1, sizeof(*sizes));
	if (!targets || !sizes) {
		int k = zv_error_set(&err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		return q->cb(d, k, NULL, NULL, 0, &err, q->userdata);
	}
	for (size_t i = 0; i < o->n_disks; i++) {
		const DiskDef *disk = &d->live->disks[o->disks[i]];
		char storage[QEMU_NODE_NAME_MAX], format[QEMU_NODE_NAME_MAX];
		bool found = false;
		(void)qemu_disk_node_names(disk->info.alias, storage, format);
		for (size_t k = 0; k < n && !found; k++)
			if (strcmp(nodes[k].node_name, format) == 0) {
				sizes[i] = nodes[k].virtual_size;
				found = true;
			}
		if (!found) {
			int k = zv_error_set(&err, ZV_ERROR_HYPERVISOR, ENOENT,
					     "QEMU has no block node %s for disk '%s' of '%s'", format,
					     disk->target, domain_name(d));
			return q->cb(d, k, NULL, NULL, 0, &err, q->userdata);
		}
		targets[i] = disk->target;
	}
	q->cb(d, 0, targets, sizes, o->n_disks, NULL, q->userdata);
}

int domain_migrate_disks(Domain *d, domain_migrate_disks_fn cb, void *userdata, ZvError *err)
{
	MigrationOut *o = d->migration_out;
	if (!o || o->step != MIGRATE_PREPARING)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' has no migration to prepare", domain_name(d));
	if (o->n_disks == 0) {
		cb(d, 0, NULL, NULL, 0, NULL, userdata);
		return 0;
	}
	DisksQuery *q = calloc(1, sizeof(*q));
	if (!q)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*q = (DisksQuery){.registry = d->registry, .id = o->id, .cb = cb, .userdata = userdata};
	memcpy(q->uuid_hex, d->uuid_hex, sizeof(q->uuid_hex));
	int k = d->monitor ? qemu_monitor_query_named_block_nodes(d->monitor, on_block_nodes, q) : -ENOTCONN;
	if (k < 0) {
		free(q);
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, -k,
				    "QEMU's monitor of '%s' is not reachable: %s", domain_name(d),
				    strerror(-k));
	}
	return 0;
}

int domain_migrate_perform(Domain *d, const char *uri, const char *disks_uri, domain_migrate_fn cb,
			   void *userdata, ZvError *err)
{
	MigrationOut *o = d->migration_out;
	if (!o || o->step != MIGRATE_PREPARING)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' has no migration to perform", domain_name(d));
	o->cb = cb;
	o->userdata = userdata;
	if (o->n_disks > 0 && !(o->disks_uri = disks_uri && *disks_uri ? strdup(disks_uri) : NULL)) {
		migration_fail(o, JOB_STATE_FAILED,
			       disks_uri && *disks_uri ? "Out of memory"
						       : "The destination did not export the disks to copy");
		return 0;
	}
	if (o->cancelled) {
		migration_fail(o, JOB_STATE_CANCELLED, "The migration of '%s' was cancelled",
			       domain_name(d));
		return 0;
	}
	o->step = MIGRATE_CONNECTING;
	job_set_phase(o->job, "connecting");
	int k = data_connect_new(registry_get_event(d->registry), uri, MIGRATE_CONNECT_USEC, on_connected, o,
				 &o->connect);
	if (k < 0)
		migration_fail(o, JOB_STATE_FAILED, "Cannot connect to the destination at '%s': %s", uri,
			       k == -EINVAL ? "not a tcp:ADDRESS:PORT uri" : strerror(-k));
	return 0;
}

void domain_migrate_abort(Domain *d, const char *message)
{
	MigrationOut *o = d->migration_out;
	if (!o || o->step != MIGRATE_PREPARING)
		return;
	o->cb = NULL;
	migration_fail(o, o->cancelled ? JOB_STATE_CANCELLED : JOB_STATE_FAILED, "%s", message);
}

void domain_migrate_destination_lost(Domain *d, const char *message)
{
	MigrationOut *o = d->migration_out;
	if (!o || o->step == MIGRATE_PREPARING || o->step == MIGRATE_SENT)
		return;
	migration_fail(o, o->cancelled ? JOB_STATE_CANCELLED : JOB_STATE_FAILED, "%s", message);
}

static void on_undefined(Registry *r, int result, const ZvError *err, void *userdata)
{
	_cleanup_free_ char *uuid = userdata;
	Domain *d = registry_find_by_uuid(r, uuid);
	if (result < 0)
		log_error("Domain %s: the definition stays after the migration: %s",
			  d ? domain_name(d) : uuid, err->message);
	/* Transient now: it goes once QEMU is gone (SIGTERM when the
	 * monitor is away: the guest must not stay here, resumable). */
	if (d && d->process)
		domain_quit_qemu(d, DOMAIN_REASON_MIGRATED);
}

void domain_migrate_confirm(Domain *d, DomainMigrateOutcome outcome, const char *message)
{
	MigrationOut *o = d->migration_out;
	if (!o || o->step != MIGRATE_SENT)
		return;
	if (outcome == DOMAIN_MIGRATE_FAILED) {
		o->cb = NULL;
		o->migrating = false; /* nothing left to cancel */
		return migration_fail(o, JOB_STATE_FAILED, "%s", message);
	}
	d->migration_out = NULL;
	if (outcome == DOMAIN_MIGRATE_UNKNOWN) {
		/* Running it here as well could run it twice. */
		log_error("Domain %s: %s; the guest stays paused here until someone knows", domain_name(d),
			  message);
		job_finish(o->job, JOB_STATE_FAILED, message);
		domain_finish_op(d, 0, NULL);
		migration_free(o);
		domain_save_intents(d);
		return;
	}
	log_info("Domain %s: migrated", domain_name(d));
	job_set_phase(o->job, "done");
	job_finish(o->job, JOB_STATE_COMPLETED, NULL);
	domain_finish_op(d, 0, NULL);
	bool undefine = o->params.flags & DOMAIN_MIGRATE_UNDEFINE_SOURCE;
	migration_free(o);
	ZvError err = ZV_ERROR_INIT;
	char *uuid = strdup(d->uuid_hex);
	if (undefine && d->persistent && uuid &&
	    registry_undefine_async(d->registry, d, UNDEFINE_KEEP_RUNNING, on_undefined, uuid, &err) >= 0)
		return;
	if (undefine)
		log_error("Domain %s: the definition stays after the migration: %s", domain_name(d),
			  err.message ?: "Out of memory");
	free(uuid);
	if (d->process)
		domain_quit_qemu(d, DOMAIN_REASON_MIGRATED);
}

void domain_migrate_stopped(Domain *d)
{
	MigrationOut *o = d->migration_out;
	if (!o)
		return;
	/* Everything was sent: the destination may be running the guest, so
	 * nothing is undone here; Finish's answer ends the job (confirm). */
	if (o->step == MIGRATE_SENT) {
		o->migrating = o->resume = false;
		log_warning("Domain %s: QEMU ended after sending the whole migration; the destination "
			    "decides",
			    domain_name(d));
		if (d->persistent)
			return;
		/* A transient domain goes now: its job cannot wait. */
		d->migration_out = NULL;
		job_finish(o->job, JOB_STATE_FAILED,
			   "QEMU ended here after sending the whole migration; the destination's "
			   "daemon knows whether it runs the guest");
		domain_finish_op(d, 0, NULL);
		migration_free(o);
		return;
	}
	o->migrating = false;
	o->resume = false;
	migration_fail(o, JOB_STATE_FAILED, "Domain '%s' stopped (%s) before the migration completed",
		       domain_name(d),
		       domain_reason_to_string(d->stop_expected ? d->stop_reason : DOMAIN_REASON_CRASHED));
}

void domain_migrate_forget(Domain *d)
{
	/* The daemon stops: the guest keeps its state; the stream, if any,
	 * ends with the monitor connection's owner gone. */
	migration_free(d->migration_out);
	d->migration_out = NULL;
}

/* --- after a restart ------------------------------------------------------ */

static void on_recover_info(QemuMonitor *mon, int r, const QemuMigrationInfo *info, const char *error,
			    void *userdata)
{
	Domain *d = userdata;
	bool resume = d->undo_migration_resume;
	d->undo_migration = d->undo_migration_resume = false;
	if (r >= 0 && strcmp(info->status, "completed") == 0)
		/* Sent whole: the destination may run the guest. */
		log_error("Domain %s: the previous zvirtd's migration had sent everything; whether the "
			  "destination runs the guest is not known here: it stays paused",
			  domain_name(d));
	else {
		/* The commands run in order: query-status sees the outcome. */
		log_info("Domain %s: undoing the migration the previous zvirtd left unfinished (%s)",
			 domain_name(d), r >= 0 ? info->status : error);
		(void)qemu_monitor_migrate_cancel(d->monitor, NULL);
		if (resume)
			(void)qemu_monitor_cont(d->monitor, NULL);
	}
	/* Its disk copy, if any, ends either way: the guest is no longer
	 * stopped for it, or the destination has it all. */
	migration_mirror_stop_leftovers(d);
	domain_save_intents(d);
	domain_reattach_query_state(d);
}

void domain_migrate_recover(Domain *d)
{
	if (!d->monitor || qemu_monitor_query_migrate(d->monitor, on_recover_info) < 0) {
		d->undo_migration = d->undo_migration_resume = false;
		domain_reattach_query_state(d);
	}
}
