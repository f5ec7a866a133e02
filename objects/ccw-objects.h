/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.zvirt1.CcwDevice objects at /org/zvirt1/host/ccw/<bus id,
 * sd_bus_path_encode'd>, one per ccw device of SysfsRoot, announced
 * (InterfacesAdded/Removed, PropertiesChanged) as the kernel's uevents
 * tell that devices came, went or changed: the device's sysfs is read
 * again, CCW_OBJECTS_COALESCE_USEC after the first event of a burst. */

#include "objects.h"

#define ZVIRT_CCW_PREFIX "/org/zvirt1/host/ccw"
#define ZVIRT_CCW_IFACE  "org.zvirt1.CcwDevice"

#define CCW_OBJECTS_COALESCE_USEC (50 * 1000ULL)

typedef struct CcwObjects CcwObjects;

/* Lists the devices, registers the vtable and enumerator, starts the
 * uevent monitor (one that cannot start is logged: the objects stay as
 * they were listed). */
int ccw_objects_new(Objects *o, CcwObjects **ret);
CcwObjects *ccw_objects_free(CcwObjects *c);
