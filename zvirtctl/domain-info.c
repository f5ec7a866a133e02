/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain-info.h"

#include "call.h"
#include "util/cleanup.h"

static int read_string(sd_bus_message *m, char **ret)
{
	const char *s;
	int r = sd_bus_message_read(m, "v", "s", &s);

	if (r < 0)
		return r;
	free(*ret);
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int read_bool(sd_bus_message *m, bool *ret)
{
	int b, r = sd_bus_message_read(m, "v", "b", &b);

	if (r >= 0)
		*ret = b;
	return r;
}

static int read_property(sd_bus_message *m, const char *key, void *userdata)
{
	DomainInfo *info = userdata;

	if (strcmp(key, "Name") == 0)
		return read_string(m, &info->name);
	if (strcmp(key, "UUID") == 0)
		return read_string(m, &info->uuid);
	if (strcmp(key, "State") == 0)
		return read_string(m, &info->state);
	if (strcmp(key, "StateReason") == 0)
		return read_string(m, &info->reason);
	if (strcmp(key, "Id") == 0)
		return sd_bus_message_read(m, "v", "i", &info->id);
	if (strcmp(key, "Persistent") == 0)
		return read_bool(m, &info->persistent);
	if (strcmp(key, "Autostart") == 0)
		return read_bool(m, &info->autostart);
	if (strcmp(key, "HasManagedSave") == 0)
		return read_bool(m, &info->managed_save);
	if (strcmp(key, "VCPUs") == 0)
		return sd_bus_message_read(m, "v", "u", &info->vcpus);
	if (strcmp(key, "MaxVCPUs") == 0)
		return sd_bus_message_read(m, "v", "u", &info->max_vcpus);
	if (strcmp(key, "Memory") == 0)
		return sd_bus_message_read(m, "v", "t", &info->memory);
	if (strcmp(key, "MaxMemory") == 0)
		return sd_bus_message_read(m, "v", "t", &info->max_memory);
	if (strcmp(key, "CPUTime") == 0)
		return sd_bus_message_read(m, "v", "t", &info->cpu_time);
	return sd_bus_message_skip(m, "v");
}

int domain_info_get(Ctl *ctl, const char *path, DomainInfo *ret, sd_bus_error *error)
{
	DomainInfo info = {.id = -1};
	int r = call_get_all(ctl, path, ZVIRT_DOMAIN_IFACE, read_property, &info, error);

	if (r < 0 && sd_bus_error_is_set(error)) {
		domain_info_done(&info);
		return r;
	}
	if (r >= 0 && !(info.path = strdup(path)))
		r = -ENOMEM;
	if (r >= 0 && (!info.name || !info.uuid || !info.state || !info.reason))
		r = -EBADMSG;
	if (r < 0) {
		domain_info_done(&info);
		return sd_bus_error_set_errnof(error, r, "Cannot read the properties of %s: %m", path);
	}
	*ret = info;
	return 0;
}

void domain_info_done(DomainInfo *info)
{
	free(info->path);
	free(info->name);
	free(info->uuid);
	free(info->state);
	free(info->reason);
	*info = (DomainInfo){.id = -1};
}

const char *domain_state_words(const char *state)
{
	if (strcmp(state, "shut-off") == 0)
		return "shut off";
	if (strcmp(state, "in-shutdown") == 0)
		return "in shutdown";
	return state;
}

json_object *domain_info_json(const DomainInfo *info)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(info->name));
	json_object_object_add(o, "uuid", json_object_new_string(info->uuid));
	json_object_object_add(o, "id", info->id >= 0 ? json_object_new_int(info->id) : NULL);
	json_object_object_add(o, "state", json_object_new_string(info->state));
	json_object_object_add(o, "reason", json_object_new_string(info->reason));
	json_object_object_add(o, "persistent", json_object_new_boolean(info->persistent));
	json_object_object_add(o, "autostart", json_object_new_boolean(info->autostart));
	json_object_object_add(o, "managed-save", json_object_new_boolean(info->managed_save));
	return o;
}
