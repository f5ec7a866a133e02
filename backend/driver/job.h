/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Long operations of a domain (managed save, restore, dump, migration)
 * as jobs others can watch: progress while they run, an outcome at the
 * end, then a minute more for late readers before they go. The driver
 * creates and drives them; objects/ shows them (org.zvirt1.Job) through
 * the registry's job callbacks. A domain has at most one job at a time
 * (domain_get_job()). Jobs are not persistent: a daemon restart
 * forgets them, and what the job was doing is finished or undone by the
 * reattach (the runtime status says what was under way). */

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"

typedef enum JobType {
	JOB_MANAGED_SAVE,
	JOB_RESTORE,
	JOB_DUMP,
	JOB_MIGRATION_OUT,
	JOB_MIGRATION_IN,
	_JOB_TYPE_MAX,
} JobType;

typedef enum JobState {
	JOB_STATE_RUNNING,
	JOB_STATE_COMPLETED,
	JOB_STATE_FAILED,
	JOB_STATE_CANCELLED,
	_JOB_STATE_MAX,
} JobState;

typedef struct Job Job;

/* What a job has done so far, in bytes (and MiB/s); 0 when unknown. */
typedef struct JobProgress {
	uint64_t total, processed, remaining;
	uint64_t speed_mibps;
	uint64_t expected_downtime_ms;
	/* Migrations: how fast the guest dirties its memory (MiB/s), and
	 * auto-converge's throttle of its CPUs (percent, 0: none). */
	uint64_t dirty_rate_mibps;
	uint64_t throttle_percent;
} JobProgress;

/* How long an ended job stays visible. */
#define JOB_LINGER_USEC (60ULL * 1000 * 1000)

const char *job_type_to_string(JobType t);
const char *job_state_to_string(JobState s);

unsigned job_get_id(const Job *j);
JobType job_get_type(const Job *j);
JobState job_get_state(const Job *j);
/* "" when the job has no phases. */
const char *job_get_phase(const Job *j);
/* Wall clock, µs since the epoch. */
uint64_t job_get_started_usec(const Job *j);
const JobProgress *job_get_progress(const Job *j);
/* "" unless failed or cancelled. */
const char *job_get_error(const Job *j);
/* A migration-in job with copy-storage: where the destination's NBD
 * server exports the copied disks ("tcp:ADDRESS:PORT", each disk under
 * its target's name); "" otherwise. */
const char *job_get_disks_uri(const Job *j);
/* The domain it works on; NULL once the domain is gone (a transient
 * domain that stopped). */
Domain *job_get_domain(const Job *j);
/* The domain's UUID, 32 hex digits, even once it is gone. */
const char *job_get_domain_uuid_hex(const Job *j);

/* The running job of d, NULL when none. */
Job *domain_get_job(const Domain *d);

/* Lookup by id for objects/; ended jobs are found while they linger. */
Job *registry_find_job(const Registry *r, unsigned id);
bool registry_iterate_jobs(const Registry *r, size_t *state, Job **ret);

/* Asks the job to stop; it ends later as cancelled (or as whatever it
 * reached first). -EPERM with err when it has already ended or this kind
 * cannot be cancelled in its current phase. */
int job_cancel(Job *j, ZvError *err);
