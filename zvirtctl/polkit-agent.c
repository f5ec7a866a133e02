/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "polkit-agent.h"
#include "util/cleanup.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"

void polkit_agent_open(Ctl *ctl)
{
	int fds[2];
	char notify[16];

	if (ctl->agent_pid > 0 || geteuid() == 0 || !isatty(STDIN_FILENO) || access(PKTTYAGENT, X_OK) < 0)
		return;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return;
	_cleanup_close_ int rfd = fds[0];
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		/* The agent closes the pipe once it is registered (--notify-fd). */
		int wfd = dup(fds[1]);
		if (wfd < 0)
			_exit(EXIT_FAILURE);
		snprintf(notify, sizeof(notify), "%d", wfd);
		/* For our process, not the login session: polkitd asks it for
		 * our calls only, and it works where there is no session
		 * (no logind, a container, su). */
		char process[16];
		snprintf(process, sizeof(process), "%d", (int)getppid());
		/* It must register with the polkit of the bus we call. */
		if (ctl->connect)
			(void)setenv("DBUS_SYSTEM_BUS_ADDRESS", ctl->connect, 1);
		execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", notify, "--process", process, (char *)NULL);
		_exit(EXIT_FAILURE);
	}
	close(fds[1]);
	ctl->agent_pid = pid;
	/* Until it registered (or died: the pipe closes either way). */
	struct pollfd p = {.fd = rfd, .events = POLLIN};
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

void polkit_agent_close(Ctl *ctl)
{
	if (ctl->agent_pid <= 0)
		return;
	(void)kill(ctl->agent_pid, SIGTERM);
	while (waitpid(ctl->agent_pid, NULL, 0) < 0 && errno == EINTR)
		;
	ctl->agent_pid = 0;
}
