/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A call whose domain XML is parsed before polkit is asked (CreateXML,
 * PrepareMigration): the parse runs off the loop first, so that the
 * rules see the domain's name and UUID; polkit's answer re-dispatches
 * the call, and its handler finds the parse here instead of parsing
 * again. */

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "driver/registry.h"
#include "objects.h"

typedef struct ParsedCallOps {
	const char *action; /* the polkit action */
	const char *verb;   /* its "verb" detail */
	/* Allowed: the call goes on with c (taken) and the options the
	 * handler read (opts, as it passed them; it may take what they
	 * point to, emptying them). It answers m itself. */
	void (*start)(Objects *o, sd_bus_message *m, RegistryCreate *c, void *opts);
	/* Frees what options point to (may be NULL: they point to nothing
	 * of their own, or only into the message). */
	void (*free_opts)(void *opts);
} ParsedCallOps;

/* For the method handler, after it read xml and its options (opts,
 * opts_size bytes, copied, and taken in every case: ops->free_opts
 * frees them). Returns what the handler returns: 1 once the call is
 * under way (it is answered later), < 0 refused now. */
int parsed_call_dispatch(Objects *o, sd_bus_message *m, const char *xml, const ParsedCallOps *ops,
			 void *opts, size_t opts_size, bool no_user_interaction, sd_bus_error *error);

/* At exit: the calls still waiting for polkit (answered by its queries). */
void objects_parsed_calls_done(Objects *o);
