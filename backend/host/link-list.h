/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host's network links as rtnetlink and sysfs show them: what
 * Host.ListNetworkLinks answers (virsh iface-list, `ip -d link`). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct HostLink {
	char *name;
	uint32_t index;
	/* physical, qeth, loopback, bridge, bond, vlan, macvtap, macvlan,
	 * veth, tap, tun, dummy, openvswitch, or the rtnetlink kind as is */
	char *kind;
	char *mac; /* "aa:bb:..", "" without one */
	uint32_t mtu;
	uint32_t qlen;   /* txqueuelen */
	char *operstate; /* up, down, unknown, dormant, lowerlayerdown, notpresent, testing */
	bool up;         /* IFF_UP: what SetLinkUp sets */
	char *master;    /* the bond or bridge it is in, "" */
	char *alias;     /* ifalias, "" */
	/* bonds: the mode as sysfs names it ("active-backup"; "" when it
	 * cannot be read) and the slaves, NULL-terminated; else NULL */
	char *bond_mode;
	char **bond_slaves;
	/* vlans: the link below and the id; else NULL, 0 */
	char *vlan_link;
	uint16_t vlan_id;
} HostLink;

typedef struct HostLinkList {
	HostLink *links;
	size_t n;
} HostLinkList;

/* Every link of the daemon's network namespace, in ifindex order.
 * sysfs_root: where sysfs is (Settings.sysfs_root), for the qeth driver
 * and the bond mode. Errors: ZV_ERROR_HOST; -ENOMEM. */
int host_link_list(const char *sysfs_root, HostLinkList *ret, ZvError *err);
void host_link_list_done(HostLinkList *l);
