/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Bounds on a caller's document, checked before libxml2 sees it: the
 * parser's duplicate-attribute check is quadratic in the attributes of
 * one element (111 000 of them in 1 MiB held the event loop for 22 s),
 * and nothing the schema accepts comes near these numbers. One linear
 * pass over the bytes; quoted values, comments, CDATA and processing
 * instructions are skipped, so it never miscounts what it allows. */

#include <stddef.h>

#include "util/error.h"

#define XML_MAX_ATTRIBUTES_PER_ELEMENT 32
#define XML_MAX_ELEMENTS               20000
#define XML_MAX_DEPTH                  64

/* 0, or -EBADMSG with err (InvalidXML, naming the line) for a document
 * over a bound. Malformed text is left for the parser to explain. */
int xml_check_bounds(const char *xml, size_t len, ZvError *err);
