/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "call.h"
#include "util/cleanup.h"

/* Long enough for a guest to boot under TCG, or a person to type a password. */
#define CALL_TIMEOUT_USEC (10ULL * 60 * 1000 * 1000)

int call_new(Ctl *ctl, const char *path, const char *iface, const char *method, sd_bus_message **ret)
{
	return sd_bus_message_new_method_call(ctl->bus, ret, ZVIRT_BUS_NAME, path, iface, method);
}

int call_options_open(sd_bus_message *m)
{
	return sd_bus_message_open_container(m, 'a', "{sv}");
}

int call_option_bool(sd_bus_message *m, const char *key, bool value)
{
	return sd_bus_message_append(m, "{sv}", key, "b", (int)value);
}

int call_option_u32(sd_bus_message *m, const char *key, uint32_t value)
{
	return sd_bus_message_append(m, "{sv}", key, "u", value);
}

int call_option_u64(sd_bus_message *m, const char *key, uint64_t value)
{
	return sd_bus_message_append(m, "{sv}", key, "t", value);
}

int call_option_string(sd_bus_message *m, const char *key, const char *value)
{
	return sd_bus_message_append(m, "{sv}", key, "s", value);
}

int call_option_list(sd_bus_message *m, const char *key, const char *comma_list)
{
	int r = sd_bus_message_open_container(m, 'e', "sv");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", key);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', "as");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "s");
	for (const char *p = comma_list; r >= 0 && *p;) {
		size_t n = strcspn(p, ",");
		_cleanup_free_ char *item = strndup(p, n);
		r = item ? sd_bus_message_append(m, "s", item) : -ENOMEM;
		p += n + (p[n] == ',');
	}
	for (int i = 0; r >= 0 && i < 3; i++)
		r = sd_bus_message_close_container(m);
	return r;
}

int call_run(Ctl *ctl, sd_bus_message *m, sd_bus_error *error, sd_bus_message **reply)
{
	/* Every method takes it; it says what the message flag says. */
	int r = call_option_bool(m, "auth.no_user_interaction", !ctl->interactive);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot build the call: %m");
	return sd_bus_call(ctl->bus, m, CALL_TIMEOUT_USEC, error, reply);
}

int call_simple(Ctl *ctl, const char *path, const char *iface, const char *method, sd_bus_error *error,
		sd_bus_message **reply)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r = call_new(ctl, path, iface, method, &m);

	if (r >= 0)
		r = call_options_open(m);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot build the call: %m");
	return call_run(ctl, m, error, reply);
}

int call_string(Ctl *ctl, const char *path, const char *iface, const char *method, const char *arg,
		sd_bus_error *error, sd_bus_message **reply)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r = call_new(ctl, path, iface, method, &m);

	if (r >= 0)
		r = sd_bus_message_append(m, "s", arg);
	if (r >= 0)
		r = call_options_open(m);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot build the call: %m");
	return call_run(ctl, m, error, reply);
}

int call_get_all(Ctl *ctl, const char *path, const char *iface,
		 int (*read_one)(sd_bus_message *m, const char *key, void *userdata), void *userdata,
		 sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r = sd_bus_call_method(ctl->bus, ZVIRT_BUS_NAME, path, "org.freedesktop.DBus.Properties",
				   "GetAll", error, &reply, "s", iface);

	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key;
		r = sd_bus_message_read(reply, "s", &key);
		if (r >= 0)
			r = read_one(reply, key, userdata);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	return r < 0 ? r : 0;
}
