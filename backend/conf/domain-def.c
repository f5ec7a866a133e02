/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The definition model's own operations: the enum strings, freeing, the
 * copy (through the XML), and the orders and names the model defines
 * (disk targets, ccw address strings). */
#include "conf/domain-def.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "xml-internal.h"

/* One table per enum, indexed by value; the strings are libvirt's. */
#define DEFINE_STRING_TABLE(name, type, max, ...)                               \
	static const char *const name##_table[max] = {__VA_ARGS__};             \
	const char *name##_to_string(type v)                                    \
	{                                                                       \
		if ((int)v < 0 || (int)v >= (int)(max))                         \
			return NULL;                                            \
		return name##_table[v];                                         \
	}                                                                       \
	int name##_from_string(const char *s)                                   \
	{                                                                       \
		if (!s)                                                         \
			return -EINVAL;                                         \
		for (int i = 0; i < (int)(max); i++)                            \
			if (name##_table[i] && strcmp(name##_table[i], s) == 0) \
				return i;                                       \
		return -EINVAL;                                                 \
	}

/* clang-format off */
DEFINE_STRING_TABLE(net_type, NetType, _NET_TYPE_MAX,
		    [NET_TYPE_DIRECT] = "direct",
		    [NET_TYPE_BRIDGE] = "bridge")
DEFINE_STRING_TABLE(macvtap_mode, MacvtapMode, _MACVTAP_MODE_MAX,
		    [MACVTAP_MODE_VEPA] = "vepa",
		    [MACVTAP_MODE_BRIDGE] = "bridge",
		    [MACVTAP_MODE_PRIVATE] = "private",
		    [MACVTAP_MODE_PASSTHROUGH] = "passthrough")
DEFINE_STRING_TABLE(net_model, NetModel, _NET_MODEL_MAX,
		    [NET_MODEL_VIRTIO] = "virtio")
DEFINE_STRING_TABLE(virtualport_type, VirtualPortType, _VIRTUALPORT_MAX,
		    [VIRTUALPORT_NONE] = "none",
		    [VIRTUALPORT_OPENVSWITCH] = "openvswitch")
DEFINE_STRING_TABLE(domain_virt_type, DomainVirtType, _DOMAIN_VIRT_MAX,
		    [DOMAIN_VIRT_KVM] = "kvm",
		    [DOMAIN_VIRT_QEMU] = "qemu")

DEFINE_STRING_TABLE(lifecycle_action, LifecycleAction, _LIFECYCLE_ACTION_MAX,
		    [LIFECYCLE_ACTION_DESTROY] = "destroy",
		    [LIFECYCLE_ACTION_RESTART] = "restart",
		    [LIFECYCLE_ACTION_PRESERVE] = "preserve",
		    [LIFECYCLE_ACTION_RENAME_RESTART] = "rename-restart",
		    [LIFECYCLE_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
		    [LIFECYCLE_ACTION_COREDUMP_RESTART] = "coredump-restart")

DEFINE_STRING_TABLE(disk_type, DiskType, _DISK_TYPE_MAX,
		    [DISK_TYPE_FILE] = "file",
		    [DISK_TYPE_BLOCK] = "block")

DEFINE_STRING_TABLE(disk_device, DiskDevice, _DISK_DEVICE_MAX,
		    [DISK_DEVICE_DISK] = "disk",
		    [DISK_DEVICE_CDROM] = "cdrom")

DEFINE_STRING_TABLE(disk_format, DiskFormat, _DISK_FORMAT_MAX,
		    [DISK_FORMAT_RAW] = "raw",
		    [DISK_FORMAT_QCOW2] = "qcow2")

DEFINE_STRING_TABLE(disk_cache, DiskCache, _DISK_CACHE_MAX,
		    [DISK_CACHE_DEFAULT] = "default",
		    [DISK_CACHE_NONE] = "none",
		    [DISK_CACHE_WRITETHROUGH] = "writethrough",
		    [DISK_CACHE_WRITEBACK] = "writeback",
		    [DISK_CACHE_DIRECTSYNC] = "directsync",
		    [DISK_CACHE_UNSAFE] = "unsafe")

DEFINE_STRING_TABLE(disk_io, DiskIO, _DISK_IO_MAX,
		    [DISK_IO_DEFAULT] = "default",
		    [DISK_IO_NATIVE] = "native",
		    [DISK_IO_THREADS] = "threads")

DEFINE_STRING_TABLE(disk_bus, DiskBus, _DISK_BUS_MAX,
		    [DISK_BUS_VIRTIO] = "virtio",
		    [DISK_BUS_SCSI] = "scsi")

DEFINE_STRING_TABLE(disk_error_policy, DiskErrorPolicy, _DISK_ERROR_POLICY_MAX,
		    [DISK_ERROR_POLICY_DEFAULT] = "default",
		    [DISK_ERROR_POLICY_STOP] = "stop",
		    [DISK_ERROR_POLICY_REPORT] = "report",
		    [DISK_ERROR_POLICY_IGNORE] = "ignore",
		    [DISK_ERROR_POLICY_ENOSPACE] = "enospace")

DEFINE_STRING_TABLE(disk_startup_policy, DiskStartupPolicy, _DISK_STARTUP_POLICY_MAX,
		    [DISK_STARTUP_POLICY_DEFAULT] = "default",
		    [DISK_STARTUP_POLICY_MANDATORY] = "mandatory",
		    [DISK_STARTUP_POLICY_REQUISITE] = "requisite",
		    [DISK_STARTUP_POLICY_OPTIONAL] = "optional")

DEFINE_STRING_TABLE(disk_geometry_trans, DiskGeometryTrans, _DISK_GEOMETRY_TRANS_MAX,
		    [DISK_GEOMETRY_TRANS_DEFAULT] = "default",
		    [DISK_GEOMETRY_TRANS_NONE] = "none",
		    [DISK_GEOMETRY_TRANS_AUTO] = "auto",
		    [DISK_GEOMETRY_TRANS_LBA] = "lba")

DEFINE_STRING_TABLE(controller_type, ControllerType, _CONTROLLER_TYPE_MAX,
		    [CONTROLLER_TYPE_SCSI] = "scsi",
		    [CONTROLLER_TYPE_PCI] = "pci")

DEFINE_STRING_TABLE(controller_model, ControllerModel, _CONTROLLER_MODEL_MAX,
		    [CONTROLLER_MODEL_VIRTIO_SCSI] = "virtio-scsi",
		    [CONTROLLER_MODEL_PCI_ROOT] = "pci-root")

DEFINE_STRING_TABLE(console_type, ConsoleType, _CONSOLE_TYPE_MAX,
		    [CONSOLE_TYPE_PTY] = "pty",
		    [CONSOLE_TYPE_FILE] = "file",
		    [CONSOLE_TYPE_UNIX] = "unix")

DEFINE_STRING_TABLE(console_target, ConsoleTarget, _CONSOLE_TARGET_MAX,
		    [CONSOLE_TARGET_SCLP] = "sclp",
		    [CONSOLE_TARGET_SCLPLM] = "sclplm")

DEFINE_STRING_TABLE(memballoon_model, MemballoonModel, _MEMBALLOON_MODEL_MAX,
		    [MEMBALLOON_MODEL_VIRTIO] = "virtio",
		    [MEMBALLOON_MODEL_NONE] = "none")

DEFINE_STRING_TABLE(watchdog_model, WatchdogModel, _WATCHDOG_MODEL_MAX,
		    [WATCHDOG_MODEL_DIAG288] = "diag288")

DEFINE_STRING_TABLE(watchdog_action, WatchdogAction, _WATCHDOG_ACTION_MAX,
		    [WATCHDOG_ACTION_RESET] = "reset",
		    [WATCHDOG_ACTION_SHUTDOWN] = "shutdown",
		    [WATCHDOG_ACTION_POWEROFF] = "poweroff",
		    [WATCHDOG_ACTION_PAUSE] = "pause",
		    [WATCHDOG_ACTION_DUMP] = "dump",
		    [WATCHDOG_ACTION_INJECT_NMI] = "inject-nmi",
		    [WATCHDOG_ACTION_NONE] = "none")

DEFINE_STRING_TABLE(rng_model, RngModel, _RNG_MODEL_MAX,
		    [RNG_MODEL_VIRTIO] = "virtio")

DEFINE_STRING_TABLE(rng_backend, RngBackendModel, _RNG_BACKEND_MAX,
		    [RNG_BACKEND_RANDOM] = "random")
/* clang-format on */

void disk_def_clear(DiskDef *disk)
{
	if (!disk)
		return;
	free(disk->source);
	free(disk->target);
	free(disk->serial);
	for (size_t i = 0; i < disk->n_backing; i++)
		free(disk->backing[i].source);
	free(disk->backing);
	device_info_clear(&disk->info);
	*disk = (DiskDef){};
}

void controller_def_clear(ControllerDef *c)
{
	if (!c)
		return;
	device_info_clear(&c->info);
	*c = (ControllerDef){};
}

void hostdev_def_clear(HostdevDef *h)
{
	if (!h)
		return;
	free(h->adapter);
	free(h->live_sg_path);
	device_info_clear(&h->info);
	*h = (HostdevDef){};
}

void interface_def_clear(InterfaceDef *net)
{
	if (!net)
		return;
	free(net->source_dev);
	free(net->source_bridge);
	free(net->target_dev);
	device_info_clear(&net->info);
	*net = (InterfaceDef){};
}

const char *net_ifname_problem(const char *name)
{
	size_t len = strlen(name);
	if (len == 0)
		return "it is empty";
	if (len > NET_IFNAME_MAX)
		return "it is longer than 15 bytes";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "it is '.' or '..'";
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || *p == '%' || (unsigned char)*p <= ' ' ||
		    (unsigned char)*p >= 0x7f)
			return "it has '/', ':', '%', white space or a character that is not ASCII";
	return NULL;
}

char *net_mac_to_string(const uint8_t mac[static NET_MAC_SIZE], char buf[static NET_MAC_STRING_MAX])
{
	snprintf(buf, NET_MAC_STRING_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int net_mac_parse(const char *s, uint8_t ret[static NET_MAC_SIZE])
{
	uint8_t mac[NET_MAC_SIZE];
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < NET_MAC_SIZE; i++) {
		int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);
		if (lo < 0)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i + 1 < NET_MAC_SIZE) {
			if (*s != ':' && *s != '-')
				return -EINVAL;
			s++;
		}
	}
	if (*s)
		return -EINVAL;
	memcpy(ret, mac, NET_MAC_SIZE);
	return 0;
}

int net_mac_generate(uint8_t ret[static NET_MAC_SIZE])
{
	sd_id128_t rnd;
	int r = sd_id128_randomize(&rnd);
	if (r < 0)
		return r;
	const uint8_t prefix[] = {NET_MAC_GENERATED_PREFIX};
	memcpy(ret, prefix, sizeof(prefix));
	memcpy(ret + sizeof(prefix), rnd.bytes, NET_MAC_SIZE - sizeof(prefix));
	return 0;
}

InterfaceDef *domain_def_find_interface_by_mac(const DomainDef *def, const uint8_t mac[static NET_MAC_SIZE])
{
	for (size_t i = 0; i < def->n_interfaces; i++)
		if (memcmp(def->interfaces[i].mac, mac, NET_MAC_SIZE) == 0)
			return &def->interfaces[i];
	return NULL;
}

void console_def_clear(ConsoleDef *console)
{
	if (!console)
		return;
	free(console->source_path);
	free(console->log_file);
	free(console->live_pty_path);
	device_info_clear(&console->info);
	*console = (ConsoleDef){};
}

WatchdogDef *watchdog_def_free(WatchdogDef *w)
{
	if (!w)
		return NULL;
	device_info_clear(&w->info);
	free(w);
	return NULL;
}

RngDef *rng_def_free(RngDef *rng)
{
	if (!rng)
		return NULL;
	free(rng->source);
	device_info_clear(&rng->info);
	free(rng);
	return NULL;
}

DomainDef *domain_def_free(DomainDef *def)
{
	if (!def)
		return NULL;

	free(def->name);
	free(def->title);
	free(def->description);
	free(def->os_arch);
	free(def->os_machine);
	free(def->os_kernel);
	free(def->os_initrd);
	free(def->os_cmdline);
	free(def->emulator);
	for (size_t i = 0; i < def->n_disks; i++)
		disk_def_clear(&def->disks[i]);
	free(def->disks);
	for (size_t i = 0; i < def->n_controllers; i++)
		controller_def_clear(&def->controllers[i]);
	free(def->controllers);
	for (size_t i = 0; i < def->n_hostdevs; i++)
		hostdev_def_clear(&def->hostdevs[i]);
	free(def->hostdevs);
	for (size_t i = 0; i < def->n_interfaces; i++)
		interface_def_clear(&def->interfaces[i]);
	free(def->interfaces);
	for (size_t i = 0; i < def->n_consoles; i++)
		console_def_clear(&def->consoles[i]);
	free(def->consoles);
	free(def->iothreads);
	device_info_clear(&def->memballoon.info);
	watchdog_def_free(def->watchdog);
	rng_def_free(def->rng);
	free(def);
	return NULL;
}

DomainDef *domain_def_copy(const DomainDef *def)
{
	ZvError err = ZV_ERROR_INIT;
	DomainDef *copy = NULL;

	if (!def)
		return NULL;

	/* Through the XML, as libvirt's virDomainDefCopy: the formatter is
	 * the one place that writes every field, so a field added to the
	 * model cannot be forgotten here. Live values are written and kept
	 * (FORMAT without INACTIVE, PARSE_LIVE); NO_DEFAULTS keeps the parse
	 * from filling in anything def does not have (a uuid, addresses). */
	_cleanup_free_ char *xml = domain_def_format(def, 0, 0);
	if (!xml)
		return NULL;
	int r = domain_def_parse_any_size(xml, strlen(xml), NULL,
					  DOMAIN_XML_PARSE_LIVE | DOMAIN_XML_PARSE_NO_DEFAULTS, &copy, &err);
	if (r < 0) {
		/* What the formatter writes always parses: this is a bug. */
		if (r != -ENOMEM)
			log_error("Cannot copy the definition of domain '%s': %s",
				  def->name ? def->name : "?", err.message);
		return NULL;
	}
	return copy;
}

int disk_target_compare(const char *a, const char *b)
{
	/* vda < vdz < vdaa: libvirt's disk index order, which is length
	 * first and then alphabetical for names of the vd[a-z]+ shape. */
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
	if (la != lb)
		return la < lb ? -1 : 1;
	if (la == 0)
		return 0;
	return strcmp(a, b);
}

int disk_target_index(const char *target)
{
	/* Two letters of prefix (vd, sd), then a bijective base-26 number:
	 * a..z are 0..25, aa is 26. */
	if (!target || strlen(target) < 3)
		return -EINVAL;
	long idx = 0;
	for (const char *p = target + 2; *p; p++) {
		if (*p < 'a' || *p > 'z')
			return -EINVAL;
		idx = idx * 26 + (*p - 'a' + 1);
		if (idx > INT32_MAX / 26)
			return -EINVAL;
	}
	return (int)(idx - 1);
}

ControllerDef *domain_def_find_controller(const DomainDef *def, ControllerType type, unsigned index)
{
	for (size_t i = 0; i < def->n_controllers; i++)
		if (def->controllers[i].type == type && def->controllers[i].index == index)
			return &def->controllers[i];
	return NULL;
}

char *ccw_address_to_string(const CcwAddress *a, char buf[static CCW_ADDRESS_STRING_MAX])
{
	snprintf(buf, CCW_ADDRESS_STRING_MAX, "%x.%x.%04x", (unsigned)a->cssid, (unsigned)a->ssid,
		 (unsigned)a->devno);
	return buf;
}
