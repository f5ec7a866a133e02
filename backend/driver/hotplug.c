/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AttachDevice, DetachDevice and UpdateDevice (disks, SCSI controllers,
 * SCSI hostdevs, NICs) and a cdrom's media change. The live half walks a
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
#include <unistd.h>

#include "conf/ccw-address.h"
#include "conf/device-xml.h"
#include "conf/domain-devices.h"
#include "dac.h"
#include "domain-internal.h"
#include "hotplug-internal.h"
#include "host/disk-node.h"
#include "host/scsi-host.h"
#include "net.h"
#include "qemu/hotplug-plan.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/log.h"

HotplugOp *hotplug_op_free(HotplugOp *op)
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
	if (op->net_fd >= 0)
		close(op->net_fd);
	free(op);
	return NULL;
}

const char *hotplug_kind_call(HotplugKind k)
{
	return k == HOTPLUG_ATTACH ? "AttachDevice" : k == HOTPLUG_DETACH ? "DetachDevice" : "UpdateDevice";
}

int hotplug_oom(ZvError *err)
{
	return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
}

/* Answers the caller and forgets op. */
void hotplug_finish(HotplugOp *op, int r)
{
	Domain *d = hashmap_get(op->registry->by_uuid, op->uuid_hex);
	if (op->cb)
		op->cb(d, r < 0 ? r : 0, r < 0 ? &op->err : NULL, r < 0 ? NULL : op->dev, op->userdata);
	hotplug_op_free(op);
}

/* --- walking a plan ----------------------------------------------------------- */

/* The end of the live half, from the op machinery: its own end, a
 * failure, or QEMU's end (op.c's finish_op_stopped). */
void hotplug_live_done(Domain *d, int r, const ZvError *err, void *userdata)
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
		hotplug_config_begin(op);
	else
		hotplug_finish(op, 0);
}

/* "<what> for domain '<name>'[: <detail>]" ends the live half. */
void hotplug_live_fail(Domain *d, HotplugOp *op, ZvErrorCode code, int e, const char *what,
		       const char *detail)
{
	int k = zv_error_set(&op->err, code, e, "%s for domain '%s'%s%s", what, domain_name(d),
			     detail ? ": " : "", detail ?: "");
	domain_finish_op(d, k, &op->err);
}

/* What was done of the plan is undone, last first (fire and forget: a
 * failure here leaves QEMU with a node or device nobody uses, logged). */
void hotplug_undo_plan(Domain *d, HotplugOp *op)
{
	/* Once: the steps are forgotten as their undo is sent. */
	for (size_t i = op->next_step; i-- > 0;) {
		QemuPlanStep *s = &op->plan.v[i];
		if (!s->undo_command || !s->undo_args || !d->monitor)
			continue;
		(void)qemu_monitor_run_step(d->monitor, s->undo_command, TAKE_PTR(s->undo_args), NULL);
	}
}

/* A failed attach: QEMU's part undone, the device's files and host
 * link given back. */
static void attach_undo(Domain *d, HotplugOp *op)
{
	hotplug_undo_plan(d, op);
	dac_restore_device(d, op->live_dev);
	if (op->live_dev->kind == DEVICE_KIND_INTERFACE)
		domain_net_release(d, &op->live_dev->interface);
	/* A tap goes with its last descriptor: before the caller hears of
	 * the failure, so that it finds the host as it was. */
	if (op->net_fd >= 0) {
		close(op->net_fd);
		op->net_fd = -1;
	}
}

static void plan_done(Domain *d, HotplugOp *op);

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
		if (op->kind == HOTPLUG_ATTACH)
			attach_undo(d, op);
		else if (op->dev->kind == DEVICE_KIND_DISK)
			hotplug_medium_failed(d, op);
		hotplug_live_fail(d, op, ZV_ERROR_HYPERVISOR, EIO, what, error);
		return;
	}
	if (strcmp(s->command, "blockdev-remove-medium") == 0)
		op->medium_removed = true;
	op->next_step++;
	hotplug_plan_next(d, op);
}

void hotplug_plan_next(Domain *d, HotplugOp *op)
{
	if (op->next_step >= op->plan.n) {
		plan_done(d, op);
		return;
	}
	QemuPlanStep *s = &op->plan.v[op->next_step];
	if (!s->command) {
		hotplug_wait_tray(d, op);
		return;
	}
	op->phase = PHASE_PLAN;
	int r = !d->monitor ? -ENOTCONN
		: s->fd >= 0
			? qemu_monitor_run_step_fd(d->monitor, s->command, TAKE_PTR(s->args), s->fd,
						   on_step_reply)
			: qemu_monitor_run_step(d->monitor, s->command, TAKE_PTR(s->args), on_step_reply);
	if (r < 0) {
		if (op->kind == HOTPLUG_ATTACH)
			attach_undo(d, op);
		else if (op->kind == HOTPLUG_UPDATE && op->dev->kind == DEVICE_KIND_DISK)
			hotplug_medium_failed(d, op);
		hotplug_live_fail(d, op, ZV_ERROR_HYPERVISOR, -r, "Cannot send a command to QEMU",
				  strerror(-r));
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
			hotplug_live_fail(d, op, ZV_ERROR_HOST, ENOMEM, "Out of memory recording the device",
					  NULL);
			return;
		}
		log_info("Domain %s: %s attached", domain_name(d), op->what);
	} else if (op->dev->kind == DEVICE_KIND_INTERFACE) {
		hotplug_update_link_done(d, op);
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

/* The plugged NIC's Open vSwitch port is there (or could not be made). */
static void on_port_added(Domain *d, int r, const ZvError *err, void *userdata)
{
	HotplugOp *op = userdata;
	if (d->hotplug != op)
		return;
	if (r < 0) {
		attach_undo(d, op);
		hotplug_live_fail(d, op, err && err->code != ZV_ERROR_NONE ? err->code : ZV_ERROR_HOST, -r,
				  "Cannot add the interface's Open vSwitch port",
				  err && err->message[0] ? err->message : strerror(-r));
		return;
	}
	hotplug_plan_next(d, op);
}

static int attach_live_begin(Domain *d, HotplugOp *op, ZvError *err)
{
	const Settings *s = registry_get_settings(d->registry);
	DomainDef *live = d->live;
	QemuPlan controller_plan = {};
	/* What finds the new devices in the live definition again. */
	DeviceDef ckey = {.kind = DEVICE_KIND_CONTROLLER,
			  .controller = {.type = CONTROLLER_TYPE_SCSI, .index = op->implicit.index}};
	bool dev_in = false, cont_in = false, net_made = false;
	int r;

	r = domain_begin_op(d, DOMAIN_OP_ATTACH_DEVICE, hotplug_live_done, op, err);
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
	if (r >= 0 && op->dev->kind == DEVICE_KIND_DISK && live->disks[di].type == DISK_TYPE_BLOCK &&
	    live->disks[di].source)
		r = host_disk_node_check(s->sysfs_root, s->dev_root, live->disks[di].source, err);
	if (r >= 0 && op->dev->kind == DEVICE_KIND_HOSTDEV) {
		HostdevDef *h = &live->hostdevs[di];
		r = host_scsi_sg_path(s->sysfs_root, s->dev_root, h->adapter, h->host_bus, h->host_target,
				      h->host_unit, &h->live_sg_path, err);
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
		case DEVICE_KIND_INTERFACE:
			/* The host side first: the plan hands its descriptor over. */
			r = domain_net_prepare(d, &live->interfaces[di], &op->net_fd, err);
			net_made = r >= 0;
			if (r >= 0)
				r = qemu_plan_attach_interface(&live->interfaces[di], op->net_fd, &op->plan,
							       err);
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
			r = hotplug_oom(err);
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
		if (net_made)
			domain_net_release(d, &op->live_dev->interface);
		domain_abort_op(d);
		if (error_is_set(err))
			return r;
		return r == -ENOMEM ? hotplug_oom(err)
				    : zv_error_set(err, ZV_ERROR_HOST, -r, "%s: cannot prepare the plug: %s",
						   op->what, strerror(-r));
	}
	d->hotplug = op;
	op->next_step = 0;
	if (op->live_dev->kind == DEVICE_KIND_INTERFACE) {
		/* An Open vSwitch NIC's port before the guest sees the NIC. */
		r = domain_net_connect(d, &op->live_dev->interface, on_port_added, op, err);
		if (r == 0)
			return 0;
		if (r < 0) {
			d->hotplug = NULL;
			dac_restore_device(d, op->live_dev);
			domain_net_release(d, &op->live_dev->interface);
			domain_abort_op(d);
			return r;
		}
	}
	hotplug_plan_next(d, op);
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
	for (size_t k = 0; live && k < live->n_interfaces; k++)
		if (live->interfaces[k].info.alias && strcmp(live->interfaces[k].info.alias, alias) == 0)
			kind = DEVICE_KIND_INTERFACE, index = k;
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
	else if (kind == DEVICE_KIND_INTERFACE) {
		(void)qemu_plan_drop_interface_netdev(&gone->interface, &drop, &err);
		/* The guest let go of it: its host link can go now. */
		domain_net_release(d, &gone->interface);
	}
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
		hotplug_plan_next(d, op);
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
		hotplug_live_fail(d, op, ZV_ERROR_HYPERVISOR, EIO, "QEMU refused to remove the device",
				  error);
		return;
	}
	if (op->deleted) {
		hotplug_plan_next(d, op);
		return;
	}
	op->phase = PHASE_WAIT_DELETED;
	r = sd_event_add_time_relative(registry_get_event(d->registry), &op->timeout, CLOCK_MONOTONIC,
				       DOMAIN_DEVICE_REMOVAL_TIMEOUT_USEC, 0, on_removal_timeout, d);
	if (r < 0)
		hotplug_live_fail(d, op, ZV_ERROR_HOST, -r, "Cannot arm the removal timer", strerror(-r));
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
		return hotplug_oom(err);
	/* Its alias, found without copying the device. */
	const DeviceInfo *info = domain_def_device_info(d->live, op->dev->kind, (size_t)i);
	const char *alias = info ? info->alias : NULL;
	if (!alias)
		return zv_error_set(err, ZV_ERROR_HOST, EINVAL, "%s of domain '%s' has no alias", op->what,
				    domain_name(d));
	r = domain_begin_op(d, DOMAIN_OP_DETACH_DEVICE, hotplug_live_done, op, err);
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

int hotplug_op_new(Domain *d, HotplugKind kind, DeviceDef *dev, DomainModifyFlags flags,
		   domain_device_done_fn cb, void *userdata, HotplugOp **ret, ZvError *err)
{
	_cleanup_(device_def_freep) DeviceDef *owned = dev;
	assert(d);
	assert(dev);
	assert(cb);

	if (!(flags & (DOMAIN_MODIFY_LIVE | DOMAIN_MODIFY_CONFIG)))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "%s: no definition to change",
				    hotplug_kind_call(kind));
	if (d->undefine_pending || d->rename_pending)
		return domain_check_idle(d, kind_op(kind), err);
	HotplugOp *op = calloc(1, sizeof(*op));
	if (!op)
		return hotplug_oom(err);
	*op = (HotplugOp){
		.registry = d->registry,
		.kind = kind,
		.flags = flags,
		.force = flags & DOMAIN_MODIFY_FORCE,
		.dev = TAKE_PTR(owned),
		.cb = cb,
		.userdata = userdata,
		.net_fd = -1,
		.err = ZV_ERROR_INIT,
	};
	memcpy(op->uuid_hex, d->uuid_hex, sizeof(op->uuid_hex));
	device_def_describe(op->dev, op->what);
	op->domain_name = strdup(domain_name(d));
	if (!op->domain_name ||
	    (op->dev->kind == DEVICE_KIND_DISK && !(op->target = strdup(op->dev->disk.target)))) {
		hotplug_op_free(op);
		return hotplug_oom(err);
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
		return hotplug_oom(err);
	ZvError saved = op->err;
	op->err = (ZvError)ZV_ERROR_INIT;
	int r = hotplug_config_apply(op, copy);
	if (r < 0)
		*err = op->err;
	op->err = saved;
	return r;
}

/* Runs the change: the live half first (it can fail for reasons the
 * config cannot), then the config half; config alone goes straight to
 * the write queue. Takes op. */
int hotplug_op_run(Domain *d, HotplugOp *op, ZvError *err)
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
			r = op->dev->kind == DEVICE_KIND_INTERFACE ? hotplug_update_link_begin(d, op, err)
								   : hotplug_update_live_begin(d, op, err);
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
	hotplug_config_begin(op);
	return 0;
}

/* The live device of an attach: the caller's, with an address free in
 * both definitions and the controller it needs. */
static int attach_prepare(Domain *d, HotplugOp *op, ZvError *err)
{
	op->live_dev = device_def_copy(op->dev);
	if (!op->live_dev)
		return hotplug_oom(err);
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
	int r = hotplug_op_new(d, HOTPLUG_ATTACH, dev, flags, cb, userdata, &op, err);
	if (r < 0)
		return r;
	/* One drawn MAC for both halves. */
	if (op->dev->kind == DEVICE_KIND_INTERFACE &&
	    (r = registry_unique_mac(d->registry, d->live ?: d->def, &op->dev->interface, err)) < 0) {
		hotplug_op_free(op);
		return r;
	}
	if (flags & DOMAIN_MODIFY_LIVE) {
		r = attach_prepare(d, op, err);
		if (r < 0) {
			hotplug_op_free(op);
			return r;
		}
	}
	return hotplug_op_run(d, op, err);
}

int domain_detach_device(Domain *d, DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			 void *userdata, ZvError *err)
{
	HotplugOp *op = NULL;
	int r = hotplug_op_new(d, HOTPLUG_DETACH, dev, flags, cb, userdata, &op, err);
	if (r < 0)
		return r;
	return hotplug_op_run(d, op, err);
}

int domain_update_device(Domain *d, DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			 void *userdata, ZvError *err)
{
	HotplugOp *op = NULL;
	int r = hotplug_op_new(d, HOTPLUG_UPDATE, dev, flags, cb, userdata, &op, err);
	if (r < 0)
		return r;
	return hotplug_op_run(d, op, err);
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
