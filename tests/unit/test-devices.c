/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device XML (one <disk> alone), the checks and edits of one device in a
 * definition, and virsh's live/config/current/persistent. */

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
#include "driver/modify-flags.h"
#include "util/cleanup.h"

#define DISK(extra)                                                          \
	"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>" \
	"<source file='/srv/x.qcow2'/><target dev='vdb' bus='virtio'/>" extra "</disk>"

static DeviceDef *parse_ok(const char *xml, DomainXMLParseFlags flags)
{
	DeviceDef *dev = NULL;
	ZvError err = ZV_ERROR_INIT;
	int r = device_def_parse(xml, strlen(xml), flags, &dev, &err);
	if (r < 0)
		fail_msg("%s: %s", xml, err.message);
	return dev;
}

static void parse_bad(const char *xml, size_t len, ZvErrorCode code, const char *message)
{
	DeviceDef *dev = NULL;
	ZvError err = ZV_ERROR_INIT;
	assert_true(device_def_parse(xml, len, 0, &dev, &err) < 0);
	assert_null(dev);
	assert_int_equal(err.code, code);
	if (!strstr(err.message, message))
		fail_msg("message\n  \"%s\"\ndoes not contain\n  \"%s\"", err.message, message);
}

static void test_parse_disk(void **state)
{
	_cleanup_(device_def_freep) DeviceDef *dev =
		parse_ok(DISK("<address type='ccw' cssid='0xfe' ssid='0x1' devno='0x0042'/><readonly/>"), 0);
	assert_int_equal(dev->kind, DEVICE_KIND_DISK);
	assert_string_equal(dev->disk.target, "vdb");
	assert_string_equal(dev->disk.source, "/srv/x.qcow2");
	assert_int_equal(dev->disk.format, DISK_FORMAT_QCOW2);
	assert_true(dev->disk.readonly);
	assert_true(dev->disk.info.address.assigned);
	assert_int_equal(dev->disk.info.address.ssid, 1);
	assert_int_equal(dev->disk.info.address.devno, 0x42);
	assert_null(dev->disk.info.alias);
}

/* The daemon's alias names the device only when the caller passes what a
 * running domain's XML shows; a user's ua- alias is always kept. */
static void test_parse_aliases(void **state)
{
	const char *xml = DISK("<alias name='virtio-disk3'/>");
	_cleanup_(device_def_freep) DeviceDef *plain = parse_ok(xml, 0);
	_cleanup_(device_def_freep) DeviceDef *live = parse_ok(xml, DOMAIN_XML_PARSE_LIVE);
	_cleanup_(device_def_freep) DeviceDef *user = parse_ok(DISK("<alias name='ua-data'/>"), 0);
	assert_null(plain->disk.info.alias);
	assert_string_equal(live->disk.info.alias, "virtio-disk3");
	assert_string_equal(user->disk.info.alias, "ua-data");
}

static void test_parse_errors(void **state)
{
	const char *huge_head = DISK("");
	size_t huge_len = DEVICE_XML_MAX_SIZE + 1;
	_cleanup_free_ char *huge = malloc(huge_len + 1);
	assert_non_null(huge);
	memset(huge, ' ', huge_len);
	memcpy(huge, huge_head, strlen(huge_head));
	huge[huge_len] = 0;

	parse_bad("", 0, ZV_ERROR_INVALID_ARGUMENT, "Device XML is empty");
	parse_bad("  \n", 3, ZV_ERROR_INVALID_ARGUMENT, "Device XML is empty");
	/* A buffer is read up to len, never to a NUL it may not have
	 * (found by fuzz-device-xml). */
	char blanks[8];
	memset(blanks, ' ', sizeof(blanks));
	parse_bad(blanks, sizeof(blanks), ZV_ERROR_INVALID_ARGUMENT, "Device XML is empty");
	parse_bad(huge, huge_len, ZV_ERROR_INVALID_ARGUMENT, "Device XML is too large");
	parse_bad("<disk", 5, ZV_ERROR_INVALID_XML, "not well-formed");
	parse_bad("<domain type='kvm'/>", 20, ZV_ERROR_INVALID_XML,
		  "the root element must be a device (<disk>, <controller>, <hostdev> or <interface>), not "
		  "<domain>");
	parse_bad("<x:disk xmlns:x='urn:x'/>", 25, ZV_ERROR_INVALID_XML,
		  "the root element must be a device");
	const char *bogus = DISK("<bogus/>");
	parse_bad(bogus, strlen(bogus), ZV_ERROR_INVALID_XML, "Invalid device XML at /disk/bogus");
	const char *ssid = DISK("<address type='ccw' cssid='0xfe' ssid='0x4' devno='0x0001'/>");
	parse_bad(ssid, strlen(ssid), ZV_ERROR_INVALID_XML, "Invalid device XML at /disk/address");
	const char *doctype = "<!DOCTYPE disk [<!ENTITY e 'x'>]>" DISK("");
	parse_bad(doctype, strlen(doctype), ZV_ERROR_INVALID_XML, "DOCTYPE declarations are not allowed");
	const char *noname = "<disk type='file' device='disk'><source file='/srv/x'/></disk>";
	parse_bad(noname, strlen(noname), ZV_ERROR_INVALID_XML, "/disk");
}

static void test_copy_and_format(void **state)
{
	_cleanup_(device_def_freep) DeviceDef *dev =
		parse_ok(DISK("<alias name='virtio-disk1'/><address type='ccw' cssid='0xfe' ssid='0x0' "
			      "devno='0x0007'/>"),
			 DOMAIN_XML_PARSE_LIVE);
	_cleanup_(device_def_freep) DeviceDef *copy = device_def_copy(dev);
	assert_non_null(copy);
	assert_string_equal(copy->disk.info.alias, "virtio-disk1");
	assert_int_equal(copy->disk.info.address.devno, 7);
	assert_ptr_not_equal(copy->disk.source, dev->disk.source);
	_cleanup_free_ char *live = device_def_format(dev, true);
	_cleanup_free_ char *inactive = device_def_format(dev, false);
	assert_non_null(strstr(live, "virtio-disk1"));
	assert_null(strstr(inactive, "virtio-disk1"));
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

#define DOMAIN_DISK(target, extra) \
	"<disk type='file'><source file='/srv/" target "'/><target dev='" target "'/>" extra "</disk>"

static void check_new_bad(DomainDef *def, const DomainDef *other, const char *xml, const char *message)
{
	_cleanup_(device_def_freep) DeviceDef *dev = parse_ok(xml, 0);
	ZvError err = ZV_ERROR_INIT;
	CcwAddress before = dev->disk.info.address;
	assert_true(domain_def_check_new_disk(def, other, &dev->disk, &err) < 0);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	if (!strstr(err.message, message))
		fail_msg("message\n  \"%s\"\ndoes not contain\n  \"%s\"", err.message, message);
	assert_memory_equal(&before, &dev->disk.info.address, sizeof(before));
}

#define NEW_DISK(target, extra)                                                                          \
	"<disk type='file' device='disk'><source file='/srv/new'/><target dev='" target "'/>" extra "</" \
												    "disk>"

static void test_check_new_disk(void **state)
{
	/* vda at 0000 (assigned), vdc at 0002 by hand, boot order 1; the
	 * other side of a live+config change holds 0001. */
	_cleanup_(domain_def_freep) DomainDef *def = domain(
		DOMAIN_DISK("vda", "<boot order='1'/><alias name='ua-root'/>")
			DOMAIN_DISK("vdc", "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0002'/>"));
	_cleanup_(domain_def_freep) DomainDef *other =
		domain(DOMAIN_DISK("vdz", "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/>"));
	ZvError err = ZV_ERROR_INIT;

	check_new_bad(def, NULL, NEW_DISK("vda", ""), "already has a disk with target 'vda'");
	check_new_bad(def, other, NEW_DISK("vdz", ""), "already has a disk with target 'vdz'");
	check_new_bad(def, NULL,
		      NEW_DISK("vdb", "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0002'/>"),
		      "ccw address fe.0.0002 is already used");
	check_new_bad(def, other,
		      NEW_DISK("vdb", "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/>"),
		      "ccw address fe.0.0001 is already used");
	check_new_bad(def, NULL, NEW_DISK("vdb", "<alias name='ua-root'/>"),
		      "alias 'ua-root' is already used by disk 'vda'");
	check_new_bad(def, NULL, NEW_DISK("vdb", "<boot order='1'/>"),
		      "boot order 1 is already used by disk 'vda'");

	/* No address: the first free one, free on both sides. */
	_cleanup_(device_def_freep) DeviceDef *dev = parse_ok(NEW_DISK("vdb", ""), 0);
	assert_int_equal(domain_def_check_new_disk(def, NULL, &dev->disk, &err), 0);
	assert_true(dev->disk.info.address.assigned);
	assert_int_equal(dev->disk.info.address.devno, 1);
	_cleanup_(device_def_freep) DeviceDef *both = parse_ok(NEW_DISK("vdb", ""), 0);
	assert_int_equal(domain_def_check_new_disk(def, other, &both->disk, &err), 0);
	assert_int_equal(both->disk.info.address.devno, 3);

	/* In target order, as the parser keeps them; out again. */
	assert_int_equal(domain_def_insert_disk(def, &dev->disk), 0);
	assert_null(dev->disk.target);
	assert_int_equal(def->n_disks, 3);
	assert_string_equal(def->disks[0].target, "vda");
	assert_string_equal(def->disks[1].target, "vdb");
	assert_string_equal(def->disks[2].target, "vdc");
	assert_int_equal(domain_def_disk_index(def, "vdc"), 2);
	assert_int_equal(domain_def_disk_index(def, "vdq"), -ENOENT);
	DiskDef gone;
	domain_def_remove_disk(def, 1, &gone);
	assert_string_equal(gone.target, "vdb");
	disk_def_clear(&gone);
	assert_int_equal(def->n_disks, 2);
	assert_string_equal(def->disks[1].target, "vdc");
	/* The definition still formats and parses back. */
	_cleanup_(domain_def_freep) DomainDef *copy = domain_def_copy(def);
	assert_non_null(copy);
}

/* SCSI devices: libvirt's drive address from the name, the controller
 * it needs, the first free unit of a hostdev, a controller in use. */
static void test_scsi_devices(void **state)
{
	_cleanup_(domain_def_freep) DomainDef *def = domain(DOMAIN_DISK("vda", ""));
	_cleanup_(domain_def_freep) DomainDef *other =
		domain(DOMAIN_DISK("vdz", "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/>"));
	ZvError err = ZV_ERROR_INIT;

	_cleanup_(device_def_freep) DeviceDef *cd =
		parse_ok("<disk type='file' device='cdrom'><target dev='sdb' bus='scsi'/></disk>", 0);
	assert_int_equal(domain_def_check_new_device(def, other, cd, &err), 0);
	assert_true(cd->disk.info.drive.assigned);
	assert_int_equal(cd->disk.info.drive.unit, 1);
	assert_false(cd->disk.info.address.assigned); /* a SCSI disk has no ccw address */
	ControllerDef c = {};
	/* vda holds 0000, the other side 0001: the controller gets 0002. */
	assert_int_equal(domain_def_implicit_controller(def, other, 0, &c, &err), 1);
	assert_int_equal(c.type, CONTROLLER_TYPE_SCSI);
	assert_int_equal(c.model, CONTROLLER_MODEL_VIRTIO_SCSI);
	assert_int_equal(c.info.address.devno, 2);
	DeviceDef cdev = {.kind = DEVICE_KIND_CONTROLLER, .controller = c};
	assert_int_equal(domain_def_insert_device(def, &cdev), 0);
	assert_int_equal(domain_def_implicit_controller(def, NULL, 0, &c, &err), 0);
	assert_int_equal(domain_def_insert_device(def, cd), 0);

	/* The same address again, and by a hostdev that names it. */
	_cleanup_(device_def_freep) DeviceDef *dup =
		parse_ok("<disk type='file' device='cdrom'><target dev='sdc' bus='scsi'/>"
			 "<address type='drive' controller='0' bus='0' target='0' unit='1'/></disk>",
			 0);
	assert_true(domain_def_check_new_device(def, NULL, dup, &err) < 0);
	assert_non_null(strstr(err.message, "unit='1' is already used"));
	zv_error_clear(&err);

	_cleanup_(device_def_freep) DeviceDef *tape =
		parse_ok("<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host3'/>"
			 "<address bus='0' target='8' unit='0'/></source></hostdev>",
			 0);
	assert_int_equal(domain_def_check_new_device(def, NULL, tape, &err), 0);
	assert_int_equal(tape->hostdev.info.drive.controller, 0);
	assert_int_equal(tape->hostdev.info.drive.unit, 0); /* sdb holds unit 1 */
	_cleanup_(device_def_freep) DeviceDef *tape2 = device_def_copy(tape);
	assert_int_equal(domain_def_insert_device(def, tape), 0);
	tape2->hostdev.info.drive.assigned = false;
	assert_true(domain_def_check_new_device(def, NULL, tape2, &err) < 0);
	assert_non_null(strstr(err.message, "already assigned"));
	zv_error_clear(&err);
	assert_int_equal(domain_def_device_index(def, tape2), 0);

	/* The controller holds both: it stays until they go. */
	ssize_t ci = domain_def_scsi_controller_index(def, 0);
	assert_true(ci >= 0);
	assert_true(domain_def_check_removal(def, (size_t)ci, DEVICE_KIND_CONTROLLER, &err) < 0);
	assert_int_equal(err.code, ZV_ERROR_OPERATION_INVALID);
	zv_error_clear(&err);
	DeviceDef gone;
	domain_def_remove_device(def, DEVICE_KIND_HOSTDEV, 0, &gone);
	device_def_clear(&gone);
	ssize_t di = domain_def_disk_index(def, "sdb");
	assert_true(di >= 0);
	domain_def_remove_device(def, DEVICE_KIND_DISK, (size_t)di, &gone);
	device_def_clear(&gone);
	assert_int_equal(domain_def_check_removal(def, (size_t)ci, DEVICE_KIND_CONTROLLER, &err), 0);
	_cleanup_(domain_def_freep) DomainDef *copy = domain_def_copy(def);
	assert_non_null(copy);
}

static void test_parse_other_roots(void **state)
{
	_cleanup_(device_def_freep) DeviceDef *c =
		parse_ok("<controller type='scsi' index='2' model='virtio-scsi'/>", 0);
	assert_int_equal(c->kind, DEVICE_KIND_CONTROLLER);
	assert_int_equal(c->controller.index, 2);
	const char *noindex = "<controller type='scsi' model='virtio-scsi'/>";
	parse_bad(noindex, strlen(noindex), ZV_ERROR_INVALID_XML, "needs its index='N'");
	const char *usb = "<controller type='usb' index='0'/>";
	parse_bad(usb, strlen(usb), ZV_ERROR_INVALID_XML, "/controller");
	const char *nfs = "<hostdev mode='subsystem' type='scsi'><source/></hostdev>";
	parse_bad(nfs, strlen(nfs), ZV_ERROR_INVALID_XML, "Invalid device XML at /hostdev");
}

/* virsh attach-device's flags, in each state (the seed's §11 rules). */
static void test_modify_flags(void **state)
{
	static const struct {
		ModifyOptions o;
		bool active, persistent;
		int result; /* DomainModifyFlags, or -1: InvalidArgument, -2: OperationInvalid */
	} rows[] = {
		{{}, true, true, DOMAIN_MODIFY_LIVE},
		{{}, false, true, -2},
		{{.live = true}, true, true, DOMAIN_MODIFY_LIVE},
		{{.live = true}, false, true, -2},
		{{.config = true}, true, true, DOMAIN_MODIFY_CONFIG},
		{{.config = true}, false, true, DOMAIN_MODIFY_CONFIG},
		{{.config = true}, true, false, -2},
		{{.live = true, .config = true}, true, true, DOMAIN_MODIFY_LIVE | DOMAIN_MODIFY_CONFIG},
		{{.live = true, .config = true}, false, true, -2},
		{{.current = true}, true, true, DOMAIN_MODIFY_LIVE},
		{{.current = true}, false, true, DOMAIN_MODIFY_CONFIG},
		{{.current = true}, true, false, DOMAIN_MODIFY_LIVE},
		{{.persistent = true}, true, true, DOMAIN_MODIFY_LIVE | DOMAIN_MODIFY_CONFIG},
		{{.persistent = true}, false, true, DOMAIN_MODIFY_CONFIG},
		{{.persistent = true}, true, false, -2},
		{{.current = true, .live = true}, true, true, -1},
		{{.current = true, .config = true}, true, true, -1},
		{{.current = true, .persistent = true}, true, true, -1},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		DomainModifyFlags f = 0;
		ZvError err = ZV_ERROR_INIT;
		int r = modify_flags_resolve(&rows[i].o, rows[i].active, rows[i].persistent, "AttachDevice",
					     "d", &f, &err);
		if (rows[i].result >= 0) {
			if (r < 0)
				fail_msg("row %zu: %s", i, err.message);
			assert_int_equal(f, rows[i].result);
		} else {
			assert_true(r < 0);
			assert_int_equal(err.code, rows[i].result == -1 ? ZV_ERROR_INVALID_ARGUMENT
									: ZV_ERROR_OPERATION_INVALID);
			assert_non_null(strstr(err.message, "AttachDevice"));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_disk),        cmocka_unit_test(test_parse_aliases),
		cmocka_unit_test(test_parse_errors),      cmocka_unit_test(test_copy_and_format),
		cmocka_unit_test(test_check_new_disk),    cmocka_unit_test(test_scsi_devices),
		cmocka_unit_test(test_parse_other_roots), cmocka_unit_test(test_modify_flags),
	};
	domain_xml_init();
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	domain_xml_done();
	return r;
}
