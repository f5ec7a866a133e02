/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the backend needs from the configuration file; service/config.c
 * fills it. data/zvirtd.conf and zvirtd.conf(5) (docs/zvirtd.conf.5.scd)
 * list the keys and their defaults. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum Accelerator {
	ACCELERATOR_AUTO, /* KVM when /dev/kvm works for s390x, else refuse type='kvm' */
	ACCELERATOR_KVM,
	ACCELERATOR_TCG, /* emulate even type='kvm' domains: test rigs */
	_ACCELERATOR_MAX,
} Accelerator;

const char *accelerator_to_string(Accelerator a);
int accelerator_from_string(const char *s);

/* Rotated log files kept besides the current one (NAME.log.0 .. .2),
 * as virtlogd's max_backups. */
#define SETTINGS_LOG_BACKUPS 3
/* The smallest ConsoleLimit= and LogLimit=: a line of QEMU's fits. */
#define SETTINGS_LOG_LIMIT_MIN (4 * 1024)

typedef struct Settings {
	/* [Daemon] */
	int log_level;
	char *log_target; /* "journal", "stderr" or a file path */
	char *state_dir;
	char *run_dir;
	char *log_dir;
	uint64_t idle_timeout_sec;

	/* [Hypervisor] */
	char *emulator;
	/* More emulators a definition's <emulator> may name: absolute paths,
	 * one space between them; NULL for none. */
	char *emulator_allow;
	Accelerator accelerator;
	uint64_t reserved_host_memory; /* bytes */
	char *user;                    /* whom QEMU runs as */
	char *group;                   /* its group; NULL: the user's primary group */
	/* Bytes a domain's console log (LogDir/NAME.console) and QEMU's log
	 * (LogDir/NAME.log) grow to before they rotate. */
	uint64_t console_limit;
	uint64_t log_limit;
	/* xend's enable-dump: every guest crash writes a memory dump into
	 * dump_dir (NULL: <StateDir>/dump) before its on_crash action. */
	bool enable_dump;
	char *dump_dir;
	/* Where the host's sysfs is (/sys): SCSI host devices are looked up
	 * under it. Tests point it at a fake tree. */
	char *sysfs_root;
	/* Where the device nodes udev makes are (/dev): the DASDs'
	 * disk/by-path links are reported from there. */
	char *dev_root;
	/* [Network] DefaultNIC=: the host interface a direct <interface>
	 * without <source dev> gets its macvtap link on (xend's
	 * default-nic); NULL: such an interface cannot start. */
	char *default_nic;

	/* [Relocation]: xend's relocation server, the destination's side of
	 * a migration. Server=: whether PrepareMigration is accepted.
	 * Address=: the numeric address the data connection is accepted on.
	 * Port=: the port xend listened on, shown to peers (the data uses
	 * PortMin= to PortMax=, libvirt's migration port range). HostsAllow=:
	 * regexes over the peer's name and address (migration/hosts-allow.h),
	 * "" lets every peer in. */
	bool relocation_server;
	char *relocation_address;
	uint16_t relocation_port;
	char *relocation_hosts_allow;
	uint16_t migration_port_min;
	uint16_t migration_port_max;

	/* Not a key: the program that writes those logs, the build's
	 * libexecdir/zvirtd-log-pump or $ZVIRTD_LOG_PUMP (tests run the
	 * one in the build tree). */
	char *log_pump;

	/* User= and Group= as numbers, filled by the config loader once every
	 * file is read; (uid_t)-1 and (gid_t)-1 until then, which nothing
	 * spawns QEMU with. */
	uid_t qemu_uid;
	gid_t qemu_gid;
	gid_t *qemu_groups; /* the user's supplementary groups (group database) */
	size_t n_qemu_groups;
} Settings;

/* Fills the documented defaults; returns -ENOMEM. */
int settings_init_defaults(Settings *s);
void settings_done(Settings *s);

/* Whether a definition may run this emulator: Emulator= itself or one of
 * EmulatorAllow=. Compared as strings: the paths are absolute and the
 * configuration names them exactly. */
bool settings_emulator_allowed(const Settings *s, const char *path);
