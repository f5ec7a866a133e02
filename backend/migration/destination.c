/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing Domain.Migrate's destination (destination.h). The ssh form's
 * parts reach ssh's command line: only what a user name, host name or
 * address may hold passes, so nothing can turn into an ssh option. */
#include "migration/destination.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"
#define USER_CHARS HOST_CHARS

void migration_destination_done(MigrationDestination *d)
{
	free(d->host);
	free(d->address);
	free(d->peer);
	*d = (MigrationDestination){};
}

static int fail(char **ret_error, const char *s, const char *why)
{
	if (ret_error && asprintf(ret_error, "Destination '%s' %s", s, why) < 0)
		*ret_error = NULL;
	return -EINVAL;
}

/* [user@]host[:port]; host a name, an IPv4 address or [IPv6]. */
static int parse_ssh(const char *s, const char *rest, MigrationDestination *d, char **ret_error)
{
	const char *at = strchr(rest, '@'), *host = at ? at + 1 : rest;
	if (at && (at == rest || strspn(rest, USER_CHARS) != (size_t)(at - rest) || rest[0] == '-'))
		return fail(ret_error, s, "has a user name that is not one");
	size_t hlen;
	const char *after;
	if (host[0] == '[') {
		const char *close = strchr(host, ']');
		if (!close || close == host + 1 ||
		    strspn(host + 1, "0123456789abcdefABCDEF:.") != (size_t)(close - host - 1))
			return fail(ret_error, s, "has an IPv6 address that is not one");
		hlen = (size_t)(close + 1 - host);
		after = close + 1;
	} else {
		hlen = strspn(host, HOST_CHARS);
		after = host + hlen;
		if (hlen == 0 || host[0] == '-' || host[0] == '.')
			return fail(ret_error, s, "names no host (ssh://[user@]host[:port])");
	}
	if (after[0] == ':') {
		const char *port = after + 1;
		size_t n = strspn(port, "0123456789");
		if (n == 0 || n > 5 || port[n] || atoi(port) < 1 || atoi(port) > 65535)
			return fail(ret_error, s, "has a port that is not one (1 to 65535)");
	} else if (after[0] == '/' && !after[1]) {
		/* ssh://host/ as a URI may end */
	} else if (after[0])
		return fail(ret_error, s, "has characters a host name cannot have");
	d->ssh = true;
	size_t len = (size_t)(after - rest) + (after[0] == ':' ? strlen(after) : 0);
	d->host = strndup(rest, len);
	d->peer = strndup(host, hlen);
	return d->host && d->peer ? 0 : -ENOMEM;
}

int migration_destination_parse(const char *s, MigrationDestination *ret, char **ret_error)
{
	MigrationDestination d = {};
	if (ret_error)
		*ret_error = NULL;
	if (!s || !*s)
		return fail(ret_error, "", "is empty: give ssh://[user@]host or a D-Bus address");
	int r;
	if (strncmp(s, "ssh://", 6) == 0)
		r = parse_ssh(s, s + 6, &d, ret_error);
	else {
		/* A D-Bus address: transport:key=value,...[;...] (sd-bus
		 * checks the rest when it connects). */
		const char *colon = strchr(s, ':');
		if (!colon || colon == s ||
		    strspn(s, "abcdefghijklmnopqrstuvwxyz-") != (size_t)(colon - s) || !strchr(colon, '='))
			return fail(ret_error, s,
				    "is neither ssh://[user@]host nor a D-Bus address (unix:path=...)");
		const char *v;
		d.address = strdup(s);
		if ((v = strstr(s, "host=")))
			d.peer = strndup(v + 5, strcspn(v + 5, ",;"));
		else
			d.peer = strdup(s);
		r = d.address && d.peer ? 0 : -ENOMEM;
	}
	if (r < 0) {
		migration_destination_done(&d);
		return r;
	}
	*ret = d;
	return 0;
}
