/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* migrate (a Job, waited for), migrate-setmaxdowntime, migrate-setspeed,
 * migrate-getspeed. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "command.h"
#include "connection.h"
#include "domain-info.h"
#include "errors.h"
#include "job.h"
#include "output.h"
#include "util/cleanup.h"

static const Command *command(const char *name);

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/* virsh's qemu+ssh://[USER@]HOST[:PORT]/system is our ssh://[USER@]HOST[:PORT];
 * ssh:// and D-Bus addresses go as they are. */
static char *destination_of(const char *uri)
{
	static const char prefix[] = "qemu+ssh://";

	if (strncmp(uri, prefix, strlen(prefix)) != 0)
		return strdup(uri);
	const char *host = uri + strlen(prefix);
	size_t len = strcspn(host, "/");
	char *d = NULL;
	return asprintf(&d, "ssh://%.*s", (int)len, host) < 0 ? NULL : d;
}

static int run_migrate(Ctl *ctl, int argc, char **argv)
{
	enum {
		O_TIMEOUT = OPT_FIRST_OWN + 16,
		O_BANDWIDTH,
		O_DOWNTIME,
	};
	/* virsh's flags and the API's keys, in the same order. */
	static const char *const flags[] = {
		"live", "persistent", "undefinesource", "suspend", "auto-converge", "verbose", NULL};
	static const char *const keys[] = {"live", "persistent", "undefine-source", "suspend",
					   "auto-converge"};
	const Command *cmd = command("migrate");
	struct option options[4 + 6 + 3] = {COMMAND_COMMON_OPTIONS};
	bool set[6] = {0};
	const char *values[3] = {0};
	static const char *const value_keys[] = {"timeout-s", "bandwidth-MiBps", "max-downtime-ms"};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	_cleanup_(job_watch_done) JobWatch watch = {0};
	_cleanup_free_ char *path = NULL, *destination = NULL;
	CommandArgs args = {0};
	const char *job;
	uint64_t numbers[3];
	char **pos;
	size_t n = 0;
	int c, r;

	for (; flags[n]; n++)
		options[3 + n] = (struct option){flags[n], no_argument, NULL, OPT_FIRST_OWN + (int)n};
	options[3 + n++] = (struct option){"timeout", required_argument, NULL, O_TIMEOUT};
	options[3 + n++] = (struct option){"bandwidth", required_argument, NULL, O_BANDWIDTH};
	options[3 + n++] = (struct option){"downtime", required_argument, NULL, O_DOWNTIME};
	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		if (c >= OPT_FIRST_OWN && c < OPT_FIRST_OWN + 6) {
			set[c - OPT_FIRST_OWN] = true;
			continue;
		}
		if (c >= O_TIMEOUT && c <= O_DOWNTIME) {
			size_t i = (size_t)(c - O_TIMEOUT);
			values[i] = optarg;
			if (parse_u64(optarg, &numbers[i]) < 0)
				return error_usage(cmd, "'%s' is not a number", optarg);
			continue;
		}
		r = command_common_option(ctl, cmd, &args, argv, c);
		if (r >= 0)
			return r;
	}
	r = command_positional(cmd, &args, argc, argv, 2, &pos);
	if (r >= 0)
		return r;
	destination = destination_of(pos[0]);
	if (!destination)
		return error_report(NULL, -ENOMEM);
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	r = command_domain_path(ctl, &args, &path);
	if (r >= 0)
		return r;
	r = domain_info_get(ctl, path, &info, &error);
	if (r >= 0)
		r = job_watch_begin(ctl, &watch, &error);
	if (r >= 0)
		r = call_new(ctl, path, ZVIRT_DOMAIN_IFACE, "Migrate", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "s", destination);
	if (r >= 0)
		r = call_options_open(m);
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(keys); i++)
		if (set[i])
			r = call_option_bool(m, keys[i], true);
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(value_keys); i++)
		if (values[i])
			r = call_option_u64(m, value_keys[i], numbers[i]);
	if (r >= 0)
		r = call_run(ctl, m, &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &job);
	if (r < 0)
		return error_report(&error, r);
	r = job_wait(ctl, &watch, job, "migration", set[5]);
	if (r != ZVIRTCTL_EXIT_OK)
		return r;
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "name", json_object_new_string(info.name));
			json_object_object_add(doc, "uuid", json_object_new_string(info.uuid));
			json_object_object_add(doc, "destination", json_object_new_string(destination));
		}
		return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
	}
	printf("Domain '%s' migrated to %s\n\n", info.name, destination);
	return ZVIRTCTL_EXIT_OK;
}

/* DOMAIN NUMBER: method(t, {}). */
static int set_number(Ctl *ctl, const char *name, const char *method, int argc, char **argv)
{
	static const struct option options[] = {
		COMMAND_COMMON_OPTIONS,
		{},
	};
	const Command *cmd = command(name);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_free_ char *path = NULL;
	CommandArgs args = {0};
	uint64_t v;
	char **pos;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		r = command_common_option(ctl, cmd, &args, argv, c);
		if (r >= 0)
			return r;
	}
	r = command_positional(cmd, &args, argc, argv, 2, &pos);
	if (r >= 0)
		return r;
	if (parse_u64(pos[0], &v) < 0)
		return error_usage(cmd, "'%s' is not a number", pos[0]);
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	r = command_domain_path(ctl, &args, &path);
	if (r >= 0)
		return r;
	r = call_new(ctl, path, ZVIRT_DOMAIN_IFACE, method, &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "t", v);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = call_run(ctl, m, &error, NULL);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc,
					       strcmp(method, "SetMigrationMaxSpeed") == 0
						       ? "bandwidth-MiBps"
						       : "downtime-ms",
					       json_object_new_uint64(v));
		return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
	}
	return ZVIRTCTL_EXIT_OK; /* virsh says nothing */
}

static int run_migrate_setmaxdowntime(Ctl *ctl, int argc, char **argv)
{
	return set_number(ctl, "migrate-setmaxdowntime", "SetMigrationMaxDowntime", argc, argv);
}

static int run_migrate_setspeed(Ctl *ctl, int argc, char **argv)
{
	return set_number(ctl, "migrate-setspeed", "SetMigrationMaxSpeed", argc, argv);
}

static int run_migrate_getspeed(Ctl *ctl, int argc, char **argv)
{
	static const struct option options[] = {
		COMMAND_COMMON_OPTIONS,
		{},
	};
	const Command *cmd = command("migrate-getspeed");
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *path = NULL;
	CommandArgs args = {0};
	uint64_t v;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		r = command_common_option(ctl, cmd, &args, argv, c);
		if (r >= 0)
			return r;
	}
	r = command_positional(cmd, &args, argc, argv, 1, NULL);
	if (r >= 0)
		return r;
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	r = command_domain_path(ctl, &args, &path);
	if (r >= 0)
		return r;
	r = call_simple(ctl, path, ZVIRT_DOMAIN_IFACE, "GetMigrationMaxSpeed", &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "t", &v);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "bandwidth-MiBps", json_object_new_uint64(v));
		return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
	}
	printf("%" PRIu64 "\n\n", v);
	return ZVIRTCTL_EXIT_OK;
}

const Command migrate_commands[] = {
	{"migrate", run_migrate,
	 "DOMAIN DESTINATION [--live] [--persistent] [--undefinesource] [--suspend] [--auto-converge] "
	 "[--timeout SECONDS] [--bandwidth MiBps] [--downtime MS] [--verbose]",
	 "move the guest to another zvirtd host (qemu+ssh://HOST/system, ssh://HOST or a D-Bus address)"},
	{"migrate-setmaxdowntime", run_migrate_setmaxdowntime, "DOMAIN MS",
	 "how long the guest may stop for a migration's last pass"},
	{"migrate-setspeed", run_migrate_setspeed, "DOMAIN MiBps",
	 "the bandwidth of the domain's migrations"},
	{"migrate-getspeed", run_migrate_getspeed, "DOMAIN", "the bandwidth of the domain's migrations"},
	{},
};

static const Command *command(const char *name)
{
	for (const Command *c = migrate_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	abort();
}
