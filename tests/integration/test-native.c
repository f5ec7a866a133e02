/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Manager.DomainXMLToNative (virsh domxml-to-native): the QEMU command
 * line a start would run, from the same builder as Start (a real start
 * of the same XML runs the same arguments, but for the descriptors it
 * hands QEMU); nothing is defined; anyone may ask; and its errors.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define UUID     "3d1e6f2a-8b4c-4e5d-9a7b-0c1d2e3f4a5b"
#define UUID_HEX "3d1e6f2a8b4c4e5d9a7b0c1d2e3f4a5b"

static char *to_native(const char *format, const char *xml)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = harness_call(
		ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainXMLToNative", "ssa{sv}", format, xml, 0);
	const char *native;
	assert_int_equal(sd_bus_message_read(reply, "s", &native), 1);
	return strdup(native);
}

static void assert_has(const char *line, const char *part)
{
	if (!strstr(line, part))
		fail_msg("the command line has no \"%s\":\n%s", part, line);
}

/* The XML of the devices beside the disks, as the corpus has them. */
static char *machine_xml(const char *name)
{
	_cleanup_free_ char *xml = harness_minimal_xml(name, UUID);
	char *end = strstr(xml, "  </devices>");
	assert_non_null(end);
	char *out = NULL;
	assert_true(asprintf(&out,
			     "%.*s    <watchdog model='diag288' action='dump'/>\n"
			     "    <rng model='virtio'><backend model='random'>/dev/random</backend></rng>\n"
			     "  </devices>\n"
			     "  <keywrap><cipher name='aes' state='off'/></keywrap>\n"
			     "</domain>\n",
			     (int)(end - xml), xml) > 0);
	return out;
}

/* Until the emulator's probe answered, DefineXML stores the machine
 * alias and DomainXMLToNative (later) would expand it: wait for it. */
static void wait_machine_types(void)
{
	for (int i = 0; i < 200; i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "GetCapabilities", "a{sv}", 0);
		const char *caps;
		assert_int_equal(sd_bus_message_read(reply, "s", &caps), 1);
		if (strstr(caps, "canonical="))
			return;
		usleep(50 * 1000);
	}
	fail_msg("the emulator's machine types never came");
}

static void test_minimal(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("native-guest", UUID);
	/* Both lines below must see the same machine type. */
	wait_machine_types();
	uint32_t count = harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount");
	_cleanup_free_ char *line = to_native("qemu-argv", xml);
	_cleanup_free_ char *qmp = NULL, *pidfile = NULL;
	assert_true(asprintf(&qmp,
			     "-chardev socket,id=charmonitor,path=%s/run/domains/" UUID_HEX
			     ".qmp,server=on,wait=off ",
			     harness_tmpdir()) > 0);
	assert_true(asprintf(&pidfile, "-pidfile %s/run/domains/" UUID_HEX ".pid ", harness_tmpdir()) > 0);

	/* The configured emulator, TCG (Accelerator=tcg); the machine is
	 * the alias until the emulator's probe answered, then its
	 * versioned type (as DefineXML stores it). */
	assert_has(line, "/usr/bin/qemu-system-s390x -name guest=native-guest,debug-threads=on -uuid " UUID
			 " -S -machine s390-ccw-virtio");
	assert_has(line, ",accel=tcg -cpu qemu -m size=262144k -smp 1,maxcpus=1 ");
	assert_has(line, qmp);
	assert_has(line, pidfile);
	assert_has(line,
		   " -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");

	/* Nothing was defined. */
	assert_null(harness_lookup("native-guest"));
	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount"), count);

	/* A name and UUID in use are fine: nothing is compared. */
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *again = to_native("qemu-argv", xml);
	assert_string_equal(line, again);
	harness_undefine(path);
}

static void test_machine_devices(void **state)
{
	_cleanup_free_ char *xml = machine_xml("native-machine");
	_cleanup_free_ char *line = to_native("qemu-argv", xml);
	assert_has(line, ",accel=tcg,aes-key-wrap=off ");
	assert_has(line, " -device diag288,id=watchdog0 -watchdog-action pause ");
	assert_has(
		line,
		" -object '{\"qom-type\":\"rng-random\",\"id\":\"objrng0\",\"filename\":\"/dev/random\"}' "
		"-device virtio-rng-ccw,rng=objrng0,id=rng0,devno=fe.0.0000 ");
}

/* Start builds the same line: every argument of the QEMU that a start
 * runs is in it, but the descriptors it passes (the monitor's socket,
 * the console log's pipe as /dev/fdset). */
static void test_same_as_start(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("native-start");
	wait_machine_types();
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *defined = harness_get_xml(path);
	_cleanup_free_ char *line = to_native("qemu-argv", defined);
	harness_boot_guest(path, "native-start");

	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	_cleanup_free_ char *file = NULL;
	assert_true(asprintf(&file, "/proc/%u/cmdline", pid) > 0);
	_cleanup_free_ char *cmdline = harness_read_file(file);
	unsigned checked = 0;
	for (const char *a = cmdline; *a; a += strlen(a) + 1) {
		if (strstr(a, "fd=") || strstr(a, "fdset") || strstr(a, "charmonitor"))
			continue;
		assert_has(line, a);
		checked++;
	}
	assert_true(checked > 30);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	harness_undefine(path);
}

static void test_unprivileged(void **state)
{
	/* Reading only, like ValidateXML: no polkit check. */
	_cleanup_free_ char *xml = harness_minimal_xml("native-nobody", NULL);
	_cleanup_free_ char *out = harness_nobody_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
						       "DomainXMLToNative", "ssa{sv}", "qemu-argv", xml, 0);
	assert_has(out, "guest=native-nobody,debug-threads=on");
}

static void expect_error_message(const char *error_name, const char *part, const char *format,
				 const char *xml, const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	va_list ap;
	assert_return_code(sd_bus_message_new_method_call(harness_bus(), &m, ZVIRT_BUS_NAME,
							  ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
							  "DomainXMLToNative"),
			   0);
	assert_return_code(sd_bus_message_append(m, "ss", format, xml), 0);
	va_start(ap, types);
	assert_return_code(sd_bus_message_appendv(m, types, ap), 0);
	va_end(ap);
	if (sd_bus_call(harness_bus(), m, HARNESS_CALL_TIMEOUT_USEC, &error, &reply) >= 0)
		fail_msg("DomainXMLToNative(%s) succeeded; expected %s", format, error_name);
	assert_string_equal(error.name, error_name);
	if (!strstr(error.message, part))
		fail_msg("message \"%s\" does not contain \"%s\"", error.message, part);
}

static void test_errors(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("native-errors", NULL);

	expect_error_message(ZVIRT_ERROR("InvalidArgument"),
			     "Unknown native format 'xen-xm'; the one zvirtd knows is 'qemu-argv'", "xen-xm",
			     xml, "a{sv}", 0);
	expect_error_message(ZVIRT_ERROR("InvalidArgument"), "Unknown native format ''", "", xml, "a{sv}",
			     0);
	expect_error_message(
		ZVIRT_ERROR("InvalidXML"),
		"Invalid domain XML at /domain/devices/watchdog: invalid value 'i6300esb'", "qemu-argv",
		"<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type></os>"
		"<devices><watchdog model='i6300esb'/></devices></domain>",
		"a{sv}", 0);
	expect_error_message(ZVIRT_ERROR("InvalidXML"), "not well-formed", "qemu-argv", "<domain", "a{sv}",
			     0);
	expect_error_message(ZVIRT_ERROR("InvalidArgument"), "Domain XML is empty", "qemu-argv", "", "a{sv}",
			     0);
	expect_error_message(ZVIRT_ERROR("InvalidArgument"), "paused", "qemu-argv", xml, "a{sv}", 1,
			     "paused", "b", true);

	/* The emulator rule of DefineXML. */
	_cleanup_free_ char *emulator = NULL;
	assert_true(
		asprintf(&emulator,
			 "<domain "
			 "type='kvm'><name>native-emu</name><memory>1024</memory><os><type>hvm</type></os>"
			 "<devices><emulator>/bin/sh</emulator></devices></domain>") > 0);
	expect_error_message(ZVIRT_ERROR("InvalidArgument"), "/bin/sh", "qemu-argv", emulator, "a{sv}", 0);
	assert_null(harness_lookup("native-errors"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),       cmocka_unit_test(test_machine_devices),
		cmocka_unit_test(test_unprivileged),  cmocka_unit_test(test_errors),
		cmocka_unit_test(test_same_as_start),
	};
	return harness_main("native", tests, 0);
}
