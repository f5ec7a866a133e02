/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bounds of xml-bounds.h, in one pass. */

#include "xml-bounds.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Where the construct starting at p (after its opener) ends: just past
 * the terminator, or end when it is missing. Lines are counted. */
static const char *skip_past(const char *p, const char *end, const char *terminator, long *line)
{
	size_t n = strlen(terminator);
	for (; p + n <= end; p++) {
		if (memcmp(p, terminator, n) == 0)
			return p + n;
		if (*p == '\n')
			(*line)++;
	}
	return end;
}

int xml_check_bounds(const char *xml, size_t len, ZvError *err)
{
	const char *p = xml, *end = xml + len;
	long line = 1, elements = 0, depth = 0;

	while (p < end) {
		if (*p == '\n')
			line++;
		if (*p != '<') {
			p++;
			continue;
		}
		p++;
		if (p < end && *p == '!') {
			if (end - p >= 3 && memcmp(p, "!--", 3) == 0)
				p = skip_past(p + 3, end, "-->", &line);
			else if (end - p >= 8 && memcmp(p, "![CDATA[", 8) == 0)
				p = skip_past(p + 8, end, "]]>", &line);
			else
				p = skip_past(p, end, ">", &line);
			continue;
		}
		if (p < end && *p == '?') {
			p = skip_past(p, end, "?>", &line);
			continue;
		}
		if (p < end && *p == '/') {
			depth--;
			p = skip_past(p, end, ">", &line);
			continue;
		}

		/* A start tag: count its attributes by their '=' outside quotes. */
		long attributes = 0, tag_line = line;
		if (++elements > XML_MAX_ELEMENTS)
			return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG,
					    "Invalid domain XML: more than %d elements (line %ld)",
					    XML_MAX_ELEMENTS, line);
		bool empty = false;
		while (p < end && *p != '>') {
			if (*p == '"' || *p == '\'') {
				char q[2] = {*p, 0};
				p = skip_past(p + 1, end, q, &line);
				continue;
			}
			if (*p == '\n')
				line++;
			else if (*p == '=' && ++attributes > XML_MAX_ATTRIBUTES_PER_ELEMENT)
				return zv_error_set(
					err, ZV_ERROR_INVALID_XML, EBADMSG,
					"Invalid domain XML: an element at line %ld has more than %d "
					"attributes",
					tag_line, XML_MAX_ATTRIBUTES_PER_ELEMENT);
			empty = *p == '/';
			p++;
		}
		if (p < end)
			p++; /* '>' */
		if (!empty && ++depth > XML_MAX_DEPTH)
			return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG,
					    "Invalid domain XML: not well-formed: elements are nested too "
					    "deeply (more than %d levels, line %ld)",
					    XML_MAX_DEPTH, line);
	}
	return 0;
}
