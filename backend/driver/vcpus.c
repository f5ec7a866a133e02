/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* setvcpus and vcpucount (resources.h). A live change asks QEMU for its
 * free CPU slots (query-hotpluggable-cpus) and fills the lowest ones,
 * one device_add after the other, counting each in the live definition
 * as QEMU confirms it; a config change goes through the queue of
 * durable changes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qemu/cmdline.h"
#include "registry-internal.h"
#include "resources-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#define CALL "SetVcpus"

typedef struct VcpusCall {
	Domain *domain; /* while the live part runs */
	unsigned count;
	bool maximum;
	DomainModifyFlags affect;
	registry_done_fn cb;
	void *userdata;
	/* The live part: the slots to fill, the one being filled. */
	char *cpu_type;
	int64_t *core_ids;
	size_t n_core_ids, next;
	ZvError err;
} VcpusCall;

static void call_free(VcpusCall *c)
{
	free(c->cpu_type);
	free(c->core_ids);
	free(c);
}

static void call_answer(VcpusCall *c, int r, Registry *reg)
{
	c->cb(reg, r < 0 ? r : 0, r < 0 ? &c->err : NULL, c->userdata);
	call_free(c);
}

int domain_get_vcpu_count(Domain *d, const ModifyOptions *o, bool maximum, unsigned *ret, ZvError *err)
{
	DomainModifyFlags affect;
	int r = domain_resource_affect(d, o, true, true, "GetVcpuCount", &affect, err);
	if (r < 0)
		return r;
	const DomainDef *def = affect == DOMAIN_MODIFY_LIVE ? d->live : d->def;
	*ret = maximum ? def->vcpus_max : domain_def_current_vcpus(def);
	return 0;
}

/* Whether count fits def (the persistent one): both at the call and at
 * the write's turn, since a DefineXML may come in between. */
static int check_config(const DomainDef *def, const char *name, unsigned count, bool maximum, ZvError *err)
{
	if (!maximum && count > def->vcpus_max)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%u vCPUs exceed the maximum of %u in the persistent definition of "
				    "domain '%s'; raise it first (options maximum and config)",
				    count, def->vcpus_max, name);
	return 0;
}

static int edit_config(DomainDef *def, void *userdata, ZvError *err)
{
	VcpusCall *c = userdata;
	int r = check_config(def, def->name, c->count, c->maximum, err);
	if (r < 0)
		return r;
	if (c->maximum) {
		/* The current count stays (0 would follow the maximum up), but
		 * one above the new maximum comes down with it, as in libvirt. */
		unsigned current = domain_def_current_vcpus(def);
		def->vcpus_max = c->count;
		def->vcpus_current = current < c->count ? current : c->count;
	} else
		def->vcpus_current = c->count;
	return 0;
}

static void on_config_done(Registry *r, int result, const ZvError *err, void *userdata)
{
	VcpusCall *c = userdata;
	if (result < 0 && err)
		c->err = *err;
	if (result < 0 && (c->affect & DOMAIN_MODIFY_LIVE))
		domain_resource_live_stays(&c->err);
	call_answer(c, result, r);
}

static int begin_config(VcpusCall *c, Domain *d, ZvError *err)
{
	return registry_edit_definition_async(d->registry, d, edit_config, on_config_done, c, err);
}

/* The live part ended: go on with the config part, or answer. */
static void live_done(VcpusCall *c, int r)
{
	Domain *d = c->domain;
	Registry *reg = d->registry;
	d->resource_call = NULL;
	c->domain = NULL;
	if (r >= 0 && (c->affect & DOMAIN_MODIFY_CONFIG)) {
		r = begin_config(c, d, &c->err);
		if (r >= 0)
			return;
		domain_resource_live_stays(&c->err);
	}
	call_answer(c, r, reg);
}

static void add_next_cpu(VcpusCall *c);

static void on_cpu_added(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	VcpusCall *c = userdata;
	Domain *d = c->domain;
	int64_t core_id = c->core_ids[c->next];

	if (r < 0) {
		/* What QEMU took before stays: the live count says so. */
		r = zv_error_set(&c->err, ZV_ERROR_HYPERVISOR, r == -ENOTCONN ? ENOTCONN : EIO,
				 "QEMU did not add vCPU %lld to domain '%s' (%u now run): %s",
				 (long long)core_id, domain_name(d), domain_def_current_vcpus(d->live),
				 error ? error : "no reply");
		if (mon && c->next > 0)
			domain_resource_live_changed(d);
		return live_done(c, r);
	}
	d->live->vcpus_current = domain_def_current_vcpus(d->live) + 1;
	/* Each one at once: a daemon killed in between must not lose it. */
	(void)domain_save_status(d);
	log_info("Domain %s: vCPU %lld added (%u vCPUs)", domain_name(d), (long long)core_id,
		 d->live->vcpus_current);
	c->next++;
	if (c->next < c->n_core_ids)
		return add_next_cpu(c);
	domain_resource_live_changed(d);
	live_done(c, 0);
}

static void add_next_cpu(VcpusCall *c)
{
	Domain *d = c->domain;
	char id[QEMU_VCPU_ID_MAX];
	int64_t core_id = c->core_ids[c->next];
	int r = d->monitor ? qemu_monitor_add_cpu(d->monitor, c->cpu_type, core_id,
						  qemu_vcpu_id((unsigned)core_id, id), on_cpu_added, c)
			   : -ENOTCONN;
	if (r < 0) {
		r = zv_error_set(&c->err, ZV_ERROR_HYPERVISOR, r,
				 "Cannot send device_add to QEMU for domain '%s': %s", domain_name(d),
				 strerror(-r));
		if (c->next > 0)
			domain_resource_live_changed(d);
		live_done(c, r);
	}
}

static int compare_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The free slots, lowest core-id first, as libvirt fills them. */
static void on_hotpluggable_cpus(QemuMonitor *mon, int r, const QemuHotpluggableCpu *cpus, size_t n,
				 const char *error, void *userdata)
{
	VcpusCall *c = userdata;
	Domain *d = c->domain;
	size_t wanted = c->count - domain_def_current_vcpus(d->live), n_free = 0;

	if (r < 0)
		return live_done(c, zv_error_set(&c->err, ZV_ERROR_HYPERVISOR, EIO,
						 "QEMU did not list its CPU slots for domain '%s': %s",
						 domain_name(d), error ? error : "no reply"));
	if (!(c->core_ids = calloc(n ? n : 1, sizeof(int64_t))))
		return live_done(c, zv_error_set(&c->err, ZV_ERROR_HOST, ENOMEM, "Out of memory"));
	for (size_t i = 0; i < n; i++) {
		if (cpus[i].qom_path || cpus[i].core_id < 0 || !cpus[i].type)
			continue;
		if (!c->cpu_type && !(c->cpu_type = strdup(cpus[i].type)))
			return live_done(c, zv_error_set(&c->err, ZV_ERROR_HOST, ENOMEM, "Out of memory"));
		c->core_ids[n_free++] = cpus[i].core_id;
	}
	if (n_free < wanted)
		return live_done(c,
				 zv_error_set(&c->err, ZV_ERROR_HYPERVISOR, ENOSPC,
					      "QEMU has %zu free CPU slots for domain '%s', %zu are needed",
					      n_free, domain_name(d), wanted));
	qsort(c->core_ids, n_free, sizeof(int64_t), compare_i64);
	c->n_core_ids = wanted;
	add_next_cpu(c);
}

static int check_live(Domain *d, unsigned count, bool maximum, bool explicit_live, ZvError *err)
{
	const DomainDef *live = d->live;
	unsigned current = domain_def_current_vcpus(live);

	if (maximum)
		return explicit_live
			       ? zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
					      CALL ": option 'maximum' cannot be combined with 'live': the "
						   "maximum of a running QEMU is fixed; use 'config'")
			       : zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
					      CALL
					      " with 'maximum' changes the persistent definition only, and "
					      "domain '%s' is %s: give 'config'",
					      domain_name(d), domain_state_to_string(d->state));
	if (count > live->vcpus_max)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%u vCPUs exceed the maximum of %u that domain '%s' was started with",
				    count, live->vcpus_max, domain_name(d));
	if (count < current)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Domain '%s' runs %u vCPUs: QEMU cannot unplug vCPUs on s390x, so the "
				    "count of a running domain can only grow (the guest can take vCPUs "
				    "offline, chcpu -d; 'config' lowers the count for the next start)",
				    domain_name(d), current);
	if (count == current)
		return 0;
	return domain_resource_check_live(d, CALL, err);
}

int domain_set_vcpus(Domain *d, unsigned count, const ModifyOptions *o, bool maximum, registry_done_fn cb,
		     void *userdata, ZvError *err)
{
	DomainModifyFlags affect;
	/* As virsh: setvcpus without an option is live, with maximum alone
	 * it is current (virDomainSetVcpus, or ...Flags without AFFECT_*). */
	int r = domain_resource_affect(d, o, false, maximum, CALL, &affect, err);
	if (r < 0)
		return r;
	if (count < 1 || count > DOMAIN_VCPUS_MAX)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "The vCPU count must be from 1 to %d, not %u", DOMAIN_VCPUS_MAX, count);
	if ((affect & DOMAIN_MODIFY_LIVE) && (r = check_live(d, count, maximum, o->live, err)) < 0)
		return r;
	if ((affect & DOMAIN_MODIFY_CONFIG) &&
	    (r = check_config(d->def, domain_name(d), count, maximum, err)) < 0)
		return r;

	bool hotplug = (affect & DOMAIN_MODIFY_LIVE) && count > domain_def_current_vcpus(d->live);
	if (!hotplug && !(affect & DOMAIN_MODIFY_CONFIG))
		return 1; /* as many as run already */

	VcpusCall *c = calloc(1, sizeof(*c));
	if (!c)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*c = (VcpusCall){.count = count,
			 .maximum = maximum,
			 .affect = affect,
			 .cb = cb,
			 .userdata = userdata,
			 .err = ZV_ERROR_INIT};
	if (!hotplug) {
		r = begin_config(c, d, err);
		if (r < 0)
			call_free(c);
		return r;
	}
	c->domain = d;
	r = qemu_monitor_query_hotpluggable_cpus(d->monitor, on_hotpluggable_cpus, c);
	if (r < 0) {
		call_free(c);
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, r,
				    "Cannot send query-hotpluggable-cpus to QEMU for domain '%s': %s",
				    domain_name(d), strerror(-r));
	}
	d->resource_call = CALL;
	return 0;
}
