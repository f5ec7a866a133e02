/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* host/scsi-device.c and host/zfcp-device.c against a fake sysfs and
 * /dev in a temporary directory: the lists, the WWID's multipath name,
 * the strict bus id and WWPN forms. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/ccw-device.h"
#include "host/scsi-device.h"
#include "host/zfcp-device.h"
#include "util/cleanup.h"

static char root[] = "/tmp/zv-scsi-device-XXXXXX";
static char *sys, *dev;

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

static void put(const char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(const char *text, const char *fmt, ...)
{
	_cleanup_free_ char *path = NULL;
	va_list ap;
	va_start(ap, fmt);
	assert_true(vasprintf(&path, fmt, ap) > 0);
	va_end(ap);
	char *slash = strrchr(path, '/');
	*slash = 0;
	mkdir_p(path);
	*slash = '/';
	if (!text)
		return mkdir_p(path);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f, "%s\n", text);
	assert_int_equal(fclose(f), 0);
}

static void scsi(const char *addr, const char *type, const char *wwid, const char *upper, const char *node,
		 const char *sg)
{
	put(type, "%s/bus/scsi/devices/%s/type", sys, addr);
	put("IBM     ", "%s/bus/scsi/devices/%s/vendor", sys, addr);
	put("2107900", "%s/bus/scsi/devices/%s/model", sys, addr);
	put(".5.7", "%s/bus/scsi/devices/%s/rev", sys, addr);
	if (wwid)
		put(wwid, "%s/bus/scsi/devices/%s/wwid", sys, addr);
	if (upper)
		put(NULL, "%s/bus/scsi/devices/%s/%s/%s", sys, addr, upper, node);
	if (sg)
		put(NULL, "%s/bus/scsi/devices/%s/scsi_generic/%s", sys, addr, sg);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(root));
	assert_true(asprintf(&sys, "%s/sys", root) > 0 && asprintf(&dev, "%s/dev", root) > 0);
	/* Sorted numerically, not as the names sort. */
	scsi("2:0:17:1086079011", "0", "naa.6005076305ffc1ae00000000000023bc", "block", "sda", "sg1");
	put("0.0.1700", "%s/bus/scsi/devices/2:0:17:1086079011/hba_id", sys);
	put("0x500507630513c1ae", "%s/bus/scsi/devices/2:0:17:1086079011/wwpn", sys);
	put("0x402340bc00000000", "%s/bus/scsi/devices/2:0:17:1086079011/fcp_lun", sys);
	scsi("10:0:0:0", "8", NULL, "scsi_changer", "sch0", NULL);
	scsi("1:0:2:0", "1", "naa.5005076044840242", "scsi_tape", "nst0", "sg0");
	put(NULL, "%s/bus/scsi/devices/1:0:2:0/scsi_tape/st0", sys);
	scsi("1:0:3:0", "5", NULL, NULL, NULL, NULL);
	/* Not devices: skipped. */
	put(NULL, "%s/bus/scsi/devices/target1:0:2", sys);
	put(NULL, "%s/bus/scsi/devices/host1", sys);
	mkdir_p(dev);
	put(NULL, "%s/mapper/.keep", dev);
	put(NULL, "%s/disk/by-id/.keep", dev);
	_cleanup_free_ char *m = NULL, *b = NULL;
	assert_true(asprintf(&m, "%s/mapper/36005076305ffc1ae00000000000023bc", dev) > 0);
	assert_true(asprintf(&b, "%s/disk/by-id/scsi-36005076305ffc1ae00000000000023bc", dev) > 0);
	/* multipathd's link, its dm node not there: still reported. */
	assert_int_equal(symlink("../dm-0", m), 0);
	assert_int_equal(symlink("../../sda", b), 0);

	/* Two FCP devices and a DASD. */
	put("1731/03", "%s/bus/ccw/devices/0.0.1700/cutype", sys);
	put("1732/03", "%s/bus/ccw/devices/0.0.1700/devtype", sys);
	put("1", "%s/bus/ccw/devices/0.0.1700/online", sys);
	put(NULL, "%s/bus/ccw/devices/0.0.1700/host2", sys);
	put(NULL, "%s/bus/ccw/devices/0.0.1700/0x500507630513c1ae", sys);
	put(NULL, "%s/bus/ccw/devices/0.0.1700/0x500507630503c1ae", sys);
	put("NPIV VPORT", "%s/class/fc_host/host2/port_type", sys);
	put("1731/03", "%s/bus/ccw/devices/0.0.1600/cutype", sys);
	put("1732/03", "%s/bus/ccw/devices/0.0.1600/devtype", sys);
	put("0", "%s/bus/ccw/devices/0.0.1600/online", sys);
	put("3990/e9", "%s/bus/ccw/devices/0.0.7500/cutype", sys);
	put("3390/0c", "%s/bus/ccw/devices/0.0.7500/devtype", sys);
	put("1", "%s/bus/ccw/devices/0.0.7500/online", sys);
	put("Y", "%s/module/zfcp/parameters/allow_lun_scan", sys);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	_cleanup_free_ char *cmd = NULL;
	assert_true(asprintf(&cmd, "rm -rf '%s'", root) > 0);
	assert_int_equal(system(cmd), 0);
	free(sys);
	free(dev);
	return 0;
}

static void expect_dev(const char *got, const char *name)
{
	_cleanup_free_ char *want = NULL;
	assert_true(asprintf(&want, "%s/%s", dev, name) > 0);
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void test_list(void **state)
{
	HostScsiDeviceList l = {};
	ZvError err = ZV_ERROR_INIT;
	(void)state;
	assert_int_equal(host_scsi_device_list(sys, dev, &l, &err), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.devices[0].address, "1:0:2:0");
	assert_string_equal(l.devices[1].address, "1:0:3:0");
	assert_string_equal(l.devices[2].address, "2:0:17:1086079011");
	assert_string_equal(l.devices[3].address, "10:0:0:0");

	const HostScsiDevice *t = &l.devices[0];
	assert_string_equal(t->type, "tape");
	expect_dev(t->node, "st0");
	expect_dev(t->sg, "sg0");
	assert_null(t->multipath);
	assert_null(t->hba_id);

	const HostScsiDevice *o = &l.devices[1];
	assert_string_equal(o->type, "other");
	assert_int_equal(o->type_number, 5);
	assert_null(o->node);
	assert_null(o->sg);
	assert_null(o->wwid);

	const HostScsiDevice *d = &l.devices[2];
	assert_string_equal(d->type, "disk");
	assert_int_equal(d->host, 2);
	assert_int_equal(d->target, 17);
	assert_int_equal(d->lun, 1086079011);
	assert_string_equal(d->vendor, "IBM"); /* the blanks of the field cut */
	expect_dev(d->node, "sda");
	expect_dev(d->sg, "sg1");
	assert_string_equal(d->scsi_id, "36005076305ffc1ae00000000000023bc");
	expect_dev(d->multipath, "mapper/36005076305ffc1ae00000000000023bc");
	expect_dev(d->by_id, "disk/by-id/scsi-36005076305ffc1ae00000000000023bc");
	assert_string_equal(d->hba_id, "0.0.1700");
	assert_string_equal(d->wwpn, "0x500507630513c1ae");
	assert_string_equal(d->fcp_lun, "0x402340bc00000000");

	assert_string_equal(l.devices[3].type, "changer");
	expect_dev(l.devices[3].node, "sch0");
	host_scsi_device_list_done(&l);

	/* No SCSI at all: an empty list. */
	assert_int_equal(host_scsi_device_list(dev, dev, &l, &err), 0);
	assert_int_equal(l.n, 0);
}

static void test_find_zfcp(void **state)
{
	_cleanup_free_ char *addr = NULL;
	(void)state;
	assert_int_equal(host_scsi_device_find_zfcp(sys, "0.0.1700", "0x500507630513c1ae",
						    "0x402340bc00000000", &addr),
			 0);
	assert_string_equal(addr, "2:0:17:1086079011");
	assert_int_equal(host_scsi_device_find_zfcp(sys, "0.0.1700", "0x500507630513c1ae",
						    "0x402340bd00000000", &addr),
			 -ENOENT);
	assert_int_equal(host_scsi_device_find_zfcp(sys, "0.0.1701", "0x500507630513c1ae",
						    "0x402340bc00000000", &addr),
			 -ENOENT);
}

static void test_wwid_to_id(void **state)
{
	(void)state;
	char *s = host_scsi_wwid_to_id("naa.6005076305ffc1ae00000000000023bc");
	assert_string_equal(s, "36005076305ffc1ae00000000000023bc");
	free(s);
	s = host_scsi_wwid_to_id("eui.0025385b71b0af4d");
	assert_string_equal(s, "20025385b71b0af4d");
	free(s);
	assert_null(host_scsi_wwid_to_id("naa."));
	assert_null(host_scsi_wwid_to_id("naa.60/../x"));
	assert_null(host_scsi_wwid_to_id("6005076305ffc1ae"));
	assert_null(host_scsi_wwid_to_id(NULL));
}

static void test_zfcp_list(void **state)
{
	HostZfcpDeviceList l = {};
	ZvError err = ZV_ERROR_INIT;
	(void)state;
	assert_int_equal(host_zfcp_device_list(sys, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.devices[0].busid, "0.0.1600");
	assert_false(l.devices[0].online);
	assert_false(l.devices[0].npiv);
	assert_false(l.devices[0].auto_lun_scan);
	assert_null(l.devices[0].ports[0]);
	assert_null(l.devices[0].scsi_host);
	assert_string_equal(l.devices[1].busid, "0.0.1700");
	assert_true(l.devices[1].online);
	assert_true(l.devices[1].npiv);
	assert_true(l.devices[1].auto_lun_scan);
	assert_string_equal(l.devices[1].scsi_host, "host2");
	assert_string_equal(l.devices[1].ports[0], "0x500507630503c1ae");
	assert_string_equal(l.devices[1].ports[1], "0x500507630513c1ae");
	assert_null(l.devices[1].ports[2]);
	host_zfcp_device_list_done(&l);

	HostZfcpDevice d = {};
	assert_int_equal(host_zfcp_device_get(sys, "0.0.7500", &d, &err), -ENODEV);
	assert_int_equal(err.code, ZV_ERROR_NO_SUCH_DEVICE);
	zv_error_clear(&err);
	assert_int_equal(host_zfcp_device_get(sys, "0.0.1600/..", &d, &err), -EINVAL);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	zv_error_clear(&err);
	/* Offline: no store is tried. */
	assert_int_equal(
		host_zfcp_unit_add(sys, "0.0.1600", "0x500507630513c1ae", "0x402340bc00000000", &err),
		-ENODEV);
	assert_int_equal(err.code, ZV_ERROR_OPERATION_INVALID);
	zv_error_clear(&err);
	/* A port it does not have. */
	assert_int_equal(
		host_zfcp_unit_add(sys, "0.0.1700", "0x500507630513c1af", "0x402340bc00000000", &err),
		-ENOENT);
	assert_int_equal(err.code, ZV_ERROR_NO_SUCH_DEVICE);
}

static void test_forms(void **state)
{
	(void)state;
	const char *good_ids[] = {"0.0.1700", "f.3.ffff", "0.1.0000"};
	const char *bad_ids[] = {"0.0.170",  "0.0.17000", "0.0.1A00", "0.4.1700", "00.0.1700",
				 "0.0.17g0", "0.0/1700",  "../.1700", "",         "0.0.1700\n"};
	for (size_t i = 0; i < sizeof(good_ids) / sizeof(*good_ids); i++)
		assert_true(ccw_busid_valid(good_ids[i]));
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(*bad_ids); i++)
		assert_false(ccw_busid_valid(bad_ids[i]));
	assert_false(ccw_busid_valid(NULL));
	assert_true(host_zfcp_wwpn_valid("0x500507630513c1ae"));
	assert_true(host_zfcp_wwpn_valid("0x0000000000000000"));
	const char *bad_hex[] = {"0x500507630513C1AE",
				 "0X500507630513c1ae",
				 "500507630513c1ae",
				 "0x500507630513c1a",
				 "0x500507630513c1ae0",
				 "0x500507630513c1a/",
				 "0x"};
	for (size_t i = 0; i < sizeof(bad_hex) / sizeof(*bad_hex); i++)
		assert_false(host_zfcp_wwpn_valid(bad_hex[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),       cmocka_unit_test(test_find_zfcp),
		cmocka_unit_test(test_wwid_to_id), cmocka_unit_test(test_zfcp_list),
		cmocka_unit_test(test_forms),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
