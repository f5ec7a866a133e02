/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The mark the daemon puts on the host links it makes for a domain (a
 * macvtap, a tap): IFLA_IFALIAS "zvirtd:<uuid, 32 lower-case hex>:<device
 * alias>". The Host's calls that change links refuse marked ones: they
 * belong to a guest. */

#include "conf/domain-def.h"

#define HOST_LINK_TAG_PREFIX "zvirtd:"
/* The prefix, 32 hex digits, ':' and a device alias, and the NUL. */
#define HOST_LINK_TAG_MAX (sizeof(HOST_LINK_TAG_PREFIX) + 32 + 1 + DEVICE_ALIAS_MAX + 1)

/* The tag of device alias's link for the domain of uuid_hex, in buf. */
char *host_link_tag(const char *uuid_hex, const char *alias, char buf[static HOST_LINK_TAG_MAX]);

/* alias (the link's ifalias; may be NULL): 1 when it is a well-formed
 * tag, with the uuid's 32 hex digits in uuid_hex and, when
 * ret_device_alias is not NULL, the device alias (malloc'd, not empty);
 * 0 when it does not start with HOST_LINK_TAG_PREFIX (not ours);
 * -EINVAL when it starts with the prefix but is not a tag (still one of
 * ours, a caller must not treat it as free); -ENOMEM. */
int host_link_tag_parse(const char *alias, char uuid_hex[static 33], char **ret_device_alias);
