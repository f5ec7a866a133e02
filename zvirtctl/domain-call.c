/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "command.h"
#include "connection.h"
#include "domain-call.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

void domain_call_done(DomainCall *dc)
{
	domain_info_done(&dc->info);
}

static int flag_index(const DomainCall *dc, const char *option)
{
	for (int i = 0; dc->flags && dc->flags[i].option; i++)
		if (strcmp(dc->flags[i].option, option) == 0)
			return i;
	abort(); /* a command asking for an option it has not */
}

const char *domain_call_value(const DomainCall *dc, const char *option)
{
	return dc->values[flag_index(dc, option)];
}

bool domain_call_has(const DomainCall *dc, const char *option)
{
	return domain_call_value(dc, option) != NULL;
}

static int parse_number(const char *s, uint64_t *ret)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* A value option's check at parse time; -1 or the exit code. */
static int flag_value(const DomainCall *dc, size_t i, const char *value, uint64_t *ret)
{
	const CommandFlag *f = &dc->flags[i];

	if (f->kind == 't' && parse_number(value, ret) < 0)
		return error_usage(dc->cmd, "'%s' is not a number", value);
	if (f->kind == 'S') {
		if (parse_number(value, ret) < 0 || *ret > UINT64_MAX / 1000)
			return error_usage(dc->cmd, "--%s takes whole seconds, not '%s'", f->option, value);
		*ret *= 1000;
	}
	return -1;
}

int domain_call_parse(Ctl *ctl, DomainCall *dc, int argc, char **argv)
{
	struct option options[4 + COMMAND_MAX_FLAGS] = {COMMAND_COMMON_OPTIONS};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *path = NULL;
	CommandArgs args = {0};
	size_t n = 0;
	int c, r;

	for (; dc->flags && dc->flags[n].option; n++) {
		assert(n < COMMAND_MAX_FLAGS);
		bool value = strchr("stSvl", dc->flags[n].kind) != NULL;
		options[3 + n] =
			(struct option){dc->flags[n].option, value ? required_argument : no_argument, NULL,
					OPT_FIRST_OWN + (int)n};
	}
	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		if (c >= OPT_FIRST_OWN && c < OPT_FIRST_OWN + (int)n) {
			size_t i = (size_t)(c - OPT_FIRST_OWN);
			dc->values[i] = optarg ? optarg : "";
			if (optarg && (r = flag_value(dc, i, optarg, &dc->numbers[i])) >= 0)
				return r;
			continue;
		}
		r = command_common_option(ctl, dc->cmd, &args, argv, c);
		if (r >= 0)
			return r;
		if (dc->host && args.domain)
			return error_usage(dc->cmd, "%s takes no domain", dc->cmd->name);
	}
	/* Between n_min and n_max: as many as there are, the count checked. */
	int extra = argc - optind - (dc->host || args.domain ? 0 : 1);
	dc->n_pos = extra < dc->n_min ? dc->n_min : extra > dc->n_max ? dc->n_max : extra;
	r = command_positional(dc->cmd, dc->host ? NULL : &args, argc, argv, dc->n_pos + !dc->host,
			       &dc->pos);
	if (r >= 0)
		return r;
	r = connection_ensure(ctl);
	if (r >= 0 || dc->host)
		return r;
	r = command_domain_path(ctl, &args, &path);
	if (r >= 0)
		return r;
	if (dc->path_only) {
		dc->info.path = TAKE_PTR(path);
		return -1;
	}
	r = domain_info_get(ctl, path, &dc->info, &error);
	return r < 0 ? error_report(&error, r) : -1;
}

int domain_call_append_flags(sd_bus_message *m, const DomainCall *dc)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && dc->flags && dc->flags[i].option; i++) {
		const CommandFlag *f = &dc->flags[i];
		if (!dc->values[i] || !f->key)
			continue;
		switch (f->kind) {
		case 'b':
			r = call_option_bool(m, f->key, true);
			break;
		case 's':
			r = call_option_string(m, f->key, dc->values[i]);
			break;
		case 'l':
			r = call_option_list(m, f->key, dc->values[i]);
			break;
		case 't':
		case 'S':
			r = call_option_u64(m, f->key, dc->numbers[i]);
			break;
		}
	}
	return r;
}

static int method_v(Ctl *ctl, const DomainCall *dc, const char *path, const char *iface, const char *method,
		    int (*extra)(sd_bus_message *m, const DomainCall *dc), sd_bus_error *error,
		    sd_bus_message **reply, const char *types, va_list ap)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	if (!path)
		path = dc->path ? dc->path : dc->host ? ZVIRT_HOST_PATH : dc->info.path;
	if (!iface)
		iface = dc->iface ? dc->iface : dc->host ? ZVIRT_HOST_IFACE : ZVIRT_DOMAIN_IFACE;
	r = call_new(ctl, path, iface, method, &m);

	if (r >= 0 && types)
		r = sd_bus_message_appendv(m, types, ap);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = domain_call_append_flags(m, dc);
	if (r >= 0 && extra)
		r = extra(m, dc);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot build the call: %m");
	return call_run(ctl, m, error, reply);
}

int domain_call_method(Ctl *ctl, const DomainCall *dc, const char *path, const char *iface,
		       const char *method, int (*extra)(sd_bus_message *m, const DomainCall *dc),
		       sd_bus_error *error, sd_bus_message **reply, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int r = method_v(ctl, dc, path, iface, method, extra, error, reply, types, ap);
	va_end(ap);
	return r;
}

int domain_call(Ctl *ctl, const DomainCall *dc, const char *method, sd_bus_message **reply,
		const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	va_list ap;

	va_start(ap, types);
	int r = method_v(ctl, dc, NULL, NULL, method, NULL, &error, reply, types, ap);
	va_end(ap);
	return r < 0 ? error_report(&error, r) : -1;
}

int domain_call_job(Ctl *ctl, const DomainCall *dc, const char *method, const char *what, bool verbose,
		    const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(job_watch_done) JobWatch watch = {0};
	const char *job;
	va_list ap;
	/* Listening first: a short job's end is not missed. */
	int r = job_watch_begin(ctl, &watch, &error);

	if (r >= 0) {
		va_start(ap, types);
		r = method_v(ctl, dc, NULL, NULL, method, NULL, &error, &reply, types, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &job);
	if (r < 0)
		return error_report(&error, r);
	r = job_wait(ctl, &watch, job, what, verbose);
	return r == ZVIRTCTL_EXIT_OK ? -1 : r;
}

int domain_call_print_json(Ctl *ctl, const char *path)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(domain_info_done) DomainInfo now = {0};
	int r = domain_info_get(ctl, path, &now, &error);

	if (r < 0)
		return error_report(&error, r);
	return command_print_json(domain_info_json(&now));
}
