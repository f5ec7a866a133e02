/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DefineXML and ValidateXML: the document is parsed on a worker thread,
 * checked against the other domains on the loop, and a definition is
 * written to disk (fsync) by the write queue before the registry takes
 * it. Also the rewrite of a definition the daemon changed itself. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain-warnings.h"
#include "dac.h"
#include "domain-internal.h"
#include "registry-internal.h"
#include "store.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/memory.h"

/* After the durable write: the registry takes the definition (taken in
 * every case). The check ran right before the write and nothing else
 * was written meanwhile; other calls can only have removed domains, so
 * the UUID decides alone: an edit of the domain that has it, or a new
 * domain. */
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
			/* Out of memory: on the loop, but a file that would make the
			 * domain appear at the next start must not stay. */
			int unsynced;
			(void)store_remove_definition(r->settings->state_dir, uuid_hex, &unsynced);
			return zv_error_set(err, ZV_ERROR_HOST, k, "Out of memory");
		}
		if (r->callbacks.domain_added)
			r->callbacks.domain_added(d, r->callbacks.userdata);
	}
	log_info("Defined domain %s (%s)", d->def->name, d->uuid);
	*ret = d;
	return 0;
}

typedef struct DefineJob {
	Registry *registry;
	struct DefineJob *next, *prev; /* every job not yet answered */
	bool define;                   /* else validate */
	const char *xml;
	size_t len;
	char *emulator;  /* the default, copied: a reload may replace the settings */
	char *state_dir; /* likewise, for the write */
	char *dev_root;  /* likewise, for the warnings */
	registry_define_fn cb;
	registry_validate_fn validate_cb;
	void *userdata;
	/* Filled in the worker threads. */
	DomainDef *def;
	char **warnings;
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
	strv_free(j->warnings);
	free(j->emulator);
	free(j->state_dir);
	free(j->dev_root);
	free(j);
}

static int define_job_parse(void *userdata)
{
	DefineJob *j = userdata;
	DomainXMLDefaults defaults = {.emulator = j->emulator};
	int k = domain_def_parse(j->xml, j->len, &defaults, 0, &j->def, &j->err);
	/* The document's tree is freed: give its pages back. */
	memory_release_after(j->len);
	if (k >= 0 && domain_def_warnings(j->def, j->dev_root, &j->warnings) < 0)
		k = zv_error_set(&j->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	return k;
}

/* Answers the caller and forgets the job. */
static void define_job_finish(DefineJob *j, int result, Domain *d)
{
	Registry *r = j->registry;
	define_job_unlink(j);
	if (j->define)
		j->cb(r, result < 0 ? result : 0, result < 0 ? NULL : d, result < 0 ? &j->err : NULL,
		      j->userdata);
	else
		j->validate_cb(r, result < 0 ? result : 0, result < 0 ? NULL : j->warnings,
			       result < 0 ? &j->err : NULL, j->userdata);
	define_job_free(j);
}

/* At the write's turn: every earlier write is committed. */
static int define_write_check(void *userdata)
{
	DefineJob *j = userdata;
	Registry *r = j->registry;
	Domain *existing;

	int k = registry_expand_machine(r, j->def, &j->err);
	if (k >= 0)
		k = registry_check_conflicts(r, j->def, &existing, &j->err);
	if (k >= 0)
		k = registry_unique_macs(r, j->def, &j->err);
	if (k >= 0 && !(j->state_dir = strdup(r->settings->state_dir)))
		k = zv_error_set(&j->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	return k < 0 ? k : 0;
}

static int define_write(void *userdata, int *ret_unsynced)
{
	DefineJob *j = userdata;
	int k = store_save_definition(j->state_dir, j->def, ret_unsynced);
	if (k < 0)
		zv_error_set(&j->err, ZV_ERROR_HOST, k, "Cannot store the definition in %s/domains: %s",
			     j->state_dir, strerror(-k));
	return k;
}

static void define_write_finish(const WriteOutcome *o, void *userdata)
{
	DefineJob *j = userdata;
	Domain *d = NULL;
	int result = o->result;

	if (o->stopping)
		result = zv_error_set(&j->err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				      result >= 0 ? "zvirtd is stopping: the definition is stored and is "
						    "loaded at the next start"
						  : "zvirtd is stopping: the domain XML was not defined");
	else if (result >= 0) {
		_cleanup_free_ char *name = strdup(j->def->name);
		for (size_t i = 0; j->warnings && j->warnings[i]; i++)
			log_warning("Domain %s: %s", name ?: "?", j->warnings[i]);
		result = define_commit(j->registry, TAKE_PTR(j->def), &d, &j->err);
		/* The probe may have answered after this define's check and
		 * before its commit: the alias is expanded now, not never. */
		if (result >= 0 && d)
			registry_expand_domain_machine(j->registry, d);
		/* Defined all the same: the file is in place and loads at the
		 * next start, unless a power cut undoes the rename. */
		if (result >= 0 && o->unsynced < 0)
			result = zv_error_set(
				&j->err, ZV_ERROR_HOST, -o->unsynced,
				"Domain '%s' is defined, but a power cut may undo it: cannot fsync "
				"%s/domains: %s",
				name ?: "?", j->state_dir, strerror(-o->unsynced));
	}
	define_job_finish(j, result, d);
}

static const WriteOps define_write_ops = {
	.check = define_write_check,
	.write = define_write,
	.finish = define_write_finish,
};

static void define_job_parsed(int result, void *userdata)
{
	DefineJob *j = userdata;
	Registry *r = j->registry;
	Domain *existing;

	if (result >= 0)
		result = dac_check_emulator(r->settings, j->def, &j->err);
	if (result >= 0 && j->define) {
		/* On disk first: a definition we cannot store is not defined. */
		result = write_queue_push(r->writes, &define_write_ops, j);
		if (result >= 0)
			return;
		zv_error_set(&j->err, ZV_ERROR_HOST, -result, "Cannot queue the write: %s",
			     strerror(-result));
	} else if (result >= 0) {
		result = registry_expand_machine(r, j->def, &j->err);
		if (result >= 0)
			result = registry_check_conflicts(r, j->def, &existing, &j->err);
		if (result >= 0)
			result = registry_unique_macs(r, j->def, &j->err);
	}
	define_job_finish(j, result, NULL);
}

void registry_cancel_defines(Registry *r)
{
	DefineJob *j;
	while ((j = r->define_jobs)) {
		ZvError err = ZV_ERROR_INIT;
		int k = zv_error_set(&err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				     "zvirtd is stopping: the domain XML was not %s",
				     j->define ? "defined" : "validated");
		define_job_unlink(j);
		if (j->define)
			j->cb(r, k, NULL, &err, j->userdata);
		else
			j->validate_cb(r, k, NULL, &err, j->userdata);
		define_job_free(j);
	}
}

static int define_job_submit(Registry *r, bool define, const char *xml, size_t len, registry_define_fn cb,
			     registry_validate_fn validate_cb, void *userdata)
{
	assert(define ? !!cb : !!validate_cb);
	int k = registry_start_worker(r);
	if (k < 0)
		return k;
	DefineJob *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	*j = (DefineJob){.registry = r,
			 .define = define,
			 .xml = xml,
			 .len = len,
			 .cb = cb,
			 .validate_cb = validate_cb,
			 .userdata = userdata,
			 .err = ZV_ERROR_INIT};
	if ((r->settings->emulator && !(j->emulator = strdup(r->settings->emulator))) ||
	    !(j->dev_root = strdup(r->settings->dev_root))) {
		define_job_free(j);
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
	return define_job_submit(r, true, xml, len, cb, NULL, userdata);
}

int registry_validate_async(Registry *r, const char *xml, size_t len, registry_validate_fn cb,
			    void *userdata)
{
	return define_job_submit(r, false, xml, len, NULL, cb, userdata);
}

/* --- the daemon's own edits of a definition -------------------------------- */

typedef struct RewriteJob {
	Registry *registry;
	char uuid_hex[SD_ID128_STRING_MAX];
	char *state_dir;
	char *xml;
} RewriteJob;

static void rewrite_job_free(RewriteJob *j)
{
	free(j->state_dir);
	free(j->xml);
	free(j);
}

/* The definition as it is at the write's turn, not when it was queued:
 * a DefineXML in between must not be overwritten by an older copy. */
static int rewrite_check(void *userdata)
{
	RewriteJob *j = userdata;
	Domain *d = hashmap_get(j->registry->by_uuid, j->uuid_hex);
	if (!d || !d->persistent)
		return 1;
	j->xml = domain_def_format(d->def, 0, DOMAIN_XML_FORMAT_INACTIVE);
	j->state_dir = strdup(j->registry->settings->state_dir);
	return j->xml && j->state_dir ? 0 : -ENOMEM;
}

static int rewrite_write(void *userdata, int *ret_unsynced)
{
	RewriteJob *j = userdata;
	return store_write_definition(j->state_dir, j->uuid_hex, j->xml, ret_unsynced);
}

static void rewrite_finish(const WriteOutcome *o, void *userdata)
{
	RewriteJob *j = userdata;
	if (o->result < 0 && !o->stopping)
		log_error_errno(o->result, "Cannot store the definition of %s again: %m", j->uuid_hex);
	rewrite_job_free(j);
}

static const WriteOps rewrite_ops = {
	.check = rewrite_check,
	.write = rewrite_write,
	.finish = rewrite_finish,
};

int registry_store_definition(Registry *r, Domain *d)
{
	int k = registry_start_worker(r);
	if (k < 0)
		return k;
	RewriteJob *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->registry = r;
	memcpy(j->uuid_hex, d->uuid_hex, sizeof(j->uuid_hex));
	k = write_queue_push(r->writes, &rewrite_ops, j);
	if (k < 0)
		rewrite_job_free(j);
	return k;
}

/* --- a change of the persistent definition a call asked for -------------- */

typedef struct EditJob {
	Registry *registry;
	char uuid_hex[SD_ID128_STRING_MAX];
	char *name; /* for messages once the domain is gone */
	definition_edit_fn edit;
	registry_done_fn cb;
	void *userdata;
	/* At the write's turn: the edited copy, its XML, where it goes. */
	DomainDef *def;
	char *xml;
	char *state_dir;
	ZvError err;
} EditJob;

static void edit_job_free(EditJob *j)
{
	domain_def_free(j->def);
	free(j->name);
	free(j->xml);
	free(j->state_dir);
	free(j);
}

/* The edit applies to the definition as it is at the write's turn, so a
 * DefineXML or another edit queued before it is not undone. */
static int edit_check(void *userdata)
{
	EditJob *j = userdata;
	Domain *d = hashmap_get(j->registry->by_uuid, j->uuid_hex);
	if (!d)
		return zv_error_set(&j->err, ZV_ERROR_NO_SUCH_DOMAIN, ENOENT, "Domain '%s' is gone",
				    j->name);
	if (!d->persistent)
		return zv_error_set(&j->err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' is transient: it has no persistent definition to change",
				    j->name);
	if (d->undefine_pending)
		return zv_error_set(&j->err, ZV_ERROR_BUSY, EBUSY,
				    "The definition of domain '%s' is being undefined", j->name);
	if (!(j->def = domain_def_copy(d->def)))
		return zv_error_set(&j->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	int k = j->edit(j->def, j->userdata, &j->err);
	if (k < 0)
		return k;
	j->xml = domain_def_format(j->def, 0, DOMAIN_XML_FORMAT_INACTIVE);
	j->state_dir = strdup(j->registry->settings->state_dir);
	if (!j->xml || !j->state_dir)
		return zv_error_set(&j->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	return 0;
}

static int edit_write(void *userdata, int *ret_unsynced)
{
	EditJob *j = userdata;
	int k = store_write_definition(j->state_dir, j->uuid_hex, j->xml, ret_unsynced);
	if (k < 0)
		zv_error_set(&j->err, ZV_ERROR_HOST, k,
			     "Cannot store the definition of '%s' in %s/domains: %s", j->name, j->state_dir,
			     strerror(-k));
	return k;
}

static void edit_finish(const WriteOutcome *o, void *userdata)
{
	EditJob *j = userdata;
	Registry *r = j->registry;
	Domain *d = hashmap_get(r->by_uuid, j->uuid_hex);
	int k = o->result;

	if (o->stopping)
		k = zv_error_set(
			&j->err, ZV_ERROR_CANCELLED, ESHUTDOWN,
			k >= 0 ? "zvirtd is stopping: the definition of '%s' is stored and is loaded "
				 "at the next start"
			       : "zvirtd is stopping: the definition of '%s' was not changed",
			j->name);
	else if (k >= 0 && d) {
		/* Nothing was written between the check and now: the copy is
		 * the definition. The name key points into the def: re-key. */
		hashmap_remove(r->by_name, d->def->name);
		domain_def_free(d->def);
		d->def = TAKE_PTR(j->def);
		(void)hashmap_put(r->by_name, d->def->name, d);
		/* The emulator's probe may have expanded the machine alias of
		 * the definition after the copy was made: expand the copy too
		 * (a rewrite follows), or the alias would stay for good. */
		if (!registry_expand_domain_machine(r, d))
			registry_notify_definition(r, d);
		if (o->unsynced < 0)
			k = zv_error_set(
				&j->err, ZV_ERROR_HOST, -o->unsynced,
				"The definition of domain '%s' is changed, but a power cut may undo "
				"it: cannot fsync %s/domains: %s",
				j->name, j->state_dir, strerror(-o->unsynced));
	}
	j->cb(r, k < 0 ? k : 0, k < 0 ? &j->err : NULL, j->userdata);
	edit_job_free(j);
}

static const WriteOps edit_ops = {
	.check = edit_check,
	.write = edit_write,
	.finish = edit_finish,
};

int registry_edit_definition_async(Registry *r, Domain *d, definition_edit_fn edit, registry_done_fn cb,
				   void *userdata, ZvError *err)
{
	assert(r);
	assert(d);
	assert(edit);
	assert(cb);

	int k = registry_start_worker(r);
	if (k < 0)
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot start a worker thread: %s", strerror(-k));
	EditJob *j = calloc(1, sizeof(*j));
	if (!j || !(j->name = strdup(domain_name(d)))) {
		free(j);
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	j->registry = r;
	j->edit = edit;
	j->cb = cb;
	j->userdata = userdata;
	j->err = (ZvError)ZV_ERROR_INIT;
	memcpy(j->uuid_hex, d->uuid_hex, sizeof(j->uuid_hex));
	k = write_queue_push(r->writes, &edit_ops, j);
	if (k < 0) {
		edit_job_free(j);
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot queue the write: %s", strerror(-k));
	}
	return 0;
}
