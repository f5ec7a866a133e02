/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the emulator offers: machine types (with the alias each versioned
 * type hides behind) and CPU models, read from `-machine help` and
 * `-cpu help` once, in the background, when the daemon starts. */

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-event.h>

#include "process.h"

typedef struct QemuMachine {
	char *name;
	char *alias_of; /* s390-ccw-virtio → s390-ccw-virtio-7.2; NULL if none */
	char *description;
	bool is_default;
} QemuMachine;

typedef struct QemuCaps {
	char *emulator;
	QemuMachine *machines;
	size_t n_machines;
	char **cpu_models; /* NULL-terminated */
} QemuCaps;

QemuCaps *qemu_caps_free(QemuCaps *caps);

/* Parsers of QEMU's help output (pure; unit-tested). */
int qemu_caps_parse_machines(const char *text, QemuCaps *caps);
int qemu_caps_parse_cpu_models(const char *text, QemuCaps *caps);

/* The versioned type an alias stands for, the name itself when it is a
 * real type, NULL when the emulator has no such machine. */
const char *qemu_caps_resolve_machine(const QemuCaps *caps, const char *name);

typedef struct QemuCapsProbe QemuCapsProbe;
/* caps is the caller's on success (NULL and error < 0 on failure). */
typedef void (*qemu_caps_done_fn)(QemuCaps *caps, int error, void *userdata);

/* Runs the emulator twice in the background, as user (the guests'
 * unprivileged user: a binary the configuration names runs as nothing
 * more); scratch_dir holds its output meanwhile. */
int qemu_caps_probe(sd_event *event, const char *emulator, const char *scratch_dir, QemuProcessUser user,
		    qemu_caps_done_fn cb, void *userdata, QemuCapsProbe **ret);
QemuCapsProbe *qemu_caps_probe_free(QemuCapsProbe *probe);
