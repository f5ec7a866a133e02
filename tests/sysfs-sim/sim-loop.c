/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loop devices for the simulated disks (sim-loop.h). The loop's node is
 * made in the backing directory and unlinked at once: the host's /dev
 * need not have it (no udev here), and nothing is left behind. The
 * device is attached with LO_FLAGS_AUTOCLEAR, so it detaches itself when
 * the simulator and the last QEMU using it have closed it, also when the
 * simulator is killed. */
#include "sim-loop.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define LOOP_MAJOR_NUMBER 7

static const char *backing_dir;

void sim_loop_init(const char *dir)
{
	backing_dir = dir;
}

static int open_backing(const char *image, unsigned long long bytes)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", backing_dir, image);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 ||
	    ((unsigned long long)st.st_size != bytes && ftruncate(fd, (off_t)bytes) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

int sim_loop_attach(const char *image, unsigned long long bytes, unsigned block_size, dev_t *ret_dev)
{
	if (!backing_dir)
		return -1;
	int backing = open_backing(image, bytes);
	if (backing < 0) {
		fprintf(stderr, "sysfs-sim: cannot make %s/%s: %m\n", backing_dir, image);
		return -1;
	}
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		fprintf(stderr, "sysfs-sim: no loop devices (%m): %s stays a placeholder\n", image);
		close(backing);
		return -1;
	}
	int loop = -1;
	/* Another process may take the free device between GET_FREE and
	 * CONFIGURE (tests run side by side): then ask again. */
	for (int tries = 0; loop < 0 && tries < 32; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			break;
		char node[512];
		snprintf(node, sizeof(node), "%s/.loop%d", backing_dir, n);
		(void)unlink(node);
		if (mknod(node, S_IFBLK | 0600, makedev(LOOP_MAJOR_NUMBER, n)) < 0)
			break;
		int fd = open(node, O_RDWR | O_CLOEXEC);
		(void)unlink(node);
		if (fd < 0)
			break;
		struct loop_config c = {.fd = (unsigned)backing, .block_size = block_size};
		c.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		snprintf((char *)c.info.lo_file_name, sizeof(c.info.lo_file_name), "%s", image);
		if (ioctl(fd, LOOP_CONFIGURE, &c) == 0) {
			loop = fd;
			*ret_dev = makedev(LOOP_MAJOR_NUMBER, n);
		} else {
			int e = errno;
			close(fd);
			if (e != EBUSY)
				break;
		}
	}
	if (loop < 0)
		fprintf(stderr, "sysfs-sim: no loop device for %s (%m): it stays a placeholder\n", image);
	close(ctl);
	close(backing);
	return loop;
}
