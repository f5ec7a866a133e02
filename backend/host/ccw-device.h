/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host's ccw devices as lscss shows them: root/bus/ccw/devices/<bus
 * id>, a link to devices/css0/<subchannel>/<bus id>. Reads only (they
 * may run on the loop); the online store can wait on the device and
 * runs in the worker. */

#include <stdbool.h>
#include <stddef.h>

/* "0.0.7500": cssid (1-2 hex), ssid (0-3), devno (4 hex), lower case. */
#define CCW_BUSID_MAX 16

typedef struct CcwDevice {
	char busid[CCW_BUSID_MAX];
	char *subchannel;   /* "0.0.0000" */
	char *cutype;       /* "3990/e9" */
	char *devtype;      /* "3390/0c" */
	char *driver;       /* "dasd-eckd", "" when none is bound */
	char *availability; /* "good", "no path", ... */
	char *block;        /* "dasda" while it has a block device, else "" */
	bool online;
} CcwDevice;

typedef struct CcwDeviceList {
	CcwDevice *devs; /* sorted by bus id */
	size_t n;
} CcwDeviceList;

/* The kernel's form of a bus id, nothing else: no '/', no "..". */
bool ccw_busid_valid(const char *busid);

/* One device; -ENOENT when there is no such device. */
int ccw_device_read(const char *root, const char *busid, CcwDevice *ret);
void ccw_device_done(CcwDevice *d);
/* Whether a and b show the same (for change notifications). */
bool ccw_device_equal(const CcwDevice *a, const CcwDevice *b);

/* Every device; an empty list where there is no ccw bus. */
int ccw_device_list(const char *root, CcwDeviceList *ret);
void ccw_device_list_done(CcwDeviceList *l);

/* chccwdev -e/-d: stores 1 or 0 to the device's online (blocking: the
 * worker's). -ENOENT no such device, or the store's -errno (-EBUSY,
 * -ENODEV, -EINVAL). */
int ccw_device_set_online(const char *root, const char *busid, bool online);
