/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing Domain.Migrate's destination (destination.h). The ssh form's
 * parts reach ssh's command line: only what a user name, host name or
 * address may hold passes, so nothing can turn into an ssh option. */
#include "migration/destination.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

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

/* Whether a D-Bus address names a bus to connect to, and nothing else:
 * one unix socket (path= or abstract=) or a tcp: endpoint with a numeric
 * host and a port. Not unixexec: (sd-bus would run its argv, as root),
 * nor x-machine-*: (another namespace), nor a host name (a lookup that
 * blocks the loop), nor alternatives after ';'. */
static const char *address_problem(const char *s)
{
	bool unix_socket = strncmp(s, "unix:", 5) == 0, tcp = strncmp(s, "tcp:", 4) == 0;
	if (!unix_socket && !tcp)
		return "is neither ssh://[user@]host nor a D-Bus address of a socket (unix:path=..., "
		       "unix:abstract=..., tcp:host=ADDRESS,port=PORT)";
	if (strchr(s, ';'))
		return "names more than one address";
	bool where = false, port = false;
	for (const char *kv = strchr(s, ':') + 1; *kv;) {
		size_t len = strcspn(kv, ",");
		const char *eq = memchr(kv, '=', len);
		if (!eq || eq == kv || eq + 1 == kv + len)
			return "has a part that is not key=value";
		size_t klen = (size_t)(eq - kv), vlen = len - klen - 1;
		_cleanup_free_ char *value = strndup(eq + 1, vlen);
		if (!value)
			return "cannot be read (out of memory)";
#define KEY(k) (klen == strlen(k) && strncmp(kv, k, klen) == 0)
		if (unix_socket && (KEY("path") || KEY("abstract")))
			where = true;
		else if (tcp && KEY("host")) {
			struct in6_addr a6;
			struct in_addr a4;
			if (inet_pton(AF_INET, value, &a4) != 1 && inet_pton(AF_INET6, value, &a6) != 1)
				return "names its host by name: give a numeric address";
			where = true;
		} else if (tcp && KEY("port")) {
			char *end;
			unsigned long v = strtoul(value, &end, 10);
			if (*end || v == 0 || v > 65535)
				return "has no valid port";
			port = true;
		} else if (tcp && KEY("family")) {
			if (strcmp(value, "ipv4") != 0 && strcmp(value, "ipv6") != 0)
				return "has an unknown family";
		} else if (!KEY("guid"))
			return unix_socket
				       ? "has a key a unix: address does not take (path=, abstract=, guid=)"
				       : "has a key a tcp: address does not take (host=, port=, family=, "
					 "guid=)";
#undef KEY
		kv += len;
		if (*kv == ',')
			kv++;
	}
	if (!where)
		return unix_socket ? "names no socket (path= or abstract=)" : "names no host";
	if (tcp && !port)
		return "names no port";
	return NULL;
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
		const char *why = address_problem(s);
		if (why)
			return fail(ret_error, s, why);
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
