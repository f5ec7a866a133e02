/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU's -pidfile: QEMU takes a POSIX record lock on it (lockf) for its
 * whole life and will not start while another process holds it, so the
 * lock says which process, if any, runs a domain now, whatever files the
 * daemon did or did not manage to write. */

#include <sys/types.h>

/* The pid holding the lock on path: 1 with *ret_pid set, 0 when nobody
 * holds it (or the file does not exist), negative errno on failure. */
int qemu_pidfile_holder(const char *path, pid_t *ret_pid);
