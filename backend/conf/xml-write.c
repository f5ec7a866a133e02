/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing the canonical XML: escaping for text and for attribute
 * values (so that what is written reads back byte for byte), two-space
 * indentation, text elements and attributes. */
#include <stdbool.h>
#include <stdio.h>

#include "xml-internal.h"

void put_escaped(FILE *f, const char *s, bool attribute)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '\r':
			/* A parser turns a raw CR into LF; the reference survives. */
			fputs("&#13;", f);
			break;
		case '\'':
			fputs(attribute ? "&apos;" : "'", f);
			break;
		case '"':
			fputs(attribute ? "&quot;" : "\"", f);
			break;
		case '\n':
			/* Attribute values have their whitespace normalised to
			 * spaces on reading; references keep it. */
			fputs(attribute ? "&#10;" : "\n", f);
			break;
		case '\t':
			fputs(attribute ? "&#9;" : "\t", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

void put_indent(FILE *f, unsigned level)
{
	for (unsigned i = 0; i < level; i++)
		fputs("  ", f);
}

/* <name>text</name> */
void put_text_element(FILE *f, unsigned level, const char *name, const char *text)
{
	put_indent(f, level);
	fprintf(f, "<%s>", name);
	put_escaped(f, text, false);
	fprintf(f, "</%s>\n", name);
}

/*  name='value' */
void put_attribute(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s='", name);
	put_escaped(f, value, true);
	fputc('\'', f);
}
