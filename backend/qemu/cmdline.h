/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The qemu-system-s390x command line for a domain definition, in the
 * shape libvirt gives it: -blockdev JSON for disks (with their backing
 * chains) and SCSI host devices, virtio-ccw devices at their devno,
 * virtio-scsi controllers with scsi-hd, scsi-cd and scsi-generic on
 * them, SCLP consoles, the diag288 watchdog, the rng with its -object
 * JSON, the machine's key wrapping and loadparm, the boot menu, a QMP
 * monitor, -S so the daemon says when the guest starts. Pure: no files
 * are touched, nothing runs.
 *
 * The *_props builders give hot-plug the very objects the argv carries
 * (blockdev-add and device_add arguments): a device added live looks to
 * QEMU exactly as one on the command line. */

#include <stdbool.h>

#include <json-c/json.h>

#include "conf/domain-def.h"
#include "util/error.h"

/* The fdset of QemuCmdlineParams.default_console_log_fd. */
#define QEMU_FDSET_CONSOLE_LOG 1

/* Used when neither the definition nor the params name an emulator. */
#define QEMU_DEFAULT_EMULATOR "/usr/bin/qemu-system-s390x"

typedef struct QemuCmdlineParams {
	/* accel=kvm and -cpu host; else accel=tcg and -cpu qemu (always
	 * for type='qemu'). */
	bool use_kvm;
	/* A listening socket QEMU inherits under this number, or -1. */
	int qmp_fd;
	/* The socket QEMU creates and listens on when qmp_fd < 0
	 * (DomainXMLToNative shows it). */
	const char *qmp_path;
	/* When the definition has no <emulator>; NULL: QEMU_DEFAULT_EMULATOR. */
	const char *emulator;
	/* The logfile (logappend=off) of the first console that has no
	 * <log> of its own; may be NULL. */
	const char *default_console_log;
	/* Instead of that file, a descriptor QEMU inherits under this number
	 * (a log pump's pipe): -add-fd puts it in fdset
	 * QEMU_FDSET_CONSOLE_LOG and the console's logfile is
	 * /dev/fdset/<that>. Only numbers above 2 count (0, the default:
	 * none), since QEMU's stdio is never passed this way. */
	int default_console_log_fd;
	/* -pidfile: QEMU locks it (lockf) for its whole life and refuses to
	 * start while another process holds it, so one path per domain
	 * means at most one QEMU per domain. May be NULL. */
	const char *pidfile;
	/* One tap descriptor per def->interfaces entry, which QEMU inherits
	 * under that number (the caller keeps them open across the spawn);
	 * NULL, or -1 in it, where there is none (DomainXMLToNative). */
	const int *net_fds;
	/* -incoming defer: the state comes later with migrate-incoming
	 * (a restore, an incoming migration). */
	bool incoming_defer;
} QemuCmdlineParams;

/* Builds the argv (argv[0] is the emulator, NULL-terminated; free with
 * strv_free). Every device is named by its alias (DeviceInfo): the
 * -device id, a disk's node names, "char" + the alias for a console's
 * chardev (console0: charconsole0). Refuses what QEMU cannot do with
 * ZV_ERROR_INVALID_ARGUMENT naming the device: a device without an alias
 * (a live definition gets them from domain_def_assign_aliases()), a
 * cdrom on bus virtio, a disk (not a cdrom) without a source, io='native'
 * without cache none/directsync, a SCSI device whose controller does not
 * exist, a hostdev whose /dev/sg node was not resolved, two consoles on
 * one SCLP target. Returns negative errno (-EINVAL for all of these). */
int qemu_build_argv(const DomainDef *def, const QemuCmdlineParams *p, char ***ret_argv, ZvError *err);

/* One line for logs and DomainXMLToNative: each argument shell-quoted
 * when it needs it. NULL on ENOMEM. */
char *qemu_argv_to_string(char **argv);

/* A value for a comma-separated QEMU option string: commas doubled, as
 * QemuOpts and keyval read them back. NULL on ENOMEM. */
char *qemu_opt_escape(const char *s);

/* Node names of a disk, from its alias: <alias>-storage (the protocol
 * node) and <alias>-format. QEMU's limit is 31 characters (a 32-byte
 * buffer), so the alias may have QEMU_DISK_ALIAS_MAX; -ENAMETOOLONG for
 * a longer one or none. */
#define QEMU_NODE_NAME_MAX  32
#define QEMU_DISK_ALIAS_MAX (QEMU_NODE_NAME_MAX - (int)sizeof("-storage"))
int qemu_disk_node_names(const char *alias, char storage[static QEMU_NODE_NAME_MAX],
			 char format[static QEMU_NODE_NAME_MAX]);

/* The two blockdev-add objects of a disk's image (protocol node, then
 * format node on top of it), exactly as the argv's -blockdev carries
 * them. The caller owns both. An empty cdrom has no nodes: both are
 * NULL (and 0 is returned). A disk with a <backingStore> chain needs
 * qemu_disk_blockdev_chain(): its format node names the layer below. */
int qemu_disk_blockdev_props(const DiskDef *disk, json_object **ret_storage, json_object **ret_format,
			     ZvError *err);

/* Every blockdev-add object of a disk, in the order they must be added:
 * the deepest backing layer first (its storage node, then its format
 * node), the image's own two last. Backing layer N is named
 * <alias>-sN / <alias>-fN, read-only. An empty cdrom: an empty array. */
#define QEMU_DISK_BACKING_MAX 64
int qemu_disk_blockdev_chain(const DiskDef *disk, json_object **ret_array, ZvError *err);

/* QEMU's ids of what the daemon adds and names: an I/O thread
 * ("iothread<id>", its -object and the disk's iothread=) and a
 * hot-plugged vCPU ("vcpu<core-id>"), as libvirt names them. */
#define QEMU_IOTHREAD_ID_MAX sizeof("iothread4294967295")
#define QEMU_VCPU_ID_MAX     sizeof("vcpu4294967295")
char *qemu_iothread_id(unsigned id, char buf[static QEMU_IOTHREAD_ID_MAX]);
char *qemu_vcpu_id(unsigned id, char buf[static QEMU_VCPU_ID_MAX]);
/* The object-add arguments of I/O thread id, as -object carries them
 * ({"qom-type":"iothread","id":"iothread<id>"}); NULL on ENOMEM. */
json_object *qemu_iothread_props(unsigned id);

/* The device_add arguments of a disk, the same properties the argv's
 * -device has: virtio-blk-ccw, or scsi-hd / scsi-cd on the bus of its
 * SCSI controller ("<controller alias>.0", channel, scsi-id, lun from
 * its drive address; an empty cdrom has no drive). def gives the
 * controller's alias; qemu_disk_device_props() assumes libvirt's own
 * (scsi<index>), which is right unless the user named the controller.
 * The caller owns it. */
int qemu_disk_device_props_in(const DomainDef *def, const DiskDef *disk, json_object **ret, ZvError *err);
int qemu_disk_device_props(const DiskDef *disk, json_object **ret, ZvError *err);

/* The device_add arguments of a controller: virtio-scsi-ccw with its
 * id and devno. *ret is NULL for the pci-root (nothing to add). */
int qemu_controller_device_props(const ControllerDef *cont, json_object **ret, ZvError *err);

/* A SCSI host device: the blockdev-add of its /dev/sgN
 * (HostdevDef.live_sg_path, which must be set: host/scsi-host.h finds
 * it), node <alias>-backend, and the scsi-generic device_add on its
 * controller's bus (def gives the controller's alias). */
int qemu_hostdev_node_name(const char *alias, char name[static QEMU_NODE_NAME_MAX]);
int qemu_hostdev_blockdev_props(const HostdevDef *h, json_object **ret, ZvError *err);
int qemu_hostdev_device_props(const DomainDef *def, const HostdevDef *h, json_object **ret, ZvError *err);

/* A guest NIC: the tap netdev_add arguments on descriptor fd (a number
 * QEMU inherited, or the name getfd gave one), id "host" + the alias
 * (hostnet0 for net0, as libvirt names it), and the virtio-net-ccw
 * device_add on it (mac, devno, bootindex, host_mtu), the very objects
 * -netdev and -device carry. The caller owns them. */
int qemu_net_netdev_id(const InterfaceDef *net, char buf[static QEMU_NODE_NAME_MAX]);
int qemu_net_netdev_props(const InterfaceDef *net, const char *fd, json_object **ret, ZvError *err);
int qemu_net_device_props(const InterfaceDef *net, json_object **ret, ZvError *err);

/* QEMU's name for a watchdog action (-watchdog-action, QMP's
 * watchdog-set-action): libvirt's, but dump is "pause" (the daemon
 * dumps on the WATCHDOG event, then resumes). */
const char *qemu_watchdog_action(WatchdogAction action);

/* The device_add arguments of the diag288 watchdog ({"driver":"diag288",
 * "id":"watchdog0"}); the caller owns it. */
int qemu_watchdog_device_props(const WatchdogDef *w, json_object **ret, ZvError *err);

/* The rng's backend object, for -object and object-add
 * ({"qom-type":"rng-random","id":"obj<alias>","filename":"/dev/random"}),
 * and its device ({"driver":"virtio-rng-ccw","rng":"obj<alias>",
 * "id":"<alias>","devno":"fe.0.0002"}). The caller owns them. */
int qemu_rng_object_props(const RngDef *rng, json_object **ret, ZvError *err);
int qemu_rng_device_props(const RngDef *rng, json_object **ret, ZvError *err);
