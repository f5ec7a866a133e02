/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How the driver's operations make and drive jobs (job.h). For
 * backend/driver/ only. */

#include "job.h"

/* The operation behind a job: how to cancel it. */
typedef struct JobOps {
	/* Starts the cancellation; the operation ends the job itself. < 0
	 * with err when it cannot be cancelled now. */
	int (*cancel)(Job *j, void *userdata, ZvError *err);
} JobOps;

/* A running job for d, announced, set as d's job. -EBUSY when d has one. */
int job_new(Domain *d, JobType type, const JobOps *ops, void *userdata, Job **ret);

/* Progress while it runs: announced when anything changed. */
void job_set_progress(Job *j, const JobProgress *p);
void job_set_phase(Job *j, const char *phase);
int job_set_disks_uri(Job *j, const char *uri);

/* The end: state is completed, failed (error says why) or cancelled.
 * The domain's job slot is free again, Completed is signalled, and the
 * job lingers JOB_LINGER_USEC, then goes. */
void job_finish(Job *j, JobState state, const char *error);

/* Every job of the registry, at its end (running ones are abandoned: the
 * daemon stops, what they do is the reattach's business). */
void registry_free_jobs(Registry *r);
/* The domain goes: its jobs forget it. */
void job_forget_domain(Domain *d);
