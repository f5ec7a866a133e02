/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every command gets: the connection and the output mode. */

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#define ZVIRT_BUS_NAME      "org.zvirt1"
#define ZVIRT_MANAGER_PATH  "/org/zvirt1"
#define ZVIRT_MANAGER_IFACE "org.zvirt1.Manager"
#define ZVIRT_DOMAIN_IFACE  "org.zvirt1.Domain"
#define ZVIRT_HOST_PATH     "/org/zvirt1/host"
#define ZVIRT_HOST_IFACE    "org.zvirt1.Host"

typedef struct Ctl {
	sd_bus *bus;
	const char *connect; /* -c: a D-Bus address, NULL for the system bus */
	const char *host;    /* -H: [USER@]HOST over ssh */
	bool json;
	/* On a terminal polkit may ask for a password: the message allows
	 * interactive authorization and the options do not forbid it. */
	bool interactive;
	pid_t agent_pid; /* pkttyagent, 0 when none was started */
} Ctl;

typedef struct Command {
	const char *name;
	int (*run)(Ctl *ctl, int argc, char **argv);
	const char *synopsis; /* the arguments, for --help and usage errors */
	const char *summary;
} Command;

/* Each command group's table, ending with a zeroed entry. */
extern const Command lifecycle_commands[];
extern const Command info_commands[];
extern const Command define_commands[];
extern const Command edit_commands[];
extern const Command console_commands[];
extern const Command job_commands[];
extern const Command resources_commands[];
extern const Command stats_commands[];
extern const Command devices_commands[];
extern const Command migrate_commands[];
extern const Command host_commands[];
extern const Command s390_commands[];
extern const Command event_commands[];
extern const Command interface_commands[];
extern const Command disk_commands[];
extern const Command daemon_commands[];
