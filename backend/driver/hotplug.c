/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AttachDevice, DetachDevice and UpdateDevice of disks. The live half
 * talks to QEMU (blockdev-add, device_add, device_del and its
 * DEVICE_DELETED) as the one call in flight of the domain, and changes
 * the live definition only once QEMU has done its part; the config half
 * edits the persistent definition at its turn in the write queue, so a
 * DefineXML queued before it is never overwritten by an older copy. A
 * call that fails changes nothing; one that needs both halves checks
 * both before it touches either. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ccw-address.h"
#include "conf/device-xml.h"
#include "conf/domain-devices.h"
#include "dac.h"
#include "domain-internal.h"
#include "qemu/cmdline.h"
#include "registry-internal.h"
#include "store.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/log.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

#define error_is_set(err) ((err) && (err)->code != ZV_ERROR_NONE)

typedef enum HotplugKind {
	HOTPLUG_ATTACH,
	HOTPLUG_DETACH,
	HOTPLUG_UPDATE,
} HotplugKind;

typedef enum HotplugStep {
	STEP_STORAGE_ADD, /* blockdev-add of the protocol node sent */
	STEP_FORMAT_ADD,  /* ... of the format node */
	STEP_DEVICE_ADD,  /* device_add sent */
	STEP_DEVICE_DEL,  /* device_del sent */
	STEP_WAIT_DELETED /* QEMU took the device_del: DEVICE_DELETED is next */
} HotplugStep;

typedef struct HotplugOp {
	Registry *registry;
	char uuid_hex[SD_ID128_STRING_MAX];
	char *domain_name; /* for messages once the domain may be gone */
	HotplugKind kind;
	DomainModifyFlags flags;
	DeviceDef *dev; /* the caller's device; the config half's */
	char *target;

	/* The live half. */
	DiskDef live_disk; /* attach: what is plugged */
	json_object *format_props, *device_props;
	char *alias; /* detach: the device QEMU knows */
	HotplugStep step;
	bool deleted; /* DEVICE_DELETED came (possibly before device_del's reply) */
	sd_event_source *timeout;

	/* The config half, at its turn in the write queue. */
	DomainDef *config_def;
	char *config_xml;
	char *state_dir;

	domain_device_done_fn cb;
	void *userdata;
	ZvError err;
} HotplugOp;

static HotplugOp *hotplug_op_free(HotplugOp *op)
{
	if (!op)
		return NULL;
	device_def_free(op->dev);
	free(op->domain_name);
	free(op->target);
	disk_def_clear(&op->live_disk);
	json_object_put(op->format_props);
	json_object_put(op->device_props);
	free(op->alias);
	sd_event_source_disable_unref(op->timeout);
	domain_def_free(op->config_def);
	free(op->config_xml);
	free(op->state_dir);
	free(op);
	return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(HotplugOp *, hotplug_op_free)

static const char *kind_call(HotplugKind k)
{
	return k == HOTPLUG_ATTACH ? "AttachDevice" : k == HOTPLUG_DETACH ? "DetachDevice" : "UpdateDevice";
}

/* Answers the caller and forgets op. */
static void hotplug_finish(HotplugOp *op, int r)
{
	Domain *d = hashmap_get(op->registry->by_uuid, op->uuid_hex);
	if (op->cb)
		op->cb(d, r < 0 ? r : 0, r < 0 ? &op->err : NULL, r < 0 ? NULL : op->target, op->userdata);
	hotplug_op_free(op);
}

/* --- the config half --------------------------------------------------------- */

/* What the change makes of def (a copy of the persistent definition). */
static int config_apply(HotplugOp *op, DomainDef *def)
{
	ssize_t i = domain_def_disk_index(def, op->target);
	DiskDef *disk = &op->dev->disk;
	int r;

	switch (op->kind) {
	case HOTPLUG_ATTACH: {
		r = domain_def_check_new_disk(def, NULL, disk, &op->err);
		if (r < 0)
			return r == -ENOMEM ? zv_error_set(&op->err, ZV_ERROR_HOST, ENOMEM, "Out of memory")
					    : r;
		_cleanup_(device_def_freep) DeviceDef *copy = device_def_copy(op->dev);
		if (!copy || domain_def_insert_disk(def, &copy->disk) < 0)
			return zv_error_set(&op->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		return 0;
	}
	case HOTPLUG_DETACH: {
		if (i < 0)
			return zv_error_set(&op->err, ZV_ERROR_NO_SUCH_DEVICE, ENOENT,
					    "Domain '%s' has no disk with target '%s' in its persistent "
					    "definition",
					    def->name, op->target);
		DiskDef gone;
		domain_def_remove_disk(def, (size_t)i, &gone);
		disk_def_clear(&gone);
		return 0;
	}
	case HOTPLUG_UPDATE: {
		if (i < 0)
			return zv_error_set(&op->err, ZV_ERROR_NO_SUCH_DEVICE, ENOENT,
					    "Domain '%s' has no disk with target '%s' in its persistent "
					    "definition",
					    def->name, op->target);
		DiskDef *old = &def->disks[i];
		char a[CCW_ADDRESS_STRING_MAX], b[CCW_ADDRESS_STRING_MAX];
		if (disk->info.address.assigned &&
		    !ccw_address_equal(&disk->info.address, &old->info.address))
			return zv_error_set(
				&op->err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				"Disk '%s' is at ccw address %s; UpdateDevice cannot move it to %s",
				op->target, ccw_address_to_string(&old->info.address, a),
				ccw_address_to_string(&disk->info.address, b));
		_cleanup_(device_def_freep) DeviceDef *copy = device_def_copy(op->dev);
		if (!copy)
			return zv_error_set(&op->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		copy->disk.info.address = old->info.address;
		if (!copy->disk.info.alias && old->info.alias)
			copy->disk.info.alias = TAKE_PTR(old->info.alias);
		if (copy->disk.info.boot_order)
			for (size_t k = 0; k < def->n_disks; k++)
				if ((ssize_t)k != i &&
				    def->disks[k].info.boot_order == copy->disk.info.boot_order)
					return zv_error_set(
						&op->err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
						"Disk '%s': boot order %u is already used by disk '%s'",
						op->target, copy->disk.info.boot_order,
						def->disks[k].target);
		disk_def_clear(old);
		*old = copy->disk;
		copy->disk = (DiskDef){};
		return 0;
	}
	}
	return -EINVAL;
}

static int config_check(void *userdata)
{
	HotplugOp *op = userdata;
	Registry *r = op->registry;
	Domain *d = hashmap_get(r->by_uuid, op->uuid_hex);

	if (!d)
		return zv_error_set(&op->err, ZV_ERROR_NO_SUCH_DOMAIN, ENOENT, "Domain '%s' is gone",
				    op->domain_name);
	if (!d->persistent)
		return zv_error_set(&op->err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "%s: domain '%s' is transient and has no persistent definition",
				    kind_call(op->kind), domain_name(d));
	op->config_def = domain_def_copy(d->def);
	if (!op->config_def)
		return zv_error_set(&op->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	int k = config_apply(op, op->config_def);
	if (k < 0)
		return k;
	op->config_xml = domain_def_format(op->config_def, 0, DOMAIN_XML_FORMAT_INACTIVE);
	op->state_dir = strdup(r->settings->state_dir);
	if (!op->config_xml || !op->state_dir)
		return zv_error_set(&op->err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	return 0;
}

static int config_write(void *userdata, int *ret_unsynced)
{
	HotplugOp *op = userdata;
	int k = store_write_definition(op->state_dir, op->uuid_hex, op->config_xml, ret_unsynced);
	if (k < 0)
		return zv_error_set(&op->err, ZV_ERROR_HOST, k, "Cannot store the definition of '%s': %s",
				    op->domain_name, strerror(-k));
	return 0;
}

static void config_finish(const WriteOutcome *o, void *userdata)
{
	HotplugOp *op = userdata;
	Registry *r = op->registry;
	Domain *d = hashmap_get(r->by_uuid, op->uuid_hex);
	int k = o->result;
	bool live_done = op->flags & DOMAIN_MODIFY_LIVE;

	if (o->stopping)
		k = zv_error_set(
			&op->err, ZV_ERROR_CANCELLED, ESHUTDOWN,
			k >= 0 ? "zvirtd is stopping: the persistent definition of '%s' is stored "
				 "and loaded at the next start"
			       : "zvirtd is stopping: the persistent definition of '%s' is unchanged",
			op->domain_name);
	else if (d && k >= 0) {
		/* The name key points into the def: re-key it (the name is the same). */
		hashmap_remove(r->by_name, d->def->name);
		domain_def_free(d->def);
		d->def = TAKE_PTR(op->config_def);
		(void)hashmap_put(r->by_name, d->def->name, d);
		registry_notify_definition(r, d);
		log_info("Domain %s: %s of disk %s in the persistent definition", domain_name(d),
			 kind_call(op->kind), op->target);
		if (o->unsynced < 0)
			k = zv_error_set(&op->err, ZV_ERROR_HOST, -o->unsynced,
					 "The persistent definition of '%s' is changed, but a power cut may "
					 "undo it: cannot fsync %s/domains: %s",
					 op->domain_name, op->state_dir, strerror(-o->unsynced));
	}
	if (k < 0 && live_done) {
		/* The live half stays done: say so rather than hide it. */
		ZvError e = op->err;
		zv_error_clear(&op->err);
		k = zv_error_set(&op->err, e.code, -k,
				 "The live change is done, the persistent one is not: %.900s", e.message);
	}
	hotplug_finish(op, k);
}

static const WriteOps config_ops = {
	.check = config_check,
	.write = config_write,
	.finish = config_finish,
};

static void config_begin(HotplugOp *op)
{
	int k = registry_start_worker(op->registry);
	if (k >= 0)
		k = write_queue_push(op->registry->writes, &config_ops, op);
	if (k >= 0)
		return;
	hotplug_finish(
		op, zv_error_set(&op->err, ZV_ERROR_HOST, -k, "Cannot queue the write: %s", strerror(-k)));
}

/* --- the live half ------------------------------------------------------------ */

/* The end of the live half, from the op machinery: its own end, a
 * failure, or QEMU's end (op.c's finish_op_stopped). */
static void live_done(Domain *d, int r, const ZvError *err, void *userdata)
{
	HotplugOp *op = userdata;
	if (d->hotplug == op)
		d->hotplug = NULL;
	op->timeout = sd_event_source_disable_unref(op->timeout);
	if (r < 0) {
		if (err && err != &op->err)
			op->err = *err;
		hotplug_finish(op, r);
		return;
	}
	if (op->flags & DOMAIN_MODIFY_CONFIG)
		config_begin(op);
	else
		hotplug_finish(op, 0);
}

/* "<what> for domain '<name>'[: <detail>]" ends the live half. */
static int live_fail(Domain *d, HotplugOp *op, ZvErrorCode code, int e, const char *what, const char *detail)
{
	int k = zv_error_set(&op->err, code, e, "%s for domain '%s'%s%s", what, domain_name(d),
			     detail ? ": " : "", detail ?: "");
	domain_finish_op(d, k, &op->err);
	return k;
}

/* Undoes the block nodes of a disk whose device_add failed. */
static void drop_nodes(Domain *d, const char *alias, bool format_too)
{
	char storage[QEMU_NODE_NAME_MAX], format[QEMU_NODE_NAME_MAX];
	if (!d->monitor || qemu_disk_node_names(alias, storage, format) < 0)
		return;
	if (format_too)
		(void)qemu_monitor_blockdev_del(d->monitor, format, NULL);
	(void)qemu_monitor_blockdev_del(d->monitor, storage, NULL);
}

static HotplugOp *live_op(Domain *d, HotplugStep step)
{
	HotplugOp *op = d->hotplug;
	return op && op->step == step ? op : NULL;
}

static void on_device_added(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	HotplugOp *op = live_op(d, STEP_DEVICE_ADD);
	if (!op)
		return;
	if (r < 0) {
		drop_nodes(d, op->live_disk.info.alias, true);
		dac_restore_disk(d, op->live_disk.source);
		live_fail(d, op, ZV_ERROR_HYPERVISOR, EIO, "QEMU refused to add the disk", error);
		return;
	}
	/* Plugged: now it is the live definition's. */
	if (domain_def_insert_disk(d->live, &op->live_disk) < 0) {
		/* QEMU has it; the daemon cannot say so. Leave it to a stop. */
		live_fail(d, op, ZV_ERROR_HOST, ENOMEM, "Out of memory recording the attached disk", NULL);
		return;
	}
	(void)domain_save_status(d);
	registry_notify_definition(d->registry, d);
	log_info("Domain %s: disk %s attached", domain_name(d), op->target);
	domain_finish_op(d, 0, NULL);
}

static void on_format_added(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	HotplugOp *op = live_op(d, STEP_FORMAT_ADD);
	if (!op)
		return;
	if (r < 0) {
		drop_nodes(d, op->live_disk.info.alias, false);
		dac_restore_disk(d, op->live_disk.source);
		live_fail(d, op, ZV_ERROR_HYPERVISOR, EIO, "QEMU cannot open the disk image", error);
		return;
	}
	op->step = STEP_DEVICE_ADD;
	r = qemu_monitor_device_add(d->monitor, TAKE_PTR(op->device_props), on_device_added);
	if (r < 0) {
		drop_nodes(d, op->live_disk.info.alias, true);
		dac_restore_disk(d, op->live_disk.source);
		live_fail(d, op, ZV_ERROR_HYPERVISOR, -r, "Cannot send device_add to QEMU", strerror(-r));
	}
}

static void on_storage_added(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	HotplugOp *op = live_op(d, STEP_STORAGE_ADD);
	if (!op)
		return;
	if (r < 0) {
		dac_restore_disk(d, op->live_disk.source);
		live_fail(d, op, ZV_ERROR_HYPERVISOR, EIO, "QEMU cannot open the disk source", error);
		return;
	}
	op->step = STEP_FORMAT_ADD;
	r = qemu_monitor_blockdev_add(d->monitor, TAKE_PTR(op->format_props), on_format_added);
	if (r < 0) {
		drop_nodes(d, op->live_disk.info.alias, false);
		dac_restore_disk(d, op->live_disk.source);
		live_fail(d, op, ZV_ERROR_HYPERVISOR, -r, "Cannot send blockdev-add to QEMU", strerror(-r));
	}
}

/* The alias the live disk gets: the one a start would have given it
 * (every other device of the run has one already). */
static int assign_live_alias(Domain *d, DiskDef *disk)
{
	if (disk->info.alias)
		return 0;
	_cleanup_free_ char *target = strdup(disk->target);
	if (!target)
		return -ENOMEM;
	int r = domain_def_insert_disk(d->live, disk);
	if (r < 0)
		return r;
	r = domain_def_assign_aliases(d->live);
	ssize_t i = domain_def_disk_index(d->live, target);
	assert(i >= 0);
	domain_def_remove_disk(d->live, (size_t)i, disk);
	return r;
}

static int attach_live_begin(Domain *d, HotplugOp *op, ZvError *err)
{
	_cleanup_(json_object_putp) json_object *storage = NULL;
	DiskDef *disk = &op->live_disk;
	int r;

	r = domain_begin_op(d, DOMAIN_OP_ATTACH_DEVICE, live_done, op, err);
	if (r < 0)
		return r;
	if (!d->monitor) {
		domain_abort_op(d);
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, ENOTCONN,
				    "AttachDevice: QEMU's monitor of domain '%s' is not connected",
				    domain_name(d));
	}
	r = assign_live_alias(d, disk);
	if (r >= 0)
		r = qemu_disk_blockdev_props(disk, &storage, &op->format_props, err);
	if (r >= 0)
		r = qemu_disk_device_props(disk, &op->device_props, err);
	if (r >= 0)
		r = dac_label_disk(d, disk, err);
	if (r < 0) {
		domain_abort_op(d);
		return r == -ENOMEM && !error_is_set(err)
			       ? zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory")
			       : r;
	}
	op->step = STEP_STORAGE_ADD;
	r = qemu_monitor_blockdev_add(d->monitor, TAKE_PTR(storage), on_storage_added);
	if (r < 0) {
		dac_restore_disk(d, disk->source);
		domain_abort_op(d);
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, -r,
				    "Cannot send blockdev-add to QEMU for domain '%s': %s", domain_name(d),
				    strerror(-r));
	}
	d->hotplug = op;
	return 0;
}

/* The disk of that alias is gone from QEMU: out of the live definition,
 * its nodes deleted, its file given back. */
static void remove_live_disk(Domain *d, const char *alias)
{
	char storage[QEMU_NODE_NAME_MAX], format[QEMU_NODE_NAME_MAX];
	ssize_t i = -1;

	for (size_t k = 0; d->live && k < d->live->n_disks; k++)
		if (d->live->disks[k].info.alias && strcmp(d->live->disks[k].info.alias, alias) == 0)
			i = (ssize_t)k;
	if (i < 0)
		return;
	DiskDef gone;
	domain_def_remove_disk(d->live, (size_t)i, &gone);
	if (d->monitor && qemu_disk_node_names(alias, storage, format) >= 0) {
		(void)qemu_monitor_blockdev_del(d->monitor, format, NULL);
		(void)qemu_monitor_blockdev_del(d->monitor, storage, NULL);
	}
	dac_restore_disk(d, gone.source);
	log_info("Domain %s: disk %s detached", domain_name(d), gone.target);
	disk_def_clear(&gone);
	(void)domain_save_status(d);
	registry_notify_definition(d->registry, d);
}

void domain_hotplug_device_deleted(Domain *d, const char *alias)
{
	if (!alias)
		return; /* a part of a device (its virtio backend), not one of ours */
	/* A test's stand-in for a guest that never lets go. */
	if (fault_error("detach-device-deleted") < 0)
		return;
	HotplugOp *op = d->hotplug;
	bool ours = op && op->kind == HOTPLUG_DETACH && op->alias && strcmp(op->alias, alias) == 0;
	remove_live_disk(d, alias);
	if (!ours)
		return;
	op->deleted = true;
	if (op->step == STEP_WAIT_DELETED)
		domain_finish_op(d, 0, NULL);
	/* else device_del's reply, which comes after the event, ends it */
}

static void removal_failed(Domain *d, const char *target, const char *message)
{
	Registry *r = d->registry;
	log_warning("Domain %s: %s", domain_name(d), message);
	if (r->callbacks.device_removal_failed)
		r->callbacks.device_removal_failed(d, target, message, r->callbacks.userdata);
}

static const char *target_of_alias(Domain *d, const char *alias)
{
	for (size_t k = 0; d->live && k < d->live->n_disks; k++)
		if (d->live->disks[k].info.alias && strcmp(d->live->disks[k].info.alias, alias) == 0)
			return d->live->disks[k].target;
	return NULL;
}

void domain_hotplug_unplug_refused(Domain *d, const char *alias)
{
	const char *target = alias ? target_of_alias(d, alias) : NULL;
	char msg[256];
	if (!target)
		return;
	snprintf(msg, sizeof(msg), "The guest refused to release disk '%s'; it stays attached", target);
	removal_failed(d, target, msg);
	HotplugOp *op = d->hotplug;
	if (op && op->kind == HOTPLUG_DETACH && op->alias && strcmp(op->alias, alias) == 0) {
		int k = zv_error_set(&op->err, ZV_ERROR_OPERATION_INVALID, EBUSY, "%s", msg);
		domain_finish_op(d, k, &op->err);
	}
}

static int on_removal_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	Domain *d = userdata;
	HotplugOp *op = live_op(d, STEP_WAIT_DELETED);
	char msg[256];
	if (!op)
		return 0;
	op->timeout = sd_event_source_disable_unref(op->timeout);
	snprintf(msg, sizeof(msg),
		 "The guest did not release disk '%s' within %llu s; it stays attached until it does",
		 op->target, DOMAIN_DEVICE_REMOVAL_TIMEOUT_USEC / 1000000ULL);
	removal_failed(d, op->target, msg);
	int k = zv_error_set(&op->err, ZV_ERROR_TIMEOUT, ETIMEDOUT, "%s", msg);
	domain_finish_op(d, k, &op->err);
	return 0;
}

static void on_device_del(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	HotplugOp *op = live_op(d, STEP_DEVICE_DEL);
	if (!op)
		return;
	if (r < 0) {
		live_fail(d, op, ZV_ERROR_HYPERVISOR, EIO, "QEMU refused to remove the disk", error);
		return;
	}
	if (op->deleted) {
		domain_finish_op(d, 0, NULL);
		return;
	}
	op->step = STEP_WAIT_DELETED;
	r = sd_event_add_time_relative(registry_get_event(d->registry), &op->timeout, CLOCK_MONOTONIC,
				       DOMAIN_DEVICE_REMOVAL_TIMEOUT_USEC, 0, on_removal_timeout, d);
	if (r < 0)
		live_fail(d, op, ZV_ERROR_HOST, -r, "Cannot arm the removal timer", strerror(-r));
}

static int detach_live_begin(Domain *d, HotplugOp *op, ZvError *err)
{
	ssize_t i = domain_def_disk_index(d->live, op->target);
	if (i < 0)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENOENT,
				    "Domain '%s' has no disk with target '%s' attached", domain_name(d),
				    op->target);
	const DiskDef *disk = &d->live->disks[i];
	if (!disk->info.alias)
		return zv_error_set(err, ZV_ERROR_HOST, EINVAL, "Disk '%s' of domain '%s' has no alias",
				    op->target, domain_name(d));
	int r = domain_begin_op(d, DOMAIN_OP_DETACH_DEVICE, live_done, op, err);
	if (r < 0)
		return r;
	op->alias = strdup(disk->info.alias);
	r = !op->alias   ? -ENOMEM
	    : d->monitor ? qemu_monitor_device_del(d->monitor, op->alias, on_device_del)
			 : -ENOTCONN;
	if (r < 0) {
		domain_abort_op(d);
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, -r,
				    "Cannot send device_del to QEMU for domain '%s': %s", domain_name(d),
				    strerror(-r));
	}
	op->step = STEP_DEVICE_DEL;
	d->hotplug = op;
	return 0;
}

/* What UpdateDevice may change on a running disk: nothing but its
 * medium, and a virtio disk has no tray. Returns the name of the first
 * setting that differs, NULL when none does. */
static const char *live_difference(const DiskDef *old, const DiskDef *new)
{
	if (old->type != new->type)
		return "type";
	if (old->device != new->device)
		return "device";
	if (old->format != new->format)
		return "driver type";
	if (old->cache != new->cache)
		return "cache";
	if (old->io != new->io)
		return "io";
	if (old->readonly != new->readonly)
		return "readonly";
	if (old->shareable != new->shareable)
		return "shareable";
	if (old->info.boot_order != new->info.boot_order)
		return "boot order";
	if (new->info.address.assigned && !ccw_address_equal(&old->info.address, &new->info.address))
		return "address";
	if (!!old->source != !!new->source || (old->source && strcmp(old->source, new->source) != 0))
		return "source";
	return NULL;
}

static int update_live_check(Domain *d, HotplugOp *op, ZvError *err)
{
	ssize_t i = domain_def_disk_index(d->live, op->target);
	if (i < 0)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENOENT,
				    "Domain '%s' has no disk with target '%s' attached", domain_name(d),
				    op->target);
	int r = lifecycle_check(DOMAIN_OP_UPDATE_DEVICE, d->state, d->reason, domain_name(d), err);
	if (r >= 0)
		r = domain_check_idle(d, DOMAIN_OP_UPDATE_DEVICE, err);
	if (r < 0)
		return r;
	const char *what = live_difference(&d->live->disks[i], &op->dev->disk);
	if (what)
		return zv_error_set(
			err, ZV_ERROR_OPERATION_INVALID, EPERM,
			"UpdateDevice: the %s of disk '%s' cannot change while domain '%s' runs%s", what,
			op->target, domain_name(d),
			strcmp(what, "source") == 0 ? " (only a cdrom's medium can be changed live)" : "");
	return 0;
}

/* --- the calls ---------------------------------------------------------------- */

static int op_new(Domain *d, HotplugKind kind, DeviceDef *dev, DomainModifyFlags flags,
		  domain_device_done_fn cb, void *userdata, HotplugOp **ret, ZvError *err)
{
	_cleanup_(device_def_freep) DeviceDef *owned = dev;
	assert(d);
	assert(dev);
	assert(cb);

	if (dev->kind != DEVICE_KIND_DISK)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EOPNOTSUPP,
				    "%s: <%s> devices are not supported", kind_call(kind),
				    device_kind_to_string(dev->kind));
	if (!flags)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "%s: no definition to change",
				    kind_call(kind));
	if (d->undefine_pending || d->rename_pending)
		return domain_check_idle(d,
					 kind == HOTPLUG_ATTACH   ? DOMAIN_OP_ATTACH_DEVICE
					 : kind == HOTPLUG_DETACH ? DOMAIN_OP_DETACH_DEVICE
								  : DOMAIN_OP_UPDATE_DEVICE,
					 err);
	HotplugOp *op = calloc(1, sizeof(*op));
	if (!op)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*op = (HotplugOp){
		.registry = d->registry,
		.kind = kind,
		.flags = flags,
		.dev = TAKE_PTR(owned),
		.cb = cb,
		.userdata = userdata,
		.err = ZV_ERROR_INIT,
	};
	memcpy(op->uuid_hex, d->uuid_hex, sizeof(op->uuid_hex));
	op->domain_name = strdup(domain_name(d));
	op->target = strdup(op->dev->disk.target);
	if (!op->domain_name || !op->target) {
		hotplug_op_free(op);
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	*ret = op;
	return 0;
}

static int on_answer_later(sd_event_source *s, void *userdata)
{
	HotplugOp *op = userdata;
	op->timeout = sd_event_source_disable_unref(op->timeout);
	hotplug_finish(op, 0);
	return 0;
}

/* Runs the change: the live half first (it can fail for reasons the
 * config cannot), then the config half; config alone goes straight to
 * the write queue. */
static int op_run(Domain *d, HotplugOp *op, ZvError *err)
{
	int r = 0;

	if (op->flags & DOMAIN_MODIFY_LIVE) {
		switch (op->kind) {
		case HOTPLUG_ATTACH:
			r = attach_live_begin(d, op, err);
			break;
		case HOTPLUG_DETACH:
			r = detach_live_begin(d, op, err);
			break;
		case HOTPLUG_UPDATE:
			/* The same device again: nothing to send. Answered from
			 * the loop all the same, like every call. */
			r = update_live_check(d, op, err);
			if (r >= 0 && !(op->flags & DOMAIN_MODIFY_CONFIG))
				r = sd_event_add_defer(registry_get_event(d->registry), &op->timeout,
						       on_answer_later, op);
			break;
		}
		if (r < 0) {
			hotplug_op_free(op);
			return error_is_set(err) ? r
						 : zv_error_set(err, ZV_ERROR_HOST, -r, "%s", strerror(-r));
		}
		if (op->kind != HOTPLUG_UPDATE || !(op->flags & DOMAIN_MODIFY_CONFIG))
			return 0;
	}
	config_begin(op);
	return 0;
}

/* The config half alone is checked now too, so that a plain mistake
 * (a taken target) is answered before anything is queued. */
static int config_precheck(Domain *d, HotplugOp *op, ZvError *err)
{
	if (!(op->flags & DOMAIN_MODIFY_CONFIG))
		return 0;
	_cleanup_(domain_def_freep) DomainDef *copy = domain_def_copy(d->def);
	if (!copy)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	_cleanup_(device_def_freep) DeviceDef *dev = device_def_copy(op->dev);
	if (!dev)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	/* config_apply works on op's device and error: run it on copies. */
	DeviceDef *saved = op->dev;
	op->dev = dev;
	int r = config_apply(op, copy);
	op->dev = saved;
	if (r < 0) {
		*err = op->err;
		op->err = (ZvError)ZV_ERROR_INIT;
	}
	return r;
}

int domain_attach_device(Domain *d, DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			 void *userdata, ZvError *err)
{
	HotplugOp *op;
	int r = op_new(d, HOTPLUG_ATTACH, dev, flags, cb, userdata, &op, err);
	if (r < 0)
		return r;
	if (flags & DOMAIN_MODIFY_LIVE) {
		/* One address for both halves: free in either definition. */
		DeviceDef *copy = device_def_copy(op->dev);
		if (!copy) {
			hotplug_op_free(op);
			return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		}
		op->live_disk = copy->disk;
		copy->disk = (DiskDef){};
		device_def_free(copy);
		r = domain_def_check_new_disk(d->live, flags & DOMAIN_MODIFY_CONFIG ? d->def : NULL,
					      &op->live_disk, err);
		if (r < 0) {
			hotplug_op_free(op);
			return r == -ENOMEM ? zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory") : r;
		}
		op->dev->disk.info.address = op->live_disk.info.address;
	}
	r = config_precheck(d, op, err);
	if (r < 0) {
		hotplug_op_free(op);
		return r;
	}
	return op_run(d, op, err);
}

int domain_detach_device(Domain *d, DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			 void *userdata, ZvError *err)
{
	HotplugOp *op;
	int r = op_new(d, HOTPLUG_DETACH, dev, flags, cb, userdata, &op, err);
	if (r < 0)
		return r;
	r = config_precheck(d, op, err);
	if (r < 0) {
		hotplug_op_free(op);
		return r;
	}
	return op_run(d, op, err);
}

int domain_update_device(Domain *d, DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			 void *userdata, ZvError *err)
{
	HotplugOp *op;
	int r = op_new(d, HOTPLUG_UPDATE, dev, flags, cb, userdata, &op, err);
	if (r < 0)
		return r;
	r = config_precheck(d, op, err);
	if (r < 0) {
		hotplug_op_free(op);
		return r;
	}
	return op_run(d, op, err);
}

void domain_hotplug_stopped(Domain *d)
{
	/* The op machinery answers the call (QEMU's end, or Cancelled when
	 * the domain is freed); only a call still held here needs that. */
	if (d->hotplug && d->op_active) {
		HotplugOp *op = d->hotplug;
		int k = zv_error_set(&op->err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				     "zvirtd is stopping: the device change of domain '%s' did not complete",
				     domain_name(d));
		domain_finish_op(d, k, &op->err);
	}
}
