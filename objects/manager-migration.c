/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Manager: the destination's half of a migration, xend's
 * relocation server. The source's daemon calls PrepareMigration (the
 * domain appears here, paused/migrating, with a QEMU that waits for the
 * stream) and FinishMigration (the guest runs here, or, cancelled, goes);
 * driver/migrate-incoming.h does the work. The caller of Prepare is
 * watched on the bus: when it leaves before Finish (its daemon died, its
 * ssh tunnel broke), the incoming migration is cancelled, as the source
 * lets its guest run again. A vtable of its own on the Manager's
 * interface, with the [Relocation] properties. */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/job.h"
#include "driver/migrate-incoming.h"
#include "driver/registry.h"
#include "errors.h"
#include "objects.h"
#include "options.h"
#include "parsed-call.h"
#include "polkit.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/utf8.h"

#define MIGRATE_ACTION "org.zvirt1.domain.migrate"
#define QUOTE_MAX      64

/* An incoming migration's source, watched until Finish. */
struct IncomingWatch {
	Objects *objects;
	struct IncomingWatch *next;
	char uuid_hex[SD_ID128_STRING_MAX];
	unsigned job_id; /* the migration-in job: a later migration is not this one */
	char *sender;    /* the source's unique name */
	sd_bus_slot *match, *check;
};

static void watch_unlink_free(IncomingWatch *w)
{
	if (!w)
		return;
	for (IncomingWatch **i = &w->objects->incoming_watches; *i; i = &(*i)->next)
		if (*i == w) {
			*i = w->next;
			break;
		}
	sd_bus_slot_unref(w->match);
	sd_bus_slot_unref(w->check);
	free(w->sender);
	free(w);
}

static IncomingWatch *watch_find(Objects *o, const char *uuid_hex)
{
	for (IncomingWatch *w = o->incoming_watches; w; w = w->next)
		if (strcmp(w->uuid_hex, uuid_hex) == 0)
			return w;
	return NULL;
}

void objects_incoming_done(Objects *o)
{
	while (o->incoming_watches)
		watch_unlink_free(o->incoming_watches);
}

static int source_gone(IncomingWatch *w)
{
	Domain *d = registry_find_by_uuid(w->objects->registry, w->uuid_hex);
	Job *j = d ? domain_get_job(d) : NULL;
	ZvError err = ZV_ERROR_INIT;
	if (j && job_get_type(j) == JOB_MIGRATION_IN && job_get_id(j) == w->job_id &&
	    domain_incoming_cancel(d, "the source left the bus before it finished", NULL, NULL, &err) < 0)
		log_debug("Domain %s: %s", domain_name(d), err.message);
	watch_unlink_free(w);
	return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *name, *old_owner, *new_owner;
	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || new_owner[0])
		return 0;
	return source_gone(userdata);
}

/* The match is in place: whether the source is still there (it may have
 * left before), asked without waiting, as sd_bus_track would wait. */
static int on_owner_checked(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	IncomingWatch *w = userdata;
	w->check = sd_bus_slot_unref(w->check);
	if (sd_bus_message_is_method_error(m, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
		return source_gone(w);
	return 0;
}

static int on_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	IncomingWatch *w = userdata;
	if (sd_bus_message_is_method_error(m, NULL)) {
		log_warning("Cannot watch the migration source %s: %s", w->sender,
			    sd_bus_message_get_error(m)->message);
		return 0;
	}
	if (sd_bus_call_method_async(sd_bus_message_get_bus(m), &w->check, "org.freedesktop.DBus",
				     "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
				     on_owner_checked, w, "s", w->sender) < 0)
		log_warning("Cannot ask whether the migration source %s is still there", w->sender);
	return 0;
}

static int watch_source(Objects *o, sd_bus_message *m, Domain *d, const Job *job)
{
	watch_unlink_free(watch_find(o, domain_uuid_hex(d)));
	const char *sender = sd_bus_message_get_sender(m);
	if (!sender)
		return -ENXIO;
	_cleanup_free_ IncomingWatch *w = calloc(1, sizeof(*w));
	if (!w || !(w->sender = strdup(sender)))
		return -ENOMEM;
	w->objects = o;
	w->job_id = job_get_id(job);
	memcpy(w->uuid_hex, domain_uuid_hex(d), sizeof(w->uuid_hex));
	_cleanup_free_ char *match = NULL;
	if (asprintf(&match,
		     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
		     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
		     sender) < 0)
		match = NULL;
	int r = match ? sd_bus_add_match_async(o->bus, &w->match, match, on_name_owner_changed,
					       on_match_installed, w)
		      : -ENOMEM;
	if (r < 0) {
		free(w->sender);
		return r;
	}
	w->next = o->incoming_watches;
	o->incoming_watches = TAKE_PTR(w);
	return 0;
}

/* --- PrepareMigration ------------------------------------------------------ */

static void on_prepared(Registry *r, int result, Domain *d, const char *uri, Job *job, const ZvError *err,
			void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	if (result < 0) {
		(void)bus_reply_zv_error(m, err, result);
		return;
	}
	Objects *o = objects_of_domain(d);
	int k = watch_source(o, m, d, job);
	if (k < 0) {
		/* Unwatched, a source that dies would leave it here forever. */
		ZvError e = ZV_ERROR_INIT;
		(void)domain_incoming_cancel(d, "cannot watch the source on the bus", NULL, NULL, &e);
		(void)sd_bus_reply_method_errno(m, k, NULL);
		return;
	}
	char path[JOB_PATH_MAX];
	(void)sd_bus_reply_method_return(m, "so", uri, job_object_path(job, path));
}

static void prepare_start(Objects *o, sd_bus_message *m, RegistryCreate *c, void *opts)
{
	registry_incoming_start(c, opts, on_prepared, sd_bus_message_ref(m));
}

static void prepare_free_opts(void *opts)
{
	domain_incoming_params_done(opts);
}

/* As CreateXML: parsed first, so that polkit sees the domain. */
static const ParsedCallOps prepare_ops = {
	.action = MIGRATE_ACTION,
	.verb = "migrate-prepare",
	.start = prepare_start,
	.free_opts = prepare_free_opts,
};

/* copy-storage ("all", "inc") and copy-disks (target → size) into p. */
static int read_copy_options(const char *storage, OptionSizes *disks, DomainIncomingParams *p,
			     sd_bus_error *error)
{
	if (!storage)
		p->storage = MIGRATION_STORAGE_NONE;
	else if (strcmp(storage, "all") == 0)
		p->storage = MIGRATION_STORAGE_ALL;
	else if (strcmp(storage, "inc") == 0)
		p->storage = MIGRATION_STORAGE_INC;
	else {
		char quoted[UTF8_SHORTEN_SIZE(QUOTE_MAX)];
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "copy-storage is 'all' or 'inc', not '%s'",
				      utf8_shorten(storage, QUOTE_MAX, quoted));
	}
	p->copy_disks = TAKE_PTR(disks->keys);
	p->copy_sizes = TAKE_PTR(disks->values);
	p->n_copy = disks->n;
	disks->n = 0;
	return 0;
}

static int method_prepare_migration(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	DomainIncomingParams p = {};
	const char *storage = NULL;
	_cleanup_(option_sizes_done) OptionSizes disks = {};
	const OptionSpec specs[] = {
		{"persistent", "b", &p.persistent},
		{"copy-storage", "s", &storage},
		{"copy-disks", "a{st}", &disks},
		{},
	};
	const char *xml;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "s", &xml);
	if (r < 0)
		return r;
	r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	r = read_copy_options(storage, &disks, &p, error);
	if (r < 0)
		return r;
	/* Refused before any work when this host takes no migrations. */
	if (!o->settings->relocation_server) {
		domain_incoming_params_done(&p);
		return bus_error_setf(error, ZV_ERROR_OPERATION_INVALID,
				      "This host does not accept migrations: [Relocation] Server=no");
	}
	return parsed_call_dispatch(o, m, xml, &prepare_ops, &p, sizeof(p), common.no_user_interaction,
				    error);
}

/* --- FinishMigration -------------------------------------------------------- */

static void on_finished(Domain *d, int r, const ZvError *err, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	/* Unknown: not an org.zvirt1 error, which would tell the source
	 * that the guest does not run here. */
	if (r < 0 && !err) {
		(void)sd_bus_reply_method_errno(m, -r, NULL);
		return;
	}
	if (r < 0) {
		(void)bus_reply_zv_error(m, err, r);
		return;
	}
	char path[DOMAIN_PATH_MAX];
	(void)sd_bus_reply_method_return(m, "o", domain_object_path(d, path));
}

static void on_cancelled(Domain *d, int r, const ZvError *err, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	if (r < 0)
		(void)bus_reply_zv_error(m, err, r);
	else
		(void)sd_bus_reply_method_return(m, "o", "/");
}

static int method_finish_migration(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	bool suspend = false;
	const OptionSpec specs[] = {{"suspend", "b", &suspend}, {}};
	const char *uuid;
	int cancelled;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "sb", &uuid, &cancelled);
	if (r < 0)
		return r;
	r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	Domain *d = registry_find_by_uuid(o->registry, uuid);
	if (!d) {
		char quoted[UTF8_SHORTEN_SIZE(QUOTE_MAX)];
		return bus_error_setf(error, ZV_ERROR_NO_SUCH_DOMAIN, "No domain has UUID '%s' here",
				      utf8_shorten(uuid, QUOTE_MAX, quoted));
	}
	r = domain_authorize(d, m, MIGRATE_ACTION, cancelled ? "migrate-cancel" : "migrate-finish", NULL,
			     common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	/* Asked again: the domain may have gone while polkit answered. */
	d = registry_find_by_uuid(o->registry, uuid);
	if (!d)
		return bus_error_setf(error, ZV_ERROR_NO_SUCH_DOMAIN, "The domain went while authorizing");

	ZvError err = ZV_ERROR_INIT;
	if (cancelled)
		r = domain_incoming_cancel(d, "the source cancelled the migration", on_cancelled,
					   sd_bus_message_ref(m), &err);
	else
		r = domain_incoming_finish(d, suspend, on_finished, sd_bus_message_ref(m), &err);
	if (r < 0) {
		sd_bus_message_unref(m);
		return bus_error_from_zv(error, &err, r);
	}
	/* The source has spoken: its leaving no longer cancels anything. */
	watch_unlink_free(watch_find(o, domain_uuid_hex(d)));
	return 1;
}

/* --- the [Relocation] properties -------------------------------------------- */

static int prop_relocation(sd_bus *bus, const char *path, const char *iface, const char *prop,
			   sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const Objects *o = userdata;
	assert(reply);
	assert(o);
	if (strcmp(prop, "RelocationServer") == 0)
		return sd_bus_message_append(reply, "b", (int)o->settings->relocation_server);
	if (strcmp(prop, "RelocationAddress") == 0)
		return sd_bus_message_append(reply, "s", o->settings->relocation_address);
	return sd_bus_message_append(reply, "q", (uint16_t)o->settings->relocation_port);
}

const sd_bus_vtable manager_migration_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("RelocationServer", "b", prop_relocation, 0, 0),
	SD_BUS_PROPERTY("RelocationAddress", "s", prop_relocation, 0, 0),
	SD_BUS_PROPERTY("RelocationPort", "q", prop_relocation, 0, 0),
	SD_BUS_METHOD_WITH_ARGS("PrepareMigration", SD_BUS_ARGS("s", xml, "a{sv}", options),
				SD_BUS_RESULT("s", uri, "o", job), method_prepare_migration,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("FinishMigration", SD_BUS_ARGS("s", uuid, "b", cancelled, "a{sv}", options),
				SD_BUS_RESULT("o", domain), method_finish_migration,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};
