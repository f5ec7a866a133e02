/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CoreDump and the dumps the daemon makes itself (a crashed guest's, an
 * expired watchdog's with action dump): QEMU's dump-guest-memory (ELF
 * with the s390x notes, or a compressed kdump file) written into a
 * descriptor the daemon opened, as a job; fsync'd off the loop; then what
 * was asked for afterwards (crash: destroy, reset, a crash's <on_crash>
 * action, the watchdog's resume). QEMU stops the guest's CPUs while it
 * dumps and lets them run again after: the domain's state does not
 * change for that. */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "domain-internal.h"
#include "dump-internal.h"
#include "job-internal.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/event-accuracy.h"
#include "util/fileio.h"
#include "util/log.h"

#define DUMP_POLL_USEC (100ULL * 1000)
#define DUMP_FD_NAME   "zvirt-dump"

typedef enum DumpThen {
	DUMP_THEN_NOTHING,
	DUMP_THEN_CRASH,   /* destroy: shut-off/crashed */
	DUMP_THEN_RESET,   /* system_reset, and run */
	DUMP_THEN_RESTART, /* <on_crash> restart: shut-off/crashed, then booted */
	DUMP_THEN_RESUME,  /* the watchdog's dump: paused/watchdog → running/unpaused */
} DumpThen;

struct DumpOp {
	Domain *d; /* NULL once the domain stopped under it */
	Registry *registry;
	Job *job;
	int fd;
	char *path;
	char *format;
	DumpThen then;
	bool stopped_cpus; /* the daemon stopped them: QEMU must not resume */
	bool syncing;
	sd_event_source *poll;
	uint64_t total;
};

static const char *const formats[] = {"elf", "kdump-zlib", "kdump-lzo", "kdump-snappy"};

/* A new file only: the daemon is root, and a dump must not replace what
 * the path already names, nor follow a link. */
static int open_new_dump(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	return fd < 0 ? -errno : fd;
}

static void dump_free(DumpOp *o)
{
	if (!o)
		return;
	sd_event_source_disable_unref(o->poll);
	if (o->fd >= 0)
		close(o->fd);
	free(o->path);
	free(o->format);
	free(o);
}

/* What follows the dump, done or not: a crashed guest's action must
 * happen whether its dump worked. */
static void dump_then(Domain *d, DumpThen then)
{
	switch (then) {
	case DUMP_THEN_CRASH:
		domain_kill_qemu(d, DOMAIN_REASON_CRASHED);
		break;
	case DUMP_THEN_RESTART:
		domain_restart_process(d, DOMAIN_REASON_CRASHED);
		break;
	case DUMP_THEN_RESET:
		if (!d->monitor)
			break;
		if (qemu_monitor_system_reset(d->monitor, NULL) < 0)
			break;
		/* A paused guest stays paused, reset, as Reset leaves it. */
		if (d->state == DOMAIN_STATE_RUNNING || d->state == DOMAIN_STATE_CRASHED) {
			(void)qemu_monitor_cont(d->monitor, NULL);
			domain_set_state(d, DOMAIN_STATE_RUNNING, DOMAIN_REASON_RESET);
		}
		break;
	case DUMP_THEN_RESUME:
		/* As libvirt: the guest runs again whether the dump worked,
		 * unless someone resumed or stopped it meanwhile. */
		if (!d->monitor || d->state != DOMAIN_STATE_PAUSED || d->reason != DOMAIN_REASON_WATCHDOG)
			break;
		if (qemu_monitor_cont(d->monitor, NULL) < 0)
			break;
		domain_set_state(d, DOMAIN_STATE_RUNNING, DOMAIN_REASON_UNPAUSED);
		break;
	case DUMP_THEN_NOTHING:
		break;
	}
}

static void dump_end(DumpOp *o, JobState state, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void dump_end(DumpOp *o, JobState state, const char *fmt, ...)
{
	Domain *d = o->d;
	_cleanup_free_ char *msg = NULL;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		va_end(ap);
	}
	if (state != JOB_STATE_COMPLETED)
		(void)unlink_if_exists(o->path);
	if (d) {
		d->dump = NULL;
		if (state == JOB_STATE_COMPLETED)
			log_info("Domain %s: memory dumped into %s", domain_name(d), o->path);
		else
			log_warning("Domain %s: the dump into %s failed: %s", domain_name(d), o->path,
				    msg ?: "");
		/* CPUs the daemon stopped for a dump with nothing after it run
		 * again (QEMU resumes only what it stopped itself). */
		if (o->stopped_cpus && o->then == DUMP_THEN_NOTHING && d->monitor)
			(void)qemu_monitor_cont(d->monitor, NULL);
		/* A Destroy overtook the dump: nothing of what was to follow. */
		if (!(d->stop_expected && d->stop_reason == DOMAIN_REASON_DESTROYED))
			dump_then(d, o->then);
	}
	job_finish(o->job, state, state == JOB_STATE_COMPLETED ? NULL : msg ?: "Out of memory");
	dump_free(o);
}

static int sync_dump(void *userdata)
{
	DumpOp *o = userdata;
	return fsync(o->fd) < 0 ? -errno : 0;
}

static void on_dump_synced(int result, void *userdata)
{
	DumpOp *o = userdata;
	o->syncing = false;
	if (!o->d) {
		(void)unlink_if_exists(o->path);
		dump_free(o);
		return;
	}
	if (result < 0)
		return dump_end(o, JOB_STATE_FAILED, "Cannot write %s: %s", o->path, strerror(-result));
	job_set_progress(o->job, &(JobProgress){.total = o->total, .processed = o->total});
	dump_end(o, JOB_STATE_COMPLETED, NULL);
}

static int arm_poll(DumpOp *o);

static void on_dump_info(QemuMonitor *mon, int r, const QemuDumpInfo *info, const char *error,
			 void *userdata)
{
	Domain *d = userdata;
	DumpOp *o = d->dump;
	if (!o || o->syncing)
		return;
	if (r < 0)
		return dump_end(o, JOB_STATE_FAILED, "Cannot follow the dump: %s", error);
	o->total = info->total;
	job_set_progress(o->job, &(JobProgress){.total = info->total,
						.processed = info->completed,
						.remaining = info->total > info->completed
								     ? info->total - info->completed
								     : 0});
	if (strcmp(info->status, "completed") == 0) {
		o->syncing = true;
		job_set_phase(o->job, "writing to disk");
		int k = worker_submit(d->registry->worker, sync_dump, on_dump_synced, o, NULL);
		if (k < 0) {
			o->syncing = false;
			dump_end(o, JOB_STATE_FAILED, "Cannot queue the fsync of %s: %s", o->path,
				 strerror(-k));
		}
		return;
	}
	if (strcmp(info->status, "failed") == 0)
		return dump_end(o, JOB_STATE_FAILED,
				"QEMU could not write the dump (is %s's file system full?)", o->path);
	if (arm_poll(o) < 0)
		dump_end(o, JOB_STATE_FAILED, "Cannot follow the dump");
}

static int on_poll(sd_event_source *es, uint64_t usec, void *userdata)
{
	DumpOp *o = userdata;
	if (!o->d->monitor || qemu_monitor_query_dump(o->d->monitor, on_dump_info) < 0)
		dump_end(o, JOB_STATE_FAILED, "Lost QEMU's monitor during the dump");
	return 0;
}

static int arm_poll(DumpOp *o)
{
	o->poll = sd_event_source_disable_unref(o->poll);
	return sd_event_add_time_relative(registry_get_event(o->registry), &o->poll, CLOCK_MONOTONIC,
					  DUMP_POLL_USEC, EVENT_ACCURACY_USEC, on_poll, o);
}

static void on_dump_started(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	DumpOp *o = d->dump;
	if (!o)
		return;
	if (r < 0)
		return dump_end(o, JOB_STATE_FAILED, "QEMU refused the dump: %s", error);
	job_set_phase(o->job, "writing");
	if (arm_poll(o) < 0)
		dump_end(o, JOB_STATE_FAILED, "Cannot follow the dump");
}

static void on_getfd(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	DumpOp *o = d->dump;
	if (!o)
		return;
	if (r < 0)
		return dump_end(o, JOB_STATE_FAILED, "QEMU did not take the dump's descriptor: %s", error);
	if (qemu_monitor_dump_guest_memory(d->monitor, DUMP_FD_NAME, o->format, on_dump_started) < 0)
		dump_end(o, JOB_STATE_FAILED, "Lost QEMU's monitor during the dump");
}

static void hand_over(DumpOp *o)
{
	if (qemu_monitor_getfd(o->d->monitor, DUMP_FD_NAME, o->fd, on_getfd) < 0)
		dump_end(o, JOB_STATE_FAILED, "Lost QEMU's monitor during the dump");
}

static void on_cpus_stopped(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	DumpOp *o = d->dump;
	if (!o)
		return;
	if (r < 0)
		o->stopped_cpus = false;
	hand_over(o);
}

void domain_dump_event(Domain *d)
{
	DumpOp *o = d->dump;
	/* DUMP_COMPLETED: look now rather than at the next poll. */
	if (o && !o->syncing && o->poll && sd_event_source_get_enabled(o->poll, NULL) > 0)
		(void)sd_event_source_set_time_relative(o->poll, 0);
}

static const JobOps dump_job_ops = {}; /* QEMU 7.2 cannot cancel a dump */

/* The dump of d into fd (taken in every case) as a job. */
static int dump_begin(Domain *d, int fd, const char *path, const char *format, DumpThen then, Job **ret_job,
		      ZvError *err)
{
	int k = registry_start_worker(d->registry);
	DumpOp *o = k >= 0 ? calloc(1, sizeof(*o)) : NULL;
	if (o)
		o->fd = fd;
	if (!o || !(o->path = strdup(path)) || !(o->format = strdup(format))) {
		if (o)
			dump_free(o);
		else
			close(fd);
		(void)unlink_if_exists(path);
		return zv_error_set(err, ZV_ERROR_HOST, k < 0 ? -k : ENOMEM, "Cannot begin the dump: %s",
				    strerror(k < 0 ? -k : ENOMEM));
	}
	o->d = d;
	o->registry = d->registry;
	o->then = then;
	k = job_new(d, JOB_DUMP, &dump_job_ops, o, &o->job);
	if (k < 0) {
		(void)unlink_if_exists(o->path);
		dump_free(o);
		return zv_error_set(err, ZV_ERROR_HOST, -k, "Cannot create the job: %s", strerror(-k));
	}
	/* The job outlives o should the dump fail at once. */
	if (ret_job)
		*ret_job = o->job;
	d->dump = o;
	log_info("Domain %s: dumping its memory into %s (%s)", domain_name(d), path, format);
	/* What is destroyed or reset after the dump must not run on in
	 * between: its CPUs stop first. */
	if (then != DUMP_THEN_NOTHING && d->state == DOMAIN_STATE_RUNNING) {
		o->stopped_cpus = true;
		job_set_phase(o->job, "stopping the CPUs");
		if (qemu_monitor_stop(d->monitor, on_cpus_stopped) < 0)
			dump_end(o, JOB_STATE_FAILED, "Lost QEMU's monitor during the dump");
	} else
		hand_over(o);
	return 0;
}

int domain_core_dump(Domain *d, const char *path, DomainDumpFlags flags, const char *format, Job **ret_job,
		     ZvError *err)
{
	int k = lifecycle_check(DOMAIN_OP_CORE_DUMP, d->state, d->reason, domain_name(d), err);
	if (k < 0)
		return k;
	bool known = false;
	for (size_t i = 0; i < ELEMENTSOF(formats); i++)
		known |= strcmp(format, formats[i]) == 0;
	if (!known)
		return zv_error_set(
			err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
			"Unknown dump format '%s'; expected elf, kdump-zlib, kdump-lzo or kdump-snappy",
			format);
	if ((flags & DOMAIN_DUMP_CRASH) && (flags & DOMAIN_DUMP_RESET))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Options 'crash' and 'reset' exclude each other");
	if (path[0] != '/')
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "The dump's path must be absolute, not '%s'", path);
	if (!d->monitor)
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, ENOTCONN,
				    "QEMU's monitor of '%s' is not reachable now", domain_name(d));
	if (d->job)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "CoreDump is not possible now: domain '%s' is busy with a %s job",
				    domain_name(d), job_type_to_string(job_get_type(d->job)));
	k = domain_check_idle(d, DOMAIN_OP_CORE_DUMP, err);
	if (k < 0)
		return k;

	int fd = open_new_dump(path);
	if (fd < 0)
		return zv_error_set(err, fd == -EEXIST ? ZV_ERROR_INVALID_ARGUMENT : ZV_ERROR_HOST, -fd,
				    "Cannot create %s: %s", path, strerror(-fd));
	return dump_begin(d, fd, path, format,
			  flags & DOMAIN_DUMP_CRASH   ? DUMP_THEN_CRASH
			  : flags & DOMAIN_DUMP_RESET ? DUMP_THEN_RESET
						      : DUMP_THEN_NOTHING,
			  ret_job, err);
}

/* A new DumpDir/<name>-<YYYYMMDD-HHMMSS>.core for a dump the daemon
 * makes by itself (a crash's, the watchdog's); fd or negative errno,
 * logged with what the dump is for. */
static int open_auto_dump(Domain *d, const char *what, char **ret_path)
{
	const Settings *s = registry_get_settings(d->registry);
	_cleanup_free_ char *dir = s->dump_dir ? strdup(s->dump_dir) : NULL, *path = NULL;
	if (!dir && asprintf(&dir, "%s/dump", s->state_dir) < 0)
		return -ENOMEM;
	char stamp[32];
	time_t now = time(NULL);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
	if (asprintf(&path, "%s/%s-%s.core", dir, domain_name(d), stamp) < 0)
		return -ENOMEM;
	int k = mkdir_p(dir, 0700);
	int fd = k >= 0 ? open_new_dump(path) : k;
	if (fd < 0) {
		log_error("Domain %s: cannot create the %s %s: %s", domain_name(d), what, path,
			  strerror(-fd));
		return fd;
	}
	*ret_path = TAKE_PTR(path);
	return fd;
}

bool domain_crash_dump(Domain *d, LifecycleAction action)
{
	const Settings *s = registry_get_settings(d->registry);
	bool wanted = action == LIFECYCLE_ACTION_COREDUMP_DESTROY ||
		      action == LIFECYCLE_ACTION_COREDUMP_RESTART || s->enable_dump;
	if (!wanted || !d->monitor || d->job)
		return false;

	_cleanup_free_ char *path = NULL;
	int fd = open_auto_dump(d, "crash dump", &path);
	if (fd < 0)
		return false;
	DumpThen then = action == LIFECYCLE_ACTION_PRESERVE ? DUMP_THEN_NOTHING
			: action == LIFECYCLE_ACTION_RESTART || action == LIFECYCLE_ACTION_RENAME_RESTART ||
					action == LIFECYCLE_ACTION_COREDUMP_RESTART
				? DUMP_THEN_RESTART
				: DUMP_THEN_CRASH;
	ZvError err = ZV_ERROR_INIT;
	if (dump_begin(d, fd, path, "elf", then, NULL, &err) < 0) {
		log_error("Domain %s: %s", domain_name(d), err.message);
		return false;
	}
	return true;
}

void domain_watchdog_dump(Domain *d)
{
	if (!d->monitor || d->job) {
		/* libvirt's dump job would wait for the other one, and give up:
		 * the guest stays paused/watchdog for Resume or CoreDump. */
		log_warning("Domain %s: no watchdog dump: %s; the guest stays paused", domain_name(d),
			    d->job ? "another job runs" : "QEMU's monitor is not reachable");
		return;
	}
	_cleanup_free_ char *path = NULL;
	int fd = open_auto_dump(d, "watchdog dump", &path);
	if (fd < 0) {
		/* No file, no dump: the guest goes on, as after a failed one. */
		dump_then(d, DUMP_THEN_RESUME);
		return;
	}
	ZvError err = ZV_ERROR_INIT;
	if (dump_begin(d, fd, path, "elf", DUMP_THEN_RESUME, NULL, &err) < 0) {
		log_error("Domain %s: %s", domain_name(d), err.message);
		dump_then(d, DUMP_THEN_RESUME);
	}
}

void domain_dump_stopped(Domain *d)
{
	DumpOp *o = d->dump;
	if (!o)
		return;
	d->dump = NULL;
	o->d = NULL;
	job_finish(o->job, JOB_STATE_FAILED, "The domain stopped before the dump was complete");
	if (o->syncing)
		return; /* on_dump_synced() cleans up */
	(void)unlink_if_exists(o->path);
	dump_free(o);
}

void domain_dump_forget(Domain *d)
{
	/* The daemon stops (worker_free() waited for an fsync): QEMU finishes
	 * the dump on its own; what was to follow it does not happen. */
	dump_free(d->dump);
	d->dump = NULL;
}
