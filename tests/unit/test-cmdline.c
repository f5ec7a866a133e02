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
		cmocka_unit_test_teardown(test_real_qemu_monitor_fd, kill_qemu),
		cmocka_unit_test_teardown(test_real_qemu_monitor_path, kill_qemu),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
