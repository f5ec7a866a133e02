/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a domain gets of the host, the parts without a daemon: the
 * live / config / current resolution of its calls, the I/O threads of the XML and of
 * QEMU's command line, the cgroup controller and weight conversion, and
 * MemAvailable. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/device-info.h"
#include "conf/domain-xml.h"
#include "conf/iothreads.h"
#include "driver/cgroup.h"
#include "driver/host-memory.h"
#include "driver/resources.h"
#include "qemu/cmdline.h"
#include "util/cleanup.h"

/* --- live / config / current ------------------------------------------- */

#define LIVE   DOMAIN_MODIFY_LIVE
#define CONFIG DOMAIN_MODIFY_CONFIG

typedef struct Case {
	bool live, config, current;
	bool read;                 /* one definition */
	bool no_option_is_current; /* else no option is live (setvcpus) */
	bool active, persistent;
	int ret;
	ZvErrorCode code;
	DomainModifyFlags want;
} Case;

static void check_case(const Case *c)
{
	ModifyOptions o = {.live = c->live, .config = c->config, .current = c->current};
	ZvError err = ZV_ERROR_INIT;
	DomainModifyFlags got = 0;
	int r = domain_resource_flags(&o, c->read, c->no_option_is_current, c->active, c->persistent, "Call",
				      "vs1", &got, &err);
	if (r != c->ret || err.code != c->code || (r >= 0 && got != c->want))
		fail_msg("live=%d config=%d current=%d read=%d default-current=%d active=%d persistent=%d: "
			 "r=%d code=%d flags=%d (%s)",
			 c->live, c->config, c->current, c->read, c->no_option_is_current, c->active,
			 c->persistent, r, err.code, got, err.message);
}

static void test_resource_flags(void **state)
{
	(void)state;
	const Case cases[] = {
		/* schedinfo, iothreadadd/del: no option is current. */
		{.no_option_is_current = true, .active = true, .persistent = true, .want = LIVE},
		{.no_option_is_current = true, .persistent = true, .want = CONFIG},
		{.current = true,
		 .no_option_is_current = true,
		 .active = true,
		 .persistent = true,
		 .want = LIVE},
		{.current = true, .no_option_is_current = true, .persistent = true, .want = CONFIG},
		{.live = true,
		 .config = true,
		 .no_option_is_current = true,
		 .active = true,
		 .persistent = true,
		 .want = LIVE | CONFIG},
		{.config = true,
		 .no_option_is_current = true,
		 .active = true,
		 .persistent = true,
		 .want = CONFIG},
		{.live = true,
		 .no_option_is_current = true,
		 .persistent = true,
		 .ret = -EPERM,
		 .code = ZV_ERROR_OPERATION_INVALID},
		{.config = true,
		 .no_option_is_current = true,
		 .active = true,
		 .ret = -EPERM,
		 .code = ZV_ERROR_OPERATION_INVALID},
		{.no_option_is_current = true, .active = true, .want = LIVE}, /* transient, running */
		{.current = true,
		 .live = true,
		 .no_option_is_current = true,
		 .active = true,
		 .persistent = true,
		 .ret = -EINVAL,
		 .code = ZV_ERROR_INVALID_ARGUMENT},
		{.current = true,
		 .config = true,
		 .no_option_is_current = true,
		 .persistent = true,
		 .ret = -EINVAL,
		 .code = ZV_ERROR_INVALID_ARGUMENT},
		/* setvcpus without an option is live, as virsh's virDomainSetVcpus. */
		{.active = true, .persistent = true, .want = LIVE},
		{.persistent = true, .ret = -EPERM, .code = ZV_ERROR_OPERATION_INVALID},
		{.current = true, .persistent = true, .want = CONFIG},
		/* Reads take one definition. */
		{.read = true,
		 .no_option_is_current = true,
		 .active = true,
		 .persistent = true,
		 .want = LIVE},
		{.read = true, .no_option_is_current = true, .persistent = true, .want = CONFIG},
		{.read = true,
		 .config = true,
		 .no_option_is_current = true,
		 .active = true,
		 .persistent = true,
		 .want = CONFIG},
		{.read = true,
		 .live = true,
		 .config = true,
		 .no_option_is_current = true,
		 .active = true,
		 .persistent = true,
		 .ret = -EINVAL,
		 .code = ZV_ERROR_INVALID_ARGUMENT},
		{.read = true,
		 .live = true,
		 .no_option_is_current = true,
		 .persistent = true,
		 .ret = -EPERM,
		 .code = ZV_ERROR_OPERATION_INVALID},
		{.read = true,
		 .config = true,
		 .no_option_is_current = true,
		 .active = true,
		 .ret = -EPERM,
		 .code = ZV_ERROR_OPERATION_INVALID},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);

	ModifyOptions o = {.live = true, .config = true};
	ZvError err = ZV_ERROR_INIT;
	DomainModifyFlags got;
	assert_int_equal(
		domain_resource_flags(&o, true, true, true, true, "GetVcpuCount", "vs1", &got, &err),
		-EINVAL);
	assert_string_equal(err.message,
			    "GetVcpuCount reads one definition: give 'live' or 'config', not both");
}

/* --- I/O threads in the XML ------------------------------------------------ */

static const DomainXMLDefaults defaults = {.emulator = "/usr/bin/qemu-system-s390x"};

static char *domain_xml(const char *top, const char *disk_driver)
{
	char *s = NULL;
	int n = asprintf(&s,
			 "<domain type='kvm'><name>io</name>"
			 "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"
			 "<memory unit='MiB'>256</memory>%s"
			 "<os><type arch='s390x' machine='s390-ccw-virtio'>hvm</type></os>"
			 "<devices><disk type='file' device='disk'><driver name='qemu' type='raw'%s/>"
			 "<source file='/var/lib/zvirtd/images/a.img'/><target dev='vda' bus='virtio'/>"
			 "</disk><memballoon model='none'/></devices></domain>",
			 top, disk_driver);
	assert_true(n > 0);
	return s;
}

static DomainDef *parse_ok(const char *xml)
{
	ZvError err = ZV_ERROR_INIT;
	DomainDef *def = NULL;
	if (domain_def_parse(xml, strlen(xml), &defaults, 0, &def, &err) < 0)
		fail_msg("parse failed: %s\n%s", err.message, xml);
	return def;
}

static void parse_fails(const char *xml, const char *needle)
{
	ZvError err = ZV_ERROR_INIT;
	_cleanup_(domain_def_freep) DomainDef *def = NULL;
	assert_true(domain_def_parse(xml, strlen(xml), &defaults, 0, &def, &err) < 0);
	assert_int_equal(err.code, ZV_ERROR_INVALID_XML);
	if (!strstr(err.message, needle))
		fail_msg("'%s' not in: %s", needle, err.message);
}

static void test_xml_iothreads(void **state)
{
	(void)state;
	/* <iothreads>N</iothreads> alone: 1..N, written back as it came. */
	_cleanup_free_ char *xml = domain_xml("<iothreads>2</iothreads>", " iothread='2'");
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml);
	assert_int_equal(def->n_iothreads, 2);
	assert_int_equal(def->iothreads[0].id, 1);
	assert_int_equal(def->iothreads[1].id, 2);
	assert_true(def->iothreads[0].autofill);
	assert_int_equal(def->disks[0].iothread, 2);
	_cleanup_free_ char *out = domain_def_format(def, 0, DOMAIN_XML_FORMAT_INACTIVE);
	assert_non_null(strstr(out, "  <vcpu placement='static'>1</vcpu>\n  <iothreads>2</iothreads>\n"));
	assert_null(strstr(out, "iothreadids"));
	assert_non_null(strstr(out, "<driver name='qemu' type='raw' iothread='2'/>"));

	/* Listed ids come first, the count numbers the rest from the lowest
	 * free id, and then every id is written (libvirt's dumpxml). */
	_cleanup_free_ char *xml2 = domain_xml(
		"<iothreads>3</iothreads><iothreadids><iothread id='5'/><iothread id='2'/></iothreadids>",
		" iothread='5'");
	_cleanup_(domain_def_freep) DomainDef *def2 = parse_ok(xml2);
	assert_int_equal(def2->n_iothreads, 3);
	assert_int_equal(def2->iothreads[0].id, 5);
	assert_int_equal(def2->iothreads[1].id, 2);
	assert_int_equal(def2->iothreads[2].id, 1);
	_cleanup_free_ char *out2 = domain_def_format(def2, 0, DOMAIN_XML_FORMAT_INACTIVE);
	assert_non_null(strstr(out2, "<iothreads>3</iothreads>\n  <iothreadids>\n    <iothread id='5'/>\n"
				     "    <iothread id='2'/>\n    <iothread id='1'/>\n  </iothreadids>\n"));
	_cleanup_(domain_def_freep) DomainDef *again = parse_ok(out2);
	_cleanup_free_ char *out3 = domain_def_format(again, 0, DOMAIN_XML_FORMAT_INACTIVE);
	assert_string_equal(out2, out3);

	/* More listed than counted: the list wins (libvirt). */
	_cleanup_free_ char *xml3 =
		domain_xml("<iothreads>1</iothreads><iothreadids><iothread id='1'/><iothread id='4'/>"
			   "</iothreadids>",
			   "");
	_cleanup_(domain_def_freep) DomainDef *def3 = parse_ok(xml3);
	assert_int_equal(def3->n_iothreads, 2);
}

static void test_xml_iothreads_refused(void **state)
{
	(void)state;
	_cleanup_free_ char *a = domain_xml("<iothreads>1</iothreads>", " iothread='2'");
	parse_fails(a, "/domain/devices/disk/driver: disk 'vda': iothread 2 is not one of the domain's I/O "
		       "threads (1;");
	_cleanup_free_ char *b = domain_xml("", " iothread='1'");
	parse_fails(b, "iothread 1 is not one of the domain's I/O threads (none;");
	_cleanup_free_ char *c = domain_xml("<iothreads>1</iothreads>", " iothread='0'");
	parse_fails(c, "iothread must be a positive integer, not 0");
	_cleanup_free_ char *d = domain_xml("<iothreadids><iothread id='0'/></iothreadids>", "");
	parse_fails(d, "/domain/iothreadids/iothread: iothread id must be a positive integer, not 0");
	_cleanup_free_ char *e =
		domain_xml("<iothreadids><iothread id='3'/><iothread id='3'/></iothreadids>", "");
	parse_fails(e, "/domain/iothreadids/iothread[2]: iothread id 3 is listed twice");
	_cleanup_free_ char *f = domain_xml("<iothreads>100000</iothreads>", "");
	parse_fails(f, "100000 I/O threads requested, at most 1024 are supported");
	_cleanup_free_ char *g = domain_xml("<iothreads>1</iothreads><iothreads>2</iothreads>", "");
	parse_fails(g, "/domain/iothreads[2]");
	/* What libvirt has and zvirtd does not: refused, never dropped. */
	_cleanup_free_ char *h =
		domain_xml("<iothreadids><iothread id='1' thread_pool_min='2'/></iothreadids>", "");
	parse_fails(h, "/domain/iothreadids/iothread");
	_cleanup_free_ char *i = domain_xml("<iothreads>x</iothreads>", "");
	parse_fails(i, "/domain/iothreads");
}

static void test_iothread_list(void **state)
{
	(void)state;
	DomainDef def = {};
	char buf[64];
	assert_int_equal(domain_def_add_iothread(&def, 0), -EINVAL);
	assert_int_equal(domain_def_add_iothread(&def, 4), 0);
	assert_int_equal(domain_def_add_iothread(&def, 4), -EEXIST);
	assert_int_equal(domain_def_add_iothread(&def, 1), 0);
	assert_string_equal(domain_def_iothread_list(&def, buf, sizeof(buf)), "4, 1");
	assert_int_equal(domain_def_remove_iothread(&def, 2), -ENOENT);
	assert_int_equal(domain_def_remove_iothread(&def, 4), 0);
	assert_string_equal(domain_def_iothread_list(&def, buf, sizeof(buf)), "1");
	assert_false(def.iothreads[0].autofill);
	assert_int_equal(domain_def_remove_iothread(&def, 1), 0);
	assert_null(def.iothreads);
	assert_string_equal(domain_def_iothread_list(&def, buf, sizeof(buf)), "none");
}

/* --- I/O threads on QEMU's command line ------------------------------------ */

static bool argv_has_pair(char **argv, const char *option, const char *value)
{
	for (char **a = argv; a[0] && a[1]; a++)
		if (strcmp(a[0], option) == 0 && strcmp(a[1], value) == 0)
			return true;
	return false;
}

static void test_cmdline_iothreads(void **state)
{
	(void)state;
	_cleanup_free_ char *xml = domain_xml("<iothreads>2</iothreads>", " iothread='2'");
	_cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml);
	assert_int_equal(domain_def_assign_aliases(def), 0);

	ZvError err = ZV_ERROR_INIT;
	_cleanup_strv_free_ char **argv = NULL;
	QemuCmdlineParams p = {.qmp_fd = -1, .qmp_path = "/run/q.qmp"};
	if (qemu_build_argv(def, &p, &argv, &err) < 0)
		fail_msg("%s", err.message);
	/* libvirt's shape: JSON objects right after -smp, the device names its thread. */
	assert_true(argv_has_pair(argv, "-object", "{\"qom-type\":\"iothread\",\"id\":\"iothread1\"}"));
	assert_true(argv_has_pair(argv, "-object", "{\"qom-type\":\"iothread\",\"id\":\"iothread2\"}"));
	size_t smp = 0, object = 0;
	for (size_t i = 0; argv[i]; i++) {
		if (strcmp(argv[i], "-smp") == 0)
			smp = i;
		if (!object && strcmp(argv[i], "-object") == 0)
			object = i;
	}
	assert_int_equal(object, smp + 2);
	assert_true(
		argv_has_pair(argv, "-device",
			      "virtio-blk-ccw,iothread=iothread2,devno=fe.0.0000,drive=virtio-disk0-format,"
			      "id=virtio-disk0"));

	/* A hand-built definition naming a thread it lacks. */
	def->disks[0].iothread = 7;
	_cleanup_strv_free_ char **bad = NULL;
	ZvError err2 = ZV_ERROR_INIT;
	assert_int_equal(qemu_build_argv(def, &p, &bad, &err2), -EINVAL);
	assert_non_null(strstr(err2.message, "Disk 'vda': iothread 7"));
}

/* --- cgroups --------------------------------------------------------------- */

static const char mountinfo_v1[] =
	"22 28 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"30 22 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
	"31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 "
	"rw\n"
	"35 30 0:31 / /sys/fs/cgroup/cpuset rw,relatime shared:15 - cgroup cgroup rw,cpuset\n"
	"36 30 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct\n";
static const char mountinfo_v2[] =
	"30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
	"rw,nsdelegate,memory_recursiveprot\n";
/* A name that merely contains "cpu" (cpuacct, cpuset) is not the controller;
 * a blank in a path is \040. */
static const char mountinfo_none[] =
	"35 30 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
	"36 30 0:32 / /sys/fs/cgroup/my\\040acct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"37 30 0:33 / /run/x rw - tmpfs cpu rw,cpu\n";

static void test_cgroup_mount(void **state)
{
	(void)state;
	CgroupVersion v;
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

	assert_int_equal(cgroup_parse_cpu_mount(mountinfo_v1, &v, &a), 0);
	assert_int_equal(v, CGROUP_VERSION_V1);
	assert_string_equal(a, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(cgroup_parse_cpu_mount(mountinfo_v2, &v, &b), 0);
	assert_int_equal(v, CGROUP_VERSION_V2);
	assert_string_equal(b, "/sys/fs/cgroup");
	assert_int_equal(cgroup_parse_cpu_mount(mountinfo_none, &v, &c), 0);
	assert_int_equal(v, CGROUP_VERSION_NONE);
	assert_null(c);
	assert_int_equal(cgroup_parse_cpu_mount(
				 "36 30 0:32 / /sys/fs/cgroup/c\\040pu rw - cgroup cgroup rw,cpu\n", &v, &d),
			 0);
	assert_string_equal(d, "/sys/fs/cgroup/c pu");
}

static void test_cgroup_weight(void **state)
{
	(void)state;
	/* systemd's conversion: the defaults meet, the ends clamp. */
	assert_int_equal(cgroup_shares_to_weight(1024), 100);
	assert_int_equal(cgroup_shares_to_weight(2048), 200);
	assert_int_equal(cgroup_shares_to_weight(2), 1);
	assert_int_equal(cgroup_shares_to_weight(262144), 10000);
	assert_int_equal(cgroup_shares_to_weight(1000), 97);
	assert_int_equal(cgroup_weight_to_shares(100), 1024);
	assert_int_equal(cgroup_weight_to_shares(1), 10);
	assert_int_equal(cgroup_weight_to_shares(10000), 102400);
	assert_int_equal(cgroup_weight_to_shares(0), 2);
}

/* --- MemAvailable ---------------------------------------------------------- */

static void test_meminfo(void **state)
{
	(void)state;
	uint64_t b = 0;
	assert_int_equal(meminfo_available("MemTotal:       24683652 kB\nMemFree:        24283460 kB\n"
					   "MemAvailable:   24359348 kB\nBuffers:           36460 kB\n",
					   &b),
			 0);
	assert_int_equal(b, UINT64_C(24359348) * 1024);
	assert_int_equal(meminfo_available("MemTotal: 1 kB\nMemFree: 1 kB\n", &b), -ENOENT);
	assert_int_equal(meminfo_available("MemAvailable: lots\n", &b), -EBADMSG);
	assert_int_equal(meminfo_available("MemAvailable: 12 MB\n", &b), -EBADMSG);
	assert_int_equal(meminfo_available("", &b), -ENOENT);
}

int main(void)
{
	/* One test a line. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resource_flags),
		cmocka_unit_test(test_xml_iothreads),
		cmocka_unit_test(test_xml_iothreads_refused),
		cmocka_unit_test(test_iothread_list),
		cmocka_unit_test(test_cmdline_iothreads),
		cmocka_unit_test(test_cgroup_mount),
		cmocka_unit_test(test_cgroup_weight),
		cmocka_unit_test(test_meminfo),
	};
	/* clang-format on */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
