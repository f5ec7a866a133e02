/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds a QEMU pidfile's lock (pidfile.h). */

#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "util/cleanup.h"

int qemu_pidfile_holder(const char *path, pid_t *ret_pid)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;

	/* F_GETLK tells the holder's pid; the file's text could be stale. */
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (fcntl(fd, F_GETLK, &fl) < 0)
		return -errno;
	if (fl.l_type == F_UNLCK)
		return 0;
	*ret_pid = fl.l_pid;
	return 1;
}
