/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Adding and removing one device of a definition, as hot-plug and the
 * config half of AttachDevice/DetachDevice do it: the checks a single
 * device document cannot make on its own (its target, alias, boot order
 * and ccw address are free in the domain) and the ccw assignment of
 * libvirt's hot-plug (the first free devno from fe.0.0000). Pure. */

#include <stddef.h>
#include <sys/types.h>

#include "conf/domain-def.h"
#include "util/error.h"

/* The index of the disk with that target, or -ENOENT. */
ssize_t domain_def_disk_index(const DomainDef *def, const char *target);

/* Whether disk may join def: its target, alias, boot order and (given)
 * ccw address are not taken. other, when not NULL, is the definition on
 * the other side of a live+config attach: the address must be free in
 * both, so that the device has one address in either. A disk without
 * an address gets the first one free (in both). Errors:
 * ZV_ERROR_INVALID_ARGUMENT naming the device and what holds the value;
 * -ENOSPC when no ccw address is free. disk changes only on success. */
int domain_def_check_new_disk(const DomainDef *def, const DomainDef *other, DiskDef *disk, ZvError *err);

/* Moves *disk into def at its target's place (the order of
 * disk_target_compare); *disk is zeroed. -ENOMEM leaves both as they
 * were. */
int domain_def_insert_disk(DomainDef *def, DiskDef *disk);

/* Moves def->disks[index] out into *ret (zeroed first). */
void domain_def_remove_disk(DomainDef *def, size_t index, DiskDef *ret);
