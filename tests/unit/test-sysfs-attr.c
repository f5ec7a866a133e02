/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfs attributes below a root: reads, stores, driver links. */
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

#include "host/sysfs-attr.h"
#include "util/cleanup.h"

static char root[] = "/tmp/zvirt-sysfs-attr-XXXXXX";

static void put(const char *path, const char *text)
{
	char full[512];
	snprintf(full, sizeof(full), "%s/%s", root, path);
	FILE *f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char p[512];
	if (!mkdtemp(root))
		return -1;
	snprintf(p, sizeof(p), "%s/devices", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/devices/0.0.7500", root);
	mkdir(p, 0755);
	put("devices/0.0.7500/cutype", "3990/e9\n");
	put("devices/0.0.7500/empty", "");
	put("devices/0.0.7500/two", "first\nsecond\n");
	snprintf(p, sizeof(p), "%s/devices/0.0.7500/driver", root);
	return symlink("../../../../bus/ccw/drivers/dasd-eckd", p);
}

static int teardown(void **state)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_read(void **state)
{
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	assert_int_equal(sysfs_read_attr(root, "devices/0.0.7500/cutype", &a), 0);
	assert_string_equal(a, "3990/e9");
	assert_int_equal(sysfs_read_attr(root, "/devices/0.0.7500/empty", &b), 0);
	assert_string_equal(b, "");
	assert_int_equal(sysfs_read_attrf(root, &c, "devices/%s/two", "0.0.7500"), 0);
	assert_string_equal(c, "first");
	assert_int_equal(sysfs_read_attr(root, "devices/0.0.7500/nosuch", &d), -ENOENT);
	assert_null(d);
	assert_int_equal(sysfs_read_attr(root, "devices/0.0.7500", &d), -EISDIR);
}

static void test_write(void **state)
{
	_cleanup_free_ char *a = NULL;
	assert_int_equal(sysfs_write_attr(root, "devices/0.0.7500/empty", "1"), 0);
	assert_int_equal(sysfs_read_attr(root, "devices/0.0.7500/empty", &a), 0);
	assert_string_equal(a, "1");
	assert_int_equal(sysfs_write_attr(root, "devices/0.0.7500/nosuch/online", "1"), -ENOENT);
	assert_int_equal(sysfs_write_attr(root, "devices/0.0.7500", "1"), -EISDIR);
}

static void test_links(void **state)
{
	_cleanup_free_ char *drv = NULL, *none = NULL;
	assert_int_equal(sysfs_link_basename(root, "devices/0.0.7500/driver", &drv), 0);
	assert_string_equal(drv, "dasd-eckd");
	assert_int_equal(sysfs_link_basename(root, "devices/0.0.7500/cutype", &none), -EINVAL);
	assert_int_equal(sysfs_link_basename(root, "devices/0.0.7500/nosuch", &none), -ENOENT);
	assert_true(sysfs_exists(root, "devices/0.0.7500/driver")); /* a dangling link exists */
	assert_true(sysfs_exists(root, "devices/0.0.7500"));
	assert_false(sysfs_exists(root, "devices/0.0.7501"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_links),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
