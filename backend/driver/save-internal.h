/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* save.c's hooks into the rest of the driver. For backend/driver/ only. */

#include <stdbool.h>

#include "domain.h"

typedef struct SaveOp SaveOp;

/* <StateDir>/save/<uuid>.save, malloc'd. */
char *domain_managed_save_path(const Domain *d);

/* QEMU ended while a save was under way: true when that was the save's
 * last step (the domain is saved), else the save failed. Answers the
 * call and ends the job either way. */
bool domain_save_stopped(Domain *d);

/* QEMU's MIGRATION event: the save or restore looks at once. */
void domain_save_migration_event(Domain *d);
void domain_restore_migration_event(Domain *d);

/* The daemon stops: drops the save without touching QEMU (the next
 * daemon undoes it, from the status file's intent). */
void domain_save_forget(Domain *d);

/* The save under way lets the guest run again should it not finish. */
bool save_resumes(const Domain *d);
/* A save is under way and not yet in its last step (QEMU quitting). */
bool save_in_flight(const Domain *d);
/* The daemon stops: frees a save whose domain stopped during its fsync. */
void domain_save_forget_detached(Domain *d);

/* restore.c: a Start of a domain with an image (force-boot: discards
 * it and boots). */
int domain_restore(Domain *d, DomainStartFlags flags, domain_done_fn cb, void *userdata, ZvError *err);
/* QEMU's monitor answered: hand it the image. */
void domain_restore_incoming(Domain *d);
/* QEMU ended during a restore: true when it was one (the job fails, the
 * domain stays saved). */
bool domain_restore_stopped(Domain *d, ZvError *err);
/* The daemon stops. */
void domain_restore_forget(Domain *d);

/* At load: whether an image waits (shut-off domains become saved). */
void domain_load_managed_save(Domain *d);
