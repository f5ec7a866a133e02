/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Manager at /org/zvirt1, and the wiring of every object. */

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "driver/accelerator.h"
#include "conf/device-xml.h"
#include "conf/domain-xml.h"
#include "device-objects.h"
#include "errors.h"
#include "host.h"
#include "objects.h"
#include "options.h"
#include "parsed-call.h"
#include "polkit.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/utf8.h"

#include "zvirtd-config.h"

/* How much of a caller's string an error message quotes. */
#define QUOTE_MAX      64
#define NAME_QUOTE_MAX 256

/* --- properties --------------------------------------------------------- */

static uint64_t host_memory(void)
{
	struct sysinfo si;
	if (sysinfo(&si) < 0)
		return 0;
	return (uint64_t)si.totalram * si.mem_unit;
}

static uint32_t host_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return (uint32_t)(n > 0 ? n : 1);
}

/* A read-only property of the Manager: expr, converted to the C type that
 * sig needs, so that a wrong width can never reach the varargs. */
#define MANAGER_GETTER(fn, sig, ctype, expr)                                              \
	static int fn(sd_bus *bus, const char *path, const char *iface, const char *prop, \
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)         \
	{                                                                                 \
		const Objects *o = userdata;                                              \
		assert(reply);                                                            \
		assert(o);                                                                \
		return sd_bus_message_append(reply, sig, (ctype)(expr));                  \
	}

MANAGER_GETTER(prop_version, "s", const char *, PACKAGE_VERSION)
/* Where KVM domains cannot run, emulated (type='qemu') ones still can. */
MANAGER_GETTER(prop_accelerator, "s", const char *, host_kvm_domain_accelerator(o->settings) ?: "tcg")
MANAGER_GETTER(prop_host_cpus, "u", uint32_t, host_cpus())
MANAGER_GETTER(prop_host_memory, "t", uint64_t, host_memory())
MANAGER_GETTER(prop_reserved_memory, "t", uint64_t, o->settings->reserved_host_memory)
MANAGER_GETTER(prop_domain_count, "u", uint32_t, registry_count(o->registry))
MANAGER_GETTER(prop_active_count, "u", uint32_t, registry_count_active(o->registry))

static int prop_hostname(sd_bus *bus, const char *path, const char *iface, const char *prop,
			 sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	char name[256] = "";
	assert(reply);
	(void)gethostname(name, sizeof(name) - 1);
	return sd_bus_message_append(reply, "s", name);
}

void objects_manager_counts_changed(Objects *o)
{
	size_t count = registry_count(o->registry);
	size_t active = registry_count_active(o->registry);

	if (count == o->announced_count && active == o->announced_active)
		return;
	o->announced_count = count;
	o->announced_active = active;
	(void)sd_bus_emit_properties_changed(o->bus, ZVIRT_ROOT_PATH, ZVIRT_MANAGER_IFACE, "DomainCount",
					     "ActiveDomainCount", NULL);
}

/* --- methods ------------------------------------------------------------ */

static int reply_domain_path(sd_bus_message *m, Domain *d)
{
	char path[DOMAIN_PATH_MAX];
	return sd_bus_reply_method_return(m, "o", domain_object_path(d, path));
}

static void on_defined(Registry *r, int result, Domain *d, const ZvError *err, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	if (result < 0)
		(void)bus_reply_zv_error(m, err, result);
	else
		(void)reply_domain_path(m, d);
}

static void on_validated(Registry *r, int result, char *const *warnings, const ZvError *err, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	if (result < 0) {
		(void)bus_reply_zv_error(m, err, result);
		return;
	}
	int k = sd_bus_message_new_method_return(m, &reply);
	if (k >= 0)
		k = sd_bus_message_append_strv(reply, (char **)warnings);
	if (k >= 0)
		(void)sd_bus_send(NULL, reply, NULL);
	else
		(void)sd_bus_reply_method_errno(m, k, NULL);
}

static int method_define_xml(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	const char *xml;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "s", &xml);
	if (r < 0)
		return r;
	r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	/* No domain details: the XML is read only once the caller may define. */
	static const char *const details[] = {"verb", "define", NULL};
	r = polkit_check(o, m, "org.zvirt1.domain.define", details, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	/* The document is parsed off the loop; m (and xml in it) is kept
	 * until on_defined answers. */
	r = registry_define_async(o->registry, xml, strlen(xml), on_defined, sd_bus_message_ref(m));
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	return 1;
}

static int method_validate_xml(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	const char *xml;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "s", &xml);
	if (r < 0)
		return r;
	r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;

	r = registry_validate_async(o->registry, xml, strlen(xml), on_validated, sd_bus_message_ref(m));
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	return 1;
}

static void on_native(Registry *r, int result, const char *native, const ZvError *err, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
	if (result < 0)
		(void)bus_reply_zv_error(m, err, result);
	else
		(void)sd_bus_reply_method_return(m, "s", native);
}

/* virsh domxml-to-native: reading only, like ValidateXML (no polkit). */
static int method_domain_xml_to_native(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	const char *format, *xml;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "ss", &format, &xml);
	if (r < 0)
		return r;
	r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;
	if (strcmp(format, "qemu-argv") != 0) {
		char quoted[UTF8_SHORTEN_SIZE(QUOTE_MAX)];
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "Unknown native format '%s'; the one zvirtd knows is 'qemu-argv'",
				      utf8_shorten(format, QUOTE_MAX, quoted));
	}

	r = registry_xml_to_native_async(o->registry, xml, strlen(xml), on_native, sd_bus_message_ref(m));
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	return 1;
}

/* CreateXML: parsed first (off the loop, as ValidateXML, which anyone may
 * call), so that polkit rules see the domain's name and UUID. */
typedef struct CreateOptions {
	bool paused;
} CreateOptions;

static void create_start(Objects *o, sd_bus_message *m, RegistryCreate *c, void *opts)
{
	const CreateOptions *co = opts;
	(void)registry_create_start(c, co->paused ? DOMAIN_START_PAUSED : 0, on_defined,
				    sd_bus_message_ref(m));
}

static const ParsedCallOps create_ops = {
	.action = "org.zvirt1.domain.lifecycle",
	.verb = "create",
	.start = create_start,
};

static int method_create_xml(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	CreateOptions co = {};
	const OptionSpec specs[] = {{"paused", "b", &co.paused}, {}};
	const char *xml;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "s", &xml);
	if (r < 0)
		return r;
	r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	return parsed_call_dispatch(o, m, xml, &create_ops, &co, sizeof(co), common.no_user_interaction,
				    error);
}

typedef struct ListFilter {
	bool active, inactive, persistent, transient, autostart, managed_save;
	bool has_active, has_inactive, has_persistent, has_transient, has_autostart, has_managed_save;
	const char *state;
} ListFilter;

/* A filter key that is present keeps the domains whose property has the
 * given value (active=false keeps the inactive ones). */
static bool filter_matches(const ListFilter *f, const Domain *d)
{
	bool active = domain_state_is_active(domain_get_state(d));
	if (f->has_active && active != f->active)
		return false;
	if (f->has_inactive && active == f->inactive)
		return false;
	if (f->has_persistent && domain_is_persistent(d) != f->persistent)
		return false;
	if (f->has_transient && domain_is_persistent(d) == f->transient)
		return false;
	if (f->has_autostart && domain_get_autostart(d) != f->autostart)
		return false;
	if (f->has_managed_save && domain_has_managed_save(d) != f->managed_save)
		return false;
	if (f->state && strcmp(domain_state_to_string(domain_get_state(d)), f->state) != 0)
		return false;
	return true;
}

static int read_list_filter(sd_bus_message *m, ListFilter *f, sd_bus_error *error)
{
	const OptionSpec specs[] = {
		{"active", "b", &f->active, &f->has_active},
		{"inactive", "b", &f->inactive, &f->has_inactive},
		{"persistent", "b", &f->persistent, &f->has_persistent},
		{"transient", "b", &f->transient, &f->has_transient},
		{"autostart", "b", &f->autostart, &f->has_autostart},
		{"managed-save", "b", &f->managed_save, &f->has_managed_save},
		{"state", "s", &f->state},
		{},
	};
	int r = bus_read_options(m, specs, NULL, error);
	if (r < 0)
		return r;
	if (f->state && domain_state_from_string(f->state) < 0) {
		char quoted[UTF8_SHORTEN_SIZE(QUOTE_MAX)];
		return bus_error_setf(
			error, ZV_ERROR_INVALID_ARGUMENT,
			"Unknown state '%s'; states are shut-off, running, paused, crashed, in-shutdown",
			utf8_shorten(f->state, QUOTE_MAX, quoted));
	}
	return 0;
}

static int method_list_domains(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	ListFilter f = {};
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	assert(m);
	assert(o);

	int r = read_list_filter(m, &f, error);
	if (r < 0)
		return r;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "o");
	if (r < 0)
		return r;

	Domain *d;
	char path[DOMAIN_PATH_MAX];
	for (size_t i = 0; registry_iterate(o->registry, &i, &d);) {
		if (!filter_matches(&f, d))
			continue;
		r = sd_bus_message_append_basic(reply, 'o', domain_object_path(d, path));
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_lookup_by_name(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	const char *name;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "s", &name);
	if (r < 0)
		return r;
	r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;
	Domain *d = registry_find_by_name(o->registry, name);
	if (!d) {
		char quoted[UTF8_SHORTEN_SIZE(NAME_QUOTE_MAX)];
		return bus_error_setf(error, ZV_ERROR_NO_SUCH_DOMAIN, "No domain is named '%s'",
				      utf8_shorten(name, NAME_QUOTE_MAX, quoted));
	}
	return reply_domain_path(m, d);
}

static int method_lookup_by_uuid(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	const char *uuid;
	sd_id128_t id;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "s", &uuid);
	if (r < 0)
		return r;
	r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;
	if (sd_id128_from_string(uuid, &id) < 0) {
		char quoted[UTF8_SHORTEN_SIZE(QUOTE_MAX)];
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "'%s' is not a UUID (32 hex digits, with or without dashes)",
				      utf8_shorten(uuid, QUOTE_MAX, quoted));
	}
	Domain *d = registry_find_by_uuid(o->registry, uuid);
	if (!d)
		/* sd_id128_from_string() took it: hex digits and dashes only. */
		return bus_error_setf(error, ZV_ERROR_NO_SUCH_DOMAIN, "No domain has UUID %s", uuid);
	return reply_domain_path(m, d);
}

/* Appends printf-formatted text to a growing buffer. */
static int buf_printf(char **buf, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int buf_printf(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *piece = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&piece, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	char *b = realloc(*buf, *len + (size_t)n + 1);
	if (!b)
		return -ENOMEM;
	memcpy(b + *len, piece, (size_t)n + 1);
	*buf = b;
	*len += (size_t)n;
	return 0;
}

static int method_get_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	const QemuCaps *caps = registry_get_caps(o->registry);
	struct utsname u;
	_cleanup_free_ char *xml = NULL;
	size_t len = 0;
	sd_id128_t machine;
	char uuid[SD_ID128_UUID_STRING_MAX] = "";
	assert(m);
	assert(o);

	int r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;
	if (uname(&u) < 0)
		return -errno;
	if (sd_id128_get_machine(&machine) >= 0)
		sd_id128_to_uuid_string(machine, uuid);

	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bool kvm = host_has_s390x_kvm();
	r = buf_printf(&xml, &len,
		       "<capabilities>\n"
		       "  <host>\n"
		       "    <uuid>%s</uuid>\n"
		       "    <cpu>\n"
		       "      <arch>%s</arch>\n"
		       "    </cpu>\n"
		       "    <topology cpus='%ld'/>\n"
		       "    <memory unit='KiB'>%" PRIu64 "</memory>\n"
		       "  </host>\n"
		       "  <guest>\n"
		       "    <os_type>hvm</os_type>\n"
		       "    <arch name='s390x'>\n"
		       "      <wordsize>64</wordsize>\n"
		       "      <emulator>%s</emulator>\n",
		       uuid, u.machine, cpus > 0 ? cpus : 1, host_memory() / 1024, o->settings->emulator);

	/* Until the emulator was asked (a moment after start), the alias. */
	for (size_t i = 0; r >= 0 && caps && i < caps->n_machines; i++) {
		const QemuMachine *mt = &caps->machines[i];
		if (strcmp(mt->name, "none") == 0)
			continue;
		if (mt->alias_of)
			r = buf_printf(&xml, &len, "      <machine canonical='%s'>%s</machine>\n",
				       mt->alias_of, mt->name);
		else
			r = buf_printf(&xml, &len, "      <machine>%s</machine>\n", mt->name);
	}
	if (r >= 0 && !caps)
		r = buf_printf(&xml, &len, "      <machine>s390-ccw-virtio</machine>\n");
	if (r >= 0)
		r = buf_printf(&xml, &len, "      <domain type='qemu'/>\n%s",
			       kvm || o->settings->accelerator == ACCELERATOR_TCG
				       ? "      <domain type='kvm'/>\n"
				       : "");
	if (r >= 0 && caps && caps->cpu_models) {
		r = buf_printf(&xml, &len, "      <cpu_models>\n");
		for (char **c = caps->cpu_models; r >= 0 && *c; c++)
			r = buf_printf(&xml, &len, "        <model>%s</model>\n", *c);
		if (r >= 0)
			r = buf_printf(&xml, &len, "      </cpu_models>\n");
	}
	if (r >= 0)
		r = buf_printf(&xml, &len,
			       "    </arch>\n"
			       "    <features>\n"
			       "      <accelerator name='%s'/>\n"
			       "    </features>\n"
			       "  </guest>\n"
			       "</capabilities>\n",
			       host_kvm_domain_accelerator(o->settings) ?: "tcg");
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(m, "s", xml);
}

static int method_reload_config(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	assert(m);
	assert(o);

	int r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	static const char *const details[] = {"verb", "reload-config", NULL};
	r = polkit_check(o, m, "org.zvirt1.daemon.manage", details, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	if (!o->reload)
		return bus_error_setf(error, ZV_ERROR_OPERATION_INVALID,
				      "This daemon has no configuration file to reload");

	_cleanup_free_ char *msg = NULL;
	r = o->reload(o->reload_userdata, &msg);
	if (r < 0)
		/* msg quotes the file, which may well be Latin-1. */
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "The configuration was not reloaded: %s",
				      msg ? utf8_sanitize(msg) : strerror(-r));
	return sd_bus_reply_method_return(m, NULL);
}

#define CHANGE SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define CONST  SD_BUS_VTABLE_PROPERTY_CONST
#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", prop_version, 0, CONST),
	SD_BUS_PROPERTY("Hostname", "s", prop_hostname, 0, 0),
	SD_BUS_PROPERTY("Accelerator", "s", prop_accelerator, 0, 0),
	SD_BUS_PROPERTY("HostCPUs", "u", prop_host_cpus, 0, 0),
	SD_BUS_PROPERTY("HostMemory", "t", prop_host_memory, 0, 0),
	SD_BUS_PROPERTY("ReservedHostMemory", "t", prop_reserved_memory, 0, 0),
	SD_BUS_PROPERTY("DomainCount", "u", prop_domain_count, 0, CHANGE),
	SD_BUS_PROPERTY("ActiveDomainCount", "u", prop_active_count, 0, CHANGE),

	SD_BUS_METHOD_WITH_ARGS("DefineXML", SD_BUS_ARGS("s", xml, "a{sv}", options),
				SD_BUS_RESULT("o", domain), method_define_xml, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("CreateXML", SD_BUS_ARGS("s", xml, "a{sv}", options),
				SD_BUS_RESULT("o", domain), method_create_xml, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("ValidateXML", SD_BUS_ARGS("s", xml, "a{sv}", options),
				SD_BUS_RESULT("as", warnings), method_validate_xml, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("ListDomains", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("ao", domains),
				method_list_domains, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("LookupDomainByName", SD_BUS_ARGS("s", name, "a{sv}", options),
				SD_BUS_RESULT("o", domain), method_lookup_by_name, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("LookupDomainByUUID", SD_BUS_ARGS("s", uuid, "a{sv}", options),
				SD_BUS_RESULT("o", domain), method_lookup_by_uuid, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("GetCapabilities", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("s", xml),
				method_get_capabilities, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("DomainXMLToNative", SD_BUS_ARGS("s", format, "s", xml, "a{sv}", options),
				SD_BUS_RESULT("s", native), method_domain_xml_to_native, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("ReloadConfig", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT,
				method_reload_config, UNPRIV),

	SD_BUS_SIGNAL_WITH_ARGS("DomainDefined", SD_BUS_ARGS("o", domain, "s", name), 0),
	SD_BUS_SIGNAL_WITH_ARGS("DomainUndefined", SD_BUS_ARGS("o", domain, "s", name), 0),
	SD_BUS_SIGNAL_WITH_ARGS("DomainStateChanged",
				SD_BUS_ARGS("o", domain, "s", state, "s", reason, "t", sequence), 0),
	SD_BUS_VTABLE_END,
};

/* --- wiring ------------------------------------------------------------- */

static void on_domain_added(Domain *d, void *userdata)
{
	Objects *o = userdata;
	char path[DOMAIN_PATH_MAX];
	domain_object_path(d, path);
	(void)sd_bus_emit_object_added(o->bus, path);
	objects_devices_sync(o, d, false);
	(void)sd_bus_emit_signal(o->bus, ZVIRT_ROOT_PATH, ZVIRT_MANAGER_IFACE, "DomainDefined", "os", path,
				 domain_name(d));
	objects_manager_counts_changed(o);
}

static void on_domain_removed(Domain *d, void *userdata)
{
	Objects *o = userdata;
	char path[DOMAIN_PATH_MAX];
	domain_object_path(d, path);
	/* Still findable here: InterfacesRemoved needs the object to exist. */
	objects_devices_sync(o, d, true);
	(void)sd_bus_emit_object_removed(o->bus, path);
	(void)sd_bus_emit_signal(o->bus, ZVIRT_ROOT_PATH, ZVIRT_MANAGER_IFACE, "DomainUndefined", "os", path,
				 domain_name(d));
}

static void on_domain_count_changed(void *userdata)
{
	objects_manager_counts_changed(userdata);
}

static void on_state_changed(Domain *d, void *userdata)
{
	objects_domain_state_changed(userdata, d);
	/* A start or stop changes which definition the disks come from. */
	objects_devices_sync(userdata, d, false);
}

static void on_definition_changed(Domain *d, void *userdata)
{
	objects_domain_definition_changed(userdata, d);
	objects_devices_sync(userdata, d, false);
}

static void on_device_removal_failed(Domain *d, const DeviceDef *dev, const char *message, void *userdata)
{
	Objects *o = userdata;
	char path[DOMAIN_PATH_MAX];
	_cleanup_free_ char *device = device_object_path_of(d, dev);
	if (device)
		(void)sd_bus_emit_signal(o->bus, domain_object_path(d, path), ZVIRT_DOMAIN_IFACE,
					 "DeviceRemovalFailed", "os", device, message);
}

static void on_crashed(Domain *d, const DomainCrashInfo *info, void *userdata)
{
	objects_domain_crashed(userdata, d, info);
}

int objects_new(sd_bus *bus, Registry *registry, const Settings *settings, Objects **ret)
{
	_cleanup_free_ Objects *o = calloc(1, sizeof(*o));
	int r;

	if (!o)
		return -ENOMEM;
	o->bus = sd_bus_ref(bus);
	o->registry = registry;
	o->settings = settings;
	o->auth_queries = hashmap_new();
	o->sender_uids = hashmap_new();
	o->pending_creates = hashmap_new();
	if (!o->auth_queries || !o->sender_uids || !o->pending_creates) {
		r = -ENOMEM;
		goto fail;
	}

	r = bus_errors_register();
	if (r < 0)
		goto fail;
	r = sd_bus_add_object_vtable(bus, &o->slots[0], ZVIRT_ROOT_PATH, ZVIRT_MANAGER_IFACE, manager_vtable,
				     o);
	if (r < 0)
		goto fail;
	r = sd_bus_add_fallback_vtable(bus, &o->slots[1], ZVIRT_DOMAIN_PREFIX, ZVIRT_DOMAIN_IFACE,
				       domain_vtable, domain_object_find, o);
	if (r < 0)
		goto fail;
	r = sd_bus_add_node_enumerator(bus, &o->slots[2], ZVIRT_DOMAIN_PREFIX, domain_node_enumerator, o);
	if (r < 0)
		goto fail;
	r = sd_bus_add_object_manager(bus, &o->slots[3], ZVIRT_ROOT_PATH);
	if (r < 0)
		goto fail;
	r = sd_bus_add_filter(bus, &o->slots[4], domain_autostart_gate, o);
	if (r < 0)
		goto fail;
	r = objects_add_job_objects(o, &o->slots[5], &o->slots[6]);
	if (r < 0)
		goto fail;
	r = objects_add_device_objects(o, &o->slots[7], 4);
	if (r < 0)
		goto fail;
	r = sd_bus_add_fallback_vtable(bus, &o->slots[11], ZVIRT_DOMAIN_PREFIX, ZVIRT_DOMAIN_IFACE,
				       domain_resources_vtable, domain_object_find, o);
	if (r < 0)
		goto fail;
	r = objects_add_host_object(o, &o->slots[12]);
	if (r < 0)
		goto fail;
	r = sd_bus_add_fallback_vtable(bus, &o->slots[13], ZVIRT_DOMAIN_PREFIX, ZVIRT_DOMAIN_IFACE,
				       domain_migrate_vtable, domain_object_find, o);
	if (r < 0)
		goto fail;
	r = sd_bus_add_object_vtable(bus, &o->slots[14], ZVIRT_ROOT_PATH, ZVIRT_MANAGER_IFACE,
				     manager_migration_vtable, o);
	if (r < 0)
		goto fail;

	RegistryCallbacks cb = {
		.domain_added = on_domain_added,
		.domain_removed = on_domain_removed,
		.domain_count_changed = on_domain_count_changed,
		.domain_state_changed = on_state_changed,
		.domain_definition_changed = on_definition_changed,
		.domain_crashed = on_crashed,
		.device_removal_failed = on_device_removal_failed,
		.userdata = o,
	};
	objects_job_callbacks(&cb);
	registry_set_callbacks(registry, &cb);
	*ret = TAKE_PTR(o);
	return 0;

fail:
	log_error_errno(r, "Cannot register the D-Bus objects: %m");
	objects_free(TAKE_PTR(o));
	return r;
}

Objects *objects_free(Objects *o)
{
	if (!o)
		return NULL;
	/* The registry goes after the objects, and as it frees its domains
	 * it still reports (a pending call answered ends a job): not to us. */
	if (o->registry)
		registry_set_callbacks(o->registry, &(const RegistryCallbacks){0});
	for (size_t i = 0; i < ELEMENTSOF(o->slots); i++)
		sd_bus_slot_unref(o->slots[i]);
	polkit_queries_free(o);
	/* Their calls were answered with their checks ("zvirtd is stopping"). */
	objects_parsed_calls_done(o);
	objects_devices_done(o);
	objects_host_done(o);
	objects_migrate_done(o);
	objects_incoming_done(o);
	sd_bus_unref(o->bus);
	free(o);
	return NULL;
}

void objects_set_reload(Objects *o, objects_reload_fn fn, void *userdata)
{
	o->reload = fn;
	o->reload_userdata = userdata;
}
