/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Creating bonds and VLANs (see link-create.h). libnl 3.7 has no setter
 * for a bond's mode, so the bond's RTM_NEWLINK is built here with its
 * IFLA_INFO_DATA; VLANs use libnl's own. */
#include "host/link-create.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>

#include "host/link-lookup.h"
#include "host/link-name.h"
#include "host/netlink.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/utf8.h"

#define QUOTE_MAX 64

static const char *const bond_modes[_HOST_BOND_MODE_MAX] = {
	[HOST_BOND_BALANCE_RR] = "balance-rr",   [HOST_BOND_ACTIVE_BACKUP] = "active-backup",
	[HOST_BOND_BALANCE_XOR] = "balance-xor", [HOST_BOND_BROADCAST] = "broadcast",
	[HOST_BOND_8023AD] = "802.3ad",          [HOST_BOND_BALANCE_TLB] = "balance-tlb",
	[HOST_BOND_BALANCE_ALB] = "balance-alb",
};

static const char *const fail_over_macs[_HOST_BOND_FOM_MAX] = {
	[HOST_BOND_FOM_NONE] = "none",
	[HOST_BOND_FOM_ACTIVE] = "active",
	[HOST_BOND_FOM_FOLLOW] = "follow",
};

const char *host_bond_mode_to_string(HostBondMode m)
{
	return m >= 0 && m < _HOST_BOND_MODE_MAX ? bond_modes[m] : NULL;
}

int host_bond_mode_from_string(const char *s, HostBondMode *ret, ZvError *err)
{
	char quoted[UTF8_SHORTEN_SIZE(QUOTE_MAX)];
	for (int i = 0; s && i < _HOST_BOND_MODE_MAX; i++)
		if (strcmp(s, bond_modes[i]) == 0) {
			*ret = (HostBondMode)i;
			return 0;
		}
	return zv_error_set(
		err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
		"Unknown bond mode '%s'; modes are balance-rr, active-backup, balance-xor, broadcast, "
		"802.3ad, balance-tlb, balance-alb",
		utf8_shorten(s ? s : "", QUOTE_MAX, quoted));
}

int host_bond_fail_over_mac_from_string(const char *s, HostBondFailOverMac *ret, ZvError *err)
{
	char quoted[UTF8_SHORTEN_SIZE(QUOTE_MAX)];
	for (int i = 0; s && i < _HOST_BOND_FOM_MAX; i++)
		if (strcmp(s, fail_over_macs[i]) == 0) {
			*ret = (HostBondFailOverMac)i;
			return 0;
		}
	return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
			    "Unknown fail_over_mac '%s'; it is none, active or follow",
			    utf8_shorten(s ? s : "", QUOTE_MAX, quoted));
}

/* -EEXIST as InvalidArgument: the one answer for a taken name, whether
 * found up front or by the kernel. */
static int name_taken(const char *name, ZvError *err)
{
	return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
			    "A network link named '%s' exists already; choose another name", name);
}

static int check_name_free(struct nl_sock *s, const char *name, ZvError *err)
{
	_cleanup_link_ struct rtnl_link *l = NULL;
	int r = host_netlink_errno(rtnl_link_get_kernel(s, 0, name, &l));
	if (r == 0)
		return name_taken(name, err);
	if (r == -ENODEV)
		return 0;
	return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot read the network links from the kernel: %s",
			    strerror(-r));
}

/* The kernel's answer to a new link of kind it lacks. */
static int creation_failed(int r, const char *what, const char *name, const char *feature,
			   const char *module, ZvError *err)
{
	if (r == -EOPNOTSUPP)
		return zv_error_set(err, ZV_ERROR_HOST, EOPNOTSUPP,
				    "Cannot create the %s '%s': the kernel has no %s support (module %s)",
				    what, name, feature, module);
	if (r == -EEXIST)
		return name_taken(name, err);
	return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot create the %s '%s': %s", what, name,
			    strerror(-r));
}

static int set_up(struct nl_sock *s, int index, bool up)
{
	_cleanup_link_ struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
	if (!orig || !change)
		return -ENOMEM;
	rtnl_link_set_ifindex(orig, index);
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	else
		rtnl_link_unset_flags(change, IFF_UP);
	return host_netlink_errno(rtnl_link_change(s, orig, change, 0));
}

static int set_master(struct nl_sock *s, int index, int master)
{
	_cleanup_link_ struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
	if (!orig || !change)
		return -ENOMEM;
	rtnl_link_set_ifindex(orig, index);
	rtnl_link_set_master(change, master);
	return host_netlink_errno(rtnl_link_change(s, orig, change, 0));
}

static int delete_index(struct nl_sock *s, int index)
{
	_cleanup_link_ struct rtnl_link *l = rtnl_link_alloc();
	if (!l)
		return -ENOMEM;
	rtnl_link_set_ifindex(l, index);
	return host_netlink_errno(rtnl_link_delete(s, l));
}

static int send_new_bond(struct nl_sock *s, const char *name, const HostBondOptions *opts)
{
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nlattr *info, *data;

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, name) < 0 || !(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "bond") < 0 ||
	    !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
	    nla_put_u8(msg, IFLA_BOND_MODE, opts->mode) < 0 ||
	    (opts->has_miimon && nla_put_u32(msg, IFLA_BOND_MIIMON, opts->miimon) < 0) ||
	    (opts->has_fail_over_mac && nla_put_u8(msg, IFLA_BOND_FAIL_OVER_MAC, opts->fail_over_mac) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	/* Sends, waits for the kernel's answer, frees msg. */
	return host_netlink_errno(nl_send_sync(s, msg));
}

typedef struct Slave {
	const char *name;
	int index;
	bool was_up;
} Slave;

/* Everything a bond needs, asked before anything changes. */
static int check_slaves(struct nl_sock *s, const char *bond, char *const *slaves, Slave *ret, ZvError *err)
{
	for (size_t i = 0; slaves[i]; i++) {
		_cleanup_link_ struct rtnl_link *l = NULL;
		int r = host_link_name_check(slaves[i], "slave", err);
		if (r < 0)
			return r;
		if (strcmp(slaves[i], bond) == 0)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
					    "The bond '%s' cannot be its own slave", bond);
		for (size_t j = 0; j < i; j++)
			if (strcmp(slaves[i], slaves[j]) == 0)
				return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
						    "The slave '%s' is named twice", slaves[i]);
		r = host_link_lookup(s, slaves[i], &l, err);
		if (r < 0)
			return r;
		r = host_link_check_unowned(l, "enslave", err);
		if (r < 0)
			return r;
		if (rtnl_link_get_master(l) > 0)
			return zv_error_set(
				err, ZV_ERROR_OPERATION_INVALID, EPERM,
				"Cannot enslave '%s' to the bond '%s': it is in another bond or bridge "
				"already (its master has index %d)",
				slaves[i], bond, rtnl_link_get_master(l));
		ret[i] = (Slave){
			.name = slaves[i],
			.index = rtnl_link_get_ifindex(l),
			.was_up = rtnl_link_get_flags(l) & IFF_UP,
		};
	}
	return 0;
}

int host_link_create_bond(const char *name, char *const *slaves, const HostBondOptions *opts, ZvError *err)
{
	static char *const none[] = {NULL};
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	_cleanup_free_ Slave *sl = NULL;
	size_t n = 0;

	if (!slaves)
		slaves = none;
	int r = host_link_name_check(name, "bond name", err);
	if (r < 0)
		return r;
	if (host_bond_mode_to_string(opts->mode) == NULL ||
	    (opts->has_fail_over_mac &&
	     (opts->fail_over_mac < 0 || opts->fail_over_mac >= _HOST_BOND_FOM_MAX)))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Bad bond options");
	while (slaves[n])
		n++;
	sl = calloc(n + 1, sizeof(*sl));
	if (!sl)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");

	r = host_netlink_connect(&s);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot open rtnetlink: %s", strerror(-r));
	r = check_name_free(s, name, err);
	if (r < 0)
		return r;
	r = check_slaves(s, name, slaves, sl, err);
	if (r < 0)
		return r;

	r = send_new_bond(s, name, opts);
	if (r < 0)
		return creation_failed(r, "bond", name, "bonding", "bonding", err);

	_cleanup_link_ struct rtnl_link *bond = NULL;
	r = host_link_lookup(s, name, &bond, err);
	if (r < 0)
		return r;
	int bond_index = rtnl_link_get_ifindex(bond);
	size_t i;
	for (i = 0; i < n; i++) {
		r = sl[i].was_up ? set_up(s, sl[i].index, false) : 0;
		if (r >= 0)
			r = set_master(s, sl[i].index, bond_index);
		if (r < 0)
			break;
	}
	if (i == n) {
		log_info("Created bond %s (%s) with %zu slaves", name, host_bond_mode_to_string(opts->mode),
			 n);
		return 0;
	}

	/* Undone: the bond goes (which releases its slaves), and the slaves
	 * that were up come up again. */
	zv_error_set(err, ZV_ERROR_HOST, -r,
		     "Cannot enslave '%s' to the bond '%s': %s; the bond was removed again", sl[i].name,
		     name, strerror(-r));
	int k = delete_index(s, bond_index);
	if (k < 0)
		log_warning("Cannot remove the half-made bond %s: %s", name, strerror(-k));
	for (size_t j = 0; j <= i && j < n; j++)
		if (sl[j].was_up && (k = set_up(s, sl[j].index, true)) < 0)
			log_warning("Cannot bring %s up again: %s", sl[j].name, strerror(-k));
	return r;
}

char *host_vlan_default_name(const char *link, uint16_t id)
{
	char *name;
	if (asprintf(&name, "%s.%u", link, (unsigned)id) < 0)
		return NULL;
	return name;
}

int host_vlan_id_check(uint32_t id, ZvError *err)
{
	if (id >= 1 && id <= 4094)
		return 0;
	return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
			    "The VLAN id %u is out of range; an 802.1Q id is 1 to 4094", id);
}

int host_link_create_vlan(const char *link, uint16_t id, const char *name, ZvError *err)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	_cleanup_link_ struct rtnl_link *parent = NULL, *vlan = NULL;

	int r = host_link_name_check(link, "link", err);
	if (r >= 0)
		r = host_vlan_id_check(id, err);
	if (r >= 0)
		r = host_link_name_check(name, "VLAN name", err);
	if (r < 0)
		return r;
	r = host_netlink_connect(&s);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, -r, "Cannot open rtnetlink: %s", strerror(-r));
	r = host_link_lookup(s, link, &parent, err);
	if (r < 0)
		return r;
	r = check_name_free(s, name, err);
	if (r < 0)
		return r;

	vlan = rtnl_link_vlan_alloc();
	if (!vlan)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	rtnl_link_set_name(vlan, name);
	rtnl_link_set_link(vlan, rtnl_link_get_ifindex(parent));
	r = host_netlink_errno(rtnl_link_vlan_set_id(vlan, id));
	if (r >= 0)
		r = host_netlink_errno(rtnl_link_add(s, vlan, NLM_F_CREATE | NLM_F_EXCL));
	if (r < 0)
		return creation_failed(r, "VLAN", name, "802.1Q VLAN", "8021q", err);
	log_info("Created VLAN %s (id %u on %s)", name, (unsigned)id, link);
	return 0;
}
