/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Memory comes back after hostile calls: a caller that sends the largest
 * messages the bus carries (refused: far above the 1 MiB a document may
 * have) and the worst documents the daemon accepts to parse must not
 * leave the daemon holding tens of MiB afterwards. RSS means nothing
 * under valgrind or ASan (their allocators keep freed memory), so this
 * runs on a plain build only (suite "memory"), and skips otherwise.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define HUGE_SIZE   (30u * 1024 * 1024)
#define N_HUGE      4
#define N_DOCUMENTS 16
/* What may stay: caches, the allocator's own slack, the worker's stacks. */
#define RSS_SLACK_KIB (12 * 1024)

static long rss_kib(pid_t pid)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	assert_true(asprintf(&path, "/proc/%d/status", (int)pid) > 0);
	text = harness_read_file(path);
	const char *at = strstr(text, "VmRSS:");
	assert_non_null(at);
	return strtol(at + strlen("VmRSS:"), NULL, 10);
}

/* The daemon answers before it frees the call's message: give it a moment
 * to come back under limit. */
static long rss_settled_kib(pid_t pid, long limit)
{
	long rss = rss_kib(pid);
	for (int i = 0; i < 30 && rss > limit; i++) {
		usleep(100 * 1000);
		rss = rss_kib(pid);
	}
	return rss;
}

typedef struct Pending {
	unsigned answered;
	unsigned refused;
} Pending;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Pending *p = userdata;
	p->answered++;
	p->refused += sd_bus_message_is_method_error(m, NULL);
	return 0;
}

/* Sends n ValidateXML with doc on a connection of its own, waits for
 * every answer; all must be refused. */
static void validate_many(const char *doc, unsigned n)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	sd_bus_slot *slots[N_DOCUMENTS] = {};
	Pending p = {};

	assert_true(n <= N_DOCUMENTS);
	assert_int_equal(sd_bus_open_system(&bus), 0);
	for (unsigned i = 0; i < n; i++)
		assert_true(sd_bus_call_method_async(bus, &slots[i], ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
						     ZVIRT_MANAGER_IFACE, "ValidateXML", on_reply, &p,
						     "sa{sv}", doc, 0) >= 0);
	for (int i = 0; p.answered < n && i < 1200; i++) {
		int r = sd_bus_process(bus, NULL);
		assert_return_code(r, -r);
		if (r == 0)
			(void)sd_bus_wait(bus, 100 * 1000);
	}
	assert_int_equal(p.answered, n);
	assert_int_equal(p.refused, n);
	for (unsigned i = 0; i < n; i++)
		sd_bus_slot_unref(slots[i]);
}

static void test_memory_returns_after_hostile_calls(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
	skip();
#endif
	if (getenv("ZVIRTD_WRAPPER") && *getenv("ZVIRTD_WRAPPER"))
		skip();

	_cleanup_free_ char *worst = harness_worst_domain_xml("memory");
	char *huge = malloc(HUGE_SIZE + 1);
	assert_non_null(huge);
	memset(huge, 'x', HUGE_SIZE);
	huge[HUGE_SIZE] = 0;

	/* Once each first, so that what is allocated once (the worker, the
	 * schema, libxml2's tables) is in the baseline. */
	validate_many(worst, 1);
	long before = rss_kib(harness_daemon_pid());

	for (unsigned i = 0; i < N_HUGE; i++)
		validate_many(huge, 1);
	long after_huge = rss_settled_kib(harness_daemon_pid(), before + RSS_SLACK_KIB);
	validate_many(worst, N_DOCUMENTS);
	long after = rss_settled_kib(harness_daemon_pid(), before + RSS_SLACK_KIB);
	free(huge);

	print_message(
		"daemon RSS: %ld KiB before, %ld after %u calls of 30 MiB, %ld after %u worst documents\n",
		before, after_huge, N_HUGE, after, N_DOCUMENTS);
	if (after_huge > before + RSS_SLACK_KIB || after > before + RSS_SLACK_KIB)
		fail_msg("the daemon kept %ld KiB after hostile calls",
			 (after > after_huge ? after : after_huge) - before);
	/* It still works. */
	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_returns_after_hostile_calls),
	};
	return harness_main("memory", tests, 0);
}
