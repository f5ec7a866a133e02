/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reads /etc/zvirtd/zvirtd.conf (or -f FILE) into a Settings. */

#include <stdbool.h>

#include "conf/settings.h"

/* Loads path and then path + ".d"/ *.conf drop-ins in lexical (strcmp) order
 * into a fresh Settings initialised with defaults; later assignments win. A
 * missing main file is fine only if allow_missing; a missing drop-in directory
 * is always fine. An empty value ("Key=") resets the key to its default.
 *
 * On success *ret is overwritten (the caller releases the previous contents
 * with settings_done()). On error returns negative errno, leaves *ret
 * untouched — so a reload that fails keeps the old settings — and, if
 * ret_error is not NULL, sets it to a malloc'd "FILE:LINE: what is wrong"
 * (or "FILE: what is wrong" when no line applies; NULL if even that could
 * not be allocated). */
int config_load(const char *path, bool allow_missing, Settings *ret, char **ret_error);

/* Points util/log at s->log_target and s->log_level. */
int config_apply_log(const Settings *s);
