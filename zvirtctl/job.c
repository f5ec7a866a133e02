/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "call.h"
#include "errors.h"
#include "job.h"
#include "output.h"
#include "util/cleanup.h"

#define ZVIRT_JOB_IFACE "org.zvirt1.Job"

static int read_string(sd_bus_message *m, char **ret)
{
	const char *s;
	int r = sd_bus_message_read(m, "v", "s", &s);

	if (r < 0)
		return r;
	free(*ret);
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int read_property(sd_bus_message *m, const char *key, void *userdata)
{
	JobInfo *j = userdata;
	static const struct {
		const char *name;
		size_t offset;
	} strings[] =
		{
			{"Type", offsetof(JobInfo, type)},
			{"State", offsetof(JobInfo, state)},
			{"Phase", offsetof(JobInfo, phase)},
			{"Error", offsetof(JobInfo, error)},
		},
	  numbers[] = {
		  {"Started", offsetof(JobInfo, started_usec)},
		  {"DataTotal", offsetof(JobInfo, total)},
		  {"DataProcessed", offsetof(JobInfo, processed)},
		  {"DataRemaining", offsetof(JobInfo, remaining)},
		  {"SpeedMiBps", offsetof(JobInfo, speed_mibps)},
		  {"ExpectedDowntimeMs", offsetof(JobInfo, expected_downtime_ms)},
		  {"DirtyRateMiBps", offsetof(JobInfo, dirty_rate_mibps)},
	  };

	for (size_t i = 0; i < ELEMENTSOF(strings); i++)
		if (strcmp(key, strings[i].name) == 0)
			return read_string(m, (char **)((char *)j + strings[i].offset));
	for (size_t i = 0; i < ELEMENTSOF(numbers); i++)
		if (strcmp(key, numbers[i].name) == 0)
			return sd_bus_message_read(m, "v", "t", (uint64_t *)((char *)j + numbers[i].offset));
	if (strcmp(key, "ThrottlePercent") == 0)
		return sd_bus_message_read(m, "v", "u", &j->throttle_percent);
	return sd_bus_message_skip(m, "v");
}

int job_info_get(Ctl *ctl, const char *path, JobInfo *ret, sd_bus_error *error)
{
	JobInfo j = {0};
	int r = call_get_all(ctl, path, ZVIRT_JOB_IFACE, read_property, &j, error);

	if (r < 0 && sd_bus_error_is_set(error)) {
		job_info_done(&j);
		return r;
	}
	if (r >= 0 && !(j.path = strdup(path)))
		r = -ENOMEM;
	if (r >= 0 && (!j.type || !j.state))
		r = -EBADMSG;
	if (r < 0) {
		job_info_done(&j);
		return sd_bus_error_set_errnof(error, r, "Cannot read the job %s: %m", path);
	}
	*ret = j;
	return 0;
}

void job_info_done(JobInfo *j)
{
	free(j->path);
	free(j->type);
	free(j->state);
	free(j->phase);
	free(j->error);
	*j = (JobInfo){0};
}

json_object *job_info_json(const JobInfo *j)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "type", json_object_new_string(j->type));
	json_object_object_add(o, "state", json_object_new_string(j->state));
	json_object_object_add(o, "phase", output_json_string(j->phase));
	json_object_object_add(o, "error", j->error && *j->error ? json_object_new_string(j->error) : NULL);
	json_object_object_add(o, "started-usec", json_object_new_uint64(j->started_usec));
	json_object_object_add(o, "data-total", json_object_new_uint64(j->total));
	json_object_object_add(o, "data-processed", json_object_new_uint64(j->processed));
	json_object_object_add(o, "data-remaining", json_object_new_uint64(j->remaining));
	json_object_object_add(o, "speed-MiBps", json_object_new_uint64(j->speed_mibps));
	json_object_object_add(o, "expected-downtime-ms", json_object_new_uint64(j->expected_downtime_ms));
	json_object_object_add(o, "dirty-rate-MiBps", json_object_new_uint64(j->dirty_rate_mibps));
	json_object_object_add(o, "throttle-percent", json_object_new_uint64(j->throttle_percent));
	return o;
}

static int on_completed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	JobWatch *w = userdata;
	assert(m);
	assert(w);
	const char *message;
	int success;

	if (!w->path || strcmp(sd_bus_message_get_path(m), w->path) != 0)
		return 0;
	if (sd_bus_message_read(m, "bs", &success, &message) < 0)
		return 0;
	w->ended = true;
	w->success = success;
	free(w->message);
	w->message = strdup(message);
	return 0;
}

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	JobWatch *w = userdata;
	assert(m);
	assert(w);

	if (w->path && strcmp(sd_bus_message_get_path(m), w->path) == 0)
		w->progress = true;
	return 0;
}

int job_watch_begin(Ctl *ctl, JobWatch *w, sd_bus_error *error)
{
	int r = sd_bus_add_match(ctl->bus, &w->completed,
				 "type='signal',sender='" ZVIRT_BUS_NAME "',interface='" ZVIRT_JOB_IFACE
				 "',member='Completed',path_namespace='/org/zvirt1/job'",
				 on_completed, w);
	if (r >= 0)
		r = sd_bus_add_match(
			ctl->bus, &w->changed,
			"type='signal',sender='" ZVIRT_BUS_NAME
			"',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
			"path_namespace='/org/zvirt1/job',arg0='" ZVIRT_JOB_IFACE "'",
			on_changed, w);
	return r < 0 ? sd_bus_error_set_errnof(error, r, "Cannot watch the job: %m") : 0;
}

void job_watch_done(JobWatch *w)
{
	w->completed = sd_bus_slot_unref(w->completed);
	w->changed = sd_bus_slot_unref(w->changed);
	free(w->path);
	free(w->message);
	w->path = w->message = NULL;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	interrupted = 1;
}

#define BAR_WIDTH 40

/* On a terminal a bar redrawn in place, as virsh migrate --verbose's;
 * else a line per change of the percentage. */
static void show_progress(const JobInfo *j, const char *what, int *last)
{
	static const char full[BAR_WIDTH + 1] = "========================================";
	int percent = j->total ? (int)(j->processed * 100 / j->total) : 0;

	if (percent > 100)
		percent = 100;
	if (isatty(STDERR_FILENO)) {
		int filled = percent * BAR_WIDTH / 100;
		fprintf(stderr, "\r%s: [%-*.*s] %3d %%", what, BAR_WIDTH, filled, full, percent);
		fflush(stderr);
	} else if (percent != *last)
		fprintf(stderr, "%s: %d %%\n", what, percent);
	*last = percent;
}

/* SIGINT: on a terminal ask, else cancel at once. */
static void offer_cancel(Ctl *ctl, const char *path, const char *what)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	if (ctl->interactive) {
		_cleanup_free_ char *line = NULL;
		size_t size = 0;
		fprintf(stderr, "\nCancel the %s? [y/N] ", what);
		if (getline(&line, &size, stdin) < 0 || (line[0] != 'y' && line[0] != 'Y'))
			return;
	}
	if (call_simple(ctl, path, ZVIRT_JOB_IFACE, "Cancel", &error, NULL) < 0)
		(void)error_report(&error, -EIO);
}

int job_wait(Ctl *ctl, JobWatch *w, const char *path, const char *what, bool verbose)
{
	/* A person at a terminal sees the bar unasked; a pipe gets lines only
	 * with --verbose. */
	bool show = verbose || isatty(STDERR_FILENO);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	struct sigaction sa = {.sa_handler = on_sigint}, old;
	_cleanup_free_ char *final_state = NULL;
	int last = -1, r;

	free(w->path);
	if (!(w->path = strdup(path)))
		return error_report(NULL, -ENOMEM);
	/* No SA_RESTART: the wait below returns at Ctrl-C. */
	interrupted = 0;
	sigaction(SIGINT, &sa, &old);

	for (bool first = true;; first = false) {
		/* What arrived while the call was answered comes first. */
		while ((r = sd_bus_process(ctl->bus, NULL)) > 0)
			;
		if (r < 0)
			break;
		if (interrupted) {
			interrupted = 0;
			offer_cancel(ctl, path, what);
		}
		if (first || w->progress || w->ended) {
			_cleanup_(job_info_done) JobInfo j = {0};
			w->progress = false;
			sd_bus_error_free(&error);
			r = job_info_get(ctl, path, &j, &error);
			if (r < 0 && !w->ended)
				break;
			if (r >= 0 && show)
				show_progress(&j, what, &last);
			if (r >= 0 && strcmp(j.state, "running") != 0 && !final_state)
				final_state = strdup(j.state);
			/* A job that ended before we listened: its properties say how. */
			if (r >= 0 && strcmp(j.state, "running") != 0 && !w->ended) {
				w->ended = true;
				w->success = strcmp(j.state, "completed") == 0;
				free(w->message);
				w->message = strdup(j.error ? j.error : j.state);
			}
			r = 0;
		}
		if (w->ended)
			break;
		r = sd_bus_wait(ctl->bus, UINT64_MAX);
		if (r < 0 && r != -EINTR)
			break;
	}
	sigaction(SIGINT, &old, NULL);
	if (show && last >= 0 && isatty(STDERR_FILENO))
		fputc('\n', stderr);
	if (r < 0)
		return error_report(&error, r);
	if (!w->success) {
		sd_bus_error_free(&error);
		/* The job says why only in words: the API's Cancelled when it was,
		 * else the generic name. */
		sd_bus_error_setf(
			&error,
			final_state && strcmp(final_state, "cancelled") == 0 ? "org.zvirt1.Error.Cancelled"
									     : SD_BUS_ERROR_FAILED,
			"The %s failed: %s", what, w->message && *w->message ? w->message : "unknown error");
		return error_report(&error, -EIO);
	}
	return ZVIRTCTL_EXIT_OK;
}
