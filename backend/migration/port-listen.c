/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A listening socket on a free port of the migration range
 * (port-listen.h). */
#include "migration/port-listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

typedef union {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
} SockAddr;

static int parse_address(const char *address, SockAddr *ret, socklen_t *ret_len)
{
	*ret = (SockAddr){};
	if (!address[0]) {
		ret->in6.sin6_family = AF_INET6;
		ret->in6.sin6_addr = in6addr_any;
		*ret_len = sizeof(ret->in6);
		return 0;
	}
	if (inet_pton(AF_INET, address, &ret->in.sin_addr) == 1) {
		ret->in.sin_family = AF_INET;
		*ret_len = sizeof(ret->in);
		return 0;
	}
	if (inet_pton(AF_INET6, address, &ret->in6.sin6_addr) == 1) {
		ret->in6.sin6_family = AF_INET6;
		*ret_len = sizeof(ret->in6);
		return 0;
	}
	return -EINVAL;
}

int migration_listen(const char *address, uint16_t port_min, uint16_t port_max, int *ret_fd,
		     uint16_t *ret_port)
{
	SockAddr a;
	socklen_t len;
	if (!address || !ret_fd || !ret_port || port_min == 0 || port_min > port_max ||
	    parse_address(address, &a, &len) < 0)
		return -EINVAL;
	for (uint32_t port = port_min; port <= port_max; port++) {
		_cleanup_close_ int fd =
			socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 && errno == EAFNOSUPPORT && !address[0]) {
			/* A host without IPv6: every IPv4 address then. */
			a = (SockAddr){.in.sin_family = AF_INET, .in.sin_addr.s_addr = htonl(INADDR_ANY)};
			len = sizeof(a.in);
			fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		}
		if (fd < 0)
			return -errno;
		if (a.sa.sa_family == AF_INET6 && !address[0]) {
			int off = 0; /* "" is IPv4 too */
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		}
		if (a.sa.sa_family == AF_INET)
			a.in.sin_port = htons((uint16_t)port);
		else
			a.in6.sin6_port = htons((uint16_t)port);
		if (bind(fd, &a.sa, len) < 0) {
			if (errno == EADDRINUSE)
				continue;
			return -errno;
		}
		if (listen(fd, 1) < 0)
			return -errno;
		*ret_fd = TAKE_FD(fd);
		*ret_port = (uint16_t)port;
		return 0;
	}
	return -EADDRINUSE;
}
