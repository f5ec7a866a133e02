/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The common part of a child's way to exec (child.h). */

#include "child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/close_range.h>

int child_prepare_exec(const int *keep, size_t n_keep)
{
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (int fd = 3; fd < 1024; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] >= 0 && fcntl(keep[i], F_SETFD, 0) < 0)
			return -1;

	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < _NSIG; sig++)
		(void)signal(sig, SIG_DFL);
	return 0;
}
