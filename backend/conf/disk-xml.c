/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <disk>: its driver (format, cache, io, error policies), source (and
 * startupPolicy), backingStore chain, geometry, blockio, target (bus
 * virtio or scsi), readonly, shareable, serial, boot order, alias and
 * address (ccw for virtio, drive for scsi), read into a DiskDef (what
 * one disk can get wrong on its own) and written back in libvirt's
 * element order. Checks across disks (targets, boot orders, addresses,
 * aliases, the controllers SCSI disks need) are domain-validate.c's. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xml-internal.h"

/* Bounds the chain (and the node names made from it, "<alias>-f64"). */
#define DISK_BACKING_MAX 64

static int parse_disk_driver(ParseContext *c, xmlNode *n, DiskDef *disk)
{
	_cleanup_free_ char *name = NULL;
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "name", "type", "cache", "error_policy", "rerror_policy", "io",
			     "iothread");
	if (r < 0)
		return r;
	r = attr_get(n, "name", &name);
	if (r < 0)
		return r;
	if (name && strcmp(name, "qemu") != 0) {
		char vbuf[80];
		return xml_error(c->err, n, "driver name '%s' is not supported (expected 'qemu')",
				 shorten(name, vbuf));
	}
	r = attr_enum(c, n, "type", disk_format_from_string, "one of: raw, qcow2", &v);
	if (r < 0)
		return r;
	if (r > 0)
		disk->format = (DiskFormat)v;
	r = attr_enum(c, n, "cache", disk_cache_from_string,
		      "one of: default, none, writethrough, writeback, directsync, unsafe", &v);
	if (r < 0)
		return r;
	if (r > 0)
		disk->cache = (DiskCache)v;
	r = attr_enum(c, n, "error_policy", disk_error_policy_from_string,
		      "one of: stop, report, ignore, enospace", &v);
	if (r < 0)
		return r;
	if (r > 0) {
		if (v == DISK_ERROR_POLICY_DEFAULT)
			return xml_error(c->err, n,
					 "invalid value 'default' for attribute 'error_policy' (expected "
					 "one of: stop, report, ignore, enospace)");
		disk->error_policy = (DiskErrorPolicy)v;
	}
	r = attr_enum(c, n, "rerror_policy", disk_error_policy_from_string, "one of: stop, report, ignore",
		      &v);
	if (r < 0)
		return r;
	if (r > 0) {
		/* QEMU's rerror has no enospc: a read never runs out of space. */
		if (v == DISK_ERROR_POLICY_DEFAULT || v == DISK_ERROR_POLICY_ENOSPACE)
			return xml_error(c->err, n,
					 "invalid value '%s' for attribute 'rerror_policy' (expected one "
					 "of: stop, report, ignore)",
					 disk_error_policy_to_string((DiskErrorPolicy)v));
		disk->rerror_policy = (DiskErrorPolicy)v;
	}
	r = attr_enum(c, n, "io", disk_io_from_string, "one of: native, threads", &v);
	if (r < 0)
		return r;
	if (r > 0) {
		if (v == DISK_IO_DEFAULT)
			return xml_error(c->err, n,
					 "invalid value 'default' for attribute 'io' (expected one of: "
					 "native, threads)");
		disk->io = (DiskIO)v;
	}
	if (disk->io == DISK_IO_NATIVE && disk->cache != DISK_CACHE_NONE &&
	    disk->cache != DISK_CACHE_DIRECTSYNC)
		return xml_error(c->err, n, "io='native' needs cache='none' or cache='directsync'");
	/* Which threads exist is known once the document is read
	 * (check_disk_iothreads). */
	bool has_iothread;
	r = attr_unsigned(c, n, "iothread", &disk->iothread, &has_iothread);
	if (r < 0)
		return r;
	if (has_iothread && disk->iothread == 0)
		return xml_error(c->err, n, "iothread must be a positive integer, not 0");
	return 0;
}

/* file= (type file) or dev= (type block) into *ret; neither is fine. */
static int parse_source_path(ParseContext *c, xmlNode *n, DiskType type, const char *what, char **ret)
{
	_cleanup_free_ char *file = NULL, *dev = NULL;
	int r;

	r = attr_get(n, "file", &file);
	if (r >= 0)
		r = attr_get(n, "dev", &dev);
	if (r < 0)
		return r;
	if (type == DISK_TYPE_FILE && dev)
		return xml_error(c->err, n, "a type='file' %s takes <source file='...'/>, not dev=", what);
	if (type == DISK_TYPE_BLOCK && file)
		return xml_error(c->err, n, "a type='block' %s takes <source dev='...'/>, not file=", what);

	char **path = type == DISK_TYPE_FILE ? &file : &dev;
	if (*path) {
		r = check_absolute_path(c, n, "disk source", *path);
		if (r < 0)
			return r;
		*ret = TAKE_PTR(*path);
	}
	return 0;
}

static int parse_disk_source(ParseContext *c, xmlNode *n, DiskDef *disk)
{
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "file", "dev", "startupPolicy");
	if (r < 0)
		return r;
	r = parse_source_path(c, n, disk->type, "disk", &disk->source);
	if (r < 0)
		return r;
	r = attr_enum(c, n, "startupPolicy", disk_startup_policy_from_string,
		      "one of: mandatory, requisite, optional", &v);
	if (r < 0)
		return r;
	if (r > 0) {
		if (v == DISK_STARTUP_POLICY_DEFAULT)
			return xml_error(c->err, n,
					 "invalid value 'default' for attribute 'startupPolicy' (expected "
					 "one of: mandatory, requisite, optional)");
		/* libvirt's rule: only a removable medium may be missing
		 * at a cold boot yet fine at a restore. */
		if (v == DISK_STARTUP_POLICY_REQUISITE && disk->device != DISK_DEVICE_CDROM)
			return xml_error(c->err, n, "startupPolicy='requisite' is only for a cdrom");
		disk->startup_policy = (DiskStartupPolicy)v;
	}
	return 0;
}

/* <backingStore type='file|block'><format type=/><source .../>
 * <backingStore .../></backingStore>, or <backingStore/>: the chain
 * ends here. Appends to disk->backing, innermost last. */
static int parse_backing_store(ParseContext *c, xmlNode *n, DiskDef *disk, DiskFormat above)
{
	xmlNode *child = NULL, *format = NULL, *source = NULL, *next = NULL;
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "type", "index");
	if (r < 0)
		return r;
	/* index= is what live XML of libvirt numbers layers with: output
	 * only, like the domain's id=. */
	if (!xmlHasNsProp(n, BAD_CAST "type", NULL) && !has_element_children(n)) {
		if (xmlHasNsProp(n, BAD_CAST "index", NULL))
			return xml_error(c->err, n, "an empty <backingStore/> has no index");
		disk->backing_terminated = true;
		return 0;
	}
	if (above == DISK_FORMAT_RAW)
		return xml_error(c->err, n,
				 "a raw image has no backing store (only <backingStore/> may follow it)");
	if (disk->n_backing >= DISK_BACKING_MAX)
		return xml_error(c->err, n, "the backing chain is longer than %d images", DISK_BACKING_MAX);

	r = attr_enum(c, n, "type", disk_type_from_string, "one of: file, block", &v);
	if (r < 0)
		return r;
	if (r == 0)
		return xml_error(c->err, n, "missing attribute 'type'");
	DiskType type = (DiskType)v;

	DiskBackingStore *b = realloc(disk->backing, (disk->n_backing + 1) * sizeof(DiskBackingStore));
	if (!b)
		return -ENOMEM;
	disk->backing = b;
	DiskBackingStore *layer = &disk->backing[disk->n_backing++];
	*layer = (DiskBackingStore){.type = type, .format = DISK_FORMAT_RAW};

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "format")) {
			r = once(c, &format, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "type");
			if (r >= 0)
				r = attr_enum(c, child, "type", disk_format_from_string,
					      "one of: raw, qcow2", &v);
			if (r == 0)
				r = xml_error(c->err, child, "missing attribute 'type'");
			if (r > 0)
				layer->format = (DiskFormat)v;
		} else if (node_is(child, "source")) {
			r = once(c, &source, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "file", "dev");
			if (r >= 0)
				r = parse_source_path(c, child, type, "backing store", &layer->source);
			if (r >= 0 && !layer->source)
				r = xml_error(c->err, child, "missing attribute '%s'",
					      type == DISK_TYPE_FILE ? "file" : "dev");
		} else if (node_is(child, "backingStore"))
			r = once(c, &next, child);
		else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	r = require(c, n, format, "format");
	if (r >= 0)
		r = require(c, n, source, "source");
	if (r < 0)
		return r;
	if (next)
		return parse_backing_store(c, next, disk, layer->format);
	return 0;
}

static bool power_of_two(unsigned v)
{
	return v && !(v & (v - 1));
}

static int parse_disk_geometry(ParseContext *c, xmlNode *n, DiskDef *disk)
{
	static const char *const names[] = {"cyls", "heads", "secs"};
	unsigned *fields[] = {&disk->geometry_cyls, &disk->geometry_heads, &disk->geometry_secs};
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "cyls", "heads", "secs", "trans");
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		bool present;
		r = attr_unsigned(c, n, names[i], fields[i], &present);
		if (r < 0)
			return r;
		if (!present)
			return xml_error(c->err, n, "missing attribute '%s'", names[i]);
		if (*fields[i] == 0)
			return xml_error(c->err, n, "%s must be a positive integer, not 0", names[i]);
	}
	r = attr_enum(c, n, "trans", disk_geometry_trans_from_string, "one of: none, auto, lba", &v);
	if (r < 0)
		return r;
	if (r > 0 && v != DISK_GEOMETRY_TRANS_DEFAULT)
		/* libvirt's QEMU driver refuses it too: QEMU has the BIOS
		 * translation on IDE disks only, and s390x has no IDE. */
		return xml_error(c->err, n,
				 "trans='%s' is not supported: the CHS translation is an IDE setting and "
				 "s390x has no IDE bus",
				 disk_geometry_trans_to_string((DiskGeometryTrans)v));
	if (r > 0)
		return xml_error(c->err, n,
				 "invalid value 'default' for attribute 'trans' (expected one of: none, "
				 "auto, lba)");
	return 0;
}

static int parse_disk_blockio(ParseContext *c, xmlNode *n, DiskDef *disk)
{
	static const char *const names[] = {"logical_block_size", "physical_block_size"};
	unsigned *fields[] = {&disk->logical_block_size, &disk->physical_block_size};
	int r;

	r = CHECK_ATTRIBUTES(c, n, "logical_block_size", "physical_block_size");
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		bool present;
		r = attr_unsigned(c, n, names[i], fields[i], &present);
		if (r < 0)
			return r;
		/* QEMU's rule for both properties. */
		if (present && (!power_of_two(*fields[i]) || *fields[i] < 512 || *fields[i] > 2097152))
			return xml_error(c->err, n,
					 "%s must be a power of two between 512 and 2097152 bytes, not %u",
					 names[i], *fields[i]);
	}
	if (disk->logical_block_size && disk->physical_block_size &&
	    disk->logical_block_size > disk->physical_block_size)
		return xml_error(c->err, n,
				 "logical_block_size (%u) must not be larger than physical_block_size (%u)",
				 disk->logical_block_size, disk->physical_block_size);
	return 0;
}

static int parse_disk_serial(ParseContext *c, xmlNode *n, DiskDef *disk)
{
	int r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;
	r = node_text(n, &disk->serial);
	if (r < 0)
		return r;
	/* libvirt's schema (diskSerial): what QEMU and the guest take. */
	if (!*disk->serial ||
	    strspn(disk->serial, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+- ") !=
		    strlen(disk->serial)) {
		char vbuf[80];
		return xml_error(c->err, n,
				 "invalid serial '%s' (expected letters, digits, spaces and '_', '.', "
				 "'+', '-')",
				 shorten(disk->serial, vbuf));
	}
	return 0;
}

/* prefix followed by [a-z]+ */
static bool disk_name_with(const char *t, const char *prefix)
{
	if (strncmp(t, prefix, 2) != 0 || !t[2])
		return false;
	for (const char *p = t + 2; *p; p++)
		if (*p < 'a' || *p > 'z')
			return false;
	return true;
}

static int parse_disk_target(ParseContext *c, xmlNode *n, DiskDef *disk)
{
	_cleanup_free_ char *bus = NULL;
	int r;

	r = CHECK_ATTRIBUTES(c, n, "dev", "bus");
	if (r < 0)
		return r;
	r = attr_get(n, "dev", &disk->target);
	if (r >= 0)
		r = attr_get(n, "bus", &bus);
	if (r < 0)
		return r;
	if (!disk->target)
		return xml_error(c->err, n, "missing attribute 'dev'");

	if (bus) {
		int b = disk_bus_from_string(bus);
		if (b < 0) {
			char vbuf[80];
			return xml_error(c->err, n,
					 "invalid value '%s' for attribute 'bus' (expected one of: virtio, "
					 "scsi)",
					 shorten(bus, vbuf));
		}
		disk->bus = (DiskBus)b;
	} else if (strncmp(disk->target, "sd", 2) == 0)
		/* libvirt takes the bus from the name when none is given. */
		disk->bus = DISK_BUS_SCSI;

	char vbuf[80];
	if (disk->bus == DISK_BUS_VIRTIO && !disk_name_with(disk->target, "vd"))
		return xml_error(c->err, n,
				 "target dev '%s' is not a virtio disk name (vda, vdb, ..., vdaa, ...)",
				 shorten(disk->target, vbuf));
	if (disk->bus == DISK_BUS_SCSI && !disk_name_with(disk->target, "sd"))
		return xml_error(c->err, n,
				 "target dev '%s' is not a SCSI disk name (sda, sdb, ..., sdaa, ...)",
				 shorten(disk->target, vbuf));
	if (disk_target_index(disk->target) < 0)
		return xml_error(c->err, n, "target dev '%s' is too long", shorten(disk->target, vbuf));
	return 0;
}

int parse_disk(ParseContext *c, xmlNode *n, DiskDef *disk, DiskNodes *nodes)
{
	xmlNode *child = NULL, *driver = NULL, *source = NULL, *readonly = NULL, *shareable = NULL,
		*alias = NULL, *backing = NULL, *geometry = NULL, *blockio = NULL, *serial = NULL;
	int v, r;

	nodes->disk = n;
	r = CHECK_ATTRIBUTES(c, n, "type", "device");
	if (r < 0)
		return r;
	r = attr_enum(c, n, "type", disk_type_from_string, "one of: file, block", &v);
	if (r < 0)
		return r;
	if (r == 0)
		return xml_error(c->err, n, "missing attribute 'type'");
	disk->type = (DiskType)v;
	r = attr_enum(c, n, "device", disk_device_from_string, "one of: disk, cdrom", &v);
	if (r < 0)
		return r;
	if (r > 0)
		disk->device = (DiskDevice)v;

	/* The target first: what is valid elsewhere depends on the bus. */
	while ((r = next_child(c, n, &child)) > 0)
		if (node_is(child, "target")) {
			r = once(c, &nodes->target, child);
			if (r >= 0)
				r = parse_disk_target(c, child, disk);
			if (r < 0)
				return r;
		}
	if (r < 0)
		return r;
	r = require(c, n, nodes->target, "target");
	if (r < 0)
		return r;

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "target"))
			continue;
		if (node_is(child, "driver")) {
			r = once(c, &driver, child);
			if (r >= 0)
				r = parse_disk_driver(c, child, disk);
		} else if (node_is(child, "source")) {
			r = once(c, &source, child);
			if (r >= 0)
				r = parse_disk_source(c, child, disk);
		} else if (node_is(child, "backingStore")) {
			r = once(c, &backing, child);
		} else if (node_is(child, "geometry")) {
			r = once(c, &geometry, child);
			if (r >= 0)
				r = parse_disk_geometry(c, child, disk);
		} else if (node_is(child, "blockio")) {
			r = once(c, &blockio, child);
			if (r >= 0)
				r = parse_disk_blockio(c, child, disk);
		} else if (node_is(child, "serial")) {
			r = once(c, &serial, child);
			if (r >= 0)
				r = parse_disk_serial(c, child, disk);
		} else if (node_is(child, "readonly") || node_is(child, "shareable")) {
			bool ro = node_is(child, "readonly");
			r = once(c, ro ? &readonly : &shareable, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, NULL);
			if (r >= 0 && has_element_children(child))
				r = xml_error(c->err, child, "<%s> must be empty", node_label(child));
			if (ro)
				disk->readonly = true;
			else
				disk->shareable = true;
		} else if (node_is(child, "boot")) {
			r = once(c, &nodes->boot, child);
			if (r >= 0)
				r = parse_device_boot(c, child, &disk->info);
		} else if (node_is(child, "alias")) {
			r = once(c, &alias, child);
			if (r >= 0)
				r = parse_device_alias(c, child, &disk->info);
		} else if (node_is(child, "address")) {
			r = once(c, &nodes->address, child);
			if (r >= 0)
				r = parse_device_address(
					c, child, disk->bus == DISK_BUS_SCSI ? ADDRESS_DRIVE : ADDRESS_CCW,
					disk->bus == DISK_BUS_SCSI ? "a SCSI disk" : "a virtio disk",
					&disk->info);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	/* After <driver>: the top image's format decides whether a chain
	 * may follow. */
	if (backing) {
		r = parse_backing_store(c, backing, disk, disk->format);
		if (r < 0)
			return r;
	}

	if (disk->device == DISK_DEVICE_CDROM) {
		if (disk->bus != DISK_BUS_SCSI)
			return xml_error(c->err, nodes->target,
					 "a cdrom needs bus='scsi' (virtio-blk has no removable medium)");
		if (geometry)
			return xml_error(c->err, geometry,
					 "a cdrom has no geometry (QEMU's scsi-cd has none)");
		/* libvirt forces it: a CD is read-only whatever the XML says. */
		disk->readonly = true;
		return 0; /* no <source>: an empty drive */
	}
	if (!disk->source)
		return xml_error(c->err, source ? source : n, "disk '%s' needs <source %s='...'/>",
				 disk->target, disk->type == DISK_TYPE_FILE ? "file" : "dev");
	return 0;
}

static void put_source(FILE *f, unsigned level, DiskType type, const char *path, DiskStartupPolicy policy)
{
	put_indent(f, level);
	fputs("<source", f);
	if (path)
		put_attribute(f, type == DISK_TYPE_BLOCK ? "dev" : "file", path);
	if (policy != DISK_STARTUP_POLICY_DEFAULT)
		put_attribute(f, "startupPolicy", disk_startup_policy_to_string(policy));
	fputs("/>\n", f);
}

static void put_backing(FILE *f, const DiskDef *d)
{
	unsigned level = 3;
	for (size_t i = 0; i < d->n_backing; i++, level++) {
		put_indent(f, level);
		fputs("<backingStore", f);
		put_attribute(f, "type", disk_type_to_string(d->backing[i].type));
		fputs(">\n", f);
		put_indent(f, level + 1);
		fputs("<format", f);
		put_attribute(f, "type", disk_format_to_string(d->backing[i].format));
		fputs("/>\n", f);
		put_source(f, level + 1, d->backing[i].type, d->backing[i].source,
			   DISK_STARTUP_POLICY_DEFAULT);
	}
	if (d->backing_terminated) {
		put_indent(f, level);
		fputs("<backingStore/>\n", f);
	}
	while (level-- > 3) {
		put_indent(f, level);
		fputs("</backingStore>\n", f);
	}
}

void put_disk(FILE *f, const DiskDef *d, bool live)
{
	fputs("    <disk", f);
	put_attribute(f, "type", disk_type_to_string(d->type));
	put_attribute(f, "device", disk_device_to_string(d->device));
	fputs(">\n      <driver name='qemu'", f);
	put_attribute(f, "type", disk_format_to_string(d->format));
	if (d->cache != DISK_CACHE_DEFAULT)
		put_attribute(f, "cache", disk_cache_to_string(d->cache));
	if (d->error_policy != DISK_ERROR_POLICY_DEFAULT)
		put_attribute(f, "error_policy", disk_error_policy_to_string(d->error_policy));
	if (d->rerror_policy != DISK_ERROR_POLICY_DEFAULT)
		put_attribute(f, "rerror_policy", disk_error_policy_to_string(d->rerror_policy));
	if (d->io != DISK_IO_DEFAULT)
		put_attribute(f, "io", disk_io_to_string(d->io));
	if (d->iothread)
		fprintf(f, " iothread='%u'", d->iothread);
	fputs("/>\n", f);
	/* libvirt's order: driver, source, backingStore, geometry, blockio,
	 * target, readonly, shareable, serial, then what its device info
	 * writes (boot, alias, address). */
	if (d->source || d->startup_policy != DISK_STARTUP_POLICY_DEFAULT)
		put_source(f, 3, d->type, d->source, d->startup_policy);
	put_backing(f, d);
	if (d->geometry_cyls)
		fprintf(f, "      <geometry cyls='%u' heads='%u' secs='%u'/>\n", d->geometry_cyls,
			d->geometry_heads, d->geometry_secs);
	if (d->logical_block_size || d->physical_block_size) {
		fputs("      <blockio", f);
		if (d->logical_block_size)
			fprintf(f, " logical_block_size='%u'", d->logical_block_size);
		if (d->physical_block_size)
			fprintf(f, " physical_block_size='%u'", d->physical_block_size);
		fputs("/>\n", f);
	}
	fputs("      <target", f);
	put_attribute(f, "dev", d->target ? d->target : "");
	put_attribute(f, "bus", disk_bus_to_string(d->bus));
	fputs("/>\n", f);
	if (d->readonly)
		fputs("      <readonly/>\n", f);
	if (d->shareable)
		fputs("      <shareable/>\n", f);
	if (d->serial)
		put_text_element(f, 3, "serial", d->serial);
	put_device_boot(f, 3, &d->info);
	put_device_alias(f, 3, &d->info, live);
	if (d->bus == DISK_BUS_SCSI)
		put_drive_address(f, 3, &d->info.drive);
	else
		put_ccw_address(f, 3, &d->info.address);
	fputs("    </disk>\n", f);
}
