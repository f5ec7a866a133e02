/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccw addresses: strings, the address set, define-time assignment. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ccw-address.h"
#include "util/cleanup.h"

#define ADDR(s, d) ((CcwAddress){.assigned = true, .cssid = 0xfe, .ssid = (s), .devno = (d)})

static const char *str(const CcwAddress *a)
{
	static char buf[CCW_ADDRESS_STRING_MAX];
	return ccw_address_to_string(a, buf);
}

static void test_to_string(void **state)
{
	char buf[CCW_ADDRESS_STRING_MAX];
	CcwAddress a = ADDR(0, 4);
	assert_string_equal(ccw_address_to_string(&a, buf), "fe.0.0004");
	a = ADDR(3, 0xffff);
	assert_string_equal(ccw_address_to_string(&a, buf), "fe.3.ffff");
	a = (CcwAddress){.cssid = 0xff, .ssid = 0xff, .devno = 0xffff};
	assert_string_equal(ccw_address_to_string(&a, buf), "ff.ff.ffff");
	assert_true(strlen(buf) < CCW_ADDRESS_STRING_MAX);
}

static void test_from_string(void **state)
{
	CcwAddress a;

	assert_int_equal(ccw_address_from_string("fe.0.0004", &a), 0);
	assert_true(a.assigned);
	assert_int_equal(a.cssid, 0xfe);
	assert_int_equal(a.ssid, 0);
	assert_int_equal(a.devno, 4);
	assert_int_equal(ccw_address_from_string("FE.3.E714", &a), 0);
	assert_int_equal(a.ssid, 3);
	assert_int_equal(a.devno, 0xe714);
	assert_int_equal(ccw_address_from_string("fe.0.4", &a), 0);
	assert_int_equal(a.devno, 4);

	static const char *const bad[] = {
		"",          "fe",          "fe.0",      "fe.0.",      "fe..0004",
		"fd.0.0004", "0.0.0004",    "fe.4.0004", "fe.0.10000", "fe.0.00004",
		"fe.0.xyz",  "fe.0.0004.1", "fe.0.-1",   " fe.0.0004", "fe.0.0004 ",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (ccw_address_from_string(bad[i], &a) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(ccw_address_from_string(NULL, &a), -EINVAL);
}

static void test_check(void **state)
{
	CcwAddress a = ADDR(3, 0xffff);
	assert_int_equal(ccw_address_check(&a), 0);
	a.ssid = 4;
	assert_int_equal(ccw_address_check(&a), -EINVAL);
	a = ADDR(0, 0);
	a.cssid = 0;
	assert_int_equal(ccw_address_check(&a), -EINVAL);
	assert_int_equal(ccw_address_check(NULL), -EINVAL);

	CcwAddress b = ADDR(1, 2), c = ADDR(1, 2), d = ADDR(2, 1);
	assert_true(ccw_address_equal(&b, &c));
	assert_false(ccw_address_equal(&b, &d));
}

static void test_set(void **state)
{
	_cleanup_(ccw_address_set_freep) CcwAddressSet *s = ccw_address_set_new();
	assert_non_null(s);

	CcwAddress a = ADDR(0, 1), got;
	assert_int_equal(ccw_address_set_reserve(s, &a), 0);
	assert_true(ccw_address_set_contains(s, &a));
	assert_int_equal(ccw_address_set_reserve(s, &a), -EEXIST);

	CcwAddress bad = ADDR(4, 1);
	assert_int_equal(ccw_address_set_reserve(s, &bad), -EINVAL);
	assert_false(ccw_address_set_contains(s, &bad));

	/* First free from fe.0.0000, skipping what is taken. */
	assert_int_equal(ccw_address_set_next_free(s, &got), 0);
	assert_string_equal(str(&got), "fe.0.0000");
	assert_int_equal(ccw_address_set_next_free(s, &got), 0);
	assert_string_equal(str(&got), "fe.0.0002");

	/* A released address is handed out again, before higher ones. */
	ccw_address_set_release(s, &a);
	assert_false(ccw_address_set_contains(s, &a));
	assert_int_equal(ccw_address_set_next_free(s, &got), 0);
	assert_string_equal(str(&got), "fe.0.0001");
}

static void test_set_exhaustion(void **state)
{
	_cleanup_(ccw_address_set_freep) CcwAddressSet *s = ccw_address_set_new();
	CcwAddress got;

	assert_non_null(s);
	for (unsigned i = 0; i < 4 * 65536; i++) {
		assert_int_equal(ccw_address_set_next_free(s, &got), 0);
		if (i == 65535)
			assert_string_equal(str(&got), "fe.0.ffff");
		if (i == 65536)
			assert_string_equal(str(&got), "fe.1.0000");
	}
	assert_string_equal(str(&got), "fe.3.ffff");
	assert_int_equal(ccw_address_set_next_free(s, &got), -ENOSPC);

	CcwAddress mid = ADDR(2, 0x1234);
	ccw_address_set_release(s, &mid);
	assert_int_equal(ccw_address_set_next_free(s, &got), 0);
	assert_string_equal(str(&got), "fe.2.1234");
}

static DomainDef *make_def(const char *const *targets, size_t n, MemballoonModel balloon)
{
	DomainDef *def = calloc(1, sizeof(DomainDef));
	assert_non_null(def);
	if (n > 0) {
		def->disks = calloc(n, sizeof(DiskDef));
		assert_non_null(def->disks);
	}
	def->n_disks = n;
	for (size_t i = 0; i < n; i++) {
		def->disks[i].target = strdup(targets[i]);
		assert_non_null(def->disks[i].target);
	}
	def->memballoon.model = balloon;
	return def;
}

static void test_assign_order(void **state)
{
	/* Out of order on purpose: assignment follows the target names
	 * (vda < vdb < vdz < vdaa), whatever the array order. */
	static const char *const targets[] = {"vdaa", "vdb", "vdz", "vda"};
	_cleanup_(domain_def_freep) DomainDef *def = make_def(targets, 4, MEMBALLOON_MODEL_VIRTIO);
	CcwConflict conflict = {};

	def->disks[1].info.address = ADDR(0, 0); /* vdb holds fe.0.0000 */
	assert_int_equal(ccw_assign_domain(def, &conflict), 0);
	assert_string_equal(str(&def->disks[3].info.address), "fe.0.0001"); /* vda */
	assert_string_equal(str(&def->disks[1].info.address), "fe.0.0000"); /* vdb, kept */
	assert_string_equal(str(&def->disks[2].info.address), "fe.0.0002"); /* vdz */
	assert_string_equal(str(&def->disks[0].info.address), "fe.0.0003"); /* vdaa */
	assert_string_equal(str(&def->memballoon.info.address), "fe.0.0004");

	/* Idempotent: everything is explicit now. */
	assert_int_equal(ccw_assign_domain(def, &conflict), 0);
	assert_string_equal(str(&def->disks[3].info.address), "fe.0.0001");
	assert_string_equal(str(&def->memballoon.info.address), "fe.0.0004");
}

static void test_assign_balloon_none(void **state)
{
	static const char *const targets[] = {"vda"};
	_cleanup_(domain_def_freep) DomainDef *def = make_def(targets, 1, MEMBALLOON_MODEL_NONE);
	assert_int_equal(ccw_assign_domain(def, NULL), 0);
	assert_string_equal(str(&def->disks[0].info.address), "fe.0.0000");
	assert_false(def->memballoon.info.address.assigned);

	/* No disks at all: the balloon takes fe.0.0000. */
	_cleanup_(domain_def_freep) DomainDef *empty = make_def(NULL, 0, MEMBALLOON_MODEL_VIRTIO);
	assert_int_equal(ccw_assign_domain(empty, NULL), 0);
	assert_string_equal(str(&empty->memballoon.info.address), "fe.0.0000");
}

static void test_assign_duplicate(void **state)
{
	static const char *const targets[] = {"vda", "vdb", "vdc"};
	_cleanup_(domain_def_freep) DomainDef *def = make_def(targets, 3, MEMBALLOON_MODEL_VIRTIO);
	CcwConflict conflict = {};

	def->disks[0].info.address = ADDR(0, 5);
	def->memballoon.info.address = ADDR(0, 5);
	assert_int_equal(ccw_assign_domain(def, &conflict), -EEXIST);
	assert_string_equal(str(&conflict.address), "fe.0.0005");
	assert_int_equal(conflict.first.kind, CCW_DEVICE_DISK);
	assert_int_equal(conflict.first.index, 0);
	assert_int_equal(conflict.second.kind, CCW_DEVICE_MEMBALLOON);
	/* Nothing was assigned on failure. */
	assert_false(def->disks[1].info.address.assigned);
	assert_false(def->disks[2].info.address.assigned);

	def->memballoon.info.address = (CcwAddress){};
	def->disks[2].info.address = ADDR(0, 5);
	assert_int_equal(ccw_assign_domain(def, &conflict), -EEXIST);
	assert_int_equal(conflict.first.index, 0);
	assert_int_equal(conflict.second.kind, CCW_DEVICE_DISK);
	assert_int_equal(conflict.second.index, 2);

	/* The balloon with model none never holds an address. */
	def->disks[2].info.address = (CcwAddress){};
	def->memballoon.model = MEMBALLOON_MODEL_NONE;
	def->memballoon.info.address = ADDR(0, 5);
	assert_int_equal(ccw_assign_domain(def, &conflict), 0);
}

static void test_assign_invalid(void **state)
{
	static const char *const targets[] = {"vda", "vdb"};
	_cleanup_(domain_def_freep) DomainDef *def = make_def(targets, 2, MEMBALLOON_MODEL_VIRTIO);
	CcwConflict conflict = {};

	def->disks[1].info.address = ADDR(0, 1);
	def->disks[1].info.address.cssid = 0xfd;
	assert_int_equal(ccw_assign_domain(def, &conflict), -EINVAL);
	assert_int_equal(conflict.first.kind, CCW_DEVICE_DISK);
	assert_int_equal(conflict.first.index, 1);
	assert_int_equal(conflict.address.cssid, 0xfd);
}

/* Controllers in the middle of libvirt's order: virtio disks (SCSI disks
 * have no ccw address), then the virtio-scsi controllers in definition
 * order (the pci-root has none), then the balloon. */
static void test_assign_controllers(void **state)
{
	static const char *const targets[] = {"sda", "vdb", "vda"};
	_cleanup_(domain_def_freep) DomainDef *def = make_def(targets, 3, MEMBALLOON_MODEL_VIRTIO);
	CcwConflict conflict = {};

	def->disks[0].bus = DISK_BUS_SCSI;
	def->controllers = calloc(3, sizeof(ControllerDef));
	assert_non_null(def->controllers);
	def->n_controllers = 3;
	def->controllers[0] = (ControllerDef){.type = CONTROLLER_TYPE_SCSI, .index = 1};
	def->controllers[1] =
		(ControllerDef){.type = CONTROLLER_TYPE_PCI, .model = CONTROLLER_MODEL_PCI_ROOT};
	def->controllers[2] = (ControllerDef){.type = CONTROLLER_TYPE_SCSI, .index = 0};
	def->disks[1].info.address = ADDR(0, 1); /* vdb */

	assert_int_equal(ccw_assign_domain(def, &conflict), 0);
	assert_false(def->disks[0].info.address.assigned);                        /* sda */
	assert_string_equal(str(&def->disks[2].info.address), "fe.0.0000");       /* vda */
	assert_string_equal(str(&def->controllers[0].info.address), "fe.0.0002"); /* scsi1 */
	assert_false(def->controllers[1].info.address.assigned);                  /* pci-root */
	assert_string_equal(str(&def->controllers[2].info.address), "fe.0.0003"); /* scsi0 */
	assert_string_equal(str(&def->memballoon.info.address), "fe.0.0004");

	/* A controller's explicit address is reserved before any is given,
	 * and a clash names it. */
	def->controllers[2].info.address = ADDR(0, 1);
	assert_int_equal(ccw_assign_domain(def, &conflict), -EEXIST);
	assert_int_equal(conflict.first.kind, CCW_DEVICE_DISK);
	assert_int_equal(conflict.first.index, 1);
	assert_int_equal(conflict.second.kind, CCW_DEVICE_CONTROLLER);
	assert_int_equal(conflict.second.index, 2);

	/* Hot-plug keeps its API: the set of a domain, then one free devno. */
	def->controllers[2].info.address = ADDR(0, 3);
	_cleanup_(ccw_address_set_freep) CcwAddressSet *s = ccw_address_set_new();
	CcwAddress got;
	assert_int_equal(ccw_address_set_add_domain(s, def, NULL), 0);
	assert_int_equal(ccw_address_set_next_free(s, &got), 0);
	assert_string_equal(str(&got), "fe.0.0005");
}

static void test_set_add_domain(void **state)
{
	/* Hotplug: reserve what a domain has, then take the next free. */
	static const char *const targets[] = {"vda", "vdb"};
	_cleanup_(domain_def_freep) DomainDef *def = make_def(targets, 2, MEMBALLOON_MODEL_VIRTIO);
	_cleanup_(ccw_address_set_freep) CcwAddressSet *s = ccw_address_set_new();
	CcwAddress got;

	assert_int_equal(ccw_assign_domain(def, NULL), 0);
	assert_int_equal(ccw_address_set_add_domain(s, def, NULL), 0);
	assert_int_equal(ccw_address_set_next_free(s, &got), 0);
	assert_string_equal(str(&got), "fe.0.0003");
	/* Adding the same domain again clashes with itself. */
	CcwConflict conflict = {};
	assert_int_equal(ccw_address_set_add_domain(s, def, &conflict), -EEXIST);
	assert_int_equal(ccw_address_set_add_domain(NULL, def, NULL), -EINVAL);
}

static void test_assign_full(void **state)
{
	/* Every address held by an explicit disk: the balloon, the one
	 * device left without an address, gets -ENOSPC and is named. */
	size_t n = 4 * 65536;
	DomainDef *def = calloc(1, sizeof(DomainDef));
	assert_non_null(def);
	def->disks = calloc(n, sizeof(DiskDef));
	assert_non_null(def->disks);
	def->n_disks = n;
	for (size_t i = 0; i < n; i++) {
		def->disks[i].info.address = ADDR(i / 65536, i % 65536);
		def->disks[i].target = NULL;
	}
	CcwConflict conflict = {};
	assert_int_equal(ccw_assign_domain(def, &conflict), -ENOSPC);
	assert_int_equal(conflict.first.kind, CCW_DEVICE_MEMBALLOON);
	assert_false(def->memballoon.info.address.assigned);
	domain_def_free(def);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_string),
		cmocka_unit_test(test_from_string),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_set_exhaustion),
		cmocka_unit_test(test_assign_order),
		cmocka_unit_test(test_assign_balloon_none),
		cmocka_unit_test(test_assign_duplicate),
		cmocka_unit_test(test_assign_invalid),
		cmocka_unit_test(test_assign_controllers),
		cmocka_unit_test(test_set_add_domain),
		cmocka_unit_test(test_assign_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
