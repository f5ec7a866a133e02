/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Discretionary access for QEMU, as libvirt's DAC driver with dynamic
 * ownership: QEMU runs as [Hypervisor] User=/Group=, and each file a
 * domain names (kernel, initrd, disk sources, console files and logs) is
 * given to that user for the run (chown) and given back once the last
 * running domain that names it has stopped. The owners it had are kept
 * in the domain's runtime status (<owners>), so a restarted daemon gives
 * them back too. Which emulators a definition may name is decided here
 * as well: they run with the daemon's files. */

#include "conf/device-xml.h"
#include "conf/settings.h"
#include "conf/status-xml.h"
#include "domain.h"
#include "qemu/cmdline.h"
#include "qemu/process.h"
#include "util/error.h"

/* Gives d->live's files to QEMU's user and records their owners in d:
 * before QEMU is spawned with p (its pidfile is made QEMU's, and RunDir
 * and LogDir searchable by its group). A file the user can already use
 * through its mode bits keeps its owner, unless another running domain
 * gave it away (then both share the record). Refused with
 * ZV_ERROR_INVALID_ARGUMENT: a path whose last component is a symbolic
 * link (but root's links in /dev to block devices), anything but a
 * regular file or block device, an emulator the configuration does not
 * allow. On failure nothing stays changed. A missing file is left to
 * QEMU, which says so. A daemon that is not root changes nothing. */
int dac_label_domain(Domain *d, const QemuCmdlineParams *p, ZvError *err);

/* QEMU of d is gone: every file d recorded gets its owner back, unless
 * another running domain still uses it (it then gives it back when it
 * stops), or it was replaced or given to someone else meanwhile. */
void dac_restore_domain(Domain *d);

/* Hot-plug: the files of dev (a disk's source and backing chain, a
 * hostdev's sg node) are given to QEMU's user for the rest of the run,
 * recorded in d's owners (and status) first, as at start. On failure
 * nothing stays changed. */
int dac_label_device(Domain *d, const DeviceDef *dev, ZvError *err);
/* Hot-unplug, a medium change, a failed plug: the files of dev that
 * d's live definition no longer names go back to their owners (unless
 * another running domain uses them). */
void dac_restore_device(Domain *d, const DeviceDef *dev);

/* A restarted daemon: what the status file recorded becomes d's (owners
 * is emptied). */
void dac_take_owners(Domain *d, FileOwners *owners);

/* Whom d's QEMU runs as: User= and Group= of the settings, or the
 * daemon's own user when it is not root. */
QemuProcessUser dac_process_user(const Domain *d);
/* The same from the settings alone (the emulator probe). */
QemuProcessUser dac_settings_user(const Settings *s);

/* <emulator> must be Emulator= or one of EmulatorAllow=, else
 * ZV_ERROR_INVALID_ARGUMENT naming the allowed ones. */
int dac_check_emulator(const Settings *s, const DomainDef *def, ZvError *err);
