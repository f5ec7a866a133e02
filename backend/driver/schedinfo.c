/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* schedinfo cpu_shares (resources.h): the CPU weight of the live
 * definition, written to the domain's cgroup at once, and of the
 * persistent one, through the queue of durable changes. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "cgroup.h"
#include "registry-internal.h"
#include "resources-internal.h"
#include "util/log.h"

#define CALL "SetSchedulerParameters"

typedef struct SharesCall {
	uint64_t shares;
	bool live; /* the live part is done */
	registry_done_fn cb;
	void *userdata;
} SharesCall;

int domain_get_cpu_shares(Domain *d, const ModifyOptions *o, uint64_t *ret, ZvError *err)
{
	DomainModifyFlags affect;
	int r = domain_resource_affect(d, o, true, true, "GetSchedulerParameters", &affect, err);
	if (r < 0)
		return r;
	*ret = domain_def_cpu_shares(affect == DOMAIN_MODIFY_LIVE ? d->live : d->def);
	return 0;
}

static int edit_config(DomainDef *def, void *userdata, ZvError *err)
{
	const SharesCall *c = userdata;
	def->cpu_shares = c->shares;
	return 0;
}

static void on_config_done(Registry *r, int result, const ZvError *err, void *userdata)
{
	SharesCall *c = userdata;
	ZvError e = result < 0 && err ? *err : (ZvError)ZV_ERROR_INIT;
	if (result < 0 && c->live)
		domain_resource_live_stays(&e);
	c->cb(r, result, result < 0 ? &e : NULL, c->userdata);
	free(c);
}

int domain_set_cpu_shares(Domain *d, uint64_t shares, const ModifyOptions *o, registry_done_fn cb,
			  void *userdata, ZvError *err)
{
	DomainModifyFlags affect;
	int r = domain_resource_affect(d, o, false, true, CALL, &affect, err);
	if (r < 0)
		return r;
	if (shares < DOMAIN_CPU_SHARES_MIN || shares > DOMAIN_CPU_SHARES_MAX)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "cpu_shares must be from %d to %d, not %" PRIu64, DOMAIN_CPU_SHARES_MIN,
				    DOMAIN_CPU_SHARES_MAX, shares);

	SharesCall *c = NULL;
	if (affect & DOMAIN_MODIFY_CONFIG) {
		/* Ready before the live part, which cannot be taken back. */
		if (!(c = malloc(sizeof(*c))))
			return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		*c = (SharesCall){.shares = shares, .cb = cb, .userdata = userdata};
	}
	if (affect & DOMAIN_MODIFY_LIVE) {
		r = domain_cgroup_set_shares(d, shares, err);
		if (r < 0) {
			free(c);
			return r;
		}
		d->live->cpu_shares = shares;
		if (c)
			c->live = true;
		log_info("Domain %s: CPU weight %" PRIu64, domain_name(d), shares);
		domain_resource_live_changed(d);
	}
	if (!c)
		return 1;
	r = registry_edit_definition_async(d->registry, d, edit_config, on_config_done, c, err);
	if (r < 0) {
		if (c->live)
			domain_resource_live_stays(err);
		free(c);
	}
	return r;
}
