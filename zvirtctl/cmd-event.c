/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* event: the daemon's signals as they come, never by polling. */

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "command.h"
#include "connection.h"
#include "errors.h"
#include "lookup.h"
#include "output.h"
#include "util/cleanup.h"

#define ZVIRT_DOMAIN_PREFIX "/org/zvirt1/domain/"

enum {
	EVENT_LIFECYCLE = 1 << 0,      /* DomainStateChanged */
	EVENT_DEFINITION = 1 << 1,     /* DomainDefined, DomainUndefined */
	EVENT_CRASH = 1 << 2,          /* Domain.Crashed */
	EVENT_DEVICE_REMOVAL = 1 << 3, /* Domain.DeviceRemovalFailed */
};

static const struct {
	const char *name;
	unsigned bit;
	const char *about;
} event_types[] = {
	{"lifecycle", EVENT_LIFECYCLE, "every state change, with its reason"},
	{"definition", EVENT_DEFINITION, "a domain defined or undefined"},
	{"crash", EVENT_CRASH, "the guest panicked (before its <on_crash> action)"},
	{"device-removal-failed", EVENT_DEVICE_REMOVAL,
	 "a live detach the guest refused or did not finish in time (the device stays)"},
};

typedef struct Names {
	char *path;
	char *name;
	struct Names *next;
} Names;

typedef struct EventLoop {
	Ctl *ctl;
	sd_event *event;
	const char *path; /* --domain, or NULL for every domain */
	bool loop;
	bool timestamp;
	unsigned received;
	Names *names; /* what each path was called, as last seen */
} EventLoop;

static void names_free(Names *n)
{
	while (n) {
		Names *next = n->next;
		free(n->path);
		free(n->name);
		free(n);
		n = next;
	}
}

static const char *names_set(EventLoop *l, const char *path, const char *name)
{
	for (Names *n = l->names; n; n = n->next)
		if (strcmp(n->path, path) == 0) {
			char *copy = strdup(name);
			if (copy) {
				free(n->name);
				n->name = copy;
			}
			return n->name;
		}
	Names *n = calloc(1, sizeof(*n));
	if (!n || !(n->path = strdup(path)) || !(n->name = strdup(name))) {
		if (n)
			free(n->path);
		free(n);
		return name;
	}
	n->next = l->names;
	l->names = n;
	return n->name;
}

/* The name of the domain at path: asked once, remembered (a transient
 * domain's object is gone when its last signals arrive). */
static const char *name_of(EventLoop *l, const char *path)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *name = NULL;

	for (Names *n = l->names; n; n = n->next)
		if (strcmp(n->path, path) == 0)
			return n->name;
	if (sd_bus_get_property_string(l->ctl->bus, ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE, "Name", &error,
				       &name) < 0)
		return NULL;
	return names_set(l, path, name);
}

/* The dashed UUID from the path's label (32 hex digits). */
static void uuid_of(const char *path, char uuid[37])
{
	const char *label = strncmp(path, ZVIRT_DOMAIN_PREFIX, strlen(ZVIRT_DOMAIN_PREFIX)) == 0
				    ? path + strlen(ZVIRT_DOMAIN_PREFIX)
				    : "";
	size_t j = 0;

	if (strlen(label) != 32) {
		uuid[0] = 0;
		return;
	}
	for (size_t i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			uuid[j++] = '-';
		uuid[j++] = label[i];
	}
	uuid[j] = 0;
}

static void print_event(EventLoop *l, const char *type, const char *path, const char *name, const char *text,
			json_object *extra)
{
	char uuid[37];
	struct timespec ts;

	uuid_of(path, uuid);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (l->ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "event", json_object_new_string(type));
			json_object_object_add(doc, "domain", output_json_string(name));
			json_object_object_add(doc, "uuid", uuid[0] ? json_object_new_string(uuid) : NULL);
			json_object_object_add(doc, "timestamp-usec",
					       json_object_new_uint64((uint64_t)ts.tv_sec * 1000000 +
								      (uint64_t)ts.tv_nsec / 1000));
			/* The event's own keys after the common ones. */
			if (extra) {
				json_object_object_foreach(extra, key, value)
					json_object_object_add(doc, key, json_object_get(value));
			}
		}
		json_object_put(extra);
		(void)output_json(doc, false);
	} else {
		if (l->timestamp) {
			struct tm tm;
			char when[64];
			gmtime_r(&ts.tv_sec, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			printf("%s.%03ld+0000: ", when, ts.tv_nsec / 1000000);
		}
		printf("event '%s' for domain '%s': %s\n", type, name ? name : uuid, text);
		json_object_put(extra);
	}
	/* For a pipe: each event when it happens, not when a buffer is full. */
	fflush(stdout);
	l->received++;
	if (!l->loop)
		(void)sd_event_exit(l->event, 0);
}

static bool wanted(EventLoop *l, const char *path)
{
	return !l->path || strcmp(l->path, path) == 0;
}

static int on_state_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	EventLoop *l = userdata;
	assert(m);
	assert(l);
	const char *path, *state, *reason;
	uint64_t seq;
	char text[256];

	if (sd_bus_message_read(m, "osst", &path, &state, &reason, &seq) < 0 || !wanted(l, path))
		return 0;
	json_object *extra = json_object_new_object();
	if (extra) {
		json_object_object_add(extra, "state", json_object_new_string(state));
		json_object_object_add(extra, "reason", json_object_new_string(reason));
		json_object_object_add(extra, "sequence", json_object_new_uint64(seq));
	}
	snprintf(text, sizeof(text), "%s (%s)", state, reason);
	print_event(l, "lifecycle", path, name_of(l, path), text, extra);
	return 0;
}

static int on_definition(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	EventLoop *l = userdata;
	assert(m);
	assert(l);
	const char *path, *name;
	bool defined = strcmp(sd_bus_message_get_member(m), "DomainDefined") == 0;

	if (sd_bus_message_read(m, "os", &path, &name) < 0 || !wanted(l, path))
		return 0;
	json_object *extra = json_object_new_object();
	if (extra)
		json_object_object_add(extra, "action",
				       json_object_new_string(defined ? "defined" : "undefined"));
	print_event(l, "definition", path, names_set(l, path, name), defined ? "defined" : "undefined",
		    extra);
	return 0;
}

static int on_crashed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	EventLoop *l = userdata;
	assert(m);
	assert(l);
	const char *path = sd_bus_message_get_path(m), *key, *s;
	_cleanup_free_ char *reason = NULL, *action = NULL;
	char text[512];
	int r;

	if (!path || !wanted(l, path))
		return 0;
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		r = sd_bus_message_read(m, "s", &key);
		if (r >= 0 && (strcmp(key, "reason") == 0 || strcmp(key, "action") == 0)) {
			r = sd_bus_message_read(m, "v", "s", &s);
			char **to = key[0] == 'r' ? &reason : &action;
			if (r >= 0 && !*to)
				*to = strdup(s);
		} else if (r >= 0)
			r = sd_bus_message_skip(m, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	json_object *extra = json_object_new_object();
	if (extra) {
		json_object_object_add(extra, "reason", output_json_string(reason));
		json_object_object_add(extra, "action", output_json_string(action));
	}
	snprintf(text, sizeof(text), "crashed (%s), action %s", reason ? reason : "unknown",
		 action ? action : "unknown");
	print_event(l, "crash", path, name_of(l, path), text, extra);
	return 0;
}

static int on_device_removal_failed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	EventLoop *l = userdata;
	assert(m);
	assert(l);
	const char *path = sd_bus_message_get_path(m), *device, *message;
	char text[1024];

	if (!path || !wanted(l, path))
		return 0;
	if (sd_bus_message_read(m, "os", &device, &message) < 0)
		return 0;
	json_object *extra = json_object_new_object();
	if (extra) {
		json_object_object_add(extra, "device", json_object_new_string(device));
		json_object_object_add(extra, "message", json_object_new_string(message));
	}
	/* virsh: "event 'device-removal-failed' for domain 'x': alias". */
	const char *last = strrchr(device, '/');
	snprintf(text, sizeof(text), "%s: %s", last ? last + 1 : device, message);
	print_event(l, "device-removal-failed", path, name_of(l, path), text, extra);
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_disconnect(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	EventLoop *l = userdata;
	assert(m);
	assert(l);
	fprintf(stderr, "error: " SD_BUS_ERROR_DISCONNECTED ": the bus connection was closed\n");
	return sd_event_exit(l->event, ZVIRTCTL_EXIT_FAILURE);
}

static const Command *command(void);

static int list_types(Ctl *ctl)
{
	if (ctl->json) {
		json_object *doc = json_object_new_object(), *arr = json_object_new_array();
		if (doc && arr) {
			for (size_t i = 0; i < ELEMENTSOF(event_types); i++)
				json_object_array_add(arr, json_object_new_string(event_types[i].name));
			json_object_object_add(doc, "events", arr);
		} else
			json_object_put(arr);
		return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
	}
	for (size_t i = 0; i < ELEMENTSOF(event_types); i++)
		printf("%-12s %s\n", event_types[i].name, event_types[i].about);
	return ZVIRTCTL_EXIT_OK;
}

static int run_event(Ctl *ctl, int argc, char **argv)
{
	enum {
		O_EVENT = OPT_FIRST_OWN,
		O_ALL,
		O_LOOP,
		O_TIMEOUT,
		O_TIMESTAMP,
		O_LIST,
	};
	static const struct option options[] = {
		COMMAND_COMMON_OPTIONS,
		{"event", required_argument, NULL, O_EVENT},
		{"all", no_argument, NULL, O_ALL},
		{"loop", no_argument, NULL, O_LOOP},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"timestamp", no_argument, NULL, O_TIMESTAMP},
		{"list", no_argument, NULL, O_LIST},
		{},
	};
	const Command *cmd = command();
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	_cleanup_free_ char *path = NULL;
	EventLoop l = {.ctl = ctl};
	CommandArgs args = {0};
	unsigned types = 0;
	long timeout = 0;
	bool list = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case O_EVENT: {
			size_t i;
			for (i = 0; i < ELEMENTSOF(event_types); i++)
				if (strcmp(optarg, event_types[i].name) == 0)
					break;
			if (i == ELEMENTSOF(event_types))
				return error_usage(cmd, "unknown event '%s' (zvirtctl event --list)",
						   optarg);
			types |= event_types[i].bit;
			break;
		}
		case O_ALL:
			types = ~0U;
			break;
		case O_LOOP:
			l.loop = true;
			break;
		case O_TIMEOUT: {
			char *end;
			timeout = strtol(optarg, &end, 10);
			if (*end || end == optarg || timeout <= 0 || timeout > 86400 * 365)
				return error_usage(cmd, "--timeout takes whole seconds, not '%s'", optarg);
			break;
		}
		case O_TIMESTAMP:
			l.timestamp = true;
			break;
		case O_LIST:
			list = true;
			break;
		default:
			r = command_common_option(ctl, cmd, &args, argv, c);
			if (r >= 0)
				return r;
		}
	}
	r = command_positional(cmd, NULL, argc, argv, 0, NULL);
	if (r >= 0)
		return r;
	if (list)
		return list_types(ctl);
	if (!types)
		types = EVENT_LIFECYCLE;
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	if (args.domain) {
		r = command_domain_path(ctl, &args, &path);
		if (r >= 0)
			return r;
		l.path = path;
	}

	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_bus_attach_event(ctl->bus, event, SD_EVENT_PRIORITY_NORMAL);
	l.event = event;
	/* The matches are in place when these return (AddMatch is answered). */
	if (r >= 0 && (types & EVENT_LIFECYCLE))
		r = sd_bus_match_signal(ctl->bus, NULL, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
					ZVIRT_MANAGER_IFACE, "DomainStateChanged", on_state_changed, &l);
	if (r >= 0 && (types & EVENT_DEFINITION))
		r = sd_bus_match_signal(ctl->bus, NULL, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
					ZVIRT_MANAGER_IFACE, "DomainDefined", on_definition, &l);
	if (r >= 0 && (types & EVENT_DEFINITION))
		r = sd_bus_match_signal(ctl->bus, NULL, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
					ZVIRT_MANAGER_IFACE, "DomainUndefined", on_definition, &l);
	if (r >= 0 && (types & EVENT_DEVICE_REMOVAL))
		r = sd_bus_add_match(ctl->bus, NULL,
				     "type='signal',sender='" ZVIRT_BUS_NAME
				     "',interface='" ZVIRT_DOMAIN_IFACE
				     "',member='DeviceRemovalFailed',path_namespace='/org/zvirt1/domain'",
				     on_device_removal_failed, &l);
	/* Crashed's match last: the tests take its AddMatch for "all are in place". */
	if (r >= 0 && (types & EVENT_CRASH))
		r = sd_bus_add_match(ctl->bus, NULL,
				     "type='signal',sender='" ZVIRT_BUS_NAME
				     "',interface='" ZVIRT_DOMAIN_IFACE
				     "',member='Crashed',path_namespace='/org/zvirt1/domain'",
				     on_crashed, &l);
	if (r >= 0)
		r = sd_bus_match_signal(ctl->bus, NULL, "org.freedesktop.DBus.Local", NULL,
					"org.freedesktop.DBus.Local", "Disconnected", on_disconnect, &l);
	if (r >= 0) {
		sigset_t mask;
		sigemptyset(&mask);
		sigaddset(&mask, SIGINT);
		sigaddset(&mask, SIGTERM);
		r = sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -errno : 0;
	}
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, on_signal, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM, on_signal, NULL);
	if (r >= 0 && timeout > 0)
		r = sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC, (uint64_t)timeout * 1000000, 0,
					       on_timeout, NULL);
	if (r < 0) {
		names_free(l.names);
		sd_bus_error_set_errnof(&error, -r, "Cannot listen for events: %m");
		return error_report(&error, r);
	}
	r = sd_event_loop(event);
	names_free(l.names);
	(void)sd_bus_detach_event(ctl->bus);
	if (r < 0)
		return error_report(NULL, r);
	if (r > 0)
		return r;
	if (!ctl->json)
		printf("events received: %u\n", l.received);
	return ZVIRTCTL_EXIT_OK;
}

const Command event_commands[] = {
	{"event", run_event,
	 "[--domain DOMAIN] [--event lifecycle|definition|crash|device-removal-failed | --all] [--loop] "
	 "[--timeout SECONDS] "
	 "[--timestamp] [--list]",
	 "print the domains' events as they happen (the first one, or all with --loop)"},
	{},
};

static const Command *command(void)
{
	return &event_commands[0];
}
