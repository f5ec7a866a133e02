/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A domain's properties, read in one GetAll. */

#include <stdbool.h>
#include <stdint.h>

#include "zvirtctl.h"

typedef struct DomainInfo {
	char *path;
	char *name;
	char *uuid;
	char *state;
	char *reason;
	int32_t id; /* -1 while inactive */
	bool persistent;
	bool autostart;
	bool managed_save;
	uint32_t vcpus;
	uint32_t max_vcpus;
	uint64_t memory;     /* bytes */
	uint64_t max_memory; /* bytes */
	uint64_t cpu_time;   /* ns */
} DomainInfo;

int domain_info_get(Ctl *ctl, const char *path, DomainInfo *ret, sd_bus_error *error);
void domain_info_done(DomainInfo *info);
/* virsh's words for a state: "shut off", "in shutdown". */
const char *domain_state_words(const char *state);

#include <json-c/json.h>

/* {"name", "uuid", "id" (null while inactive), "state", "reason",
 *  "persistent", "autostart", "managed-save"}: the keys every command's
 * JSON about a domain starts with. */
json_object *domain_info_json(const DomainInfo *info);
