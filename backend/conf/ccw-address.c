/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which ccw addresses a domain's devices hold: the address set, and the
 * define-time assignment of the missing ones (see ccw-address.h). */
#include "conf/ccw-address.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <string.h>

#include "util/cleanup.h"

#define CCW_DEVNOS    (CCW_DEVNO_MAX + 1)
#define CCW_ADDRESSES ((CCW_SSID_MAX + 1) * CCW_DEVNOS)

struct CcwAddressSet {
	uint64_t bits[CCW_ADDRESSES / 64];
	/* Every word below this one is full: next_free starts here, so
	 * assigning n addresses stays linear rather than quadratic. */
	size_t first_free_word;
};

int ccw_address_check(const CcwAddress *a)
{
	if (!a || a->cssid != CCW_CSSID_VIRTUAL || a->ssid > CCW_SSID_MAX)
		return -EINVAL;
	return 0;
}

static int parse_hex(const char *s, size_t len, unsigned max, unsigned *ret)
{
	unsigned v = 0;

	if (len == 0 || len > 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v = v * 16 + d;
	}
	if (v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int ccw_address_from_string(const char *s, CcwAddress *ret)
{
	if (!s || !ret)
		return -EINVAL;

	const char *d1 = strchr(s, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2)
		return -EINVAL;

	unsigned cssid, ssid, devno;
	if (parse_hex(s, (size_t)(d1 - s), 0xff, &cssid) < 0 ||
	    parse_hex(d1 + 1, (size_t)(d2 - d1 - 1), CCW_SSID_MAX, &ssid) < 0 ||
	    parse_hex(d2 + 1, strlen(d2 + 1), CCW_DEVNO_MAX, &devno) < 0)
		return -EINVAL;

	CcwAddress a = {
		.assigned = true,
		.cssid = (uint8_t)cssid,
		.ssid = (uint8_t)ssid,
		.devno = (uint16_t)devno,
	};
	if (ccw_address_check(&a) < 0)
		return -EINVAL;
	*ret = a;
	return 0;
}

bool ccw_address_equal(const CcwAddress *a, const CcwAddress *b)
{
	return a->cssid == b->cssid && a->ssid == b->ssid && a->devno == b->devno;
}

CcwAddressSet *ccw_address_set_new(void)
{
	return calloc(1, sizeof(CcwAddressSet));
}

CcwAddressSet *ccw_address_set_free(CcwAddressSet *s)
{
	free(s);
	return NULL;
}

static size_t bit_of(const CcwAddress *a)
{
	return (size_t)a->ssid * CCW_DEVNOS + a->devno;
}

bool ccw_address_set_contains(const CcwAddressSet *s, const CcwAddress *a)
{
	if (ccw_address_check(a) < 0)
		return false;
	size_t b = bit_of(a);
	return s->bits[b / 64] & (UINT64_C(1) << (b % 64));
}

int ccw_address_set_reserve(CcwAddressSet *s, const CcwAddress *a)
{
	if (ccw_address_check(a) < 0)
		return -EINVAL;
	if (ccw_address_set_contains(s, a))
		return -EEXIST;
	size_t b = bit_of(a);
	s->bits[b / 64] |= UINT64_C(1) << (b % 64);
	return 0;
}

void ccw_address_set_release(CcwAddressSet *s, const CcwAddress *a)
{
	if (ccw_address_check(a) < 0)
		return;
	size_t b = bit_of(a);
	s->bits[b / 64] &= ~(UINT64_C(1) << (b % 64));
	if (b / 64 < s->first_free_word)
		s->first_free_word = b / 64;
}

int ccw_address_set_next_free(CcwAddressSet *s, CcwAddress *ret)
{
	for (size_t w = s->first_free_word; w < ELEMENTSOF(s->bits); w++) {
		if (s->bits[w] == UINT64_MAX) {
			s->first_free_word = w + 1;
			continue;
		}
		for (unsigned i = 0; i < 64; i++) {
			if (s->bits[w] & (UINT64_C(1) << i))
				continue;
			size_t b = w * 64 + i;
			*ret = (CcwAddress){
				.assigned = true,
				.cssid = CCW_CSSID_VIRTUAL,
				.ssid = (uint8_t)(b / CCW_DEVNOS),
				.devno = (uint16_t)(b % CCW_DEVNOS),
			};
			s->bits[w] |= UINT64_C(1) << i;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Who holds each address, so a duplicate can name both devices. Only
 * explicit addresses are tracked here; there are few of them, so a
 * linear search beats another 256 KiB table. */
typedef struct Holder {
	CcwAddress address;
	CcwDeviceRef ref;
} Holder;

static int reserve_one(CcwAddressSet *s, Holder *holders, size_t *n_holders, const CcwAddress *a,
		       CcwDeviceRef ref, CcwConflict *conflict)
{
	int r = ccw_address_set_reserve(s, a);
	if (r == -EINVAL) {
		if (conflict)
			*conflict = (CcwConflict){.address = *a, .first = ref, .second = ref};
		return r;
	}
	if (r == -EEXIST) {
		if (conflict) {
			*conflict = (CcwConflict){.address = *a, .first = ref, .second = ref};
			for (size_t i = 0; holders && i < *n_holders; i++)
				if (ccw_address_equal(&holders[i].address, a)) {
					conflict->first = holders[i].ref;
					break;
				}
		}
		return r;
	}
	if (holders)
		holders[(*n_holders)++] = (Holder){.address = *a, .ref = ref};
	return 0;
}

/* Disk indexes in target order. qsort with the key next to the index,
 * so no global is needed; ties keep definition order (the parser refuses
 * duplicate targets, a hand-built definition may not). */
typedef struct DiskKey {
	const char *target;
	size_t index;
} DiskKey;

static int compare_disk_key(const void *a, const void *b)
{
	const DiskKey *x = a, *y = b;
	int c = disk_target_compare(x->target, y->target);
	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Every device of def that lives on the channel subsystem, in the order
 * libvirt visits them (virDomainDeviceInfoIterate after
 * qemuDomainPrimeVirtioDeviceAddresses): virtio disks, network
 * interfaces, controllers (the virtio-scsi ones), the balloon, RNGs.
 * SCSI disks and hostdevs sit on a controller and have none. Returns
 * how many, filling refs when it is not NULL; -ENOMEM. */
static ssize_t ccw_devices(const DomainDef *def, CcwDeviceRef *refs)
{
	size_t n = 0;

	/* virtio disks in target order: what the parser keeps def->disks
	 * in; sorted again for a hand-built definition. */
	if (refs && def->n_disks > 0) {
		_cleanup_free_ DiskKey *order = calloc(def->n_disks, sizeof(DiskKey));
		size_t k = 0;
		if (!order)
			return -ENOMEM;
		for (size_t i = 0; i < def->n_disks; i++)
			if (def->disks[i].bus == DISK_BUS_VIRTIO)
				order[k++] = (DiskKey){.target = def->disks[i].target, .index = i};
		qsort(order, k, sizeof(DiskKey), compare_disk_key);
		for (size_t i = 0; i < k; i++)
			refs[n + i] = (CcwDeviceRef){.kind = CCW_DEVICE_DISK, .index = order[i].index};
		n += k;
	} else
		for (size_t i = 0; i < def->n_disks; i++)
			n += def->disks[i].bus == DISK_BUS_VIRTIO;

	for (size_t i = 0; i < def->n_interfaces; i++) {
		if (refs)
			refs[n] = (CcwDeviceRef){.kind = CCW_DEVICE_NET, .index = i};
		n++;
	}

	for (size_t i = 0; i < def->n_controllers; i++) {
		if (def->controllers[i].type != CONTROLLER_TYPE_SCSI)
			continue;
		if (refs)
			refs[n] = (CcwDeviceRef){.kind = CCW_DEVICE_CONTROLLER, .index = i};
		n++;
	}

	if (def->memballoon.model != MEMBALLOON_MODEL_NONE) {
		if (refs)
			refs[n] = (CcwDeviceRef){.kind = CCW_DEVICE_MEMBALLOON};
		n++;
	}

	if (def->rng) {
		if (refs)
			refs[n] = (CcwDeviceRef){.kind = CCW_DEVICE_RNG};
		n++;
	}
	return (ssize_t)n;
}

/* The address field of ref's device. */
static CcwAddress *ccw_device_address(DomainDef *def, const CcwDeviceRef *ref)
{
	switch (ref->kind) {
	case CCW_DEVICE_DISK:
		return &def->disks[ref->index].info.address;
	case CCW_DEVICE_CONTROLLER:
		return &def->controllers[ref->index].info.address;
	case CCW_DEVICE_NET:
		return &def->interfaces[ref->index].info.address;
	case CCW_DEVICE_RNG:
		return &def->rng->info.address;
	case CCW_DEVICE_MEMBALLOON:
	default:
		return &def->memballoon.info.address;
	}
}

/* refs (and their count) of def's ccw devices, in libvirt's order. */
static int collect(const DomainDef *def, CcwDeviceRef **ret, size_t *ret_n)
{
	ssize_t n = ccw_devices(def, NULL);
	if (n < 0)
		return (int)n;
	_cleanup_free_ CcwDeviceRef *refs = calloc((size_t)n + 1, sizeof(CcwDeviceRef));
	if (!refs)
		return -ENOMEM;
	ssize_t m = ccw_devices(def, refs);
	if (m < 0)
		return (int)m;
	*ret = TAKE_PTR(refs);
	*ret_n = (size_t)m;
	return 0;
}

static int add_domain(CcwAddressSet *s, const DomainDef *def, const CcwDeviceRef *refs, size_t n,
		      CcwConflict *conflict)
{
	/* One slot per possible explicit address. */
	_cleanup_free_ Holder *holders = calloc(n + 1, sizeof(Holder));
	size_t k = 0;

	if (!holders)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const CcwAddress *a = ccw_device_address((DomainDef *)def, &refs[i]);
		if (!a->assigned)
			continue;
		int r = reserve_one(s, holders, &k, a, refs[i], conflict);
		if (r < 0)
			return r;
	}
	return 0;
}

int ccw_address_set_add_domain(CcwAddressSet *s, const DomainDef *def, CcwConflict *conflict)
{
	_cleanup_free_ CcwDeviceRef *refs = NULL;
	size_t n;

	if (!s || !def)
		return -EINVAL;
	int r = collect(def, &refs, &n);
	if (r < 0)
		return r;
	return add_domain(s, def, refs, n, conflict);
}

int ccw_assign_domain(DomainDef *def, CcwConflict *conflict)
{
	_cleanup_(ccw_address_set_freep) CcwAddressSet *s = ccw_address_set_new();
	_cleanup_free_ CcwDeviceRef *refs = NULL;
	size_t n;
	int r;

	if (!def)
		return -EINVAL;
	if (!s)
		return -ENOMEM;
	r = collect(def, &refs, &n);
	if (r < 0)
		return r;

	/* libvirt's virDomainCCWAddressSetCreateFromDomain: every explicit
	 * address first (a duplicate is an error), then the others in
	 * device order, each the first free devno. */
	r = add_domain(s, def, refs, n, conflict);
	if (r < 0)
		return r;

	/* Work on copies first, so a failure leaves def as it was. */
	_cleanup_free_ CcwAddress *addr = calloc(n + 1, sizeof(CcwAddress));
	if (!addr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		addr[i] = *ccw_device_address(def, &refs[i]);
		if (addr[i].assigned)
			continue;
		r = ccw_address_set_next_free(s, &addr[i]);
		if (r < 0) {
			if (conflict)
				*conflict = (CcwConflict){.first = refs[i], .second = refs[i]};
			return r;
		}
	}
	for (size_t i = 0; i < n; i++)
		*ccw_device_address(def, &refs[i]) = addr[i];
	return 0;
}
