/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

/* Completions delivered per wakeup; the rest come after the loop's other
 * sources had their turn, so a flood of short jobs cannot starve them. */
#define DISPATCH_MAX 64
/* Worker threads run at this nice value, below the loop. */
#define WORKER_NICE 10

typedef enum JobState {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_FINISHED,
} JobState;

struct WorkerJob {
	Worker *worker;
	worker_job_fn job;
	worker_done_fn done;
	void *userdata;
	/* Under the worker's lock: */
	JobState state;
	int result;
	WorkerJob *prev, *next;
};

typedef struct JobList {
	WorkerJob *head, *tail;
} JobList;

struct Worker {
	sd_event *event;
	sd_event_source *source;
	int efd;

	pthread_mutex_t lock;
	/* Signalled when a job is queued and at shutdown. */
	pthread_cond_t wake;
	/* Under lock: */
	JobList queued, finished;
	unsigned n_queued, n_idle;
	bool shutdown;

	/* Loop thread only: */
	pthread_t *threads;
	unsigned n_threads, n_started;
	bool dispatching, freed;
};

static void list_append(JobList *l, WorkerJob *j)
{
	j->prev = l->tail;
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static void list_remove(JobList *l, WorkerJob *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		l->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		l->tail = j->prev;
	j->prev = j->next = NULL;
}

static WorkerJob *list_pop(JobList *l)
{
	WorkerJob *j = l->head;
	if (j)
		list_remove(l, j);
	return j;
}

static void list_free(JobList *l)
{
	WorkerJob *j;
	while ((j = list_pop(l)))
		free(j);
}

/* Called with the lock held, or after the threads are gone. */
static void wake_loop(Worker *w)
{
	uint64_t one = 1;
	/* It can only fail with EAGAIN, when the counter is already so high
	 * that the loop is woken anyway. */
	ssize_t n = write(w->efd, &one, sizeof(one));
	(void)n;
}

static void *worker_thread(void *userdata)
{
	Worker *w = userdata;

	/* Background work yields to the loop, which answers callers and
	 * QEMU: on Linux the nice value is per thread. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKER_NICE);

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->shutdown && !w->queued.head) {
			w->n_idle++;
			pthread_cond_wait(&w->wake, &w->lock);
			w->n_idle--;
		}
		if (w->shutdown)
			break;

		WorkerJob *j = list_pop(&w->queued);
		w->n_queued--;
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&w->lock);

		int r = j->job(j->userdata);

		pthread_mutex_lock(&w->lock);
		j->result = r;
		j->state = JOB_FINISHED;
		/* The loop empties the list after reading the eventfd, so only
		 * the first of a batch needs to wake it. */
		if (!w->finished.head)
			wake_loop(w);
		list_append(&w->finished, j);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int start_thread(Worker *w)
{
	sigset_t mask, saved;
	int r;

	/* The thread inherits the mask, so it never takes a signal meant for
	 * the loop's signalfd, not even before it could block it itself.
	 * Synchronous faults stay deliverable: a blocked SIGSEGV kills without
	 * the sanitizer's report of where the job crashed. */
	sigfillset(&mask);
	sigdelset(&mask, SIGSEGV);
	sigdelset(&mask, SIGBUS);
	sigdelset(&mask, SIGFPE);
	sigdelset(&mask, SIGILL);
	r = pthread_sigmask(SIG_SETMASK, &mask, &saved);
	if (r != 0)
		return -r;
	r = pthread_create(&w->threads[w->n_started], NULL, worker_thread, w);
	(void)pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (r != 0)
		return -r;

	(void)pthread_setname_np(w->threads[w->n_started], "zv-worker");
	w->n_started++;
	return 0;
}

/* Drops what is queued, waits for what runs; no callbacks. */
static void worker_stop(Worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->shutdown = true;
	list_free(&w->queued);
	w->n_queued = 0;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);

	for (unsigned i = 0; i < w->n_started; i++)
		pthread_join(w->threads[i], NULL);
	w->n_started = 0;

	/* The threads are gone: nobody else touches the lists. */
	list_free(&w->finished);
}

static void worker_release(Worker *w)
{
	w->source = sd_event_source_disable_unref(w->source);
	if (w->efd >= 0)
		close(w->efd);
	sd_event_unref(w->event);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w->threads);
	free(w);
}

static int on_wake(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Worker *w = userdata;
	uint64_t n;

	/* Before taking from the list: a job finishing after this read wakes
	 * us again. EAGAIN: another wakeup already emptied the list. */
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug_errno(errno, "Worker: cannot read the eventfd: %m");

	/* A done callback may call worker_free(): it then leaves the Worker
	 * itself to us, and we stop at once. */
	w->dispatching = true;
	for (unsigned i = 0; i < DISPATCH_MAX && !w->freed; i++) {
		pthread_mutex_lock(&w->lock);
		WorkerJob *j = list_pop(&w->finished);
		pthread_mutex_unlock(&w->lock);
		if (!j)
			break;
		if (j->done)
			j->done(j->result, j->userdata);
		free(j);
	}
	w->dispatching = false;

	if (w->freed) {
		worker_release(w);
		return 0;
	}

	pthread_mutex_lock(&w->lock);
	if (w->finished.head)
		wake_loop(w);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

Worker *worker_free(Worker *w)
{
	if (!w || w->freed)
		return NULL;

	worker_stop(w);
	if (w->dispatching)
		w->freed = true;
	else
		worker_release(w);
	return NULL;
}

int worker_new(sd_event *event, unsigned n_threads, Worker **ret)
{
	int r;

	if (!event || n_threads == 0 || !ret)
		return -EINVAL;

	Worker *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->efd = -1;
	r = pthread_mutex_init(&w->lock, NULL);
	if (r != 0) {
		free(w);
		return -r;
	}
	r = pthread_cond_init(&w->wake, NULL);
	if (r != 0) {
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -r;
	}
	/* From here on worker_free() can take it apart. */
	_cleanup_worker_free_ Worker *owned = w;

	w->n_threads = n_threads;
	w->threads = calloc(n_threads, sizeof(*w->threads));
	if (!w->threads)
		return -ENOMEM;

	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0)
		return -errno;
	r = sd_event_add_io(event, &w->source, w->efd, EPOLLIN, on_wake, w);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(w->source, "worker");
	w->event = sd_event_ref(event);

	*ret = TAKE_PTR(owned);
	return 0;
}

int worker_submit(Worker *w, worker_job_fn job, worker_done_fn done, void *userdata, WorkerJob **ret_job)
{
	if (!w || !job)
		return -EINVAL;
	if (w->freed)
		return -ESHUTDOWN;

	WorkerJob *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	*j = (WorkerJob){
		.worker = w,
		.job = job,
		.done = done,
		.userdata = userdata,
		.state = JOB_QUEUED,
	};

	pthread_mutex_lock(&w->lock);
	list_append(&w->queued, j);
	w->n_queued++;
	/* Lazily: a new thread only when the idle ones cannot take it all. */
	bool more = w->n_queued > w->n_idle && w->n_started < w->n_threads;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);

	if (more) {
		int r = start_thread(w);
		if (r < 0 && w->n_started == 0) {
			/* Nobody would ever run it. */
			pthread_mutex_lock(&w->lock);
			list_remove(&w->queued, j);
			w->n_queued--;
			pthread_mutex_unlock(&w->lock);
			free(j);
			return log_debug_errno(r, "Worker: cannot start a thread: %m");
		}
		if (r < 0)
			log_debug_errno(r, "Worker: cannot start another thread, going on with %u: %m",
					w->n_started);
	}

	if (ret_job)
		*ret_job = j;
	return 0;
}

int worker_job_cancel(WorkerJob *j)
{
	if (!j)
		return -EINVAL;

	Worker *w = j->worker;
	pthread_mutex_lock(&w->lock);
	bool queued = j->state == JOB_QUEUED;
	if (queued) {
		list_remove(&w->queued, j);
		w->n_queued--;
	}
	pthread_mutex_unlock(&w->lock);

	if (!queued)
		return -EBUSY;
	free(j);
	return 0;
}
