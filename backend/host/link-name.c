/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Link names as the kernel takes them (see link-name.h). */
#include "host/link-name.h"

#include <errno.h>
#include <string.h>

#include "util/utf8.h"

#define QUOTE_MAX 64

int host_link_name_check(const char *name, const char *what, ZvError *err)
{
	char quoted[UTF8_SHORTEN_SIZE(QUOTE_MAX)];
	const char *why = NULL;

	if (!name || !*name)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "The %s is empty: a link needs a name", what);
	if (strlen(name) > HOST_LINK_NAME_MAX)
		why = "is longer than 15 bytes";
	else if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		why = "is '.' or '..'";
	else if (strchr(name, '/'))
		why = "has a '/'";
	else if (strchr(name, ':'))
		why = "has a ':'";
	else
		for (const unsigned char *c = (const unsigned char *)name; *c; c++)
			/* The kernel's isspace(): also the C0 controls it sees as space. */
			if (*c == ' ' || (*c >= '\t' && *c <= '\r')) {
				why = "has white space";
				break;
			}
	if (!why)
		return 0;
	return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
			    "The %s '%s' %s; a link name is 1 to 15 bytes without '/', ':' or white space, "
			    "and not '.' or '..'",
			    what, utf8_shorten(name, QUOTE_MAX, quoted), why);
}
