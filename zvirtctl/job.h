/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.zvirt1.Job objects: their properties, and waiting for one to end
 * with its progress (virsh's --verbose) and Ctrl-C to cancel it. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "zvirtctl.h"

typedef struct JobInfo {
	char *path;
	char *type;  /* managed-save, dump, migration-out, migration-in, restore */
	char *state; /* running, completed, failed, cancelled */
	char *phase;
	char *error;
	uint64_t started_usec;
	uint64_t total, processed, remaining; /* bytes */
	uint64_t speed_mibps;
	/* A migration's: QEMU's estimate, how fast the guest dirties its
	 * memory, auto-converge's throttle; 0 when it has none. */
	uint64_t expected_downtime_ms;
	uint64_t dirty_rate_mibps;
	uint32_t throttle_percent;
} JobInfo;

int job_info_get(Ctl *ctl, const char *path, JobInfo *ret, sd_bus_error *error);
void job_info_done(JobInfo *info);
/* {"type", "state", "phase", "error", "started-usec", "data-total",
 *  "data-processed", "data-remaining", "speed-MiBps",
 *  "expected-downtime-ms", "dirty-rate-MiBps", "throttle-percent"} */
json_object *job_info_json(const JobInfo *info);

/* What a wait has seen of the jobs' Completed signals. */
typedef struct JobWatch {
	sd_bus_slot *completed;
	sd_bus_slot *changed;
	char *path; /* the job waited for, once known */
	bool ended;
	bool success;
	char *message;
	bool progress; /* a progress change to show */
} JobWatch;

/* Before the call that makes a job: listen for every job's Completed and
 * property changes, so that a short job's end is not missed. */
int job_watch_begin(Ctl *ctl, JobWatch *w, sd_bus_error *error);
void job_watch_done(JobWatch *w);
/* Waits until the job at path ended: progress on stderr (a bar when it
 * is a terminal; a line per percent otherwise, with verbose); SIGINT cancels
 * the job (on a terminal after asking). The exit code, after printing
 * a failure. */
int job_wait(Ctl *ctl, JobWatch *w, const char *path, const char *what, bool verbose);
