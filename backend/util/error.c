/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ZvError: the first error recorded wins, and its code's name. */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static const char *const code_names[_ZV_ERROR_MAX] = {
	[ZV_ERROR_NONE] = "None",
	[ZV_ERROR_INVALID_ARGUMENT] = "InvalidArgument",
	[ZV_ERROR_INVALID_XML] = "InvalidXML",
	[ZV_ERROR_NO_SUCH_DOMAIN] = "NoSuchDomain",
	[ZV_ERROR_NO_SUCH_DEVICE] = "NoSuchDevice",
	[ZV_ERROR_DOMAIN_EXISTS] = "DomainExists",
	[ZV_ERROR_OPERATION_INVALID] = "OperationInvalid",
	[ZV_ERROR_BUSY] = "Busy",
	[ZV_ERROR_NOT_AUTHORIZED] = "NotAuthorized",
	[ZV_ERROR_HYPERVISOR] = "HypervisorError",
	[ZV_ERROR_HOST] = "HostError",
	[ZV_ERROR_TIMEOUT] = "Timeout",
	[ZV_ERROR_CANCELLED] = "Cancelled",
	[ZV_ERROR_MIGRATION_FAILED] = "MigrationFailed",
};

int zv_error_set(ZvError *err, ZvErrorCode code, int errnum, const char *fmt, ...)
{
	if (errnum < 0)
		errnum = -errnum;
	if (errnum == 0)
		errnum = EIO;

	if (err && err->code == ZV_ERROR_NONE) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		char *full = NULL;
		int n = vasprintf(&full, fmt, ap);
		va_end(ap);
		if (n < 0)
			snprintf(err->message, sizeof(err->message), "Out of memory");
		else {
			/* Cut short, it must not end inside a character: the
			 * message becomes a D-Bus string. */
			(void)utf8_truncate(full, sizeof(err->message) - 1);
			memcpy(err->message, full, strlen(full) + 1);
			free(full);
		}
	}
	return -errnum;
}

void zv_error_clear(ZvError *err)
{
	err->code = ZV_ERROR_NONE;
	err->message[0] = 0;
}

const char *zv_error_code_name(ZvErrorCode code)
{
	if (code < 0 || code >= _ZV_ERROR_MAX)
		return NULL;
	return code_names[code];
}
