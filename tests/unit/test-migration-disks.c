/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a migration may copy (conf/migration-disks.h): the seed's rules
 * for disk migration and SCSI host devices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/domain-def.h"
#include "conf/domain-xml.h"
#include "conf/migration-disks.h"
#include "util/cleanup.h"

#define DISK(type, src, target, extra)                                                                      \
	"<disk type='file' device='" type "'><driver name='qemu' type='qcow2'" extra "/><source file='" src \
	"'/><target dev='" target "' bus='virtio'/></disk>"

static DomainDef *domain(const char *devices, const char *top)
{
	_cleanup_free_ char *xml = NULL;
	assert_true(asprintf(&xml,
			     "<domain type='kvm'><name>m</name><memory>262144</memory>%s"
			     "<os><type arch='s390x' machine='s390-ccw-virtio'>hvm</type></os>"
			     "<devices>%s</devices></domain>",
			     top, devices) > 0);
	DomainDef *def = NULL;
	ZvError err = ZV_ERROR_INIT;
	DomainXMLDefaults defaults = {.emulator = "/usr/bin/qemu-system-s390x"};
	if (domain_def_parse(xml, strlen(xml), &defaults, 0, &def, &err) < 0)
		fail_msg("%s", err.message);
	return def;
}

/* The copied disks' targets, space-separated. */
static char *copied(const DomainDef *def, MigrationStorage s, char *const *chosen)
{
	_cleanup_free_ size_t *idx = NULL;
	size_t n = 0;
	ZvError err = ZV_ERROR_INIT;
	if (domain_def_migration_disks(def, s, chosen, &idx, &n, &err) < 0)
		fail_msg("%s", err.message);
	char buf[256] = "";
	for (size_t i = 0; i < n; i++) {
		strcat(buf, i ? " " : "");
		strcat(buf, def->disks[idx[i]].target);
	}
	return strdup(buf);
}

static void refused(const DomainDef *def, MigrationStorage s, char *const *chosen, ZvErrorCode code,
		    const char *part)
{
	size_t *idx = NULL, n = 7;
	ZvError err = ZV_ERROR_INIT;
	assert_true(domain_def_migration_disks(def, s, chosen, &idx, &n, &err) < 0);
	assert_null(idx);
	assert_int_equal(n, 0);
	assert_int_equal(err.code, code);
	if (!strstr(err.message, part))
		fail_msg("'%s', expected '%s'", err.message, part);
	zv_error_clear(&err);
}

static const char *const mixed = DISK("disk", "/i/a.qcow2", "vda", "")
	DISK("disk", "/i/b.qcow2", "vdb",
	     "") "<disk type='file' device='cdrom'><source file='/i/c.iso'/>"
		 "<target dev='sda' bus='scsi'/></disk>"
		 "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/i/r.img'/>"
		 "<target dev='vdc' bus='virtio'/><readonly/></disk>";

static void test_shared_storage(void **state)
{
	(void)state;
	DomainDef *def = domain(mixed, "");
	_cleanup_free_ char *none = copied(def, MIGRATION_STORAGE_NONE, NULL);
	assert_string_equal(none, "");
	char *vda[] = {(char *)"vda", NULL};
	refused(def, MIGRATION_STORAGE_NONE, vda, ZV_ERROR_INVALID_ARGUMENT, "needs copy-storage");
	domain_def_free(def);
}

static void test_copy_all(void **state)
{
	(void)state;
	DomainDef *def = domain(mixed, "");
	/* The CD and the read-only disk stay: they are not written. */
	_cleanup_free_ char *all = copied(def, MIGRATION_STORAGE_ALL, NULL);
	assert_string_equal(all, "vda vdb");
	char *vdb[] = {(char *)"vdb", NULL};
	_cleanup_free_ char *one = copied(def, MIGRATION_STORAGE_INC, vdb);
	assert_string_equal(one, "vdb");
	char *cd[] = {(char *)"vda", (char *)"sda", NULL};
	refused(def, MIGRATION_STORAGE_ALL, cd, ZV_ERROR_OPERATION_INVALID, "'sda' cannot be copied");
	char *ro[] = {(char *)"vdc", NULL};
	refused(def, MIGRATION_STORAGE_ALL, ro, ZV_ERROR_OPERATION_INVALID, "read-only");
	char *none[] = {(char *)"vdz", NULL};
	refused(def, MIGRATION_STORAGE_ALL, none, ZV_ERROR_INVALID_ARGUMENT, "'vdz'");
	domain_def_free(def);
}

static void test_iothread(void **state)
{
	(void)state;
	DomainDef *def = domain(DISK("disk", "/i/a.qcow2", "vda", "")
					DISK("disk", "/i/t.qcow2", "vdd", " iothread='1'"),
				"<iothreads>1</iothreads>");
	refused(def, MIGRATION_STORAGE_ALL, NULL, ZV_ERROR_OPERATION_INVALID, "I/O thread");
	char *vdd[] = {(char *)"vdd", NULL};
	refused(def, MIGRATION_STORAGE_ALL, vdd, ZV_ERROR_OPERATION_INVALID, "'vdd' cannot be copied");
	/* The other disk alone may go; the I/O thread's is then shared storage. */
	char *vda[] = {(char *)"vda", NULL};
	_cleanup_free_ char *one = copied(def, MIGRATION_STORAGE_ALL, vda);
	assert_string_equal(one, "vda");
	_cleanup_free_ char *none = copied(def, MIGRATION_STORAGE_NONE, NULL);
	assert_string_equal(none, "");
	domain_def_free(def);
}

static void test_nothing_to_copy(void **state)
{
	(void)state;
	DomainDef *def =
		domain("<disk type='file' device='cdrom'><target dev='sda' bus='scsi'/></disk>", "");
	refused(def, MIGRATION_STORAGE_ALL, NULL, ZV_ERROR_OPERATION_INVALID, "no disk to copy");
	domain_def_free(def);
}

static void test_hostdev(void **state)
{
	(void)state;
	DomainDef *def = domain("<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host1'/>"
				"<address bus='0' target='2' unit='0'/></source></hostdev>",
				"");
	refused(def, MIGRATION_STORAGE_NONE, NULL, ZV_ERROR_OPERATION_INVALID,
		"scsi_host1 bus 0 target 2 unit 0");
	domain_def_free(def);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_storage), cmocka_unit_test(test_copy_all),
		cmocka_unit_test(test_iothread),       cmocka_unit_test(test_nothing_to_copy),
		cmocka_unit_test(test_hostdev),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
