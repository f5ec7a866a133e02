/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the mark on a domain's host link (see link-tag.h). */
#include "host/link-tag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UUID_HEX_LEN 32

char *host_link_tag(const char *uuid_hex, const char *alias, char buf[static HOST_LINK_TAG_MAX])
{
	snprintf(buf, HOST_LINK_TAG_MAX, HOST_LINK_TAG_PREFIX "%s:%s", uuid_hex, alias ? alias : "");
	return buf;
}

int host_link_tag_parse(const char *alias, char uuid_hex[static 33], char **ret_device_alias)
{
	size_t plen = strlen(HOST_LINK_TAG_PREFIX);

	if (!alias || strncmp(alias, HOST_LINK_TAG_PREFIX, plen) != 0)
		return 0;
	const char *uuid = alias + plen;
	/* Lower case only: the daemon writes it so, and the object paths
	 * spell it so. */
	if (strspn(uuid, "0123456789abcdef") != UUID_HEX_LEN || uuid[UUID_HEX_LEN] != ':')
		return -EINVAL;
	const char *device = uuid + UUID_HEX_LEN + 1;
	if (!*device)
		return -EINVAL;
	if (ret_device_alias) {
		char *d = strdup(device);
		if (!d)
			return -ENOMEM;
		*ret_device_alias = d;
	}
	memcpy(uuid_hex, uuid, UUID_HEX_LEN);
	uuid_hex[UUID_HEX_LEN] = '\0';
	return 1;
}
