/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One device in or out of a definition: what must be free for it, where
 * it goes, and the addresses libvirt's hot-plug gives it when its XML
 * gives none. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ccw-address.h"
#include "conf/domain-devices.h"
#include "conf/iothreads.h"
#include "conf/scsi-address.h"
#include "util/cleanup.h"

ssize_t domain_def_disk_index(const DomainDef *def, const char *target)
{
	if (!def || !target)
		return -ENOENT;
	for (size_t i = 0; i < def->n_disks; i++)
		if (def->disks[i].target && strcmp(def->disks[i].target, target) == 0)
			return (ssize_t)i;
	return -ENOENT;
}

ssize_t domain_def_scsi_controller_index(const DomainDef *def, unsigned index)
{
	for (size_t i = 0; def && i < def->n_controllers; i++)
		if (def->controllers[i].type == CONTROLLER_TYPE_SCSI && def->controllers[i].index == index)
			return (ssize_t)i;
	return -ENOENT;
}

static bool same_host_device(const HostdevDef *a, const HostdevDef *b)
{
	return a->adapter && b->adapter && strcmp(a->adapter, b->adapter) == 0 &&
	       a->host_bus == b->host_bus && a->host_target == b->host_target &&
	       a->host_unit == b->host_unit;
}

ssize_t domain_def_hostdev_index(const DomainDef *def, const HostdevDef *h)
{
	for (size_t i = 0; def && i < def->n_hostdevs; i++)
		if (same_host_device(&def->hostdevs[i], h))
			return (ssize_t)i;
	return -ENOENT;
}

ssize_t domain_def_interface_index(const DomainDef *def, const InterfaceDef *net)
{
	ssize_t found = -ENOENT;
	if (!def)
		return -ENOENT;
	for (size_t i = 0; i < def->n_interfaces; i++) {
		const InterfaceDef *n = &def->interfaces[i];
		if (!net->mac_generated && memcmp(n->mac, net->mac, NET_MAC_SIZE) != 0)
			continue;
		if (net->info.address.assigned &&
		    (!n->info.address.assigned || n->info.address.ssid != net->info.address.ssid ||
		     n->info.address.devno != net->info.address.devno))
			continue;
		if (found >= 0)
			return -ENOTUNIQ;
		found = (ssize_t)i;
	}
	return found;
}

ssize_t domain_def_device_index(const DomainDef *def, const DeviceDef *dev)
{
	switch (dev->kind) {
	case DEVICE_KIND_DISK:
		return domain_def_disk_index(def, dev->disk.target);
	case DEVICE_KIND_CONTROLLER:
		for (size_t i = 0; def && i < def->n_controllers; i++)
			if (def->controllers[i].type == dev->controller.type &&
			    def->controllers[i].index == dev->controller.index)
				return (ssize_t)i;
		return -ENOENT;
	case DEVICE_KIND_HOSTDEV:
		return domain_def_hostdev_index(def, &dev->hostdev);
	case DEVICE_KIND_INTERFACE:
		return domain_def_interface_index(def, &dev->interface);
	default:
		return -ENOENT;
	}
}

DeviceInfo *device_def_info(DeviceDef *dev)
{
	switch (dev->kind) {
	case DEVICE_KIND_DISK:
		return &dev->disk.info;
	case DEVICE_KIND_CONTROLLER:
		return &dev->controller.info;
	case DEVICE_KIND_HOSTDEV:
		return &dev->hostdev.info;
	case DEVICE_KIND_INTERFACE:
		return &dev->interface.info;
	default:
		return NULL;
	}
}

const DeviceInfo *domain_def_device_info(const DomainDef *def, DeviceKind kind, size_t index)
{
	switch (kind) {
	case DEVICE_KIND_DISK:
		return index < def->n_disks ? &def->disks[index].info : NULL;
	case DEVICE_KIND_CONTROLLER:
		return index < def->n_controllers ? &def->controllers[index].info : NULL;
	case DEVICE_KIND_HOSTDEV:
		return index < def->n_hostdevs ? &def->hostdevs[index].info : NULL;
	case DEVICE_KIND_INTERFACE:
		return index < def->n_interfaces ? &def->interfaces[index].info : NULL;
	default:
		return NULL;
	}
}

const char *device_def_describe(const DeviceDef *dev, char buf[static 96])
{
	switch (dev->kind) {
	case DEVICE_KIND_DISK:
		snprintf(buf, 96, "Disk '%s'", dev->disk.target ?: "?");
		break;
	case DEVICE_KIND_CONTROLLER:
		snprintf(buf, 96, "Controller %s %u", controller_type_to_string(dev->controller.type),
			 dev->controller.index);
		break;
	case DEVICE_KIND_HOSTDEV:
		snprintf(buf, 96, "Hostdev %s:%u:%u:%llu", dev->hostdev.adapter ?: "?",
			 dev->hostdev.host_bus, dev->hostdev.host_target,
			 (unsigned long long)dev->hostdev.host_unit);
		break;
	case DEVICE_KIND_INTERFACE: {
		char mac[NET_MAC_STRING_MAX];
		snprintf(buf, 96, "Interface %s", net_mac_to_string(dev->interface.mac, mac));
		break;
	}
	default:
		snprintf(buf, 96, "Device");
	}
	return buf;
}

/* The device of def that holds alias, for the message; NULL if none. */
static const char *alias_holder(const DomainDef *def, const char *alias, char buf[static 64])
{
	for (size_t i = 0; i < def->n_disks; i++)
		if (def->disks[i].info.alias && strcmp(def->disks[i].info.alias, alias) == 0) {
			snprintf(buf, 64, "disk '%s'", def->disks[i].target);
			return buf;
		}
	for (size_t i = 0; i < def->n_controllers; i++)
		if (def->controllers[i].info.alias && strcmp(def->controllers[i].info.alias, alias) == 0) {
			snprintf(buf, 64, "controller %u", def->controllers[i].index);
			return buf;
		}
	for (size_t i = 0; i < def->n_hostdevs; i++)
		if (def->hostdevs[i].info.alias && strcmp(def->hostdevs[i].info.alias, alias) == 0) {
			snprintf(buf, 64, "hostdev %zu", i);
			return buf;
		}
	for (size_t i = 0; i < def->n_interfaces; i++)
		if (def->interfaces[i].info.alias && strcmp(def->interfaces[i].info.alias, alias) == 0) {
			char mac[NET_MAC_STRING_MAX];
			snprintf(buf, 64, "interface %s", net_mac_to_string(def->interfaces[i].mac, mac));
			return buf;
		}
	for (size_t i = 0; i < def->n_consoles; i++)
		if (def->consoles[i].info.alias && strcmp(def->consoles[i].info.alias, alias) == 0) {
			snprintf(buf, 64, "console %zu", i);
			return buf;
		}
	if (def->memballoon.info.alias && strcmp(def->memballoon.info.alias, alias) == 0)
		return "the memory balloon";
	return NULL;
}

/* What must not be taken in def: the device's own name, its alias, its
 * boot order. */
static int check_in(const DomainDef *def, const DeviceDef *dev, const DeviceInfo *info, ZvError *err)
{
	char buf[64], what[96];
	device_def_describe(dev, what);
	if (dev->kind == DEVICE_KIND_INTERFACE) {
		/* A new NIC clashes by its MAC alone (a generated one too), and
		 * by the host-side name it asks for. */
		const InterfaceDef *net = &dev->interface;
		char mac[NET_MAC_STRING_MAX];
		if (domain_def_find_interface_by_mac(def, net->mac))
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
					    "Domain '%s' already has an interface with MAC address %s",
					    def->name, net_mac_to_string(net->mac, mac));
		for (size_t i = 0; net->target_dev && i < def->n_interfaces; i++)
			if (def->interfaces[i].target_dev &&
			    strcmp(def->interfaces[i].target_dev, net->target_dev) == 0)
				return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
						    "%s: target dev '%s' is already used by another "
						    "interface of domain '%s'",
						    what, net->target_dev, def->name);
	} else if (domain_def_device_index(def, dev) >= 0) {
		switch (dev->kind) {
		case DEVICE_KIND_DISK:
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
					    "Domain '%s' already has a disk with target '%s'", def->name,
					    dev->disk.target);
		case DEVICE_KIND_CONTROLLER:
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
					    "Domain '%s' already has %s controller %u", def->name,
					    controller_type_to_string(dev->controller.type),
					    dev->controller.index);
		default:
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
					    "%s: the host device is already assigned to domain '%s'", what,
					    def->name);
		}
	}
	if (info->alias && alias_holder(def, info->alias, buf))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
				    "%s: alias '%s' is already used by %s of domain '%s'", what, info->alias,
				    alias_holder(def, info->alias, buf), def->name);
	if (info->boot_order) {
		for (size_t i = 0; i < def->n_disks; i++)
			if (def->disks[i].info.boot_order == info->boot_order)
				return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
						    "%s: boot order %u is already used by disk '%s'", what,
						    info->boot_order, def->disks[i].target);
		for (size_t i = 0; i < def->n_interfaces; i++)
			if (def->interfaces[i].info.boot_order == info->boot_order) {
				char mac[NET_MAC_STRING_MAX];
				return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
						    "%s: boot order %u is already used by interface %s",
						    what, info->boot_order,
						    net_mac_to_string(def->interfaces[i].mac, mac));
			}
	}
	return 0;
}

/* The addresses def's devices hold, into s. */
static int reserve_domain(CcwAddressSet *s, const DomainDef *def, ZvError *err)
{
	CcwConflict conflict = {};
	int r = ccw_address_set_add_domain(s, def, &conflict);
	if (r == -ENOMEM)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	if (r < 0) /* a definition the parser accepted has none of these */
		return zv_error_set(err, ZV_ERROR_HOST, -r, "Domain '%s' holds conflicting ccw addresses",
				    def->name);
	return 0;
}

/* A ccw address for a virtio-ccw device: the given one if it is free in
 * def and other, else (none given) the first free in both. */
static int ccw_for(const DomainDef *def, const DomainDef *other, const char *what, CcwAddress *a,
		   ZvError *err)
{
	char buf[CCW_ADDRESS_STRING_MAX];
	_cleanup_(ccw_address_set_freep) CcwAddressSet *s = ccw_address_set_new();
	if (!s)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	int r = reserve_domain(s, def, err);
	if (r >= 0 && other)
		r = reserve_domain(s, other, err);
	if (r < 0)
		return r;
	if (a->assigned) {
		r = ccw_address_set_reserve(s, a);
		if (r == -EINVAL)
			return zv_error_set(
				err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				"%s: ccw address %s is out of range (cssid 0xfe, ssid 0 to 3, devno "
				"0x0000 to 0xffff)",
				what, ccw_address_to_string(a, buf));
		if (r == -EEXIST)
			return zv_error_set(
				err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
				"%s: ccw address %s is already used by another device of domain '%s'", what,
				ccw_address_to_string(a, buf), def->name);
		return r;
	}
	CcwAddress next;
	r = ccw_address_set_next_free(s, &next);
	if (r == -ENOSPC)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ENOSPC,
				    "%s: domain '%s' has no free ccw address left", what, def->name);
	if (r < 0)
		return r;
	*a = next;
	return 0;
}

static bool drive_used(const DomainDef *def, const DomainDef *other, const DriveAddress *a)
{
	return domain_def_drive_address_used(def, a) || (other && domain_def_drive_address_used(other, a));
}

static int drive_taken(const DomainDef *def, const char *what, const DriveAddress *a, ZvError *err)
{
	return zv_error_set(
		err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
		"%s: SCSI address controller='%u' bus='%u' target='%u' unit='%u' is already used by "
		"another device of domain '%s'",
		what, a->controller, a->bus, a->target, a->unit, def->name);
}

/* A SCSI disk's drive address: libvirt's from its name, free in both. */
static int drive_for_disk(const DomainDef *def, const DomainDef *other, DiskDef *disk, const char *what,
			  ZvError *err)
{
	DiskDef probe = *disk;
	int r = domain_def_assign_scsi_disk_address(def, &probe, err);
	if (r < 0)
		return r;
	if (other && domain_def_drive_address_used(other, &probe.info.drive))
		return drive_taken(def, what, &probe.info.drive, err);
	disk->info.drive = probe.info.drive;
	return 0;
}

/* A hostdev's: the given one if free, else the first unit 0..6 of
 * controller 0, 1, ... that no device holds (libvirt's hostdev rule). */
static int drive_for_hostdev(const DomainDef *def, const DomainDef *other, HostdevDef *h, const char *what,
			     ZvError *err)
{
	if (h->info.drive.assigned)
		return drive_used(def, other, &h->info.drive) ? drive_taken(def, what, &h->info.drive, err)
							      : 0;
	for (DriveAddress a = {.assigned = true}; a.controller <= DRIVE_ADDRESS_CONTROLLER_MAX;
	     a.controller++)
		for (a.unit = 0; a.unit < SCSI_AUTO_UNITS; a.unit++)
			if (!drive_used(def, other, &a)) {
				h->info.drive = a;
				return 0;
			}
	return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ENOSPC, "%s: no free SCSI address left", what);
}

int domain_def_check_new_device(const DomainDef *def, const DomainDef *other, DeviceDef *dev, ZvError *err)
{
	char what[96];
	if (!def || !dev)
		return -EINVAL;
	DeviceInfo *info = device_def_info(dev);
	if (!info)
		return -EINVAL;
	device_def_describe(dev, what);
	int r = check_in(def, dev, info, err);
	if (r >= 0 && other)
		r = check_in(other, dev, info, err);
	if (r < 0)
		return r;

	DeviceInfo assigned = *info;
	switch (dev->kind) {
	case DEVICE_KIND_DISK:
		/* A hot-plugged disk's thread is one iothreadadd made first. */
		if (dev->disk.iothread && (!domain_def_find_iothread(def, dev->disk.iothread) ||
					   (other && !domain_def_find_iothread(other, dev->disk.iothread))))
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ENOENT,
					    "%s: domain '%s' has no I/O thread %u (AddIOThread adds one)",
					    what, def->name, dev->disk.iothread);
		if (dev->disk.bus == DISK_BUS_SCSI) {
			DiskDef probe = dev->disk;
			r = drive_for_disk(def, other, &probe, what, err);
			assigned.drive = probe.info.drive;
		} else
			r = ccw_for(def, other, what, &assigned.address, err);
		break;
	case DEVICE_KIND_CONTROLLER:
		if (dev->controller.type != CONTROLLER_TYPE_SCSI)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EOPNOTSUPP,
					    "%s cannot be attached: only SCSI controllers can", what);
		r = ccw_for(def, other, what, &assigned.address, err);
		break;
	case DEVICE_KIND_HOSTDEV: {
		HostdevDef probe = dev->hostdev;
		r = drive_for_hostdev(def, other, &probe, what, err);
		assigned.drive = probe.info.drive;
		break;
	}
	case DEVICE_KIND_INTERFACE:
		r = ccw_for(def, other, what, &assigned.address, err);
		break;
	default:
		return -EINVAL;
	}
	if (r < 0)
		return r;
	*info = assigned;
	return 0;
}

int domain_def_check_new_disk(const DomainDef *def, const DomainDef *other, DiskDef *disk, ZvError *err)
{
	DeviceDef dev = {.kind = DEVICE_KIND_DISK, .disk = *disk};
	int r = domain_def_check_new_device(def, other, &dev, err);
	if (r >= 0)
		*disk = dev.disk;
	return r;
}

int domain_def_implicit_controller(const DomainDef *def, const DomainDef *other, unsigned index,
				   ControllerDef *ret, ZvError *err)
{
	char what[96];
	if (domain_def_scsi_controller_index(def, index) >= 0)
		return 0;
	ControllerDef c = {
		.type = CONTROLLER_TYPE_SCSI,
		.model = CONTROLLER_MODEL_VIRTIO_SCSI,
		.index = index,
		.implicit = true,
	};
	snprintf(what, sizeof(what), "Controller scsi %u", index);
	int r = ccw_for(def, other, what, &c.info.address, err);
	if (r < 0)
		return r;
	*ret = c;
	return 1;
}

int domain_def_check_removal(const DomainDef *def, size_t index, DeviceKind kind, ZvError *err)
{
	if (kind != DEVICE_KIND_CONTROLLER || def->controllers[index].type != CONTROLLER_TYPE_SCSI)
		return kind == DEVICE_KIND_CONTROLLER
			       ? zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
					      "The %s controller of domain '%s' cannot be detached",
					      controller_type_to_string(def->controllers[index].type),
					      def->name)
			       : 0;
	unsigned ci = def->controllers[index].index;
	for (size_t i = 0; i < def->n_disks; i++)
		if (def->disks[i].bus == DISK_BUS_SCSI && def->disks[i].info.drive.controller == ci)
			return zv_error_set(
				err, ZV_ERROR_OPERATION_INVALID, EBUSY,
				"SCSI controller %u of domain '%s' is in use by disk '%s'; detach "
				"that first",
				ci, def->name, def->disks[i].target);
	for (size_t i = 0; i < def->n_hostdevs; i++)
		if (def->hostdevs[i].info.drive.controller == ci)
			return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EBUSY,
					    "SCSI controller %u of domain '%s' is in use by a hostdev (%s); "
					    "detach that first",
					    ci, def->name, def->hostdevs[i].adapter);
	return 0;
}

/* libvirt's virDomainDiskInsert: after the last disk of its bus with a
 * smaller target, else before the first of its bus, else at the end. */
static size_t disk_position(const DomainDef *def, const DiskDef *disk)
{
	size_t at = def->n_disks;
	bool same_bus_seen = false;
	for (size_t i = 0; i < def->n_disks; i++) {
		if (def->disks[i].bus != disk->bus)
			continue;
		if (disk_target_compare(def->disks[i].target, disk->target) < 0)
			at = i + 1;
		else if (!same_bus_seen && at == def->n_disks)
			at = i;
		same_bus_seen = true;
	}
	return at;
}

#define INSERT_AT(array, n, at, item)                                                  \
	({                                                                             \
		__typeof__(array) _v = realloc((array), ((n) + 1) * sizeof(*(array))); \
		int _r = -ENOMEM;                                                      \
		if (_v) {                                                              \
			(array) = _v;                                                  \
			memmove(&_v[(at) + 1], &_v[(at)], ((n) - (at)) * sizeof(*_v)); \
			_v[(at)] = (item);                                             \
			(n)++;                                                         \
			_r = 0;                                                        \
		}                                                                      \
		_r;                                                                    \
	})

int domain_def_insert_disk(DomainDef *def, DiskDef *disk)
{
	size_t at = disk_position(def, disk);
	int r = INSERT_AT(def->disks, def->n_disks, at, *disk);
	if (r >= 0)
		*disk = (DiskDef){};
	return r;
}

int domain_def_insert_device(DomainDef *def, DeviceDef *dev)
{
	int r;
	switch (dev->kind) {
	case DEVICE_KIND_DISK:
		return domain_def_insert_disk(def, &dev->disk);
	case DEVICE_KIND_CONTROLLER:
		r = INSERT_AT(def->controllers, def->n_controllers, def->n_controllers, dev->controller);
		if (r >= 0)
			dev->controller = (ControllerDef){};
		return r;
	case DEVICE_KIND_HOSTDEV:
		r = INSERT_AT(def->hostdevs, def->n_hostdevs, def->n_hostdevs, dev->hostdev);
		if (r >= 0)
			dev->hostdev = (HostdevDef){};
		return r;
	case DEVICE_KIND_INTERFACE:
		r = INSERT_AT(def->interfaces, def->n_interfaces, def->n_interfaces, dev->interface);
		if (r >= 0)
			dev->interface = (InterfaceDef){};
		return r;
	default:
		return -EINVAL;
	}
}

#define MOVE_LAST_TO(array, n, at)                                                                      \
	do {                                                                                            \
		if ((n) > 0 && (at) < (n)-1) {                                                          \
			__typeof__(*(array)) last = (array)[(n)-1];                                     \
			memmove(&(array)[(at) + 1], &(array)[(at)], ((n)-1 - (at)) * sizeof(*(array))); \
			(array)[(at)] = last;                                                           \
		}                                                                                       \
	} while (0)

void domain_def_move_last_device(DomainDef *def, DeviceKind kind, size_t at)
{
	switch (kind) {
	case DEVICE_KIND_CONTROLLER:
		MOVE_LAST_TO(def->controllers, def->n_controllers, at);
		break;
	case DEVICE_KIND_HOSTDEV:
		MOVE_LAST_TO(def->hostdevs, def->n_hostdevs, at);
		break;
	case DEVICE_KIND_INTERFACE:
		MOVE_LAST_TO(def->interfaces, def->n_interfaces, at);
		break;
	default:
		break; /* disks keep their target order */
	}
}

#define REMOVE_AT(array, n, at, ret)                                                            \
	do {                                                                                    \
		*(ret) = (array)[(at)];                                                         \
		memmove(&(array)[(at)], &(array)[(at) + 1], ((n) - (at)-1) * sizeof(*(array))); \
		(n)--;                                                                          \
	} while (0)

void domain_def_remove_disk(DomainDef *def, size_t index, DiskDef *ret)
{
	REMOVE_AT(def->disks, def->n_disks, index, ret);
}

void domain_def_remove_device(DomainDef *def, DeviceKind kind, size_t index, DeviceDef *ret)
{
	*ret = (DeviceDef){.kind = kind};
	switch (kind) {
	case DEVICE_KIND_DISK:
		REMOVE_AT(def->disks, def->n_disks, index, &ret->disk);
		break;
	case DEVICE_KIND_CONTROLLER:
		REMOVE_AT(def->controllers, def->n_controllers, index, &ret->controller);
		break;
	case DEVICE_KIND_HOSTDEV:
		REMOVE_AT(def->hostdevs, def->n_hostdevs, index, &ret->hostdev);
		break;
	case DEVICE_KIND_INTERFACE:
		REMOVE_AT(def->interfaces, def->n_interfaces, index, &ret->interface);
		break;
	default:
		break;
	}
}
