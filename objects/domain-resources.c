/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Domain, the calls on what a domain gets of the host: vCPUs
 * (SetVcpus, GetVcpuCount), CPU weight (Set/GetSchedulerParameters) and
 * I/O threads (AddIOThread, DeleteIOThread, GetIOThreads). A vtable of
 * its own on the same interface as domain.c's. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/resources.h"
#include "errors.h"
#include "objects.h"
#include "options.h"
#include "polkit.h"
#include "util/cleanup.h"
#include "util/utf8.h"

#define MODIFY_ACTION "org.zvirt1.domain.modify"

static int authorize_modify(Domain *d, sd_bus_message *m, const char *verb, bool no_user_interaction,
			    sd_bus_error *error)
{
	const char *details[] = {
		"verb", verb, "domain_name", domain_name(d), "domain_uuid", domain_uuid(d), NULL,
	};
	return polkit_check(objects_of_domain(d), m, MODIFY_ACTION, details, no_user_interaction, error);
}

/* live, config, current, and what else the method takes (extra ends
 * with {}), into o. */
static int read_affect_options(sd_bus_message *m, ModifyOptions *o, const OptionSpec *extra,
			       OptionsCommon *common, sd_bus_error *error)
{
	OptionSpec specs[8] = {
		{"live", "b", &o->live},
		{"config", "b", &o->config},
		{"current", "b", &o->current},
	};
	size_t n = 3;
	for (const OptionSpec *s = extra; s && s->key && n < ELEMENTSOF(specs) - 1; s++)
		specs[n++] = *s;
	return bus_read_options(m, specs, common, error);
}

/* The answer of a setter: 1 when it was done at once, 0 when cb answers. */
static int setter_begun(sd_bus_message *m, int r, const ZvError *err, sd_bus_error *error)
{
	if (r < 0) {
		sd_bus_message_unref(m);
		return bus_error_from_zv(error, err, r);
	}
	if (r > 0) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *held = m;
		return sd_bus_reply_method_return(held, NULL);
	}
	return 1;
}

static void on_set_done(Registry *r, int result, const ZvError *err, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	bus_reply_result(m, result, err);
}

/* --- vCPUs --------------------------------------------------------------- */

static int method_set_vcpus(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	ModifyOptions o = {};
	OptionsCommon common = {};
	bool maximum = false;
	uint32_t count;
	assert(m);
	assert(d);

	int r = sd_bus_message_read(m, "u", &count);
	if (r < 0)
		return r;
	r = read_affect_options(m, &o, (const OptionSpec[]){{"maximum", "b", &maximum}, {}}, &common, error);
	if (r < 0)
		return r;
	r = authorize_modify(d, m, "setvcpus", common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = domain_set_vcpus(d, count, &o, maximum, on_set_done, sd_bus_message_ref(m), &err);
	return setter_begun(m, r, &err, error);
}

/* Reading: open to every caller. */
static int method_get_vcpu_count(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	ModifyOptions o = {};
	bool maximum = false;
	unsigned count;
	assert(m);
	assert(d);

	int r = read_affect_options(m, &o, (const OptionSpec[]){{"maximum", "b", &maximum}, {}}, NULL,
				    error);
	if (r < 0)
		return r;
	ZvError err = ZV_ERROR_INIT;
	r = domain_get_vcpu_count(d, &o, maximum, &count, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, "u", (uint32_t)count);
}

/* --- CPU weight ---------------------------------------------------------- */

#define PARAM_QUOTE_MAX 64

/* params a{sv}: cpu_shares (t), the one parameter virsh schedinfo sets
 * on KVM for IBM Z; anything else is refused, never ignored. */
static int read_sched_params(sd_bus_message *m, uint64_t *shares, bool *has_shares, sd_bus_error *error)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key, *contents;
		char quoted[UTF8_SHORTEN_SIZE(PARAM_QUOTE_MAX)];
		r = sd_bus_message_read_basic(m, 's', &key);
		if (r < 0)
			return r;
		if (strcmp(key, "cpu_shares") != 0)
			return bus_error_setf(
				error, ZV_ERROR_INVALID_ARGUMENT,
				"Unknown scheduler parameter '%s'; SetSchedulerParameters takes: "
				"cpu_shares",
				utf8_shorten(key, PARAM_QUOTE_MAX, quoted));
		r = sd_bus_message_peek_type(m, NULL, &contents);
		if (r < 0)
			return r;
		if (strcmp(contents, "t") != 0)
			return bus_error_setf(
				error, ZV_ERROR_INVALID_ARGUMENT,
				"Scheduler parameter 'cpu_shares' must have type 't', not '%s'", contents);
		r = sd_bus_message_read(m, "v", "t", shares);
		if (r < 0)
			return r;
		*has_shares = true;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int method_set_scheduler_parameters(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	ModifyOptions o = {};
	OptionsCommon common = {};
	uint64_t shares = 0;
	bool has_shares = false;
	assert(m);
	assert(d);

	int r = read_sched_params(m, &shares, &has_shares, error);
	if (r < 0)
		return r;
	r = read_affect_options(m, &o, NULL, &common, error);
	if (r < 0)
		return r;
	r = authorize_modify(d, m, "schedinfo", common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	/* virsh schedinfo without a parameter only shows them. */
	if (!has_shares)
		return sd_bus_reply_method_return(m, NULL);

	ZvError err = ZV_ERROR_INIT;
	r = domain_set_cpu_shares(d, shares, &o, on_set_done, sd_bus_message_ref(m), &err);
	return setter_begun(m, r, &err, error);
}

static int method_get_scheduler_parameters(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	ModifyOptions o = {};
	uint64_t shares;
	assert(m);
	assert(d);

	int r = read_affect_options(m, &o, NULL, NULL, error);
	if (r < 0)
		return r;
	ZvError err = ZV_ERROR_INIT;
	r = domain_get_cpu_shares(d, &o, &shares, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, "a{sv}", 1, "cpu_shares", "t", shares);
}

/* --- I/O threads --------------------------------------------------------- */

static int iothread_change(sd_bus_message *m, Domain *d, bool add, sd_bus_error *error)
{
	ModifyOptions o = {};
	OptionsCommon common = {};
	uint32_t id;

	int r = sd_bus_message_read(m, "u", &id);
	if (r < 0)
		return r;
	r = read_affect_options(m, &o, NULL, &common, error);
	if (r < 0)
		return r;
	r = authorize_modify(d, m, add ? "iothreadadd" : "iothreaddel", common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = add ? domain_add_iothread(d, id, &o, on_set_done, sd_bus_message_ref(m), &err)
		: domain_del_iothread(d, id, &o, on_set_done, sd_bus_message_ref(m), &err);
	return setter_begun(m, r, &err, error);
}

static int method_add_iothread(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	assert(m);
	assert(userdata);
	return iothread_change(m, userdata, true, error);
}

static int method_delete_iothread(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	assert(m);
	assert(userdata);
	return iothread_change(m, userdata, false, error);
}

static void on_iothreads(int r, const ZvError *err, const DomainIOThreadInfo *threads, size_t n,
			 void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

	if (r < 0) {
		(void)bus_reply_zv_error(m, err, r);
		return;
	}
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(uas)");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = sd_bus_message_open_container(reply, 'r', "uas");
		if (r >= 0)
			r = sd_bus_message_append(reply, "u", (uint32_t)threads[i].id);
		if (r >= 0)
			r = sd_bus_message_append_strv(reply, threads[i].cpus);
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	if (r < 0)
		(void)bus_reply_zv_error(m, NULL, r);
}

static int method_get_iothreads(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	ModifyOptions o = {};
	assert(m);
	assert(d);

	int r = read_affect_options(m, &o, NULL, NULL, error);
	if (r < 0)
		return r;
	ZvError err = ZV_ERROR_INIT;
	r = domain_get_iothreads(d, &o, on_iothreads, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

/* --- vtable -------------------------------------------------------------- */

/* setmem / setmaxmem: bytes, virsh's options (none: live). */
static int method_set_memory(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	ModifyOptions o = {};
	OptionsCommon common = {};
	bool maximum = false;
	uint64_t bytes;
	assert(m);
	assert(d);

	int r = sd_bus_message_read(m, "t", &bytes);
	if (r < 0)
		return r;
	r = read_affect_options(m, &o, (const OptionSpec[]){{"maximum", "b", &maximum}, {}}, &common, error);
	if (r < 0)
		return r;
	r = authorize_modify(d, m, maximum ? "setmaxmem" : "setmem", common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = domain_set_memory(d, bytes, &o, maximum, on_set_done, sd_bus_message_ref(m), &err);
	return setter_begun(m, r, &err, error);
}

#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable domain_resources_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("SetVcpus", SD_BUS_ARGS("u", count, "a{sv}", options), SD_BUS_NO_RESULT,
				method_set_vcpus, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("GetVcpuCount", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("u", count),
				method_get_vcpu_count, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("SetSchedulerParameters", SD_BUS_ARGS("a{sv}", params, "a{sv}", options),
				SD_BUS_NO_RESULT, method_set_scheduler_parameters, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("GetSchedulerParameters", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("a{sv}", params), method_get_scheduler_parameters, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("AddIOThread", SD_BUS_ARGS("u", id, "a{sv}", options), SD_BUS_NO_RESULT,
				method_add_iothread, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("DeleteIOThread", SD_BUS_ARGS("u", id, "a{sv}", options), SD_BUS_NO_RESULT,
				method_delete_iothread, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("GetIOThreads", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("a(uas)", threads), method_get_iothreads, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("SetMemory", SD_BUS_ARGS("t", bytes, "a{sv}", options), SD_BUS_NO_RESULT,
				method_set_memory, UNPRIV),
	SD_BUS_VTABLE_END,
};
