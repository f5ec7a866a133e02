/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The source's end of a migration's data connection: the destination's
 * PrepareMigration answered a uri "tcp:ADDRESS:PORT" (a numeric address,
 * IPv6 in brackets); the source connects to it without blocking the
 * loop and hands the socket to its QEMU (getfd, migrate fd:NAME). */

#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "util/cleanup.h"

typedef struct DataConnect DataConnect;

/* Parses "tcp:ADDRESS:PORT": -EINVAL for anything else (a host name,
 * which would need a lookup, included). */
int migration_uri_parse(const char *uri, struct sockaddr_storage *ret_addr, socklen_t *ret_len);

/* result 0: fd is the connected socket (the callee owns it); -errno:
 * connect failed (-ETIMEDOUT after timeout_usec). Called once; the
 * connector may be freed inside. */
typedef void (*data_connect_fn)(int result, int fd, void *userdata);

int data_connect_new(sd_event *event, const char *uri, uint64_t timeout_usec, data_connect_fn cb,
		     void *userdata, DataConnect **ret);
/* No callback after this; a connection under way is closed. */
DataConnect *data_connect_free(DataConnect *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(DataConnect *, data_connect_free)
