/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest NICs' host links: macvtap links and taps made, tagged, enslaved
 * and deleted through rtnetlink, their counters read back. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <netlink/route/link.h>
#include <netlink/route/link/macvtap.h>

#include "net-link.h"
#include "netlink.h"
#include "util/cleanup.h"

/* The names tried for a macvtap the user did not name; past that, a
 * host has more of them than any sensible number of NICs. */
#define MACVTAP_NAMES_MAX 4096

static inline void rtnl_link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
#define _cleanup_link_ _cleanup_(rtnl_link_putp)

static uint32_t kernel_mode(MacvtapMode m)
{
	switch (m) {
	case MACVTAP_MODE_BRIDGE:
		return MACVLAN_MODE_BRIDGE;
	case MACVTAP_MODE_PRIVATE:
		return MACVLAN_MODE_PRIVATE;
	case MACVTAP_MODE_PASSTHROUGH:
		return MACVLAN_MODE_PASSTHRU;
	case MACVTAP_MODE_VEPA:
	default:
		return MACVLAN_MODE_VEPA;
	}
}

static int link_get(struct nl_sock *s, const char *name, struct rtnl_link **ret)
{
	int r = rtnl_link_get_kernel(s, 0, name, ret);
	return r < 0 ? host_netlink_errno(r) : 0;
}

/* The tag, then master and up: one change each, so that a kernel that
 * refuses one says which. */
static int link_configure(struct nl_sock *s, const char *name, const char *tag, const uint8_t *mac,
			  unsigned mtu, int master_ifindex, ZvError *err)
{
	_cleanup_link_ struct rtnl_link *orig = NULL, *change = NULL;
	int r = link_get(s, name, &orig);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot find the new link %s: %s", name,
				    strerror(-r));
	if (!(change = rtnl_link_alloc()))
		return -ENOMEM;
	rtnl_link_set_ifalias(change, tag);
	if (mac) {
		struct nl_addr *a = nl_addr_build(AF_LLC, mac, NET_MAC_SIZE);
		if (!a)
			return -ENOMEM;
		rtnl_link_set_addr(change, a);
		nl_addr_put(a);
	}
	if (mtu)
		rtnl_link_set_mtu(change, mtu);
	r = host_netlink_errno(rtnl_link_change(s, orig, change, 0));
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot set the address, MTU or alias of %s: %s",
				    name, strerror(-r));
	if (master_ifindex > 0) {
		rtnl_link_put(change);
		if (!(change = rtnl_link_alloc()))
			return -ENOMEM;
		rtnl_link_set_master(change, master_ifindex);
		r = host_netlink_errno(rtnl_link_change(s, orig, change, 0));
		if (r < 0)
			return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot add %s to its bridge: %s", name,
					    strerror(-r));
	}
	rtnl_link_put(change);
	if (!(change = rtnl_link_alloc()))
		return -ENOMEM;
	rtnl_link_set_flags(change, IFF_UP);
	r = host_netlink_errno(rtnl_link_change(s, orig, change, 0));
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot bring %s up: %s", name, strerror(-r));
	return 0;
}

static void link_delete(struct nl_sock *s, const char *name)
{
	_cleanup_link_ struct rtnl_link *l = rtnl_link_alloc();
	if (!l)
		return;
	rtnl_link_set_name(l, name);
	(void)rtnl_link_delete(s, l);
}

static int macvtap_add(struct nl_sock *s, int parent, const char *name, MacvtapMode mode,
		       const uint8_t mac[static NET_MAC_SIZE])
{
	_cleanup_link_ struct rtnl_link *l = rtnl_link_macvtap_alloc();
	if (!l)
		return -ENOMEM;
	rtnl_link_set_link(l, parent);
	rtnl_link_set_name(l, name);
	int r = rtnl_link_macvtap_set_mode(l, kernel_mode(mode));
	if (r < 0)
		return host_netlink_errno(r);
	struct nl_addr *a = nl_addr_build(AF_LLC, mac, NET_MAC_SIZE);
	if (!a)
		return -ENOMEM;
	rtnl_link_set_addr(l, a);
	nl_addr_put(a);
	return host_netlink_errno(rtnl_link_add(s, l, NLM_F_CREATE | NLM_F_EXCL));
}

int host_macvtap_create(const char *parent, const char *name, MacvtapMode mode,
			const uint8_t mac[static NET_MAC_SIZE], const char *tag, char **ret_name,
			int *ret_fd, ZvError *err)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	char buf[IFNAMSIZ];
	int r = host_netlink_connect(&s);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot open rtnetlink: %s", strerror(-r));

	_cleanup_link_ struct rtnl_link *lower = NULL;
	r = link_get(s, parent, &lower);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r,
				    r == -ENODEV
					    ? "The host has no network interface '%s' for a macvtap link"
					    : "Cannot look up the host interface '%s' for a macvtap link",
				    parent);
	int parent_index = rtnl_link_get_ifindex(lower);

	if (name) {
		snprintf(buf, sizeof(buf), "%s", name);
		r = macvtap_add(s, parent_index, buf, mode, mac);
		if (r == -EEXIST)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
					    "The host already has a link named '%s' (the interface's target "
					    "dev)",
					    name);
	} else {
		/* The kernel's "%d" names are not told back reliably on every
		 * kernel: try the numbers, as libvirt does. */
		r = -EEXIST;
		for (unsigned i = 0; r == -EEXIST && i < MACVTAP_NAMES_MAX; i++) {
			snprintf(buf, sizeof(buf), NET_TARGET_PREFIX_MACVTAP "%u", i);
			r = macvtap_add(s, parent_index, buf, mode, mac);
		}
	}
	if (r == -EOPNOTSUPP)
		return zv_error_set(err, ZV_ERROR_HOST, EOPNOTSUPP,
				    "The kernel has no macvtap support (module macvtap) for a direct "
				    "interface on %s",
				    parent);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot create a macvtap link on %s: %s", parent,
				    strerror(-r));

	r = link_configure(s, buf, tag, NULL, 0, 0, err);
	_cleanup_link_ struct rtnl_link *made = NULL;
	if (r >= 0 && (r = link_get(s, buf, &made)) < 0)
		zv_error_set(err, ZV_ERROR_HOST, r, "Cannot find the new link %s: %s", buf, strerror(-r));
	_cleanup_close_ int fd = -1;
	if (r >= 0) {
		char dev[32];
		snprintf(dev, sizeof(dev), "/dev/tap%d", rtnl_link_get_ifindex(made));
		fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			r = zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot open %s of macvtap link %s: %m",
					 dev, buf);
	}
	if (r >= 0) {
		/* QEMU finds the vnet header on the descriptor and uses it. */
		struct ifreq ifr = {};
		if (ioctl(fd, TUNGETIFF, &ifr) < 0 ||
		    (ifr.ifr_flags |= IFF_VNET_HDR, ioctl(fd, TUNSETIFF, &ifr) < 0))
			r = zv_error_set(err, ZV_ERROR_HOST, errno,
					 "Cannot enable vnet headers on macvtap link %s: %m", buf);
	}
	if (r < 0) {
		link_delete(s, buf);
		return r;
	}
	char *n = strdup(buf);
	if (!n) {
		link_delete(s, buf);
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	*ret_name = n;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int host_tap_create(const char *name, uid_t owner, const uint8_t mac[static NET_MAC_SIZE], unsigned mtu,
		    const char *bridge, const char *tag, char **ret_name, int *ret_fd, ZvError *err)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	int r = host_netlink_connect(&s);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot open rtnetlink: %s", strerror(-r));

	int master = 0;
	if (bridge) {
		_cleanup_link_ struct rtnl_link *br = NULL;
		r = link_get(s, bridge, &br);
		if (r == -ENODEV)
			return zv_error_set(err, ZV_ERROR_HOST, ENODEV, "The host has no bridge '%s'",
					    bridge);
		if (r < 0)
			return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot look up bridge '%s': %s", bridge,
					    strerror(-r));
		const char *kind = rtnl_link_get_type(br);
		if (!kind || strcmp(kind, "bridge") != 0)
			return zv_error_set(err, ZV_ERROR_HOST, EINVAL,
					    "The host link '%s' is not a Linux bridge (an Open vSwitch "
					    "bridge needs <virtualport type='openvswitch'/>)",
					    bridge);
		master = rtnl_link_get_ifindex(br);
		if (!mtu)
			mtu = rtnl_link_get_mtu(br);
	}

	_cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot open /dev/net/tun: %m");
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name ? name : NET_TARGET_PREFIX_TAP "%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		if (errno == EBUSY || errno == EEXIST || errno == EINVAL)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, errno,
					    "Cannot create tap device '%s': the host has a link of that "
					    "name (the interface's target dev)",
					    ifr.ifr_name);
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot create a tap device: %m");
	}
	/* The tap goes with fd: from here on, closing it undoes all. */
	if (ioctl(fd, TUNSETOWNER, (unsigned long)owner) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot give tap %s to uid %u: %m",
				    ifr.ifr_name, (unsigned)owner);
	uint8_t host_mac[NET_MAC_SIZE];
	memcpy(host_mac, mac, NET_MAC_SIZE);
	host_mac[0] = 0xfe;
	r = link_configure(s, ifr.ifr_name, tag, host_mac, mtu, master, err);
	if (r < 0)
		return r;
	char *n = strdup(ifr.ifr_name);
	if (!n)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*ret_name = n;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* A fresh socket and link name as the kernel has it now. */
static int link_fetch(const char *name, struct nl_sock **ret_sock, struct rtnl_link **ret_link)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	int r = host_netlink_connect(&s);
	if (r >= 0)
		r = link_get(s, name, ret_link);
	if (r < 0)
		return r;
	*ret_sock = TAKE_PTR(s);
	return 0;
}

int host_link_get_mtu(const char *name, unsigned *ret)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	_cleanup_link_ struct rtnl_link *l = NULL;
	int r = link_fetch(name, &s, &l);
	if (r < 0)
		return r;
	*ret = rtnl_link_get_mtu(l);
	return 0;
}

int host_link_delete_tagged(const char *name, const char *tag)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	_cleanup_link_ struct rtnl_link *l = NULL;
	int r = link_fetch(name, &s, &l);
	if (r < 0)
		return r;
	const char *alias = rtnl_link_get_ifalias(l);
	if (!alias || strcmp(alias, tag) != 0)
		return -EPERM;
	return host_netlink_errno(rtnl_link_delete(s, l));
}

/* Both lists NULL-terminated at every step, so a failure frees what
 * is there with strv_free. */
typedef struct TaggedList {
	char **names, **tags;
	size_t n, allocated;
	int error;
} TaggedList;

static int tagged_grow(TaggedList *t)
{
	size_t a = t->allocated * 2;
	char **nn = realloc(t->names, a * sizeof(char *));
	if (!nn)
		return -ENOMEM;
	t->names = nn;
	char **tt = realloc(t->tags, a * sizeof(char *));
	if (!tt)
		return -ENOMEM;
	t->tags = tt;
	t->allocated = a;
	return 0;
}

static void collect_tagged(struct nl_object *obj, void *userdata)
{
	TaggedList *t = userdata;
	struct rtnl_link *l = (struct rtnl_link *)obj;
	const char *alias = rtnl_link_get_ifalias(l), *name = rtnl_link_get_name(l);
	if (t->error || !alias || !name ||
	    strncmp(alias, HOST_LINK_TAG_PREFIX, strlen(HOST_LINK_TAG_PREFIX)) != 0)
		return;
	if (t->n + 1 >= t->allocated && (t->error = tagged_grow(t)) < 0)
		return;
	t->names[t->n] = strdup(name);
	t->tags[t->n] = strdup(alias);
	t->n++;
	t->names[t->n] = t->tags[t->n] = NULL;
	if (!t->names[t->n - 1] || !t->tags[t->n - 1])
		t->error = -ENOMEM;
}

int host_links_tagged(char ***ret_names, char ***ret_tags)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	struct nl_cache *cache = NULL;
	int r = host_netlink_connect(&s);
	if (r < 0)
		return r;
	TaggedList t = {
		.names = calloc(8, sizeof(char *)), .tags = calloc(8, sizeof(char *)), .allocated = 8};
	if (!t.names || !t.tags)
		r = -ENOMEM;
	if (r >= 0)
		r = host_netlink_errno(rtnl_link_alloc_cache(s, AF_UNSPEC, &cache));
	if (r >= 0) {
		nl_cache_foreach(cache, collect_tagged, &t);
		nl_cache_free(cache);
		r = t.error;
	}
	if (r < 0) {
		strv_free(t.names);
		strv_free(t.tags);
		return r;
	}
	*ret_names = t.names;
	*ret_tags = t.tags;
	return 0;
}

int host_link_stats(const char *name, HostLinkStats *ret, ZvError *err)
{
	_cleanup_nl_sock_ struct nl_sock *s = NULL;
	_cleanup_link_ struct rtnl_link *l = NULL;
	int r = link_fetch(name, &s, &l);
	if (r < 0)
		return zv_error_set(err, r == -ENODEV ? ZV_ERROR_NO_SUCH_DEVICE : ZV_ERROR_HOST, r,
				    "Cannot read the counters of host link %s: %s", name, strerror(-r));
	*ret = (HostLinkStats){
		.rx_bytes = rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES),
		.rx_packets = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS),
		.rx_errs = rtnl_link_get_stat(l, RTNL_LINK_RX_ERRORS),
		.rx_drop = rtnl_link_get_stat(l, RTNL_LINK_RX_DROPPED),
		.tx_bytes = rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES),
		.tx_packets = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS),
		.tx_errs = rtnl_link_get_stat(l, RTNL_LINK_TX_ERRORS),
		.tx_drop = rtnl_link_get_stat(l, RTNL_LINK_TX_DROPPED),
	};
	return 0;
}
