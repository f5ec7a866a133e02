/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A guest NIC on the command line and in hot-plug: the tap backend
 * (-netdev / netdev_add, on a descriptor the daemon opened: a macvtap's
 * /dev/tapN or a tap from /dev/net/tun) and the virtio-net-ccw device
 * on it, with libvirt's ids (hostnet<N> for the backend of net<N>). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmdline-internal.h"
#include "cmdline.h"

int qemu_net_netdev_id(const InterfaceDef *net, char buf[static QEMU_NODE_NAME_MAX])
{
	if (!net->info.alias || strlen(net->info.alias) + strlen("host") >= QEMU_NODE_NAME_MAX)
		return -ENAMETOOLONG;
	snprintf(buf, QEMU_NODE_NAME_MAX, "host%s", net->info.alias);
	return 0;
}

static int check_net(const InterfaceDef *net, ZvError *err)
{
	char mac[NET_MAC_STRING_MAX], what[64], id[QEMU_NODE_NAME_MAX];
	snprintf(what, sizeof(what), "Interface %s", net_mac_to_string(net->mac, mac));
	int r = check_alias(&net->info, what, err);
	if (r < 0)
		return r;
	if (net->model != NET_MODEL_VIRTIO)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "%s: unsupported model", what);
	if (qemu_net_netdev_id(net, id) < 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "%s: alias '%s' is too long",
				    what, net->info.alias);
	return 0;
}

int qemu_net_netdev_props(const InterfaceDef *net, const char *fd, json_object **ret, ZvError *err)
{
	char id[QEMU_NODE_NAME_MAX];
	int r = check_net(net, err);
	if (r < 0)
		return r;
	(void)qemu_net_netdev_id(net, id);
	/* vhost stays off: QEMU opens /dev/vhost-net itself, which the
	 * unprivileged QEMU user may not; under TCG it would not help. */
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	if (!o || json_add_string(o, "type", "tap") < 0 || json_add_string(o, "fd", fd) < 0 ||
	    json_add_string(o, "id", id) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*ret = TAKE_PTR(o);
	return 0;
}

int qemu_net_device_props(const InterfaceDef *net, json_object **ret, ZvError *err)
{
	char id[QEMU_NODE_NAME_MAX], mac[NET_MAC_STRING_MAX];
	int r = check_net(net, err);
	if (r < 0)
		return r;
	(void)qemu_net_netdev_id(net, id);
	/* libvirt's order: driver, netdev, id, mac, the address, bootindex. */
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	if (!o || json_add_string(o, "driver", "virtio-net-ccw") < 0 ||
	    json_add_string(o, "netdev", id) < 0 || json_add_string(o, "id", net->info.alias) < 0 ||
	    json_add_string(o, "mac", net_mac_to_string(net->mac, mac)) < 0 ||
	    (net->mtu && json_add_int(o, "host_mtu", net->mtu) < 0) ||
	    add_devno(o, &net->info.address) < 0 ||
	    (net->info.boot_order > 0 && json_add_int(o, "bootindex", net->info.boot_order) < 0))
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*ret = TAKE_PTR(o);
	return 0;
}

int add_interface(Argv *a, const InterfaceDef *net, int fd, ZvError *err)
{
	_cleanup_(json_object_putp) json_object *netdev = NULL, *device = NULL;
	char fdbuf[16];
	/* -1 where no descriptor exists (DomainXMLToNative): QEMU would
	 * refuse it, which is right for a line that was never meant to run. */
	snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
	int r = qemu_net_netdev_props(net, fdbuf, &netdev, err);
	if (r >= 0)
		r = qemu_net_device_props(net, &device, err);
	if (r < 0)
		return r;
	argv_add_pair(a, "-netdev", json_to_arg(netdev));
	argv_add_pair(a, "-device", device_props_to_opts(device));
	return 0;
}
