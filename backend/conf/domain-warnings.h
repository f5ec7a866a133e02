/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Valid but risky choices in a definition, as ValidateXML answers them
 * and DefineXML logs them: what the seed warns about for disks that
 * name host devices. A DASD by device number (DevRoot/disk/by-path/
 * ccw-<bus id>) migrates only to a host whose IOCDS has the same number;
 * a DASD or SCSI disk by its kernel name (dasda, sdq) may be another
 * disk after the host's next boot; a single path of a SCSI LUN (sdq, its
 * by-path or by-id node) loses the disk when that path fails, where the
 * multipath map (DevRoot/mapper/<WWID>) would not. */

#include "conf/domain-def.h"

/* The warnings, one sentence each naming the disk, NULL-terminated
 * (empty when there are none), malloc'd. dev_root is Settings.dev_root.
 * -ENOMEM. */
int domain_def_warnings(const DomainDef *def, const char *dev_root, char ***ret);
