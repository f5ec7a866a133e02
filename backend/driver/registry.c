/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The set of all domains of this host: define, validate, undefine,
 * autostart, loading at daemon start, and the emulator probe whose
 * answer expands machine aliases. */

#include "registry.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dac.h"
#include "domain-internal.h"
#include "registry-internal.h"
#include "store.h"
#include "util/cleanup.h"
#include "util/log.h"

int registry_new(sd_event *event, const Settings *settings, Registry **ret)
{
	Registry *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->event = sd_event_ref(event);
	r->settings = settings;
	r->by_uuid = hashmap_new();
	r->by_name = hashmap_new();
	r->next_id = 1;
	if (!r->by_uuid || !r->by_name) {
		registry_free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

static void define_jobs_cancel(Registry *r);

Registry *registry_free(Registry *r)
{
	if (!r)
		return NULL;
	/* Running parses end first; queued ones never start. */
	r->worker = worker_free(r->worker);
	define_jobs_cancel(r);
	Domain *d;
	for (size_t i = 0; hashmap_iterate(r->by_uuid, &i, (void **)&d);)
		domain_free(d);
	hashmap_free(r->by_uuid);
	hashmap_free(r->by_name);
	qemu_caps_probe_free(r->caps_probe);
	qemu_caps_free(r->caps);
	sd_event_unref(r->event);
	free(r);
	return NULL;
}

void registry_set_callbacks(Registry *r, const RegistryCallbacks *cb)
{
	r->callbacks = *cb;
}

void *registry_get_userdata(const Registry *r)
{
	return r->callbacks.userdata;
}

const QemuCaps *registry_get_caps(const Registry *r)
{
	return r->caps;
}

sd_event *registry_get_event(const Registry *r)
{
	return r->event;
}

const Settings *registry_get_settings(const Registry *r)
{
	return r->settings;
}

int registry_next_id(Registry *r)
{
	return r->next_id++;
}

size_t registry_count_active(const Registry *r)
{
	return r->n_active;
}

void registry_xml_defaults(const Registry *r, DomainXMLDefaults *ret)
{
	*ret = (DomainXMLDefaults){.emulator = r->settings->emulator};
}

Domain *registry_find_by_uuid(const Registry *r, const char *uuid)
{
	sd_id128_t id;
	if (sd_id128_from_string(uuid, &id) < 0)
		return NULL;
	return hashmap_get(r->by_uuid, SD_ID128_TO_STRING(id));
}

Domain *registry_find_by_name(const Registry *r, const char *name)
{
	return hashmap_get(r->by_name, name);
}

size_t registry_count(const Registry *r)
{
	return hashmap_size(r->by_uuid);
}

bool registry_iterate(const Registry *r, size_t *state, Domain **ret)
{
	return hashmap_iterate(r->by_uuid, state, (void **)ret);
}

/* A new Domain for def (taken in every case), in both maps. */
static int registry_insert(Registry *r, DomainDef *def, bool persistent, Domain **ret)
{
	Domain *d;
	int k = domain_new(r, def, persistent, &d);
	if (k < 0) {
		domain_def_free(def);
		return k;
	}
	k = hashmap_put(r->by_uuid, d->uuid_hex, d);
	if (k >= 0) {
		k = hashmap_put(r->by_name, d->def->name, d);
		if (k < 0)
			hashmap_remove(r->by_uuid, d->uuid_hex);
	}
	if (k < 0) {
		domain_free(d);
		return k;
	}
	*ret = d;
	return 0;
}

void registry_remove(Registry *r, Domain *d)
{
	if (r->callbacks.domain_removed)
		r->callbacks.domain_removed(d, r->callbacks.userdata);
	hashmap_remove(r->by_uuid, d->uuid_hex);
	hashmap_remove(r->by_name, d->def->name);
	if (domain_state_is_active(d->state))
		r->n_active--;
	domain_free(d);
	if (r->callbacks.domain_count_changed)
		r->callbacks.domain_count_changed(r->callbacks.userdata);
}

void registry_notify_state(Registry *r, Domain *d, DomainState old)
{
	bool was_active = domain_state_is_active(old), active = domain_state_is_active(d->state);
	if (was_active != active) {
		if (active)
			r->n_active++;
		else
			r->n_active--;
	}
	if (r->callbacks.domain_state_changed)
		r->callbacks.domain_state_changed(d, r->callbacks.userdata);
}

void registry_notify_crashed(Registry *r, Domain *d, const DomainCrashInfo *info)
{
	if (r->callbacks.domain_crashed)
		r->callbacks.domain_crashed(d, info, r->callbacks.userdata);
}

void registry_notify_definition(Registry *r, Domain *d)
{
	if (r->callbacks.domain_definition_changed)
		r->callbacks.domain_definition_changed(d, r->callbacks.userdata);
}

/* The name and UUID rules of DefineXML: a UUID keeps its name, a name
 * keeps its UUID. */
static int check_conflicts(Registry *r, const DomainDef *def, Domain **ret_existing, ZvError *err)
{
	Domain *by_uuid = hashmap_get(r->by_uuid, SD_ID128_TO_STRING(def->uuid));
	Domain *by_name = hashmap_get(r->by_name, def->name);

	if (by_uuid && strcmp(by_uuid->def->name, def->name) != 0)
		return zv_error_set(err, ZV_ERROR_DOMAIN_EXISTS, EEXIST,
				    "UUID %s already belongs to domain '%s'; use Rename to change its name",
				    by_uuid->uuid, by_uuid->def->name);
	if (by_name && by_name != by_uuid)
		return zv_error_set(err, ZV_ERROR_DOMAIN_EXISTS, EEXIST,
				    "A domain named '%s' already exists with UUID %s", def->name,
				    by_name->uuid);
	*ret_existing = by_uuid;
	return 0;
}

/* The define-time expansion (docs/dbus-api.md, DefineXML): s390-ccw-virtio is an alias, stored
 * as the host's versioned type so that migration keeps the machine.
 * 1 when it changed def, 0 when there was nothing to expand (or nothing
 * to expand it with yet). */
static int expand_machine(Registry *r, DomainDef *def, ZvError *err)
{
	if (!r->caps || !def->emulator || strcmp(def->emulator, r->caps->emulator) != 0 || !def->os_machine)
		return 0;

	const char *resolved = qemu_caps_resolve_machine(r->caps, def->os_machine);
	if (!resolved) {
		char list[1024] = "";
		for (size_t i = 0; i < r->caps->n_machines; i++) {
			if (strncmp(r->caps->machines[i].name, "s390", 4) != 0)
				continue;
			if (*list)
				strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			strncat(list, r->caps->machines[i].name, sizeof(list) - strlen(list) - 1);
		}
		return zv_error_set(
			err, ZV_ERROR_INVALID_XML, EINVAL,
			"Invalid domain XML at /domain/os/type: machine type '%s' is not offered by %s; "
			"it offers: %s",
			def->os_machine, def->emulator, list);
	}
	if (strcmp(resolved, def->os_machine) != 0) {
		char *m = strdup(resolved);
		if (!m)
			return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		free(def->os_machine);
		def->os_machine = m;
		return 1;
	}
	return 0;
}

static int parse(Registry *r, const char *xml, size_t len, DomainDef **ret, ZvError *err)
{
	DomainXMLDefaults defaults;
	DomainDef *def = NULL;
	registry_xml_defaults(r, &defaults);
	int k = domain_def_parse(xml, len, &defaults, 0, &def, err);
	if (k < 0)
		return k;
	k = expand_machine(r, def, err);
	if (k < 0) {
		domain_def_free(def);
		return k;
	}
	*ret = def;
	return 0;
}

/* Definitions that came before the probe's answer (defined in the first
 * moments after a start, or placed in StateDir by hand) still name the
 * alias: expand them now, as DefineXML would have. A type the emulator
 * does not offer stays as it is; starting it will say so. */
static void expand_pending_machines(Registry *r)
{
	Domain *d;
	for (size_t i = 0; registry_iterate(r, &i, &d);) {
		if (expand_machine(r, d->def, NULL) <= 0)
			continue;
		log_info("Domain %s: machine type is %s on this host", domain_name(d), d->def->os_machine);
		if (d->persistent)
			(void)store_save_definition(r->settings, d->def);
		registry_notify_definition(r, d);
	}
}

static void on_caps(QemuCaps *caps, int error, void *userdata)
{
	Registry *r = userdata;
	r->caps_probe = qemu_caps_probe_free(r->caps_probe);
	if (!caps)
		return;
	qemu_caps_free(r->caps);
	r->caps = caps;
	log_info("Emulator %s: %zu machine types, s390-ccw-virtio is %s", caps->emulator, caps->n_machines,
		 qemu_caps_resolve_machine(caps, "s390-ccw-virtio") ?: "not offered");
	expand_pending_machines(r);
}

int registry_probe_caps(Registry *r)
{
	r->caps_probe = qemu_caps_probe_free(r->caps_probe);
	if (r->caps && strcmp(r->caps->emulator, r->settings->emulator) == 0)
		return 0;
	r->caps = qemu_caps_free(r->caps);
	return qemu_caps_probe(r->event, r->settings->emulator, r->settings->run_dir, on_caps, r,
			       &r->caps_probe);
}

/* After the durable write: the registry takes the definition (taken in
 * every case). Since the check, other defines were held back and other
 * calls can only have removed domains, so the UUID decides alone: an edit
 * of the domain that has it, or a new domain. */
static int define_commit(Registry *r, DomainDef *def_in, Domain **ret, ZvError *err)
{
	_cleanup_(domain_def_freep) DomainDef *def = def_in;
	Domain *d = hashmap_get(r->by_uuid, SD_ID128_TO_STRING(def->uuid));

	if (d) {
		/* A new definition for the next start. The name key points into
		 * the old def, so re-key it. */
		hashmap_remove(r->by_name, d->def->name);
		domain_def_free(d->def);
		d->def = TAKE_PTR(def);
		(void)hashmap_put(r->by_name, d->def->name, d);
		bool was_transient = !d->persistent;
		d->persistent = true;
		if (was_transient && d->live)
			(void)domain_save_status(d);
		registry_notify_definition(r, d);
	} else {
		char uuid_hex[SD_ID128_STRING_MAX];
		sd_id128_to_string(def->uuid, uuid_hex);
		int k = registry_insert(r, TAKE_PTR(def), true, &d);
		if (k < 0) {
			(void)store_remove_definition(r->settings, uuid_hex);
			return zv_error_set(err, ZV_ERROR_HOST, k, "Out of memory");
		}
		if (r->callbacks.domain_added)
			r->callbacks.domain_added(d, r->callbacks.userdata);
	}
	log_info("Defined domain %s (%s)", d->def->name, d->uuid);
	*ret = d;
	return 0;
}

/* --- DefineXML and ValidateXML off the loop ------------------------------ */

typedef struct DefineJob {
	Registry *registry;
	struct DefineJob *next, *prev; /* every job not yet answered */
	struct DefineJob *write_next;  /* the queue of durable writes */
	bool define;                   /* else validate */
	const char *xml;
	size_t len;
	char *emulator;  /* the default, copied: a reload may replace the settings */
	char *state_dir; /* likewise, for the write */
	registry_define_fn cb;
	void *userdata;
	/* Filled in the worker threads. */
	DomainDef *def;
	ZvError err;
} DefineJob;

static void define_job_unlink(DefineJob *j)
{
	Registry *r = j->registry;
	if (j->prev)
		j->prev->next = j->next;
	else
		r->define_jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
}

static void define_job_free(DefineJob *j)
{
	domain_def_free(j->def);
	free(j->emulator);
	free(j->state_dir);
	free(j);
}

static int define_job_parse(void *userdata)
{
	DefineJob *j = userdata;
	DomainXMLDefaults defaults = {.emulator = j->emulator};
	return domain_def_parse(j->xml, j->len, &defaults, 0, &j->def, &j->err);
}

/* Answers the caller and forgets the job. */
static void define_job_finish(DefineJob *j, int result, Domain *d)
{
	Registry *r = j->registry;
	define_job_unlink(j);
	j->cb(r, result < 0 ? result : 0, result < 0 ? NULL : d, result < 0 ? &j->err : NULL, j->userdata);
	define_job_free(j);
}

static int define_job_write(void *userdata)
{
	DefineJob *j = userdata;
	return store_save_definition_at(j->state_dir, j->def);
}

static void write_queue_pump(Registry *r);

static void define_job_written(int result, void *userdata)
{
	DefineJob *j = userdata;
	Registry *r = j->registry;
	Domain *d = NULL;

	r->writing = NULL;
	if (result < 0)
		zv_error_set(&j->err, ZV_ERROR_HOST, result, "Cannot store the definition in %s/domains: %s",
			     j->state_dir, strerror(-result));
	else
		result = define_commit(r, TAKE_PTR(j->def), &d, &j->err);
	define_job_finish(j, result, d);
	write_queue_pump(r);
}

/* One durable write at a time, each checked against the registry right
 * before it starts: writes land in the order their checks passed, and no
 * check is outdated by another define. The loop never waits for fsync. */
static void write_queue_pump(Registry *r)
{
	DefineJob *j;
	while (!r->writing && (j = r->write_head)) {
		Domain *existing;
		r->write_head = j->write_next;
		if (!r->write_head)
			r->write_tail = NULL;

		int k = expand_machine(r, j->def, &j->err);
		if (k >= 0)
			k = check_conflicts(r, j->def, &existing, &j->err);
		if (k >= 0 && !(j->state_dir = strdup(r->settings->state_dir)))
			k = zv_error_set(&j->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		if (k >= 0) {
			k = worker_submit(r->worker, define_job_write, define_job_written, j, NULL);
			if (k < 0)
				zv_error_set(&j->err, ZV_ERROR_HOST, k, "Cannot queue the write: %s",
					     strerror(-k));
		}
		if (k < 0) {
			define_job_finish(j, k, NULL);
			continue;
		}
		r->writing = j;
	}
}

static void define_job_parsed(int result, void *userdata)
{
	DefineJob *j = userdata;
	Registry *r = j->registry;
	Domain *existing;

	if (result >= 0)
		result = dac_check_emulator(r->settings, j->def, &j->err);
	if (result >= 0 && j->define) {
		/* On disk first: a definition we cannot store is not defined. */
		if (r->write_tail)
			r->write_tail->write_next = j;
		else
			r->write_head = j;
		r->write_tail = j;
		write_queue_pump(r);
		return;
	}
	if (result >= 0) {
		result = expand_machine(r, j->def, &j->err);
		if (result >= 0)
			result = check_conflicts(r, j->def, &existing, &j->err);
	}
	define_job_finish(j, result, NULL);
}

bool registry_definition_pending(const Registry *r, const char *uuid_hex)
{
	/* Only parsed jobs: a parse under way writes j->def on its thread. */
	if (r->writing && strcmp(SD_ID128_TO_STRING(r->writing->def->uuid), uuid_hex) == 0)
		return true;
	for (const DefineJob *j = r->write_head; j; j = j->write_next)
		if (strcmp(SD_ID128_TO_STRING(j->def->uuid), uuid_hex) == 0)
			return true;
	return false;
}

static void define_jobs_cancel(Registry *r)
{
	DefineJob *j;
	r->write_head = r->write_tail = r->writing = NULL;
	while ((j = r->define_jobs)) {
		define_job_unlink(j);
		ZvError err = ZV_ERROR_INIT;
		int k = zv_error_set(&err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				     "zvirtd is stopping: the domain XML was not %s",
				     j->define ? "defined" : "validated");
		j->cb(r, k, NULL, &err, j->userdata);
		define_job_free(j);
	}
}

static int define_job_submit(Registry *r, bool define, const char *xml, size_t len, registry_define_fn cb,
			     void *userdata)
{
	assert(cb);
	int k;
	if (!r->worker) {
		k = worker_new(r->event, 2, &r->worker);
		if (k < 0)
			return k;
	}
	DefineJob *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	*j = (DefineJob){.registry = r,
			 .define = define,
			 .xml = xml,
			 .len = len,
			 .cb = cb,
			 .userdata = userdata,
			 .err = ZV_ERROR_INIT};
	if (r->settings->emulator && !(j->emulator = strdup(r->settings->emulator))) {
		free(j);
		return -ENOMEM;
	}
	k = worker_submit(r->worker, define_job_parse, define_job_parsed, j, NULL);
	if (k < 0) {
		define_job_free(j);
		return k;
	}
	j->next = r->define_jobs;
	if (j->next)
		j->next->prev = j;
	r->define_jobs = j;
	return 0;
}

int registry_define_async(Registry *r, const char *xml, size_t len, registry_define_fn cb, void *userdata)
{
	return define_job_submit(r, true, xml, len, cb, userdata);
}

int registry_validate_async(Registry *r, const char *xml, size_t len, registry_define_fn cb, void *userdata)
{
	return define_job_submit(r, false, xml, len, cb, userdata);
}

int registry_undefine(Registry *r, Domain *d, UndefineFlags flags, ZvError *err)
{
	int k;

	if (!d->persistent)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' is transient: it has no definition to remove",
				    domain_name(d));

	if (domain_state_is_active(d->state) && !(flags & UNDEFINE_KEEP_RUNNING)) {
		k = lifecycle_check(DOMAIN_OP_UNDEFINE, d->state, d->reason, domain_name(d), err);
		if (k < 0)
			return k;
	}
	k = domain_check_idle(d, DOMAIN_OP_UNDEFINE, err);
	if (k < 0)
		return k;
	if (registry_definition_pending(r, d->uuid_hex))
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "Undefine is not possible now: a new definition of '%s' is being stored",
				    domain_name(d));

	k = store_remove_definition(r->settings, d->uuid_hex);
	if (k < 0)
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot remove the definition of '%s': %s",
				    domain_name(d), strerror(-k));

	log_info("Undefined domain %s (%s)", domain_name(d), d->uuid);
	if (domain_state_is_active(d->state)) {
		/* Keeps running as a transient domain; gone when it stops. */
		d->persistent = false;
		d->autostart = false;
		(void)domain_save_status(d);
		registry_notify_definition(r, d);
	} else
		registry_remove(r, d);
	return 0;
}

static int load_definition(const char *path, const char *xml, size_t len, void *userdata)
{
	Registry *r = userdata;
	DomainDef *def = NULL;
	Domain *d = NULL;
	ZvError err = ZV_ERROR_INIT;

	if (parse(r, xml, len, &def, &err) < 0) {
		log_warning("Skipping %s: %s", path, err.message);
		return 0;
	}
	if (hashmap_get(r->by_name, def->name) || hashmap_get(r->by_uuid, SD_ID128_TO_STRING(def->uuid))) {
		log_warning("Skipping %s: domain '%s' is defined twice", path, def->name);
		domain_def_free(def);
		return 0;
	}
	return registry_insert(r, def, true, &d);
}

static int load_status(const char *uuid_hex, DomainStatus *st, void *userdata)
{
	Registry *r = userdata;
	Domain *d = hashmap_get(r->by_uuid, uuid_hex);

	if (!d) {
		/* A transient domain: its live definition is all there is. */
		DomainDef *def = domain_def_copy(st->live);
		if (!def || registry_insert(r, def, false, &d) < 0)
			return -ENOMEM;
	}

	d->live = TAKE_PTR(st->live);
	d->state = st->state;
	d->reason = st->reason;
	d->sequence = st->sequence;
	d->id = st->id;
	d->log_path = TAKE_PTR(st->log_path);
	dac_take_owners(d, &st->owners);
	if (st->id >= r->next_id)
		r->next_id = st->id + 1;
	/* A Start in flight has QEMU but is still shut-off. */
	if (domain_state_is_active(st->state))
		r->n_active++;

	/* What was asked for carries on with the new daemon. */
	d->restart_pending = st->restart_pending;
	d->stop_expected = st->stop_expected;
	d->stop_reason = st->stop_reason;
	if (st->starting) {
		/* Nobody waits for it any more, but the Start finishes. */
		d->op = DOMAIN_OP_START;
		d->op_active = true;
		d->op_call = (DomainCall){};
		d->start_flags = st->start_paused ? DOMAIN_START_PAUSED : 0;
	}

	/* On failure d is shut off, and gone if it was transient. */
	if (domain_reattach(d, st->pid, st->qmp_path) >= 0 && st->kill_at_usec > 0 &&
	    domain_arm_kill_deadline(d, st->kill_at_usec) < 0)
		log_error("Domain %s: cannot arm its SIGKILL deadline again", domain_name(d));
	return 0;
}

static int load_autostart(const char *uuid_hex, void *userdata)
{
	Registry *r = userdata;
	Domain *d = hashmap_get(r->by_uuid, uuid_hex);
	if (d && d->persistent) {
		d->autostart = true;
		return 0;
	}
	/* Its definition is gone or did not load: nothing to start. */
	log_warning("Removing the autostart mark of %s: no such domain is defined", uuid_hex);
	(void)store_set_autostart(r->settings, uuid_hex, false);
	return 0;
}

int registry_load(Registry *r)
{
	int k = store_prepare_dirs(r->settings);
	if (k < 0)
		return k;

	k = store_foreach_definition(r->settings, load_definition, r);
	if (k < 0)
		return k;

	k = store_foreach_autostart(r->settings, load_autostart, r);
	if (k < 0)
		return k;

	DomainXMLDefaults defaults;
	registry_xml_defaults(r, &defaults);
	k = store_foreach_status(r->settings, &defaults, load_status, r);
	if (k < 0)
		return k;

	/* QEMUs that no status file names: their daemon died between fork
	 * and writing it. Their pidfile lock gives them away. */
	Domain *d;
	for (size_t i = 0; registry_iterate(r, &i, &d);) {
		if (d->process)
			continue;
		_cleanup_free_ char *pidfile = domain_pidfile_path(d);
		if (pidfile)
			(void)domain_kill_stray_qemu(d, pidfile);
	}

	log_info("Loaded %zu domains, %zu active", registry_count(r), r->n_active);
	return 0;
}

int registry_set_autostart(Registry *r, Domain *d, bool autostart, ZvError *err)
{
	if (!d->persistent)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' is transient: only a defined domain can start at boot",
				    domain_name(d));
	if (d->autostart == autostart)
		return 0;

	int k = store_set_autostart(r->settings, d->uuid_hex, autostart);
	if (k < 0)
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot %s autostart of '%s': %s",
				    autostart ? "enable" : "disable", domain_name(d), strerror(-k));
	d->autostart = autostart;
	log_info("Domain %s: autostart %s", domain_name(d), autostart ? "enabled" : "disabled");
	registry_notify_definition(r, d);
	return 0;
}

static void on_autostarted(Domain *d, int r, const ZvError *err, void *userdata)
{
	if (r < 0)
		log_error("Domain %s: autostart failed: %s", domain_name(d), err->message);
	else
		log_info("Domain %s: autostarted", domain_name(d));
}

int registry_autostart(Registry *r)
{
	int k = store_claim_boot_autostart(r->settings);
	if (k < 0)
		return log_error_errno(k, "Cannot mark %s for this boot: %m", r->settings->run_dir);
	if (k == 0) {
		log_debug("Domains were autostarted earlier in this boot");
		return 0;
	}

	Domain *d;
	unsigned n = 0;
	for (size_t i = 0; registry_iterate(r, &i, &d);) {
		if (!d->autostart || domain_state_is_active(d->state))
			continue;
		ZvError err = ZV_ERROR_INIT;
		if (domain_start(d, 0, on_autostarted, NULL, &err) < 0)
			log_error("Domain %s: autostart failed: %s", domain_name(d), err.message);
		else
			n++;
	}
	if (n > 0)
		log_info("Autostarting %u domains", n);
	return 0;
}
