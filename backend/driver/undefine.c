/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Undefine: the autostart mark and the definition leave the disk (fsync,
 * in the write queue), then the registry lets the domain go, or keeps
 * it running as a transient domain. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain-internal.h"
#include "registry-internal.h"
#include "save-internal.h"
#include "store.h"
#include "util/fileio.h"
#include "util/log.h"

typedef struct UndefineJob {
	Registry *registry;
	char uuid_hex[SD_ID128_STRING_MAX];
	char *name; /* for the answer, should the domain be gone */
	UndefineFlags flags;
	registry_done_fn cb;
	void *userdata;
	char *state_dir;
	char *image; /* the managed-save image to remove, or NULL */
	/* Set by the write. */
	bool mark_removed;
	bool image_removed;
	ZvError err;
} UndefineJob;

static void undefine_job_free(UndefineJob *j)
{
	free(j->name);
	free(j->state_dir);
	free(j->image);
	free(j);
}

/* What must hold when the call comes and again at the write's turn. */
static int undefine_check_domain(Domain *d, UndefineFlags flags, ZvError *err)
{
	if (!d->persistent)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' is transient: it has no definition to remove",
				    domain_name(d));
	if (d->has_managed_save && !(flags & UNDEFINE_MANAGED_SAVE))
		return zv_error_set(
			err, ZV_ERROR_OPERATION_INVALID, EEXIST,
			"Domain '%s' has a managed-save image; give managed-save to remove it too",
			domain_name(d));
	if (d->save_detached)
		return zv_error_set(
			err, ZV_ERROR_BUSY, EBUSY,
			"Undefine is not possible now: a managed save of '%s' is still being written",
			domain_name(d));
	if (d->job)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "Undefine is not possible now: domain '%s' is busy with a %s job",
				    domain_name(d), job_type_to_string(job_get_type(d->job)));
	if (domain_state_is_active(d->state) && !(flags & UNDEFINE_KEEP_RUNNING)) {
		int k = lifecycle_check(DOMAIN_OP_UNDEFINE, d->state, d->reason, domain_name(d), err);
		if (k < 0)
			return k;
	}
	return domain_check_idle(d, DOMAIN_OP_UNDEFINE, err);
}

static int undefine_check(void *userdata)
{
	UndefineJob *j = userdata;
	Domain *d = hashmap_get(j->registry->by_uuid, j->uuid_hex);
	if (!d)
		return zv_error_set(&j->err, ZV_ERROR_NO_SUCH_DOMAIN, ENOENT, "Domain '%s' is gone",
				    j->name);
	int k = undefine_check_domain(d, j->flags, &j->err);
	if (k < 0)
		return k;
	if (!(j->state_dir = strdup(j->registry->settings->state_dir)) ||
	    (d->has_managed_save && !(j->image = domain_managed_save_path(d))))
		return zv_error_set(&j->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	return 0;
}

static int undefine_write(void *userdata, int *ret_unsynced)
{
	UndefineJob *j = userdata;
	int unsynced = 0, k;

	/* The mark first: a crash in between must not leave one that points
	 * at nothing, and an undefined domain must not come back. */
	/* The image first: a definition without its image is a plain
	 * shut-off domain, an image without a definition is debris. */
	if (j->image) {
		k = unlink_if_exists(j->image);
		if (k < 0)
			return zv_error_set(&j->err, ZV_ERROR_HOST, k, "Cannot remove %s: %s", j->image,
					    strerror(-k));
		j->image_removed = true;
	}
	k = store_set_autostart(j->state_dir, j->uuid_hex, false, &unsynced);
	if (k >= 0) {
		j->mark_removed = true;
		k = store_remove_definition(j->state_dir, j->uuid_hex, ret_unsynced);
	}
	if (k < 0)
		return zv_error_set(&j->err, ZV_ERROR_HOST, k, "Cannot remove the definition of '%s': %s",
				    j->name, strerror(-k));
	if (unsynced < 0)
		*ret_unsynced = unsynced;
	return 0;
}

static void undefine_finish(const WriteOutcome *o, void *userdata)
{
	UndefineJob *j = userdata;
	Registry *r = j->registry;
	Domain *d = hashmap_get(r->by_uuid, j->uuid_hex);
	int k = o->result;

	if (d) {
		d->undefine_pending = false;
		if (j->image_removed && d->has_managed_save) {
			d->has_managed_save = false;
			if (d->state == DOMAIN_STATE_SHUT_OFF && d->reason == DOMAIN_REASON_SAVED && k < 0)
				domain_set_state(d, DOMAIN_STATE_SHUT_OFF, DOMAIN_REASON_UNKNOWN);
		}
	}
	if (o->stopping)
		k = zv_error_set(&j->err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				 k >= 0 ? "zvirtd is stopping: the definition of '%s' is removed"
					: "zvirtd is stopping: domain '%s' was not undefined",
				 j->name);
	else if (d && k < 0 && j->mark_removed && d->autostart) {
		d->autostart = false;
		registry_notify_definition(r, d);
	} else if (d && k >= 0) {
		log_info("Undefined domain %s (%s)", domain_name(d), d->uuid);
		d->autostart = false;
		if (domain_state_is_active(d->state)) {
			/* Keeps running as a transient domain; gone when it stops. */
			d->persistent = false;
			(void)domain_save_status(d);
			registry_notify_definition(r, d);
		} else
			registry_remove(r, d);
		if (o->unsynced < 0)
			k = zv_error_set(
				&j->err, ZV_ERROR_HOST, -o->unsynced,
				"Domain '%s' is undefined, but a power cut may bring it back: cannot "
				"fsync %s: %s",
				j->name, j->state_dir, strerror(-o->unsynced));
	}
	j->cb(r, k, k < 0 ? &j->err : NULL, j->userdata);
	undefine_job_free(j);
}

static const WriteOps undefine_ops = {
	.check = undefine_check,
	.write = undefine_write,
	.finish = undefine_finish,
};

int registry_undefine_async(Registry *r, Domain *d, UndefineFlags flags, registry_done_fn cb, void *userdata,
			    ZvError *err)
{
	assert(cb);
	int k = undefine_check_domain(d, flags, err);
	if (k < 0)
		return k;
	if (d->undefine_pending)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY, "Domain '%s' is already being undefined",
				    domain_name(d));
	k = registry_start_worker(r);
	if (k < 0)
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot start a worker thread: %s", strerror(-k));

	char *name = strdup(domain_name(d));
	UndefineJob *j = name ? calloc(1, sizeof(*j)) : NULL;
	if (!j) {
		free(name);
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	*j = (UndefineJob){.registry = r,
			   .name = name,
			   .flags = flags,
			   .cb = cb,
			   .userdata = userdata,
			   .err = ZV_ERROR_INIT};
	memcpy(j->uuid_hex, d->uuid_hex, sizeof(j->uuid_hex));
	/* Until the write is done, no call may start this domain. */
	d->undefine_pending = true;
	k = write_queue_push(r->writes, &undefine_ops, j);
	if (k < 0) {
		d->undefine_pending = false;
		undefine_job_free(j);
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot queue the removal: %s", strerror(-k));
	}
	return 0;
}
