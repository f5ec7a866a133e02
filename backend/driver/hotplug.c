/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AttachDevice, DetachDevice and UpdateDevice (disks, SCSI controllers,
 * SCSI hostdevs) and a cdrom's media change. The live half walks a
 * qemu/hotplug-plan.h plan, one QMP command at a time, as the one call
 * in flight of the domain, and changes the live definition only once
 * QEMU has done its part (a failure sends the undo of what was done);
 * the config half edits the persistent definition at its turn in the
 * write queue, so a DefineXML queued before it is never overwritten by
 * an older copy. A call that needs both halves checks both before it
 * touches either. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ccw-address.h"
#include "conf/device-xml.h"
#include "conf/domain-devices.h"
#include "dac.h"
#include "domain-internal.h"
#include "host/scsi-host.h"
#include "qemu/hotplug-plan.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/log.h"

#define error_is_set(err) ((err) && (err)->code != ZV_ERROR_NONE)

/* How long a locked tray may stay closed after the open request
 * (libvirt's qemuHotplugWaitForTrayEject waits about as long). */
#define TRAY_OPEN_TIMEOUT_USEC (5 * 1000000ULL)

typedef enum HotplugKind {
	HOTPLUG_ATTACH,
	HOTPLUG_DETACH,
	HOTPLUG_UPDATE,
} HotplugKind;

typedef enum HotplugPhase {
	PHASE_NONE,
	PHASE_PLAN,         /* walking op->plan */
	PHASE_WAIT_TRAY,    /* the plan waits for DEVICE_TRAY_MOVED (open) */
	PHASE_DEVICE_DEL,   /* device_del sent */
	PHASE_WAIT_DELETED, /* QEMU took the device_del: DEVICE_DELETED is next */
} HotplugPhase;

typedef struct HotplugOp {
	Registry *registry;
	char uuid_hex[SD_ID128_STRING_MAX];
	char *domain_name; /* for messages once the domain may be gone */
	HotplugKind kind;
	DomainModifyFlags flags;
	DeviceDef *dev; /* the caller's device; the config half's */
	char what[96];  /* "Disk 'vdb'", for messages */
	char *target;   /* a disk's target, for the answer; NULL otherwise */

	/* The live half. */
	HotplugPhase phase;
	DeviceDef *live_dev;    /* attach: what is plugged; update: the new medium's disk */
	ControllerDef implicit; /* attach: the SCSI controller plugged first ... */
	bool has_implicit;      /* ... when the device needs one */
	QemuPlan plan;
	size_t next_step;                /* the plan's step whose reply comes next */
	char *alias;                     /* detach, media change: the device QEMU knows */
	bool deleted;                    /* DEVICE_DELETED came (maybe before device_del's reply) */
	bool tray_open;                  /* DEVICE_TRAY_MOVED said open */
	bool force;                      /* media change: open a locked tray */
	bool medium_removed;             /* media change: the old medium is out */
	struct HotplugOp *next_deferred; /* on Domain.hotplug_deferred */
	sd_event_source *timeout;

	domain_device_done_fn cb;
	void *userdata;
	ZvError err;
} HotplugOp;

static HotplugOp *hotplug_op_free(HotplugOp *op)
{
	if (!op)
		return NULL;
	device_def_free(op->dev);
	device_def_free(op->live_dev);
	controller_def_clear(&op->implicit);
	qemu_plan_clear(&op->plan);
	free(op->domain_name);
	free(op->target);
	free(op->alias);
	sd_event_source_disable_unref(op->timeout);
	free(op);
	return NULL;
}

static const char *kind_call(HotplugKind k)
{
	return k == HOTPLUG_ATTACH ? "AttachDevice" : k == HOTPLUG_DETACH ? "DetachDevice" : "UpdateDevice";
}

static int oom(ZvError *err)
{
	return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
}

/* Answers the caller and forgets op. */
static void hotplug_finish(HotplugOp *op, int r)
{
	Domain *d = hashmap_get(op->registry->by_uuid, op->uuid_hex);
	if (op->cb)
		op->cb(d, r < 0 ? r : 0, r < 0 ? &op->err : NULL, r < 0 ? NULL : op->dev, op->userdata);
	hotplug_op_free(op);
}

/* --- the config half --------------------------------------------------------- */

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
		return oom(&op->err);
	return 0;
}

/* What the change makes of def (a copy of the persistent definition). */
static int config_apply(HotplugOp *op, DomainDef *def)
{
	ssize_t i = domain_def_device_index(def, op->dev);
	int r;

	_cleanup_(device_def_freep) DeviceDef *copy = device_def_copy(op->dev);
	if (!copy)
		return oom(&op->err);
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
					return oom(&op->err);
				}
			}
		}
		return domain_def_insert_device(def, copy) < 0 ? oom(&op->err) : 0;
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
			r = oom(&op->err);
		if (r < 0 && domain_def_insert_device(def, &old) < 0)
			return oom(&op->err); /* def is a copy: dropped by the caller */
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
	int k = config_apply(op, def);
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
			 kind_call(op->kind), op->what);
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

static void config_begin(HotplugOp *op)
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

/* --- walking a plan ----------------------------------------------------------- */

/* The end of the live half, from the op machinery: its own end, a
 * failure, or QEMU's end (op.c's finish_op_stopped). */
static void live_done(Domain *d, int r, const ZvError *err, void *userdata)
{
	HotplugOp *op = userdata;
	if (d->hotplug == op)
		d->hotplug = NULL;
	op->phase = PHASE_NONE;
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
static void live_fail(Domain *d, HotplugOp *op, ZvErrorCode code, int e, const char *what,
		      const char *detail)
{
	int k = zv_error_set(&op->err, code, e, "%s for domain '%s'%s%s", what, domain_name(d),
			     detail ? ": " : "", detail ?: "");
	domain_finish_op(d, k, &op->err);
}

/* What was done of the plan is undone, last first (fire and forget: a
 * failure here leaves QEMU with a node or device nobody uses, logged). */
static void undo_plan(Domain *d, HotplugOp *op)
{
	/* Once: the steps are forgotten as their undo is sent. */
	for (size_t i = op->next_step; i-- > 0;) {
		QemuPlanStep *s = &op->plan.v[i];
		if (!s->undo_command || !s->undo_args || !d->monitor)
			continue;
		(void)qemu_monitor_run_step(d->monitor, s->undo_command, TAKE_PTR(s->undo_args), NULL);
	}
}

static void plan_done(Domain *d, HotplugOp *op);
static void plan_next(Domain *d, HotplugOp *op);

/* A media change stopped half way: once the old medium is out, the
 * drive is empty whatever comes next (as libvirt leaves it), and the
 * tray is closed again; the new medium's files go back. */
static void undo_plan(Domain *d, HotplugOp *op);

static void medium_change_failed(Domain *d, HotplugOp *op)
{
	/* The new medium's nodes go (the only steps of the plan with an
	 * undo), then the tray closes: the last step of every change plan. */
	undo_plan(d, op);
	QemuPlanStep *last = op->plan.n ? &op->plan.v[op->plan.n - 1] : NULL;
	if (d->monitor && last && last->command && strcmp(last->command, "blockdev-close-tray") == 0 &&
	    op->next_step < op->plan.n - 1)
		(void)qemu_monitor_run_step(d->monitor, last->command, TAKE_PTR(last->args), NULL);
	ssize_t i = op->medium_removed ? domain_def_disk_index(d->live, op->target) : -1;
	if (i >= 0) {
		DiskDef *disk = &d->live->disks[i];
		DeviceDef old = {.kind = DEVICE_KIND_DISK, .disk = *disk};
		disk->source = NULL;
		disk->backing = NULL;
		disk->n_backing = 0;
		dac_restore_device(d, &old);
		free(old.disk.source);
		for (size_t k = 0; k < old.disk.n_backing; k++)
			free(old.disk.backing[k].source);
		free(old.disk.backing);
		(void)domain_save_status(d);
		registry_notify_definition(d->registry, d);
	}
	dac_restore_device(d, op->live_dev);
}

static int on_tray_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	Domain *d = userdata;
	HotplugOp *op = d->hotplug;
	if (!op || op->phase != PHASE_WAIT_TRAY)
		return 0;
	op->timeout = sd_event_source_disable_unref(op->timeout);
	medium_change_failed(d, op);
	live_fail(
		d, op, ZV_ERROR_OPERATION_INVALID, EBUSY, op->what,
		"the guest keeps its tray locked (the medium is in use); use 'force' to take it out anyway");
	return 0;
}

/* The tray's state from query-block: open goes on, closed waits for
 * DEVICE_TRAY_MOVED (or the timeout). */
static void on_tray_state(QemuMonitor *mon, int r, bool open, const char *error, void *userdata)
{
	Domain *d = userdata;
	HotplugOp *op = d->hotplug;
	if (!op || op->phase != PHASE_WAIT_TRAY || !(r >= 0 && open))
		return;
	op->tray_open = true;
	op->timeout = sd_event_source_disable_unref(op->timeout);
	op->next_step++;
	plan_next(d, op);
}

static void on_step_reply(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	HotplugOp *op = d->hotplug;
	if (!op || op->phase != PHASE_PLAN)
		return;
	QemuPlanStep *s = &op->plan.v[op->next_step];
	if (r < 0 && op->kind == HOTPLUG_DETACH) {
		/* The device is gone; a node QEMU keeps is only logged. */
		log_warning("Domain %s: %s of %s: %s", domain_name(d), s->command, op->what, error);
		r = 0;
	}
	if (r < 0) {
		char what[128];
		snprintf(what, sizeof(what), "QEMU refused %s (%s)", s->command, op->what);
		if (op->kind == HOTPLUG_ATTACH) {
			undo_plan(d, op);
			dac_restore_device(d, op->live_dev);
		} else
			medium_change_failed(d, op);
		live_fail(d, op, ZV_ERROR_HYPERVISOR, EIO, what, error);
		return;
	}
	if (strcmp(s->command, "blockdev-remove-medium") == 0)
		op->medium_removed = true;
	op->next_step++;
	plan_next(d, op);
}

static void plan_next(Domain *d, HotplugOp *op)
{
	if (op->next_step >= op->plan.n) {
		plan_done(d, op);
		return;
	}
	QemuPlanStep *s = &op->plan.v[op->next_step];
	if (!s->command) {
		/* A wait for the tray: DEVICE_TRAY_MOVED may have said it is
		 * open already; a tray that was open before says nothing, so
		 * QEMU is asked. */
		if (op->tray_open) {
			op->next_step++;
			plan_next(d, op);
			return;
		}
		op->phase = PHASE_WAIT_TRAY;
		int r = d->monitor ? qemu_monitor_query_tray(d->monitor, op->alias, on_tray_state)
				   : -ENOTCONN;
		if (r >= 0)
			r = sd_event_add_time_relative(registry_get_event(d->registry), &op->timeout,
						       CLOCK_MONOTONIC, TRAY_OPEN_TIMEOUT_USEC, 0,
						       on_tray_timeout, d);
		if (r < 0) {
			medium_change_failed(d, op);
			live_fail(d, op, ZV_ERROR_HOST, -r, "Cannot wait for the tray", strerror(-r));
		}
		return;
	}
	op->phase = PHASE_PLAN;
	int r = d->monitor ? qemu_monitor_run_step(d->monitor, s->command, TAKE_PTR(s->args), on_step_reply)
			   : -ENOTCONN;
	if (r < 0) {
		if (op->kind == HOTPLUG_ATTACH) {
			undo_plan(d, op);
			dac_restore_device(d, op->live_dev);
		} else if (op->kind == HOTPLUG_UPDATE)
			medium_change_failed(d, op);
		live_fail(d, op, ZV_ERROR_HYPERVISOR, -r, "Cannot send a command to QEMU", strerror(-r));
	}
}

void domain_hotplug_tray_moved(Domain *d, const char *alias, bool open)
{
	HotplugOp *op = d->hotplug;
	if (!op || !op->alias || !alias || strcmp(op->alias, alias) != 0)
		return;
	op->tray_open = open;
	if (open && op->phase == PHASE_WAIT_TRAY) {
		op->timeout = sd_event_source_disable_unref(op->timeout);
		op->next_step++;
		plan_next(d, op);
	}
}

/* Every step went through: the live definition follows. */
static void plan_done(Domain *d, HotplugOp *op)
{
	op->phase = PHASE_NONE;
	if (op->kind == HOTPLUG_DETACH) {
		domain_finish_op(d, 0, NULL); /* the definition changed with DEVICE_DELETED */
		return;
	}
	if (op->kind == HOTPLUG_ATTACH) {
		if (op->has_implicit) {
			DeviceDef c = {.kind = DEVICE_KIND_CONTROLLER, .controller = op->implicit};
			if (domain_def_insert_device(d->live, &c) >= 0)
				op->implicit = (ControllerDef){}, op->has_implicit = false;
		}
		if (domain_def_insert_device(d->live, op->live_dev) < 0) {
			/* QEMU has it; the daemon cannot say so. Left to a stop. */
			live_fail(d, op, ZV_ERROR_HOST, ENOMEM, "Out of memory recording the device", NULL);
			return;
		}
		log_info("Domain %s: %s attached", domain_name(d), op->what);
	} else {
		/* A medium change: the disk of that target gets the new medium. */
		ssize_t i = domain_def_disk_index(d->live, op->target);
		if (i >= 0) {
			DiskDef old = d->live->disks[i];
			d->live->disks[i] = op->live_dev->disk;
			op->live_dev->disk = old; /* freed with op, its files given back below */
			dac_restore_device(d, op->live_dev);
		}
		log_info("Domain %s: %s has a new medium", domain_name(d), op->what);
	}
	(void)domain_save_status(d);
	registry_notify_definition(d->registry, d);
	domain_finish_op(d, 0, NULL);
}

/* --- attach -------------------------------------------------------------------- */

static int attach_live_begin(Domain *d, HotplugOp *op, ZvError *err)
{
	const Settings *s = registry_get_settings(d->registry);
	DomainDef *live = d->live;
	QemuPlan controller_plan = {};
	/* What finds the new devices in the live definition again. */
	DeviceDef ckey = {.kind = DEVICE_KIND_CONTROLLER,
			  .controller = {.type = CONTROLLER_TYPE_SCSI, .index = op->implicit.index}};
	bool dev_in = false, cont_in = false;
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

	/* In the live definition for a moment: the start's rule names them
	 * (the controller first, so the device's bus has its name), and a
	 * SCSI device's plan needs its controller's alias. They go out
	 * again below, whatever happens, until QEMU has them. */
	if (op->has_implicit) {
		DeviceDef c = {.kind = DEVICE_KIND_CONTROLLER, .controller = op->implicit};
		r = domain_def_insert_device(live, &c);
		if (r >= 0) {
			op->implicit = (ControllerDef){};
			cont_in = true;
		}
	}
	if (r >= 0) {
		r = domain_def_insert_device(live, op->live_dev);
		dev_in = r >= 0;
	}
	if (r >= 0)
		r = domain_def_assign_aliases(live);
	if (r >= 0 && cont_in) {
		ssize_t ci = domain_def_device_index(live, &ckey);
		r = ci >= 0 ? qemu_plan_attach_controller(&live->controllers[ci], &controller_plan, err)
			    : -ENOENT;
	}
	ssize_t di = dev_in ? domain_def_device_index(live, op->dev) : -1;
	if (r >= 0 && di < 0)
		r = -ENOENT;
	if (r >= 0 && op->dev->kind == DEVICE_KIND_HOSTDEV) {
		HostdevDef *h = &live->hostdevs[di];
		r = host_scsi_sg_path(s->sysfs_root, h->adapter, h->host_bus, h->host_target, h->host_unit,
				      &h->live_sg_path, err);
	}
	if (r >= 0) {
		switch (op->dev->kind) {
		case DEVICE_KIND_DISK:
			r = qemu_plan_attach_disk(live, &live->disks[di], &op->plan, err);
			break;
		case DEVICE_KIND_CONTROLLER:
			r = qemu_plan_attach_controller(&live->controllers[di], &op->plan, err);
			break;
		case DEVICE_KIND_HOSTDEV:
			r = qemu_plan_attach_hostdev(live, &live->hostdevs[di], &op->plan, err);
			break;
		default:
			r = -EINVAL;
		}
	}
	if (dev_in && (di = domain_def_device_index(live, op->dev)) >= 0)
		domain_def_remove_device(live, op->dev->kind, (size_t)di, op->live_dev);
	ssize_t ci = cont_in ? domain_def_device_index(live, &ckey) : -1;
	if (ci >= 0) {
		DeviceDef out;
		domain_def_remove_device(live, DEVICE_KIND_CONTROLLER, (size_t)ci, &out);
		op->implicit = out.controller;
	}

	/* The controller's steps go first. */
	if (r >= 0 && controller_plan.n) {
		QemuPlanStep *v = realloc(controller_plan.v, (controller_plan.n + op->plan.n) * sizeof(*v));
		if (!v)
			r = oom(err);
		else {
			memcpy(v + controller_plan.n, op->plan.v, op->plan.n * sizeof(*v));
			free(op->plan.v);
			op->plan.v = v;
			op->plan.n += controller_plan.n;
			controller_plan = (QemuPlan){};
		}
	}
	qemu_plan_clear(&controller_plan);
	if (r >= 0)
		r = dac_label_device(d, op->live_dev, err);
	if (r < 0) {
		domain_abort_op(d);
		if (error_is_set(err))
			return r;
		return r == -ENOMEM ? oom(err)
				    : zv_error_set(err, ZV_ERROR_HOST, -r, "%s: cannot prepare the plug: %s",
						   op->what, strerror(-r));
	}
	d->hotplug = op;
	op->next_step = 0;
	plan_next(d, op);
	return 0;
}

/* --- detach ---------------------------------------------------------------------- */

/* The device of that alias is gone from QEMU: out of the live
 * definition, its nodes deleted, its files given back. */
static void remove_live_device(Domain *d, const char *alias, QemuPlan *drop_out)
{
	DomainDef *live = d->live;
	DeviceKind kind = _DEVICE_KIND_MAX;
	size_t index = 0;

	for (size_t k = 0; live && k < live->n_disks; k++)
		if (live->disks[k].info.alias && strcmp(live->disks[k].info.alias, alias) == 0)
			kind = DEVICE_KIND_DISK, index = k;
	for (size_t k = 0; live && k < live->n_controllers; k++)
		if (live->controllers[k].info.alias && strcmp(live->controllers[k].info.alias, alias) == 0)
			kind = DEVICE_KIND_CONTROLLER, index = k;
	for (size_t k = 0; live && k < live->n_hostdevs; k++)
		if (live->hostdevs[k].info.alias && strcmp(live->hostdevs[k].info.alias, alias) == 0)
			kind = DEVICE_KIND_HOSTDEV, index = k;
	if (kind == _DEVICE_KIND_MAX)
		return;

	_cleanup_(device_def_freep) DeviceDef *gone = calloc(1, sizeof(*gone));
	if (!gone)
		return;
	domain_def_remove_device(live, kind, index, gone);
	QemuPlan drop = {};
	ZvError err = ZV_ERROR_INIT;
	if (kind == DEVICE_KIND_DISK)
		(void)qemu_plan_drop_disk_nodes(&gone->disk, &drop, &err);
	else if (kind == DEVICE_KIND_HOSTDEV)
		(void)qemu_plan_drop_hostdev_node(&gone->hostdev, &drop, &err);
	if (drop_out) {
		/* The call ends when QEMU has deleted them: a daemon stopped
		 * right after the answer must not leave them behind. */
		qemu_plan_clear(drop_out);
		*drop_out = drop;
	} else {
		for (size_t i = 0; d->monitor && i < drop.n; i++)
			(void)qemu_monitor_run_step(d->monitor, drop.v[i].command, TAKE_PTR(drop.v[i].args),
						    NULL);
		qemu_plan_clear(&drop);
	}
	dac_restore_device(d, gone);
	char what[96];
	log_info("Domain %s: %s detached", domain_name(d), device_def_describe(gone, what));
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
	remove_live_device(d, alias, ours ? &op->plan : NULL);
	if (!ours)
		return;
	op->deleted = true;
	op->next_step = 0;
	if (op->phase == PHASE_WAIT_DELETED) {
		op->timeout = sd_event_source_disable_unref(op->timeout);
		plan_next(d, op);
	}
	/* else device_del's reply, which may come after the event, goes on */
}

static void removal_failed(Domain *d, const DeviceDef *dev, const char *message)
{
	Registry *r = d->registry;
	log_warning("Domain %s: %s", domain_name(d), message);
	if (r->callbacks.device_removal_failed)
		r->callbacks.device_removal_failed(d, dev, message, r->callbacks.userdata);
}

void domain_hotplug_unplug_refused(Domain *d, const char *alias)
{
	HotplugOp *op = d->hotplug;
	char msg[256];
	if (!alias || !op || op->kind != HOTPLUG_DETACH || !op->alias || strcmp(op->alias, alias) != 0) {
		log_warning("Domain %s: the guest refused to release device %s", domain_name(d),
			    alias ?: "?");
		return;
	}
	snprintf(msg, sizeof(msg), "The guest refused to release %s; it stays attached", op->what);
	removal_failed(d, op->dev, msg);
	int k = zv_error_set(&op->err, ZV_ERROR_OPERATION_INVALID, EBUSY, "%s", msg);
	domain_finish_op(d, k, &op->err);
}

static int on_removal_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	Domain *d = userdata;
	HotplugOp *op = d->hotplug;
	char msg[256];
	if (!op || op->phase != PHASE_WAIT_DELETED)
		return 0;
	op->timeout = sd_event_source_disable_unref(op->timeout);
	snprintf(msg, sizeof(msg),
		 "The guest did not release %s within %llu s; it stays attached until it does", op->what,
		 DOMAIN_DEVICE_REMOVAL_TIMEOUT_USEC / 1000000ULL);
	removal_failed(d, op->dev, msg);
	int k = zv_error_set(&op->err, ZV_ERROR_TIMEOUT, ETIMEDOUT, "%s", msg);
	domain_finish_op(d, k, &op->err);
	return 0;
}

static void on_device_del(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	HotplugOp *op = d->hotplug;
	if (!op || op->phase != PHASE_DEVICE_DEL)
		return;
	if (r < 0) {
		live_fail(d, op, ZV_ERROR_HYPERVISOR, EIO, "QEMU refused to remove the device", error);
		return;
	}
	if (op->deleted) {
		plan_next(d, op);
		return;
	}
	op->phase = PHASE_WAIT_DELETED;
	r = sd_event_add_time_relative(registry_get_event(d->registry), &op->timeout, CLOCK_MONOTONIC,
				       DOMAIN_DEVICE_REMOVAL_TIMEOUT_USEC, 0, on_removal_timeout, d);
	if (r < 0)
		live_fail(d, op, ZV_ERROR_HOST, -r, "Cannot arm the removal timer", strerror(-r));
}

static int detach_live_begin(Domain *d, HotplugOp *op, ZvError *err)
{
	ssize_t i = domain_def_device_index(d->live, op->dev);
	if (i < 0)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENOENT,
				    "%s is not attached to domain '%s'", op->what, domain_name(d));
	int r = domain_def_check_removal(d->live, (size_t)i, op->dev->kind, err);
	if (r < 0)
		return r;
	_cleanup_(device_def_freep) DeviceDef *probe = calloc(1, sizeof(*probe));
	if (!probe)
		return oom(err);
	/* Its alias, found without copying the device. */
	const char *alias = op->dev->kind == DEVICE_KIND_DISK         ? d->live->disks[i].info.alias
			    : op->dev->kind == DEVICE_KIND_CONTROLLER ? d->live->controllers[i].info.alias
								      : d->live->hostdevs[i].info.alias;
	if (!alias)
		return zv_error_set(err, ZV_ERROR_HOST, EINVAL, "%s of domain '%s' has no alias", op->what,
				    domain_name(d));
	r = domain_begin_op(d, DOMAIN_OP_DETACH_DEVICE, live_done, op, err);
	if (r < 0)
		return r;
	op->alias = strdup(alias);
	r = !op->alias   ? -ENOMEM
	    : d->monitor ? qemu_monitor_device_del(d->monitor, op->alias, on_device_del)
			 : -ENOTCONN;
	if (r < 0) {
		domain_abort_op(d);
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, -r,
				    "Cannot send device_del to QEMU for domain '%s': %s", domain_name(d),
				    strerror(-r));
	}
	op->phase = PHASE_DEVICE_DEL;
	d->hotplug = op;
	return 0;
}

/* --- update: a cdrom's medium ------------------------------------------------------ */

/* What UpdateDevice may change on a running disk: nothing but a cdrom's
 * medium. Returns the name of the first other setting that differs,
 * NULL when none does. */
static const char *live_difference(const DiskDef *old, const DiskDef *new)
{
	if (old->type != new->type && old->source &&new->source)
		return "type";
	if (old->device != new->device)
		return "device";
	if (old->bus != new->bus)
		return "bus";
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
	if ((old->serial || new->serial) &&
	    (!old->serial || !new->serial || strcmp(old->serial, new->serial) != 0))
		return "serial";
	if (old->error_policy != new->error_policy || old->rerror_policy != new->rerror_policy)
		return "error policy";
	if (old->geometry_cyls != new->geometry_cyls || old->geometry_heads != new->geometry_heads ||
	    old->geometry_secs != new->geometry_secs || old->geometry_trans != new->geometry_trans)
		return "geometry";
	if (old->logical_block_size != new->logical_block_size ||
	    old->physical_block_size != new->physical_block_size)
		return "block sizes";
	if (old->iothread != new->iothread)
		return "I/O thread";
	if (old->startup_policy != new->startup_policy)
		return "startup policy";
	if (new->info.address.assigned && !ccw_address_equal(&old->info.address, &new->info.address))
		return "address";
	if (new->info.drive.assigned &&
	    memcmp(&old->info.drive, &new->info.drive, sizeof(new->info.drive)) != 0)
		return "address";
	return NULL;
}

static bool same_medium(const DiskDef *a, const DiskDef *b)
{
	if (!a->source || !b->source)
		return !a->source && !b->source;
	return strcmp(a->source, b->source) == 0 && a->format == b->format && a->type == b->type &&
	       a->n_backing == b->n_backing;
}

/* The live half of an update: op->live_dev holds the disk as it is to
 * be. 1: there is nothing to send (the same medium). */
/* The live disk as it is, with the medium (source, type, format,
 * backing chain) of want: what QEMU gets is all the live definition
 * records. */
static DeviceDef *with_medium_of(const DiskDef *old, const DiskDef *want)
{
	DeviceDef probe = {.kind = DEVICE_KIND_DISK, .disk = *old};
	_cleanup_(device_def_freep) DeviceDef *dev = device_def_copy(&probe);
	if (!dev)
		return NULL;
	DiskDef *d = &dev->disk;
	free(d->source);
	d->source = NULL;
	for (size_t k = 0; k < d->n_backing; k++)
		free(d->backing[k].source);
	free(d->backing);
	d->backing = NULL;
	d->n_backing = 0;
	d->type = want->type;
	d->format = want->format;
	if (want->source && !(d->source = strdup(want->source)))
		return NULL;
	if (want->n_backing) {
		if (!(d->backing = calloc(want->n_backing, sizeof(*d->backing))))
			return NULL;
		for (; d->n_backing < want->n_backing; d->n_backing++) {
			d->backing[d->n_backing] = want->backing[d->n_backing];
			d->backing[d->n_backing].source = strdup(want->backing[d->n_backing].source);
			if (!d->backing[d->n_backing].source)
				return NULL;
		}
	}
	d->backing_terminated = want->backing_terminated;
	return TAKE_PTR(dev);
}

static int update_live_begin(Domain *d, HotplugOp *op, ZvError *err)
{
	if (op->dev->kind != DEVICE_KIND_DISK)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "UpdateDevice: %s cannot change while domain '%s' runs", op->what,
				    domain_name(d));
	ssize_t i = domain_def_disk_index(d->live, op->target);
	if (i < 0)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENOENT,
				    "%s is not attached to domain '%s'", op->what, domain_name(d));
	const DiskDef *old = &d->live->disks[i];
	int r = lifecycle_check(DOMAIN_OP_UPDATE_DEVICE, d->state, d->reason, domain_name(d), err);
	if (r >= 0)
		r = domain_check_idle(d, DOMAIN_OP_UPDATE_DEVICE, err);
	if (r < 0)
		return r;
	/* ChangeMedia brings its live disk; UpdateDevice's is made here. */
	const char *what = live_difference(old, op->live_dev ? &op->live_dev->disk : &op->dev->disk);
	if (!what && !op->live_dev && !(op->live_dev = with_medium_of(old, &op->dev->disk)))
		return oom(err);
	DiskDef *new = op->live_dev ? &op->live_dev->disk : NULL;
	if (what)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "UpdateDevice: the %s of %s cannot change while domain '%s' runs", what,
				    op->what, domain_name(d));
	if (same_medium(old, new))
		return 1;
	if (old->device != DISK_DEVICE_CDROM)
		return zv_error_set(
			err, ZV_ERROR_OPERATION_INVALID, EPERM,
			"UpdateDevice: the source of %s cannot change while domain '%s' runs (only a "
			"cdrom's medium can)",
			op->what, domain_name(d));

	/* The drive stays: its alias and addresses. */
	free(new->info.alias);
	new->info.alias = old->info.alias ? strdup(old->info.alias) : NULL;
	new->info.address = old->info.address;
	new->info.drive = old->info.drive;
	op->alias = old->info.alias ? strdup(old->info.alias) : NULL;
	if (!new->info.alias || !op->alias)
		return oom(err);
	r = qemu_plan_change_medium(old, new, op->force, &op->plan, err);
	if (r < 0)
		return r;
	r = dac_label_device(d, op->live_dev, err);
	if (r < 0)
		return r;
	r = domain_begin_op(d, DOMAIN_OP_UPDATE_DEVICE, live_done, op, err);
	if (r < 0) {
		dac_restore_device(d, op->live_dev);
		return r;
	}
	d->hotplug = op;
	op->next_step = 0;
	op->tray_open = false;
	plan_next(d, op);
	return 0;
}

/* --- the calls ---------------------------------------------------------------------- */

/* A live update with nothing to send, answered from the loop: kept on
 * its domain until then, so that a domain freed first answers it. */
static void deferred_unlink(Domain *d, HotplugOp *op)
{
	for (HotplugOp **p = d ? &d->hotplug_deferred : NULL; p && *p; p = &(*p)->next_deferred)
		if (*p == op) {
			*p = op->next_deferred;
			break;
		}
}

static int on_answer_later(sd_event_source *s, void *userdata)
{
	HotplugOp *op = userdata;
	op->timeout = sd_event_source_disable_unref(op->timeout);
	deferred_unlink(hashmap_get(op->registry->by_uuid, op->uuid_hex), op);
	hotplug_finish(op, 0);
	return 0;
}

static DomainOp kind_op(HotplugKind k)
{
	return k == HOTPLUG_ATTACH   ? DOMAIN_OP_ATTACH_DEVICE
	       : k == HOTPLUG_DETACH ? DOMAIN_OP_DETACH_DEVICE
				     : DOMAIN_OP_UPDATE_DEVICE;
}

static int op_new(Domain *d, HotplugKind kind, DeviceDef *dev, DomainModifyFlags flags,
		  domain_device_done_fn cb, void *userdata, HotplugOp **ret, ZvError *err)
{
	_cleanup_(device_def_freep) DeviceDef *owned = dev;
	assert(d);
	assert(dev);
	assert(cb);

	if (!(flags & (DOMAIN_MODIFY_LIVE | DOMAIN_MODIFY_CONFIG)))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "%s: no definition to change",
				    kind_call(kind));
	if (d->undefine_pending || d->rename_pending)
		return domain_check_idle(d, kind_op(kind), err);
	HotplugOp *op = calloc(1, sizeof(*op));
	if (!op)
		return oom(err);
	*op = (HotplugOp){
		.registry = d->registry,
		.kind = kind,
		.flags = flags,
		.force = flags & DOMAIN_MODIFY_FORCE,
		.dev = TAKE_PTR(owned),
		.cb = cb,
		.userdata = userdata,
		.err = ZV_ERROR_INIT,
	};
	memcpy(op->uuid_hex, d->uuid_hex, sizeof(op->uuid_hex));
	device_def_describe(op->dev, op->what);
	op->domain_name = strdup(domain_name(d));
	if (!op->domain_name ||
	    (op->dev->kind == DEVICE_KIND_DISK && !(op->target = strdup(op->dev->disk.target)))) {
		hotplug_op_free(op);
		return oom(err);
	}
	*ret = op;
	return 0;
}

/* The config half alone is checked now too, so that a plain mistake (a
 * taken target) is answered before anything is queued or plugged. */
static int config_precheck(Domain *d, HotplugOp *op, ZvError *err)
{
	if (!(op->flags & DOMAIN_MODIFY_CONFIG))
		return 0;
	_cleanup_(domain_def_freep) DomainDef *copy = domain_def_copy(d->def);
	if (!copy)
		return oom(err);
	ZvError saved = op->err;
	op->err = (ZvError)ZV_ERROR_INIT;
	int r = config_apply(op, copy);
	if (r < 0)
		*err = op->err;
	op->err = saved;
	return r;
}

/* Runs the change: the live half first (it can fail for reasons the
 * config cannot), then the config half; config alone goes straight to
 * the write queue. Takes op. */
static int op_run(Domain *d, HotplugOp *op, ZvError *err)
{
	int r = config_precheck(d, op, err);
	if (r >= 0 && (op->flags & DOMAIN_MODIFY_LIVE)) {
		switch (op->kind) {
		case HOTPLUG_ATTACH:
			r = attach_live_begin(d, op, err);
			break;
		case HOTPLUG_DETACH:
			r = detach_live_begin(d, op, err);
			break;
		case HOTPLUG_UPDATE:
			r = update_live_begin(d, op, err);
			if (r > 0 && (op->flags & DOMAIN_MODIFY_CONFIG))
				r = 1; /* nothing to send live: the config half answers */
			else if (r > 0) {
				/* Nothing to send; answered from the loop all the same. */
				r = sd_event_add_defer(registry_get_event(d->registry), &op->timeout,
						       on_answer_later, op);
				if (r >= 0) {
					op->next_deferred = d->hotplug_deferred;
					d->hotplug_deferred = op;
				}
			}
			break;
		}
		if (r == 0)
			return 0;
	}
	if (r < 0) {
		hotplug_op_free(op);
		return error_is_set(err) ? r : zv_error_set(err, ZV_ERROR_HOST, -r, "%s", strerror(-r));
	}
	config_begin(op);
	return 0;
}

/* The live device of an attach: the caller's, with an address free in
 * both definitions and the controller it needs. */
static int attach_prepare(Domain *d, HotplugOp *op, ZvError *err)
{
	op->live_dev = device_def_copy(op->dev);
	if (!op->live_dev)
		return oom(err);
	const DomainDef *other = op->flags & DOMAIN_MODIFY_CONFIG ? d->def : NULL;
	int r = domain_def_check_new_device(d->live, other, op->live_dev, err);
	if (r < 0)
		return r;
	DeviceInfo *info = device_def_info(op->live_dev);
	if (op->live_dev->kind != DEVICE_KIND_CONTROLLER && info->drive.assigned) {
		r = domain_def_implicit_controller(d->live, other, info->drive.controller, &op->implicit,
						   err);
		if (r < 0)
			return r;
		op->has_implicit = r > 0;
	}
	/* One set of addresses for both halves. */
	device_def_info(op->dev)->address = info->address;
	device_def_info(op->dev)->drive = info->drive;
	return 0;
}

int domain_attach_device(Domain *d, DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			 void *userdata, ZvError *err)
{
	HotplugOp *op = NULL;
	int r = op_new(d, HOTPLUG_ATTACH, dev, flags, cb, userdata, &op, err);
	if (r < 0)
		return r;
	if (flags & DOMAIN_MODIFY_LIVE) {
		r = attach_prepare(d, op, err);
		if (r < 0) {
			hotplug_op_free(op);
			return r;
		}
	}
	return op_run(d, op, err);
}

int domain_detach_device(Domain *d, DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			 void *userdata, ZvError *err)
{
	HotplugOp *op = NULL;
	int r = op_new(d, HOTPLUG_DETACH, dev, flags, cb, userdata, &op, err);
	if (r < 0)
		return r;
	return op_run(d, op, err);
}

int domain_update_device(Domain *d, DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			 void *userdata, ZvError *err)
{
	HotplugOp *op = NULL;
	int r = op_new(d, HOTPLUG_UPDATE, dev, flags, cb, userdata, &op, err);
	if (r < 0)
		return r;
	return op_run(d, op, err);
}

/* A copy of the disk of that target in def, with the new medium (a
 * file, or a block device with DOMAIN_MEDIA_BLOCK, as virsh makes it). */
static DeviceDef *with_medium(const DomainDef *def, const char *target, const char *source,
			      DomainMediaFlags media)
{
	ssize_t i = domain_def_disk_index(def, target);
	if (i < 0)
		return NULL;
	DeviceDef probe = {.kind = DEVICE_KIND_DISK, .disk = def->disks[i]};
	DeviceDef *dev = device_def_copy(&probe);
	if (!dev)
		return NULL;
	free(dev->disk.source);
	dev->disk.source = NULL;
	if (source && !(dev->disk.source = strdup(source)))
		return device_def_free(dev);
	if (source) {
		dev->disk.type = media & DOMAIN_MEDIA_BLOCK ? DISK_TYPE_BLOCK : DISK_TYPE_FILE;
		dev->disk.format = DISK_FORMAT_RAW; /* an ISO, as virsh's new <source> */
	}
	/* A new medium brings no backing chain of the old one. */
	for (size_t k = 0; k < dev->disk.n_backing; k++)
		free(dev->disk.backing[k].source);
	free(dev->disk.backing);
	dev->disk.backing = NULL;
	dev->disk.n_backing = 0;
	return dev;
}

int domain_change_media(Domain *d, const char *target, const char *source, DomainModifyFlags flags,
			DomainMediaFlags media, domain_device_done_fn cb, void *userdata, ZvError *err)
{
	assert(d);
	assert(target);
	assert(cb);
	const DomainDef *def = flags & DOMAIN_MODIFY_CONFIG ? d->def : d->live;
	ssize_t i = def ? domain_def_disk_index(def, target) : -ENOENT;
	if (i < 0)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENOENT,
				    "Domain '%s' has no disk with target '%s'%s", domain_name(d), target,
				    flags & DOMAIN_MODIFY_CONFIG ? " in its persistent definition" : "");
	if (def->disks[i].device != DISK_DEVICE_CDROM)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "Disk '%s' of domain '%s' is not a cdrom: it has no medium to change",
				    target, domain_name(d));
	if ((media & DOMAIN_MEDIA_EJECT) && !def->disks[i].source)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "The cdrom '%s' of domain '%s' has no medium to eject", target,
				    domain_name(d));
	DeviceDef *dev = with_medium(def, target, source, media);
	if (!dev)
		return oom(err);
	HotplugOp *op = NULL;
	int r = op_new(d, HOTPLUG_UPDATE, dev, flags, cb, userdata, &op, err);
	if (r < 0)
		return r;
	if ((flags & DOMAIN_MODIFY_LIVE) && !(op->live_dev = with_medium(d->live, target, source, media))) {
		hotplug_op_free(op);
		return d->live && domain_def_disk_index(d->live, target) < 0
			       ? zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENOENT,
					      "Domain '%s' has no disk with target '%s' attached",
					      domain_name(d), target)
			       : oom(err);
	}
	return op_run(d, op, err);
}

void domain_hotplug_stopped(Domain *d)
{
	HotplugOp *op = NULL;
	while ((op = d->hotplug_deferred)) {
		d->hotplug_deferred = op->next_deferred;
		op->timeout = sd_event_source_disable_unref(op->timeout);
		hotplug_finish(op, 0);
	}
	/* The op machinery answers the call at QEMU's end; a domain freed
	 * with a change under way (the daemon stops) answers it here. */
	if (d->hotplug && d->op_active) {
		op = d->hotplug;
		int k = zv_error_set(&op->err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				     "zvirtd is stopping: the device change of domain '%s' did not complete",
				     domain_name(d));
		domain_finish_op(d, k, &op->err);
	}
}
