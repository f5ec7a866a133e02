/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the backend needs from the configuration file; service/config.c
 * fills it. data/zvirtd.conf and zvirtd.conf(5) (docs/zvirtd.conf.5.scd)
 * list the keys and their defaults. */

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
} Settings;

/* Fills the documented defaults; returns -ENOMEM. */
int settings_init_defaults(Settings *s);
void settings_done(Settings *s);
