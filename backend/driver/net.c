/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A domain's NICs on the host: their links made, handed over, removed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain-internal.h"
#include "host/net-link.h"
#include "net.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

int domain_net_prepare(Domain *d, InterfaceDef *net, int *ret_fd, ZvError *err)
{
	const Settings *s = registry_get_settings(d->registry);
	char tag[HOST_LINK_TAG_MAX], mac[NET_MAC_STRING_MAX];
	_cleanup_free_ char *name = NULL;
	int fd = -1, r;

	host_link_tag(d->uuid_hex, net->info.alias, tag);
	/* A name of the daemon's kind is a previous run's: a new one is
	 * picked. A user's name is used as it is. */
	const char *want =
		net->target_dev && !net_target_is_generated(net->target_dev) ? net->target_dev : NULL;

	switch (net->type) {
	case NET_TYPE_DIRECT: {
		const char *parent = net->source_dev ? net->source_dev : s->default_nic;
		if (!parent)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
					    "Interface %s of domain '%s' names no <source dev> and the "
					    "configuration has no [Network] DefaultNIC=",
					    net_mac_to_string(net->mac, mac), domain_name(d));
		r = host_macvtap_create(parent, want, net->mode, net->mac, tag, &name, &fd, err);
		break;
	}
	case NET_TYPE_BRIDGE: {
		uid_t owner = geteuid() == 0 ? s->qemu_uid : geteuid();
		if (net->virtualport != VIRTUALPORT_OPENVSWITCH) {
			r = host_tap_create(want, owner, net->mac, net->mtu, net->source_bridge, tag, &name,
					    &fd, err);
			break;
		}
		/* On no Linux bridge: domain_net_connect makes it an OVS port.
		 * The OVS bridge's own link tells its MTU, as a Linux
		 * bridge's does; without one the kernel's default. */
		unsigned mtu = net->mtu;
		if (!mtu && host_link_get_mtu(net->source_bridge, &mtu) < 0)
			mtu = 0;
		r = host_tap_create(want, owner, net->mac, mtu, NULL, tag, &name, &fd, err);
		break;
	}
	default:
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Unsupported interface type");
	}
	if (r < 0)
		return r;
	free(net->target_dev);
	net->target_dev = TAKE_PTR(name);
	log_info("Domain %s: interface %s is %s on the host", domain_name(d),
		 net_mac_to_string(net->mac, mac), net->target_dev);
	*ret_fd = fd;
	return 0;
}

void domain_net_close_fds(int *fds, size_t n)
{
	for (size_t i = 0; fds && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

int domain_net_prepare_all(Domain *d, int **ret_fds, ZvError *err)
{
	DomainDef *live = d->live;
	*ret_fds = NULL;
	if (live->n_interfaces == 0)
		return 0;
	int *fds = calloc(live->n_interfaces, sizeof(int));
	if (!fds)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	for (size_t i = 0; i < live->n_interfaces; i++)
		fds[i] = -1;
	for (size_t i = 0; i < live->n_interfaces; i++) {
		int r = domain_net_prepare(d, &live->interfaces[i], &fds[i], err);
		if (r < 0) {
			for (size_t k = 0; k < i; k++)
				domain_net_release(d, &live->interfaces[k]);
			domain_net_close_fds(fds, live->n_interfaces);
			return r;
		}
	}
	*ret_fds = fds;
	return 0;
}

/* A macvtap of this run: deleted when it carries d's tag. */
static void delete_macvtap(Domain *d, const InterfaceDef *net)
{
	char tag[HOST_LINK_TAG_MAX];
	if (!net->target_dev || net->type != NET_TYPE_DIRECT)
		return;
	int r = host_link_delete_tagged(net->target_dev, host_link_tag(d->uuid_hex, net->info.alias, tag));
	if (r == -EPERM)
		log_warning("Domain %s: host link %s is not the one zvirtd made for %s; left alone",
			    domain_name(d), net->target_dev, net->info.alias ?: "?");
	else if (r < 0 && r != -ENODEV)
		log_warning("Domain %s: cannot delete host link %s: %s", domain_name(d), net->target_dev,
			    strerror(-r));
}

void domain_net_release(Domain *d, const InterfaceDef *net)
{
	/* The port's removal is queued before anything else can ask for a
	 * port of the tap's name again. */
	domain_net_disconnect(d, &net, 1);
	delete_macvtap(d, net);
}

void domain_net_release_all(Domain *d)
{
	if (!d->live || d->live->n_interfaces == 0)
		return;
	size_t n = d->live->n_interfaces;
	_cleanup_free_ const InterfaceDef **nets = calloc(n, sizeof(*nets));
	if (nets) {
		for (size_t i = 0; i < n; i++)
			nets[i] = &d->live->interfaces[i];
		domain_net_disconnect(d, nets, n); /* one job for all the ports */
	} else
		log_warning("Domain %s: out of memory removing its Open vSwitch ports", domain_name(d));
	for (size_t i = 0; i < n; i++)
		delete_macvtap(d, &d->live->interfaces[i]);
}

/* Whether the link of that name and tag belongs to a running domain;
 * a tag we cannot read counts as in use (we cannot tell whose it is). */
static bool link_in_use(Registry *r, const char *name, const char *tag)
{
	char uuid[33];
	_cleanup_free_ char *alias = NULL;
	if (host_link_tag_parse(tag, uuid, &alias) <= 0)
		return true;
	Domain *d = registry_find_by_uuid(r, uuid);
	if (!d || !d->live)
		return false;
	for (size_t i = 0; i < d->live->n_interfaces; i++) {
		const InterfaceDef *net = &d->live->interfaces[i];
		if (net->target_dev && strcmp(net->target_dev, name) == 0 && net->info.alias &&
		    strcmp(net->info.alias, alias) == 0)
			return true;
	}
	return false;
}

void registry_net_remove_leftovers(Registry *r)
{
	_cleanup_strv_free_ char **names = NULL, **tags = NULL;
	registry_net_ovs_remove_leftovers(r);
	int k = host_links_tagged(&names, &tags);
	if (k < 0) {
		log_warning("Cannot list the host's links for leftovers: %s", strerror(-k));
		return;
	}
	for (size_t i = 0; names[i]; i++) {
		if (link_in_use(r, names[i], tags[i]))
			continue;
		k = host_link_delete_tagged(names[i], tags[i]);
		if (k < 0 && k != -ENODEV)
			log_warning("Cannot delete leftover host link %s (%s): %s", names[i], tags[i],
				    strerror(-k));
		else
			log_info("Deleted host link %s, left over by a domain that no longer runs (%s)",
				 names[i], tags[i]);
	}
}
