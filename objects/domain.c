/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Domain: one object per domain, below /org/zvirt1/domain. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/device-xml.h"
#include "conf/domain-xml.h"
#include "device-objects.h"
#include "driver/console.h"
#include "driver/modify-flags.h"
#include "driver/stats.h"
#include "errors.h"
#include "objects.h"
#include "options.h"
#include "polkit.h"
#include "util/cleanup.h"
#include "util/log.h"

const char *domain_object_path(const Domain *d, char buf[static DOMAIN_PATH_MAX])
{
	snprintf(buf, DOMAIN_PATH_MAX, ZVIRT_DOMAIN_PREFIX "/%s", domain_uuid_hex(d));
	return buf;
}

/* The Domain a path below ZVIRT_DOMAIN_PREFIX names, or NULL. */
static Domain *domain_from_path(Objects *o, const char *path)
{
	const char *label = path + strlen(ZVIRT_DOMAIN_PREFIX);

	if (strncmp(path, ZVIRT_DOMAIN_PREFIX, strlen(ZVIRT_DOMAIN_PREFIX)) != 0 || *label != '/' ||
	    strlen(label + 1) != 32)
		return NULL;
	return registry_find_by_uuid(o->registry, label + 1);
}

int domain_object_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
		       sd_bus_error *error)
{
	assert(path);
	assert(userdata);
	assert(found);

	Domain *d = domain_from_path(userdata, path);
	if (!d)
		return 0;
	*found = d;
	return 1;
}

int domain_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error)
{
	Objects *o = userdata;
	assert(o);
	assert(nodes);

	size_t n = registry_count(o->registry), i = 0;
	_cleanup_strv_free_ char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;

	Domain *d;
	char buf[DOMAIN_PATH_MAX];
	for (size_t it = 0; registry_iterate(o->registry, &it, &d);) {
		v[i] = strdup(domain_object_path(d, buf));
		if (!v[i])
			return -ENOMEM;
		i++;
	}
	*nodes = TAKE_PTR(v);
	return 1;
}

/* --- properties --------------------------------------------------------- */

/* A read-only property of one Domain: expr, converted to the C type that
 * sig needs, so that a wrong width can never reach the varargs. */
#define DOMAIN_GETTER(fn, sig, ctype, expr)                                               \
	static int fn(sd_bus *bus, const char *path, const char *iface, const char *prop, \
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)         \
	{                                                                                 \
		const Domain *d = userdata;                                               \
		assert(reply);                                                            \
		assert(d);                                                                \
		return sd_bus_message_append(reply, sig, (ctype)(expr));                  \
	}

#define DEF(d) domain_current_def(d)

DOMAIN_GETTER(prop_name, "s", const char *, domain_name(d))
DOMAIN_GETTER(prop_uuid, "s", const char *, domain_uuid(d))
DOMAIN_GETTER(prop_id, "i", int32_t, domain_get_id(d))
DOMAIN_GETTER(prop_state, "s", const char *, domain_state_to_string(domain_get_state(d)))
DOMAIN_GETTER(prop_state_reason, "s", const char *, domain_reason_to_string(domain_get_reason(d)))
DOMAIN_GETTER(prop_state_sequence, "t", uint64_t, domain_get_sequence(d))
DOMAIN_GETTER(prop_persistent, "b", int, domain_is_persistent(d))
DOMAIN_GETTER(prop_autostart, "b", int, domain_get_autostart(d))
DOMAIN_GETTER(prop_has_managed_save, "b", int, domain_has_managed_save(d))
DOMAIN_GETTER(prop_vcpus, "u", uint32_t, domain_def_current_vcpus(DEF(d)))
DOMAIN_GETTER(prop_max_vcpus, "u", uint32_t, DEF(d)->vcpus_max)
DOMAIN_GETTER(prop_memory, "t", uint64_t, domain_def_current_memory_kib(DEF(d)) * 1024)
DOMAIN_GETTER(prop_max_memory, "t", uint64_t, DEF(d)->memory_kib * 1024)
DOMAIN_GETTER(prop_cpu_shares, "t", uint64_t, domain_def_cpu_shares(DEF(d)))
DOMAIN_GETTER(prop_cpu_time, "t", uint64_t, domain_cpu_time_ns(d))
DOMAIN_GETTER(prop_on_poweroff, "s", const char *, lifecycle_action_to_string(DEF(d)->on_poweroff))
DOMAIN_GETTER(prop_on_reboot, "s", const char *, lifecycle_action_to_string(DEF(d)->on_reboot))
DOMAIN_GETTER(prop_on_crash, "s", const char *, lifecycle_action_to_string(DEF(d)->on_crash))
DOMAIN_GETTER(prop_machine, "s", const char *, DEF(d)->os_machine ?: "")
DOMAIN_GETTER(prop_emulator, "s", const char *, DEF(d)->emulator ?: "")
DOMAIN_GETTER(prop_qemu_pid, "u", uint32_t, domain_qemu_pid(d))
static int prop_job(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const Domain *d = userdata;
	char buf[JOB_PATH_MAX];
	assert(reply);
	assert(d);
	const Job *j = domain_get_job(d);
	return sd_bus_message_append(reply, "o", j ? job_object_path(j, buf) : "/");
}

/* polkit with the details rules use to grant one user one domain, and
 * some calls but not others: verb is the virsh-like name of the call
 * (docs/dbus-api.md, "Details passed to polkit"). */
int domain_authorize(Domain *d, sd_bus_message *m, const char *action, const char *verb, const char *device,
		     bool no_user_interaction, sd_bus_error *error)
{
	const char *details[] = {
		"verb", verb, "domain_name", domain_name(d), "domain_uuid", domain_uuid(d), NULL, NULL, NULL,
	};
	assert(verb);
	if (device) {
		details[6] = "device";
		details[7] = device;
	}
	return polkit_check(objects_of_domain(d), m, action, details, no_user_interaction, error);
}

static int authorize(Domain *d, sd_bus_message *m, const char *action, const char *verb,
		     bool no_user_interaction, sd_bus_error *error)
{
	return domain_authorize(d, m, action, verb, NULL, no_user_interaction, error);
}

/* Autostart is written through Properties.Set, which sd-bus answers as
 * soon as the setter returns: too early for an asynchronous polkit check
 * and for a durable write. So domain_autostart_gate(), a bus filter that
 * sees the call first, handles the whole call: it asks polkit (the
 * message comes back through the filter once polkit answered), then
 * queues the write and answers when the mark is durable. */
static int set_autostart(sd_bus *bus, const char *path, const char *iface, const char *prop,
			 sd_bus_message *value, void *userdata, sd_bus_error *error)
{
	/* Unreachable: the gate answers every Set of Autostart with a valid
	 * value; sd-bus refuses the others before calling a setter. */
	return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "Autostart is set through the polkit gate");
}

static void on_autostart_set(Registry *r, int result, const ZvError *err, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	bus_reply_result(m, result, err);
}

int domain_autostart_gate(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	const char *iface, *prop, *path = sd_bus_message_get_path(m);
	int autostart;
	assert(m);
	assert(o);

	if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Set"))
		return 0;
	if (!path || sd_bus_message_read(m, "ss", &iface, &prop) < 0 ||
	    strcmp(iface, ZVIRT_DOMAIN_IFACE) != 0 || strcmp(prop, "Autostart") != 0) {
		(void)sd_bus_message_rewind(m, true);
		return 0;
	}
	/* An unknown object or a bad value: sd-bus's own errors say it best. */
	Domain *d = domain_from_path(o, path);
	bool valid = d && sd_bus_message_read(m, "v", "b", &autostart) > 0;
	(void)sd_bus_message_rewind(m, true);
	if (!valid)
		return 0;

	int r = authorize(d, m, "org.zvirt1.domain.define", "autostart",
			  !sd_bus_message_get_allow_interactive_authorization(m), error);
	if (r == 0)
		return 1; /* held until polkit answers */
	if (r > 0) {
		ZvError err = ZV_ERROR_INIT;
		r = registry_set_autostart_async(domain_get_registry(d), d, autostart, on_autostart_set,
						 sd_bus_message_ref(m), &err);
		if (r >= 0)
			return 1;
		sd_bus_message_unref(m);
		r = bus_error_from_zv(error, &err, r);
	}
	/* Refused: sd-bus answers a filter's error itself (replying here
	 * too would send a second answer, which the bus rejects). */
	return r;
}

/* --- calls -------------------------------------------------------------- */

static void on_call_done(Domain *d, int r, const ZvError *err, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	bus_reply_result(m, r, err);
}

/* The first half of every life cycle call: its options, then polkit.
 * 1: go on; 0: polkit is asked, return 1 now (the message comes back);
 * < 0: refused. */
static int lifecycle_authorize(sd_bus_message *m, Domain *d, const char *verb, const OptionSpec *specs,
			       sd_bus_error *error)
{
	OptionsCommon common = {};
	int r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	return authorize(d, m, "org.zvirt1.domain.lifecycle", verb, common.no_user_interaction, error);
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	bool paused = false, force_boot = false;
	const OptionSpec specs[] = {{"paused", "b", &paused}, {"force-boot", "b", &force_boot}, {}};
	assert(m);
	assert(d);

	int r = lifecycle_authorize(m, d, "start", specs, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	DomainStartFlags flags =
		(paused ? DOMAIN_START_PAUSED : 0) | (force_boot ? DOMAIN_START_FORCE_BOOT : 0);
	ZvError err = ZV_ERROR_INIT;
	r = domain_start(d, flags, on_call_done, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

static int method_shutdown(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	uint64_t timeout_ms = 0;
	const OptionSpec specs[] = {{"timeout-ms", "t", &timeout_ms}, {}};
	assert(m);
	assert(d);

	int r = lifecycle_authorize(m, d, "shutdown", specs, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = domain_shutdown(d, timeout_ms, on_call_done, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

static int method_reboot(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	assert(m);
	assert(d);

	int r = lifecycle_authorize(m, d, "reboot", NULL, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = domain_reboot(d, on_call_done, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

static int method_reset(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	assert(m);
	assert(d);

	int r = lifecycle_authorize(m, d, "reset", NULL, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = domain_reset(d, on_call_done, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

static int method_destroy(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	bool graceful = false;
	const OptionSpec specs[] = {{"graceful", "b", &graceful}, {}};
	assert(m);
	assert(d);

	int r = lifecycle_authorize(m, d, "destroy", specs, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = domain_destroy(d, graceful, on_call_done, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

static int method_suspend(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	assert(m);
	assert(d);

	int r = lifecycle_authorize(m, d, "suspend", NULL, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = domain_suspend(d, on_call_done, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

static int method_resume(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	assert(m);
	assert(d);

	int r = lifecycle_authorize(m, d, "resume", NULL, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = domain_resume(d, on_call_done, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

static void on_undefined(Registry *r, int result, const ZvError *err, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	bus_reply_result(m, result, err);
}

static int method_managed_save(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	bool running = false, paused = false, bypass_cache = false;
	const OptionSpec specs[] = {{"running", "b", &running},
				    {"paused", "b", &paused},
				    {"bypass-cache", "b", &bypass_cache},
				    {}};
	assert(m);
	assert(d);

	int r = lifecycle_authorize(m, d, "managedsave", specs, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	Job *job = NULL;
	r = domain_managed_save(d,
				(running ? DOMAIN_SAVE_RUNNING : 0) | (paused ? DOMAIN_SAVE_PAUSED : 0) |
					(bypass_cache ? DOMAIN_SAVE_BYPASS_CACHE : 0),
				&job, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	/* The job may already be over (it failed at once): its object stays
	 * for a minute all the same, so the path is good. */
	char path[JOB_PATH_MAX];
	return sd_bus_reply_method_return(m, "o", job ? job_object_path(job, path) : "/");
}

static int method_core_dump(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	const char *path, *format = "elf";
	bool memory_only = true, live = false, crash = false, reset = false;
	bool has_memory_only = false;
	OptionsCommon common = {};
	const OptionSpec specs[] = {{"memory-only", "b", &memory_only, &has_memory_only},
				    {"live", "b", &live},
				    {"crash", "b", &crash},
				    {"reset", "b", &reset},
				    {"format", "s", &format},
				    {}};
	assert(m);
	assert(d);

	int r = sd_bus_message_read(m, "s", &path);
	if (r < 0)
		return r;
	r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	/* What QEMU can do for s390x: a dump of the memory, with the guest's
	 * CPUs stopped while it is written. */
	if (has_memory_only && !memory_only)
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "zvirtd writes memory dumps only (ELF or kdump, as crash reads them): "
				      "memory-only cannot be false");
	if (live)
		return bus_error_setf(
			error, ZV_ERROR_INVALID_ARGUMENT,
			"QEMU stops the guest while it dumps its memory: live is not possible");
	r = authorize(d, m, "org.zvirt1.domain.dump", "dump", common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	Job *job = NULL;
	r = domain_core_dump(d, path, (crash ? DOMAIN_DUMP_CRASH : 0) | (reset ? DOMAIN_DUMP_RESET : 0),
			     format, &job, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	char buf[JOB_PATH_MAX];
	return sd_bus_reply_method_return(m, "o", job ? job_object_path(job, buf) : "/");
}

static int method_managed_save_remove(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	assert(m);
	assert(d);

	int r = lifecycle_authorize(m, d, "managedsave-remove", NULL, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	ZvError err = ZV_ERROR_INIT;
	r = domain_managed_save_remove(d, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, NULL);
}

static int method_undefine(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	OptionsCommon common = {};
	bool managed_save = false, keep_running = false;
	const OptionSpec specs[] = {
		{"managed-save", "b", &managed_save}, {"keep-running", "b", &keep_running}, {}};
	assert(m);
	assert(d);

	int r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	r = authorize(d, m, "org.zvirt1.domain.define", "undefine", common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = registry_undefine_async(domain_get_registry(d), d,
				    (keep_running ? UNDEFINE_KEEP_RUNNING : 0) |
					    (managed_save ? UNDEFINE_MANAGED_SAVE : 0),
				    on_undefined, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

static int method_rename(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	OptionsCommon common = {};
	const char *new_name;
	assert(m);
	assert(d);

	int r = sd_bus_message_read(m, "s", &new_name);
	if (r < 0)
		return r;
	r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	r = authorize(d, m, "org.zvirt1.domain.define", "rename", common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = registry_rename_async(domain_get_registry(d), d, new_name, on_undefined, sd_bus_message_ref(m),
				  &err);
	return bus_call_begun(m, r, &err, error);
}

static int method_get_xml_desc(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	OptionsCommon common = {};
	bool inactive = false, migratable = false, security_info = false, update_cpu = false;
	const OptionSpec specs[] = {
		{"inactive", "b", &inactive},
		{"migratable", "b", &migratable},
		{"security-info", "b", &security_info},
		{"update-cpu", "b", &update_cpu},
		{},
	};
	assert(m);
	assert(d);

	int r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	if (security_info) {
		r = authorize(d, m, "org.zvirt1.domain.dump", "dumpxml", common.no_user_interaction, error);
		if (r <= 0)
			return r == 0 ? 1 : r;
	}

	/* migratable: what another host should run, i.e. what runs here,
	 * without what only this host knows (the run's id, pty paths, the
	 * daemon's aliases). update-cpu changes nothing: the subset has no
	 * <cpu> element, so there is no host-model to expand (docs/dbus-api.md). */
	const DomainDef *live = !inactive ? domain_get_live_def(d) : NULL;
	_cleanup_free_ char *xml = NULL;
	if (live && !migratable)
		xml = domain_def_format(live, domain_get_id(d), 0);
	else
		xml = domain_def_format(live ?: domain_get_def(d), 0, DOMAIN_XML_FORMAT_INACTIVE);
	if (!xml)
		return -ENOMEM;
	return sd_bus_reply_method_return(m, "s", xml);
}

static int append_stat(sd_bus_message *reply, const DomainStat *st)
{
	switch (st->type) {
	case DOMAIN_STAT_U64:
		return sd_bus_message_append(reply, "{sv}", st->key, "t", st->u64);
	case DOMAIN_STAT_U32:
		return sd_bus_message_append(reply, "{sv}", st->key, "u", st->u32);
	case DOMAIN_STAT_I32:
		return sd_bus_message_append(reply, "{sv}", st->key, "i", st->i32);
	case DOMAIN_STAT_BOOL:
		return sd_bus_message_append(reply, "{sv}", st->key, "b", (int)st->b);
	case DOMAIN_STAT_STRING:
		return sd_bus_message_append(reply, "{sv}", st->key, "s", st->s);
	}
	return -EINVAL;
}

void objects_reply_stats(sd_bus_message *m, int r, const ZvError *err, const DomainStats *stats)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

	if (r < 0) {
		(void)bus_reply_zv_error(m, err, r);
		return;
	}
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "{sv}");
	for (size_t i = 0; r >= 0 && i < stats->n; i++)
		r = append_stat(reply, &stats->v[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	if (r < 0)
		(void)bus_reply_zv_error(m, NULL, r);
}

static void on_stats(Domain *d, int r, const ZvError *err, const DomainStats *stats, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	objects_reply_stats(m, r, err, stats);
}

/* Reading: open to every caller, no polkit. */
static int method_get_stats(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	assert(m);
	assert(d);

	int r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;

	ZvError err = ZV_ERROR_INIT;
	r = domain_get_stats(d, on_stats, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

static int method_open_console(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	OptionsCommon common = {};
	bool force = false;
	const OptionSpec specs[] = {{"force", "b", &force}, {}};
	assert(m);
	assert(d);

	int r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	r = authorize(d, m, "org.zvirt1.domain.console", "console", common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	_cleanup_close_ int fd = -1;
	r = domain_open_console(d, force, &fd, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	/* sd-bus sends a duplicate; ours is closed on return. */
	return sd_bus_reply_method_return(m, "h", fd);
}

static int method_inject_nmi(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	OptionsCommon common = {};
	assert(m);
	assert(d);

	int r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	r = authorize(d, m, "org.zvirt1.domain.console", "inject-nmi", common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	r = domain_inject_nmi(d, on_call_done, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

/* --- devices ------------------------------------------------------------ */

static void on_device_done(Domain *d, int r, const ZvError *err, const DeviceDef *dev, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	if (r < 0) {
		(void)bus_reply_zv_error(m, err, r);
		return;
	}
	if (!sd_bus_message_is_method_call(m, ZVIRT_DOMAIN_IFACE, "AttachDevice")) {
		(void)sd_bus_reply_method_return(m, NULL);
		return;
	}
	_cleanup_free_ char *path = d ? device_object_path_of(d, dev) : NULL;
	if (path)
		(void)sd_bus_reply_method_return(m, "o", path);
	else
		(void)sd_bus_reply_method_errorf(m, "org.zvirt1.Error.HostError", "Out of memory");
}

typedef int (*device_call_fn)(Domain *d, DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			      void *userdata, ZvError *err);

/* AttachDevice, DetachDevice, UpdateDevice: (s xml, a{sv} options) with
 * virsh's live/config/current/persistent. The device document is read
 * first (polkit is told which device), on the loop: it is bounded by
 * DEVICE_XML_MAX_SIZE, small enough to parse in well under a
 * millisecond. */
static int device_call(sd_bus_message *m, Domain *d, const char *verb, const char *call, device_call_fn fn,
		       sd_bus_error *error)
{
	const char *xml;
	OptionsCommon common = {};
	ModifyOptions mo = {};
	bool force = false;
	bool update = fn == domain_update_device, attach = fn == domain_attach_device;
	OptionSpec specs[] = {{"live", "b", &mo.live},
			      {"config", "b", &mo.config},
			      {"current", "b", &mo.current},
			      {"persistent", "b", &mo.persistent},
			      /* update-device --force: a cdrom's tray even when locked */
			      {"force", "b", &force},
			      {}};
	if (!update)
		specs[4] = (OptionSpec){};
	ZvError err = ZV_ERROR_INIT;

	int r = sd_bus_message_read(m, "s", &xml);
	if (r < 0)
		return r;
	r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	_cleanup_(device_def_freep) DeviceDef *dev = NULL;
	/* What GetXMLDesc shows of a running domain names the device by the
	 * daemon's alias too: kept for matching a device to detach or
	 * update. A device to attach gets its alias from the daemon, as
	 * libvirt's attach drops any but a user's ua- one. */
	r = device_def_parse(xml, strlen(xml), attach ? 0 : DOMAIN_XML_PARSE_LIVE, &dev, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	char device[96];
	r = domain_authorize(d, m, "org.zvirt1.domain.modify", verb, device_polkit_name(dev, device),
			     common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	/* virsh update-device without a flag is --current, unlike
	 * attach-device and detach-device (live). */
	if (update && !mo.live && !mo.config && !mo.current && !mo.persistent)
		mo.current = true;
	DomainModifyFlags flags;
	r = device_modify_flags(&mo, d, call, &flags, error);
	if (r < 0)
		return r;
	if (force)
		flags |= DOMAIN_MODIFY_FORCE;
	r = fn(d, TAKE_PTR(dev), flags, on_device_done, sd_bus_message_ref(m), &err);
	return bus_call_begun(m, r, &err, error);
}

static int method_attach_device(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	assert(m);
	assert(userdata);
	return device_call(m, userdata, "attach-device", "AttachDevice", domain_attach_device, error);
}

static int method_detach_device(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	assert(m);
	assert(userdata);
	return device_call(m, userdata, "detach-device", "DetachDevice", domain_detach_device, error);
}

static int method_update_device(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	assert(m);
	assert(userdata);
	return device_call(m, userdata, "update-device", "UpdateDevice", domain_update_device, error);
}

/* --- signals from the backend ------------------------------------------ */

void objects_domain_state_changed(Objects *o, Domain *d)
{
	char path[DOMAIN_PATH_MAX];
	const char *state = domain_state_to_string(domain_get_state(d));
	const char *reason = domain_reason_to_string(domain_get_reason(d));
	uint64_t sequence = domain_get_sequence(d);

	domain_object_path(d, path);
	(void)sd_bus_emit_properties_changed(o->bus, path, ZVIRT_DOMAIN_IFACE, "State", "StateReason",
					     "StateSequence", "Id", "QemuPid", NULL);
	(void)sd_bus_emit_signal(o->bus, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "sst", state, reason,
				 sequence);
	(void)sd_bus_emit_signal(o->bus, ZVIRT_ROOT_PATH, ZVIRT_MANAGER_IFACE, "DomainStateChanged", "osst",
				 path, state, reason, sequence);
	objects_manager_counts_changed(o);
}

void objects_domain_definition_changed(Objects *o, Domain *d)
{
	char path[DOMAIN_PATH_MAX];
	(void)sd_bus_emit_properties_changed(o->bus, domain_object_path(d, path), ZVIRT_DOMAIN_IFACE, "Name",
					     "Persistent", "Autostart", "VCPUs", "MaxVCPUs", "Memory",
					     "MaxMemory", "CPUShares", "OnPoweroff", "OnReboot", "OnCrash",
					     "Machine", "Emulator", "HasManagedSave", "Job", NULL);
}

void objects_domain_crashed(Objects *o, Domain *d, const DomainCrashInfo *info)
{
	char path[DOMAIN_PATH_MAX];
	(void)sd_bus_emit_signal(o->bus, domain_object_path(d, path), ZVIRT_DOMAIN_IFACE, "Crashed", "a{sv}",
				 5, "reason", "s", info->reason, "core", "x", info->core, "psw-mask", "t",
				 info->psw_mask, "psw-addr", "t", info->psw_addr, "action", "s",
				 info->action);
}

/* --- vtable ------------------------------------------------------------- */

#define CHANGE SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define CONST  SD_BUS_VTABLE_PROPERTY_CONST
#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable domain_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Name", "s", prop_name, 0, CHANGE),
	SD_BUS_PROPERTY("UUID", "s", prop_uuid, 0, CONST),
	SD_BUS_PROPERTY("Id", "i", prop_id, 0, CHANGE),
	SD_BUS_PROPERTY("State", "s", prop_state, 0, CHANGE),
	SD_BUS_PROPERTY("StateReason", "s", prop_state_reason, 0, CHANGE),
	SD_BUS_PROPERTY("StateSequence", "t", prop_state_sequence, 0, CHANGE),
	SD_BUS_PROPERTY("Persistent", "b", prop_persistent, 0, CHANGE),
	SD_BUS_WRITABLE_PROPERTY("Autostart", "b", prop_autostart, set_autostart, 0, CHANGE | UNPRIV),
	SD_BUS_PROPERTY("HasManagedSave", "b", prop_has_managed_save, 0, CHANGE),
	SD_BUS_PROPERTY("VCPUs", "u", prop_vcpus, 0, CHANGE),
	SD_BUS_PROPERTY("MaxVCPUs", "u", prop_max_vcpus, 0, CHANGE),
	SD_BUS_PROPERTY("Memory", "t", prop_memory, 0, CHANGE),
	SD_BUS_PROPERTY("MaxMemory", "t", prop_max_memory, 0, CHANGE),
	SD_BUS_PROPERTY("CPUShares", "t", prop_cpu_shares, 0, CHANGE),
	/* A running counter: read it when needed, no signal per tick. */
	SD_BUS_PROPERTY("CPUTime", "t", prop_cpu_time, 0, 0),
	SD_BUS_PROPERTY("OnPoweroff", "s", prop_on_poweroff, 0, CHANGE),
	SD_BUS_PROPERTY("OnReboot", "s", prop_on_reboot, 0, CHANGE),
	SD_BUS_PROPERTY("OnCrash", "s", prop_on_crash, 0, CHANGE),
	SD_BUS_PROPERTY("Machine", "s", prop_machine, 0, CHANGE),
	SD_BUS_PROPERTY("Emulator", "s", prop_emulator, 0, CHANGE),
	SD_BUS_PROPERTY("QemuPid", "u", prop_qemu_pid, 0, CHANGE),
	SD_BUS_PROPERTY("Job", "o", prop_job, 0, CHANGE),

	SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_start,
				UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("Shutdown", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_shutdown,
				UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("Reboot", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_reboot,
				UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("Reset", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_reset,
				UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_destroy,
				UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("Suspend", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_suspend,
				UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("Resume", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_resume,
				UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("ManagedSave", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("o", job),
				method_managed_save, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("ManagedSaveRemove", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT,
				method_managed_save_remove, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("CoreDump", SD_BUS_ARGS("s", path, "a{sv}", options),
				SD_BUS_RESULT("o", job), method_core_dump, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("Undefine", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_undefine,
				UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("Rename", SD_BUS_ARGS("s", new_name, "a{sv}", options), SD_BUS_NO_RESULT,
				method_rename, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("s", xml),
				method_get_xml_desc, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("InjectNMI", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT,
				method_inject_nmi, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("AttachDevice", SD_BUS_ARGS("s", xml, "a{sv}", options),
				SD_BUS_RESULT("o", device), method_attach_device, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("DetachDevice", SD_BUS_ARGS("s", xml, "a{sv}", options), SD_BUS_NO_RESULT,
				method_detach_device, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("UpdateDevice", SD_BUS_ARGS("s", xml, "a{sv}", options), SD_BUS_NO_RESULT,
				method_update_device, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("OpenConsole", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("h", fd),
				method_open_console, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("GetStats", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("a{sv}", stats),
				method_get_stats, UNPRIV),

	SD_BUS_SIGNAL_WITH_ARGS("StateChanged", SD_BUS_ARGS("s", state, "s", reason, "t", sequence), 0),
	SD_BUS_SIGNAL_WITH_ARGS("Crashed", SD_BUS_ARGS("a{sv}", info), 0),
	SD_BUS_SIGNAL_WITH_ARGS("DeviceRemovalFailed", SD_BUS_ARGS("o", device, "s", message), 0),
	SD_BUS_VTABLE_END,
};
