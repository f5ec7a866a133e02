/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The s390 devices the simulator shows and how they answer writes, as
 * the kernel's drivers do: ccw devices (css/ccw), DASDs (dasd-eckd,
 * dasd-fba, PAV aliases), FCP devices (zfcp) with their remote ports,
 * LUNs and the SCSI devices those become (disk, tape, medium changer),
 * and OSA devices grouped by qeth. The layout is the kernel's: see
 * README.md beside this file. */

#include <stdbool.h>

/* Reads the scenario (README.md) and builds the tree; devroot is where
 * /dev's nodes and links go. 0, or -1 after printing why. */
int sim_s390_load(const char *scenario, const char *devroot);
/* Runs the work that takes time in the kernel (a SCSI scan after
 * unit_add) once it is due: called with sim_lock held, every 10 ms. */
void sim_s390_tick(void);
/* The cio_ignore list (devices with `ignored = yes`): free, as
 * `cio_ignore -r` and the channel subsystem's scan, makes them appear
 * (uevent add); otherwise, as `cio_ignore -a` + `purge`, those of them
 * that are offline go again (uevent remove). With sim_lock held. */
void sim_s390_cio_ignore(bool free);
