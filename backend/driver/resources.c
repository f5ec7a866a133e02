/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the resource calls share (resources-internal.h): the domain as
 * the live / config / current resolution sees it, whether QEMU can take
 * a live change now, and what follows one. */
#include "resources-internal.h"

#include <errno.h>

#include "job.h"
#include "registry-internal.h"
#include "util/log.h"

int domain_resource_flags(const ModifyOptions *o, bool read, bool no_option_is_current, bool active,
			  bool persistent, const char *call, const char *domain, DomainModifyFlags *ret,
			  ZvError *err)
{
	ModifyOptions m = {.live = o->live, .config = o->config, .current = o->current};

	if (read && m.live && m.config)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%s reads one definition: give 'live' or 'config', not both", call);
	if (no_option_is_current && !m.live && !m.config && !m.current)
		m.current = true;
	return modify_flags_resolve(&m, active, persistent, call, domain, ret, err);
}

int domain_resource_affect(const Domain *d, const ModifyOptions *o, bool read, bool no_option_is_current,
			   const char *call, DomainModifyFlags *ret, ZvError *err)
{
	return domain_resource_flags(o, read, no_option_is_current, d->live != NULL, d->persistent, call,
				     domain_name(d), ret, err);
}

int domain_resource_check_live(const Domain *d, const char *call, ZvError *err)
{
	if (d->resource_call)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "%s is not possible now: domain '%s' is busy with %s", call,
				    domain_name(d), d->resource_call);
	if (d->job)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "%s is not possible now: domain '%s' has a %s job running", call,
				    domain_name(d), job_type_to_string(job_get_type(d->job)));
	if (d->op_active && d->op == DOMAIN_OP_START)
		return zv_error_set(err, ZV_ERROR_BUSY, EBUSY,
				    "%s is not possible now: domain '%s' is starting", call, domain_name(d));
	if (!d->monitor)
		return zv_error_set(
			err, ZV_ERROR_HYPERVISOR, ENOTCONN,
			"%s is not possible now: zvirtd cannot reach QEMU's monitor of domain '%s' "
			"(it tries again; see the log)",
			call, domain_name(d));
	return 0;
}

void domain_resource_live_stays(ZvError *err)
{
	ZvError e = *err;
	zv_error_clear(err);
	zv_error_set(err, e.code == ZV_ERROR_NONE ? ZV_ERROR_HOST : e.code, EIO,
		     "The live change is done, the persistent one is not: %.900s", e.message);
}

void domain_resource_live_changed(Domain *d)
{
	if (d->process && d->live)
		(void)domain_save_status(d);
	registry_notify_definition(d->registry, d);
}
