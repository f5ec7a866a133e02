/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AttachDevice, DetachDevice and UpdateDevice of disks on a real s390x
 * guest, and the org.zvirt1.Disk objects: a qcow2 disk plugged live is
 * seen and written by the guest and gone after the unplug; a config-only
 * attach appears at the next start; the objects and the XML agree with
 * QEMU after a daemon restart; a guest that does not release a disk ends
 * the call with Timeout and DeviceRemovalFailed and the disk stays; and
 * every bad input is refused with its error and changes nothing.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define DISK_IFACE "org.zvirt1.Disk"

static char *image_path(const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", harness_tmpdir(), name) > 0);
	return p;
}

/* A new qcow2 image of 16 MiB. */
static char *make_qcow2(const char *name)
{
	char *p = image_path(name);
	_cleanup_free_ char *cmd = NULL;
	assert_true(asprintf(&cmd, "qemu-img create -q -f qcow2 '%s' 16M", p) > 0);
	assert_int_equal(system(cmd), 0);
	return p;
}

static char *disk_xml(const char *image, const char *format, const char *target, const char *extra)
{
	char *xml = NULL;
	assert_true(asprintf(&xml,
			     "<disk type='file' device='disk'>"
			     "<driver name='qemu' type='%s'/>"
			     "<source file='%s'/><target dev='%s' bus='virtio'/>%s</disk>",
			     format, image, target, extra ? extra : "") > 0);
	return xml;
}

static char *attach(const char *path, const char *xml, const char *flag)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		flag ? harness_call(path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}", xml, 1, flag, "b", 1)
		     : harness_call(path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}", xml, 0);
	const char *device;
	assert_int_equal(sd_bus_message_read(reply, "o", &device), 1);
	return strdup(device);
}

static void detach(const char *path, const char *xml, const char *flag)
{
	if (flag)
		sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "DetachDevice", "sa{sv}", xml, 1,
						  flag, "b", 1));
	else
		sd_bus_message_unref(
			harness_call(path, ZVIRT_DOMAIN_IFACE, "DetachDevice", "sa{sv}", xml, 0));
}

static char *inactive_xml(const char *path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1, "inactive", "b", 1);
	const char *xml;
	assert_int_equal(sd_bus_message_read(reply, "s", &xml), 1);
	return strdup(xml);
}

static void boot(const char *path, const char *name, char **ret_pty)
{
	harness_boot_guest(path, name);
	*ret_pty = harness_console_pty(path);
	assert_non_null(*ret_pty);
}

/* The first bytes of an image's guest-visible content. */
static char *image_head(const char *image, const char *format, size_t n)
{
	_cleanup_free_ char *raw = image_path("head.raw"), *cmd = NULL;
	assert_true(asprintf(&cmd, "qemu-img convert -f %s -O raw '%s' '%s'", format, image, raw) > 0);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(raw, "rb");
	assert_non_null(f);
	char *buf = calloc(1, n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), n);
	fclose(f);
	unlink(raw);
	return buf;
}

/* A qcow2 disk plugged live: the object appears, the guest sees it at
 * the ccw address the daemon gave it and writes to it; after the unplug
 * the object, the guest's device and the live XML entry are gone, the
 * data is in the image, and the persistent definition never had it. */
static void test_attach_detach_live(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("hp-live");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *image = make_qcow2("hp-live.qcow2");
	_cleanup_free_ char *dxml = disk_xml(image, "qcow2", "vdb", NULL);
	_cleanup_free_ char *pty = NULL, *device = NULL, *expected = NULL;
	struct stat before;

	assert_int_equal(stat(image, &before), 0);
	boot(path, "hp-live", &pty);

	size_t mark = harness_signal_mark();
	device = attach(path, dxml, NULL);
	assert_true(asprintf(&expected, "%s/disk/vdb", path) > 0);
	assert_string_equal(device, expected);
	assert_non_null(harness_wait_signal(mark, NULL, "org.freedesktop.DBus.ObjectManager",
					    "InterfacesAdded", device, 5000));
	_cleanup_free_ char *source = harness_get_string(device, DISK_IFACE, "Source");
	_cleanup_free_ char *ccw = harness_get_string(device, DISK_IFACE, "CcwAddress");
	_cleanup_free_ char *format = harness_get_string(device, DISK_IFACE, "Format");
	_cleanup_free_ char *alias = harness_get_string(device, DISK_IFACE, "Alias");
	assert_string_equal(source, image);
	assert_string_equal(ccw, "fe.0.0000"); /* the guest has no other ccw device */
	assert_string_equal(format, "qcow2");
	assert_string_equal(alias, "virtio-disk1"); /* libvirt: after its target, vdb */

	_cleanup_free_ char *name = harness_wait_guest_block(pty, "0.0.0000", true);
	_cleanup_free_ char *out = NULL, *cmd = NULL;
	assert_true(asprintf(&cmd, "blkwrite %s zvirt-hotplug-data", name) > 0);
	assert_int_equal(harness_console_command(pty, cmd, 60000, &out), 0);
	assert_non_null(strstr(out, "wrote "));

	_cleanup_free_ char *live = harness_get_xml(path);
	_cleanup_free_ char *persistent = inactive_xml(path);
	assert_non_null(strstr(live, "<target dev='vdb'"));
	assert_null(strstr(persistent, "vdb"));

	mark = harness_signal_mark();
	detach(path, dxml, "live");
	assert_non_null(harness_wait_signal(mark, NULL, "org.freedesktop.DBus.ObjectManager",
					    "InterfacesRemoved", device, 5000));
	free(live);
	live = harness_get_xml(path);
	assert_null(strstr(live, "vdb"));
	free(harness_wait_guest_block(pty, "0.0.0000", false));
	harness_expect_error("org.freedesktop.DBus.Error.UnknownObject", device, DISK_IFACE, "Detach",
			     "a{sv}", 0);

	_cleanup_free_ char *head = image_head(image, "qcow2", strlen("zvirt-hotplug-data"));
	assert_string_equal(head, "zvirt-hotplug-data");
	/* Given to QEMU's user for the plug, and given back after it. */
	struct stat after;
	assert_int_equal(stat(image, &after), 0);
	assert_int_equal(after.st_uid, before.st_uid);
	assert_int_equal(after.st_gid, before.st_gid);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

/* config: the persistent definition gets the disk, the running guest
 * does not; the disk object appears when the domain stops (its objects
 * then come from the persistent definition) and the guest has the disk
 * after the next start. persistent on a running domain does both. */
static void test_attach_config(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("hp-config");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *image = make_qcow2("hp-config.qcow2");
	_cleanup_free_ char *image2 = make_qcow2("hp-config2.qcow2");
	_cleanup_free_ char *dxml = disk_xml(image, "qcow2", "vdc", NULL);
	_cleanup_free_ char *dxml2 = disk_xml(image2, "qcow2", "vdd", NULL);
	_cleanup_free_ char *pty = NULL;

	boot(path, "hp-config", &pty);
	size_t mark = harness_signal_mark();
	_cleanup_free_ char *device = attach(path, dxml, "config");
	_cleanup_free_ char *persistent = inactive_xml(path);
	_cleanup_free_ char *live = harness_get_xml(path);
	assert_non_null(strstr(persistent, "<target dev='vdc'"));
	assert_non_null(strstr(persistent, "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0000'/>"));
	assert_null(strstr(live, "vdc"));
	harness_flush_signals();
	assert_null(harness_signal_find(mark, NULL, NULL, "InterfacesAdded", device));
	_cleanup_free_ char *none = harness_guest_block_at(pty, "0.0.0000");
	assert_null(none);

	/* Both: one address, the next free one in either definition. */
	_cleanup_free_ char *device2 = attach(path, dxml2, "persistent");
	_cleanup_free_ char *ccw2 = harness_get_string(device2, DISK_IFACE, "CcwAddress");
	assert_string_equal(ccw2, "fe.0.0001");
	free(persistent);
	persistent = inactive_xml(path);
	assert_non_null(strstr(persistent, "<target dev='vdd'"));
	free(harness_wait_guest_block(pty, "0.0.0001", true));

	mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_non_null(harness_wait_signal(mark, NULL, NULL, "InterfacesAdded", device, 5000));

	free(pty);
	boot(path, "hp-config", &pty);
	free(harness_wait_guest_block(pty, "0.0.0000", true));
	free(harness_wait_guest_block(pty, "0.0.0001", true));

	/* config detach: the next start will not have it; the guest keeps it now. */
	detach(path, dxml, "config");
	free(persistent);
	persistent = inactive_xml(path);
	assert_null(strstr(persistent, "vdc"));
	free(live);
	live = harness_get_xml(path);
	assert_non_null(strstr(live, "vdc"));

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	/* current on a shut-off domain is config. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "DetachDevice", "sa{sv}", dxml2, 1,
					  "current", "b", 1));
	free(persistent);
	persistent = inactive_xml(path);
	assert_null(strstr(persistent, "vdd"));
	harness_undefine(path);
}

/* Each of these is refused with its error and leaves both definitions
 * as they were. */
static void test_bad_input(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("hp-bad");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *image = make_qcow2("hp-bad.qcow2");
	_cleanup_free_ char *image2 = make_qcow2("hp-bad2.qcow2");
	_cleanup_free_ char *dxml = disk_xml(image, "qcow2", "vdb", NULL);
	_cleanup_free_ char *pty = NULL;

	/* Shut off: live is not possible, no option means live. */
	harness_expect_error("org.zvirt1.Error.OperationInvalid", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", dxml, 0);
	harness_expect_error("org.zvirt1.Error.OperationInvalid", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", dxml, 1, "live", "b", 1);

	boot(path, "hp-bad", &pty);
	_cleanup_free_ char *device = attach(path, dxml, NULL);
	harness_wait_machine_expanded(path);
	_cleanup_free_ char *live_before = harness_get_xml(path);
	_cleanup_free_ char *config_before = inactive_xml(path);

	_cleanup_free_ char *dup_target = disk_xml(image2, "qcow2", "vdb", NULL);
	_cleanup_free_ char *dup_ccw = disk_xml(
		image2, "qcow2", "vdc", "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0000'/>");
	_cleanup_free_ char *bad_ssid = disk_xml(
		image2, "qcow2", "vdc", "<address type='ccw' cssid='0xfe' ssid='0x4' devno='0x0001'/>");
	_cleanup_free_ char *bad_cssid = disk_xml(
		image2, "qcow2", "vdc", "<address type='ccw' cssid='0x00' ssid='0x0' devno='0x0001'/>");
	_cleanup_free_ char *missing = disk_xml("/nonexistent/hp.qcow2", "qcow2", "vdc", NULL);
	_cleanup_free_ char *unknown = disk_xml(image2, "qcow2", "vdq", NULL);
	_cleanup_free_ char *moved = disk_xml(image2, "qcow2", "vdb", NULL);
	const char *bad_xml[] = {
		"<disk type='file'><target dev='vdc'/",       /* not well-formed */
		"<domain type='kvm'><name>x</name></domain>", /* not a device */
		"<disk type='file' device='disk'><target dev='vdc' bus='virtio'/><bogus/></disk>",
		"<interface type='bridge'/>",
		"",
	};

	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", dup_target, 0);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", dup_ccw, 0);
	harness_expect_error("org.zvirt1.Error.InvalidXML", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", bad_ssid, 0);
	harness_expect_error("org.zvirt1.Error.InvalidXML", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", bad_cssid, 0);
	harness_expect_error("org.zvirt1.Error.HypervisorError", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", missing, 0);
	harness_expect_error("org.zvirt1.Error.NoSuchDevice", path, ZVIRT_DOMAIN_IFACE, "DetachDevice",
			     "sa{sv}", unknown, 0);
	harness_expect_error("org.zvirt1.Error.NoSuchDevice", path, ZVIRT_DOMAIN_IFACE, "DetachDevice",
			     "sa{sv}", dxml, 1, "config", "b", 1);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", dup_target, 1, "bogus", "b", 1);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", dup_target, 1, "live", "s", "yes");
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", unknown, 2, "current", "b", 1, "live", "b", 1);
	/* A virtio disk has no medium to change while it runs. */
	harness_expect_error("org.zvirt1.Error.OperationInvalid", path, ZVIRT_DOMAIN_IFACE, "UpdateDevice",
			     "sa{sv}", moved, 0);
	for (size_t i = 0; i < ELEMENTSOF(bad_xml); i++)
		harness_expect_error(i == ELEMENTSOF(bad_xml) - 1 ? "org.zvirt1.Error.InvalidArgument"
								  : "org.zvirt1.Error.InvalidXML",
				     path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}", bad_xml[i], 0);
	/* Huge: refused by size, before any parse. */
	size_t huge = 128 * 1024;
	_cleanup_free_ char *big = malloc(huge + 1);
	assert_non_null(big);
	memset(big, ' ', huge);
	memcpy(big, dxml, strlen(dxml));
	big[huge] = 0;
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", big, 0);
	/* Names with '/' and '..' cannot be targets. */
	_cleanup_free_ char *slash = disk_xml(image2, "qcow2", "../vdc", NULL);
	harness_expect_error("org.zvirt1.Error.InvalidXML", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", slash, 0);
	/* polkit: an unprivileged caller may not. */
	_cleanup_free_ char *other = disk_xml(image2, "qcow2", "vdc", NULL);
	harness_nobody_expect_error("org.zvirt1.Error.NotAuthorized", path, ZVIRT_DOMAIN_IFACE,
				    "AttachDevice", "sa{sv}", other, 0);
	harness_nobody_expect_error("org.zvirt1.Error.NotAuthorized", device, DISK_IFACE, "Detach", "a{sv}",
				    0);

	_cleanup_free_ char *live_after = harness_get_xml(path);
	_cleanup_free_ char *config_after = inactive_xml(path);
	assert_string_equal(live_after, live_before);
	assert_string_equal(config_after, config_before);
	_cleanup_free_ char *line = harness_guest_block_at(pty, "0.0.0001");
	assert_null(line);

	/* Disk.Detach is DetachDevice of that disk. */
	sd_bus_message_unref(harness_call(device, DISK_IFACE, "Detach", "a{sv}", 0));
	free(harness_wait_guest_block(pty, "0.0.0000", false));
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);

	/* A transient domain has no persistent definition to change. */
	_cleanup_free_ char *txml = harness_guest_xml("hp-transient");
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = harness_call(
		ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "CreateXML", "sa{sv}", txml, 1, "paused", "b", 1);
	const char *tpath;
	assert_int_equal(sd_bus_message_read(reply, "o", &tpath), 1);
	harness_expect_error("org.zvirt1.Error.OperationInvalid", tpath, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", other, 1, "config", "b", 1);
	sd_bus_message_unref(harness_call(tpath, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
}

static void restart_with(const char *variable, const char *value)
{
	assert_int_equal(harness_stop_daemon(), 0);
	assert_int_equal(setenv(variable, value, 1), 0);
	assert_int_equal(harness_start_daemon(), 0);
	assert_int_equal(unsetenv(variable), 0);
}

/* A guest that never lets go (the daemon is told to miss QEMU's
 * DEVICE_DELETED): the call ends with Timeout after 5 s, the domain
 * signals DeviceRemovalFailed, and the disk is still there. */
static void test_removal_timeout(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("hp-timeout");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *image = make_qcow2("hp-timeout.qcow2");
	_cleanup_free_ char *dxml = disk_xml(image, "qcow2", "vdb", NULL);
	_cleanup_free_ char *pty = NULL;

	restart_with("ZVIRTD_FAULT_FAIL", "detach-device-deleted");
	boot(path, "hp-timeout", &pty);
	_cleanup_free_ char *device = attach(path, dxml, NULL);
	size_t mark = harness_signal_mark();
	harness_expect_error("org.zvirt1.Error.Timeout", path, ZVIRT_DOMAIN_IFACE, "DetachDevice", "sa{sv}",
			     dxml, 0);
	assert_non_null(
		harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "DeviceRemovalFailed", device, 2000));
	_cleanup_free_ char *live = harness_get_xml(path);
	assert_non_null(strstr(live, "<target dev='vdb'"));
	_cleanup_free_ char *target = harness_get_string(device, DISK_IFACE, "Target");
	assert_string_equal(target, "vdb");
	/* Nothing else was held meanwhile: the domain takes calls again. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Suspend", "a{sv}", 0));
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_restart_daemon(), 0);
	harness_undefine(path);
}

/* Hot-plugged and unplugged disks across a daemon restart: the device
 * objects, their alias and ccw address and the live XML are what they
 * were, and QEMU agrees (the restarted daemon unplugs by that alias). */
static void test_restart_keeps_devices(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("hp-restart");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *image = make_qcow2("hp-restart.qcow2");
	_cleanup_free_ char *image2 = make_qcow2("hp-restart2.qcow2");
	_cleanup_free_ char *image3 = make_qcow2("hp-restart3.qcow2");
	_cleanup_free_ char *dxml = disk_xml(image, "qcow2", "vdb", NULL);
	_cleanup_free_ char *dxml2 = disk_xml(
		image2, "qcow2", "vdc",
		"<alias name='ua-data'/><address type='ccw' cssid='0xfe' ssid='0x1' devno='0x0042'/>");
	_cleanup_free_ char *dxml3 = disk_xml(image3, "qcow2", "vdd", NULL);
	_cleanup_free_ char *pty = NULL;

	boot(path, "hp-restart", &pty);
	_cleanup_free_ char *d1 = attach(path, dxml, NULL);
	_cleanup_free_ char *d2 = attach(path, dxml2, NULL);
	_cleanup_free_ char *d3 = attach(path, dxml3, NULL);
	detach(path, dxml, NULL); /* vdb: gone before the restart */
	_cleanup_free_ char *live_before = harness_get_xml(path);

	assert_int_equal(harness_restart_daemon(), 0);
	_cleanup_free_ char *live_after = harness_get_xml(path);
	assert_string_equal(live_after, live_before);
	_cleanup_free_ char *alias2 = harness_get_string(d2, DISK_IFACE, "Alias");
	_cleanup_free_ char *ccw2 = harness_get_string(d2, DISK_IFACE, "CcwAddress");
	_cleanup_free_ char *alias3 = harness_get_string(d3, DISK_IFACE, "Alias");
	assert_string_equal(alias2, "ua-data");
	assert_string_equal(ccw2, "fe.1.0042");
	assert_string_equal(alias3, "virtio-disk3"); /* libvirt: after vdd */
	harness_expect_error("org.freedesktop.DBus.Error.UnknownObject", d1, DISK_IFACE, "Detach", "a{sv}",
			     0);

	free(pty);
	pty = harness_console_pty(path);
	free(harness_wait_guest_block(pty, "0.1.0042", true));
	free(harness_wait_guest_block(pty, "0.0.0001", true));
	/* The new daemon knows QEMU's names: it unplugs them. */
	sd_bus_message_unref(harness_call(d3, DISK_IFACE, "Detach", "a{sv}", 0));
	detach(path, dxml2, NULL);
	free(harness_wait_guest_block(pty, "0.0.0001", false));
	free(harness_wait_guest_block(pty, "0.1.0042", false));
	/* And a new one gets the first free address and alias again. */
	_cleanup_free_ char *again = attach(path, dxml, NULL);
	_cleanup_free_ char *ccw = harness_get_string(again, DISK_IFACE, "CcwAddress");
	assert_string_equal(ccw, "fe.0.0000");
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_detach_live),
		cmocka_unit_test(test_attach_config),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_removal_timeout),
		cmocka_unit_test(test_restart_keeps_devices),
	};

	return harness_main("hotplug", tests, 0);
}
