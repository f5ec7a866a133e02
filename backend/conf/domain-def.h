/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The domain definition: what the XML says (after defaults are filled),
 * nothing about a running instance. Produced by domain_def_parse() in
 * domain-xml.c, turned into QEMU's argv by qemu/cmdline.c, formatted back by
 * domain_def_format(). Sizes in KiB as libvirt keeps them. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-id128.h>

#include "conf/device-info.h"
#include "util/cleanup.h"

typedef enum DomainVirtType {
	DOMAIN_VIRT_KVM,  /* type='kvm': KVM, or TCG when Accelerator=tcg */
	DOMAIN_VIRT_QEMU, /* type='qemu': always TCG */
	_DOMAIN_VIRT_MAX,
} DomainVirtType;

/* on_poweroff / on_reboot / on_crash values (libvirt's names). */
typedef enum LifecycleAction {
	LIFECYCLE_ACTION_DESTROY,
	LIFECYCLE_ACTION_RESTART,
	LIFECYCLE_ACTION_PRESERVE,
	LIFECYCLE_ACTION_RENAME_RESTART,
	LIFECYCLE_ACTION_COREDUMP_DESTROY,
	LIFECYCLE_ACTION_COREDUMP_RESTART,
	_LIFECYCLE_ACTION_MAX,
} LifecycleAction;

typedef enum DiskType {
	DISK_TYPE_FILE,
	DISK_TYPE_BLOCK,
	_DISK_TYPE_MAX,
} DiskType;

typedef enum DiskDevice {
	DISK_DEVICE_DISK,
	DISK_DEVICE_CDROM,
	_DISK_DEVICE_MAX,
} DiskDevice;

typedef enum DiskFormat {
	DISK_FORMAT_RAW,
	DISK_FORMAT_QCOW2,
	_DISK_FORMAT_MAX,
} DiskFormat;

typedef enum DiskCache {
	DISK_CACHE_DEFAULT, /* attribute absent */
	DISK_CACHE_NONE,
	DISK_CACHE_WRITETHROUGH,
	DISK_CACHE_WRITEBACK,
	DISK_CACHE_DIRECTSYNC,
	DISK_CACHE_UNSAFE,
	_DISK_CACHE_MAX,
} DiskCache;

typedef enum DiskIO {
	DISK_IO_DEFAULT, /* attribute absent */
	DISK_IO_NATIVE,
	DISK_IO_THREADS,
	_DISK_IO_MAX,
} DiskIO;

typedef enum DiskBus {
	DISK_BUS_VIRTIO,
	DISK_BUS_SCSI, /* on a virtio-scsi controller: sda, sdb, ... */
	_DISK_BUS_MAX,
} DiskBus;

/* <driver error_policy= rerror_policy=>; DEFAULT: attribute absent. */
typedef enum DiskErrorPolicy {
	DISK_ERROR_POLICY_DEFAULT,
	DISK_ERROR_POLICY_STOP,
	DISK_ERROR_POLICY_REPORT,
	DISK_ERROR_POLICY_IGNORE,
	DISK_ERROR_POLICY_ENOSPACE, /* error_policy only */
	_DISK_ERROR_POLICY_MAX,
} DiskErrorPolicy;

/* <source startupPolicy=>: what a start does when the source is missing. */
typedef enum DiskStartupPolicy {
	DISK_STARTUP_POLICY_DEFAULT,   /* absent: as mandatory */
	DISK_STARTUP_POLICY_MANDATORY, /* the start fails */
	DISK_STARTUP_POLICY_REQUISITE, /* a cold boot fails, a restore drops it (cdrom) */
	DISK_STARTUP_POLICY_OPTIONAL,  /* dropped at any start */
	_DISK_STARTUP_POLICY_MAX,
} DiskStartupPolicy;

/* <geometry trans=>: BIOS CHS translation, an IDE-only QEMU property. */
typedef enum DiskGeometryTrans {
	DISK_GEOMETRY_TRANS_DEFAULT,
	DISK_GEOMETRY_TRANS_NONE,
	DISK_GEOMETRY_TRANS_AUTO,
	DISK_GEOMETRY_TRANS_LBA,
	_DISK_GEOMETRY_TRANS_MAX,
} DiskGeometryTrans;

/* One layer below a disk's image: <backingStore type='file'> with its
 * <format type=> and <source file=>. */
typedef struct DiskBackingStore {
	DiskType type; /* file: <source file=>; block: <source dev=> */
	DiskFormat format;
	char *source;
} DiskBackingStore;

typedef struct DiskDef {
	DiskType type;
	DiskDevice device;
	DiskFormat format;
	DiskCache cache;
	DiskIO io;
	DiskErrorPolicy error_policy;
	DiskErrorPolicy rerror_policy;
	char *source; /* file= or dev=; NULL for an empty cdrom */
	DiskStartupPolicy startup_policy;
	char *target; /* vda, vdb, ... unique per domain */
	DiskBus bus;
	bool readonly; /* always set for a cdrom, as libvirt forces it */
	bool shareable;
	char *serial;
	/* <geometry>: 0 when absent (cyls, heads and secs come together). */
	unsigned geometry_cyls, geometry_heads, geometry_secs;
	DiskGeometryTrans geometry_trans;
	/* <blockio>, bytes; 0 when absent. */
	unsigned logical_block_size, physical_block_size;
	/* The chain below the image, top first (<backingStore> nesting).
	 * backing_terminated: it ends in an empty <backingStore/>, so the
	 * chain is complete; without it libvirt would look into the image
	 * (zvirtd does not: the last layer has no backing). */
	DiskBackingStore *backing;
	size_t n_backing;
	bool backing_terminated;
	unsigned iothread; /* <driver iothread='N'>: one of the domain's I/O threads; 0: none */
	DeviceInfo info;   /* alias, ccw or drive address, boot order */
} DiskDef;

typedef enum ControllerType {
	CONTROLLER_TYPE_SCSI,
	CONTROLLER_TYPE_PCI,
	_CONTROLLER_TYPE_MAX,
} ControllerType;

typedef enum ControllerModel {
	CONTROLLER_MODEL_VIRTIO_SCSI, /* type scsi: virtio-scsi-ccw */
	CONTROLLER_MODEL_PCI_ROOT,    /* type pci, index 0: nothing on the command line */
	_CONTROLLER_MODEL_MAX,
} ControllerModel;

typedef struct ControllerDef {
	ControllerType type;
	ControllerModel model;
	unsigned index;
	/* Added by the parse because a disk or hostdev names it (libvirt's
	 * implicit controllers); formatted like any other. */
	bool implicit;
	DeviceInfo info; /* alias; ccw address of a SCSI controller */
} ControllerDef;

/* <hostdev mode='subsystem' type='scsi'>: a host SCSI device (tape,
 * medium changer) passed through as scsi-generic. */
typedef struct HostdevDef {
	char *adapter; /* scsi_hostN */
	unsigned host_bus, host_target;
	uint64_t host_unit;
	bool managed;  /* managed='yes' (kept; meaningless for SCSI) */
	int rawio;     /* -1 absent, 0 no */
	bool sgio_set; /* sgio='filtered' given */
	bool readonly;
	bool shareable;
	/* Live only, never formatted: the /dev/sgN the host address
	 * resolved to when the domain started (host/scsi-host.h). */
	char *live_sg_path;
	DeviceInfo info; /* alias, drive address on a virtio-scsi controller */
} HostdevDef;

/* <interface type=>: how the guest's NIC reaches the host. */
typedef enum NetType {
	NET_TYPE_DIRECT, /* a macvtap link on a host interface */
	NET_TYPE_BRIDGE, /* a tap device on a Linux or Open vSwitch bridge */
	_NET_TYPE_MAX,
} NetType;

/* <source mode=> of a direct interface: the macvtap mode. libvirt's
 * default is vepa. */
typedef enum MacvtapMode {
	MACVTAP_MODE_VEPA,
	MACVTAP_MODE_BRIDGE,
	MACVTAP_MODE_PRIVATE,
	MACVTAP_MODE_PASSTHROUGH,
	_MACVTAP_MODE_MAX,
} MacvtapMode;

typedef enum NetModel {
	NET_MODEL_VIRTIO, /* virtio-net-ccw; libvirt's default on s390x */
	_NET_MODEL_MAX,
} NetModel;

typedef enum VirtualPortType {
	VIRTUALPORT_NONE,
	VIRTUALPORT_OPENVSWITCH, /* <virtualport type='openvswitch'/> */
	_VIRTUALPORT_MAX,
} VirtualPortType;

/* The kernel's IFNAMSIZ less its NUL. */
#define NET_IFNAME_MAX 15
/* The host-side names the daemon makes up (macvtap0, vnet0), which an
 * inactive definition does not keep (libvirt's rule). */
#define NET_TARGET_PREFIX_MACVTAP "macvtap"
#define NET_TARGET_PREFIX_TAP     "vnet"
/* <mtu size=>: the kernel's range for Ethernet links. */
#define NET_MTU_MIN 68
#define NET_MTU_MAX 65535

#define NET_MAC_SIZE 6
/* "52:54:00:6a:0b:53" and its NUL */
#define NET_MAC_STRING_MAX 18
/* libvirt's (QEMU's) prefix for generated addresses. */
#define NET_MAC_GENERATED_PREFIX 0x52, 0x54, 0x00

typedef struct InterfaceDef {
	NetType type;
	uint8_t mac[NET_MAC_SIZE];
	/* Set by the parse when <mac> was absent: the definer may draw
	 * again when another domain of this host has it. Never formatted. */
	bool mac_generated;
	char *source_dev;    /* direct: the host link; NULL: the DefaultNIC at start */
	MacvtapMode mode;    /* direct */
	char *source_bridge; /* bridge */
	VirtualPortType virtualport;
	/* <virtualport><parameters interfaceid=>: Open vSwitch's iface-id;
	 * generated at define as libvirt does. */
	sd_id128_t interface_id;
	unsigned vlan_tag; /* <vlan><tag id=>: an Open vSwitch access port; 0: none */
	NetModel model;
	/* <target dev=>: the host-side device. The user's name is kept and
	 * used; a name of the daemon's own kind (macvtapN, vnetN) only in
	 * live XML, where it says which link the running domain has. */
	char *target_dev;
	unsigned mtu;    /* <mtu size=>; 0: the link's */
	bool link_down;  /* <link state='down'/> */
	DeviceInfo info; /* alias net<N>, ccw address, boot order */
} InterfaceDef;

typedef enum ConsoleType {
	CONSOLE_TYPE_PTY,
	CONSOLE_TYPE_FILE,
	CONSOLE_TYPE_UNIX,
	_CONSOLE_TYPE_MAX,
} ConsoleType;

typedef enum ConsoleTarget {
	CONSOLE_TARGET_SCLP,   /* the SCLP console, ttysclp0 */
	CONSOLE_TARGET_SCLPLM, /* the SCLP line-mode console, ttysclp1 */
	_CONSOLE_TARGET_MAX,
} ConsoleTarget;

typedef struct ConsoleDef {
	ConsoleType type;
	/* file: the output file; unix: the socket path; pty: NULL in a
	 * definition, the /dev/pts/N path in live XML (live_pty_path). */
	char *source_path;
	bool unix_bind; /* unix: mode='bind' (we listen) vs 'connect' */
	ConsoleTarget target;
	unsigned port; /* always 0 */
	char *log_file;
	bool log_append;
	char *live_pty_path; /* live only: never stored in a definition */
	DeviceInfo info;     /* the alias only: an SCLP console has no address */
} ConsoleDef;

typedef enum MemballoonModel {
	MEMBALLOON_MODEL_VIRTIO,
	MEMBALLOON_MODEL_NONE,
	_MEMBALLOON_MODEL_MAX,
} MemballoonModel;

typedef struct MemballoonDef {
	MemballoonModel model;
	DeviceInfo info; /* alias and ccw address; neither with model none */
} MemballoonDef;

/* One I/O thread (<iothreads>, <iothreadids>): QEMU's iothread<id>. */
typedef struct IOThreadDef {
	unsigned id; /* > 0, unique */
	/* Numbered by the parse (<iothreads>N</iothreads> beyond the listed
	 * ids), not named by the user: <iothreadids> is written only when
	 * some id is not. */
	bool autofill;
} IOThreadDef;
/* An on/off attribute that may be absent (libvirt's virTristateSwitch):
 * absent means QEMU's default, nothing on the command line. */
typedef enum TristateSwitch {
	TRISTATE_ABSENT,
	TRISTATE_ON,
	TRISTATE_OFF,
	_TRISTATE_MAX,
} TristateSwitch;

/* <watchdog model='diag288'>: the s390x watchdog, the only model. */
typedef enum WatchdogModel {
	WATCHDOG_MODEL_DIAG288,
	_WATCHDOG_MODEL_MAX,
} WatchdogModel;

/* What an expired watchdog does (libvirt's names). QEMU carries out all
 * but dump, for which QEMU pauses the guest and the daemon writes a core
 * dump and lets it run again, as libvirt does. */
typedef enum WatchdogAction {
	WATCHDOG_ACTION_RESET, /* the default */
	WATCHDOG_ACTION_SHUTDOWN,
	WATCHDOG_ACTION_POWEROFF,
	WATCHDOG_ACTION_PAUSE,
	WATCHDOG_ACTION_DUMP,
	WATCHDOG_ACTION_INJECT_NMI,
	WATCHDOG_ACTION_NONE,
	_WATCHDOG_ACTION_MAX,
} WatchdogAction;

typedef struct WatchdogDef {
	WatchdogModel model;
	WatchdogAction action;
	DeviceInfo info; /* the alias only: diag288 is no ccw device */
} WatchdogDef;

typedef enum RngModel {
	RNG_MODEL_VIRTIO,
	_RNG_MODEL_MAX,
} RngModel;

typedef enum RngBackendModel {
	RNG_BACKEND_RANDOM, /* a host device QEMU reads: rng-random */
	_RNG_BACKEND_MAX,
} RngBackendModel;

#define RNG_RANDOM_DEVICE "/dev/random"

typedef struct RngDef {
	RngModel model;
	RngBackendModel backend;
	char *source;    /* the host device; only RNG_RANDOM_DEVICE */
	DeviceInfo info; /* alias and ccw address */
} RngDef;

/* <cpu>: what zvirtd runs is QEMU's -cpu host under KVM, which libvirt
 * calls host-passthrough; nothing else is modelled. */
typedef enum CpuMode {
	CPU_MODE_NONE, /* no <cpu> */
	CPU_MODE_HOST_PASSTHROUGH,
	_CPU_MODE_MAX,
} CpuMode;

typedef struct DomainDef {
	DomainVirtType virt_type;
	char *name;
	sd_id128_t uuid;
	char *title;
	char *description;

	uint64_t memory_kib;         /* <memory>, normalised to KiB */
	uint64_t current_memory_kib; /* <currentMemory>; defaults to memory */
	bool dump_core_set;
	bool dump_core;

	unsigned vcpus_max;     /* <vcpu> text; default 1 */
	unsigned vcpus_current; /* current=; default max */

	uint64_t cpu_shares; /* <cputune><shares>, 2..262144; 0: unset (1024) */

	IOThreadDef *iothreads; /* in <iothreadids> order, then the numbered ones */
	size_t n_iothreads;     /* <iothreads> */

	char *os_arch;    /* s390x */
	char *os_machine; /* s390-ccw-virtio or a versioned type */
	char *os_kernel;
	char *os_initrd;
	char *os_cmdline;

	LifecycleAction on_poweroff; /* default destroy */
	LifecycleAction on_reboot;   /* default restart */
	LifecycleAction on_crash;    /* default destroy */

	char *emulator; /* <emulator>; the daemon's Emulator= when absent */

	/* Disks grouped by bus in the order a bus first appears, each group
	 * in target order (libvirt's virDomainDiskInsert). */
	DiskDef *disks;
	size_t n_disks;
	/* Document order, the implicit ones appended (libvirt's order). */
	ControllerDef *controllers;
	size_t n_controllers;
	HostdevDef *hostdevs;
	size_t n_hostdevs;
	InterfaceDef *interfaces; /* document order */
	size_t n_interfaces;
	ConsoleDef *consoles;
	size_t n_consoles;
	MemballoonDef memballoon;

	/* Machine options and the s390x devices beside the disks. */
	TristateSwitch keywrap_aes; /* <keywrap><cipher name='aes'>; absent: QEMU's on */
	TristateSwitch keywrap_dea;
	TristateSwitch bootmenu; /* <os><bootmenu enable='yes|no'> */
	bool bootmenu_timeout_set;
	unsigned bootmenu_timeout; /* ms, 0..65535; only with enable='yes' */
	WatchdogDef *watchdog;     /* at most one; NULL: none */
	RngDef *rng;               /* at most one; NULL: none */
	/* What libvirt's dumpxml prints that describes what zvirtd does
	 * anyway: kept only to be written back (implied-xml.c says why
	 * each one is true). */
	CpuMode cpu_mode;
	bool cpu_check_none;
	bool seclabel_dac;
	bool panic_s390;
	unsigned audio_none_id; /* <audio id='N' type='none'/>; 0: none */
} DomainDef;

DomainDef *domain_def_free(DomainDef *def);
DEFINE_TRIVIAL_CLEANUP_FUNC(DomainDef *, domain_def_free)
/* A deep copy, made through the XML as libvirt's virDomainDefCopy does
 * (format with live values, parse with DOMAIN_XML_PARSE_LIVE and nothing
 * filled in), so that it carries every field the XML does. NULL on
 * ENOMEM, or when def does not parse back (logged: a hand-built def
 * the parser would refuse). */
DomainDef *domain_def_copy(const DomainDef *def);
void disk_def_clear(DiskDef *disk);
void controller_def_clear(ControllerDef *c);
void hostdev_def_clear(HostdevDef *h);
void interface_def_clear(InterfaceDef *net);
/* Why name is not a host link name as the kernel takes it
 * (dev_valid_name: 1 to 15 bytes, no '/', ':' or white space, not "."
 * or ".."; zvirtd also refuses '%' and what is not ASCII), or NULL. */
const char *net_ifname_problem(const char *name);
/* A host-side name of the daemon's own kind (macvtapN, vnetN). */
bool net_target_is_generated(const char *name);
/* "52:54:00:6a:0b:53" */
char *net_mac_to_string(const uint8_t mac[static NET_MAC_SIZE], char buf[static NET_MAC_STRING_MAX]);
/* Six hex pairs separated by ':' (or '-'), case-insensitive; -EINVAL. */
int net_mac_parse(const char *s, uint8_t ret[static NET_MAC_SIZE]);
/* A random address under NET_MAC_GENERATED_PREFIX; negative errno. */
int net_mac_generate(uint8_t ret[static NET_MAC_SIZE]);
/* The interface with that MAC, or NULL. */
InterfaceDef *domain_def_find_interface_by_mac(const DomainDef *def, const uint8_t mac[static NET_MAC_SIZE]);
/* Orders disk targets as libvirt numbers them (vda < vdz < vdaa): the
 * order the parser keeps def->disks in and ccw addresses are assigned. */
int disk_target_compare(const char *a, const char *b);
/* libvirt's virDiskNameToIndex: sda 0, sdz 25, sdaa 26 (any two-letter
 * prefix); -EINVAL for a name that is not prefix + [a-z]+. */
int disk_target_index(const char *target);
/* The controller of that type and index, or NULL. */
ControllerDef *domain_def_find_controller(const DomainDef *def, ControllerType type, unsigned index);
void console_def_clear(ConsoleDef *console);
WatchdogDef *watchdog_def_free(WatchdogDef *w);
RngDef *rng_def_free(RngDef *rng);

/* Strings of the enums, as they appear in XML. *_from_string return -EINVAL. */
const char *domain_virt_type_to_string(DomainVirtType t);
int domain_virt_type_from_string(const char *s);
const char *lifecycle_action_to_string(LifecycleAction a);
int lifecycle_action_from_string(const char *s);
const char *disk_type_to_string(DiskType t);
int disk_type_from_string(const char *s);
const char *disk_device_to_string(DiskDevice d);
int disk_device_from_string(const char *s);
const char *disk_format_to_string(DiskFormat f);
int disk_format_from_string(const char *s);
const char *disk_cache_to_string(DiskCache c);
int disk_cache_from_string(const char *s);
const char *disk_io_to_string(DiskIO io);
int disk_io_from_string(const char *s);
const char *disk_bus_to_string(DiskBus b);
int disk_bus_from_string(const char *s);
const char *disk_error_policy_to_string(DiskErrorPolicy p);
int disk_error_policy_from_string(const char *s);
const char *disk_startup_policy_to_string(DiskStartupPolicy p);
int disk_startup_policy_from_string(const char *s);
const char *disk_geometry_trans_to_string(DiskGeometryTrans t);
int disk_geometry_trans_from_string(const char *s);
const char *controller_type_to_string(ControllerType t);
int controller_type_from_string(const char *s);
const char *controller_model_to_string(ControllerModel m);
int controller_model_from_string(const char *s);
const char *net_type_to_string(NetType t);
int net_type_from_string(const char *s);
const char *macvtap_mode_to_string(MacvtapMode m);
int macvtap_mode_from_string(const char *s);
const char *net_model_to_string(NetModel m);
int net_model_from_string(const char *s);
const char *virtualport_type_to_string(VirtualPortType t);
int virtualport_type_from_string(const char *s);
const char *console_type_to_string(ConsoleType t);
int console_type_from_string(const char *s);
const char *console_target_to_string(ConsoleTarget t);
int console_target_from_string(const char *s);
const char *memballoon_model_to_string(MemballoonModel m);
int memballoon_model_from_string(const char *s);
const char *watchdog_model_to_string(WatchdogModel m);
int watchdog_model_from_string(const char *s);
const char *watchdog_action_to_string(WatchdogAction a);
int watchdog_action_from_string(const char *s);
const char *rng_model_to_string(RngModel m);
int rng_model_from_string(const char *s);
const char *rng_backend_to_string(RngBackendModel b);
int rng_backend_from_string(const char *s);

#define DOMAIN_DEFAULT_CPU_SHARES 1024
/* <cputune><shares> as libvirt and cgroup v1 take it. */
#define DOMAIN_CPU_SHARES_MIN 2
#define DOMAIN_CPU_SHARES_MAX 262144
/* QEMU's limit for s390-ccw-virtio machines (S390_MAX_CPUS). */
#define DOMAIN_VCPUS_MAX 248

/* The vCPUs and memory a guest starts with. 0 in the model means "as
 * many as the maximum" (an absent current= or <currentMemory>): a copy
 * of a live definition keeps that 0. */
static inline unsigned domain_def_current_vcpus(const DomainDef *def)
{
	return def->vcpus_current ? def->vcpus_current : def->vcpus_max;
}

static inline uint64_t domain_def_current_memory_kib(const DomainDef *def)
{
	return def->current_memory_kib ? def->current_memory_kib : def->memory_kib;
}

static inline uint64_t domain_def_cpu_shares(const DomainDef *def)
{
	return def->cpu_shares ? def->cpu_shares : DOMAIN_DEFAULT_CPU_SHARES;
}

/* fe.0.0004 */
#define CCW_ADDRESS_STRING_MAX 16
char *ccw_address_to_string(const CcwAddress *a, char buf[static CCW_ADDRESS_STRING_MAX]);
