/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Durable writes, one at a time on a worker thread, in the order they
 * were queued. Each entry's check runs on the loop right when its turn
 * comes, after every earlier entry has finished and before its own write
 * starts, so what it checks cannot be outdated by a write queued before
 * it. The loop never waits for an fsync.
 *
 * Called on the loop thread, but for the write functions, which run on a
 * worker thread and must touch nothing but their own entry. */

#include <stdbool.h>

#include "cleanup.h"
#include "worker.h"

typedef struct WriteQueue WriteQueue;

typedef struct WriteOutcome {
	/* < 0: nothing was changed (a refused check, a failed write, or
	 * -ESHUTDOWN at write_queue_free() before the write ran). */
	int result;
	/* With result 0: the change is in place, but < 0 when it could not
	 * be made durable (the directory's fsync failed). */
	int unsynced;
	/* The write was skipped: check returned > 0 (nothing to do). */
	bool skipped;
	/* write_queue_free(): the loop ends, commit nothing, answer only.
	 * result is what the write returned when it ran to its end. */
	bool stopping;
} WriteOutcome;

typedef struct WriteOps {
	/* Loop, at the entry's turn. < 0 refuses the entry, > 0 needs no
	 * write (finish gets result 0, skipped), 0 writes. May be NULL. */
	int (*check)(void *userdata);
	/* Worker thread: < 0 when nothing changed; else 0, with
	 * *ret_unsynced < 0 when the change could not be made durable. */
	int (*write)(void *userdata, int *ret_unsynced);
	/* Loop, exactly once per entry. */
	void (*finish)(const WriteOutcome *o, void *userdata);
} WriteOps;

/* The queue uses worker's threads; worker must outlive it. */
int write_queue_new(Worker *worker, WriteQueue **ret);

/* Call after worker_free(), which waits for a write under way: then every
 * entry still here gets finish with `stopping` set. Returns NULL. */
WriteQueue *write_queue_free(WriteQueue *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(WriteQueue *, write_queue_free);

/* Queues an entry; ops must stay valid until its finish. It may start
 * (its check may run) before this returns. */
int write_queue_push(WriteQueue *q, const WriteOps *ops, void *userdata);

/* Whether an entry for which match returns true is queued or writing. */
bool write_queue_find(const WriteQueue *q, bool (*match)(void *userdata, const void *key), const void *key);
