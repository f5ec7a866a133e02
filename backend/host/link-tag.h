/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The mark the daemon puts on the host links it makes for a domain (a
 * macvtap, a tap): IFLA_IFALIAS "zvirtd:<uuid, 32 lower-case hex>:<device
 * alias>". The Host's calls that change links refuse marked ones: they
 * belong to a guest. */

#define HOST_LINK_TAG_PREFIX "zvirtd:"

/* alias (the link's ifalias; may be NULL): 1 when it is a well-formed
 * tag, with the uuid's 32 hex digits in uuid_hex and, when
 * ret_device_alias is not NULL, the device alias (malloc'd, not empty);
 * 0 when it does not start with HOST_LINK_TAG_PREFIX (not ours);
 * -EINVAL when it starts with the prefix but is not a tag (still one of
 * ours, a caller must not treat it as free); -ENOMEM. */
int host_link_tag_parse(const char *alias, char uuid_hex[static 33], char **ret_device_alias);
