/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The checks across devices that no single element can make: disks
 * sorted into target order with duplicate targets refused, boot orders
 * unique and not mixed with <os><boot>, one console per SCLP target,
 * aliases unique, ccw address conflicts named by both devices; and the
 * defaults a definition gets once it is known to be valid
 * (fill_defaults). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-id128.h>

#include "conf/ccw-address.h"
#include "xml-internal.h"

typedef struct DiskSlot {
	DiskDef disk;
	DiskNodes nodes;
	size_t bus_rank;
	size_t position;
} DiskSlot;

static int compare_disk_slot(const void *a, const void *b)
{
	const DiskSlot *x = a, *y = b;
	if (x->bus_rank != y->bus_rank)
		return x->bus_rank < y->bus_rank ? -1 : 1;
	int r = disk_target_compare(x->disk.target, y->disk.target);
	if (r != 0)
		return r;
	return x->position < y->position ? -1 : x->position > y->position;
}

void path_of(const xmlNode *n, char *buf, size_t size)
{
	_cleanup_xml_free_ xmlChar *p = n ? xmlGetNodePath(n) : NULL;
	snprintf(buf, size, "%s", p ? (const char *)p : "?");
}

/* libvirt keeps disks grouped by bus, the buses in the order they first
 * appear, each group in target order (vda, vdb, ..., vdaa: what
 * virDomainDiskInsert does with each parsed disk): dumpxml shows them
 * so, "the first disk" means vda, and duplicates end up next to each
 * other. The sort is stable, so ties keep document order. */
int sort_disks(ParseContext *c)
{
	DomainDef *def = c->def;
	size_t bus_rank[_DISK_BUS_MAX], next_rank = 0;
	char other[256];

	if (def->n_disks < 2)
		return 0;

	for (size_t b = 0; b < _DISK_BUS_MAX; b++)
		bus_rank[b] = SIZE_MAX;
	_cleanup_free_ DiskSlot *slots = calloc(def->n_disks, sizeof(DiskSlot));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < def->n_disks; i++) {
		DiskBus b = def->disks[i].bus;
		if (bus_rank[b] == SIZE_MAX)
			bus_rank[b] = next_rank++;
		slots[i] = (DiskSlot){.disk = def->disks[i],
				      .nodes = c->disk_nodes[i],
				      .bus_rank = bus_rank[b],
				      .position = i};
	}
	qsort(slots, def->n_disks, sizeof(DiskSlot), compare_disk_slot);
	for (size_t i = 0; i < def->n_disks; i++) {
		def->disks[i] = slots[i].disk;
		c->disk_nodes[i] = slots[i].nodes;
	}

	for (size_t i = 1; i < def->n_disks; i++)
		if (strcmp(def->disks[i].target, def->disks[i - 1].target) == 0) {
			path_of(c->disk_nodes[i - 1].target, other, sizeof(other));
			return xml_error(c->err, c->disk_nodes[i].target,
					 "target dev '%s' is used twice (also by %s)", def->disks[i].target,
					 other);
		}
	return 0;
}

typedef struct BootSlot {
	unsigned order;
	size_t position; /* disks first, then interfaces: a stable tie-break */
	const xmlNode *boot;
} BootSlot;

static int compare_boot_slot(const void *a, const void *b)
{
	const BootSlot *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->position < y->position ? -1 : x->position > y->position;
}

int check_boot_orders(ParseContext *c)
{
	DomainDef *def = c->def;
	char other[256];
	size_t n = 0;

	if (def->n_disks + def->n_interfaces == 0)
		return 0;
	_cleanup_free_ BootSlot *slots = calloc(def->n_disks + def->n_interfaces, sizeof(BootSlot));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < def->n_disks + def->n_interfaces; i++) {
		bool disk = i < def->n_disks;
		const DeviceInfo *info =
			disk ? &def->disks[i].info : &def->interfaces[i - def->n_disks].info;
		const xmlNode *boot =
			disk ? c->disk_nodes[i].boot : c->interface_nodes[i - def->n_disks].boot;
		if (!info->boot_order)
			continue;
		if (c->os_boot)
			return xml_error(c->err, boot,
					 "per-device <boot order='N'/> cannot be combined with <os><boot "
					 "dev='...'/>");
		slots[n++] = (BootSlot){.order = info->boot_order, .position = i, .boot = boot};
	}

	/* Sorted, so duplicates are neighbours: n log n for any count. */
	qsort(slots, n, sizeof(BootSlot), compare_boot_slot);
	for (size_t k = 1; k < n; k++) {
		if (slots[k].order != slots[k - 1].order)
			continue;
		/* Report the later one in document order. */
		const xmlNode *a = slots[k].boot, *b = slots[k - 1].boot;
		if (node_before(a, b)) {
			const xmlNode *t = a;
			a = b;
			b = t;
		}
		path_of(b, other, sizeof(other));
		return xml_error(c->err, a, "boot order %u is used twice (also by %s)", slots[k].order,
				 other);
	}
	return 0;
}

int check_interfaces(ParseContext *c)
{
	DomainDef *def = c->def;
	char other[256], mac[NET_MAC_STRING_MAX];

	/* Pairs: a domain has a handful of NICs. */
	for (size_t i = 0; i < def->n_interfaces; i++)
		for (size_t j = 0; j < i; j++) {
			const InterfaceDef *a = &def->interfaces[i], *b = &def->interfaces[j];
			if (memcmp(a->mac, b->mac, NET_MAC_SIZE) == 0) {
				path_of(c->interface_nodes[j].iface, other, sizeof(other));
				return xml_error(c->err,
						 c->interface_nodes[i].mac ? c->interface_nodes[i].mac
									   : c->interface_nodes[i].iface,
						 "MAC address %s is used twice (also by %s)",
						 net_mac_to_string(a->mac, mac), other);
			}
			if (a->target_dev && b->target_dev && strcmp(a->target_dev, b->target_dev) == 0) {
				path_of(c->interface_nodes[j].iface, other, sizeof(other));
				return xml_error(c->err, c->interface_nodes[i].target,
						 "target dev '%s' is used twice (also by %s)", a->target_dev,
						 other);
			}
		}
	return 0;
}

int check_consoles(ParseContext *c)
{
	DomainDef *def = c->def;
	xmlNode *seen[_CONSOLE_TARGET_MAX] = {};
	char other[256];

	for (size_t i = 0; i < def->n_consoles; i++) {
		ConsoleTarget t = def->consoles[i].target;
		if (seen[t]) {
			path_of(seen[t], other, sizeof(other));
			return xml_error(
				c->err, c->console_nodes[i],
				"a second console on target '%s' (also %s); each SCLP console can be used "
				"once",
				console_target_to_string(t), other);
		}
		seen[t] = c->console_nodes[i];
	}
	return 0;
}

static int compare_alias_node(const void *a, const void *b)
{
	const AliasNode *x = a, *y = b;
	return strcmp(x->alias, y->alias);
}

/* Aliases name devices to QEMU and to the user: one device each. */
int check_aliases(ParseContext *c)
{
	char other[256];

	if (c->n_aliases < 2)
		return 0;
	_cleanup_free_ AliasNode *sorted = calloc(c->n_aliases, sizeof(AliasNode));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, c->aliases, c->n_aliases * sizeof(AliasNode));
	/* Sorted, so duplicates are neighbours. */
	qsort(sorted, c->n_aliases, sizeof(AliasNode), compare_alias_node);
	for (size_t k = 1; k < c->n_aliases; k++) {
		if (strcmp(sorted[k].alias, sorted[k - 1].alias) != 0)
			continue;
		/* Report the later one in document order. */
		const xmlNode *a = sorted[k].node, *b = sorted[k - 1].node;
		if (node_before(a, b)) {
			const xmlNode *t = a;
			a = b;
			b = t;
		}
		path_of(b, other, sizeof(other));
		return xml_error(c->err, a, "alias '%s' is used twice (also by %s)", sorted[k].alias, other);
	}
	return 0;
}

static void describe_ccw_device(ParseContext *c, const CcwDeviceRef *ref, char *buf, size_t size)
{
	char path[256];
	if (ref->kind == CCW_DEVICE_DISK && ref->index < c->def->n_disks) {
		path_of(c->disk_nodes[ref->index].disk, path, sizeof(path));
		snprintf(buf, size, "disk '%s' (%s)", c->def->disks[ref->index].target, path);
	} else if (ref->kind == CCW_DEVICE_CONTROLLER && ref->index < c->def->n_controllers) {
		const xmlNode *n = c->controller_nodes[ref->index];
		if (n) {
			path_of(n, path, sizeof(path));
			snprintf(buf, size, "SCSI controller %u (%s)", c->def->controllers[ref->index].index,
				 path);
		} else
			snprintf(buf, size, "the implicit SCSI controller %u",
				 c->def->controllers[ref->index].index);
	} else if (ref->kind == CCW_DEVICE_NET && ref->index < c->def->n_interfaces) {
		char mac[NET_MAC_STRING_MAX];
		path_of(c->interface_nodes[ref->index].iface, path, sizeof(path));
		snprintf(buf, size, "interface %s (%s)",
			 net_mac_to_string(c->def->interfaces[ref->index].mac, mac), path);
	} else if (ref->kind == CCW_DEVICE_RNG) {
		path_of(c->rng_node, path, sizeof(path));
		snprintf(buf, size, "the rng (%s)", path);
	} else {
		path_of(c->memballoon_node, path, sizeof(path));
		snprintf(buf, size, "the memballoon (%s)", path);
	}
}

static const xmlNode *ccw_device_node(ParseContext *c, const CcwDeviceRef *ref)
{
	if (ref->kind == CCW_DEVICE_DISK && ref->index < c->def->n_disks)
		return c->disk_nodes[ref->index].address ? c->disk_nodes[ref->index].address
							 : c->disk_nodes[ref->index].disk;
	if (ref->kind == CCW_DEVICE_CONTROLLER && ref->index < c->def->n_controllers) {
		const xmlNode *n = c->controller_nodes[ref->index];
		for (const xmlNode *k = n ? n->children : NULL; k; k = k->next)
			if (node_is(k, "address"))
				return k;
		/* An implicit controller: the <devices> it was added to. */
		return n ? n : c->devices_node;
	}
	if (ref->kind == CCW_DEVICE_NET && ref->index < c->def->n_interfaces)
		return c->interface_nodes[ref->index].address ? c->interface_nodes[ref->index].address
							      : c->interface_nodes[ref->index].iface;
	if (ref->kind == CCW_DEVICE_RNG)
		return c->rng_address ? c->rng_address : c->rng_node;
	return c->memballoon_address ? c->memballoon_address : c->memballoon_node;
}

int ccw_error(ParseContext *c, int r, const CcwConflict *conflict)
{
	char addr[CCW_ADDRESS_STRING_MAX], first[320];

	if (r == -ENOMEM)
		return r;
	describe_ccw_device(c, &conflict->first, first, sizeof(first));
	if (r == -EEXIST) {
		/* Name the device later in the document at its address. */
		const CcwDeviceRef *a = &conflict->second, *b = &conflict->first;
		if (node_before(ccw_device_node(c, a), ccw_device_node(c, b))) {
			a = &conflict->first;
			b = &conflict->second;
		}
		char this_dev[320], other[320];
		describe_ccw_device(c, a, this_dev, sizeof(this_dev));
		describe_ccw_device(c, b, other, sizeof(other));
		return xml_error(c->err, ccw_device_node(c, a), "ccw address %s of %s is already used by %s",
				 ccw_address_to_string(&conflict->address, addr), this_dev, other);
	}
	if (r == -ENOSPC)
		return xml_error(c->err, ccw_device_node(c, &conflict->first),
				 "no free ccw address left for %s", first);
	return xml_error(c->err, ccw_device_node(c, &conflict->first), "invalid ccw address %s for %s",
			 ccw_address_to_string(&conflict->address, addr), first);
}

int fill_defaults(ParseContext *c)
{
	DomainDef *def = c->def;

	if (sd_id128_is_null(def->uuid)) {
		int r = sd_id128_randomize(&def->uuid);
		if (r < 0)
			return zv_error_set(c->err, ZV_ERROR_HOST, r, "Cannot generate a UUID: %s",
					    strerror(-r));
	}
	if (def->current_memory_kib == 0)
		def->current_memory_kib = def->memory_kib;
	if (def->vcpus_current == 0)
		def->vcpus_current = def->vcpus_max;
	if (!def->os_arch && !(def->os_arch = strdup("s390x")))
		return -ENOMEM;
	if (!def->os_machine && !(def->os_machine = strdup("s390-ccw-virtio")))
		return -ENOMEM;
	/* libvirt gives an Open vSwitch port its iface-id once, at define. */
	for (size_t i = 0; i < def->n_interfaces; i++) {
		InterfaceDef *net = &def->interfaces[i];
		if (net->virtualport != VIRTUALPORT_OPENVSWITCH || !sd_id128_is_null(net->interface_id))
			continue;
		int r = sd_id128_randomize(&net->interface_id);
		if (r < 0)
			return zv_error_set(c->err, ZV_ERROR_HOST, r, "Cannot generate an interface id: %s",
					    strerror(-r));
	}
	if (!def->emulator && c->defaults && c->defaults->emulator &&
	    !(def->emulator = strdup(c->defaults->emulator)))
		return -ENOMEM;
	return 0;
}
