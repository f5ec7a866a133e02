/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The connection to zvirtd's bus: the system bus, -c ADDRESS or -H HOST. */

#include "zvirtctl.h"

/* Opens ctl->bus as ctl->connect / ctl->host say, and decides
 * ctl->interactive. 0, or negative errno with error set. */
int connection_open(Ctl *ctl, sd_bus_error *error);
void connection_close(Ctl *ctl);
/* For a command, after its options were parsed: opens the connection
 * once. -1 when it is open, else the exit code after printing why. */
int connection_ensure(Ctl *ctl);
