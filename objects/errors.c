/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "errors.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define E(name, err) SD_BUS_ERROR_MAP(ZVIRT_ERROR_PREFIX name, err)

static const sd_bus_error_map zvirt_error_map[] = {
	E("InvalidArgument", EINVAL),
	E("InvalidXML", EBADMSG),
	E("NoSuchDomain", ENOENT),
	E("NoSuchDevice", ENODEV),
	E("DomainExists", EEXIST),
	E("OperationInvalid", EPERM),
	E("Busy", EBUSY),
	E("NotAuthorized", EACCES),
	E("HypervisorError", EIO),
	E("HostError", EIO),
	E("Timeout", ETIMEDOUT),
	E("Cancelled", ECANCELED),
	E("MigrationFailed", EIO),
	SD_BUS_ERROR_MAP_END,
};

int bus_errors_register(void)
{
	return sd_bus_error_add_map(zvirt_error_map);
}

static int set_error(sd_bus_error *error, ZvErrorCode code, const char *message)
{
	char name[128];
	const char *suffix = zv_error_code_name(code);
	if (!suffix || code == ZV_ERROR_NONE)
		suffix = "HostError";
	snprintf(name, sizeof(name), ZVIRT_ERROR_PREFIX "%s", suffix);
	return sd_bus_error_set(error, name, message);
}

int bus_error_from_zv(sd_bus_error *error, const ZvError *err, int r)
{
	if (r >= 0)
		r = -EIO;
	if (!err || err->code == ZV_ERROR_NONE) {
		char msg[256];
		snprintf(msg, sizeof(msg), "Internal error: %s", strerror(-r));
		set_error(error, ZV_ERROR_HOST, msg);
		return r;
	}
	set_error(error, err->code, err->message);
	return r;
}

int bus_error_setf(sd_bus_error *error, ZvErrorCode code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return set_error(error, code, msg);
}

int bus_reply_zv_error(sd_bus_message *m, const ZvError *err, int r)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	bus_error_from_zv(&error, err, r);
	int k = sd_bus_reply_method_error(m, &error);
	sd_bus_error_free(&error);
	return k;
}
