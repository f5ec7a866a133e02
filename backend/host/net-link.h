/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host side of a guest NIC, through rtnetlink (libnl3) and the tun
 * driver: a macvtap link on a host interface and its /dev/tapN, or a
 * tap device for a bridge; the tag that marks a link as the daemon's
 * (IFLA_IFALIAS "zvirtd:<domain uuid>:<device alias>"), so that it
 * never deletes one it did not make; a link's counters. Requests to the
 * kernel answered at once: these may run on the loop. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/domain-def.h"
#include "host/link-tag.h"
#include "util/error.h"

typedef struct HostLinkStats {
	uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;
	uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
} HostLinkStats;

/* A macvtap link on parent in mode, with the guest's MAC, named name
 * (NULL: the first free macvtapN), tagged with tag and up. *ret_name
 * is the name it got, *ret_fd its /dev/tapN open read-write with
 * vnet headers (close-on-exec). Errors (ZV_ERROR_HOST, or
 * INVALID_ARGUMENT for a name that is taken): no parent (-ENODEV), a
 * kernel without macvtap (-EOPNOTSUPP); nothing is left behind. */
int host_macvtap_create(const char *parent, const char *name, MacvtapMode mode,
			const uint8_t mac[static NET_MAC_SIZE], const char *tag, char **ret_name,
			int *ret_fd, ZvError *err);

/* A tap device (name, or NULL: the first free vnetN) from /dev/net/tun,
 * owned by owner, open with vnet headers: *ret_fd keeps it alive (the
 * kernel deletes it with the last descriptor, so a QEMU that dies takes
 * it along). Then, host side: the MAC is the guest's with the first
 * byte 0xfe (libvirt's, so the bridge never takes the guest's address
 * as its own), mtu (0: bridge's, or the kernel's default), tagged,
 * enslaved to bridge when not NULL (a Linux bridge), and up. */
int host_tap_create(const char *name, uid_t owner, const uint8_t mac[static NET_MAC_SIZE], unsigned mtu,
		    const char *bridge, const char *tag, char **ret_name, int *ret_fd, ZvError *err);

/* The MTU of link name (an Open vSwitch bridge's own link, whose MTU a
 * port's tap takes as a Linux bridge's does): -ENODEV when there is no
 * such link. */
int host_link_get_mtu(const char *name, unsigned *ret);

/* Deletes link name if it carries tag: 0 deleted, -ENODEV no such link,
 * -EPERM it is not ours (another alias), other -errno. */
int host_link_delete_tagged(const char *name, const char *tag);

/* The names and tags of every link whose alias starts with
 * HOST_LINK_TAG_PREFIX (strv, both; same length). */
int host_links_tagged(char ***ret_names, char ***ret_tags);

/* The kernel's counters of link name (as the host sees them). */
int host_link_stats(const char *name, HostLinkStats *ret, ZvError *err);
