/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading values out of a validated document, each refusal an error at
 * the node's path: element children in order (next_child, once,
 * require), attributes (attr_get, check_attributes, attr_unsigned,
 * attr_on_off, attr_enum), text (node_text, text_u64), absolute paths,
 * and memory sizes in libvirt's units. The schema has already said most
 * of this; the reader checks again because it must never take what it
 * does not understand, schema or not. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "xml-internal.h"

/* Is a before b in document order? Messages about a pair name the later
 * one at its place and point back at the earlier one. */
bool node_before(const xmlNode *a, const xmlNode *b)
{
	return xmlXPathCmpNodes((xmlNode *)a, (xmlNode *)b) == 1;
}

bool node_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !n->ns && xmlStrEqual(n->name, BAD_CAST name);
}

bool is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The element's text (all text children), malloc'd. */
int node_text(const xmlNode *n, char **ret)
{
	_cleanup_xml_free_ xmlChar *v = xmlNodeGetContent(n);
	char *s = strdup(v ? (const char *)v : "");
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* 0 and NULL when absent, 1 when present, -ENOMEM. */
int attr_get(const xmlNode *n, const char *name, char **ret)
{
	*ret = NULL;
	xmlAttr *a = xmlHasNsProp(n, BAD_CAST name, NULL);
	if (!a)
		return 0;
	_cleanup_xml_free_ xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
	char *s = strdup(v ? (const char *)v : "");
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 1;
}

/* Refuses attributes not listed: the schema already did, but the C
 * reader must never drop what it does not know, schema or not. */
int check_attributes(ParseContext *c, const xmlNode *n, const char *const *allowed)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		bool ok = false;
		for (const char *const *p = allowed; !a->ns && *p; p++)
			if (xmlStrEqual(a->name, BAD_CAST * p)) {
				ok = true;
				break;
			}
		if (!ok)
			return xml_error(c->err, n, "unknown attribute '%s'", (const char *)a->name);
	}
	return 0;
}

/* Element children only; refuses stray text, skips comments and PIs. */
int next_child(ParseContext *c, const xmlNode *parent, xmlNode **iter)
{
	xmlNode *n = *iter ? (*iter)->next : parent->children;
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE) {
			*iter = n;
			return 1;
		}
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			for (const xmlChar *p = n->content; p && *p; p++)
				if (!is_xml_space((char)*p)) {
					char vbuf[80];
					return xml_error(c->err, parent, "unexpected text '%s' in <%s>",
							 shorten((const char *)p, vbuf), node_label(parent));
				}
		} else if (n->type == XML_ENTITY_REF_NODE)
			return xml_error(c->err, parent, "entity references are not allowed");
	}
	*iter = NULL;
	return 0;
}

int unknown_element(ParseContext *c, const xmlNode *n)
{
	return xml_error(c->err, n, "unknown element <%s>", node_label(n));
}

/* Elements that may appear once: the second is named in the error. */
int once(ParseContext *c, xmlNode **slot, xmlNode *n)
{
	if (*slot)
		return xml_error(c->err, n, "<%s> given more than once", node_label(n));
	*slot = n;
	return 0;
}

int require(ParseContext *c, const xmlNode *parent, const xmlNode *child, const char *name)
{
	if (!child)
		return xml_error(c->err, parent, "missing element <%s>", name);
	return 0;
}

bool has_element_children(const xmlNode *node)
{
	for (const xmlNode *c = node->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return true;
	return false;
}

int count_children(const xmlNode *n, const char *name, size_t *ret)
{
	size_t k = 0;
	for (const xmlNode *c = n->children; c; c = c->next)
		if (node_is(c, name))
			k++;
	*ret = k;
	return 0;
}

const char *trim(char *s)
{
	while (is_xml_space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_xml_space(s[n - 1]))
		s[--n] = 0;
	return s;
}

/* Decimal, as XSD's integer types read it (a leading '+' and
 * surrounding whitespace allowed). -EINVAL, -ERANGE. */
int parse_u64(char *text, uint64_t *ret)
{
	const char *s = trim(text);
	uint64_t v = 0;

	if (*s == '+')
		s++;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

static int number_error(ParseContext *c, const xmlNode *n, const char *what, const char *value, int r)
{
	char vbuf[80];
	if (r == -ERANGE)
		return xml_error(c->err, n, "%s '%s' is too large", what, shorten(value, vbuf));
	return xml_error(c->err, n, "%s '%s' is not a number", what, shorten(value, vbuf));
}

int text_u64(ParseContext *c, const xmlNode *n, const char *what, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	if (node_text(n, &text) < 0)
		return -ENOMEM;
	_cleanup_free_ char *copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	int r = parse_u64(copy, ret);
	if (r < 0)
		return number_error(c, n, what, text, r);
	return 0;
}

int text_unsigned(ParseContext *c, const xmlNode *n, const char *what, unsigned *ret)
{
	uint64_t v;
	int r = text_u64(c, n, what, &v);
	if (r < 0)
		return r;
	if (v > UINT_MAX) {
		_cleanup_free_ char *text = NULL;
		if (node_text(n, &text) < 0)
			return -ENOMEM;
		return number_error(c, n, what, text, -ERANGE);
	}
	*ret = (unsigned)v;
	return 0;
}

int attr_unsigned(ParseContext *c, const xmlNode *n, const char *name, unsigned *ret, bool *present)
{
	_cleanup_free_ char *v = NULL;
	int r = attr_get(n, name, &v);
	if (r < 0)
		return r;
	if (present)
		*present = r > 0;
	if (r == 0)
		return 0;

	_cleanup_free_ char *copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	uint64_t u;
	r = parse_u64(copy, &u);
	if (r == 0 && u > UINT_MAX)
		r = -ERANGE;
	if (r < 0) {
		char what[64];
		snprintf(what, sizeof(what), "%s=", name);
		return number_error(c, n, what, v, r);
	}
	*ret = (unsigned)u;
	return 1;
}

/* on/off for dumpCore= and append=. */
int attr_on_off(ParseContext *c, const xmlNode *n, const char *name, bool *ret, bool *present)
{
	_cleanup_free_ char *v = NULL;
	int r = attr_get(n, name, &v);
	if (r < 0)
		return r;
	if (present)
		*present = r > 0;
	if (r == 0)
		return 0;
	if (strcmp(v, "on") == 0)
		*ret = true;
	else if (strcmp(v, "off") == 0)
		*ret = false;
	else {
		char vbuf[80];
		return xml_error(c->err, n,
				 "invalid value '%s' for attribute '%s' (expected one of: on, off)",
				 shorten(v, vbuf), name);
	}
	return 1;
}

/* An attribute that must hold one of an enum's strings. */
int attr_enum(ParseContext *c, const xmlNode *n, const char *name, int (*from_string)(const char *),
	      const char *expected, int *ret)
{
	_cleanup_free_ char *v = NULL;
	int r = attr_get(n, name, &v);
	if (r <= 0)
		return r;
	int k = from_string(v);
	if (k < 0) {
		char vbuf[80];
		return xml_error(c->err, n, "invalid value '%s' for attribute '%s' (expected %s)",
				 shorten(v, vbuf), name, expected);
	}
	*ret = k;
	return 1;
}

int check_absolute_path(ParseContext *c, const xmlNode *n, const char *what, const char *path)
{
	char vbuf[80];
	if (!path || path[0] != '/')
		return xml_error(c->err, n, "%s '%s' is not an absolute path", what, shorten(path, vbuf));
	return 0;
}

static const struct {
	const char *name;
	uint64_t scale; /* bytes */
} memory_units[] = {
	{"b", 1},
	{"bytes", 1},
	{"KB", UINT64_C(1000)},
	{"k", UINT64_C(1) << 10},
	{"KiB", UINT64_C(1) << 10},
	{"MB", UINT64_C(1000000)},
	{"M", UINT64_C(1) << 20},
	{"MiB", UINT64_C(1) << 20},
	{"GB", UINT64_C(1000000000)},
	{"G", UINT64_C(1) << 30},
	{"GiB", UINT64_C(1) << 30},
	{"TB", UINT64_C(1000000000000)},
	{"T", UINT64_C(1) << 40},
	{"TiB", UINT64_C(1) << 40},
};

int domain_memory_to_kib(uint64_t value, const char *unit, uint64_t *ret_kib)
{
	uint64_t scale = 0;

	if (!unit)
		unit = "KiB";
	for (size_t i = 0; i < ELEMENTSOF(memory_units); i++)
		if (strcmp(memory_units[i].name, unit) == 0) {
			scale = memory_units[i].scale;
			break;
		}
	if (scale == 0)
		return -EINVAL;

	/* Whole KiB first, so that sizes given in KiB or larger units can
	 * go all the way to UINT64_MAX KiB; bytes round up. */
	uint64_t kib;
	if (scale % 1024 == 0) {
		uint64_t per = scale / 1024;
		if (value > UINT64_MAX / per)
			return -ERANGE;
		kib = value * per;
	} else {
		if (value > UINT64_MAX / scale)
			return -ERANGE;
		uint64_t bytes = value * scale;
		kib = bytes / 1024 + (bytes % 1024 != 0);
	}
	*ret_kib = kib;
	return 0;
}

int parse_memory(ParseContext *c, const xmlNode *n, const char *what, uint64_t *ret_kib)
{
	_cleanup_free_ char *unit = NULL;
	uint64_t v;
	int r;

	r = attr_get(n, "unit", &unit);
	if (r < 0)
		return r;
	r = text_u64(c, n, what, &v);
	if (r < 0)
		return r;
	r = domain_memory_to_kib(v, unit, ret_kib);
	if (r == -EINVAL) {
		char vbuf[80];
		return xml_error(
			c->err, n,
			"invalid unit '%s' (expected one of: b, bytes, KB, k, KiB, MB, M, MiB, GB, G, GiB, "
			"TB, T, TiB)",
			shorten(unit, vbuf));
	}
	if (r == -ERANGE)
		return xml_error(c->err, n, "%s %" PRIu64 " %s overflows", what, v, unit ? unit : "KiB");
	if (*ret_kib == 0)
		return xml_error(c->err, n, "%s must be greater than 0", what);
	return 0;
}
