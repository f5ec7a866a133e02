/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Domain.GetStats as a JSON object, and its numbered groups
 * (block.<n>.name, net.<n>.mac, ...). */

#include <json-c/json.h>
#include <stdint.h>

#include "zvirtctl.h"

/* The statistics of the domain at path: each key with its value as its
 * type says. 0, or negative errno with error set. */
int domain_stats_get(Ctl *ctl, const char *path, json_object **ret, sd_bus_error *error);
/* "<group>.<n>.<field>" as a string, NULL when absent. */
const char *domain_stat_string(json_object *stats, const char *group, unsigned n, const char *field);
/* A count ("block.count"), 0 when absent. */
int64_t domain_stat_count(json_object *stats, const char *key);
