/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.NetworkInterface: one object per guest NIC (<interface>) of
 * a domain, at <domain path>/interface/<index in the definition>
 * (device-objects.h has the machinery). */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ccw-address.h"
#include "conf/device-xml.h"
#include "conf/domain-devices.h"
#include "device-objects.h"
#include "driver/net-stats.h"
#include "errors.h"
#include "options.h"
#include "util/cleanup.h"

static size_t interface_count(const DomainDef *def)
{
	return def ? def->n_interfaces : 0;
}

static const void *interface_get(const DomainDef *def, size_t i)
{
	return &def->interfaces[i];
}

static char *interface_label(const DomainDef *def, size_t i)
{
	char *s = NULL;
	return asprintf(&s, "%zu", i) < 0 ? NULL : s;
}

char *interface_object_path(const Domain *d, const InterfaceDef *net)
{
	const DomainDef *def = domain_current_def(d);
	char dpath[DOMAIN_PATH_MAX];
	ssize_t i = def ? domain_def_interface_index(def, net) : -ENOENT;
	if (i < 0)
		return strdup(domain_object_path(d, dpath));
	_cleanup_free_ char *label = interface_label(def, (size_t)i);
	return label ? device_object_path(&interface_class, d, label) : NULL;
}

#define NET(dev) ((const InterfaceDef *)(dev))

static const char *v_type(const void *dev, bool live, char *buf)
{
	return net_type_to_string(NET(dev)->type);
}
static const char *v_source(const void *dev, bool live, char *buf)
{
	const char *s = NET(dev)->type == NET_TYPE_DIRECT ? NET(dev)->source_dev : NET(dev)->source_bridge;
	return s ?: "";
}
static const char *v_mode(const void *dev, bool live, char *buf)
{
	return NET(dev)->type == NET_TYPE_DIRECT ? macvtap_mode_to_string(NET(dev)->mode) : "";
}
static const char *v_mac(const void *dev, bool live, char *buf)
{
	return net_mac_to_string(NET(dev)->mac, buf);
}
static const char *v_model(const void *dev, bool live, char *buf)
{
	return net_model_to_string(NET(dev)->model);
}
/* The link's name exists only while the domain runs: a name the
 * definition asks for is not there yet. */
static const char *v_target(const void *dev, bool live, char *buf)
{
	return live && NET(dev)->target_dev ? NET(dev)->target_dev : "";
}
static const char *v_ccw(const void *dev, bool live, char *buf)
{
	const CcwAddress *a = &NET(dev)->info.address;
	return a->assigned ? ccw_address_to_string(a, buf) : "";
}
static const char *v_virtualport(const void *dev, bool live, char *buf)
{
	return NET(dev)->virtualport == VIRTUALPORT_NONE ? ""
							 : virtualport_type_to_string(NET(dev)->virtualport);
}
static const char *v_alias(const void *dev, bool live, char *buf)
{
	return NET(dev)->info.alias ?: "";
}
static const char *v_link_state(const void *dev, bool live, char *buf)
{
	return NET(dev)->link_down ? "down" : "up";
}
static const char *v_mtu(const void *dev, bool live, char *buf)
{
	snprintf(buf, DEVICE_PROP_STRING_MAX, "%u", NET(dev)->mtu);
	return buf;
}

static const DeviceProp interface_props[] = {
	{"Type", 's', v_type},      {"Source", 's', v_source},
	{"Mode", 's', v_mode},      {"MAC", 's', v_mac},
	{"Model", 's', v_model},    {"TargetDevice", 's', v_target},
	{"CcwAddress", 's', v_ccw}, {"VirtualPort", 's', v_virtualport},
	{"Alias", 's', v_alias},    {"LinkState", 's', v_link_state},
	{"MTU", 'u', v_mtu},
};

static const InterfaceDef *interface_of_call(Objects *o, sd_bus_message *m, Domain **ret_domain,
					     sd_bus_error *error)
{
	const InterfaceDef *net =
		device_of_path(&interface_class, o, sd_bus_message_get_path(m), ret_domain, NULL, NULL);
	if (!net)
		sd_bus_error_setf(error, "org.zvirt1.Error.NoSuchDevice", "No such network interface: %s",
				  sd_bus_message_get_path(m));
	return net;
}

/* DetachDevice of this NIC, matched by its MAC (and ccw address) as
 * libvirt matches one. */
static int method_detach(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	Domain *d;
	assert(m);
	assert(o);

	const InterfaceDef *net = interface_of_call(o, m, &d, error);
	if (!net)
		return -ENODEV;
	/* The whole NIC, as DetachDevice's XML would give it: the config
	 * half copies its key through the XML, which wants a valid device. */
	DeviceDef probe = {.kind = DEVICE_KIND_INTERFACE, .interface = *net};
	DeviceDef *key = device_def_copy(&probe);
	if (!key)
		return -ENOMEM;
	return device_object_detach(m, d, key, error);
}

/* virsh domifstat: the host link's counters as the guest sees them.
 * Reading: open to every caller, no polkit (as Disk.GetStats). */
static int method_get_stats(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	Domain *d;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	assert(m);
	assert(o);

	int r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;
	const InterfaceDef *net = interface_of_call(o, m, &d, error);
	if (!net)
		return -ENODEV;
	HostLinkStats st;
	ZvError err = ZV_ERROR_INIT;
	r = domain_get_interface_stats(d, net->mac, &st, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);

	const struct {
		const char *key;
		uint64_t value;
	} v[] = {
		{"rx_bytes", st.rx_bytes}, {"rx_packets", st.rx_packets}, {"rx_errs", st.rx_errs},
		{"rx_drop", st.rx_drop},   {"tx_bytes", st.tx_bytes},     {"tx_packets", st.tx_packets},
		{"tx_errs", st.tx_errs},   {"tx_drop", st.tx_drop},
	};
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "{sv}");
	for (size_t i = 0; r >= 0 && i < sizeof(v) / sizeof(v[0]); i++)
		r = sd_bus_message_append(reply, "{sv}", v[i].key, "t", v[i].value);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

#define CHANGE SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable interface_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Type", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Source", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Mode", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("MAC", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Model", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("TargetDevice", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("CcwAddress", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("VirtualPort", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Alias", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("LinkState", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("MTU", "u", device_prop_get, 0, CHANGE),
	SD_BUS_METHOD_WITH_ARGS("Detach", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_detach,
				UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("GetStats", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("a{sv}", stats),
				method_get_stats, UNPRIV),
	SD_BUS_VTABLE_END,
};

const DeviceClass interface_class = {
	.segment = "interface",
	.iface = ZVIRT_NET_IFACE,
	.count = interface_count,
	.get = interface_get,
	.label = interface_label,
	.label_verbatim = true,
	.props = interface_props,
	.n_props = sizeof(interface_props) / sizeof(interface_props[0]),
	.vtable = interface_vtable,
};
