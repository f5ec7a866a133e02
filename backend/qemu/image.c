/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image sizes from the file itself (image.h): stat, and for qcow2 the
 * virtual size in its header (big-endian, at offset 24, after the magic
 * "QFI\xfb", the version, the backing file's offset and size and the
 * cluster bits), as libvirt's storage file probe reads it. */

#include "image.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

#define QCOW2_MAGIC       "QFI\xfb"
#define QCOW2_SIZE_OFFSET 24
#define QCOW2_HEADER_MIN  32

int qemu_image_read_sizes(const char *path, DiskFormat format, QemuImageSizes *ret)
{
	struct stat before, st;

	if (stat(path, &before) < 0)
		return -errno;
	if (!S_ISREG(before.st_mode) && !S_ISBLK(before.st_mode))
		return -ENOTSUP;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	/* What was checked is what is read: not a FIFO put in its place. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_dev != before.st_dev || st.st_ino != before.st_ino)
		return -ESTALE;

	QemuImageSizes s = {};
	if (S_ISREG(st.st_mode)) {
		s.capacity = s.physical = (uint64_t)st.st_size;
		s.allocation = (uint64_t)st.st_blocks * 512;
	} else {
		off_t end = lseek(fd, 0, SEEK_END);
		if (end < 0)
			return -errno;
		s.capacity = s.physical = (uint64_t)end;
		s.allocation = format == DISK_FORMAT_RAW ? (uint64_t)end : 0;
	}
	if (format == DISK_FORMAT_QCOW2) {
		unsigned char h[QCOW2_HEADER_MIN];
		ssize_t n = pread(fd, h, sizeof(h), 0);
		if (n < 0)
			return -errno;
		if ((size_t)n < sizeof(h) || memcmp(h, QCOW2_MAGIC, 4) != 0)
			return -EBADMSG;
		uint64_t be;
		memcpy(&be, h + QCOW2_SIZE_OFFSET, sizeof(be));
		s.capacity = be64toh(be);
	}
	*ret = s;
	return 0;
}
