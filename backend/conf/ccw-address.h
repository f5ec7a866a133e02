/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Virtual channel subsystem addresses (fe.S.DDDD) of a domain's
 * virtio-ccw devices: validity, the set of addresses in use, and the
 * define-time assignment libvirt does (qemuDomainAssignS390Addresses):
 * explicit addresses first (a duplicate is an error), then every device
 * without one gets the first free devno from fe.0.0000 on, in libvirt's
 * device order: virtio disks in target order (vda, vdb, ..., vdz, vdaa),
 * network interfaces, the virtio-scsi controllers in definition order,
 * the memory balloon, RNGs. SCSI disks and hostdevs have none (they sit
 * on a controller). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/domain-def.h"
#include "util/cleanup.h"

#define CCW_CSSID_VIRTUAL 0xfe /* the only css a guest's virtual devices live in */
#define CCW_SSID_MAX      3
#define CCW_DEVNO_MAX     0xffff

/* -EINVAL unless cssid is 0xfe and ssid is 0..3 (devno fits by type). */
int ccw_address_check(const CcwAddress *a);

/* Parses the config form "fe.0.0004" (what ccw_address_to_string
 * writes); the result is assigned. -EINVAL on anything else. */
int ccw_address_from_string(const char *s, CcwAddress *ret);

bool ccw_address_equal(const CcwAddress *a, const CcwAddress *b);

/* The addresses in use: one bit per fe.S.DDDD (32 KiB). */
typedef struct CcwAddressSet CcwAddressSet;

CcwAddressSet *ccw_address_set_new(void);
CcwAddressSet *ccw_address_set_free(CcwAddressSet *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(CcwAddressSet *, ccw_address_set_free)
/* -EINVAL for an invalid address, -EEXIST when already in use. */
int ccw_address_set_reserve(CcwAddressSet *s, const CcwAddress *a);
void ccw_address_set_release(CcwAddressSet *s, const CcwAddress *a);
bool ccw_address_set_contains(const CcwAddressSet *s, const CcwAddress *a);
/* Reserves and returns the first free address from fe.0.0000 on
 * (ssid 0 first); -ENOSPC when all 4 * 65536 are taken. */
int ccw_address_set_next_free(CcwAddressSet *s, CcwAddress *ret);

typedef enum CcwDeviceKind {
	CCW_DEVICE_DISK,
	CCW_DEVICE_NET,
	CCW_DEVICE_CONTROLLER,
	CCW_DEVICE_MEMBALLOON,
	CCW_DEVICE_RNG,
	_CCW_DEVICE_MAX,
} CcwDeviceKind;

/* A device of a DomainDef that carries a ccw address. */
typedef struct CcwDeviceRef {
	CcwDeviceKind kind;
	size_t index; /* into def->disks or def->controllers; 0 for the memballoon */
} CcwDeviceRef;

/* Why an assignment failed: the address, and the device(s) involved
 * (second only for -EEXIST: first already held the address). */
typedef struct CcwConflict {
	CcwAddress address;
	CcwDeviceRef first;
	CcwDeviceRef second;
} CcwConflict;

/* Reserves the explicit addresses of def's devices in s (hotplug can
 * then take ccw_address_set_next_free for a new device). -EINVAL
 * (conflict->first is the device with the invalid address), -EEXIST
 * (first and second share conflict->address). conflict may be NULL. */
int ccw_address_set_add_domain(CcwAddressSet *s, const DomainDef *def, CcwConflict *conflict);

/* Define time: checks and reserves the explicit addresses, then assigns
 * the missing ones in the order above (the balloon unless its model is
 * none; only controllers of type scsi). Errors as ccw_address_set_add_domain, plus -ENOSPC
 * (conflict->first is the device left without one) and -ENOMEM. On
 * error def's addresses are unchanged. */
int ccw_assign_domain(DomainDef *def, CcwConflict *conflict);
