/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Jobs (job.h): their lifetime, their one-per-domain slot, and what the
 * registry tells objects/ about them. */

#include "job-internal.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "domain-internal.h"
#include "registry-internal.h"
#include "util/log.h"

struct Job {
	Registry *registry;
	unsigned id;
	char key[16]; /* id in decimal: the registry's map key */
	JobType type;
	JobState state;
	char *phase;
	uint64_t started_usec;
	JobProgress progress;
	char *error;
	char *disks_uri;
	Domain *domain; /* NULL once it is gone */
	char domain_uuid_hex[SD_ID128_STRING_MAX];
	const JobOps *ops;
	void *ops_userdata;
	sd_event_source *linger; /* after the end: the removal */
};

static const char *const type_names[_JOB_TYPE_MAX] = {
	[JOB_MANAGED_SAVE] = "managed-save",   [JOB_RESTORE] = "restore",           [JOB_DUMP] = "dump",
	[JOB_MIGRATION_OUT] = "migration-out", [JOB_MIGRATION_IN] = "migration-in",
};

static const char *const state_names[_JOB_STATE_MAX] = {
	[JOB_STATE_RUNNING] = "running",
	[JOB_STATE_COMPLETED] = "completed",
	[JOB_STATE_FAILED] = "failed",
	[JOB_STATE_CANCELLED] = "cancelled",
};

const char *job_type_to_string(JobType t)
{
	return t >= 0 && t < _JOB_TYPE_MAX ? type_names[t] : NULL;
}

const char *job_state_to_string(JobState s)
{
	return s >= 0 && s < _JOB_STATE_MAX ? state_names[s] : NULL;
}

unsigned job_get_id(const Job *j)
{
	return j->id;
}

JobType job_get_type(const Job *j)
{
	return j->type;
}

JobState job_get_state(const Job *j)
{
	return j->state;
}

const char *job_get_phase(const Job *j)
{
	return j->phase ?: "";
}

uint64_t job_get_started_usec(const Job *j)
{
	return j->started_usec;
}

const JobProgress *job_get_progress(const Job *j)
{
	return &j->progress;
}

const char *job_get_error(const Job *j)
{
	return j->error ?: "";
}

Domain *job_get_domain(const Job *j)
{
	return j->domain;
}

const char *job_get_domain_uuid_hex(const Job *j)
{
	return j->domain_uuid_hex;
}

Job *domain_get_job(const Domain *d)
{
	return d->job;
}

Job *registry_find_job(const Registry *r, unsigned id)
{
	char key[16];
	snprintf(key, sizeof(key), "%u", id);
	return r->jobs ? hashmap_get(r->jobs, key) : NULL;
}

bool registry_iterate_jobs(const Registry *r, size_t *state, Job **ret)
{
	return r->jobs && hashmap_iterate(r->jobs, state, (void **)ret);
}

static void job_free(Job *j)
{
	sd_event_source_disable_unref(j->linger);
	free(j->phase);
	free(j->disks_uri);
	free(j->error);
	free(j);
}

int job_new(Domain *d, JobType type, const JobOps *ops, void *userdata, Job **ret)
{
	Registry *r = d->registry;
	assert(ops);
	if (d->job)
		return -EBUSY;
	if (!r->jobs && !(r->jobs = hashmap_new()))
		return -ENOMEM;

	Job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	*j = (Job){
		.registry = r,
		.id = ++r->last_job_id,
		.type = type,
		.state = JOB_STATE_RUNNING,
		.started_usec = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000,
		.domain = d,
		.ops = ops,
		.ops_userdata = userdata,
	};
	snprintf(j->key, sizeof(j->key), "%u", j->id);
	memcpy(j->domain_uuid_hex, d->uuid_hex, sizeof(j->domain_uuid_hex));
	int k = hashmap_put(r->jobs, j->key, j);
	if (k < 0) {
		job_free(j);
		return k;
	}
	d->job = j;
	log_info("Domain %s: job %u (%s) started", domain_name(d), j->id, type_names[type]);
	if (r->callbacks.job_added)
		r->callbacks.job_added(j, r->callbacks.userdata);
	registry_notify_definition(r, d); /* the Job property */
	*ret = j;
	return 0;
}

static void changed(Job *j)
{
	Registry *r = j->registry;
	if (r->callbacks.job_changed)
		r->callbacks.job_changed(j, r->callbacks.userdata);
}

void job_set_progress(Job *j, const JobProgress *p)
{
	if (j->state != JOB_STATE_RUNNING || memcmp(&j->progress, p, sizeof(*p)) == 0)
		return;
	j->progress = *p;
	changed(j);
}

const char *job_get_disks_uri(const Job *j)
{
	return j->disks_uri ?: "";
}

int job_set_disks_uri(Job *j, const char *uri)
{
	char *copy = strdup(uri);
	if (!copy)
		return -ENOMEM;
	free(j->disks_uri);
	j->disks_uri = copy;
	changed(j);
	return 0;
}

void job_set_phase(Job *j, const char *phase)
{
	if (j->state != JOB_STATE_RUNNING || strcmp(job_get_phase(j), phase) == 0)
		return;
	char *copy = strdup(phase);
	if (!copy)
		return;
	free(j->phase);
	j->phase = copy;
	changed(j);
}

static void job_remove(Job *j)
{
	Registry *r = j->registry;
	if (r->callbacks.job_removed)
		r->callbacks.job_removed(j, r->callbacks.userdata);
	hashmap_remove(r->jobs, j->key);
	job_free(j);
}

static int on_linger_end(sd_event_source *s, uint64_t usec, void *userdata)
{
	job_remove(userdata);
	return 0;
}

void job_finish(Job *j, JobState state, const char *error)
{
	Registry *r = j->registry;
	assert(state != JOB_STATE_RUNNING);
	if (j->state != JOB_STATE_RUNNING)
		return;
	j->state = state;
	if (error && !(j->error = strdup(error)))
		log_error("Out of memory: job %u loses its error message", j->id);
	if (j->domain) {
		if (j->domain->job == j)
			j->domain->job = NULL;
		log_info("Domain %s: job %u (%s) %s%s%s", domain_name(j->domain), j->id, type_names[j->type],
			 state_names[state], error ? ": " : "", error ?: "");
		registry_notify_definition(r, j->domain);
	}
	changed(j);
	if (r->callbacks.job_finished)
		r->callbacks.job_finished(j, r->callbacks.userdata);
	/* Readers that come late still learn the outcome; if the timer
	 * cannot be armed the job goes now rather than never. */
	if (sd_event_add_time_relative(r->event, &j->linger, CLOCK_MONOTONIC, JOB_LINGER_USEC, 0,
				       on_linger_end, j) < 0)
		job_remove(j);
}

int job_cancel(Job *j, ZvError *err)
{
	if (j->state != JOB_STATE_RUNNING)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM, "Job %u has already %s", j->id,
				    state_names[j->state]);
	if (!j->ops->cancel)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM, "A %s job cannot be cancelled",
				    type_names[j->type]);
	return j->ops->cancel(j, j->ops_userdata, err);
}

void job_forget_domain(Domain *d)
{
	Job *j;
	for (size_t i = 0; registry_iterate_jobs(d->registry, &i, &j);)
		if (j->domain == d)
			j->domain = NULL;
	d->job = NULL;
}

void registry_free_jobs(Registry *r)
{
	Job *j;
	if (!r->jobs)
		return;
	for (size_t i = 0; hashmap_iterate(r->jobs, &i, (void **)&j);)
		job_free(j);
	hashmap_free(r->jobs);
	r->jobs = NULL;
}
