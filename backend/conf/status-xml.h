/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The runtime status document of an active domain: what a restarted
 * daemon needs to find its QEMU again (pid, monitor socket, log) and the
 * state it was in, around the live definition (with its device aliases).
 *
 *   <domstatus state='running' reason='booted' sequence='3' id='1'
 *              pid='1234' persistent='yes'>
 *     <monitor path='/run/zvirtd/domains/<uuid>.qmp'/>
 *     <log path='/var/log/zvirtd/vs1.log'/>
 *     <intents starting='paused' restart='yes' stop='destroyed' kill-at='123456789'/>
 *     <owners>
 *       <file path='/srv/vs1.img' dev='2049' ino='131' uid='0' gid='0'
 *             label-uid='102' label-gid='106'/>
 *     </owners>
 *     <domain ...>...</domain>
 *   </domstatus>
 *
 * <owners> (absent when empty; files written before it existed have none)
 * lists the files the start gave to QEMU's user and whose they were.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "domain-def.h"
#include "domain-state.h"
#include "domain-xml.h"

/* A file a start gave to QEMU's user (backend/driver/dac.c). */
typedef struct FileOwner {
	char *path;
	uint64_t dev, ino; /* the file given; a path replaced since is left alone */
	uid_t uid;         /* its owner before the start ... */
	gid_t gid;         /* ... and group */
	uid_t label_uid;   /* what the start gave it: a file changed since is */
	gid_t label_gid;   /* someone else's doing and stays as it is */
} FileOwner;

typedef struct FileOwners {
	FileOwner *v;
	size_t n;
} FileOwners;

/* Appends a copy of *o (its path copied); -ENOMEM. */
int file_owners_add(FileOwners *owners, const FileOwner *o);
/* Frees the list and empties it. */
void file_owners_done(FileOwners *owners);

typedef struct DomainStatus {
	DomainState state;
	DomainReason reason;
	uint64_t sequence;
	int id;
	pid_t pid;
	bool persistent;
	char *qmp_path;
	char *log_path;
	DomainDef *live;

	/* What was asked for and not yet done, so that a restarted daemon
	 * carries it on (<intents>, absent when there are none). */
	bool starting;            /* a Start had spawned QEMU but not finished */
	bool start_paused;        /* ... with paused */
	bool restart_pending;     /* boot the live definition again once QEMU ends */
	bool stop_expected;       /* the coming end of QEMU is ... */
	DomainReason stop_reason; /* ... this one (else: crashed) */
	uint64_t kill_at_usec; /* CLOCK_MONOTONIC: SIGKILL then (Shutdown timeout-ms, graceful Destroy); 0:
				  none */
	bool saving;           /* a ManagedSave was under way: cancel it, ... */
	bool saving_resume;    /* ... and let the guest run again (it ran before) */
	bool restoring;        /* the Start restores a managed-save image */
	bool incoming;         /* QEMU waits for or receives a migration: never a guest of its own; */
	/* the reason the inactive definition it came to had (shut-off/...),
	 * _DOMAIN_REASON_MAX when it came as a new transient domain */
	DomainReason incoming_prev_reason;
	bool migrating;        /* QEMU sends a migration: undo it unless it completed, ... */
	bool migrating_resume; /* ... and let the guest run again (it ran before) */

	FileOwners owners; /* what to give back when QEMU has ended */
} DomainStatus;

/* Frees what a parsed status owns and zeroes it. */
void domain_status_done(DomainStatus *st);

/* The document, malloc'd; NULL on ENOMEM or without a live definition. */
char *domain_status_format(const DomainStatus *st);

/* Reads a document the daemon wrote, as carefully as a caller's (no
 * network, no DTD or entities). -EBADMSG when it is not a status
 * document, or the error of the live definition's parse. */
int domain_status_parse(const char *xml, size_t len, const DomainXMLDefaults *defaults, DomainStatus *st);
