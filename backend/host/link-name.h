/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether a string can name a network link: what the kernel's
 * dev_valid_name() takes (1 to 15 bytes, not "." or "..", no '/', ':'
 * or white space), checked before anything is asked of the kernel so
 * that the caller hears what is wrong with the name. */

#include <stdbool.h>

#include "util/error.h"

/* IFNAMSIZ less the NUL. */
#define HOST_LINK_NAME_MAX 15

/* 0, or -EINVAL with ZV_ERROR_INVALID_ARGUMENT saying why; what names
 * the argument in the message ("bond name", "slave"). */
int host_link_name_check(const char *name, const char *what, ZvError *err);
