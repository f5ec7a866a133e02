/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What went wrong, in words a person can act on. backend/ fills it;
 * objects/errors.c maps the code to an org.zvirt1.Error.* name. */

typedef enum ZvErrorCode {
	ZV_ERROR_NONE = 0,
	ZV_ERROR_INVALID_ARGUMENT,
	ZV_ERROR_INVALID_XML,
	ZV_ERROR_NO_SUCH_DOMAIN,
	ZV_ERROR_NO_SUCH_DEVICE,
	ZV_ERROR_DOMAIN_EXISTS,
	ZV_ERROR_OPERATION_INVALID,
	ZV_ERROR_BUSY,
	ZV_ERROR_NOT_AUTHORIZED,
	ZV_ERROR_HYPERVISOR,
	ZV_ERROR_HOST,
	ZV_ERROR_TIMEOUT,
	ZV_ERROR_CANCELLED,
	ZV_ERROR_MIGRATION_FAILED,
	_ZV_ERROR_MAX,
} ZvErrorCode;

typedef struct ZvError {
	ZvErrorCode code;
	char message[1024];
} ZvError;

#define ZV_ERROR_INIT                 \
	{                             \
		.code = ZV_ERROR_NONE \
	}

/* Records code and message (unless an error is already recorded: the
 * first, most specific one wins) and returns -abs(errnum), or -EIO
 * when errnum is 0, so callers can `return zv_error_set(...)`.
 * err may be NULL. */
int zv_error_set(ZvError *err, ZvErrorCode code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void zv_error_clear(ZvError *err);

/* The org.zvirt1.Error.* suffix for a code ("InvalidArgument"). */
const char *zv_error_code_name(ZvErrorCode code);
