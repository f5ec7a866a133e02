/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a disk image says of its sizes without QEMU, as libvirt's
 * domblkinfo and domstats read them for a domain that does not run. */

#include <stdint.h>

#include "conf/domain-def.h"
#include "util/error.h"

typedef struct QemuImageSizes {
	/* What a guest sees: a qcow2 header's virtual size, else the size
	 * of the file or the block device. */
	uint64_t capacity;
	/* What the image takes on the host: a file's allocated blocks
	 * (st_blocks × 512, less than its size when sparse); a block
	 * device's size for raw, 0 for an image format on a block device
	 * (only QEMU knows how far it has written there). */
	uint64_t allocation;
	/* The size of the file or the block device. */
	uint64_t physical;
} QemuImageSizes;

/* Blocking (stat, open, a 32-byte read): call it off the event loop.
 * Only regular files and block devices are opened: opening a character
 * device or a FIFO may block or do something (a tape rewinds), so
 * those are -ENOTSUP. A qcow2 image without a qcow2 header is -EBADMSG;
 * otherwise the errno of stat/open/read. */
int qemu_image_read_sizes(const char *path, DiskFormat format, QemuImageSizes *ret);

/* Creates path (absolute; it must not exist) as an image of format and
 * size (bytes): raw as a sparse file, qcow2 with qemu-img, over the
 * backing file given (NULL: none). Blocking: off the loop. A failure
 * leaves no file; ZV_ERROR_HOST with the reason (qemu-img's words). */
int qemu_image_create(const char *path, DiskFormat format, uint64_t size, const char *backing,
		      DiskFormat backing_format, ZvError *err);
