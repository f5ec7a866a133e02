/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The destination's images of the disks a migration copies
 * (copy-storage, migration-in-images.c): planned at PrepareMigration's
 * turn in the write queue, checked or created on its worker (an image
 * there must have the source's size; a missing file is made, raw as a
 * sparse file, qcow2 by qemu-img over the disk's backing file), and
 * removed when the migration fails. For backend/driver/ only. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/domain-def.h"
#include "migrate-incoming.h"
#include "registry.h"
#include "util/error.h"

/* One copied disk's image: its own copies, nothing of the registry's,
 * so that the worker may use it. */
typedef struct IncomingImage {
	char *path;
	DiskType type;
	DiskFormat format;
	uint64_t size;
	char *backing; /* the layer below, for a qcow2 image to create */
	DiskFormat backing_format;
	bool created;
} IncomingImage;

typedef struct IncomingImages {
	IncomingImage *v;
	size_t n;
} IncomingImages;

/* Loop: the copied disks of def that p names can be copied (the
 * source's rules, asked again here), each with its size: their images
 * into *images. 0: there are images to prepare; > 0: no disk is copied;
 * < 0 with err. */
int incoming_images_plan(IncomingImages *images, const DomainDef *def, const DomainIncomingParams *p,
			 ZvError *err);
/* Worker thread: each image is there with its size, or made. < 0 with
 * err: none made stays. */
int incoming_images_prepare(IncomingImages *images, ZvError *err);
/* The images made are removed now (the daemon stops: no worker left). */
void incoming_images_undo(IncomingImages *images);
/* The paths of the images made (NULL-terminated; NULL for none, or out
 * of memory: they stay), for the migration to remove should it fail. */
char **incoming_images_take_created(IncomingImages *images);
/* The migration failed, QEMU is gone: created (taken) is removed on
 * the registry's worker. */
void incoming_images_remove_later(Registry *r, char **created);
void incoming_images_done(IncomingImages *images);
