/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* util/log-rotate: files that never pass their limit, lines kept whole
 * where they fit, at most N backups, and errors that drop output instead
 * of growing a file. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log-rotate.h"

typedef struct Fixture {
	char dir[64];
	char *log; /* <dir>/d.log */
} Fixture;

static int setup(void **state)
{
	Fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/test-log-rotate.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_true(asprintf(&f->log, "%s/d.log", f->dir) > 0);
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	Fixture *f = *state;
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f->log);
	free(f);
	return 0;
}

static void put_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* The file's contents ("" for a missing one, NULL-safe to compare). */
static char *contents(const Fixture *f, const char *suffix)
{
	_cleanup_free_ char *path = NULL;
	char *buf = NULL;
	size_t len = 0;
	assert_true(asprintf(&path, "%s%s", f->log, suffix) > 0);
	if (read_file_full(path, 1 << 20, &buf, &len) < 0)
		return strdup("");
	return buf;
}

static bool exists(const Fixture *f, const char *suffix)
{
	_cleanup_free_ char *path = NULL;
	assert_true(asprintf(&path, "%s%s", f->log, suffix) > 0);
	return access(path, F_OK) == 0;
}

static void assert_file(const Fixture *f, const char *suffix, const char *expected)
{
	_cleanup_free_ char *text = contents(f, suffix);
	assert_string_equal(text, expected);
}

static void test_below_limit_appends(void **state)
{
	Fixture *f = *state;
	_cleanup_(log_rotate_close) LogRotate l = LOG_ROTATE_INIT;

	put_file(f->log, "old\n");
	assert_int_equal(log_rotate_open(&l, f->log, 16, 3, false), 0);
	assert_int_equal(l.size, 4);
	assert_int_equal(log_rotate_write(&l, "new\n", 4), 0);
	assert_file(f, "", "old\nnew\n");
	assert_false(exists(f, ".0"));
}

/* The limit is reached exactly, then the next byte starts a new file. */
static void test_rotates_at_limit(void **state)
{
	Fixture *f = *state;
	_cleanup_(log_rotate_close) LogRotate l = LOG_ROTATE_INIT;

	assert_int_equal(log_rotate_open(&l, f->log, 8, 3, false), 0);
	assert_int_equal(log_rotate_write(&l, "1234567\n", 8), 0);
	assert_false(exists(f, ".0"));
	assert_int_equal(log_rotate_write(&l, "abc\n", 4), 0);
	assert_file(f, ".0", "1234567\n");
	assert_file(f, "", "abc\n");

	/* Lines stay whole: "de\nfghij\n" does not fit after "abc\n"; the
	 * part up to the newline that fits does. */
	assert_int_equal(log_rotate_write(&l, "de\nfghij\n", 9), 0);
	assert_file(f, ".1", "1234567\n");
	assert_file(f, ".0", "abc\nde\n");
	assert_file(f, "", "fghij\n");
}

/* A file already over the limit (a lower limit configured since) is
 * rotated before anything more is written to it. */
static void test_file_over_limit(void **state)
{
	Fixture *f = *state;
	_cleanup_(log_rotate_close) LogRotate l = LOG_ROTATE_INIT;

	put_file(f->log, "0123456789abcdef\n");
	assert_int_equal(log_rotate_open(&l, f->log, 8, 3, false), 0);
	assert_int_equal(log_rotate_write(&l, "x\n", 2), 0);
	assert_file(f, ".0", "0123456789abcdef\n");
	assert_file(f, "", "x\n");
}

/* A line longer than the limit: it starts a file of its own and is cut
 * into pieces of the limit; no file is ever larger. */
static void test_line_longer_than_limit(void **state)
{
	Fixture *f = *state;
	_cleanup_(log_rotate_close) LogRotate l = LOG_ROTATE_INIT;

	assert_int_equal(log_rotate_open(&l, f->log, 8, 3, false), 0);
	assert_int_equal(log_rotate_write(&l, "hi\n", 3), 0);
	assert_int_equal(log_rotate_write(&l, "ABCDEFGHIJKLMNOPQRS\n", 20), 0);
	assert_file(f, ".2", "hi\n");
	assert_file(f, ".1", "ABCDEFGH");
	assert_file(f, ".0", "IJKLMNOP");
	assert_file(f, "", "QRS\n");
}

/* At most max_backups old files: the oldest goes. */
static void test_keeps_n_backups(void **state)
{
	Fixture *f = *state;
	_cleanup_(log_rotate_close) LogRotate l = LOG_ROTATE_INIT;

	assert_int_equal(log_rotate_open(&l, f->log, 4, 3, false), 0);
	for (char c = 'a'; c <= 'f'; c++) {
		char line[] = {c, c, c, '\n'};
		assert_int_equal(log_rotate_write(&l, line, sizeof(line)), 0);
	}
	assert_file(f, "", "fff\n");
	assert_file(f, ".0", "eee\n");
	assert_file(f, ".1", "ddd\n");
	assert_file(f, ".2", "ccc\n");
	assert_false(exists(f, ".3"));
}

static void test_no_backups(void **state)
{
	Fixture *f = *state;
	_cleanup_(log_rotate_close) LogRotate l = LOG_ROTATE_INIT;

	assert_int_equal(log_rotate_open(&l, f->log, 4, 0, false), 0);
	assert_int_equal(log_rotate_write(&l, "aaa\nbbb\n", 8), 0);
	assert_file(f, "", "bbb\n");
	assert_false(exists(f, ".0"));
}

/* fresh: the previous run's file is kept as .0, the new run starts empty;
 * an empty file is not rotated. */
static void test_fresh(void **state)
{
	Fixture *f = *state;
	_cleanup_(log_rotate_close) LogRotate l = LOG_ROTATE_INIT;

	put_file(f->log, "last run\n");
	assert_int_equal(log_rotate_open(&l, f->log, 1024, 3, true), 0);
	assert_int_equal(l.size, 0);
	assert_file(f, ".0", "last run\n");
	assert_file(f, "", "");
	log_rotate_close(&l);

	assert_int_equal(log_rotate_open(&l, f->log, 1024, 3, true), 0);
	assert_false(exists(f, ".1"));
}

static void test_refuses_links_and_devices(void **state)
{
	Fixture *f = *state;
	_cleanup_(log_rotate_close) LogRotate l = LOG_ROTATE_INIT;

	assert_int_equal(symlink("/dev/null", f->log), 0);
	assert_int_equal(log_rotate_open(&l, f->log, 1024, 3, false), -ELOOP);
	log_rotate_close(&l);
	assert_int_equal(log_rotate_open(&l, "/dev/null", 1024, 3, false), -EINVAL);
}

/* A write that fails (here: the file size limit of the process) reports
 * the error and drops the rest; the file stays intact and later writes
 * work again once the cause is gone. */
static void test_write_error(void **state)
{
	Fixture *f = *state;
	_cleanup_(log_rotate_close) LogRotate l = LOG_ROTATE_INIT;
	struct rlimit old, small;

	assert_int_equal(log_rotate_open(&l, f->log, 1024, 3, false), 0);
	assert_int_equal(log_rotate_write(&l, "0123456789\n", 11), 0);

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = (struct rlimit){.rlim_cur = 16, .rlim_max = old.rlim_max};
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	int r = log_rotate_write(&l, "abcdefghij\n", 11);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(r, -EFBIG);
	/* What was written is counted: the size matches the file. */
	assert_int_equal(l.size, 16);
	assert_file(f, "", "0123456789\nabcde");
	assert_int_equal(log_rotate_write(&l, "\nok\n", 4), 0);
	assert_file(f, "", "0123456789\nabcde\nok\n");
}

/* A rollover that cannot rename (the directory went away) fails and
 * writes nothing: the limit holds even then. */
static void test_rollover_error(void **state)
{
	Fixture *f = *state;
	_cleanup_(log_rotate_close) LogRotate l = LOG_ROTATE_INIT;
	_cleanup_free_ char *sub = NULL, *path = NULL;

	assert_true(asprintf(&sub, "%s/sub", f->dir) > 0);
	assert_true(asprintf(&path, "%s/x.log", sub) > 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(log_rotate_open(&l, path, 4, 3, false), 0);
	assert_int_equal(log_rotate_write(&l, "abc\n", 4), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(log_rotate_write(&l, "def\n", 4), -ENOENT);
	assert_int_equal(l.fd, -1);
	/* It comes back with its directory. */
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(log_rotate_write(&l, "ghi\n", 4), 0);
	assert_int_equal(l.size, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_below_limit_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotates_at_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_over_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_longer_than_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keeps_n_backups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_backups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_links_and_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
