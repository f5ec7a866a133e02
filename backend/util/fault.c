/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ZVIRTD_FAULT_KILL: see fault.h. */

#include "fault.h"

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
