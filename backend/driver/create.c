/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CreateXML: a transient domain. The document is parsed on a worker
 * thread; objects/ then authorizes with the domain's name and UUID; the
 * checks against the other domains run at the domain's turn in the
 * write queue (so they are in order with DefineXML, Undefine and
 * Rename, though nothing is written: a transient domain has no
 * definition on disk); then the domain joins the registry and starts.
 * A start that fails takes it away again. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dac.h"
#include "domain-internal.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/memory.h"

struct RegistryCreate {
	Registry *registry;
	struct RegistryCreate *next, *prev; /* while parsing, to answer if we stop */
	const char *xml;
	size_t len;
	char *emulator; /* the default, copied: a reload may replace the settings */
	DomainStartFlags flags;
	char uuid[SD_ID128_UUID_STRING_MAX];
	/* The parse's answer, then the start's. */
	registry_create_parsed_fn parsed_cb;
	registry_define_fn cb;
	void *userdata;
	DomainDef *def; /* filled in the worker thread */
	ZvError err;
};

RegistryCreate *registry_create_free(RegistryCreate *c)
{
	if (!c)
		return NULL;
	domain_def_free(c->def);
	free(c->emulator);
	free(c);
	return NULL;
}

const char *registry_create_name(const RegistryCreate *c)
{
	return c->def->name;
}

const char *registry_create_uuid(const RegistryCreate *c)
{
	return c->uuid;
}

Registry *registry_create_registry(const RegistryCreate *c)
{
	return c->registry;
}

DomainDef *registry_create_def(const RegistryCreate *c)
{
	return c->def;
}

DomainDef *registry_create_steal_def(RegistryCreate *c)
{
	return TAKE_PTR(c->def);
}

static void create_unlink(RegistryCreate *c)
{
	Registry *r = c->registry;
	if (c->prev)
		c->prev->next = c->next;
	else
		r->create_jobs = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

static int create_parse(void *userdata)
{
	RegistryCreate *c = userdata;
	DomainXMLDefaults defaults = {.emulator = c->emulator};
	int k = domain_def_parse(c->xml, c->len, &defaults, 0, &c->def, &c->err);
	/* The document's tree is freed: give its pages back. */
	memory_release_after(c->len);
	return k;
}

static void create_parsed(int result, void *userdata)
{
	RegistryCreate *c = userdata;
	Registry *r = c->registry;

	create_unlink(c);
	if (result >= 0)
		result = dac_check_emulator(r->settings, c->def, &c->err);
	if (result >= 0) {
		sd_id128_to_uuid_string(c->def->uuid, c->uuid);
		/* The caller owns c now: it authorizes, then starts or frees it. */
		c->parsed_cb(r, 0, c, NULL, c->userdata);
		return;
	}
	c->parsed_cb(r, result, NULL, &c->err, c->userdata);
	registry_create_free(c);
}

int registry_create_parse_async(Registry *r, const char *xml, size_t len, registry_create_parsed_fn cb,
				void *userdata)
{
	assert(r);
	assert(xml);
	assert(cb);

	int k = registry_start_worker(r);
	if (k < 0)
		return k;
	RegistryCreate *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (RegistryCreate){.registry = r,
			      .xml = xml,
			      .len = len,
			      .parsed_cb = cb,
			      .userdata = userdata,
			      .err = ZV_ERROR_INIT};
	if (r->settings->emulator && !(c->emulator = strdup(r->settings->emulator))) {
		free(c);
		return -ENOMEM;
	}
	k = worker_submit(r->worker, create_parse, create_parsed, c, NULL);
	if (k < 0) {
		registry_create_free(c);
		return k;
	}
	c->next = r->create_jobs;
	if (c->next)
		c->next->prev = c;
	r->create_jobs = c;
	return 0;
}

void registry_cancel_creates(Registry *r)
{
	RegistryCreate *c;
	while ((c = r->create_jobs)) {
		int k = zv_error_set(&c->err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				     "zvirtd is stopping: the domain was not created");
		create_unlink(c);
		c->parsed_cb(r, k, NULL, &c->err, c->userdata);
		registry_create_free(c);
	}
}

/* Answers the caller once and forgets the job. */
static void create_finish(RegistryCreate *c, int result, Domain *d, const ZvError *err)
{
	c->cb(c->registry, result < 0 ? result : 0, result < 0 ? NULL : d, result < 0 ? err : NULL,
	      c->userdata);
	registry_create_free(c);
}

static void on_started(Domain *d, int result, const ZvError *err, void *userdata)
{
	/* On failure domain_stopped() removes the transient domain right
	 * after this answer. */
	create_finish(userdata, result, d, err);
}

/* At the turn in the write queue: every earlier change is committed. Any
 * domain with the name or the UUID, persistent or transient, is in the
 * way (a persistent one is started with Start, not replaced). */
static int create_check(void *userdata)
{
	RegistryCreate *c = userdata;
	Registry *r = c->registry;
	Domain *by_uuid = hashmap_get(r->by_uuid, SD_ID128_TO_STRING(c->def->uuid));
	Domain *by_name = hashmap_get(r->by_name, c->def->name);

	if (by_uuid)
		return zv_error_set(&c->err, ZV_ERROR_DOMAIN_EXISTS, EEXIST,
				    "UUID %s already belongs to domain '%s'", by_uuid->uuid,
				    by_uuid->def->name);
	if (by_name)
		return zv_error_set(&c->err, ZV_ERROR_DOMAIN_EXISTS, EEXIST,
				    "A domain named '%s' already exists with UUID %s", c->def->name,
				    by_name->uuid);
	int k = registry_expand_machine(r, c->def, &c->err);
	if (k >= 0)
		k = registry_unique_macs(r, c->def, &c->err);
	/* Nothing to write: the entry only keeps its place in line. */
	return k < 0 ? k : 1;
}

static int create_write(void *userdata, int *ret_unsynced)
{
	return 0; /* never runs: create_check() never asks for a write */
}

static void create_write_finish(const WriteOutcome *o, void *userdata)
{
	RegistryCreate *c = userdata;
	Registry *r = c->registry;
	Domain *d;
	int k = o->result;

	if (o->stopping)
		k = zv_error_set(&c->err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				 "zvirtd is stopping: the domain was not created");
	if (k < 0)
		return create_finish(c, k, NULL, &c->err);

	k = registry_insert(r, TAKE_PTR(c->def), false, &d);
	if (k < 0) {
		zv_error_set(&c->err, ZV_ERROR_HOST, -k, "Out of memory");
		return create_finish(c, k, NULL, &c->err);
	}
	log_info("Created transient domain %s (%s)", domain_name(d), d->uuid);
	if (r->callbacks.domain_added)
		r->callbacks.domain_added(d, r->callbacks.userdata);

	k = domain_start(d, c->flags, on_started, c, &c->err);
	if (k < 0) {
		/* Nothing started: nothing may stay behind. */
		registry_remove(r, d);
		create_finish(c, k, NULL, &c->err);
	}
}

static const WriteOps create_ops = {
	.check = create_check,
	.write = create_write,
	.finish = create_write_finish,
};

int registry_create_start(RegistryCreate *c, DomainStartFlags flags, registry_define_fn cb, void *userdata)
{
	assert(c);
	assert(cb);

	c->flags = flags;
	c->cb = cb;
	c->userdata = userdata;
	/* finish may run before this returns; c is not touched after. */
	int k = write_queue_push(c->registry->writes, &create_ops, c);
	if (k < 0) {
		zv_error_set(&c->err, ZV_ERROR_HOST, -k, "Cannot queue the domain: %s", strerror(-k));
		create_finish(c, k, NULL, &c->err);
	}
	return 0;
}
