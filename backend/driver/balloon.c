/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* setmem and setmaxmem (resources.h): the memory a guest may use now,
 * through its virtio balloon (QMP balloon), and the current and maximum
 * memory of the next start, through the queue of durable changes. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "registry-internal.h"
#include "resources-internal.h"
#include "util/log.h"

#define CALL "SetMemory"

typedef struct MemoryCall {
	Domain *d;
	uint64_t kib;
	bool maximum;
	bool config; /* a config part follows the live one */
	bool live;   /* the live part is done */
	registry_done_fn cb;
	void *userdata;
	ZvError err;
} MemoryCall;

static int edit_config(DomainDef *def, void *userdata, ZvError *err)
{
	const MemoryCall *c = userdata;
	if (c->maximum) {
		def->memory_kib = c->kib;
		/* A current size above the new maximum comes down with it. */
		if (def->current_memory_kib > c->kib)
			def->current_memory_kib = c->kib;
		return 0;
	}
	if (c->kib > def->memory_kib)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ERANGE,
				    "%s: %" PRIu64
				    " KiB is more than the maximum memory of domain '%s' (%" PRIu64 " KiB)",
				    CALL, c->kib, def->name, def->memory_kib);
	def->current_memory_kib = c->kib == def->memory_kib ? 0 : c->kib;
	return 0;
}

static void on_config_done(Registry *r, int result, const ZvError *err, void *userdata)
{
	MemoryCall *c = userdata;
	ZvError e = result < 0 && err ? *err : (ZvError)ZV_ERROR_INIT;
	if (result < 0 && c->live)
		domain_resource_live_stays(&e);
	c->cb(r, result, result < 0 ? &e : NULL, c->userdata);
	free(c);
}

static void on_balloon(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	MemoryCall *c = userdata;
	Domain *d = c->d;
	if (r < 0) {
		ZvError e = ZV_ERROR_INIT;
		zv_error_set(&e, ZV_ERROR_HYPERVISOR, -r,
			     "QEMU refused the balloon target of domain '%s': %s",
			     c->d ? domain_name(d) : "?", error ?: strerror(-r));
		c->cb(d ? d->registry : NULL, -EIO, &e, c->userdata);
		free(c);
		return;
	}
	/* The target is set; the guest gives the memory back in its time. */
	if (d->live)
		d->live->current_memory_kib = c->kib == d->live->memory_kib ? 0 : c->kib;
	c->live = true;
	log_info("Domain %s: memory target %" PRIu64 " KiB", domain_name(d), c->kib);
	domain_resource_live_changed(d);
	if (!c->config) {
		c->cb(d->registry, 0, NULL, c->userdata);
		free(c);
		return;
	}
	ZvError e = ZV_ERROR_INIT;
	r = registry_edit_definition_async(d->registry, d, edit_config, on_config_done, c, &e);
	if (r < 0)
		on_config_done(d->registry, r, &e, c);
}

int domain_set_memory(Domain *d, uint64_t bytes, const ModifyOptions *o, bool maximum, registry_done_fn cb,
		      void *userdata, ZvError *err)
{
	DomainModifyFlags affect;
	int r = domain_resource_affect(d, o, false, false, CALL, &affect, err);
	if (r < 0)
		return r;
	uint64_t kib = (bytes + 1023) / 1024;
	if (kib == 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%s: the memory size must be positive", CALL);
	if (maximum && (affect & DOMAIN_MODIFY_LIVE))
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "%s: the maximum memory of a running domain cannot change; use 'config'",
				    CALL);
	if (affect & DOMAIN_MODIFY_LIVE) {
		if (d->live->memballoon.model != MEMBALLOON_MODEL_VIRTIO)
			return zv_error_set(
				err, ZV_ERROR_OPERATION_INVALID, EPERM,
				"%s: domain '%s' has no memory balloon (<memballoon model='none'/>): "
				"its memory can change only for the next start",
				CALL, domain_name(d));
		if (kib > d->live->memory_kib)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ERANGE,
					    "%s: %" PRIu64
					    " KiB is more than the maximum memory of domain '%s' (%" PRIu64
					    " KiB)",
					    CALL, kib, domain_name(d), d->live->memory_kib);
		r = domain_resource_check_live(d, CALL, err);
		if (r < 0)
			return r;
	}
	/* The config part is checked now too: a plain mistake is answered
	 * before the live part, which cannot be taken back. */
	MemoryCall probe = {.kib = kib, .maximum = maximum};
	if (affect & DOMAIN_MODIFY_CONFIG) {
		_cleanup_(domain_def_freep) DomainDef *copy = domain_def_copy(d->def);
		if (!copy)
			return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		r = edit_config(copy, &probe, err);
		if (r < 0)
			return r;
	}
	MemoryCall *c = malloc(sizeof(*c));
	if (!c)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*c = (MemoryCall){.d = d,
			  .kib = kib,
			  .maximum = maximum,
			  .config = affect & DOMAIN_MODIFY_CONFIG,
			  .cb = cb,
			  .userdata = userdata};
	if (affect & DOMAIN_MODIFY_LIVE) {
		r = qemu_monitor_set_balloon(d->monitor, kib * 1024, on_balloon, c);
		if (r < 0) {
			free(c);
			return zv_error_set(err, ZV_ERROR_HYPERVISOR, -r,
					    "%s: cannot send balloon to QEMU: %s", CALL, strerror(-r));
		}
		return 0;
	}
	r = registry_edit_definition_async(d->registry, d, edit_config, on_config_done, c, err);
	if (r < 0)
		free(c);
	return r;
}
