/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <syslog.h>

/* Levels are syslog's; LogLevel= in the config names them. */
typedef enum LogTarget {
	LOG_TARGET_STDERR,
	LOG_TARGET_JOURNAL,
	LOG_TARGET_FILE,
} LogTarget;

void log_set_max_level(int level);
int log_get_max_level(void);
/* path is only used for LOG_TARGET_FILE; returns negative errno. */
int log_set_target(LogTarget target, const char *path);
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);

/* Logs and returns -abs(error) (or 0 when error is 0), so callers can
 * write `return log_error_errno(r, "...")`. */
int log_internal(int level, int error, const char *file, int line, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#define log_full_errno(level, error, ...) \
	log_internal(level, error, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) (void)log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, e, __VA_ARGS__)
