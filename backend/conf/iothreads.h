/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The I/O threads of a definition (<iothreads>, <iothreadids>): finding,
 * adding and removing one, and which disk uses it. Pure. */

#include "conf/domain-def.h"

/* A bound on <iothreads>: each is a host thread, and the seed advises
 * one or two per host CPU; the bound only keeps a typo from allocating
 * millions. */
#define DOMAIN_IOTHREADS_MAX 1024

const IOThreadDef *domain_def_find_iothread(const DomainDef *def, unsigned id);
/* Appends id as named by a user (written in <iothreadids>): -EEXIST,
 * -E2BIG past DOMAIN_IOTHREADS_MAX, -EINVAL for 0, -ENOMEM. */
int domain_def_add_iothread(DomainDef *def, unsigned id);
/* -ENOENT when def has no such thread. */
int domain_def_remove_iothread(DomainDef *def, unsigned id);
/* The first disk bound to id, or NULL. */
const DiskDef *domain_def_iothread_user(const DomainDef *def, unsigned id);
/* "1, 2, 5" (at most size bytes), for messages; "none" when empty. */
const char *domain_def_iothread_list(const DomainDef *def, char *buf, size_t size);
