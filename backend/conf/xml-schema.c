/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RelaxNG schema (data/schemas/domain.rng, compiled in): loading it
 * once, validating a document against it, and turning what libxml2 says
 * about a refused document into a sentence at the right path. For the
 * sentence the schema document itself is walked (pattern_walk): which
 * element pattern describes a node, which attributes and values it
 * allows (describe_expected), and, when libxml2 names no node or the
 * wrong one, the first thing in the document the schema refuses
 * (diagnose_*). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "util/log.h"
#include "xml-internal.h"

/* data/schemas/domain.rng, embedded by backend/conf/meson.build. */
extern const char zv_domain_schema[];
extern const size_t zv_domain_schema_len;

#define RNG_NS "http://relaxng.org/ns/structure/1.0"
#define ZV_NS  "urn:zvirt:schema"

/* The compiled schema, and the schema document itself, which error
 * messages consult to say what an attribute or element may hold. Built
 * on first use, once per thread: documents are parsed on the loop and in
 * worker threads, and libxml2 does not promise that one compiled RelaxNG
 * schema may validate in two threads at once. A thread's copy is freed
 * when the thread ends, the main thread's by domain_xml_done(). */
static __thread xmlDocPtr schema_doc;
static __thread xmlRelaxNGPtr schema_rng;

static pthread_key_t schema_key;
static pthread_once_t schema_key_once = PTHREAD_ONCE_INIT;

static void schema_thread_done(void *unused)
{
	domain_xml_done();
}

static void schema_make_key(void)
{
	/* Without the key a worker thread's schema outlives it; nothing
	 * worse, so a failure here is not one of the caller's. */
	(void)pthread_key_create(&schema_key, schema_thread_done);
}

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
			/* libxml2 may blame an allowed element whose own
			 * attributes are wrong ("expecting element readonly,
			 * got target" when target lacks dev=): say that first. */
			r = diagnose_element(err, node, schema_pattern_for(node), e->line);
			if (r == -ENOENT)
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
	(void)pthread_once(&schema_key_once, schema_make_key);
	(void)pthread_setspecific(schema_key, &schema_key);
	return 0;
}

/* 0 when doc matches the schema; else the first thing it refuses, in
 * words, as ZV_ERROR_INVALID_XML. */
int schema_validate(xmlDocPtr doc, ZvError *err)
{
	_cleanup_(error_collector_done) ErrorCollector ec = {};
	int r;

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
	return 0;
}
void domain_xml_init(void)
{
	xmlInitParser();
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
