/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What harness.c shares with harness-peer.c, not with tests: one zvirtd
 * host (its private bus, polkitd, daemon, bus connection and the signals
 * recorded on it) and the helpers that work on any host. The primary host
 * lives in harness.c, the second one in harness-peer.c.
 */

#include "harness.h"

typedef struct Tracker {
	char *path;
	bool has_baseline; /* `consumed` is valid */
	uint64_t consumed; /* sequence of the state the last wait accepted */
	size_t scan_from;  /* first recorded signal the next wait looks at */
} Tracker;

typedef struct HarnessHost {
	const char *what;  /* the daemon, in messages: "zvirtd", "the peer's zvirtd" */
	char *dir;         /* where its files are: TMP, TMP/peer */
	char *bus_address; /* its dbus-daemon's, once it listens */
	char *log_dir;     /* the daemon's LogDir */
	char *run_dir;     /* the daemon's RunDir */
	char *daemon_log;  /* LogTarget */
	char *daemon_conf;
	/* The daemon's own view of a directory (another host's disk):
	 * mount_src bind-mounted over mount_dst in its mount namespace. */
	char *mount_src, *mount_dst;
	pid_t dbus_pid;
	pid_t polkit_pid;
	pid_t daemon_pid;
	int daemon_status;
	sd_bus *bus;
	sd_bus_slot *recorder;
	HarnessSignal **signals;
	size_t n_signals;
	Tracker *trackers;
	size_t n_trackers;
} HarnessHost;

/* ---- processes (harness.c) ---- */

typedef struct SpawnOptions {
	const char *log_path; /* stdout and stderr, appended */
	int keep_fd;          /* an fd the program inherits, or -1 */
	int death_signal;     /* what it gets when the harness dies */
	bool polkit_namespace;
	/* DBUS_SYSTEM_BUS_ADDRESS for the program, when not the harness's:
	 * polkitd and zvirtd find their system bus there. */
	const char *bus_address;
	/* A directory of its own: src bind-mounted over dst in a mount
	 * namespace of its own (NULL: the harness's view). */
	const char *mount_src, *mount_dst;
	/* "NAME=VALUE" strings (NULL-terminated, may be NULL) added to the
	 * harness's environment for the program. */
	char *const *env;
	bool as_nobody; /* it runs as HARNESS_NOBODY_UID, without groups */
} SpawnOptions;

/* argv[0] (searched in PATH) started as o says: stdin /dev/null, the
 * harness's signal handlers and mask reset. 0, or negative errno. */
int harness_spawn(char *const argv[], const SpawnOptions *o, pid_t *ret_pid);
/* Signals our child *pid, waits timeout_ms for it, SIGKILLs it if it has
 * not gone; *pid becomes 0. 0, or -ETIMEDOUT when it had to be killed. */
int harness_stop_child(pid_t *pid, int sig, int timeout_ms, const char *what, int *ret_status);
/* A TCP port on 127.0.0.1 nobody listens on now; whoever binds it a
 * moment later may lose a race to another process. 0, or negative errno. */
int harness_free_port(uint16_t *ret);

/* Writes dir/bus.conf (the primary's policy), starts dbus-daemon on
 * dir/system_bus_socket; sets bus_address. */
int host_start_bus(HarnessHost *h);
/* polkitd on h's bus, with the primary's actions and rules. */
int host_start_polkitd(HarnessHost *h);
int host_start_daemon(HarnessHost *h);
int host_stop_daemon(HarnessHost *h);
int host_kill_daemon(HarnessHost *h);
/* Stops the daemon, closes the connection, stops polkitd and the bus,
 * forgets the recorded signals. The files stay. */
void host_stop(HarnessHost *h);
/* From the fatal-signal handler: SIGKILL to h's processes, no waiting. */
void host_emergency(HarnessHost *h);
/* The tails of the logs below dir (bus, polkitd, daemon, LogDir's). */
void host_dump_logs(const char *dir);
/* Kills the QEMUs one of whose arguments contains needle (harness.c). */
int harness_kill_guests(const char *needle, int wait_ms);

sd_bus *host_bus(HarnessHost *h);
sd_bus_message *host_callv(HarnessHost *h, const char *path, const char *iface, const char *method,
			   const char *types, va_list ap);
void host_expect_errorv(HarnessHost *h, const char *error_name, const char *path, const char *iface,
			const char *method, const char *types, va_list ap);
char *host_define(HarnessHost *h, const char *xml);
char *host_lookup(HarnessHost *h, const char *name);
void host_undefine(HarnessHost *h, const char *path);
char *host_get_string(HarnessHost *h, const char *path, const char *iface, const char *property);
uint32_t host_get_u32(HarnessHost *h, const char *path, const char *iface, const char *property);
char *host_get_xml(HarnessHost *h, const char *path);
char *host_console_pty(HarnessHost *h, const char *path);
char *host_run_file(HarnessHost *h, const char *path, const char *suffix);

int host_flush_signals(HarnessHost *h);
size_t host_signal_mark(HarnessHost *h);
const HarnessSignal *host_signal_find(HarnessHost *h, size_t from, const char *path, const char *interface,
				      const char *member, const char *arg0);
const HarnessSignal *host_wait_signal(HarnessHost *h, size_t from, const char *path, const char *interface,
				      const char *member, const char *arg0, int timeout_ms);
int host_wait_state(HarnessHost *h, const char *path, const char *state, const char *reason, int timeout_ms);
void host_assert_state(HarnessHost *h, const char *path, const char *state, const char *reason);
void host_boot_guest(HarnessHost *h, const char *path, const char *name);

/* The nobody calls of harness.h on the bus at address (NULL: the primary's). */
int host_call_as_nobodyv(const char *address, char **ret_error_name, char **ret_output, const char *path,
			 const char *iface, const char *method, const char *types, va_list ap);
char *host_nobody_callv(const char *address, const char *path, const char *iface, const char *method,
			const char *types, va_list ap);
void host_nobody_expect_errorv(const char *address, const char *error_name, const char *path,
			       const char *iface, const char *method, const char *types, va_list ap);

/* harness-peer.c's, for the primary's teardown, signal handler, log dump
 * and final check. */
void harness_peer_emergency(void);
void harness_peer_dump_logs(void);
/* harness-ssh.c's, likewise. */
void harness_sshd_emergency(void);
void harness_sshd_dump_logs(void);
