/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host side of a domain's NICs for the run: a macvtap link on the
 * named host interface (type direct; [Network] DefaultNIC= when the
 * definition names none) or a tap on a bridge (type bridge), made when
 * the domain starts or the NIC is plugged, their names recorded in the
 * live definition (<target dev>), their descriptors handed to QEMU; the
 * links removed when the domain stops or the NIC leaves, and a previous
 * daemon's leftovers removed when this one starts. Every link carries
 * the daemon's tag (host/net-link.h), so only the daemon's own go; an
 * Open vSwitch port carries the domain's vm-id, likewise. */

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

/* Open vSwitch (<interface type='bridge'> with <virtualport
 * type='openvswitch'>): domain_net_prepare makes the tap, on no Linux
 * bridge, with the OVS bridge's MTU unless <mtu> says one; then, once
 * QEMU has the tap and before the guest's CPUs run, domain_net_connect
 * makes it a port of the OVS bridge, its Interface marked
 * external_ids:iface-id (<parameters interfaceid>), attached-mac,
 * iface-status=active and vm-id (the domain's UUID), the Port tagged
 * with <vlan><tag id>. ovs-vsctl blocks: all of it runs on the
 * registry's OVS worker (net-ovs.c), in the order it was asked for.
 * A hot-plug does as the start: domain_net_prepare, the fd to QEMU
 * (getfd, netdev_add), domain_net_connect, and device_add from its
 * done; an unplug: device_del, netdev_del, then domain_net_release. */

/* done runs on the loop with 0, or the error (HostError with
 * ovs-vsctl's words; no port is left then). */
typedef void (*domain_net_connected_fn)(Domain *d, int r, const ZvError *err, void *userdata);

/* net (prepared) as a port of its Open vSwitch bridge: 1 when it needs
 * none (done is not called), 0 when done will be called, < 0 with err
 * when nothing could be queued. done is not called once d stops
 * (domain_stopped) or goes: whoever waits is answered there. */
int domain_net_connect(Domain *d, const InterfaceDef *net, domain_net_connected_fn done, void *userdata,
		       ZvError *err);
/* The same for every NIC of d->live, in one job: when one fails, the
 * ports it added are removed again. */
int domain_net_connect_all(Domain *d, domain_net_connected_fn done, void *userdata, ZvError *err);

/* Queues the removal of the Open vSwitch ports among nets (of no other
 * kind), each only when it carries d's vm-id. Logged, never fails. */
void domain_net_disconnect(Domain *d, const InterfaceDef *const *nets, size_t n);

/* No done of a connect queued for d runs any more (d stops or goes). */
void domain_net_ovs_detach(Domain *d);

/* Removes net's host side: its Open vSwitch port (queued, before a
 * later connect of the same name), and its link when it is a macvtap of
 * this run (a tap goes with QEMU's descriptor). Logged, never fails. */
void domain_net_release(Domain *d, const InterfaceDef *net);
void domain_net_release_all(Domain *d);

/* Links tagged by a zvirtd whose domain does not run now, or does not
 * have them: a crash left them. Deleted and logged. Also the Open
 * vSwitch ports marked with the vm-id of a domain of this host that
 * does not run (queued; silent when there is no Open vSwitch). */
void registry_net_remove_leftovers(Registry *r);
/* net-ovs.c: the same for the Open vSwitch ports only. */
void registry_net_ovs_remove_leftovers(Registry *r);
/* At registry_free(): waits for the ovs-vsctl that runs, drops the rest. */
void registry_net_ovs_free(Registry *r);
