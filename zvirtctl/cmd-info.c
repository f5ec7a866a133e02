/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The commands that read: list, dominfo, domstate, domid, domuuid,
 * domname, capabilities, version. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "command.h"
#include "connection.h"
#include "domain-call.h"
#include "domain-info.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"
#include "zvirtd-config.h"

/* ---- list ---- */

enum {
	LIST_STATE_RUNNING = 1 << 0,
	LIST_STATE_PAUSED = 1 << 1,
	LIST_STATE_SHUTOFF = 1 << 2,
	LIST_STATE_OTHER = 1 << 3,
};

static bool state_selected(const char *state, unsigned states)
{
	if (!states)
		return true;
	if (strcmp(state, "running") == 0)
		return states & LIST_STATE_RUNNING;
	if (strcmp(state, "paused") == 0)
		return states & LIST_STATE_PAUSED;
	if (strcmp(state, "shut-off") == 0)
		return states & LIST_STATE_SHUTOFF;
	return states & LIST_STATE_OTHER;
}

/* virsh's order: running domains by id, then the others by name. */
static int compare_domains(const void *a, const void *b)
{
	const DomainInfo *x = a, *y = b;

	if ((x->id >= 0) != (y->id >= 0))
		return x->id >= 0 ? -1 : 1;
	if (x->id >= 0 && x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return strcmp(x->name, y->name);
}

typedef struct DomainList {
	DomainInfo *items;
	size_t n;
} DomainList;

static void domain_list_done(DomainList *l)
{
	for (size_t i = 0; i < l->n; i++)
		domain_info_done(&l->items[i]);
	free(l->items);
}

/* The domains ListDomains(m's options) answers, with their properties. */
static int list_read(Ctl *ctl, sd_bus_message *m, unsigned states, DomainList *list, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;
	int r = call_run(ctl, m, error, &reply);

	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "o");
	while (r >= 0 && (r = sd_bus_message_read(reply, "o", &path)) > 0) {
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
		DomainInfo info;

		/* A domain that went away since the list is not listed. */
		r = domain_info_get(ctl, path, &info, &e);
		if (r < 0) {
			if (sd_bus_error_has_name(&e, SD_BUS_ERROR_UNKNOWN_OBJECT)) {
				r = 0;
				continue;
			}
			sd_bus_error_move(error, &e);
			return r;
		}
		if (!state_selected(info.state, states)) {
			domain_info_done(&info);
			continue;
		}
		DomainInfo *grown = realloc(list->items, (list->n + 1) * sizeof(*grown));
		if (!grown) {
			domain_info_done(&info);
			return -ENOMEM;
		}
		list->items = grown;
		list->items[list->n++] = info;
	}
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot read the domain list: %m");
	if (list->n > 0)
		qsort(list->items, list->n, sizeof(DomainInfo), compare_domains);
	return 0;
}

static int list_print(const Ctl *ctl, const DomainList *list, char only)
{
	if (ctl->json) {
		json_object *doc = json_object_new_object(), *arr = json_object_new_array();
		if (!doc || !arr) {
			json_object_put(doc);
			json_object_put(arr);
			return -ENOMEM;
		}
		for (size_t i = 0; i < list->n; i++)
			json_object_array_add(arr, domain_info_json(&list->items[i]));
		json_object_object_add(doc, "domains", arr);
		return output_json(doc, true);
	}
	if (only) {
		/* One a line and nothing else: for scripts and completion. */
		for (size_t i = 0; i < list->n; i++) {
			const DomainInfo *d = &list->items[i];
			if (only == 'n')
				printf("%s\n", d->name);
			else if (only == 'u')
				printf("%s\n", d->uuid);
			else if (d->id >= 0)
				printf("%" PRIi32 "\n", d->id);
		}
		return 0;
	}
	static const char *const header[] = {"Id", "Name", "State"};
	_cleanup_(table_freep) Table *t = table_new(3, header);
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < list->n; i++) {
		const DomainInfo *d = &list->items[i];
		char id[16] = "-";
		if (d->id >= 0)
			snprintf(id, sizeof(id), "%" PRIi32, d->id);
		const char *cells[] = {id, d->name, domain_state_words(d->state)};
		if (table_add_row(t, cells) < 0)
			return -ENOMEM;
	}
	table_print(t);
	putchar('\n');
	return 0;
}

static int run_list(Ctl *ctl, int argc, char **argv)
{
	enum {
		O_ALL = OPT_FIRST_OWN,
		O_INACTIVE,
		O_PERSISTENT,
		O_TRANSIENT,
		O_AUTOSTART,
		O_NO_AUTOSTART,
		O_WITH_SAVE,
		O_WITHOUT_SAVE,
		O_RUNNING,
		O_PAUSED,
		O_SHUTOFF,
		O_OTHER,
		O_NAME,
		O_UUID,
		O_ID,
		O_TABLE,
	};
	static const struct option options[] = {
		COMMAND_COMMON_OPTIONS,
		{"all", no_argument, NULL, O_ALL},
		{"inactive", no_argument, NULL, O_INACTIVE},
		{"persistent", no_argument, NULL, O_PERSISTENT},
		{"transient", no_argument, NULL, O_TRANSIENT},
		{"autostart", no_argument, NULL, O_AUTOSTART},
		{"no-autostart", no_argument, NULL, O_NO_AUTOSTART},
		{"with-managed-save", no_argument, NULL, O_WITH_SAVE},
		{"without-managed-save", no_argument, NULL, O_WITHOUT_SAVE},
		{"state-running", no_argument, NULL, O_RUNNING},
		{"state-paused", no_argument, NULL, O_PAUSED},
		{"state-shutoff", no_argument, NULL, O_SHUTOFF},
		{"state-other", no_argument, NULL, O_OTHER},
		{"name", no_argument, NULL, O_NAME},
		{"uuid", no_argument, NULL, O_UUID},
		{"id", no_argument, NULL, O_ID},
		{"table", no_argument, NULL, O_TABLE},
		{},
	};
	const Command *cmd = command_find(info_commands, "list");
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	bool all = false, inactive = false;
	int persistent = -1, autostart = -1, managed_save = -1;
	unsigned states = 0;
	char only = 0;
	CommandArgs args = {0};
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case O_ALL:
			all = true;
			break;
		case O_INACTIVE:
			inactive = true;
			break;
		case O_PERSISTENT:
			persistent = persistent == 0 ? -1 : 1; /* both: either */
			break;
		case O_TRANSIENT:
			persistent = persistent == 1 ? -1 : 0;
			break;
		case O_AUTOSTART:
			autostart = autostart == 0 ? -1 : 1;
			break;
		case O_NO_AUTOSTART:
			autostart = autostart == 1 ? -1 : 0;
			break;
		case O_WITH_SAVE:
			managed_save = managed_save == 0 ? -1 : 1;
			break;
		case O_WITHOUT_SAVE:
			managed_save = managed_save == 1 ? -1 : 0;
			break;
		case O_RUNNING:
			states |= LIST_STATE_RUNNING;
			break;
		case O_PAUSED:
			states |= LIST_STATE_PAUSED;
			break;
		case O_SHUTOFF:
			states |= LIST_STATE_SHUTOFF;
			break;
		case O_OTHER:
			states |= LIST_STATE_OTHER;
			break;
		case O_NAME:
			only = 'n';
			break;
		case O_UUID:
			only = 'u';
			break;
		case O_ID:
			only = 'i';
			break;
		case O_TABLE:
			only = 0;
			break;
		default:
			r = command_common_option(ctl, cmd, &args, argv, c);
			if (r >= 0)
				return r;
			if (args.domain)
				return error_usage(cmd, "list takes no domain");
		}
	}
	r = command_positional(cmd, NULL, argc, argv, 0, NULL);
	if (r >= 0)
		return r;
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;

	r = call_new(ctl, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", &m);
	if (r >= 0)
		r = call_options_open(m);
	/* virsh: the running ones unless --all or --inactive (or a state) says otherwise. */
	if (r >= 0 && !all && !states)
		r = call_option_bool(m, inactive ? "inactive" : "active", true);
	if (r >= 0 && persistent >= 0)
		r = call_option_bool(m, "persistent", persistent);
	if (r >= 0 && autostart >= 0)
		r = call_option_bool(m, "autostart", autostart);
	if (r >= 0 && managed_save >= 0)
		r = call_option_bool(m, "managed-save", managed_save);
	if (r < 0)
		return error_report(NULL, r);

	_cleanup_(domain_list_done) DomainList list = {0};
	r = list_read(ctl, m, states, &list, &error);
	if (r < 0)
		return error_report(&error, r);
	r = list_print(ctl, &list, only);
	return r < 0 ? error_report(NULL, r) : ZVIRTCTL_EXIT_OK;
}

/* ---- the one-domain readers ---- */

/* Parses a one-domain command with no options of its own beyond `flag`
 * (a flag: --reason), connects and reads the domain. -1 or the exit code. */
static int one_domain(Ctl *ctl, DomainCall *dc, const char *name, int argc, char **argv, const char *flag)
{
	const CommandFlag flags[] = {{flag, NULL, 'b'}, {}};

	dc->cmd = command_find(info_commands, name);
	dc->flags = flag ? flags : NULL;
	int r = domain_call_parse(ctl, dc, argc, argv);
	dc->flags = NULL; /* flags[] ends here */
	return r;
}

static int run_domstate(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = {0};
	int r = one_domain(ctl, &dc, "domstate", argc, argv, "reason");
	const DomainInfo info = dc.info;
	bool reason = dc.values[0] != NULL;

	if (r >= 0)
		return r;
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "state", json_object_new_string(info.state));
			json_object_object_add(doc, "reason", json_object_new_string(info.reason));
		}
		r = output_json(doc, true);
	} else if (reason)
		r = printf("%s (%s)\n\n", domain_state_words(info.state), info.reason);
	else
		r = printf("%s\n\n", domain_state_words(info.state));
	return r < 0 ? error_report(NULL, -EIO) : ZVIRTCTL_EXIT_OK;
}

/* domid, domuuid, domname: one field. */
static int print_field(Ctl *ctl, const char *command_name, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = {0};
	int r = one_domain(ctl, &dc, command_name, argc, argv, NULL);
	const DomainInfo info = dc.info;
	char id[16] = "-";

	if (r >= 0)
		return r;
	if (info.id >= 0)
		snprintf(id, sizeof(id), "%" PRIi32, info.id);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc && strcmp(command_name, "domid") == 0)
			json_object_object_add(doc, "id",
					       info.id >= 0 ? json_object_new_int(info.id) : NULL);
		else if (doc && strcmp(command_name, "domuuid") == 0)
			json_object_object_add(doc, "uuid", json_object_new_string(info.uuid));
		else if (doc)
			json_object_object_add(doc, "name", json_object_new_string(info.name));
		r = output_json(doc, true);
		return r < 0 ? error_report(NULL, r) : ZVIRTCTL_EXIT_OK;
	}
	if (strcmp(command_name, "domid") == 0)
		printf("%s\n\n", id);
	else if (strcmp(command_name, "domuuid") == 0)
		printf("%s\n\n", info.uuid);
	else
		printf("%s\n\n", info.name);
	return ZVIRTCTL_EXIT_OK;
}

static int run_domid(Ctl *ctl, int argc, char **argv)
{
	return print_field(ctl, "domid", argc, argv);
}

static int run_domuuid(Ctl *ctl, int argc, char **argv)
{
	return print_field(ctl, "domuuid", argc, argv);
}

static int run_domname(Ctl *ctl, int argc, char **argv)
{
	return print_field(ctl, "domname", argc, argv);
}

/* ---- dominfo ---- */

typedef struct Stats {
	char *state;
	char *reason;
	uint32_t vcpus;
	uint64_t balloon_current, balloon_maximum, cpu_time;
	bool has_cpu_time;
} Stats;

static void stats_done(Stats *s)
{
	free(s->state);
	free(s->reason);
}

static int stats_get(Ctl *ctl, const char *path, Stats *s, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r = call_simple(ctl, path, ZVIRT_DOMAIN_IFACE, "GetStats", error, &reply);

	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key, *str;

		r = sd_bus_message_read(reply, "s", &key);
		if (r < 0)
			break;
		if (strcmp(key, "state") == 0 || strcmp(key, "reason") == 0) {
			r = sd_bus_message_read(reply, "v", "s", &str);
			char **to = key[0] == 's' ? &s->state : &s->reason;
			if (r >= 0 && !*to && !(*to = strdup(str)))
				r = -ENOMEM;
		} else if (strcmp(key, "vcpu.current") == 0)
			r = sd_bus_message_read(reply, "v", "u", &s->vcpus);
		else if (strcmp(key, "balloon.current") == 0)
			r = sd_bus_message_read(reply, "v", "t", &s->balloon_current);
		else if (strcmp(key, "balloon.maximum") == 0)
			r = sd_bus_message_read(reply, "v", "t", &s->balloon_maximum);
		else if (strcmp(key, "cpu.time") == 0) {
			r = sd_bus_message_read(reply, "v", "t", &s->cpu_time);
			s->has_cpu_time = true;
		} else
			r = sd_bus_message_skip(reply, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	if (r >= 0 && (!s->state || !s->reason))
		r = -EBADMSG;
	return r < 0 ? sd_bus_error_set_errnof(error, r, "Cannot read the statistics of %s: %m", path) : 0;
}

static int run_dominfo(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_call_done) DomainCall dc = {0};
	_cleanup_(stats_done) Stats st = {0};
	int r = one_domain(ctl, &dc, "dominfo", argc, argv, NULL);
	const DomainInfo info = dc.info;

	if (r >= 0)
		return r;
	r = stats_get(ctl, info.path, &st, &error);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = domain_info_json(&info);
		if (doc) {
			/* The statistics' view of the moment wins over the properties'. */
			json_object_object_add(doc, "state", json_object_new_string(st.state));
			json_object_object_add(doc, "reason", json_object_new_string(st.reason));
			json_object_object_add(doc, "os-type", json_object_new_string("hvm"));
			json_object_object_add(doc, "vcpus", json_object_new_int64(st.vcpus));
			json_object_object_add(doc, "cpu-time-ns",
					       st.has_cpu_time ? json_object_new_uint64(st.cpu_time) : NULL);
			json_object_object_add(doc, "max-memory",
					       json_object_new_uint64(st.balloon_maximum));
			json_object_object_add(doc, "used-memory",
					       json_object_new_uint64(st.balloon_current));
		}
		r = output_json(doc, true);
		return r < 0 ? error_report(NULL, r) : ZVIRTCTL_EXIT_OK;
	}
	if (info.id >= 0)
		output_field("Id:", "%" PRIi32, info.id);
	else
		output_field("Id:", "-");
	output_field("Name:", "%s", info.name);
	output_field("UUID:", "%s", info.uuid);
	output_field("OS Type:", "hvm");
	output_field("State:", "%s", domain_state_words(st.state));
	output_field("CPU(s):", "%" PRIu32, st.vcpus);
	if (st.has_cpu_time)
		output_field("CPU time:", "%.1fs", (double)st.cpu_time / 1e9);
	output_field("Max memory:", "%" PRIu64 " KiB", st.balloon_maximum / 1024);
	output_field("Used memory:", "%" PRIu64 " KiB", st.balloon_current / 1024);
	output_field("Persistent:", "%s", info.persistent ? "yes" : "no");
	output_field("Autostart:", "%s", info.autostart ? "enable" : "disable");
	output_field("Managed save:", "%s", info.managed_save ? "yes" : "no");
	putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

/* ---- the host ---- */

/* Parses a command without arguments and connects. -1 or the exit code. */
static int no_arguments(Ctl *ctl, const char *name, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = {.cmd = command_find(info_commands, name), .host = true};
	return domain_call_parse(ctl, &dc, argc, argv);
}

static int run_capabilities(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *xml;
	int r = no_arguments(ctl, "capabilities", argc, argv);

	if (r >= 0)
		return r;
	r = call_simple(ctl, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "GetCapabilities", &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &xml);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "xml", json_object_new_string(xml));
		r = output_json(doc, true);
		return r < 0 ? error_report(NULL, r) : ZVIRTCTL_EXIT_OK;
	}
	fputs(xml, stdout);
	if (!*xml || xml[strlen(xml) - 1] != '\n')
		putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

/* nodeinfo: the Manager's host properties, in virsh's layout (its CPU
 * topology lines have no source here: the daemon reports the count). */
static int run_nodeinfo(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	uint32_t cpus = 0, domains = 0, active = 0;
	uint64_t memory = 0, reserved = 0;
	const struct {
		const char *name;
		char type;
		void *value;
	} props[] = {
		{"HostCPUs", 'u', &cpus},
		{"HostMemory", 't', &memory},
		{"ReservedHostMemory", 't', &reserved},
		{"DomainCount", 'u', &domains},
		{"ActiveDomainCount", 'u', &active},
	};
	int r = no_arguments(ctl, "nodeinfo", argc, argv);

	if (r >= 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(props); i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		const char sig[2] = {props[i].type, 0};
		r = sd_bus_get_property(ctl->bus, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
					props[i].name, &error, &reply, sig);
		if (r >= 0)
			r = sd_bus_message_read_basic(reply, props[i].type, props[i].value);
		if (r < 0)
			return error_report(&error, r);
	}
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "cpus", json_object_new_int64(cpus));
			json_object_object_add(doc, "memory", json_object_new_uint64(memory));
			json_object_object_add(doc, "reserved-memory", json_object_new_uint64(reserved));
			json_object_object_add(doc, "domains", json_object_new_int64(domains));
			json_object_object_add(doc, "active-domains", json_object_new_int64(active));
		}
		return command_print_json(doc);
	}
	printf("%-20s %s\n", "CPU model:", "s390x");
	printf("%-20s %" PRIu32 "\n", "CPU(s):", cpus);
	printf("%-20s %" PRIu64 " KiB\n", "Memory size:", memory / 1024);
	printf("%-20s %" PRIu64 " KiB\n", "Reserved memory:", reserved / 1024);
	printf("%-20s %" PRIu32 " (%" PRIu32 " active)\n\n", "Domains:", domains, active);
	return ZVIRTCTL_EXIT_OK;
}

static int run_version(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *version = NULL, *hostname = NULL, *accel = NULL;
	int r = no_arguments(ctl, "version", argc, argv);

	if (r >= 0)
		return r;
	r = sd_bus_get_property_string(ctl->bus, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
				       "Version", &error, &version);
	if (r >= 0)
		r = sd_bus_get_property_string(ctl->bus, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
					       ZVIRT_MANAGER_IFACE, "Hostname", &error, &hostname);
	if (r >= 0)
		r = sd_bus_get_property_string(ctl->bus, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
					       ZVIRT_MANAGER_IFACE, "Accelerator", &error, &accel);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "client", json_object_new_string(PACKAGE_VERSION));
			json_object_object_add(doc, "daemon", json_object_new_string(version));
			json_object_object_add(doc, "hostname", json_object_new_string(hostname));
			json_object_object_add(doc, "accelerator", json_object_new_string(accel));
		}
		r = output_json(doc, true);
		return r < 0 ? error_report(NULL, r) : ZVIRTCTL_EXIT_OK;
	}
	output_field("Client:", "zvirtctl %s", PACKAGE_VERSION);
	output_field("Daemon:", "zvirtd %s", version);
	output_field("Host:", "%s", hostname);
	output_field("Accelerator:", "%s", accel);
	putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

const Command info_commands[] = {
	{"list", run_list,
	 "[--all] [--inactive] [--persistent] [--transient] [--autostart] [--no-autostart] "
	 "[--with-managed-save] [--without-managed-save] [--state-running] [--state-paused] "
	 "[--state-shutoff] [--state-other] [--name | --uuid | --id | --table]",
	 "list domains (the running ones unless told otherwise)"},
	{"dominfo", run_dominfo, "DOMAIN", "a domain's basic information"},
	{"domstate", run_domstate, "DOMAIN [--reason]", "a domain's state (and its reason)"},
	{"domid", run_domid, "DOMAIN", "a domain's id (- when it does not run)"},
	{"domuuid", run_domuuid, "DOMAIN", "a domain's UUID"},
	{"domname", run_domname, "DOMAIN", "a domain's name"},
	{"capabilities", run_capabilities, "", "the host's and the emulator's capabilities (XML)"},
	{"nodeinfo", run_nodeinfo, "", "the host: CPUs, memory (and what starts must leave it), domains"},
	{"version", run_version, "", "the versions of zvirtctl and zvirtd"},
	{},
};
