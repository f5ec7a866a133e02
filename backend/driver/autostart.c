/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Autostart: the mark set or removed (fsync, in the write queue), and
 * the start of the marked domains once per host boot. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain-internal.h"
#include "registry-internal.h"
#include "store.h"
#include "util/log.h"

typedef struct AutostartJob {
	Registry *registry;
	char uuid_hex[SD_ID128_STRING_MAX];
	char *name;
	bool autostart;
	registry_done_fn cb;
	void *userdata;
	char *state_dir;
	ZvError err;
} AutostartJob;

static void autostart_job_free(AutostartJob *j)
{
	free(j->name);
	free(j->state_dir);
	free(j);
}

static int check_persistent(const Domain *d, ZvError *err)
{
	if (d->persistent)
		return 0;
	return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
			    "Domain '%s' is transient: only a defined domain can start at boot",
			    domain_name(d));
}

static int autostart_check(void *userdata)
{
	AutostartJob *j = userdata;
	Domain *d = hashmap_get(j->registry->by_uuid, j->uuid_hex);
	if (!d)
		return zv_error_set(&j->err, ZV_ERROR_NO_SUCH_DOMAIN, ENOENT, "Domain '%s' is gone",
				    j->name);
	int k = check_persistent(d, &j->err);
	if (k < 0)
		return k;
	if (d->autostart == j->autostart)
		return 1;
	if (!(j->state_dir = strdup(j->registry->settings->state_dir)))
		return zv_error_set(&j->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	return 0;
}

static int autostart_write(void *userdata, int *ret_unsynced)
{
	AutostartJob *j = userdata;
	int k = store_set_autostart(j->state_dir, j->uuid_hex, j->autostart, ret_unsynced);
	if (k < 0)
		zv_error_set(&j->err, ZV_ERROR_HOST, k, "Cannot %s autostart of '%s': %s",
			     j->autostart ? "enable" : "disable", j->name, strerror(-k));
	return k;
}

static void autostart_finish(const WriteOutcome *o, void *userdata)
{
	AutostartJob *j = userdata;
	Registry *r = j->registry;
	Domain *d = hashmap_get(r->by_uuid, j->uuid_hex);
	int k = o->result;

	if (o->stopping)
		k = zv_error_set(&j->err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				 k >= 0 ? "zvirtd is stopping: autostart of '%s' is %s"
					: "zvirtd is stopping: autostart of '%s' was not %s",
				 j->name, j->autostart ? "enabled" : "disabled");
	else if (k >= 0 && !o->skipped && d) {
		d->autostart = j->autostart;
		log_info("Domain %s: autostart %s", domain_name(d), j->autostart ? "enabled" : "disabled");
		registry_notify_definition(r, d);
		if (o->unsynced < 0)
			k = zv_error_set(
				&j->err, ZV_ERROR_HOST, -o->unsynced,
				"Autostart of '%s' is %s, but a power cut may undo it: cannot fsync "
				"%s/autostart: %s",
				j->name, j->autostart ? "enabled" : "disabled", j->state_dir,
				strerror(-o->unsynced));
	}
	j->cb(r, k, k < 0 ? &j->err : NULL, j->userdata);
	autostart_job_free(j);
}

static const WriteOps autostart_ops = {
	.check = autostart_check,
	.write = autostart_write,
	.finish = autostart_finish,
};

int registry_set_autostart_async(Registry *r, Domain *d, bool autostart, registry_done_fn cb, void *userdata,
				 ZvError *err)
{
	assert(cb);
	int k = check_persistent(d, err);
	if (k < 0)
		return k;
	k = registry_start_worker(r);
	if (k < 0)
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot start a worker thread: %s", strerror(-k));

	char *name = strdup(domain_name(d));
	AutostartJob *j = name ? calloc(1, sizeof(*j)) : NULL;
	if (!j) {
		free(name);
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	*j = (AutostartJob){.registry = r,
			    .name = name,
			    .autostart = autostart,
			    .cb = cb,
			    .userdata = userdata,
			    .err = ZV_ERROR_INIT};
	memcpy(j->uuid_hex, d->uuid_hex, sizeof(j->uuid_hex));
	k = write_queue_push(r->writes, &autostart_ops, j);
	if (k < 0) {
		autostart_job_free(j);
		return zv_error_set(err, ZV_ERROR_HOST, k, "Cannot queue the write: %s", strerror(-k));
	}
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
