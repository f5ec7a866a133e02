/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Disk: one object per disk of a domain, at
 * <domain path>/disk/<target>, read from the definition that describes
 * the domain now (the live one while it runs). What was announced is
 * remembered per domain, so that every change of the definition (a
 * define, a start or stop, a hot-plug) comes out as exactly the
 * InterfacesAdded, InterfacesRemoved and PropertiesChanged it means. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/device-xml.h"
#include "driver/modify-flags.h"
#include "errors.h"
#include "objects.h"
#include "options.h"
#include "util/cleanup.h"

#define DISK_SEGMENT "/disk"

char *disk_object_path(const Domain *d, const char *target)
{
	char dpath[DOMAIN_PATH_MAX], prefix[DOMAIN_PATH_MAX + sizeof(DISK_SEGMENT)];
	char *path = NULL;
	snprintf(prefix, sizeof(prefix), "%s" DISK_SEGMENT, domain_object_path(d, dpath));
	return sd_bus_path_encode(prefix, target, &path) < 0 ? NULL : path;
}

/* The domain and disk target a path names; 0 when it names none. */
static int disk_from_path(Objects *o, const char *path, Domain **ret_domain, char **ret_target)
{
	const char *p = path + strlen(ZVIRT_DOMAIN_PREFIX);
	if (strncmp(path, ZVIRT_DOMAIN_PREFIX "/", strlen(ZVIRT_DOMAIN_PREFIX) + 1) != 0 ||
	    strlen(p) < 1 + 32 + strlen(DISK_SEGMENT "/") + 1 || strncmp(p + 33, DISK_SEGMENT "/", 6) != 0)
		return 0;
	char uuid[33];
	memcpy(uuid, p + 1, 32);
	uuid[32] = 0;
	Domain *d = registry_find_by_uuid(o->registry, uuid);
	if (!d)
		return 0;
	char prefix[DOMAIN_PATH_MAX + sizeof(DISK_SEGMENT)];
	memcpy(prefix, path, strlen(ZVIRT_DOMAIN_PREFIX) + 33);
	strcpy(prefix + strlen(ZVIRT_DOMAIN_PREFIX) + 33, DISK_SEGMENT);
	_cleanup_free_ char *target = NULL;
	int r = sd_bus_path_decode(path, prefix, &target);
	if (r <= 0)
		return r;
	*ret_domain = d;
	*ret_target = TAKE_PTR(target);
	return 1;
}

static const DiskDef *find_disk(const Domain *d, const char *target)
{
	const DomainDef *def = domain_current_def(d);
	for (size_t i = 0; def && i < def->n_disks; i++)
		if (def->disks[i].target && strcmp(def->disks[i].target, target) == 0)
			return &def->disks[i];
	return NULL;
}

static int disk_object_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
			    sd_bus_error *error)
{
	Objects *o = userdata;
	Domain *d;
	_cleanup_free_ char *target = NULL;
	assert(o);
	assert(found);

	int r = disk_from_path(o, path, &d, &target);
	if (r <= 0)
		return r;
	if (!find_disk(d, target))
		return 0;
	/* The objects, not the disk: a getter finds the disk again by the
	 * path, so nothing here outlives a change of the definition. */
	*found = o;
	return 1;
}

/* The disk a call or getter is about. */
static const DiskDef *disk_of_call(Objects *o, const char *path, Domain **ret_domain, char **ret_target)
{
	Domain *d;
	_cleanup_free_ char *target = NULL;
	if (disk_from_path(o, path, &d, &target) <= 0)
		return NULL;
	const DiskDef *disk = find_disk(d, target);
	if (disk && ret_domain)
		*ret_domain = d;
	if (disk && ret_target)
		*ret_target = TAKE_PTR(target);
	return disk;
}

static int disk_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
				sd_bus_error *error)
{
	Objects *o = userdata;
	assert(o);
	assert(nodes);

	size_t n = 0, i = 0;
	Domain *d;
	for (size_t it = 0; registry_iterate(o->registry, &it, &d);)
		n += domain_current_def(d)->n_disks;
	_cleanup_strv_free_ char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t it = 0; registry_iterate(o->registry, &it, &d);) {
		const DomainDef *def = domain_current_def(d);
		for (size_t k = 0; k < def->n_disks && i < n; k++) {
			v[i] = disk_object_path(d, def->disks[k].target);
			if (!v[i])
				return -ENOMEM;
			i++;
		}
	}
	*nodes = TAKE_PTR(v);
	return 1;
}

/* --- properties ----------------------------------------------------------- */

/* Each property as a string, both for its getter and to tell what
 * changed since the last announcement. */
typedef enum DiskProp {
	DISK_PROP_TARGET,
	DISK_PROP_ALIAS,
	DISK_PROP_BUS,
	DISK_PROP_DEVICE,
	DISK_PROP_TYPE,
	DISK_PROP_SOURCE,
	DISK_PROP_FORMAT,
	DISK_PROP_READ_ONLY,
	DISK_PROP_SHAREABLE,
	DISK_PROP_CACHE,
	DISK_PROP_IO,
	DISK_PROP_CCW_ADDRESS,
	DISK_PROP_BOOT_ORDER,
	_DISK_PROP_MAX,
} DiskProp;

static const char *const prop_names[_DISK_PROP_MAX] = {
	[DISK_PROP_TARGET] = "Target",
	[DISK_PROP_ALIAS] = "Alias",
	[DISK_PROP_BUS] = "Bus",
	[DISK_PROP_DEVICE] = "Device",
	[DISK_PROP_TYPE] = "Type",
	[DISK_PROP_SOURCE] = "Source",
	[DISK_PROP_FORMAT] = "Format",
	[DISK_PROP_READ_ONLY] = "ReadOnly",
	[DISK_PROP_SHAREABLE] = "Shareable",
	[DISK_PROP_CACHE] = "Cache",
	[DISK_PROP_IO] = "IO",
	[DISK_PROP_CCW_ADDRESS] = "CcwAddress",
	[DISK_PROP_BOOT_ORDER] = "BootOrder",
};

#define PROP_STRING_MAX 32

/* A string property's value (borrowed), or a number/boolean's in buf. */
static const char *prop_value(const DiskDef *disk, DiskProp p, char buf[static PROP_STRING_MAX])
{
	switch (p) {
	case DISK_PROP_TARGET:
		return disk->target ?: "";
	case DISK_PROP_ALIAS:
		return disk->info.alias ?: "";
	case DISK_PROP_BUS:
		return disk_bus_to_string(disk->bus);
	case DISK_PROP_DEVICE:
		return disk_device_to_string(disk->device);
	case DISK_PROP_TYPE:
		return disk_type_to_string(disk->type);
	case DISK_PROP_SOURCE:
		return disk->source ?: "";
	case DISK_PROP_FORMAT:
		return disk_format_to_string(disk->format);
	case DISK_PROP_READ_ONLY:
		return disk->readonly ? "true" : "false";
	case DISK_PROP_SHAREABLE:
		return disk->shareable ? "true" : "false";
	case DISK_PROP_CACHE:
		return disk_cache_to_string(disk->cache);
	case DISK_PROP_IO:
		return disk_io_to_string(disk->io);
	case DISK_PROP_CCW_ADDRESS:
		return disk->info.address.assigned ? ccw_address_to_string(&disk->info.address, buf) : "";
	case DISK_PROP_BOOT_ORDER:
		snprintf(buf, PROP_STRING_MAX, "%u", disk->info.boot_order);
		return buf;
	default:
		return "";
	}
}

static int prop_get(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	char buf[PROP_STRING_MAX];
	assert(reply);
	assert(o);

	const DiskDef *disk = disk_of_call(o, path, NULL, NULL);
	if (!disk)
		return sd_bus_error_setf(error, "org.zvirt1.Error.NoSuchDevice", "No such disk: %s", path);

	for (DiskProp p = 0; p < _DISK_PROP_MAX; p++) {
		if (strcmp(prop, prop_names[p]) != 0)
			continue;
		if (p == DISK_PROP_READ_ONLY)
			return sd_bus_message_append(reply, "b", (int)disk->readonly);
		if (p == DISK_PROP_SHAREABLE)
			return sd_bus_message_append(reply, "b", (int)disk->shareable);
		if (p == DISK_PROP_BOOT_ORDER)
			return sd_bus_message_append(reply, "u", (uint32_t)disk->info.boot_order);
		return sd_bus_message_append(reply, "s", prop_value(disk, p, buf));
	}
	return -ENOENT;
}

/* --- what was announced ---------------------------------------------------- */

typedef struct DiskSnap {
	char *target;
	char *values[_DISK_PROP_MAX];
} DiskSnap;

typedef struct DiskSnapshot {
	DiskSnap *v;
	size_t n;
} DiskSnapshot;

static void snap_clear(DiskSnap *s)
{
	free(s->target);
	for (size_t p = 0; p < _DISK_PROP_MAX; p++)
		free(s->values[p]);
}

static DiskSnapshot *snapshot_free(DiskSnapshot *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		snap_clear(&s->v[i]);
	free(s->v);
	free(s);
	return NULL;
}

static DiskSnapshot *snapshot_take(const DomainDef *def)
{
	DiskSnapshot *s = calloc(1, sizeof(*s));
	if (!s || (def->n_disks && !(s->v = calloc(def->n_disks, sizeof(DiskSnap)))))
		return snapshot_free(s);
	for (size_t i = 0; i < def->n_disks; i++, s->n++) {
		char buf[PROP_STRING_MAX];
		s->v[i].target = strdup(def->disks[i].target ?: "");
		if (!s->v[i].target)
			return snapshot_free(s);
		for (DiskProp p = 0; p < _DISK_PROP_MAX; p++)
			if (!(s->v[i].values[p] = strdup(prop_value(&def->disks[i], p, buf))))
				return snapshot_free((s->n++, s));
	}
	return s;
}

static const DiskSnap *snapshot_find(const DiskSnapshot *s, const char *target)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->v[i].target, target) == 0)
			return &s->v[i];
	return NULL;
}

static void emit_added(Objects *o, Domain *d, const char *target)
{
	_cleanup_free_ char *path = disk_object_path(d, target);
	if (path)
		(void)sd_bus_emit_interfaces_added(o->bus, path, ZVIRT_DISK_IFACE, NULL);
}

static void emit_removed(Objects *o, Domain *d, const char *target)
{
	_cleanup_free_ char *path = disk_object_path(d, target);
	if (path)
		(void)sd_bus_emit_interfaces_removed(o->bus, path, ZVIRT_DISK_IFACE, NULL);
}

static void emit_changed(Objects *o, Domain *d, const DiskSnap *old, const DiskSnap *now)
{
	char *names[_DISK_PROP_MAX + 1];
	size_t n = 0;
	for (DiskProp p = 0; p < _DISK_PROP_MAX; p++)
		if (strcmp(old->values[p], now->values[p]) != 0)
			names[n++] = (char *)prop_names[p];
	names[n] = NULL;
	if (n == 0)
		return;
	_cleanup_free_ char *path = disk_object_path(d, now->target);
	if (path)
		(void)sd_bus_emit_properties_changed_strv(o->bus, path, ZVIRT_DISK_IFACE, names);
}

void objects_disks_sync(Objects *o, Domain *d, bool gone)
{
	if (!o->disk_snapshots && !(o->disk_snapshots = hashmap_new()))
		return;
	DiskSnapshot *old = hashmap_get(o->disk_snapshots, domain_uuid_hex(d));
	DiskSnapshot *now = gone ? NULL : snapshot_take(domain_current_def(d));

	/* InterfacesRemoved needs the object: sent while the domain still
	 * has it, i.e. for a disk already gone from the definition, by its
	 * path alone (sd-bus only needs the path for removals). */
	for (size_t i = 0; old && i < old->n; i++)
		if (!snapshot_find(now, old->v[i].target))
			emit_removed(o, d, old->v[i].target);
	for (size_t i = 0; now && i < now->n; i++) {
		const DiskSnap *before = snapshot_find(old, now->v[i].target);
		if (!before)
			emit_added(o, d, now->v[i].target);
		else
			emit_changed(o, d, before, &now->v[i]);
	}

	hashmap_remove(o->disk_snapshots, domain_uuid_hex(d));
	snapshot_free(old);
	/* Keyed by the domain's own uuid string, which lives as long as it. */
	if (now && hashmap_put(o->disk_snapshots, domain_uuid_hex(d), now) < 0)
		snapshot_free(now);
}

void objects_disks_done(Objects *o)
{
	DiskSnapshot *s;
	for (size_t i = 0; o->disk_snapshots && hashmap_iterate(o->disk_snapshots, &i, (void **)&s);)
		snapshot_free(s);
	hashmap_free(o->disk_snapshots);
	o->disk_snapshots = NULL;
}

/* --- methods ----------------------------------------------------------------- */

static void on_detached(Domain *d, int r, const ZvError *err, const char *target, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	if (r < 0)
		(void)bus_reply_zv_error(m, err, r);
	else
		(void)sd_bus_reply_method_return(m, NULL);
}

static int method_detach(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	ModifyOptions mo = {};
	const OptionSpec specs[] = {{"live", "b", &mo.live},
				    {"config", "b", &mo.config},
				    {"current", "b", &mo.current},
				    {"persistent", "b", &mo.persistent},
				    {}};
	Domain *d;
	_cleanup_free_ char *target = NULL;
	assert(m);
	assert(o);

	int r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	if (!disk_of_call(o, sd_bus_message_get_path(m), &d, &target))
		return sd_bus_error_setf(error, "org.zvirt1.Error.NoSuchDevice", "No such disk: %s",
					 sd_bus_message_get_path(m));
	r = domain_authorize(d, m, "org.zvirt1.domain.modify", "detach-device", target,
			     common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	DomainModifyFlags flags;
	r = modify_flags_resolve(&mo, domain_get_live_def(d) != NULL, domain_is_persistent(d), "Detach",
				 domain_name(d), &flags, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	_cleanup_(device_def_freep) DeviceDef *dev = calloc(1, sizeof(DeviceDef));
	if (!dev || !(dev->disk.target = strdup(target)))
		return -ENOMEM;
	dev->kind = DEVICE_KIND_DISK;
	r = domain_detach_device(d, TAKE_PTR(dev), flags, on_detached, sd_bus_message_ref(m), &err);
	if (r < 0) {
		sd_bus_message_unref(m);
		return bus_error_from_zv(error, &err, r);
	}
	return 1;
}

#define CHANGE SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable disk_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Target", "s", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Alias", "s", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Bus", "s", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Device", "s", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Type", "s", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Source", "s", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Format", "s", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("ReadOnly", "b", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Shareable", "b", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("Cache", "s", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("IO", "s", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("CcwAddress", "s", prop_get, 0, CHANGE),
	SD_BUS_PROPERTY("BootOrder", "u", prop_get, 0, CHANGE),
	SD_BUS_METHOD_WITH_ARGS("Detach", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_detach,
				UNPRIV),
	SD_BUS_VTABLE_END,
};

int objects_add_disk_objects(Objects *o, sd_bus_slot **ret_vtable, sd_bus_slot **ret_enumerator)
{
	int r = sd_bus_add_fallback_vtable(o->bus, ret_vtable, ZVIRT_DOMAIN_PREFIX, ZVIRT_DISK_IFACE,
					   disk_vtable, disk_object_find, o);
	if (r < 0)
		return r;
	return sd_bus_add_node_enumerator(o->bus, ret_enumerator, ZVIRT_DOMAIN_PREFIX, disk_node_enumerator,
					  o);
}
