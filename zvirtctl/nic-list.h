/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A domain's NICs, its NetworkInterface objects (<domain>/interface/<index>),
 * and the one a virsh command names: by its host device (vnet0, macvtap0)
 * or its MAC. */

#include <stddef.h>

#include "zvirtctl.h"

typedef struct Nic {
	char *path;
	char *type, *source, *mac, *model, *target, *link_state;
} Nic;

typedef struct NicList {
	Nic *nics;
	size_t n;
} NicList;

int nic_list_get(Ctl *ctl, const char *domain_path, NicList *ret, sd_bus_error *error);
void nic_list_done(NicList *l);
/* The NIC whose MAC (any case) or host device is spec, or NULL. */
const Nic *nic_list_find(const NicList *l, const char *spec);
