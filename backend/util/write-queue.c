/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The serial queue of durable writes (write-queue.h). */

#include "write-queue.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

typedef struct Entry {
	WriteQueue *queue;
	const WriteOps *ops;
	void *userdata;
	struct Entry *next;
	/* Set by the worker thread; read once its done ran, or after
	 * worker_free() joined it. */
	bool ran;
	int result, unsynced;
} Entry;

struct WriteQueue {
	Worker *worker;
	Entry *head, *tail; /* head is the entry writing, if writing */
	bool writing;
	bool pumping; /* pump() is on the stack: finish may push */
};

int write_queue_new(Worker *worker, WriteQueue **ret)
{
	assert(worker);
	assert(ret);
	WriteQueue *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->worker = worker;
	*ret = q;
	return 0;
}

static Entry *pop(WriteQueue *q)
{
	Entry *e = q->head;
	q->head = e->next;
	if (!q->head)
		q->tail = NULL;
	return e;
}

static void finish(Entry *e, const WriteOutcome *o)
{
	e->ops->finish(o, e->userdata);
	free(e);
}

static void pump(WriteQueue *q);

static int run_write(void *userdata)
{
	Entry *e = userdata;
	e->unsynced = 0;
	e->result = e->ops->write(e->userdata, &e->unsynced);
	e->ran = true;
	return e->result;
}

static void on_written(int result, void *userdata)
{
	Entry *e = userdata;
	WriteQueue *q = e->queue;
	assert(q->head == e && q->writing);
	q->writing = false;
	(void)pop(q);
	finish(e, &(WriteOutcome){.result = e->result, .unsynced = e->result < 0 ? 0 : e->unsynced});
	pump(q);
}

/* Starts the next write, answering at once the entries whose check
 * refuses them or finds nothing to do. */
static void pump(WriteQueue *q)
{
	if (q->pumping)
		return;
	q->pumping = true;
	while (!q->writing && q->head) {
		Entry *e = q->head;
		int r = e->ops->check ? e->ops->check(e->userdata) : 0;
		if (r == 0) {
			r = worker_submit(q->worker, run_write, on_written, e, NULL);
			if (r >= 0) {
				q->writing = true;
				break;
			}
		}
		(void)pop(q);
		finish(e, &(WriteOutcome){.result = r < 0 ? r : 0, .skipped = r > 0});
	}
	q->pumping = false;
}

int write_queue_push(WriteQueue *q, const WriteOps *ops, void *userdata)
{
	assert(q);
	assert(ops && ops->write && ops->finish);
	Entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	*e = (Entry){.queue = q, .ops = ops, .userdata = userdata};
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	pump(q);
	return 0;
}

bool write_queue_find(const WriteQueue *q, bool (*match)(void *userdata, const void *key), const void *key)
{
	for (const Entry *e = q ? q->head : NULL; e; e = e->next)
		if (match(e->userdata, key))
			return true;
	return false;
}

WriteQueue *write_queue_free(WriteQueue *q)
{
	if (!q)
		return NULL;
	q->pumping = true; /* a finish that pushes gets its entry answered below */
	while (q->head) {
		Entry *e = pop(q);
		finish(e, &(WriteOutcome){.result = e->ran ? e->result : -ESHUTDOWN,
					  .unsynced = e->ran && e->result >= 0 ? e->unsynced : 0,
					  .stopping = true});
	}
	free(q);
	return NULL;
}
