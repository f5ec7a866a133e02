/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A bound on how often something happens, like systemd's RateLimit: at
 * most `burst` events per `interval`; the rest are counted, and the first
 * event of a later window learns how many were suppressed. For log lines
 * a caller can cause at will (one per refused call), so a flood of calls
 * cannot flood the log. */

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

typedef struct RateLimit {
	uint64_t interval_usec;
	unsigned burst;
	uint64_t begin;      /* start of the current window, CLOCK_MONOTONIC µs; 0: none yet */
	unsigned num;        /* events passed in the current window */
	unsigned suppressed; /* events refused since the last one passed */
} RateLimit;

#define RATELIMIT_INIT(interval, n)                       \
	{                                                 \
		.interval_usec = (interval), .burst = (n) \
	}

/* Whether one more event may pass at `now` (CLOCK_MONOTONIC µs, > 0).
 * When it may, *ret_suppressed (may be NULL) is the number refused since
 * the last one passed, and that count starts again from 0. */
bool ratelimit_below_at(RateLimit *rl, uint64_t now, unsigned *ret_suppressed);
/* The same at the current time. */
bool ratelimit_below(RateLimit *rl, unsigned *ret_suppressed);

/* log_full_errno() through rl: nothing once the window's burst is used
 * up; the first line of a later window is preceded by "N messages
 * suppressed". Returns -abs(error) (0 for 0) either way. */
#define log_ratelimit_full_errno(rl, level, error, ...)                                                 \
	({                                                                                              \
		unsigned _suppressed_;                                                                  \
		int _e_ = (error);                                                                      \
		if (ratelimit_below((rl), &_suppressed_)) {                                             \
			if (_suppressed_ > 0)                                                           \
				log_full((level), "%u messages suppressed (rate limit)", _suppressed_); \
			_e_ = log_full_errno((level), _e_, __VA_ARGS__);                                \
		} else if (_e_ > 0)                                                                     \
			_e_ = -_e_;                                                                     \
		_e_;                                                                                    \
	})
#define log_ratelimit_full(rl, level, ...) (void)log_ratelimit_full_errno(rl, level, 0, __VA_ARGS__)

#define log_ratelimit_warning(rl, ...)          log_ratelimit_full(rl, LOG_WARNING, __VA_ARGS__)
#define log_ratelimit_warning_errno(rl, e, ...) log_ratelimit_full_errno(rl, LOG_WARNING, e, __VA_ARGS__)
#define log_ratelimit_error_errno(rl, e, ...)   log_ratelimit_full_errno(rl, LOG_ERR, e, __VA_ARGS__)
