/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The definition commands: define, undefine, dumpxml, validate,
 * domxml-to-native, autostart. */

#include <errno.h>
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

/* Boolean options of one command: --option sets key true. */
typedef struct BoolOption {
	const char *option;
	const char *key;
} BoolOption;

#define MAX_BOOLS 4

/* Parses a command's common options and its bools (set[i] for each). -1 or the exit code. */
static int parse_bools(Ctl *ctl, const Command *cmd, CommandArgs *args, int argc, char **argv,
		       const BoolOption *bools, size_t n, bool *set)
{
	struct option options[4 + MAX_BOOLS] = {COMMAND_COMMON_OPTIONS};
	int c, r;

	for (size_t i = 0; i < n; i++)
		options[3 + i] = (struct option){bools[i].option, no_argument, NULL, OPT_FIRST_OWN + (int)i};
	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		if (c >= OPT_FIRST_OWN && c < OPT_FIRST_OWN + (int)n) {
			set[c - OPT_FIRST_OWN] = true;
			continue;
		}
		r = command_common_option(ctl, cmd, args, argv, c);
		if (r >= 0)
			return r;
	}
	return -1;
}

static int append_bools(sd_bus_message *m, const BoolOption *bools, size_t n, const bool *set)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i++)
		if (set[i])
			r = call_option_bool(m, bools[i].key, true);
	return r;
}

static int print_text(Ctl *ctl, const char *key, const char *text)
{
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc)
			json_object_object_add(doc, key, json_object_new_string(text));
		int r = output_json(doc, true);
		return r < 0 ? error_report(NULL, r) : ZVIRTCTL_EXIT_OK;
	}
	fputs(text, stdout);
	if (!*text || text[strlen(text) - 1] != '\n')
		putchar('\n');
	return ZVIRTCTL_EXIT_OK;
}

/* ---- define, validate ---- */

/* A command whose one argument is a file (and bools); reads it. -1 or the exit code. */
static int file_argument_bools(Ctl *ctl, const Command *cmd, int argc, char **argv, const BoolOption *bools,
			       size_t n, bool *set, const char **ret_file, char **ret_text)
{
	CommandArgs args = {0};
	char **pos;
	int r = parse_bools(ctl, cmd, &args, argc, argv, bools, n, set);

	if (r >= 0)
		return r;
	if (args.domain)
		return error_usage(cmd, "%s takes a FILE, not a domain", cmd->name);
	r = command_positional(cmd, NULL, argc, argv, 1, &pos);
	if (r >= 0)
		return r;
	*ret_file = pos[0];
	r = command_read_file(pos[0], ret_text);
	if (r >= 0)
		return r;
	return connection_ensure(ctl);
}

static int file_argument(Ctl *ctl, const Command *cmd, int argc, char **argv, const char **ret_file,
			 char **ret_text)
{
	return file_argument_bools(ctl, cmd, argc, argv, NULL, 0, NULL, ret_file, ret_text);
}

static int run_define(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	_cleanup_free_ char *xml = NULL;
	const char *file = NULL, *path;
	int r = file_argument(ctl, command_find(define_commands, "define"), argc, argv, &file, &xml);

	if (r >= 0)
		return r;
	r = call_string(ctl, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DefineXML", xml, &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0)
		r = domain_info_get(ctl, path, &info, &error);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		r = output_json(domain_info_json(&info), true);
		return r < 0 ? error_report(NULL, r) : ZVIRTCTL_EXIT_OK;
	}
	printf("Domain '%s' defined from %s\n\n", info.name, file);
	return ZVIRTCTL_EXIT_OK;
}

/* create FILE: a transient domain, started. */
static int run_create(Ctl *ctl, int argc, char **argv)
{
	static const BoolOption bools[] = {
		{"paused", "paused"},
	};
	bool set[ELEMENTSOF(bools)] = {0};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	_cleanup_free_ char *xml = NULL;
	const char *file = NULL, *path;
	int r = file_argument_bools(ctl, command_find(define_commands, "create"), argc, argv, bools,
				    ELEMENTSOF(bools), set, &file, &xml);

	if (r >= 0)
		return r;
	r = call_new(ctl, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "CreateXML", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "s", xml);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = append_bools(m, bools, ELEMENTSOF(bools), set);
	if (r < 0)
		return error_report(NULL, r);
	r = call_run(ctl, m, &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0)
		r = domain_info_get(ctl, path, &info, &error);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		r = output_json(domain_info_json(&info), true);
		return r < 0 ? error_report(NULL, r) : ZVIRTCTL_EXIT_OK;
	}
	printf("Domain '%s' created from %s\n\n", info.name, file);
	return ZVIRTCTL_EXIT_OK;
}

static int run_validate(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_strv_free_ char **warnings = NULL;
	_cleanup_free_ char *xml = NULL;
	const char *file = NULL;
	int r = file_argument(ctl, command_find(define_commands, "validate"), argc, argv, &file, &xml);

	if (r >= 0)
		return r;
	r = call_string(ctl, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ValidateXML", xml, &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read_strv(reply, &warnings);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json) {
		json_object *doc = json_object_new_object(), *arr = json_object_new_array();
		if (doc && arr) {
			for (char **w = warnings; w && *w; w++)
				json_object_array_add(arr, json_object_new_string(*w));
			json_object_object_add(doc, "file", json_object_new_string(file));
			json_object_object_add(doc, "valid", json_object_new_boolean(true));
			json_object_object_add(doc, "warnings", arr);
		} else
			json_object_put(arr);
		r = output_json(doc, true);
		return r < 0 ? error_report(NULL, r) : ZVIRTCTL_EXIT_OK;
	}
	for (char **w = warnings; w && *w; w++)
		fprintf(stderr, "warning: %s\n", *w);
	printf("%s validates\n", file);
	return ZVIRTCTL_EXIT_OK;
}

/* ---- domxml-to-native FORMAT FILE ---- */

static int run_domxml_to_native(Ctl *ctl, int argc, char **argv)
{
	const Command *cmd = command_find(define_commands, "domxml-to-native");
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_free_ char *xml = NULL, *path = NULL;
	CommandArgs args = {0};
	const char *native;
	char **pos;
	int r = parse_bools(ctl, cmd, &args, argc, argv, NULL, 0, NULL);

	if (r >= 0)
		return r;
	/* virsh: FORMAT FILE, or FORMAT --domain DOMAIN for its XML. */
	r = command_positional(cmd, NULL, argc, argv, args.domain ? 1 : 2, &pos);
	if (r >= 0)
		return r;
	if (!args.domain) {
		r = command_read_file(pos[1], &xml);
		if (r >= 0)
			return r;
	}
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	if (args.domain) {
		r = command_domain_path(ctl, &args, &path);
		if (r >= 0)
			return r;
		r = call_simple(ctl, path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", &error, &reply);
		const char *s;
		if (r >= 0)
			r = sd_bus_message_read(reply, "s", &s);
		if (r >= 0 && !(xml = strdup(s)))
			r = -ENOMEM;
		if (r < 0)
			return error_report(&error, r);
		reply = sd_bus_message_unref(reply);
	}
	r = call_new(ctl, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainXMLToNative", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", pos[0], xml);
	if (r >= 0)
		r = call_options_open(m);
	if (r < 0)
		return error_report(NULL, r);
	r = call_run(ctl, m, &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &native);
	if (r < 0)
		return error_report(&error, r);
	return print_text(ctl, "native", native);
}

/* ---- the one-domain commands ---- */

#define DOMAIN_CALL(name, ...)                                          \
	{                                                               \
		.cmd = command_find(define_commands, name), __VA_ARGS__ \
	}

static int run_dumpxml(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {
		{"inactive", "inactive", 'b'},
		{"migratable", "migratable", 'b'},
		{"security-info", "security-info", 'b'},
		{"update-cpu", "update-cpu", 'b'},
		{},
	};
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL("dumpxml", .flags = flags, .path_only = true);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *xml;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = domain_call(ctl, &dc, "GetXMLDesc", &reply, NULL);
	if (r >= 0)
		return r;
	r = sd_bus_message_read(reply, "s", &xml);
	if (r < 0)
		return error_report(NULL, r);
	return print_text(ctl, "xml", xml);
}

static int run_undefine(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {
		{"managed-save", "managed-save", 'b'},
		{"keep-running", "keep-running", 'b'},
		{},
	};
	_cleanup_(domain_call_done) DomainCall dc = DOMAIN_CALL("undefine", .flags = flags);
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	r = domain_call(ctl, &dc, "Undefine", NULL, NULL);
	if (r >= 0)
		return r;
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		if (doc) {
			json_object_object_add(doc, "name", json_object_new_string(dc.info.name));
			json_object_object_add(doc, "uuid", json_object_new_string(dc.info.uuid));
			json_object_object_add(doc, "undefined", json_object_new_boolean(true));
		}
		return command_print_json(doc);
	}
	printf("Domain '%s' has been undefined\n\n", dc.info.name);
	return ZVIRTCTL_EXIT_OK;
}

static int run_autostart(Ctl *ctl, int argc, char **argv)
{
	static const CommandFlag flags[] = {{"disable", NULL, 'b'}, {}};
	_cleanup_(domain_call_done) DomainCall dc =
		DOMAIN_CALL("autostart", .flags = flags, .path_only = true);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	bool disable = domain_call_has(&dc, "disable");
	/* A writable property: the bus's interactive flag is the only say. */
	r = sd_bus_set_property(ctl->bus, ZVIRT_BUS_NAME, dc.info.path, ZVIRT_DOMAIN_IFACE, "Autostart",
				&error, "b", (int)!disable);
	if (r >= 0)
		r = domain_info_get(ctl, dc.info.path, &info, &error);
	if (r < 0)
		return error_report(&error, r);
	if (ctl->json)
		return command_print_json(domain_info_json(&info));
	printf("Domain '%s' %s as autostarted\n\n", info.name, disable ? "unmarked" : "marked");
	return ZVIRTCTL_EXIT_OK;
}

const Command define_commands[] = {
	{"define", run_define, "FILE", "define (or redefine) a domain from an XML file (- for stdin)"},
	{"create", run_create, "FILE [--paused]", "start a transient domain from an XML file"},
	{"undefine", run_undefine, "DOMAIN [--managed-save] [--keep-running]",
	 "remove a domain's definition (and its managed-save image)"},
	{"dumpxml", run_dumpxml, "DOMAIN [--inactive] [--migratable] [--security-info] [--update-cpu]",
	 "a domain's XML"},
	{"validate", run_validate, "FILE", "check a domain XML file as define would, defining nothing"},
	{"domxml-to-native", run_domxml_to_native, "qemu-argv {FILE | --domain DOMAIN}",
	 "the QEMU command line a start of this XML would run"},
	{"autostart", run_autostart, "DOMAIN [--disable]", "start a domain with the host (or not)"},
	{},
};
