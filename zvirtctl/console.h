/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The guest's console on this terminal, as virsh console: OpenConsole's
 * socket, the terminal raw, Ctrl-] to leave. */

#include <stdbool.h>

#include "zvirtctl.h"

/* Relays until Ctrl-], the end of stdin, or the console's end (the
 * domain stopped). The exit code, after printing a failure. */
int console_attach(Ctl *ctl, const char *path, const char *name, bool force);
