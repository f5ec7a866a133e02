/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The I/O thread list of a definition (iothreads.h). */
#include "conf/iothreads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const IOThreadDef *domain_def_find_iothread(const DomainDef *def, unsigned id)
{
	for (size_t i = 0; i < def->n_iothreads; i++)
		if (def->iothreads[i].id == id)
			return &def->iothreads[i];
	return NULL;
}

int domain_def_add_iothread(DomainDef *def, unsigned id)
{
	if (id == 0)
		return -EINVAL;
	if (domain_def_find_iothread(def, id))
		return -EEXIST;
	if (def->n_iothreads >= DOMAIN_IOTHREADS_MAX)
		return -E2BIG;
	IOThreadDef *v = realloc(def->iothreads, (def->n_iothreads + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	def->iothreads = v;
	v[def->n_iothreads++] = (IOThreadDef){.id = id};
	/* As libvirt after iothreadadd: every id is now written out, so the
	 * numbered ones keep their numbers. */
	for (size_t i = 0; i < def->n_iothreads; i++)
		v[i].autofill = false;
	return 0;
}

int domain_def_remove_iothread(DomainDef *def, unsigned id)
{
	for (size_t i = 0; i < def->n_iothreads; i++) {
		if (def->iothreads[i].id != id)
			continue;
		memmove(&def->iothreads[i], &def->iothreads[i + 1],
			(def->n_iothreads - i - 1) * sizeof(IOThreadDef));
		def->n_iothreads--;
		/* The remaining ids need not be 1..N any more: list them. */
		for (size_t k = 0; k < def->n_iothreads; k++)
			def->iothreads[k].autofill = false;
		if (def->n_iothreads == 0)
			def->iothreads = (free(def->iothreads), NULL);
		return 0;
	}
	return -ENOENT;
}

const DiskDef *domain_def_iothread_user(const DomainDef *def, unsigned id)
{
	for (size_t i = 0; i < def->n_disks; i++)
		if (def->disks[i].iothread == id)
			return &def->disks[i];
	return NULL;
}

const char *domain_def_iothread_list(const DomainDef *def, char *buf, size_t size)
{
	size_t len = 0;
	if (size == 0)
		return buf;
	snprintf(buf, size, "none");
	for (size_t i = 0; i < def->n_iothreads && len < size; i++) {
		int n = snprintf(buf + len, size - len, "%s%u", i ? ", " : "", def->iothreads[i].id);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	return buf;
}
