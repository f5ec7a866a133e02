/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The destination's end of a migration's data connection: a listening
 * TCP socket on [Relocation] Address= with the first free port of the
 * migration port range (PortMin= to PortMax=, libvirt's 49152-49215),
 * as libvirt's virPortAllocator hands them out. */

#include <stdint.h>

/* address: a numeric IPv4 or IPv6 address (no name: a lookup would block
 * the loop), or "" for every address (IPv6 and IPv4). The socket is
 * non-blocking and close-on-exec, with SO_REUSEADDR off, so a port a
 * migration still uses is never shared. -EINVAL for a bad address or
 * range, -EADDRINUSE when every port is taken, other -errno. */
int migration_listen(const char *address, uint16_t port_min, uint16_t port_max, int *ret_fd,
		     uint16_t *ret_port);
