/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* migrate (a Job, waited for), migrate-setmaxdowntime, migrate-setspeed,
 * migrate-getspeed. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "domain-call.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

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
	/* virsh's options and the API's keys. */
	static const CommandFlag flags[] = {
		{"live", "live", 'b'},
		{"persistent", "persistent", 'b'},
		{"undefinesource", "undefine-source", 'b'},
		{"suspend", "suspend", 'b'},
		{"auto-converge", "auto-converge", 'b'},
		{"verbose", NULL, 'b'},
		{"timeout", "timeout-s", 't'},
		{"bandwidth", "bandwidth-MiBps", 't'},
		{"downtime", "max-downtime-ms", 't'},
		{"copy-storage-all", "copy-storage-all", 'b'},
		{"copy-storage-inc", "copy-storage-inc", 'b'},
		{"migrate-disks", "migrate-disks", 'l'},
		{},
	};
	_cleanup_(domain_call_done) DomainCall dc = {
		.cmd = command_find(migrate_commands, "migrate"),
		.flags = flags,
		.n_min = 1,
		.n_max = 1,
	};
	_cleanup_free_ char *destination = NULL;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	destination = destination_of(dc.pos[0]);
	if (!destination)
		return error_report(NULL, -ENOMEM);
	r = domain_call_job(ctl, &dc, "Migrate", "migration", domain_call_has(&dc, "verbose"), "s",
			    destination);
	if (r >= 0)
		return r;
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "name", json_object_new_string(dc.info.name));
			json_object_object_add(doc, "uuid", json_object_new_string(dc.info.uuid));
			json_object_object_add(doc, "destination", json_object_new_string(destination));
		}
		return command_print_json(doc);
	}
	printf("Domain '%s' migrated to %s\n\n", dc.info.name, destination);
	return ZVIRTCTL_EXIT_OK;
}

/* DOMAIN NUMBER: method(t, {}). */
static int set_number(Ctl *ctl, const char *name, const char *method, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = {
		.cmd = command_find(migrate_commands, name),
		.n_min = 1,
		.n_max = 1,
		.path_only = true,
	};
	uint64_t v;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	if (parse_u64(dc.pos[0], &v) < 0)
		return error_usage(dc.cmd, "'%s' is not a number", dc.pos[0]);
	r = domain_call(ctl, &dc, method, NULL, "t", v);
	if (r >= 0)
		return r;
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc,
					       strcmp(method, "SetMigrationMaxSpeed") == 0
						       ? "bandwidth-MiBps"
						       : "downtime-ms",
					       json_object_new_uint64(v));
		return command_print_json(doc);
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
	_cleanup_(domain_call_done) DomainCall dc = {
		.cmd = command_find(migrate_commands, "migrate-getspeed"),
		.path_only = true,
	};
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint64_t v;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = domain_call(ctl, &dc, "GetMigrationMaxSpeed", &reply, NULL);
	if (r >= 0)
		return r;
	r = sd_bus_message_read(reply, "t", &v);
	if (r < 0)
		return error_report(NULL, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, "bandwidth-MiBps", json_object_new_uint64(v));
		return command_print_json(doc);
	}
	printf("%" PRIu64 "\n\n", v);
	return ZVIRTCTL_EXIT_OK;
}

const Command migrate_commands[] = {
	{"migrate", run_migrate,
	 "DOMAIN DESTINATION [--live] [--persistent] [--undefinesource] [--suspend] [--auto-converge] "
	 "[--timeout SECONDS] [--bandwidth MiBps] [--downtime MS] [--copy-storage-all|--copy-storage-inc] "
	 "[--migrate-disks TARGET,...] [--verbose]",
	 "move the guest to another zvirtd host (qemu+ssh://HOST/system, ssh://HOST or a D-Bus address)"},
	{"migrate-setmaxdowntime", run_migrate_setmaxdowntime, "DOMAIN MS",
	 "how long the guest may stop for a migration's last pass"},
	{"migrate-setspeed", run_migrate_setspeed, "DOMAIN MiBps",
	 "the bandwidth of the domain's migrations"},
	{"migrate-getspeed", run_migrate_getspeed, "DOMAIN", "the bandwidth of the domain's migrations"},
	{},
};
