/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The configuration at run time: ReloadConfig and SIGHUP take a good file,
 * refuse a bad one with its line number and keep the old settings; and a
 * type='kvm' domain on a host without s390x KVM fails with a clear error
 * unless the configuration says to emulate.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness.h"

static char *conf_path(void)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/zvirtd.conf", harness_tmpdir()) > 0);
	return p;
}

static char *read_conf(void)
{
	_cleanup_free_ char *path = conf_path();
	return harness_read_file(path);
}

static void write_conf(const char *text)
{
	_cleanup_free_ char *path = conf_path();
	harness_write_file(path, text);
}

/* The harness's file plus extra lines in a section of their own. */
static void write_conf_with(const char *original, const char *extra)
{
	_cleanup_free_ char *text = NULL;
	assert_true(asprintf(&text, "%s\n%s", original, extra) > 0);
	write_conf(text);
}

/* A key whose value the Manager reports as it is: Manager.ReservedHostMemory. */
static uint64_t reserved_host_memory(void)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	uint64_t bytes = 0;
	assert_int_equal(sd_bus_get_property(harness_bus(), ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
					     ZVIRT_MANAGER_IFACE, "ReservedHostMemory", &error, &reply, "t"),
			 0);
	assert_true(sd_bus_message_read(reply, "t", &bytes) > 0);
	return bytes;
}

static bool host_has_s390x_kvm(void)
{
	struct utsname u;
	return uname(&u) == 0 && strcmp(u.machine, "s390x") == 0 && access("/dev/kvm", R_OK | W_OK) == 0;
}

static void test_reload_config(void **state)
{
	_cleanup_free_ char *original = read_conf();
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	pid_t pid = harness_daemon_pid();

	/* A good file takes effect. */
	write_conf_with(original, "[Hypervisor]\nReservedHostMemory=1M\n");
	sd_bus_message_unref(
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));
	assert_int_equal(reserved_host_memory(), 1 << 20);

	/* A bad one is refused with the file and line, and nothing changes. */
	write_conf_with(original, "[Hypervisor]\nReservedHostMemory=2M\nNoSuchKey=1\n");
	int r = harness_call_full(harness_bus(), &error, NULL, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
				  "ReloadConfig", "a{sv}", 0);
	assert_true(r < 0);
	assert_true(sd_bus_error_has_name(&error, ZVIRT_ERROR("InvalidArgument")));
	assert_non_null(strstr(error.message, "zvirtd.conf:"));
	assert_non_null(strstr(error.message, "NoSuchKey"));
	assert_int_equal(reserved_host_memory(), 1 << 20);

	/* SIGHUP: the same rules, and the daemon lives on. */
	assert_int_equal(kill(pid, SIGHUP), 0);
	usleep(200 * 1000);
	assert_int_equal(harness_daemon_pid(), pid);
	assert_int_equal(reserved_host_memory(), 1 << 20);

	write_conf_with(original, "[Hypervisor]\nReservedHostMemory=3M\n");
	assert_int_equal(kill(pid, SIGHUP), 0);
	for (int i = 0; i < 200 && reserved_host_memory() != 3 << 20; i++)
		usleep(10 * 1000);
	assert_int_equal(reserved_host_memory(), 3 << 20);

	/* Only an administrator may reload. */
	harness_nobody_expect_error(ZVIRT_ERROR("NotAuthorized"), ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
				    "ReloadConfig", "a{sv}", 0);

	write_conf(original);
	sd_bus_message_unref(
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));
}

static void test_kvm_needs_kvm(void **state)
{
	_cleanup_free_ char *original = read_conf();
	_cleanup_free_ char *xml = harness_minimal_xml("kvm-guest", NULL);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	if (host_has_s390x_kvm()) {
		harness_undefine(path);
		skip();
	}

	/* Accelerator=auto: a type='kvm' domain needs KVM, which is not here. */
	_cleanup_free_ char *auto_conf = NULL;
	const char *tcg = strstr(original, "Accelerator=tcg");
	assert_non_null(tcg);
	assert_true(asprintf(&auto_conf, "%.*sAccelerator=auto%s", (int)(tcg - original), original,
			     tcg + strlen("Accelerator=tcg")) > 0);
	write_conf(auto_conf);
	sd_bus_message_unref(
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));

	/* What runs here is emulated (type='qemu') guests only. */
	{
		_cleanup_free_ char *accel =
			harness_get_string(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "Accelerator");
		assert_string_equal(accel, "tcg");
	}
	int r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}",
				  0);
	assert_true(r < 0);
	assert_true(sd_bus_error_has_name(&error, ZVIRT_ERROR("HypervisorError")));
	assert_non_null(strstr(error.message, "KVM"));
	assert_non_null(strstr(error.message, "Accelerator=tcg"));
	harness_assert_state(path, "shut-off", "failed");
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);

	/* Back to emulation: the same domain starts (paused: it has no kernel). */
	write_conf(original);
	sd_bus_message_unref(
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	harness_assert_state(path, "paused", "user");
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_assert_state(path, "shut-off", "destroyed");
	harness_undefine(path);
}

/* IdleTimeoutSec: the daemon leaves when nobody talks to it and no
 * domain runs; a running domain keeps it. */
static void test_idle_exit(void **state)
{
	_cleanup_free_ char *original = read_conf();
	_cleanup_free_ char *xml = harness_minimal_xml("idle-guest", NULL);
	_cleanup_free_ char *path = harness_define(xml);

	write_conf_with(original, "[Daemon]\nIdleTimeoutSec=1\n");
	assert_int_equal(harness_restart_daemon(), 0);

	/* Active: the daemon stays past the timeout. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	usleep(2500 * 1000);
	assert_int_equal(harness_name_has_owner(harness_bus(), ZVIRT_BUS_NAME), 1);

	/* Inactive and idle: it goes by itself, cleanly. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	int i;
	for (i = 0; i < 500 && harness_name_has_owner(harness_bus(), ZVIRT_BUS_NAME) == 1; i++)
		usleep(10 * 1000);
	assert_true(i < 500);
	assert_int_equal(harness_stop_daemon(), 0);

	write_conf(original);
	assert_int_equal(harness_start_daemon(), 0);
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_config),
		cmocka_unit_test(test_kvm_needs_kvm),
		cmocka_unit_test(test_idle_exit),
	};
	return harness_main("reload", tests, 0);
}
