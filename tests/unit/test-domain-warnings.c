/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The warnings ValidateXML answers (conf/domain-warnings.h): one per
 * risky disk node, none for the nodes the seed recommends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/domain-def.h"
#include "conf/domain-warnings.h"
#include "conf/domain-xml.h"
#include "util/cleanup.h"

/* The warnings of a domain with one block disk of source src. */
static char **warnings_of(const char *src, const char *dev_root)
{
	char xml[2048];
	snprintf(xml, sizeof(xml),
		 "<domain type='kvm'><name>w</name><memory unit='MiB'>256</memory>"
		 "<os><type arch='s390x' machine='s390-ccw-virtio'>hvm</type></os><devices>"
		 "<disk type='block' device='disk'><driver name='qemu' type='raw' cache='none' io='native'/>"
		 "<source dev='%s'/><target dev='vda' bus='virtio'/></disk>"
		 "<disk type='file' device='disk'><source file='/var/lib/images/a.qcow2'/>"
		 "<driver name='qemu' type='qcow2'/><target dev='vdb' bus='virtio'/></disk>"
		 "</devices></domain>",
		 src);
	DomainXMLDefaults defaults = {.emulator = "/usr/bin/qemu-system-s390x"};
	DomainDef *def = NULL;
	ZvError err = ZV_ERROR_INIT;
	if (domain_def_parse(xml, strlen(xml), &defaults, 0, &def, &err) < 0)
		fail_msg("parse: %s", err.message);
	char **w = NULL;
	assert_int_equal(domain_def_warnings(def, dev_root, &w), 0);
	domain_def_free(def);
	assert_non_null(w);
	return w;
}

static void expect_one(const char *src, const char *dev_root, const char *part)
{
	_cleanup_strv_free_ char **w = warnings_of(src, dev_root);
	assert_non_null(w[0]);
	assert_null(w[1]);
	if (!strstr(w[0], "disk 'vda'") || !strstr(w[0], src) || !strstr(w[0], part))
		fail_msg("%s: '%s', expected '%s'", src, w[0], part);
}

static void expect_none(const char *src, const char *dev_root)
{
	_cleanup_strv_free_ char **w = warnings_of(src, dev_root);
	if (w[0])
		fail_msg("%s: unexpected warning '%s'", src, w[0]);
}

static void test_dasd_by_path(void **state)
{
	(void)state;
	expect_one("/dev/disk/by-path/ccw-0.0.7500", "/dev", "IOCDS");
	expect_one("/dev/disk/by-path/ccw-0.0.7500-part1", "/dev", "same device number");
	/* DevRoot= is what is recognized. */
	expect_one("/tmp/t/devroot/disk/by-path/ccw-0.0.7500", "/tmp/t/devroot", "IOCDS");
	expect_none("/dev/disk/by-path/ccw-0.0.7500", "/tmp/t/devroot");
}

static void test_kernel_names(void **state)
{
	(void)state;
	expect_one("/dev/dasda", "/dev", "next boot");
	expect_one("/dev/dasdab1", "/dev", "next boot");
	expect_one("/dev/sdq", "/dev", "multipath map");
	/* Not kernel disk names. */
	expect_none("/dev/dasd", "/dev");
	expect_none("/dev/sda/x", "/dev");
	expect_none("/dev/sdq1x", "/dev");
}

static void test_one_path(void **state)
{
	(void)state;
	expect_one("/dev/disk/by-path/ccw-0.0.1700-zfcp-0x500507630513c1ae:0x402340bc00000000", "/dev",
		   "that path fails");
	expect_one("/dev/disk/by-id/scsi-36005076305ffc1ae00000000000023bc", "/dev", "/dev/mapper/<WWID>");
}

static void test_recommended(void **state)
{
	(void)state;
	expect_none("/dev/mapper/36005076305ffc1ae00000000000023bc", "/dev");
	expect_none("/dev/disk/by-id/ccw-IBM.75000000092461.e900.10", "/dev");
	expect_none("/dev/vg0/lv1", "/dev");
	expect_none("/srv/block", "/dev");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dasd_by_path),
		cmocka_unit_test(test_kernel_names),
		cmocka_unit_test(test_one_path),
		cmocka_unit_test(test_recommended),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
