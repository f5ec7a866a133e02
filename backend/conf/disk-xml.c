/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <disk>: its driver, source, target, readonly, shareable, boot order,
 * alias and address, read into a DiskDef (what one disk can get wrong
 * on its own) and written back in libvirt's element order. Checks
 * across disks (targets, boot orders, addresses, aliases) are
 * domain-validate.c's. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xml-internal.h"

static int parse_disk_driver(ParseContext *c, xmlNode *n, DiskDef *disk)
{
	_cleanup_free_ char *name = NULL;
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "name", "type", "cache", "io");
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
	return 0;
}

static int parse_disk_source(ParseContext *c, xmlNode *n, DiskDef *disk)
{
	_cleanup_free_ char *file = NULL, *dev = NULL;
	int r;

	r = CHECK_ATTRIBUTES(c, n, "file", "dev");
	if (r < 0)
		return r;
	r = attr_get(n, "file", &file);
	if (r >= 0)
		r = attr_get(n, "dev", &dev);
	if (r < 0)
		return r;

	if (disk->type == DISK_TYPE_FILE && dev)
		return xml_error(c->err, n, "a type='file' disk takes <source file='...'/>, not dev=");
	if (disk->type == DISK_TYPE_BLOCK && file)
		return xml_error(c->err, n, "a type='block' disk takes <source dev='...'/>, not file=");

	char **path = disk->type == DISK_TYPE_FILE ? &file : &dev;
	if (*path) {
		r = check_absolute_path(c, n, "disk source", *path);
		if (r < 0)
			return r;
		disk->source = TAKE_PTR(*path);
	}
	return 0;
}

static bool virtio_disk_name(const char *t)
{
	if (strncmp(t, "vd", 2) != 0 || !t[2])
		return false;
	for (const char *p = t + 2; *p; p++)
		if (*p < 'a' || *p > 'z')
			return false;
	return true;
}

static int parse_disk_target(ParseContext *c, xmlNode *n, DiskDef *disk, bool *scsi)
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

	if (bus && strcmp(bus, "scsi") == 0) {
		/* A real libvirt value; refused until SCSI controllers exist,
		 * with a reason rather than "invalid value". */
		*scsi = true;
		return xml_error(c->err, n,
				 "bus='scsi' is not supported yet (no SCSI controller support); use "
				 "bus='virtio'");
	}
	if (bus) {
		int b = disk_bus_from_string(bus);
		if (b < 0) {
			char vbuf[80];
			return xml_error(c->err, n,
					 "invalid value '%s' for attribute 'bus' (expected 'virtio')",
					 shorten(bus, vbuf));
		}
		disk->bus = (DiskBus)b;
	}
	if (!virtio_disk_name(disk->target)) {
		char vbuf[80];
		return xml_error(c->err, n,
				 "target dev '%s' is not a virtio disk name (vda, vdb, ..., vdaa, ...)",
				 shorten(disk->target, vbuf));
	}
	return 0;
}

int parse_disk(ParseContext *c, xmlNode *n, DiskDef *disk, DiskNodes *nodes)
{
	xmlNode *child = NULL, *driver = NULL, *source = NULL, *readonly = NULL, *shareable = NULL,
		*alias = NULL;
	bool scsi = false;
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

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "driver")) {
			r = once(c, &driver, child);
			if (r >= 0)
				r = parse_disk_driver(c, child, disk);
		} else if (node_is(child, "source")) {
			r = once(c, &source, child);
			if (r >= 0)
				r = parse_disk_source(c, child, disk);
		} else if (node_is(child, "target")) {
			r = once(c, &nodes->target, child);
			if (r >= 0)
				r = parse_disk_target(c, child, disk, &scsi);
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
			bool present;
			r = once(c, &nodes->boot, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "order");
			if (r >= 0)
				r = attr_unsigned(c, child, "order", &disk->info.boot_order, &present);
			if (r >= 0 && !present)
				r = xml_error(c->err, child, "missing attribute 'order'");
			if (r >= 0 && disk->info.boot_order == 0)
				r = xml_error(c->err, child, "boot order must be a positive integer, not 0");
			if (r >= 0 && disk->info.boot_order > INT32_MAX)
				r = xml_error(c->err, child, "boot order %u is too large",
					      disk->info.boot_order);
		} else if (node_is(child, "alias")) {
			r = once(c, &alias, child);
			if (r >= 0)
				r = parse_device_alias(c, child, &disk->info);
		} else if (node_is(child, "address")) {
			r = once(c, &nodes->address, child);
			if (r >= 0)
				r = parse_ccw_address(c, child, &disk->info.address);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;

	r = require(c, n, nodes->target, "target");
	if (r < 0)
		return r;
	if (disk->device == DISK_DEVICE_CDROM)
		return xml_error(c->err, n,
				 "device='cdrom' needs bus='scsi', which is not supported yet (no SCSI "
				 "controller support)");
	if (!disk->source)
		return xml_error(c->err, source ? source : n, "disk '%s' needs <source %s='...'/>",
				 disk->target, disk->type == DISK_TYPE_FILE ? "file" : "dev");
	return 0;
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
	if (d->io != DISK_IO_DEFAULT)
		put_attribute(f, "io", disk_io_to_string(d->io));
	fputs("/>\n", f);
	if (d->source) {
		fputs("      <source", f);
		put_attribute(f, d->type == DISK_TYPE_BLOCK ? "dev" : "file", d->source);
		fputs("/>\n", f);
	}
	fputs("      <target", f);
	put_attribute(f, "dev", d->target ? d->target : "");
	put_attribute(f, "bus", disk_bus_to_string(d->bus));
	fputs("/>\n", f);
	/* libvirt's order: readonly and shareable, then what its device
	 * info writes (boot, alias, address). */
	if (d->readonly)
		fputs("      <readonly/>\n", f);
	if (d->shareable)
		fputs("      <shareable/>\n", f);
	if (d->info.boot_order)
		fprintf(f, "      <boot order='%u'/>\n", d->info.boot_order);
	put_device_alias(f, 3, &d->info, live);
	put_ccw_address(f, 3, &d->info.address);
	fputs("    </disk>\n", f);
}
