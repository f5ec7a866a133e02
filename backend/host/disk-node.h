/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A guest disk's host node that names a prepared device (the seed's
 * Part 2): a DASD by bus id (DevRoot/disk/by-path/ccw-0.0.7500) or by
 * UID (disk/by-id/ccw-<uid>), a zfcp LUN by its multipath map
 * (DevRoot/mapper/<wwid>), by WWID (disk/by-id/scsi-<wwid>) or by path
 * (disk/by-path/ccw-<bus id>-zfcp-<wwpn>:<lun>). When such a node is
 * missing, sysfs tells why, and the start says that instead of QEMU's
 * "No such file or directory": the DASD is offline, not formatted, the
 * LUN was never added, multipathd has no map for it. Reads only. */

#include "util/error.h"

/* 0 when path exists or is none of those forms (the caller's usual
 * checks apply); else ZV_ERROR_HOST (-ENOENT) saying what the host lacks
 * and which Host call prepares it. A DASD's by-path node that exists
 * while the DASD is not formatted is ZV_ERROR_HOST too (-EMEDIUMTYPE):
 * the guest would see an empty disk. -ENOMEM. */
int host_disk_node_check(const char *sysfs_root, const char *dev_root, const char *path, ZvError *err);
