/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Adding and removing one device of a definition, as hot-plug and the
 * config half of AttachDevice/DetachDevice do it: the checks a single
 * device document cannot make on its own (its target, alias, boot
 * order, host device, ccw and drive addresses are free in the domain),
 * and the addresses libvirt's hot-plug gives a device that has none:
 * the first free ccw devno from fe.0.0000, a SCSI disk's drive address
 * from its name, a hostdev's first free unit. Pure. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf/device-xml.h"
#include "conf/domain-def.h"
#include "util/error.h"

/* The index of the disk with that target, or -ENOENT. */
ssize_t domain_def_disk_index(const DomainDef *def, const char *target);
/* The SCSI controller with that index, or -ENOENT. */
ssize_t domain_def_scsi_controller_index(const DomainDef *def, unsigned index);
/* The hostdev with the same host address (adapter, bus, target, unit),
 * or -ENOENT: libvirt matches a hostdev to detach by its source. */
ssize_t domain_def_hostdev_index(const DomainDef *def, const HostdevDef *h);
/* The interface net names, as libvirt matches one to detach: by its MAC
 * unless net's was generated (the document had none), and by its ccw
 * address when net has one; -ENOENT when none matches, -ENOTUNIQ when
 * several do (two NICs and a document naming neither). */
ssize_t domain_def_interface_index(const DomainDef *def, const InterfaceDef *net);
/* The device of def that dev names (disk: target; controller: type and
 * index; hostdev: host address; interface: as above), or -ENOENT. */
ssize_t domain_def_device_index(const DomainDef *def, const DeviceDef *dev);

/* Whether dev may join def, and its missing addresses: its target (or
 * index, or host device), alias, boot order and addresses are not taken.
 * other, when not NULL, is the definition on the other side of a
 * live+config attach: addresses must be free in both, so that the
 * device has the same ones in either. Errors: ZV_ERROR_INVALID_ARGUMENT
 * naming the device and what holds the value. dev changes only on
 * success. */
int domain_def_check_new_device(const DomainDef *def, const DomainDef *other, DeviceDef *dev, ZvError *err);
/* The same for a disk alone. */
int domain_def_check_new_disk(const DomainDef *def, const DomainDef *other, DiskDef *disk, ZvError *err);

/* The SCSI controller (virtio-scsi) that a SCSI disk or hostdev of
 * controller index needs when def has none: libvirt plugs one first.
 * 1 and *ret (its ccw address free in def and other) when needed, 0
 * when def has it. */
int domain_def_implicit_controller(const DomainDef *def, const DomainDef *other, unsigned index,
				   ControllerDef *ret, ZvError *err);

/* Why dev cannot leave def (a controller that disks or hostdevs still
 * sit on), as ZV_ERROR_OPERATION_INVALID; 0 when it can. */
int domain_def_check_removal(const DomainDef *def, size_t index, DeviceKind kind, ZvError *err);

/* Moves dev's device into def at its place (disks in target order within
 * their bus, as the parser keeps them; controllers and hostdevs at the
 * end); dev's device is zeroed, dev itself stays the caller's. -ENOMEM
 * leaves both as they were. */
int domain_def_insert_device(DomainDef *def, DeviceDef *dev);
int domain_def_insert_disk(DomainDef *def, DiskDef *disk);

/* Moves the last device of that kind (one just inserted) to index at:
 * an update keeps a device's place in document order, as libvirt's
 * does (disks keep their target order without it). */
void domain_def_move_last_device(DomainDef *def, DeviceKind kind, size_t at);

/* Moves device index of that kind out of def into *ret (kind set). */
void domain_def_remove_device(DomainDef *def, DeviceKind kind, size_t index, DeviceDef *ret);
void domain_def_remove_disk(DomainDef *def, size_t index, DiskDef *ret);

/* The device's own DeviceInfo, and the name messages use for it
 * ("disk 'vdb'", "controller scsi 1", "hostdev scsi_host3:0:8:0"). */
DeviceInfo *device_def_info(DeviceDef *dev);
const char *device_def_describe(const DeviceDef *dev, char buf[static 96]);
/* The DeviceInfo of def's device of that kind at index (NULL for a kind
 * without one). */
const DeviceInfo *domain_def_device_info(const DomainDef *def, DeviceKind kind, size_t index);
