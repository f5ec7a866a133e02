/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rename of a shut-off persistent domain: the definition (keyed by UUID,
 * so the file keeps its name) is written again with the new name through
 * the write queue, the logs named after the domain follow it, and only
 * then does the registry know the domain by its new name. */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "domain-internal.h"
#include "registry-internal.h"
#include "store.h"
#include "util/cleanup.h"
#include "util/log.h"

typedef struct RenameJob {
	Registry *registry;
	char uuid_hex[SD_ID128_STRING_MAX];
	char *old_name;
	char *new_name;
	registry_done_fn cb;
	void *userdata;
	/* Copied at the write's turn (a reload may replace the settings). */
	char *state_dir;
	char *log_dir;
	char *xml; /* the definition with the new name */
	ZvError err;
} RenameJob;

static void rename_job_free(RenameJob *j)
{
	free(j->old_name);
	free(j->new_name);
	free(j->state_dir);
	free(j->log_dir);
	free(j->xml);
	free(j);
}

/* What must hold when the call comes and again at the write's turn. */
static int rename_check_domain(Registry *r, Domain *d, const char *new_name, ZvError *err)
{
	if (!d->persistent)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' is transient: only a persistent domain can be renamed",
				    domain_name(d));
	if (d->state != DOMAIN_STATE_SHUT_OFF || d->process)
		return zv_error_set(
			err, ZV_ERROR_OPERATION_INVALID, EPERM,
			"Rename is not possible: domain '%s' is %s (%s); it needs to be shut-off",
			domain_name(d), domain_state_to_string(d->state),
			domain_reason_to_string(d->reason));
	/* As libvirt: the image holds the domain's XML with the old name,
	 * and a restore runs that XML. */
	if (d->has_managed_save)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' has a managed-save image; restore it or remove it "
				    "(ManagedSaveRemove) before renaming",
				    domain_name(d));
	if (d->undefine_pending)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "Rename is not possible now: domain '%s' is being undefined",
				    domain_name(d));
	if (d->op_active)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "Rename is not possible now: domain '%s' is busy with %s",
				    domain_name(d), domain_op_to_string(d->op));
	if (strcmp(d->def->name, new_name) == 0)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' already has that name", domain_name(d));
	Domain *other = hashmap_get(r->by_name, new_name);
	if (other)
		return zv_error_set(err, ZV_ERROR_DOMAIN_EXISTS, EEXIST,
				    "A domain named '%s' already exists with UUID %s", new_name,
				    other->uuid);
	return 0;
}

static int rename_check(void *userdata)
{
	RenameJob *j = userdata;
	Registry *r = j->registry;
	Domain *d = hashmap_get(r->by_uuid, j->uuid_hex);
	if (!d)
		return zv_error_set(&j->err, ZV_ERROR_NO_SUCH_DOMAIN, ENOENT, "Domain '%s' is gone",
				    j->old_name);
	int k = rename_check_domain(r, d, j->new_name, &j->err);
	if (k < 0)
		return k;

	/* The definition as it is now, with the new name. */
	char *old = d->def->name;
	d->def->name = j->new_name;
	j->xml = domain_def_format(d->def, 0, DOMAIN_XML_FORMAT_INACTIVE);
	d->def->name = old;
	j->state_dir = strdup(r->settings->state_dir);
	j->log_dir = strdup(r->settings->log_dir);
	if (!j->xml || !j->state_dir || !j->log_dir)
		return zv_error_set(&j->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	return 0;
}

/* <log_dir>/<old><suffix> → <new><suffix>, if there is one. A file that
 * already has the new name (a log of an earlier domain of that name) is
 * not overwritten: the old log then keeps its name. */
static void rename_log(const RenameJob *j, const char *suffix)
{
	_cleanup_free_ char *from = NULL, *to = NULL;
	if (asprintf(&from, "%s/%s%s", j->log_dir, j->old_name, suffix) < 0 ||
	    asprintf(&to, "%s/%s%s", j->log_dir, j->new_name, suffix) < 0)
		return;
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0 && errno != ENOENT)
		log_warning("Domain %s: cannot rename %s to %s: %m", j->new_name, from, to);
}

/* The log and its rotated backups (<name>.log.0 ..., util/log-rotate.h). */
static void rename_logs(const RenameJob *j, const char *suffix)
{
	rename_log(j, suffix);
	for (unsigned i = 0; i < SETTINGS_LOG_BACKUPS; i++) {
		char backup[32];
		snprintf(backup, sizeof(backup), "%s.%u", suffix, i);
		rename_log(j, backup);
	}
}

static int rename_write(void *userdata, int *ret_unsynced)
{
	RenameJob *j = userdata;
	int k = store_write_definition(j->state_dir, j->uuid_hex, j->xml, ret_unsynced);
	if (k < 0)
		return zv_error_set(&j->err, ZV_ERROR_HOST, k, "Cannot store the definition of '%s': %s",
				    j->old_name, strerror(-k));
	/* Not durable, as logs are not: a crash may leave the old names. */
	rename_logs(j, ".log");
	rename_logs(j, ".console");
	return 0;
}

static void rename_finish(const WriteOutcome *o, void *userdata)
{
	RenameJob *j = userdata;
	Registry *r = j->registry;
	Domain *d = hashmap_get(r->by_uuid, j->uuid_hex);
	int k = o->result;

	if (d)
		d->rename_pending = false;
	if (o->stopping)
		k = zv_error_set(&j->err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				 k >= 0 ? "zvirtd is stopping: domain '%s' is stored as '%s'"
					: "zvirtd is stopping: domain '%s' was not renamed",
				 j->old_name, j->new_name);
	else if (d && k >= 0) {
		/* The name key points into the def: re-key it. */
		hashmap_remove(r->by_name, d->def->name);
		free(d->def->name);
		d->def->name = TAKE_PTR(j->new_name);
		if (hashmap_put(r->by_name, d->def->name, d) < 0)
			log_error("Domain %s: cannot index its new name", d->def->name);
		log_info("Renamed domain %s to %s (%s)", j->old_name, d->def->name, d->uuid);
		registry_notify_definition(r, d);
		if (o->unsynced < 0)
			k = zv_error_set(&j->err, ZV_ERROR_HOST, -o->unsynced,
					 "Domain '%s' is renamed '%s', but a power cut may undo it: cannot "
					 "fsync %s/domains: %s",
					 j->old_name, d->def->name, j->state_dir, strerror(-o->unsynced));
	}
	j->cb(r, k, k < 0 ? &j->err : NULL, j->userdata);
	rename_job_free(j);
}

static const WriteOps rename_ops = {
	.check = rename_check,
	.write = rename_write,
	.finish = rename_finish,
};

int registry_rename_async(Registry *r, Domain *d, const char *new_name, registry_done_fn cb, void *userdata,
			  ZvError *err)
{
	assert(r);
	assert(d);
	assert(new_name);
	assert(cb);

	int k = domain_name_validate(new_name, err);
	if (k < 0)
		return k;
	if (d->rename_pending)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY, "Domain '%s' is already being renamed",
				    domain_name(d));
	k = rename_check_domain(r, d, new_name, err);
	if (k < 0)
		return k;
	k = registry_start_worker(r);
	if (k < 0)
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot start a worker thread: %s", strerror(-k));

	RenameJob *j = calloc(1, sizeof(*j));
	if (!j)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*j = (RenameJob){.registry = r,
			 .old_name = strdup(domain_name(d)),
			 .new_name = strdup(new_name),
			 .cb = cb,
			 .userdata = userdata,
			 .err = ZV_ERROR_INIT};
	if (!j->old_name || !j->new_name) {
		rename_job_free(j);
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	memcpy(j->uuid_hex, d->uuid_hex, sizeof(j->uuid_hex));
	/* Until the write is done, no call may start this domain. */
	d->rename_pending = true;
	k = write_queue_push(r->writes, &rename_ops, j);
	if (k < 0) {
		d->rename_pending = false;
		rename_job_free(j);
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot queue the rename: %s", strerror(-k));
	}
	return 0;
}
