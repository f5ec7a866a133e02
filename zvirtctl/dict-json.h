/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An a{sv} of the API (statistics, host lists) as a JSON object. */

#include <json-c/json.h>
#include <systemd/sd-bus.h>

/* Reads one a{sv} from m into *ret: strings, booleans and integers as
 * themselves, string arrays as arrays; other types are skipped. 0 or
 * negative errno. */
int dict_json_read(sd_bus_message *m, json_object **ret);
