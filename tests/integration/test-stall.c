/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * No caller stalls the daemon: while another connection keeps it busy
 * with the largest documents it accepts for ValidateXML and DefineXML
 * (parsed in worker threads), a root caller's Manager GetAll still comes
 * back at once. Under valgrind (ZVIRTD_WRAPPER) threads take turns on one
 * core, so there only the answers are checked, not the latency.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define N_DOCUMENTS 8

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Close to 1 MiB of elements with 32 attributes each: inside the bounds,
 * refused by the schema, as expensive to parse as a document gets. */
static char *worst_document(void)
{
	size_t cap = 1024 * 1024, len = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	len += (size_t)snprintf(s, cap, "<domain type='kvm'><name>stall</name><devices>");
	while (len < cap - 2048) {
		len += (size_t)snprintf(s + len, cap - len, "<disk");
		for (int a = 0; a < 32; a++)
			len += (size_t)snprintf(s + len, cap - len, " b%d=''", a);
		len += (size_t)snprintf(s + len, cap - len, "/>");
	}
	snprintf(s + len, cap - len, "</devices></domain>");
	return s;
}

typedef struct Pending {
	unsigned answered;
	unsigned refused_as_xml;
} Pending;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Pending *p = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	p->answered++;
	if (e && strcmp(e->name, ZVIRT_ERROR("InvalidXML")) == 0)
		p->refused_as_xml++;
	return 0;
}

static void test_busy_parser_does_not_stall(void **state)
{
	bool valgrind = getenv("ZVIRTD_WRAPPER") && *getenv("ZVIRTD_WRAPPER");
	unsigned n = valgrind ? 2 : N_DOCUMENTS;
	_cleanup_free_ char *doc = worst_document();
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *busy = NULL;
	sd_bus_slot *slots[2 * N_DOCUMENTS] = {};
	Pending p = {};

	assert_int_equal(sd_bus_open_system(&busy), 0);
	for (unsigned i = 0; i < n; i++) {
		assert_true(sd_bus_call_method_async(busy, &slots[2 * i], ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
						     ZVIRT_MANAGER_IFACE, "ValidateXML", on_reply, &p,
						     "sa{sv}", doc, 0) >= 0);
		assert_true(sd_bus_call_method_async(busy, &slots[2 * i + 1], ZVIRT_BUS_NAME,
						     ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DefineXML",
						     on_reply, &p, "sa{sv}", doc, 0) >= 0);
	}
	assert_true(sd_bus_flush(busy) >= 0);

	uint64_t worst = 0, start = now_usec();
	unsigned probes = 0;
	while (p.answered < 2 * n && now_usec() - start < 120ULL * 1000 * 1000) {
		uint64_t t0 = now_usec();
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		assert_true(sd_bus_call_method(harness_bus(), ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
					       "org.freedesktop.DBus.Properties", "GetAll", &error, &reply,
					       "s", ZVIRT_MANAGER_IFACE) >= 0);
		uint64_t dt = now_usec() - t0;
		if (dt > worst)
			worst = dt;
		probes++;
		while (sd_bus_process(busy, NULL) > 0)
			;
		(void)sd_bus_wait(busy, 1000);
	}
	print_message("%u GetAll while %u documents were parsed: worst %.1f ms\n", probes, 2 * n,
		      (double)worst / 1000);
	assert_int_equal(p.answered, 2 * n);
	assert_int_equal(p.refused_as_xml, 2 * n);
	/* Parsed on the loop, 16 of these held a caller for 1.2 s (ASan
	 * build); off the loop the worst wait is ~50 ms, most of it the bus
	 * daemon relaying 16 MiB. */
	if (!valgrind && worst > 250 * 1000)
		fail_msg("a GetAll waited %.1f ms while documents were parsed", (double)worst / 1000);
	for (unsigned i = 0; i < 2 * n; i++)
		sd_bus_slot_unref(slots[i]);
	assert_int_equal(harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainCount"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_parser_does_not_stall),
	};

	return harness_main("stall", tests, 0);
}
