/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain XML: parse, validate, defaults, canonical format, and the
 * errors a person sees for bad input. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "conf/device-xml.h"
#include "conf/domain-xml.h"
#include "conf/ccw-address.h"
#include "conf/device-info.h"
#include "conf/scsi-address.h"
#include "conf/startup-policy.h"
#include "util/cleanup.h"
#include "util/fileio.h"

#ifndef ZVIRTD_SOURCE_DIR
#error "ZVIRTD_SOURCE_DIR must point at the source tree"
#endif

#define FIXTURES ZVIRTD_SOURCE_DIR "/tests/unit/xml/"
#define EXAMPLES ZVIRTD_SOURCE_DIR "/data/examples/"
#define EMULATOR "/usr/bin/qemu-system-s390x"

static const DomainXMLDefaults defaults = {.emulator = EMULATOR};

static char *read_fixture(const char *path)
{
	char *data = NULL;
	size_t size;
	int r = read_file_full(path, 4 * 1024 * 1024, &data, &size);
	if (r < 0)
		fail_msg("cannot read %s: %s", path, strerror(-r));
	return data;
}

static DomainDef *parse_ok(const char *xml, DomainXMLParseFlags flags)
{
	ZvError err = ZV_ERROR_INIT;
	DomainDef *def = NULL;
	int r = domain_def_parse(xml, strlen(xml), &defaults, flags, &def, &err);
	if (r < 0)
		fail_msg("parse failed (%d): %s\n--- input:\n%s", r, err.message, xml);
	assert_non_null(def);
	assert_int_equal(err.code, ZV_ERROR_NONE);
	return def;
}

static char *format_ok(const DomainDef *def, int id, DomainXMLFormatFlags flags)
{
	char *s = domain_def_format(def, id, flags);
	assert_non_null(s);
	return s;
}

/* The invariant: format(parse(x)) is a fixed point of parse+format. */
static char *assert_round_trip(const char *xml, DomainXMLParseFlags pflags, int id,
			       DomainXMLFormatFlags fflags)
{
	_cleanup_(domain_def_freep) DomainDef *a = parse_ok(xml, pflags);
	char *first = format_ok(a, id, fflags);
	_cleanup_(domain_def_freep) DomainDef *b = parse_ok(first, pflags);
	_cleanup_free_ char *second = format_ok(b, id, fflags);
	assert_string_equal(first, second);

	/* And through a deep copy. */
	_cleanup_(domain_def_freep) DomainDef *c = domain_def_copy(b);
	assert_non_null(c);
	_cleanup_free_ char *third = format_ok(c, id, fflags);
	assert_string_equal(first, third);
	return first;
}

/* ---- fixtures ------------------------------------------------------------ */

typedef struct Fixture {
	const char *input;
	const char *expected; /* NULL: round trip only (random UUID) */
	DomainXMLParseFlags pflags;
	int id;
	DomainXMLFormatFlags fflags;
} Fixture;

static const Fixture fixtures[] = {
	{EXAMPLES "minimal.xml", NULL, 0, 0, 0},
	{EXAMPLES "full.xml", FIXTURES "full.expected.xml", 0, 0, 0},
	{EXAMPLES "full.xml", FIXTURES "full.expected.xml", 0, 0, DOMAIN_XML_FORMAT_INACTIVE},
	{FIXTURES "libvirt-inactive.xml", FIXTURES "libvirt-inactive.expected.xml", 0, 0, 0},
	{FIXTURES "libvirt-live.xml", FIXTURES "libvirt-live.expected.xml", 0, 7,
	 DOMAIN_XML_FORMAT_INACTIVE},
	/* DefineXML of a running domain's XML: live values are dropped. */
	{FIXTURES "libvirt-live.xml", FIXTURES "libvirt-live.expected.xml", 0, 0, 0},
	/* The daemon's own runtime status keeps them. */
	{FIXTURES "libvirt-live.xml", FIXTURES "libvirt-live.expected-live.xml", DOMAIN_XML_PARSE_LIVE, 7,
	 0},
	{FIXTURES "unordered.xml", FIXTURES "unordered.expected.xml", 0, 0, 0},
	/* User aliases are the definition's: shown live and inactive. */
	{FIXTURES "user-aliases.xml", FIXTURES "user-aliases.expected.xml", 0, 0, 0},
	{FIXTURES "user-aliases.xml", FIXTURES "user-aliases.expected.xml", 0, 0,
	 DOMAIN_XML_FORMAT_INACTIVE},
	{FIXTURES "user-aliases.xml", FIXTURES "user-aliases.expected.xml", DOMAIN_XML_PARSE_LIVE, 0, 0},
	/* Watchdog, rng, key wrapping, boot menu, loadparm and what libvirt's
	 * dumpxml adds for s390x: the live labels and aliases go on define. */
	{FIXTURES "machine.xml", FIXTURES "machine.expected.xml", 0, 0, 0},
	{FIXTURES "machine.xml", FIXTURES "machine.expected.xml", 0, 3, DOMAIN_XML_FORMAT_INACTIVE},
	{FIXTURES "machine.xml", FIXTURES "machine.expected-live.xml", DOMAIN_XML_PARSE_LIVE, 3, 0},
	{FIXTURES "unordered.xml", NULL, DOMAIN_XML_PARSE_NO_DEFAULTS, 0, 0},
	/* libvirt's s390x storage XML: controllers, SCSI disks and cdroms,
	 * backing chains, a SCSI hostdev, the implicit controller. */
	{FIXTURES "libvirt-s390-storage.xml", FIXTURES "libvirt-s390-storage.expected.xml", 0, 0, 0},
	{FIXTURES "libvirt-s390-storage.xml", FIXTURES "libvirt-s390-storage.expected.xml", 0, 0,
	 DOMAIN_XML_FORMAT_INACTIVE},
	/* What the define wrote defines the same again. */
	{FIXTURES "libvirt-s390-storage.expected.xml", FIXTURES "libvirt-s390-storage.expected.xml", 0, 0,
	 0},
	{FIXTURES "libvirt-s390-storage.expected.xml", FIXTURES "libvirt-s390-storage.expected.xml",
	 DOMAIN_XML_PARSE_NO_DEFAULTS, 0, 0},
	{EXAMPLES "minimal.xml", NULL, DOMAIN_XML_PARSE_NO_DEFAULTS, 0, 0},
};

static void test_fixture(void **state)
{
	const Fixture *f = *state;
	_cleanup_free_ char *input = read_fixture(f->input);
	_cleanup_free_ char *out = assert_round_trip(input, f->pflags, f->id, f->fflags);

	if (f->expected) {
		_cleanup_free_ char *expected = read_fixture(f->expected);
		assert_string_equal(out, expected);
	}
}

/* ---- defaults ------------------------------------------------------------ */

static void test_minimal_defaults(void **state)
{
	_cleanup_free_ char *input = read_fixture(EXAMPLES "minimal.xml");
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(input, 0);
	char buf[CCW_ADDRESS_STRING_MAX];

	assert_string_equal(def->name, "vs1");
	assert_false(sd_id128_is_null(def->uuid));
	assert_int_equal(def->virt_type, DOMAIN_VIRT_KVM);
	assert_int_equal(def->memory_kib, 524288);
	assert_int_equal(def->current_memory_kib, 524288);
	assert_false(def->dump_core_set);
	assert_int_equal(def->vcpus_max, 1);
	assert_int_equal(def->vcpus_current, 1);
	assert_int_equal(def->cpu_shares, 0);
	assert_int_equal(domain_def_cpu_shares(def), 1024);
	assert_string_equal(def->os_arch, "s390x");
	assert_string_equal(def->os_machine, "s390-ccw-virtio");
	assert_null(def->os_kernel);
	assert_int_equal(def->on_poweroff, LIFECYCLE_ACTION_DESTROY);
	assert_int_equal(def->on_reboot, LIFECYCLE_ACTION_RESTART);
	assert_int_equal(def->on_crash, LIFECYCLE_ACTION_PRESERVE);
	assert_string_equal(def->emulator, EMULATOR);

	assert_int_equal(def->n_disks, 1);
	DiskDef *d = &def->disks[0];
	assert_int_equal(d->type, DISK_TYPE_FILE);
	assert_int_equal(d->device, DISK_DEVICE_DISK);
	assert_int_equal(d->format, DISK_FORMAT_QCOW2);
	assert_int_equal(d->cache, DISK_CACHE_NONE);
	assert_int_equal(d->io, DISK_IO_NATIVE);
	assert_int_equal(d->bus, DISK_BUS_VIRTIO);
	assert_string_equal(d->source, "/var/lib/zvirtd/images/vs1.qcow2");
	assert_string_equal(d->target, "vda");
	assert_true(d->info.address.assigned);
	assert_string_equal(ccw_address_to_string(&d->info.address, buf), "fe.0.0000");

	assert_int_equal(def->n_consoles, 1);
	assert_int_equal(def->consoles[0].type, CONSOLE_TYPE_PTY);
	assert_int_equal(def->consoles[0].target, CONSOLE_TARGET_SCLP);
	assert_null(def->consoles[0].source_path);
	assert_null(def->consoles[0].live_pty_path);

	assert_int_equal(def->memballoon.model, MEMBALLOON_MODEL_VIRTIO);
	assert_string_equal(ccw_address_to_string(&def->memballoon.info.address, buf), "fe.0.0001");
}

static void test_two_defines_get_different_uuids(void **state)
{
	_cleanup_free_ char *input = read_fixture(EXAMPLES "minimal.xml");
	_cleanup_(domain_def_freep) DomainDef *a = parse_ok(input, 0);
	_cleanup_(domain_def_freep) DomainDef *b = parse_ok(input, 0);
	assert_false(sd_id128_equal(a->uuid, b->uuid));
}

static void test_no_defaults(void **state)
{
	_cleanup_free_ char *input = read_fixture(EXAMPLES "minimal.xml");
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(input, DOMAIN_XML_PARSE_NO_DEFAULTS);

	assert_true(sd_id128_is_null(def->uuid));
	assert_int_equal(def->current_memory_kib, 0);
	assert_int_equal(def->vcpus_max, 1);
	assert_int_equal(def->vcpus_current, 0);
	assert_null(def->emulator);
	assert_false(def->disks[0].info.address.assigned);
	assert_false(def->memballoon.info.address.assigned);

	_cleanup_free_ char *xml = format_ok(def, 0, 0);
	assert_null(strstr(xml, "<uuid>"));
	assert_null(strstr(xml, "<currentMemory"));
	assert_null(strstr(xml, "<emulator>"));
	assert_null(strstr(xml, "<address"));
}

static void test_emulator_kept(void **state)
{
	_cleanup_free_ char *input = read_fixture(FIXTURES "unordered.xml");
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(input, 0);
	assert_string_equal(def->emulator, "/opt/qemu/bin/qemu-system-s390x");

	/* No defaults given: no emulator invented either. */
	_cleanup_free_ char *minimal = read_fixture(EXAMPLES "minimal.xml");
	DomainDef *d = NULL;
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(domain_def_parse(minimal, strlen(minimal), NULL, 0, &d, &err), 0);
	assert_null(d->emulator);
	domain_def_free(d);
}

/* ---- units --------------------------------------------------------------- */

static void test_units(void **state)
{
	static const struct {
		uint64_t value;
		const char *unit;
		uint64_t kib;
	} table[] = {
		{1, NULL, 1},
		{1, "b", 1},
		{1024, "bytes", 1},
		{1025, "bytes", 2},
		{1, "KB", 1},
		{1024, "KB", 1000},
		{3, "k", 3},
		{3, "KiB", 3},
		{1, "MB", 977}, /* 1000000 / 1024 = 976.56, rounded up */
		{1, "M", 1024},
		{512, "MiB", 524288},
		{1, "GB", 976563},
		{2, "G", 2097152},
		{4, "GiB", 4194304},
		{1, "TB", 976562500},
		{1, "T", UINT64_C(1073741824)},
		{1, "TiB", UINT64_C(1073741824)},
		{UINT64_MAX, "KiB", UINT64_MAX},
		{UINT64_MAX, "b", UINT64_MAX / 1024 + 1},
	};

	for (size_t i = 0; i < ELEMENTSOF(table); i++) {
		uint64_t kib = 0;
		assert_int_equal(domain_memory_to_kib(table[i].value, table[i].unit, &kib), 0);
		if (kib != table[i].kib)
			fail_msg("%" PRIu64 " %s: got %" PRIu64 " KiB, expected %" PRIu64, table[i].value,
				 table[i].unit ? table[i].unit : "(none)", kib, table[i].kib);
	}

	uint64_t kib;
	assert_int_equal(domain_memory_to_kib(1, "kib", &kib), -EINVAL);
	assert_int_equal(domain_memory_to_kib(1, "XB", &kib), -EINVAL);
	assert_int_equal(domain_memory_to_kib(UINT64_MAX / 1024 + 1, "M", &kib), -ERANGE);
	assert_int_equal(domain_memory_to_kib(UINT64_MAX, "TB", &kib), -ERANGE);

	/* The same through XML, both elements. */
	static const char xml[] = "<domain type='kvm'><name>u</name><memory unit='GB'>2</memory>"
				  "<currentMemory unit='MB'>1500</currentMemory>"
				  "<os><type>hvm</type></os></domain>";
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);
	assert_int_equal(def->memory_kib, 1953125);
	assert_int_equal(def->current_memory_kib, 1464844);
}

/* ---- ccw ----------------------------------------------------------------- */

/* clang-format off */
#define OS  "<os><type arch='s390x' machine='s390-ccw-virtio'>hvm</type></os>"
#define TOP "<name>vs1</name><memory unit='MiB'>512</memory>" OS
#define DOM(body)	   "<domain type='kvm'>" TOP body "</domain>"
#define DEVICES(body)	   DOM("<devices>" body "</devices>")
#define DRIVER		   "<driver name='qemu' type='raw'/>"
#define DISK(dev, extra)   "<disk type='file' device='disk'>" DRIVER "<source file='/i/" dev ".img'/><target dev='" dev "' bus='virtio'/>" extra "</disk>"
#define CCW(devno)	   "<address type='ccw' cssid='0xfe' ssid='0x0' devno='" devno "'/>"
#define BALLOON(extra)	   "<memballoon model='virtio'>" extra "</memballoon>"
#define CONSOLE(type, tgt) "<console type='" type "'><target type='" tgt "'/></console>"
/* clang-format on */

static void assert_address(const CcwAddress *a, const char *expected)
{
	char buf[CCW_ADDRESS_STRING_MAX];
	assert_true(a->assigned);
	assert_string_equal(ccw_address_to_string(a, buf), expected);
}

static void test_ccw_assignment_order(void **state)
{
	/* Explicit addresses are reserved first; the rest get the first
	 * free devno in target order (vda, vdb, vdz, vdaa), then the
	 * balloon. */
	static const char xml[] = DEVICES(BALLOON("") DISK("vdaa", "") DISK("vdz", "")
						  DISK("vdb", CCW("0x0001")) DISK("vda", ""));
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);

	assert_int_equal(def->n_disks, 4);
	assert_string_equal(def->disks[0].target, "vda");
	assert_string_equal(def->disks[1].target, "vdb");
	assert_string_equal(def->disks[2].target, "vdz");
	assert_string_equal(def->disks[3].target, "vdaa");
	assert_address(&def->disks[0].info.address, "fe.0.0000");
	assert_address(&def->disks[1].info.address, "fe.0.0001");
	assert_address(&def->disks[2].info.address, "fe.0.0002");
	assert_address(&def->disks[3].info.address, "fe.0.0003");
	assert_address(&def->memballoon.info.address, "fe.0.0004");
}

#define RNG(extra) "<rng model='virtio'><backend model='random'>/dev/random</backend>" extra "</rng>"

static void test_ccw_rng_after_balloon(void **state)
{
	/* libvirt's virDomainDeviceInfoIterate: disks, ..., the memballoon,
	 * then the rngs; the watchdog has no address. */
	static const char xml[] = DEVICES(RNG("") "<watchdog model='diag288'/>" BALLOON("") DISK("vda", ""));
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);
	assert_address(&def->disks[0].info.address, "fe.0.0000");
	assert_address(&def->memballoon.info.address, "fe.0.0001");
	assert_address(&def->rng->info.address, "fe.0.0002");
	assert_non_null(def->watchdog);

	/* libvirt's virtio-rng-ccw test: the balloon at 0x000a leaves the
	 * next free devno to the rng. */
	static const char explicit[] = DEVICES(DISK("vda", "") BALLOON(CCW("0x000a")) RNG(""));
	_cleanup_(domain_def_freep) DomainDef *def2 = parse_ok(explicit, 0);
	assert_address(&def2->memballoon.info.address, "fe.0.000a");
	assert_address(&def2->rng->info.address, "fe.0.0001");

	/* An rng at an explicit devno is reserved before the disks get theirs. */
	static const char reserved[] =
		DEVICES(DISK("vda", "") "<memballoon model='none'/>" RNG(CCW("0x0000")));
	_cleanup_(domain_def_freep) DomainDef *def3 = parse_ok(reserved, 0);
	assert_address(&def3->rng->info.address, "fe.0.0000");
	assert_address(&def3->disks[0].info.address, "fe.0.0001");

	/* A hot-plugged device finds the rng's address taken. */
	CcwAddressSet *set = ccw_address_set_new();
	assert_non_null(set);
	assert_int_equal(ccw_address_set_add_domain(set, def, NULL), 0);
	assert_true(ccw_address_set_contains(set, &def->rng->info.address));
	ccw_address_set_free(set);
}

static void test_machine_defaults(void **state)
{
	static const char xml[] = DEVICES(
		"<watchdog model='diag288'/><rng model='virtio'><backend model='random'/></rng>" DISK(
			"vda", "<boot order='1' loadparm='Sys.1 a'/>"));
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);

	/* libvirt's defaults: action reset; /dev/random, the only source. */
	assert_int_equal(def->watchdog->model, WATCHDOG_MODEL_DIAG288);
	assert_int_equal(def->watchdog->action, WATCHDOG_ACTION_RESET);
	assert_string_equal(def->rng->source, "/dev/random");
	/* Upper case, as libvirt keeps it (QEMU would do the same). */
	assert_string_equal(def->disks[0].info.loadparm, "SYS.1 A");
	assert_int_equal(def->keywrap_aes, TRISTATE_ABSENT);
	assert_int_equal(def->keywrap_dea, TRISTATE_ABSENT);
	assert_int_equal(def->bootmenu, TRISTATE_ABSENT);
	assert_int_equal(def->cpu_mode, CPU_MODE_NONE);

	_cleanup_free_ char *out = format_ok(def, 0, 0);
	assert_non_null(strstr(out, "    <watchdog model='diag288' action='reset'/>\n"));
	assert_non_null(strstr(out, "      <backend model='random'>/dev/random</backend>\n"));
	assert_non_null(strstr(out, "      <boot order='1' loadparm='SYS.1 A'/>\n"));
	/* Nothing was given, nothing is written. */
	assert_null(strstr(out, "<keywrap"));
	assert_null(strstr(out, "<bootmenu"));
	assert_null(strstr(out, "<cpu"));
	assert_null(strstr(out, "<seclabel"));
	assert_null(strstr(out, "<panic"));
	assert_null(strstr(out, "<audio"));

	/* One cipher given: only that one is written (QEMU keeps the other on). */
	static const char one[] = DOM("<keywrap><cipher name='dea' state='off'/></keywrap>");
	_cleanup_(domain_def_freep) DomainDef *def2 = parse_ok(one, 0);
	assert_int_equal(def2->keywrap_aes, TRISTATE_ABSENT);
	assert_int_equal(def2->keywrap_dea, TRISTATE_OFF);
	_cleanup_free_ char *out2 = format_ok(def2, 0, 0);
	assert_non_null(strstr(
		out2, "  </devices>\n  <keywrap>\n    <cipher name='dea' state='off'/>\n  </keywrap>\n"));

	/* The aliases of a run, libvirt's names. */
	assert_int_equal(domain_def_assign_aliases(def), 0);
	assert_string_equal(def->watchdog->info.alias, "watchdog0");
	assert_string_equal(def->rng->info.alias, "rng0");
	_cleanup_free_ char *live = format_ok(def, 2, 0);
	assert_non_null(strstr(
		live, "    <watchdog model='diag288' action='reset'>\n      <alias name='watchdog0'/>\n"
		      "    </watchdog>\n"));
	assert_non_null(strstr(live, "</backend>\n      <alias name='rng0'/>\n      <address type='ccw'"));
	_cleanup_(domain_def_freep) DomainDef *status = parse_ok(live, DOMAIN_XML_PARSE_LIVE);
	assert_string_equal(status->watchdog->info.alias, "watchdog0");
	assert_string_equal(status->rng->info.alias, "rng0");
	_cleanup_(domain_def_freep) DomainDef *copy = domain_def_copy(def);
	assert_non_null(copy);
	assert_string_equal(copy->rng->info.alias, "rng0");
	assert_string_equal(copy->disks[0].info.loadparm, "SYS.1 A");
}

/* The watchdog is persistent only (the seed): no hot-plug of it. */
static void test_watchdog_not_attachable(void **state)
{
	static const char xml[] = "<watchdog model='diag288' action='pause'/>";
	ZvError err = ZV_ERROR_INIT;
	DeviceDef *dev = NULL;
	assert_int_equal(device_def_parse(xml, strlen(xml), 0, &dev, &err), -EBADMSG);
	assert_null(dev);
	assert_int_equal(err.code, ZV_ERROR_INVALID_XML);
	assert_non_null(strstr(err.message, "not <watchdog>"));
}

static void test_ccw_other_ssid_and_none_balloon(void **state)
{
	static const char xml[] =
		DEVICES(DISK("vda", "<address type='ccw' cssid='0xfe' ssid='0x3' devno='0xffff'/>")
				DISK("vdb", "") "<memballoon model='none'/>");
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);
	assert_address(&def->disks[0].info.address, "fe.3.ffff");
	assert_address(&def->disks[1].info.address, "fe.0.0000");
	assert_int_equal(def->memballoon.model, MEMBALLOON_MODEL_NONE);
	assert_false(def->memballoon.info.address.assigned);

	_cleanup_free_ char *out = format_ok(def, 0, 0);
	assert_non_null(strstr(out, "<address type='ccw' cssid='0xfe' ssid='0x3' devno='0xffff'/>"));
	assert_non_null(strstr(out, "<memballoon model='none'/>"));
}

static void test_ccw_decimal_and_uppercase(void **state)
{
	static const char xml[] =
		DEVICES(DISK("vda", "<address type='ccw' cssid='254' ssid='1' devno='0X00AB'/>"));
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);
	assert_address(&def->disks[0].info.address, "fe.1.00ab");
}

/* ---- live values, ids, escaping ------------------------------------------ */

static void test_live_console(void **state)
{
	static const char xml[] = DEVICES("<console type='pty' tty='/dev/pts/9'><source path='/dev/pts/9'/>"
					  "<target type='sclp' port='0'/></console>");

	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);
	assert_null(def->consoles[0].live_pty_path);
	assert_null(def->consoles[0].source_path);

	_cleanup_(domain_def_freep) DomainDef *live = parse_ok(xml, DOMAIN_XML_PARSE_LIVE);
	assert_string_equal(live->consoles[0].live_pty_path, "/dev/pts/9");
	_cleanup_free_ char *active = format_ok(live, 3, 0);
	assert_non_null(strstr(active, "<domain type='kvm' id='3'>"));
	assert_non_null(
		strstr(active, "<console type='pty' tty='/dev/pts/9'>\n      <source path='/dev/pts/9'/>"));
	_cleanup_free_ char *inactive = format_ok(live, 3, DOMAIN_XML_FORMAT_INACTIVE);
	assert_non_null(strstr(inactive, "<domain type='kvm'>"));
	assert_null(strstr(inactive, "pts"));

	/* tty= alone (no <source>) is enough too. */
	static const char tty_only[] =
		DEVICES("<console type='pty' tty='/dev/pts/4'><target type='sclp'/></console>");
	_cleanup_(domain_def_freep) DomainDef *t = parse_ok(tty_only, DOMAIN_XML_PARSE_LIVE);
	assert_string_equal(t->consoles[0].live_pty_path, "/dev/pts/4");
}

static void test_console_kinds(void **state)
{
	static const char xml[] =
		DEVICES("<console type='unix'><source path='/run/c.sock'/><target type='sclp'/>"
			"</console><console type='file'><source path='/var/log/c.out'/>"
			"<target type='sclplm'/><log file='/var/log/c.log'/></console>");
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);
	assert_int_equal(def->n_consoles, 2);
	assert_int_equal(def->consoles[0].type, CONSOLE_TYPE_UNIX);
	assert_false(def->consoles[0].unix_bind); /* libvirt's default: connect */
	assert_string_equal(def->consoles[0].source_path, "/run/c.sock");
	assert_int_equal(def->consoles[1].type, CONSOLE_TYPE_FILE);
	assert_int_equal(def->consoles[1].target, CONSOLE_TARGET_SCLPLM);
	assert_string_equal(def->consoles[1].log_file, "/var/log/c.log");
	assert_false(def->consoles[1].log_append);

	_cleanup_free_ char *out = assert_round_trip(xml, 0, 0, 0);
	assert_non_null(strstr(out, "<source mode='connect' path='/run/c.sock'/>"));
	assert_non_null(strstr(out, "<log file='/var/log/c.log' append='off'/>"));
}

static void test_escaping(void **state)
{
	static const char xml[] =
		"<domain type='kvm'><name>a &amp; b's \"vm\" &lt;1&gt;</name>"
		"<title>it's &quot;quoted&quot;</title>"
		"<description>line 1\nline 2 &amp; &lt;tag&gt; ]]&gt; tab\there&#13;cr</description>"
		"<memory>1024</memory><os><type>hvm</type><kernel>/boot/k'&amp;\"</kernel>"
		"<cmdline>a=&apos;b&apos; c=\"d\" e&lt;f</cmdline></os>"
		"<devices><disk type='file'><source file=\"/img/it's &amp; &quot;x&quot;&#9;.img\"/>"
		"<target dev='vda'/></disk></devices></domain>";
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);

	assert_string_equal(def->name, "a & b's \"vm\" <1>");
	assert_string_equal(def->title, "it's \"quoted\"");
	assert_string_equal(def->description, "line 1\nline 2 & <tag> ]]> tab\there\rcr");
	assert_string_equal(def->os_kernel, "/boot/k'&\"");
	assert_string_equal(def->disks[0].source, "/img/it's & \"x\"\t.img");

	_cleanup_free_ char *out = assert_round_trip(xml, 0, 0, 0);
	assert_non_null(strstr(out, "<source file='/img/it&apos;s &amp; &quot;x&quot;&#9;.img'/>"));
	assert_non_null(strstr(out, "&#13;cr</description>"));
}

static void test_whitespace(void **state)
{
	static const char xml[] = "<domain type='kvm'><name>ws</name><memory unit='KiB'>\n  2048 \n</memory>"
				  "<vcpu current=' 1 '> 2 </vcpu><os><type> hvm </type></os>"
				  "<uuid> 4a461da8-0253-4989-b267-bd4db02bfac4\n</uuid>"
				  "<on_crash> restart </on_crash></domain>";
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);
	assert_int_equal(def->memory_kib, 2048);
	assert_int_equal(def->vcpus_max, 2);
	assert_int_equal(def->vcpus_current, 1);
	assert_int_equal(def->on_crash, LIFECYCLE_ACTION_RESTART);
}

static void test_format_hand_built(void **state)
{
	/* A definition built in C (as hotplug will) formats to XML that
	 * parses back to the same definition. */
	DiskDef disk = {
		.type = DISK_TYPE_BLOCK,
		.format = DISK_FORMAT_RAW,
		.cache = DISK_CACHE_UNSAFE,
		.io = DISK_IO_THREADS,
		.source = strdup("/dev/dasdz"),
		.target = strdup("vdq"),
		.readonly = true,
		.info = {.boot_order = 4,
			 .address = {.assigned = true, .cssid = 0xfe, .ssid = 2, .devno = 0x1234}},
	};
	ConsoleDef con = {
		.type = CONSOLE_TYPE_UNIX,
		.source_path = strdup("/run/x\ty.sock"),
		.unix_bind = true,
		.target = CONSOLE_TARGET_SCLPLM,
		.log_file = strdup("/log/a<b>"),
		.log_append = true,
	};
	_cleanup_(domain_def_freep) DomainDef *def = calloc(1, sizeof(DomainDef));
	assert_non_null(def);
	def->virt_type = DOMAIN_VIRT_QEMU;
	def->name = strdup("hand");
	def->memory_kib = 4096;
	def->current_memory_kib = 2048;
	def->dump_core_set = true;
	def->vcpus_max = 8;
	def->vcpus_current = 3;
	def->cpu_shares = 262144;
	def->os_machine = strdup("s390-ccw-virtio-7.2");
	def->on_poweroff = LIFECYCLE_ACTION_RENAME_RESTART;
	def->on_reboot = LIFECYCLE_ACTION_PRESERVE;
	def->on_crash = LIFECYCLE_ACTION_COREDUMP_DESTROY;
	def->disks = calloc(1, sizeof(DiskDef));
	def->consoles = calloc(1, sizeof(ConsoleDef));
	assert_non_null(def->disks);
	assert_non_null(def->consoles);
	def->disks[0] = disk;
	def->n_disks = 1;
	def->consoles[0] = con;
	def->n_consoles = 1;
	def->memballoon.model = MEMBALLOON_MODEL_NONE;

	_cleanup_free_ char *xml = format_ok(def, 0, 0);
	_cleanup_(domain_def_freep) DomainDef *back = parse_ok(xml, DOMAIN_XML_PARSE_NO_DEFAULTS);
	_cleanup_free_ char *again = format_ok(back, 0, 0);
	assert_string_equal(xml, again);
	assert_int_equal(back->on_poweroff, LIFECYCLE_ACTION_RENAME_RESTART);
	assert_int_equal(back->disks[0].cache, DISK_CACHE_UNSAFE);
	assert_string_equal(back->consoles[0].source_path, "/run/x\ty.sock");
	assert_true(back->consoles[0].unix_bind);
	assert_true(back->dump_core_set);
	assert_false(back->dump_core);
}

static void test_copy_is_deep(void **state)
{
	_cleanup_free_ char *input = read_fixture(EXAMPLES "full.xml");
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(input, 0);
	_cleanup_(domain_def_freep) DomainDef *copy = domain_def_copy(def);
	assert_non_null(copy);

	assert_ptr_not_equal(copy->name, def->name);
	assert_ptr_not_equal(copy->disks, def->disks);
	assert_ptr_not_equal(copy->disks[0].source, def->disks[0].source);
	assert_ptr_not_equal(copy->consoles[0].log_file, def->consoles[0].log_file);

	copy->disks[0].source[1] = 'X';
	copy->name[0] = 'X';
	assert_string_equal(def->name, "vserv1");
	assert_string_equal(def->disks[0].source, "/dev/mapper/36005076305ffc1ae0000000000021d5");

	assert_null(domain_def_copy(NULL));
	assert_null(domain_def_free(NULL));
}

/* format(copy(d)) == format(d) for every fixture and example, read
 * with each parse flag and formatted live and inactive: the copy goes
 * through the XML, so this is what "misses no field" means. */
static void assert_copy_formats_alike(const DomainDef *def, const char *what)
{
	static const DomainXMLFormatFlags fflags[] = {0, DOMAIN_XML_FORMAT_INACTIVE};

	_cleanup_(domain_def_freep) DomainDef *copy = domain_def_copy(def);
	if (!copy)
		fail_msg("%s: no copy", what);
	for (size_t k = 0; k < ELEMENTSOF(fflags); k++) {
		_cleanup_free_ char *a = format_ok(def, 5, fflags[k]);
		_cleanup_free_ char *b = format_ok(copy, 5, fflags[k]);
		if (strcmp(a, b) != 0)
			fail_msg("%s (format %d): the copy formats differently\n--- def:\n%s--- copy:\n%s",
				 what, fflags[k], a, b);
	}
}

static void copy_all_in(const char *dir, unsigned *n)
{
	static const DomainXMLParseFlags pflags[] = {
		0,
		DOMAIN_XML_PARSE_LIVE,
		DOMAIN_XML_PARSE_NO_DEFAULTS,
		DOMAIN_XML_PARSE_LIVE | DOMAIN_XML_PARSE_NO_DEFAULTS,
	};
	_cleanup_closedir_ DIR *d = opendir(dir);
	assert_non_null(d);

	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l < 4 || strcmp(e->d_name + l - 4, ".xml") != 0)
			continue;
		_cleanup_free_ char *path = NULL;
		assert_true(asprintf(&path, "%s%s", dir, e->d_name) > 0);
		_cleanup_free_ char *input = read_fixture(path);
		for (size_t k = 0; k < ELEMENTSOF(pflags); k++) {
			char what[512];
			snprintf(what, sizeof(what), "%s (parse %d)", e->d_name, pflags[k]);
			_cleanup_(domain_def_freep) DomainDef *def = parse_ok(input, pflags[k]);
			assert_copy_formats_alike(def, what);
		}
		(*n)++;
	}
}

static void test_copy_every_fixture(void **state)
{
	unsigned n = 0;

	copy_all_in(FIXTURES, &n);
	copy_all_in(EXAMPLES, &n);
	assert_true(n >= 10);

	/* The live pty path is a live value: the copy keeps it. */
	_cleanup_free_ char *input = read_fixture(FIXTURES "libvirt-live.xml");
	_cleanup_(domain_def_freep) DomainDef *live = parse_ok(input, DOMAIN_XML_PARSE_LIVE);
	_cleanup_(domain_def_freep) DomainDef *copy = domain_def_copy(live);
	assert_non_null(copy);
	assert_string_equal(copy->consoles[0].live_pty_path, "/dev/pts/3");
	_cleanup_free_ char *xml = format_ok(copy, 7, 0);
	assert_non_null(
		strstr(xml, "<console type='pty' tty='/dev/pts/3'>\n      <source path='/dev/pts/3'/>"));

	/* Nothing is filled in that the original lacks. */
	_cleanup_free_ char *minimal = read_fixture(EXAMPLES "minimal.xml");
	_cleanup_(domain_def_freep) DomainDef *bare = parse_ok(minimal, DOMAIN_XML_PARSE_NO_DEFAULTS);
	_cleanup_(domain_def_freep) DomainDef *bare_copy = domain_def_copy(bare);
	assert_non_null(bare_copy);
	assert_true(sd_id128_is_null(bare_copy->uuid));
	assert_null(bare_copy->emulator);
	assert_int_equal(bare_copy->current_memory_kib, 0);
	assert_false(bare_copy->disks[0].info.address.assigned);
	assert_false(bare_copy->memballoon.info.address.assigned);
}

/* ---- aliases ------------------------------------------------------------- */

static void assert_alias(const DeviceInfo *info, const char *expected)
{
	if (!expected) {
		assert_null(info->alias);
		return;
	}
	assert_non_null(info->alias);
	assert_string_equal(info->alias, expected);
}

static void test_aliases_assigned(void **state)
{
	_cleanup_free_ char *input = read_fixture(EXAMPLES "full.xml");
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(input, 0);

	/* A definition has none of the daemon's own. */
	for (size_t i = 0; i < def->n_disks; i++)
		assert_null(def->disks[i].info.alias);
	assert_null(def->consoles[0].info.alias);
	assert_null(def->memballoon.info.alias);

	assert_int_equal(domain_def_assign_aliases(def), 0);
	assert_alias(&def->disks[0].info, "virtio-disk0");
	assert_alias(&def->disks[1].info, "virtio-disk1");
	assert_alias(&def->disks[2].info, "virtio-disk2");
	assert_alias(&def->consoles[0].info, "console0");
	assert_alias(&def->consoles[1].info, "console1");
	assert_alias(&def->memballoon.info, "balloon0");
	/* Again: nothing changes. */
	assert_int_equal(domain_def_assign_aliases(def), 0);
	assert_alias(&def->disks[2].info, "virtio-disk2");

	/* Live XML shows them where libvirt does; the persistent form not. */
	_cleanup_free_ char *live = format_ok(def, 4, 0);
	assert_non_null(strstr(live,
			       "      <boot order='1' loadparm='1'/>\n      <alias name='virtio-disk0'/>\n"
			       "      <address type='ccw' cssid='0xfe' ssid='0x0' devno='0xe714'/>\n"));
	assert_non_null(strstr(live, "      <shareable/>\n      <alias name='virtio-disk2'/>\n"));
	assert_non_null(strstr(live,
			       "      <target type='sclplm' port='0'/>\n      <alias name='console1'/>\n"
			       "    </console>\n"));
	assert_non_null(strstr(live, "    <memballoon model='virtio'>\n      <alias name='balloon0'/>\n"
				     "      <address type='ccw'"));
	_cleanup_free_ char *inactive = format_ok(def, 4, DOMAIN_XML_FORMAT_INACTIVE);
	assert_null(strstr(inactive, "<alias"));

	/* What the runtime status keeps: a LIVE parse of the live XML. */
	_cleanup_(domain_def_freep) DomainDef *status = parse_ok(live, DOMAIN_XML_PARSE_LIVE);
	assert_alias(&status->disks[1].info, "virtio-disk1");
	assert_alias(&status->consoles[1].info, "console1");
	assert_alias(&status->memballoon.info, "balloon0");
	_cleanup_free_ char *again = format_ok(status, 4, 0);
	assert_string_equal(live, again);

	/* DefineXML of that XML: the daemon's aliases are dropped. */
	_cleanup_(domain_def_freep) DomainDef *defined = parse_ok(live, 0);
	assert_null(defined->disks[0].info.alias);
	assert_null(defined->consoles[0].info.alias);
	assert_null(defined->memballoon.info.alias);
	_cleanup_free_ char *defined_xml = format_ok(defined, 0, 0);
	assert_string_equal(defined_xml, inactive);

	/* The copy the driver starts from keeps them. */
	_cleanup_(domain_def_freep) DomainDef *copy = domain_def_copy(def);
	assert_non_null(copy);
	assert_alias(&copy->disks[0].info, "virtio-disk0");

	assert_int_equal(domain_def_assign_aliases(NULL), -EINVAL);
}

/* Appends a disk without an alias to def, as a hot plug would. */
static DiskDef *add_disk(DomainDef *def, const char *target)
{
	DiskDef *disks = realloc(def->disks, (def->n_disks + 1) * sizeof(DiskDef));
	assert_non_null(disks);
	def->disks = disks;
	DiskDef *d = &def->disks[def->n_disks++];
	*d = (DiskDef){.type = DISK_TYPE_FILE, .source = strdup("/i"), .target = strdup(target)};
	assert_non_null(d->source);
	assert_non_null(d->target);
	return d;
}

static void test_aliases_lowest_free(void **state)
{
	/* libvirt names a disk after its target (vdc: virtio-disk2), whatever
	 * the other disks are. vda holds virtio-disk3 (an older daemon's
	 * name, kept by a LIVE parse), vdb the user's ua-x: vdc gets its own,
	 * vdd finds its own taken and gets the lowest free one. */
	static const char xml[] = DEVICES(DISK("vda", "<alias name='virtio-disk3'/>") DISK(
		"vdb", "<alias name='ua-x'/>") DISK("vdc", "") DISK("vdd", ""));
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, DOMAIN_XML_PARSE_LIVE);
	assert_int_equal(domain_def_assign_aliases(def), 0);
	assert_alias(&def->disks[0].info, "virtio-disk3");
	assert_alias(&def->disks[1].info, "ua-x");
	assert_alias(&def->disks[2].info, "virtio-disk2");
	assert_alias(&def->disks[3].info, "virtio-disk0");

	/* A disk plugged in later gets its own, never one in use. */
	add_disk(def, "vdaa");
	assert_int_equal(domain_def_assign_aliases(def), 0);
	assert_alias(&def->disks[4].info, "virtio-disk26");
	/* vdb's own name is held by nobody: a new vdb gets it... */
	disk_def_clear(&def->disks[1]);
	def->disks[1] = def->disks[--def->n_disks];
	add_disk(def, "vdb");
	assert_int_equal(domain_def_assign_aliases(def), 0);
	assert_alias(&def->disks[4].info, "virtio-disk1");
	/* ...and one whose name is taken, the lowest free one. */
	add_disk(def, "vdab");
	def->disks[0].info.alias = (free(def->disks[0].info.alias), strdup("virtio-disk27"));
	add_disk(def, "vdzzzzzz"); /* past any index: the lowest free */
	assert_int_equal(domain_def_assign_aliases(def), 0);
	assert_alias(&def->disks[5].info, "virtio-disk3");
	assert_alias(&def->disks[6].info, "virtio-disk4");

	/* A console is console<i> at position i: the driver reads
	 * charconsole<i> back as consoles[i]. */
	static const char consoles[] =
		DEVICES("<console type='pty'><target type='sclp'/><alias name='ua-c'/>"
			"</console><console type='pty'><target type='sclplm'/></console>"
			"<memballoon model='none'/>");
	_cleanup_(domain_def_freep) DomainDef *c = parse_ok(consoles, 0);
	assert_int_equal(domain_def_assign_aliases(c), 0);
	assert_alias(&c->consoles[0].info, "ua-c");
	assert_alias(&c->consoles[1].info, "console1");
	/* No balloon device, no alias. */
	assert_null(c->memballoon.info.alias);

	/* The position taken by another device: the lowest free one. */
	static const char taken[] = DEVICES(DISK("vda", "<alias name='console1'/>") CONSOLE("pty", "sclp")
						    CONSOLE("pty", "sclplm"));
	_cleanup_(domain_def_freep) DomainDef *t = parse_ok(taken, DOMAIN_XML_PARSE_LIVE);
	assert_int_equal(domain_def_assign_aliases(t), 0);
	assert_alias(&t->consoles[0].info, "console0");
	assert_alias(&t->consoles[1].info, "console2");
	assert_alias(&t->memballoon.info, "balloon0");
}

static void test_user_aliases(void **state)
{
	static const char xml[] = DEVICES(DISK("vda", "<boot order='1'/><alias name='ua-boot'/>") DISK(
		"vdb", "<alias name='virtio-disk0'/>") BALLOON("<alias name='ua-balloon'/>"));
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);

	/* The user's is kept and used as is; the daemon's is dropped. */
	assert_alias(&def->disks[0].info, "ua-boot");
	assert_null(def->disks[1].info.alias);
	assert_alias(&def->memballoon.info, "ua-balloon");
	_cleanup_free_ char *inactive = format_ok(def, 0, DOMAIN_XML_FORMAT_INACTIVE);
	assert_non_null(strstr(inactive, "<boot order='1'/>\n      <alias name='ua-boot'/>\n"));
	assert_non_null(strstr(inactive, "<memballoon model='virtio'>\n      <alias name='ua-balloon'/>\n"));

	assert_int_equal(domain_def_assign_aliases(def), 0);
	assert_alias(&def->disks[0].info, "ua-boot");
	/* libvirt's name for vdb, though vda is named otherwise. */
	assert_alias(&def->disks[1].info, "virtio-disk1");
	assert_alias(&def->memballoon.info, "ua-balloon");
	_cleanup_free_ char *inactive2 = format_ok(def, 0, DOMAIN_XML_FORMAT_INACTIVE);
	assert_string_equal(inactive, inactive2);

	assert_true(device_alias_is_user("ua-x"));
	assert_false(device_alias_is_user("virtio-disk0"));
	assert_false(device_alias_is_user(NULL));
	assert_null(device_alias_problem("ua-A_z-9"));
	assert_null(device_alias_problem("balloon0"));
	assert_non_null(device_alias_problem("ua-"));
	assert_non_null(device_alias_problem("disk0"));
	assert_non_null(device_alias_problem("virtio-disk01"));
	assert_non_null(device_alias_problem("ua-a.b"));
	assert_non_null(device_alias_problem(""));
	assert_non_null(device_alias_problem(NULL));
}

static void test_alias_refused_live(void **state)
{
	/* Duplicates are refused whoever named them. */
	static const char xml[] = DEVICES(DISK("vda", "<alias name='virtio-disk0'/>")
						  DISK("vdb", "<alias name='virtio-disk0'/>"));
	ZvError err = ZV_ERROR_INIT;
	DomainDef *def = NULL;
	assert_int_equal(domain_def_parse(xml, strlen(xml), &defaults, DOMAIN_XML_PARSE_LIVE, &def, &err),
			 -EBADMSG);
	assert_null(def);
	assert_non_null(strstr(err.message, "at /domain/devices/disk[2]/alias: alias 'virtio-disk0' is used "
					    "twice (also by /domain/devices/disk[1]/alias)"));
	/* Without LIVE they are dropped, so there is nothing to clash. */
	_cleanup_(domain_def_freep) DomainDef *ok = parse_ok(xml, 0);
	assert_null(ok->disks[0].info.alias);
}

static void test_parse_node(void **state)
{
	/* Runtime status files embed the live <domain>. */
	static const char status[] =
		"<domstatus state='running'><monitor path='/run/q'/>"
		"<domain type='kvm' id='2'><name>st</name><memory>1024</memory>"
		"<os><type>hvm</type></os><devices><console type='pty' tty='/dev/pts/1'>"
		"<target type='sclp'/></console></devices></domain></domstatus>";
	xmlDocPtr doc = xmlReadMemory(status, sizeof(status) - 1, "status.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	assert_non_null(doc);
	xmlNode *dom = xmlDocGetRootElement(doc)->children;
	while (dom && !xmlStrEqual(dom->name, BAD_CAST "domain"))
		dom = dom->next;
	assert_non_null(dom);

	DomainDef *def = NULL;
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(domain_def_parse_node(doc, dom, &defaults, DOMAIN_XML_PARSE_LIVE, &def, &err), 0);
	assert_string_equal(def->name, "st");
	assert_string_equal(def->consoles[0].live_pty_path, "/dev/pts/1");
	domain_def_free(def);

	/* Errors name paths inside the <domain>, as for DefineXML. */
	xmlSetProp(dom, BAD_CAST "bogus", BAD_CAST "1");
	def = NULL;
	assert_int_equal(domain_def_parse_node(doc, dom, &defaults, 0, &def, &err), -EBADMSG);
	assert_null(def);
	assert_int_equal(err.code, ZV_ERROR_INVALID_XML);
	assert_non_null(strstr(err.message, "Invalid domain XML at /domain: unknown attribute 'bogus'"));
	xmlFreeDoc(doc);
}

/* ---- the SCSI side ------------------------------------------------------- */

static const DiskDef *disk_named(const DomainDef *def, const char *target)
{
	for (size_t i = 0; i < def->n_disks; i++)
		if (strcmp(def->disks[i].target, target) == 0)
			return &def->disks[i];
	fail_msg("no disk %s", target);
	return NULL;
}

static void assert_drive(const DriveAddress *a, unsigned controller, unsigned target, unsigned unit)
{
	assert_true(a->assigned);
	assert_int_equal(a->controller, controller);
	assert_int_equal(a->bus, 0);
	assert_int_equal(a->target, target);
	assert_int_equal(a->unit, unit);
}

#define SCSI_CTRL(idx, extra) \
	"<controller type='scsi' index='" idx "' model='virtio-scsi'>" extra "</controller>"
#define SCSI_DISK(dev, extra)                                                                        \
	"<disk type='file' device='disk'>" DRIVER "<source file='/i/" dev ".img'/><target dev='" dev \
	"' bus='scsi'/>" extra "</disk>"
#define CDROM(dev, extra) \
	"<disk type='file' device='cdrom'><target dev='" dev "' bus='scsi'/>" extra "</disk>"
#define DRIVE(c, t, u) "<address type='drive' controller='" c "' bus='0' target='" t "' unit='" u "'/>"
#define HOSTDEV(extra)                                                                                \
	"<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/><address bus='0' " \
	"target='1' unit='2'/></source>" extra "</hostdev>"

static void test_scsi_model(void **state)
{
	_cleanup_free_ char *input = read_fixture(FIXTURES "libvirt-s390-storage.xml");
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(input, 0);

	/* Disks grouped by bus in the order the buses appear, each in
	 * target order (virDomainDiskInsert). */
	assert_int_equal(def->n_disks, 5);
	const char *order[] = {"vda", "vdb", "sda", "sdb", "sdh"};
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(def->disks[i].target, order[i]);

	const DiskDef *vda = disk_named(def, "vda");
	assert_int_equal(vda->error_policy, DISK_ERROR_POLICY_STOP);
	assert_int_equal(vda->rerror_policy, DISK_ERROR_POLICY_REPORT);
	assert_int_equal(vda->geometry_cyls, 16383);
	assert_int_equal(vda->geometry_heads, 16);
	assert_int_equal(vda->geometry_secs, 64);
	assert_int_equal(vda->logical_block_size, 4096);
	assert_int_equal(vda->physical_block_size, 4096);
	assert_string_equal(vda->serial, "DASD-7500");

	const DiskDef *vdb = disk_named(def, "vdb");
	assert_int_equal(vdb->n_backing, 2);
	assert_int_equal(vdb->backing[0].format, DISK_FORMAT_QCOW2);
	assert_string_equal(vdb->backing[0].source, "/var/lib/libvirt/images/base.qcow2");
	assert_int_equal(vdb->backing[1].format, DISK_FORMAT_RAW);
	assert_true(vdb->backing_terminated);

	const DiskDef *sda = disk_named(def, "sda");
	assert_int_equal(sda->device, DISK_DEVICE_CDROM);
	assert_int_equal(sda->startup_policy, DISK_STARTUP_POLICY_OPTIONAL);
	assert_true(sda->readonly);
	assert_drive(&sda->info.drive, 0, 0, 0);
	assert_false(sda->info.address.assigned);
	/* An empty drive: no source, read-only forced as libvirt does, an
	 * address from its name (sdb: unit 1). */
	const DiskDef *sdb = disk_named(def, "sdb");
	assert_null(sdb->source);
	assert_true(sdb->readonly);
	assert_drive(&sdb->info.drive, 0, 0, 1);
	/* sdh is index 7: seven units a controller, so controller 1. */
	assert_drive(&disk_named(def, "sdh")->info.drive, 1, 0, 0);

	/* The implicit controller 1 comes after the ones in the document. */
	assert_int_equal(def->n_controllers, 3);
	assert_int_equal(def->controllers[0].type, CONTROLLER_TYPE_SCSI);
	assert_false(def->controllers[0].implicit);
	assert_int_equal(def->controllers[1].type, CONTROLLER_TYPE_PCI);
	assert_int_equal(def->controllers[1].model, CONTROLLER_MODEL_PCI_ROOT);
	assert_false(def->controllers[1].info.address.assigned);
	assert_int_equal(def->controllers[2].index, 1);
	assert_true(def->controllers[2].implicit);
	assert_int_equal(def->controllers[2].model, CONTROLLER_MODEL_VIRTIO_SCSI);

	/* The hostdev: the first unit free on controller 0. */
	assert_int_equal(def->n_hostdevs, 1);
	assert_string_equal(def->hostdevs[0].adapter, "scsi_host3");
	assert_int_equal(def->hostdevs[0].host_target, 8);
	assert_true(def->hostdevs[0].readonly);
	assert_int_equal(def->hostdevs[0].rawio, 0);
	assert_drive(&def->hostdevs[0].info.drive, 0, 0, 2);

	/* ccw in libvirt's order: vda, [vdb explicit], scsi0 (explicit),
	 * scsi1, the balloon. */
	assert_address(&vda->info.address, "fe.0.0000");
	assert_address(&vdb->info.address, "fe.0.0001");
	assert_address(&def->controllers[0].info.address, "fe.0.0002");
	assert_address(&def->controllers[2].info.address, "fe.0.0003");
	assert_address(&def->memballoon.info.address, "fe.0.0004");

	/* The daemon's aliases, libvirt's names. */
	assert_int_equal(domain_def_assign_aliases(def), 0);
	assert_string_equal(vda->info.alias, "virtio-disk0");
	assert_string_equal(vdb->info.alias, "virtio-disk1");
	assert_string_equal(sda->info.alias, "scsi0-0-0-0");
	assert_string_equal(sdb->info.alias, "scsi0-0-0-1");
	assert_string_equal(disk_named(def, "sdh")->info.alias, "scsi1-0-0-0");
	assert_string_equal(def->controllers[0].info.alias, "scsi0");
	assert_string_equal(def->controllers[1].info.alias, "pci");
	assert_string_equal(def->controllers[2].info.alias, "scsi1");
	assert_string_equal(def->hostdevs[0].info.alias, "hostdev0");
	assert_string_equal(def->memballoon.info.alias, "balloon0");

	/* ... which a live parse keeps, and a define drops. */
	_cleanup_free_ char *live = format_ok(def, 1, 0);
	assert_non_null(strstr(live, "<alias name='scsi0-0-0-0'/>"));
	assert_non_null(strstr(live, "<alias name='hostdev0'/>"));
	_cleanup_(domain_def_freep) DomainDef *kept = parse_ok(live, DOMAIN_XML_PARSE_LIVE);
	assert_string_equal(kept->controllers[2].info.alias, "scsi1");
	assert_string_equal(kept->hostdevs[0].info.alias, "hostdev0");
	_cleanup_(domain_def_freep) DomainDef *dropped = parse_ok(live, 0);
	assert_null(dropped->controllers[0].info.alias);
	assert_null(dropped->hostdevs[0].info.alias);
}

static void test_scsi_assignment(void **state)
{
	/* No controller at all: the disks' names make controllers 0 and 2
	 * (and 1, to stay contiguous), libvirt's implicit ones. */
	static const char xml[] = DEVICES(SCSI_DISK("sdp", "") CDROM("sdc", "") DISK("vda", ""));
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);
	assert_drive(&disk_named(def, "sdc")->info.drive, 0, 0, 2);
	assert_drive(&disk_named(def, "sdp")->info.drive, 2, 0, 1); /* index 15 */
	assert_int_equal(def->n_controllers, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(def->controllers[i].index, i);
		assert_true(def->controllers[i].implicit);
	}
	/* ccw: vda, then the controllers in index order, the balloon. */
	assert_address(&disk_named(def, "vda")->info.address, "fe.0.0000");
	assert_address(&def->controllers[0].info.address, "fe.0.0001");
	assert_address(&def->controllers[1].info.address, "fe.0.0002");
	assert_address(&def->controllers[2].info.address, "fe.0.0003");
	assert_address(&def->memballoon.info.address, "fe.0.0004");

	/* Hostdevs take the first free unit 0..6 of each controller, bus and
	 * target 0, after the disks' addresses. */
	static const char xml2[] = DEVICES(SCSI_CTRL("0", "") CDROM("sda", "") CDROM(
		"sdb", DRIVE("0", "0", "2")) HOSTDEV("") HOSTDEV("") HOSTDEV(DRIVE("0", "5", "9")));
	_cleanup_(domain_def_freep) DomainDef *d2 = parse_ok(xml2, 0);
	assert_drive(&d2->hostdevs[0].info.drive, 0, 0, 1);
	assert_drive(&d2->hostdevs[1].info.drive, 0, 0, 3);
	assert_drive(&d2->hostdevs[2].info.drive, 0, 5, 9);

	/* A full controller 0 sends the next hostdev to controller 1. */
	static const char xml3[] = DEVICES(CDROM("sda", "") CDROM("sdb", "") CDROM("sdc", "") CDROM(
		"sdd", "") CDROM("sde", "") CDROM("sdf", "") CDROM("sdg", "") HOSTDEV(""));
	_cleanup_(domain_def_freep) DomainDef *d3 = parse_ok(xml3, 0);
	assert_drive(&d3->hostdevs[0].info.drive, 1, 0, 0);
	assert_int_equal(d3->n_controllers, 2);

	/* A controller without index= gets the lowest one free; the seed's
	 * type='scsi' hostdev address reads as libvirt's type='drive'. */
	static const char xml4[] = DEVICES("<controller type='scsi'/>" SCSI_CTRL("0", "")
						   HOSTDEV("<address type='scsi' controller='1' bus='0' "
							   "target='3' unit='4'/>"));
	_cleanup_(domain_def_freep) DomainDef *d4 = parse_ok(xml4, 0);
	assert_int_equal(d4->controllers[0].index, 1);
	assert_int_equal(d4->controllers[0].model, CONTROLLER_MODEL_VIRTIO_SCSI);
	assert_drive(&d4->hostdevs[0].info.drive, 1, 3, 4);
	_cleanup_free_ char *out = format_ok(d4, 0, 0);
	assert_non_null(strstr(out, "<address type='drive' controller='1' bus='0' target='3' unit='4'/>"));
	assert_null(strstr(out, "type='scsi' controller"));

	/* The largest unit and target there are. */
	static const char xml5[] = DEVICES(SCSI_CTRL("0", "") CDROM("sda", DRIVE("0", "255", "16383")));
	_cleanup_(domain_def_freep) DomainDef *d5 = parse_ok(xml5, 0);
	assert_drive(&d5->disks[0].info.drive, 0, 255, 16383);
}

/* Exists unless the path contains "missing". */
static bool fake_exists(const char *path, void *userdata)
{
	(*(int *)userdata)++;
	return !strstr(path, "missing");
}

#define POLICY_CD(dev, file, policy)                                                            \
	"<disk type='file' device='cdrom'><source file='" file "' startupPolicy='" policy "'/>" \
	"<target dev='" dev "' bus='scsi'/></disk>"
#define POLICY_DISK(dev, file, policy)                                                                      \
	"<disk type='file'>" DRIVER "<source file='" file "' startupPolicy='" policy "'/><target dev='" dev \
	"'/></disk>"

/* libvirt's qemuDomainCheckDiskStartupPolicy at a start. */
static void test_startup_policy(void **state)
{
	static const char xml[] = DEVICES(
		POLICY_CD("sda", "/missing.iso", "optional") POLICY_CD("sdb", "/there.iso", "optional")
			POLICY_DISK("vda", "/missing.img", "optional")
				POLICY_DISK("vdb", "/missing-too.img", "mandatory") DISK("vdc", ""));
	ZvError err = ZV_ERROR_INIT;
	int calls = 0;

	/* mandatory: the start fails, naming the disk and the file. */
	_cleanup_(domain_def_freep) DomainDef *a = parse_ok(xml, 0);
	assert_int_equal(domain_def_apply_startup_policy(a, true, fake_exists, &calls, &err), -ENOENT);
	assert_int_equal(err.code, ZV_ERROR_HOST);
	assert_non_null(strstr(err.message, "Disk 'vdb': its source /missing-too.img does not exist "
					    "(startupPolicy='mandatory')"));
	zv_error_clear(&err);

	/* optional: the missing cdrom becomes an empty drive (its policy
	 * goes with the medium), the missing disk leaves the definition;
	 * a disk without a policy is not even looked at. */
	static const char xml2[] = DEVICES(
		POLICY_CD("sda", "/missing.iso", "optional") POLICY_CD("sdb", "/there.iso", "optional")
			POLICY_DISK("vda", "/missing.img", "optional") DISK("vdc", ""));
	_cleanup_(domain_def_freep) DomainDef *b = parse_ok(xml2, 0);
	calls = 0;
	assert_int_equal(domain_def_apply_startup_policy(b, true, fake_exists, &calls, &err), 2);
	assert_int_equal(calls, 3);
	assert_int_equal(b->n_disks, 3);
	assert_string_equal(b->disks[2].target, "vdc"); /* scsi first: its bus came first */
	const DiskDef *sda = disk_named(b, "sda");
	assert_null(sda->source);
	assert_int_equal(sda->startup_policy, DISK_STARTUP_POLICY_DEFAULT);
	assert_drive(&sda->info.drive, 0, 0, 0); /* the drive stays where it was */
	assert_string_equal(disk_named(b, "sdb")->source, "/there.iso");
	assert_int_equal(disk_named(b, "sdb")->startup_policy, DISK_STARTUP_POLICY_OPTIONAL);

	/* At a restore, only a removable medium may go (QEMU's migration
	 * stream has the disk). */
	static const char xml3[] = DEVICES(POLICY_DISK("vda", "/missing.img", "optional"));
	_cleanup_(domain_def_freep) DomainDef *c = parse_ok(xml3, 0);
	assert_int_equal(domain_def_apply_startup_policy(c, false, fake_exists, &calls, &err), -ENOENT);
	assert_non_null(strstr(err.message, "startupPolicy='optional' at a restore"));
	zv_error_clear(&err);

	/* requisite: a cold boot fails, a restore empties the drive. */
	static const char xml4[] = DEVICES(POLICY_CD("sda", "/missing.iso", "requisite"));
	_cleanup_(domain_def_freep) DomainDef *d = parse_ok(xml4, 0);
	assert_int_equal(domain_def_apply_startup_policy(d, true, fake_exists, &calls, &err), -ENOENT);
	assert_non_null(strstr(err.message, "startupPolicy='requisite' at a cold boot"));
	zv_error_clear(&err);
	assert_int_equal(domain_def_apply_startup_policy(d, false, fake_exists, &calls, &err), 1);
	assert_null(d->disks[0].source);

	/* Kept as it was given, formatted back. */
	_cleanup_(domain_def_freep) DomainDef *e = parse_ok(xml4, 0);
	_cleanup_free_ char *out = format_ok(e, 0, DOMAIN_XML_FORMAT_INACTIVE);
	assert_non_null(strstr(out, "<source file='/missing.iso' startupPolicy='requisite'/>"));
}

/* Hot-plug's helper: libvirt's address for one new SCSI disk. */
static void test_scsi_hotplug_address(void **state)
{
	static const char xml[] = DEVICES(SCSI_CTRL("0", "") CDROM("sda", "") HOSTDEV(DRIVE("0", "0", "1")));
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, 0);
	ZvError err = ZV_ERROR_INIT;

	DiskDef sdc = {.bus = DISK_BUS_SCSI, .target = (char *)"sdc"};
	assert_int_equal(domain_def_assign_scsi_disk_address(def, &sdc, &err), 0);
	assert_drive(&sdc.info.drive, 0, 0, 2);
	DiskDef sdi = {.bus = DISK_BUS_SCSI, .target = (char *)"sdi"};
	assert_int_equal(domain_def_assign_scsi_disk_address(def, &sdi, &err), 0);
	assert_drive(&sdi.info.drive, 1, 0, 1); /* on controller 1, which hot-plug adds first */

	/* sdb's address is the hostdev's: refused, the disk unchanged. */
	DiskDef sdb = {.bus = DISK_BUS_SCSI, .target = (char *)"sdb"};
	assert_int_equal(domain_def_assign_scsi_disk_address(def, &sdb, &err), -EEXIST);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	assert_non_null(strstr(err.message, "Disk 'sdb': SCSI address controller='0' bus='0' target='0' "
					    "unit='1' is already used"));
	assert_false(sdb.info.drive.assigned);
	zv_error_clear(&err);
	/* An explicit address is checked the same way. */
	sdb.info.drive = (DriveAddress){.assigned = true, .unit = 0};
	assert_int_equal(domain_def_assign_scsi_disk_address(def, &sdb, &err), -EEXIST);
	zv_error_clear(&err);

	DriveAddress a;
	assert_int_equal(scsi_disk_default_address("sdh", &a), 0);
	assert_drive(&a, 1, 0, 0);
	assert_int_equal(scsi_disk_default_address("vda", &a), -EINVAL);
	assert_int_equal(scsi_disk_default_address("sdzzzz", &a), -ERANGE);
}

static void test_name_validate(void **state)
{
	ZvError err = ZV_ERROR_INIT;
	char long_name[DOMAIN_NAME_MAX + 2];

	assert_int_equal(domain_name_validate("vs1", &err), 0);
	assert_int_equal(domain_name_validate("a b-c_d.e", &err), 0);
	assert_int_equal(domain_name_validate("Grüße", &err), 0);
	memset(long_name, 'x', DOMAIN_NAME_MAX);
	long_name[DOMAIN_NAME_MAX] = 0;
	assert_int_equal(domain_name_validate(long_name, &err), 0);

	static const char *const bad[] = {"", "a/b", ".hidden", "..", "a\nb", "a\x7f", "   ",
					  /* sd-bus would not send these: */
					  "x\xef\xb7\x90y", "\xef\xbf\xbe", "caf\xc3"};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		zv_error_clear(&err);
		assert_int_equal(domain_name_validate(bad[i], &err), -EINVAL);
		assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
		assert_non_null(strstr(err.message, "Invalid domain name"));
	}
	long_name[DOMAIN_NAME_MAX] = 'x';
	long_name[DOMAIN_NAME_MAX + 1] = 0;
	zv_error_clear(&err);
	assert_int_equal(domain_name_validate(long_name, &err), -EINVAL);
	assert_non_null(strstr(err.message, "too long"));
	zv_error_clear(&err);
	assert_int_equal(domain_name_validate(NULL, &err), -EINVAL);
}

static void test_enum_strings(void **state)
{
#define ROUND(name, max)                                                \
	for (int i = 0; i < (max); i++) {                               \
		const char *s = name##_to_string(i);                    \
		assert_non_null(s);                                     \
		assert_int_equal(name##_from_string(s), i);             \
	}                                                               \
	assert_null(name##_to_string(max));                             \
	assert_null(name##_to_string(-1));                              \
	assert_int_equal(name##_from_string("no-such-value"), -EINVAL); \
	assert_int_equal(name##_from_string(NULL), -EINVAL)

	ROUND(domain_virt_type, _DOMAIN_VIRT_MAX);
	ROUND(lifecycle_action, _LIFECYCLE_ACTION_MAX);
	ROUND(disk_type, _DISK_TYPE_MAX);
	ROUND(disk_device, _DISK_DEVICE_MAX);
	ROUND(disk_format, _DISK_FORMAT_MAX);
	ROUND(disk_cache, _DISK_CACHE_MAX);
	ROUND(disk_io, _DISK_IO_MAX);
	ROUND(disk_bus, _DISK_BUS_MAX);
	ROUND(console_type, _CONSOLE_TYPE_MAX);
	ROUND(console_target, _CONSOLE_TARGET_MAX);
	ROUND(memballoon_model, _MEMBALLOON_MODEL_MAX);
	ROUND(watchdog_model, _WATCHDOG_MODEL_MAX);
	ROUND(watchdog_action, _WATCHDOG_ACTION_MAX);
	ROUND(rng_model, _RNG_MODEL_MAX);
	ROUND(rng_backend, _RNG_BACKEND_MAX);
#undef ROUND

	assert_string_equal(lifecycle_action_to_string(LIFECYCLE_ACTION_COREDUMP_RESTART),
			    "coredump-restart");
	assert_string_equal(console_target_to_string(CONSOLE_TARGET_SCLPLM), "sclplm");
	assert_int_equal(disk_target_compare("vdz", "vdaa"), -1);
	assert_int_equal(disk_target_compare("vdb", "vda"), 1);
	assert_int_equal(disk_target_compare("vda", "vda"), 0);
}

/* ---- refused input ------------------------------------------------------- */

typedef struct BadCase {
	const char *name;
	const char *xml;
	ZvErrorCode code;
	const char *message; /* a substring of err.message */
} BadCase;

#define BAD(n, x, m)                          \
	{                                     \
		n, x, ZV_ERROR_INVALID_XML, m \
	}

/* clang-format off */
static const BadCase bad_cases[] = {

	/* ---- controllers ---- */
	BAD("controller-usb", DEVICES("<controller type='usb' index='0'/>"),
	    "at /domain/devices/controller: controller type 'usb' is not supported (expected 'scsi' for a "
	    "virtio-scsi controller, or the pci-root of type 'pci')"),
	BAD("controller-virtio-serial", DEVICES("<controller type='virtio-serial' index='0'/>"),
	    "at /domain/devices/controller: controller type 'virtio-serial' is not supported"),
	BAD("controller-lsilogic", DEVICES("<controller type='scsi' index='0' model='lsilogic'/>"),
	    "at /domain/devices/controller: SCSI controller model 'lsilogic' is not supported (expected "
	    "'virtio-scsi')"),
	BAD("controller-pci-model", DEVICES("<controller type='pci' index='0' model='pcie-root'/>"),
	    "at /domain/devices/controller: PCI controller model 'pcie-root' is not supported"),
	BAD("controller-pci-index", DEVICES("<controller type='pci' index='1' model='pci-root'/>"),
	    "at /domain/devices/controller: the pci-root controller has index 0, not 1"),
	BAD("controller-pci-address", DEVICES("<controller type='pci' index='0' model='pci-root'>" CCW("0x0001")
					      "</controller>"),
	    "at /domain/devices/controller/address: the pci-root controller has no address"),
	BAD("controller-duplicate", DEVICES(SCSI_CTRL("0", "") SCSI_CTRL("0", "")),
	    "at /domain/devices/controller[2]: SCSI controller index 0 is used twice (also by "
	    "/domain/devices/controller[1])"),
	BAD("controller-gap", DEVICES(SCSI_CTRL("0", "") SCSI_CTRL("2", "")),
	    "at /domain/devices/controller[2]: SCSI controller indexes must be contiguous from 0: index 2 "
	    "is given but index 1 is not"),
	BAD("controller-index-range", DEVICES(SCSI_CTRL("256", "")),
	    "at /domain/devices/controller: SCSI controller index must be 0 to 255, not 256"),
	BAD("controller-drive-address", DEVICES(SCSI_CTRL("0", DRIVE("0", "0", "0"))),
	    "at /domain/devices/controller/address: invalid value 'drive' for attribute 'type' (expected "
	    "'ccw')"),
	BAD("controller-ccw-duplicate", DEVICES(DISK("vda", CCW("0x0002")) SCSI_CTRL("0", CCW("0x0002"))),
	    "at /domain/devices/controller/address: ccw address fe.0.0002 of SCSI controller 0 "
	    "(/domain/devices/controller) is already used by disk 'vda'"),
	BAD("controller-driver", DEVICES(SCSI_CTRL("0", "<driver iothread='1'/>")),
	    "at /domain/devices/controller/driver: unknown element <driver>"),
	/* ---- SCSI disks ---- */
	BAD("scsi-disk-ccw-address", DEVICES(SCSI_DISK("sda", CCW("0x0001"))),
	    "at /domain/devices/disk/address: address type 'ccw' is not supported for a SCSI disk "
	    "(expected 'drive', with controller, bus, target and unit)"),
	BAD("virtio-disk-drive-address", DEVICES(DISK("vda", DRIVE("0", "0", "0"))),
	    "at /domain/devices/disk/address: address type 'drive' is not supported for a virtio disk "
	    "(expected 'ccw')"),
	BAD("scsi-disk-virtio-name", DEVICES(SCSI_DISK("vda", "")),
	    "at /domain/devices/disk/target: target dev 'vda' is not a SCSI disk name"),
	BAD("scsi-target-range", DEVICES(CDROM("sda", DRIVE("0", "256", "0"))),
	    "at /domain/devices/disk/address: target must be 0 to 255, not 256"),
	BAD("scsi-unit-range", DEVICES(CDROM("sda", DRIVE("0", "0", "16384"))),
	    "at /domain/devices/disk/address: unit must be 0 to 16383, not 16384"),
	BAD("scsi-bus-nonzero", DEVICES(CDROM("sda", "<address type='drive' controller='0' bus='1' target='0' "
						   "unit='0'/>")),
	    "at /domain/devices/disk/address: bus must be 0 (a virtio-scsi controller has one bus), not 1"),
	BAD("scsi-address-duplicate", DEVICES(CDROM("sda", "") CDROM("sdb", DRIVE("0", "0", "0"))),
	    "at /domain/devices/disk[2]/address: SCSI address controller='0' bus='0' target='0' unit='0' "
	    "is used twice (also by /domain/devices/disk[1])"),
	BAD("scsi-name-vs-hostdev", DEVICES(CDROM("sda", "") HOSTDEV(DRIVE("0", "0", "0"))),
	    "at /domain/devices/disk/target: target dev 'sda' means the address controller='0' bus='0' "
	    "target='0' unit='0', which the SCSI host device at /domain/devices/hostdev/address uses"),
	BAD("scsi-target-duplicate", DEVICES(CDROM("sda", "") CDROM("sda", DRIVE("0", "0", "3"))),
	    "target dev 'sda' is used twice"),
	BAD("scsi-controller-too-far", DEVICES(CDROM("sdzzzz", "")),
	    "at /domain/devices/disk/target: target dev 'sdzzzz' would be on SCSI controller"),
	BAD("cdrom-geometry", DEVICES(CDROM("sda", "<geometry cyls='1' heads='1' secs='1'/>")),
	    "at /domain/devices/disk/geometry: a cdrom has no geometry (QEMU's scsi-cd has none)"),
	/* ---- disk details ---- */
	BAD("serial-bad", DEVICES(DISK("vda", "<serial>a/b</serial>")),
	    "at /domain/devices/disk/serial: invalid value 'a/b'"),
	BAD("geometry-missing-secs", DEVICES(DISK("vda", "<geometry cyls='1' heads='2'/>")),
	    "at /domain/devices/disk/geometry: missing attribute 'secs'"),
	BAD("geometry-zero", DEVICES(DISK("vda", "<geometry cyls='0' heads='2' secs='3'/>")),
	    "at /domain/devices/disk/geometry: cyls must be a positive integer, not 0"),
	BAD("geometry-trans", DEVICES(DISK("vda", "<geometry cyls='1' heads='2' secs='3' trans='lba'/>")),
	    "at /domain/devices/disk/geometry: trans='lba' is not supported: the CHS translation is an IDE "
	    "setting and s390x has no IDE bus"),
	BAD("blockio-not-power", DEVICES(DISK("vda", "<blockio logical_block_size='1000'/>")),
	    "at /domain/devices/disk/blockio: logical_block_size must be a power of two between 512 and "
	    "2097152 bytes, not 1000"),
	BAD("blockio-logical-larger", DEVICES(DISK("vda", "<blockio logical_block_size='4096' "
						  "physical_block_size='512'/>")),
	    "at /domain/devices/disk/blockio: logical_block_size (4096) must not be larger than "
	    "physical_block_size (512)"),
	BAD("rerror-enospace", DEVICES("<disk type='file'><driver name='qemu' rerror_policy='enospace'/><source "
				       "file='/a'/><target dev='vda'/></disk>"),
	    "at /domain/devices/disk/driver: invalid value 'enospace' for attribute 'rerror_policy' "
	    "(expected one of: stop, report, ignore)"),
	BAD("error-policy-bad", DEVICES("<disk type='file'><driver name='qemu' error_policy='retry'/><source "
					"file='/a'/><target dev='vda'/></disk>"),
	    "at /domain/devices/disk/driver: invalid value 'retry' for attribute 'error_policy'"),
	BAD("startup-requisite-disk", DEVICES("<disk type='file'><source file='/a' startupPolicy='requisite'/>"
					      "<target dev='vda'/></disk>"),
	    "at /domain/devices/disk/source: startupPolicy='requisite' is only for a cdrom"),
	BAD("disk-without-source-scsi", DEVICES("<disk type='file'><target dev='sda' bus='scsi'/></disk>"),
	    "at /domain/devices/disk: disk 'sda' needs <source file='...'/>"),
	BAD("backing-below-raw", DEVICES("<disk type='file'>" DRIVER "<source file='/a'/><backingStore "
					 "type='file'><format type='raw'/><source file='/b'/></backingStore>"
					 "<target dev='vda'/></disk>"),
	    "at /domain/devices/disk/backingStore: a raw image has no backing store"),
	BAD("backing-no-format", DEVICES("<disk type='file'><driver name='qemu' type='qcow2'/><source "
					 "file='/a'/><backingStore type='file'><source file='/b'/></backingStore>"
					 "<target dev='vda'/></disk>"),
	    "at /domain/devices/disk/backingStore: missing element <format>"),
	BAD("backing-no-source", DEVICES("<disk type='file'><driver name='qemu' type='qcow2'/><source "
					 "file='/a'/><backingStore type='file'><format type='qcow2'/>"
					 "</backingStore><target dev='vda'/></disk>"),
	    "at /domain/devices/disk/backingStore: missing element <source>"),
	BAD("backing-dev-on-file", DEVICES("<disk type='file'><driver name='qemu' type='qcow2'/><source "
					   "file='/a'/><backingStore type='file'><format type='raw'/><source "
					   "dev='/dev/b'/></backingStore><target dev='vda'/></disk>"),
	    "at /domain/devices/disk/backingStore/source: a type='file' backing store takes <source "
	    "file='...'/>, not dev="),
	BAD("backing-relative", DEVICES("<disk type='file'><driver name='qemu' type='qcow2'/><source "
					"file='/a'/><backingStore type='file'><format type='raw'/><source "
					"file='b.raw'/></backingStore><target dev='vda'/></disk>"),
	    "at /domain/devices/disk/backingStore/source: invalid value 'b.raw' for attribute 'file'"),
	/* ---- hostdevs ---- */
	BAD("hostdev-pci", DEVICES("<hostdev mode='subsystem' type='pci'/>"),
	    "at /domain/devices/hostdev: invalid value 'pci' for attribute 'type' (expected 'scsi')"),
	BAD("hostdev-no-source", DEVICES("<hostdev mode='subsystem' type='scsi'/>"),
	    "at /domain/devices/hostdev: missing element <source>"),
	BAD("hostdev-bad-adapter", DEVICES("<hostdev mode='subsystem' type='scsi'><source><adapter "
					   "name='scsi_host01'/><address bus='0' target='0' unit='0'/></source>"
					   "</hostdev>"),
	    "at /domain/devices/hostdev/source/adapter: adapter name 'scsi_host01' is not a SCSI host"),
	BAD("hostdev-no-unit", DEVICES("<hostdev mode='subsystem' type='scsi'><source><adapter "
				       "name='scsi_host0'/><address bus='0' target='0'/></source></hostdev>"),
	    "at /domain/devices/hostdev/source/address: missing attribute 'unit'"),
	BAD("hostdev-rawio", DEVICES("<hostdev mode='subsystem' type='scsi' rawio='yes'><source><adapter "
				     "name='scsi_host0'/><address bus='0' target='0' unit='0'/></source>"
				     "</hostdev>"),
	    "at /domain/devices/hostdev: rawio='yes' is not supported: zvirtd runs QEMU without the "
	    "CAP_SYS_RAWIO capability"),
	BAD("hostdev-unfiltered", DEVICES("<hostdev mode='subsystem' type='scsi' sgio='unfiltered'><source>"
					  "<adapter name='scsi_host0'/><address bus='0' target='0' unit='0'/>"
					  "</source></hostdev>"),
	    "at /domain/devices/hostdev: sgio='unfiltered' is not supported"),
	BAD("hostdev-ccw-address", DEVICES(HOSTDEV(CCW("0x0001"))),
	    "at /domain/devices/hostdev/address: invalid value 'ccw' for attribute 'type'"),
	BAD("hostdev-duplicate", DEVICES(HOSTDEV(DRIVE("0", "0", "4")) HOSTDEV(DRIVE("0", "0", "4"))),
	    "at /domain/devices/hostdev[2]/address: SCSI address controller='0' bus='0' target='0' unit='4' "
	    "is used twice (also by /domain/devices/hostdev[1]/address)"),
	BAD("hostdev-vs-disk", DEVICES(CDROM("sda", DRIVE("0", "0", "4")) HOSTDEV(DRIVE("0", "0", "4"))),
	    "at /domain/devices/hostdev/address: SCSI address controller='0' bus='0' target='0' unit='4' is "
	    "used twice (also by /domain/devices/disk/address)"),
	BAD("hostdev-iscsi", DEVICES("<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' "
				     "name='iqn.x/1'/></hostdev>"),
	    "at /domain/devices/hostdev/source: unknown attribute 'protocol'"),
	/* well-formedness and the document itself */
	BAD("not-well-formed", "<domain type='kvm'><name>a</nam></domain>",
	    "Invalid domain XML: not well-formed: Opening and ending tag mismatch: name line 1 and nam (line 1"),
	{ "empty", "", ZV_ERROR_INVALID_ARGUMENT, "Domain XML is empty" },
	{ "whitespace-only", " \n\t ", ZV_ERROR_INVALID_ARGUMENT, "Domain XML is empty" },
	BAD("unterminated", "<domain type='kvm'><name>a</name>", "not well-formed: Premature end of data"),
	BAD("wrong-root", "<foo/>", "Invalid domain XML at /foo: the root element must be <domain>, not <foo>"),
	BAD("root-namespace", "<domain xmlns='urn:x' type='kvm'>" TOP "</domain>",
	    "the root element must be <domain> without a namespace"),
	BAD("doctype-xxe",
	    "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
	    "<domain type='kvm'><name>&x;</name></domain>",
	    "DOCTYPE declarations are not allowed"),
	BAD("doctype-billion-laughs",
	    "<!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
	    "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'><!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>]>"
	    "<domain type='kvm'><name>&d;</name></domain>",
	    "DOCTYPE declarations are not allowed"),
	BAD("doctype-external", "<!DOCTYPE domain SYSTEM 'http://example.com/x.dtd'><domain type='kvm'/>",
	    "DOCTYPE declarations are not allowed"),
	BAD("undeclared-entity", "<domain type='kvm'><name>&foo;</name></domain>",
	    "not well-formed: entity references are not allowed"),
	BAD("deep-nesting",
	    "<domain><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	    "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	    "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	    "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	    "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	    "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	    "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	    "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	    "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>",
	    "not well-formed: elements are nested too deeply"),
	BAD("non-utf8", "<domain type='kvm'><name>\xff\xfe</name></domain>",
	    "not well-formed: the document is not valid UTF-8"),
	BAD("nul-byte-free-garbage", "\x01\x02garbage", "not well-formed"),

	/* the schema: unknown, missing, misplaced */
	BAD("unknown-element", DOM("<foo/>"), "Invalid domain XML at /domain/foo: unknown element <foo>"),
	BAD("unknown-device", DEVICES("<graphics type='vnc'/>"),
	    "Invalid domain XML at /domain/devices/graphics: unknown element <graphics>"),
	BAD("foreign-namespace-element",
	    "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>" TOP
	    "<qemu:commandline/></domain>",
	    "at /domain/qemu:commandline: unknown element <qemu:commandline>"),
	BAD("unknown-attribute-domain", "<domain type='kvm' foo='1'>" TOP "</domain>",
	    "Invalid domain XML at /domain: unknown attribute 'foo'"),
	BAD("unknown-attribute-disk",
	    DEVICES("<disk type='file' foo='x'><source file='/a'/><target dev='vda'/></disk>"),
	    "Invalid domain XML at /domain/devices/disk: unknown attribute 'foo'"),
	BAD("unknown-attribute-driver",
	    DEVICES(DISK("vda", "") "<disk type='file'><driver name='qemu' foo='bar'/><source file='/b'/>"
				    "<target dev='vdb'/></disk>"),
	    "Invalid domain XML at /domain/devices/disk[2]/driver: unknown attribute 'foo'"),
	BAD("unknown-element-in-disk", DEVICES(DISK("vda", "<wwn>x</wwn>")),
	    "Invalid domain XML at /domain/devices/disk/wwn: unknown element <wwn>"),
	BAD("text-in-domain", DOM("junk"), "Invalid domain XML at /domain: unexpected text 'junk' in <domain>"),
	BAD("missing-type", "<domain>" TOP "</domain>", "Invalid domain XML at /domain: missing attribute 'type'"),
	BAD("bad-virt-type", "<domain type='xen'>" TOP "</domain>",
	    "invalid value 'xen' for attribute 'type' (expected one of: kvm, qemu)"),
	BAD("missing-name", "<domain type='kvm'><memory>1</memory>" OS "</domain>",
	    "Invalid domain XML at /domain: missing element <name>"),
	BAD("missing-memory", "<domain type='kvm'><name>a</name>" OS "</domain>", "missing element <memory>"),
	BAD("missing-os", "<domain type='kvm'><name>a</name><memory>1</memory></domain>", "missing element <os>"),
	BAD("missing-os-type", "<domain type='kvm'><name>a</name><memory>1</memory><os/></domain>",
	    "at /domain/os: missing element <type>"),
	BAD("duplicate-name", DOM("<name>b</name>"), "at /domain/name[2]: <name> given more than once"),
	BAD("duplicate-devices", DOM("<devices/><devices/>"), "at /domain/devices[2]: <devices> given more than once"),

	/* names, uuids, titles */
	BAD("name-slash", "<domain type='kvm'><name>a/b</name><memory>1</memory>" OS "</domain>",
	    "Invalid domain XML at /domain/name: invalid domain name 'a/b': must not contain '/'"),
	BAD("name-dotdot", "<domain type='kvm'><name>..</name><memory>1</memory>" OS "</domain>",
	    "invalid domain name '..': must not start with '.'"),
	BAD("name-newline", "<domain type='kvm'><name>a&#10;b</name><memory>1</memory>" OS "</domain>",
	    "invalid domain name 'a?b': must not contain control characters"),
	BAD("name-empty", "<domain type='kvm'><name/><memory>1</memory>" OS "</domain>",
	    "invalid domain name '': must not be empty"),
	BAD("name-blank", "<domain type='kvm'><name>   </name><memory>1</memory>" OS "</domain>",
	    "must not be only whitespace"),
	BAD("name-too-long",
	    "<domain type='kvm'><name>"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "</name><memory>1</memory>" OS "</domain>",
	    "is too long (at most 200 bytes)"),
	BAD("name-long-utf8-cut",
	    "<domain type='kvm'><name>/" "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "</name><memory>1</memory>" OS "</domain>",
	    "must not contain '/'"),
	BAD("unknown-element-long-utf8-name",
	    DOM("<" "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "/>"),
	    "unknown element <"),
	BAD("bad-uuid", DOM("<uuid>1234</uuid>"),
	    "Invalid domain XML at /domain/uuid: invalid value '1234' (expected a UUID"),
	BAD("null-uuid", DOM("<uuid>00000000-0000-0000-0000-000000000000</uuid>"), "the all-zero UUID is not allowed"),
	BAD("title-newline", DOM("<title>a\nb</title>"), "at /domain/title: the title must be a single line"),

	/* memory */
	BAD("bad-unit", "<domain type='kvm'><name>a</name><memory unit='XB'>1</memory>" OS "</domain>",
	    "Invalid domain XML at /domain/memory: invalid value 'XB' for attribute 'unit' (expected one of: b, "
	    "bytes, KB, k, KiB, MB, M, MiB, GB, G, GiB, TB, T, TiB)"),
	BAD("memory-zero", "<domain type='kvm'><name>a</name><memory>0</memory>" OS "</domain>",
	    "at /domain/memory: memory must be greater than 0"),
	BAD("memory-not-a-number", "<domain type='kvm'><name>a</name><memory>12abc</memory>" OS "</domain>",
	    "at /domain/memory: invalid value '12abc' (expected a positive integer)"),
	BAD("memory-negative", "<domain type='kvm'><name>a</name><memory>-1</memory>" OS "</domain>",
	    "invalid value '-1' (expected a positive integer)"),
	BAD("memory-overflow", "<domain type='kvm'><name>a</name><memory unit='TiB'>99999999999999</memory>" OS
			       "</domain>",
	    "at /domain/memory: memory 99999999999999 TiB overflows"),
	BAD("memory-too-many-digits",
	    "<domain type='kvm'><name>a</name><memory>99999999999999999999999</memory>" OS "</domain>",
	    "invalid value '99999999999999999999999'"),
	BAD("current-memory-too-large", DOM("<currentMemory unit='GiB'>1</currentMemory>"),
	    "at /domain/currentMemory: currentMemory (1048576 KiB) exceeds memory (524288 KiB)"),
	BAD("current-memory-zero", DOM("<currentMemory>0</currentMemory>"), "currentMemory must be greater than 0"),
	BAD("dump-core-bad", "<domain type='kvm'><name>a</name><memory dumpCore='yes'>1</memory>" OS "</domain>",
	    "invalid value 'yes' for attribute 'dumpCore' (expected one of: on, off)"),

	/* vcpus, shares */
	BAD("vcpu-zero", DOM("<vcpu>0</vcpu>"), "at /domain/vcpu: vcpu count must be at least 1"),
	BAD("vcpu-current-over-max", DOM("<vcpu current='3'>2</vcpu>"),
	    "at /domain/vcpu: current vCPUs (3) exceed the maximum (2)"),
	BAD("vcpu-current-zero", DOM("<vcpu current='0'>2</vcpu>"), "current vCPUs must be at least 1"),
	BAD("vcpu-too-many", DOM("<vcpu>249</vcpu>"), "249 vCPUs requested, at most 248 are supported"),
	BAD("vcpu-placement-auto", DOM("<vcpu placement='auto'>1</vcpu>"),
	    "invalid value 'auto' for attribute 'placement' (expected 'static')"),
	BAD("shares-1", DOM("<cputune><shares>1</shares></cputune>"),
	    "at /domain/cputune/shares: cpu shares must be between 2 and 262144, not 1"),
	BAD("shares-262145", DOM("<cputune><shares>262145</shares></cputune>"),
	    "cpu shares must be between 2 and 262144, not 262145"),
	BAD("cputune-period", DOM("<cputune><period>1000</period></cputune>"),
	    "at /domain/cputune/period: unknown element <period>"),

	/* os, clock, lifecycle */
	BAD("arch-x86_64", "<domain type='kvm'><name>a</name><memory>1</memory><os><type arch='x86_64'>hvm</type>"
			   "</os></domain>",
	    "at /domain/os/type: invalid value 'x86_64' for attribute 'arch' (expected 's390x')"),
	BAD("os-type-linux", "<domain type='kvm'><name>a</name><memory>1</memory><os><type>linux</type></os></domain>",
	    "at /domain/os/type: invalid value 'linux' (expected 'hvm')"),
	BAD("machine-pc", "<domain type='kvm'><name>a</name><memory>1</memory><os><type machine='pc-q35-7.2'>hvm"
			  "</type></os></domain>",
	    "invalid value 'pc-q35-7.2' for attribute 'machine' (expected an s390x machine type"),
	BAD("machine-option-injection",
	    "<domain type='kvm'><name>a</name><memory>1</memory><os><type machine='s390-ccw-virtio,accel=tcg'>hvm"
	    "</type></os></domain>",
	    "for attribute 'machine'"),
	BAD("kernel-relative", "<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type><kernel>vmlinuz"
			       "</kernel></os></domain>",
	    "at /domain/os/kernel: invalid value 'vmlinuz' (expected an absolute path)"),
	BAD("initrd-without-kernel",
	    "<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type><initrd>/i</initrd></os></domain>",
	    "at /domain/os/initrd: <initrd> needs a <kernel>"),
	BAD("os-boot-cdrom", "<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>"
			     "<boot dev='cdrom'/></os></domain>",
	    "invalid value 'cdrom' for attribute 'dev' (expected 'hd')"),
	BAD("clock-localtime", DOM("<clock offset='localtime'/>"),
	    "at /domain/clock: invalid value 'localtime' for attribute 'offset' (expected 'utc')"),
	BAD("bad-on-crash", DOM("<on_crash>explode</on_crash>"),
	    "at /domain/on_crash: invalid value 'explode' (expected one of: destroy, restart, preserve, "
	    "rename-restart, coredump-destroy, coredump-restart)"),
	BAD("coredump-on-poweroff", DOM("<on_poweroff>coredump-destroy</on_poweroff>"),
	    "at /domain/on_poweroff: invalid value 'coredump-destroy' (expected one of: destroy, restart, preserve, "
	    "rename-restart)"),

	/* disks */
	BAD("duplicate-target", DEVICES(DISK("vda", "") DISK("vda", "")),
	    "Invalid domain XML at /domain/devices/disk[2]/target: target dev 'vda' is used twice (also by "
	    "/domain/devices/disk[1]/target)"),
	BAD("bad-target-name", DEVICES(DISK("hda", "")),
	    "at /domain/devices/disk/target: target dev 'hda' is not a virtio disk name"),
	BAD("missing-target", DEVICES("<disk type='file'><source file='/a'/></disk>"),
	    "at /domain/devices/disk: missing element <target>"),
	BAD("missing-target-dev", DEVICES("<disk type='file'><source file='/a'/><target bus='virtio'/></disk>"),
	    "at /domain/devices/disk/target: missing attribute 'dev'"),
	BAD("missing-source", DEVICES("<disk type='file'><target dev='vda'/></disk>"),
	    "at /domain/devices/disk: disk 'vda' needs <source file='...'/>"),
	BAD("source-without-path", DEVICES("<disk type='block'><source/><target dev='vda'/></disk>"),
	    "at /domain/devices/disk/source: disk 'vda' needs <source dev='...'/>"),
	BAD("block-disk-with-file", DEVICES("<disk type='block'><source file='/a'/><target dev='vda'/></disk>"),
	    "a type='block' disk takes <source dev='...'/>, not file="),
	BAD("relative-source", DEVICES("<disk type='file'><source file='a.img'/><target dev='vda'/></disk>"),
	    "at /domain/devices/disk/source: invalid value 'a.img' for attribute 'file' (expected an absolute path)"),
	BAD("bad-disk-type", DEVICES("<disk type='network'><target dev='vda'/></disk>"),
	    "invalid value 'network' for attribute 'type' (expected one of: file, block)"),
	BAD("bad-driver-type", DEVICES("<disk type='file'><driver type='vmdk'/><source file='/a'/><target dev='vda'/>"
				       "</disk>"),
	    "at /domain/devices/disk/driver: invalid value 'vmdk' for attribute 'type' (expected one of: raw, qcow2)"),
	BAD("bad-driver-name", DEVICES("<disk type='file'><driver name='tap'/><source file='/a'/><target dev='vda'/>"
				       "</disk>"),
	    "invalid value 'tap' for attribute 'name' (expected 'qemu')"),
	BAD("io-native-writeback", DEVICES("<disk type='file'><driver cache='writeback' io='native'/>"
					   "<source file='/a'/><target dev='vda'/></disk>"),
	    "io='native' needs cache='none' or cache='directsync'"),
	BAD("bus-scsi-virtio-name", DEVICES("<disk type='file'><source file='/a'/><target dev='vda' bus='scsi'/></disk>"),
	    "at /domain/devices/disk/target: target dev 'vda' is not a SCSI disk name (sda, sdb, ..., sdaa, ...)"),
	BAD("cdrom-on-virtio", DEVICES("<disk type='file' device='cdrom'><source file='/a.iso'/><target dev='vda'/>"
				       "<readonly/></disk>"),
	    "at /domain/devices/disk/target: a cdrom needs bus='scsi' (virtio-blk has no removable medium)"),
	BAD("readonly-with-content", DEVICES(DISK("vda", "<readonly>yes</readonly>")),
	    "at /domain/devices/disk/readonly: unexpected text 'yes' in <readonly>"),
	BAD("duplicate-boot-order", DEVICES(DISK("vda", "<boot order='1'/>") DISK("vdb", "<boot order='1'/>")),
	    "at /domain/devices/disk[2]/boot: boot order 1 is used twice (also by /domain/devices/disk[1]/boot)"),
	BAD("boot-order-zero", DEVICES(DISK("vda", "<boot order='0'/>")),
	    "at /domain/devices/disk/boot: invalid value '0' for attribute 'order' (expected a positive integer)"),
	BAD("boot-order-too-large", DEVICES(DISK("vda", "<boot order='4294967296'/>")),
	    "order= '4294967296' is too large"),
	BAD("duplicate-os",
	    "<domain type='kvm'>" TOP "<os><type>hvm</type><boot dev='hd'/></os>" "</domain>",
	    "<os> given more than once"),
	BAD("boot-order-and-os-boot",
	    "<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type><boot dev='hd'/></os>"
	    "<devices>" DISK("vda", "<boot order='1'/>") "</devices></domain>",
	    "at /domain/devices/disk/boot: per-device <boot order='N'/> cannot be combined with <os><boot dev='...'/>"),

	/* ccw addresses */
	BAD("cssid-fd", DEVICES(DISK("vda", "<address type='ccw' cssid='0xfd' ssid='0x0' devno='0x0001'/>")),
	    "at /domain/devices/disk/address: cssid must be 0xfe (the virtual channel subsystem), not 0xfd"),
	BAD("ssid-4", DEVICES(DISK("vda", "<address type='ccw' cssid='0xfe' ssid='0x4' devno='0x0001'/>")),
	    "at /domain/devices/disk/address: ssid must be 0x0 to 0x3, not 0x4"),
	BAD("devno-10000", DEVICES(BALLOON("<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x10000'/>")),
	    "at /domain/devices/memballoon/address: devno must be 0x0000 to 0xffff, not 0x10000"),
	BAD("devno-huge", DEVICES(BALLOON("<address type='ccw' cssid='0xfe' ssid='0x0' devno='0xffffffffffffffffff'/>")),
	    "devno must be 0x0000 to 0xffff"),
	BAD("devno-not-hex", DEVICES(BALLOON("<address type='ccw' cssid='0xfe' ssid='0x0' devno='0xzz'/>")),
	    "invalid value '0xzz' for attribute 'devno' (expected a hexadecimal number such as 0x0004"),
	BAD("address-partial", DEVICES(BALLOON("<address type='ccw' cssid='0xfe' devno='0x0001'/>")),
	    "a ccw address needs all of cssid, ssid and devno, or none of them"),
	BAD("address-type-pci", DEVICES(BALLOON("<address type='pci' domain='0'/>")),
	    "at /domain/devices/memballoon/address: invalid value 'pci' for attribute 'type' (expected 'ccw')"),
	BAD("duplicate-devno-disks", DEVICES(DISK("vda", CCW("0x0001")) DISK("vdb", CCW("0x0001"))),
	    "Invalid domain XML at /domain/devices/disk[2]/address: ccw address fe.0.0001 of disk 'vdb' "
	    "(/domain/devices/disk[2]) is already used by disk 'vda' (/domain/devices/disk[1])"),
	BAD("duplicate-devno-disk-balloon", DEVICES(BALLOON(CCW("0x0007")) DISK("vdb", CCW("0x0007"))),
	    "at /domain/devices/disk/address: ccw address fe.0.0007 of disk 'vdb' (/domain/devices/disk) is already "
	    "used by the memballoon (/domain/devices/memballoon)"),
	BAD("duplicate-devno-sorted-later", DEVICES(DISK("vdc", CCW("0x0002")) DISK("vda", CCW("0x0002"))),
	    "at /domain/devices/disk[2]/address: ccw address fe.0.0002 of disk 'vda'"),

	/* consoles */
	BAD("two-sclp-consoles", DEVICES(CONSOLE("pty", "sclp") CONSOLE("pty", "sclp")),
	    "at /domain/devices/console[2]: a second console on target 'sclp' (also /domain/devices/console[1])"),
	BAD("two-default-consoles", DEVICES("<console type='pty'/><console type='pty'/>"),
	    "a second console on target 'sclp'"),
	BAD("console-port-1", DEVICES("<console type='pty'><target type='sclp' port='1'/></console>"),
	    "at /domain/devices/console/target: console port must be 0, not 1"),
	BAD("bad-console-type", DEVICES(CONSOLE("tcp", "sclp")),
	    "at /domain/devices/console: invalid value 'tcp' for attribute 'type' (expected one of: pty, file, unix)"),
	BAD("console-target-virtio", DEVICES(CONSOLE("pty", "virtio")),
	    "at /domain/devices/console/target: invalid value 'virtio' for attribute 'type' (expected one of: sclp, "
	    "sclplm)"),
	BAD("file-console-without-path", DEVICES(CONSOLE("file", "sclp")),
	    "at /domain/devices/console: a type='file' console needs <source path='...'/>"),
	BAD("unix-console-without-path", DEVICES("<console type='unix'><source mode='bind'/></console>"),
	    "at /domain/devices/console/source: a type='unix' console needs <source path='...'/>"),
	BAD("mode-on-pty", DEVICES("<console type='pty'><source mode='bind' path='/dev/pts/1'/></console>"),
	    "at /domain/devices/console/source: mode= belongs to type='unix' consoles only"),
	BAD("tty-on-file", DEVICES("<console type='file' tty='/dev/pts/1'><source path='/a'/></console>"),
	    "tty= belongs to type='pty' consoles only"),
	BAD("log-without-file", DEVICES("<console type='pty'><log append='on'/></console>"),
	    "at /domain/devices/console/log: missing attribute 'file'"),

	/* memballoon */
	BAD("two-memballoons", DEVICES("<memballoon model='none'/><memballoon model='none'/>"),
	    "at /domain/devices/memballoon[2]: only one <memballoon> is allowed"),
	BAD("memballoon-none-with-address", DEVICES(BALLOON("") "<memballoon model='none'>" CCW("0x0001") "</memballoon>"),
	    "only one <memballoon> is allowed"),
	BAD("memballoon-none-address", DEVICES("<memballoon model='none'>" CCW("0x0001") "</memballoon>"),
	    "at /domain/devices/memballoon/address: a memballoon with model='none' has no address"),
	BAD("memballoon-model-xen", DEVICES("<memballoon model='xen'/>"),
	    "invalid value 'xen' for attribute 'model' (expected one of: virtio, none)"),
	BAD("memballoon-none-alias", DEVICES("<memballoon model='none'><alias name='ua-b'/></memballoon>"),
	    "at /domain/devices/memballoon/alias: a memballoon with model='none' has no alias"),

	/* watchdog */
	BAD("watchdog-two", DEVICES("<watchdog model='diag288'/><watchdog model='diag288' action='pause'/>"),
	    "at /domain/devices/watchdog[2]: only one <watchdog> is allowed (also /domain/devices/watchdog[1])"),
	BAD("watchdog-model-i6300esb", DEVICES("<watchdog model='i6300esb'/>"),
	    "at /domain/devices/watchdog: invalid value 'i6300esb' for attribute 'model' (expected 'diag288')"),
	BAD("watchdog-no-model", DEVICES("<watchdog action='reset'/>"),
	    "at /domain/devices/watchdog: missing attribute 'model'"),
	BAD("watchdog-action-debug", DEVICES("<watchdog model='diag288' action='debug'/>"),
	    "invalid value 'debug' for attribute 'action' (expected one of: reset, shutdown, poweroff, pause, dump, "
	    "inject-nmi, none)"),
	BAD("watchdog-address", DEVICES("<watchdog model='diag288'>" CCW("0x0005") "</watchdog>"),
	    "at /domain/devices/watchdog/address: unknown element <address>"),
	BAD("watchdog-alias-without-ua", DEVICES("<watchdog model='diag288'><alias name='wd'/></watchdog>"),
	    "at /domain/devices/watchdog/alias: invalid alias 'wd': a user alias must start with 'ua-'"),

	/* rng */
	BAD("rng-urandom", DEVICES("<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"),
	    "at /domain/devices/rng/backend: rng backend '/dev/urandom' is not supported (expected /dev/random"),
	BAD("rng-hwrng", DEVICES("<rng model='virtio'><backend model='random'>/dev/hwrng</backend></rng>"),
	    "rng backend '/dev/hwrng' is not supported"),
	BAD("rng-egd", DEVICES("<rng model='virtio'><backend model='egd' type='tcp'/></rng>"),
	    "at /domain/devices/rng/backend: invalid value 'egd' for attribute 'model' (expected 'random')"),
	BAD("rng-builtin-model", DEVICES("<rng model='virtio'><backend model='builtin'/></rng>"),
	    "at /domain/devices/rng/backend: invalid value 'builtin' for attribute 'model' (expected 'random')"),
	BAD("rng-no-backend", DEVICES("<rng model='virtio'/>"), "at /domain/devices/rng: missing element <backend>"),
	BAD("rng-two", DEVICES("<rng model='virtio'><backend model='random'/></rng>"
			       "<rng model='virtio'><backend model='random'/></rng>"),
	    "at /domain/devices/rng[2]: only one <rng> is supported (also /domain/devices/rng[1])"),
	BAD("rng-rate", DEVICES("<rng model='virtio'><rate bytes='1024'/><backend model='random'/></rng>"),
	    "at /domain/devices/rng/rate: unknown element <rate>"),
	BAD("rng-duplicate-devno", DEVICES(DISK("vda", CCW("0x0003"))
					   "<rng model='virtio'><backend model='random'/>" CCW("0x0003") "</rng>"),
	    "at /domain/devices/rng/address: ccw address fe.0.0003 of the rng (/domain/devices/rng) is already used "
	    "by disk 'vda' (/domain/devices/disk)"),
	BAD("rng-bad-ssid", DEVICES("<rng model='virtio'><backend model='random'/>"
				    "<address type='ccw' cssid='0xfe' ssid='0x7' devno='0x0001'/></rng>"),
	    "at /domain/devices/rng/address: ssid must be 0x0 to 0x3, not 0x7"),

	/* key wrapping */
	BAD("keywrap-empty", DOM("<keywrap/>"), "at /domain/keywrap"),
	BAD("keywrap-twice", DOM("<keywrap><cipher name='aes' state='on'/><cipher name='aes' state='off'/></keywrap>"),
	    "at /domain/keywrap/cipher[2]: cipher 'aes' is given twice (also /domain/keywrap/cipher[1])"),
	BAD("keywrap-bad-name", DOM("<keywrap><cipher name='des' state='on'/></keywrap>"),
	    "at /domain/keywrap/cipher: invalid value 'des' for attribute 'name' (expected one of: aes, dea)"),
	BAD("keywrap-bad-state", DOM("<keywrap><cipher name='dea' state='yes'/></keywrap>"),
	    "at /domain/keywrap/cipher: invalid value 'yes' for attribute 'state' (expected one of: on, off)"),
	BAD("keywrap-no-state", DOM("<keywrap><cipher name='dea'/></keywrap>"),
	    "at /domain/keywrap/cipher: missing attribute 'state'"),
	BAD("keywrap-two-elements", DOM("<keywrap><cipher name='dea' state='on'/></keywrap>"
					"<keywrap><cipher name='aes' state='on'/></keywrap>"),
	    "at /domain/keywrap[2]: <keywrap> given more than once"),

	/* boot menu, loadparm */
	BAD("bootmenu-timeout-disabled",
	    "<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>"
	    "<bootmenu enable='no' timeout='10'/></os></domain>",
	    "at /domain/os/bootmenu: a boot menu timeout needs enable='yes'"),
	BAD("bootmenu-timeout-large",
	    "<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>"
	    "<bootmenu enable='yes' timeout='65536'/></os></domain>",
	    "at /domain/os/bootmenu: invalid value '65536' for attribute 'timeout' (expected milliseconds from 0 to 65535)"),
	BAD("bootmenu-enable-on",
	    "<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>"
	    "<bootmenu enable='on'/></os></domain>",
	    "invalid value 'on' for attribute 'enable' (expected one of: yes, no)"),
	BAD("bootmenu-twice",
	    "<domain type='kvm'><name>a</name><memory>1</memory><os><type>hvm</type>"
	    "<bootmenu enable='yes'/><bootmenu enable='no'/></os></domain>",
	    "at /domain/os/bootmenu[2]: <bootmenu> given more than once"),
	BAD("loadparm-too-long", DEVICES(DISK("vda", "<boot order='1' loadparm='abcdefghi'/>")),
	    "at /domain/devices/disk/boot: invalid loadparm 'ABCDEFGHI': is longer than 8 characters"),
	BAD("loadparm-bad-char", DEVICES(DISK("vda", "<boot order='1' loadparm='a@b'/>")),
	    "at /domain/devices/disk/boot: invalid loadparm 'A@B': may contain only letters, digits, '.' and spaces"),
	BAD("loadparm-empty", DEVICES(DISK("vda", "<boot order='1' loadparm=''/>")),
	    "at /domain/devices/disk/boot: invalid loadparm '': must not be empty"),
	BAD("loadparm-without-order", DEVICES(DISK("vda", "<boot loadparm='A'/>")),
	    "at /domain/devices/disk/boot: missing attribute 'order'"),

	/* what libvirt's dumpxml shows: only what is true of zvirtd */
	BAD("cpu-host-model", DOM("<cpu mode='host-model' check='partial'/>"),
	    "at /domain/cpu: cpu mode 'host-model' is not supported: zvirtd runs QEMU's -cpu host under KVM, which "
	    "libvirt calls host-passthrough"),
	BAD("cpu-custom", DOM("<cpu mode='custom' match='exact'><model fallback='forbid'>z14.2-base</model></cpu>"),
	    "at /domain/cpu: cpu mode 'custom' is not supported"),
	BAD("cpu-no-mode", DOM("<cpu><topology sockets='1' cores='2' threads='1'/></cpu>"),
	    "at /domain/cpu: cpu mode 'custom' is not supported"),
	BAD("cpu-passthrough-topology", DOM("<cpu mode='host-passthrough'><topology sockets='1' cores='2'/></cpu>"),
	    "at /domain/cpu/topology: <topology> is not supported in <cpu mode='host-passthrough'>"),
	BAD("cpu-passthrough-check-partial", DOM("<cpu mode='host-passthrough' check='partial'/>"),
	    "at /domain/cpu: cpu check 'partial' is not supported"),
	BAD("cpu-passthrough-migratable", DOM("<cpu mode='host-passthrough' migratable='on'/>"),
	    "at /domain/cpu: cpu migratable= is not supported"),
	BAD("cpu-passthrough-tcg", "<domain type='qemu'>" TOP "<cpu mode='host-passthrough'/></domain>",
	    "at /domain/cpu: cpu mode 'host-passthrough' needs <domain type='kvm'>"),
	BAD("cpu-twice", DOM("<cpu mode='host-passthrough'/><cpu mode='host-passthrough'/>"),
	    "at /domain/cpu[2]: <cpu> given more than once"),
	BAD("seclabel-selinux", DOM("<seclabel type='dynamic' model='selinux' relabel='yes'/>"),
	    "at /domain/seclabel: security model 'selinux' is not supported: zvirtd runs QEMU as its own user"),
	BAD("seclabel-apparmor-and-dac", DOM("<seclabel type='dynamic' model='dac' relabel='yes'/>"
					     "<seclabel type='dynamic' model='apparmor' relabel='yes'/>"),
	    "at /domain/seclabel[2]: only one <seclabel> is allowed, the DAC one"),
	BAD("seclabel-none", DOM("<seclabel type='none'/>"), "at /domain/seclabel: security model '(none)' is not supported"),
	BAD("seclabel-dac-static", DOM("<seclabel type='static' model='dac' relabel='no'><label>+0:0</label></seclabel>"),
	    "at /domain/seclabel: seclabel type 'static' is not supported"),
	BAD("seclabel-dac-norelabel", DOM("<seclabel type='dynamic' model='dac' relabel='no'/>"),
	    "at /domain/seclabel: relabel='no' is not supported"),
	BAD("seclabel-baselabel", DOM("<seclabel type='dynamic' model='dac'><baselabel>+0:0</baselabel></seclabel>"),
	    "at /domain/seclabel/baselabel: <baselabel> is not supported"),
	BAD("features-async-teardown", DOM("<features><async-teardown enabled='yes'/></features>"),
	    "at /domain/features/async-teardown: unknown element <async-teardown>"),
	BAD("resource-partition", DOM("<resource><partition>/machine</partition></resource>"),
	    "at /domain/resource: <resource> is not supported: zvirtd places no guest in a cgroup partition"),
	BAD("panic-model-pseries", DEVICES("<panic model='pseries'/>"),
	    "at /domain/devices/panic: invalid value 'pseries' for attribute 'model' (expected 's390')"),
	BAD("panic-two", DEVICES("<panic model='s390'/><panic/>"),
	    "at /domain/devices/panic[2]: only one <panic> is allowed"),
	BAD("panic-address", DEVICES("<panic model='s390'>" CCW("0x0001") "</panic>"),
	    "at /domain/devices/panic/address: unknown element <address>"),
	BAD("audio-pulse", DEVICES("<audio id='1' type='pulseaudio'/>"),
	    "at /domain/devices/audio: invalid value 'pulseaudio' for attribute 'type' (expected 'none')"),
	BAD("audio-no-id", DEVICES("<audio type='none'/>"), "at /domain/devices/audio: missing attribute 'id'"),
	BAD("audio-two", DEVICES("<audio id='1' type='none'/><audio id='2' type='none'/>"),
	    "at /domain/devices/audio[2]: only one <audio type='none'/> is allowed"),
	BAD("metadata", DOM("<metadata><x:y xmlns:x='urn:x'/></metadata>"),
	    "at /domain/metadata: unknown element <metadata>"),

	/* aliases */
	BAD("alias-without-ua", DEVICES(DISK("vda", "<alias name='boot'/>")),
	    "Invalid domain XML at /domain/devices/disk/alias: invalid alias 'boot': a user alias must start with 'ua-'"),
	BAD("alias-ua-only", DEVICES(DISK("vda", "<alias name='ua-'/>")),
	    "at /domain/devices/disk/alias: invalid alias 'ua-': needs a name after 'ua-'"),
	BAD("alias-bad-char", DEVICES(CONSOLE("pty", "sclp") "<console type='pty'><alias name='ua-a b'/></console>"),
	    "at /domain/devices/console[2]/alias: invalid alias 'ua-a b': may contain only letters, digits, '_' and '-'"),
	BAD("alias-comma", DEVICES(DISK("vda", "<alias name='ua-a,id=x'/>")),
	    "at /domain/devices/disk/alias: invalid alias 'ua-a,id=x': may contain only letters"),
	BAD("alias-too-long", DEVICES(DISK("vda", "<alias name='ua-abcdefghijklmnopqrstu'/>")),
	    "at /domain/devices/disk/alias: invalid alias 'ua-abcdefghijklmnopqrstu': is too long: at most 23 characters, "
	    "so that the QEMU block node names made from it ('<alias>-storage') fit QEMU's limit of 31"),
	BAD("alias-empty", DEVICES(DISK("vda", "<alias name=''/>")),
	    "at /domain/devices/disk/alias: invalid alias '': must not be empty"),
	BAD("alias-missing-name", DEVICES(DISK("vda", "<alias/>")),
	    "at /domain/devices/disk/alias: missing attribute 'name'"),
	BAD("alias-twice-in-disk", DEVICES(DISK("vda", "<alias name='ua-a'/><alias name='ua-b'/>")),
	    "at /domain/devices/disk/alias[2]: <alias> given more than once"),
	BAD("alias-duplicate", DEVICES(DISK("vdb", "<alias name='ua-x'/>") CONSOLE("pty", "sclp")
				       "<console type='pty'><target type='sclplm'/><alias name='ua-x'/></console>"),
	    "Invalid domain XML at /domain/devices/console[2]/alias: alias 'ua-x' is used twice (also by "
	    "/domain/devices/disk/alias)"),
	BAD("alias-duplicate-sorted-later", DEVICES(DISK("vdc", "<alias name='ua-x'/>") DISK("vda", "<alias name='ua-x'/>")),
	    "at /domain/devices/disk[2]/alias: alias 'ua-x' is used twice (also by /domain/devices/disk[1]/alias)"),
	BAD("alias-unknown-attribute", DEVICES(DISK("vda", "<alias name='ua-a' type='x'/>")),
	    "at /domain/devices/disk/alias: unknown attribute 'type'"),
};
/* clang-format on */

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80             ? 1
			   : (*p & 0xe0) == 0xc0 ? 2
			   : (*p & 0xf0) == 0xe0 ? 3
			   : (*p & 0xf8) == 0xf0 ? 4
						 : 0;
		if (n == 0)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

static void test_bad_case(void **state)
{
	const BadCase *b = *state;
	ZvError err = ZV_ERROR_INIT;
	DomainDef *def = NULL;

	int r = domain_def_parse(b->xml, strlen(b->xml), &defaults, 0, &def, &err);
	if (r >= 0) {
		char *x = def ? domain_def_format(def, 0, 0) : NULL;
		domain_def_free(def);
		fail_msg("%s: accepted, expected \"%s\"\n%s", b->name, b->message, x ? x : "");
	}
	assert_null(def);
	if (err.code != b->code)
		fail_msg("%s: error code %s, expected %s (%s)", b->name, zv_error_code_name(err.code),
			 zv_error_code_name(b->code), err.message);
	assert_int_equal(r, b->code == ZV_ERROR_INVALID_XML ? -EBADMSG : -EINVAL);
	if (!strstr(err.message, b->message))
		fail_msg("%s: message\n  \"%s\"\ndoes not contain\n  \"%s\"", b->name, err.message,
			 b->message); /* It becomes a D-Bus error message, which must be valid UTF-8. */
	if (!utf8_valid(err.message))
		fail_msg("%s: message is not valid UTF-8: %s", b->name, err.message);
}

static void test_too_large(void **state)
{
	/* A well-formed 2 MiB document: refused by size before parsing. */
	size_t size = 2 * 1024 * 1024;
	_cleanup_free_ char *xml = malloc(size + 1);
	assert_non_null(xml);
	const char *head = "<domain type='kvm'><description>", *tail = "</description></domain>";
	memset(xml, 'x', size);
	memcpy(xml, head, strlen(head));
	memcpy(xml + size - strlen(tail), tail, strlen(tail));
	xml[size] = 0;

	ZvError err = ZV_ERROR_INIT;
	DomainDef *def = NULL;
	assert_int_equal(domain_def_parse(xml, size, &defaults, 0, &def, &err), -EFBIG);
	assert_null(def);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	assert_non_null(strstr(err.message, "Domain XML is too large: 2097152 bytes, at most 1048576"));

	/* Just under the limit is parsed (and refused for what it says). */
	size = DOMAIN_XML_MAX_SIZE;
	memcpy(xml + size - strlen(tail), tail, strlen(tail));
	zv_error_clear(&err);
	assert_int_equal(domain_def_parse(xml, size, &defaults, 0, &def, &err), -EBADMSG);
	assert_int_equal(err.code, ZV_ERROR_INVALID_XML);
}

static void test_length_is_respected(void **state)
{
	/* The buffer need not be NUL-terminated and may go on past len. */
	_cleanup_free_ char *input = read_fixture(EXAMPLES "minimal.xml");
	size_t len = strlen(input);
	_cleanup_free_ char *buf = malloc(len + 16);
	assert_non_null(buf);
	memcpy(buf, input, len);
	memcpy(buf + len, "<garbage>&&&&&&", 16);

	DomainDef *def = NULL;
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(domain_def_parse(buf, len, &defaults, 0, &def, &err), 0);
	domain_def_free(def);
}

static void test_errors_not_on_stderr(void **state)
{
	/* libxml2 must report through our handlers only: nothing may reach
	 * stderr (the daemon's journal) for any refused document. */
	char path[] = "/tmp/test-xml-stderr-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);

	for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++) {
		ZvError err = ZV_ERROR_INIT;
		DomainDef *def = NULL;
		(void)domain_def_parse(bad_cases[i].xml, strlen(bad_cases[i].xml), &defaults, 0, &def, &err);
		domain_def_free(def);
	}

	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_int_equal(st.st_size, 0);
}

static int teardown_all(void **state)
{
	domain_xml_done();
	xmlCleanupParser();
	return 0;
}

int main(void)
{
	const struct CMUnitTest basics[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_two_defines_get_different_uuids),
		cmocka_unit_test(test_no_defaults),
		cmocka_unit_test(test_emulator_kept),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_ccw_assignment_order),
		cmocka_unit_test(test_ccw_other_ssid_and_none_balloon),
		cmocka_unit_test(test_ccw_rng_after_balloon),
		cmocka_unit_test(test_machine_defaults),
		cmocka_unit_test(test_watchdog_not_attachable),
		cmocka_unit_test(test_ccw_decimal_and_uppercase),
		cmocka_unit_test(test_live_console),
		cmocka_unit_test(test_console_kinds),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_format_hand_built),
		cmocka_unit_test(test_copy_is_deep),
		cmocka_unit_test(test_copy_every_fixture),
		cmocka_unit_test(test_aliases_assigned),
		cmocka_unit_test(test_aliases_lowest_free),
		cmocka_unit_test(test_user_aliases),
		cmocka_unit_test(test_alias_refused_live),
		cmocka_unit_test(test_parse_node),
		cmocka_unit_test(test_scsi_model),
		cmocka_unit_test(test_scsi_assignment),
		cmocka_unit_test(test_startup_policy),
		cmocka_unit_test(test_scsi_hotplug_address),
		cmocka_unit_test(test_name_validate),
		cmocka_unit_test(test_enum_strings),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_length_is_respected),
		cmocka_unit_test(test_errors_not_on_stderr),
	};
	struct CMUnitTest fixture_tests[ELEMENTSOF(fixtures)];
	struct CMUnitTest bad_tests[ELEMENTSOF(bad_cases)];
	char fixture_names[ELEMENTSOF(fixtures)][128];
	int failed = 0;

	for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
		const char *base = strrchr(fixtures[i].input, '/') + 1;
		snprintf(fixture_names[i], sizeof(fixture_names[i]), "%s (parse %d, id %d, format %d)", base,
			 fixtures[i].pflags, fixtures[i].id, fixtures[i].fflags);
		fixture_tests[i] = (struct CMUnitTest){
			.name = fixture_names[i],
			.test_func = test_fixture,
			.initial_state = (void *)&fixtures[i],
		};
	}
	for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++)
		bad_tests[i] = (struct CMUnitTest){
			.name = bad_cases[i].name,
			.test_func = test_bad_case,
			.initial_state = (void *)&bad_cases[i],
		};

	failed += cmocka_run_group_tests_name("xml-basics", basics, NULL, NULL);
	failed += _cmocka_run_group_tests("xml-round-trip", fixture_tests, ELEMENTSOF(fixtures), NULL, NULL);
	failed +=
		_cmocka_run_group_tests("xml-refused", bad_tests, ELEMENTSOF(bad_cases), NULL, teardown_all);
	return failed;
}
