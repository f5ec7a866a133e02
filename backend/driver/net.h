/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host side of a domain's NICs for the run: a macvtap link on the
 * named host interface (type direct; [Network] DefaultNIC= when the
 * definition names none) or a tap on a bridge (type bridge), made when
 * the domain starts or the NIC is plugged, their names recorded in the
 * live definition (<target dev>), their descriptors handed to QEMU; the
 * links removed when the domain stops or the NIC leaves, and a previous
 * daemon's leftovers removed when this one starts. Every link carries
 * the daemon's tag (host/net-link.h), so only the daemon's own go. */

#include "conf/domain-def.h"
#include "domain.h"
#include "registry.h"
#include "util/error.h"

/* Makes net's host link (net->target_dev set to its name) and returns
 * the descriptor QEMU gets. net has its alias. On failure nothing is
 * left and net is unchanged. */
int domain_net_prepare(Domain *d, InterfaceDef *net, int *ret_fd, ZvError *err);

/* Every interface of d->live; *ret_fds (n_interfaces of them, or NULL
 * when there are none) are closed by the caller once QEMU has them. On
 * failure what was made is removed again. */
int domain_net_prepare_all(Domain *d, int **ret_fds, ZvError *err);
void domain_net_close_fds(int *fds, size_t n);

/* The descriptors of domain_net_prepare_all, for a cleanup attribute. */
typedef struct NetFds {
	int *v;
	size_t n;
} NetFds;
static inline void net_fds_close(NetFds *f)
{
	domain_net_close_fds(f->v, f->n);
	*f = (NetFds){};
}

/* Removes net's host link when it is a macvtap of this run (a tap goes
 * with QEMU's descriptor). Logged, never fails. */
void domain_net_release(Domain *d, const InterfaceDef *net);
void domain_net_release_all(Domain *d);

/* Links tagged by a zvirtd whose domain does not run now, or does not
 * have them: a crash left them. Deleted and logged. */
void registry_net_remove_leftovers(Registry *r);
