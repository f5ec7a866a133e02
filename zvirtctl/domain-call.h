/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What nearly every command does: parse its options (a table of them),
 * its domain and positional arguments, connect, read the domain; call
 * one method with the options the table sends; and, for the long work
 * (managedsave, dump, migrate), wait for the Job the call made. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain-info.h"
#include "job.h"
#include "zvirtctl.h"

#define COMMAND_MAX_FLAGS 16

/* One of a command's own options. */
typedef struct CommandFlag {
	const char *option; /* --option */
	/* The method's option key; NULL: the command's own, never sent. */
	const char *key;
	/* 'b': a flag, key=true; 's': --option VALUE, a string; 't':
	 * --option NUMBER, a t; 'S': --option SECONDS, key in milliseconds (t);
	 * 'l': --option A,B, an "as"; 'v': --option VALUE, not sent (the
	 * command reads it). */
	char kind;
} CommandFlag;

typedef struct DomainCall {
	const Command *cmd;
	const CommandFlag *flags; /* ending with a zeroed entry; NULL for none */
	int n_min, n_max;         /* positional arguments after the domain */
	bool host;                /* a host command: no domain, nothing read */
	bool path_only;           /* the domain's path only, not its properties */
	/* The object called, NULL: the domain's (the host's for host commands). */
	const char *path, *iface;
	/* The parse: */
	const char *values[COMMAND_MAX_FLAGS]; /* NULL: not given; "" a flag */
	uint64_t numbers[COMMAND_MAX_FLAGS];   /* of 't' and 'S' */
	char **pos;                            /* after the domain */
	int n_pos;
	DomainInfo info; /* info.path: the domain's object (with path_only, only that) */
} DomainCall;

void domain_call_done(DomainCall *dc);
/* The flag's value, NULL when not given; whether it was given. */
const char *domain_call_value(const DomainCall *dc, const char *option);
bool domain_call_has(const DomainCall *dc, const char *option);

/* Parses argv by dc's table, connects, finds and reads the domain.
 * -1 or the exit code (after printing why). */
int domain_call_parse(Ctl *ctl, DomainCall *dc, int argc, char **argv);
/* method(ARGS..., a{sv} options) on path/iface (NULL: dc's object): the arguments as sd_bus_message_append's
 * types and values (types NULL: none), then the table's options that were given, then `extra` (may be NULL)
 * for more. r and error as sd_bus_call. */
int domain_call_method(Ctl *ctl, const DomainCall *dc, const char *path, const char *iface,
		       const char *method, int (*extra)(sd_bus_message *m, const DomainCall *dc),
		       sd_bus_error *error, sd_bus_message **reply, const char *types, ...);
/* The table's options that were given, into an open a{sv} (for a call
 * built by hand: arguments domain_call_method cannot pass). */
int domain_call_append_flags(sd_bus_message *m, const DomainCall *dc);
/* The same on dc's object, with its failure printed: -1 or the exit code. */
int domain_call(Ctl *ctl, const DomainCall *dc, const char *method, sd_bus_message **reply,
		const char *types, ...);
/* The Domain method that makes a Job (ManagedSave, CoreDump, Migrate):
 * listens for jobs first, calls, then waits for the job (verbose: its
 * progress; `what` names it). -1 when it completed, or the exit code. */
int domain_call_job(Ctl *ctl, const DomainCall *dc, const char *method, const char *what, bool verbose,
		    const char *types, ...);

/* The domain's properties now, as --json gives them: the exit code. */
int domain_call_print_json(Ctl *ctl, const char *path);
