/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "conf/domain-xml.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <systemd/sd-id128.h>

#include "conf/ccw-address.h"
#include "util/cleanup.h"
#include "util/log.h"

/* data/schemas/domain.rng, embedded by backend/conf/meson.build. */
extern const char zv_domain_schema[];
extern const size_t zv_domain_schema_len;

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)

#define RNG_NS "http://relaxng.org/ns/structure/1.0"
#define ZV_NS  "urn:zvirt:schema"

/* QEMU's limit for s390-ccw-virtio machines (S390_MAX_CPUS). */
#define DOMAIN_VCPUS_MAX 248
#define CPU_SHARES_MIN   2
#define CPU_SHARES_MAX   262144

/* No network, no DTD loading, no entity substitution, no XML_PARSE_HUGE
 * (libxml2's default depth and size limits stay on). NOCDATA merges
 * CDATA into text so "<name><![CDATA[x]]></name>" reads like "x";
 * BIG_LINES keeps line numbers in messages right past line 65535. */
#define PARSE_OPTIONS \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES)

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxtPtr, xmlFreeParserCtxt)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlRelaxNGParserCtxtPtr, xmlRelaxNGFreeParserCtxt)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlRelaxNGValidCtxtPtr, xmlRelaxNGFreeValidCtxt)

static inline void xml_freep(xmlChar **p)
{
	if (*p)
		xmlFree(*p);
}
#define _cleanup_xml_free_ _cleanup_(xml_freep)

/* The compiled schema, and the schema document itself, which error
 * messages consult to say what an attribute or element may hold. Both
 * are immutable once built, built on first use and freed by
 * domain_xml_done(). */
static xmlDocPtr schema_doc;
static xmlRelaxNGPtr schema_rng;

/* ---- errors ------------------------------------------------------------ */

/* One libxml2 error, copied out of the transient xmlError. */
typedef struct XmlErrorInfo {
	bool set;
	int domain;
	int code;
	int line;
	int column;
	xmlNode *node;
	char *message;
	char *str1;
	char *str2;
} XmlErrorInfo;

/* Everything libxml2 reports during one parse or validation; the first
 * error is kept (later ones are mostly its consequences), and the first
 * that names a node, because a path is what a person needs. */
typedef struct ErrorCollector {
	XmlErrorInfo first;
	XmlErrorInfo first_with_node;
	bool doctype;
} ErrorCollector;

static void error_info_clear(XmlErrorInfo *i)
{
	free(i->message);
	free(i->str1);
	free(i->str2);
	*i = (XmlErrorInfo){};
}

static void error_collector_done(ErrorCollector *c)
{
	error_info_clear(&c->first);
	error_info_clear(&c->first_with_node);
}

static void error_info_record(XmlErrorInfo *i, const xmlError *e)
{
	*i = (XmlErrorInfo){
		.set = true,
		.domain = e->domain,
		.code = e->code,
		.line = e->line,
		.column = e->int2,
		.node = e->node,
	};
	/* libxml2 ends messages with '\n' and sometimes adds a second line
	 * of raw bytes; the first line is the sentence. */
	if (e->message) {
		i->message = strndup(e->message, strcspn(e->message, "\n"));
		if (i->message) {
			size_t n = strlen(i->message);
			while (n > 0 && (i->message[n - 1] == ' ' || i->message[n - 1] == '!'))
				i->message[--n] = 0;
		}
	}
	if (e->str1)
		i->str1 = strdup(e->str1);
	if (e->str2)
		i->str2 = strdup(e->str2);
}

static void error_collect(ErrorCollector *c, const xmlError *e)
{
	if (!c || !e || e->level == XML_ERR_WARNING || e->level == XML_ERR_NONE)
		return;
	if (!c->first.set)
		error_info_record(&c->first, e);
	if (e->node && !c->first_with_node.set)
		error_info_record(&c->first_with_node, e);
}

/* The parser passes its context (ctxt->userData) to serror. */
static void parser_error_handler(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = data;
	error_collect(ctxt ? ctxt->_private : NULL, e);
}

static void relaxng_error_handler(void *data, xmlErrorPtr e)
{
	error_collect(data, e);
}

/* A DOCTYPE is where entities (billion laughs, XXE) live. Domain XML
 * never needs one, so the parse stops right at the declaration, before
 * any entity is even read. */
static void refuse_internal_subset(void *data, const xmlChar *name, const xmlChar *external_id,
				   const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = data;
	ErrorCollector *c = ctxt->_private;
	if (c)
		c->doctype = true;
	xmlStopParser(ctxt);
}

/* Copies s for a message: control characters become '?', and long
 * values are cut (at a UTF-8 boundary) so the message stays readable. */
static const char *shorten(const char *s, char buf[static 80])
{
	size_t n = 0, limit = 64;

	if (!s)
		s = "";
	for (; s[n] && n < limit; n++)
		buf[n] = ((unsigned char)s[n] < 0x20 || s[n] == 0x7f) ? '?' : s[n];
	if (s[n]) {
		/* s[n] is where the cut falls: a UTF-8 continuation byte
		 * there means the last character copied is incomplete. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(buf + n, "...", 4);
	} else
		buf[n] = 0;
	return buf;
}

static const char *node_label(const xmlNode *n)
{
	return n && n->name ? (const char *)n->name : "?";
}

/* "Invalid domain XML at /domain/devices/disk[2]/driver: <what> (line 7)" */
static int xml_error_at_line(ZvError *err, const xmlNode *node, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A cut made by snprintf may split a UTF-8 character; D-Bus refuses
 * error messages that are not valid UTF-8, so drop the partial one. */
static void utf8_trim_partial(char *s)
{
	size_t i = strlen(s), k = 0;

	while (i > 0 && k < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
		i--;
		k++;
	}
	if (i == 0)
		return;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t need = (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 : (lead & 0xf8) == 0xf0 ? 4 : 1;
	if (lead >= 0x80 && k + 1 < need)
		s[i - 1] = 0;
}

static int xml_error_at_line(ZvError *err, const xmlNode *node, long line, const char *fmt, ...)
{
	char what[768], where[32] = "", msg[sizeof(err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	utf8_trim_partial(what);

	if (line <= 0 && node)
		line = xmlGetLineNo(node);
	if (line > 0)
		snprintf(where, sizeof(where), " (line %ld)", line);

	_cleanup_xml_free_ xmlChar *path = node ? xmlGetNodePath(node) : NULL;
	if (path)
		snprintf(msg, sizeof(msg), "Invalid domain XML at %s: %s%s", (const char *)path, what,
			 where);
	else
		snprintf(msg, sizeof(msg), "Invalid domain XML: %s%s", what, where);
	utf8_trim_partial(msg);
	return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG, "%s", msg);
}

#define xml_error(err, node, ...) xml_error_at_line(err, node, 0, __VA_ARGS__)

/* ---- the schema document, for messages ---------------------------------- */

static bool rng_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST RNG_NS) &&
	       xmlStrEqual(n->name, BAD_CAST name);
}

static bool rng_name_is(const xmlNode *n, const xmlChar *name)
{
	_cleanup_xml_free_ xmlChar *v = xmlGetNoNsProp(n, BAD_CAST "name");
	return v && name && xmlStrEqual(v, name);
}

/* A <define> or the <start> of the grammar: both are its children. */
static const xmlNode *schema_top(const char *kind, const xmlChar *name)
{
	const xmlNode *g = schema_doc ? xmlDocGetRootElement(schema_doc) : NULL;
	for (const xmlNode *n = g ? g->children : NULL; n; n = n->next)
		if (rng_is(n, kind) && (!name || rng_name_is(n, name)))
			return n;
	return NULL;
}

static const xmlNode *pattern_find(const xmlNode *pat, const char *kind, const xmlChar *name);

/* The <element> pattern that describes inst, or NULL for an element the
 * schema does not allow where it is: the parent's pattern (the <start>
 * for the root) is asked for a child of that name. */
static const xmlNode *schema_pattern_for(const xmlNode *inst)
{
	const xmlNode *parent_pat;

	if (!schema_doc || !inst || inst->type != XML_ELEMENT_NODE || inst->ns)
		return NULL;
	if (inst->parent && inst->parent->type == XML_ELEMENT_NODE) {
		parent_pat = schema_pattern_for(inst->parent);
		if (!parent_pat)
			return NULL;
	} else
		parent_pat = schema_top("start", NULL);
	return pattern_find(parent_pat, "element", inst->name);
}

/* Visits the leaves of a pattern's content (attribute, element, value,
 * data, text patterns), looking through optional/choice/ref and the
 * like but not into nested element or attribute patterns. required is
 * false under optional, zeroOrMore and choice. */
typedef bool (*leaf_visitor)(const xmlNode *leaf, bool required, void *data);

static bool pattern_walk(const xmlNode *pat, bool required, leaf_visitor visit, void *data, unsigned depth)
{
	if (depth > 32)
		return false;
	for (const xmlNode *n = pat ? pat->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (rng_is(n, "element") || rng_is(n, "attribute") || rng_is(n, "value") ||
		    rng_is(n, "data") || rng_is(n, "text")) {
			if (visit(n, required, data))
				return true;
		} else if (rng_is(n, "optional") || rng_is(n, "zeroOrMore") || rng_is(n, "choice")) {
			if (pattern_walk(n, false, visit, data, depth + 1))
				return true;
		} else if (rng_is(n, "oneOrMore") || rng_is(n, "group") || rng_is(n, "interleave") ||
			   rng_is(n, "mixed")) {
			if (pattern_walk(n, required, visit, data, depth + 1))
				return true;
		} else if (rng_is(n, "ref")) {
			_cleanup_xml_free_ xmlChar *name = xmlGetNoNsProp(n, BAD_CAST "name");
			if (pattern_walk(schema_top("define", name), required, visit, data, depth + 1))
				return true;
		}
	}
	return false;
}

typedef struct NamedLeaf {
	const char *kind; /* "attribute" or "element" */
	const xmlChar *name;
	const xmlNode *found;
} NamedLeaf;

static bool find_named_leaf(const xmlNode *leaf, bool required, void *data)
{
	NamedLeaf *s = data;
	if (rng_is(leaf, s->kind) && rng_name_is(leaf, s->name)) {
		s->found = leaf;
		return true;
	}
	return false;
}

static const xmlNode *pattern_find(const xmlNode *pat, const char *kind, const xmlChar *name)
{
	NamedLeaf s = {.kind = kind, .name = name};
	pattern_walk(pat, true, find_named_leaf, &s, 0);
	return s.found;
}

/* Builds "one of: a, b" / "an absolute path" from value and data leaves. */
typedef struct Expectation {
	char values[256];
	char data[160];
	unsigned n_values;
} Expectation;

static bool collect_expectation(const xmlNode *leaf, bool required, void *data)
{
	Expectation *x = data;

	if (rng_is(leaf, "value")) {
		_cleanup_xml_free_ xmlChar *v = xmlNodeGetContent(leaf);
		size_t len = strlen(x->values);
		snprintf(x->values + len, sizeof(x->values) - len, "%s%s", x->n_values ? ", " : "",
			 v ? (const char *)v : "");
		x->n_values++;
	} else if (rng_is(leaf, "data") && !x->data[0]) {
		_cleanup_xml_free_ xmlChar *expect = xmlGetNsProp(leaf, BAD_CAST "expect", BAD_CAST ZV_NS);
		_cleanup_xml_free_ xmlChar *type = xmlGetNoNsProp(leaf, BAD_CAST "type");
		if (expect)
			snprintf(x->data, sizeof(x->data), "%s", (const char *)expect);
		else
			snprintf(x->data, sizeof(x->data), "a value of type %s",
				 type ? (const char *)type : "?");
	}
	return false;
}

/* ", expected ..." for a pattern (an <attribute> or an <element>'s own
 * text), or "" when the schema says nothing useful. */
static void describe_expected(const xmlNode *pat, char *buf, size_t size)
{
	Expectation x = {};

	buf[0] = 0;
	if (!pat)
		return;
	pattern_walk(pat, true, collect_expectation, &x, 0);
	if (x.data[0] && x.n_values)
		snprintf(buf, size, " (expected %s, or one of: %s)", x.data, x.values);
	else if (x.data[0])
		snprintf(buf, size, " (expected %s)", x.data);
	else if (x.n_values == 1)
		snprintf(buf, size, " (expected '%s')", x.values);
	else if (x.n_values > 1)
		snprintf(buf, size, " (expected one of: %s)", x.values);
}

typedef struct MissingAttr {
	const xmlNode *inst;
	const xmlNode *missing;
} MissingAttr;

static bool find_missing_attribute(const xmlNode *leaf, bool required, void *data)
{
	MissingAttr *m = data;
	if (!required || !rng_is(leaf, "attribute"))
		return false;
	_cleanup_xml_free_ xmlChar *name = xmlGetNoNsProp(leaf, BAD_CAST "name");
	if (name && !xmlHasNsProp(m->inst, name, NULL)) {
		m->missing = leaf;
		return true;
	}
	return false;
}

/* What is wrong with attribute attr of node, in words. */
static int explain_attribute(ZvError *err, const xmlNode *node, const xmlChar *attr, int line)
{
	char vbuf[80], expected[512];
	const xmlNode *pat = schema_pattern_for(node);
	const xmlNode *apat = pat ? pattern_find(pat, "attribute", attr) : NULL;

	if (!apat)
		return xml_error_at_line(err, node, line, "unknown attribute '%s'", (const char *)attr);

	_cleanup_xml_free_ xmlChar *value = xmlGetNoNsProp(node, attr);
	describe_expected(apat, expected, sizeof(expected));
	return xml_error_at_line(err, node, line, "invalid value '%s' for attribute '%s'%s",
				 shorten((const char *)value, vbuf), (const char *)attr, expected);
}

/* An element the schema did not expect where it is. */
static int explain_element(ZvError *err, const xmlNode *node, int line)
{
	const xmlNode *parent_pat = node->parent ? schema_pattern_for(node->parent) : NULL;

	if (node->ns && node->ns->prefix)
		return xml_error_at_line(err, node, line, "unknown element <%s:%s>",
					 (const char *)node->ns->prefix, node_label(node));
	if (parent_pat && !node->ns && pattern_find(parent_pat, "element", node->name))
		return xml_error_at_line(err, node, line, "element <%s> is not allowed here",
					 node_label(node));
	return xml_error_at_line(err, node, line, "unknown element <%s>", node_label(node));
}

/* Can attribute pattern apat hold value? Only enumerations are checked
 * here; typed data is libxml2's to judge (it said so, when it did). */
typedef struct ValueCheck {
	const char *value;
	bool open; /* a data or text leaf: anything may be fine */
	bool matched;
} ValueCheck;

static bool check_value_leaf(const xmlNode *leaf, bool required, void *data)
{
	ValueCheck *v = data;
	if (rng_is(leaf, "value")) {
		_cleanup_xml_free_ xmlChar *text = xmlNodeGetContent(leaf);
		if (text && strcmp((const char *)text, v->value) == 0)
			v->matched = true;
	} else if (rng_is(leaf, "data") || rng_is(leaf, "text"))
		v->open = true;
	return v->matched;
}

static bool attribute_value_allowed(const xmlNode *apat, const char *value)
{
	ValueCheck v = {.value = value ? value : ""};
	pattern_walk(apat, true, check_value_leaf, &v, 0);
	return v.matched || v.open;
}

/* Finds what the schema dislikes about node itself (pat is its
 * pattern, NULL when it has none): an element not allowed there, an
 * unknown attribute, a value outside an enumeration, a missing
 * attribute. -ENOENT when none of those. */
static int diagnose_element(ZvError *err, const xmlNode *node, const xmlNode *pat, int line)
{
	if (!pat)
		return explain_element(err, node, line);

	for (const xmlAttr *a = node->properties; a; a = a->next) {
		const xmlNode *apat = a->ns ? NULL : pattern_find(pat, "attribute", a->name);
		if (!apat)
			return xml_error_at_line(err, node, line, "unknown attribute '%s'",
						 (const char *)a->name);
		_cleanup_xml_free_ xmlChar *value = xmlNodeListGetString(node->doc, a->children, 1);
		if (!attribute_value_allowed(apat, (const char *)value))
			return explain_attribute(err, node, a->name, line);
	}

	MissingAttr m = {.inst = node};
	pattern_walk(pat, true, find_missing_attribute, &m, 0);
	if (m.missing) {
		_cleanup_xml_free_ xmlChar *name = xmlGetNoNsProp(m.missing, BAD_CAST "name");
		return xml_error_at_line(err, node, line, "missing attribute '%s'",
					 name ? (const char *)name : "?");
	}
	return -ENOENT;
}

/* The same for every element in document order, when libxml2 names no
 * node or the wrong one. Patterns are looked up from the parent's, so
 * the walk stays linear in the document. */
static int diagnose_tree(ZvError *err, const xmlNode *n, const xmlNode *parent_pat)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		const xmlNode *pat = n->ns ? NULL : pattern_find(parent_pat, "element", n->name);
		int r = diagnose_element(err, n, pat, 0);
		if (r != -ENOENT)
			return r;
		r = diagnose_tree(err, n->children, pat);
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

static bool has_element_children(const xmlNode *node)
{
	for (const xmlNode *c = node->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return true;
	return false;
}

static int explain_value(ZvError *err, const xmlNode *node, int line)
{
	char vbuf[80], expected[512];
	_cleanup_xml_free_ xmlChar *value = xmlNodeGetContent(node);

	describe_expected(schema_pattern_for(node), expected, sizeof(expected));
	return xml_error_at_line(err, node, line, "invalid value '%s'%s", shorten((const char *)value, vbuf),
				 expected);
}

/* The attribute of node whose value is value, if the element's own text
 * is not that value: a datatype error about an attribute names the
 * element, not the attribute. */
static const xmlAttr *attribute_with_value(const xmlNode *node, const char *value)
{
	if (!value)
		return NULL;
	_cleanup_xml_free_ xmlChar *text = xmlNodeGetContent(node);
	if (!has_element_children(node) && text && strcmp((const char *)text, value) == 0)
		return NULL;
	for (const xmlAttr *a = node->properties; a; a = a->next) {
		_cleanup_xml_free_ xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);
		if (v && strcmp((const char *)v, value) == 0)
			return a;
	}
	return NULL;
}

static const xmlNode *first_text(const xmlNode *node)
{
	for (const xmlNode *c = node->children; c; c = c->next)
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
			for (const xmlChar *p = c->content; p && *p; p++)
				if (!strchr(" \t\r\n", *p))
					return c;
	return NULL;
}

/* Turns the RelaxNG error libxml2 reported into a sentence a person can
 * act on, at the path of the node it concerns. libxml2 is not always
 * precise about the node (an attribute error may name the next child,
 * or nothing), so when its hint leads nowhere the whole document is
 * searched for the first thing the schema refuses. */
static int schema_error(ZvError *err, const XmlErrorInfo *e, const xmlDoc *doc)
{
	const xmlNode *node = e->node;
	int r = -ENOENT;

	if (!e->set)
		return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG,
				    "Invalid domain XML: does not match the domain schema");
	if (node && node->type != XML_ELEMENT_NODE)
		node = NULL;

	/* "Element %s failed to validate ..." sometimes comes with a child
	 * of that element as the node. */
	if (node && e->str1 &&
	    (e->code == XML_RELAXNG_ERR_ATTRVALID || e->code == XML_RELAXNG_ERR_CONTENTVALID ||
	     e->code == XML_RELAXNG_ERR_EXTRACONTENT))
		for (const xmlNode *a = node; a && a->type == XML_ELEMENT_NODE; a = a->parent)
			if (xmlStrEqual(a->name, BAD_CAST e->str1)) {
				node = a;
				break;
			}

	if (node)
		switch (e->code) {
		case XML_RELAXNG_ERR_INVALIDATTR:
			if (e->str1)
				r = explain_attribute(err, node, BAD_CAST e->str1, e->line);
			break;
		case XML_RELAXNG_ERR_ELEMWRONG:
		case XML_RELAXNG_ERR_ELEMNAME:
		case XML_RELAXNG_ERR_ELEMNONS:
		case XML_RELAXNG_ERR_ELEMWRONGNS:
		case XML_RELAXNG_ERR_ELEMEXTRANS:
		case XML_RELAXNG_ERR_NOTELEM:
			r = explain_element(err, node, e->line);
			break;
		case XML_RELAXNG_ERR_TEXTWRONG: {
			char vbuf[80];
			const xmlNode *t = first_text(node);
			if (t) {
				const char *text = (const char *)t->content;
				text += strspn(text, " \t\r\n");
				r = xml_error_at_line(err, node, e->line, "unexpected text '%s' in <%s>",
						      shorten(text, vbuf), node_label(node));
			}
			break;
		}
		case XML_RELAXNG_ERR_ELEMNOTEMPTY:
			r = xml_error_at_line(err, node, e->line, "<%s> must be empty", node_label(node));
			break;
		case XML_RELAXNG_ERR_TYPEVAL:
		case XML_RELAXNG_ERR_TYPE:
		case XML_RELAXNG_ERR_DATATYPE:
		case XML_RELAXNG_ERR_VALUE:
		case XML_RELAXNG_ERR_LIST:
		case XML_RELAXNG_ERR_DATAELEM:
		case XML_RELAXNG_ERR_VALELEM:
		case XML_RELAXNG_ERR_LACKDATA:
		case XML_RELAXNG_ERR_EXTRADATA: {
			/* TYPEVAL carries the value: it may be an attribute's. */
			const xmlAttr *a = e->code == XML_RELAXNG_ERR_TYPEVAL
						   ? attribute_with_value(node, e->str2)
						   : NULL;
			if (a)
				r = explain_attribute(err, node, a->name, e->line);
			else if (!has_element_children(node))
				r = explain_value(err, node, e->line);
			break;
		}
		default:
			break;
		}

	if (r == -ENOENT && node)
		r = diagnose_element(err, node, schema_pattern_for(node), e->line);
	if (r == -ENOENT && (e->code == XML_RELAXNG_ERR_CONTENTVALID) && node && !has_element_children(node))
		r = explain_value(err, node, e->line);
	if (r == -ENOENT)
		r = diagnose_tree(err, xmlDocGetRootElement(doc), schema_top("start", NULL));
	if (r != -ENOENT)
		return r;
	return xml_error_at_line(err, node, e->line, "%s", e->message ? e->message : "schema error");
}

/* ---- schema loading ------------------------------------------------------ */

static xmlParserCtxtPtr new_parser_ctxt(ErrorCollector *c)
{
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return NULL;
	/* ctxt->sax is this context's own copy: these hooks touch no other
	 * parse, and libxml2's global error handlers are never involved. */
	ctxt->_private = c;
	ctxt->sax->initialized = XML_SAX2_MAGIC;
	ctxt->sax->serror = parser_error_handler;
	ctxt->sax->internalSubset = refuse_internal_subset;
	return ctxt;
}

static int schema_load(ZvError *err)
{
	_cleanup_(error_collector_done) ErrorCollector ec = {};

	if (schema_rng)
		return 0;

	_cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctxt = new_parser_ctxt(&ec);
	if (!ctxt)
		return -ENOMEM;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = xmlCtxtReadMemory(
		ctxt, zv_domain_schema, (int)zv_domain_schema_len, "domain.rng", "UTF-8", PARSE_OPTIONS);
	if (!doc || ec.doctype) {
		log_error("The built-in domain schema does not parse: %s",
			  ec.first.message ? ec.first.message : "unknown error");
		return zv_error_set(err, ZV_ERROR_HOST, EIO,
				    "Internal error: the built-in domain schema is broken");
	}

	_cleanup_(xmlRelaxNGFreeParserCtxtp) xmlRelaxNGParserCtxtPtr pctxt = xmlRelaxNGNewDocParserCtxt(doc);
	if (!pctxt)
		return -ENOMEM;
	xmlRelaxNGSetParserStructuredErrors(pctxt, relaxng_error_handler, &ec);
	xmlRelaxNGPtr rng = xmlRelaxNGParse(pctxt);
	if (!rng) {
		log_error("The built-in domain schema does not compile: %s",
			  ec.first.message ? ec.first.message : "unknown error");
		return zv_error_set(err, ZV_ERROR_HOST, EIO,
				    "Internal error: the built-in domain schema is broken");
	}

	schema_rng = rng;
	schema_doc = TAKE_PTR(doc);
	return 0;
}

void domain_xml_done(void)
{
	if (schema_rng)
		xmlRelaxNGFree(schema_rng);
	schema_rng = NULL;
	if (schema_doc)
		xmlFreeDoc(schema_doc);
	schema_doc = NULL;
}

/* ---- reading values ------------------------------------------------------ */

typedef struct DiskNodes {
	xmlNode *disk, *target, *boot, *address;
} DiskNodes;

/* Is a before b in document order? Messages about a pair name the later
 * one at its place and point back at the earlier one. */
static bool node_before(const xmlNode *a, const xmlNode *b)
{
	return xmlXPathCmpNodes((xmlNode *)a, (xmlNode *)b) == 1;
}

typedef struct ParseContext {
	ZvError *err;
	DomainXMLParseFlags flags;
	const DomainXMLDefaults *defaults;
	DomainDef *def;
	DiskNodes *disk_nodes; /* parallel to def->disks, for messages */
	xmlNode **console_nodes;
	xmlNode *memballoon_node;
	xmlNode *memballoon_address;
	xmlNode *os_boot;
} ParseContext;

static bool node_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !n->ns && xmlStrEqual(n->name, BAD_CAST name);
}

static bool is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The element's text (all text children), malloc'd. */
static int node_text(const xmlNode *n, char **ret)
{
	_cleanup_xml_free_ xmlChar *v = xmlNodeGetContent(n);
	char *s = strdup(v ? (const char *)v : "");
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* 0 and NULL when absent, 1 when present, -ENOMEM. */
static int attr_get(const xmlNode *n, const char *name, char **ret)
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
static int check_attributes(ParseContext *c, const xmlNode *n, const char *const *allowed)
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

#define CHECK_ATTRIBUTES(c, n, ...) check_attributes(c, n, (const char *const[]){__VA_ARGS__, NULL})

/* Element children only; refuses stray text, skips comments and PIs. */
static int next_child(ParseContext *c, const xmlNode *parent, xmlNode **iter)
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

static int unknown_element(ParseContext *c, const xmlNode *n)
{
	return xml_error(c->err, n, "unknown element <%s>", node_label(n));
}

/* Elements that may appear once: the second is named in the error. */
static int once(ParseContext *c, xmlNode **slot, xmlNode *n)
{
	if (*slot)
		return xml_error(c->err, n, "<%s> given more than once", node_label(n));
	*slot = n;
	return 0;
}

static int require(ParseContext *c, const xmlNode *parent, const xmlNode *child, const char *name)
{
	if (!child)
		return xml_error(c->err, parent, "missing element <%s>", name);
	return 0;
}

static const char *trim(char *s)
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
static int parse_u64(char *text, uint64_t *ret)
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

static int text_u64(ParseContext *c, const xmlNode *n, const char *what, uint64_t *ret)
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

static int text_unsigned(ParseContext *c, const xmlNode *n, const char *what, unsigned *ret)
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

static int attr_unsigned(ParseContext *c, const xmlNode *n, const char *name, unsigned *ret, bool *present)
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
static int attr_on_off(ParseContext *c, const xmlNode *n, const char *name, bool *ret, bool *present)
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
static int attr_enum(ParseContext *c, const xmlNode *n, const char *name, int (*from_string)(const char *),
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

static int check_absolute_path(ParseContext *c, const xmlNode *n, const char *what, const char *path)
{
	char vbuf[80];
	if (!path || path[0] != '/')
		return xml_error(c->err, n, "%s '%s' is not an absolute path", what, shorten(path, vbuf));
	return 0;
}

/* ---- names --------------------------------------------------------------- */

/* Why a name is refused, or NULL when it is fine. Names become file
 * names (<name>.log, save images), hence '/', '.' and the length. */
static const char *name_problem(const char *name)
{
	bool only_space = true;

	if (!name || !*name)
		return "must not be empty";
	if (strlen(name) > DOMAIN_NAME_MAX)
		return "is too long (at most " STRINGIFY(DOMAIN_NAME_MAX) " bytes)";
	if (name[0] == '.')
		return "must not start with '.'";
	for (const char *p = name; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '/')
			return "must not contain '/'";
		if (ch < 0x20 || ch == 0x7f)
			return "must not contain control characters";
		if (ch != ' ')
			only_space = false;
	}
	if (only_space)
		return "must not be only whitespace";
	return NULL;
}

int domain_name_validate(const char *name, ZvError *err)
{
	char vbuf[80];
	const char *problem = name_problem(name);
	if (problem)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Invalid domain name '%s': %s",
				    shorten(name, vbuf), problem);
	return 0;
}

/* ---- memory -------------------------------------------------------------- */

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

static int parse_memory(ParseContext *c, const xmlNode *n, const char *what, uint64_t *ret_kib)
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

/* ---- ccw addresses ------------------------------------------------------- */

/* 0x-prefixed hex or decimal, like libvirt; -ERANGE past 32 bits. */
static int parse_ccw_number(char *text, uint64_t *ret)
{
	const char *s = trim(text);
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		if (!*s)
			return -EINVAL;
		for (; *s; s++) {
			unsigned d;
			if (*s >= '0' && *s <= '9')
				d = (unsigned)(*s - '0');
			else if (*s >= 'a' && *s <= 'f')
				d = (unsigned)(*s - 'a' + 10);
			else if (*s >= 'A' && *s <= 'F')
				d = (unsigned)(*s - 'A' + 10);
			else
				return -EINVAL;
			if (v > UINT32_MAX)
				return -ERANGE;
			v = v * 16 + d;
		}
		*ret = v;
		return 0;
	}
	int r = parse_u64(text, &v);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

static int parse_ccw_address(ParseContext *c, xmlNode *n, CcwAddress *ret)
{
	static const struct {
		const char *name;
		uint64_t min, max;
		const char *range;
	} fields[] = {
		{"cssid", CCW_CSSID_VIRTUAL, CCW_CSSID_VIRTUAL,
		 "must be 0xfe (the virtual channel subsystem)"},
		{"ssid", 0, CCW_SSID_MAX, "must be 0x0 to 0x3"},
		{"devno", 0, CCW_DEVNO_MAX, "must be 0x0000 to 0xffff"},
	};
	_cleanup_free_ char *type = NULL;
	uint64_t v[3];
	unsigned present = 0;
	int r;

	r = CHECK_ATTRIBUTES(c, n, "type", "cssid", "ssid", "devno");
	if (r < 0)
		return r;
	r = attr_get(n, "type", &type);
	if (r < 0)
		return r;
	if (!type || strcmp(type, "ccw") != 0) {
		char vbuf[80];
		return xml_error(c->err, n, "address type '%s' is not supported (expected 'ccw')",
				 shorten(type, vbuf));
	}

	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		_cleanup_free_ char *s = NULL;
		r = attr_get(n, fields[i].name, &s);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		present++;
		_cleanup_free_ char *copy = strdup(s);
		if (!copy)
			return -ENOMEM;
		char vbuf[80];
		r = parse_ccw_number(copy, &v[i]);
		if (r == -EINVAL)
			return xml_error(c->err, n,
					 "%s '%s' is not a number (expected hexadecimal such as 0x0004)",
					 fields[i].name, shorten(s, vbuf));
		if (r < 0 || v[i] < fields[i].min || v[i] > fields[i].max)
			return xml_error(c->err, n, "%s %s, not %s", fields[i].name, fields[i].range,
					 shorten(s, vbuf));
	}

	if (present == 0) {
		/* <address type='ccw'/>: libvirt's way of asking for one. */
		*ret = (CcwAddress){};
		return 0;
	}
	if (present != ELEMENTSOF(fields))
		return xml_error(c->err, n,
				 "a ccw address needs all of cssid, ssid and devno, or none of them");

	*ret = (CcwAddress){
		.assigned = true,
		.cssid = (uint8_t)v[0],
		.ssid = (uint8_t)v[1],
		.devno = (uint16_t)v[2],
	};
	return 0;
}

/* ---- the elements -------------------------------------------------------- */

static int parse_vcpu(ParseContext *c, xmlNode *n)
{
	DomainDef *def = c->def;
	unsigned current = 0;
	bool has_current;
	int r;

	r = CHECK_ATTRIBUTES(c, n, "placement", "current");
	if (r < 0)
		return r;
	_cleanup_free_ char *placement = NULL;
	r = attr_get(n, "placement", &placement);
	if (r < 0)
		return r;
	if (placement && strcmp(placement, "static") != 0) {
		char vbuf[80];
		return xml_error(c->err, n, "vcpu placement '%s' is not supported (expected 'static')",
				 shorten(placement, vbuf));
	}

	r = text_unsigned(c, n, "vcpu count", &def->vcpus_max);
	if (r < 0)
		return r;
	if (def->vcpus_max < 1)
		return xml_error(c->err, n, "vcpu count must be at least 1");
	if (def->vcpus_max > DOMAIN_VCPUS_MAX)
		return xml_error(c->err, n, "%u vCPUs requested, at most %u are supported", def->vcpus_max,
				 DOMAIN_VCPUS_MAX);

	r = attr_unsigned(c, n, "current", &current, &has_current);
	if (r < 0)
		return r;
	if (has_current) {
		if (current < 1)
			return xml_error(c->err, n, "current vCPUs must be at least 1");
		if (current > def->vcpus_max)
			return xml_error(c->err, n, "current vCPUs (%u) exceed the maximum (%u)", current,
					 def->vcpus_max);
		def->vcpus_current = current;
	}
	return 0;
}

static int parse_cputune(ParseContext *c, xmlNode *n)
{
	xmlNode *child = NULL, *shares = NULL;
	int r;

	r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;
	while ((r = next_child(c, n, &child)) > 0) {
		if (!node_is(child, "shares"))
			return unknown_element(c, child);
		r = once(c, &shares, child);
		if (r < 0)
			return r;
		r = CHECK_ATTRIBUTES(c, child, NULL);
		if (r < 0)
			return r;
		r = text_u64(c, child, "cpu shares", &c->def->cpu_shares);
		if (r < 0)
			return r;
		if (c->def->cpu_shares < CPU_SHARES_MIN || c->def->cpu_shares > CPU_SHARES_MAX)
			return xml_error(c->err, child, "cpu shares must be between %d and %d, not %" PRIu64,
					 CPU_SHARES_MIN, CPU_SHARES_MAX, c->def->cpu_shares);
	}
	return r;
}

static bool machine_supported(const char *m)
{
	static const char *const prefixes[] = {"s390-ccw", "s390-virtio-ccw"};

	for (const char *p = m; *p; p++)
		/* It ends up in QEMU's -machine option: nothing but the
		 * characters machine names use (no ',' to smuggle options). */
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '.' || *p == '_'))
			return false;
	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
		size_t l = strlen(prefixes[i]);
		if (strncmp(m, prefixes[i], l) == 0 && (m[l] == 0 || m[l] == '-'))
			return true;
	}
	return false;
}

static int parse_os_type(ParseContext *c, xmlNode *n)
{
	DomainDef *def = c->def;
	char vbuf[80];
	int r;

	r = CHECK_ATTRIBUTES(c, n, "arch", "machine");
	if (r < 0)
		return r;
	r = attr_get(n, "arch", &def->os_arch);
	if (r < 0)
		return r;
	if (def->os_arch && strcmp(def->os_arch, "s390x") != 0)
		return xml_error(c->err, n, "arch '%s' is not supported (expected 's390x')",
				 shorten(def->os_arch, vbuf));

	r = attr_get(n, "machine", &def->os_machine);
	if (r < 0)
		return r;
	if (def->os_machine && !machine_supported(def->os_machine))
		return xml_error(c->err, n,
				 "machine '%s' is not supported (expected s390-ccw-virtio or a versioned "
				 "s390-ccw-virtio-X.Y)",
				 shorten(def->os_machine, vbuf));

	_cleanup_free_ char *type = NULL;
	r = node_text(n, &type);
	if (r < 0)
		return r;
	if (strcmp(trim(type), "hvm") != 0)
		return xml_error(c->err, n, "os type '%s' is not supported (expected 'hvm')",
				 shorten(type, vbuf));
	return 0;
}

static int parse_os(ParseContext *c, xmlNode *n)
{
	DomainDef *def = c->def;
	xmlNode *child = NULL, *type = NULL, *kernel = NULL, *initrd = NULL, *cmdline = NULL;
	int r;

	r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;
	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "type")) {
			r = once(c, &type, child);
			if (r >= 0)
				r = parse_os_type(c, child);
		} else if (node_is(child, "kernel") || node_is(child, "initrd")) {
			bool is_kernel = node_is(child, "kernel");
			char **slot = is_kernel ? &def->os_kernel : &def->os_initrd;
			r = once(c, is_kernel ? &kernel : &initrd, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, NULL);
			if (r >= 0)
				r = node_text(child, slot);
			if (r >= 0)
				r = check_absolute_path(c, child, is_kernel ? "kernel" : "initrd", *slot);
		} else if (node_is(child, "cmdline")) {
			r = once(c, &cmdline, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, NULL);
			if (r >= 0)
				r = node_text(child, &def->os_cmdline);
		} else if (node_is(child, "boot")) {
			/* libvirt's dumpxml writes <boot dev='hd'/>: IPL from
			 * the first disk, which is the default anyway. */
			_cleanup_free_ char *dev = NULL;
			r = once(c, &c->os_boot, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "dev");
			if (r >= 0)
				r = attr_get(child, "dev", &dev);
			if (r >= 0 && (!dev || strcmp(dev, "hd") != 0)) {
				char vbuf[80];
				r = xml_error(c->err, child,
					      "boot dev '%s' is not supported (expected 'hd'; use <boot "
					      "order='N'/> "
					      "in a disk)",
					      shorten(dev, vbuf));
			}
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	r = require(c, n, type, "type");
	if (r < 0)
		return r;
	if ((initrd || cmdline) && !kernel)
		return xml_error(c->err, initrd ? initrd : cmdline, "<%s> needs a <kernel>",
				 initrd ? "initrd" : "cmdline");
	return 0;
}

static int parse_lifecycle(ParseContext *c, xmlNode *n, bool crash, LifecycleAction *ret)
{
	_cleanup_free_ char *v = NULL;
	char vbuf[80];
	int r;

	r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;
	r = node_text(n, &v);
	if (r < 0)
		return r;
	int a = lifecycle_action_from_string(trim(v));
	if (a < 0 ||
	    (!crash && (a == LIFECYCLE_ACTION_COREDUMP_DESTROY || a == LIFECYCLE_ACTION_COREDUMP_RESTART)))
		return xml_error(c->err, n,
				 "invalid value '%s' (expected one of: destroy, restart, preserve, "
				 "rename-restart%s)",
				 shorten(v, vbuf), crash ? ", coredump-destroy, coredump-restart" : "");
	*ret = (LifecycleAction)a;
	return 0;
}

static int parse_disk_driver(ParseContext *c, xmlNode *n, DiskDef *disk)
{
	_cleanup_free_ char *name = NULL;
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "name", "type", "cache", "io");
	if (r < 0)
		return r;
	r = attr_get(n, "name", &name);
	if (r < 0)
		return r;
	if (name && strcmp(name, "qemu") != 0) {
		char vbuf[80];
		return xml_error(c->err, n, "driver name '%s' is not supported (expected 'qemu')",
				 shorten(name, vbuf));
	}
	r = attr_enum(c, n, "type", disk_format_from_string, "one of: raw, qcow2", &v);
	if (r < 0)
		return r;
	if (r > 0)
		disk->format = (DiskFormat)v;
	r = attr_enum(c, n, "cache", disk_cache_from_string,
		      "one of: default, none, writethrough, writeback, directsync, unsafe", &v);
	if (r < 0)
		return r;
	if (r > 0)
		disk->cache = (DiskCache)v;
	r = attr_enum(c, n, "io", disk_io_from_string, "one of: native, threads", &v);
	if (r < 0)
		return r;
	if (r > 0) {
		if (v == DISK_IO_DEFAULT)
			return xml_error(c->err, n,
					 "invalid value 'default' for attribute 'io' (expected one of: "
					 "native, threads)");
		disk->io = (DiskIO)v;
	}
	if (disk->io == DISK_IO_NATIVE && disk->cache != DISK_CACHE_NONE &&
	    disk->cache != DISK_CACHE_DIRECTSYNC)
		return xml_error(c->err, n, "io='native' needs cache='none' or cache='directsync'");
	return 0;
}

static int parse_disk_source(ParseContext *c, xmlNode *n, DiskDef *disk)
{
	_cleanup_free_ char *file = NULL, *dev = NULL;
	int r;

	r = CHECK_ATTRIBUTES(c, n, "file", "dev");
	if (r < 0)
		return r;
	r = attr_get(n, "file", &file);
	if (r >= 0)
		r = attr_get(n, "dev", &dev);
	if (r < 0)
		return r;

	if (disk->type == DISK_TYPE_FILE && dev)
		return xml_error(c->err, n, "a type='file' disk takes <source file='...'/>, not dev=");
	if (disk->type == DISK_TYPE_BLOCK && file)
		return xml_error(c->err, n, "a type='block' disk takes <source dev='...'/>, not file=");

	char **path = disk->type == DISK_TYPE_FILE ? &file : &dev;
	if (*path) {
		r = check_absolute_path(c, n, "disk source", *path);
		if (r < 0)
			return r;
		disk->source = TAKE_PTR(*path);
	}
	return 0;
}

static bool virtio_disk_name(const char *t)
{
	if (strncmp(t, "vd", 2) != 0 || !t[2])
		return false;
	for (const char *p = t + 2; *p; p++)
		if (*p < 'a' || *p > 'z')
			return false;
	return true;
}

static int parse_disk_target(ParseContext *c, xmlNode *n, DiskDef *disk, bool *scsi)
{
	_cleanup_free_ char *bus = NULL;
	int r;

	r = CHECK_ATTRIBUTES(c, n, "dev", "bus");
	if (r < 0)
		return r;
	r = attr_get(n, "dev", &disk->target);
	if (r >= 0)
		r = attr_get(n, "bus", &bus);
	if (r < 0)
		return r;
	if (!disk->target)
		return xml_error(c->err, n, "missing attribute 'dev'");

	if (bus && strcmp(bus, "scsi") == 0) {
		/* A real libvirt value; refused until SCSI controllers exist,
		 * with a reason rather than "invalid value". */
		*scsi = true;
		return xml_error(c->err, n,
				 "bus='scsi' is not supported yet (no SCSI controller support); use "
				 "bus='virtio'");
	}
	if (bus) {
		int b = disk_bus_from_string(bus);
		if (b < 0) {
			char vbuf[80];
			return xml_error(c->err, n,
					 "invalid value '%s' for attribute 'bus' (expected 'virtio')",
					 shorten(bus, vbuf));
		}
		disk->bus = (DiskBus)b;
	}
	if (!virtio_disk_name(disk->target)) {
		char vbuf[80];
		return xml_error(c->err, n,
				 "target dev '%s' is not a virtio disk name (vda, vdb, ..., vdaa, ...)",
				 shorten(disk->target, vbuf));
	}
	return 0;
}

static int parse_disk(ParseContext *c, xmlNode *n, DiskDef *disk, DiskNodes *nodes)
{
	xmlNode *child = NULL, *driver = NULL, *source = NULL, *readonly = NULL, *shareable = NULL;
	bool scsi = false;
	int v, r;

	nodes->disk = n;
	r = CHECK_ATTRIBUTES(c, n, "type", "device");
	if (r < 0)
		return r;
	r = attr_enum(c, n, "type", disk_type_from_string, "one of: file, block", &v);
	if (r < 0)
		return r;
	if (r == 0)
		return xml_error(c->err, n, "missing attribute 'type'");
	disk->type = (DiskType)v;
	r = attr_enum(c, n, "device", disk_device_from_string, "one of: disk, cdrom", &v);
	if (r < 0)
		return r;
	if (r > 0)
		disk->device = (DiskDevice)v;

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "driver")) {
			r = once(c, &driver, child);
			if (r >= 0)
				r = parse_disk_driver(c, child, disk);
		} else if (node_is(child, "source")) {
			r = once(c, &source, child);
			if (r >= 0)
				r = parse_disk_source(c, child, disk);
		} else if (node_is(child, "target")) {
			r = once(c, &nodes->target, child);
			if (r >= 0)
				r = parse_disk_target(c, child, disk, &scsi);
		} else if (node_is(child, "readonly") || node_is(child, "shareable")) {
			bool ro = node_is(child, "readonly");
			r = once(c, ro ? &readonly : &shareable, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, NULL);
			if (r >= 0 && has_element_children(child))
				r = xml_error(c->err, child, "<%s> must be empty", node_label(child));
			if (ro)
				disk->readonly = true;
			else
				disk->shareable = true;
		} else if (node_is(child, "boot")) {
			bool present;
			r = once(c, &nodes->boot, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "order");
			if (r >= 0)
				r = attr_unsigned(c, child, "order", &disk->boot_order, &present);
			if (r >= 0 && !present)
				r = xml_error(c->err, child, "missing attribute 'order'");
			if (r >= 0 && disk->boot_order == 0)
				r = xml_error(c->err, child, "boot order must be a positive integer, not 0");
			if (r >= 0 && disk->boot_order > INT32_MAX)
				r = xml_error(c->err, child, "boot order %u is too large", disk->boot_order);
		} else if (node_is(child, "address")) {
			r = once(c, &nodes->address, child);
			if (r >= 0)
				r = parse_ccw_address(c, child, &disk->address);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;

	r = require(c, n, nodes->target, "target");
	if (r < 0)
		return r;
	if (disk->device == DISK_DEVICE_CDROM)
		return xml_error(c->err, n,
				 "device='cdrom' needs bus='scsi', which is not supported yet (no SCSI "
				 "controller support)");
	if (!disk->source)
		return xml_error(c->err, source ? source : n, "disk '%s' needs <source %s='...'/>",
				 disk->target, disk->type == DISK_TYPE_FILE ? "file" : "dev");
	return 0;
}

static int parse_console(ParseContext *c, xmlNode *n, ConsoleDef *con)
{
	xmlNode *child = NULL, *source = NULL, *target = NULL, *log = NULL;
	_cleanup_free_ char *tty = NULL, *source_path = NULL;
	bool live = c->flags & DOMAIN_XML_PARSE_LIVE;
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "type", "tty");
	if (r < 0)
		return r;
	r = attr_enum(c, n, "type", console_type_from_string, "one of: pty, file, unix", &v);
	if (r < 0)
		return r;
	if (r == 0)
		return xml_error(c->err, n, "missing attribute 'type'");
	con->type = (ConsoleType)v;
	r = attr_get(n, "tty", &tty);
	if (r < 0)
		return r;
	if (tty && con->type != CONSOLE_TYPE_PTY)
		return xml_error(c->err, n, "tty= belongs to type='pty' consoles only");

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "source")) {
			_cleanup_free_ char *mode = NULL;
			r = once(c, &source, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "mode", "path");
			if (r >= 0)
				r = attr_get(child, "mode", &mode);
			if (r >= 0)
				r = attr_get(child, "path", &source_path);
			if (r < 0)
				return r;
			if (mode && con->type != CONSOLE_TYPE_UNIX)
				return xml_error(c->err, child,
						 "mode= belongs to type='unix' consoles only");
			if (mode && strcmp(mode, "bind") == 0)
				con->unix_bind = true;
			else if (mode && strcmp(mode, "connect") != 0) {
				char vbuf[80];
				return xml_error(
					c->err, child,
					"invalid value '%s' for attribute 'mode' (expected one of: bind, "
					"connect)",
					shorten(mode, vbuf));
			}
			if (source_path) {
				r = check_absolute_path(c, child, "console source", source_path);
				if (r < 0)
					return r;
			}
		} else if (node_is(child, "target")) {
			bool has_port;
			r = once(c, &target, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "type", "port");
			if (r >= 0)
				r = attr_enum(c, child, "type", console_target_from_string,
					      "one of: sclp, sclplm", &v);
			if (r > 0)
				con->target = (ConsoleTarget)v;
			if (r >= 0)
				r = attr_unsigned(c, child, "port", &con->port, &has_port);
			if (r >= 0 && con->port != 0)
				r = xml_error(c->err, child,
					      "console port must be 0, not %u (each SCLP console "
					      "has one port)",
					      con->port);
		} else if (node_is(child, "log")) {
			r = once(c, &log, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "file", "append");
			if (r >= 0)
				r = attr_get(child, "file", &con->log_file);
			if (r >= 0 && !con->log_file)
				r = xml_error(c->err, child, "missing attribute 'file'");
			if (r >= 0)
				r = check_absolute_path(c, child, "console log", con->log_file);
			if (r >= 0)
				r = attr_on_off(c, child, "append", &con->log_append, NULL);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;

	switch (con->type) {
	case CONSOLE_TYPE_PTY:
		/* The pty exists only while the domain runs: live XML shows
		 * it, a definition never keeps it (so GetXMLDesc of a running
		 * domain can be fed back to DefineXML). */
		if (live && (source_path || tty))
			con->live_pty_path = source_path ? TAKE_PTR(source_path) : TAKE_PTR(tty);
		break;
	case CONSOLE_TYPE_FILE:
	case CONSOLE_TYPE_UNIX:
		if (!source_path)
			return xml_error(c->err, source ? source : n,
					 "a type='%s' console needs <source path='...'/>",
					 console_type_to_string(con->type));
		con->source_path = TAKE_PTR(source_path);
		break;
	default:
		break;
	}
	return 0;
}

static int parse_memballoon(ParseContext *c, xmlNode *n)
{
	MemballoonDef *mb = &c->def->memballoon;
	xmlNode *child = NULL;
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "model");
	if (r < 0)
		return r;
	r = attr_enum(c, n, "model", memballoon_model_from_string, "one of: virtio, none", &v);
	if (r < 0)
		return r;
	if (r == 0)
		return xml_error(c->err, n, "missing attribute 'model'");
	mb->model = (MemballoonModel)v;

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "address")) {
			r = once(c, &c->memballoon_address, child);
			if (r >= 0)
				r = parse_ccw_address(c, child, &mb->address);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (mb->model == MEMBALLOON_MODEL_NONE && c->memballoon_address)
		return xml_error(c->err, c->memballoon_address,
				 "a memballoon with model='none' has no address");
	return 0;
}

static int count_children(const xmlNode *n, const char *name, size_t *ret)
{
	size_t k = 0;
	for (const xmlNode *c = n->children; c; c = c->next)
		if (node_is(c, name))
			k++;
	*ret = k;
	return 0;
}

static int parse_devices(ParseContext *c, xmlNode *n)
{
	DomainDef *def = c->def;
	xmlNode *child = NULL, *emulator = NULL;
	size_t n_disks, n_consoles;
	int r;

	r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;

	count_children(n, "disk", &n_disks);
	count_children(n, "console", &n_consoles);
	if (n_disks > 0) {
		def->disks = calloc(n_disks, sizeof(DiskDef));
		c->disk_nodes = calloc(n_disks, sizeof(DiskNodes));
		if (!def->disks || !c->disk_nodes)
			return -ENOMEM;
	}
	if (n_consoles > 0) {
		def->consoles = calloc(n_consoles, sizeof(ConsoleDef));
		c->console_nodes = calloc(n_consoles, sizeof(xmlNode *));
		if (!def->consoles || !c->console_nodes)
			return -ENOMEM;
	}

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "emulator")) {
			r = once(c, &emulator, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, NULL);
			if (r >= 0)
				r = node_text(child, &def->emulator);
			if (r >= 0)
				r = check_absolute_path(c, child, "emulator", def->emulator);
		} else if (node_is(child, "disk")) {
			/* Counted above; each is cleaned up by the definition
			 * as soon as it is counted in n_disks. */
			c->disk_nodes[def->n_disks] = (DiskNodes){.disk = child};
			r = parse_disk(c, child, &def->disks[def->n_disks], &c->disk_nodes[def->n_disks]);
			def->n_disks++;
		} else if (node_is(child, "console")) {
			c->console_nodes[def->n_consoles] = child;
			r = parse_console(c, child, &def->consoles[def->n_consoles]);
			def->n_consoles++;
		} else if (node_is(child, "memballoon")) {
			if (c->memballoon_node)
				r = xml_error(c->err, child, "only one <memballoon> is allowed");
			else {
				c->memballoon_node = child;
				r = parse_memballoon(c, child);
			}
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	return r;
}

static int parse_uuid(ParseContext *c, xmlNode *n)
{
	_cleanup_free_ char *text = NULL;
	char vbuf[80];
	int r;

	r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;
	r = node_text(n, &text);
	if (r < 0)
		return r;
	const char *s = trim(text);
	/* sd_id128_from_string takes both the dashed and the 32-hex form. */
	if (sd_id128_from_string(s, &c->def->uuid) < 0)
		return xml_error(c->err, n,
				 "invalid UUID '%s' (expected 32 hex digits, optionally dashed as "
				 "8-4-4-4-12)",
				 shorten(s, vbuf));
	if (sd_id128_is_null(c->def->uuid))
		return xml_error(c->err, n, "the all-zero UUID is not allowed");
	return 0;
}

static int parse_text_element(ParseContext *c, xmlNode *n, xmlNode **slot, char **ret)
{
	int r = once(c, slot, n);
	if (r >= 0)
		r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r >= 0)
		r = node_text(n, ret);
	return r;
}

static int parse_domain(ParseContext *c, xmlNode *root)
{
	DomainDef *def = c->def;
	xmlNode *child = NULL, *name = NULL, *uuid = NULL, *title = NULL, *description = NULL,
		*memory = NULL, *current_memory = NULL, *vcpu = NULL, *cputune = NULL, *os = NULL,
		*clock = NULL, *on_poweroff = NULL, *on_reboot = NULL, *on_crash = NULL, *devices = NULL;
	int v, r;

	r = CHECK_ATTRIBUTES(c, root, "type", "id");
	if (r < 0)
		return r;
	r = attr_enum(c, root, "type", domain_virt_type_from_string, "one of: kvm, qemu", &v);
	if (r < 0)
		return r;
	if (r == 0)
		return xml_error(c->err, root, "missing attribute 'type'");
	def->virt_type = (DomainVirtType)v;
	/* id= is what dumpxml of a running domain shows; the daemon keeps
	 * ids itself (runtime status), so it is read nowhere. */

	while ((r = next_child(c, root, &child)) > 0) {
		if (node_is(child, "name"))
			r = parse_text_element(c, child, &name, &def->name);
		else if (node_is(child, "uuid")) {
			r = once(c, &uuid, child);
			if (r >= 0)
				r = parse_uuid(c, child);
		} else if (node_is(child, "title"))
			r = parse_text_element(c, child, &title, &def->title);
		else if (node_is(child, "description"))
			r = parse_text_element(c, child, &description, &def->description);
		else if (node_is(child, "memory")) {
			r = once(c, &memory, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "unit", "dumpCore");
			if (r >= 0)
				r = parse_memory(c, child, "memory", &def->memory_kib);
			if (r >= 0)
				r = attr_on_off(c, child, "dumpCore", &def->dump_core, &def->dump_core_set);
		} else if (node_is(child, "currentMemory")) {
			r = once(c, &current_memory, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "unit");
			if (r >= 0)
				r = parse_memory(c, child, "currentMemory", &def->current_memory_kib);
		} else if (node_is(child, "vcpu")) {
			r = once(c, &vcpu, child);
			if (r >= 0)
				r = parse_vcpu(c, child);
		} else if (node_is(child, "cputune")) {
			r = once(c, &cputune, child);
			if (r >= 0)
				r = parse_cputune(c, child);
		} else if (node_is(child, "os")) {
			r = once(c, &os, child);
			if (r >= 0)
				r = parse_os(c, child);
		} else if (node_is(child, "clock")) {
			_cleanup_free_ char *offset = NULL;
			r = once(c, &clock, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "offset");
			if (r >= 0)
				r = attr_get(child, "offset", &offset);
			if (r >= 0 && (!offset || strcmp(offset, "utc") != 0)) {
				char vbuf[80];
				r = xml_error(c->err, child,
					      "clock offset '%s' is not supported (expected 'utc')",
					      shorten(offset, vbuf));
			}
		} else if (node_is(child, "on_poweroff")) {
			r = once(c, &on_poweroff, child);
			if (r >= 0)
				r = parse_lifecycle(c, child, false, &def->on_poweroff);
		} else if (node_is(child, "on_reboot")) {
			r = once(c, &on_reboot, child);
			if (r >= 0)
				r = parse_lifecycle(c, child, false, &def->on_reboot);
		} else if (node_is(child, "on_crash")) {
			r = once(c, &on_crash, child);
			if (r >= 0)
				r = parse_lifecycle(c, child, true, &def->on_crash);
		} else if (node_is(child, "devices")) {
			r = once(c, &devices, child);
			if (r >= 0)
				r = parse_devices(c, child);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;

	r = require(c, root, name, "name");
	if (r >= 0)
		r = require(c, root, memory, "memory");
	if (r >= 0)
		r = require(c, root, os, "os");
	if (r < 0)
		return r;

	const char *problem = name_problem(def->name);
	if (problem) {
		char vbuf[80];
		return xml_error(c->err, name, "invalid domain name '%s': %s", shorten(def->name, vbuf),
				 problem);
	}
	if (def->title && strpbrk(def->title, "\r\n"))
		return xml_error(c->err, title, "the title must be a single line");
	if (current_memory && def->current_memory_kib > def->memory_kib)
		return xml_error(c->err, current_memory,
				 "currentMemory (%" PRIu64 " KiB) exceeds memory (%" PRIu64 " KiB)",
				 def->current_memory_kib, def->memory_kib);
	return 0;
}

/* ---- checks across devices ----------------------------------------------- */

typedef struct DiskSlot {
	DiskDef disk;
	DiskNodes nodes;
	size_t position;
} DiskSlot;

static int compare_disk_slot(const void *a, const void *b)
{
	const DiskSlot *x = a, *y = b;
	int r = disk_target_compare(x->disk.target, y->disk.target);
	if (r != 0)
		return r;
	return x->position < y->position ? -1 : x->position > y->position;
}

static int path_of(const xmlNode *n, char *buf, size_t size)
{
	_cleanup_xml_free_ xmlChar *p = n ? xmlGetNodePath(n) : NULL;
	snprintf(buf, size, "%s", p ? (const char *)p : "?");
	return 0;
}

/* libvirt keeps disks in target order (vda, vdb, ..., vdaa): dumpxml
 * shows them so, "the first disk" means vda, and duplicates end up next
 * to each other. The sort is stable, so ties keep document order. */
static int sort_disks(ParseContext *c)
{
	DomainDef *def = c->def;
	char other[256];

	if (def->n_disks < 2)
		return 0;

	_cleanup_free_ DiskSlot *slots = calloc(def->n_disks, sizeof(DiskSlot));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < def->n_disks; i++)
		slots[i] = (DiskSlot){.disk = def->disks[i], .nodes = c->disk_nodes[i], .position = i};
	qsort(slots, def->n_disks, sizeof(DiskSlot), compare_disk_slot);
	for (size_t i = 0; i < def->n_disks; i++) {
		def->disks[i] = slots[i].disk;
		c->disk_nodes[i] = slots[i].nodes;
	}

	for (size_t i = 1; i < def->n_disks; i++)
		if (strcmp(def->disks[i].target, def->disks[i - 1].target) == 0) {
			path_of(c->disk_nodes[i - 1].target, other, sizeof(other));
			return xml_error(c->err, c->disk_nodes[i].target,
					 "target dev '%s' is used twice (also by %s)", def->disks[i].target,
					 other);
		}
	return 0;
}

typedef struct BootSlot {
	unsigned order;
	size_t disk;
} BootSlot;

static int compare_boot_slot(const void *a, const void *b)
{
	const BootSlot *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->disk < y->disk ? -1 : x->disk > y->disk;
}

static int check_boot_orders(ParseContext *c)
{
	DomainDef *def = c->def;
	char other[256];
	size_t n = 0;

	if (def->n_disks == 0)
		return 0;
	_cleanup_free_ BootSlot *slots = calloc(def->n_disks, sizeof(BootSlot));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < def->n_disks; i++) {
		if (!def->disks[i].boot_order)
			continue;
		if (c->os_boot)
			return xml_error(
				c->err, c->disk_nodes[i].boot,
				"per-disk <boot order='N'/> cannot be combined with <os><boot dev='...'/>");
		slots[n++] = (BootSlot){.order = def->disks[i].boot_order, .disk = i};
	}

	/* Sorted, so duplicates are neighbours: n log n for any count. */
	qsort(slots, n, sizeof(BootSlot), compare_boot_slot);
	for (size_t k = 1; k < n; k++) {
		if (slots[k].order != slots[k - 1].order)
			continue;
		/* Report the later one in document order. */
		const xmlNode *a = c->disk_nodes[slots[k].disk].boot,
			      *b = c->disk_nodes[slots[k - 1].disk].boot;
		if (node_before(a, b)) {
			const xmlNode *t = a;
			a = b;
			b = t;
		}
		path_of(b, other, sizeof(other));
		return xml_error(c->err, a, "boot order %u is used twice (also by %s)", slots[k].order,
				 other);
	}
	return 0;
}

static int check_consoles(ParseContext *c)
{
	DomainDef *def = c->def;
	xmlNode *seen[_CONSOLE_TARGET_MAX] = {};
	char other[256];

	for (size_t i = 0; i < def->n_consoles; i++) {
		ConsoleTarget t = def->consoles[i].target;
		if (seen[t]) {
			path_of(seen[t], other, sizeof(other));
			return xml_error(
				c->err, c->console_nodes[i],
				"a second console on target '%s' (also %s); each SCLP console can be used "
				"once",
				console_target_to_string(t), other);
		}
		seen[t] = c->console_nodes[i];
	}
	return 0;
}

static void describe_ccw_device(ParseContext *c, const CcwDeviceRef *ref, char *buf, size_t size)
{
	char path[256];
	if (ref->kind == CCW_DEVICE_DISK && ref->index < c->def->n_disks) {
		path_of(c->disk_nodes[ref->index].disk, path, sizeof(path));
		snprintf(buf, size, "disk '%s' (%s)", c->def->disks[ref->index].target, path);
	} else {
		path_of(c->memballoon_node, path, sizeof(path));
		snprintf(buf, size, "the memballoon (%s)", path);
	}
}

static const xmlNode *ccw_device_node(ParseContext *c, const CcwDeviceRef *ref)
{
	if (ref->kind == CCW_DEVICE_DISK && ref->index < c->def->n_disks)
		return c->disk_nodes[ref->index].address ? c->disk_nodes[ref->index].address
							 : c->disk_nodes[ref->index].disk;
	return c->memballoon_address ? c->memballoon_address : c->memballoon_node;
}

static int ccw_error(ParseContext *c, int r, const CcwConflict *conflict)
{
	char addr[CCW_ADDRESS_STRING_MAX], first[320];

	if (r == -ENOMEM)
		return r;
	describe_ccw_device(c, &conflict->first, first, sizeof(first));
	if (r == -EEXIST) {
		/* Name the device later in the document at its address. */
		const CcwDeviceRef *a = &conflict->second, *b = &conflict->first;
		if (node_before(ccw_device_node(c, a), ccw_device_node(c, b))) {
			a = &conflict->first;
			b = &conflict->second;
		}
		char this_dev[320], other[320];
		describe_ccw_device(c, a, this_dev, sizeof(this_dev));
		describe_ccw_device(c, b, other, sizeof(other));
		return xml_error(c->err, ccw_device_node(c, a), "ccw address %s of %s is already used by %s",
				 ccw_address_to_string(&conflict->address, addr), this_dev, other);
	}
	if (r == -ENOSPC)
		return xml_error(c->err, ccw_device_node(c, &conflict->first),
				 "no free ccw address left for %s", first);
	return xml_error(c->err, ccw_device_node(c, &conflict->first), "invalid ccw address %s for %s",
			 ccw_address_to_string(&conflict->address, addr), first);
}

static int fill_defaults(ParseContext *c)
{
	DomainDef *def = c->def;

	if (sd_id128_is_null(def->uuid)) {
		int r = sd_id128_randomize(&def->uuid);
		if (r < 0)
			return zv_error_set(c->err, ZV_ERROR_HOST, r, "Cannot generate a UUID: %s",
					    strerror(-r));
	}
	if (def->current_memory_kib == 0)
		def->current_memory_kib = def->memory_kib;
	if (def->vcpus_current == 0)
		def->vcpus_current = def->vcpus_max;
	if (!def->os_arch && !(def->os_arch = strdup("s390x")))
		return -ENOMEM;
	if (!def->os_machine && !(def->os_machine = strdup("s390-ccw-virtio")))
		return -ENOMEM;
	if (!def->emulator && c->defaults && c->defaults->emulator &&
	    !(def->emulator = strdup(c->defaults->emulator)))
		return -ENOMEM;
	return 0;
}

static int parse_validated(xmlNode *root, const DomainXMLDefaults *defaults, DomainXMLParseFlags flags,
			   DomainDef **ret, ZvError *err)
{
	_cleanup_(domain_def_freep) DomainDef *def = calloc(1, sizeof(DomainDef));
	_cleanup_free_ DiskNodes *disk_nodes = NULL;
	_cleanup_free_ xmlNode **console_nodes = NULL;
	int r;

	if (!def)
		return -ENOMEM;
	/* The model's own defaults: what an absent element means. They are
	 * not "filled in" values, so NO_DEFAULTS keeps them too (the model
	 * has no "unset" for them). */
	def->vcpus_max = 1;
	def->on_poweroff = LIFECYCLE_ACTION_DESTROY;
	def->on_reboot = LIFECYCLE_ACTION_RESTART;
	def->on_crash = LIFECYCLE_ACTION_DESTROY;
	def->memballoon.model = MEMBALLOON_MODEL_VIRTIO;

	ParseContext c = {
		.err = err,
		.flags = flags,
		.defaults = defaults,
		.def = def,
	};
	r = parse_domain(&c, root);
	disk_nodes = c.disk_nodes;
	console_nodes = c.console_nodes;
	if (r < 0)
		return r;

	r = sort_disks(&c);
	if (r >= 0)
		r = check_boot_orders(&c);
	if (r >= 0)
		r = check_consoles(&c);
	if (r < 0)
		return r;

	CcwConflict conflict = {};
	if (flags & DOMAIN_XML_PARSE_NO_DEFAULTS) {
		/* No assignment, but duplicates are an error all the same. */
		CcwAddressSet *set = ccw_address_set_new();
		if (!set)
			return -ENOMEM;
		r = ccw_address_set_add_domain(set, def, &conflict);
		ccw_address_set_free(set);
	} else
		r = ccw_assign_domain(def, &conflict);
	if (r < 0)
		return ccw_error(&c, r, &conflict);

	if (!(flags & DOMAIN_XML_PARSE_NO_DEFAULTS)) {
		r = fill_defaults(&c);
		if (r < 0)
			return r;
	}

	*ret = TAKE_PTR(def);
	return 0;
}

/* Validates doc (whose root is <domain>) and reads it. */
static int parse_doc(xmlDocPtr doc, const DomainXMLDefaults *defaults, DomainXMLParseFlags flags,
		     DomainDef **ret, ZvError *err)
{
	_cleanup_(error_collector_done) ErrorCollector ec = {};
	xmlNode *root = xmlDocGetRootElement(doc);
	int r;

	if (!root)
		return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG,
				    "Invalid domain XML: no root element");
	if (!node_is(root, "domain")) {
		if (root->ns)
			return xml_error(err, root, "the root element must be <domain> without a namespace");
		return xml_error(err, root, "the root element must be <domain>, not <%s>", node_label(root));
	}
	if (doc->intSubset || doc->extSubset)
		return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG,
				    "Invalid domain XML: DOCTYPE declarations are not allowed");

	r = schema_load(err);
	if (r < 0)
		return r;

	_cleanup_(xmlRelaxNGFreeValidCtxtp) xmlRelaxNGValidCtxtPtr vctxt =
		xmlRelaxNGNewValidCtxt(schema_rng);
	if (!vctxt)
		return -ENOMEM;
	xmlRelaxNGSetValidStructuredErrors(vctxt, relaxng_error_handler, &ec);
	r = xmlRelaxNGValidateDoc(vctxt, doc);
	if (r < 0)
		return -ENOMEM; /* libxml2's internal or allocation failure */
	if (r > 0)
		return schema_error(err, ec.first_with_node.set ? &ec.first_with_node : &ec.first, doc);

	return parse_validated(root, defaults, flags, ret, err);
}

static bool only_whitespace(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_xml_space(s[i]))
			return false;
	return true;
}

/* libxml2's well-formedness message, in our words where its own would
 * mislead (the depth limit talks about a parser option). */
static int not_well_formed(const ErrorCollector *ec, ZvError *err)
{
	const XmlErrorInfo *e = &ec->first;
	char where[48] = "";

	if (!e->set)
		return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG,
				    "Invalid domain XML: not well-formed");
	if (e->line > 0)
		snprintf(where, sizeof(where), " (line %d, column %d)", e->line, e->column);

	const char *msg = e->message ? e->message : "parse error";
	if (e->code == XML_ERR_INVALID_CHAR || e->code == XML_ERR_INVALID_ENCODING)
		msg = "the document is not valid UTF-8";
	else if (strstr(msg, "Excessive depth"))
		msg = "elements are nested too deeply";
	else if (e->code == XML_ERR_UNDECLARED_ENTITY)
		msg = "entity references are not allowed (only &amp; &lt; &gt; &apos; &quot; and &#N;)";
	char text[sizeof(err->message)];
	snprintf(text, sizeof(text), "Invalid domain XML: not well-formed: %s%s", msg, where);
	utf8_trim_partial(text);
	return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG, "%s", text);
}

int domain_def_parse(const char *xml, size_t len, const DomainXMLDefaults *defaults,
		     DomainXMLParseFlags flags, DomainDef **ret, ZvError *err)
{
	_cleanup_(error_collector_done) ErrorCollector ec = {};

	if (!ret)
		return -EINVAL;
	*ret = NULL;
	if (len > DOMAIN_XML_MAX_SIZE)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EFBIG,
				    "Domain XML is too large: %zu bytes, at most %d are accepted", len,
				    DOMAIN_XML_MAX_SIZE);
	if (!xml || len == 0 || only_whitespace(xml, len))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Domain XML is empty");

	_cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctxt = new_parser_ctxt(&ec);
	if (!ctxt)
		return -ENOMEM;
	/* D-Bus strings are UTF-8 whatever the declaration says, and naming
	 * the encoding keeps libxml2's converters out of the way. */
	_cleanup_(xmlFreeDocp) xmlDocPtr doc =
		xmlCtxtReadMemory(ctxt, xml, (int)len, "domain.xml", "UTF-8", PARSE_OPTIONS);
	if (ec.doctype)
		return zv_error_set(
			err, ZV_ERROR_INVALID_XML, EBADMSG,
			"Invalid domain XML: DOCTYPE declarations are not allowed (no DTDs, no entities)");
	if (!doc || !ctxt->wellFormed)
		return not_well_formed(&ec, err);

	return parse_doc(doc, defaults, flags, ret, err);
}

int domain_def_parse_node(void *doc, void *node, const DomainXMLDefaults *defaults,
			  DomainXMLParseFlags flags, DomainDef **ret, ZvError *err)
{
	xmlDocPtr src = doc;
	xmlNode *n = node;

	if (!ret || !n)
		return -EINVAL;
	*ret = NULL;
	if (n->type != XML_ELEMENT_NODE)
		return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG,
				    "Invalid domain XML: not an element");
	if (src && (src->intSubset || src->extSubset))
		return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG,
				    "Invalid domain XML: DOCTYPE declarations are not allowed");

	/* A document of its own: RelaxNG validates documents, and paths in
	 * messages then start at /domain as they do for DefineXML. */
	_cleanup_(xmlFreeDocp) xmlDocPtr copy = xmlNewDoc(BAD_CAST "1.0");
	if (!copy)
		return -ENOMEM;
	xmlNode *root = xmlDocCopyNode(n, copy, 1);
	if (!root)
		return -ENOMEM;
	xmlDocSetRootElement(copy, root);

	return parse_doc(copy, defaults, flags, ret, err);
}

/* ---- formatting ---------------------------------------------------------- */

static void put_escaped(FILE *f, const char *s, bool attribute)
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

static void put_indent(FILE *f, unsigned level)
{
	for (unsigned i = 0; i < level; i++)
		fputs("  ", f);
}

/* <name>text</name> */
static void put_text_element(FILE *f, unsigned level, const char *name, const char *text)
{
	put_indent(f, level);
	fprintf(f, "<%s>", name);
	put_escaped(f, text, false);
	fprintf(f, "</%s>\n", name);
}

/*  name='value' */
static void put_attribute(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s='", name);
	put_escaped(f, value, true);
	fputc('\'', f);
}

static void put_ccw_address(FILE *f, unsigned level, const CcwAddress *a)
{
	if (!a->assigned)
		return;
	put_indent(f, level);
	fprintf(f, "<address type='ccw' cssid='0x%02x' ssid='0x%x' devno='0x%04x'/>\n", (unsigned)a->cssid,
		(unsigned)a->ssid, (unsigned)a->devno);
}

static void put_disk(FILE *f, const DiskDef *d)
{
	fputs("    <disk", f);
	put_attribute(f, "type", disk_type_to_string(d->type));
	put_attribute(f, "device", disk_device_to_string(d->device));
	fputs(">\n      <driver name='qemu'", f);
	put_attribute(f, "type", disk_format_to_string(d->format));
	if (d->cache != DISK_CACHE_DEFAULT)
		put_attribute(f, "cache", disk_cache_to_string(d->cache));
	if (d->io != DISK_IO_DEFAULT)
		put_attribute(f, "io", disk_io_to_string(d->io));
	fputs("/>\n", f);
	if (d->source) {
		fputs("      <source", f);
		put_attribute(f, d->type == DISK_TYPE_BLOCK ? "dev" : "file", d->source);
		fputs("/>\n", f);
	}
	fputs("      <target", f);
	put_attribute(f, "dev", d->target ? d->target : "");
	put_attribute(f, "bus", disk_bus_to_string(d->bus));
	fputs("/>\n", f);
	/* libvirt's order: readonly and shareable, then what its device
	 * info writes (boot, address). */
	if (d->readonly)
		fputs("      <readonly/>\n", f);
	if (d->shareable)
		fputs("      <shareable/>\n", f);
	if (d->boot_order)
		fprintf(f, "      <boot order='%u'/>\n", d->boot_order);
	put_ccw_address(f, 3, &d->address);
	fputs("    </disk>\n", f);
}

static void put_console(FILE *f, const ConsoleDef *con, bool live)
{
	const char *pty = live && con->type == CONSOLE_TYPE_PTY ? con->live_pty_path : NULL;

	fputs("    <console", f);
	put_attribute(f, "type", console_type_to_string(con->type));
	if (pty)
		put_attribute(f, "tty", pty);
	fputs(">\n", f);
	/* libvirt's order: source, log, target. */
	if (pty) {
		fputs("      <source", f);
		put_attribute(f, "path", pty);
		fputs("/>\n", f);
	} else if (con->type != CONSOLE_TYPE_PTY && con->source_path) {
		fputs("      <source", f);
		if (con->type == CONSOLE_TYPE_UNIX)
			put_attribute(f, "mode", con->unix_bind ? "bind" : "connect");
		put_attribute(f, "path", con->source_path);
		fputs("/>\n", f);
	}
	if (con->log_file) {
		fputs("      <log", f);
		put_attribute(f, "file", con->log_file);
		put_attribute(f, "append", con->log_append ? "on" : "off");
		fputs("/>\n", f);
	}
	fputs("      <target", f);
	put_attribute(f, "type", console_target_to_string(con->target));
	fprintf(f, " port='%u'/>\n", con->port);
	fputs("    </console>\n", f);
}

char *domain_def_format(const DomainDef *def, int id, DomainXMLFormatFlags flags)
{
	bool live = !(flags & DOMAIN_XML_FORMAT_INACTIVE);
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;

	if (!def)
		return NULL;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;

	fputs("<domain", f);
	put_attribute(f, "type", domain_virt_type_to_string(def->virt_type));
	if (live && id > 0)
		fprintf(f, " id='%d'", id);
	fputs(">\n", f);

	put_text_element(f, 1, "name", def->name ? def->name : "");
	if (!sd_id128_is_null(def->uuid))
		fprintf(f, "  <uuid>%s</uuid>\n", SD_ID128_TO_UUID_STRING(def->uuid));
	if (def->title)
		put_text_element(f, 1, "title", def->title);
	if (def->description)
		put_text_element(f, 1, "description", def->description);

	fputs("  <memory unit='KiB'", f);
	if (def->dump_core_set)
		put_attribute(f, "dumpCore", def->dump_core ? "on" : "off");
	fprintf(f, ">%" PRIu64 "</memory>\n", def->memory_kib);
	if (def->current_memory_kib)
		fprintf(f, "  <currentMemory unit='KiB'>%" PRIu64 "</currentMemory>\n",
			def->current_memory_kib);

	unsigned vcpus = def->vcpus_max ? def->vcpus_max : 1;
	fputs("  <vcpu placement='static'", f);
	if (def->vcpus_current && def->vcpus_current != vcpus)
		fprintf(f, " current='%u'", def->vcpus_current);
	fprintf(f, ">%u</vcpu>\n", vcpus);
	if (def->cpu_shares)
		fprintf(f, "  <cputune>\n    <shares>%" PRIu64 "</shares>\n  </cputune>\n", def->cpu_shares);

	fputs("  <os>\n    <type", f);
	if (def->os_arch)
		put_attribute(f, "arch", def->os_arch);
	if (def->os_machine)
		put_attribute(f, "machine", def->os_machine);
	fputs(">hvm</type>\n", f);
	if (def->os_kernel)
		put_text_element(f, 2, "kernel", def->os_kernel);
	if (def->os_initrd)
		put_text_element(f, 2, "initrd", def->os_initrd);
	if (def->os_cmdline)
		put_text_element(f, 2, "cmdline", def->os_cmdline);
	fputs("  </os>\n", f);

	fputs("  <clock offset='utc'/>\n", f);
	put_text_element(f, 1, "on_poweroff", lifecycle_action_to_string(def->on_poweroff));
	put_text_element(f, 1, "on_reboot", lifecycle_action_to_string(def->on_reboot));
	put_text_element(f, 1, "on_crash", lifecycle_action_to_string(def->on_crash));

	fputs("  <devices>\n", f);
	if (def->emulator)
		put_text_element(f, 2, "emulator", def->emulator);
	for (size_t i = 0; i < def->n_disks; i++)
		put_disk(f, &def->disks[i]);
	for (size_t i = 0; i < def->n_consoles; i++)
		put_console(f, &def->consoles[i], live);
	fputs("    <memballoon", f);
	put_attribute(f, "model", memballoon_model_to_string(def->memballoon.model));
	if (def->memballoon.model != MEMBALLOON_MODEL_NONE && def->memballoon.address.assigned) {
		fputs(">\n", f);
		put_ccw_address(f, 3, &def->memballoon.address);
		fputs("    </memballoon>\n", f);
	} else
		fputs("/>\n", f);
	fputs("  </devices>\n", f);
	fputs("</domain>\n", f);

	bool failed = ferror(f);
	if (fclose(f) != 0 || failed)
		return NULL;
	return TAKE_PTR(buf);
}
