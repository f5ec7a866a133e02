/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Changing or removing one host link by name: ip link delete, ip link
 * set up|down, ip link set qlen. Each checks the name (InvalidArgument),
 * finds the link (NoSuchDevice) and refuses a link that belongs to a
 * domain (OperationInvalid) before it changes anything; what the kernel
 * refuses is HostError with its reason. */

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

int host_link_delete(const char *name, ZvError *err);
int host_link_set_up(const char *name, bool up, ZvError *err);
/* txqueuelen; the seed's recommendation for OSA links is 2500. */
int host_link_set_queue_length(const char *name, uint32_t qlen, ZvError *err);
