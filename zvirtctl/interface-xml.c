/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "interface-xml.h"
#include "util/cleanup.h"

static void xml_doc_freep(xmlDoc **d)
{
	if (*d)
		xmlFreeDoc(*d);
}

static void xml_buffer_freep(xmlBuffer **b)
{
	if (*b)
		xmlBufferFree(*b);
}

static void xml_char_freep(xmlChar **s)
{
	if (*s)
		xmlFree(*s);
}

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* The element's text; 0 and it, or -ENOMEM. */
static int node_text(xmlNode *n, char **ret)
{
	_cleanup_(xml_buffer_freep) xmlBuffer *buf = xmlBufferCreate();

	if (!buf || xmlNodeDump(buf, n->doc, n, 0, 0) < 0)
		return -ENOMEM;
	*ret = strdup((const char *)xmlBufferContent(buf));
	return *ret ? 0 : -ENOMEM;
}

int interface_xml_build(const InterfaceSpec *spec, char **ret_xml)
{
	_cleanup_(xml_doc_freep) xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNode *root = doc ? xmlNewNode(NULL, BAD_CAST "interface") : NULL, *n;

	if (!root)
		return -ENOMEM;
	xmlDocSetRootElement(doc, root);
	if (!xmlNewProp(root, BAD_CAST "type", BAD_CAST spec->type))
		return -ENOMEM;
	if (spec->mac && (!(n = xmlNewChild(root, NULL, BAD_CAST "mac", NULL)) ||
			  !xmlNewProp(n, BAD_CAST "address", BAD_CAST spec->mac)))
		return -ENOMEM;
	if (spec->source) {
		bool bridge = strcmp(spec->type, "bridge") == 0;
		if (!(n = xmlNewChild(root, NULL, BAD_CAST "source", NULL)) ||
		    !xmlNewProp(n, BAD_CAST(bridge ? "bridge" : "dev"), BAD_CAST spec->source))
			return -ENOMEM;
		if (spec->source_mode && !xmlNewProp(n, BAD_CAST "mode", BAD_CAST spec->source_mode))
			return -ENOMEM;
	}
	if (spec->target && (!(n = xmlNewChild(root, NULL, BAD_CAST "target", NULL)) ||
			     !xmlNewProp(n, BAD_CAST "dev", BAD_CAST spec->target)))
		return -ENOMEM;
	if (spec->model && (!(n = xmlNewChild(root, NULL, BAD_CAST "model", NULL)) ||
			    !xmlNewProp(n, BAD_CAST "type", BAD_CAST spec->model)))
		return -ENOMEM;
	return node_text(root, ret_xml);
}

/* The <interface> of the domain XML whose MAC is mac. */
static int find_interface(const char *domain_xml, const char *mac, xmlDoc **ret_doc, xmlNode **ret)
{
	_cleanup_(xml_doc_freep) xmlDoc *doc =
		xmlReadMemory(domain_xml, (int)strlen(domain_xml), NULL, NULL,
			      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;

	if (!root)
		return -EINVAL;
	for (xmlNode *c = child(root, "devices") ? child(root, "devices")->children : NULL; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "interface") != 0)
			continue;
		xmlNode *m = child(c, "mac");
		_cleanup_(xml_char_freep) xmlChar *address = m ? xmlGetProp(m, BAD_CAST "address") : NULL;
		if (address && strcasecmp((const char *)address, mac) == 0) {
			*ret = c;
			*ret_doc = TAKE_PTR(doc);
			return 0;
		}
	}
	return -ENODEV;
}

int interface_xml_set_link(const char *domain_xml, const char *mac, bool up, char **ret_xml)
{
	_cleanup_(xml_doc_freep) xmlDoc *doc = NULL;
	xmlNode *nic, *link;
	int r = find_interface(domain_xml, mac, &doc, &nic);

	if (r < 0)
		return r;
	link = child(nic, "link");
	if (!link && !(link = xmlNewChild(nic, NULL, BAD_CAST "link", NULL)))
		return -ENOMEM;
	if (!xmlSetProp(link, BAD_CAST "state", BAD_CAST(up ? "up" : "down")))
		return -ENOMEM;
	return node_text(nic, ret_xml);
}

int interface_xml_get_link(const char *domain_xml, const char *mac, bool *ret_up)
{
	_cleanup_(xml_doc_freep) xmlDoc *doc = NULL;
	xmlNode *nic;
	int r = find_interface(domain_xml, mac, &doc, &nic);

	if (r < 0)
		return r;
	xmlNode *link = child(nic, "link");
	_cleanup_(xml_char_freep) xmlChar *state = link ? xmlGetProp(link, BAD_CAST "state") : NULL;
	*ret_up = !state || strcmp((const char *)state, "down") != 0;
	return 0;
}
