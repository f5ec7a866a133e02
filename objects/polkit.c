/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The asynchronous polkit check of every privileged call (polkit.h). */
#include "polkit.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/ratelimit.h"
#include "util/utf8.h"

/* Unique bus names are never reused, so their uid can be cached; the
 * bound keeps a daemon with many short-lived clients small. */
#define SENDER_UID_CACHE_MAX 4096

/* Warnings a caller can cause with each call it sends (a caller that
 * leaves before polkit answers makes polkit fail): at most this many per
 * window, so a flood of calls is not a flood of log lines. */
#define LOG_INTERVAL_USEC (10ULL * 1000 * 1000)
#define LOG_BURST         10

/* A domain name as the refusal quotes it (names have 200 bytes at most). */
#define NAME_QUOTE_MAX 256

typedef enum QueryState {
	QUERY_WAITING, /* in its sender's queue for a check in flight */
	QUERY_UID,     /* asking the bus who the sender is */
	QUERY_POLKIT,  /* asking polkit */
	QUERY_DONE,
} QueryState;

typedef struct Sender Sender;
typedef struct AuthQuery AuthQuery;

struct AuthQuery {
	char key[32]; /* the message's address: its identity while queued */
	Objects *objects;
	Sender *sender;        /* while waiting or in flight */
	AuthQuery *queue_next; /* while waiting */
	sd_bus_message *request;
	sd_bus_slot *slot;
	QueryState state;
	char *action;
	char **details; /* key, value, ..., NULL */
	bool interactive;
	int result; /* 1 allowed, < 0 denied or failed */
	sd_bus_error error;
	sd_event_source *reaper;
};

/* A caller with checks in flight or waiting; gone when it has neither. */
struct Sender {
	char *name; /* unique bus name */
	unsigned in_flight;
	unsigned waiting;
	AuthQuery *queue_head, *queue_tail;
	bool in_turn; /* in the round of callers waiting for a free check */
	Sender *turn_next;
};

typedef struct AuthLimits {
	Hashmap *senders; /* by name */
	unsigned in_flight;
	/* Callers whose next call may start, in the order they get a check:
	 * a caller goes to the back after each one, so a flood of calls from
	 * one caller delays another's by one check, not by the whole flood. */
	Sender *turn_head, *turn_tail;
	bool starting;          /* in start_waiting(): it does not recurse */
	sd_bus_slot *name_lost; /* NameOwnerChanged of callers that leave */
} AuthLimits;

typedef struct SenderUid {
	char *name;
	uid_t uid;
} SenderUid;

static RateLimit *log_limit(Objects *o)
{
	if (o->polkit_log_limit.interval_usec == 0)
		o->polkit_log_limit = (RateLimit)RATELIMIT_INIT(LOG_INTERVAL_USEC, LOG_BURST);
	return &o->polkit_log_limit;
}

static void start_query(AuthQuery *q);
static void query_finish(AuthQuery *q, int result);

static void sender_free(Sender *s)
{
	if (!s)
		return;
	free(s->name);
	free(s);
}

/* A caller leaves the map once nothing of it is waiting, in flight or in
 * the round. */
static void sender_maybe_free(AuthLimits *l, Sender *s)
{
	if (s->in_flight > 0 || s->waiting > 0 || s->in_turn)
		return;
	hashmap_remove(l->senders, s->name);
	sender_free(s);
}

static void turn_push(AuthLimits *l, Sender *s)
{
	if (s->in_turn || s->waiting == 0 || s->in_flight >= POLKIT_SENDER_IN_FLIGHT_MAX)
		return;
	s->in_turn = true;
	s->turn_next = NULL;
	if (l->turn_tail)
		l->turn_tail->turn_next = s;
	else
		l->turn_head = s;
	l->turn_tail = s;
}

static Sender *turn_pop(AuthLimits *l)
{
	Sender *s = l->turn_head;
	if (!s)
		return NULL;
	l->turn_head = s->turn_next;
	if (!l->turn_head)
		l->turn_tail = NULL;
	s->turn_next = NULL;
	s->in_turn = false;
	return s;
}

static void queue_push(Sender *s, AuthQuery *q)
{
	q->queue_next = NULL;
	if (s->queue_tail)
		s->queue_tail->queue_next = q;
	else
		s->queue_head = q;
	s->queue_tail = q;
	s->waiting++;
}

static AuthQuery *queue_pop(Sender *s)
{
	AuthQuery *q = s->queue_head;
	if (!q)
		return NULL;
	s->queue_head = q->queue_next;
	if (!s->queue_head)
		s->queue_tail = NULL;
	q->queue_next = NULL;
	s->waiting--;
	return q;
}

/* Starts waiting calls while checks are free, one per caller in turn. */
static void start_waiting(AuthLimits *l)
{
	if (l->starting)
		return;
	l->starting = true;
	while (l->in_flight < POLKIT_IN_FLIGHT_MAX && l->turn_head) {
		Sender *s = turn_pop(l);
		AuthQuery *q = s->in_flight < POLKIT_SENDER_IN_FLIGHT_MAX ? queue_pop(s) : NULL;
		if (q) {
			/* Counted before it starts: a check that ends at once
			 * gives its place back at once. */
			s->in_flight++;
			l->in_flight++;
		}
		turn_push(l, s);
		sender_maybe_free(l, s);
		if (q)
			start_query(q);
	}
	l->starting = false;
}

/* A check is no longer in flight: its place goes to the next caller. */
static void release_check(AuthQuery *q)
{
	Sender *s = q->sender;
	AuthLimits *l = q->objects->auth_limits;
	if (!s)
		return;
	q->sender = NULL;
	assert(s->in_flight > 0 && l->in_flight > 0);
	s->in_flight--;
	l->in_flight--;
	turn_push(l, s);
	sender_maybe_free(l, s);
	start_waiting(l);
}

static AuthQuery *query_free(AuthQuery *q)
{
	if (!q)
		return NULL;
	sd_bus_slot_unref(q->slot);
	sd_bus_message_unref(q->request);
	sd_event_source_disable_unref(q->reaper);
	sd_bus_error_free(&q->error);
	free(q->action);
	strv_free(q->details);
	free(q);
	return NULL;
}

static void query_forget(AuthQuery *q)
{
	hashmap_remove(q->objects->auth_queries, q->key);
	query_free(q);
}

static const char *detail(const AuthQuery *q, const char *key)
{
	for (char **d = q->details; d && d[0] && d[1]; d += 2)
		if (strcmp(d[0], key) == 0)
			return d[1];
	return NULL;
}

/* "start domain 'web1'": the verb where the call has one, else the
 * action (actions and verbs are the daemon's own short words). */
#define DESCRIPTION_SIZE (UTF8_SHORTEN_SIZE(NAME_QUOTE_MAX) + 256)
static const char *describe(const AuthQuery *q, char buf[static DESCRIPTION_SIZE])
{
	const char *name = detail(q, "domain_name"), *verb = detail(q, "verb");
	char quoted[UTF8_SHORTEN_SIZE(NAME_QUOTE_MAX)];

	snprintf(buf, DESCRIPTION_SIZE, "%s%s%s%s", verb ?: q->action, name ? " domain '" : "",
		 name ? utf8_shorten(name, NAME_QUOTE_MAX, quoted) : "", name ? "'" : "");
	return buf;
}

/* The daemon stops: a call still waiting for its check, or in one, gets
 * an answer now rather than none. */
static void answer_stopping(AuthQuery *q)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	char what[DESCRIPTION_SIZE];

	/* A finished check's call was already handed back to sd-bus. */
	if (q->state == QUERY_DONE)
		return;
	bus_error_setf(&error, ZV_ERROR_CANCELLED,
		       "zvirtd is stopping: the authorization to %s did not complete", describe(q, what));
	(void)sd_bus_reply_method_error(q->request, &error);
}

void polkit_queries_free(Objects *o)
{
	AuthQuery *q;
	for (size_t i = 0; hashmap_iterate(o->auth_queries, &i, (void **)&q);) {
		answer_stopping(q);
		query_free(q);
	}
	hashmap_free(o->auth_queries);
	o->auth_queries = NULL;

	AuthLimits *l = o->auth_limits;
	if (l) {
		Sender *s;
		for (size_t i = 0; hashmap_iterate(l->senders, &i, (void **)&s);)
			sender_free(s);
		hashmap_free(l->senders);
		sd_bus_slot_unref(l->name_lost);
		free(l);
		o->auth_limits = NULL;
	}

	SenderUid *s;
	for (size_t i = 0; hashmap_iterate(o->sender_uids, &i, (void **)&s);) {
		free(s->name);
		free(s);
	}
	hashmap_free(o->sender_uids);
	o->sender_uids = NULL;
}

static void remember_uid(Objects *o, const char *sender, uid_t uid)
{
	if (hashmap_size(o->sender_uids) >= SENDER_UID_CACHE_MAX) {
		SenderUid *s;
		for (size_t i = 0; hashmap_iterate(o->sender_uids, &i, (void **)&s);) {
			free(s->name);
			free(s);
		}
		hashmap_free(o->sender_uids);
		o->sender_uids = hashmap_new();
		if (!o->sender_uids)
			return;
	}
	SenderUid *s = calloc(1, sizeof(*s));
	if (!s || !(s->name = strdup(sender))) {
		free(s);
		return;
	}
	s->uid = uid;
	if (hashmap_put(o->sender_uids, s->name, s) < 0) {
		free(s->name);
		free(s);
	}
}

/* If the handler never asks again (the object vanished meanwhile), the
 * finished query would stay forever: drop it once the loop is idle. */
static int on_reaper(sd_event_source *s, void *userdata)
{
	query_forget(userdata);
	return 0;
}

static void query_finish(AuthQuery *q, int result)
{
	release_check(q);
	q->state = QUERY_DONE;
	q->result = result;
	q->slot = sd_bus_slot_unref(q->slot);

	sd_bus *bus = sd_bus_message_get_bus(q->request);
	int r = sd_bus_message_rewind(q->request, true);
	if (r >= 0)
		r = sd_bus_enqueue_for_read(bus, q->request);
	if (r < 0) {
		log_ratelimit_error_errno(log_limit(q->objects), r,
					  "Cannot re-dispatch a call after its authorization: %m");
		sd_bus_reply_method_errorf(q->request, ZVIRT_ERROR_PREFIX "HostError",
					   "Internal error while authorizing: %s", strerror(-r));
		query_forget(q);
		return;
	}
	sd_event *event = sd_bus_get_event(bus);
	if (event && sd_event_add_defer(event, &q->reaper, on_reaper, q) >= 0)
		(void)sd_event_source_set_priority(q->reaper, SD_EVENT_PRIORITY_IDLE);
}

/* "Not authorized to start domain 'web1' (polkit action ...)": the verb
 * where the call has one, else the action. */
static void deny(AuthQuery *q, const char *why)
{
	char what[DESCRIPTION_SIZE];

	bus_error_setf(&q->error, ZV_ERROR_NOT_AUTHORIZED, "Not authorized to %s (polkit action %s)%s%s",
		       describe(q, what), q->action, why ? ": " : "", why ? why : "");
	query_finish(q, -EACCES);
}

static int on_check_authorization(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	AuthQuery *q = userdata;
	int authorized = 0, challenge = 0;
	assert(reply);
	assert(q);

	if (sd_bus_message_is_method_error(reply, NULL)) {
		const sd_bus_error *e = sd_bus_message_get_error(reply);
		log_ratelimit_warning(log_limit(q->objects), "polkit did not answer for %s: %s", q->action,
				      e ? e->message : "unknown error");
		deny(q, "polkit is not available");
		return 0;
	}
	int r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
	if (r >= 0)
		r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
	if (r < 0) {
		deny(q, "polkit's answer could not be read");
		return 0;
	}
	if (authorized)
		query_finish(q, 1);
	else
		deny(q, challenge ? "authentication is required and interaction was not allowed" : NULL);
	return 0;
}

static int ask_polkit(AuthQuery *q)
{
	sd_bus *bus = sd_bus_message_get_bus(q->request);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.PolicyKit1",
					   "/org/freedesktop/PolicyKit1/Authority",
					   "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "(sa{sv})s", "system-bus-name", 1, "name", "s",
				  sd_bus_message_get_sender(q->request), q->action);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(m, 'a', "{ss}");
	if (r < 0)
		return r;
	for (char **d = q->details; d && d[0] && d[1]; d += 2) {
		r = sd_bus_message_append(m, "{ss}", d[0], d[1]);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(m);
	if (r < 0)
		return r;
	/* 1 = AllowUserInteraction */
	r = sd_bus_message_append(m, "us", (uint32_t)(q->interactive ? 1 : 0), "");
	if (r < 0)
		return r;

	q->state = QUERY_POLKIT;
	/* Interactive checks wait for a person: no D-Bus timeout then. */
	return sd_bus_call_async(bus, &q->slot, m, on_check_authorization, q,
				 q->interactive ? UINT64_MAX : 0);
}

static int on_sender_uid(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	AuthQuery *q = userdata;
	uint32_t uid;
	assert(reply);
	assert(q);

	q->slot = sd_bus_slot_unref(q->slot);
	if (sd_bus_message_is_method_error(reply, NULL) || sd_bus_message_read(reply, "u", &uid) < 0) {
		deny(q, "the caller's identity is unknown");
		return 0;
	}
	remember_uid(q->objects, sd_bus_message_get_sender(q->request), uid);
	if (uid == 0) {
		query_finish(q, 1);
		return 0;
	}
	int r = ask_polkit(q);
	if (r < 0) {
		log_ratelimit_warning_errno(log_limit(q->objects), r, "Cannot ask polkit: %m");
		deny(q, "polkit could not be asked");
	}
	return 0;
}

/* Its first step: who the sender is, unless the bus already said. */
static void start_query(AuthQuery *q)
{
	sd_bus *bus = sd_bus_message_get_bus(q->request);
	const char *sender = sd_bus_message_get_sender(q->request);
	int r;

	/* Known meanwhile, from an earlier call of the same connection. */
	SenderUid *cached = hashmap_get(q->objects->sender_uids, sender);
	if (cached && cached->uid == 0) {
		query_finish(q, 1);
		return;
	}
	if (cached)
		r = ask_polkit(q);
	else {
		q->state = QUERY_UID;
		/* Asked asynchronously: a handler never blocks on the bus driver. */
		r = sd_bus_call_method_async(bus, &q->slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					     "org.freedesktop.DBus", "GetConnectionUnixUser", on_sender_uid,
					     q, "s", sender);
	}
	if (r < 0) {
		log_ratelimit_warning_errno(log_limit(q->objects), r, "Cannot ask polkit: %m");
		deny(q, "polkit could not be asked");
	}
}

/* A caller that left needs no answer: its waiting calls are dropped
 * (those in flight end when polkit says the caller is gone). */
static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	AuthLimits *l = userdata;
	const char *name, *old_owner, *new_owner;
	assert(m);
	assert(l);

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || new_owner[0] != '\0')
		return 0;
	Sender *s = hashmap_get(l->senders, name);
	if (!s)
		return 0;
	unsigned dropped = s->waiting;
	for (AuthQuery *q; (q = queue_pop(s));) {
		q->sender = NULL;
		query_forget(q);
	}
	if (dropped > 0)
		log_debug("%s left: dropped %u of its calls waiting for authorization", name, dropped);
	sender_maybe_free(l, s);
	return 0;
}

static int on_name_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	/* Without the match a caller's waiting calls are still checked, just
	 * not dropped when it leaves: a warning, not a closed connection
	 * (sd-bus's default). */
	if (sd_bus_message_is_method_error(m, NULL)) {
		const sd_bus_error *e = sd_bus_message_get_error(m);
		log_warning("Cannot watch callers that leave: %s",
			    e && e->message ? e->message : "unknown error");
	}
	return 0;
}

static AuthLimits *auth_limits(Objects *o, sd_bus *bus)
{
	if (o->auth_limits)
		return o->auth_limits;

	_cleanup_free_ AuthLimits *l = calloc(1, sizeof(*l));
	if (!l || !(l->senders = hashmap_new()))
		return NULL;
	/* Only names that lose their owner (arg2 empty), not every name
	 * change on the system bus. */
	int r = sd_bus_add_match_async(bus, &l->name_lost,
				       "type='signal',sender='org.freedesktop.DBus',"
				       "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
				       "member='NameOwnerChanged',arg2=''",
				       on_name_owner_changed, on_name_match_installed, l);
	if (r < 0)
		log_warning_errno(r, "Cannot watch callers that leave: %m");
	o->auth_limits = TAKE_PTR(l);
	return o->auth_limits;
}

static bool same_request(const AuthQuery *q, const char *action, const char *const *details)
{
	if (strcmp(q->action, action) != 0)
		return false;
	size_t i = 0;
	for (; details && details[i]; i++)
		if (!q->details || !q->details[i] || strcmp(q->details[i], details[i]) != 0)
			return false;
	return !q->details || !q->details[i];
}

static char **strv_copy(const char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	char **c = calloc(n + 1, sizeof(char *));
	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(c[i] = strdup(v[i]))) {
			strv_free(c);
			return NULL;
		}
	return c;
}

int polkit_check(Objects *o, sd_bus_message *call, const char *action, const char *const *details,
		 bool no_user_interaction, sd_bus_error *error)
{
	char key[32];
	assert(o);
	assert(call);
	assert(action);

	snprintf(key, sizeof(key), "%p", (void *)call);

	AuthQuery *q = hashmap_get(o->auth_queries, key);
	if (q) {
		if (q->state != QUERY_DONE)
			return bus_error_setf(error, ZV_ERROR_BUSY, "Authorization is still in progress");
		/* The second dispatch must ask the same question as the first. */
		int result = same_request(q, action, details) ? q->result : -ESTALE;
		if (result < 0) {
			if (result == -ESTALE)
				bus_error_setf(error, ZV_ERROR_NOT_AUTHORIZED,
					       "The call changed while it was being authorized");
			else
				sd_bus_error_copy(error, &q->error);
		}
		query_forget(q);
		return result;
	}

	/* No sender (a direct connection, or a bus that does not say): there
	 * is nobody to ask polkit about, so the call is refused, not guessed. */
	const char *sender = sd_bus_message_get_sender(call);
	if (!sender)
		return bus_error_setf(error, ZV_ERROR_NOT_AUTHORIZED,
				      "Not authorized to %s: the call has no sender to ask polkit about",
				      action);

	SenderUid *cached = hashmap_get(o->sender_uids, sender);
	if (cached && cached->uid == 0)
		return 1;

	AuthLimits *l = auth_limits(o, sd_bus_message_get_bus(call));
	if (!l)
		return -ENOMEM;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	snprintf(q->key, sizeof(q->key), "%s", key);
	q->objects = o;
	q->request = sd_bus_message_ref(call);
	q->action = strdup(action);
	q->details = strv_copy(details);
	q->interactive =
		!no_user_interaction && sd_bus_message_get_allow_interactive_authorization(call) > 0;
	if (!q->action || !q->details) {
		query_free(q);
		return -ENOMEM;
	}

	Sender *s = hashmap_get(l->senders, sender);
	if (s && s->waiting >= POLKIT_SENDER_WAITING_MAX) {
		char what[DESCRIPTION_SIZE];
		log_ratelimit_warning(log_limit(o),
				      "Refusing a call of %s: %u of its calls wait for authorization",
				      sender, s->waiting);
		bus_error_setf(error, ZV_ERROR_BUSY,
			       "Cannot %s now: %u calls of this connection already wait for authorization; "
			       "try again once they are answered",
			       describe(q, what), s->waiting);
		query_free(q);
		return -EBUSY;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s || !(s->name = strdup(sender)) || hashmap_put(l->senders, s->name, s) < 0) {
			sender_free(s);
			query_free(q);
			return -ENOMEM;
		}
	}
	int r = hashmap_put(o->auth_queries, q->key, q);
	if (r < 0) {
		sender_maybe_free(l, s);
		query_free(q);
		return r;
	}
	q->sender = s;
	queue_push(s, q);
	turn_push(l, s);
	start_waiting(l);
	return 0;
}
