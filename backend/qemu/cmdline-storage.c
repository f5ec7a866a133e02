/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The storage devices on QEMU's command line (cmdline.h): disks with
 * their -blockdev chains and virtio-blk-ccw/scsi-hd/scsi-cd devices,
 * virtio-scsi controllers and scsi-generic host devices, and the same
 * objects for hot-plug, as libvirt builds them. */
#include "cmdline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline-internal.h"
#include "util/cleanup.h"

/* --- disks -------------------------------------------------------------- */

/* How libvirt maps a cache mode (qemuDomainDiskCachemodeFlags): the
 * device's write-cache, and the nodes' cache.direct / cache.no-flush. */
typedef struct CacheFlags {
	bool write_cache;
	bool direct;
	bool no_flush;
} CacheFlags;

static bool disk_cache_flags(DiskCache cache, CacheFlags *ret)
{
	switch (cache) {
	case DISK_CACHE_NONE:
		*ret = (CacheFlags){.write_cache = true, .direct = true};
		return true;
	case DISK_CACHE_WRITETHROUGH:
		*ret = (CacheFlags){.write_cache = false};
		return true;
	case DISK_CACHE_WRITEBACK:
		*ret = (CacheFlags){.write_cache = true};
		return true;
	case DISK_CACHE_DIRECTSYNC:
		*ret = (CacheFlags){.write_cache = false, .direct = true};
		return true;
	case DISK_CACHE_UNSAFE:
		*ret = (CacheFlags){.write_cache = true, .no_flush = true};
		return true;
	case DISK_CACHE_DEFAULT:
	default:
		return false; /* QEMU's defaults; nothing on the command line */
	}
}

const char *disk_what(const DiskDef *disk)
{
	return disk->target ? disk->target : "(no target)";
}

/* QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_'.
 * The conf layer only makes such aliases; a hand-built one is checked. */
static bool alias_wellformed(const char *alias)
{
	if (!((alias[0] >= 'a' && alias[0] <= 'z') || (alias[0] >= 'A' && alias[0] <= 'Z')))
		return false;
	return strspn(alias, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._") ==
	       strlen(alias);
}

/* what: "Disk 'vda'", "Console 0", "The memballoon". */
int check_alias(const DeviceInfo *info, const char *what, ZvError *err)
{
	if (!info->alias)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%s has no alias (a live definition gets them from "
				    "domain_def_assign_aliases())",
				    what);
	if (!alias_wellformed(info->alias))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%s: alias '%s' is not a QEMU id (a letter, then letters, digits, "
				    "'-', '.' or '_')",
				    what, info->alias);
	return 0;
}

int check_disk(const DiskDef *disk, ZvError *err)
{
	if (!disk->target)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "A disk has no target");
	if (disk->bus != DISK_BUS_VIRTIO && disk->bus != DISK_BUS_SCSI)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Disk '%s': unsupported bus",
				    disk_what(disk));
	if (disk->device == DISK_DEVICE_CDROM && disk->bus == DISK_BUS_VIRTIO)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Disk '%s': a cdrom cannot be on bus virtio", disk_what(disk));
	if (disk->device != DISK_DEVICE_DISK && disk->device != DISK_DEVICE_CDROM)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Disk '%s': unsupported device type", disk_what(disk));
	if (disk->bus == DISK_BUS_SCSI && !disk->info.drive.assigned)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Disk '%s' has no SCSI address (the parse assigns one)", disk->target);
	char what[64], storage[QEMU_NODE_NAME_MAX], format[QEMU_NODE_NAME_MAX];
	snprintf(what, sizeof(what), "Disk '%s'", disk->target);
	int r = check_alias(&disk->info, what, err);
	if (r < 0)
		return r;
	if (qemu_disk_node_names(disk->info.alias, storage, format) < 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Disk '%s': alias '%s' is too long for QEMU's block node names "
				    "('<alias>-storage' must fit %d characters: at most %d for the alias)",
				    disk->target, disk->info.alias, QEMU_NODE_NAME_MAX - 1,
				    QEMU_DISK_ALIAS_MAX);
	/* An empty drive is a cdrom's only. */
	if ((!disk->source || !*disk->source) && disk->device != DISK_DEVICE_CDROM)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Disk '%s' has no source",
				    disk->target);
	if (disk->type != DISK_TYPE_FILE && disk->type != DISK_TYPE_BLOCK)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Disk '%s': unsupported type",
				    disk->target);
	if (disk->format != DISK_FORMAT_RAW && disk->format != DISK_FORMAT_QCOW2)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Disk '%s': unsupported format",
				    disk->target);
	/* QEMU refuses aio=native on a host page cache: say so before it runs. */
	if (disk->io == DISK_IO_NATIVE && disk->cache != DISK_CACHE_NONE &&
	    disk->cache != DISK_CACHE_DIRECTSYNC)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Disk '%s': io='native' needs cache='none' or cache='directsync'",
				    disk->target);
	if (disk->geometry_trans != DISK_GEOMETRY_TRANS_DEFAULT)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Disk '%s': a CHS translation is an IDE setting, which s390x has not",
				    disk->target);
	if (disk->device == DISK_DEVICE_CDROM && disk->geometry_cyls)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Disk '%s': a cdrom has no geometry", disk->target);
	if (disk->rerror_policy == DISK_ERROR_POLICY_ENOSPACE)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Disk '%s': rerror_policy cannot be enospace", disk->target);
	for (size_t i = 0; i < disk->n_backing; i++)
		if (!disk->backing[i].source ||
		    (i > 0 && disk->backing[i - 1].format != DISK_FORMAT_QCOW2) ||
		    (i == 0 && disk->format != DISK_FORMAT_QCOW2))
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
					    "Disk '%s': backing store %zu has no source or sits below a raw "
					    "image",
					    disk->target, i + 1);
	if (disk->n_backing > QEMU_DISK_BACKING_MAX)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Disk '%s': more than %d backing images", disk->target,
				    QEMU_DISK_BACKING_MAX);
	return 0;
}

/* What the conf layer allows must fit. */
_Static_assert(DEVICE_ALIAS_MAX <= QEMU_DISK_ALIAS_MAX, "a disk alias must fit QEMU's node names");
_Static_assert(DEVICE_ALIAS_MAX + sizeof("-backend") <= QEMU_NODE_NAME_MAX,
	       "a hostdev alias must fit QEMU's node names");
_Static_assert(DEVICE_ALIAS_MAX + sizeof("-f99") <= QEMU_NODE_NAME_MAX,
	       "a backing node name must fit QEMU's node names");

int qemu_disk_node_names(const char *alias, char storage[static QEMU_NODE_NAME_MAX],
			 char format[static QEMU_NODE_NAME_MAX])
{
	if (!alias || strlen(alias) > QEMU_DISK_ALIAS_MAX)
		return -ENAMETOOLONG;
	snprintf(storage, QEMU_NODE_NAME_MAX, "%s-storage", alias);
	snprintf(format, QEMU_NODE_NAME_MAX, "%s-format", alias);
	return 0;
}

/* Layer 0 is the image itself; backing layer N (1, 2, ...) is
 * <alias>-sN / <alias>-fN: the alias must leave room for it. */
static void layer_node_names(const char *alias, size_t layer, char storage[static QEMU_NODE_NAME_MAX],
			     char format[static QEMU_NODE_NAME_MAX])
{
	if (layer == 0) {
		(void)qemu_disk_node_names(alias, storage, format); /* checked */
		return;
	}
	snprintf(storage, QEMU_NODE_NAME_MAX, "%s-s%zu", alias, layer);
	snprintf(format, QEMU_NODE_NAME_MAX, "%s-f%zu", alias, layer);
}

static json_object *cache_object(const CacheFlags *c)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	if (!o || json_add_bool(o, "direct", c->direct) < 0 || json_add_bool(o, "no-flush", c->no_flush) < 0)
		return NULL;
	return TAKE_PTR(o);
}

/* One layer of a disk: its file (or device), format and read-only;
 * backing layers are always read-only (QEMU writes only the top). */
typedef struct Layer {
	DiskType type;
	DiskFormat format;
	const char *source;
	bool readonly;
} Layer;

static Layer disk_layer(const DiskDef *disk, size_t i)
{
	if (i == 0)
		return (Layer){disk->type, disk->format, disk->source, disk->readonly};
	const DiskBackingStore *b = &disk->backing[i - 1];
	return (Layer){b->type, b->format, b->source, true};
}

static json_object *storage_node(const DiskDef *disk, const Layer *l, const char *node_name)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	CacheFlags cache;

	if (!o || json_add_string(o, "driver", l->type == DISK_TYPE_BLOCK ? "host_device" : "file") < 0 ||
	    json_add_string(o, "filename", l->source) < 0 ||
	    json_add_string(o, "node-name", node_name) < 0 || json_add_bool(o, "read-only", l->readonly) < 0)
		return NULL;
	if (disk_cache_flags(disk->cache, &cache) && json_add(o, "cache", cache_object(&cache)) < 0)
		return NULL;
	if (disk->io != DISK_IO_DEFAULT &&
	    json_add_string(o, "aio", disk->io == DISK_IO_NATIVE ? "native" : "threads") < 0)
		return NULL;
	if (json_add_string(o, "discard", "unmap") < 0 || json_add_bool(o, "auto-read-only", true) < 0)
		return NULL;
	return TAKE_PTR(o);
}

/* backing: the format node of the layer below, or NULL for none. */
static json_object *format_node(const DiskDef *disk, const Layer *l, const char *node_name, const char *file,
				const char *backing)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	CacheFlags cache;

	if (!o || json_add_string(o, "node-name", node_name) < 0 ||
	    json_add_string(o, "driver", l->format == DISK_FORMAT_QCOW2 ? "qcow2" : "raw") < 0 ||
	    json_add_string(o, "file", file) < 0 || json_add_bool(o, "read-only", l->readonly) < 0)
		return NULL;
	/* libvirt sets the cache on both nodes: no inheritance with -blockdev. */
	if (disk_cache_flags(disk->cache, &cache) && json_add(o, "cache", cache_object(&cache)) < 0)
		return NULL;
	/* As libvirt's -blockdev: the chain comes from the definition
	 * (<backingStore>), each qcow2 node names the one below; the last
	 * has "backing": null, since QEMU would otherwise open whatever
	 * host path the image header names. */
	if (l->format == DISK_FORMAT_QCOW2) {
		if (backing ? json_add_string(o, "backing", backing) < 0
			    : json_object_object_add(o, "backing", NULL) < 0)
			return NULL;
	}
	return TAKE_PTR(o);
}

/* The storage and format nodes of layer i. */
static int layer_props(const DiskDef *disk, size_t i, json_object **ret_storage, json_object **ret_format)
{
	char storage_name[QEMU_NODE_NAME_MAX], format_name[QEMU_NODE_NAME_MAX];
	char below_storage[QEMU_NODE_NAME_MAX], below_format[QEMU_NODE_NAME_MAX];
	Layer l = disk_layer(disk, i);

	layer_node_names(disk->info.alias, i, storage_name, format_name);
	bool has_below = i < disk->n_backing;
	if (has_below)
		layer_node_names(disk->info.alias, i + 1, below_storage, below_format);

	_cleanup_(json_object_putp) json_object *storage = storage_node(disk, &l, storage_name);
	_cleanup_(json_object_putp) json_object *format =
		format_node(disk, &l, format_name, storage_name, has_below ? below_format : NULL);
	if (!storage || !format)
		return -ENOMEM;
	*ret_storage = TAKE_PTR(storage);
	*ret_format = TAKE_PTR(format);
	return 0;
}

int qemu_disk_blockdev_props(const DiskDef *disk, json_object **ret_storage, json_object **ret_format,
			     ZvError *err)
{
	int r = check_disk(disk, err);
	if (r < 0)
		return r;
	*ret_storage = *ret_format = NULL;
	if (!disk->source)
		return 0; /* an empty cdrom */
	if (layer_props(disk, 0, ret_storage, ret_format) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	return 0;
}

int qemu_disk_blockdev_chain(const DiskDef *disk, json_object **ret, ZvError *err)
{
	int r = check_disk(disk, err);
	if (r < 0)
		return r;
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	if (!a)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	/* The deepest layer first: a format node names the one below it,
	 * which must exist by then (libvirt's order too). */
	for (size_t i = disk->source ? disk->n_backing + 1 : 0; i-- > 0;) {
		json_object *storage = NULL, *format = NULL;
		if (layer_props(disk, i, &storage, &format) < 0 || json_object_array_add(a, storage) < 0 ||
		    json_object_array_add(a, format) < 0)
			return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	*ret = TAKE_PTR(a);
	return 0;
}

int add_devno(json_object *o, const CcwAddress *a)
{
	if (!a->assigned)
		return 0; /* QEMU picks the next free one */
	_cleanup_free_ char *devno = devno_string(a);
	return devno ? json_add_string(o, "devno", devno) : -ENOMEM;
}

/* How libvirt maps the policies (qemuBuildDiskGetErrorPolicy): rerror
 * follows error_policy unless given; enospace is QEMU's werror=enospc
 * and leaves rerror to rerror_policy (QEMU's default, report). */
static void error_policies(const DiskDef *disk, const char **werror, const char **rerror)
{
	static const char *const qemu_names[_DISK_ERROR_POLICY_MAX] = {
		[DISK_ERROR_POLICY_STOP] = "stop",
		[DISK_ERROR_POLICY_REPORT] = "report",
		[DISK_ERROR_POLICY_IGNORE] = "ignore",
		[DISK_ERROR_POLICY_ENOSPACE] = "enospc",
	};
	*werror = disk->error_policy > 0 && disk->error_policy < _DISK_ERROR_POLICY_MAX
			  ? qemu_names[disk->error_policy]
			  : NULL;
	*rerror = disk->rerror_policy > 0 && disk->rerror_policy < _DISK_ERROR_POLICY_MAX
			  ? qemu_names[disk->rerror_policy]
			  : NULL;
	if (disk->error_policy != DISK_ERROR_POLICY_ENOSPACE && !*rerror)
		*rerror = *werror;
}

/* bus, channel, scsi-id, lun of a device at a drive address on the
 * virtio-scsi controller whose alias is given: libvirt's virtio-scsi
 * addressing (the controller's one bus, "<alias>.0"). */
static int add_scsi_address(json_object *o, const char *controller_alias, const DriveAddress *a)
{
	_cleanup_free_ char *bus = strdup_printf("%s.0", controller_alias);
	if (!bus || json_add_string(o, "bus", bus) < 0 || json_add_int(o, "channel", a->bus) < 0 ||
	    json_add_int(o, "scsi-id", a->target) < 0 || json_add_int(o, "lun", a->unit) < 0)
		return -ENOMEM;
	return 0;
}

/* The alias of SCSI controller index, or of the one libvirt would name
 * (scsi<index>) when def is NULL. */
static int controller_alias(const DomainDef *def, unsigned index, char buf[static 32], const char **ret,
			    const char *what, ZvError *err)
{
	if (!def) {
		snprintf(buf, 32, "scsi%u", index);
		*ret = buf;
		return 0;
	}
	const ControllerDef *k = domain_def_find_controller(def, CONTROLLER_TYPE_SCSI, index);
	if (!k)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "%s: no SCSI controller %u",
				    what, index);
	if (!k->info.alias)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "SCSI controller %u has no alias (a live definition gets them from "
				    "domain_def_assign_aliases())",
				    index);
	*ret = k->info.alias;
	return 0;
}

int qemu_disk_device_props_in(const DomainDef *def, const DiskDef *disk, json_object **ret, ZvError *err)
{
	char storage_name[QEMU_NODE_NAME_MAX], format_name[QEMU_NODE_NAME_MAX], cbuf[32];
	const char *werror, *rerror, *bus_alias = NULL;
	CacheFlags cache;
	bool scsi = disk->bus == DISK_BUS_SCSI;

	int r = check_disk(disk, err);
	if (r < 0)
		return r;
	(void)qemu_disk_node_names(disk->info.alias, storage_name, format_name); /* checked */
	if (scsi) {
		char what[64];
		snprintf(what, sizeof(what), "Disk '%s'", disk->target);
		r = controller_alias(def, disk->info.drive.controller, cbuf, &bus_alias, what, err);
		if (r < 0)
			return r;
	}
	error_policies(disk, &werror, &rerror);

	/* libvirt's qemuBuildDiskDeviceProps, in its order. */
	char iothread[QEMU_IOTHREAD_ID_MAX];
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	_cleanup_free_ char *device_id =
		scsi && !disk->serial ? strdup_printf("drive-%s", disk->info.alias) : NULL;
	const char *driver = !scsi                               ? "virtio-blk-ccw"
			     : disk->device == DISK_DEVICE_CDROM ? "scsi-cd"
								 : "scsi-hd";
	if (!o || (scsi && !disk->serial && !device_id) || json_add_string(o, "driver", driver) < 0 ||
	    /* A SCSI disk's thread is its controller's. */
	    (!scsi && disk->iothread &&
	     json_add_string(o, "iothread", qemu_iothread_id(disk->iothread, iothread)) < 0) ||
	    (!scsi && add_devno(o, &disk->info.address) < 0) ||
	    (scsi && add_scsi_address(o, bus_alias, &disk->info.drive) < 0) ||
	    /* The guest's VPD page 0x83 id: libvirt keeps the -drive era name. */
	    (device_id && json_add_string(o, "device_id", device_id) < 0) ||
	    (disk->shareable && json_add_bool(o, "share-rw", true) < 0) ||
	    (disk->source && json_add_string(o, "drive", format_name) < 0) ||
	    json_add_string(o, "id", disk->info.alias) < 0 ||
	    (disk->info.boot_order > 0 && json_add_int(o, "bootindex", disk->info.boot_order) < 0) ||
	    (disk->logical_block_size &&
	     json_add_int(o, "logical_block_size", disk->logical_block_size) < 0) ||
	    (disk->physical_block_size &&
	     json_add_int(o, "physical_block_size", disk->physical_block_size) < 0) ||
	    (disk_cache_flags(disk->cache, &cache) &&
	     json_add_string(o, "write-cache", cache.write_cache ? "on" : "off") < 0) ||
	    (disk->geometry_cyls && (json_add_int(o, "cyls", disk->geometry_cyls) < 0 ||
				     json_add_int(o, "heads", disk->geometry_heads) < 0 ||
				     json_add_int(o, "secs", disk->geometry_secs) < 0)) ||
	    (disk->serial && json_add_string(o, "serial", disk->serial) < 0) ||
	    (werror && json_add_string(o, "werror", werror) < 0) ||
	    (rerror && json_add_string(o, "rerror", rerror) < 0))
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*ret = TAKE_PTR(o);
	return 0;
}

int qemu_disk_device_props(const DiskDef *disk, json_object **ret, ZvError *err)
{
	return qemu_disk_device_props_in(NULL, disk, ret, err);
}

int add_disk(Argv *a, const DomainDef *def, const DiskDef *disk, ZvError *err)
{
	_cleanup_(json_object_putp) json_object *chain = NULL, *device = NULL;

	int r = qemu_disk_blockdev_chain(disk, &chain, err);
	if (r < 0)
		return r;
	r = qemu_disk_device_props_in(def, disk, &device, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < json_object_array_length(chain); i++)
		argv_add_pair(a, "-blockdev", json_to_arg(json_object_array_get_idx(chain, i)));
	argv_add_pair(a, "-device", device_props_to_opts(device));
	return 0;
}

/* --- controllers -------------------------------------------------------- */

int qemu_controller_device_props(const ControllerDef *cont, json_object **ret, ZvError *err)
{
	*ret = NULL;
	if (cont->type == CONTROLLER_TYPE_PCI && cont->model == CONTROLLER_MODEL_PCI_ROOT)
		return 0; /* the machine's own: nothing to add */
	if (cont->type != CONTROLLER_TYPE_SCSI || cont->model != CONTROLLER_MODEL_VIRTIO_SCSI)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Controller %u: unsupported type or model", cont->index);
	char what[48];
	snprintf(what, sizeof(what), "SCSI controller %u", cont->index);
	int r = check_alias(&cont->info, what, err);
	if (r < 0)
		return r;
	/* libvirt's order: driver, id, then the address. */
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	if (!o || json_add_string(o, "driver", "virtio-scsi-ccw") < 0 ||
	    json_add_string(o, "id", cont->info.alias) < 0 || add_devno(o, &cont->info.address) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*ret = TAKE_PTR(o);
	return 0;
}

int add_controller(Argv *a, const ControllerDef *cont, ZvError *err)
{
	_cleanup_(json_object_putp) json_object *device = NULL;
	int r = qemu_controller_device_props(cont, &device, err);
	if (r < 0)
		return r;
	if (device)
		argv_add_pair(a, "-device", device_props_to_opts(device));
	return 0;
}

/* --- host devices ------------------------------------------------------- */

int qemu_hostdev_node_name(const char *alias, char name[static QEMU_NODE_NAME_MAX])
{
	if (!alias || strlen(alias) + sizeof("-backend") > QEMU_NODE_NAME_MAX)
		return -ENAMETOOLONG;
	snprintf(name, QEMU_NODE_NAME_MAX, "%s-backend", alias);
	return 0;
}

static int check_hostdev(const HostdevDef *h, ZvError *err)
{
	char what[64], node[QEMU_NODE_NAME_MAX];
	snprintf(what, sizeof(what), "Host device %s:%u:%u:%" PRIu64, h->adapter ? h->adapter : "?",
		 h->host_bus, h->host_target, h->host_unit);
	int r = check_alias(&h->info, what, err);
	if (r < 0)
		return r;
	if (qemu_hostdev_node_name(h->info.alias, node) < 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "%s: alias '%s' is too long",
				    what, h->info.alias);
	if (!h->info.drive.assigned)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%s has no SCSI address (the parse assigns one)", what);
	if (!h->live_sg_path)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%s: its /dev/sg node is not known (resolved when the domain starts)",
				    what);
	return 0;
}

int qemu_hostdev_blockdev_props(const HostdevDef *h, json_object **ret, ZvError *err)
{
	char node[QEMU_NODE_NAME_MAX];
	int r = check_hostdev(h, err);
	if (r < 0)
		return r;
	(void)qemu_hostdev_node_name(h->info.alias, node); /* checked */
	/* libvirt's hostdev backend: no cache, no discard, no auto-read-only. */
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	if (!o || json_add_string(o, "driver", "host_device") < 0 ||
	    json_add_string(o, "filename", h->live_sg_path) < 0 ||
	    json_add_string(o, "node-name", node) < 0 || json_add_bool(o, "read-only", h->readonly) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*ret = TAKE_PTR(o);
	return 0;
}

int qemu_hostdev_device_props(const DomainDef *def, const HostdevDef *h, json_object **ret, ZvError *err)
{
	char node[QEMU_NODE_NAME_MAX], cbuf[32], what[64];
	const char *bus_alias = NULL;
	int r = check_hostdev(h, err);
	if (r < 0)
		return r;
	(void)qemu_hostdev_node_name(h->info.alias, node); /* checked */
	snprintf(what, sizeof(what), "Host device '%s'", h->info.alias);
	r = controller_alias(def, h->info.drive.controller, cbuf, &bus_alias, what, err);
	if (r < 0)
		return r;
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	if (!o || json_add_string(o, "driver", "scsi-generic") < 0 ||
	    add_scsi_address(o, bus_alias, &h->info.drive) < 0 || json_add_string(o, "drive", node) < 0 ||
	    json_add_string(o, "id", h->info.alias) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*ret = TAKE_PTR(o);
	return 0;
}

int add_hostdev(Argv *a, const DomainDef *def, const HostdevDef *h, ZvError *err)
{
	_cleanup_(json_object_putp) json_object *backend = NULL, *device = NULL;
	int r = qemu_hostdev_blockdev_props(h, &backend, err);
	if (r < 0)
		return r;
	r = qemu_hostdev_device_props(def, h, &device, err);
	if (r < 0)
		return r;
	argv_add_pair(a, "-blockdev", json_to_arg(backend));
	argv_add_pair(a, "-device", device_props_to_opts(device));
	return 0;
}
