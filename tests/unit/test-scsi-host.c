/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* host/scsi-host.c against a fake sysfs laid out as the kernel lays it
 * out for a zfcp-attached tape: /sys/bus/scsi/devices/H:C:T:L is a link
 * into /sys/devices/css0/.../hostH/rport-.../targetH:C:T/H:C:T:L, which
 * has scsi_generic/sgN (the class directory, with its dev file) and a
 * "generic" link to it. This machine has no SCSI devices, so the real
 * /sys cannot be used. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/scsi-host.h"
#include "util/cleanup.h"

static void mkdir_p(const char *path)
{
	_cleanup_free_ char *p = strdup(path);
	assert_non_null(p);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			(void)mkdir(p, 0755);
			*s = '/';
		}
	assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* One SCSI device H:0:T:L under root, with sg node sgN (sg < 0: none,
 * as when the sg module is not loaded). */
static void add_device(const char *root, unsigned host, unsigned target, unsigned lun, int sg)
{
	_cleanup_free_ char *dev = NULL, *link = NULL, *rel = NULL, *bus = NULL;
	assert_true(
		asprintf(&dev,
			 "%s/devices/css0/0.0.0010/0.0.1cc8/host%u/rport-%u:0-0/target%u:0:%u/%u:0:%u:%u",
			 root, host, host, host, target, host, target, lun) > 0);
	mkdir_p(dev);
	_cleanup_free_ char *type = NULL;
	assert_true(asprintf(&type, "%s/type", dev) > 0);
	write_text(type, "1\n"); /* TYPE_TAPE */
	if (sg >= 0) {
		_cleanup_free_ char *cls = NULL, *devfile = NULL, *generic = NULL, *target_rel = NULL,
				    *val = NULL;
		assert_true(asprintf(&cls, "%s/scsi_generic/sg%d", dev, sg) > 0);
		mkdir_p(cls);
		assert_true(asprintf(&devfile, "%s/dev", cls) > 0);
		assert_true(asprintf(&val, "21:%d\n", sg) > 0);
		write_text(devfile, val);
		assert_true(asprintf(&generic, "%s/generic", dev) > 0);
		assert_true(asprintf(&target_rel, "scsi_generic/sg%d", sg) > 0);
		assert_int_equal(symlink(target_rel, generic), 0);
	}
	assert_true(asprintf(&bus, "%s/bus/scsi/devices", root) > 0);
	mkdir_p(bus);
	assert_true(asprintf(&link, "%s/%u:0:%u:%u", bus, host, target, lun) > 0);
	assert_true(asprintf(&rel,
			     "../../../devices/css0/0.0.0010/0.0.1cc8/host%u/rport-%u:0-0/target%u:0:%u/"
			     "%u:0:%u:%u",
			     host, host, host, target, host, target, lun) > 0);
	assert_int_equal(symlink(rel, link), 0);
}

static int make_tree(void **state)
{
	char *root = strdup("/tmp/zvirtd-test-sysfs-XXXXXX");
	assert_non_null(root);
	assert_non_null(mkdtemp(root));
	add_device(root, 3, 8, 0, 4);  /* the seed's tape, 3:0:8:0 */
	add_device(root, 3, 8, 1, 5);  /* its changer, LUN 1 */
	add_device(root, 1, 2, 0, -1); /* a device without sg */
	*state = root;
	return 0;
}

static int remove_tree(void **state)
{
	_cleanup_free_ char *cmd = NULL;
	assert_true(asprintf(&cmd, "rm -rf '%s'", (char *)*state) > 0);
	assert_int_equal(system(cmd), 0);
	free(*state);
	return 0;
}

static void test_found(void **state)
{
	const char *root = *state;
	ZvError err = ZV_ERROR_INIT;
	_cleanup_free_ char *tape = NULL, *changer = NULL;

	assert_int_equal(host_scsi_sg_path(root, "/dev", "scsi_host3", 0, 8, 0, &tape, &err), 0);
	assert_string_equal(tape, "/dev/sg4");
	assert_int_equal(host_scsi_sg_path(root, "/dev", "scsi_host3", 0, 8, 1, &changer, &err), 0);
	assert_string_equal(changer, "/dev/sg5");
}

static void expect_missing(const char *root, const char *adapter, unsigned bus, unsigned target,
			   uint64_t unit, const char *part)
{
	ZvError err = ZV_ERROR_INIT;
	char *path = NULL;
	assert_int_equal(host_scsi_sg_path(root, "/dev", adapter, bus, target, unit, &path, &err), -ENOENT);
	assert_null(path);
	assert_int_equal(err.code, ZV_ERROR_HOST);
	if (!strstr(err.message, part))
		fail_msg("'%s' does not contain '%s'", err.message, part);
	zv_error_clear(&err);
}

static void test_missing(void **state)
{
	const char *root = *state;

	/* No such device: the message names the address both ways. */
	expect_missing(
		root, "scsi_host3", 0, 9, 0,
		"The host has no SCSI generic device at 3:0:9:0 (scsi_host3 bus 0 target 9 unit 0): no ");
	expect_missing(root, "scsi_host7", 0, 8, 0, "at 7:0:8:0");
	/* Large units are the kernel's 64-bit LUNs. */
	expect_missing(root, "scsi_host3", 0, 8, UINT64_C(0x4001000000000000), "3:0:8:4611967493404098560");
	/* The device exists, its sg node does not. */
	expect_missing(
		root, "scsi_host1", 0, 2, 0,
		"The SCSI device 1:0:2:0 (scsi_host1 bus 0 target 2 unit 0) has no SCSI generic node");

	ZvError err = ZV_ERROR_INIT;
	char *path = NULL;
	assert_int_equal(host_scsi_sg_path(root, "/dev", "scsi_hostx", 0, 0, 0, &path, &err), -EINVAL);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	zv_error_clear(&err);
}

/* The real /sys, for what it is worth here: this machine has no SCSI
 * devices, so only the refusal can be checked. */
static void test_real_sysfs(void **state)
{
	if (access("/sys/bus/scsi/devices", F_OK) == 0) {
		_cleanup_free_ char *cmd = strdup("ls /sys/bus/scsi/devices | grep -q ':'");
		if (system(cmd) == 0)
			skip(); /* a host with SCSI devices: nothing fixed to check */
	}
	expect_missing("/sys", "scsi_host0", 0, 0, 0, "at 0:0:0:0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_real_sysfs),
	};
	return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
