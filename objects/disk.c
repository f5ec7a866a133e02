/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Disk: one object per disk of a domain, at
 * <domain path>/disk/<target> (device-objects.h has the machinery). */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/device-xml.h"
#include "device-objects.h"
#include "errors.h"
#include "options.h"
#include "util/cleanup.h"

char *disk_object_path(const Domain *d, const char *target)
{
	return device_object_path(&disk_class, d, target);
}

static size_t disk_count(const DomainDef *def)
{
	return def ? def->n_disks : 0;
}

static const void *disk_get(const DomainDef *def, size_t i)
{
	return &def->disks[i];
}

static char *disk_label(const DomainDef *def, size_t i)
{
	return strdup(def->disks[i].target ?: "");
}

#define DISK(dev)  ((const DiskDef *)(dev))
#define BOOLSTR(b) ((b) ? "true" : "false")

static const char *v_target(const void *dev, bool live, char *buf)
{
	return DISK(dev)->target ?: "";
}
static const char *v_alias(const void *dev, bool live, char *buf)
{
	return DISK(dev)->info.alias ?: "";
}
static const char *v_bus(const void *dev, bool live, char *buf)
{
	return disk_bus_to_string(DISK(dev)->bus);
}
static const char *v_device(const void *dev, bool live, char *buf)
{
	return disk_device_to_string(DISK(dev)->device);
}
static const char *v_type(const void *dev, bool live, char *buf)
{
	return disk_type_to_string(DISK(dev)->type);
}
static const char *v_source(const void *dev, bool live, char *buf)
{
	return DISK(dev)->source ?: "";
}
static const char *v_format(const void *dev, bool live, char *buf)
{
	return disk_format_to_string(DISK(dev)->format);
}
static const char *v_readonly(const void *dev, bool live, char *buf)
{
	return BOOLSTR(DISK(dev)->readonly);
}
static const char *v_shareable(const void *dev, bool live, char *buf)
{
	return BOOLSTR(DISK(dev)->shareable);
}
static const char *v_cache(const void *dev, bool live, char *buf)
{
	return disk_cache_to_string(DISK(dev)->cache);
}
static const char *v_io(const void *dev, bool live, char *buf)
{
	return disk_io_to_string(DISK(dev)->io);
}
static const char *v_ccw(const void *dev, bool live, char *buf)
{
	const CcwAddress *a = &DISK(dev)->info.address;
	return a->assigned ? ccw_address_to_string(a, buf) : "";
}
static const char *v_drive(const void *dev, bool live, char *buf)
{
	const DriveAddress *a = &DISK(dev)->info.drive;
	if (!a->assigned)
		return "";
	snprintf(buf, DEVICE_PROP_STRING_MAX, "%u:%u:%u:%u", a->controller, a->bus, a->target, a->unit);
	return buf;
}
static const char *v_boot_order(const void *dev, bool live, char *buf)
{
	snprintf(buf, DEVICE_PROP_STRING_MAX, "%u", DISK(dev)->info.boot_order);
	return buf;
}

static const char *v_iothread(const void *dev, bool live, char *buf)
{
	snprintf(buf, DEVICE_PROP_STRING_MAX, "%u", DISK(dev)->iothread);
	return buf;
}

static const DeviceProp disk_props[] = {
	{"Target", 's', v_target},
	{"Alias", 's', v_alias},
	{"Bus", 's', v_bus},
	{"Device", 's', v_device},
	{"Type", 's', v_type},
	{"Source", 's', v_source},
	{"Format", 's', v_format},
	{"ReadOnly", 'b', v_readonly},
	{"Shareable", 'b', v_shareable},
	{"Cache", 's', v_cache},
	{"IO", 's', v_io},
	{"CcwAddress", 's', v_ccw},
	{"DriveAddress", 's', v_drive},
	{"BootOrder", 'u', v_boot_order},
	{"IOThread", 'u', v_iothread},
};

static const DiskDef *disk_of_call(Objects *o, const char *path, Domain **ret_domain, char **ret_target)
{
	return device_of_path(&disk_class, o, path, ret_domain, NULL, ret_target);
}

/* --- methods ----------------------------------------------------------------- */

static int method_detach(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	Domain *d;
	_cleanup_free_ char *target = NULL;
	assert(m);
	assert(o);

	if (!disk_of_call(o, sd_bus_message_get_path(m), &d, &target))
		return sd_bus_error_setf(error, "org.zvirt1.Error.NoSuchDevice", "No such disk: %s",
					 sd_bus_message_get_path(m));
	DeviceDef *key = calloc(1, sizeof(DeviceDef));
	if (!key)
		return -ENOMEM;
	key->kind = DEVICE_KIND_DISK;
	key->disk.target = TAKE_PTR(target);
	return device_object_detach(m, d, key, error);
}

/* virsh change-media: eject, insert or update (the default), force;
 * live/config/current as virsh's flags, no flag meaning current. */
static int method_change_media(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	const char *source;
	OptionsCommon common = {};
	ModifyOptions mo = {};
	bool eject = false, insert = false, update = false, force = false, block = false;
	const OptionSpec specs[] = {
		{"eject", "b", &eject},      {"insert", "b", &insert},      {"update", "b", &update},
		{"force", "b", &force},      {"block", "b", &block},        {"live", "b", &mo.live},
		{"config", "b", &mo.config}, {"current", "b", &mo.current}, {}};
	Domain *d;
	_cleanup_free_ char *target = NULL;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "s", &source);
	if (r < 0)
		return r;
	r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	if (!disk_of_call(o, sd_bus_message_get_path(m), &d, &target))
		return sd_bus_error_setf(error, "org.zvirt1.Error.NoSuchDevice", "No such disk: %s",
					 sd_bus_message_get_path(m));
	if (eject + insert + update > 1)
		return sd_bus_error_set(error, "org.zvirt1.Error.InvalidArgument",
					"ChangeMedia: 'eject', 'insert' and 'update' exclude each other");
	if (eject && *source)
		return sd_bus_error_set(error, "org.zvirt1.Error.InvalidArgument",
					"ChangeMedia: 'eject' takes no source (pass an empty string)");
	if (insert && !*source)
		return sd_bus_error_set(error, "org.zvirt1.Error.InvalidArgument",
					"ChangeMedia: 'insert' needs the source of the new medium");
	if (*source && *source != '/')
		return sd_bus_error_setf(error, "org.zvirt1.Error.InvalidArgument",
					 "ChangeMedia: the source must be an absolute path, not '%s'",
					 source);
	r = domain_authorize(d, m, "org.zvirt1.domain.modify", "change-media", target,
			     common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	DomainModifyFlags flags;
	if (!mo.live && !mo.config && !mo.current)
		mo.current = true; /* change-media's default, unlike attach-device's */
	r = device_modify_flags(&mo, d, "ChangeMedia", &flags, error);
	if (r < 0)
		return r;
	if (force)
		flags |= DOMAIN_MODIFY_FORCE;
	r = domain_change_media(d, target, *source ? source : NULL, flags,
				(eject || (update && !*source) ? DOMAIN_MEDIA_EJECT : 0) |
					(block ? DOMAIN_MEDIA_BLOCK : 0),
				device_call_done, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

static void on_stats(Domain *d, int r, const ZvError *err, const DomainStats *stats, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	objects_reply_stats(m, r, err, stats);
}

/* Reading: open to every caller, no polkit (as Domain.GetStats). */
static int method_get_stats(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	Domain *d;
	_cleanup_free_ char *target = NULL;
	assert(m);
	assert(o);

	int r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;
	if (!disk_of_call(o, sd_bus_message_get_path(m), &d, &target))
		return sd_bus_error_setf(error, "org.zvirt1.Error.NoSuchDevice", "No such disk: %s",
					 sd_bus_message_get_path(m));

	ZvError err = ZV_ERROR_INIT;
	r = domain_get_disk_stats(d, target, on_stats, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

#define CHANGE SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable disk_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Target", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Alias", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Bus", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Device", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Type", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Source", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Format", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("ReadOnly", "b", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Shareable", "b", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Cache", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("IO", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("CcwAddress", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("DriveAddress", "s", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("BootOrder", "u", device_prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("IOThread", "u", device_prop_get, 0, CHANGE),
	SD_BUS_METHOD_WITH_ARGS("Detach", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_detach,
				UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("ChangeMedia", SD_BUS_ARGS("s", source, "a{sv}", options), SD_BUS_NO_RESULT,
				method_change_media, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("GetStats", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("a{sv}", stats),
				method_get_stats, UNPRIV),
	SD_BUS_VTABLE_END,
};

const DeviceClass disk_class = {
	.segment = "disk",
	.iface = ZVIRT_DISK_IFACE,
	.count = disk_count,
	.get = disk_get,
	.label = disk_label,
	.props = disk_props,
	.n_props = sizeof(disk_props) / sizeof(disk_props[0]),
	.vtable = disk_vtable,
};
