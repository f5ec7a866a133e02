/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The QMP commands that plug, unplug or change one device, in order,
 * each with the command that undoes it: built from the same objects the
 * command line has (qemu/cmdline.h), so that a device plugged later is
 * the device a start would have made. The driver walks a plan one
 * command at a time, and on a failure sends the undo commands of what
 * was done, last first; the arguments stay opaque to it. */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "conf/domain-def.h"
#include "util/error.h"

typedef struct QemuPlanStep {
	/* NULL: not a command, but a wait for the guest to open the tray
	 * of the device the plan is about (a cdrom's media change). */
	const char *command;
	json_object *args;
	const char *undo_command; /* NULL: nothing to undo */
	json_object *undo_args;
	/* >= 0: a descriptor the command carries (getfd); the plan's caller
	 * owns it and keeps it open until the step's reply. */
	int fd;
} QemuPlanStep;

typedef struct QemuPlan {
	QemuPlanStep *v;
	size_t n;
} QemuPlan;

void qemu_plan_clear(QemuPlan *plan);

/* A disk: its block nodes (an empty cdrom has none), deepest first, then
 * its device on its bus (def gives the SCSI controller's alias). */
int qemu_plan_attach_disk(const DomainDef *def, const DiskDef *disk, QemuPlan *plan, ZvError *err);
/* A virtio-scsi controller. */
int qemu_plan_attach_controller(const ControllerDef *cont, QemuPlan *plan, ZvError *err);
/* A SCSI hostdev (h->live_sg_path set): its host_device node, then
 * scsi-generic. */
int qemu_plan_attach_hostdev(const DomainDef *def, const HostdevDef *h, QemuPlan *plan, ZvError *err);

/* A NIC whose host side is open on fd: getfd of fd as "fd-<netdev
 * id>", the tap netdev_add on that name (QEMU takes the descriptor out
 * of the monitor then), the virtio-net-ccw device_add. */
int qemu_plan_attach_interface(const InterfaceDef *net, int fd, QemuPlan *plan, ZvError *err);

/* set_link: the NIC's link as net->link_down says. */
int qemu_plan_set_link(const InterfaceDef *net, QemuPlan *plan, ZvError *err);

/* What goes once QEMU deleted the device: a disk's block nodes, top
 * first; a hostdev's node; a NIC's netdev. */
int qemu_plan_drop_disk_nodes(const DiskDef *disk, QemuPlan *plan, ZvError *err);
int qemu_plan_drop_hostdev_node(const HostdevDef *h, QemuPlan *plan, ZvError *err);
int qemu_plan_drop_interface_netdev(const InterfaceDef *net, QemuPlan *plan, ZvError *err);

/* A cdrom's medium, as libvirt changes it with -blockdev: open the tray
 * (force: even when the guest locked it), wait until it is open, take
 * the medium out and delete its nodes, add the new medium's nodes and
 * insert them (none for an eject), close the tray. old and new have the
 * same alias. */
int qemu_plan_change_medium(const DiskDef *old, const DiskDef *new, bool force, QemuPlan *plan,
			    ZvError *err);
