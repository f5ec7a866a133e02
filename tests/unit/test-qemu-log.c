/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu/process: QEMU's last error line since the last start's header,
 * also when the log rotated in between. */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "qemu/process.h"
#include "util/cleanup.h"

#define HEADER "2026-01-02 03:04:05" QEMU_LOG_HEADER_TAG "\n/usr/bin/qemu-system-s390x -name guest=a\n"

static char dir[] = "/tmp/test-qemu-log.XXXXXX";
static char log_path[64], backup_path[64];

static void put(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	snprintf(log_path, sizeof(log_path), "%s/a.log", dir);
	snprintf(backup_path, sizeof(backup_path), "%s/a.log.0", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)unlink(log_path);
	(void)unlink(backup_path);
	(void)rmdir(dir);
	return 0;
}

static void expect(const char *expected)
{
	_cleanup_free_ char *got = qemu_log_last_error(log_path);
	if (!expected)
		assert_null(got);
	else
		assert_string_equal(got, expected);
}

static void test_header(void **state)
{
	assert_true(qemu_log_is_header("2026-01-02 03:04:05: starting up"));
	assert_false(qemu_log_is_header("2026-01-02 03:04:05: starting up now"));
	assert_false(qemu_log_is_header("2026-01-02T03:04:05: starting up"));
	assert_false(qemu_log_is_header(": starting up"));
}

/* Only this run's lines count: an error of an earlier run does not. */
static void test_since_last_header(void **state)
{
	(void)unlink(backup_path);
	put(log_path, HEADER "qemu-system-s390x: old failure\n" HEADER "char device redirected\n");
	expect(NULL);
	put(log_path, HEADER "qemu-system-s390x: old failure\n" HEADER
			     "qemu-system-s390x: could not load kernel '/x'\nsomething else\n");
	expect("qemu-system-s390x: could not load kernel '/x'");
	assert_null(qemu_log_last_error("/nonexistent/a.log"));
}

/* The log rotated after the header: the run's lines are in .0 and in the
 * new file; the newest error wins, wherever it is. */
static void test_across_rotation(void **state)
{
	put(backup_path, "qemu-system-s390x: older run\n" HEADER "qemu-system-s390x: first error\n");
	put(log_path, "nothing to see\n");
	expect("qemu-system-s390x: first error");
	put(log_path, "qemu-system-s390x: second error\n");
	expect("qemu-system-s390x: second error");
	/* Rotated more than once: .0 has no header and is all this run's. */
	put(backup_path, "qemu-system-s390x: in the middle\n");
	put(log_path, "nothing\n");
	expect("qemu-system-s390x: in the middle");
	/* The current file has a header: .0 is an earlier run's. */
	put(log_path, HEADER "fine\n");
	expect(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_since_last_header),
		cmocka_unit_test(test_across_rotation),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
