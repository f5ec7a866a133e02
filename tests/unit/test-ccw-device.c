/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccw devices and DASDs (host/ccw-device.h, host/dasd.h) on a temp tree
 * with the kernel's layout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/ccw-device.h"
#include "host/dasd.h"
#include "util/cleanup.h"

static char root[] = "/tmp/zvirt-ccw-XXXXXX";
static char sys[600], dev[600];

static void mkdirs(const char *path)
{
	char cmd[1400];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void put(const char *path, const char *text)
{
	char full[1200];
	snprintf(full, sizeof(full), "%s/%s", sys, path);
	char *slash = strrchr(full, '/');
	*slash = 0;
	mkdirs(full);
	*slash = '/';
	FILE *f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *target, const char *path)
{
	char full[1200];
	snprintf(full, sizeof(full), "%s/%s", sys, path);
	assert_int_equal(symlink(target, full), 0);
}

/* A ccw device on subchannel sch with attributes. */
static void device(const char *sch, const char *busid, const char *cu, const char *dt, const char *online,
		   const char *driver)
{
	char p[300], a[400];
	snprintf(p, sizeof(p), "devices/css0/%s/%s", sch, busid);
	snprintf(a, sizeof(a), "%s/cutype", p);
	put(a, cu);
	snprintf(a, sizeof(a), "%s/devtype", p);
	put(a, dt);
	snprintf(a, sizeof(a), "%s/online", p);
	put(a, online);
	snprintf(a, sizeof(a), "%s/availability", p);
	put(a, "good\n");
	char t[300];
	snprintf(t, sizeof(t), "../../../devices/css0/%s/%s", sch, busid);
	snprintf(a, sizeof(a), "bus/ccw/devices/%s", busid);
	link_to(t, a);
	if (driver) {
		snprintf(t, sizeof(t), "../../../../bus/ccw/drivers/%s", driver);
		snprintf(a, sizeof(a), "%s/driver", p);
		link_to(t, a);
		/* The driver's directory lists the devices bound to it, as the
		 * kernel's does. */
		char d[1000];
		snprintf(d, sizeof(d), "%s/bus/ccw/drivers/%s", sys, driver);
		mkdirs(d);
		snprintf(t, sizeof(t), "../../../../devices/css0/%s/%s", sch, busid);
		snprintf(a, sizeof(a), "bus/ccw/drivers/%s/%s", driver, busid);
		link_to(t, a);
	}
}

static int setup(void **state)
{
	if (!mkdtemp(root))
		return -1;
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	char p[1200];
	snprintf(p, sizeof(p), "%s/bus/ccw/devices", sys);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/disk/by-path", dev);
	mkdirs(p);

	device("0.0.0001", "0.0.7500", "3990/e9\n", "3390/0c\n", "1\n", "dasd-eckd");
	put("devices/css0/0.0.0001/0.0.7500/status", "online\n");
	put("devices/css0/0.0.0001/0.0.7500/alias", "0\n");
	put("devices/css0/0.0.0001/0.0.7500/uid", "IBM.75000000092461.e900.10\n");
	put("devices/css0/0.0.0001/0.0.7500/block/dasda/dev", "94:0\n");
	put("devices/css0/0.0.0001/0.0.7500/block/dasda/size", "14424480\n");
	put("devices/css0/0.0.0001/0.0.7500/block/dasda/queue/logical_block_size", "4096\n");
	snprintf(p, sizeof(p), "%s/disk/by-path/ccw-0.0.7500", dev);
	assert_int_equal(symlink("../../dasda", p), 0);
	/* The node the link names (a dangling link is no node). */
	snprintf(p, sizeof(p), "%s/dasda", dev);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);

	device("0.0.0002", "0.0.75fe", "3990/e9\n", "3390/0c\n", "0\n", "dasd-eckd");
	put("devices/css0/0.0.0002/0.0.75fe/status", "offline\n");
	put("devices/css0/0.0.0002/0.0.75fe/alias", "1\n");
	put("devices/css0/0.0.0002/0.0.75fe/uid", "IBM.75000000092461.e900.x10\n");

	/* A second alias of the same storage subsystem. */
	device("0.0.0005", "0.0.75fd", "3990/e9\n", "3390/0c\n", "0\n", "dasd-eckd");
	put("devices/css0/0.0.0005/0.0.75fd/alias", "1\n");
	put("devices/css0/0.0.0005/0.0.75fd/uid", "IBM.75000000092461.e900.x11\n");

	/* Another storage subsystem's alias: not 0.0.7500's. */
	device("0.0.0003", "0.0.76fe", "3990/e9\n", "3390/0c\n", "0\n", "dasd-eckd");
	put("devices/css0/0.0.0003/0.0.76fe/alias", "1\n");
	put("devices/css0/0.0.0003/0.0.76fe/uid", "IBM.75000000092461.e901.x10\n");

	device("0.0.0004", "0.0.7501", "3990/e9\n", "3390/0c\n", "1\n", "dasd-eckd");
	put("devices/css0/0.0.0004/0.0.7501/status", "unformatted\n");
	put("devices/css0/0.0.0004/0.0.7501/alias", "0\n");
	put("devices/css0/0.0.0004/0.0.7501/block/dasdb/dev", "94:4\n");
	put("devices/css0/0.0.0004/0.0.7501/block/dasdb/size", "0\n");
	put("devices/css0/0.0.0004/0.0.7501/block/dasdb/queue/logical_block_size", "4096\n");

	device("0.0.0010", "0.0.1700", "1731/03\n", "1732/03\n", "0\n", "zfcp");
	/* No driver bound. */
	device("0.1.0011", "0.1.0200", "6310/80\n", "9336/10\n", "0\n", NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_busid(void **state)
{
	assert_true(ccw_busid_valid("0.0.7500"));
	assert_true(ccw_busid_valid("fe.3.00ff"));
	assert_false(ccw_busid_valid("0.0.75000"));
	assert_false(ccw_busid_valid("0.0.750"));
	assert_false(ccw_busid_valid("0.0.750A"));
	assert_false(ccw_busid_valid("0.4.7500"));
	assert_false(ccw_busid_valid("100.0.7500"));
	assert_false(ccw_busid_valid("00.0.7500")); /* the kernel prints no leading zero */
	assert_false(ccw_busid_valid("../x"));
	assert_false(ccw_busid_valid("0.0.7500/online"));
	assert_false(ccw_busid_valid(""));
	assert_false(ccw_busid_valid(NULL));
}

static void test_read(void **state)
{
	_cleanup_(ccw_device_done) CcwDevice d = {}, z = {}, n = {};
	assert_int_equal(ccw_device_read(sys, "0.0.7500", &d), 0);
	assert_string_equal(d.busid, "0.0.7500");
	assert_string_equal(d.subchannel, "0.0.0001");
	assert_string_equal(d.cutype, "3990/e9");
	assert_string_equal(d.devtype, "3390/0c");
	assert_string_equal(d.driver, "dasd-eckd");
	assert_string_equal(d.availability, "good");
	assert_string_equal(d.block, "dasda");
	assert_true(d.online);

	assert_int_equal(ccw_device_read(sys, "0.0.1700", &z), 0);
	assert_string_equal(z.driver, "zfcp");
	assert_string_equal(z.block, "");
	assert_false(z.online);
	assert_false(ccw_device_equal(&d, &z));
	assert_true(ccw_device_equal(&d, &d));

	assert_int_equal(ccw_device_read(sys, "0.1.0200", &n), 0);
	assert_string_equal(n.driver, "");
	assert_string_equal(n.subchannel, "0.1.0011");

	CcwDevice x = {};
	assert_int_equal(ccw_device_read(sys, "0.0.9999", &x), -ENOENT);
	assert_int_equal(ccw_device_read(sys, "../x", &x), -EINVAL);
}

static void test_list(void **state)
{
	_cleanup_(ccw_device_list_done) CcwDeviceList l = {};
	assert_int_equal(ccw_device_list(sys, &l), 0);
	assert_int_equal(l.n, 7);
	const char *order[] = {"0.0.1700", "0.0.7500", "0.0.7501", "0.0.75fd",
			       "0.0.75fe", "0.0.76fe", "0.1.0200"};
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(l.devs[i].busid, order[i]);

	/* No ccw bus: nothing, no error. */
	_cleanup_(ccw_device_list_done) CcwDeviceList e = {};
	assert_int_equal(ccw_device_list(root, &e), 0);
	assert_int_equal(e.n, 0);
}

static void test_set_online(void **state)
{
	char p[1200];
	assert_int_equal(ccw_device_set_online(sys, "0.0.1700", true), 0);
	snprintf(p, sizeof(p), "%s/devices/css0/0.0.0010/0.0.1700/online", sys);
	FILE *f = fopen(p, "r");
	char v[8] = "";
	assert_non_null(f);
	assert_non_null(fgets(v, sizeof(v), f));
	fclose(f);
	assert_int_equal(v[0], '1');
	assert_int_equal(ccw_device_set_online(sys, "0.0.1700", false), 0);
	assert_int_equal(ccw_device_set_online(sys, "0.0.9999", true), -ENOENT);
	assert_int_equal(ccw_device_set_online(sys, "0.0.7500/online", true), -EINVAL);
}

static void test_dasd(void **state)
{
	_cleanup_(dasd_done) Dasd a = {}, u = {};
	assert_int_equal(dasd_read(sys, dev, "0.0.7500", &a), 0);
	assert_string_equal(a.status, "active");
	assert_string_equal(a.name, "dasda");
	assert_string_equal(a.device, "94:0");
	assert_string_equal(a.type, "ECKD");
	assert_int_equal(a.block_size, 4096);
	assert_int_equal(a.blocks, 1803060);
	assert_int_equal(a.size_mb, 7043);
	assert_false(a.alias);
	assert_string_equal(a.uid, "IBM.75000000092461.e900.10");
	char want[800];
	snprintf(want, sizeof(want), "%s/disk/by-path/ccw-0.0.7500", dev);
	assert_string_equal(a.by_path, want);

	assert_int_equal(dasd_read(sys, dev, "0.0.7501", &u), 0);
	assert_string_equal(u.status, "n/f");
	assert_string_equal(u.name, "dasdb");
	assert_int_equal(u.blocks, 0);
	assert_string_equal(u.by_path, "");

	Dasd x = {};
	assert_int_equal(dasd_read(sys, dev, "0.0.1700", &x), -ENOTBLK);
	assert_int_equal(dasd_read(sys, dev, "0.0.9999", &x), -ENOENT);

	_cleanup_(dasd_list_done) DasdList l = {};
	assert_int_equal(dasd_list(sys, dev, &l), 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.dasds[0].busid, "0.0.7500");
	assert_string_equal(l.dasds[3].busid, "0.0.75fe");
	assert_true(l.dasds[3].alias);
	assert_string_equal(l.dasds[3].status, "offline");
	assert_string_equal(l.dasds[3].name, "");
}

static void test_aliases(void **state)
{
	_cleanup_strv_free_ char **a = NULL, **none = NULL, **b = NULL, **c = NULL;
	assert_int_equal(dasd_aliases_of(sys, "0.0.7500", &a), 0);
	assert_non_null(a[0]);
	assert_string_equal(a[0], "0.0.75fd");
	assert_non_null(a[1]);
	assert_string_equal(a[1], "0.0.75fe");
	assert_null(a[2]);
	/* An alias brings no other alias along. */
	assert_int_equal(dasd_aliases_of(sys, "0.0.75fe", &c), 0);
	assert_null(c[0]);
	/* No uid: no aliases. */
	assert_int_equal(dasd_aliases_of(sys, "0.0.1700", &none), 0);
	assert_null(none[0]);
	/* An alias is no base of the others. */
	assert_int_equal(dasd_aliases_of(sys, "0.0.7501", &b), 0);
	assert_null(b[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busid), cmocka_unit_test(test_read),
		cmocka_unit_test(test_list),  cmocka_unit_test(test_set_online),
		cmocka_unit_test(test_dasd),  cmocka_unit_test(test_aliases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
