/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Method calls on org.zvirt1 with their trailing a{sv} options:
 *
 *   call_new(ctl, path, iface, "Start", &m);   then the positional
 *   arguments, then call_options_open(m), call_option_bool(m, "paused", true)
 *   ..., and call_run(ctl, m, error, &reply), which adds
 *   auth.no_user_interaction and closes the options. */

#include <stdbool.h>
#include <stdint.h>

#include "zvirtctl.h"

int call_new(Ctl *ctl, const char *path, const char *iface, const char *method, sd_bus_message **ret);
int call_options_open(sd_bus_message *m);
int call_option_bool(sd_bus_message *m, const char *key, bool value);
int call_option_u32(sd_bus_message *m, const char *key, uint32_t value);
int call_option_u64(sd_bus_message *m, const char *key, uint64_t value);
/* key: "as" from "vdb,vdc" (virsh's comma-separated lists). */
int call_option_list(sd_bus_message *m, const char *key, const char *comma_list);
int call_option_string(sd_bus_message *m, const char *key, const char *value);
int call_run(Ctl *ctl, sd_bus_message *m, sd_bus_error *error, sd_bus_message **reply);

/* A method that takes only the options (most Domain calls), with none set. */
int call_simple(Ctl *ctl, const char *path, const char *iface, const char *method, sd_bus_error *error,
		sd_bus_message **reply);
/* A method that takes a string and the options (Manager's XML calls). */
int call_string(Ctl *ctl, const char *path, const char *iface, const char *method, const char *arg,
		sd_bus_error *error, sd_bus_message **reply);

/* Properties.GetAll of iface at path, each property to read_one (the
 * message at its variant, which read_one reads or skips). The call's
 * failure as sd_bus_call (error set); a reply read_one cannot take,
 * negative errno with error unset. */
int call_get_all(Ctl *ctl, const char *path, const char *iface,
		 int (*read_one)(sd_bus_message *m, const char *key, void *userdata), void *userdata,
		 sd_bus_error *error);
