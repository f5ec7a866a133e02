/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --live/--config/--current/--persistent as virsh means them. */
#include "driver/modify-flags.h"

#include <errno.h>

int modify_flags_resolve(const ModifyOptions *o, bool active, bool persistent, const char *what,
			 const char *domain, DomainModifyFlags *ret, ZvError *err)
{
	DomainModifyFlags f = 0;

	if (o->current && (o->live || o->config || o->persistent))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%s: option 'current' cannot be combined with 'live', 'config' or "
				    "'persistent'",
				    what);
	if (o->current)
		f = active ? DOMAIN_MODIFY_LIVE : DOMAIN_MODIFY_CONFIG;
	else {
		if (o->live)
			f |= DOMAIN_MODIFY_LIVE;
		if (o->config || o->persistent)
			f |= DOMAIN_MODIFY_CONFIG;
		if (o->persistent && active)
			f |= DOMAIN_MODIFY_LIVE;
		if (!o->live && !o->config && !o->persistent)
			f = DOMAIN_MODIFY_LIVE;
	}

	if ((f & DOMAIN_MODIFY_LIVE) && !active)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "%s: domain '%s' is not running; use 'config' (or 'current') to change "
				    "its persistent definition",
				    what, domain);
	if ((f & DOMAIN_MODIFY_CONFIG) && !persistent)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "%s: domain '%s' is transient and has no persistent definition", what,
				    domain);
	*ret = f;
	return 0;
}
