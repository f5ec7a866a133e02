/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The set of all domains of this host: define, validate, undefine,
 * loading at daemon start, and the emulator probe whose answer expands
 * machine aliases. define.c, undefine.c and autostart.c change the set. */

#include "net.h"
#include "registry.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dac.h"
#include "domain-internal.h"
#include "job-internal.h"
#include "registry-internal.h"
#include "save-internal.h"
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

Registry *registry_free(Registry *r)
{
	if (!r)
		return NULL;
	/* Running parses and the write under way end first, queued ones
	 * never start; then every call still waiting is answered. */
	r->worker = worker_free(r->worker);
	registry_net_ovs_free(r);
	r->writes = write_queue_free(r->writes);
	registry_cancel_defines(r);
	registry_cancel_creates(r);
	registry_cancel_natives(r);
	Domain *d;
	for (size_t i = 0; hashmap_iterate(r->by_uuid, &i, (void **)&d);)
		domain_free(d);
	hashmap_free(r->by_uuid);
	hashmap_free(r->by_name);
	registry_free_jobs(r);
	qemu_caps_probe_free(r->caps_probe);
	sd_event_source_disable_unref(r->caps_retry);
	qemu_caps_free(r->caps);
	sd_event_unref(r->event);
	free(r);
	return NULL;
}

int registry_start_worker(Registry *r)
{
	if (r->worker)
		return 0;
	int k = worker_new(r->event, 2, &r->worker);
	if (k < 0)
		return k;
	k = write_queue_new(r->worker, &r->writes);
	if (k < 0)
		r->worker = worker_free(r->worker);
	return k;
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
int registry_insert(Registry *r, DomainDef *def, bool persistent, Domain **ret)
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
int registry_check_conflicts(Registry *r, const DomainDef *def, Domain **ret_existing, ZvError *err)
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
int registry_expand_machine(Registry *r, DomainDef *def, ZvError *err)
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
	k = registry_expand_machine(r, def, err);
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
bool registry_expand_domain_machine(Registry *r, Domain *d)
{
	if (registry_expand_machine(r, d->def, NULL) <= 0)
		return false;
	log_info("Domain %s: machine type is %s on this host", domain_name(d), d->def->os_machine);
	if (d->persistent && registry_store_definition(r, d) < 0)
		log_error("Domain %s: cannot queue the write of its definition", domain_name(d));
	registry_notify_definition(r, d);
	return true;
}

static void expand_pending_machines(Registry *r)
{
	Domain *d;
	for (size_t i = 0; registry_iterate(r, &i, &d);)
		registry_expand_domain_machine(r, d);
}

#define CAPS_RETRIES    3
#define CAPS_RETRY_USEC (2ULL * 1000 * 1000)

static int on_caps_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	Registry *r = userdata;
	r->caps_retry = sd_event_source_disable_unref(r->caps_retry);
	int k = registry_probe_caps(r);
	if (k < 0)
		log_warning_errno(k, "Cannot probe %s again: %m", r->settings->emulator);
	return 0;
}

static void on_caps(QemuCaps *caps, int error, void *userdata)
{
	Registry *r = userdata;
	r->caps_probe = qemu_caps_probe_free(r->caps_probe);
	if (!caps) {
		/* Until a probe answers, definitions keep the machine alias
		 * they were given: try again, a few times. */
		if (++r->caps_failures <= CAPS_RETRIES && !r->caps_retry &&
		    sd_event_add_time_relative(r->event, &r->caps_retry, CLOCK_MONOTONIC, CAPS_RETRY_USEC, 0,
					       on_caps_retry, r) >= 0)
			log_info("Probing %s again in 2 s (%u of %u)", r->settings->emulator,
				 r->caps_failures, CAPS_RETRIES);
		return;
	}
	r->caps_failures = 0;
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
	return qemu_caps_probe(r->event, r->settings->emulator, r->settings->run_dir,
			       dac_settings_user(r->settings), on_caps, r, &r->caps_probe);
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
	int k = registry_insert(r, def, true, &d);
	if (k >= 0)
		domain_load_managed_save(d);
	return k;
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

	/* A restore the previous daemon did not see through: QEMU may hold
	 * half a guest. It goes (below); the image stays for the next Start. */
	bool kill_restore = st->restoring;
	/* Nor an incoming migration: its QEMU never was a guest here, and
	 * the source runs it again (its Finish never came). */
	bool kill_incoming = st->incoming;
	if (kill_restore || kill_incoming)
		st->starting = false;
	/* An image beside a running domain is not its own: a save that did
	 * not finish (renamed into place before QEMU quit), or a restore
	 * whose image the previous daemon had no time to remove. Only a save
	 * in its last step (QEMU quitting) keeps it. */
	bool quitting_saved = st->stop_expected && st->stop_reason == DOMAIN_REASON_SAVED;
	if (!kill_restore && (st->saving || (domain_state_is_active(st->state) && !quitting_saved)) &&
	    d->has_managed_save) {
		_cleanup_free_ char *image = domain_managed_save_path(d);
		if (image && unlink(image) == 0)
			log_info("Domain %s: removed a managed-save image that is not its own",
				 domain_name(d));
		d->has_managed_save = false;
	}
	if (st->saving) {
		d->undo_save = true;
		d->undo_save_resume = st->saving_resume;
	}
	if (st->migrating) {
		d->undo_migration = true;
		d->undo_migration_resume = st->migrating_resume;
	}

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

	if (kill_restore) {
		d->stop_expected = true;
		d->stop_reason = DOMAIN_REASON_SAVED;
	}
	/* A definition the guest came to gets the state it had back. */
	DomainReason incoming_reason = st->incoming_prev_reason < _DOMAIN_REASON_MAX
					       ? st->incoming_prev_reason
					       : DOMAIN_REASON_FAILED;
	if (kill_incoming) {
		d->stop_expected = true;
		d->stop_reason = incoming_reason;
	}
	/* On failure d is shut off, and gone if it was transient. */
	if (domain_reattach(d, st->pid, st->qmp_path) < 0)
		return 0;
	if (kill_restore) {
		log_warning("Domain %s: stopping a restore the previous zvirtd did not finish; the image is "
			    "kept",
			    domain_name(d));
		domain_kill_qemu(d, DOMAIN_REASON_SAVED);
	} else if (kill_incoming) {
		log_warning("Domain %s: stopping an incoming migration the previous zvirtd did not finish",
			    domain_name(d));
		domain_kill_qemu(d, incoming_reason);
	} else if (quitting_saved) {
		/* The image was in place and QEMU was quitting: finish that. */
		domain_quit_qemu(d, DOMAIN_REASON_SAVED);
	} else if (st->kill_at_usec > 0 && domain_arm_kill_deadline(d, st->kill_at_usec) < 0)
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
	/* At load, before the bus name is taken: nobody waits for the loop. */
	int unsynced;
	(void)store_set_autostart(r->settings->state_dir, uuid_hex, false, &unsynced);
	return 0;
}

int registry_load(Registry *r)
{
	int k = store_prepare_dirs(r->settings);
	if (k < 0)
		return k;

	store_remove_save_leftovers(r->settings);
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

	registry_net_remove_leftovers(r);
	log_info("Loaded %zu domains, %zu active", registry_count(r), r->n_active);
	return 0;
}
