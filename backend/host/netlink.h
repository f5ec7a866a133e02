/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The rtnetlink socket every link operation of the daemon uses (libnl3),
 * and libnl's error codes as the negative errno the rest of zvirtd
 * speaks. A request to the kernel on NETLINK_ROUTE is answered at once
 * (no peer process, no disk): these calls may run on the loop. */

#include <netlink/netlink.h>

#include "util/cleanup.h"

/* A connected NETLINK_ROUTE socket, close-on-exec. Free with
 * nl_socket_free (or _cleanup_nl_sock_). */
int host_netlink_connect(struct nl_sock **ret);

/* A libnl return value (negative NLE_*) as -errno: -EEXIST, -ENODEV,
 * -EOPNOTSUPP (a link kind the kernel lacks), -EPERM, -EBUSY, -EINVAL,
 * -ERANGE, -ENOMEM; anything else -EIO. 0 and positive values pass. */
int host_netlink_errno(int nlerr);

static inline void nl_socket_freep(struct nl_sock **s)
{
	if (*s)
		nl_socket_free(*s);
}
#define _cleanup_nl_sock_ _cleanup_(nl_socket_freep)
