/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every device of a domain has, whatever its kind (libvirt's
 * virDomainDeviceInfo): the alias QEMU knows it by, its ccw address and
 * its boot order. Aliases are libvirt's: the daemon names devices
 * virtio-disk0, console0, balloon0, ... when a domain starts (live only,
 * like a pty path), and a user may name one ua-NAME in the definition
 * (kept, and used as is). */

#include <stdbool.h>
#include <stdint.h>

/* A virtual channel subsystem address, config form fe.S.DDDD. */
typedef struct CcwAddress {
	bool assigned; /* false: no <address>, auto-assign at define */
	uint8_t cssid; /* always 0xfe once validated */
	uint8_t ssid;  /* 0..3 */
	uint16_t devno;
} CcwAddress;

/* A SCSI address on a virtio-scsi controller (libvirt's type='drive'):
 * controller index, bus (channel, always 0), target (scsi-id) and unit
 * (lun). */
typedef struct DriveAddress {
	bool assigned; /* false: assigned at define from the target name */
	unsigned controller;
	unsigned bus;
	unsigned target;
	unsigned unit;
} DriveAddress;

#define DRIVE_ADDRESS_CONTROLLER_MAX 255 /* zvirtd's bound on SCSI controllers */
#define DRIVE_ADDRESS_TARGET_MAX     255
#define DRIVE_ADDRESS_UNIT_MAX       16383

typedef struct DeviceInfo {
	/* NULL until domain_def_assign_aliases() or the user names it;
	 * "ua-..." is the user's, anything else the daemon's. */
	char *alias;
	CcwAddress address;  /* virtio-ccw devices; consoles have none */
	DriveAddress drive;  /* SCSI disks and hostdevs instead of a ccw address */
	unsigned boot_order; /* 0: none; only disks boot today */
	/* <boot loadparm='...'/>: 1 to 8 of A-Z 0-9 . and space, upper
	 * case; QEMU's machine loadparm when this device boots first. */
	char *loadparm;
} DeviceInfo;

/* Why loadparm (already upper case) is refused, or NULL. */
const char *device_loadparm_problem(const char *loadparm);

/* The prefix libvirt requires of a user's alias. */
#define DEVICE_ALIAS_USER_PREFIX "ua-"

/* The longest alias: QEMU's block node names of a disk are made from it
 * ("<alias>-storage", "<alias>-format", qemu/cmdline.c) and must fit
 * QEMU's 31 characters. */
#define DEVICE_ALIAS_MAX 23

void device_info_clear(DeviceInfo *info);

/* ua-NAME: the user's, kept in the persistent definition. */
bool device_alias_is_user(const char *alias);

/* Why alias is refused, or NULL: a user alias is ua- and then letters,
 * digits, '_' and '-'; the daemon's own (virtio-disk0, console0,
 * balloon0) are accepted too; at most DEVICE_ALIAS_MAX characters. */
const char *device_alias_problem(const char *alias);

struct DomainDef;

/* Gives every device that has none a free alias of its kind, as libvirt
 * does when a domain starts: virtio-disk<N> for a virtio disk, N its
 * target's index (vda 0, vdc 2, vdaa 26: libvirt's virDiskNameToIndex);
 * hostdev<N>, net<N>, balloon<N>, watchdog<N> and rng<N> at the lowest free N;
 * scsi<C>-<B>-<T>-<U> for a SCSI disk from its drive address;
 * scsi<index> for a SCSI controller and pci for the pci-root; console<i>
 * for the console at position i (the driver reads charconsole<i> back as
 * consoles[i]); the lowest free N too when another device holds the
 * name. An alias in use is never given again, so a device added later
 * gets its own or the next free one. Returns 0 or -ENOMEM (def
 * unchanged). */
int domain_def_assign_aliases(struct DomainDef *def);
