/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <interface type='direct'> (a macvtap link on a host interface) and
 * <interface type='bridge'> (a tap on a Linux or Open vSwitch bridge):
 * the guest's virtio-net-ccw NIC, read into an InterfaceDef and written
 * back in libvirt's order. What the host makes of it is the driver's
 * (driver/net-*.c); unique MACs and boot orders across devices are
 * domain-validate.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml-internal.h"

int check_ifname(ParseContext *c, const xmlNode *n, const char *what, const char *name)
{
	char vbuf[80];
	const char *problem = net_ifname_problem(name);
	if (problem)
		return xml_error(c->err, n, "%s '%s' is not a valid network interface name: %s", what,
				 shorten(name, vbuf), problem);
	return 0;
}

bool net_target_is_generated(const char *name)
{
	return strncmp(name, NET_TARGET_PREFIX_MACVTAP, strlen(NET_TARGET_PREFIX_MACVTAP)) == 0 ||
	       strncmp(name, NET_TARGET_PREFIX_TAP, strlen(NET_TARGET_PREFIX_TAP)) == 0;
}

static int parse_mac(ParseContext *c, xmlNode *n, InterfaceDef *net)
{
	_cleanup_free_ char *address = NULL;
	char vbuf[80];
	int r = CHECK_ATTRIBUTES(c, n, "address");
	if (r >= 0)
		r = attr_get(n, "address", &address);
	if (r < 0)
		return r;
	if (!address)
		return xml_error(c->err, n, "missing attribute 'address'");
	if (net_mac_parse(address, net->mac) < 0)
		return xml_error(c->err, n,
				 "MAC address '%s' is not six hexadecimal pairs such as 52:54:00:6a:0b:53",
				 shorten(address, vbuf));
	if (net->mac[0] & 1)
		return xml_error(c->err, n,
				 "MAC address '%s' is a multicast address (the lowest bit of the first "
				 "byte is set); a NIC needs a unicast one",
				 shorten(address, vbuf));
	static const uint8_t zero[NET_MAC_SIZE];
	if (memcmp(net->mac, zero, NET_MAC_SIZE) == 0)
		return xml_error(c->err, n, "MAC address 00:00:00:00:00:00 is not a valid address");
	return 0;
}

static int parse_source(ParseContext *c, xmlNode *n, InterfaceDef *net)
{
	int v, r;

	if (net->type == NET_TYPE_DIRECT) {
		r = CHECK_ATTRIBUTES(c, n, "dev", "mode");
		if (r >= 0)
			r = attr_get(n, "dev", &net->source_dev);
		if (r >= 0 && net->source_dev)
			r = check_ifname(c, n, "source dev", net->source_dev);
		if (r >= 0)
			r = attr_enum(c, n, "mode", macvtap_mode_from_string,
				      "one of: vepa, bridge, private, passthrough", &v);
		if (r > 0)
			net->mode = (MacvtapMode)v;
		return r < 0 ? r : 0;
	}
	r = CHECK_ATTRIBUTES(c, n, "bridge");
	if (r >= 0)
		r = attr_get(n, "bridge", &net->source_bridge);
	if (r < 0)
		return r;
	if (!net->source_bridge)
		return xml_error(c->err, n, "missing attribute 'bridge' (the host bridge to join)");
	return check_ifname(c, n, "source bridge", net->source_bridge);
}

static int parse_virtualport(ParseContext *c, xmlNode *n, InterfaceDef *net)
{
	xmlNode *child = NULL, *params = NULL;
	char vbuf[80];
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "type");
	if (r >= 0)
		r = attr_enum(c, n, "type", virtualport_type_from_string, "'openvswitch'", &v);
	if (r < 0)
		return r;
	if (r == 0 || v == VIRTUALPORT_NONE)
		return xml_error(c->err, n, "missing attribute 'type' (expected 'openvswitch')");
	if (net->type != NET_TYPE_BRIDGE)
		return xml_error(c->err, n,
				 "<virtualport type='openvswitch'> needs <interface type='bridge'> (an "
				 "Open vSwitch bridge)");
	net->virtualport = (VirtualPortType)v;
	while ((r = next_child(c, n, &child)) > 0) {
		if (!node_is(child, "parameters")) {
			r = unknown_element(c, child);
			if (r < 0)
				return r;
			continue;
		}
		r = once(c, &params, child);
		if (r >= 0)
			r = CHECK_ATTRIBUTES(c, child, "interfaceid");
		if (r < 0)
			return r;
		_cleanup_free_ char *id = NULL;
		r = attr_get(child, "interfaceid", &id);
		if (r < 0)
			return r;
		if (id && sd_id128_from_string(trim(id), &net->interface_id) < 0)
			return xml_error(c->err, child, "interfaceid '%s' is not a UUID", shorten(id, vbuf));
	}
	return r;
}

static int parse_vlan(ParseContext *c, xmlNode *n, InterfaceDef *net)
{
	xmlNode *child = NULL, *tag = NULL;
	bool present;
	int r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;
	while ((r = next_child(c, n, &child)) > 0) {
		if (!node_is(child, "tag")) {
			r = unknown_element(c, child);
		} else if (tag) {
			r = xml_error(c->err, child,
				      "only one <tag> is supported (an access port; trunks are not)");
		} else {
			tag = child;
			r = CHECK_ATTRIBUTES(c, child, "id");
			if (r >= 0)
				r = attr_unsigned(c, child, "id", &net->vlan_tag, &present);
			if (r >= 0 && !present)
				r = xml_error(c->err, child, "missing attribute 'id'");
			if (r >= 0 && (net->vlan_tag < 1 || net->vlan_tag > 4094))
				r = xml_error(c->err, child, "VLAN id %u is outside 1..4094", net->vlan_tag);
		}
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return require(c, n, tag, "tag");
}

static int parse_target(ParseContext *c, xmlNode *n, InterfaceDef *net)
{
	_cleanup_free_ char *dev = NULL;
	int r = CHECK_ATTRIBUTES(c, n, "dev", "managed");
	if (r >= 0)
		r = attr_get(n, "dev", &dev);
	if (r < 0)
		return r;
	if (!dev)
		return xml_error(c->err, n, "missing attribute 'dev'");
	r = check_ifname(c, n, "target dev", dev);
	if (r < 0)
		return r;
	/* libvirt's rule: a name of the kind the daemon makes up names the
	 * link of a run that is over, unless this is a running domain's. */
	if (net_target_is_generated(dev) && !(c->flags & DOMAIN_XML_PARSE_LIVE))
		return 0;
	net->target_dev = TAKE_PTR(dev);
	return 0;
}

static int parse_mtu(ParseContext *c, xmlNode *n, InterfaceDef *net)
{
	bool present;
	int r = CHECK_ATTRIBUTES(c, n, "size");
	if (r >= 0)
		r = attr_unsigned(c, n, "size", &net->mtu, &present);
	if (r < 0)
		return r;
	if (!present)
		return xml_error(c->err, n, "missing attribute 'size'");
	if (net->mtu < NET_MTU_MIN || net->mtu > NET_MTU_MAX)
		return xml_error(c->err, n, "MTU %u is outside %u..%u", net->mtu, NET_MTU_MIN, NET_MTU_MAX);
	return 0;
}

static int parse_link(ParseContext *c, xmlNode *n, InterfaceDef *net)
{
	_cleanup_free_ char *state = NULL;
	char vbuf[80];
	int r = CHECK_ATTRIBUTES(c, n, "state");
	if (r >= 0)
		r = attr_get(n, "state", &state);
	if (r < 0)
		return r;
	if (!state)
		return xml_error(c->err, n, "missing attribute 'state' (expected one of: up, down)");
	if (strcmp(state, "up") != 0 && strcmp(state, "down") != 0)
		return xml_error(c->err, n, "invalid link state '%s' (expected one of: up, down)",
				 shorten(state, vbuf));
	net->link_down = strcmp(state, "down") == 0;
	return 0;
}

static int parse_model(ParseContext *c, xmlNode *n, InterfaceDef *net)
{
	_cleanup_free_ char *type = NULL;
	char vbuf[80];
	int r = CHECK_ATTRIBUTES(c, n, "type");
	if (r >= 0)
		r = attr_get(n, "type", &type);
	if (r < 0)
		return r;
	if (!type)
		return xml_error(c->err, n, "missing attribute 'type' (expected 'virtio')");
	r = net_model_from_string(type);
	if (r < 0)
		return xml_error(c->err, n,
				 "interface model '%s' is not supported (expected 'virtio': "
				 "virtio-net-ccw is the only NIC of an s390x guest)",
				 shorten(type, vbuf));
	net->model = (NetModel)r;
	return 0;
}

int parse_interface(ParseContext *c, xmlNode *n, InterfaceDef *net, InterfaceNodes *nodes)
{
	_cleanup_free_ char *type = NULL, *trust = NULL;
	xmlNode *child = NULL, *mac = NULL, *source = NULL, *virtualport = NULL, *vlan = NULL,
		*target = NULL, *model = NULL, *mtu = NULL, *link = NULL, *alias = NULL;
	char vbuf[80];
	int r;

	r = CHECK_ATTRIBUTES(c, n, "type", "trustGuestRxFilters");
	if (r >= 0)
		r = attr_get(n, "type", &type);
	if (r >= 0)
		r = attr_get(n, "trustGuestRxFilters", &trust);
	if (r < 0)
		return r;
	r = net_type_from_string(type);
	if (r < 0)
		return xml_error(c->err, n,
				 "interface type '%s' is not supported (expected 'direct', a macvtap "
				 "link on a host interface, or 'bridge', a Linux or Open vSwitch "
				 "bridge)",
				 shorten(type, vbuf));
	net->type = (NetType)r;
	if (trust && strcmp(trust, "no") != 0) {
		if (strcmp(trust, "yes") == 0)
			return xml_error(c->err, n,
					 "trustGuestRxFilters='yes' is not supported: zvirtd does not "
					 "follow the guest's receive filter on the host link");
		return xml_error(c->err, n,
				 "invalid value '%s' for attribute 'trustGuestRxFilters' (expected one "
				 "of: yes, no)",
				 shorten(trust, vbuf));
	}

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "mac")) {
			r = once(c, &mac, child);
			if (r >= 0)
				r = parse_mac(c, child, net);
			nodes->mac = child;
		} else if (node_is(child, "source")) {
			r = once(c, &source, child);
			if (r >= 0)
				r = parse_source(c, child, net);
		} else if (node_is(child, "virtualport")) {
			r = once(c, &virtualport, child);
			if (r >= 0)
				r = parse_virtualport(c, child, net);
		} else if (node_is(child, "vlan")) {
			r = once(c, &vlan, child);
			if (r >= 0)
				r = parse_vlan(c, child, net);
		} else if (node_is(child, "target")) {
			r = once(c, &target, child);
			if (r >= 0)
				r = parse_target(c, child, net);
			nodes->target = child;
		} else if (node_is(child, "model")) {
			r = once(c, &model, child);
			if (r >= 0)
				r = parse_model(c, child, net);
		} else if (node_is(child, "mtu")) {
			r = once(c, &mtu, child);
			if (r >= 0)
				r = parse_mtu(c, child, net);
		} else if (node_is(child, "link")) {
			r = once(c, &link, child);
			if (r >= 0)
				r = parse_link(c, child, net);
		} else if (node_is(child, "boot")) {
			r = once(c, &nodes->boot, child);
			if (r >= 0)
				r = parse_device_boot(c, child, &net->info);
		} else if (node_is(child, "alias")) {
			r = once(c, &alias, child);
			if (r >= 0)
				r = parse_device_alias(c, child, &net->info);
		} else if (node_is(child, "address")) {
			r = once(c, &nodes->address, child);
			if (r >= 0)
				r = parse_device_address(c, child, ADDRESS_CCW, "a network interface",
							 &net->info);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (net->type == NET_TYPE_BRIDGE) {
		r = require(c, n, source, "source");
		if (r < 0)
			return r;
	}
	if (vlan && net->virtualport != VIRTUALPORT_OPENVSWITCH)
		return xml_error(c->err, vlan,
				 "<vlan> needs <virtualport type='openvswitch'>: only an Open vSwitch "
				 "port is tagged by the host");
	if (!mac) {
		r = net_mac_generate(net->mac);
		if (r < 0)
			return zv_error_set(c->err, ZV_ERROR_HOST, r, "Cannot generate a MAC address: %s",
					    strerror(-r));
		net->mac_generated = true;
	}
	return 0;
}

void put_interface(FILE *f, const InterfaceDef *net, bool live)
{
	char mac[NET_MAC_STRING_MAX];

	fputs("    <interface", f);
	put_attribute(f, "type", net_type_to_string(net->type));
	fprintf(f, ">\n      <mac address='%s'/>\n", net_mac_to_string(net->mac, mac));
	if (net->type == NET_TYPE_DIRECT) {
		fputs("      <source", f);
		if (net->source_dev)
			put_attribute(f, "dev", net->source_dev);
		put_attribute(f, "mode", macvtap_mode_to_string(net->mode));
		fputs("/>\n", f);
	} else {
		fputs("      <source", f);
		put_attribute(f, "bridge", net->source_bridge ? net->source_bridge : "");
		fputs("/>\n", f);
	}
	if (net->vlan_tag)
		fprintf(f, "      <vlan>\n        <tag id='%u'/>\n      </vlan>\n", net->vlan_tag);
	if (net->virtualport == VIRTUALPORT_OPENVSWITCH) {
		fputs("      <virtualport type='openvswitch'>\n", f);
		if (!sd_id128_is_null(net->interface_id))
			fprintf(f, "        <parameters interfaceid='" SD_ID128_UUID_FORMAT_STR "'/>\n",
				SD_ID128_FORMAT_VAL(net->interface_id));
		fputs("      </virtualport>\n", f);
	}
	if (net->target_dev && (live || !net_target_is_generated(net->target_dev))) {
		fputs("      <target", f);
		put_attribute(f, "dev", net->target_dev);
		fputs("/>\n", f);
	}
	fprintf(f, "      <model type='%s'/>\n", net_model_to_string(net->model));
	if (net->mtu)
		fprintf(f, "      <mtu size='%u'/>\n", net->mtu);
	if (net->link_down)
		fputs("      <link state='down'/>\n", f);
	put_device_boot(f, 3, &net->info);
	put_device_alias(f, 3, &net->info, live);
	put_ccw_address(f, 3, &net->info.address);
	fputs("    </interface>\n", f);
}
