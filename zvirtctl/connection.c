/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "connection.h"
#include "errors.h"
#include "polkit-agent.h"
#include "util/cleanup.h"

static int open_address(const char *address, sd_bus **ret)
{
	sd_bus *bus = NULL;
	int r = sd_bus_new(&bus);

	if (r < 0)
		return r;
	r = sd_bus_set_address(bus, address);
	/* A bus, not a peer: zvirtd refuses calls without a sender. */
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, true);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		sd_bus_unref(bus);
		return r;
	}
	*ret = bus;
	return 0;
}

int connection_open(Ctl *ctl, sd_bus_error *error)
{
	const char *what;
	int r;

	if (ctl->connect && ctl->host)
		return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
					"-c/--connect and -H/--host exclude each other");
	if (ctl->connect) {
		what = ctl->connect;
		if (!strchr(ctl->connect, ':'))
			return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						 "'%s' is not a D-Bus address (unix:path=..., tcp:host=...)",
						 ctl->connect);
		r = open_address(ctl->connect, &ctl->bus);
	} else if (ctl->host) {
		what = ctl->host;
		r = sd_bus_open_system_remote(&ctl->bus, ctl->host);
		/* ssh runs meanwhile; wait for the bus's Hello there, so that a
		 * login ssh could not make (it said why on stderr) is told as
		 * the connection's failure, not as the first call's ENOTCONN. */
		const char *unique;
		if (r >= 0)
			r = sd_bus_get_unique_name(ctl->bus, &unique);
		if (r < 0) {
			ctl->bus = sd_bus_close_unref(ctl->bus);
			return sd_bus_error_setf(error, SD_BUS_ERROR_NO_SERVER,
						 "Cannot reach the system bus of %s over ssh and "
						 "systemd-stdio-bridge: %s",
						 what, strerror(-r));
		}
	} else {
		what = "the system bus";
		r = sd_bus_open_system(&ctl->bus);
	}
	if (r < 0)
		/* Not the caller's argument that is wrong, most likely: no daemon there. */
		return sd_bus_error_setf(error, SD_BUS_ERROR_NO_SERVER, "Cannot connect to %s: %s", what,
					 strerror(-r));

	/* As systemctl: a person at a terminal may be asked for a password;
	 * a script never waits for one. */
	ctl->interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	r = sd_bus_set_allow_interactive_authorization(ctl->bus, ctl->interactive);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot set up the connection: %s", strerror(-r));
	/* The agent talks to the local polkit; a remote host's asks its own. */
	if (ctl->interactive && !ctl->host)
		polkit_agent_open(ctl);
	return 0;
}

void connection_close(Ctl *ctl)
{
	polkit_agent_close(ctl);
	ctl->bus = sd_bus_flush_close_unref(ctl->bus);
}

int connection_ensure(Ctl *ctl)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	if (ctl->bus)
		return -1;
	r = connection_open(ctl, &error);
	return r < 0 ? error_report(&error, r) : -1;
}
