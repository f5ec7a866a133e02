/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objects/polkit.c on a direct sd-bus connection (a socketpair): this
 * test is the caller, the bus driver and polkit in one, so it decides
 * who the sender is, which uid the "bus" reports and what "polkit"
 * answers (and when: it can hold its answers), and sees what the daemon
 * side asked.
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
	int uid;                 /* < 0: the name has no owner */
	const char *root_sender; /* this name has uid 0 whatever uid says */
	int authorized;          /* < 0: polkit fails */
	unsigned uid_asked, polkit_asked;
	char asked_action[128];
	char asked_details[512]; /* "k=v;k=v;" */

	/* hold: "polkit" keeps the checks unanswered until release_held(). */
	bool hold;
	sd_bus_message **held;
	char (*held_subject)[32];
	size_t n_held, held_size;

	unsigned replies; /* answers the caller got so far */
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
	if (f->root_sender && strcmp(name, f->root_sender) == 0)
		return sd_bus_reply_method_return(m, "u", (uint32_t)0);
	if (f->uid < 0)
		return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.NameHasNoOwner",
					 "Could not get UID of name '%s': no such name", name);
	return sd_bus_reply_method_return(m, "u", (uint32_t)f->uid);
}

/* The subject's name: CheckAuthorization's first argument, a
 * ("system-bus-name", {"name": <s>}). */
static const char *read_subject_name(sd_bus_message *m)
{
	const char *kind, *key, *name = NULL;

	if (sd_bus_message_enter_container(m, 'r', "sa{sv}") < 0 || sd_bus_message_read(m, "s", &kind) < 0 ||
	    sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return NULL;
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		if (sd_bus_message_read(m, "s", &key) < 0)
			return NULL;
		if (strcmp(key, "name") == 0) {
			if (sd_bus_message_read(m, "v", "s", &name) < 0)
				return NULL;
		} else if (sd_bus_message_skip(m, "v") < 0)
			return NULL;
		if (sd_bus_message_exit_container(m) < 0)
			return NULL;
	}
	if (sd_bus_message_exit_container(m) < 0 || sd_bus_message_exit_container(m) < 0)
		return NULL;
	return strcmp(kind, "system-bus-name") == 0 ? name : NULL;
}

static int answer_check(Fixture *f, sd_bus_message *m)
{
	if (f->authorized < 0)
		return sd_bus_reply_method_errorf(m, "org.freedesktop.PolicyKit1.Error.Failed",
						  "The subject is gone");
	return sd_bus_reply_method_return(m, "(bba{ss})", f->authorized, 0, 0);
}

static int check_authorization(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Fixture *f = userdata;
	const char *action, *k, *v;
	int r;

	f->polkit_asked++;
	const char *subject = read_subject_name(m);
	assert_non_null(subject);
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
	if (f->hold) {
		if (f->n_held == f->held_size) {
			f->held_size = f->held_size ? 2 * f->held_size : 64;
			f->held = realloc(f->held, f->held_size * sizeof(*f->held));
			f->held_subject = realloc(f->held_subject, f->held_size * sizeof(*f->held_subject));
			assert_non_null(f->held);
			assert_non_null(f->held_subject);
		}
		f->held[f->n_held] = sd_bus_message_ref(m);
		snprintf(f->held_subject[f->n_held], sizeof(f->held_subject[0]), "%s", subject);
		f->n_held++;
		return 1; /* answered by release_held() */
	}
	return answer_check(f, m);
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
	for (size_t i = 0; i < F->n_held; i++)
		sd_bus_message_unref(F->held[i]);
	free(F->held);
	free(F->held_subject);
	sd_bus_flush_close_unref(F->daemon);
	sd_bus_flush_close_unref(F->peer);
	free(F);
	F = NULL;
	return 0;
}

typedef struct Answer {
	bool done;
	unsigned order; /* 1 for the first answer the caller got, ... */
	char error_name[128];
	char error_message[512];
	sd_bus_slot *slot;
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
	a->order = ++F->replies;
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
#define BUSY           "org.zvirt1.Error.Busy"
#define CANCELLED      "org.zvirt1.Error.Cancelled"

/* Sends Call from `sender` and returns at once; the answer lands in *a. */
static void send_call(const char *sender, Answer *a)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

	assert_int_equal(sd_bus_message_new_method_call(F->peer, &m, NULL, TEST_PATH, TEST_IFACE, "Call"),
			 0);
	assert_int_equal(sd_bus_message_set_sender(m, sender), 0);
	assert_int_equal(sd_bus_call_async(F->peer, &a->slot, m, on_reply, a, 120 * 1000 * 1000), 1);
}

static void answers_free(Answer *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sd_bus_slot_unref(a[i].slot);
	free(a);
}

/* Runs both ends until neither has anything left to do. */
static void pump_idle(void)
{
	for (unsigned i = 0, quiet = 0; quiet < 3; i++) {
		assert_true(i < 10 * 1000 * 1000);
		int a = sd_bus_process(F->daemon, NULL), b = sd_bus_process(F->peer, NULL);
		assert_true(a >= 0);
		assert_true(b >= 0);
		if (a > 0 || b > 0) {
			quiet = 0;
			continue;
		}
		struct pollfd p[2] = {
			{.fd = sd_bus_get_fd(F->daemon), .events = (short)sd_bus_get_events(F->daemon)},
			{.fd = sd_bus_get_fd(F->peer), .events = (short)sd_bus_get_events(F->peer)},
		};
		quiet = poll(p, 2, 1) > 0 ? 0 : quiet + 1;
	}
}

/* "polkit" answers the n checks it has held longest, oldest first. */
static void release_held(size_t n)
{
	assert_true(n <= F->n_held);
	for (size_t i = 0; i < n; i++) {
		assert_true(answer_check(F, F->held[i]) >= 0);
		sd_bus_message_unref(F->held[i]);
	}
	memmove(F->held, F->held + n, (F->n_held - n) * sizeof(*F->held));
	memmove(F->held_subject, F->held_subject + n, (F->n_held - n) * sizeof(*F->held_subject));
	F->n_held -= n;
}

/* Answers every check, including those the answers lead to. */
static void release_all(void)
{
	pump_idle();
	while (F->n_held > 0) {
		release_held(F->n_held);
		pump_idle();
	}
}

static size_t held_of(const char *subject)
{
	size_t n = 0;
	for (size_t i = 0; i < F->n_held; i++)
		n += strcmp(F->held_subject[i], subject) == 0;
	return n;
}

/* The bus driver's word that `name` lost its owner (new_owner "") or
 * gained one. */
static void name_owner_changed(const char *name, const char *old_owner, const char *new_owner)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

	assert_int_equal(sd_bus_message_new_signal(F->peer, &m, "/org/freedesktop/DBus",
						   "org.freedesktop.DBus", "NameOwnerChanged"),
			 0);
	assert_int_equal(sd_bus_message_set_sender(m, "org.freedesktop.DBus"), 0);
	assert_true(sd_bus_message_append(m, "sss", name, old_owner, new_owner) >= 0);
	assert_true(sd_bus_send(F->peer, m, NULL) >= 0);
}

/* A caller's calls were answered in the order it sent them (those
 * refused at once aside), and the refused ones are its last. */
static void assert_in_order(const Answer *a, size_t n)
{
	unsigned last = 0;
	bool refused = false;
	for (size_t i = 0; i < n; i++) {
		if (!a[i].done)
			fail_msg("call %zu was not answered", i);
		if (a[i].error_name[0]) {
			assert_string_equal(a[i].error_name, BUSY);
			refused = true;
			continue;
		}
		if (refused)
			fail_msg("call %zu was allowed after an earlier call was refused as Busy", i);
		if (a[i].order <= last)
			fail_msg("call %zu was answered as the %u., before an earlier call (%u.)", i,
				 a[i].order, last);
		last = a[i].order;
	}
}

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

/* A flood of calls from a few callers keeps polkit's checks in flight
 * within the bounds, refuses what exceeds the queues at once, and a
 * further caller's one call is checked after a few of the flood's, not
 * after all of them. */
static void test_flood_leaves_room_for_others(void **state)
{
	enum { FLOODERS = 5, FLOOD = 300 };
	Answer *flood = calloc(FLOODERS * FLOOD, sizeof(*flood));
	char names[FLOODERS][16];
	Answer other = {};

	assert_non_null(flood);
	F->uid = 1000;
	F->hold = true;
	for (unsigned f = 0; f < FLOODERS; f++) {
		snprintf(names[f], sizeof(names[f]), ":1.%u", 20 + f);
		for (unsigned i = 0; i < FLOOD; i++)
			send_call(names[f], &flood[f * FLOOD + i]);
	}
	pump_idle();

	assert_int_equal(F->n_held, POLKIT_IN_FLIGHT_MAX);
	for (unsigned f = 0; f < FLOODERS; f++)
		assert_true(held_of(names[f]) <= POLKIT_SENDER_IN_FLIGHT_MAX);
	unsigned busy = 0;
	for (unsigned i = 0; i < FLOODERS * FLOOD; i++)
		if (flood[i].done) {
			assert_string_equal(flood[i].error_name, BUSY);
			assert_non_null(strstr(flood[i].error_message, "already wait for authorization"));
			busy++;
		}
	assert_int_equal(busy,
			 FLOODERS * FLOOD - POLKIT_IN_FLIGHT_MAX - FLOODERS * POLKIT_SENDER_WAITING_MAX);

	/* Every check is taken: the newcomer waits for the next free one. */
	send_call(":1.30", &other);
	pump_idle();
	assert_false(other.done);
	assert_int_equal(held_of(":1.30"), 0);
	unsigned released = 0;
	while (held_of(":1.30") == 0) {
		if (released > FLOODERS)
			fail_msg("%u checks of the flood ended before the other caller's began", released);
		release_held(1);
		released++;
		pump_idle();
	}
	while (!other.done) {
		release_held(1);
		pump_idle();
	}
	assert_string_equal(other.error_name, "");
	/* Answered after what was in flight when it came, and a few more. */
	assert_true(other.order <= busy + POLKIT_IN_FLIGHT_MAX + FLOODERS + 1);

	release_all();
	for (unsigned f = 0; f < FLOODERS; f++)
		assert_in_order(&flood[f * FLOOD], FLOOD);
	assert_int_equal(F->polkit_asked, FLOODERS * FLOOD - busy + 1);
	assert_int_equal(hashmap_size(F->objects.auth_queries), 0);
	answers_free(flood, FLOODERS * FLOOD);
	sd_bus_slot_unref(other.slot);
}

/* root needs no polkit, but its first call needs the bus's word on its
 * uid: during a flood that takes a free check in turn, and its calls
 * after that none. */
static void test_root_during_flood(void **state)
{
	enum { FLOODERS = 5, FLOOD = 100, ROOT_CALLS = 3 };
	Answer *flood = calloc(FLOODERS * FLOOD, sizeof(*flood));
	Answer root[ROOT_CALLS] = {}, later = {};
	char names[FLOODERS][16];

	assert_non_null(flood);
	F->uid = 1000;
	F->root_sender = ":1.0";
	F->hold = true;
	for (unsigned f = 0; f < FLOODERS; f++) {
		snprintf(names[f], sizeof(names[f]), ":1.%u", 40 + f);
		for (unsigned i = 0; i < FLOOD; i++)
			send_call(names[f], &flood[f * FLOOD + i]);
	}
	for (unsigned i = 0; i < ROOT_CALLS; i++)
		send_call(":1.0", &root[i]);
	pump_idle();
	assert_int_equal(F->n_held, POLKIT_IN_FLIGHT_MAX);

	unsigned released = 0;
	while (!root[ROOT_CALLS - 1].done) {
		if (released > FLOODERS + ROOT_CALLS)
			fail_msg("%u checks of the flood ended before root's calls were answered", released);
		release_held(1);
		released++;
		pump_idle();
	}
	for (unsigned i = 0; i < ROOT_CALLS; i++) {
		assert_string_equal(root[i].error_name, "");
		if (i > 0)
			assert_true(root[i].order > root[i - 1].order);
	}
	assert_int_equal(held_of(":1.0"), 0);

	/* Known as root now: allowed at once, flood or not. */
	unsigned asked = F->uid_asked;
	send_call(":1.0", &later);
	pump_idle();
	assert_true(later.done);
	assert_string_equal(later.error_name, "");
	assert_int_equal(F->uid_asked, asked);

	release_all();
	for (unsigned f = 0; f < FLOODERS; f++)
		assert_in_order(&flood[f * FLOOD], FLOOD);
	assert_int_equal(hashmap_size(F->objects.auth_queries), 0);
	answers_free(flood, FLOODERS * FLOOD);
	for (unsigned i = 0; i < ROOT_CALLS; i++)
		sd_bus_slot_unref(root[i].slot);
	sd_bus_slot_unref(later.slot);
}

/* One caller's calls past its checks in flight and its queue are
 * refused at once, as Busy, naming what was refused; the others are
 * checked and answered in the order sent. */
static void test_full_queue_is_busy(void **state)
{
	static const char *const details[] = {"verb", "start", "domain_name", "web1", NULL};
	enum { N = POLKIT_SENDER_IN_FLIGHT_MAX + POLKIT_SENDER_WAITING_MAX + 10 };
	Answer *a = calloc(N, sizeof(*a));

	assert_non_null(a);
	F->uid = 1000;
	F->hold = true;
	F->details = details;
	for (unsigned i = 0; i < N; i++)
		send_call(":1.50", &a[i]);
	pump_idle();

	assert_int_equal(F->n_held, POLKIT_SENDER_IN_FLIGHT_MAX);
	for (unsigned i = 0; i < N; i++) {
		if (i < N - 10) {
			assert_false(a[i].done);
			continue;
		}
		assert_true(a[i].done);
		assert_string_equal(a[i].error_name, BUSY);
		assert_string_equal(
			a[i].error_message,
			"Cannot start domain 'web1' now: 256 calls of this connection already wait "
			"for authorization; try again once they are answered");
	}

	release_all();
	assert_in_order(a, N);
	for (unsigned i = 0; i < N - 10; i++)
		assert_string_equal(a[i].error_name, "");
	assert_int_equal(F->polkit_asked, N - 10);
	assert_int_equal(hashmap_size(F->objects.auth_queries), 0);
	answers_free(a, N);
}

/* A caller that leaves loses its waiting calls: never checked, never
 * answered, nothing kept; its checks in flight end as they do. */
static void test_leaving_caller_loses_waiting_calls(void **state)
{
	enum { N = 100 };
	Answer *a = calloc(N, sizeof(*a));

	assert_non_null(a);
	F->uid = 1000;
	F->hold = true;
	for (unsigned i = 0; i < N; i++)
		send_call(":1.60", &a[i]);
	pump_idle();
	assert_int_equal(F->n_held, POLKIT_SENDER_IN_FLIGHT_MAX);
	assert_int_equal(hashmap_size(F->objects.auth_queries), N);

	/* Other names, and a name that gains an owner, change nothing. */
	name_owner_changed(":1.99", ":1.99", "");
	name_owner_changed(":1.60", "", ":1.60");
	pump_idle();
	assert_int_equal(hashmap_size(F->objects.auth_queries), N);

	name_owner_changed(":1.60", ":1.60", "");
	pump_idle();
	assert_int_equal(hashmap_size(F->objects.auth_queries), POLKIT_SENDER_IN_FLIGHT_MAX);

	release_all();
	assert_int_equal(F->polkit_asked, POLKIT_SENDER_IN_FLIGHT_MAX);
	assert_int_equal(hashmap_size(F->objects.auth_queries), 0);
	unsigned answered = 0;
	for (unsigned i = 0; i < N; i++)
		answered += a[i].done;
	assert_int_equal(answered, POLKIT_SENDER_IN_FLIGHT_MAX);

	/* Its places in flight are free again. */
	F->hold = false;
	Answer b = call_from(":1.61");
	assert_string_equal(b.error_name, "");
	answers_free(a, N);
}

/* At exit every call still waiting or in a check is answered. */
static void test_exit_answers_waiting_calls(void **state)
{
	static const char *const details[] = {"verb", "start", "domain_name", "web1", NULL};
	enum { N = 40 };
	Answer *a = calloc(N, sizeof(*a));

	assert_non_null(a);
	F->uid = 1000;
	F->hold = true;
	F->details = details;
	for (unsigned i = 0; i < N; i++)
		send_call(":1.70", &a[i]);
	pump_idle();
	assert_int_equal(F->n_held, POLKIT_SENDER_IN_FLIGHT_MAX);

	polkit_queries_free(&F->objects);
	pump_idle();
	for (unsigned i = 0; i < N; i++) {
		assert_true(a[i].done);
		assert_string_equal(a[i].error_name, CANCELLED);
		assert_string_equal(
			a[i].error_message,
			"zvirtd is stopping: the authorization to start domain 'web1' did not complete");
	}
	/* polkit's late answers find nobody waiting for them. */
	release_all();
	answers_free(a, N);
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
		cmocka_unit_test_setup_teardown(test_flood_leaves_room_for_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_during_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_is_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaving_caller_loses_waiting_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_answers_waiting_calls, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
