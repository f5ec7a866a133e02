/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A domain named as virsh names one: by id, UUID or name. */

#include "zvirtctl.h"

/* The object path of the domain `spec` names: an id of a running domain
 * (digits), a UUID (dashed or not), else a name, tried in that order as
 * virsh does. NoSuchDomain when none matches. */
int domain_lookup(Ctl *ctl, const char *spec, char **ret_path, sd_bus_error *error);
