/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: the migration's parsers of what comes from outside. The
 * first byte picks one: the data uri a destination's daemon answers
 * (migration_uri_parse), the destination a caller of Migrate names
 * (migration_destination_parse), or a [Relocation] HostsAllow= list and
 * a peer name matched against it (hosts_allow_parse, hosts_allow_match).
 * Whatever a parser accepts must hold what it promises. */

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "migration/data-connect.h"
#include "migration/destination.h"
#include "migration/hosts-allow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_uri(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	if (migration_uri_parse(s, &ss, &len) < 0)
		return;
	/* Accepted: a numeric TCP endpoint with a port, nothing else. */
	if (strncmp(s, "tcp:", 4) != 0)
		abort();
	if (ss.ss_family == AF_INET) {
		if (len != sizeof(struct sockaddr_in) || ((struct sockaddr_in *)&ss)->sin_port == 0)
			abort();
	} else if (ss.ss_family == AF_INET6) {
		if (len != sizeof(struct sockaddr_in6) || ((struct sockaddr_in6 *)&ss)->sin6_port == 0)
			abort();
	} else
		abort();
}

static void check_destination(const char *s)
{
	MigrationDestination d = {};
	char *why = NULL;
	if (migration_destination_parse(s, &d, &why) < 0) {
		/* Every refusal says why (allocation failures aside). */
		free(why);
		return;
	}
	if (!d.peer || (d.ssh ? !d.host || d.host[0] == '-' : !d.address))
		abort();
	migration_destination_done(&d);
}

static void check_hosts_allow(const char *s)
{
	/* "LIST\nNAME": the list, then a peer name to match. */
	char *nl = strchr(s, '\n');
	const char *name = "localhost";
	if (nl) {
		*nl = '\0';
		name = nl + 1;
	}
	HostsAllow *h = NULL;
	char *error = NULL;
	if (hosts_allow_parse(s, &h, &error) < 0) {
		free(error);
		return;
	}
	(void)hosts_allow_match(h, name, "127.0.0.1");
	(void)hosts_allow_match(h, NULL, name);
	hosts_allow_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 4096)
		return 0;
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		check_uri(s);
		break;
	case 1:
		check_destination(s);
		break;
	default:
		check_hosts_allow(s);
	}
	free(s);
	return 0;
}
