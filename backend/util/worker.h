/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Runs blocking jobs (fsync of many files, slow sysfs writes, large
 * copies, parsing a big untrusted document) on a few threads, off the
 * sd-event loop, and hands each result back on the loop.
 *
 * Everything here is called on the loop thread, except the job
 * functions, which run on a worker thread and must not touch the loop or
 * anything else that is not thread-safe. Completions are delivered on the
 * loop in the order the jobs finished. The caller keeps userdata alive
 * until the job's done has run, its cancel returned 0, or worker_free()
 * returned. */

#include <systemd/sd-event.h>

#include "cleanup.h"

typedef struct Worker Worker;
typedef struct WorkerJob WorkerJob;

/* Runs on a worker thread; the return value (negative errno by
 * convention) is passed to done. */
typedef int (*worker_job_fn)(void *userdata);
/* Runs on the loop thread after the job returned. */
typedef void (*worker_done_fn)(int result, void *userdata);

/* At most n_threads (>= 1) threads, started only as jobs queue up. The
 * worker holds a reference on the event loop. */
int worker_new(sd_event *event, unsigned n_threads, Worker **ret);

/* Drops the queued jobs, waits for the running ones, and calls no done
 * after that, not even for the jobs that finished meanwhile. May be
 * called from a done callback. Returns NULL. */
Worker *worker_free(Worker *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(Worker *, worker_free);
#define _cleanup_worker_free_ _cleanup_(worker_freep)

/* Queues job; done may be NULL. ret_job (may be NULL) is only for
 * worker_job_cancel() and is valid until the job's done has returned,
 * its cancel succeeded, or the worker is freed. -ESHUTDOWN inside a done
 * callback after worker_free(). */
int worker_submit(Worker *w, worker_job_fn job, worker_done_fn done, void *userdata, WorkerJob **ret_job);

/* Takes a job off the queue: it never runs and its done is never called
 * (0). -EBUSY once it has started: it runs to the end and its done is
 * called as usual. */
int worker_job_cancel(WorkerJob *job);
