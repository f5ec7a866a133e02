/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging to the journal, stderr or a file (LogTarget=), by level. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

/* Logging is process-wide by nature (like systemd's log.c), so its three
 * settings are the one exception to "no globals outside Daemon". */
static int max_level = LOG_INFO;
static LogTarget target = LOG_TARGET_STDERR;
static FILE *target_file;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg",     [LOG_ALERT] = "alert",   [LOG_CRIT] = "critical", [LOG_ERR] = "error",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info",     [LOG_DEBUG] = "debug",
};

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

int log_set_target(LogTarget t, const char *path)
{
	if (t == LOG_TARGET_FILE) {
		FILE *f = fopen(path, "ae");
		if (!f)
			return -errno;
		setvbuf(f, NULL, _IOLBF, 0);
		if (target_file)
			fclose(target_file);
		target_file = f;
	}
	target = t;
	return 0;
}

int log_level_from_string(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i] && strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "err") == 0)
		return LOG_ERR;
	if (strcasecmp(s, "crit") == 0)
		return LOG_CRIT;
	return -EINVAL;
}

const char *log_level_to_string(int level)
{
	if (level < 0 || level > LOG_DEBUG)
		return NULL;
	return level_names[level];
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *fmt, ...)
{
	int saved_errno = errno;
	if (error < 0)
		error = -error;

	if (level <= max_level) {
		char msg[2048];
		va_list ap;

		/* %m in fmt means the passed error, not whatever errno is now. */
		errno = error;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);

		if (target == LOG_TARGET_JOURNAL) {
			if (error)
				sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", level, "ERRNO=%i", error,
						"CODE_FILE=%s", file, "CODE_LINE=%i", line, "CODE_FUNC=%s",
						func, NULL);
			else
				sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", level, "CODE_FILE=%s",
						file, "CODE_LINE=%i", line, "CODE_FUNC=%s", func, NULL);
		} else {
			FILE *out = target == LOG_TARGET_FILE && target_file ? target_file : stderr;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			fprintf(out, "zvirtd[%d] %lld.%06ld %s: %s\n", (int)getpid(), (long long)ts.tv_sec,
				ts.tv_nsec / 1000, level_names[level], msg);
		}
	}

	errno = saved_errno;
	return -error;
}
