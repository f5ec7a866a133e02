/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a domain gets of the host, with the real QEMU and guest: vCPUs
 * (setvcpus / vcpucount: config, and live hot-plug the guest brings
 * online), CPU weight (schedinfo: the domain's own cgroup), I/O threads
 * (iothreadadd / iothreaddel / iothreadinfo) and ReservedHostMemory at
 * start; every bad input refused and nothing changed; an unprivileged
 * caller refused by polkit; and a restarted daemon that agrees with QEMU.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define INVALID_ARGUMENT  ZVIRT_ERROR("InvalidArgument")
#define OPERATION_INVALID ZVIRT_ERROR("OperationInvalid")
#define NOT_AUTHORIZED    ZVIRT_ERROR("NotAuthorized")
#define HOST_ERROR        ZVIRT_ERROR("HostError")
#define PROPERTIES_IFACE  "org.freedesktop.DBus.Properties"

/* ---- helpers ---- */

/* xml with its first `from` replaced by `to`. */
static char *replace_once(const char *xml, const char *from, const char *to)
{
	/* Offsets, not pointers into xml: gcc 12 at -O3 takes a pointer
	 * kept across asprintf() for a dangling one. */
	size_t head = strstr(xml, from) ? (size_t)(strstr(xml, from) - xml) : strlen(xml) + 1;
	if (head > strlen(xml))
		fail_msg("'%s' not in the XML", from);
	size_t tail = head + strlen(from);
	char *out = NULL;
	assert_true(asprintf(&out, "%.*s%s%s", (int)head, xml, to, xml + tail) > 0);
	return out;
}

/* The test guest with <vcpu current='current'>max</vcpu>. */
static char *guest_with_vcpus(const char *name, unsigned current, unsigned max)
{
	_cleanup_free_ char *base = harness_guest_xml(name);
	char vcpu[64];
	snprintf(vcpu, sizeof(vcpu), "<vcpu current='%u'>%u</vcpu>", current, max);
	return replace_once(base, "<vcpu>1</vcpu>", vcpu);
}

static uint32_t vcpu_count(const char *path, const char *key1, const char *key2)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint32_t n = 0;
	if (key2)
		reply = harness_call(path, ZVIRT_DOMAIN_IFACE, "GetVcpuCount", "a{sv}", 2, key1, "b", 1,
				     key2, "b", 1);
	else if (key1)
		reply = harness_call(path, ZVIRT_DOMAIN_IFACE, "GetVcpuCount", "a{sv}", 1, key1, "b", 1);
	else
		reply = harness_call(path, ZVIRT_DOMAIN_IFACE, "GetVcpuCount", "a{sv}", 0);
	assert_true(sd_bus_message_read(reply, "u", &n) > 0);
	return n;
}

/* The PropertiesChanged of path after mark names prop. */
static void assert_property_announced(size_t mark, const char *path, const char *prop)
{
	char want[64];
	snprintf(want, sizeof(want), ",%s,", prop);
	for (size_t from = mark;;) {
		const HarnessSignal *s =
			harness_wait_signal(from, path, PROPERTIES_IFACE, "PropertiesChanged",
					    ZVIRT_DOMAIN_IFACE, HARNESS_SIGNAL_TIMEOUT_MS);
		if (!s)
			fail_msg("no PropertiesChanged with %s on %s", prop, path);
		if (s->properties && strstr(s->properties, want))
			return;
		from = s->index + 1;
	}
}

static char *inactive_xml(const char *path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1, "inactive", "b", 1);
	const char *xml;
	assert_true(sd_bus_message_read(reply, "s", &xml) > 0);
	char *copy = strdup(xml);
	assert_non_null(copy);
	return copy;
}

static char *console_command(const char *path, const char *command)
{
	_cleanup_free_ char *pty = harness_console_pty(path);
	char *out = NULL;
	assert_non_null(pty);
	assert_int_equal(harness_console_command(pty, command, 60000, &out), 0);
	return out;
}

/* ---- vCPUs ---- */

static void test_vcpus_config(void **state)
{
	_cleanup_free_ char *base = harness_minimal_xml("vcpus-config", NULL);
	_cleanup_free_ char *xml = replace_once(base, "<vcpu>1</vcpu>", "<vcpu current='1'>4</vcpu>");
	_cleanup_free_ char *path = harness_define(xml);

	/* vcpucount of a shut-off domain: its definition, whatever is asked. */
	assert_int_equal(vcpu_count(path, NULL, NULL), 1);
	assert_int_equal(vcpu_count(path, "config", NULL), 1);
	assert_int_equal(vcpu_count(path, "current", NULL), 1);
	assert_int_equal(vcpu_count(path, "maximum", NULL), 4);
	assert_int_equal(vcpu_count(path, "maximum", "config"), 4);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "GetVcpuCount", "a{sv}", 1, "live",
			     "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "GetVcpuCount", "a{sv}", 2, "live",
			     "b", 1, "config", "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "GetVcpuCount", "a{sv}", 1, "guest",
			     "b", 1);

	/* current config, up to the maximum. */
	size_t mark = harness_signal_mark();
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 3, 1, "config", "b", 1));
	assert_property_announced(mark, path, "VCPUs");
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "VCPUs"), 3);
	{
		_cleanup_free_ char *x = inactive_xml(path);
		assert_non_null(strstr(x, "<vcpu placement='static' current='3'>4</vcpu>"));
	}
	/* As virsh setvcpus: no option means live (OperationInvalid while
	 * shut off), current means config while shut off. */
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 2, 0);
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 2, 1, "current", "b", 1));
	assert_int_equal(vcpu_count(path, "config", NULL), 2);

	/* The maximum, config only; a current above it comes down with it. */
	mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 6, 2, "maximum",
					  "b", 1, "config", "b", 1));
	assert_property_announced(mark, path, "MaxVCPUs");
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "MaxVCPUs"), 6);
	assert_int_equal(vcpu_count(path, NULL, NULL), 2);
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 1, 1, "maximum", "b", 1));
	assert_int_equal(vcpu_count(path, "maximum", NULL), 1);
	assert_int_equal(vcpu_count(path, NULL, NULL), 1);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 4, 2, "maximum",
					  "b", 1, "current", "b", 1));

	/* Each refusal says why and changes nothing. */
	harness_wait_machine_expanded(path);
	_cleanup_free_ char *before = inactive_xml(path);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 5, 1,
			     "config", "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 0, 1,
			     "config", "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 300, 2,
			     "maximum", "b", 1, "config", "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 2, 2,
			     "current", "b", 1, "config", "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 2, 1, "guest",
			     "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 2, 1,
			     "maximum", "s", "yes");
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 2, 1, "live",
			     "b", 1);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 3, 0);
	_cleanup_free_ char *after = inactive_xml(path);
	assert_string_equal(before, after);
	/* Reading is open to everyone. */
	_cleanup_free_ char *out =
		harness_nobody_call(path, ZVIRT_DOMAIN_IFACE, "GetVcpuCount", "a{sv}", 1, "maximum", "b", 1);
	assert_non_null(strstr(out, "UINT32 4"));

	/* Durable: a restarted daemon reads the same. */
	assert_int_equal(harness_restart_daemon(), 0);
	assert_int_equal(vcpu_count(path, NULL, NULL), 1);
	assert_int_equal(vcpu_count(path, "maximum", NULL), 4);
	harness_undefine(path);
}

static void test_vcpus_hotplug(void **state)
{
	_cleanup_free_ char *xml = guest_with_vcpus("vcpus-hotplug", 1, 3);
	_cleanup_free_ char *path = harness_define(xml);
	harness_boot_guest(path, "vcpus-hotplug");
	_cleanup_free_ char *out = console_command(path, "cpus online");
	assert_non_null(strstr(out, "online=0\n") ?: strstr(out, "online=0\r"));
	free(TAKE_PTR(out));

	assert_int_equal(vcpu_count(path, NULL, NULL), 1);
	assert_int_equal(vcpu_count(path, "live", "maximum"), 3);

	/* One more vCPU, now: QEMU adds it, the guest finds it and brings it
	 * online; the live definition counts it, the next start does not. */
	size_t mark = harness_signal_mark();
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 2, 1, "live", "b", 1));
	assert_property_announced(mark, path, "VCPUs");
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "VCPUs"), 2);
	assert_int_equal(vcpu_count(path, "live", NULL), 2);
	assert_int_equal(vcpu_count(path, "config", NULL), 1);
	{
		_cleanup_free_ char *live = harness_get_xml(path);
		assert_non_null(strstr(live, "<vcpu placement='static' current='2'>3</vcpu>"));
	}
	out = console_command(path, "cpus online");
	assert_non_null(strstr(out, "online=0-1"));
	free(TAKE_PTR(out));

	/* Fewer is not possible on s390x, more than the maximum neither, and
	 * the maximum of a running QEMU is fixed. */
	_cleanup_free_ char *live_before = harness_get_xml(path);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 1, 1, "live",
			     "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 4, 0);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 3, 2, "live",
			     "b", 1, "maximum", "b", 1);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 3, 1,
			     "maximum", "b", 1);
	/* config too: validated before anything happens. */
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 4, 2, "live",
			     "b", 1, "config", "b", 1);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 3, 1,
				    "live", "b", 1);
	_cleanup_free_ char *live_after = harness_get_xml(path);
	assert_string_equal(live_before, live_after);
	/* The count it has already: nothing to do. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 2, 0));

	/* A restarted daemon agrees with QEMU: two vCPUs run. */
	assert_int_equal(harness_restart_daemon(), 0);
	assert_int_equal(vcpu_count(path, "live", NULL), 2);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *stats =
			harness_call(path, ZVIRT_DOMAIN_IFACE, "GetStats", "a{sv}", 0);
		_cleanup_free_ char *dump = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&dump, &size);
		assert_non_null(f);
		assert_int_equal(sd_bus_message_dump(stats, f, 0), 0);
		fclose(f);
		assert_non_null(strstr(dump, "vcpu.1.state"));
		assert_null(strstr(dump, "vcpu.2.state"));
	}

	/* live and config together: both become 3. */
	mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 3, 2, "live", "b",
					  1, "config", "b", 1));
	assert_property_announced(mark, path, "VCPUs");
	assert_int_equal(vcpu_count(path, "live", NULL), 3);
	assert_int_equal(vcpu_count(path, "config", NULL), 3);
	out = console_command(path, "cpus online");
	assert_non_null(strstr(out, "online=0-2"));
	harness_undefine(path);
}

/* ---- CPU weight ---- */

static uint64_t sched_shares(const char *path, const char *key)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		key ? harness_call(path, ZVIRT_DOMAIN_IFACE, "GetSchedulerParameters", "a{sv}", 1, key, "b",
				   1)
		    : harness_call(path, ZVIRT_DOMAIN_IFACE, "GetSchedulerParameters", "a{sv}", 0);
	const char *name;
	uint64_t shares = 0;
	assert_true(sd_bus_message_enter_container(reply, 'a', "{sv}") > 0);
	assert_true(sd_bus_message_read(reply, "{sv}", &name, "t", &shares) > 0);
	assert_string_equal(name, "cpu_shares");
	return shares;
}

static void set_shares(const char *path, uint64_t shares, const char *key)
{
	if (key)
		sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters",
						  "a{sv}a{sv}", 1, "cpu_shares", "t", shares, 1, key, "b",
						  1));
	else
		sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters",
						  "a{sv}a{sv}", 1, "cpu_shares", "t", shares, 0));
}

/* Where the cpu controller is mounted, and which version: from
 * /proc/self/mountinfo, as the daemon finds it. NULL when it is not. */
static char *cpu_mount(bool *v2)
{
	_cleanup_free_ char *info = harness_read_file("/proc/self/mountinfo");
	char *v2_mount = NULL;
	for (char *line = strtok(info, "\n"); line; line = strtok(NULL, "\n")) {
		char mount[512], fstype[64], opts[512];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", mount) != 1 ||
		    sscanf(sep + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		char padded[520];
		snprintf(padded, sizeof(padded), ",%s,", opts);
		if (strcmp(fstype, "cgroup") == 0 && strstr(padded, ",cpu,")) {
			free(v2_mount);
			*v2 = false;
			return strdup(mount);
		}
		if (strcmp(fstype, "cgroup2") == 0 && !v2_mount)
			v2_mount = strdup(mount);
	}
	*v2 = true;
	return v2_mount;
}

/* The cgroup directory of pid in the cpu hierarchy. */
static char *cpu_cgroup_of(pid_t pid, bool *v2)
{
	_cleanup_free_ char *mount = cpu_mount(v2);
	char file[64];
	if (!mount)
		return NULL;
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	_cleanup_free_ char *text = harness_read_file(file);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		char controllers[256];
		snprintf(controllers, sizeof(controllers), ",%s,", c1 + 1);
		if (*v2 ? strcmp(line, "0") == 0 : strstr(controllers, ",cpu,") != NULL) {
			char *dir = NULL;
			assert_true(asprintf(&dir, "%s%s", mount, c2 + 1) > 0);
			return dir;
		}
	}
	return NULL;
}

/* What the kernel has for pid's cgroup, as shares. */
static uint64_t cgroup_shares(pid_t pid, char **ret_dir)
{
	bool v2;
	_cleanup_free_ char *dir = cpu_cgroup_of(pid, &v2);
	char file[1024];
	if (!dir)
		return 0;
	snprintf(file, sizeof(file), "%s/%s", dir, v2 ? "cpu.weight" : "cpu.shares");
	_cleanup_free_ char *text = harness_read_file(file);
	uint64_t value = strtoull(text, NULL, 10);
	if (ret_dir)
		*ret_dir = TAKE_PTR(dir);
	/* v2 keeps a weight (systemd's conversion, 1024 shares = 100). */
	return v2 ? value * 1024 / 100 : value;
}

static void test_schedinfo(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("sched-guest");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *uuid = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "UUID");
	bool v2;
	_cleanup_free_ char *mount = cpu_mount(&v2);
	if (!mount)
		skip(); /* the daemon's refusal without a controller is its own test */

	assert_int_equal(sched_shares(path, NULL), 1024);
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "CPUShares"), 1024);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters",
			     "a{sv}a{sv}", 1, "cpu_shares", "t", (uint64_t)2048, 1, "live", "b", 1);

	harness_boot_guest(path, "sched-guest");
	pid_t pid = (pid_t)harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	_cleanup_free_ char *dir = NULL;
	/* Its own cgroup from the start, with the default weight. */
	assert_int_equal(cgroup_shares(pid, &dir), 1024);
	assert_non_null(dir);
	assert_non_null(strstr(dir, "/zvirt/"));
	assert_non_null(strstr(dir, uuid));

	/* live: the cgroup at once, and the property. */
	size_t mark = harness_signal_mark();
	set_shares(path, 2048, "live");
	assert_property_announced(mark, path, "CPUShares");
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "CPUShares"), 2048);
	assert_int_equal(cgroup_shares(pid, NULL), 2048);
	assert_int_equal(sched_shares(path, NULL), 2048);
	assert_int_equal(sched_shares(path, "config"), 1024);

	/* config: the next start's, not the running one's. */
	set_shares(path, 512, "config");
	assert_int_equal(sched_shares(path, "config"), 512);
	assert_int_equal(sched_shares(path, "live"), 2048);
	assert_int_equal(cgroup_shares(pid, NULL), 2048);
	{
		_cleanup_free_ char *x = inactive_xml(path);
		assert_non_null(strstr(x, "<cputune>\n    <shares>512</shares>\n  </cputune>"));
	}

	/* Bad values, unknown parameters and options, wrong types: refused,
	 * nothing changed. */
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters",
			     "a{sv}a{sv}", 1, "cpu_shares", "t", (uint64_t)1, 0);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters",
			     "a{sv}a{sv}", 1, "cpu_shares", "t", (uint64_t)262145, 1, "config", "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters",
			     "a{sv}a{sv}", 1, "cpu_shares", "u", (uint32_t)2048, 0);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters",
			     "a{sv}a{sv}", 1, "vcpu_quota", "x", (int64_t)1000, 0);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters",
			     "a{sv}a{sv}", 1, "cpu_shares", "t", (uint64_t)4096, 1, "persistent", "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters",
			     "a{sv}a{sv}", 1, "cpu_shares", "t", (uint64_t)4096, 2, "current", "b", 1,
			     "live", "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "GetSchedulerParameters", "a{sv}",
			     2, "live", "b", 1, "config", "b", 1);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters",
				    "a{sv}a{sv}", 1, "cpu_shares", "t", (uint64_t)4096, 0);
	_cleanup_free_ char *out =
		harness_nobody_call(path, ZVIRT_DOMAIN_IFACE, "GetSchedulerParameters", "a{sv}", 0);
	assert_non_null(strstr(out, "UINT64 2048"));
	assert_int_equal(cgroup_shares(pid, NULL), 2048);
	assert_int_equal(sched_shares(path, "config"), 512);

	/* A restarted daemon finds the cgroup again and changes it. */
	assert_int_equal(harness_restart_daemon(), 0);
	set_shares(path, 3000, NULL);
	assert_int_equal(cgroup_shares(pid, NULL), v2 ? 3000 * 100 / 1024 * 1024 / 100 : 3000);
	assert_int_equal(sched_shares(path, "live"), 3000);

	/* QEMU's end takes its cgroup; the next start has the config's weight. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "shut-off", "destroyed", HARNESS_STATE_TIMEOUT_MS), 0);
	/* Gone at once, or (a QEMU the restarted daemon did not start is
	 * reaped by its new parent in its time) within the daemon's retries. */
	struct stat st;
	int gone = -1;
	for (int i = 0; i < 60 && (gone = stat(dir, &st)) == 0; i++)
		usleep(100 * 1000);
	assert_int_equal(gone, -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "CPUShares"), 512);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
	pid = (pid_t)harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	assert_int_equal(cgroup_shares(pid, NULL), 512);
	harness_undefine(path);
}

/* ---- I/O threads ---- */

typedef struct Threads {
	uint32_t ids[16];
	size_t n;
	bool cpus_ok; /* every thread had CPUs */
} Threads;

static Threads get_iothreads(const char *path, const char *key)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		key ? harness_call(path, ZVIRT_DOMAIN_IFACE, "GetIOThreads", "a{sv}", 1, key, "b", 1)
		    : harness_call(path, ZVIRT_DOMAIN_IFACE, "GetIOThreads", "a{sv}", 0);
	Threads t = {.cpus_ok = true};
	assert_true(sd_bus_message_enter_container(reply, 'a', "(uas)") > 0);
	while (sd_bus_message_enter_container(reply, 'r', "uas") > 0) {
		_cleanup_strv_free_ char **cpus = NULL;
		assert_true(t.n < ELEMENTSOF(t.ids));
		assert_true(sd_bus_message_read(reply, "u", &t.ids[t.n]) > 0);
		assert_true(sd_bus_message_read_strv(reply, &cpus) >= 0);
		t.cpus_ok &= cpus && cpus[0] && (cpus[0][0] >= '0' && cpus[0][0] <= '9');
		t.n++;
		assert_true(sd_bus_message_exit_container(reply) >= 0);
	}
	return t;
}

static bool has_thread(const Threads *t, uint32_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ids[i] == id)
			return true;
	return false;
}

static char *qemu_cmdline(pid_t pid)
{
	char file[64];
	snprintf(file, sizeof(file), "/proc/%d/cmdline", (int)pid);
	FILE *f = fopen(file, "r");
	assert_non_null(f);
	char *buf = calloc(1, 65536);
	size_t n = fread(buf, 1, 65535, f);
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	return buf;
}

static void add_iothread(const char *path, uint32_t id, const char *key)
{
	sd_bus_message_unref(
		key ? harness_call(path, ZVIRT_DOMAIN_IFACE, "AddIOThread", "ua{sv}", id, 1, key, "b", 1)
		    : harness_call(path, ZVIRT_DOMAIN_IFACE, "AddIOThread", "ua{sv}", id, 0));
}

static void del_iothread(const char *path, uint32_t id, const char *key)
{
	sd_bus_message_unref(
		key ? harness_call(path, ZVIRT_DOMAIN_IFACE, "DeleteIOThread", "ua{sv}", id, 1, key, "b", 1)
		    : harness_call(path, ZVIRT_DOMAIN_IFACE, "DeleteIOThread", "ua{sv}", id, 0));
}

static void test_iothreads(void **state)
{
	_cleanup_free_ char *image = NULL;
	assert_true(asprintf(&image, "%s/iothread-disk.raw", harness_tmpdir()) > 0);
	harness_write_file(image, "");
	assert_int_equal(truncate(image, 4 << 20), 0);
	_cleanup_free_ char *base = harness_guest_xml("io-guest");
	_cleanup_free_ char *disk = NULL;
	assert_true(
		asprintf(&disk,
			 "    <disk type='file' device='disk'><driver name='qemu' type='raw' iothread='1'/>"
			 "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n"
			 "    <memballoon model='none'/>\n",
			 image) > 0);
	_cleanup_free_ char *with_disk = replace_once(base, "    <memballoon model='none'/>\n", disk);
	_cleanup_free_ char *xml =
		replace_once(with_disk, "<vcpu>1</vcpu>", "<vcpu>1</vcpu>\n  <iothreads>2</iothreads>");
	_cleanup_free_ char *path = harness_define(xml);

	/* Shut off: the definition's threads, each on the host's CPUs. */
	Threads t = get_iothreads(path, NULL);
	assert_int_equal(t.n, 2);
	assert_true(has_thread(&t, 1) && has_thread(&t, 2) && t.cpus_ok);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "AddIOThread", "ua{sv}", 3, 1,
			     "live", "b", 1);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "GetIOThreads", "a{sv}", 1, "live",
			     "b", 1);

	harness_boot_guest(path, "io-guest");
	pid_t pid = (pid_t)harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	{
		_cleanup_free_ char *cmd = qemu_cmdline(pid);
		assert_non_null(strstr(cmd,
				       "-object {\"qom-type\":\"iothread\",\"id\":\"iothread1\"} -object "
				       "{\"qom-type\":\"iothread\",\"id\":\"iothread2\"}"));
		assert_non_null(strstr(cmd, "virtio-blk-ccw,iothread=iothread1,"));
	}
	/* QEMU's threads, with the CPUs the kernel lets them run on. */
	t = get_iothreads(path, NULL);
	assert_int_equal(t.n, 2);
	assert_true(has_thread(&t, 1) && has_thread(&t, 2) && t.cpus_ok);

	/* iothreadadd --live: QEMU has it, the next start does not. */
	add_iothread(path, 3, "live");
	t = get_iothreads(path, "live");
	assert_true(t.n == 3 && has_thread(&t, 3) && t.cpus_ok);
	t = get_iothreads(path, "config");
	assert_true(t.n == 2 && !has_thread(&t, 3));
	{
		_cleanup_free_ char *live = harness_get_xml(path);
		assert_non_null(strstr(live, "<iothreads>3</iothreads>"));
		assert_non_null(strstr(live, "<iothread id='3'/>"));
	}

	/* Refused, and nothing changed: a thread a disk uses, one that is
	 * not there, one that is, 0, unknown options, another caller. */
	harness_wait_machine_expanded(path);
	_cleanup_free_ char *live_before = harness_get_xml(path), *config_before = inactive_xml(path);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "DeleteIOThread", "ua{sv}", 1, 0);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "DeleteIOThread", "ua{sv}", 1, 1,
			     "config", "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "DeleteIOThread", "ua{sv}", 9, 0);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "DeleteIOThread", "ua{sv}", 3, 1,
			     "config", "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "AddIOThread", "ua{sv}", 3, 0);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "AddIOThread", "ua{sv}", 0, 0);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "AddIOThread", "ua{sv}", 5, 1, "id",
			     "u", 5);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "GetIOThreads", "a{sv}", 2, "live",
			     "b", 1, "config", "b", 1);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "AddIOThread", "ua{sv}", 5, 0);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "DeleteIOThread", "ua{sv}", 2,
				    0);
	_cleanup_free_ char *out = harness_nobody_call(path, ZVIRT_DOMAIN_IFACE, "GetIOThreads", "a{sv}", 0);
	assert_non_null(strstr(out, "UINT32 3"));
	_cleanup_free_ char *live_after = harness_get_xml(path), *config_after = inactive_xml(path);
	assert_string_equal(live_before, live_after);
	assert_string_equal(config_before, config_after);

	/* iothreaddel of one no disk uses, live and config at once. */
	del_iothread(path, 2, NULL); /* current: live */
	t = get_iothreads(path, NULL);
	assert_true(t.n == 2 && has_thread(&t, 1) && has_thread(&t, 3) && !has_thread(&t, 2));
	add_iothread(path, 7, "config");
	del_iothread(path, 2, "config");
	{
		_cleanup_free_ char *x = inactive_xml(path);
		assert_non_null(strstr(x,
				       "<iothreads>2</iothreads>\n  <iothreadids>\n    <iothread id='1'/>\n"
				       "    <iothread id='7'/>\n  </iothreadids>"));
	}
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "AddIOThread", "ua{sv}", 7, 2,
			     "live", "b", 1, "config", "b", 1);
	add_iothread(path, 8, NULL);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "AddIOThread", "ua{sv}", 9, 2, "live",
					  "b", 1, "config", "b", 1));

	/* A restarted daemon and QEMU agree: 1, 3, 8, 9 run. */
	assert_int_equal(harness_restart_daemon(), 0);
	t = get_iothreads(path, "live");
	assert_int_equal(t.n, 4);
	assert_true(has_thread(&t, 1) && has_thread(&t, 3) && has_thread(&t, 8) && has_thread(&t, 9));
	{
		_cleanup_free_ char *live = harness_get_xml(path);
		assert_non_null(strstr(live, "<iothreads>4</iothreads>"));
	}
	t = get_iothreads(path, "config");
	assert_true(t.n == 3 && has_thread(&t, 1) && has_thread(&t, 7) && has_thread(&t, 9));
	harness_undefine(path);
}

/* ---- polkit's details ---- */

/* test.rules lets nobody change the CPU weight of granted-guest and
 * nothing else of org.zvirt1.domain.modify: the verb tells the calls
 * apart, the domain's name the domains. */
static void test_modify_verbs(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml(HARNESS_GRANTED_DOMAIN, NULL);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *other_xml = harness_minimal_xml("modify-other", NULL);
	_cleanup_free_ char *other = harness_define(other_xml);

	_cleanup_free_ char *out =
		harness_nobody_call(path, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters", "a{sv}a{sv}", 1,
				    "cpu_shares", "t", (uint64_t)300, 1, "config", "b", 1);
	assert_int_equal(sched_shares(path, NULL), 300);
	harness_nobody_expect_error(NOT_AUTHORIZED, other, ZVIRT_DOMAIN_IFACE, "SetSchedulerParameters",
				    "a{sv}a{sv}", 1, "cpu_shares", "t", (uint64_t)300, 0);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", 1, 0);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "AddIOThread", "ua{sv}", 1, 0);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "DeleteIOThread", "ua{sv}", 1,
				    0);
	assert_int_equal(sched_shares(other, NULL), 1024);
	{
		_cleanup_free_ char *x = inactive_xml(path);
		assert_null(strstr(x, "iothread"));
	}
	harness_undefine(path);
	harness_undefine(other);
}

/* ---- ReservedHostMemory ---- */

static char *conf_path(void)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/zvirtd.conf", harness_tmpdir()) > 0);
	return p;
}

static void reload_with(const char *original, const char *extra)
{
	_cleanup_free_ char *conf = conf_path(), *text = NULL;
	assert_true(asprintf(&text, "%s\n%s", original, extra) > 0);
	harness_write_file(conf, text);
	sd_bus_message_unref(
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));
}

static void test_reserved_host_memory(void **state)
{
	_cleanup_free_ char *conf = conf_path();
	_cleanup_free_ char *original = harness_read_file(conf);
	_cleanup_free_ char *xml = harness_guest_xml("reserve-guest");
	_cleanup_free_ char *path = harness_define(xml);

	/* More than the host has: no start leaves that much. */
	reload_with(original, "[Hypervisor]\nReservedHostMemory=64T\n");
	size_t mark = harness_signal_mark();
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = harness_call_full(harness_bus(), &error, NULL, path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}",
				  0);
	assert_true(r < 0);
	assert_string_equal(error.name, HOST_ERROR);
	assert_non_null(strstr(error.message, "it needs 256 MiB"));
	assert_non_null(strstr(error.message, "ReservedHostMemory keeps 67108864 MiB"));
	/* Refused before anything began. */
	harness_assert_state(path, "shut-off", "unknown");
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), 0);
	assert_return_code(harness_flush_signals(), 0);
	assert_null(harness_signal_find(mark, path, ZVIRT_DOMAIN_IFACE, "StateChanged", NULL));

	/* A little is fine. */
	reload_with(original, "[Hypervisor]\nReservedHostMemory=16M\n");
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);

	harness_write_file(conf, original);
	sd_bus_message_unref(
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));
	harness_undefine(path);
}

int main(void)
{
	/* One test a line. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpus_config),
		cmocka_unit_test(test_vcpus_hotplug),
		cmocka_unit_test(test_schedinfo),
		cmocka_unit_test(test_iothreads),
		cmocka_unit_test(test_modify_verbs),
		cmocka_unit_test(test_reserved_host_memory),
	};
	/* clang-format on */
	return harness_main("resources", tests, 0);
}
