/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The write queue: one write at a time, in order, each checked at its
 * turn; a refused check, a skipped write, an unsynced one, and the
 * answers at free. */

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <systemd/sd-event.h>

#include "util/cleanup.h"
#include "util/worker.h"
#include "util/write-queue.h"

#define N_ENTRIES 8

typedef struct Log {
	/* The order things happened in, as "c<i>" (check), "w<i>", "f<i>". */
	char events[512];
	pthread_mutex_t lock;
	int writing; /* writes running now (at most 1) */
	int max_writing;
	unsigned finished;
	sd_event *event;
} Log;

typedef struct Entry {
	Log *log;
	int index;
	int check_result; /* what check returns */
	int write_result;
	int unsynced;
	WriteOutcome outcome;
	bool finished;
	WriteQueue *push_from_finish; /* finish queues `chained` here */
	struct Entry *chained;
} Entry;

static void note(Log *l, char what, int index)
{
	char buf[8];
	pthread_mutex_lock(&l->lock);
	snprintf(buf, sizeof(buf), "%c%d ", what, index);
	strncat(l->events, buf, sizeof(l->events) - strlen(l->events) - 1);
	pthread_mutex_unlock(&l->lock);
}

static int entry_check(void *userdata)
{
	Entry *e = userdata;
	note(e->log, 'c', e->index);
	/* Every earlier entry has finished: its check saw the earlier state. */
	assert_int_equal(e->log->writing, 0);
	return e->check_result;
}

static int entry_write(void *userdata, int *ret_unsynced)
{
	Entry *e = userdata;
	pthread_mutex_lock(&e->log->lock);
	if (++e->log->writing > e->log->max_writing)
		e->log->max_writing = e->log->writing;
	pthread_mutex_unlock(&e->log->lock);
	note(e->log, 'w', e->index);
	usleep(2000); /* long enough for a second write to overlap, were it allowed */
	pthread_mutex_lock(&e->log->lock);
	e->log->writing--;
	pthread_mutex_unlock(&e->log->lock);
	*ret_unsynced = e->unsynced;
	return e->write_result;
}

static const WriteOps ops;

static void entry_finish(const WriteOutcome *o, void *userdata)
{
	Entry *e = userdata;
	assert_false(e->finished);
	e->finished = true;
	e->outcome = *o;
	note(e->log, 'f', e->index);
	if (e->push_from_finish)
		assert_int_equal(write_queue_push(e->push_from_finish, &ops, e->chained), 0);
	if (++e->log->finished == N_ENTRIES && e->log->event)
		sd_event_exit(e->log->event, 0);
}

static const WriteOps ops = {.check = entry_check, .write = entry_write, .finish = entry_finish};

typedef struct Fixture {
	sd_event *event;
	Worker *worker;
	WriteQueue *queue;
	Log log;
	Entry entries[N_ENTRIES];
} Fixture;

static int setup(void **state)
{
	Fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(sd_event_new(&f->event), 0);
	assert_int_equal(worker_new(f->event, 4, &f->worker), 0);
	assert_int_equal(write_queue_new(f->worker, &f->queue), 0);
	pthread_mutex_init(&f->log.lock, NULL);
	f->log.event = f->event;
	for (int i = 0; i < N_ENTRIES; i++)
		f->entries[i] = (Entry){.log = &f->log, .index = i};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	Fixture *f = *state;
	f->worker = worker_free(f->worker);
	f->queue = write_queue_free(f->queue);
	pthread_mutex_destroy(&f->log.lock);
	sd_event_unref(f->event);
	free(f);
	return 0;
}

static void run(Fixture *f)
{
	assert_int_equal(sd_event_loop(f->event), 0);
}

/* In order, one at a time, each checked right before its own write. */
static void test_order(void **state)
{
	Fixture *f = *state;
	for (int i = 0; i < N_ENTRIES; i++)
		assert_int_equal(write_queue_push(f->queue, &ops, &f->entries[i]), 0);
	run(f);
	assert_int_equal(f->log.max_writing, 1);
	assert_string_equal(f->log.events,
			    "c0 w0 f0 c1 w1 f1 c2 w2 f2 c3 w3 f3 c4 w4 f4 c5 w5 f5 c6 w6 f6 c7 w7 f7 ");
	for (int i = 0; i < N_ENTRIES; i++) {
		assert_true(f->entries[i].finished);
		assert_int_equal(f->entries[i].outcome.result, 0);
		assert_false(f->entries[i].outcome.stopping);
	}
}

/* A refused check and one with nothing to do answer at once, without a
 * write; a failed write and an unsynced one say so; the rest go on. */
static void test_outcomes(void **state)
{
	Fixture *f = *state;
	f->entries[1].check_result = -EEXIST;
	f->entries[2].check_result = 1;
	f->entries[3].write_result = -ENOSPC;
	f->entries[4].unsynced = -EIO;
	f->entries[5].write_result = -EROFS;
	f->entries[5].unsynced = -EIO; /* meaningless when the write failed */
	for (int i = 0; i < N_ENTRIES; i++)
		assert_int_equal(write_queue_push(f->queue, &ops, &f->entries[i]), 0);
	run(f);
	assert_string_equal(f->log.events,
			    "c0 w0 f0 c1 f1 c2 f2 c3 w3 f3 c4 w4 f4 c5 w5 f5 c6 w6 f6 c7 w7 f7 ");
	assert_int_equal(f->entries[1].outcome.result, -EEXIST);
	assert_int_equal(f->entries[2].outcome.result, 0);
	assert_true(f->entries[2].outcome.skipped);
	assert_int_equal(f->entries[3].outcome.result, -ENOSPC);
	assert_int_equal(f->entries[4].outcome.result, 0);
	assert_int_equal(f->entries[4].outcome.unsynced, -EIO);
	assert_int_equal(f->entries[5].outcome.result, -EROFS);
	assert_int_equal(f->entries[5].outcome.unsynced, 0);
	assert_false(f->entries[6].outcome.skipped);
}

/* A finish may queue the next write: it runs after the queued ones. */
static void test_push_from_finish(void **state)
{
	Fixture *f = *state;
	f->entries[0].push_from_finish = f->queue;
	f->entries[0].chained = &f->entries[N_ENTRIES - 1];
	for (int i = 0; i < N_ENTRIES - 1; i++)
		assert_int_equal(write_queue_push(f->queue, &ops, &f->entries[i]), 0);
	run(f);
	assert_string_equal(f->log.events,
			    "c0 w0 f0 c1 w1 f1 c2 w2 f2 c3 w3 f3 c4 w4 f4 c5 w5 f5 c6 w6 f6 c7 w7 f7 ");
}

/* At free every entry is answered once, stopping; the one whose write
 * ran to its end says how it ended, the others that nothing changed. */
static void test_free_answers(void **state)
{
	Fixture *f = *state;
	f->log.event = NULL;
	for (int i = 0; i < N_ENTRIES; i++)
		assert_int_equal(write_queue_push(f->queue, &ops, &f->entries[i]), 0);
	/* Entry 0's write is submitted; worker_free() waits for it. */
	f->worker = worker_free(f->worker);
	f->queue = write_queue_free(f->queue);
	for (int i = 0; i < N_ENTRIES; i++) {
		assert_true(f->entries[i].finished);
		assert_true(f->entries[i].outcome.stopping);
	}
	assert_true(f->entries[0].outcome.result == 0 || f->entries[0].outcome.result == -ESHUTDOWN);
	for (int i = 1; i < N_ENTRIES; i++)
		assert_int_equal(f->entries[i].outcome.result, -ESHUTDOWN);
	/* Only the first was ever checked. */
	assert_non_null(strstr(f->log.events, "c0 "));
	assert_null(strstr(f->log.events, "c1 "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_from_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_answers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
