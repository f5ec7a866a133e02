/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain.OpenConsole and Domain.InjectNMI on a real s390x guest: a shell
 * command sent through the returned socket is answered by the guest; a
 * second client is Busy, a forced one takes over and the first sees end
 * of file; the relay ends with the domain. A restart interrupt
 * (inject-nmi) stops Linux in a disabled wait: QEMU reports a panic.
 * Wrong states, unknown options and an unprivileged caller are refused.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define OPERATION_INVALID ZVIRT_ERROR("OperationInvalid")
#define BUSY              ZVIRT_ERROR("Busy")
#define INVALID_ARGUMENT  ZVIRT_ERROR("InvalidArgument")
#define NOT_AUTHORIZED    ZVIRT_ERROR("NotAuthorized")

static void boot(const char *path, const char *name, bool paused)
{
	_cleanup_free_ char *log = harness_console_log(name);
	off_t mark = harness_file_size(log);

	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", paused));
	if (paused) {
		assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);
		return;
	}
	assert_int_equal(harness_wait_state(path, "running", "booted", HARNESS_STATE_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console_from(
				 log, mark, "zvirt-guest: ready boot_id=", HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
}

/* OpenConsole; the caller's descriptor (a duplicate it owns), or a
 * negative errno with error set. */
static int call_open_console(const char *path, bool force, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int fd, r;

	r = force ? harness_call_full(harness_bus(), error, &reply, path, ZVIRT_DOMAIN_IFACE, "OpenConsole",
				      "a{sv}", 1, "force", "b", 1)
		  : harness_call_full(harness_bus(), error, &reply, path, ZVIRT_DOMAIN_IFACE, "OpenConsole",
				      "a{sv}", 0);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "h", &fd);
	if (r < 0)
		fail_msg("OpenConsole reply: %s", strerror(-r));
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	assert_true(fd >= 0);
	return fd;
}

static int console_fd(const char *path, bool force)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int fd = call_open_console(path, force, &error);
	if (fd < 0)
		fail_msg("OpenConsole on %s failed: %s: %s", path, error.name ?: "(local)",
			 error.message ?: strerror(-fd));
	return fd;
}

/* Reads fd until `until` has come on a whole line, or end of file (then
 * -EPIPE), or timeout_ms. What came is in *ret (may be NULL). */
static int read_until(int fd, const char *until, int timeout_ms, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;
	int64_t deadline = harness_now_ms() + timeout_ms;
	int r = -ETIMEDOUT;

	for (;;) {
		int64_t left = deadline - harness_now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0)
			break;
		int k = poll(&p, 1, (int)left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (size - len < 1024) {
			size = size ? size * 2 : 4096;
			buf = realloc(buf, size);
			assert_non_null(buf);
		}
		ssize_t n = read(fd, buf + len, size - len - 1);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			r = n == 0 ? -EPIPE : -errno;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		const char *hit = until ? memmem(buf, len, until, strlen(until)) : NULL;
		if (hit && memchr(hit, '\n', len - (size_t)(hit - buf))) {
			r = 0;
			break;
		}
	}
	if (ret)
		*ret = buf ? TAKE_PTR(buf) : strdup("");
	return r;
}

/* A guest shell command through the console socket, and its answer. */
static void console_command(int fd, const char *command, const char *expect)
{
	_cleanup_free_ char *line = NULL, *until = NULL, *out = NULL;
	size_t word = strcspn(command, " ");

	assert_true(asprintf(&line, "%s\n", command) > 0);
	assert_true(asprintf(&until, "zvirt-guest: done %.*s", (int)word, command) > 0);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	int r = read_until(fd, until, 20000, &out);
	if (r < 0 || !strstr(out, expect))
		fail_msg("console command \"%s\": %s; read: %s", command, strerror(-r), out);
}

/* The relay let the socket go: end of file (or a reset), not just silence. */
static void expect_eof(int fd, int timeout_ms)
{
	_cleanup_free_ char *out = NULL;
	int r = read_until(fd, NULL, timeout_ms, &out);
	if (r != -EPIPE && r != -ECONNRESET)
		fail_msg("the console socket did not end (%s); read: %s", strerror(-r), out);
}

static void test_console_relay(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("console-relay");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	/* Shut off: no console to open. */
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "OpenConsole", "a{sv}", 0);

	boot(path, "console-relay", false);

	/* Options: only force (b), and nobody is refused by polkit. */
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "OpenConsole", "a{sv}", 1, "bogus",
			     "b", 1);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "OpenConsole", "a{sv}", 1, "force",
			     "s", "yes");
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "OpenConsole", "a{sv}", 0);

	/* The guest's shell answers through the socket, both ways. */
	int first = console_fd(path, false);
	console_command(first, "echo hello-through-the-relay", "hello-through-the-relay");

	/* One client at a time. */
	int r = call_open_console(path, false, &error);
	assert_true(r < 0);
	assert_true(sd_bus_error_has_name(&error, BUSY));
	sd_bus_error_free(&error);

	/* force takes it over: the first client sees end of file, the
	 * second is served. */
	int second = console_fd(path, true);
	expect_eof(first, 5000);
	close(first);
	console_command(second, "bootid", "boot_id=");

	/* A client that leaves frees the console for the next one. */
	close(second);
	int third = -1;
	for (int64_t deadline = harness_now_ms() + 5000; third < 0 && harness_now_ms() < deadline;) {
		third = call_open_console(path, false, &error);
		if (third < 0) {
			assert_true(sd_bus_error_has_name(&error, BUSY));
			sd_bus_error_free(&error);
			usleep(50 * 1000);
		}
	}
	assert_true(third >= 0);
	console_command(third, "echo still-there", "still-there");

	/* The relay ends with the domain. */
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	expect_eof(third, 5000);
	close(third);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "OpenConsole", "a{sv}", 0);
	harness_undefine(path);
}

/* The harness guest with its console logged to a file instead of a pty. */
static void test_console_not_a_pty(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("console-file");
	_cleanup_free_ char *out = NULL, *edited = NULL;
	char *con = strstr(xml, "<console type='pty'>");
	assert_non_null(con);
	assert_true(asprintf(&out, "%s/console-file.out", harness_tmpdir()) > 0);
	assert_true(asprintf(&edited, "%.*s<console type='file'>\n      <source path='%s'/>%s",
			     (int)(con - xml), xml, out, con + strlen("<console type='pty'>")) > 0);
	harness_write_file(out, ""); /* given to QEMU's user at start */
	_cleanup_free_ char *path = harness_define(edited);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	boot(path, "console-file", true);
	int r = call_open_console(path, false, &error);
	assert_true(r < 0);
	assert_true(sd_bus_error_has_name(&error, OPERATION_INVALID));
	if (!strstr(error.message, "no pty console"))
		fail_msg("unexpected message: %s", error.message);
	harness_undefine(path);
}

/* The guest with <on_crash>preserve, so that a panic stays to be seen. */
static char *guest_xml_preserve(const char *name)
{
	_cleanup_free_ char *xml = harness_guest_xml(name);
	char *os_end = strstr(xml, "</os>\n");
	char *out = NULL;
	assert_non_null(os_end);
	os_end += strlen("</os>\n");
	assert_true(asprintf(&out, "%.*s  <on_crash>preserve</on_crash>\n%s", (int)(os_end - xml), xml,
			     os_end) > 0);
	return out;
}

static void test_inject_nmi(void **state)
{
	_cleanup_free_ char *xml = guest_xml_preserve("nmi-guest");
	_cleanup_free_ char *path = harness_define(xml);

	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "InjectNMI", "a{sv}", 0);

	/* Paused: QEMU takes it; the guest acts on it once it runs. */
	boot(path, "nmi-guest", true);
	harness_expect_error(INVALID_ARGUMENT, path, ZVIRT_DOMAIN_IFACE, "InjectNMI", "a{sv}", 1, "force",
			     "b", 1);
	harness_nobody_expect_error(NOT_AUTHORIZED, path, ZVIRT_DOMAIN_IFACE, "InjectNMI", "a{sv}", 0);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "InjectNMI", "a{sv}", 0));
	harness_assert_state(path, "paused", "user");
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));

	/* Running: Linux's restart handler stops every CPU and enters a
	 * disabled wait, which QEMU reports as a panic. */
	boot(path, "nmi-guest", false);
	uint32_t pid = harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid");
	_cleanup_free_ char *pty = harness_console_pty(path);
	assert_non_null(pty);
	assert_int_equal(harness_console_command(pty, "echo before-nmi", 20000, NULL), 0);
	size_t mark = harness_signal_mark();
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "InjectNMI", "a{sv}", 0));
	assert_int_equal(harness_wait_state(path, "crashed", "panicked", HARNESS_STATE_TIMEOUT_MS), 0);
	const HarnessSignal *crashed = harness_wait_signal(mark, path, ZVIRT_DOMAIN_IFACE, "Crashed", NULL,
							   HARNESS_STATE_TIMEOUT_MS);
	assert_non_null(crashed);
	/* preserve: the same QEMU is still there, the guest no longer runs. */
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "QemuPid"), pid);
	harness_expect_error(OPERATION_INVALID, path, ZVIRT_DOMAIN_IFACE, "InjectNMI", "a{sv}", 0);

	/* Reset brings it back, and it answers again. */
	_cleanup_free_ char *log = harness_console_log("nmi-guest");
	off_t console_mark = harness_file_size(log);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Reset", "a{sv}", 0));
	assert_int_equal(harness_wait_console_from(log, console_mark, "zvirt-guest: ready boot_id=",
						   HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	assert_int_equal(harness_console_command(pty, "echo after-nmi", 20000, NULL), 0);
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_relay),
		cmocka_unit_test(test_console_not_a_pty),
		cmocka_unit_test(test_inject_nmi),
	};

	return harness_main("console", tests, 0);
}
