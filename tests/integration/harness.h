/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Integration test support: a private system bus (dbus-daemon with our real
 * bus policy), the real polkitd on it (our actions, tests/integration/
 * test.rules, nothing of the host's), the real zvirtd built from this tree,
 * and sd-bus client helpers to drive it as root and as the unprivileged
 * user nobody.
 *
 * One harness per test program (it is process-wide state): main() calls
 * harness_run_tests(), which sets everything up, runs the cmocka tests,
 * prints the daemon's log when something failed and tears everything down,
 * QEMU guests included (they outlive the daemon by design).
 *
 * Helpers named harness_assert_* and the ones documented as "asserting"
 * fail the current cmocka test with a readable message; the others return
 * a negative errno. None of them may be used inside harness_as_nobody()
 * callbacks, which run in a forked child.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "util/cleanup.h"

#define ZVIRT_BUS_NAME      "org.zvirt1"
#define ZVIRT_MANAGER_PATH  "/org/zvirt1"
#define ZVIRT_MANAGER_IFACE "org.zvirt1.Manager"
#define ZVIRT_DOMAIN_IFACE  "org.zvirt1.Domain"
#define ZVIRT_ERROR(name)   "org.zvirt1.Error." name

#define HARNESS_NOBODY_UID     65534
#define HARNESS_GRANTED_DOMAIN "granted-guest" /* test.rules grants nobody this one */
/* ... and org.zvirt1.domain.define (Autostart, Undefine) of this one. */
#define HARNESS_DEFINE_GRANTED_DOMAIN "granted-define"

/* Timeouts: the guest needs 3-5 s to boot under TCG, more on a busy host. */
#define HARNESS_BOOT_TIMEOUT_MS   90000
#define HARNESS_STATE_TIMEOUT_MS  20000
#define HARNESS_SIGNAL_TIMEOUT_MS 10000
#define HARNESS_CALL_TIMEOUT_USEC (30ULL * 1000 * 1000)

enum {
	HARNESS_NO_DAEMON = 1 << 0, /* only the bus and polkitd, no zvirtd */
};

/* ---- life of the harness ---- */

/* Set up, run the tests, dump logs on failure, tear down. Returns the exit
 * code for meson: 0 passed, 1 failed, 77 skipped (not root). */
int harness_run_tests(const char *group, const struct CMUnitTest *tests, size_t n_tests, unsigned flags);
#define harness_main(group, tests, flags) harness_run_tests((group), (tests), ELEMENTSOF(tests), (flags))

int harness_setup(unsigned flags);

/* For a test that changes network links: moves the test program into a
 * network namespace of its own (and a private mount namespace whose
 * /sys is a sysfs of that network namespace, so /sys/class/net shows its
 * links; the cgroup file system stays where it was), with lo up. Call
 * it first in main(), before harness_run_tests(): the bus, polkitd and
 * the daemon it starts then live in that namespace too. 0, or negative
 * errno (-EPERM: not root) after printing what failed. */
int harness_enter_netns(void);
void harness_teardown(void);
/* Print the tails of the daemon's, the bus's and polkitd's logs to stderr. */
void harness_dump_logs(void);

const char *harness_tmpdir(void);
const char *harness_source_root(void);
const char *harness_log_dir(void);    /* TMP/log: the daemon's LogDir */
const char *harness_daemon_log(void); /* TMP/zvirtd.log: LogTarget */

/* ---- the daemon ---- */

int harness_start_daemon(void);   /* start and wait for org.zvirt1 */
int harness_stop_daemon(void);    /* SIGTERM, wait for the exit */
int harness_restart_daemon(void); /* stop, start */
int harness_kill_daemon(void);    /* SIGKILL, wait for the exit */
pid_t harness_daemon_pid(void);   /* 0 when not running */
/* How the last daemon ended, as a waitpid() status; -1 if unknown. */
int harness_daemon_exit_status(void);

/* ---- bus client (root) ---- */

/* The harness's own connection (uid 0). Signals from /org/zvirt1... are
 * recorded on it from the moment it opens (see harness_signal_*). */
sd_bus *harness_bus(void);
/* 1 if the name has an owner, 0 if not, negative errno on failure. */
int harness_name_has_owner(sd_bus *bus, const char *name);

/* Call a method of org.zvirt1 on `bus`. `types` and the varargs are those
 * of sd_bus_message_append(); NULL or "" for none. */
int harness_call_full(sd_bus *bus, sd_bus_error *error, sd_bus_message **reply, const char *path,
		      const char *iface, const char *method, const char *types, ...);
int harness_call_fullv(sd_bus *bus, sd_bus_error *error, sd_bus_message **reply, const char *path,
		       const char *iface, const char *method, const char *types, va_list ap);
/* Asserting: the call succeeds; returns the reply (unref it). */
sd_bus_message *harness_call(const char *path, const char *iface, const char *method, const char *types,
			     ...);
/* Asserting: the call fails with exactly `error_name`. */
void harness_expect_error(const char *error_name, const char *path, const char *iface, const char *method,
			  const char *types, ...);

/* Waits (asserting, 30 s) until the daemon has expanded the machine
 * alias (s390-ccw-virtio) of the domain's persistent definition to the
 * host's versioned type: it does
 * so once its emulator probe answers, which can be after a define right
 * after the start, and then rewrites the definition. A test that
 * compares XML before and after a call waits for that first. */
void harness_wait_machine_expanded(const char *path);

/* Asserting: DefineXML(xml, {}) succeeds; returns the object path. */
char *harness_define(const char *xml);
/* LookupDomainByName; NULL if there is no such domain. */
char *harness_lookup(const char *name);
/* Asserting: Undefine(), and destroy it first when it is active. */
void harness_undefine(const char *path);

/* Asserting property getters. */
char *harness_get_string(const char *path, const char *iface, const char *property);
uint32_t harness_get_u32(const char *path, const char *iface, const char *property);
int32_t harness_get_i32(const char *path, const char *iface, const char *property);
uint64_t harness_get_u64(const char *path, const char *iface, const char *property);
bool harness_get_bool(const char *path, const char *iface, const char *property);

/* Asserting: GetXMLDesc({}) of a domain. */
char *harness_get_xml(const char *path);
/* The pty of a running domain's console, from its live XML; NULL if none. */
char *harness_console_pty(const char *path);

/* ---- states and signals ---- */

/* Wait until the domain enters state/reason. Satisfied by a StateChanged
 * signal newer than the one the previous wait on this path consumed, or,
 * when the wait begins, by the State/StateReason properties (with a newer
 * StateSequence). Transient states (in-shutdown) are therefore seen even if
 * the domain has moved on. 0, or -ETIMEDOUT after printing what was seen. */
int harness_wait_state(const char *path, const char *state, const char *reason, int timeout_ms);
/* Asserting: the properties say state/reason now. */
void harness_assert_state(const char *path, const char *state, const char *reason);

typedef struct HarnessSignal {
	size_t index;
	char *path;
	char *interface;
	char *member;
	/* First argument as text: the state (StateChanged), the object path
	 * (DomainDefined, DomainUndefined, DomainStateChanged,
	 * InterfacesAdded, InterfacesRemoved), the interface name
	 * (PropertiesChanged); of any other signal its first argument when
	 * that is a path or a string (DeviceRemovalFailed's device). */
	char *arg0;
	char *state;  /* StateChanged, DomainStateChanged, or PropertiesChanged with State */
	char *reason; /* ditto, StateReason */
	uint64_t sequence;
	bool has_sequence;
	char *name;       /* DomainDefined, DomainUndefined */
	char *properties; /* PropertiesChanged: changed names, ",A,B," */
	char *interfaces; /* InterfacesAdded/Removed: ",I1,I2," */
} HarnessSignal;

/* Dispatch whatever is queued on harness_bus() (recording signals). */
int harness_flush_signals(void);
/* Index of the next signal to be recorded: take it before an action. */
size_t harness_signal_mark(void);
size_t harness_signal_count(void);
const HarnessSignal *harness_signal_get(size_t index);
/* First recorded signal at or after `from` that matches; NULL matches any. */
const HarnessSignal *harness_signal_find(size_t from, const char *path, const char *interface,
					 const char *member, const char *arg0);
/* Like harness_signal_find(), waiting up to timeout_ms for it to arrive. */
const HarnessSignal *harness_wait_signal(size_t from, const char *path, const char *interface,
					 const char *member, const char *arg0, int timeout_ms);

/* ---- the test guest ---- */

/* The directory with vmlinuz and initrd.img: $ZVIRT_GUEST_DIR, else the
 * last line tests/guest/build-guest.sh prints. Asserting. */
const char *harness_guest_dir(void);
/* Domain XML of the test guest (256 MiB, 1 vcpu, pty console logged to
 * harness_console_log(name)). uuid may be NULL. Asserting. */
char *harness_guest_xml(const char *name);
char *harness_guest_xml_uuid(const char *name, const char *uuid);
/* The test guest with <on_crash>action</on_crash>. */
char *harness_guest_xml_on_crash(const char *name, const char *action);
/* Starts the defined domain at path (the test guest `name`) and waits
 * until it runs and the guest printed its ready line. Asserting. */
void harness_boot_guest(const char *path, const char *name);
/* The test guest `name` defined, booted and rewriting mib MiB of its
 * memory in a loop (its buffer full): a migration that takes its time. */
char *harness_boot_dirty(const char *name, unsigned mib);
/* Makes the running guest panic (its console's `panic`: a disabled
 * wait, QEMU's GUEST_PANICKED). Asserting. */
void harness_panic_guest(const char *path);
char *harness_console_log(const char *name);
/* A domain that defines fine but has nothing to boot (no kernel, no disk):
 * for tests that never start it and should not need the guest built. */
char *harness_minimal_xml(const char *name, const char *uuid);
/* Close to 1 MiB of <disk> elements with 32 attributes each: inside the
 * daemon's XML bounds, refused by the schema, as costly to parse as a
 * document gets (the loop-stall test and benchmark). Asserting. */
char *harness_worst_domain_xml(const char *name);
/* <RunDir>/domains/<uuid><suffix> of the domain at path (".qmp", ".pid",
 * ".xml"): the daemon's runtime files, named after the path's label. */
char *harness_run_file(const char *path, const char *suffix);

/* Wait for `substring` in a file (a console log), from byte `from` on.
 * 0 and the whole line in *ret_line (may be NULL), or -ETIMEDOUT. */
int harness_wait_console_from(const char *log_path, off_t from, const char *substring, int timeout_ms,
			      char **ret_line);
int harness_wait_console(const char *log_path, const char *substring, int timeout_ms);
/* Current size of a file, 0 if it does not exist: a mark for the above. */
off_t harness_file_size(const char *path);

/* Write `line` and a newline to the console pty and keep the pty open
 * until the guest has printed something back (so QEMU has read the line),
 * or 5 s. */
int harness_console_send(const char *pty_path, const char *line);
/* Send a command to the guest's console and collect what it prints until
 * "zvirt-guest: done <first word of command>". */
int harness_console_command(const char *pty_path, const char *command, int timeout_ms, char **ret_output);
/* Asserting: the guest's name of the block device at ccw bus id busid
 * ("0.0.0001"), from its "devices" lines "<name> <sectors> <busid>"
 * (the guest names disks in the order it finds them, whatever their
 * target on the host), or NULL when it has none there. */
char *harness_guest_block_at(const char *pty_path, const char *busid);
/* Asserting: waits (a plugged disk shows within a second or two under
 * TCG) until the guest does or does not have a disk at busid; its name,
 * or "" when it is gone (malloc'd). */
char *harness_wait_guest_block(const char *pty_path, const char *busid, bool present);

/* ---- networking (harness-net.c) ---- */

/* A network namespace of the test's own, named with the harness's pid
 * ("zvirt-it-<pid>-<name>", what harness_netns_name() returns, malloc'd)
 * and joined to the current namespace by a veth pair: ifname_there in it
 * with addr_there ("10.0.0.2/24") and up, as is its lo; ifname_here
 * here, up, without an address. 0, or negative errno after printing the
 * command that failed; what was made is removed by
 * harness_netns_cleanup(), which the teardown calls too (and the
 * harness's signal handler, when a test is killed). */
int harness_netns_peer(const char *name, const char *ifname_here, const char *ifname_there,
		       const char *addr_there);
char *harness_netns_name(const char *name);
/* Two network namespaces of the test's own (named as above), joined to
 * each other by a veth pair, "eth0" in both, with addr_a and addr_b
 * ("10.0.0.1/24") and up, as are their lo; nothing changes here. 0, or
 * negative errno after printing the command that failed; cleaned up as
 * the others. */
int harness_netns_pair(const char *name_a, const char *addr_a, const char *name_b, const char *addr_b);
/* Deletes the peer namespaces made so far; their veth pairs go with them. */
void harness_netns_cleanup(void);
/* The current namespace's links, "<name> <kind>\n" sorted by name (kind
 * as `ip -o -d link show` gives it: veth, tun, openvswitch, ...; "-" for
 * lo and physical links), for "no link leaks" comparisons; malloc'd,
 * NULL when ip failed. */
char *harness_host_links(void);

/* A private Open vSwitch for the test: a database in TMP/ovs,
 * ovsdb-server on TMP/ovs/db.sock and ovs-vswitchd (bridges must use
 * the userspace datapath: this host has no openvswitch module), both
 * dying with the harness. Sets OVS_RUNDIR, OVS_DBDIR and OVS_LOGDIR to
 * TMP/ovs, where every ovs-vsctl then looks, the daemon's too: a daemon
 * that already runs is restarted to see them (start OVS first, with
 * HARNESS_NO_DAEMON, to avoid that). 0 once ovs-vswitchd has applied the
 * database; -EOPNOTSUPP with a message when openvswitch-switch is not
 * installed (skip the test); other negative errno after printing why. */
int harness_ovs_start(void);
/* ovs-vsctl add-br br -- set bridge br datapath_type=netdev. */
int harness_ovs_add_bridge(const char *br);
/* Stops ovs-vswitchd (removing its bridges' tap devices) and
 * ovsdb-server, unsets OVS_*. The teardown calls it too. */
void harness_ovs_stop(void);
/* The harness's own, from its fatal-signal handler: kills the Open
 * vSwitch daemons and deletes the peer namespaces, without forking. */
void harness_net_emergency(void);

/* ---- the s390 sysfs simulator (harness-sim.c) ---- */

/* tests/sysfs-sim/'s zvirt-sysfs-sim on TMP/sysfs with TMP/devroot as
 * its /dev, from scenario (a file name in tests/sysfs-sim/, or an
 * absolute path); the daemon's [Hypervisor] SysfsRoot= points at it,
 * with extra_conf (more [Hypervisor] lines, may be NULL), and a running
 * daemon restarts to read that. Call harness_enter_netns() first in
 * main(): the simulator's uevents reach the daemon's namespace. 0;
 * -EOPNOTSUPP with a message when there is no /dev/fuse (skip); other
 * negative errno after printing why. The teardown stops it. */
int harness_sim_start(const char *scenario, const char *extra_conf);
void harness_sim_stop(void);
/* The fatal-signal handler's: unmounts and kills, without waiting. */
void harness_sim_emergency(void);
/* TMP/sysfs and TMP/devroot while it runs (NULL otherwise). */
const char *harness_sim_sysfs(void);
const char *harness_sim_devroot(void);
/* value written to path below the simulator's sysfs, as a shell's echo
 * would: 0 or the store's negative errno. */
int harness_sim_write(const char *path, const char *value);
/* A signal to the simulator: SIGUSR1 brings the devices of its
 * cio_ignore list (`ignored = yes`) in, SIGUSR2 takes the offline ones
 * out again (tests/sysfs-sim/README.md). 0 or negative errno. */
int harness_sim_signal(int sig);
/* Asserting: the file below the simulator's sysfs, its newline cut. */
char *harness_sim_read(const char *path);

/* ---- the second host (harness-peer.c) ---- */

/* A second, independent zvirtd host beside the primary, for tests of
 * migration: below TMP/peer its own dbus-daemon (the primary's policy) on
 * TMP/peer/system_bus_socket, its own polkitd on that bus (the primary's
 * actions and test.rules), its own zvirtd (TMP/peer/zvirtd.conf: a copy
 * of the primary's as it is now, with StateDir, RunDir, LogDir and
 * LogTarget below TMP/peer, then extra_conf, may be NULL: more
 * [Hypervisor] lines, or whole sections after them), started and waited
 * for as the primary's. Same network namespace, same test guest. All of
 * it dies with the harness; the teardown stops it, and kills the QEMUs
 * of the peer's domains (as the primary's, by TMP in their command line).
 * Call it inside a test (it needs the primary set up). 0, or negative
 * errno after printing what failed (nothing of the peer is left then). */
int harness_peer_start(const char *extra_conf);
/* Stops the peer's zvirtd, kills its guests, stops its polkitd and bus.
 * Its files stay (harness_dump_logs() prints them) until the teardown;
 * harness_peer_start() may follow, on the same StateDir. */
void harness_peer_stop(void);
const char *harness_peer_dir(void);         /* TMP/peer while it runs, else NULL */
const char *harness_peer_bus_address(void); /* "unix:path=TMP/peer/system_bus_socket,..." */
const char *harness_peer_log_dir(void);     /* TMP/peer/log: the peer's LogDir */
const char *harness_peer_daemon_log(void);  /* TMP/peer/zvirtd.log: its LogTarget */
/* The harness's connection (uid 0) to the peer's bus; its signals from
 * /org/zvirt1... are recorded apart from the primary's. Asserting. */
sd_bus *harness_peer_bus(void);

/* As harness_start_daemon() and the others, on the peer. */
int harness_peer_start_daemon(void);
/* From the peer daemon's next start on, it (and its QEMUs) sees the
 * directory own where over is, as another host has its own disks at
 * the same paths; NULL, NULL: the harness's view again. */
int harness_peer_own_dir(const char *own, const char *over);
int harness_peer_stop_daemon(void);
int harness_peer_kill_daemon(void);
pid_t harness_peer_daemon_pid(void);
int harness_peer_daemon_exit_status(void);

/* As their harness_* namesakes, on the peer's bus (asserting where those are). */
sd_bus_message *harness_peer_call(const char *path, const char *iface, const char *method, const char *types,
				  ...);
void harness_peer_expect_error(const char *error_name, const char *path, const char *iface,
			       const char *method, const char *types, ...);
char *harness_peer_define(const char *xml);
char *harness_peer_lookup(const char *name);
void harness_peer_undefine(const char *path);
char *harness_peer_get_string(const char *path, const char *iface, const char *property);
uint32_t harness_peer_get_u32(const char *path, const char *iface, const char *property);
char *harness_peer_get_xml(const char *path);
char *harness_peer_console_pty(const char *path);
char *harness_peer_run_file(const char *path, const char *suffix); /* below the peer's RunDir */
int harness_peer_wait_state(const char *path, const char *state, const char *reason, int timeout_ms);
void harness_peer_assert_state(const char *path, const char *state, const char *reason);
/* The test guest's console log is harness_console_log(name), in the
 * primary's LogDir, on either host (harness_peer_start() lets QEMU's
 * group search that directory, as the primary's daemon does once it has
 * started a guest). */
void harness_peer_boot_guest(const char *path, const char *name);
size_t harness_peer_signal_mark(void);
const HarnessSignal *harness_peer_signal_find(size_t from, const char *path, const char *interface,
					      const char *member, const char *arg0);
const HarnessSignal *harness_peer_wait_signal(size_t from, const char *path, const char *interface,
					      const char *member, const char *arg0, int timeout_ms);
/* Calls as nobody on the peer's bus, judged by the peer's polkitd. */
char *harness_peer_nobody_call(const char *path, const char *iface, const char *method, const char *types,
			       ...);
void harness_peer_nobody_expect_error(const char *error_name, const char *path, const char *iface,
				      const char *method, const char *types, ...);

/* What the migration tests check of the test guest (harness-peer.c). */
/* The last "count N" the guest printed into its console log (after its
 * console's `count start`), 0 if none. Asserting. */
unsigned harness_guest_last_count(const char *log);
/* Asserting: the guest counts on from where it was (a new boot would
 * not count at all): the next count it prints after byte from is above n. */
void harness_assert_counts_past(const char *log, off_t from, unsigned n);
/* Asserting: the guest's boot id, asked on its console at pty (malloc'd). */
char *harness_guest_boot_id(const char *pty);

/* ---- Cockpit (harness-cockpit.c) ---- */

/* cockpit-ws, cockpit-system's shell and chromium are installed. */
bool harness_cockpit_available(void);

typedef struct HarnessCockpit {
	pid_t pid;
	int port;  /* http://127.0.0.1:<port>/ */
	char *log; /* TMP/cockpit-ws-N.log: its output and its bridge's */
} HarnessCockpit;

/* cockpit-ws --no-tls on 127.0.0.1 and a free port, with a local session
 * (cockpit-bridge as root, or as nobody when told, without a login) on
 * $DBUS_SYSTEM_BUS_ADDRESS, serving the page built at $ZVIRT_COCKPIT_PAGE
 * (copied below TMP, where nobody can read it) beside the system's
 * packages. Such a cockpit-ws serves one browser session: a new one for
 * each. 0 once it listens, or negative errno after printing why. */
int harness_cockpit_start(HarnessCockpit *c, bool nobody);
/* Stops it (and its bridge); its log printed first when told. */
void harness_cockpit_stop(HarnessCockpit *c, bool print_log);

/* ---- ssh (harness-ssh.c) ---- */

/* An sshd of the test's own on 127.0.0.1 and a free port (from TMP/ssh:
 * host key, sshd_config, authorized_keys; its log TMP/ssh/sshd.log),
 * where the client key TMP/ssh/client_key logs in as root with the
 * forced command `exec systemd-stdio-bridge --bus-path=bus_address`: an
 * ssh session reaches that bus as one to a real host reaches its system
 * bus. PATH then starts with TMP/ssh/bin, whose `ssh` runs the real one
 * with -F TMP/ssh/ssh_config, so sd-bus's ssh (the daemon's ssh://
 * destinations, zvirtctl -H) uses that key and knows the host key; a
 * daemon that already runs is restarted to get that PATH. 0;
 * -EOPNOTSUPP with a message when sshd, ssh, ssh-keygen or
 * systemd-stdio-bridge is missing (skip); other negative errno after
 * printing why. The teardown stops it. */
int harness_sshd_start(const char *bus_address);
/* Stops sshd, restores PATH. */
void harness_sshd_stop(void);
uint16_t harness_sshd_port(void);  /* 0 when not started */
const char *harness_ssh_dir(void); /* TMP/ssh, or NULL */

typedef enum HarnessSshClient {
	HARNESS_SSH_AUTHORIZED,   /* the key authorized_keys has, sshd's host key known */
	HARNESS_SSH_OTHER_KEY,    /* a key sshd does not know: refused */
	HARNESS_SSH_UNKNOWN_HOST, /* no known host keys: ssh refuses the host */
} HarnessSshClient;
/* Rewrites TMP/ssh/ssh_config (read by every ssh started after). Always
 * BatchMode=yes and StrictHostKeyChecking=yes: ssh never asks. 0 or
 * negative errno. */
int harness_ssh_client(HarnessSshClient how);

/* ---- files ---- */

/* Asserting: the whole file, NUL-terminated (malloc'd). */
char *harness_read_file(const char *path);
/* The same, but NULL for a file that does not exist (any more): for
 * files that a running process renames, like rotated logs. */
char *harness_read_file_if_exists(const char *path);
/* Asserting: replace the file with text. */
void harness_write_file(const char *path, const char *text);

/* ---- shell commands, the guest's console ---- */

/* Asserting: the command line (sh -c) succeeds. */
void harness_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Asserting that it succeeds: what the command line prints on stdout,
 * its last newline cut (malloc'd). */
char *harness_sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The test guest `name` with devices (device elements, indented as
 * inside <devices>) added at the end of its <devices> (malloc'd). */
char *harness_guest_xml_devices(const char *name, const char *devices);
/* Asserting: what the guest at path prints for command on its console,
 * up to its done line (malloc'd). */
char *harness_guest_command(const char *path, const char *command, int timeout_ms);
/* Asserting: harness_host_links() is what it was (before). */
void harness_assert_host_links(const char *before);

/* ---- processes ---- */

/* Whether a process exists and is not a zombie. */
bool harness_pid_alive(pid_t pid);
/* CLOCK_MONOTONIC in ms; a sleep that signals do not cut short. */
int64_t harness_now_ms(void);
void harness_sleep_ms(int ms);
/* Wait up to timeout_ms for a process that need not be our child to end
 * (zombies count as ended). 0 or -ETIMEDOUT. */
int harness_wait_pid_gone(pid_t pid, int timeout_ms);

/* ---- the unprivileged caller ---- */

/* Runs in a child as uid/gid 65534 with no supplementary groups, on its
 * own bus connection. Return >= 0 for success or a negative errno with
 * `error` set; may store a malloc'ed string in *ret_output. */
typedef int (*HarnessNobodyFn)(sd_bus *bus, void *userdata, sd_bus_error *error, char **ret_output);

/* fn's result; the D-Bus error name and message (if any) and fn's output
 * come back through a pipe. Each ret_* may be NULL. */
int harness_as_nobody(HarnessNobodyFn fn, void *userdata, char **ret_error_name, char **ret_error_message,
		      char **ret_output);
/* One method call as nobody. On success *ret_output (if not NULL) holds
 * the reply body as sd_bus_message_dump() prints it. */
int harness_call_as_nobody(char **ret_error_name, char **ret_output, const char *path, const char *iface,
			   const char *method, const char *types, ...);
int harness_call_as_nobodyv(char **ret_error_name, char **ret_output, const char *path, const char *iface,
			    const char *method, const char *types, va_list ap);
/* Asserting: the call as nobody succeeds; returns the dumped reply. */
char *harness_nobody_call(const char *path, const char *iface, const char *method, const char *types, ...);
/* Asserting: the call as nobody fails with exactly `error_name`. */
void harness_nobody_expect_error(const char *error_name, const char *path, const char *iface,
				 const char *method, const char *types, ...);
