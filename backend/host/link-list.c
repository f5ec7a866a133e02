/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Listing the host's links (see link-list.h): one rtnetlink dump into a
 * libnl cache, and a few sysfs reads for what rtnetlink does not say in
 * a form libnl parses (a qeth device's driver, a bond's mode, tap or
 * tun). */
#include "host/link-list.h"

#include <errno.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>

#include "host/netlink.h"
#include "util/cleanup.h"
#include "util/fileio.h"

/* From linux/if_tun.h, which pulls in more than this needs. */
#define TUN_FLAG_TAP 0x0002

static inline void nl_cache_freep(struct nl_cache **c)
{
	if (*c)
		nl_cache_free(*c);
}

/* <sysfs>/class/net/<name>/<attr>, first line without its newline;
 * NULL when it cannot be read. */
static char *read_net_attr(const char *sysfs_root, const char *name, const char *attr)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	if (asprintf(&path, "%s/class/net/%s/%s", sysfs_root, name, attr) < 0)
		return NULL;
	if (read_file_full(path, 4096, &text, NULL) < 0)
		return NULL;
	text[strcspn(text, "\n")] = '\0';
	return TAKE_PTR(text);
}

/* The basename of <sysfs>/class/net/<name>/device/driver: "qeth" for an
 * OSA card; NULL without a device (a virtual link). */
static char *device_driver(const char *sysfs_root, const char *name, bool *ret_has_device)
{
	_cleanup_free_ char *dev = NULL, *drv = NULL;
	char target[PATH_MAX];

	*ret_has_device = false;
	if (asprintf(&dev, "%s/class/net/%s/device", sysfs_root, name) < 0)
		return NULL;
	if (access(dev, F_OK) < 0)
		return NULL;
	*ret_has_device = true;
	if (asprintf(&drv, "%s/driver", dev) < 0)
		return NULL;
	ssize_t n = readlink(drv, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	return strdup(base ? base + 1 : target);
}

static char *link_kind(const char *sysfs_root, struct rtnl_link *l)
{
	const char *name = rtnl_link_get_name(l);
	const char *type = rtnl_link_get_type(l);

	if (rtnl_link_get_arptype(l) == ARPHRD_LOOPBACK)
		return strdup("loopback");
	if (type && strcmp(type, "tun") == 0) {
		/* rtnetlink says "tun" for both; the flags tell a tap. */
		_cleanup_free_ char *flags = read_net_attr(sysfs_root, name, "tun_flags");
		unsigned long f = flags ? strtoul(flags, NULL, 0) : 0;
		return strdup(f & TUN_FLAG_TAP ? "tap" : "tun");
	}
	if (type)
		return strdup(type);
	bool has_device;
	_cleanup_free_ char *driver = device_driver(sysfs_root, name, &has_device);
	if (driver && strcmp(driver, "qeth") == 0)
		return strdup("qeth");
	/* No kind: a link of a device driver. */
	return strdup("physical");
}

static const char *operstate_name(uint8_t state)
{
	static const char *const names[] = {
		[IF_OPER_UNKNOWN] = "unknown", [IF_OPER_NOTPRESENT] = "notpresent",
		[IF_OPER_DOWN] = "down",       [IF_OPER_LOWERLAYERDOWN] = "lowerlayerdown",
		[IF_OPER_TESTING] = "testing", [IF_OPER_DORMANT] = "dormant",
		[IF_OPER_UP] = "up",
	};
	return state < sizeof(names) / sizeof(names[0]) && names[state] ? names[state] : "unknown";
}

static char *link_mac(struct rtnl_link *l)
{
	struct nl_addr *a = rtnl_link_get_addr(l);
	char buf[128];
	if (!a || nl_addr_get_len(a) == 0)
		return strdup("");
	return strdup(nl_addr2str(a, buf, sizeof(buf)));
}

static char *index_name(struct nl_cache *cache, int index)
{
	char buf[IFNAMSIZ];
	if (index <= 0 || !rtnl_link_i2name(cache, index, buf, sizeof(buf)))
		return strdup("");
	return strdup(buf);
}

/* The links whose master is the bond. */
static char **bond_slaves(struct nl_cache *cache, int bond)
{
	size_t n = 0;
	char **v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *s = (struct rtnl_link *)o;
		if (rtnl_link_get_master(s) != bond)
			continue;
		char **nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			goto fail;
		v = nv;
		if (!(v[n] = strdup(rtnl_link_get_name(s))))
			goto fail;
		v[++n] = NULL;
	}
	return v;
fail:
	strv_free(v);
	return NULL;
}

static void host_link_done(HostLink *h)
{
	free(h->name);
	free(h->kind);
	free(h->mac);
	free(h->operstate);
	free(h->master);
	free(h->alias);
	free(h->bond_mode);
	strv_free(h->bond_slaves);
	free(h->vlan_link);
}

static int link_fill(const char *sysfs_root, struct nl_cache *cache, struct rtnl_link *l, HostLink *h)
{
	const char *alias = rtnl_link_get_ifalias(l);

	h->name = strdup(rtnl_link_get_name(l));
	h->index = (uint32_t)rtnl_link_get_ifindex(l);
	h->kind = link_kind(sysfs_root, l);
	h->mac = link_mac(l);
	h->mtu = rtnl_link_get_mtu(l);
	h->qlen = rtnl_link_get_txqlen(l);
	h->operstate = strdup(operstate_name(rtnl_link_get_operstate(l)));
	h->up = rtnl_link_get_flags(l) & IFF_UP;
	h->master = index_name(cache, rtnl_link_get_master(l));
	h->alias = strdup(alias ? alias : "");
	if (!h->name || !h->kind || !h->mac || !h->operstate || !h->master || !h->alias)
		return -ENOMEM;
	if (strcmp(h->kind, "bond") == 0) {
		/* "active-backup 1": the name, then the number. */
		h->bond_mode = read_net_attr(sysfs_root, h->name, "bonding/mode");
		if (h->bond_mode)
			h->bond_mode[strcspn(h->bond_mode, " ")] = '\0';
		else if (!(h->bond_mode = strdup("")))
			return -ENOMEM;
		if (!(h->bond_slaves = bond_slaves(cache, (int)h->index)))
			return -ENOMEM;
	} else if (strcmp(h->kind, "vlan") == 0) {
		int id = rtnl_link_vlan_get_id(l);
		h->vlan_id = id > 0 ? (uint16_t)id : 0;
		if (!(h->vlan_link = index_name(cache, rtnl_link_get_link(l))))
			return -ENOMEM;
	}
	return 0;
}

static int cmp_index(const void *a, const void *b)
{
	uint32_t x = ((const HostLink *)a)->index, y = ((const HostLink *)b)->index;
	return x < y ? -1 : x > y;
}

int host_link_list(const char *sysfs_root, HostLinkList *ret, ZvError *err)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
	HostLinkList l = {};

	int r = host_netlink_connect(&s);
	if (r >= 0)
		r = host_netlink_errno(rtnl_link_alloc_cache(s, AF_UNSPEC, &cache));
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, -r,
				    "Cannot read the network links from the kernel: %s", strerror(-r));

	size_t n = (size_t)nl_cache_nitems(cache);
	l.links = calloc(n ? n : 1, sizeof(*l.links));
	if (!l.links)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	for (struct nl_object *o = nl_cache_get_first(cache); o && l.n < n; o = nl_cache_get_next(o)) {
		r = link_fill(sysfs_root, cache, (struct rtnl_link *)o, &l.links[l.n++]);
		if (r < 0) {
			host_link_list_done(&l);
			return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		}
	}
	qsort(l.links, l.n, sizeof(*l.links), cmp_index);
	*ret = l;
	return 0;
}

void host_link_list_done(HostLinkList *l)
{
	for (size_t i = 0; i < l->n; i++)
		host_link_done(&l->links[i]);
	free(l->links);
	*l = (HostLinkList){};
}
