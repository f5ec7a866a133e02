/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "errors.h"
#include "lookup.h"
#include "util/cleanup.h"

static bool looks_like_uuid(const char *s)
{
	size_t n = strlen(s), digits = 0;

	if (n != 32 && n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = n == 36 && (i == 8 || i == 13 || i == 18 || i == 23);
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
		digits += !dash;
	}
	return digits == 32;
}

/* An id: digits only, as virsh reads one. -1 when it is not one. */
static long parse_id(const char *s)
{
	char *end;
	long id;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9)
		return -1;
	id = strtol(s, &end, 10);
	return *end ? -1 : id;
}

static int lookup_by_id(Ctl *ctl, long id, char **ret_path, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	const char *path;
	int r;

	r = call_new(ctl, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", &m);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = call_option_bool(m, "active", true);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot build the call: %m");
	r = call_run(ctl, m, error, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "o");
	while (r >= 0 && (r = sd_bus_message_read(reply, "o", &path)) > 0) {
		int32_t domid;
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

		/* One that stopped meanwhile is simply not this id. */
		if (sd_bus_get_property_trivial(ctl->bus, ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE, "Id", &e,
						'i', &domid) < 0)
			continue;
		if (domid == id) {
			*ret_path = strdup(path);
			return *ret_path ? 1 : -ENOMEM;
		}
	}
	return r < 0 ? sd_bus_error_set_errnof(error, r, "Cannot read the domain list: %m") : 0;
}

/* 1 and the path, 0 when the daemon has no such domain, or an error. */
static int lookup_by(Ctl *ctl, const char *method, const char *arg, char **ret_path, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *path;
	int r;

	r = call_string(ctl, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, method, arg, &e, &reply);
	if (r < 0) {
		if (sd_bus_error_has_name(&e, ZVIRT_ERROR_NO_SUCH_DOMAIN))
			return 0;
		sd_bus_error_move(error, &e);
		return r;
	}
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot read the reply of %s: %m", method);
	*ret_path = strdup(path);
	return *ret_path ? 1 : -ENOMEM;
}

int domain_lookup(Ctl *ctl, const char *spec, char **ret_path, sd_bus_error *error)
{
	long id = parse_id(spec);
	int r;

	if (id >= 0) {
		r = lookup_by_id(ctl, id, ret_path, error);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	if (looks_like_uuid(spec)) {
		r = lookup_by(ctl, "LookupDomainByUUID", spec, ret_path, error);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	r = lookup_by(ctl, "LookupDomainByName", spec, ret_path, error);
	if (r != 0)
		return r < 0 ? r : 0;
	return sd_bus_error_setf(error, ZVIRT_ERROR_NO_SUCH_DOMAIN,
				 "Domain not found: no domain with a matching name, UUID or id '%s'", spec);
}
