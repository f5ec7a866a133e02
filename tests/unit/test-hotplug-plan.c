/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QMP plans of hot-plug: the commands, their order, their undo. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "conf/device-xml.h"
#include "conf/domain-xml.h"
#include "qemu/hotplug-plan.h"
#include "util/cleanup.h"

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
	if (domain_def_parse(xml, strlen(xml), &defaults, 0, &def, &err) < 0 ||
	    domain_def_assign_aliases(def) < 0)
		fail_msg("%s", err.message);
	return def;
}

/* "cmd:undo cmd:undo ..." of a plan, "wait" for a tray wait. */
static char *shape(const QemuPlan *p)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	for (size_t i = 0; i < p->n; i++)
		fprintf(f, "%s%s%s%s", i ? " " : "", p->v[i].command ?: "wait",
			p->v[i].undo_command ? ":" : "", p->v[i].undo_command ?: "");
	fclose(f);
	return buf;
}

static const char *arg(const QemuPlanStep *s, const char *key)
{
	json_object *v;
	return s->args && json_object_object_get_ex(s->args, key, &v) ? json_object_get_string(v) : NULL;
}

static void test_attach_disk_chain(void **state)
{
	_cleanup_(domain_def_freep) DomainDef *def =
		domain("<disk type='file'><driver name='qemu' type='qcow2'/><source file='/srv/top.qcow2'/>"
		       "<backingStore type='file'><format type='raw'/><source file='/srv/base.raw'/>"
		       "<backingStore/></backingStore><target dev='vda'/></disk>");
	QemuPlan p = {};
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(qemu_plan_attach_disk(def, &def->disks[0], &p, &err), 0);
	_cleanup_free_ char *s = shape(&p);
	assert_string_equal(s,
			    "blockdev-add:blockdev-del blockdev-add:blockdev-del blockdev-add:blockdev-del "
			    "blockdev-add:blockdev-del device_add:device_del");
	/* The deepest layer first, the device last on the top format node. */
	assert_string_equal(arg(&p.v[0], "filename"), "/srv/base.raw");
	assert_string_equal(arg(&p.v[3], "node-name"), "virtio-disk0-format");
	assert_string_equal(arg(&p.v[4], "drive"), "virtio-disk0-format");
	assert_string_equal(arg(&p.v[4], "driver"), "virtio-blk-ccw");
	qemu_plan_clear(&p);

	assert_int_equal(qemu_plan_drop_disk_nodes(&def->disks[0], &p, &err), 0);
	free(s);
	s = shape(&p);
	assert_string_equal(s, "blockdev-del blockdev-del blockdev-del blockdev-del");
	assert_string_equal(arg(&p.v[0], "node-name"), "virtio-disk0-format");
	qemu_plan_clear(&p);
}

static void test_scsi_cdrom_and_controller(void **state)
{
	_cleanup_(domain_def_freep) DomainDef *def =
		domain("<controller type='scsi' index='0' model='virtio-scsi'/>"
		       "<disk type='file' device='cdrom'><target dev='sda' bus='scsi'/></disk>");
	QemuPlan p = {};
	ZvError err = ZV_ERROR_INIT;
	/* An empty drive: a device and no nodes. */
	assert_int_equal(qemu_plan_attach_disk(def, &def->disks[0], &p, &err), 0);
	_cleanup_free_ char *s = shape(&p);
	assert_string_equal(s, "device_add:device_del");
	assert_string_equal(arg(&p.v[0], "driver"), "scsi-cd");
	assert_string_equal(arg(&p.v[0], "bus"), "scsi0.0");
	qemu_plan_clear(&p);
	assert_int_equal(qemu_plan_attach_controller(&def->controllers[0], &p, &err), 0);
	free(s);
	s = shape(&p);
	assert_string_equal(s, "device_add:device_del");
	assert_string_equal(arg(&p.v[0], "driver"), "virtio-scsi-ccw");
	assert_string_equal(arg(&p.v[0], "id"), "scsi0");
	qemu_plan_clear(&p);
}

static void test_change_medium(void **state)
{
	_cleanup_(domain_def_freep) DomainDef *def =
		domain("<disk type='file' device='cdrom'><source file='/srv/a.iso'/><target dev='sda' "
		       "bus='scsi'/></disk>"
		       "<disk type='file' device='cdrom'><source file='/srv/b.iso'/><target dev='sdb' "
		       "bus='scsi'/></disk>");
	DiskDef *a = &def->disks[0];
	/* b's medium in a's drive. */
	DiskDef b = def->disks[1];
	b.info.alias = a->info.alias;
	QemuPlan p = {};
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(qemu_plan_change_medium(a, &b, false, &p, &err), 0);
	_cleanup_free_ char *s = shape(&p);
	/* Only the new medium's nodes have an undo: a failure after them
	 * leaves an empty drive, not nodes nobody uses. */
	assert_string_equal(s, "blockdev-open-tray wait blockdev-remove-medium blockdev-del blockdev-del "
			       "blockdev-add:blockdev-del blockdev-add:blockdev-del blockdev-insert-medium "
			       "blockdev-close-tray");
	assert_string_equal(arg(&p.v[0], "id"), "scsi0-0-0-0");
	assert_string_equal(arg(&p.v[5], "filename"), "/srv/b.iso");
	assert_string_equal(arg(&p.v[7], "node-name"), "scsi0-0-0-0-format");
	qemu_plan_clear(&p);

	/* An eject: out, no insert. */
	DiskDef empty = *a;
	empty.source = NULL;
	assert_int_equal(qemu_plan_change_medium(a, &empty, true, &p, &err), 0);
	free(s);
	s = shape(&p);
	assert_string_equal(s, "blockdev-open-tray wait blockdev-remove-medium blockdev-del blockdev-del "
			       "blockdev-close-tray");
	json_object *force;
	assert_true(json_object_object_get_ex(p.v[0].args, "force", &force) &&
		    json_object_get_boolean(force));
	qemu_plan_clear(&p);

	/* Another drive's alias is not a medium change. */
	assert_true(qemu_plan_change_medium(a, &def->disks[1], false, &p, &err) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_disk_chain),
		cmocka_unit_test(test_scsi_cdrom_and_controller),
		cmocka_unit_test(test_change_medium),
	};
	domain_xml_init();
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	domain_xml_done();
	return r;
}
