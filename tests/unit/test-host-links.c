/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What backend/host checks before it asks the kernel anything about a
 * link: names, bond options, VLAN ids, and the tag on a domain's links.
 * No netlink here (test-host-links in the integration suite does that
 * in a network namespace of its own). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/link-create.h"
#include "host/link-name.h"
#include "host/link-tag.h"
#include "util/cleanup.h"

static void assert_name_refused(const char *name, const char *why)
{
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(host_link_name_check(name, "link name", &err), -EINVAL);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	if (!strstr(err.message, why))
		fail_msg("the message for '%s' does not say '%s': %s", name ? name : "(null)", why,
			 err.message);
}

static void test_names(void **state)
{
	ZvError err = ZV_ERROR_INIT;
	static const char *const good[] = {"eth0",    "bond0",           "enccw0.0.8050", "bond0.623", "a",
					   "x-y_z@1", "123456789012345", "..a",           "é"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (host_link_name_check(good[i], "link name", &err) != 0)
			fail_msg("'%s' refused: %s", good[i], err.message);
	}
	assert_name_refused(NULL, "empty");
	assert_name_refused("", "empty");
	assert_name_refused("1234567890123456", "longer than 15 bytes");
	assert_name_refused(".", "'.' or '..'");
	assert_name_refused("..", "'.' or '..'");
	assert_name_refused("a/b", "'/'");
	assert_name_refused("a:1", "':'");
	assert_name_refused("a b", "white space");
	assert_name_refused("a\tb", "white space");
	assert_name_refused("a\nb", "white space");
	/* The message names what the name was for, and quotes it safely. */
	zv_error_clear(&err);
	assert_int_equal(host_link_name_check("a\x1b[31mb c", "slave", &err), -EINVAL);
	assert_non_null(strstr(err.message, "The slave '"));
	assert_null(strchr(err.message, '\x1b'));
}

static void test_bond_options(void **state)
{
	static const char *const modes[] = {"balance-rr", "active-backup", "balance-xor", "broadcast",
					    "802.3ad",    "balance-tlb",   "balance-alb"};
	ZvError err = ZV_ERROR_INIT;
	HostBondMode m;
	HostBondFailOverMac f;

	for (int i = 0; i < 7; i++) {
		assert_int_equal(host_bond_mode_from_string(modes[i], &m, &err), 0);
		/* The kernel's numbers: active-backup is 1, 802.3ad 4. */
		assert_int_equal(m, i);
		assert_string_equal(host_bond_mode_to_string(m), modes[i]);
	}
	assert_int_equal(host_bond_mode_from_string("active-backup 1", &m, &err), -EINVAL);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	assert_non_null(strstr(err.message, "balance-alb"));
	zv_error_clear(&err);
	assert_int_equal(host_bond_mode_from_string("1", &m, &err), -EINVAL);
	zv_error_clear(&err);
	assert_int_equal(host_bond_mode_from_string("", &m, &err), -EINVAL);
	assert_null(host_bond_mode_to_string(_HOST_BOND_MODE_MAX));

	zv_error_clear(&err);
	assert_int_equal(host_bond_fail_over_mac_from_string("none", &f, &err), 0);
	assert_int_equal(f, 0);
	assert_int_equal(host_bond_fail_over_mac_from_string("active", &f, &err), 0);
	assert_int_equal(f, 1);
	assert_int_equal(host_bond_fail_over_mac_from_string("follow", &f, &err), 0);
	assert_int_equal(f, 2);
	assert_int_equal(host_bond_fail_over_mac_from_string("Active", &f, &err), -EINVAL);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	assert_non_null(strstr(err.message, "none, active or follow"));
}

static void test_bond_checked_first(void **state)
{
	/* Refused before any socket is opened: these run without netlink. */
	HostBondOptions opts = {.mode = HOST_BOND_ACTIVE_BACKUP};
	ZvError err = ZV_ERROR_INIT;
	char *slaves[] = {"eth0", NULL};

	assert_int_equal(host_link_create_bond("", slaves, &opts, &err), -EINVAL);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	assert_non_null(strstr(err.message, "bond name"));
	zv_error_clear(&err);
	assert_int_equal(host_link_create_bond("bond/0", slaves, &opts, &err), -EINVAL);
	zv_error_clear(&err);
	opts.mode = _HOST_BOND_MODE_MAX;
	assert_int_equal(host_link_create_bond("bond0", slaves, &opts, &err), -EINVAL);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
}

static void test_vlan(void **state)
{
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(host_vlan_id_check(1, &err), 0);
	assert_int_equal(host_vlan_id_check(623, &err), 0);
	assert_int_equal(host_vlan_id_check(4094, &err), 0);
	assert_int_equal(host_vlan_id_check(0, &err), -EINVAL);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	assert_non_null(strstr(err.message, "1 to 4094"));
	zv_error_clear(&err);
	assert_int_equal(host_vlan_id_check(4095, &err), -EINVAL);
	zv_error_clear(&err);
	assert_int_equal(host_vlan_id_check(65535, &err), -EINVAL);

	_cleanup_free_ char *name = host_vlan_default_name("bond0", 623);
	assert_string_equal(name, "bond0.623");
	/* The default name of a VLAN on an OSA link is too long for the
	 * kernel: CreateVlan refuses it, the caller gives option name. */
	_cleanup_free_ char *longer = host_vlan_default_name("enccw0.0.8050", 623);
	zv_error_clear(&err);
	assert_int_equal(host_link_create_vlan("enccw0.0.8050", 623, longer, &err), -EINVAL);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	assert_non_null(strstr(err.message, "enccw0.0.8050.6"));
	zv_error_clear(&err);
	assert_int_equal(host_link_create_vlan("bond0", 0, "bond0.0", &err), -EINVAL);
	assert_non_null(strstr(err.message, "VLAN id 0"));
}

static void test_tag(void **state)
{
	char uuid[33];
	_cleanup_free_ char *device = NULL;

	assert_string_equal(HOST_LINK_TAG_PREFIX, "zvirtd:");
	assert_int_equal(host_link_tag_parse("zvirtd:6c1c1a7e0b2d4f6a9d3e5b8c7a1f2e3d:net0", uuid, &device),
			 1);
	assert_string_equal(uuid, "6c1c1a7e0b2d4f6a9d3e5b8c7a1f2e3d");
	assert_string_equal(device, "net0");
	/* The device alias is all after the second colon, colons and all. */
	free(device);
	device = NULL;
	assert_int_equal(
		host_link_tag_parse("zvirtd:00000000000000000000000000000001:ua-a:b", uuid, &device), 1);
	assert_string_equal(device, "ua-a:b");
	assert_string_equal(uuid, "00000000000000000000000000000001");
	/* ret_device_alias may be NULL. */
	assert_int_equal(host_link_tag_parse("zvirtd:6c1c1a7e0b2d4f6a9d3e5b8c7a1f2e3d:net1", uuid, NULL), 1);

	/* Not ours. */
	assert_int_equal(host_link_tag_parse(NULL, uuid, NULL), 0);
	assert_int_equal(host_link_tag_parse("", uuid, NULL), 0);
	assert_int_equal(host_link_tag_parse("uplink to switch 3", uuid, NULL), 0);
	assert_int_equal(host_link_tag_parse("zvirtd", uuid, NULL), 0);
	assert_int_equal(host_link_tag_parse("ZVIRTD:6c1c1a7e0b2d4f6a9d3e5b8c7a1f2e3d:net0", uuid, NULL), 0);

	/* Ours, but no tag. */
	assert_int_equal(host_link_tag_parse("zvirtd:", uuid, NULL), -EINVAL);
	assert_int_equal(host_link_tag_parse("zvirtd:6c1c1a7e0b2d4f6a9d3e5b8c7a1f2e3d", uuid, NULL),
			 -EINVAL);
	assert_int_equal(host_link_tag_parse("zvirtd:6c1c1a7e0b2d4f6a9d3e5b8c7a1f2e3d:", uuid, NULL),
			 -EINVAL);
	assert_int_equal(host_link_tag_parse("zvirtd:6C1C1A7E0B2D4F6A9D3E5B8C7A1F2E3D:net0", uuid, NULL),
			 -EINVAL);
	assert_int_equal(host_link_tag_parse("zvirtd:6c1c1a7e-0b2d-4f6a-9d3e-5b8c7a1f2e3d:net0", uuid, NULL),
			 -EINVAL);
	assert_int_equal(host_link_tag_parse("zvirtd:6c1c1a7e0b2d4f6a9d3e5b8c7a1f2e3:net0", uuid, NULL),
			 -EINVAL);
	assert_int_equal(host_link_tag_parse("zvirtd:6c1c1a7e0b2d4f6a9d3e5b8c7a1f2e3dd:net0", uuid, NULL),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bond_options),
		cmocka_unit_test(test_bond_checked_first),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_tag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
