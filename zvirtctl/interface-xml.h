/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A guest NIC's <interface> element, as attach-interface builds it and
 * domif-setlink changes it (in the domain's XML, the one the daemon
 * compares an UpdateDevice with). */

#include <stdbool.h>

typedef struct InterfaceSpec {
	const char *type; /* bridge, direct */
	const char *source;
	const char *source_mode; /* direct only; NULL: the daemon's default */
	const char *mac, *model, *target;
} InterfaceSpec;

/* attach-interface's XML: 0 and the text, or -ENOMEM. */
int interface_xml_build(const InterfaceSpec *spec, char **ret_xml);
/* The domain XML's <interface> with that MAC (any case), with its
 * <link state> set; -ENODEV when it has none, -EINVAL for XML that does
 * not parse. */
int interface_xml_set_link(const char *domain_xml, const char *mac, bool up, char **ret_xml);
/* Its link state: up unless <link state='down'/>. -ENODEV, -EINVAL as above. */
int interface_xml_get_link(const char *domain_xml, const char *mac, bool *ret_up);
