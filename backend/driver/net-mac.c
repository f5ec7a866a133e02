/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Generated MACs unique among this host's domains: the parse draws a
 * random 52:54:00 address for a NIC without <mac>; before it is kept
 * (DefineXML, CreateXML, AttachDevice) it is drawn again while another
 * NIC of the host, or of the same definition, has it. A MAC the user
 * gave is theirs to choose: two domains may share one, as in libvirt. */

#include <errno.h>
#include <string.h>

#include "domain-internal.h"
#include "registry-internal.h"

/* Tries before giving up: 2^24 addresses, a few thousand NICs. */
#define MAC_DRAWS 64

static bool def_has_mac(const DomainDef *def, const InterfaceDef *self,
			const uint8_t mac[static NET_MAC_SIZE])
{
	for (size_t i = 0; def && i < def->n_interfaces; i++)
		if (&def->interfaces[i] != self && memcmp(def->interfaces[i].mac, mac, NET_MAC_SIZE) == 0)
			return true;
	return false;
}

static bool host_has_mac(Registry *r, const DomainDef *own, const InterfaceDef *self)
{
	Domain *d;
	if (def_has_mac(own, self, self->mac))
		return true;
	for (size_t i = 0; registry_iterate(r, &i, &d);)
		if ((d->def != own && def_has_mac(d->def, self, self->mac)) ||
		    (d->live != own && def_has_mac(d->live, self, self->mac)))
			return true;
	return false;
}

int registry_unique_mac(Registry *r, const DomainDef *own, InterfaceDef *net, ZvError *err)
{
	if (!net->mac_generated)
		return 0;
	for (unsigned k = 0; k < MAC_DRAWS; k++) {
		if (!host_has_mac(r, own, net))
			return 0;
		int e = net_mac_generate(net->mac);
		if (e < 0)
			return zv_error_set(err, ZV_ERROR_HOST, -e, "Cannot draw a MAC address: %s",
					    strerror(-e));
	}
	return zv_error_set(err, ZV_ERROR_HOST, EADDRINUSE,
			    "No free MAC address found in %d draws; give the interface a <mac>", MAC_DRAWS);
}

int registry_unique_macs(Registry *r, DomainDef *def, ZvError *err)
{
	for (size_t i = 0; i < def->n_interfaces; i++) {
		int k = registry_unique_mac(r, def, &def->interfaces[i], err);
		if (k < 0)
			return k;
	}
	return 0;
}
