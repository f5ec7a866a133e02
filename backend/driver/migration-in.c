/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The destination's side of a migration in the driver
 * (migrate-incoming.h): PrepareMigration's checks and start, the data
 * connection taken in and handed to QEMU, FinishMigration's start of
 * the guest, and the cleanup of everything else. The incoming QEMU is
 * a Start that has not finished: the Start op is held from Prepare to
 * Finish, so no other call touches a guest that is not one yet, and a
 * QEMU that ends early is a failed start (stop.c), which also takes a
 * transient domain away. */

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/domain-xml.h"
#include "domain-internal.h"
#include "job-internal.h"
#include "migrate-incoming.h"
#include "migration-in-images.h"
#include "migration-in-internal.h"
#include "migration/hosts-allow.h"
#include "migration/port-listen.h"
#include "migration/relocation-accept.h"
#include "qemu/cmdline.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/event-accuracy.h"
#include "util/log.h"

#define INCOMING_POLL_USEC (100ULL * 1000)
/* The source connects right after Prepare's answer: nobody allowed by
 * then is not coming. */
#define INCOMING_ACCEPT_USEC (30ULL * 1000 * 1000)
/* The source says it sent everything; the last of it is on its way. */
#define INCOMING_FINISH_USEC (30ULL * 1000 * 1000)
#define INCOMING_FD_NAME     "zvirt-incoming"
#define INCOMING_NBD_FD_NAME "zvirt-nbd"

typedef enum IncomingStep {
	INCOMING_STARTING,  /* QEMU starts with -incoming defer */
	INCOMING_WAITING,   /* Prepare answered: the source may connect */
	INCOMING_RECEIVING, /* QEMU reads the stream */
	INCOMING_RECEIVED,  /* QEMU has it all */
	INCOMING_RUNNING,   /* the guest is started here: no way back */
} IncomingStep;

struct MigrationIn {
	Domain *d;
	Registry *registry;
	Job *job;
	DomainIncomingParams params;
	IncomingStep step;
	/* The inactive persistent definition the guest came to (libvirt's
	 * rule): on failure it returns to it, in the state it had. */
	bool reused;
	DomainReason prev_reason;
	HostsAllow *allow;
	int listen_fd;
	char *uri;
	RelocationAccept *accept;
	int fd; /* the accepted connection, until QEMU has its duplicate */
	/* copy-storage: the images created for it (removed when it fails),
	 * the NBD server's socket until QEMU has it, the next export */
	char **created;
	int nbd_fd;
	char *disks_uri;
	size_t next_export;
	bool nbd_running;
	sd_event_source *poll, *finish_deadline;
	bool finishing, suspend, cancelled;
	char *error; /* why it failed, in our words (else the start's) */
	registry_incoming_fn prepare_cb;
	void *prepare_userdata;
	domain_done_fn finish_cb, cancel_cb;
	void *finish_userdata, *cancel_userdata;
};

static MigrationIn *incoming_free(MigrationIn *m)
{
	if (!m)
		return NULL;
	relocation_accept_free(m->accept);
	sd_event_source_disable_unref(m->poll);
	sd_event_source_disable_unref(m->finish_deadline);
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	if (m->fd >= 0)
		close(m->fd);
	if (m->nbd_fd >= 0)
		close(m->nbd_fd);
	strv_free(m->created);
	free(m->disks_uri);
	domain_incoming_params_done(&m->params);
	hosts_allow_free(m->allow);
	free(m->uri);
	free(m->error);
	free(m);
	return NULL;
}

void domain_incoming_params_done(DomainIncomingParams *p)
{
	strv_free(p->copy_disks);
	free(p->copy_sizes);
	p->copy_disks = NULL;
	p->copy_sizes = NULL;
	p->n_copy = 0;
}

bool domain_incoming(const Domain *d)
{
	return d->migration_in;
}

/* Fails the incoming migration: QEMU is killed, and the start's end
 * (on_start_answer) answers everyone and cleans up. */
static void incoming_fail(MigrationIn *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void incoming_fail(MigrationIn *m, const char *fmt, ...)
{
	if (!m->error) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&m->error, fmt, ap) < 0)
			m->error = NULL;
		va_end(ap);
	}
	domain_fail_start(m->d, "the incoming migration", m->error ?: "Out of memory");
}

/* --- the end, whichever it is ------------------------------------------- */

/* Finish answers once the definition is written: the caller may look
 * at it next. */
typedef struct IncomingDefine {
	char *xml;
	char uuid_hex[SD_ID128_STRING_MAX];
	domain_done_fn cb;
	void *userdata;
} IncomingDefine;

static void on_defined(Registry *r, int result, Domain *defined, const ZvError *err, void *userdata)
{
	IncomingDefine *w = userdata;
	Domain *d = registry_find_by_uuid(r, w->uuid_hex);
	if (result < 0)
		log_error("Domain %s: it runs here after the migration, but could not be defined: %s",
			  d ? domain_name(d) : w->uuid_hex, err->message);
	/* Whatever the write says, the guest runs here: the source must hear
	 * success, or it would run it too. A guest that ended meanwhile has
	 * run here: "unknown", so that the source keeps its copy paused. */
	if (w->cb)
		w->cb(d, d ? 0 : -ECONNABORTED, NULL, w->userdata);
	free(w->xml);
	free(w);
}

static void define_after_finish(Domain *d, domain_done_fn cb, void *userdata)
{
	IncomingDefine *w = calloc(1, sizeof(*w));
	if (w && (w->xml = domain_def_format(d->live, 0, DOMAIN_XML_FORMAT_INACTIVE))) {
		memcpy(w->uuid_hex, d->uuid_hex, sizeof(w->uuid_hex));
		w->cb = cb;
		w->userdata = userdata;
		if (registry_define_async(d->registry, w->xml, strlen(w->xml), on_defined, w) >= 0)
			return;
	}
	log_error("Domain %s: cannot define it here after the migration: out of memory", domain_name(d));
	if (w)
		free(w->xml);
	free(w);
	if (cb)
		cb(d, 0, NULL, userdata);
}

/* The Start op ends: r 0 after Finish let the guest run, < 0 when QEMU
 * ended or the start failed. Every caller still waiting hears it. */
static void on_start_answer(Domain *d, int r, const ZvError *err, void *userdata)
{
	MigrationIn *m = userdata;
	d->migration_in = NULL;

	if (r >= 0) {
		/* No longer an incoming QEMU that the next daemon would kill:
		 * written before anyone hears that the guest runs here. */
		(void)domain_save_status(d);
		job_finish(m->job, JOB_STATE_COMPLETED, NULL);
		log_info("Domain %s: migrated here", domain_name(d));
		domain_done_fn cb = m->finish_cb;
		void *cb_userdata = m->finish_userdata;
		bool persistent = m->params.persistent;
		incoming_free(m);
		if (persistent)
			define_after_finish(d, cb, cb_userdata);
		else if (cb)
			cb(d, 0, NULL, cb_userdata);
		return;
	}

	ZvError e = ZV_ERROR_INIT;
	const char *why = m->error ?: err ? err->message : "QEMU ended";
	int k;
	if (m->cancelled)
		k = zv_error_set(&e, ZV_ERROR_CANCELLED, ECANCELED,
				 "The incoming migration of '%s' was cancelled: %s", domain_name(d), why);
	else
		k = zv_error_set(&e, ZV_ERROR_MIGRATION_FAILED, EIO,
				 "The incoming migration of '%s' failed: %s", domain_name(d), why);
	log_warning("Domain %s: %s", domain_name(d), e.message);
	job_finish(m->job, m->cancelled ? JOB_STATE_CANCELLED : JOB_STATE_FAILED, e.message);
	/* cont was sent: the guest may run here, so the answer is "unknown"
	 * (no org.zvirt1 error): the source keeps its copy paused. */
	bool unknown = m->step == INCOMING_RUNNING && !m->cancelled;
	registry_incoming_fn prepare_cb = m->prepare_cb;
	void *prepare_userdata = m->prepare_userdata;
	domain_done_fn finish_cb = m->finish_cb, cancel_cb = m->cancel_cb;
	void *finish_userdata = m->finish_userdata, *cancel_userdata = m->cancel_userdata;
	Registry *reg = m->registry;
	char **created = TAKE_PTR(m->created);
	incoming_free(m);
	/* QEMU is gone: nothing writes to them any more. */
	incoming_images_remove_later(reg, created);
	if (prepare_cb)
		prepare_cb(reg, k, NULL, NULL, NULL, &e, prepare_userdata);
	if (finish_cb)
		finish_cb(d, unknown ? -ECONNABORTED : k, unknown ? NULL : &e, finish_userdata);
	if (cancel_cb)
		cancel_cb(d, 0, NULL, cancel_userdata);
}

bool domain_incoming_stopped(Domain *d, DomainReason *reason)
{
	MigrationIn *m = d->migration_in;
	if (!m)
		return false;
	if (m->reused)
		*reason = m->prev_reason;
	return true;
}

DomainReason domain_incoming_failed_reason(const Domain *d)
{
	const MigrationIn *m = d->migration_in;
	return m && m->reused ? m->prev_reason : DOMAIN_REASON_FAILED;
}

DomainReason domain_incoming_prev_reason(const Domain *d)
{
	const MigrationIn *m = d->migration_in;
	return m && m->reused ? m->prev_reason : _DOMAIN_REASON_MAX;
}

bool domain_incoming_waiting(const Domain *d)
{
	return d->migration_in && d->migration_in->step < INCOMING_RUNNING;
}

void domain_incoming_kill(Domain *d)
{
	MigrationIn *m = d->migration_in;
	if (!m || !d->process)
		return;
	/* The daemon stops: this QEMU is no guest yet, and nobody would
	 * finish it. The next daemon forgets the domain (its status). */
	if (m->step < INCOMING_RUNNING) {
		log_info("Domain %s: stopping the incoming migration (zvirtd is stopping)", domain_name(d));
		(void)qemu_process_kill(d->process, SIGKILL);
		return;
	}
	/* cont was sent: the guest may run; the next daemon keeps it. */
	log_warning("Domain %s: zvirtd stops while the migrated guest starts; it is kept", domain_name(d));
	(void)domain_save_status(d);
}

void domain_incoming_forget(Domain *d)
{
	d->migration_in = incoming_free(d->migration_in);
}

/* --- the guest starts here ---------------------------------------------- */

static void on_cont(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationIn *m = d->migration_in;
	if (!m)
		return;
	if (r < 0)
		return incoming_fail(m, "QEMU could not start the guest: %s", error);
	domain_set_state(d, DOMAIN_STATE_RUNNING, DOMAIN_REASON_MIGRATED);
	domain_finish_op(d, 0, NULL);
}

static void run_guest(MigrationIn *m);

static void on_nbd_stopped(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationIn *m = d->migration_in;
	if (!m || !m->finishing)
		return;
	if (r < 0)
		return incoming_fail(m, "QEMU could not stop serving the copied disks: %s", error);
	m->nbd_running = false;
	run_guest(m);
}

static void run_guest(MigrationIn *m)
{
	Domain *d = m->d;
	/* The source completed its mirrors before Finish: nobody writes
	 * there any more, and nobody may once the guest runs. */
	if (m->nbd_running) {
		if (!d->monitor || qemu_monitor_nbd_server_stop(d->monitor, on_nbd_stopped) < 0)
			incoming_fail(m, "lost QEMU's monitor");
		return;
	}
	m->finish_deadline = sd_event_source_disable_unref(m->finish_deadline);
	m->step = INCOMING_RUNNING;
	/* From here the guest may run: a daemon that dies now leaves a next
	 * one that keeps this QEMU (the status no longer says incoming). */
	(void)domain_save_status(d);
	job_set_phase(m->job, "done");
	if (m->suspend) {
		domain_set_state(d, DOMAIN_STATE_PAUSED, DOMAIN_REASON_USER);
		domain_finish_op(d, 0, NULL);
		return;
	}
	if (!d->monitor || qemu_monitor_cont(d->monitor, on_cont) < 0)
		incoming_fail(m, "lost QEMU's monitor");
}

/* --- the stream ----------------------------------------------------------- */

static int arm_poll(MigrationIn *m);

static void on_incoming_info(QemuMonitor *mon, int r, const QemuMigrationInfo *info, const char *error,
			     void *userdata)
{
	Domain *d = userdata;
	MigrationIn *m = d->migration_in;
	if (!m || m->step != INCOMING_RECEIVING)
		return;
	if (r < 0)
		return incoming_fail(m, "query-migrate: %s", error);
	if (info->total > 0)
		job_set_progress(m->job, &(JobProgress){.total = info->total,
							.processed = info->transferred,
							.remaining = info->remaining});
	if (strcmp(info->status, "completed") == 0) {
		m->step = INCOMING_RECEIVED;
		m->poll = sd_event_source_disable_unref(m->poll);
		job_set_phase(m->job, "received");
		log_info("Domain %s: the incoming migration stream is complete", domain_name(d));
		if (m->finishing)
			run_guest(m);
		return;
	}
	if (strcmp(info->status, "failed") == 0 || strcmp(info->status, "cancelled") == 0)
		return incoming_fail(m, "QEMU could not load the stream: %s", info->error ?: info->status);
	if (arm_poll(m) < 0)
		incoming_fail(m, "cannot follow the stream");
}

static int on_poll(sd_event_source *es, uint64_t usec, void *userdata)
{
	MigrationIn *m = userdata;
	if (!m->d->monitor || qemu_monitor_query_migrate(m->d->monitor, on_incoming_info) < 0)
		incoming_fail(m, "lost QEMU's monitor");
	return 0;
}

static int arm_poll(MigrationIn *m)
{
	m->poll = sd_event_source_disable_unref(m->poll);
	return sd_event_add_time_relative(registry_get_event(m->registry), &m->poll, CLOCK_MONOTONIC,
					  INCOMING_POLL_USEC, EVENT_ACCURACY_USEC, on_poll, m);
}

void domain_incoming_qemu_event(Domain *d)
{
	MigrationIn *m = d->migration_in;
	if (m && m->poll && sd_event_source_get_enabled(m->poll, NULL) > 0)
		(void)sd_event_source_set_time_relative(m->poll, 0);
}

static void on_migrate_incoming(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationIn *m = d->migration_in;
	if (!m)
		return;
	if (r < 0)
		return incoming_fail(m, "QEMU refused migrate-incoming: %s", error);
	m->fd = (close(m->fd), -1); /* QEMU reads through its duplicate */
	if (arm_poll(m) < 0)
		incoming_fail(m, "cannot follow the stream");
}

static void on_events(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationIn *m = d->migration_in;
	if (!m)
		return;
	/* Without the events the polls still see the end. */
	if (r < 0)
		log_debug("Domain %s: no MIGRATION events: %s", domain_name(d), error);
	if (qemu_monitor_migrate_incoming(d->monitor, "fd:" INCOMING_FD_NAME, on_migrate_incoming) < 0)
		incoming_fail(m, "lost QEMU's monitor");
}

static void on_getfd(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationIn *m = d->migration_in;
	if (!m)
		return;
	if (r < 0)
		return incoming_fail(m, "QEMU did not take the connection: %s", error);
	if (qemu_monitor_enable_migration_events(d->monitor, on_events) < 0)
		incoming_fail(m, "lost QEMU's monitor");
}

static void on_accepted(int result, int fd, const char *peer, void *userdata)
{
	MigrationIn *m = userdata;
	Domain *d = m->d;
	m->accept = relocation_accept_free(m->accept); /* the listening socket closes */
	if (result == -ETIMEDOUT)
		return incoming_fail(m,
				     "no peer that [Relocation] HostsAllow= lets in connected within %llu s",
				     INCOMING_ACCEPT_USEC / 1000000ULL);
	if (result < 0)
		return incoming_fail(m, "cannot accept the data connection: %s", strerror(-result));
	log_info("Domain %s: receiving the migration from %s", domain_name(d), peer);
	m->fd = fd;
	m->step = INCOMING_RECEIVING;
	job_set_phase(m->job, "receiving");
	if (!d->monitor || qemu_monitor_getfd(d->monitor, INCOMING_FD_NAME, m->fd, on_getfd) < 0)
		incoming_fail(m, "lost QEMU's monitor");
}

static void wait_for_source(MigrationIn *m);
static void export_next(MigrationIn *m);
static char *format_uri(const char *address, uint16_t port);

static void on_exported(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationIn *m = d->migration_in;
	if (!m)
		return;
	if (r < 0)
		return incoming_fail(m, "QEMU cannot export disk '%s' for the copy: %s",
				     m->params.copy_disks[m->next_export], error);
	m->next_export++;
	export_next(m);
}

static void export_next(MigrationIn *m)
{
	Domain *d = m->d;
	if (m->next_export == m->params.n_copy) {
		if (job_set_disks_uri(m->job, m->disks_uri) < 0)
			return incoming_fail(m, "Out of memory");
		log_info("Domain %s: serving %zu disk(s) for the copy at %s", domain_name(d),
			 m->params.n_copy, m->disks_uri);
		return wait_for_source(m);
	}
	const char *target = m->params.copy_disks[m->next_export];
	const DiskDef *disk = NULL;
	for (size_t i = 0; i < d->live->n_disks && !disk; i++)
		if (strcmp(d->live->disks[i].target, target) == 0)
			disk = &d->live->disks[i];
	char storage[QEMU_NODE_NAME_MAX], format[QEMU_NODE_NAME_MAX], id[QEMU_NODE_NAME_MAX + 8];
	if (!disk || qemu_disk_node_names(disk->info.alias, storage, format) < 0)
		return incoming_fail(m, "disk '%s' has no block node to export", target);
	snprintf(id, sizeof(id), "nbd-%s", target);
	if (!d->monitor || qemu_monitor_nbd_export_add(d->monitor, id, format, target, on_exported) < 0)
		incoming_fail(m, "lost QEMU's monitor");
}

static void on_nbd_started(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationIn *m = d->migration_in;
	if (!m)
		return;
	if (r < 0)
		return incoming_fail(m, "QEMU cannot serve the disks to copy: %s", error);
	m->nbd_running = true;
	export_next(m);
}

static void on_nbd_getfd(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	MigrationIn *m = d->migration_in;
	if (!m)
		return;
	m->nbd_fd = (close(m->nbd_fd), -1); /* QEMU listens on its duplicate */
	if (r < 0)
		return incoming_fail(m, "QEMU did not take the NBD server's socket: %s", error);
	/* One client per disk: the source's mirror nodes; nobody after them. */
	if (qemu_monitor_nbd_server_start_fd(d->monitor, INCOMING_NBD_FD_NAME, (unsigned)m->params.n_copy,
					     on_nbd_started) < 0)
		incoming_fail(m, "lost QEMU's monitor");
}

/* copy-storage: QEMU's NBD server on a port of the migration range,
 * bound here (the range is ours to hand out), then the exports. */
static void serve_disks(MigrationIn *m)
{
	Domain *d = m->d;
	const Settings *s = registry_get_settings(m->registry);
	uint16_t port;
	int k = migration_listen(s->relocation_address, s->migration_port_min, s->migration_port_max,
				 &m->nbd_fd, &port);
	if (k < 0)
		return incoming_fail(m, "no port of the migration range %u-%u for the disks: %s",
				     s->migration_port_min, s->migration_port_max, strerror(-k));
	if (!(m->disks_uri = format_uri(s->relocation_address, port)))
		return incoming_fail(m, "Out of memory");
	if (!d->monitor || qemu_monitor_getfd(d->monitor, INCOMING_NBD_FD_NAME, m->nbd_fd, on_nbd_getfd) < 0)
		incoming_fail(m, "lost QEMU's monitor");
}

void domain_incoming_ready(Domain *d)
{
	MigrationIn *m = d->migration_in;
	assert(m);
	if (m->params.n_copy > 0)
		return serve_disks(m);
	wait_for_source(m);
}

static void wait_for_source(MigrationIn *m)
{
	Domain *d = m->d;
	/* The registry's worker runs the peers' reverse lookups: it outlives
	 * any acceptor. */
	int k = registry_start_worker(m->registry);
	if (k < 0) {
		m->listen_fd = (close(m->listen_fd), -1);
		return incoming_fail(m, "cannot start a worker thread: %s", strerror(-k));
	}
	k = relocation_accept_new(registry_get_event(m->registry), m->registry->worker, m->listen_fd,
				  m->allow, INCOMING_ACCEPT_USEC, domain_name(d), on_accepted, m,
				  &m->accept);
	m->listen_fd = -1; /* taken, in every case */
	if (k < 0)
		return incoming_fail(m, "cannot wait for the data connection: %s", strerror(-k));
	m->step = INCOMING_WAITING;
	job_set_phase(m->job, "waiting");
	log_info("Domain %s: waiting for the incoming migration at %s", domain_name(d), m->uri);
	registry_incoming_fn cb = m->prepare_cb;
	m->prepare_cb = NULL;
	if (cb)
		cb(m->registry, 0, d, m->uri, m->job, NULL, m->prepare_userdata);
}

/* --- Finish and cancel ---------------------------------------------------- */

static int on_finish_deadline(sd_event_source *es, uint64_t usec, void *userdata)
{
	MigrationIn *m = userdata;
	m->finish_deadline = sd_event_source_disable_unref(m->finish_deadline);
	incoming_fail(
		m, "the source said it sent everything, but the stream was not complete here after %llu s",
		INCOMING_FINISH_USEC / 1000000ULL);
	return 0;
}

int domain_incoming_finish(Domain *d, bool suspend, domain_done_fn cb, void *userdata, ZvError *err)
{
	MigrationIn *m = d->migration_in;
	if (!m || m->step == INCOMING_STARTING)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' has no incoming migration to finish", domain_name(d));
	if (m->finishing || m->cancelled)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "The incoming migration of '%s' is already being %s", domain_name(d),
				    m->cancelled ? "cancelled" : "finished");
	int k = sd_event_add_time_relative(registry_get_event(m->registry), &m->finish_deadline,
					   CLOCK_MONOTONIC, INCOMING_FINISH_USEC, 0, on_finish_deadline, m);
	if (k < 0)
		return zv_error_set(err, ZV_ERROR_HOST, -k, "Cannot arm a timer: %s", strerror(-k));
	m->finishing = true;
	m->suspend = suspend;
	m->finish_cb = cb;
	m->finish_userdata = userdata;
	if (m->step == INCOMING_RECEIVED)
		run_guest(m);
	return 0;
}

int domain_incoming_cancel(Domain *d, const char *why, domain_done_fn cb, void *userdata, ZvError *err)
{
	MigrationIn *m = d->migration_in;
	if (!m)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' has no incoming migration to cancel", domain_name(d));
	if (m->step == INCOMING_RUNNING)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "The incoming migration of '%s' has completed: the guest runs here",
				    domain_name(d));
	if (m->cancelled)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "The incoming migration of '%s' is already being cancelled",
				    domain_name(d));
	m->cancelled = true;
	m->cancel_cb = cb;
	m->cancel_userdata = userdata;
	if (!m->error)
		m->error = strdup(why);
	log_info("Domain %s: cancelling the incoming migration: %s", domain_name(d), why);
	domain_kill_qemu(d, domain_incoming_failed_reason(d));
	return 0;
}

static int incoming_job_cancel(Job *j, void *userdata, ZvError *err)
{
	MigrationIn *m = userdata;
	return domain_incoming_cancel(m->d, "cancelled on the destination", NULL, NULL, err);
}

static const JobOps incoming_job_ops = {.cancel = incoming_job_cancel};

/* --- Prepare -------------------------------------------------------------- */

typedef struct IncomingPrepare {
	Registry *registry;
	RegistryCreate *create;
	DomainIncomingParams params;
	IncomingImages images;
	registry_incoming_fn cb;
	void *userdata;
	ZvError err;
} IncomingPrepare;

static void prepare_free(IncomingPrepare *p)
{
	registry_create_free(p->create);
	domain_incoming_params_done(&p->params);
	incoming_images_done(&p->images);
	free(p);
}

/* The data connection's uri as the source is to dial it. */
static char *format_uri(const char *address, uint16_t port)
{
	char *uri;
	bool v6 = strchr(address, ':');
	return asprintf(&uri, v6 ? "tcp:[%s]:%u" : "tcp:%s:%u", address, (unsigned)port) < 0 ? NULL : uri;
}

/* The domain exists in the registry (new and transient, or the inactive
 * definition): the listening socket, the job, QEMU. */
static int incoming_begin(IncomingPrepare *p, Domain *d, DomainDef *live_in, bool reused, ZvError *err)
{
	_cleanup_(domain_def_freep) DomainDef *live = live_in;
	const Settings *s = registry_get_settings(p->registry);
	_cleanup_free_ char *allow_error = NULL;
	uint16_t port;

	MigrationIn *m = calloc(1, sizeof(*m));
	if (!m)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*m = (MigrationIn){.d = d,
			   .registry = p->registry,
			   .params = p->params,
			   .reused = reused,
			   .prev_reason = d->reason,
			   .listen_fd = -1,
			   .fd = -1,
			   .nbd_fd = -1};
	/* Moved: the migration owns them now. */
	p->params.copy_disks = NULL;
	p->params.copy_sizes = NULL;
	int k = hosts_allow_parse(s->relocation_hosts_allow, &m->allow, &allow_error);
	if (k < 0) {
		incoming_free(m);
		return zv_error_set(err, ZV_ERROR_HOST, -k, "[Relocation] HostsAllow=: %s",
				    allow_error ?: strerror(-k));
	}
	k = migration_listen(s->relocation_address, s->migration_port_min, s->migration_port_max,
			     &m->listen_fd, &port);
	if (k < 0) {
		incoming_free(m);
		return zv_error_set(
			err, ZV_ERROR_HOST, -k,
			k == -EADDRINUSE ? "Every port of the migration range %u-%u on %s is in use"
					 : "Cannot listen for the migration on %3$s (ports %1$u-%2$u): %4$s",
			s->migration_port_min, s->migration_port_max, s->relocation_address, strerror(-k));
	}
	if (!(m->uri = format_uri(s->relocation_address, port))) {
		incoming_free(m);
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	k = job_new(d, JOB_MIGRATION_IN, &incoming_job_ops, m, &m->job);
	if (k < 0) {
		incoming_free(m);
		return zv_error_set(err, ZV_ERROR_HOST, -k, "Cannot create the job: %s", strerror(-k));
	}
	job_set_phase(m->job, "starting");
	m->prepare_cb = p->cb;
	m->prepare_userdata = p->userdata;
	d->migration_in = m;
	k = domain_start_with(d, TAKE_PTR(live), DOMAIN_START_PAUSED, on_start_answer, m, err);
	if (k < 0) {
		d->migration_in = NULL;
		job_finish(m->job, JOB_STATE_FAILED, err->message);
		incoming_free(m);
		return k;
	}
	/* QEMU runs and waits: the guest is on its way here. From here on a
	 * failure removes the images created for it. */
	m->created = incoming_images_take_created(&p->images);
	domain_set_state(d, DOMAIN_STATE_PAUSED, DOMAIN_REASON_MIGRATING);
	log_info("Domain %s: incoming migration prepared (%s)", domain_name(d),
		 reused ? "to its definition" : "transient");
	return 0;
}

/* At the entry's turn in the write queue, in order with DefineXML,
 * Undefine and Rename. */
static int incoming_check(void *userdata)
{
	IncomingPrepare *p = userdata;
	Registry *r = p->registry;
	DomainDef *def = registry_create_def(p->create);
	Domain *by_uuid = hashmap_get(r->by_uuid, SD_ID128_TO_STRING(def->uuid));
	Domain *by_name = hashmap_get(r->by_name, def->name);

	if (by_uuid && strcmp(by_uuid->def->name, def->name) != 0)
		return zv_error_set(&p->err, ZV_ERROR_DOMAIN_EXISTS, EEXIST,
				    "UUID %s already belongs to domain '%s' here", by_uuid->uuid,
				    by_uuid->def->name);
	if (!by_uuid && by_name)
		return zv_error_set(&p->err, ZV_ERROR_DOMAIN_EXISTS, EEXIST,
				    "A domain named '%s' already exists here with UUID %s", def->name,
				    by_name->uuid);
	if (by_uuid && (by_uuid->state != DOMAIN_STATE_SHUT_OFF || by_uuid->process || by_uuid->op_active))
		return zv_error_set(&p->err, ZV_ERROR_DOMAIN_EXISTS, EEXIST,
				    "Domain '%s' is already active here (%s)", def->name,
				    domain_state_to_string(by_uuid->state));
	if (by_uuid && (by_uuid->has_managed_save || by_uuid->job))
		return zv_error_set(&p->err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' has a %s here; remove it first", def->name,
				    by_uuid->job ? "job under way" : "managed-save image");
	/* No registry_unique_macs(), unlike CreateXML: the guest keeps the
	 * MACs it had on the source (it is the same guest). */
	int k = registry_expand_machine(r, def, &p->err);
	if (k < 0)
		return k;
	/* Without copied disks nothing is written: the entry only keeps its
	 * place in line. */
	return incoming_images_plan(&p->images, def, &p->params, &p->err);
}

/* Worker thread: the copied disks' images, checked or made. */
static int incoming_write(void *userdata, int *ret_unsynced)
{
	IncomingPrepare *p = userdata;
	return incoming_images_prepare(&p->images, &p->err);
}

static void incoming_write_finish(const WriteOutcome *o, void *userdata)
{
	IncomingPrepare *p = userdata;
	Registry *r = p->registry;
	int k = o->result;

	if (o->stopping) {
		/* The loop ends: no worker to hand the removal to. */
		incoming_images_undo(&p->images);
		k = zv_error_set(&p->err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				 "zvirtd is stopping: the migration was not prepared");
	}
	if (k >= 0) {
		DomainDef *def = registry_create_steal_def(p->create);
		Domain *d = hashmap_get(r->by_uuid, SD_ID128_TO_STRING(def->uuid));
		bool reused = d;
		DomainDef *live = NULL;
		if (reused)
			live = def;
		else if ((k = registry_insert(r, def, false, &d)) < 0)
			zv_error_set(&p->err, ZV_ERROR_HOST, -k, "Out of memory");
		else if (!(live = domain_def_copy(d->def)))
			/* removed below */
			k = zv_error_set(&p->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		else if (r->callbacks.domain_added)
			r->callbacks.domain_added(d, r->callbacks.userdata);
		if (k >= 0)
			k = incoming_begin(p, d, live, reused, &p->err);
		/* Nothing started: a transient domain must not stay, nor
		 * the images created for it. */
		if (k < 0 && d && !reused)
			registry_remove(r, d);
		if (k < 0)
			incoming_images_remove_later(r, incoming_images_take_created(&p->images));
		if (k >= 0) {
			/* The migration answers the caller now. */
			p->cb = NULL;
			prepare_free(p);
			return;
		}
	}
	p->cb(r, k, NULL, NULL, NULL, &p->err, p->userdata);
	prepare_free(p);
}

static const WriteOps incoming_ops = {
	.check = incoming_check,
	.write = incoming_write,
	.finish = incoming_write_finish,
};

void registry_incoming_start(RegistryCreate *c, DomainIncomingParams *params, registry_incoming_fn cb,
			     void *userdata)
{
	assert(c);
	assert(params);
	assert(cb);
	Registry *r = registry_create_registry(c);
	ZvError err = ZV_ERROR_INIT;

	if (!registry_get_settings(r)->relocation_server) {
		registry_create_free(c);
		domain_incoming_params_done(params);
		int k = zv_error_set(&err, ZV_ERROR_OPERATION_INVALID, EPERM,
				     "This host does not accept migrations: [Relocation] Server=no");
		return cb(r, k, NULL, NULL, NULL, &err, userdata);
	}
	IncomingPrepare *p = calloc(1, sizeof(*p));
	if (!p) {
		registry_create_free(c);
		domain_incoming_params_done(params);
		int k = zv_error_set(&err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		return cb(r, k, NULL, NULL, NULL, &err, userdata);
	}
	*p = (IncomingPrepare){.registry = r,
			       .create = c,
			       .params = *params,
			       .cb = cb,
			       .userdata = userdata,
			       .err = ZV_ERROR_INIT};
	*params = (DomainIncomingParams){.persistent = params->persistent, .storage = params->storage};
	/* finish may run before this returns; p is not touched after. */
	int k = write_queue_push(r->writes, &incoming_ops, p);
	if (k < 0) {
		k = zv_error_set(&err, ZV_ERROR_HOST, -k, "Cannot queue the migration: %s", strerror(-k));
		prepare_free(p);
		cb(r, k, NULL, NULL, NULL, &err, userdata);
	}
}
