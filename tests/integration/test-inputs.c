/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bad input over D-Bus: each gets a clear org.zvirt1.Error and changes
 * nothing (no domain, no file, no signal).
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static size_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static char *state_domains_dir(void)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/state/domains", harness_tmpdir()) > 0);
	return p;
}

/* DefineXML(xml) must fail with one of the names and leave no trace. */
static void expect_define_refused(const char *xml, const char *name1, const char *name2,
				  const char *substring)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *dir = state_domains_dir();
	uint32_t count = harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount");
	size_t files = count_files(dir);
	size_t mark = harness_signal_mark();

	int r = harness_call_full(harness_bus(), &error, NULL, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
				  "DefineXML", "sa{sv}", xml, 0);
	assert_true(r < 0);
	if (!sd_bus_error_has_name(&error, name1) && !(name2 && sd_bus_error_has_name(&error, name2)))
		fail_msg("got %s (%s), expected %s", error.name, error.message, name1);
	if (substring && !strstr(error.message, substring))
		fail_msg("'%s' does not mention '%s'", error.message, substring);

	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount"), count);
	assert_int_equal(count_files(dir), files);
	assert_true(harness_flush_signals() >= 0);
	assert_null(harness_signal_find(mark, NULL, ZVIRT_MANAGER_IFACE, "DomainDefined", NULL));
}

static char *guest_with_name(const char *name)
{
	return harness_minimal_xml(name, NULL);
}

static void test_hostile_names(void **state)
{
	const char *names[] = {"..", ".hidden", "a/b", "../../etc/passwd", "tab\tname", "line\nbreak", ""};
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		_cleanup_free_ char *xml = guest_with_name(names[i]);
		expect_define_refused(xml, ZVIRT_ERROR("InvalidXML"), ZVIRT_ERROR("InvalidArgument"), NULL);
	}
}

static void test_hostile_documents(void **state)
{
	/* An entity that would read a host file (XXE). */
	expect_define_refused(
		"<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n"
		"<domain type='kvm'><name>&x;</name><memory>1024</memory><os><type arch='s390x' "
		"machine='s390-ccw-virtio'>hvm</type></os></domain>",
		ZVIRT_ERROR("InvalidXML"), NULL, NULL);
	/* Not XML at all, and not a domain. */
	expect_define_refused("\x01\x02 garbage", ZVIRT_ERROR("InvalidXML"), NULL, NULL);
	expect_define_refused("<network><name>x</name></network>", ZVIRT_ERROR("InvalidXML"), NULL, NULL);
	/* Unknown elements are named by their path, never dropped. */
	expect_define_refused("<domain type='kvm'><name>u</name><memory>1024</memory><os><type arch='s390x' "
			      "machine='s390-ccw-virtio'>hvm</type></os><bogus/></domain>",
			      ZVIRT_ERROR("InvalidXML"), NULL, "bogus");

	/* A huge payload: 2 MiB of padding in a description. */
	size_t big = 2 * 1024 * 1024;
	char *pad = malloc(big + 1);
	assert_non_null(pad);
	memset(pad, 'x', big);
	pad[big] = 0;
	_cleanup_free_ char *xml = NULL;
	assert_true(asprintf(&xml,
			     "<domain "
			     "type='kvm'><name>huge</name><description>%s</description><memory>1024</memory>"
			     "<os><type arch='s390x' machine='s390-ccw-virtio'>hvm</type></os></domain>",
			     pad) > 0);
	free(pad);
	expect_define_refused(xml, ZVIRT_ERROR("InvalidArgument"), ZVIRT_ERROR("InvalidXML"), NULL);
}

static void test_duplicate_ccw_address(void **state)
{
	const char *xml = "<domain type='kvm'><name>dup-ccw</name><memory unit='MiB'>256</memory>"
			  "<os><type arch='s390x' machine='s390-ccw-virtio'>hvm</type></os><devices>"
			  "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
			  "<source file='/var/tmp/a.img'/><target dev='vda' bus='virtio'/>"
			  "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0004'/></disk>"
			  "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
			  "<source file='/var/tmp/b.img'/><target dev='vdb' bus='virtio'/>"
			  "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0004'/></disk>"
			  "</devices></domain>";
	expect_define_refused(xml, ZVIRT_ERROR("InvalidXML"), NULL, "fe.0.0004");
}

static void test_bad_arguments(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("args-guest", NULL);
	_cleanup_free_ char *path = harness_define(xml);

	/* Options: unknown keys and wrong types. */
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1,
			     "paused", "s", "yes");
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}",
			     1, "secret", "b", 1);
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "ListDomains", "a{sv}", 1, "state", "s", "sleeping");
	harness_assert_state(path, "shut-off", "unknown");

	/* UUIDs that are not UUIDs, and ones nobody has. */
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "LookupDomainByUUID", "sa{sv}", "../../etc", 0);
	harness_expect_error(ZVIRT_ERROR("NoSuchDomain"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "LookupDomainByUUID", "sa{sv}", "00000000-0000-0000-0000-000000000001", 0);
	harness_expect_error(ZVIRT_ERROR("NoSuchDomain"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "LookupDomainByName", "sa{sv}", "../args-guest", 0);

	/* An object path that names no domain. */
	harness_expect_error("org.freedesktop.DBus.Error.UnknownObject",
			     "/org/zvirt1/domain/00000000000000000000000000000001", ZVIRT_DOMAIN_IFACE,
			     "Start", "a{sv}", 0);
	harness_expect_error("org.freedesktop.DBus.Error.UnknownObject", "/org/zvirt1/domain/args_2dguest",
			     ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0);

	harness_undefine(path);
}

/* An error reply sd-bus refuses to send (text that is not UTF-8) never
 * comes: the caller would wait for its whole timeout. So these calls get
 * a few seconds, far less than the harness's 30. */
#define QUICK_USEC (5ULL * 1000 * 1000)

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The call fails with error_name within QUICK_USEC, with a message that
 * mentions `substring` (NULL: anything). */
static void expect_error_quickly(const char *error_name, const char *substring, const char *path,
				 const char *iface, const char *method, const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	va_list ap;
	int r;

	assert_return_code(
		sd_bus_message_new_method_call(harness_bus(), &m, ZVIRT_BUS_NAME, path, iface, method), 0);
	va_start(ap, types);
	r = sd_bus_message_appendv(m, types, ap);
	va_end(ap);
	assert_return_code(r, -r);

	uint64_t begin = now_usec();
	r = sd_bus_call(harness_bus(), m, QUICK_USEC, &error, NULL);
	if (r >= 0)
		fail_msg("%s succeeded", method);
	if (!sd_bus_error_has_name(&error, error_name))
		fail_msg("%s: got %s (%s) after %.1f s, expected %s", method, error.name, error.message,
			 (double)(now_usec() - begin) / 1e6, error_name);
	if (substring && !strstr(error.message, substring))
		fail_msg("%s: '%s' does not mention '%s'", method, error.message, substring);
}

/* n copies of s, then tail (malloc'd). */
static char *repeat(const char *s, size_t n, const char *tail)
{
	size_t len = strlen(s);
	char *r = malloc(len * n + strlen(tail) + 1);
	assert_non_null(r);
	for (size_t i = 0; i < n; i++)
		memcpy(r + i * len, s, len);
	strcpy(r + len * n, tail);
	return r;
}

#define NIHONGO "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" /* 日本語, 9 bytes */
#define E_ACUTE "\xc3\xa9"                             /* é, 2 bytes */

/* Caller text in error messages is cut where the message has room for
 * it (64 bytes of an option key or state, 256 of a name); a cut in the
 * middle of a character made the reply invalid UTF-8. */
static void test_multibyte_at_the_cut(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("utf8-guest", NULL);
	_cleanup_free_ char *path = harness_define(xml);
	/* 63 ASCII + é: byte 64 is the é's second byte. */
	_cleanup_free_ char *key63 = repeat("k", 63, E_ACUTE);
	/* 日本語 × 8 = 72 bytes: 64 falls inside the 8th 日. */
	_cleanup_free_ char *key_jp = repeat(NIHONGO, 8, "");
	/* 255 ASCII + é, and 日本語 × 30 (270 bytes; 256 is inside a 本). */
	_cleanup_free_ char *name255 = repeat("n", 255, E_ACUTE);
	_cleanup_free_ char *name_jp = repeat(NIHONGO, 30, "");
	_cleanup_free_ char *uuid_like = repeat(E_ACUTE, 40, "");
	_cleanup_free_ char *uuid_odd = repeat("a", 1, uuid_like);
	size_t mark = harness_signal_mark();

	/* Unknown option keys, on a domain and on the manager. */
	expect_error_quickly(ZVIRT_ERROR("InvalidArgument"), "kkkkkkkk", path, ZVIRT_DOMAIN_IFACE, "Start",
			     "a{sv}", 1, key63, "b", 1);
	expect_error_quickly(ZVIRT_ERROR("InvalidArgument"), "\xe6\x97\xa5", path, ZVIRT_DOMAIN_IFACE,
			     "Destroy", "a{sv}", 1, key_jp, "b", 1);
	expect_error_quickly(ZVIRT_ERROR("InvalidArgument"), "Unknown option", path, ZVIRT_DOMAIN_IFACE,
			     "GetXMLDesc", "a{sv}", 1, key_jp, "b", 1);
	expect_error_quickly(ZVIRT_ERROR("InvalidArgument"), "Unknown option", ZVIRT_MANAGER_PATH,
			     ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 1, key63, "b", 1);
	expect_error_quickly(ZVIRT_ERROR("InvalidArgument"), "Unknown option", ZVIRT_MANAGER_PATH,
			     ZVIRT_MANAGER_IFACE, "DefineXML", "sa{sv}", xml, 1, key_jp, "b", 1);
	/* A state filter that is no state. */
	expect_error_quickly(ZVIRT_ERROR("InvalidArgument"), "Unknown state", ZVIRT_MANAGER_PATH,
			     ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 1, "state", "s", key63);
	expect_error_quickly(ZVIRT_ERROR("InvalidArgument"), "Unknown state", ZVIRT_MANAGER_PATH,
			     ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 1, "state", "s", key_jp);
	/* Names nobody has, and UUIDs that are none. */
	expect_error_quickly(ZVIRT_ERROR("NoSuchDomain"), "nnnnnnnn", ZVIRT_MANAGER_PATH,
			     ZVIRT_MANAGER_IFACE, "LookupDomainByName", "sa{sv}", name255, 0);
	expect_error_quickly(ZVIRT_ERROR("NoSuchDomain"), NIHONGO, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
			     "LookupDomainByName", "sa{sv}", name_jp, 0);
	expect_error_quickly(ZVIRT_ERROR("InvalidArgument"), "not a UUID", ZVIRT_MANAGER_PATH,
			     ZVIRT_MANAGER_IFACE, "LookupDomainByUUID", "sa{sv}", uuid_odd, 0);
	expect_error_quickly(ZVIRT_ERROR("InvalidArgument"), "not a UUID", ZVIRT_MANAGER_PATH,
			     ZVIRT_MANAGER_IFACE, "LookupDomainByUUID", "sa{sv}", key_jp, 0);
	/* A domain name too long to define is refused, and said so. */
	{
		_cleanup_free_ char *long_name = repeat(NIHONGO, 30, "");
		_cleanup_free_ char *long_xml = harness_minimal_xml(long_name, NULL);
		expect_error_quickly(ZVIRT_ERROR("InvalidXML"), "too long", ZVIRT_MANAGER_PATH,
				     ZVIRT_MANAGER_IFACE, "DefineXML", "sa{sv}", long_xml, 0);
	}

	/* Nothing changed, and the daemon still answers. */
	harness_assert_state(path, "shut-off", "unknown");
	assert_true(harness_flush_signals() >= 0);
	assert_null(harness_signal_find(mark, NULL, ZVIRT_MANAGER_IFACE, "DomainDefined", NULL));
	harness_undefine(path);
}

/* Text from a file the daemon reads goes into the ReloadConfig error: a
 * value in Latin-1 is not UTF-8, and the reply must still come. */
static void test_reload_error_not_utf8(void **state)
{
	_cleanup_free_ char *dir = NULL, *file = NULL;

	assert_true(asprintf(&dir, "%s/zvirtd.conf.d", harness_tmpdir()) > 0);
	assert_true(asprintf(&file, "%s/99-latin1.conf", dir) > 0);
	assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
	/* "LogLevel=détaillé" as Latin-1 bytes. */
	harness_write_file(file, "[Daemon]\nLogLevel=d\xe9taill\xe9\n");

	expect_error_quickly(ZVIRT_ERROR("InvalidArgument"), "LogLevel", ZVIRT_MANAGER_PATH,
			     ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0);

	assert_int_equal(unlink(file), 0);
	sd_bus_message_unref(
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));
}

/* The define-time expansion of the machine alias (docs/dbus-api.md, DefineXML). */
static void test_machine_alias(void **state)
{
	/* The daemon asks the emulator in the background after it starts. */
	for (int i = 0; i < 500; i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "GetCapabilities", "a{sv}", 0);
		const char *caps;
		assert_true(sd_bus_message_read(reply, "s", &caps) > 0);
		if (strstr(caps, "<machine canonical="))
			break;
		assert_true(i < 499);
		usleep(10 * 1000);
	}

	_cleanup_free_ char *xml = harness_minimal_xml("alias-guest", NULL);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *desc = harness_get_xml(path);
	_cleanup_free_ char *machine = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "Machine");
	assert_true(strncmp(machine, "s390-ccw-virtio-", strlen("s390-ccw-virtio-")) == 0);
	assert_non_null(strstr(desc, machine));
	harness_undefine(path);

	/* A definition the daemon loads before its probe has answered (here:
	 * one placed in StateDir by hand) is expanded once the answer is in,
	 * on the bus and on disk. */
	{
		static const char uuid[] = "5a1a5a1a-0000-4000-8000-00000000a11a";
		_cleanup_free_ char *stored_xml = harness_minimal_xml("alias-stored", uuid);
		_cleanup_free_ char *file = NULL, *contents = NULL, *p = NULL, *m = NULL;

		assert_int_equal(harness_stop_daemon(), 0);
		assert_true(asprintf(&file, "%s/state/domains/5a1a5a1a00004000800000000000a11a.xml",
				     harness_tmpdir()) > 0);
		harness_write_file(file, stored_xml);
		assert_int_equal(harness_start_daemon(), 0);

		p = harness_lookup("alias-stored");
		assert_non_null(p);
		for (int i = 0; i < 500; i++) {
			free(m);
			m = harness_get_string(p, ZVIRT_DOMAIN_IFACE, "Machine");
			if (strcmp(m, machine) == 0)
				break;
			assert_true(i < 499);
			usleep(10 * 1000);
		}
		/* The file follows: its write is queued after the change. */
		for (int i = 0; i < 500; i++) {
			free(contents);
			contents = harness_read_file(file);
			if (strstr(contents, machine))
				break;
			assert_true(i < 499);
			usleep(10 * 1000);
		}
		harness_undefine(p);
	}

	/* A type the emulator does not have is refused with what it has. */
	const char *bad = "<domain type='kvm'><name>old-machine</name><memory>262144</memory>"
			  "<os><type arch='s390x' machine='s390-ccw-virtio-1.0'>hvm</type></os></domain>";
	expect_define_refused(bad, ZVIRT_ERROR("InvalidXML"), NULL, "s390-ccw-virtio-2.12");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_names),         cmocka_unit_test(test_hostile_documents),
		cmocka_unit_test(test_duplicate_ccw_address), cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_machine_alias),         cmocka_unit_test(test_multibyte_at_the_cut),
		cmocka_unit_test(test_reload_error_not_utf8),
	};
	return harness_main("inputs", tests, 0);
}
