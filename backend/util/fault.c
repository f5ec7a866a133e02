/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ZVIRTD_FAULT_KILL and ZVIRTD_FAULT_FAIL: see fault.h. */

#include "fault.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

void fault_point(const char *point)
{
	const char *want = getenv("ZVIRTD_FAULT_KILL");
	if (!want || strcmp(want, point) != 0)
		return;
	log_warning("ZVIRTD_FAULT_KILL=%s: killing myself here", point);
	(void)kill(getpid(), SIGKILL);
	pause();
}

int fault_error(const char *point)
{
	const char *want = getenv("ZVIRTD_FAULT_FAIL");
	if (!want || strcmp(want, point) != 0)
		return 0;
	log_warning("ZVIRTD_FAULT_FAIL=%s: failing here", point);
	return -EIO;
}

void fault_delay(const char *point)
{
	const char *want = getenv("ZVIRTD_FAULT_DELAY");
	size_t n = strlen(point);
	if (!want || strncmp(want, point, n) != 0 || want[n] != ':')
		return;
	unsigned long ms = strtoul(want + n + 1, NULL, 10);
	log_warning("ZVIRTD_FAULT_DELAY=%s: sleeping %lu ms here", want, ms);
	(void)usleep((useconds_t)(ms * 1000));
}
