/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Domain: Migrate, its tuning (SetMigrationMaxDowntime,
 * SetMigrationMaxSpeed, GetMigrationMaxSpeed) and AbortJob. A vtable of
 * its own on the same interface as domain.c's.
 *
 * Migrate talks to the destination's daemon over its bus, as libvirt's
 * v3 protocol does over its RPC: PrepareMigration there (the destination
 * starts an empty QEMU that listens), the stream here (driver/migrate.h),
 * FinishMigration there (the guest runs there), and the confirm here (QEMU
 * quits). Whatever fails before the destination runs the guest lets it
 * run here again; when the destination's answer to FinishMigration is
 * lost, nobody knows where it runs, and it stays paused here. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/job.h"
#include "driver/migrate.h"
#include "driver/registry.h"
#include "errors.h"
#include "migration/destination.h"
#include "objects.h"
#include "options.h"
#include "polkit.h"
#include "util/cleanup.h"
#include "util/log.h"

#define MIGRATE_ACTION "org.zvirt1.domain.migrate"
/* Prepare starts a QEMU there; Finish waits for its stream's end. */
#define PREPARE_TIMEOUT_USEC (120ULL * 1000 * 1000)
#define FINISH_TIMEOUT_USEC  (120ULL * 1000 * 1000)

struct MigrateFlow {
	Objects *o;
	char uuid_hex[33];
	unsigned migration_id; /* driver/migrate.h: whose answers these are */
	sd_bus *dest;
	sd_bus_slot *call;
	sd_bus_slot *dest_daemon; /* NameOwnerChanged of the destination's zvirtd, from Prepare on */
	char *peer;
	char *xml; /* for PrepareMigration, once the disk sizes are known */
	char *uri; /* the destination's relocation port, while the disks' is asked */
	bool persistent, suspend;
	MigrationStorage storage;
	bool prepared; /* the destination has its half: tell it how it ends */
	MigrateFlow *next;
};

static MigrateFlow *flow_free(MigrateFlow *f)
{
	if (!f)
		return NULL;
	for (MigrateFlow **p = &f->o->migrate_flows; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	sd_bus_slot_unref(f->call);
	sd_bus_slot_unref(f->dest_daemon);
	sd_bus_close_unref(f->dest);
	free(f->peer);
	free(f->xml);
	free(f->uri);
	free(f);
	return NULL;
}

void objects_migrate_done(Objects *o)
{
	while (o->migrate_flows)
		flow_free(o->migrate_flows);
}

static Domain *flow_domain(const MigrateFlow *f)
{
	Domain *d = registry_find_by_uuid(f->o->registry, f->uuid_hex);
	/* Another migration's now (this one failed, a new one began). */
	return d && domain_migration_id(d) == f->migration_id ? d : NULL;
}

/* The destination's message, or what sd-bus said went wrong. */
static const char *reply_error(sd_bus_message *reply, const sd_bus_error *e)
{
	const sd_bus_error *err = e && sd_bus_error_is_set(e) ? e : sd_bus_message_get_error(reply);
	return err && err->message ? err->message : err && err->name ? err->name : "no reason given";
}

/* Whether the destination certainly did not run the guest: its daemon
 * said no itself, or its bus says nobody got the call (no daemon there).
 * Otherwise (a timeout, no reply, our connection gone) nobody knows. */
static bool destination_answered(const sd_bus_message *reply)
{
	const sd_bus_error *err = sd_bus_message_get_error((sd_bus_message *)reply);
	return err && err->name &&
	       (strncmp(err->name, "org.zvirt1.Error.", 17) == 0 ||
		sd_bus_error_has_names(err, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER));
}

/* The daemon that prepared the destination left its bus: the half there
 * is gone (its successor kills a QEMU it finds waiting), so the stream
 * can go nowhere. Once everything is sent, Finish's answer decides. */
static int on_destination_gone(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	MigrateFlow *f = userdata;
	const char *name, *old_owner, *new_owner;
	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || new_owner[0])
		return 0;
	Domain *d = flow_domain(f);
	f->dest_daemon = sd_bus_slot_unref(f->dest_daemon);
	if (d) {
		char msg[256];
		snprintf(msg, sizeof(msg), "The destination's zvirtd (%s) left its bus during the migration",
			 f->peer);
		domain_migrate_destination_lost(d, msg);
	}
	return 0;
}

/* --- Finish, there; Confirm, here ----------------------------------------- */

static int on_cancel_told(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	MigrateFlow *f = userdata;
	if (sd_bus_message_is_method_error(reply, NULL))
		log_warning("Domain %s: the destination %s did not take the migration's cancel: %s",
			    f->uuid_hex, f->peer, reply_error(reply, NULL));
	flow_free(f);
	return 0;
}

/* The migration failed here: the destination drops its half. */
static void tell_cancelled(MigrateFlow *f)
{
	f->call = sd_bus_slot_unref(f->call);
	if (!f->prepared ||
	    sd_bus_call_method_async(f->dest, &f->call, ZVIRT_BUS_NAME, ZVIRT_ROOT_PATH, ZVIRT_MANAGER_IFACE,
				     "FinishMigration", on_cancel_told, f, "sba{sv}", f->uuid_hex, 1, 0) < 0)
		flow_free(f);
}

static int on_finished(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	MigrateFlow *f = userdata;
	Domain *d = flow_domain(f);
	f->call = sd_bus_slot_unref(f->call);
	if (!d) {
		flow_free(f);
		return 0;
	}
	if (!sd_bus_message_is_method_error(reply, NULL))
		domain_migrate_confirm(d, DOMAIN_MIGRATE_CONFIRMED, NULL);
	else {
		_cleanup_free_ char *msg = NULL;
		bool answered = destination_answered(reply);
		if (asprintf(&msg,
			     answered ? "The destination %s could not start the guest: %s"
				      : "The destination %s did not say whether it runs the guest (%s); "
					"it stays paused here: resume it here only once it is known not to "
					"run there",
			     f->peer, reply_error(reply, NULL)) < 0)
			msg = NULL;
		domain_migrate_confirm(d, answered ? DOMAIN_MIGRATE_FAILED : DOMAIN_MIGRATE_UNKNOWN,
				       msg ?: "Out of memory");
	}
	flow_free(f);
	return 0;
}

static void on_performed(Domain *d, int r, const ZvError *err, void *userdata)
{
	MigrateFlow *f = userdata;
	if (r < 0)
		return tell_cancelled(f);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int k = sd_bus_message_new_method_call(f->dest, &m, ZVIRT_BUS_NAME, ZVIRT_ROOT_PATH,
					       ZVIRT_MANAGER_IFACE, "FinishMigration");
	if (k >= 0)
		k = sd_bus_message_append(m, "sba{sv}", f->uuid_hex, 0, 1, "suspend", "b", f->suspend);
	if (k >= 0)
		k = sd_bus_call_async(f->dest, &f->call, m, on_finished, f, FINISH_TIMEOUT_USEC);
	if (k < 0) {
		/* Not sent: the destination never resumes it. */
		char msg[256];
		snprintf(msg, sizeof(msg), "Cannot ask the destination %s to finish: %s", f->peer,
			 strerror(-k));
		domain_migrate_confirm(d, DOMAIN_MIGRATE_FAILED, msg);
		tell_cancelled(f);
	}
}

/* --- Prepare, there; Perform, here ---------------------------------------- */

static int perform(MigrateFlow *f, Domain *d, const char *uri, const char *disks_uri)
{
	ZvError err = ZV_ERROR_INIT;
	if (domain_migrate_perform(d, uri, disks_uri, on_performed, f, &err) < 0)
		tell_cancelled(f);
	return 0;
}

static int on_disks_uri(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	MigrateFlow *f = userdata;
	Domain *d = flow_domain(f);
	const char *disks_uri = NULL;
	f->call = sd_bus_slot_unref(f->call);
	if (!d) {
		tell_cancelled(f);
		return 0;
	}
	bool failed = sd_bus_message_is_method_error(reply, NULL);
	if (failed || sd_bus_message_read(reply, "v", "s", &disks_uri) < 0 || !*disks_uri) {
		_cleanup_free_ char *msg = NULL;
		if (asprintf(&msg, "The destination %s did not say where the disks go: %s", f->peer,
			     failed ? reply_error(reply, NULL) : "its job has no DisksUri") < 0)
			msg = NULL;
		domain_migrate_abort(d, msg ?: "Out of memory");
		tell_cancelled(f);
		return 0;
	}
	log_info("Domain %s: the destination %s serves the disks at %s", domain_name(d), f->peer, disks_uri);
	return perform(f, d, f->uri, disks_uri);
}

static int on_prepared(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	MigrateFlow *f = userdata;
	Domain *d = flow_domain(f);
	const char *uri = NULL, *job = NULL;
	f->call = sd_bus_slot_unref(f->call);

	bool failed = sd_bus_message_is_method_error(reply, NULL);
	int k = failed ? -EIO : sd_bus_message_read(reply, "so", &uri, &job);
	f->prepared = !failed;
	if (!d) {
		/* It went meanwhile (a transient domain destroyed). */
		tell_cancelled(f);
		return 0;
	}
	if (k < 0) {
		_cleanup_free_ char *msg = NULL;
		if (asprintf(&msg, "The destination %s refused the migration: %s", f->peer,
			     failed ? reply_error(reply, NULL) : "its answer does not read") < 0)
			msg = NULL;
		domain_migrate_abort(d, msg ?: "Out of memory");
		tell_cancelled(f);
		return 0;
	}
	log_info("Domain %s: the destination %s listens at %s (its job %s)", domain_name(d), f->peer, uri,
		 job);
	/* A match, not sd_bus_track, which would wait for GetNameOwner on the
	 * loop (over ssh perhaps): the unique name that answered. */
	const char *daemon = sd_bus_message_get_sender(reply);
	_cleanup_free_ char *match = NULL;
	if (daemon && asprintf(&match,
			       "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
			       "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
			       daemon) < 0)
		match = NULL;
	if (!match ||
	    sd_bus_add_match_async(f->dest, &f->dest_daemon, match, on_destination_gone, NULL, f) < 0)
		log_warning("Domain %s: cannot watch the destination's zvirtd; if it dies, the migration "
			    "fails only when QEMU notices",
			    domain_name(d));
	if (f->storage == MIGRATION_STORAGE_NONE)
		return perform(f, d, uri, NULL);
	/* The disks' NBD server there: the job's DisksUri. */
	_cleanup_free_ char *perform_uri = strdup(uri);
	if (!perform_uri || sd_bus_call_method_async(f->dest, &f->call, ZVIRT_BUS_NAME, job,
						     "org.freedesktop.DBus.Properties", "Get", on_disks_uri,
						     f, "ss", ZVIRT_JOB_IFACE, "DisksUri") < 0) {
		domain_migrate_abort(d, "Cannot ask the destination where the disks go");
		tell_cancelled(f);
		return 0;
	}
	free(f->uri);
	f->uri = TAKE_PTR(perform_uri);
	return 0;
}

static int append_disks(sd_bus_message *m, MigrationStorage storage, const char *const *targets,
			const uint64_t *sizes, size_t n)
{
	int r = sd_bus_message_append(m, "{sv}", "copy-storage", "s",
				      storage == MIGRATION_STORAGE_INC ? "inc" : "all");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'e', "sv");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", "copy-disks");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', "a{st}");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{st}");
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append(m, "{st}", targets[i], sizes[i]);
	for (int i = 0; r >= 0 && i < 3; i++)
		r = sd_bus_message_close_container(m);
	return r;
}

/* The disks to copy and their sizes are known: PrepareMigration there. */
static void on_disks(Domain *d, int r, const char *const *targets, const uint64_t *sizes, size_t n,
		     const ZvError *err, void *userdata)
{
	MigrateFlow *f = userdata;
	if (r < 0) {
		domain_migrate_abort(d, err->message);
		flow_free(f);
		return;
	}
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	int k = sd_bus_message_new_method_call(f->dest, &call, ZVIRT_BUS_NAME, ZVIRT_ROOT_PATH,
					       ZVIRT_MANAGER_IFACE, "PrepareMigration");
	if (k >= 0)
		k = sd_bus_message_append(call, "s", f->xml);
	if (k >= 0)
		k = sd_bus_message_open_container(call, 'a', "{sv}");
	if (k >= 0)
		k = sd_bus_message_append(call, "{sv}", "persistent", "b", f->persistent);
	if (k >= 0 && n > 0)
		k = append_disks(call, f->storage, targets, sizes, n);
	if (k >= 0)
		k = sd_bus_message_close_container(call);
	if (k >= 0)
		k = sd_bus_call_async(f->dest, &f->call, call, on_prepared, f, PREPARE_TIMEOUT_USEC);
	if (k < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "Cannot ask the destination %s: %s", f->peer, strerror(-k));
		domain_migrate_abort(d, msg);
		flow_free(f);
	}
}

static int open_destination(Objects *o, const MigrationDestination *dst, sd_bus **ret)
{
	_cleanup_(sd_bus_close_unrefp) sd_bus *b = NULL;
	int r;
	if (dst->ssh)
		/* ssh and systemd-stdio-bridge there, started now, not waited for. */
		r = sd_bus_open_system_remote(&b, dst->host);
	else {
		r = sd_bus_new(&b);
		if (r >= 0)
			r = sd_bus_set_address(b, dst->address);
		if (r >= 0)
			r = sd_bus_set_bus_client(b, 1);
		if (r >= 0)
			r = sd_bus_start(b);
	}
	if (r >= 0)
		r = sd_bus_attach_event(b, sd_bus_get_event(o->bus), SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(b);
	return 0;
}

static int method_migrate(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	const char *destination;
	bool live = false, persistent = false, undefine_source = false, suspend = false,
	     auto_converge = false, copy_all = false, copy_inc = false;
	_cleanup_strv_free_ char **migrate_disks = NULL;
	uint64_t timeout_s = 0, bandwidth = 0, downtime = 0;
	OptionsCommon common = {};
	const OptionSpec specs[] = {
		{"live", "b", &live},
		{"persistent", "b", &persistent},
		{"undefine-source", "b", &undefine_source},
		{"suspend", "b", &suspend},
		{"auto-converge", "b", &auto_converge},
		{"timeout-s", "t", &timeout_s},
		{"bandwidth-MiBps", "t", &bandwidth},
		{"max-downtime-ms", "t", &downtime},
		{"copy-storage-all", "b", &copy_all},
		{"copy-storage-inc", "b", &copy_inc},
		{"migrate-disks", "as", &migrate_disks},
		{},
	};
	assert(m);
	assert(d);

	int r = sd_bus_message_read(m, "s", &destination);
	if (r < 0)
		return r;
	r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	r = domain_authorize(d, m, MIGRATE_ACTION, "migrate", NULL, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	_cleanup_(migration_destination_done) MigrationDestination dst = {};
	_cleanup_free_ char *why = NULL;
	r = migration_destination_parse(destination, &dst, &why);
	if (r < 0)
		return bus_error_setf(error, r == -ENOMEM ? ZV_ERROR_HOST : ZV_ERROR_INVALID_ARGUMENT, "%s",
				      why ?: "Out of memory");

	if (copy_all && copy_inc)
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "copy-storage-all and copy-storage-inc exclude each other");
	DomainMigrateParams p = {
		.storage = copy_all   ? MIGRATION_STORAGE_ALL
			   : copy_inc ? MIGRATION_STORAGE_INC
				      : MIGRATION_STORAGE_NONE,
		.migrate_disks = (const char *const *)migrate_disks,
		.flags = (live ? DOMAIN_MIGRATE_LIVE : 0) |
			 (auto_converge ? DOMAIN_MIGRATE_AUTO_CONVERGE : 0) |
			 (undefine_source ? DOMAIN_MIGRATE_UNDEFINE_SOURCE : 0),
		.bandwidth_mibps = bandwidth,
		.max_downtime_ms = downtime,
		.timeout_s = timeout_s,
	};
	ZvError err = ZV_ERROR_INIT;
	/* The domain's side first: no connection for a migration refused here. */
	r = domain_migrate_check(d, &p, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);

	Objects *o = objects_of_domain(d);
	MigrateFlow *f = calloc(1, sizeof(*f));
	if (!f || !(f->peer = strdup(dst.peer))) {
		free(f);
		return bus_error_setf(error, ZV_ERROR_HOST, "Out of memory");
	}
	f->o = o;
	f->persistent = persistent;
	f->storage = p.storage;
	/* A guest paused here stays paused there (libvirt's rule). */
	f->suspend = suspend || domain_get_state(d) == DOMAIN_STATE_PAUSED;
	strncpy(f->uuid_hex, domain_uuid_hex(d), sizeof(f->uuid_hex) - 1);
	f->next = o->migrate_flows;
	o->migrate_flows = f;

	r = open_destination(o, &dst, &f->dest);
	if (r < 0) {
		flow_free(f);
		return bus_error_setf(error, ZV_ERROR_MIGRATION_FAILED,
				      "Cannot reach the destination %s: %s", dst.peer, strerror(-r));
	}

	Job *job = NULL;
	_cleanup_free_ char *xml = NULL;
	r = domain_migrate_begin(d, &p, &job, &xml, &err);
	if (r < 0) {
		flow_free(f);
		return bus_error_from_zv(error, &err, r);
	}
	f->migration_id = domain_migration_id(d);
	f->xml = TAKE_PTR(xml);
	/* The disks' sizes first, which the destination must match. */
	if (domain_migrate_disks(d, on_disks, f, &err) < 0) {
		domain_migrate_abort(d, err.message);
		flow_free(f);
	}
	char path[JOB_PATH_MAX];
	return sd_bus_reply_method_return(m, "o", job_object_path(job, path));
}

/* --- tuning --------------------------------------------------------------- */

static int read_tuning(sd_bus_message *m, Domain *d, const char *verb, uint64_t *value, sd_bus_error *error)
{
	OptionsCommon common = {};
	int r = value ? sd_bus_message_read(m, "t", value) : 0;
	if (r < 0)
		return r;
	r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	return domain_authorize(d, m, MIGRATE_ACTION, verb, NULL, common.no_user_interaction, error);
}

static int method_set_max_downtime(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	uint64_t ms;
	assert(m);
	assert(d);
	int r = read_tuning(m, d, "migrate-setmaxdowntime", &ms, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	ZvError err = ZV_ERROR_INIT;
	r = domain_set_migration_max_downtime(d, ms, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, NULL);
}

static int method_set_max_speed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	uint64_t mibps;
	assert(m);
	assert(d);
	int r = read_tuning(m, d, "migrate-setspeed", &mibps, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	ZvError err = ZV_ERROR_INIT;
	r = domain_set_migration_max_speed(d, mibps, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, NULL);
}

static int method_get_max_speed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	OptionsCommon common = {};
	assert(m);
	assert(d);
	int r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(m, "t", domain_get_migration_max_speed(d));
}

/* AbortJob: Cancel of the domain's job, whichever it is (virsh domjobabort). */
static int method_abort_job(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	OptionsCommon common = {};
	assert(m);
	assert(d);
	int r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	Job *j = domain_get_job(d);
	r = domain_authorize(d, m, j ? job_polkit_action(job_get_type(j)) : MIGRATE_ACTION, "domjobabort",
			     NULL, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	/* Asked again: it may have ended while polkit answered. */
	j = domain_get_job(d);
	if (!j)
		return bus_error_setf(error, ZV_ERROR_OPERATION_INVALID, "Domain '%s' has no job to abort",
				      domain_name(d));
	ZvError err = ZV_ERROR_INIT;
	r = job_cancel(j, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, NULL);
}

const sd_bus_vtable domain_migrate_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("Migrate", SD_BUS_ARGS("s", destination, "a{sv}", params),
				SD_BUS_RESULT("o", job), method_migrate, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("SetMigrationMaxDowntime", SD_BUS_ARGS("t", ms, "a{sv}", options),
				SD_BUS_NO_RESULT, method_set_max_downtime, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("SetMigrationMaxSpeed", SD_BUS_ARGS("t", mibps, "a{sv}", options),
				SD_BUS_NO_RESULT, method_set_max_speed, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("GetMigrationMaxSpeed", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("t", mibps), method_get_max_speed, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("AbortJob", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT,
				method_abort_job, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};
