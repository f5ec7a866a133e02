/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* host/ovs.c against a fake ovs-vsctl first on PATH: a shell script that
 * writes its arguments, one a line, to $FAKE_OVS_ARGS and does what
 * $FAKE_OVS_MODE says (succeed, print, fail with a message on stderr,
 * exit 2, hang). The real one would need a running ovsdb; the
 * integration test test-netbench uses that. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/ovs.h"
#include "util/cleanup.h"

#define UUID  "1b3c1c2a-5b1d-4c7e-9f00-0000000000aa"
#define IFACE "0e3c1c2a-5b1d-4c7e-9f00-0000000000bb"
#define MAC   "52:54:00:12:34:56"

static const char fake_script[] = "#!/bin/sh\n"
				  "printf '%s\\n' \"$@\" > \"$FAKE_OVS_ARGS\"\n"
				  "case \"$FAKE_OVS_MODE\" in\n"
				  "fail) echo 'ovs-vsctl: no bridge named br9' >&2; exit 1 ;;\n"
				  "noisy) i=0; while [ $i -lt 2000 ]; do echo \"line $i of noise\" >&2;"
				  " i=$((i + 1)); done; exit 1 ;;\n"
				  "exit2) exit 2 ;;\n"
				  "print) printf '%s' \"$FAKE_OVS_STDOUT\" ;;\n"
				  "hang) exec sleep 30 ;;\n"
				  "esac\n"
				  "exit 0\n";

static char tmp[] = "/tmp/zvirt-test-ovs-XXXXXX";
static char *args_path;
static char *saved_path;

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(tmp));
	_cleanup_free_ char *bin = NULL, *script = NULL, *path = NULL, *empty = NULL;
	assert_true(asprintf(&bin, "%s/bin", tmp) > 0);
	assert_true(asprintf(&empty, "%s/empty", tmp) > 0);
	assert_int_equal(mkdir(bin, 0755), 0);
	assert_int_equal(mkdir(empty, 0755), 0);
	assert_true(asprintf(&script, "%s/ovs-vsctl", bin) > 0);
	FILE *f = fopen(script, "we");
	assert_non_null(f);
	fputs(fake_script, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(script, 0755), 0);
	assert_true(asprintf(&args_path, "%s/args", tmp) > 0);
	saved_path = strdup(getenv("PATH") ?: "/usr/bin:/bin");
	assert_true(asprintf(&path, "%s:%s", bin, saved_path) > 0);
	setenv("PATH", path, 1);
	setenv("FAKE_OVS_ARGS", args_path, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	setenv("PATH", saved_path, 1);
	free(saved_path);
	free(args_path);
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void mode(const char *m)
{
	setenv("FAKE_OVS_MODE", m, 1);
	(void)unlink(args_path);
}

static char *recorded_args(void)
{
	FILE *f = fopen(args_path, "re");
	if (!f)
		return strdup("(not run)");
	char *text = NULL;
	size_t size = 0;
	ssize_t n = getdelim(&text, &size, 0, f);
	fclose(f);
	if (n < 0) {
		free(text);
		return strdup("");
	}
	return text;
}

static void assert_args(const char *expected)
{
	_cleanup_free_ char *got = recorded_args();
	assert_string_equal(got, expected);
}

static void test_add_port_argv(void **state)
{
	(void)state;
	ZvError err = ZV_ERROR_INIT;

	mode("ok");
	assert_int_equal(host_ovs_add_port("br0", "vnet3", MAC, IFACE, UUID, 0, &err), 0);
	assert_args("--timeout=5\n--\n--may-exist\nadd-port\nbr0\nvnet3\n"
		    "--\nset\nInterface\nvnet3\n"
		    "external-ids:attached-mac=" MAC "\n"
		    "external-ids:iface-id=" IFACE "\n"
		    "external-ids:iface-status=active\n"
		    "external-ids:vm-id=" UUID "\n");

	/* The tag is the Port's: right after the port's name. */
	mode("ok");
	assert_int_equal(host_ovs_add_port("br-int", "tap0", MAC, IFACE, UUID, 42, &err), 0);
	assert_args("--timeout=5\n--\n--may-exist\nadd-port\nbr-int\ntap0\ntag=42\n"
		    "--\nset\nInterface\ntap0\n"
		    "external-ids:attached-mac=" MAC "\n"
		    "external-ids:iface-id=" IFACE "\n"
		    "external-ids:iface-status=active\n"
		    "external-ids:vm-id=" UUID "\n");
	assert_int_equal(err.code, ZV_ERROR_NONE);
}

static void test_add_port_bad_input(void **state)
{
	(void)state;
	static const struct {
		const char *bridge, *ifname, *mac, *iface_id, *uuid;
		unsigned tag;
		const char *in_message;
	} bad[] = {
		{"", "tap0", MAC, IFACE, UUID, 0, "bridge name ''"},
		{NULL, "tap0", MAC, IFACE, UUID, 0, "bridge name"},
		{"--all", "tap0", MAC, IFACE, UUID, 0, "bridge name '--all'"},
		{"br0", "a-name-far-too-long", MAC, IFACE, UUID, 0, "interface name"},
		{"br0", "tap 0", MAC, IFACE, UUID, 0, "interface name"},
		{"br0", "tap0", "52:54:00:12:34", IFACE, UUID, 0, "MAC address"},
		{"br0", "tap0", "52-54-00-12-34-56", IFACE, UUID, 0, "MAC address"},
		{"br0", "tap0", MAC, "a=b", UUID, 0, "interface id"},
		{"br0", "tap0", MAC, "", UUID, 0, "interface id"},
		{"br0", "tap0", MAC, IFACE, "not-a-uuid", 0, "domain UUID"},
		{"br0", "tap0", MAC, IFACE, UUID, 4096, "VLAN tag 4096"},
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		ZvError err = ZV_ERROR_INIT;
		mode("ok");
		assert_int_equal(host_ovs_add_port(bad[i].bridge, bad[i].ifname, bad[i].mac, bad[i].iface_id,
						   bad[i].uuid, bad[i].tag, &err),
				 -EINVAL);
		assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
		if (!strstr(err.message, bad[i].in_message))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.message, bad[i].in_message);
		/* Nothing was run. */
		assert_args("(not run)");
	}
}

static void test_failure_carries_stderr(void **state)
{
	(void)state;
	ZvError err = ZV_ERROR_INIT;

	mode("fail");
	assert_int_equal(host_ovs_add_port("br9", "tap0", MAC, IFACE, UUID, 0, &err), -EIO);
	assert_int_equal(err.code, ZV_ERROR_HOST);
	assert_non_null(strstr(err.message, "Cannot add port tap0 to Open vSwitch bridge br9"));
	assert_non_null(strstr(err.message, "ovs-vsctl: no bridge named br9"));
	assert_non_null(strstr(err.message, "exit status 1"));

	/* A flood on stderr neither blocks it nor overflows the message. */
	zv_error_clear(&err);
	mode("noisy");
	assert_int_equal(host_ovs_del_port("tap0", &err), -EIO);
	assert_int_equal(err.code, ZV_ERROR_HOST);
	assert_non_null(strstr(err.message, "line 0 of noise"));
}

static void test_del_port(void **state)
{
	(void)state;
	ZvError err = ZV_ERROR_INIT;

	mode("ok");
	assert_int_equal(host_ovs_del_port("vnet3", &err), 0);
	assert_args("--timeout=5\n--\n--if-exists\ndel-port\nvnet3\n");
	mode("ok");
	assert_int_equal(host_ovs_del_port("-x", &err), -EINVAL);
	assert_args("(not run)");
}

static void test_bridge_exists(void **state)
{
	(void)state;
	ZvError err = ZV_ERROR_INIT;

	mode("ok");
	assert_int_equal(host_ovs_bridge_exists("br0", &err), 1);
	assert_args("--timeout=5\nbr-exists\nbr0\n");
	mode("exit2");
	assert_int_equal(host_ovs_bridge_exists("br0", &err), 0);
	assert_int_equal(err.code, ZV_ERROR_NONE);
	mode("fail");
	assert_int_equal(host_ovs_bridge_exists("br0", &err), -EIO);
	assert_int_equal(err.code, ZV_ERROR_HOST);
}

static void test_vm_ports(void **state)
{
	(void)state;
	ZvError err = ZV_ERROR_INIT;
	_cleanup_strv_free_ char **names = NULL;

	mode("print");
	setenv("FAKE_OVS_STDOUT", "vnet0\nvnet7\n\n", 1);
	assert_int_equal(host_ovs_vm_ports(UUID, &names, &err), 0);
	assert_args("--timeout=5\n--format=csv\n--data=bare\n--no-headings\n--columns=name\n"
		    "find\nInterface\nexternal-ids:vm-id=" UUID "\n");
	assert_non_null(names);
	assert_string_equal(names[0], "vnet0");
	assert_string_equal(names[1], "vnet7");
	assert_null(names[2]);
	strv_free(TAKE_PTR(names));

	/* None: an empty list, not NULL. */
	setenv("FAKE_OVS_STDOUT", "", 1);
	assert_int_equal(host_ovs_vm_ports(UUID, &names, &err), 0);
	assert_non_null(names);
	assert_null(names[0]);

	assert_int_equal(host_ovs_vm_ports("nope", &names, &err), -EINVAL);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
}

static void test_timeout(void **state)
{
	(void)state;
	ZvError err = ZV_ERROR_INIT;
	struct timespec a, b;

	mode("hang");
	host_ovs_set_wait_ms(300);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(host_ovs_del_port("tap0", &err), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	host_ovs_set_wait_ms(0);
	assert_int_equal(err.code, ZV_ERROR_HOST);
	assert_non_null(strstr(err.message, "did not finish within 300 ms"));
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= 300 && ms < 5000);
}

static void test_not_installed(void **state)
{
	(void)state;
	ZvError err = ZV_ERROR_INIT;
	_cleanup_free_ char *empty = NULL, *path = strdup(getenv("PATH"));

	assert_true(asprintf(&empty, "%s/empty", tmp) > 0);
	setenv("PATH", empty, 1);
	int r = host_ovs_add_port("br0", "tap0", MAC, IFACE, UUID, 0, &err);
	setenv("PATH", path, 1);
	assert_int_equal(r, -ENOENT);
	assert_int_equal(err.code, ZV_ERROR_HOST);
	assert_string_equal(err.message, "Open vSwitch is not installed (no ovs-vsctl)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_port_argv),
		cmocka_unit_test(test_add_port_bad_input),
		cmocka_unit_test(test_failure_carries_stderr),
		cmocka_unit_test(test_del_port),
		cmocka_unit_test(test_bridge_exists),
		cmocka_unit_test(test_vm_ports),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_not_installed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
