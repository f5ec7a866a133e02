/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The config half of the device calls: the persistent definition edited
 * at its turn in the queue of durable changes, so a DefineXML queued
 * before it is never overwritten by an older copy. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ccw-address.h"
#include "conf/device-xml.h"
#include "conf/domain-devices.h"
#include "dac.h"
#include "hotplug-internal.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

static int no_such(HotplugOp *op, const DomainDef *def, const char *where)
{
	return zv_error_set(&op->err, ZV_ERROR_NO_SUCH_DEVICE, ENOENT,
			    "%s: domain '%s' has no such device%s", op->what, def->name, where);
}

/* An update keeps what identifies the device and its addresses, unless
 * the XML gives them. */
static int update_keep(HotplugOp *op, const DeviceDef *old, DeviceDef *new)
{
	const DeviceInfo *o = device_def_info((DeviceDef *)old);
	DeviceInfo *n = device_def_info(new);
	char a[CCW_ADDRESS_STRING_MAX], b[CCW_ADDRESS_STRING_MAX];
	if (n->address.assigned && !ccw_address_equal(&n->address, &o->address))
		return zv_error_set(&op->err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%s is at ccw address %s; UpdateDevice cannot move it to %s", op->what,
				    ccw_address_to_string(&o->address, a),
				    ccw_address_to_string(&n->address, b));
	if (n->drive.assigned && memcmp(&n->drive, &o->drive, sizeof(n->drive)) != 0)
		return zv_error_set(&op->err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%s: UpdateDevice cannot move it to another SCSI address", op->what);
	n->address = o->address;
	n->drive = o->drive;
	if (!n->alias && o->alias && !(n->alias = strdup(o->alias)))
		return hotplug_oom(&op->err);
	return 0;
}

/* What the change makes of def (a copy of the persistent definition). */
int hotplug_config_apply(HotplugOp *op, DomainDef *def)
{
	ssize_t i = domain_def_device_index(def, op->dev);
	int r;

	/* A detach's device is only a key (Disk.Detach: the target alone, no
	 * XML round trip makes of it): attach and update copy theirs. */
	_cleanup_(device_def_freep) DeviceDef *copy = NULL;
	if (op->kind != HOTPLUG_DETACH && !(copy = device_def_copy(op->dev)))
		return hotplug_oom(&op->err);
	switch (op->kind) {
	case HOTPLUG_ATTACH: {
		r = domain_def_check_new_device(def, NULL, copy, &op->err);
		if (r < 0)
			return r;
		ControllerDef implicit = {};
		if (copy->kind != DEVICE_KIND_CONTROLLER && device_def_info(copy)->drive.assigned) {
			r = domain_def_implicit_controller(
				def, NULL, device_def_info(copy)->drive.controller, &implicit, &op->err);
			if (r < 0)
				return r;
			if (r > 0) {
				DeviceDef c = {.kind = DEVICE_KIND_CONTROLLER, .controller = implicit};
				if (domain_def_insert_device(def, &c) < 0) {
					controller_def_clear(&c.controller);
					return hotplug_oom(&op->err);
				}
			}
		}
		return domain_def_insert_device(def, copy) < 0 ? hotplug_oom(&op->err) : 0;
	}
	case HOTPLUG_DETACH: {
		if (i < 0)
			return no_such(op, def, " in its persistent definition");
		r = domain_def_check_removal(def, (size_t)i, op->dev->kind, &op->err);
		if (r < 0)
			return r;
		DeviceDef gone;
		domain_def_remove_device(def, op->dev->kind, (size_t)i, &gone);
		device_def_clear(&gone);
		return 0;
	}
	case HOTPLUG_UPDATE: {
		if (i < 0)
			return no_such(op, def, " in its persistent definition");
		DeviceDef old;
		domain_def_remove_device(def, op->dev->kind, (size_t)i, &old);
		r = update_keep(op, &old, copy);
		if (r >= 0) {
			/* The rest (target, alias, boot order) must be free
			 * without the old device; its addresses stay. */
			DeviceInfo keep = *device_def_info(copy);
			r = domain_def_check_new_device(def, NULL, copy, &op->err);
			device_def_info(copy)->address = keep.address;
			device_def_info(copy)->drive = keep.drive;
		}
		if (r >= 0 && domain_def_insert_device(def, copy) < 0)
			r = hotplug_oom(&op->err);
		if (r < 0 && domain_def_insert_device(def, &old) < 0)
			return hotplug_oom(&op->err); /* def is a copy: dropped by the caller */
		/* In the old one's place: a NIC's or hostdev's index is its name. */
		domain_def_move_last_device(def, op->dev->kind, (size_t)i);
		if (r >= 0)
			device_def_clear(&old);
		return r;
	}
	}
	return -EINVAL;
}

/* The config half, at its turn in the queue of durable changes. */
static int config_edit(DomainDef *def, void *userdata, ZvError *err)
{
	HotplugOp *op = userdata;
	int k = hotplug_config_apply(op, def);
	if (k < 0)
		*err = op->err;
	return k;
}

static void config_done(Registry *r, int result, const ZvError *err, void *userdata)
{
	HotplugOp *op = userdata;
	int k = result;
	if (k >= 0) {
		log_info("Domain %s: %s of %s in the persistent definition", op->domain_name,
			 hotplug_kind_call(op->kind), op->what);
	} else if (op->flags & DOMAIN_MODIFY_LIVE) {
		/* The live half stays done: say so rather than hide it. */
		zv_error_clear(&op->err);
		k = zv_error_set(&op->err, err->code, -k,
				 "The live change is done, the persistent one is not: %.900s", err->message);
	} else {
		op->err = *err;
	}
	hotplug_finish(op, k);
}

void hotplug_config_begin(HotplugOp *op)
{
	Domain *d = hashmap_get(op->registry->by_uuid, op->uuid_hex);
	ZvError err = ZV_ERROR_INIT;
	int k = d ? registry_edit_definition_async(op->registry, d, config_edit, config_done, op, &err)
		  : zv_error_set(&err, ZV_ERROR_NO_SUCH_DOMAIN, ENOENT, "Domain '%s' is gone",
				 op->domain_name);
	if (k >= 0)
		return;
	config_done(op->registry, k, &err, op);
}
