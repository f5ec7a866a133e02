/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain.GetStats read into JSON (domain-stats.h). */
#include "domain-stats.h"

#include <stdio.h>

#include "call.h"
#include "dict-json.h"
#include "util/cleanup.h"

int domain_stats_get(Ctl *ctl, const char *path, json_object **ret, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r = call_simple(ctl, path, ZVIRT_DOMAIN_IFACE, "GetStats", error, &reply);

	if (r < 0)
		return r;
	r = dict_json_read(reply, ret);
	return r < 0 ? sd_bus_error_set_errnof(error, r, "Cannot read the statistics: %m") : 0;
}

const char *domain_stat_string(json_object *stats, const char *group, unsigned n, const char *field)
{
	char key[64];
	json_object *v;

	snprintf(key, sizeof(key), "%s.%u.%s", group, n, field);
	return json_object_object_get_ex(stats, key, &v) ? json_object_get_string(v) : NULL;
}

int64_t domain_stat_count(json_object *stats, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(stats, key, &v) ? json_object_get_int64(v) : 0;
}
