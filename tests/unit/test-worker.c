/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The worker: jobs on threads, completions on the loop. The threads and
 * the test share nothing but what the worker's own lock orders (job
 * writes, done reads) and Gates, so helgrind sees every hand-over. */

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-event.h>

#include "util/cleanup.h"
#include "util/worker.h"

/* A one-shot flag between threads, with a bounded wait. */
typedef struct Gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;
} Gate;

static void gate_init(Gate *g)
{
	assert_int_equal(pthread_mutex_init(&g->lock, NULL), 0);
	assert_int_equal(pthread_cond_init(&g->cond, NULL), 0);
	g->open = false;
}

static void gate_destroy(Gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

static void gate_open(Gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static bool gate_is_open(Gate *g)
{
	pthread_mutex_lock(&g->lock);
	bool open = g->open;
	pthread_mutex_unlock(&g->lock);
	return open;
}

/* false after `seconds` (generous: valgrind is slow). */
static bool gate_wait(Gate *g, int seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;

	pthread_mutex_lock(&g->lock);
	int r = 0;
	while (!g->open && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&g->cond, &g->lock, &until);
	bool open = g->open;
	pthread_mutex_unlock(&g->lock);
	return open;
}

static pthread_t loop_thread;

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), -ETIMEDOUT);
}

/* Runs the loop until a callback calls sd_event_exit(e, 0); a hang fails
 * the test instead of hitting meson's timeout. */
static void run_loop(sd_event *e)
{
	sd_event_source *deadline = NULL;
	assert_int_equal(sd_event_add_time_relative(e, &deadline, CLOCK_MONOTONIC, 40 * 1000000ULL, 0,
						    on_deadline, NULL),
			 0);
	assert_int_equal(sd_event_loop(e), 0);
	sd_event_source_disable_unref(deadline);
}

/* Lets the loop dispatch whatever is pending, without waiting. */
static void spin_loop(sd_event *e)
{
	for (int i = 0; i < 20; i++)
		assert_true(sd_event_run(e, 0) >= 0);
}

static unsigned count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	assert_non_null(d);
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

typedef struct Slot {
	sd_event *event;
	unsigned index;
	/* Written by the job: */
	unsigned runs;
	pthread_t thread;
	bool signals_blocked;
	/* Written by done: */
	unsigned dones;
	int result;
	bool done_on_loop;
} Slot;

typedef struct Batch {
	Slot *slots;
	unsigned n, n_done;
	unsigned *order;
} Batch;

static Batch batch;

static int slot_job(void *userdata)
{
	Slot *s = userdata;
	sigset_t mask;

	/* No assert_*() on a worker thread: cmocka longjmps to the main one. */
	s->runs++;
	s->thread = pthread_self();
	s->signals_blocked = pthread_sigmask(SIG_SETMASK, NULL, &mask) == 0 &&
			     sigismember(&mask, SIGTERM) == 1 && sigismember(&mask, SIGINT) == 1 &&
			     sigismember(&mask, SIGCHLD) == 1 && sigismember(&mask, SIGUSR1) == 1 &&
			     sigismember(&mask, SIGHUP) == 1;
	return -(int)s->index;
}

static void slot_done(int result, void *userdata)
{
	Slot *s = userdata;
	s->dones++;
	s->result = result;
	s->done_on_loop = pthread_equal(pthread_self(), loop_thread);
	batch.order[batch.n_done++] = s->index;
	if (batch.n_done == batch.n)
		assert_int_equal(sd_event_exit(s->event, 0), 0);
}

static void run_batch(unsigned n_jobs, unsigned n_threads, bool check_lazy)
{
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	Worker *w = NULL;

	assert_int_equal(sd_event_new(&e), 0);
	batch = (Batch){
		.slots = calloc(n_jobs, sizeof(Slot)),
		.order = calloc(n_jobs, sizeof(unsigned)),
		.n = n_jobs,
	};
	assert_non_null(batch.slots);
	assert_non_null(batch.order);

	unsigned before = count_threads();
	assert_int_equal(worker_new(e, n_threads, &w), 0);
	/* Lazy: no thread before the first job. Only where no thread of an
	 * earlier test can still be on its way out of /proc. */
	if (check_lazy)
		assert_int_equal(count_threads(), before);

	for (unsigned i = 0; i < n_jobs; i++) {
		batch.slots[i] = (Slot){.event = e, .index = i};
		assert_int_equal(worker_submit(w, slot_job, slot_done, &batch.slots[i], NULL), 0);
		/* At least: a sanitizer may start its own thread with ours.
		 * That there are at most n_threads is checked below. */
		if (check_lazy && i == 0)
			assert_true(count_threads() > before);
	}

	run_loop(e);
	assert_int_equal(batch.n_done, n_jobs);

	pthread_t seen[8];
	unsigned n_seen = 0;
	for (unsigned i = 0; i < n_jobs; i++) {
		Slot *s = &batch.slots[i];
		assert_int_equal(s->runs, 1);
		assert_int_equal(s->dones, 1);
		assert_int_equal(s->result, -(int)i);
		assert_true(s->signals_blocked);
		assert_true(s->done_on_loop);
		assert_false(pthread_equal(s->thread, loop_thread));
		bool known = false;
		for (unsigned k = 0; k < n_seen; k++)
			known = known || pthread_equal(seen[k], s->thread);
		if (!known) {
			assert_true(n_seen < n_threads);
			seen[n_seen++] = s->thread;
		}
	}
	/* One thread runs them in turn: they finish, and so are delivered,
	 * in the order they were queued. */
	if (n_threads == 1)
		for (unsigned i = 0; i < n_jobs; i++)
			assert_int_equal(batch.order[i], i);

	w = worker_free(w);
	assert_null(w);
	free(batch.slots);
	free(batch.order);
}

static void test_threads_and_loop(void **state)
{
	run_batch(1, 2, true);
}

static void test_many_jobs(void **state)
{
	run_batch(1000, 2, false);
}

static void test_completion_order(void **state)
{
	run_batch(200, 1, false);
}

static void test_invalid(void **state)
{
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_worker_free_ Worker *w = NULL;

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(worker_new(e, 0, &w), -EINVAL);
	assert_int_equal(worker_new(NULL, 1, &w), -EINVAL);
	assert_null(w);
	assert_int_equal(worker_new(e, 1, &w), 0);
	assert_int_equal(worker_submit(w, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(worker_job_cancel(NULL), -EINVAL);
	assert_null(worker_free(NULL));
}

/* A job that holds its thread until the test lets it go. */
typedef struct Blocker {
	Gate started, release;
	bool released;
	unsigned runs, dones;
} Blocker;

static int blocker_job(void *userdata)
{
	Blocker *b = userdata;
	b->runs++;
	gate_open(&b->started);
	b->released = gate_wait(&b->release, 30);
	return 7;
}

static void blocker_done(int result, void *userdata)
{
	Blocker *b = userdata;
	b->dones++;
	assert_int_equal(result, 7);
	assert_true(pthread_equal(pthread_self(), loop_thread));
}

typedef struct Counter {
	sd_event *event;
	unsigned runs, dones;
	bool exit_on_done;
} Counter;

static int counter_job(void *userdata)
{
	Counter *c = userdata;
	c->runs++;
	return 0;
}

static int nop_job(void *userdata)
{
	return 0;
}

static void counter_done(int result, void *userdata)
{
	Counter *c = userdata;
	c->dones++;
	if (c->exit_on_done)
		assert_int_equal(sd_event_exit(c->event, 0), 0);
}

static void test_cancel(void **state)
{
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_worker_free_ Worker *w = NULL;
	Blocker b = {};
	Counter cancelled = {}, last = {};
	WorkerJob *jb, *jc, *jl;

	gate_init(&b.started);
	gate_init(&b.release);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(worker_new(e, 1, &w), 0);

	assert_int_equal(worker_submit(w, blocker_job, blocker_done, &b, &jb), 0);
	assert_true(gate_wait(&b.started, 30));
	/* The one thread is busy: these two wait in the queue. */
	assert_int_equal(worker_submit(w, counter_job, counter_done, &cancelled, &jc), 0);
	last = (Counter){.event = e, .exit_on_done = true};
	assert_int_equal(worker_submit(w, counter_job, counter_done, &last, &jl), 0);

	assert_int_equal(worker_job_cancel(jc), 0);
	/* Started: it runs to the end and its done still comes. */
	assert_int_equal(worker_job_cancel(jb), -EBUSY);

	gate_open(&b.release);
	run_loop(e);
	assert_int_equal(b.runs, 1);
	assert_int_equal(b.dones, 1);
	assert_true(b.released);
	assert_int_equal(last.runs, 1);
	assert_int_equal(last.dones, 1);
	assert_int_equal(cancelled.runs, 0);
	assert_int_equal(cancelled.dones, 0);

	w = worker_free(w);
	gate_destroy(&b.started);
	gate_destroy(&b.release);
}

/* A job that takes a while on its own. */
typedef struct Sleeper {
	Gate started, finished;
	unsigned dones;
} Sleeper;

static int sleeper_job(void *userdata)
{
	Sleeper *s = userdata;
	gate_open(&s->started);
	usleep(200 * 1000);
	gate_open(&s->finished);
	return 0;
}

static void sleeper_done(int result, void *userdata)
{
	Sleeper *s = userdata;
	s->dones++;
}

static int quick_job(void *userdata)
{
	gate_open(userdata);
	return 0;
}

static void quick_done(int result, void *userdata)
{
	fail_msg("done of a job the loop never got to, after worker_free()");
}

static void test_free_with_jobs(void **state)
{
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	Worker *w = NULL;
	Sleeper s[2] = {};
	Counter queued = {};
	Gate quick;

	gate_init(&quick);
	for (unsigned i = 0; i < ELEMENTSOF(s); i++) {
		gate_init(&s[i].started);
		gate_init(&s[i].finished);
	}
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(worker_new(e, 2, &w), 0);

	/* Finished (or about to be) but not delivered: the loop never ran. */
	assert_int_equal(worker_submit(w, quick_job, quick_done, &quick, NULL), 0);
	assert_true(gate_wait(&quick, 30));

	/* Both threads busy for a while, and a queue behind them. */
	for (unsigned i = 0; i < ELEMENTSOF(s); i++)
		assert_int_equal(worker_submit(w, sleeper_job, sleeper_done, &s[i], NULL), 0);
	for (unsigned i = 0; i < ELEMENTSOF(s); i++)
		assert_true(gate_wait(&s[i].started, 30));
	for (unsigned i = 0; i < 50; i++)
		assert_int_equal(worker_submit(w, counter_job, counter_done, &queued, NULL), 0);

	w = worker_free(w);
	assert_null(w);
	/* It waited for the running ones... */
	for (unsigned i = 0; i < ELEMENTSOF(s); i++)
		assert_true(gate_is_open(&s[i].finished));
	/* ...and dropped the queue. */
	assert_int_equal(queued.runs, 0);

	/* No callback after the free, whatever the eventfd still says. */
	spin_loop(e);
	assert_int_equal(s[0].dones + s[1].dones, 0);
	assert_int_equal(queued.dones, 0);

	for (unsigned i = 0; i < ELEMENTSOF(s); i++) {
		gate_destroy(&s[i].started);
		gate_destroy(&s[i].finished);
	}
	gate_destroy(&quick);
}

/* Freed from a done callback, with more completions and jobs pending. */
typedef struct Owner {
	Worker *worker;
	unsigned dones;
} Owner;

static void owner_done(int result, void *userdata)
{
	Owner *o = userdata;
	o->dones++;
	o->worker = worker_free(o->worker);
}

static int on_exit_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void test_free_from_done(void **state)
{
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	Owner o = {};
	Counter rest = {};

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(worker_new(e, 2, &o.worker), 0);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(worker_submit(o.worker, nop_job, owner_done, &o, NULL), 0);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(worker_submit(o.worker, nop_job, counter_done, &rest, NULL), 0);

	/* The loop goes on a while after the free: nothing more comes. */
	sd_event_source *timer = NULL;
	assert_int_equal(
		sd_event_add_time_relative(e, &timer, CLOCK_MONOTONIC, 100 * 1000, 0, on_exit_timer, NULL),
		0);
	run_loop(e);
	sd_event_source_disable_unref(timer);
	assert_null(o.worker);
	assert_int_equal(o.dones, 1);
	assert_int_equal(rest.dones, 0);
}

/* The job waits for a timer on the loop: it can only fire if the loop
 * keeps running while the job blocks. */
typedef struct Waiter {
	sd_event *event;
	Gate timer_fired;
	bool timer_before_done;
	int result;
	unsigned dones;
} Waiter;

static int waiter_job(void *userdata)
{
	Waiter *wt = userdata;
	return gate_wait(&wt->timer_fired, 30) ? 0 : -ETIMEDOUT;
}

static void waiter_done(int result, void *userdata)
{
	Waiter *wt = userdata;
	wt->dones++;
	wt->result = result;
	assert_int_equal(sd_event_exit(wt->event, 0), 0);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	Waiter *wt = userdata;
	wt->timer_before_done = wt->dones == 0;
	gate_open(&wt->timer_fired);
	return 0;
}

static void test_loop_not_blocked(void **state)
{
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_worker_free_ Worker *w = NULL;
	sd_event_source *timer = NULL;
	Waiter wt = {};

	gate_init(&wt.timer_fired);
	assert_int_equal(sd_event_new(&e), 0);
	wt.event = e;
	assert_int_equal(worker_new(e, 1, &w), 0);
	assert_int_equal(worker_submit(w, waiter_job, waiter_done, &wt, NULL), 0);
	assert_int_equal(sd_event_add_time_relative(e, &timer, CLOCK_MONOTONIC, 20 * 1000, 0, on_timer, &wt),
			 0);

	run_loop(e);
	assert_true(wt.timer_before_done);
	assert_int_equal(wt.dones, 1);
	assert_int_equal(wt.result, 0);

	sd_event_source_disable_unref(timer);
	w = worker_free(w);
	gate_destroy(&wt.timer_fired);
}

/* sd-event's signal sources use signalfd: a signal blocked in the loop
 * thread must not be taken by a worker thread instead. */
static int on_sigusr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	unsigned *got = userdata;
	(*got)++;
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void test_signals_reach_the_loop(void **state)
{
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_worker_free_ Worker *w = NULL;
	sd_event_source *sig = NULL;
	sigset_t mask, saved;
	Blocker b = {};
	unsigned got = 0;

	gate_init(&b.started);
	gate_init(&b.release);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &mask, &saved), 0);

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(sd_event_add_signal(e, &sig, SIGUSR1, on_sigusr1, &got), 0);
	assert_int_equal(worker_new(e, 2, &w), 0);
	assert_int_equal(worker_submit(w, blocker_job, blocker_done, &b, NULL), 0);
	assert_true(gate_wait(&b.started, 30));

	/* To the process: any thread that has it unblocked could take it. */
	assert_int_equal(kill(getpid(), SIGUSR1), 0);
	run_loop(e);
	assert_int_equal(got, 1);

	gate_open(&b.release);
	w = worker_free(w);
	sd_event_source_disable_unref(sig);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &saved, NULL), 0);
	gate_destroy(&b.started);
	gate_destroy(&b.release);
}

int main(void)
{
	loop_thread = pthread_self();

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_and_loop),
		cmocka_unit_test(test_many_jobs),
		cmocka_unit_test(test_completion_order),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_free_with_jobs),
		cmocka_unit_test(test_free_from_done),
		cmocka_unit_test(test_loop_not_blocked),
		cmocka_unit_test(test_signals_reach_the_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
