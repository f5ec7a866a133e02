/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* util/ratelimit: bursts per window, and the count of what was held back. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/cleanup.h"
#include "util/ratelimit.h"

#define SEC 1000000ULL

static void test_burst_and_window(void **state)
{
	RateLimit rl = RATELIMIT_INIT(10 * SEC, 3);
	unsigned suppressed = 99;
	uint64_t t = 100 * SEC;

	/* The burst passes, with nothing suppressed before it. */
	for (int i = 0; i < 3; i++) {
		assert_true(ratelimit_below_at(&rl, t + (uint64_t)i, &suppressed));
		assert_int_equal(suppressed, 0);
	}
	/* The rest of the window is held back and counted. */
	for (int i = 0; i < 197; i++)
		assert_false(ratelimit_below_at(&rl, t + 5 * SEC, &suppressed));
	assert_false(ratelimit_below_at(&rl, t + 10 * SEC - 1, NULL));

	/* The next window: the first event learns the count, once. */
	assert_true(ratelimit_below_at(&rl, t + 10 * SEC, &suppressed));
	assert_int_equal(suppressed, 198);
	assert_true(ratelimit_below_at(&rl, t + 10 * SEC + 1, &suppressed));
	assert_int_equal(suppressed, 0);
	assert_true(ratelimit_below_at(&rl, t + 10 * SEC + 2, NULL));
	assert_false(ratelimit_below_at(&rl, t + 10 * SEC + 3, NULL));

	/* A long quiet time: a fresh window, whatever came before. */
	assert_true(ratelimit_below_at(&rl, t + 1000 * SEC, &suppressed));
	assert_int_equal(suppressed, 1);
}

static void test_zero_burst(void **state)
{
	RateLimit rl = RATELIMIT_INIT(SEC, 0);

	for (int i = 0; i < 10; i++)
		assert_false(ratelimit_below_at(&rl, SEC + (uint64_t)i, NULL));
	assert_int_equal(rl.suppressed, 10);
}

/* log_ratelimit_*: the lines that reach the log, and what they return. */
static void test_log_lines(void **state)
{
	char path[] = "/tmp/zvirt-ratelimit-XXXXXX";
	int fd = mkstemp(path);
	RateLimit rl = RATELIMIT_INIT(3600 * SEC, 5);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_set_target(LOG_TARGET_FILE, path), 0);
	log_set_max_level(LOG_DEBUG);

	for (int i = 0; i < 200; i++)
		assert_int_equal(log_ratelimit_warning_errno(&rl, EACCES, "refused call %d", i), -EACCES);
	/* Pretend the window is over: the next line tells what was lost. */
	rl.begin -= 3600 * SEC;
	log_ratelimit_warning(&rl, "after the window");
	assert_int_equal(log_set_target(LOG_TARGET_STDERR, NULL), 0);

	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[512];
	int n = 0;
	bool summary = false, after = false;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, "195 messages suppressed"))
			summary = true;
		if (strstr(line, "after the window"))
			after = true;
		assert_null(strstr(line, "refused call 5"));
	}
	unlink(path);
	assert_int_equal(n, 5 + 2);
	assert_true(summary);
	assert_true(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_window),
		cmocka_unit_test(test_zero_burst),
		cmocka_unit_test(test_log_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
