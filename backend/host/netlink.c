/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One place that opens rtnetlink and translates libnl's errors. */

#include <errno.h>
#include <fcntl.h>

#include <netlink/errno.h>

#include "netlink.h"

int host_netlink_connect(struct nl_sock **ret)
{
	struct nl_sock *s = nl_socket_alloc();
	if (!s)
		return -ENOMEM;
	int r = nl_connect(s, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(s);
		return host_netlink_errno(r);
	}
	/* QEMU and the other children must not inherit it. */
	int fd = nl_socket_get_fd(s);
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	*ret = s;
	return 0;
}

int host_netlink_errno(int nlerr)
{
	if (nlerr >= 0)
		return nlerr;
	switch (-nlerr) {
	case NLE_EXIST:
		return -EEXIST;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND:
		return -ENODEV;
	case NLE_OPNOTSUPP:
	case NLE_AF_NOSUPPORT:
	case NLE_PROTO_MISMATCH:
		return -EOPNOTSUPP;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	default:
		return -EIO;
	}
}
