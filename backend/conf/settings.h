/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the backend needs from the configuration file; service/config.c
 * fills it (architecture.md lists the keys and defaults). */

#include <stdbool.h>
#include <stdint.h>

typedef enum Accelerator {
	ACCELERATOR_AUTO, /* KVM when /dev/kvm works for s390x, else refuse type='kvm' */
	ACCELERATOR_KVM,
	ACCELERATOR_TCG, /* emulate even type='kvm' domains: test rigs */
	_ACCELERATOR_MAX,
} Accelerator;

const char *accelerator_to_string(Accelerator a);
int accelerator_from_string(const char *s);

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
	Accelerator accelerator;
	uint64_t reserved_host_memory; /* bytes */
	unsigned host_cpus;            /* 0: all */
	bool enable_dump;
	char *dump_dir;         /* NULL: <StateDir>/dump */
	uint64_t console_limit; /* bytes */
	char *default_nic;
	char *sysfs_root;

	/* [Relocation] */
	bool relocation_server;
	char *relocation_address;
	uint16_t relocation_port;
	char *relocation_hosts_allow;
	uint16_t relocation_port_min;
	uint16_t relocation_port_max;
} Settings;

/* Fills the documented defaults; returns -ENOMEM. */
int settings_init_defaults(Settings *s);
void settings_done(Settings *s);
