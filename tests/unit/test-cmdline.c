/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QEMU argv for hand-built definitions, checked argument by
 * argument; then the argv is run for real (TCG, -S) when
 * qemu-system-s390x is installed, and asked over QMP what it built. */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "qemu/cmdline.h"
#include "util/cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

#define UUID     SD_ID128_MAKE(c7, a5, fd, bd, ed, af, 94, 55, 92, 6a, d6, 5c, 16, db, 18, 09)
#define UUID_STR "c7a5fdbd-edaf-9455-926a-d65c16db1809"
#define SANDBOX  "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

static CcwAddress ccw(uint16_t devno)
{
	return (CcwAddress){.assigned = true, .cssid = 0xfe, .ssid = 0, .devno = devno};
}

/* A small valid definition the tests change. */
static DomainDef minimal_def(void)
{
	return (DomainDef){
		.virt_type = DOMAIN_VIRT_KVM,
		.name = (char *)"minimal",
		.uuid = UUID,
		.memory_kib = 524288,
		.current_memory_kib = 524288,
		.vcpus_max = 1,
		.vcpus_current = 1,
		.os_arch = (char *)"s390x",
		.os_machine = (char *)"s390-ccw-virtio",
		.on_poweroff = LIFECYCLE_ACTION_DESTROY,
		.on_reboot = LIFECYCLE_ACTION_RESTART,
		.on_crash = LIFECYCLE_ACTION_DESTROY,
		.emulator = (char *)"/usr/bin/qemu-system-s390x",
		.memballoon = {.model = MEMBALLOON_MODEL_VIRTIO,
			       .info = {.alias = (char *)"balloon0", .address = ccw(0)}},
	};
}

static DiskDef raw_disk(const char *target, const char *source, uint16_t devno, const char *alias)
{
	return (DiskDef){
		.type = DISK_TYPE_FILE,
		.device = DISK_DEVICE_DISK,
		.format = DISK_FORMAT_RAW,
		.source = (char *)source,
		.target = (char *)target,
		.bus = DISK_BUS_VIRTIO,
		.info = {.alias = (char *)alias, .address = ccw(devno)},
	};
}

static char *join_lines(char **v)
{
	size_t size = 1;
	for (char **i = v; *i; i++)
		size += strlen(*i) + 1;
	char *s = calloc(1, size);
	assert_non_null(s);
	for (char **i = v; *i; i++) {
		strcat(s, *i);
		if (i[1])
			strcat(s, "\n");
	}
	return s;
}

/* Compares line by line, so a failure names the argument that differs. */
static void assert_argv(char **argv, const char *const *expected)
{
	_cleanup_free_ char *got = join_lines(argv);
	_cleanup_free_ char *want = join_lines((char **)expected);
	if (strcmp(got, want) != 0) {
		size_t i = 0;
		while (argv[i] && expected[i] && strcmp(argv[i], expected[i]) == 0)
			i++;
		print_error("argv differs at %zu:\n  got:  %s\n  want: %s\n", i, argv[i] ? argv[i] : "(end)",
			    expected[i] ? expected[i] : "(end)");
	}
	assert_string_equal(got, want);
}

static char **build_ok(const DomainDef *def, const QemuCmdlineParams *p)
{
	ZvError err = ZV_ERROR_INIT;
	char **argv = NULL;
	int r = qemu_build_argv(def, p, &argv, &err);
	if (r < 0)
		fail_msg("qemu_build_argv: %s", err.message);
	assert_int_equal(err.code, ZV_ERROR_NONE);
	return argv;
}

static void test_minimal(void **state)
{
	DomainDef def = minimal_def();
	ConsoleDef console = {
		.type = CONSOLE_TYPE_PTY,
		.target = CONSOLE_TARGET_SCLP,
		.info = {.alias = (char *)"console0"},
	};
	def.consoles = &console;
	def.n_consoles = 1;
	QemuCmdlineParams p = {.qmp_fd = 3, .default_console_log = "/var/log/zvirtd/minimal.console.log"};

	_cleanup_strv_free_ char **argv = build_ok(&def, &p);
	/* clang-format off */
	const char *const expected[] = {
		"/usr/bin/qemu-system-s390x",
		"-name", "guest=minimal,debug-threads=on",
		"-uuid", UUID_STR,
		"-S",
		"-machine", "s390-ccw-virtio,accel=tcg",
		"-cpu", "qemu",
		"-m", "size=524288k",
		"-smp", "1,maxcpus=1",
		"-no-user-config",
		"-nodefaults",
		"-chardev", "socket,id=charmonitor,fd=3,server=on,wait=off",
		"-mon", "chardev=charmonitor,id=monitor,mode=control",
		"-display", "none",
		"-no-shutdown",
		"-action", "panic=pause",
		"-chardev", "pty,id=charconsole0,logfile=/var/log/zvirtd/minimal.console.log,logappend=off",
		"-device", "sclpconsole,chardev=charconsole0,id=console0",
		"-device", "virtio-balloon-ccw,id=balloon0,devno=fe.0.0000",
		"-sandbox", SANDBOX,
		"-msg", "timestamp=on",
		NULL,
	};
	/* clang-format on */
	assert_argv(argv, expected);
}

static void test_full(void **state)
{
	DomainDef def = minimal_def();
	DiskDef disks[2] = {
		raw_disk("vda", "/var/lib/zvirtd/images/a,b.qcow2", 1, "virtio-disk0"),
		raw_disk("vdb", "/dev/disk/by-id/dm-uuid-mpath-x", 2, "virtio-disk1"),
	};
	ConsoleDef consoles[2] = {
		{.type = CONSOLE_TYPE_PTY,
		 .target = CONSOLE_TARGET_SCLP,
		 .log_file = (char *)"/var/log/con,1.log",
		 .log_append = true,
		 .info = {.alias = (char *)"console0"}},
		{.type = CONSOLE_TYPE_UNIX,
		 .target = CONSOLE_TARGET_SCLPLM,
		 .source_path = (char *)"/run/con.sock",
		 .unix_bind = true,
		 .info = {.alias = (char *)"console1"}},
	};

	def.name = (char *)"my,guest";
	def.memory_kib = 1048576;
	def.vcpus_max = 4;
	def.vcpus_current = 2;
	def.dump_core_set = true;
	def.dump_core = false;
	def.os_machine = (char *)"s390-ccw-virtio-7.2";
	def.os_kernel = (char *)"/boot/vmlinuz,1";
	def.os_initrd = (char *)"/boot/initrd.img";
	def.os_cmdline = (char *)"console=ttysclp0 root=/dev/vda1, quiet";
	def.on_reboot = LIFECYCLE_ACTION_DESTROY;
	def.emulator = NULL;
	disks[0].format = DISK_FORMAT_QCOW2;
	disks[0].cache = DISK_CACHE_NONE;
	disks[0].io = DISK_IO_NATIVE;
	disks[0].info.boot_order = 1;
	disks[1].type = DISK_TYPE_BLOCK;
	disks[1].readonly = true;
	disks[1].shareable = true;
	disks[1].io = DISK_IO_THREADS;
	disks[1].info.boot_order = 2;
	def.disks = disks;
	def.n_disks = 2;
	def.consoles = consoles;
	def.n_consoles = 2;
	def.memballoon.model = MEMBALLOON_MODEL_NONE;
	QemuCmdlineParams p = {
		.use_kvm = true,
		.qmp_fd = -1,
		.qmp_path = "/run/zvirtd/x,y.qmp",
		.emulator = "/opt/qemu/bin/qemu-system-s390x",
		.default_console_log = "/var/log/zvirtd/default.log",
	};

	_cleanup_strv_free_ char **argv = build_ok(&def, &p);
	/* clang-format off */
	const char *const expected[] = {
		"/opt/qemu/bin/qemu-system-s390x",
		"-name", "guest=my,,guest,debug-threads=on",
		"-uuid", UUID_STR,
		"-S",
		"-machine", "s390-ccw-virtio-7.2,accel=kvm,dump-guest-core=off",
		"-cpu", "host",
		"-m", "size=1048576k",
		"-smp", "2,maxcpus=4",
		"-no-user-config",
		"-nodefaults",
		"-chardev", "socket,id=charmonitor,path=/run/zvirtd/x,,y.qmp,server=on,wait=off",
		"-mon", "chardev=charmonitor,id=monitor,mode=control",
		"-display", "none",
		"-no-shutdown",
		"-action", "panic=pause",
		"-action", "reboot=shutdown",
		"-kernel", "/boot/vmlinuz,1",
		"-initrd", "/boot/initrd.img",
		"-append", "console=ttysclp0 root=/dev/vda1, quiet",
		"-blockdev", "{\"driver\":\"file\",\"filename\":\"/var/lib/zvirtd/images/a,b.qcow2\","
			     "\"node-name\":\"virtio-disk0-storage\",\"read-only\":false,"
			     "\"cache\":{\"direct\":true,\"no-flush\":false},\"aio\":\"native\","
			     "\"discard\":\"unmap\",\"auto-read-only\":true}",
		"-blockdev", "{\"node-name\":\"virtio-disk0-format\",\"driver\":\"qcow2\",\"file\":\"virtio-disk0-storage\","
			     "\"read-only\":false,\"cache\":{\"direct\":true,\"no-flush\":false},\"backing\":null}",
		"-device", "virtio-blk-ccw,devno=fe.0.0001,drive=virtio-disk0-format,id=virtio-disk0,bootindex=1,write-cache=on",
		"-blockdev", "{\"driver\":\"host_device\",\"filename\":\"/dev/disk/by-id/dm-uuid-mpath-x\","
			     "\"node-name\":\"virtio-disk1-storage\",\"read-only\":true,\"aio\":\"threads\","
			     "\"discard\":\"unmap\",\"auto-read-only\":true}",
		"-blockdev", "{\"node-name\":\"virtio-disk1-format\",\"driver\":\"raw\",\"file\":\"virtio-disk1-storage\","
			     "\"read-only\":true}",
		"-device", "virtio-blk-ccw,devno=fe.0.0002,share-rw=on,drive=virtio-disk1-format,id=virtio-disk1,bootindex=2",
		"-chardev", "pty,id=charconsole0,logfile=/var/log/con,,1.log,logappend=on",
		"-device", "sclpconsole,chardev=charconsole0,id=console0",
		"-chardev", "socket,id=charconsole1,path=/run/con.sock,server=on,wait=off,"
			    "logfile=/var/log/zvirtd/default.log,logappend=off",
		"-device", "sclplmconsole,chardev=charconsole1,id=console1",
		"-sandbox", SANDBOX,
		"-msg", "timestamp=on",
		NULL,
	};
	/* clang-format on */
	assert_argv(argv, expected);
}

static void test_console_kinds(void **state)
{
	DomainDef def = minimal_def();
	ConsoleDef consoles[2] = {
		{.type = CONSOLE_TYPE_FILE,
		 .target = CONSOLE_TARGET_SCLPLM,
		 .source_path = (char *)"/tmp/out,put",
		 .info = {.alias = (char *)"console0"}},
		{.type = CONSOLE_TYPE_UNIX,
		 .target = CONSOLE_TARGET_SCLP,
		 .source_path = (char *)"/run/c.sock",
		 .log_file = (char *)"/var/log/c.log",
		 .info = {.alias = (char *)"console1"}},
	};
	def.consoles = consoles;
	def.n_consoles = 2;
	def.memballoon.info.address.assigned = false;
	def.emulator = NULL;
	QemuCmdlineParams p = {.qmp_fd = 5};

	_cleanup_strv_free_ char **argv = build_ok(&def, &p);
	_cleanup_free_ char *all = join_lines(argv);
	assert_string_equal(argv[0], QEMU_DEFAULT_EMULATOR);
	assert_non_null(strstr(all, "\n-chardev\nfile,id=charconsole0,path=/tmp/out,,put\n"
				    "-device\nsclplmconsole,chardev=charconsole0,id=console0\n"));
	/* connect mode: no server; its own log, appended off by default. */
	assert_non_null(strstr(all,
			       "\n-chardev\nsocket,id=charconsole1,path=/run/c.sock,logfile=/var/log/c.log,"
			       "logappend=off\n-device\nsclpconsole,chardev=charconsole1,id=console1\n"));
	/* No address: QEMU assigns one. */
	assert_non_null(strstr(all, "\n-device\nvirtio-balloon-ccw,id=balloon0\n"));
	assert_null(strstr(all, "logfile=/var/log/zvirtd"));
}

/* A log pump's pipe for the default console log: QEMU gets it through
 * -add-fd and opens /dev/fdset/N (appending: a pipe cannot be truncated);
 * a console with its own <log> keeps it; no console wanting it, no fd. */
static void test_console_log_fd(void **state)
{
	DomainDef def = minimal_def();
	ConsoleDef consoles[2] = {
		{.type = CONSOLE_TYPE_PTY,
		 .target = CONSOLE_TARGET_SCLP,
		 .log_file = (char *)"/var/log/own.log",
		 .info = {.alias = (char *)"console0"}},
		{.type = CONSOLE_TYPE_PTY,
		 .target = CONSOLE_TARGET_SCLPLM,
		 .info = {.alias = (char *)"console1"}},
	};
	def.consoles = consoles;
	def.n_consoles = 2;
	QemuCmdlineParams p = {.qmp_fd = 3, .default_console_log = "/unused", .default_console_log_fd = 7};

	_cleanup_strv_free_ char **argv = build_ok(&def, &p);
	_cleanup_free_ char *all = join_lines(argv);
	assert_non_null(strstr(all, "\n-add-fd\nfd=7,set=1\n-chardev\n"
				    "pty,id=charconsole0,logfile=/var/log/own.log,logappend=off\n"));
	assert_non_null(strstr(all, "\n-chardev\npty,id=charconsole1,logfile=/dev/fdset/1,logappend=on\n"));
	assert_null(strstr(all, "/unused"));

	/* Every console has its own log: the descriptor is not passed. */
	consoles[1].log_file = (char *)"/var/log/own2.log";
	_cleanup_strv_free_ char **argv2 = build_ok(&def, &p);
	_cleanup_free_ char *all2 = join_lines(argv2);
	assert_null(strstr(all2, "-add-fd"));
	assert_null(strstr(all2, "fdset"));
}

static void test_accelerator(void **state)
{
	DomainDef def = minimal_def();
	QemuCmdlineParams kvm = {.use_kvm = true, .qmp_fd = 3};
	QemuCmdlineParams tcg = {.use_kvm = false, .qmp_fd = 3};

	_cleanup_strv_free_ char **a = build_ok(&def, &kvm);
	_cleanup_strv_free_ char **b = build_ok(&def, &tcg);
	assert_string_equal(a[7], "s390-ccw-virtio,accel=kvm");
	assert_string_equal(a[9], "host");
	assert_string_equal(b[7], "s390-ccw-virtio,accel=tcg");
	assert_string_equal(b[9], "qemu");

	/* type='qemu' is emulated even where KVM is offered. */
	def.virt_type = DOMAIN_VIRT_QEMU;
	def.dump_core_set = true;
	def.dump_core = true;
	_cleanup_strv_free_ char **c = build_ok(&def, &kvm);
	assert_string_equal(c[7], "s390-ccw-virtio,accel=tcg,dump-guest-core=on");
	assert_string_equal(c[9], "qemu");

	/* vcpu current defaults to the maximum. */
	def.vcpus_max = 3;
	def.vcpus_current = 0;
	_cleanup_strv_free_ char **d = build_ok(&def, &tcg);
	assert_string_equal(d[12], "-smp");
	assert_string_equal(d[13], "3,maxcpus=3");
}

/* Each cache mode as libvirt maps it. */
static void test_cache_modes(void **state)
{
	static const struct {
		DiskCache cache;
		const char *cache_json; /* NULL: no cache object */
		const char *write_cache;
	} table[] = {
		{DISK_CACHE_DEFAULT, NULL, NULL},
		{DISK_CACHE_NONE, "{\"direct\":true,\"no-flush\":false}", "on"},
		{DISK_CACHE_WRITETHROUGH, "{\"direct\":false,\"no-flush\":false}", "off"},
		{DISK_CACHE_WRITEBACK, "{\"direct\":false,\"no-flush\":false}", "on"},
		{DISK_CACHE_DIRECTSYNC, "{\"direct\":true,\"no-flush\":false}", "off"},
		{DISK_CACHE_UNSAFE, "{\"direct\":false,\"no-flush\":true}", "on"},
	};

	for (size_t i = 0; i < ELEMENTSOF(table); i++) {
		DiskDef disk = raw_disk("vdc", "/img", 7, "virtio-disk8");
		ZvError err = ZV_ERROR_INIT;
		_cleanup_(json_object_putp) json_object *storage = NULL, *format = NULL, *device = NULL;

		disk.cache = table[i].cache;
		assert_int_equal(qemu_disk_blockdev_props(&disk, &storage, &format, &err), 0);
		assert_int_equal(qemu_disk_device_props(&disk, &device, &err), 0);

		json_object *v;
		assert_string_equal(json_object_get_string(json_object_object_get(storage, "node-name")),
				    "virtio-disk8-storage");
		assert_string_equal(json_object_get_string(json_object_object_get(format, "file")),
				    "virtio-disk8-storage");
		assert_string_equal(json_object_get_string(json_object_object_get(device, "drive")),
				    "virtio-disk8-format");
		assert_string_equal(json_object_get_string(json_object_object_get(device, "id")),
				    "virtio-disk8");
		assert_string_equal(json_object_get_string(json_object_object_get(device, "devno")),
				    "fe.0.0007");
		if (table[i].cache_json) {
			assert_true(json_object_object_get_ex(storage, "cache", &v));
			assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
					    table[i].cache_json);
			assert_true(json_object_object_get_ex(format, "cache", &v));
			assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
					    table[i].cache_json);
			assert_true(json_object_object_get_ex(device, "write-cache", &v));
			assert_string_equal(json_object_get_string(v), table[i].write_cache);
		} else {
			assert_false(json_object_object_get_ex(storage, "cache", NULL));
			assert_false(json_object_object_get_ex(format, "cache", NULL));
			assert_false(json_object_object_get_ex(device, "write-cache", NULL));
		}
		/* raw has no backing file to cut. */
		assert_false(json_object_object_get_ex(format, "backing", NULL));
	}

	/* qcow2: "backing": null, so QEMU never opens the backing file the
	 * image header names (no <backingStore> in definitions). */
	{
		DiskDef disk = raw_disk("vdc", "/img.qcow2", 7, "virtio-disk8");
		disk.format = DISK_FORMAT_QCOW2;
		ZvError err = ZV_ERROR_INIT;
		_cleanup_(json_object_putp) json_object *storage = NULL, *format = NULL;
		assert_int_equal(qemu_disk_blockdev_props(&disk, &storage, &format, &err), 0);
		json_object *v = (json_object *)1;
		assert_true(json_object_object_get_ex(format, "backing", &v));
		assert_null(v);
		assert_false(json_object_object_get_ex(storage, "backing", NULL));
	}

	char storage[QEMU_NODE_NAME_MAX], format[QEMU_NODE_NAME_MAX];
	assert_int_equal(qemu_disk_node_names("virtio-disk12", storage, format), 0);
	assert_string_equal(storage, "virtio-disk12-storage");
	assert_string_equal(format, "virtio-disk12-format");
	/* The longest alias the conf layer allows fits QEMU's 31. */
	assert_int_equal(qemu_disk_node_names("ua-abcdefghijklmnopqrst", storage, format), 0);
	assert_string_equal(storage, "ua-abcdefghijklmnopqrst-storage");
	assert_int_equal(strlen(storage), 31);
	assert_int_equal(qemu_disk_node_names("ua-abcdefghijklmnopqrstu", storage, format), -ENAMETOOLONG);
	assert_int_equal(qemu_disk_node_names(NULL, storage, format), -ENAMETOOLONG);
}

static void expect_error(const DomainDef *def, const QemuCmdlineParams *p, ZvErrorCode code,
			 const char *part)
{
	ZvError err = ZV_ERROR_INIT;
	char **argv = NULL;
	assert_int_equal(qemu_build_argv(def, p, &argv, &err), -EINVAL);
	assert_null(argv);
	assert_int_equal(err.code, code);
	if (!strstr(err.message, part))
		fail_msg("error '%s' does not mention '%s'", err.message, part);
}

static void test_refused(void **state)
{
	QemuCmdlineParams p = {.qmp_fd = 3};
	DiskDef disk = raw_disk("vdz", "/img", 1, "virtio-disk0");
	DomainDef def = minimal_def();
	def.disks = &disk;
	def.n_disks = 1;

	disk.device = DISK_DEVICE_CDROM;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "'vdz'");
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "cdrom");
	disk.source = NULL; /* an empty cdrom is refused the same way */
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "cdrom");

	disk.device = DISK_DEVICE_DISK;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "'vdz' has no source");
	disk.source = (char *)"/img";

	disk.io = DISK_IO_NATIVE;
	disk.cache = DISK_CACHE_WRITEBACK;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "io='native'");
	disk.cache = DISK_CACHE_DIRECTSYNC;
	_cleanup_strv_free_ char **ok = build_ok(&def, &p);
	assert_non_null(ok);

	ConsoleDef consoles[2] = {
		{.type = CONSOLE_TYPE_PTY,
		 .target = CONSOLE_TARGET_SCLP,
		 .info = {.alias = (char *)"console0"}},
		{.type = CONSOLE_TYPE_PTY,
		 .target = CONSOLE_TARGET_SCLP,
		 .info = {.alias = (char *)"console1"}},
	};
	def.consoles = consoles;
	def.n_consoles = 2;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "one console per SCLP target");
	consoles[1].target = CONSOLE_TARGET_SCLPLM;
	consoles[1].type = CONSOLE_TYPE_FILE;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "no source path");
	def.n_consoles = 1;

	QemuCmdlineParams no_monitor = {.qmp_fd = -1};
	expect_error(&def, &no_monitor, ZV_ERROR_INVALID_ARGUMENT, "QMP");

	def.memory_kib = 0;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "memory");
	def.memory_kib = 1024;
	def.vcpus_current = 2;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "vCPUs");
}

/* Every device is named by its alias; a definition without them (the
 * driver did not assign them) is refused. */
static void test_aliases(void **state)
{
	QemuCmdlineParams p = {.qmp_fd = 3};
	DiskDef disk = raw_disk("vda", "/img", 1, "ua-boot");
	ConsoleDef console = {
		.type = CONSOLE_TYPE_FILE,
		.target = CONSOLE_TARGET_SCLP,
		.source_path = (char *)"/var/log/out",
		.info = {.alias = (char *)"ua-serial_1"},
	};
	DomainDef def = minimal_def();
	def.disks = &disk;
	def.n_disks = 1;
	def.consoles = &console;
	def.n_consoles = 1;
	def.memballoon.info.alias = (char *)"ua-balloon";

	_cleanup_strv_free_ char **argv = build_ok(&def, &p);
	_cleanup_free_ char *all = join_lines(argv);
	assert_non_null(strstr(all, "\"node-name\":\"ua-boot-storage\""));
	assert_non_null(strstr(
		all, "\"node-name\":\"ua-boot-format\",\"driver\":\"raw\",\"file\":\"ua-boot-storage\""));
	assert_non_null(
		strstr(all, "\n-device\nvirtio-blk-ccw,devno=fe.0.0001,drive=ua-boot-format,id=ua-boot\n"));
	assert_non_null(strstr(all, "\n-chardev\nfile,id=charua-serial_1,path=/var/log/out\n"
				    "-device\nsclpconsole,chardev=charua-serial_1,id=ua-serial_1\n"));
	assert_non_null(strstr(all, "\n-device\nvirtio-balloon-ccw,id=ua-balloon,devno=fe.0.0000\n"));

	disk.info.alias = NULL;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "Disk 'vda' has no alias");
	disk.info.alias = (char *)"ua-abcdefghijklmnopqrstu"; /* 24: node names would be 32 */
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "is too long for QEMU's block node names");
	disk.info.alias = (char *)"ua-a,b";
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "alias 'ua-a,b' is not a QEMU id");
	disk.info.alias = (char *)"virtio-disk0";

	console.info.alias = NULL;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "Console 0 has no alias");
	console.info.alias = (char *)"console0";

	def.memballoon.info.alias = NULL;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "The memballoon has no alias");
	/* No balloon device, no alias needed. */
	def.memballoon.model = MEMBALLOON_MODEL_NONE;
	_cleanup_strv_free_ char **none = build_ok(&def, &p);
	_cleanup_free_ char *none_all = join_lines(none);
	assert_null(strstr(none_all, "virtio-balloon-ccw"));
}

static void test_escape_and_quote(void **state)
{
	_cleanup_free_ char *a = qemu_opt_escape("a,b,,c");
	_cleanup_free_ char *b = qemu_opt_escape("");
	_cleanup_free_ char *c = qemu_opt_escape(",");
	assert_string_equal(a, "a,,b,,,,c");
	assert_string_equal(b, "");
	assert_string_equal(c, ",,");

	char *argv[] = {(char *)"/usr/bin/qemu-system-s390x",
			(char *)"-name",
			(char *)"guest=a b,debug-threads=on",
			(char *)"-blockdev",
			(char *)"{\"driver\":\"file\"}",
			(char *)"it's",
			(char *)"",
			(char *)"$HOME",
			NULL};
	_cleanup_free_ char *s = qemu_argv_to_string(argv);
	assert_string_equal(s, "/usr/bin/qemu-system-s390x -name 'guest=a b,debug-threads=on' "
			       "-blockdev '{\"driver\":\"file\"}' 'it'\\''s' '' '$HOME'");
}

/* --- watchdog, rng, key wrapping, loadparm, boot menu -------------------- */

static void test_machine_devices(void **state)
{
	DomainDef def = minimal_def();
	DiskDef disks[2] = {raw_disk("vda", "/i/a.img", 0, "virtio-disk0"),
			    raw_disk("vdb", "/i/b.img", 1, "virtio-disk1")};
	WatchdogDef watchdog = {.model = WATCHDOG_MODEL_DIAG288,
				.action = WATCHDOG_ACTION_INJECT_NMI,
				.info = {.alias = (char *)"watchdog0"}};
	RngDef rng = {.model = RNG_MODEL_VIRTIO,
		      .backend = RNG_BACKEND_RANDOM,
		      .source = (char *)"/dev/random",
		      .info = {.alias = (char *)"rng0", .address = ccw(3)}};
	/* libvirt takes the loadparm of the disk that boots first. */
	disks[0].info.boot_order = 2;
	disks[0].info.loadparm = (char *)"OTHER";
	disks[1].info.boot_order = 1;
	disks[1].info.loadparm = (char *)"SYSTEM 1";
	def.disks = disks;
	def.n_disks = 2;
	def.memballoon.info.address = ccw(2);
	def.watchdog = &watchdog;
	def.rng = &rng;
	def.keywrap_aes = TRISTATE_ON;
	def.keywrap_dea = TRISTATE_OFF;
	def.dump_core_set = true;
	def.dump_core = true;
	def.bootmenu = TRISTATE_ON;
	def.bootmenu_timeout_set = true;
	def.bootmenu_timeout = 3000;
	QemuCmdlineParams p = {.qmp_fd = 3};

	_cleanup_strv_free_ char **argv = build_ok(&def, &p);
	/* clang-format off */
	const char *const expected[] = {
		"/usr/bin/qemu-system-s390x",
		"-name", "guest=minimal,debug-threads=on",
		"-uuid", UUID_STR,
		"-S",
		"-machine", "s390-ccw-virtio,accel=tcg,aes-key-wrap=on,dea-key-wrap=off,dump-guest-core=on,"
			    "loadparm=SYSTEM 1",
		"-cpu", "qemu",
		"-m", "size=524288k",
		"-smp", "1,maxcpus=1",
		"-no-user-config",
		"-nodefaults",
		"-chardev", "socket,id=charmonitor,fd=3,server=on,wait=off",
		"-mon", "chardev=charmonitor,id=monitor,mode=control",
		"-display", "none",
		"-no-shutdown",
		"-action", "panic=pause",
		"-boot", "menu=on,splash-time=3000,strict=on",
		"-blockdev", "{\"driver\":\"file\",\"filename\":\"/i/a.img\",\"node-name\":\"virtio-disk0-storage\","
			     "\"read-only\":false,\"discard\":\"unmap\",\"auto-read-only\":true}",
		"-blockdev", "{\"node-name\":\"virtio-disk0-format\",\"driver\":\"raw\",\"file\":\"virtio-disk0-storage\","
			     "\"read-only\":false}",
		"-device", "virtio-blk-ccw,devno=fe.0.0000,drive=virtio-disk0-format,id=virtio-disk0,bootindex=2",
		"-blockdev", "{\"driver\":\"file\",\"filename\":\"/i/b.img\",\"node-name\":\"virtio-disk1-storage\","
			     "\"read-only\":false,\"discard\":\"unmap\",\"auto-read-only\":true}",
		"-blockdev", "{\"node-name\":\"virtio-disk1-format\",\"driver\":\"raw\",\"file\":\"virtio-disk1-storage\","
			     "\"read-only\":false}",
		"-device", "virtio-blk-ccw,devno=fe.0.0001,drive=virtio-disk1-format,id=virtio-disk1,bootindex=1",
		"-device", "diag288,id=watchdog0",
		"-watchdog-action", "inject-nmi",
		"-device", "virtio-balloon-ccw,id=balloon0,devno=fe.0.0002",
		"-object", "{\"qom-type\":\"rng-random\",\"id\":\"objrng0\",\"filename\":\"/dev/random\"}",
		"-device", "virtio-rng-ccw,rng=objrng0,id=rng0,devno=fe.0.0003",
		"-sandbox", SANDBOX,
		"-msg", "timestamp=on",
		NULL,
	};
	/* clang-format on */
	assert_argv(argv, expected);

	/* No loadparm on the first boot device: none on the machine; a menu
	 * that is off, without a timeout; one cipher only. */
	disks[1].info.loadparm = NULL;
	def.bootmenu = TRISTATE_OFF;
	def.bootmenu_timeout_set = false;
	def.keywrap_aes = TRISTATE_ABSENT;
	def.dump_core_set = false;
	_cleanup_strv_free_ char **argv2 = build_ok(&def, &p);
	assert_string_equal(argv2[6], "-machine");
	assert_string_equal(argv2[7], "s390-ccw-virtio,accel=tcg,dea-key-wrap=off");
	bool boot = false;
	for (char **a = argv2; *a; a++)
		if (strcmp(*a, "-boot") == 0) {
			assert_string_equal(a[1], "menu=off,strict=on");
			boot = true;
		}
	assert_true(boot);
}

static void test_watchdog_actions(void **state)
{
	static const struct {
		WatchdogAction action;
		const char *qemu;
	} map[] = {
		{WATCHDOG_ACTION_RESET, "reset"},
		{WATCHDOG_ACTION_SHUTDOWN, "shutdown"},
		{WATCHDOG_ACTION_POWEROFF, "poweroff"},
		{WATCHDOG_ACTION_PAUSE, "pause"},
		/* QEMU pauses; the daemon dumps and resumes. */
		{WATCHDOG_ACTION_DUMP, "pause"},
		{WATCHDOG_ACTION_INJECT_NMI, "inject-nmi"},
		{WATCHDOG_ACTION_NONE, "none"},
	};
	assert_int_equal(ELEMENTSOF(map), _WATCHDOG_ACTION_MAX);
	for (size_t i = 0; i < ELEMENTSOF(map); i++) {
		DomainDef def = minimal_def();
		WatchdogDef w = {.action = map[i].action, .info = {.alias = (char *)"ua-wd"}};
		def.watchdog = &w;
		QemuCmdlineParams p = {.qmp_fd = 3};
		_cleanup_strv_free_ char **argv = build_ok(&def, &p);
		bool seen = false;
		for (char **a = argv; *a; a++)
			if (strcmp(*a, "-watchdog-action") == 0) {
				assert_string_equal(a[1], map[i].qemu);
				assert_string_equal(a[-1], "diag288,id=ua-wd");
				seen = true;
			}
		assert_true(seen);
		assert_string_equal(qemu_watchdog_action(map[i].action), map[i].qemu);
	}
	assert_null(qemu_watchdog_action(_WATCHDOG_ACTION_MAX));

	/* The same device for device_add (hot-plug is refused, but the
	 * properties are one definition). */
	WatchdogDef w = {.info = {.alias = (char *)"watchdog0"}};
	_cleanup_(json_object_putp) json_object *props = NULL;
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(qemu_watchdog_device_props(&w, &props, &err), 0);
	assert_string_equal(json_object_to_json_string_ext(props, JSON_C_TO_STRING_PLAIN),
			    "{\"driver\":\"diag288\",\"id\":\"watchdog0\"}");
}

static void test_rng_props(void **state)
{
	RngDef rng = {.source = (char *)"/dev/random", .info = {.alias = (char *)"ua-r"}};
	_cleanup_(json_object_putp) json_object *object = NULL, *device = NULL;
	ZvError err = ZV_ERROR_INIT;

	/* No address yet: QEMU would pick the devno (only a hand-built
	 * definition has none). */
	assert_int_equal(qemu_rng_object_props(&rng, &object, &err), 0);
	assert_int_equal(qemu_rng_device_props(&rng, &device, &err), 0);
	assert_string_equal(json_object_to_json_string_ext(object, JSON_C_TO_STRING_PLAIN |
									   JSON_C_TO_STRING_NOSLASHESCAPE),
			    "{\"qom-type\":\"rng-random\",\"id\":\"objua-r\",\"filename\":\"/dev/random\"}");
	assert_string_equal(json_object_to_json_string_ext(device, JSON_C_TO_STRING_PLAIN),
			    "{\"driver\":\"virtio-rng-ccw\",\"rng\":\"objua-r\",\"id\":\"ua-r\"}");

	/* What the conf layer never makes is refused, naming the device. */
	DomainDef def = minimal_def();
	QemuCmdlineParams p = {.qmp_fd = 3};
	RngDef urandom = {.source = (char *)"/dev/urandom", .info = {.alias = (char *)"rng0"}};
	def.rng = &urandom;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "The rng: only a virtio one reading /dev/random");
	RngDef unnamed = {.source = (char *)"/dev/random"};
	def.rng = &unnamed;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "The rng has no alias");
	def.rng = NULL;
	WatchdogDef unnamed_wd = {};
	def.watchdog = &unnamed_wd;
	expect_error(&def, &p, ZV_ERROR_INVALID_ARGUMENT, "The watchdog has no alias");
}

/* --- the argv against the real QEMU -------------------------------------- */

static char *find_qemu(void)
{
	const char *env = getenv("ZVIRTD_TEST_QEMU");
	if (env && *env)
		return access(env, X_OK) == 0 ? strdup(env) : NULL;

	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path && *path ? path : "/usr/bin:/bin");
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = NULL;
		if (asprintf(&candidate, "%s/qemu-system-s390x", dir) < 0)
			return NULL;
		if (access(candidate, X_OK) == 0)
			return candidate;
		free(candidate);
	}
	return NULL;
}

static int unix_socket_address(const char *path, struct sockaddr_un *sa)
{
	*sa = (struct sockaddr_un){.sun_family = AF_UNIX};
	assert_true(strlen(path) < sizeof(sa->sun_path));
	strcpy(sa->sun_path, path);
	return 0;
}

static int connect_retry(const char *path)
{
	struct sockaddr_un sa;
	unix_socket_address(path, &sa);
	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		usleep(50 * 1000);
	}
	return -1;
}

/* The QEMU a test started: the teardown kills it if the test failed. */
static pid_t qemu_pid;

static int kill_qemu(void **state)
{
	if (qemu_pid > 0) {
		kill(qemu_pid, SIGKILL);
		waitpid(qemu_pid, NULL, 0);
		qemu_pid = 0;
	}
	return 0;
}

/* Starts argv with stdout on /dev/null (QEMU announces its ptys there). */
static pid_t spawn_quiet(const char *path, char **argv)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0), 0);
	assert_int_equal(posix_spawn(&pid, path, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* A blocking QMP exchange, good enough for a test. */
typedef struct Mon {
	int fd;
	char buf[1 << 16];
	size_t len;
} Mon;

static json_object *mon_read(Mon *m)
{
	for (;;) {
		char *nl = memchr(m->buf, '\n', m->len);
		if (nl) {
			size_t l = (size_t)(nl - m->buf) + 1;
			*nl = 0;
			json_object *o = json_tokener_parse(m->buf);
			memmove(m->buf, m->buf + l, m->len - l);
			m->len -= l;
			assert_non_null(o);
			return o;
		}
		assert_true(m->len < sizeof(m->buf) - 1);
		ssize_t n = read(m->fd, m->buf + m->len, sizeof(m->buf) - 1 - m->len);
		assert_true(n > 0);
		m->len += (size_t)n;
		m->buf[m->len] = 0;
	}
}

/* Runs one command; returns its "return" (events are skipped). */
static json_object *mon_call(Mon *m, const char *command)
{
	_cleanup_free_ char *line = NULL;
	assert_true(asprintf(&line, "{\"execute\": \"%s\"}\r\n", command) > 0);
	assert_int_equal(write(m->fd, line, strlen(line)), (ssize_t)strlen(line));
	for (;;) {
		_cleanup_(json_object_putp) json_object *o = mon_read(m);
		json_object *ret;
		if (json_object_object_get_ex(o, "event", NULL))
			continue;
		if (!json_object_object_get_ex(o, "return", &ret))
			fail_msg("%s failed: %s", command, json_object_to_json_string(o));
		return json_object_get(ret);
	}
}

/* A command with arguments (a JSON object text). */
static json_object *mon_call_args(Mon *m, const char *command, const char *arguments)
{
	_cleanup_free_ char *line = NULL;
	assert_true(asprintf(&line, "{\"execute\": \"%s\", \"arguments\": %s}\r\n", command, arguments) > 0);
	assert_int_equal(write(m->fd, line, strlen(line)), (ssize_t)strlen(line));
	for (;;) {
		_cleanup_(json_object_putp) json_object *o = mon_read(m);
		json_object *ret;
		if (json_object_object_get_ex(o, "event", NULL))
			continue;
		if (!json_object_object_get_ex(o, "return", &ret))
			fail_msg("%s failed: %s", command, json_object_to_json_string(o));
		return json_object_get(ret);
	}
}

static bool block_has(json_object *blocks, const char *id, const char *node, const char *file, bool ro)
{
	for (size_t i = 0; i < json_object_array_length(blocks); i++) {
		json_object *b = json_object_array_get_idx(blocks, i);
		json_object *inserted = json_object_object_get(b, "inserted");
		const char *qdev = json_object_get_string(json_object_object_get(b, "qdev"));
		if (!inserted || !qdev || !strstr(qdev, id))
			continue;
		return strcmp(json_object_get_string(json_object_object_get(inserted, "node-name")), node) ==
			       0 &&
		       strcmp(json_object_get_string(json_object_object_get(inserted, "file")), file) == 0 &&
		       json_object_get_boolean(json_object_object_get(inserted, "ro")) == ro;
	}
	return false;
}

static void write_file(const char *path, size_t size)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
}

/* ---- SCSI: controllers, disks, cdroms, hostdevs, backing chains ----- */

/* The definition of the SCSI tests: what libvirt's parse makes of a
 * virtio-scsi controller with a CD/DVD, an empty drive, a shared SCSI
 * disk and a tape, beside a qcow2 virtio disk with a backing chain. */
typedef struct ScsiDomain {
	DomainDef def;
	DiskDef disks[4];
	DiskBackingStore backing[2];
	ControllerDef controllers[2];
	HostdevDef hostdev;
} ScsiDomain;

static void scsi_domain(ScsiDomain *s, const char *cd, const char *top, const char *base, const char *golden,
			const char *sg)
{
	*s = (ScsiDomain){.def = minimal_def()};
	s->def.memballoon.info.address = ccw(1);
	s->controllers[0] = (ControllerDef){
		.type = CONTROLLER_TYPE_SCSI,
		.model = CONTROLLER_MODEL_VIRTIO_SCSI,
		.index = 0,
		.info = {.alias = (char *)"scsi0", .address = ccw(2)},
	};
	s->controllers[1] = (ControllerDef){
		.type = CONTROLLER_TYPE_PCI,
		.model = CONTROLLER_MODEL_PCI_ROOT,
		.info = {.alias = (char *)"pci"},
	};
	s->backing[0] = (DiskBackingStore){
		.type = DISK_TYPE_FILE, .format = DISK_FORMAT_QCOW2, .source = (char *)base};
	s->backing[1] = (DiskBackingStore){
		.type = DISK_TYPE_FILE, .format = DISK_FORMAT_RAW, .source = (char *)golden};
	s->disks[0] = raw_disk("vda", top, 0, "virtio-disk0");
	s->disks[0].format = DISK_FORMAT_QCOW2;
	s->disks[0].backing = s->backing;
	s->disks[0].n_backing = 2;
	s->disks[0].backing_terminated = true;
	s->disks[0].error_policy = DISK_ERROR_POLICY_ENOSPACE;
	s->disks[0].serial = (char *)"S-1";
	s->disks[1] = (DiskDef){
		.type = DISK_TYPE_FILE,
		.device = DISK_DEVICE_CDROM,
		.format = DISK_FORMAT_RAW,
		.cache = DISK_CACHE_NONE,
		.source = (char *)cd,
		.target = (char *)"sda",
		.bus = DISK_BUS_SCSI,
		.readonly = true,
		.info = {.alias = (char *)"scsi0-0-0-0", .boot_order = 1, .drive = {.assigned = true}},
	};
	s->disks[2] = (DiskDef){
		.type = DISK_TYPE_FILE,
		.device = DISK_DEVICE_CDROM,
		.format = DISK_FORMAT_RAW,
		.target = (char *)"sdb",
		.bus = DISK_BUS_SCSI,
		.readonly = true,
		.info = {.alias = (char *)"scsi0-0-0-1", .drive = {.assigned = true, .unit = 1}},
	};
	s->disks[3] = (DiskDef){
		.type = DISK_TYPE_FILE,
		.device = DISK_DEVICE_DISK,
		.format = DISK_FORMAT_RAW,
		.source = (char *)golden,
		.target = (char *)"sdh",
		.bus = DISK_BUS_SCSI,
		.shareable = true,
		.error_policy = DISK_ERROR_POLICY_STOP,
		.geometry_cyls = 4,
		.geometry_heads = 16,
		.geometry_secs = 32,
		.logical_block_size = 512,
		.physical_block_size = 4096,
		.info = {.alias = (char *)"scsi0-0-3-7",
			 .drive = {.assigned = true, .target = 3, .unit = 7}},
	};
	s->hostdev = (HostdevDef){
		.adapter = (char *)"scsi_host3",
		.host_target = 8,
		.readonly = true,
		.live_sg_path = (char *)sg,
		.info = {.alias = (char *)"hostdev0", .drive = {.assigned = true, .unit = 2}},
	};
	s->def.disks = s->disks;
	s->def.n_disks = 4;
	s->def.controllers = s->controllers;
	s->def.n_controllers = 2;
	s->def.hostdevs = &s->hostdev;
	s->def.n_hostdevs = sg ? 1 : 0;
}

/* The index of the first argument equal to s, or fails. */
static size_t argv_find(char **argv, const char *s)
{
	for (size_t i = 0; argv[i]; i++)
		if (strcmp(argv[i], s) == 0)
			return i;
	fail_msg("argv has no '%s'", s);
	return 0;
}

/* Device properties as the argv writes them ("driver,key=value,..."),
 * for comparing a builder's object with the argv. No commas here. */
static char *props_opts(json_object *props)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	bool first = true;
	assert_non_null(f);
	json_object_object_foreach(props, key, val)
	{
		if (!first)
			fprintf(f, ",%s=", key);
		if (json_object_is_type(val, json_type_boolean))
			fputs(json_object_get_boolean(val) ? "on" : "off", f);
		else
			fputs(json_object_get_string(val), f);
		first = false;
	}
	fclose(f);
	return buf;
}

static char *json_plain(json_object *o)
{
	return strdup(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* What libvirt's command line has for the same devices (its
 * tests/qemuxml2argvdata s390 and virtio-scsi cases), in its order:
 * controllers, disks (deepest backing layer first), consoles, hostdevs,
 * the balloon. */
static void test_scsi_argv(void **state)
{
	ScsiDomain s;
	scsi_domain(&s, "/cd.iso", "/top.qcow2", "/base.qcow2", "/golden.raw", "/dev/sg3");
	QemuCmdlineParams p = {.qmp_fd = 3};
	_cleanup_strv_free_ char **argv = build_ok(&s.def, &p);

	size_t first = argv_find(argv, "virtio-scsi-ccw,id=scsi0,devno=fe.0.0002") - 1;
	/* clang-format off */
	const char *const expected[] = {
		"-device", "virtio-scsi-ccw,id=scsi0,devno=fe.0.0002",
		"-blockdev", "{\"driver\":\"file\",\"filename\":\"/golden.raw\",\"node-name\":\"virtio-disk0-s2\",\"read-only\":true,\"discard\":\"unmap\",\"auto-read-only\":true}",
		"-blockdev", "{\"node-name\":\"virtio-disk0-f2\",\"driver\":\"raw\",\"file\":\"virtio-disk0-s2\",\"read-only\":true}",
		"-blockdev", "{\"driver\":\"file\",\"filename\":\"/base.qcow2\",\"node-name\":\"virtio-disk0-s1\",\"read-only\":true,\"discard\":\"unmap\",\"auto-read-only\":true}",
		"-blockdev", "{\"node-name\":\"virtio-disk0-f1\",\"driver\":\"qcow2\",\"file\":\"virtio-disk0-s1\",\"read-only\":true,\"backing\":\"virtio-disk0-f2\"}",
		"-blockdev", "{\"driver\":\"file\",\"filename\":\"/top.qcow2\",\"node-name\":\"virtio-disk0-storage\",\"read-only\":false,\"discard\":\"unmap\",\"auto-read-only\":true}",
		"-blockdev", "{\"node-name\":\"virtio-disk0-format\",\"driver\":\"qcow2\",\"file\":\"virtio-disk0-storage\",\"read-only\":false,\"backing\":\"virtio-disk0-f1\"}",
		"-device", "virtio-blk-ccw,devno=fe.0.0000,drive=virtio-disk0-format,id=virtio-disk0,serial=S-1,werror=enospc",
		"-blockdev", "{\"driver\":\"file\",\"filename\":\"/cd.iso\",\"node-name\":\"scsi0-0-0-0-storage\",\"read-only\":true,\"cache\":{\"direct\":true,\"no-flush\":false},\"discard\":\"unmap\",\"auto-read-only\":true}",
		"-blockdev", "{\"node-name\":\"scsi0-0-0-0-format\",\"driver\":\"raw\",\"file\":\"scsi0-0-0-0-storage\",\"read-only\":true,\"cache\":{\"direct\":true,\"no-flush\":false}}",
		"-device", "scsi-cd,bus=scsi0.0,channel=0,scsi-id=0,lun=0,device_id=drive-scsi0-0-0-0,drive=scsi0-0-0-0-format,id=scsi0-0-0-0,bootindex=1,write-cache=on",
		/* The empty drive: a device without a drive, no -blockdev. */
		"-device", "scsi-cd,bus=scsi0.0,channel=0,scsi-id=0,lun=1,device_id=drive-scsi0-0-0-1,id=scsi0-0-0-1",
		"-blockdev", "{\"driver\":\"file\",\"filename\":\"/golden.raw\",\"node-name\":\"scsi0-0-3-7-storage\",\"read-only\":false,\"discard\":\"unmap\",\"auto-read-only\":true}",
		"-blockdev", "{\"node-name\":\"scsi0-0-3-7-format\",\"driver\":\"raw\",\"file\":\"scsi0-0-3-7-storage\",\"read-only\":false}",
		"-device", "scsi-hd,bus=scsi0.0,channel=0,scsi-id=3,lun=7,device_id=drive-scsi0-0-3-7,share-rw=on,drive=scsi0-0-3-7-format,id=scsi0-0-3-7,logical_block_size=512,physical_block_size=4096,cyls=4,heads=16,secs=32,werror=stop,rerror=stop",
		"-blockdev", "{\"driver\":\"host_device\",\"filename\":\"/dev/sg3\",\"node-name\":\"hostdev0-backend\",\"read-only\":true}",
		"-device", "scsi-generic,bus=scsi0.0,channel=0,scsi-id=0,lun=2,drive=hostdev0-backend,id=hostdev0",
		"-device", "virtio-balloon-ccw,id=balloon0,devno=fe.0.0001",
		"-sandbox",
		NULL,
	};
	/* clang-format on */
	size_t n = 0;
	while (expected[n])
		n++;
	_cleanup_strv_free_ char **got = calloc(n + 1, sizeof(char *));
	assert_non_null(got);
	for (size_t i = 0, k = 0; i < n && argv[first + k]; k++) {
		/* the console between the disks and the hostdev is not ours */
		if (strcmp(argv[first + k], "-chardev") == 0 || strncmp(argv[first + k], "pty,", 4) == 0 ||
		    strncmp(argv[first + k], "sclpconsole", 11) == 0 ||
		    (strcmp(argv[first + k], "-device") == 0 && argv[first + k + 1] &&
		     strncmp(argv[first + k + 1], "sclpconsole", 11) == 0))
			continue;
		got[i++] = strdup(argv[first + k]);
	}
	assert_argv(got, expected);
	/* pci-root: nothing on the command line. */
	for (size_t i = 0; argv[i]; i++)
		assert_null(strstr(argv[i], "pci"));
}

/* Hot-plug's builders give what the argv has, object for object. */
static void test_scsi_builders(void **state)
{
	ScsiDomain s;
	ZvError err = ZV_ERROR_INIT;
	scsi_domain(&s, "/cd.iso", "/top.qcow2", "/base.qcow2", "/golden.raw", "/dev/sg3");
	QemuCmdlineParams p = {.qmp_fd = 3};
	_cleanup_strv_free_ char **argv = build_ok(&s.def, &p);

	/* The controller, and the pci-root that has no object. */
	_cleanup_(json_object_putp) json_object *ctrl = NULL, *root = (json_object *)1;
	assert_int_equal(qemu_controller_device_props(&s.controllers[0], &ctrl, &err), 0);
	_cleanup_free_ char *ctrl_opts = props_opts(ctrl);
	argv_find(argv, ctrl_opts);
	assert_int_equal(qemu_controller_device_props(&s.controllers[1], &root, &err), 0);
	assert_null(root);

	for (size_t d = 0; d < s.def.n_disks; d++) {
		_cleanup_(json_object_putp) json_object *chain = NULL, *device = NULL, *storage = NULL,
							*format = NULL;
		assert_int_equal(qemu_disk_blockdev_chain(&s.disks[d], &chain, &err), 0);
		assert_int_equal(qemu_disk_device_props_in(&s.def, &s.disks[d], &device, &err), 0);
		_cleanup_free_ char *dev_opts = props_opts(device);
		size_t at = argv_find(argv, dev_opts);
		/* The chain's nodes are the -blockdev arguments just before. */
		size_t len = json_object_array_length(chain);
		for (size_t i = 0; i < len; i++) {
			_cleanup_free_ char *node = json_plain(json_object_array_get_idx(chain, i));
			assert_string_equal(argv[at - 2 * (len - i)], node);
		}
		/* The top pair alone, as qemu_disk_blockdev_props gives it. */
		assert_int_equal(qemu_disk_blockdev_props(&s.disks[d], &storage, &format, &err), 0);
		if (len == 0) {
			assert_null(storage);
			assert_null(format);
			continue;
		}
		_cleanup_free_ char *st = json_plain(storage), *fo = json_plain(format);
		assert_string_equal(st, json_object_to_json_string_ext(
						json_object_array_get_idx(chain, len - 2),
						JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		assert_string_equal(fo, json_object_to_json_string_ext(
						json_object_array_get_idx(chain, len - 1),
						JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}

	/* Without the definition, libvirt's controller alias scsi<N>. */
	_cleanup_(json_object_putp) json_object *plain = NULL;
	assert_int_equal(qemu_disk_device_props(&s.disks[1], &plain, &err), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(plain, "bus")), "scsi0.0");
	/* A user's controller alias names the bus. */
	s.controllers[0].info.alias = (char *)"ua-hba";
	_cleanup_(json_object_putp) json_object *named = NULL;
	assert_int_equal(qemu_disk_device_props_in(&s.def, &s.disks[1], &named, &err), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(named, "bus")), "ua-hba.0");
	s.controllers[0].info.alias = (char *)"scsi0";

	_cleanup_(json_object_putp) json_object *backend = NULL, *generic = NULL;
	assert_int_equal(qemu_hostdev_blockdev_props(&s.hostdev, &backend, &err), 0);
	assert_int_equal(qemu_hostdev_device_props(&s.def, &s.hostdev, &generic, &err), 0);
	_cleanup_free_ char *be = json_plain(backend), *ge = props_opts(generic);
	size_t at = argv_find(argv, ge);
	assert_string_equal(argv[at - 2], be);
	char node[QEMU_NODE_NAME_MAX];
	assert_int_equal(qemu_hostdev_node_name("hostdev0", node), 0);
	assert_string_equal(node, "hostdev0-backend");
	assert_int_equal(qemu_hostdev_node_name("ua-abcdefghijklmnopqrstu", node), -ENAMETOOLONG);

	/* The error policies as libvirt maps them: rerror follows
	 * error_policy, enospace leaves it alone unless rerror_policy. */
	DiskDef d = raw_disk("vdc", "/img", 7, "virtio-disk8");
	static const struct {
		DiskErrorPolicy w, r;
		const char *werror, *rerror;
	} policies[] = {
		{DISK_ERROR_POLICY_DEFAULT, DISK_ERROR_POLICY_DEFAULT, NULL, NULL},
		{DISK_ERROR_POLICY_STOP, DISK_ERROR_POLICY_DEFAULT, "stop", "stop"},
		{DISK_ERROR_POLICY_IGNORE, DISK_ERROR_POLICY_REPORT, "ignore", "report"},
		{DISK_ERROR_POLICY_REPORT, DISK_ERROR_POLICY_DEFAULT, "report", "report"},
		{DISK_ERROR_POLICY_ENOSPACE, DISK_ERROR_POLICY_DEFAULT, "enospc", NULL},
		{DISK_ERROR_POLICY_ENOSPACE, DISK_ERROR_POLICY_STOP, "enospc", "stop"},
		{DISK_ERROR_POLICY_DEFAULT, DISK_ERROR_POLICY_IGNORE, NULL, "ignore"},
	};
	for (size_t i = 0; i < ELEMENTSOF(policies); i++) {
		_cleanup_(json_object_putp) json_object *o = NULL;
		d.error_policy = policies[i].w;
		d.rerror_policy = policies[i].r;
		assert_int_equal(qemu_disk_device_props(&d, &o, &err), 0);
		json_object *v = NULL;
		if (policies[i].werror) {
			assert_true(json_object_object_get_ex(o, "werror", &v));
			assert_string_equal(json_object_get_string(v), policies[i].werror);
		} else
			assert_false(json_object_object_get_ex(o, "werror", NULL));
		if (policies[i].rerror) {
			assert_true(json_object_object_get_ex(o, "rerror", &v));
			assert_string_equal(json_object_get_string(v), policies[i].rerror);
		} else
			assert_false(json_object_object_get_ex(o, "rerror", NULL));
	}
}

static void test_scsi_refused(void **state)
{
	ScsiDomain s;
	QemuCmdlineParams p = {.qmp_fd = 3};
	scsi_domain(&s, "/cd.iso", "/top.qcow2", "/base.qcow2", "/golden.raw", "/dev/sg3");

	/* A device on a controller that does not exist. */
	s.disks[3].info.drive.controller = 1;
	expect_error(&s.def, &p, ZV_ERROR_INVALID_ARGUMENT, "Disk 'sdh': no SCSI controller 1");
	s.disks[3].info.drive.controller = 0;
	/* A hostdev whose sg node nobody looked up. */
	s.hostdev.live_sg_path = NULL;
	expect_error(&s.def, &p, ZV_ERROR_INVALID_ARGUMENT, "its /dev/sg node is not known");
	s.hostdev.live_sg_path = (char *)"/dev/sg3";
	s.hostdev.info.alias = NULL;
	expect_error(&s.def, &p, ZV_ERROR_INVALID_ARGUMENT, "has no alias");
	s.hostdev.info.alias = (char *)"hostdev0";
	/* A controller without an alias, or of a kind QEMU cannot have here. */
	s.controllers[0].info.alias = NULL;
	expect_error(&s.def, &p, ZV_ERROR_INVALID_ARGUMENT, "SCSI controller 0 has no alias");
	s.controllers[0].info.alias = (char *)"scsi0";
	s.controllers[1].model = CONTROLLER_MODEL_VIRTIO_SCSI;
	s.controllers[1].type = CONTROLLER_TYPE_PCI;
	expect_error(&s.def, &p, ZV_ERROR_INVALID_ARGUMENT, "unsupported type or model");
	s.controllers[1].model = CONTROLLER_MODEL_PCI_ROOT;
	/* An empty drive is a cdrom's only; a SCSI disk needs its address. */
	s.disks[3].source = NULL;
	expect_error(&s.def, &p, ZV_ERROR_INVALID_ARGUMENT, "Disk 'sdh' has no source");
	s.disks[3].source = (char *)"/golden.raw";
	s.disks[3].info.drive.assigned = false;
	expect_error(&s.def, &p, ZV_ERROR_INVALID_ARGUMENT, "Disk 'sdh' has no SCSI address");
	s.disks[3].info.drive.assigned = true;
	/* What the parser refuses is refused here too. */
	s.disks[3].geometry_trans = DISK_GEOMETRY_TRANS_LBA;
	expect_error(&s.def, &p, ZV_ERROR_INVALID_ARGUMENT, "CHS translation");
	s.disks[3].geometry_trans = DISK_GEOMETRY_TRANS_DEFAULT;
	s.disks[1].geometry_cyls = 1;
	expect_error(&s.def, &p, ZV_ERROR_INVALID_ARGUMENT, "a cdrom has no geometry");
	s.disks[1].geometry_cyls = 0;
	s.backing[1].format = DISK_FORMAT_QCOW2;
	s.backing[0].format = DISK_FORMAT_RAW;
	expect_error(&s.def, &p, ZV_ERROR_INVALID_ARGUMENT, "backing store 2");
	s.backing[0].format = DISK_FORMAT_QCOW2;
	s.backing[1].format = DISK_FORMAT_RAW;
	_cleanup_strv_free_ char **ok = build_ok(&s.def, &p);
	assert_non_null(ok);
}

/* Builds the argv, starts it, checks what QEMU made of it, quits.
 * by_fd: the monitor as the daemon does it (an inherited listening
 * socket); else QEMU creates qmp_path itself. */
static void run_real_qemu(bool by_fd)
{
	_cleanup_free_ char *qemu = find_qemu();
	if (!qemu)
		skip();

	char dir[] = "/tmp/zvirtd-test-cmdline-XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *disk1 = NULL, *disk2 = NULL, *qmp_path = NULL, *console_out = NULL, *log = NULL;
	assert_true(asprintf(&disk1, "%s/disk,1.raw", dir) > 0);
	assert_true(asprintf(&disk2, "%s/disk2.raw", dir) > 0);
	assert_true(asprintf(&qmp_path, "%s/mon,itor.sock", dir) > 0);
	assert_true(asprintf(&console_out, "%s/console,lm.out", dir) > 0);
	assert_true(asprintf(&log, "%s/console.log", dir) > 0);
	write_file(disk1, 1 << 20);
	write_file(disk2, 1 << 20);

	DomainDef def = minimal_def();
	/* The second disk has the longest user alias there is: its node names
	 * are exactly QEMU's 31 characters. */
	DiskDef disks[2] = {raw_disk("vda", disk1, 1, "virtio-disk0"),
			    raw_disk("vdb", disk2, 2, "ua-abcdefghijklmnopqrst")};
	disks[0].info.boot_order = 1;
	disks[0].cache = DISK_CACHE_WRITEBACK;
	disks[0].io = DISK_IO_THREADS;
	disks[1].readonly = true;
	disks[1].cache = DISK_CACHE_UNSAFE;
	disks[1].shareable = true;
	ConsoleDef consoles[2] = {
		{.type = CONSOLE_TYPE_PTY,
		 .target = CONSOLE_TARGET_SCLP,
		 .info = {.alias = (char *)"console0"}},
		{.type = CONSOLE_TYPE_FILE,
		 .target = CONSOLE_TARGET_SCLPLM,
		 .source_path = console_out,
		 .info = {.alias = (char *)"ua-sclplm"}},
	};
	def.name = (char *)"real,test";
	def.memory_kib = 256 * 1024;
	def.vcpus_max = 2;
	def.dump_core_set = true;
	def.on_reboot = LIFECYCLE_ACTION_DESTROY;
	def.disks = disks;
	def.n_disks = 2;
	def.consoles = consoles;
	def.n_consoles = 2;
	def.memballoon.info.address = ccw(0x10);
	def.emulator = qemu;

	_cleanup_close_ int listen_fd = -1;
	QemuCmdlineParams p = {.use_kvm = false, .qmp_fd = -1, .default_console_log = log};
	if (by_fd) {
		struct sockaddr_un sa;
		unix_socket_address(qmp_path, &sa);
		/* Not CLOEXEC: QEMU inherits it under this number. */
		listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_true(listen_fd >= 0);
		assert_int_equal(bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(listen_fd, 2), 0);
		p.qmp_fd = listen_fd;
	} else
		p.qmp_path = qmp_path;

	_cleanup_strv_free_ char **argv = build_ok(&def, &p);
	_cleanup_free_ char *line = qemu_argv_to_string(argv);
	print_message("%s\n", line);

	qemu_pid = spawn_quiet(qemu, argv);
	Mon m = {.fd = connect_retry(qmp_path)};
	assert_true(m.fd >= 0);

	_cleanup_(json_object_putp) json_object *greeting = mon_read(&m);
	assert_true(json_object_object_get_ex(greeting, "QMP", NULL));
	json_object_put(mon_call(&m, "qmp_capabilities"));

	_cleanup_(json_object_putp) json_object *status = mon_call(&m, "query-status");
	assert_string_equal(json_object_get_string(json_object_object_get(status, "status")), "prelaunch");

	_cleanup_(json_object_putp) json_object *blocks = mon_call(&m, "query-block");
	if (!block_has(blocks, "virtio-disk0", "virtio-disk0-format", disk1, false) ||
	    !block_has(blocks, "ua-abcdefghijklmnopqrst", "ua-abcdefghijklmnopqrst-format", disk2, true))
		fail_msg("query-block: %s", json_object_to_json_string(blocks));

	_cleanup_(json_object_putp) json_object *name = mon_call(&m, "query-name");
	assert_string_equal(json_object_get_string(json_object_object_get(name, "name")), "real,test");
	_cleanup_(json_object_putp) json_object *uuid = mon_call(&m, "query-uuid");
	assert_string_equal(json_object_get_string(json_object_object_get(uuid, "UUID")), UUID_STR);

	/* The consoles: a pty, and a file (its name has a comma; QEMU's
	 * query-chardev shows no path for files, so the file must exist). */
	_cleanup_(json_object_putp) json_object *chardevs = mon_call(&m, "query-chardev");
	bool pty = false, file = false;
	for (size_t i = 0; i < json_object_array_length(chardevs); i++) {
		json_object *c = json_object_array_get_idx(chardevs, i);
		const char *label = json_object_get_string(json_object_object_get(c, "label"));
		const char *filename = json_object_get_string(json_object_object_get(c, "filename"));
		if (strcmp(label, "charconsole0") == 0)
			pty = strncmp(filename, "pty:/dev/pts/", 13) == 0;
		if (strcmp(label, "charua-sclplm") == 0)
			file = strcmp(filename, "file") == 0;
	}
	if (!pty || !file)
		fail_msg("query-chardev: %s", json_object_to_json_string(chardevs));
	assert_int_equal(access(console_out, F_OK), 0);
	assert_int_equal(access(log, F_OK), 0);

	json_object_put(mon_call(&m, "quit"));
	int code;
	assert_int_equal(waitpid(qemu_pid, &code, 0), qemu_pid);
	qemu_pid = 0;
	assert_true(WIFEXITED(code));
	assert_int_equal(WEXITSTATUS(code), 0);
	close(m.fd);

	unlink(disk1);
	unlink(disk2);
	unlink(qmp_path);
	unlink(console_out);
	unlink(log);
	assert_int_equal(rmdir(dir), 0);
}

/* The block device of qdev id, or NULL. */
static json_object *block_of(json_object *blocks, const char *id)
{
	for (size_t i = 0; i < json_object_array_length(blocks); i++) {
		json_object *b = json_object_array_get_idx(blocks, i);
		const char *qdev = json_object_get_string(json_object_object_get(b, "qdev"));
		if (qdev && strstr(qdev, id))
			return b;
	}
	return NULL;
}

/* The SCSI argv run for real: QEMU takes every property, the cdrom has
 * its medium read-only, the empty drive none, the qcow2 its chain. No
 * hostdev: this machine has no SCSI device to pass through. */
static void test_real_qemu_scsi(void **state)
{
	_cleanup_free_ char *qemu = find_qemu();
	if (!qemu || access("/usr/bin/qemu-img", X_OK) != 0)
		skip();

	char dir[] = "/tmp/zvirtd-test-cmdline-XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *cd = NULL, *top = NULL, *base = NULL, *golden = NULL, *qmp_path = NULL,
			    *cmd = NULL;
	assert_true(asprintf(&cd, "%s/cd.iso", dir) > 0);
	assert_true(asprintf(&top, "%s/top.qcow2", dir) > 0);
	assert_true(asprintf(&base, "%s/base.qcow2", dir) > 0);
	assert_true(asprintf(&golden, "%s/golden.raw", dir) > 0);
	assert_true(asprintf(&qmp_path, "%s/qmp.sock", dir) > 0);
	write_file(cd, 1 << 20);
	write_file(golden, 1 << 20);
	assert_true(asprintf(&cmd,
			     "qemu-img create -q -f qcow2 -F raw -b %s %s && qemu-img create -q -f qcow2 "
			     "-F qcow2 -b %s %s",
			     golden, base, base, top) > 0);
	assert_int_equal(system(cmd), 0);

	ScsiDomain s;
	scsi_domain(&s, cd, top, base, golden, NULL);
	s.def.name = (char *)"real-scsi";
	s.def.memory_kib = 256 * 1024;
	s.def.emulator = qemu;
	s.disks[3].source = golden; /* shared with the chain: read-only there, share-rw here */
	s.disks[3].readonly = true;
	QemuCmdlineParams p = {.use_kvm = false, .qmp_fd = -1, .qmp_path = qmp_path};
	_cleanup_strv_free_ char **argv = build_ok(&s.def, &p);
	_cleanup_free_ char *line = qemu_argv_to_string(argv);
	print_message("%s\n", line);

	qemu_pid = spawn_quiet(qemu, argv);
	Mon m = {.fd = connect_retry(qmp_path)};
	assert_true(m.fd >= 0);
	_cleanup_(json_object_putp) json_object *greeting = mon_read(&m);
	assert_true(json_object_object_get_ex(greeting, "QMP", NULL));
	json_object_put(mon_call(&m, "qmp_capabilities"));

	_cleanup_(json_object_putp) json_object *blocks = mon_call(&m, "query-block");
	if (!block_has(blocks, "scsi0-0-0-0", "scsi0-0-0-0-format", cd, true) ||
	    !block_has(blocks, "virtio-disk0", "virtio-disk0-format", top, false))
		fail_msg("query-block: %s", json_object_to_json_string(blocks));
	/* The empty drive: a removable device with no medium. */
	json_object *empty = block_of(blocks, "scsi0-0-0-1");
	if (!empty || json_object_object_get_ex(empty, "inserted", NULL) ||
	    !json_object_get_boolean(json_object_object_get(empty, "removable")))
		fail_msg("query-block: %s", json_object_to_json_string(blocks));
	/* The chain is the definition's: top, base, golden. */
	json_object *vda = block_of(blocks, "virtio-disk0");
	json_object *image = json_object_object_get(json_object_object_get(vda, "inserted"), "image");
	json_object *b1 = json_object_object_get(image, "backing-image");
	json_object *b2 = json_object_object_get(b1, "backing-image");
	if (!b1 || !b2 ||
	    strcmp(json_object_get_string(json_object_object_get(b1, "filename")), base) != 0 ||
	    strcmp(json_object_get_string(json_object_object_get(b2, "filename")), golden) != 0 ||
	    json_object_object_get_ex(b2, "backing-image", NULL))
		fail_msg("query-block of vda: %s", json_object_to_json_string(vda));

	json_object_put(mon_call(&m, "quit"));
	int code;
	assert_int_equal(waitpid(qemu_pid, &code, 0), qemu_pid);
	qemu_pid = 0;
	assert_true(WIFEXITED(code));
	assert_int_equal(WEXITSTATUS(code), 0);
	close(m.fd);
	unlink(cd);
	unlink(top);
	unlink(base);
	unlink(golden);
	unlink(qmp_path);
	assert_int_equal(rmdir(dir), 0);
}

/* The machine options and devices of test_machine_devices, as QEMU
 * itself reports them: it must take them, under TCG too. */
static void test_real_qemu_machine(void **state)
{
	_cleanup_free_ char *qemu = find_qemu();
	if (!qemu)
		skip();

	char dir[] = "/tmp/zvirtd-test-cmdline-XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *disk = NULL, *qmp_path = NULL;
	assert_true(asprintf(&disk, "%s/boot.raw", dir) > 0);
	assert_true(asprintf(&qmp_path, "%s/qmp.sock", dir) > 0);
	write_file(disk, 1 << 20);

	DomainDef def = minimal_def();
	DiskDef disks[1] = {raw_disk("vda", disk, 0, "virtio-disk0")};
	disks[0].info.boot_order = 1;
	disks[0].info.loadparm = (char *)"SYSTEM1";
	WatchdogDef watchdog = {.action = WATCHDOG_ACTION_DUMP, .info = {.alias = (char *)"watchdog0"}};
	RngDef rng = {.source = (char *)"/dev/random", .info = {.alias = (char *)"rng0", .address = ccw(2)}};
	def.disks = disks;
	def.n_disks = 1;
	def.memballoon.info.address = ccw(1);
	def.watchdog = &watchdog;
	def.rng = &rng;
	def.keywrap_aes = TRISTATE_ON;
	def.keywrap_dea = TRISTATE_OFF;
	def.bootmenu = TRISTATE_ON;
	def.bootmenu_timeout_set = true;
	def.bootmenu_timeout = 1000;
	def.memory_kib = 128 * 1024;
	def.emulator = qemu;
	QemuCmdlineParams p = {.qmp_fd = -1, .qmp_path = qmp_path};

	_cleanup_strv_free_ char **argv = build_ok(&def, &p);
	qemu_pid = spawn_quiet(qemu, argv);
	Mon m = {.fd = connect_retry(qmp_path)};
	assert_true(m.fd >= 0);
	json_object_put(mon_read(&m));
	json_object_put(mon_call(&m, "qmp_capabilities"));

	_cleanup_(json_object_putp) json_object *children =
		mon_call_args(&m, "qom-list", "{\"path\": \"/machine/peripheral\"}");
	bool has_rng = false, has_watchdog = false;
	for (size_t i = 0; i < json_object_array_length(children); i++) {
		json_object *c = json_object_array_get_idx(children, i);
		const char *name = json_object_get_string(json_object_object_get(c, "name"));
		const char *type = json_object_get_string(json_object_object_get(c, "type"));
		has_rng |= strcmp(name, "rng0") == 0 && strcmp(type, "child<virtio-rng-ccw>") == 0;
		has_watchdog |= strcmp(name, "watchdog0") == 0 && strcmp(type, "child<diag288>") == 0;
	}
	if (!has_rng || !has_watchdog)
		fail_msg("qom-list: %s", json_object_to_json_string(children));

	_cleanup_(json_object_putp) json_object *loadparm =
		mon_call_args(&m, "qom-get", "{\"path\": \"/machine\", \"property\": \"loadparm\"}");
	assert_string_equal(json_object_get_string(loadparm), "SYSTEM1 ");
	_cleanup_(json_object_putp) json_object *aes =
		mon_call_args(&m, "qom-get", "{\"path\": \"/machine\", \"property\": \"aes-key-wrap\"}");
	_cleanup_(json_object_putp) json_object *dea =
		mon_call_args(&m, "qom-get", "{\"path\": \"/machine\", \"property\": \"dea-key-wrap\"}");
	assert_true(json_object_get_boolean(aes));
	assert_false(json_object_get_boolean(dea));
	_cleanup_(json_object_putp) json_object *rng_dev = mon_call_args(
		&m, "qom-get", "{\"path\": \"/machine/peripheral/rng0\", \"property\": \"devno\"}");
	assert_string_equal(json_object_get_string(rng_dev), "fe.0.0002");

	json_object_put(mon_call(&m, "quit"));
	int code;
	assert_int_equal(waitpid(qemu_pid, &code, 0), qemu_pid);
	qemu_pid = 0;
	assert_true(WIFEXITED(code));
	close(m.fd);
	unlink(disk);
	unlink(qmp_path);
	assert_int_equal(rmdir(dir), 0);
}

static void test_real_qemu_monitor_fd(void **state)
{
	run_real_qemu(true);
}

static void test_real_qemu_monitor_path(void **state)
{
	run_real_qemu(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_console_kinds),
		cmocka_unit_test(test_console_log_fd),
		cmocka_unit_test(test_accelerator),
		cmocka_unit_test(test_cache_modes),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_escape_and_quote),
		cmocka_unit_test(test_scsi_argv),
		cmocka_unit_test(test_scsi_builders),
		cmocka_unit_test(test_scsi_refused),
		cmocka_unit_test_teardown(test_real_qemu_monitor_fd, kill_qemu),
		cmocka_unit_test_teardown(test_real_qemu_monitor_path, kill_qemu),
		cmocka_unit_test_teardown(test_real_qemu_scsi, kill_qemu),
		cmocka_unit_test(test_machine_devices),
		cmocka_unit_test(test_watchdog_actions),
		cmocka_unit_test(test_rng_props),
		cmocka_unit_test_teardown(test_real_qemu_machine, kill_qemu),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
