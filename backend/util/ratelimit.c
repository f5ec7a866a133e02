/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fixed windows of interval_usec, burst events each. */

#include "ratelimit.h"

#include <time.h>

bool ratelimit_below_at(RateLimit *rl, uint64_t now, unsigned *ret_suppressed)
{
	if (rl->begin == 0 || now - rl->begin >= rl->interval_usec) {
		rl->begin = now;
		rl->num = 0;
	}
	if (rl->num >= rl->burst) {
		rl->suppressed++;
		return false;
	}
	rl->num++;
	if (ret_suppressed)
		*ret_suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

bool ratelimit_below(RateLimit *rl, unsigned *ret_suppressed)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ratelimit_below_at(rl, (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000,
				  ret_suppressed);
}
