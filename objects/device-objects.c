/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The machinery of the device objects below a domain (device-objects.h). */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device-objects.h"
#include "driver/modify-flags.h"
#include "errors.h"
#include "options.h"
#include "util/cleanup.h"

static const DeviceClass *const classes[] = {&disk_class, &hostdev_class, &interface_class};
#define N_CLASSES (sizeof(classes) / sizeof(classes[0]))

char *device_object_path(const DeviceClass *c, const Domain *d, const char *label)
{
	char dpath[DOMAIN_PATH_MAX], prefix[DOMAIN_PATH_MAX + 32];
	char *path = NULL;
	snprintf(prefix, sizeof(prefix), "%s/%s", domain_object_path(d, dpath), c->segment);
	if (c->label_verbatim)
		return asprintf(&path, "%s/%s", prefix, label) < 0 ? NULL : path;
	return sd_bus_path_encode(prefix, label, &path) < 0 ? NULL : path;
}

/* The domain, class and label a path names; 0 when it names none. */
static int parse_path(Objects *o, const char *path, const DeviceClass **ret_class, Domain **ret_domain,
		      char **ret_label)
{
	size_t plen = strlen(ZVIRT_DOMAIN_PREFIX);
	if (strncmp(path, ZVIRT_DOMAIN_PREFIX "/", plen + 1) != 0 || strlen(path) < plen + 1 + 32 + 1 ||
	    path[plen + 33] != '/')
		return 0;
	char uuid[33];
	memcpy(uuid, path + plen + 1, 32);
	uuid[32] = 0;
	const char *rest = path + plen + 34;
	for (size_t k = 0; k < N_CLASSES; k++) {
		size_t slen = strlen(classes[k]->segment);
		if (strncmp(rest, classes[k]->segment, slen) != 0 || rest[slen] != '/')
			continue;
		Domain *d = registry_find_by_uuid(o->registry, uuid);
		if (!d)
			return 0;
		char prefix[DOMAIN_PATH_MAX + 32];
		snprintf(prefix, sizeof(prefix), "%.*s/%s", (int)(plen + 33), path, classes[k]->segment);
		_cleanup_free_ char *label = NULL;
		int r = sd_bus_path_decode(path, prefix, &label);
		if (r <= 0)
			return r;
		*ret_class = classes[k];
		*ret_domain = d;
		*ret_label = TAKE_PTR(label);
		return 1;
	}
	return 0;
}

static const void *find_in(const DeviceClass *c, const Domain *d, const char *label, size_t *ret_index)
{
	const DomainDef *def = domain_current_def(d);
	for (size_t i = 0; def && i < c->count(def); i++) {
		_cleanup_free_ char *l = c->label(def, i);
		if (l && strcmp(l, label) == 0) {
			if (ret_index)
				*ret_index = i;
			return c->get(def, i);
		}
	}
	return NULL;
}

const void *device_of_path(const DeviceClass *c, Objects *o, const char *path, Domain **ret_domain,
			   size_t *ret_index, char **ret_label)
{
	const DeviceClass *pc;
	Domain *d;
	_cleanup_free_ char *label = NULL;
	if (parse_path(o, path, &pc, &d, &label) <= 0 || pc != c)
		return NULL;
	const void *dev = find_in(c, d, label, ret_index);
	if (dev && ret_domain)
		*ret_domain = d;
	if (dev && ret_label)
		*ret_label = TAKE_PTR(label);
	return dev;
}

int device_object_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
		       sd_bus_error *error)
{
	Objects *o = userdata;
	const DeviceClass *c;
	Domain *d;
	_cleanup_free_ char *label = NULL;
	assert(o);
	assert(found);

	int r = parse_path(o, path, &c, &d, &label);
	if (r <= 0 || strcmp(iface, c->iface) != 0 || !find_in(c, d, label, NULL))
		return r < 0 ? r : 0;
	/* The objects, not the device: a getter finds it again by the path,
	 * so nothing here outlives a change of the definition. */
	*found = o;
	return 1;
}

int device_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error)
{
	Objects *o = userdata;
	assert(o);
	assert(nodes);

	size_t n = 0, i = 0;
	Domain *d;
	for (size_t it = 0; registry_iterate(o->registry, &it, &d);)
		for (size_t k = 0; k < N_CLASSES; k++)
			n += classes[k]->count(domain_current_def(d));
	_cleanup_strv_free_ char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t it = 0; registry_iterate(o->registry, &it, &d);) {
		const DomainDef *def = domain_current_def(d);
		for (size_t k = 0; k < N_CLASSES; k++)
			for (size_t j = 0; j < classes[k]->count(def) && i < n; j++) {
				_cleanup_free_ char *label = classes[k]->label(def, j);
				if (!label || !(v[i] = device_object_path(classes[k], d, label)))
					return -ENOMEM;
				i++;
			}
	}
	*nodes = TAKE_PTR(v);
	return 1;
}

int device_prop_get(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	char buf[DEVICE_PROP_STRING_MAX];
	assert(reply);
	assert(o);

	for (size_t k = 0; k < N_CLASSES; k++) {
		const DeviceClass *c = classes[k];
		if (strcmp(iface, c->iface) != 0)
			continue;
		Domain *d;
		const void *dev = device_of_path(c, o, path, &d, NULL, NULL);
		if (!dev)
			return sd_bus_error_setf(error, "org.zvirt1.Error.NoSuchDevice",
						 "No such device: %s", path);
		for (size_t p = 0; p < c->n_props; p++) {
			if (strcmp(prop, c->props[p].name) != 0)
				continue;
			const char *v = c->props[p].value(dev, domain_get_live_def(d) != NULL, buf);
			switch (c->props[p].type) {
			case 'b':
				return sd_bus_message_append(reply, "b", (int)(strcmp(v, "true") == 0));
			case 'u':
				return sd_bus_message_append(reply, "u", (uint32_t)strtoul(v, NULL, 10));
			case 't':
				return sd_bus_message_append(reply, "t", (uint64_t)strtoull(v, NULL, 10));
			default:
				return sd_bus_message_append(reply, "s", v);
			}
		}
	}
	return -ENOENT;
}

/* --- what was announced ---------------------------------------------------- */

typedef struct Snap {
	const DeviceClass *class;
	char *label;
	char **values; /* one per property of its class */
} Snap;

typedef struct Snapshot {
	Snap *v;
	size_t n;
} Snapshot;

static Snapshot *snapshot_free(Snapshot *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].label);
		for (size_t p = 0; s->v[i].values && p < s->v[i].class->n_props; p++)
			free(s->v[i].values[p]);
		free(s->v[i].values);
	}
	free(s->v);
	free(s);
	return NULL;
}

static Snapshot *snapshot_take(const DomainDef *def, bool live)
{
	size_t n = 0;
	for (size_t k = 0; k < N_CLASSES; k++)
		n += classes[k]->count(def);
	Snapshot *s = calloc(1, sizeof(*s));
	if (!s || (n && !(s->v = calloc(n, sizeof(Snap)))))
		return snapshot_free(s);
	for (size_t k = 0; k < N_CLASSES; k++) {
		const DeviceClass *c = classes[k];
		for (size_t i = 0; i < c->count(def); i++) {
			Snap *sn = &s->v[s->n++];
			char buf[DEVICE_PROP_STRING_MAX];
			sn->class = c;
			sn->label = c->label(def, i);
			sn->values = calloc(c->n_props, sizeof(char *));
			if (!sn->label || !sn->values)
				return snapshot_free(s);
			const void *dev = c->get(def, i);
			for (size_t p = 0; p < c->n_props; p++)
				if (!(sn->values[p] = strdup(c->props[p].value(dev, live, buf))))
					return snapshot_free(s);
		}
	}
	return s;
}

static const Snap *snapshot_find(const Snapshot *s, const DeviceClass *c, const char *label)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->v[i].class == c && strcmp(s->v[i].label, label) == 0)
			return &s->v[i];
	return NULL;
}

static void emit_changed(Objects *o, Domain *d, const Snap *old, const Snap *now)
{
	const DeviceClass *c = now->class;
	char *names[DEVICE_PROPS_MAX + 1];
	size_t n = 0;
	assert(c->n_props <= DEVICE_PROPS_MAX);
	for (size_t p = 0; p < c->n_props; p++)
		if (strcmp(old->values[p], now->values[p]) != 0)
			names[n++] = (char *)c->props[p].name;
	names[n] = NULL;
	if (n == 0)
		return;
	_cleanup_free_ char *path = device_object_path(c, d, now->label);
	if (path)
		(void)sd_bus_emit_properties_changed_strv(o->bus, path, c->iface, names);
}

void objects_devices_sync(Objects *o, Domain *d, bool gone)
{
	if (!o->device_snapshots && !(o->device_snapshots = hashmap_new()))
		return;
	Snapshot *old = hashmap_get(o->device_snapshots, domain_uuid_hex(d));
	Snapshot *now = gone ? NULL : snapshot_take(domain_current_def(d), domain_get_live_def(d) != NULL);

	/* sd-bus needs only the path for InterfacesRemoved, so a device
	 * already gone from the definition is announced by it alone. */
	for (size_t i = 0; old && i < old->n; i++)
		if (!snapshot_find(now, old->v[i].class, old->v[i].label)) {
			_cleanup_free_ char *path = device_object_path(old->v[i].class, d, old->v[i].label);
			if (path)
				(void)sd_bus_emit_interfaces_removed(o->bus, path, old->v[i].class->iface,
								     NULL);
		}
	for (size_t i = 0; now && i < now->n; i++) {
		const Snap *before = snapshot_find(old, now->v[i].class, now->v[i].label);
		if (before) {
			emit_changed(o, d, before, &now->v[i]);
			continue;
		}
		_cleanup_free_ char *path = device_object_path(now->v[i].class, d, now->v[i].label);
		if (path)
			(void)sd_bus_emit_interfaces_added(o->bus, path, now->v[i].class->iface, NULL);
	}

	hashmap_remove(o->device_snapshots, domain_uuid_hex(d));
	snapshot_free(old);
	/* Keyed by the domain's own uuid string, which lives as long as it. */
	if (now && hashmap_put(o->device_snapshots, domain_uuid_hex(d), now) < 0)
		snapshot_free(now);
}

void objects_devices_loaded(Objects *o)
{
	Domain *d;
	if (!o->device_snapshots && !(o->device_snapshots = hashmap_new()))
		return;
	for (size_t it = 0; registry_iterate(o->registry, &it, &d);) {
		if (hashmap_get(o->device_snapshots, domain_uuid_hex(d)))
			continue;
		Snapshot *now = snapshot_take(domain_current_def(d), domain_get_live_def(d) != NULL);
		if (now && hashmap_put(o->device_snapshots, domain_uuid_hex(d), now) < 0)
			snapshot_free(now);
	}
}

void objects_devices_done(Objects *o)
{
	Snapshot *s;
	for (size_t i = 0; o->device_snapshots && hashmap_iterate(o->device_snapshots, &i, (void **)&s);)
		snapshot_free(s);
	hashmap_free(o->device_snapshots);
	o->device_snapshots = NULL;
}

int objects_add_device_objects(Objects *o, sd_bus_slot **ret_slots, size_t n_slots)
{
	assert(n_slots >= N_CLASSES + 1);
	for (size_t k = 0; k < N_CLASSES; k++) {
		int r = sd_bus_add_fallback_vtable(o->bus, &ret_slots[k], ZVIRT_DOMAIN_PREFIX,
						   classes[k]->iface, classes[k]->vtable, device_object_find,
						   o);
		if (r < 0)
			return r;
	}
	return sd_bus_add_node_enumerator(o->bus, &ret_slots[N_CLASSES], ZVIRT_DOMAIN_PREFIX,
					  device_node_enumerator, o);
}

int device_modify_flags(const ModifyOptions *mo, Domain *d, const char *call, DomainModifyFlags *ret,
			sd_bus_error *error)
{
	ZvError err = ZV_ERROR_INIT;
	int r = modify_flags_resolve(mo, domain_get_live_def(d) != NULL, domain_is_persistent(d), call,
				     domain_name(d), ret, &err);
	return r < 0 ? bus_error_from_zv(error, &err, r) : 0;
}

void device_call_done(Domain *d, int r, const ZvError *err, const DeviceDef *dev, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	bus_reply_result(m, r, err);
}

char *device_object_path_of(const Domain *d, const DeviceDef *dev)
{
	char path[DOMAIN_PATH_MAX];
	switch (dev->kind) {
	case DEVICE_KIND_DISK:
		return disk_object_path(d, dev->disk.target);
	case DEVICE_KIND_HOSTDEV:
		return hostdev_object_path(d, &dev->hostdev);
	case DEVICE_KIND_INTERFACE:
		return interface_object_path(d, &dev->interface);
	default:
		return strdup(domain_object_path(d, path));
	}
}

const char *device_polkit_name(const DeviceDef *dev, char buf[static 96])
{
	switch (dev->kind) {
	case DEVICE_KIND_DISK:
		return dev->disk.target;
	case DEVICE_KIND_CONTROLLER:
		snprintf(buf, 96, "%s%u", controller_type_to_string(dev->controller.type),
			 dev->controller.index);
		return buf;
	case DEVICE_KIND_HOSTDEV:
		snprintf(buf, 96, "%s:%u:%u:%llu", dev->hostdev.adapter, dev->hostdev.host_bus,
			 dev->hostdev.host_target, (unsigned long long)dev->hostdev.host_unit);
		return buf;
	case DEVICE_KIND_INTERFACE:
		return net_mac_to_string(dev->interface.mac, buf);
	default:
		return "";
	}
}

int device_object_detach(sd_bus_message *m, Domain *d, DeviceDef *key, sd_bus_error *error)
{
	_cleanup_(device_def_freep) DeviceDef *dev = key;
	OptionsCommon common = {};
	ModifyOptions mo = {};
	const OptionSpec specs[] = {{"live", "b", &mo.live},
				    {"config", "b", &mo.config},
				    {"current", "b", &mo.current},
				    {"persistent", "b", &mo.persistent},
				    {}};
	char device[96];
	assert(m);
	assert(d);
	assert(dev);

	int r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	r = domain_authorize(d, m, "org.zvirt1.domain.modify", "detach-device",
			     device_polkit_name(dev, device), common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	DomainModifyFlags flags;
	r = device_modify_flags(&mo, d, "Detach", &flags, error);
	if (r < 0)
		return r;
	ZvError err = ZV_ERROR_INIT;
	r = domain_detach_device(d, TAKE_PTR(dev), flags, device_call_done, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}
