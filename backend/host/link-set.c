/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Deleting a link, bringing it up or down, its queue length (see
 * link-set.h). */
#include "host/link-set.h"

#include <errno.h>
#include <linux/if.h>
#include <string.h>

#include <netlink/route/link.h>

#include "host/link-lookup.h"
#include "host/link-name.h"
#include "host/netlink.h"
#include "util/cleanup.h"
#include "util/log.h"

/* The link to change, once it may be changed. */
static int open_link(const char *name, const char *what, struct nl_sock **ret_sock,
		     struct rtnl_link **ret_link, ZvError *err)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	_cleanup_link_ struct rtnl_link *l = NULL;

	int r = host_link_name_check(name, "link name", err);
	if (r < 0)
		return r;
	r = host_netlink_connect(&s);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot open rtnetlink: %s", strerror(-r));
	r = host_link_lookup(s, name, &l, err);
	if (r < 0)
		return r;
	r = host_link_check_unowned(l, what, err);
	if (r < 0)
		return r;
	*ret_sock = TAKE_PTR(s);
	*ret_link = TAKE_PTR(l);
	return 0;
}

static int change(const char *name, const char *what, struct rtnl_link *changes, ZvError *err)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	_cleanup_link_ struct rtnl_link *l = NULL;

	int r = open_link(name, what, &s, &l, err);
	if (r < 0)
		return r;
	r = host_netlink_errno(rtnl_link_change(s, l, changes, 0));
	if (r == -ENODEV)
		/* Gone between the look-up and the change. */
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV,
				    "The host has no network link '%s'", name);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot %s the network link '%s': %s", what,
				    name, strerror(-r));
	return 0;
}

int host_link_delete(const char *name, ZvError *err)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	_cleanup_link_ struct rtnl_link *l = NULL;

	int r = open_link(name, "delete", &s, &l, err);
	if (r < 0)
		return r;
	r = host_netlink_errno(rtnl_link_delete(s, l));
	if (r == -ENODEV)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV,
				    "The host has no network link '%s'", name);
	if (r == -EOPNOTSUPP)
		return zv_error_set(
			err, ZV_ERROR_HOST, EOPNOTSUPP,
			"Cannot delete the network link '%s': the kernel deletes only virtual links "
			"(bonds, VLANs, bridges, veths, ...), not a device's own",
			name);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot delete the network link '%s': %s", name,
				    strerror(-r));
	log_info("Deleted network link %s", name);
	return 0;
}

int host_link_set_up(const char *name, bool up, ZvError *err)
{
	_cleanup_link_ struct rtnl_link *c = rtnl_link_alloc();
	if (!c)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	if (up)
		rtnl_link_set_flags(c, IFF_UP);
	else
		rtnl_link_unset_flags(c, IFF_UP);
	return change(name, up ? "bring up" : "bring down", c, err);
}

int host_link_set_queue_length(const char *name, uint32_t qlen, ZvError *err)
{
	_cleanup_link_ struct rtnl_link *c = rtnl_link_alloc();
	if (!c)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	rtnl_link_set_txqlen(c, qlen);
	return change(name, "set the queue length of", c, err);
}
