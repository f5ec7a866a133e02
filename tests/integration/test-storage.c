/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt's storage XML on a real s390x guest: a virtio-scsi controller
 * with a SCSI CD/DVD whose medium is a small file of known bytes, an
 * empty drive, and a drive whose medium is missing with
 * startupPolicy='optional'. The guest sees the controller on its channel
 * subsystem (control unit 3832/08) and reads the medium's bytes from its
 * sr node; the missing medium left an empty drive. A SCSI tape passed
 * through cannot run here (this machine has no SCSI devices): its start
 * fails with HostError naming the address and changes nothing.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* The medium: these bytes, then zeros to a whole number of CD sectors. */
static const char medium_text[] = "ZVIRT-CDROM-MEDIUM-0123456789ab";
#define MEDIUM_SIZE (16 * 2048)

static char *medium_file(void)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/storage-cd.iso", harness_tmpdir()) > 0);
	harness_write_file(p, medium_text);
	assert_int_equal(truncate(p, MEDIUM_SIZE), 0);
	return p;
}

/* The test guest with extra devices before its memballoon. */
static char *guest_with(const char *name, const char *devices)
{
	_cleanup_free_ char *base = harness_guest_xml(name);
	const char *anchor = "    <memballoon model='none'/>\n";
	char *at = strstr(base, anchor);
	char *xml = NULL;
	assert_non_null(at);
	assert_true(asprintf(&xml, "%.*s%s%s", (int)(at - base), base, devices, at) > 0);
	return xml;
}

static char *hex(const char *s)
{
	char *h = calloc(2 * strlen(s) + 1, 1);
	assert_non_null(h);
	for (size_t i = 0; s[i]; i++)
		sprintf(h + 2 * i, "%02x", (unsigned char)s[i]);
	return h;
}

static void test_scsi_cdrom(void **state)
{
	_cleanup_free_ char *medium = medium_file();
	_cleanup_free_ char *missing = NULL, *devices = NULL;
	assert_true(asprintf(&missing, "%s/storage-missing.iso", harness_tmpdir()) > 0);
	assert_true(asprintf(&devices,
			     "    <controller type='scsi' index='0' model='virtio-scsi'/>\n"
			     "    <disk type='file' device='cdrom'>\n"
			     "      <driver name='qemu' type='raw' cache='none' io='native'/>\n"
			     "      <source file='%s'/>\n"
			     "      <target dev='sda' bus='scsi'/>\n"
			     "      <readonly/>\n"
			     "      <address type='drive' controller='0' bus='0' target='0' unit='0'/>\n"
			     "    </disk>\n"
			     "    <disk type='file' device='cdrom'>\n"
			     "      <driver name='qemu' type='raw'/>\n"
			     "      <target dev='sdb' bus='scsi'/>\n"
			     "    </disk>\n"
			     "    <disk type='file' device='cdrom'>\n"
			     "      <driver name='qemu' type='raw'/>\n"
			     "      <source file='%s' startupPolicy='optional'/>\n"
			     "      <target dev='sdc' bus='scsi'/>\n"
			     "    </disk>\n",
			     medium, missing) > 0);
	_cleanup_free_ char *xml = guest_with("storage-guest", devices);
	_cleanup_free_ char *path = harness_define(xml);

	/* The definition as libvirt would keep it: the controller at the
	 * first devno (no virtio disk before it), drive addresses. */
	_cleanup_free_ char *defined = harness_get_xml(path);
	if (!strstr(defined, "<controller type='scsi' index='0' model='virtio-scsi'>\n"
			     "      <address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0000'/>") ||
	    !strstr(defined, "<address type='drive' controller='0' bus='0' target='0' unit='1'/>") ||
	    !strstr(defined, "startupPolicy='optional'"))
		fail_msg("defined XML:\n%s", defined);

	harness_boot_guest(path, "storage-guest");
	_cleanup_free_ char *pty = harness_console_pty(path);
	assert_non_null(pty);

	/* The HBA on the guest's channel subsystem: CU model 0x08. */
	_cleanup_free_ char *devs = NULL;
	assert_int_equal(harness_console_command(pty, "devices", 30000, &devs), 0);
	if (!strstr(devs, "ccw 0.0.0000 3832/08"))
		fail_msg("guest devices:\n%s", devs);

	/* The medium's bytes from the CD's node: the kernel names the
	 * drives sr0, sr1, sr2 in scan order (LUN 0 first). */
	_cleanup_free_ char *want = hex(medium_text), *expect = NULL;
	assert_true(asprintf(&expect, "data=%s", want) > 0);
	_cleanup_free_ char *cmd = NULL, *out = NULL;
	assert_true(asprintf(&cmd, "readdev sr0 %zu", strlen(medium_text)) > 0);
	assert_int_equal(harness_console_command(pty, cmd, 60000, &out), 0);
	if (!strstr(out, expect))
		fail_msg("readdev sr0: '%s', expected '%s'", out, expect);
	/* The empty drive and the one whose medium was missing read nothing. */
	for (int i = 1; i <= 2; i++) {
		_cleanup_free_ char *c = NULL, *o = NULL;
		assert_true(asprintf(&c, "readdev sr%d 16", i) > 0);
		assert_int_equal(harness_console_command(pty, c, 60000, &o), 0);
		if (!strstr(o, "data=\n") && !strstr(o, "data=\r\n"))
			fail_msg("readdev sr%d: '%s', expected no data", i, o);
	}

	/* Live: libvirt's aliases; the missing medium is gone, as its
	 * policy went with it; the definition keeps both. */
	_cleanup_free_ char *live = harness_get_xml(path);
	if (!strstr(live, "<alias name='scsi0-0-0-0'/>") || !strstr(live, "<alias name='scsi0'/>") ||
	    strstr(live, missing))
		fail_msg("live XML:\n%s", live);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	_cleanup_free_ char *after = harness_get_xml(path);
	if (!strstr(after, missing))
		fail_msg("the definition lost the optional medium:\n%s", after);
	harness_undefine(path);
}

/* The tape of the seed's example (scsi_host3, target 8, unit 0): this
 * machine has no SCSI devices, so its start is refused, naming it. */
static void test_scsi_hostdev_missing(void **state)
{
	_cleanup_free_ char *xml =
		guest_with("storage-tape", "    <hostdev mode='subsystem' type='scsi'>\n"
					   "      <source>\n"
					   "        <adapter name='scsi_host3'/>\n"
					   "        <address bus='0' target='8' unit='0'/>\n"
					   "      </source>\n"
					   "    </hostdev>\n");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *defined = harness_get_xml(path);
	/* The implicit controller the hostdev needs, and its address. */
	if (!strstr(defined, "<controller type='scsi' index='0' model='virtio-scsi'>") ||
	    !strstr(defined, "<address type='drive' controller='0' bus='0' target='0' unit='0'/>"))
		fail_msg("defined XML:\n%s", defined);

	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}",
				  0);
	assert_true(r < 0);
	assert_string_equal(error.name, ZVIRT_ERROR("HostError"));
	if (!strstr(error.message, "3:0:8:0") || !strstr(error.message, "scsi_host3"))
		fail_msg("Start: %s", error.message);
	sd_bus_error_free(&error);
	harness_assert_state(path, "shut-off", "failed");
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scsi_cdrom),
		cmocka_unit_test(test_scsi_hostdev_missing),
	};

	return harness_main("storage", tests, 0);
}
