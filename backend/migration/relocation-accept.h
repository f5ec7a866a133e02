/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The destination's side of a migration's data connection: waits on the
 * listening socket (port-listen.h) for the source, checks each peer
 * against [Relocation] HostsAllow= (hosts-allow.h: its address, and its
 * host name from a reverse lookup that must resolve back to the address,
 * which runs off the loop) and hands
 * over the first allowed connection. A refused peer is logged and
 * closed, and the wait goes on: a stray connection cannot cancel the
 * migration it was not part of. */

#include <stdint.h>
#include <systemd/sd-event.h>

#include "migration/hosts-allow.h"
#include "util/worker.h"

typedef struct RelocationAccept RelocationAccept;

/* result 0: fd is the allowed connection (the callee owns it), peer
 * "name (address)" or "address"; -ETIMEDOUT: nobody allowed came in
 * time; other -errno: accept failed. Called once; the acceptor may be
 * freed inside. */
typedef void (*relocation_accept_fn)(int result, int fd, const char *peer, void *userdata);

/* Takes listen_fd. allow stays the caller's and must outlive the
 * acceptor. what names the migration in the log ("domain vs1"). */
/* worker runs the reverse lookups; it must outlive the lookups (not the
 * acceptor: a lookup under way when the acceptor goes ends on its own). */
int relocation_accept_new(sd_event *event, Worker *worker, int listen_fd, const HostsAllow *allow,
			  uint64_t timeout_usec, const char *what, relocation_accept_fn cb, void *userdata,
			  RelocationAccept **ret);
/* Closes the listening socket, without waiting for a reverse lookup
 * under way. No callback after this. */
RelocationAccept *relocation_accept_free(RelocationAccept *a);
