/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A link by name, and whether a domain owns it (see link-lookup.h). */
#include "host/link-lookup.h"

#include <errno.h>
#include <string.h>

#include "host/link-tag.h"
#include "host/netlink.h"
#include "util/cleanup.h"
#include "util/utf8.h"

#define QUOTE_MAX 64

int host_link_lookup(struct nl_sock *s, const char *name, struct rtnl_link **ret, ZvError *err)
{
	int r = host_netlink_errno(rtnl_link_get_kernel(s, 0, name, ret));
	if (r == -ENODEV)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV,
				    "The host has no network link '%s'", name);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, -r,
				    "Cannot read the network link '%s' from the kernel: %s", name,
				    strerror(-r));
	return 0;
}

int host_link_check_unowned(struct rtnl_link *link, const char *what, ZvError *err)
{
	const char *alias = rtnl_link_get_ifalias(link);
	char uuid[33];
	_cleanup_free_ char *device = NULL;

	int r = host_link_tag_parse(alias, uuid, &device);
	if (r == 0)
		return 0;
	if (r == -ENOMEM)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	if (r > 0)
		return zv_error_set(
			err, ZV_ERROR_OPERATION_INVALID, EPERM,
			"Cannot %s the network link '%s': it belongs to domain %s (its device %s); "
			"change it through the domain",
			what, rtnl_link_get_name(link), uuid, device);
	char quoted[UTF8_SHORTEN_SIZE(QUOTE_MAX)];
	return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
			    "Cannot %s the network link '%s': its alias '%s' marks it as zvirtd's "
			    "(a domain's link)",
			    what, rtnl_link_get_name(link), utf8_shorten(alias, QUOTE_MAX, quoted));
}
