/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A running NIC's counters: its host link's, turned to the guest's view.
 * rtnetlink answers at once, so this runs on the loop. */

#include "net-stats.h"

#include <errno.h>
#include <string.h>

#include "domain-internal.h"

void net_stats_guest_view(NetType type, const HostLinkStats *host, HostLinkStats *ret)
{
	if (type != NET_TYPE_BRIDGE) {
		*ret = *host;
		return;
	}
	*ret = (HostLinkStats){
		.rx_bytes = host->tx_bytes,
		.rx_packets = host->tx_packets,
		.rx_errs = host->tx_errs,
		.rx_drop = host->tx_drop,
		.tx_bytes = host->rx_bytes,
		.tx_packets = host->rx_packets,
		.tx_errs = host->rx_errs,
		.tx_drop = host->rx_drop,
	};
}

static int not_running(const Domain *d, const InterfaceDef *net, ZvError *err)
{
	char mac[NET_MAC_STRING_MAX];
	return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
			    "NetworkInterface.GetStats is not possible: domain '%s' is %s (%s); the "
			    "statistics of interface %s exist while it runs with its host link (running, "
			    "paused, crashed, in-shutdown)",
			    domain_name(d), domain_state_to_string(d->state),
			    domain_reason_to_string(d->reason), net_mac_to_string(net->mac, mac));
}

int domain_net_stats(const Domain *d, const InterfaceDef *net, HostLinkStats *ret, ZvError *err)
{
	if (!domain_state_is_active(d->state) || !d->live || !net->target_dev)
		return not_running(d, net, err);
	HostLinkStats host;
	int r = host_link_stats(net->target_dev, &host, err);
	if (r < 0)
		return r;
	net_stats_guest_view(net->type, &host, ret);
	return 0;
}

int domain_get_interface_stats(const Domain *d, const uint8_t mac[static NET_MAC_SIZE], HostLinkStats *ret,
			       ZvError *err)
{
	char buf[NET_MAC_STRING_MAX];
	const InterfaceDef *net = d->live ? domain_def_find_interface_by_mac(d->live, mac) : NULL;
	if (net)
		return domain_net_stats(d, net, ret, err);
	if (!domain_state_is_active(d->state) || !d->live) {
		InterfaceDef probe = {};
		memcpy(probe.mac, mac, NET_MAC_SIZE);
		return not_running(d, &probe, err);
	}
	return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV, "Domain '%s' has no interface %s",
			    domain_name(d), net_mac_to_string(mac, buf));
}
