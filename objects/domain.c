/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Domain: one object per domain, below /org/zvirt1/domain. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/control.h"
#include "conf/domain-xml.h"
#include "errors.h"
#include "objects.h"
#include "options.h"
#include "polkit.h"
#include "util/cleanup.h"
#include "util/log.h"

const char *domain_object_path(const Domain *d, char buf[static DOMAIN_PATH_MAX])
{
	snprintf(buf, DOMAIN_PATH_MAX, ZVIRT_DOMAIN_PREFIX "/%s", d->uuid_hex);
	return buf;
}

int domain_object_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
		       sd_bus_error *error)
{
	Objects *o = userdata;
	const char *label = path + strlen(ZVIRT_DOMAIN_PREFIX);

	if (*label != '/' || strlen(label + 1) != 32)
		return 0;
	Domain *d = hashmap_get(o->registry->by_uuid, label + 1);
	if (!d)
		return 0;
	*found = d;
	return 1;
}

int domain_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error)
{
	Objects *o = userdata;
	size_t n = registry_count(o->registry), i = 0;
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;

	Domain *d;
	char buf[DOMAIN_PATH_MAX];
	for (size_t it = 0; registry_iterate(o->registry, &it, &d);) {
		v[i] = strdup(domain_object_path(d, buf));
		if (!v[i]) {
			strv_free(v);
			return -ENOMEM;
		}
		i++;
	}
	*nodes = v;
	return 1;
}

/* --- properties --------------------------------------------------------- */

#define DEF(d) domain_current_def(d)

static int prop_name(sd_bus *bus, const char *path, const char *iface, const char *prop,
		     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", domain_name(userdata));
}

static int prop_uuid(sd_bus *bus, const char *path, const char *iface, const char *prop,
		     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	return sd_bus_message_append(reply, "s", d->uuid);
}

static int prop_id(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
		   void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	return sd_bus_message_append(reply, "i", (int32_t)d->id);
}

static int prop_state(sd_bus *bus, const char *path, const char *iface, const char *prop,
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	return sd_bus_message_append(reply, "s", domain_state_to_string(d->state));
}

static int prop_state_reason(sd_bus *bus, const char *path, const char *iface, const char *prop,
			     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	return sd_bus_message_append(reply, "s", domain_reason_to_string(d->reason));
}

static int prop_state_sequence(sd_bus *bus, const char *path, const char *iface, const char *prop,
			       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	return sd_bus_message_append(reply, "t", d->sequence);
}

static int prop_persistent(sd_bus *bus, const char *path, const char *iface, const char *prop,
			   sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	return sd_bus_message_append(reply, "b", d->persistent);
}

static int prop_autostart(sd_bus *bus, const char *path, const char *iface, const char *prop,
			  sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	return sd_bus_message_append(reply, "b", d->autostart);
}

/* polkit with the details rules use to grant one user one domain. */
static int authorize(Domain *d, sd_bus_message *m, const char *action, bool no_user_interaction,
		     sd_bus_error *error)
{
	const char *details[] = {"domain_name", domain_name(d), "domain_uuid", d->uuid, NULL};
	return polkit_check(objects_of_domain(d), m, action, details, no_user_interaction, error);
}

/* Autostart is written through Properties.Set, which sd-bus answers as
 * soon as the setter returns: too early for an asynchronous polkit check.
 * So domain_autostart_gate(), a bus filter that sees the call first,
 * asks polkit and holds the message; once allowed it lets sd-bus dispatch
 * it again to this setter, which does the work. */
static int set_autostart(sd_bus *bus, const char *path, const char *iface, const char *prop,
			 sd_bus_message *value, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	int autostart;
	int r = sd_bus_message_read(value, "b", &autostart);
	if (r < 0)
		return r;

	ZvError err = ZV_ERROR_INIT;
	r = registry_set_autostart(d->registry, d, autostart, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return 1;
}

int domain_autostart_gate(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	const char *iface, *prop, *path = sd_bus_message_get_path(m);
	const size_t prefix_len = strlen(ZVIRT_DOMAIN_PREFIX "/");

	if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Set"))
		return 0;
	if (!path || strncmp(path, ZVIRT_DOMAIN_PREFIX "/", prefix_len) != 0 ||
	    sd_bus_message_read(m, "ss", &iface, &prop) < 0 || strcmp(iface, ZVIRT_DOMAIN_IFACE) != 0 ||
	    strcmp(prop, "Autostart") != 0) {
		(void)sd_bus_message_rewind(m, true);
		return 0;
	}
	/* An unknown object or a bad value: sd-bus's own errors say it best. */
	Domain *d = hashmap_get(o->registry->by_uuid, path + prefix_len);
	(void)sd_bus_message_rewind(m, true);
	if (!d)
		return 0;

	int r = authorize(d, m, "org.zvirt1.domain.define",
			  !sd_bus_message_get_allow_interactive_authorization(m), error);
	if (r == 0)
		return 1; /* held until polkit answers */
	if (r < 0) {
		(void)sd_bus_reply_method_error(m, error);
		return 1;
	}
	return 0; /* allowed: on to set_autostart() */
}

static int prop_false(sd_bus *bus, const char *path, const char *iface, const char *prop,
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	/* HasManagedSave: managed save does not exist yet, so never. */
	return sd_bus_message_append(reply, "b", 0);
}

static int prop_vcpus(sd_bus *bus, const char *path, const char *iface, const char *prop,
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "u", (uint32_t)DEF((Domain *)userdata)->vcpus_current);
}

static int prop_max_vcpus(sd_bus *bus, const char *path, const char *iface, const char *prop,
			  sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "u", (uint32_t)DEF((Domain *)userdata)->vcpus_max);
}

static int prop_memory(sd_bus *bus, const char *path, const char *iface, const char *prop,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "t", DEF((Domain *)userdata)->current_memory_kib * 1024);
}

static int prop_max_memory(sd_bus *bus, const char *path, const char *iface, const char *prop,
			   sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "t", DEF((Domain *)userdata)->memory_kib * 1024);
}

static int prop_cpu_shares(sd_bus *bus, const char *path, const char *iface, const char *prop,
			   sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "t", domain_def_cpu_shares(DEF((Domain *)userdata)));
}

static int prop_cpu_time(sd_bus *bus, const char *path, const char *iface, const char *prop,
			 sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "t", domain_cpu_time_ns(userdata));
}

static int prop_action(sd_bus *bus, const char *path, const char *iface, const char *prop,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const DomainDef *def = DEF((Domain *)userdata);
	LifecycleAction a = strcmp(prop, "OnPoweroff") == 0 ? def->on_poweroff
			    : strcmp(prop, "OnReboot") == 0 ? def->on_reboot
							    : def->on_crash;
	return sd_bus_message_append(reply, "s", lifecycle_action_to_string(a));
}

static int prop_machine(sd_bus *bus, const char *path, const char *iface, const char *prop,
			sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const DomainDef *def = DEF((Domain *)userdata);
	return sd_bus_message_append(reply, "s", def->os_machine ? def->os_machine : "");
}

static int prop_emulator(sd_bus *bus, const char *path, const char *iface, const char *prop,
			 sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const DomainDef *def = DEF((Domain *)userdata);
	return sd_bus_message_append(reply, "s", def->emulator ? def->emulator : "");
}

static int prop_qemu_pid(sd_bus *bus, const char *path, const char *iface, const char *prop,
			 sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "u", domain_qemu_pid(userdata));
}

static int prop_job(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	/* No jobs exist yet (managed save, dump and migration bring them). */
	return sd_bus_message_append(reply, "o", "/");
}

/* --- calls -------------------------------------------------------------- */

static void on_call_done(Domain *d, int r, const ZvError *err, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	if (r < 0)
		(void)bus_reply_zv_error(m, err, r);
	else
		(void)sd_bus_reply_method_return(m, NULL);
}

typedef int (*domain_call_fn)(Domain *d, void *args, domain_done_fn cb, void *userdata, ZvError *err);

/* The shape of every life cycle call: options, polkit, the backend call
 * whose completion answers the message. */
static int lifecycle_call(sd_bus_message *m, Domain *d, const OptionSpec *specs, domain_call_fn fn,
			  void *args, sd_bus_error *error)
{
	OptionsCommon common = {};
	int r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;

	r = authorize(d, m, "org.zvirt1.domain.lifecycle", common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	ZvError err = ZV_ERROR_INIT;
	sd_bus_message_ref(m);
	r = fn(d, args, on_call_done, m, &err);
	if (r < 0) {
		sd_bus_message_unref(m);
		return bus_error_from_zv(error, &err, r);
	}
	return 1;
}

typedef struct StartArgs {
	bool paused, force_boot;
} StartArgs;

static int call_start(Domain *d, void *args, domain_done_fn cb, void *userdata, ZvError *err)
{
	StartArgs *a = args;
	return domain_start(
		d, (a->paused ? DOMAIN_START_PAUSED : 0) | (a->force_boot ? DOMAIN_START_FORCE_BOOT : 0), cb,
		userdata, err);
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	StartArgs a = {};
	const OptionSpec specs[] = {{"paused", "b", &a.paused}, {"force-boot", "b", &a.force_boot}, {}};
	return lifecycle_call(m, userdata, specs, call_start, &a, error);
}

static int call_shutdown(Domain *d, void *args, domain_done_fn cb, void *userdata, ZvError *err)
{
	return domain_shutdown(d, *(uint64_t *)args, cb, userdata, err);
}

static int method_shutdown(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	uint64_t timeout_ms = 0;
	const OptionSpec specs[] = {{"timeout-ms", "t", &timeout_ms}, {}};
	return lifecycle_call(m, userdata, specs, call_shutdown, &timeout_ms, error);
}

static int call_reboot(Domain *d, void *args, domain_done_fn cb, void *userdata, ZvError *err)
{
	return domain_reboot(d, cb, userdata, err);
}

static int method_reboot(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return lifecycle_call(m, userdata, NULL, call_reboot, NULL, error);
}

static int call_reset(Domain *d, void *args, domain_done_fn cb, void *userdata, ZvError *err)
{
	return domain_reset(d, cb, userdata, err);
}

static int method_reset(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return lifecycle_call(m, userdata, NULL, call_reset, NULL, error);
}

static int call_destroy(Domain *d, void *args, domain_done_fn cb, void *userdata, ZvError *err)
{
	return domain_destroy(d, *(bool *)args, cb, userdata, err);
}

static int method_destroy(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	bool graceful = false;
	const OptionSpec specs[] = {{"graceful", "b", &graceful}, {}};
	return lifecycle_call(m, userdata, specs, call_destroy, &graceful, error);
}

static int call_suspend(Domain *d, void *args, domain_done_fn cb, void *userdata, ZvError *err)
{
	return domain_suspend(d, cb, userdata, err);
}

static int method_suspend(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return lifecycle_call(m, userdata, NULL, call_suspend, NULL, error);
}

static int call_resume(Domain *d, void *args, domain_done_fn cb, void *userdata, ZvError *err)
{
	return domain_resume(d, cb, userdata, err);
}

static int method_resume(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return lifecycle_call(m, userdata, NULL, call_resume, NULL, error);
}

static int method_undefine(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Domain *d = userdata;
	OptionsCommon common = {};
	bool managed_save = false, keep_running = false;
	const OptionSpec specs[] = {
		{"managed-save", "b", &managed_save}, {"keep-running", "b", &keep_running}, {}};

	int r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	r = authorize(d, m, "org.zvirt1.domain.define", common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	/* There are no managed-save images yet, so managed-save has nothing to delete. */
	ZvError err = ZV_ERROR_INIT;
	r = registry_undefine(d->registry, d, keep_running ? UNDEFINE_KEEP_RUNNING : 0, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, NULL);
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

	int r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	if (security_info) {
		r = authorize(d, m, "org.zvirt1.domain.dump", common.no_user_interaction, error);
		if (r <= 0)
			return r == 0 ? 1 : r;
	}

	/* The migratable form drops what only this host knows (id, pty paths). */
	bool live = !inactive && !migratable && d->live;
	_cleanup_free_ char *xml = domain_def_format(live ? d->live : d->def, live ? d->id : 0,
						     live ? 0 : DOMAIN_XML_FORMAT_INACTIVE);
	if (!xml)
		return -ENOMEM;
	return sd_bus_reply_method_return(m, "s", xml);
}

/* --- signals from the backend ------------------------------------------ */

void objects_domain_state_changed(Objects *o, Domain *d)
{
	char path[DOMAIN_PATH_MAX];
	const char *state = domain_state_to_string(d->state), *reason = domain_reason_to_string(d->reason);

	domain_object_path(d, path);
	(void)sd_bus_emit_properties_changed(o->bus, path, ZVIRT_DOMAIN_IFACE, "State", "StateReason",
					     "StateSequence", "Id", "QemuPid", NULL);
	(void)sd_bus_emit_signal(o->bus, path, ZVIRT_DOMAIN_IFACE, "StateChanged", "sst", state, reason,
				 d->sequence);
	(void)sd_bus_emit_signal(o->bus, ZVIRT_ROOT_PATH, ZVIRT_MANAGER_IFACE, "DomainStateChanged", "osst",
				 path, state, reason, d->sequence);
	objects_manager_counts_changed(o);
}

void objects_domain_definition_changed(Objects *o, Domain *d)
{
	char path[DOMAIN_PATH_MAX];
	(void)sd_bus_emit_properties_changed(o->bus, domain_object_path(d, path), ZVIRT_DOMAIN_IFACE, "Name",
					     "Persistent", "Autostart", "VCPUs", "MaxVCPUs", "Memory",
					     "MaxMemory", "CPUShares", "OnPoweroff", "OnReboot", "OnCrash",
					     "Machine", "Emulator", NULL);
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
	SD_BUS_PROPERTY("HasManagedSave", "b", prop_false, 0, CHANGE),
	SD_BUS_PROPERTY("VCPUs", "u", prop_vcpus, 0, CHANGE),
	SD_BUS_PROPERTY("MaxVCPUs", "u", prop_max_vcpus, 0, CHANGE),
	SD_BUS_PROPERTY("Memory", "t", prop_memory, 0, CHANGE),
	SD_BUS_PROPERTY("MaxMemory", "t", prop_max_memory, 0, CHANGE),
	SD_BUS_PROPERTY("CPUShares", "t", prop_cpu_shares, 0, CHANGE),
	/* A running counter: read it when needed, no signal per tick. */
	SD_BUS_PROPERTY("CPUTime", "t", prop_cpu_time, 0, 0),
	SD_BUS_PROPERTY("OnPoweroff", "s", prop_action, 0, CHANGE),
	SD_BUS_PROPERTY("OnReboot", "s", prop_action, 0, CHANGE),
	SD_BUS_PROPERTY("OnCrash", "s", prop_action, 0, CHANGE),
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
	SD_BUS_METHOD_WITH_ARGS("Undefine", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT, method_undefine,
				UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("s", xml),
				method_get_xml_desc, UNPRIV),

	SD_BUS_SIGNAL_WITH_ARGS("StateChanged", SD_BUS_ARGS("s", state, "s", reason, "t", sequence), 0),
	SD_BUS_SIGNAL_WITH_ARGS("Crashed", SD_BUS_ARGS("a{sv}", info), 0),
	SD_BUS_VTABLE_END,
};
