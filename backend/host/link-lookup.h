/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Finding a link by name for a call that changes it, and refusing the
 * ones a domain owns (link-tag.h). */

#include <netlink/route/link.h>

#include "util/cleanup.h"
#include "util/error.h"

static inline void rtnl_link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
#define _cleanup_link_ _cleanup_(rtnl_link_putp)

/* The kernel's link called name: 0 and *ret (rtnl_link_put it);
 * -ENODEV with ZV_ERROR_NO_SUCH_DEVICE when there is none; another
 * failure as ZV_ERROR_HOST. */
int host_link_lookup(struct nl_sock *s, const char *name, struct rtnl_link **ret, ZvError *err);

/* 0 when the link carries no domain's tag; else -EPERM with
 * ZV_ERROR_OPERATION_INVALID naming the domain, for the call `what`
 * ("delete", "set the queue length of"). */
int host_link_check_unowned(struct rtnl_link *link, const char *what, ZvError *err);
