/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objects/polkit.c on a direct sd-bus connection (a socketpair): this
 * test is the caller, the bus driver and polkit in one, so it decides
 * who the sender is, which uid the "bus" reports and what "polkit"
 * answers, and sees what the daemon side asked.
 */

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "objects/objects.h"
#include "objects/polkit.h"
#include "util/cleanup.h"
#include "util/log.h"

#define TEST_PATH  "/org/example/test"
#define TEST_IFACE "org.example.Test"

typedef struct Fixture {
	sd_bus *daemon; /* the side polkit.c runs on */
	sd_bus *peer;   /* caller, bus driver and polkit */
	Objects objects;

	/* What the handler asks polkit_check() for; may change between
	 * the first dispatch of a call and the second. */
	const char *action;
	const char *const *details;
	unsigned dispatches;

	/* What the fake bus driver and polkit answer, and were asked. */
	int uid;        /* < 0: the name has no owner */
	int authorized; /* < 0: polkit fails */
	unsigned uid_asked, polkit_asked;
	char asked_action[128];
	char asked_details[512]; /* "k=v;k=v;" */
} Fixture;

static Fixture *F;

/* --- the daemon side ---------------------------------------------------- */

static int method_call(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Fixture *f = userdata;

	f->dispatches++;
	int r = polkit_check(&f->objects, m, f->action, f->details, true, error);
	if (r == 0)
		return 1; /* asked: the message comes back */
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(m, "s", "allowed");
}

static const sd_bus_vtable test_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Call", "", "s", method_call, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

/* --- the peer side: bus driver and polkit ------------------------------- */

static int get_connection_unix_user(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Fixture *f = userdata;
	const char *name;

	f->uid_asked++;
	int r = sd_bus_message_read(m, "s", &name);
	if (r < 0)
		return r;
	if (f->uid < 0)
		return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.NameHasNoOwner",
					 "Could not get UID of name '%s': no such name", name);
	return sd_bus_reply_method_return(m, "u", (uint32_t)f->uid);
}

static int check_authorization(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Fixture *f = userdata;
	const char *action, *k, *v;
	int r;

	f->polkit_asked++;
	r = sd_bus_message_skip(m, "(sa{sv})");
	if (r >= 0)
		r = sd_bus_message_read(m, "s", &action);
	if (r < 0)
		return r;
	snprintf(f->asked_action, sizeof(f->asked_action), "%s", action);
	f->asked_details[0] = 0;
	r = sd_bus_message_enter_container(m, 'a', "{ss}");
	while (r >= 0 && (r = sd_bus_message_read(m, "{ss}", &k, &v)) > 0) {
		size_t n = strlen(f->asked_details);
		snprintf(f->asked_details + n, sizeof(f->asked_details) - n, "%s=%s;", k, v);
	}
	if (r < 0)
		return r;
	if (f->authorized < 0)
		return sd_bus_error_set(error, "org.freedesktop.PolicyKit1.Error.Failed",
					"The subject is gone");
	return sd_bus_reply_method_return(m, "(bba{ss})", f->authorized, 0, 0);
}

static const sd_bus_vtable driver_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("GetConnectionUnixUser", "s", "u", get_connection_unix_user, 0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable polkit_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})", check_authorization, 0),
	SD_BUS_VTABLE_END,
};

/* --- plumbing ----------------------------------------------------------- */

/* Runs both ends until *done or 5 s have passed. */
static void pump(const bool *done)
{
	for (int i = 0; !*done && i < 500; i++) {
		int a, b;
		while ((a = sd_bus_process(F->daemon, NULL)) > 0 || (b = sd_bus_process(F->peer, NULL)) > 0)
			if (*done)
				return;
		assert_true(a >= 0);
		struct pollfd p[2] = {
			{.fd = sd_bus_get_fd(F->daemon), .events = (short)sd_bus_get_events(F->daemon)},
			{.fd = sd_bus_get_fd(F->peer), .events = (short)sd_bus_get_events(F->peer)},
		};
		(void)poll(p, 2, 10);
	}
}

static int setup(void **state)
{
	int sv[2];
	sd_id128_t id;
	bool ready = false;

	F = calloc(1, sizeof(*F));
	assert_non_null(F);
	F->objects.auth_queries = hashmap_new();
	F->objects.sender_uids = hashmap_new();
	F->action = "org.example.act";
	F->authorized = 1;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(sd_id128_randomize(&id), 0);

	assert_int_equal(sd_bus_new(&F->peer), 0);
	assert_int_equal(sd_bus_set_fd(F->peer, sv[1], sv[1]), 0);
	assert_int_equal(sd_bus_set_server(F->peer, 1, id), 0);
	assert_int_equal(sd_bus_set_anonymous(F->peer, 1), 0);
	assert_int_equal(sd_bus_start(F->peer), 0);

	assert_int_equal(sd_bus_new(&F->daemon), 0);
	assert_int_equal(sd_bus_set_fd(F->daemon, sv[0], sv[0]), 0);
	assert_int_equal(sd_bus_set_anonymous(F->daemon, 1), 0);
	assert_int_equal(sd_bus_start(F->daemon), 0);

	F->objects.bus = F->daemon;
	assert_int_equal(sd_bus_add_object_vtable(F->daemon, NULL, TEST_PATH, TEST_IFACE, test_vtable, F),
			 0);
	assert_int_equal(sd_bus_add_object_vtable(F->peer, NULL, "/org/freedesktop/DBus",
						  "org.freedesktop.DBus", driver_vtable, F),
			 0);
	assert_int_equal(sd_bus_add_object_vtable(F->peer, NULL, "/org/freedesktop/PolicyKit1/Authority",
						  "org.freedesktop.PolicyKit1.Authority", polkit_vtable, F),
			 0);

	/* Until both have finished the handshake. */
	for (int i = 0; i < 500 && !ready; i++) {
		ready = sd_bus_is_ready(F->daemon) > 0 && sd_bus_is_ready(F->peer) > 0;
		if (!ready) {
			(void)sd_bus_process(F->daemon, NULL);
			(void)sd_bus_process(F->peer, NULL);
			usleep(1000);
		}
	}
	assert_true(ready);
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	polkit_queries_free(&F->objects);
	sd_bus_flush_close_unref(F->daemon);
	sd_bus_flush_close_unref(F->peer);
	free(F);
	F = NULL;
	return 0;
}

typedef struct Answer {
	bool done;
	char error_name[128];
	char error_message[512];
} Answer;

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	Answer *a = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);

	if (e) {
		snprintf(a->error_name, sizeof(a->error_name), "%s", e->name);
		snprintf(a->error_message, sizeof(a->error_message), "%s", e->message ?: "");
	}
	a->done = true;
	return 0;
}

/* Calls the daemon side's Call from `sender` (NULL: none) and returns
 * the answer once it came. */
static Answer call_from(const char *sender)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	Answer a = {};

	assert_int_equal(sd_bus_message_new_method_call(F->peer, &m, NULL, TEST_PATH, TEST_IFACE, "Call"),
			 0);
	if (sender)
		assert_int_equal(sd_bus_message_set_sender(m, sender), 0);
	assert_int_equal(sd_bus_call_async(F->peer, &slot, m, on_reply, &a, 5 * 1000 * 1000), 1);
	pump(&a.done);
	if (!a.done)
		fail_msg("no answer within 5 s");
	return a;
}

#define NOT_AUTHORIZED "org.zvirt1.Error.NotAuthorized"

/* --- tests -------------------------------------------------------------- */

/* Nobody to ask polkit about: refused, and nobody was asked. */
static void test_no_sender_is_refused(void **state)
{
	Answer a = call_from(NULL);

	assert_string_equal(a.error_name, NOT_AUTHORIZED);
	assert_non_null(strstr(a.error_message, "no sender"));
	assert_int_equal(F->uid_asked, 0);
	assert_int_equal(F->polkit_asked, 0);
}

/* The bus says uid 0: allowed without polkit, and the uid is kept. */
static void test_root_needs_no_polkit(void **state)
{
	F->uid = 0;
	Answer a = call_from(":1.10");
	assert_string_equal(a.error_name, "");
	assert_int_equal(F->uid_asked, 1);
	assert_int_equal(F->polkit_asked, 0);
	assert_int_equal(F->dispatches, 2); /* asked, then dispatched again */

	a = call_from(":1.10");
	assert_string_equal(a.error_name, "");
	assert_int_equal(F->uid_asked, 1); /* from the cache, at once */
	assert_int_equal(F->dispatches, 3);
	assert_int_equal(F->polkit_asked, 0);
	assert_int_equal(hashmap_size(F->objects.auth_queries), 0);
}

static void test_polkit_decides(void **state)
{
	static const char *const details[] = {"verb", "start", "domain_name", "web1", NULL};

	F->uid = 1000;
	F->details = details;
	F->action = "org.zvirt1.domain.lifecycle";

	Answer a = call_from(":1.11");
	assert_string_equal(a.error_name, "");
	assert_int_equal(F->polkit_asked, 1);
	assert_string_equal(F->asked_action, "org.zvirt1.domain.lifecycle");
	assert_string_equal(F->asked_details, "verb=start;domain_name=web1;");

	/* Refused: the message names the verb, the domain and the action. */
	F->authorized = 0;
	a = call_from(":1.11");
	assert_string_equal(a.error_name, NOT_AUTHORIZED);
	assert_string_equal(
		a.error_message,
		"Not authorized to start domain 'web1' (polkit action org.zvirt1.domain.lifecycle)");
	assert_int_equal(F->uid_asked, 1);
	assert_int_equal(F->polkit_asked, 2);
	assert_int_equal(hashmap_size(F->objects.auth_queries), 0);
}

/* The bus does not know the sender (it left): refused. */
static void test_unknown_identity(void **state)
{
	F->uid = -1;
	Answer a = call_from(":1.12");
	assert_string_equal(a.error_name, NOT_AUTHORIZED);
	assert_non_null(strstr(a.error_message, "identity is unknown"));
	assert_int_equal(F->polkit_asked, 0);
}

/* Runs both ends until polkit has been asked `n` times (or 5 s). */
static void pump_until_polkit_asked(unsigned n)
{
	for (int i = 0; i < 5000 && F->polkit_asked < n; i++) {
		(void)sd_bus_process(F->daemon, NULL);
		(void)sd_bus_process(F->peer, NULL);
		usleep(1000);
	}
	assert_int_equal(F->polkit_asked, n);
}

/* What was authorized must be what runs: a handler that asks something
 * else at the second dispatch than at the first is refused. */
static void test_call_changed_while_authorized(void **state)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	Answer a = {};

	F->uid = 1000;
	F->action = "org.example.first";
	assert_int_equal(sd_bus_message_new_method_call(F->peer, &m, NULL, TEST_PATH, TEST_IFACE, "Call"),
			 0);
	assert_int_equal(sd_bus_message_set_sender(m, ":1.13"), 0);
	assert_int_equal(sd_bus_call_async(F->peer, &slot, m, on_reply, &a, 5 * 1000 * 1000), 1);
	pump_until_polkit_asked(1);
	assert_string_equal(F->asked_action, "org.example.first");

	F->action = "org.example.other";
	pump(&a.done);
	assert_true(a.done);
	assert_string_equal(a.error_name, NOT_AUTHORIZED);
	assert_non_null(strstr(a.error_message, "changed"));
	assert_int_equal(F->dispatches, 2);
	assert_int_equal(hashmap_size(F->objects.auth_queries), 0);
}

/* polkit failing for every call (callers that left) is logged, but not
 * once per call. */
static void test_failures_are_rate_limited(void **state)
{
	char path[] = "/tmp/zvirt-polkit-check-XXXXXX";
	int fd = mkstemp(path);
	char line[512];
	unsigned lines = 0;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_set_target(LOG_TARGET_FILE, path), 0);
	F->uid = 1000;
	F->authorized = -1;
	for (int i = 0; i < 100; i++) {
		Answer a = call_from(":1.14");
		assert_string_equal(a.error_name, NOT_AUTHORIZED);
		assert_non_null(strstr(a.error_message, "polkit is not available"));
	}
	assert_int_equal(F->polkit_asked, 100);
	assert_int_equal(log_set_target(LOG_TARGET_STDERR, NULL), 0);

	_cleanup_fclose_ FILE *f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		lines++;
	unlink(path);
	if (lines == 0 || lines > 20)
		fail_msg("100 failed checks wrote %u log lines", lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_sender_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_needs_no_polkit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_polkit_decides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_changed_while_authorized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_are_rate_limited, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
