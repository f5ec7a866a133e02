/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* OpenConsole: a socket whose other end the daemon relays to and from
 * the guest's pty console, one client at a time. */

#include <stdbool.h>

#include "domain.h"
#include "util/error.h"

/* The caller's end of a new stream socket connected to the console of
 * the active domain d (its SCLP console, else its line-mode one, if it
 * is a pty), in *ret_fd, owned by the caller. Busy when another client
 * has the console, unless force: then that client's socket is closed
 * and this one takes over. OperationInvalid when d is not active or has
 * no pty console; HostError when the pty cannot be opened. */
int domain_open_console(Domain *d, bool force, int *ret_fd, ZvError *err);
