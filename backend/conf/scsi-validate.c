/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The checks across the SCSI side of a definition, in libvirt's order
 * (device post-parse, then the implicit devices): a controller without
 * index= gets the lowest free one; SCSI disks without an address get
 * one from their target name (virDomainDiskDefAssignAddress: seven
 * units per controller, bus 0, target 0), hostdevs the first free unit
 * (virDomainHostdevAssignAddress); no two devices share a drive
 * address; every controller index a device names exists (added as
 * libvirt's implicit controllers, virtio-scsi); SCSI controller indexes
 * are unique and contiguous from 0 (the seed's rule). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/scsi-address.h"
#include "xml-internal.h"

#define NARROW_BUS_UNITS SCSI_AUTO_UNITS

static bool drive_equal(const DriveAddress *a, const DriveAddress *b)
{
	return a->controller == b->controller && a->bus == b->bus && a->target == b->target &&
	       a->unit == b->unit;
}

static const char *controller_word(ControllerType t)
{
	return t == CONTROLLER_TYPE_SCSI ? "SCSI" : "PCI";
}

/* Unique (type, index); a missing index= becomes the lowest unused. */
static int check_controller_indexes(ParseContext *c)
{
	DomainDef *def = c->def;
	char other[256];

	for (size_t i = 0; i < def->n_controllers; i++) {
		if (c->controller_index_given[i])
			continue;
		unsigned idx = 0;
		for (bool again = true; again;) {
			again = false;
			for (size_t j = 0; j < def->n_controllers; j++)
				if (j != i && def->controllers[j].type == def->controllers[i].type &&
				    (c->controller_index_given[j] || j < i) &&
				    def->controllers[j].index == idx) {
					idx++;
					again = true;
				}
		}
		if (def->controllers[i].type == CONTROLLER_TYPE_SCSI && idx > DRIVE_ADDRESS_CONTROLLER_MAX)
			return xml_error(c->err, c->controller_nodes[i],
					 "no free SCSI controller index (at most %d)",
					 DRIVE_ADDRESS_CONTROLLER_MAX);
		if (def->controllers[i].type == CONTROLLER_TYPE_PCI && idx > 0)
			return xml_error(c->err, c->controller_nodes[i],
					 "only one pci-root controller is allowed");
		def->controllers[i].index = idx;
		c->controller_index_given[i] = true;
	}
	for (size_t i = 0; i < def->n_controllers; i++)
		for (size_t j = 0; j < i; j++)
			if (def->controllers[j].type == def->controllers[i].type &&
			    def->controllers[j].index == def->controllers[i].index) {
				path_of(c->controller_nodes[j], other, sizeof(other));
				return xml_error(c->err, c->controller_nodes[i],
						 "%s controller index %u is used twice (also by %s)",
						 controller_word(def->controllers[i].type),
						 def->controllers[i].index, other);
			}
	return 0;
}

/* The device holding addr among SCSI disks and hostdevs other than the
 * skipped ones: its element, for a message, and whether there is one. */
static bool drive_used(ParseContext *c, const DriveAddress *addr, size_t skip_disk, size_t skip_hostdev,
		       const xmlNode **holder)
{
	DomainDef *def = c->def;
	for (size_t i = 0; i < def->n_disks; i++)
		if (i != skip_disk && def->disks[i].bus == DISK_BUS_SCSI &&
		    def->disks[i].info.drive.assigned && drive_equal(&def->disks[i].info.drive, addr)) {
			*holder =
				c->disk_nodes[i].address ? c->disk_nodes[i].address : c->disk_nodes[i].disk;
			return true;
		}
	for (size_t i = 0; i < def->n_hostdevs; i++)
		if (i != skip_hostdev && def->hostdevs[i].info.drive.assigned &&
		    drive_equal(&def->hostdevs[i].info.drive, addr)) {
			*holder = c->hostdev_addresses[i] ? c->hostdev_addresses[i] : c->hostdev_nodes[i];
			return true;
		}
	return false;
}

static int assign_disk_addresses(ParseContext *c)
{
	DomainDef *def = c->def;

	for (size_t i = 0; i < def->n_disks; i++) {
		DiskDef *d = &def->disks[i];
		if (d->bus != DISK_BUS_SCSI || d->info.drive.assigned)
			continue;
		DriveAddress a;
		int r = scsi_disk_default_address(d->target, &a);
		if (r == -ERANGE)
			return xml_error(c->err, c->disk_nodes[i].target,
					 "target dev '%s' would be on SCSI controller %d or above (at most "
					 "%d): give it an <address type='drive'/>",
					 d->target, DRIVE_ADDRESS_CONTROLLER_MAX + 1,
					 DRIVE_ADDRESS_CONTROLLER_MAX);
		if (r < 0)
			return xml_error(c->err, c->disk_nodes[i].target,
					 "cannot derive an address from target dev '%s'", d->target);
		/* libvirt checks the hostdevs here, and so does zvirtd; a
		 * clash with another disk is found with the rest below. */
		for (size_t h = 0; h < def->n_hostdevs; h++)
			if (def->hostdevs[h].info.drive.assigned &&
			    drive_equal(&def->hostdevs[h].info.drive, &a)) {
				char other[256];
				path_of(c->hostdev_addresses[h] ? c->hostdev_addresses[h]
								: c->hostdev_nodes[h],
					other, sizeof(other));
				return xml_error(
					c->err, c->disk_nodes[i].target,
					"target dev '%s' means the address controller='%u' bus='0' "
					"target='0' unit='%u', which the SCSI host device at %s uses",
					d->target, a.controller, a.unit, other);
			}
		d->info.drive = a;
	}
	return 0;
}

/* The first unit 0..6 of controller 0, 1, ... (bus 0, target 0) that no
 * SCSI disk or hostdev holds. */
static int assign_hostdev_addresses(ParseContext *c)
{
	DomainDef *def = c->def;
	const xmlNode *holder;

	for (size_t i = 0; i < def->n_hostdevs; i++) {
		HostdevDef *h = &def->hostdevs[i];
		if (h->info.drive.assigned)
			continue;
		DriveAddress a = {.assigned = true};
		for (;; a.controller++) {
			if (a.controller > DRIVE_ADDRESS_CONTROLLER_MAX)
				return xml_error(c->err, c->hostdev_nodes[i],
						 "no free SCSI address on controllers 0 to %d",
						 DRIVE_ADDRESS_CONTROLLER_MAX);
			for (a.unit = 0; a.unit < NARROW_BUS_UNITS; a.unit++)
				if (!drive_used(c, &a, SIZE_MAX, SIZE_MAX, &holder))
					break;
			if (a.unit < NARROW_BUS_UNITS)
				break;
		}
		h->info.drive = a;
	}
	return 0;
}

static int check_duplicates(ParseContext *c)
{
	DomainDef *def = c->def;
	const xmlNode *holder = NULL;
	char other[256];

	for (size_t i = 0; i < def->n_disks; i++) {
		const DriveAddress *a = &def->disks[i].info.drive;
		if (def->disks[i].bus != DISK_BUS_SCSI || !a->assigned)
			continue;
		/* Only against the earlier ones: the later device is named. */
		for (size_t j = 0; j < i; j++)
			if (def->disks[j].bus == DISK_BUS_SCSI && def->disks[j].info.drive.assigned &&
			    drive_equal(&def->disks[j].info.drive, a)) {
				const xmlNode *x = c->disk_nodes[i].address ? c->disk_nodes[i].address
									    : c->disk_nodes[i].disk;
				const xmlNode *y = c->disk_nodes[j].address ? c->disk_nodes[j].address
									    : c->disk_nodes[j].disk;
				if (node_before(x, y)) {
					const xmlNode *t = x;
					x = y;
					y = t;
				}
				path_of(y, other, sizeof(other));
				return xml_error(
					c->err, x,
					"SCSI address controller='%u' bus='%u' target='%u' unit='%u' is "
					"used twice (also by %s)",
					a->controller, a->bus, a->target, a->unit, other);
			}
	}
	for (size_t i = 0; i < def->n_hostdevs; i++) {
		const DriveAddress *a = &def->hostdevs[i].info.drive;
		if (!a->assigned)
			continue;
		bool clash = false;
		for (size_t j = 0; j < def->n_disks && !clash; j++)
			if (def->disks[j].bus == DISK_BUS_SCSI && def->disks[j].info.drive.assigned &&
			    drive_equal(&def->disks[j].info.drive, a)) {
				clash = true;
				holder = c->disk_nodes[j].address ? c->disk_nodes[j].address
								  : c->disk_nodes[j].disk;
			}
		for (size_t j = 0; j < i && !clash; j++)
			if (def->hostdevs[j].info.drive.assigned &&
			    drive_equal(&def->hostdevs[j].info.drive, a)) {
				clash = true;
				holder = c->hostdev_addresses[j] ? c->hostdev_addresses[j]
								 : c->hostdev_nodes[j];
			}
		if (!clash)
			continue;
		const xmlNode *x = c->hostdev_addresses[i] ? c->hostdev_addresses[i] : c->hostdev_nodes[i];
		path_of(holder, other, sizeof(other));
		return xml_error(c->err, x,
				 "SCSI address controller='%u' bus='%u' target='%u' unit='%u' is used twice "
				 "(also by %s)",
				 a->controller, a->bus, a->target, a->unit, other);
	}
	return 0;
}

static int add_implicit_controller(ParseContext *c, unsigned index)
{
	DomainDef *def = c->def;

	if (domain_def_find_controller(def, CONTROLLER_TYPE_SCSI, index))
		return 0;
	if (def->n_controllers >= c->controllers_size) {
		size_t size = c->controllers_size ? c->controllers_size * 2 : 4;
		ControllerDef *v = realloc(def->controllers, size * sizeof(ControllerDef));
		if (!v)
			return -ENOMEM;
		def->controllers = v;
		xmlNode **nodes = realloc(c->controller_nodes, size * sizeof(xmlNode *));
		if (!nodes)
			return -ENOMEM;
		c->controller_nodes = nodes;
		bool *given = realloc(c->controller_index_given, size * sizeof(bool));
		if (!given)
			return -ENOMEM;
		c->controller_index_given = given;
		c->controllers_size = size;
	}
	c->controller_nodes[def->n_controllers] = NULL;
	c->controller_index_given[def->n_controllers] = true;
	def->controllers[def->n_controllers++] = (ControllerDef){
		.type = CONTROLLER_TYPE_SCSI,
		.model = CONTROLLER_MODEL_VIRTIO_SCSI,
		.index = index,
		.implicit = true,
	};
	return 0;
}

/* libvirt's virDomainDefAddImplicitControllers: controllers 0 up to the
 * highest one a SCSI disk names, then the same for hostdevs. */
static int add_implicit_controllers(ParseContext *c)
{
	DomainDef *def = c->def;
	long max = -1;
	int r;

	for (size_t i = 0; i < def->n_disks; i++)
		if (def->disks[i].bus == DISK_BUS_SCSI && def->disks[i].info.drive.assigned &&
		    (long)def->disks[i].info.drive.controller > max)
			max = def->disks[i].info.drive.controller;
	for (long k = 0; k <= max; k++)
		if ((r = add_implicit_controller(c, (unsigned)k)) < 0)
			return r;
	max = -1;
	for (size_t i = 0; i < def->n_hostdevs; i++)
		if (def->hostdevs[i].info.drive.assigned &&
		    (long)def->hostdevs[i].info.drive.controller > max)
			max = def->hostdevs[i].info.drive.controller;
	for (long k = 0; k <= max; k++)
		if ((r = add_implicit_controller(c, (unsigned)k)) < 0)
			return r;
	return 0;
}

/* The seed's rule: SCSI controller indexes 0..n-1, no gaps. */
static int check_contiguous(ParseContext *c)
{
	DomainDef *def = c->def;
	size_t n = 0;

	for (size_t i = 0; i < def->n_controllers; i++)
		n += def->controllers[i].type == CONTROLLER_TYPE_SCSI;
	for (size_t i = 0; i < def->n_controllers; i++) {
		const ControllerDef *k = &def->controllers[i];
		if (k->type != CONTROLLER_TYPE_SCSI || k->index < n)
			continue;
		/* Unique indexes, n of them, one >= n: some lower one is missing. */
		unsigned missing = 0;
		while (domain_def_find_controller(def, CONTROLLER_TYPE_SCSI, missing))
			missing++;
		return xml_error(c->err, c->controller_nodes[i] ? c->controller_nodes[i] : c->devices_node,
				 "SCSI controller indexes must be contiguous from 0: index %u is given but "
				 "index %u is not",
				 k->index, missing);
	}
	return 0;
}

/* With NO_DEFAULTS nothing is filled in (a copy has it all already),
 * but what is there must still be consistent. */
int check_scsi(ParseContext *c)
{
	bool fill = !(c->flags & DOMAIN_XML_PARSE_NO_DEFAULTS);
	int r;

	r = check_controller_indexes(c);
	if (r >= 0 && fill)
		r = assign_disk_addresses(c);
	if (r >= 0 && fill)
		r = assign_hostdev_addresses(c);
	if (r >= 0)
		r = check_duplicates(c);
	if (r >= 0 && fill)
		r = add_implicit_controllers(c);
	if (r >= 0)
		r = check_contiguous(c);
	return r;
}
