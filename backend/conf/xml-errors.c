/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxml2's errors, in words a person can act on: the ErrorCollector
 * that keeps the first error (and the first naming a node) of a parse or
 * validation, the parser context that reports into it and refuses a
 * DOCTYPE, the message helpers (shorten, node_label, utf8_trim_partial),
 * and the "Invalid domain XML at <path>: ... (line N)" error itself. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "util/utf8.h"
#include "xml-internal.h"

static void error_info_clear(XmlErrorInfo *i)
{
	free(i->message);
	free(i->str1);
	free(i->str2);
	*i = (XmlErrorInfo){};
}

void error_collector_done(ErrorCollector *c)
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

void relaxng_error_handler(void *data, xmlErrorPtr e)
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

xmlParserCtxtPtr new_parser_ctxt(ErrorCollector *c)
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

/* Copies s for a message: control characters become '?', and long
 * values are cut (at a UTF-8 boundary) so the message stays readable. */
const char *shorten(const char *s, char buf[static 80])
{
	_Static_assert(UTF8_SHORTEN_SIZE(64) <= 80, "shorten()'s buffer holds 64 bytes and \"...\"");
	return utf8_shorten(s, 64, buf);
}

const char *node_label(const xmlNode *n)
{
	return n && n->name ? (const char *)n->name : "?";
}

/* A cut made by snprintf may split a UTF-8 character; D-Bus refuses
 * error messages that are not valid UTF-8, so drop the partial one. */
void utf8_trim_partial(char *s)
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

int xml_error_at_line(ZvError *err, const xmlNode *node, long line, const char *fmt, ...)
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

	/* A device document (AttachDevice, ...; device-xml.c reads it as
	 * "device.xml") is named as one. */
	const char *kind =
		node && node->doc && node->doc->URL && xmlStrEqual(node->doc->URL, BAD_CAST "device.xml")
			? "device"
			: "domain";
	_cleanup_xml_free_ xmlChar *path = node ? xmlGetNodePath(node) : NULL;
	if (path)
		snprintf(msg, sizeof(msg), "Invalid %s XML at %s: %s%s", kind, (const char *)path, what,
			 where);
	else
		snprintf(msg, sizeof(msg), "Invalid %s XML: %s%s", kind, what, where);
	utf8_trim_partial(msg);
	return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG, "%s", msg);
}

/* libxml2's well-formedness message, in our words where its own would
 * mislead (the depth limit talks about a parser option). */
int not_well_formed(const ErrorCollector *ec, ZvError *err)
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
