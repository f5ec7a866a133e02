/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Error.* replies from ZvErrors and formats, always sendable. */
#include "errors.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/utf8.h"

/* Where a message is cut: the size a ZvError holds. */
#define MESSAGE_MAX (sizeof(((ZvError *)NULL)->message) - 1)

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

/* The last line of defence: sd-bus does not send a reply whose message
 * is not valid UTF-8 (the caller would wait for its timeout), and any
 * message may quote a caller, a file or QEMU, cut anywhere. */
static int set_error(sd_bus_error *error, ZvErrorCode code, const char *message)
{
	char name[128];
	const char *suffix = zv_error_code_name(code);
	if (!suffix || code == ZV_ERROR_NONE)
		suffix = "HostError";
	snprintf(name, sizeof(name), ZVIRT_ERROR_PREFIX "%s", suffix);

	_cleanup_free_ char *safe = strdup(message ?: "");
	if (!safe)
		return sd_bus_error_set(error, name, "Out of memory");
	utf8_truncate(safe, MESSAGE_MAX);
	return sd_bus_error_set(error, name, utf8_sanitize(safe));
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
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	/* Whole, so that set_error() can cut it between characters. */
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		msg = NULL;
		return set_error(error, ZV_ERROR_HOST, "Out of memory");
	}
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

int bus_reply_cancelled_stopping(sd_bus_message *m)
{
	ZvError e = ZV_ERROR_INIT;
	int r = zv_error_set(&e, ZV_ERROR_CANCELLED, ECANCELED, "zvirtd is stopping");
	r = bus_reply_zv_error(m, &e, r);
	zv_error_clear(&e);
	return r;
}

void bus_reply_result(sd_bus_message *m, int r, const ZvError *err)
{
	if (r < 0)
		(void)bus_reply_zv_error(m, err, r);
	else
		(void)sd_bus_reply_method_return(m, NULL);
}

int bus_call_begun(sd_bus_message *m, int r, const ZvError *err, sd_bus_error *error)
{
	if (r < 0) {
		sd_bus_message_unref(m);
		return bus_error_from_zv(error, err, r);
	}
	return 1;
}
