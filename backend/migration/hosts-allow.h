/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which peers may send a domain to this host's relocation server:
 * xend's xend-relocation-hosts-allow, as [Relocation] HostsAllow=. A
 * list of POSIX extended regular expressions separated by spaces; a peer
 * is let in when one of them matches the start of its host name or of
 * its address (as xend's re.match does: anchor the end with $ to match
 * the whole name). An empty list lets every peer in, as xend's does. */

#include <stdbool.h>

typedef struct HostsAllow HostsAllow;

/* -EINVAL with a message in *ret_error (malloc'd) naming the expression
 * that does not compile; -ENOMEM. */
int hosts_allow_parse(const char *spec, HostsAllow **ret, char **ret_error);
HostsAllow *hosts_allow_free(HostsAllow *h);

/* name may be NULL (the address has no name); address is numeric. */
bool hosts_allow_match(const HostsAllow *h, const char *name, const char *address);
