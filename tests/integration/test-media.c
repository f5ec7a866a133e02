/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SCSI devices plugged into a running s390x guest and a CD's media, as
 * virsh attach-device and change-media do them: a SCSI cdrom plugged
 * into a guest that has no SCSI controller brings the virtio-scsi
 * controller libvirt would plug; the guest reads the medium, then the
 * one ChangeMedia (and UpdateDevice) put in, nothing after an eject; a
 * tray the guest keeps locked refuses the change until 'force'; a
 * controller in use stays; a SCSI hostdev this machine lacks is a
 * HostError. Every refusal changes nothing.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define DISK_IFACE "org.zvirt1.Disk"

/* A 64 KiB "ISO": text at the start, zeros after (whole 2 KiB blocks). */
static char *make_medium(const char *name, const char *text)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", harness_tmpdir(), name) > 0);
	harness_write_file(p, text);
	assert_int_equal(truncate(p, 64 * 1024), 0);
	return p;
}

static char *hex(const char *s)
{
	char *out = calloc(1, strlen(s) * 2 + 1);
	assert_non_null(out);
	for (size_t i = 0; s[i]; i++)
		sprintf(out + 2 * i, "%02x", (unsigned char)s[i]);
	return out;
}

/* Waits until the guest's sr0 reads text (NULL: reads nothing). */
static void wait_medium(const char *pty, const char *text)
{
	_cleanup_free_ char *want = text ? hex(text) : strdup("");
	_cleanup_free_ char *expect = NULL, *cmd = NULL;
	assert_true(asprintf(&expect, "data=%s\n", want) > 0);
	assert_true(asprintf(&cmd, "readdev sr0 %zu", text ? strlen(text) : 16) > 0);
	for (int i = 0; i < 20; i++) {
		_cleanup_free_ char *out = NULL;
		assert_int_equal(harness_console_command(pty, cmd, 60000, &out), 0);
		for (char *c = out; *c; c++)
			if (*c == '\r')
				memmove(c, c + 1, strlen(c));
		if (strstr(out, expect))
			return;
		if (i == 19)
			fail_msg("readdev sr0: '%s', expected '%s'", out, expect);
		usleep(500 * 1000);
	}
}

static char *cdrom_xml(const char *medium)
{
	char *xml = NULL;
	if (medium)
		assert_true(asprintf(&xml,
				     "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
				     "<source file='%s'/><target dev='sda' bus='scsi'/><readonly/></disk>",
				     medium) > 0);
	else
		xml = strdup("<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
			     "<target dev='sda' bus='scsi'/><readonly/></disk>");
	return xml;
}

static void change_media(const char *device, const char *source, const char *op)
{
	if (op)
		sd_bus_message_unref(
			harness_call(device, DISK_IFACE, "ChangeMedia", "sa{sv}", source, 1, op, "b", 1));
	else
		sd_bus_message_unref(harness_call(device, DISK_IFACE, "ChangeMedia", "sa{sv}", source, 0));
}

static void test_cdrom_hotplug_and_media(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("media-guest");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *one = make_medium("medium-one.iso", "ZVIRT-MEDIUM-ONE");
	_cleanup_free_ char *two = make_medium("medium-two.iso", "ZVIRT-MEDIUM-TWO");
	_cleanup_free_ char *cd = cdrom_xml(one);

	harness_boot_guest(path, "media-guest");
	_cleanup_free_ char *pty = harness_console_pty(path);
	assert_non_null(pty);

	/* No controller yet: libvirt's implicit one comes first, at the
	 * first free devno; the CD at 0:0:0:0. */
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}", cd, 0);
	const char *device_ro;
	assert_int_equal(sd_bus_message_read(reply, "o", &device_ro), 1);
	_cleanup_free_ char *device = strdup(device_ro);
	_cleanup_free_ char *live = harness_get_xml(path);
	if (!strstr(live, "<controller type='scsi' index='0' model='virtio-scsi'>") ||
	    !strstr(live, "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0000'/>") ||
	    !strstr(live, "<address type='drive' controller='0' bus='0' target='0' unit='0'/>") ||
	    !strstr(live, "<alias name='scsi0-0-0-0'/>"))
		fail_msg("live XML:\n%s", live);
	_cleanup_free_ char *devs = NULL;
	assert_int_equal(harness_console_command(pty, "devices", 30000, &devs), 0);
	wait_medium(pty, "ZVIRT-MEDIUM-ONE");

	/* update (the default): a new medium in place of the old. */
	size_t mark = harness_signal_mark();
	change_media(device, two, NULL);
	assert_non_null(harness_wait_signal(mark, device, "org.freedesktop.DBus.Properties",
					    "PropertiesChanged", DISK_IFACE, 5000));
	_cleanup_free_ char *source = harness_get_string(device, DISK_IFACE, "Source");
	assert_string_equal(source, two);
	wait_medium(pty, "ZVIRT-MEDIUM-TWO");

	/* eject: an empty drive; insert: a medium again. */
	change_media(device, "", "eject");
	free(source);
	source = harness_get_string(device, DISK_IFACE, "Source");
	assert_string_equal(source, "");
	wait_medium(pty, NULL);
	change_media(device, one, "insert");
	wait_medium(pty, "ZVIRT-MEDIUM-ONE");

	/* UpdateDevice with the CD's XML and another source does the same. */
	_cleanup_free_ char *cd2 = cdrom_xml(two);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "UpdateDevice", "sa{sv}", cd2, 0));
	wait_medium(pty, "ZVIRT-MEDIUM-TWO");

	/* The guest holds the drive open: its tray is locked. Without force
	 * the change is refused after the wait and the medium stays. */
	_cleanup_free_ char *out = NULL;
	assert_int_equal(harness_console_command(pty, "hold sr0", 30000, &out), 0);
	assert_non_null(strstr(out, "holding sr0"));
	harness_expect_error("org.zvirt1.Error.OperationInvalid", device, DISK_IFACE, "ChangeMedia",
			     "sa{sv}", one, 0);
	free(source);
	source = harness_get_string(device, DISK_IFACE, "Source");
	assert_string_equal(source, two);
	change_media(device, one, "force");
	free(source);
	source = harness_get_string(device, DISK_IFACE, "Source");
	assert_string_equal(source, one);
	free(out);
	out = NULL;
	assert_int_equal(harness_console_command(pty, "release", 30000, &out), 0);
	wait_medium(pty, "ZVIRT-MEDIUM-ONE");

	/* A medium QEMU cannot open as the XML says (an ISO read as qcow2):
	 * the old one is out by then, so the drive is left empty, the new
	 * medium's nodes are gone again, and the next change works. */
	_cleanup_free_ char *bad = NULL;
	assert_true(asprintf(&bad,
			     "<disk type='file' device='cdrom'><driver name='qemu' type='qcow2'/>"
			     "<source file='%s'/><target dev='sda' bus='scsi'/><readonly/></disk>",
			     two) > 0);
	harness_expect_error("org.zvirt1.Error.HypervisorError", path, ZVIRT_DOMAIN_IFACE, "UpdateDevice",
			     "sa{sv}", bad, 0);
	free(source);
	source = harness_get_string(device, DISK_IFACE, "Source");
	assert_string_equal(source, "");
	harness_expect_error("org.zvirt1.Error.OperationInvalid", device, DISK_IFACE, "ChangeMedia",
			     "sa{sv}", "", 1, "eject", "b", 1);
	change_media(device, two, "insert");
	wait_medium(pty, "ZVIRT-MEDIUM-TWO");
	/* Nothing but the medium may change live. */
	_cleanup_free_ char *policy = NULL;
	assert_true(asprintf(&policy,
			     "<disk type='file' device='cdrom'><driver name='qemu' type='raw' "
			     "error_policy='stop'/>"
			     "<source file='%s'/><target dev='sda' bus='scsi'/><readonly/></disk>",
			     two) > 0);
	harness_expect_error("org.zvirt1.Error.OperationInvalid", path, ZVIRT_DOMAIN_IFACE, "UpdateDevice",
			     "sa{sv}", policy, 0);

	/* The daemon's own alias in an attached device's XML is dropped: the
	 * device gets the one a start would give it. */
	_cleanup_free_ char *img = NULL, *vd = NULL;
	assert_true(asprintf(&img, "%s/media-extra.raw", harness_tmpdir()) > 0);
	harness_write_file(img, "");
	assert_int_equal(truncate(img, 1024 * 1024), 0);
	assert_true(
		asprintf(
			&vd,
			"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/>"
			"<target dev='vdb' bus='virtio'/><alias name='scsi0-0-0-1'/></disk>",
			img) > 0);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *vreply =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}", vd, 0);
	const char *vdev;
	assert_int_equal(sd_bus_message_read(vreply, "o", &vdev), 1);
	_cleanup_free_ char *valias = harness_get_string(vdev, DISK_IFACE, "Alias");
	assert_string_equal(valias, "virtio-disk1");
	sd_bus_message_unref(harness_call(vdev, DISK_IFACE, "Detach", "a{sv}", 0));

	/* The persistent definition never had the CD. */
	harness_expect_error("org.zvirt1.Error.NoSuchDevice", device, DISK_IFACE, "ChangeMedia", "sa{sv}",
			     two, 1, "config", "b", 1);

	/* A controller with a disk on it stays; after the disk it goes. */
	const char *ctl = "<controller type='scsi' index='0' model='virtio-scsi'/>";
	harness_expect_error("org.zvirt1.Error.OperationInvalid", path, ZVIRT_DOMAIN_IFACE, "DetachDevice",
			     "sa{sv}", ctl, 0);
	sd_bus_message_unref(harness_call(device, DISK_IFACE, "Detach", "a{sv}", 0));
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "DetachDevice", "sa{sv}", ctl, 0));
	free(live);
	live = harness_get_xml(path);
	if (strstr(live, "<controller type='scsi'") || strstr(live, "sda"))
		fail_msg("live XML after the detaches:\n%s", live);
	/* And one attached on its own comes back at the first free devno. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}", ctl, 0));
	free(live);
	live = harness_get_xml(path);
	if (!strstr(live, "<controller type='scsi' index='0' model='virtio-scsi'>"))
		fail_msg("live XML:\n%s", live);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

/* What ChangeMedia and the SCSI attaches refuse, each leaving the XML as it was. */
static void test_refusals(void **state)
{
	_cleanup_free_ char *image = NULL;
	assert_true(asprintf(&image, "%s/media-vda.raw", harness_tmpdir()) > 0);
	harness_write_file(image, "");
	assert_int_equal(truncate(image, 1024 * 1024), 0);
	_cleanup_free_ char *base = harness_guest_xml("media-bad");
	char *at = strstr(base, "    <memballoon");
	assert_non_null(at);
	_cleanup_free_ char *xml = NULL, *one = make_medium("medium-bad.iso", "ZVIRT-BAD");
	assert_true(asprintf(&xml,
			     "%.*s    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
			     "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n"
			     "    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
			     "<target dev='sda' bus='scsi'/><readonly/></disk>\n%s",
			     (int)(at - base), base, image, at) > 0);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *vda = NULL, *sda = NULL;
	assert_true(asprintf(&vda, "%s/disk/vda", path) > 0);
	assert_true(asprintf(&sda, "%s/disk/sda", path) > 0);

	/* Shut off: current is config; the definition gets the medium. */
	change_media(sda, one, NULL);
	_cleanup_free_ char *source = harness_get_string(sda, DISK_IFACE, "Source");
	assert_string_equal(source, one);
	change_media(sda, "", "eject");
	/* UpdateDevice without an option is current too (virsh update-device). */
	_cleanup_free_ char *cdxml = cdrom_xml(one);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "UpdateDevice", "sa{sv}", cdxml, 0));
	free(source);
	source = harness_get_string(sda, DISK_IFACE, "Source");
	assert_string_equal(source, one);
	change_media(sda, "", "eject");

	harness_boot_guest(path, "media-bad");
	_cleanup_free_ char *before = harness_get_xml(path);
	harness_expect_error("org.zvirt1.Error.OperationInvalid", vda, DISK_IFACE, "ChangeMedia", "sa{sv}",
			     one, 0);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", sda, DISK_IFACE, "ChangeMedia", "sa{sv}",
			     one, 1, "eject", "b", 1);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", sda, DISK_IFACE, "ChangeMedia", "sa{sv}",
			     "", 1, "insert", "b", 1);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", sda, DISK_IFACE, "ChangeMedia", "sa{sv}",
			     "relative.iso", 0);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", sda, DISK_IFACE, "ChangeMedia", "sa{sv}",
			     one, 2, "eject", "b", 1, "insert", "b", 1);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", sda, DISK_IFACE, "ChangeMedia", "sa{sv}",
			     one, 1, "bogus", "b", 1);
	harness_expect_error("org.zvirt1.Error.HypervisorError", sda, DISK_IFACE, "ChangeMedia", "sa{sv}",
			     "/nonexistent/x.iso", 0);
	harness_nobody_expect_error("org.zvirt1.Error.NotAuthorized", sda, DISK_IFACE, "ChangeMedia",
				    "sa{sv}", one, 0);

	/* A SCSI tape this machine does not have: the host says so. */
	const char *tape = "<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host7'/>"
			   "<address bus='0' target='8' unit='0'/></source></hostdev>";
	harness_expect_error("org.zvirt1.Error.HostError", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", tape, 0);
	/* The same SCSI address twice, a controller index taken, a pci-root. */
	_cleanup_free_ char *dup = NULL;
	assert_true(
		asprintf(&dup,
			 "<disk type='file' device='cdrom'><source file='%s'/><target dev='sdb' bus='scsi'/>"
			 "<address type='drive' controller='0' bus='0' target='0' unit='0'/></disk>",
			 one) > 0);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", dup, 0);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", "<controller type='scsi' index='0' model='virtio-scsi'/>", 0);
	harness_expect_error("org.zvirt1.Error.InvalidArgument", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", "<controller type='pci' index='0' model='pci-root'/>", 0);
	harness_expect_error("org.zvirt1.Error.InvalidXML", path, ZVIRT_DOMAIN_IFACE, "AttachDevice",
			     "sa{sv}", "<controller type='scsi' model='virtio-scsi'/>", 0);
	_cleanup_free_ char *after = harness_get_xml(path);
	assert_string_equal(after, before);

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cdrom_hotplug_and_media),
		cmocka_unit_test(test_refusals),
	};

	return harness_main("media", tests, 0);
}
