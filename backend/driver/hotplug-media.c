/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A cdrom's medium, live (UpdateDevice, ChangeMedia): libvirt's
 * -blockdev change (open the tray, take the old medium out, put the new
 * one in, close the tray), the wait for a tray the guest may keep
 * locked, and what a change that stopped half way leaves. */

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

/* How long a locked tray may stay closed after the open request
 * (libvirt's qemuHotplugWaitForTrayEject waits about as long). */
#define TRAY_OPEN_TIMEOUT_USEC (5 * 1000000ULL)

/* A media change stopped half way: once the old medium is out, the
 * drive is empty whatever comes next (as libvirt leaves it), and the
 * tray is closed again; the new medium's files go back. */
void hotplug_medium_failed(Domain *d, HotplugOp *op)
{
	/* The new medium's nodes go (the only steps of the plan with an
	 * undo), then the tray closes: the last step of every change plan. */
	hotplug_undo_plan(d, op);
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
	hotplug_medium_failed(d, op);
	hotplug_live_fail(
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
	hotplug_plan_next(d, op);
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
		hotplug_plan_next(d, op);
	}
}

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

int hotplug_update_live_begin(Domain *d, HotplugOp *op, ZvError *err)
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
		return hotplug_oom(err);
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
		return hotplug_oom(err);
	r = qemu_plan_change_medium(old, new, op->force, &op->plan, err);
	if (r < 0)
		return r;
	r = dac_label_device(d, op->live_dev, err);
	if (r < 0)
		return r;
	r = domain_begin_op(d, DOMAIN_OP_UPDATE_DEVICE, hotplug_live_done, op, err);
	if (r < 0) {
		dac_restore_device(d, op->live_dev);
		return r;
	}
	d->hotplug = op;
	op->next_step = 0;
	op->tray_open = false;
	hotplug_plan_next(d, op);
	return 0;
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
		return hotplug_oom(err);
	HotplugOp *op = NULL;
	int r = hotplug_op_new(d, HOTPLUG_UPDATE, dev, flags, cb, userdata, &op, err);
	if (r < 0)
		return r;
	if ((flags & DOMAIN_MODIFY_LIVE) && !(op->live_dev = with_medium(d->live, target, source, media))) {
		hotplug_op_free(op);
		return d->live && domain_def_disk_index(d->live, target) < 0
			       ? zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENOENT,
					      "Domain '%s' has no disk with target '%s' attached",
					      domain_name(d), target)
			       : hotplug_oom(err);
	}
	return hotplug_op_run(d, op, err);
}

void hotplug_wait_tray(Domain *d, HotplugOp *op)
{
	/* DEVICE_TRAY_MOVED may have said it is open already; a tray that
	 * was open before says nothing, so QEMU is asked. */
	if (op->tray_open) {
		op->next_step++;
		hotplug_plan_next(d, op);
		return;
	}
	op->phase = PHASE_WAIT_TRAY;
	int r = d->monitor ? qemu_monitor_query_tray(d->monitor, op->alias, on_tray_state) : -ENOTCONN;
	if (r >= 0)
		r = sd_event_add_time_relative(registry_get_event(d->registry), &op->timeout,
					       CLOCK_MONOTONIC, TRAY_OPEN_TIMEOUT_USEC, 0, on_tray_timeout,
					       d);
	if (r < 0) {
		hotplug_medium_failed(d, op);
		hotplug_live_fail(d, op, ZV_ERROR_HOST, -r, "Cannot wait for the tray", strerror(-r));
	}
}
