/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Domain.Migrate's destination: how the source reaches the destination
 * daemon's bus. "ssh://[user@]host[:port]" goes through ssh and
 * systemd-stdio-bridge (sd_bus_open_system_remote's "[user@]host[:port]"
 * form); anything else is a D-Bus address of the destination's system
 * bus ("unix:path=/run/dbus/system_bus_socket", a tunnelled socket, a
 * test's private bus). */

#include <stdbool.h>

typedef struct MigrationDestination {
	bool ssh;
	char *host;    /* ssh: "[user@]host[:port]", as sd_bus_open_system_remote takes it */
	char *address; /* otherwise: the D-Bus address */
	char *peer;    /* for messages and HostsAllow: the host name, or the address */
} MigrationDestination;

/* -EINVAL with a message in *ret_error (malloc'd) for a destination that
 * is neither (a host name with shell or option characters, an empty
 * one, an address without a transport); -ENOMEM. */
int migration_destination_parse(const char *s, MigrationDestination *ret, char **ret_error);
void migration_destination_done(MigrationDestination *d);
