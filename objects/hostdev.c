/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.HostDevice: one object per SCSI host device (a tape or
 * medium changer passed through) of a domain, at
 * <domain path>/hostdev/<index in the definition>
 * (device-objects.h has the machinery). */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/device-xml.h"
#include "conf/domain-devices.h"
#include "device-objects.h"
#include "errors.h"
#include "options.h"
#include "util/cleanup.h"

static size_t hostdev_count(const DomainDef *def)
{
	return def ? def->n_hostdevs : 0;
}

static const void *hostdev_get(const DomainDef *def, size_t i)
{
	return &def->hostdevs[i];
}

static char *hostdev_label(const DomainDef *def, size_t i)
{
	char *s = NULL;
	return asprintf(&s, "%zu", i) < 0 ? NULL : s;
}

char *hostdev_object_path(const Domain *d, const HostdevDef *h)
{
	const DomainDef *def = domain_current_def(d);
	char dpath[DOMAIN_PATH_MAX];
	ssize_t i = domain_def_hostdev_index(def, h);
	if (i < 0)
		return strdup(domain_object_path(d, dpath));
	_cleanup_free_ char *label = hostdev_label(def, (size_t)i);
	return label ? device_object_path(&hostdev_class, d, label) : NULL;
}

#define HOSTDEV(dev) ((const HostdevDef *)(dev))

static const char *v_adapter(const void *dev, bool live, char *buf)
{
	return HOSTDEV(dev)->adapter ?: "";
}
static const char *v_bus(const void *dev, bool live, char *buf)
{
	snprintf(buf, DEVICE_PROP_STRING_MAX, "%u", HOSTDEV(dev)->host_bus);
	return buf;
}
static const char *v_target(const void *dev, bool live, char *buf)
{
	snprintf(buf, DEVICE_PROP_STRING_MAX, "%u", HOSTDEV(dev)->host_target);
	return buf;
}
static const char *v_unit(const void *dev, bool live, char *buf)
{
	snprintf(buf, DEVICE_PROP_STRING_MAX, "%llu", (unsigned long long)HOSTDEV(dev)->host_unit);
	return buf;
}
static const char *v_address(const void *dev, bool live, char *buf)
{
	const DriveAddress *a = &HOSTDEV(dev)->info.drive;
	if (!a->assigned)
		return "";
	snprintf(buf, DEVICE_PROP_STRING_MAX, "%u:%u:%u:%u", a->controller, a->bus, a->target, a->unit);
	return buf;
}
static const char *v_alias(const void *dev, bool live, char *buf)
{
	return HOSTDEV(dev)->info.alias ?: "";
}
static const char *v_readonly(const void *dev, bool live, char *buf)
{
	return HOSTDEV(dev)->readonly ? "true" : "false";
}
static const char *v_shareable(const void *dev, bool live, char *buf)
{
	return HOSTDEV(dev)->shareable ? "true" : "false";
}
static const char *v_node(const void *dev, bool live, char *buf)
{
	return HOSTDEV(dev)->live_sg_path ?: "";
}

static const DeviceProp hostdev_props[] = {
	{"Adapter", 's', v_adapter},   {"Bus", 'u', v_bus},
	{"Target", 'u', v_target},     {"Unit", 't', v_unit},
	{"Address", 's', v_address},   {"Alias", 's', v_alias},
	{"ReadOnly", 'b', v_readonly}, {"Shareable", 'b', v_shareable},
	{"Node", 's', v_node},
};

/* DetachDevice of this host device (it is matched by its host address). */
static int method_detach(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	Domain *d;
	assert(m);
	assert(o);

	const HostdevDef *h = device_of_path(&hostdev_class, o, sd_bus_message_get_path(m), &d, NULL, NULL);
	if (!h)
		return sd_bus_error_setf(error, "org.zvirt1.Error.NoSuchDevice", "No such host device: %s",
					 sd_bus_message_get_path(m));
	DeviceDef *key = calloc(1, sizeof(DeviceDef));
	if (!key || !(key->hostdev.adapter = strdup(h->adapter))) {
		free(key);
		return -ENOMEM;
	}
	key->kind = DEVICE_KIND_HOSTDEV;
	key->hostdev.host_bus = h->host_bus;
	key->hostdev.host_target = h->host_target;
	key->hostdev.host_unit = h->host_unit;
	return device_object_detach(m, d, key, error);
}

#define CHANGE SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable hostdev_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Adapter", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Bus", "u", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Target", "u", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Unit", "t", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Address", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Alias", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("ReadOnly", "b", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Shareable", "b", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Node", "s", device_prop_get, 0, CHANGE),
	SD_BUS_METHOD_WITH_ARGS("Detach", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_detach,
				UNPRIV),
	SD_BUS_VTABLE_END,
};

const DeviceClass hostdev_class = {
	.segment = "hostdev",
	.iface = ZVIRT_HOSTDEV_IFACE,
	.count = hostdev_count,
	.get = hostdev_get,
	.label = hostdev_label,
	.label_verbatim = true,
	.props = hostdev_props,
	.n_props = sizeof(hostdev_props) / sizeof(hostdev_props[0]),
	.vtable = hostdev_vtable,
};
