/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The counters of a running domain's NICs as virsh domifstat shows them:
 * the kernel's counters of the NIC's host link, seen from the guest. */

#include "conf/domain-def.h"
#include "domain.h"
#include "host/net-link.h"
#include "util/error.h"

/* What the guest sees of its NIC's host link: a tap's (bridge) receive
 * is the guest's send, so rx and tx swap; a macvtap (direct) counts as
 * the guest does (libvirt's virDomainNetTypeSharesHostView). Pure. */
void net_stats_guest_view(NetType type, const HostLinkStats *host, HostLinkStats *ret);

/* The counters of net (an interface of d's live definition) from its
 * host link, in the guest's view. Errors: OPERATION_INVALID when d does
 * not run or net has no host link (as Disk.GetStats of an inactive
 * domain), NO_SUCH_DEVICE when the link is gone, HOST otherwise. */
int domain_net_stats(const Domain *d, const InterfaceDef *net, HostLinkStats *ret, ZvError *err);

/* NetworkInterface.GetStats: domain_net_stats of the NIC with that MAC
 * in d's live definition. */
int domain_get_interface_stats(const Domain *d, const uint8_t mac[static NET_MAC_SIZE], HostLinkStats *ret,
			       ZvError *err);
