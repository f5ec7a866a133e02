/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* New bonds and VLANs on the host (the seed's host preparation: a bond
 * of OSA ports for a macvtap, a VLAN on it), through rtnetlink. A link
 * name that exists already is InvalidArgument, checked before anything
 * changes; a kernel without the link kind is HostError naming the
 * module. */

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

typedef enum HostBondMode {
	/* The kernel's numbers (BOND_MODE_*). */
	HOST_BOND_BALANCE_RR = 0,
	HOST_BOND_ACTIVE_BACKUP,
	HOST_BOND_BALANCE_XOR,
	HOST_BOND_BROADCAST,
	HOST_BOND_8023AD,
	HOST_BOND_BALANCE_TLB,
	HOST_BOND_BALANCE_ALB,
	_HOST_BOND_MODE_MAX,
} HostBondMode;

typedef enum HostBondFailOverMac {
	HOST_BOND_FOM_NONE = 0,
	HOST_BOND_FOM_ACTIVE,
	HOST_BOND_FOM_FOLLOW,
	_HOST_BOND_FOM_MAX,
} HostBondFailOverMac;

typedef struct HostBondOptions {
	HostBondMode mode; /* the kernel's default: balance-rr */
	uint32_t miimon;   /* ms; 0: the kernel's default (none) */
	bool has_miimon;
	HostBondFailOverMac fail_over_mac;
	bool has_fail_over_mac;
} HostBondOptions;

/* "active-backup" → HOST_BOND_ACTIVE_BACKUP; -EINVAL with
 * ZV_ERROR_INVALID_ARGUMENT listing the modes. */
int host_bond_mode_from_string(const char *s, HostBondMode *ret, ZvError *err);
const char *host_bond_mode_to_string(HostBondMode m);
/* "none", "active", "follow". */
int host_bond_fail_over_mac_from_string(const char *s, HostBondFailOverMac *ret, ZvError *err);

/* Creates bond `name` with opts and enslaves each of slaves
 * (NULL-terminated; each set down first, as the kernel needs). Checked
 * first, changing nothing: the names (InvalidArgument), each slave
 * exists (NoSuchDevice), is in no bond or bridge and belongs to no
 * domain (OperationInvalid), a slave named twice (InvalidArgument). A
 * failure after the bond is made removes it again and brings back the
 * slaves that were up. */
int host_link_create_bond(const char *name, char *const *slaves, const HostBondOptions *opts, ZvError *err);

/* The name a VLAN gets without option name: "<link>.<id>" (malloc'd;
 * NULL on ENOMEM). */
char *host_vlan_default_name(const char *link, uint16_t id);
/* 0 for 1..4094, else -EINVAL with ZV_ERROR_INVALID_ARGUMENT. */
int host_vlan_id_check(uint32_t id, ZvError *err);
/* Creates the 802.1Q VLAN `name` with id on link. */
int host_link_create_vlan(const char *link, uint16_t id, const char *name, ZvError *err);
