/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Job: one object per job, /org/zvirt1/job/<n>, while it runs
 * and for a minute after it ended. */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "objects.h"
#include "options.h"
#include "polkit.h"
#include "util/cleanup.h"

const char *job_object_path(const Job *j, char buf[static JOB_PATH_MAX])
{
	snprintf(buf, JOB_PATH_MAX, ZVIRT_JOB_PREFIX "/%u", job_get_id(j));
	return buf;
}

static Job *job_from_path(Objects *o, const char *path)
{
	const char *label = path + strlen(ZVIRT_JOB_PREFIX);
	char *end;

	if (strncmp(path, ZVIRT_JOB_PREFIX, strlen(ZVIRT_JOB_PREFIX)) != 0 || *label != '/' ||
	    !(label[1] >= '1' && label[1] <= '9'))
		return NULL;
	errno = 0;
	unsigned long id = strtoul(label + 1, &end, 10);
	if (errno || *end || id > UINT32_MAX)
		return NULL;
	return registry_find_job(o->registry, (unsigned)id);
}

static int job_object_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
			   sd_bus_error *error)
{
	assert(path);
	assert(userdata);
	assert(found);
	Job *j = job_from_path(userdata, path);
	if (!j)
		return 0;
	*found = j;
	return 1;
}

static int job_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
			       sd_bus_error *error)
{
	Objects *o = userdata;
	assert(o);
	assert(nodes);

	size_t n = 0;
	Job *j;
	for (size_t i = 0; registry_iterate_jobs(o->registry, &i, &j);)
		n++;
	_cleanup_strv_free_ char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	char buf[JOB_PATH_MAX];
	n = 0;
	for (size_t i = 0; registry_iterate_jobs(o->registry, &i, &j);)
		if (!(v[n++] = strdup(job_object_path(j, buf))))
			return -ENOMEM;
	*nodes = TAKE_PTR(v);
	return 1;
}

/* --- properties --------------------------------------------------------- */

#define JOB_GETTER(fn, sig, ctype, expr)                                                  \
	static int fn(sd_bus *bus, const char *path, const char *iface, const char *prop, \
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)         \
	{                                                                                 \
		const Job *j = userdata;                                                  \
		assert(reply);                                                            \
		assert(j);                                                                \
		return sd_bus_message_append(reply, sig, (ctype)(expr));                  \
	}

JOB_GETTER(prop_type, "s", const char *, job_type_to_string(job_get_type(j)))
JOB_GETTER(prop_state, "s", const char *, job_state_to_string(job_get_state(j)))
JOB_GETTER(prop_phase, "s", const char *, job_get_phase(j))
JOB_GETTER(prop_started, "t", uint64_t, job_get_started_usec(j))
JOB_GETTER(prop_data_total, "t", uint64_t, job_get_progress(j)->total)
JOB_GETTER(prop_data_processed, "t", uint64_t, job_get_progress(j)->processed)
JOB_GETTER(prop_data_remaining, "t", uint64_t, job_get_progress(j)->remaining)
JOB_GETTER(prop_downtime, "t", uint64_t, job_get_progress(j)->expected_downtime_ms)
JOB_GETTER(prop_speed, "t", uint64_t, job_get_progress(j)->speed_mibps)
JOB_GETTER(prop_dirty_rate, "t", uint64_t, job_get_progress(j)->dirty_rate_mibps)
JOB_GETTER(prop_throttle, "u", uint32_t, job_get_progress(j)->throttle_percent)
JOB_GETTER(prop_error, "s", const char *, job_get_error(j))
JOB_GETTER(prop_disks_uri, "s", const char *, job_get_disks_uri(j))

static int prop_domain(sd_bus *bus, const char *path, const char *iface, const char *prop,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const Job *j = userdata;
	char buf[DOMAIN_PATH_MAX];
	assert(reply);
	assert(j);
	/* The domain's path is its UUID, so it stays right once it is gone. */
	snprintf(buf, sizeof(buf), ZVIRT_DOMAIN_PREFIX "/%s", job_get_domain_uuid_hex(j));
	return sd_bus_message_append(reply, "o", buf);
}

/* --- Cancel ------------------------------------------------------------- */

/* Cancelling is allowed to whoever may start the job. */
const char *job_polkit_action(JobType t)
{
	switch (t) {
	case JOB_DUMP:
		return "org.zvirt1.domain.dump";
	case JOB_MIGRATION_OUT:
	case JOB_MIGRATION_IN:
		return "org.zvirt1.domain.migrate";
	default:
		return "org.zvirt1.domain.lifecycle";
	}
}

static int method_cancel(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Job *j = userdata;
	OptionsCommon common = {};
	assert(m);
	assert(j);

	const OptionSpec specs[] = {{}};
	int r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	Domain *d = job_get_domain(j);
	if (!d)
		return bus_error_setf(error, ZV_ERROR_OPERATION_INVALID,
				      "Job %u has ended: its domain is gone", job_get_id(j));
	const char *details[] = {
		"verb", "domjobabort", "domain_name", domain_name(d), "domain_uuid", domain_uuid(d), NULL,
	};
	r = polkit_check(objects_of_domain(d), m, job_polkit_action(job_get_type(j)), details,
			 common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = job_cancel(j, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, NULL);
}

/* --- signals ------------------------------------------------------------ */

static void on_job_added(Job *j, void *userdata)
{
	Objects *o = userdata;
	char path[JOB_PATH_MAX];
	(void)sd_bus_emit_object_added(o->bus, job_object_path(j, path));
}

static void on_job_changed(Job *j, void *userdata)
{
	Objects *o = userdata;
	char path[JOB_PATH_MAX];
	(void)sd_bus_emit_properties_changed(o->bus, job_object_path(j, path), ZVIRT_JOB_IFACE, "State",
					     "Phase", "DataTotal", "DataProcessed", "DataRemaining",
					     "ExpectedDowntimeMs", "SpeedMiBps", "DirtyRateMiBps",
					     "ThrottlePercent", "Error", "DisksUri", NULL);
}

static void on_job_finished(Job *j, void *userdata)
{
	Objects *o = userdata;
	char path[JOB_PATH_MAX];
	(void)sd_bus_emit_signal(o->bus, job_object_path(j, path), ZVIRT_JOB_IFACE, "Completed", "bs",
				 job_get_state(j) == JOB_STATE_COMPLETED, job_get_error(j));
}

static void on_job_removed(Job *j, void *userdata)
{
	Objects *o = userdata;
	char path[JOB_PATH_MAX];
	(void)sd_bus_emit_object_removed(o->bus, job_object_path(j, path));
}

void objects_job_callbacks(RegistryCallbacks *cb)
{
	cb->job_added = on_job_added;
	cb->job_changed = on_job_changed;
	cb->job_finished = on_job_finished;
	cb->job_removed = on_job_removed;
}

/* --- vtable ------------------------------------------------------------- */

#define CHANGE SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define CONST  SD_BUS_VTABLE_PROPERTY_CONST
#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable job_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Type", "s", prop_type, 0, CONST),
	SD_BUS_PROPERTY("Domain", "o", prop_domain, 0, CONST),
	SD_BUS_PROPERTY("State", "s", prop_state, 0, CHANGE),
	SD_BUS_PROPERTY("Phase", "s", prop_phase, 0, CHANGE),
	SD_BUS_PROPERTY("Started", "t", prop_started, 0, CONST),
	SD_BUS_PROPERTY("DataTotal", "t", prop_data_total, 0, CHANGE),
	SD_BUS_PROPERTY("DataProcessed", "t", prop_data_processed, 0, CHANGE),
	SD_BUS_PROPERTY("DataRemaining", "t", prop_data_remaining, 0, CHANGE),
	SD_BUS_PROPERTY("ExpectedDowntimeMs", "t", prop_downtime, 0, CHANGE),
	SD_BUS_PROPERTY("SpeedMiBps", "t", prop_speed, 0, CHANGE),
	SD_BUS_PROPERTY("DirtyRateMiBps", "t", prop_dirty_rate, 0, CHANGE),
	SD_BUS_PROPERTY("ThrottlePercent", "u", prop_throttle, 0, CHANGE),
	SD_BUS_PROPERTY("Error", "s", prop_error, 0, CHANGE),
	SD_BUS_PROPERTY("DisksUri", "s", prop_disks_uri, 0, CHANGE),
	SD_BUS_METHOD_WITH_ARGS("Cancel", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_cancel,
				UNPRIV),
	SD_BUS_SIGNAL_WITH_ARGS("Completed", SD_BUS_ARGS("b", success, "s", error), 0),
	SD_BUS_VTABLE_END,
};

int objects_add_job_objects(Objects *o, sd_bus_slot **ret_vtable, sd_bus_slot **ret_enumerator)
{
	int r = sd_bus_add_fallback_vtable(o->bus, ret_vtable, ZVIRT_JOB_PREFIX, ZVIRT_JOB_IFACE, job_vtable,
					   job_object_find, o);
	if (r < 0)
		return r;
	return sd_bus_add_node_enumerator(o->bus, ret_enumerator, ZVIRT_JOB_PREFIX, job_node_enumerator, o);
}
