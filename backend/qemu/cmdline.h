/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The qemu-system-s390x command line for a domain definition, in the
 * shape libvirt gives it: -blockdev JSON for disks, virtio-ccw devices
 * at their devno, SCLP consoles, a QMP monitor, -S so the daemon says
 * when the guest starts. Pure: no files are touched, nothing runs. */

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
 * cdrom on bus virtio, a disk without a source, io='native' without
 * cache none/directsync, two consoles on one SCLP target. Returns
 * negative errno (-EINVAL for all of these). */
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

/* The two blockdev-add objects of a disk (protocol node, then format
 * node on top of it), exactly as the argv's -blockdev carries them. The
 * caller owns both. */
int qemu_disk_blockdev_props(const DiskDef *disk, json_object **ret_storage, json_object **ret_format,
			     ZvError *err);

/* The device_add arguments of a disk ({"driver":"virtio-blk-ccw",...}),
 * the same properties the argv's -device has. The caller owns it. */
int qemu_disk_device_props(const DiskDef *disk, json_object **ret, ZvError *err);
