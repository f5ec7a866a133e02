/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A NIC's counters as the guest sees them (a tap's swap), and the key
 * NetworkInterface.Detach names its NIC with, and an update that keeps
 * a NIC's place. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/device-xml.h"
#include "conf/domain-devices.h"
#include "conf/domain-xml.h"
#include "driver/net-stats.h"
#include "util/cleanup.h"

static const HostLinkStats host = {
	.rx_bytes = 1,
	.rx_packets = 2,
	.rx_errs = 3,
	.rx_drop = 4,
	.tx_bytes = 5,
	.tx_packets = 6,
	.tx_errs = 7,
	.tx_drop = 8,
};

/* A tap (bridge): what the host receives on it the guest sent. */
static void test_bridge_swaps(void **state)
{
	HostLinkStats g;
	net_stats_guest_view(NET_TYPE_BRIDGE, &host, &g);
	assert_int_equal(g.rx_bytes, 5);
	assert_int_equal(g.rx_packets, 6);
	assert_int_equal(g.rx_errs, 7);
	assert_int_equal(g.rx_drop, 8);
	assert_int_equal(g.tx_bytes, 1);
	assert_int_equal(g.tx_packets, 2);
	assert_int_equal(g.tx_errs, 3);
	assert_int_equal(g.tx_drop, 4);
}

/* A macvtap (direct) shares the guest's view: unchanged. */
static void test_direct_keeps(void **state)
{
	HostLinkStats g;
	net_stats_guest_view(NET_TYPE_DIRECT, &host, &g);
	assert_memory_equal(&g, &host, sizeof(g));
}

static DomainDef *domain(const char *devices)
{
	_cleanup_free_ char *xml = NULL;
	assert_true(asprintf(&xml,
			     "<domain type='kvm'><name>d</name><memory>262144</memory>"
			     "<os><type arch='s390x' machine='s390-ccw-virtio'>hvm</type></os>"
			     "<devices>%s<memballoon model='none'/></devices></domain>",
			     devices) > 0);
	DomainDef *def = NULL;
	ZvError err = ZV_ERROR_INIT;
	DomainXMLDefaults defaults = {.emulator = "/usr/bin/qemu-system-s390x"};
	if (domain_def_parse(xml, strlen(xml), &defaults, 0, &def, &err) < 0)
		fail_msg("%s", err.message);
	return def;
}

/* Detach's key: a copy of the NIC (the config half copies it again
 * through the XML, so it must be a valid device); it finds its NIC among
 * others, and none once its MAC is another. */
static void test_detach_key(void **state)
{
	_cleanup_(domain_def_freep) DomainDef *def =
		domain("<interface type='direct'><mac address='52:54:00:00:00:01'/>"
		       "<source dev='eth0'/></interface>"
		       "<interface type='bridge'><mac address='52:54:00:00:00:02'/>"
		       "<source bridge='br0'/><link state='down'/></interface>");
	assert_int_equal(def->n_interfaces, 2);
	for (size_t i = 0; i < 2; i++) {
		DeviceDef probe = {.kind = DEVICE_KIND_INTERFACE, .interface = def->interfaces[i]};
		_cleanup_(device_def_freep) DeviceDef *key = device_def_copy(&probe);
		assert_non_null(key);
		_cleanup_(device_def_freep) DeviceDef *again = device_def_copy(key);
		assert_non_null(again);
		assert_int_equal(domain_def_device_index(def, key), (ssize_t)i);
		key->interface.mac[5] = 9;
		assert_true(domain_def_device_index(def, key) < 0);
	}
}

/* An update takes the NIC out and puts the new one back in its place:
 * the others keep their indexes (their object paths). */
static void test_update_keeps_place(void **state)
{
	_cleanup_(domain_def_freep) DomainDef *def =
		domain("<interface type='direct'><mac address='52:54:00:00:00:01'/></interface>"
		       "<interface type='direct'><mac address='52:54:00:00:00:02'/></interface>"
		       "<interface type='direct'><mac address='52:54:00:00:00:03'/></interface>");
	DeviceDef old;
	domain_def_remove_device(def, DEVICE_KIND_INTERFACE, 0, &old);
	assert_int_equal(domain_def_insert_device(def, &old), 0);
	assert_int_equal(def->interfaces[2].mac[5], 1);
	domain_def_move_last_device(def, DEVICE_KIND_INTERFACE, 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(def->interfaces[i].mac[5], i + 1);
	/* The last one stays where it is. */
	domain_def_move_last_device(def, DEVICE_KIND_INTERFACE, 2);
	assert_int_equal(def->interfaces[2].mac[5], 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bridge_swaps),
		cmocka_unit_test(test_direct_keeps),
		cmocka_unit_test(test_detach_key),
		cmocka_unit_test(test_update_keeps_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
