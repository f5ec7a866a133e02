/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The <domain> document: its top level (name, uuid, title, memory,
 * clock, lifecycle actions, the <vcpu>, <cputune>, <iothreads>, <os> and
 * <devices> dispatch to the element families), the order of a parse (well-formed,
 * schema, read, checks across devices, defaults) and the public entry
 * points domain_def_parse, domain_def_parse_node and domain_def_format. */
#include "conf/domain-xml.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <systemd/sd-id128.h>

#include "conf/ccw-address.h"
#include "util/cleanup.h"
#include "util/utf8.h"
#include "xml-bounds.h"
#include "xml-internal.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)

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
	/* It is sent on the bus (Name, DomainDefined): sd-bus refuses what
	 * it does not take for UTF-8, noncharacters such as U+FDD0 too. */
	if (!utf8_is_valid(name))
		return "must be UTF-8 without noncharacters (such as U+FDD0 or U+FFFE)";
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

static int parse_devices(ParseContext *c, xmlNode *n)
{
	DomainDef *def = c->def;
	xmlNode *child = NULL, *emulator = NULL;
	size_t n_disks, n_controllers, n_hostdevs, n_interfaces, n_consoles, n_memballoons, n_watchdogs,
		n_rngs;
	int r;

	r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;
	c->devices_node = n;

	count_children(n, "disk", &n_disks);
	count_children(n, "controller", &n_controllers);
	count_children(n, "hostdev", &n_hostdevs);
	count_children(n, "interface", &n_interfaces);
	count_children(n, "console", &n_consoles);
	count_children(n, "memballoon", &n_memballoons);
	count_children(n, "watchdog", &n_watchdogs);
	count_children(n, "rng", &n_rngs);
	/* At most one alias per device. */
	c->aliases_size = n_disks + n_controllers + n_hostdevs + n_interfaces + n_consoles + n_memballoons +
			  n_watchdogs + n_rngs;
	if (c->aliases_size > 0 && !(c->aliases = calloc(c->aliases_size, sizeof(AliasNode))))
		return -ENOMEM;
	if (n_disks > 0) {
		def->disks = calloc(n_disks, sizeof(DiskDef));
		c->disk_nodes = calloc(n_disks, sizeof(DiskNodes));
		if (!def->disks || !c->disk_nodes)
			return -ENOMEM;
	}
	if (n_controllers > 0) {
		def->controllers = calloc(n_controllers, sizeof(ControllerDef));
		c->controller_nodes = calloc(n_controllers, sizeof(xmlNode *));
		c->controller_index_given = calloc(n_controllers, sizeof(bool));
		if (!def->controllers || !c->controller_nodes || !c->controller_index_given)
			return -ENOMEM;
		c->controllers_size = n_controllers;
	}
	if (n_hostdevs > 0) {
		def->hostdevs = calloc(n_hostdevs, sizeof(HostdevDef));
		c->hostdev_nodes = calloc(n_hostdevs, sizeof(xmlNode *));
		c->hostdev_addresses = calloc(n_hostdevs, sizeof(xmlNode *));
		if (!def->hostdevs || !c->hostdev_nodes || !c->hostdev_addresses)
			return -ENOMEM;
	}
	if (n_interfaces > 0) {
		def->interfaces = calloc(n_interfaces, sizeof(InterfaceDef));
		c->interface_nodes = calloc(n_interfaces, sizeof(InterfaceNodes));
		if (!def->interfaces || !c->interface_nodes)
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
		} else if (node_is(child, "controller")) {
			size_t i = def->n_controllers++;
			c->controller_nodes[i] = child;
			r = parse_controller(c, child, &def->controllers[i], &c->controller_index_given[i]);
		} else if (node_is(child, "hostdev")) {
			size_t i = def->n_hostdevs++;
			c->hostdev_nodes[i] = child;
			r = parse_hostdev(c, child, &def->hostdevs[i], &c->hostdev_addresses[i]);
		} else if (node_is(child, "interface")) {
			size_t i = def->n_interfaces++;
			c->interface_nodes[i] = (InterfaceNodes){.iface = child};
			r = parse_interface(c, child, &def->interfaces[i], &c->interface_nodes[i]);
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
		} else if (node_is(child, "watchdog"))
			r = parse_watchdog(c, child);
		else if (node_is(child, "rng"))
			r = parse_rng(c, child);
		else if (node_is(child, "panic"))
			r = parse_panic(c, child);
		else if (node_is(child, "audio"))
			r = parse_audio(c, child);
		else
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
		*clock = NULL, *on_poweroff = NULL, *on_reboot = NULL, *on_crash = NULL, *devices = NULL,
		*keywrap = NULL, *cpu = NULL, *features = NULL;
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
		} else if (node_is(child, "iothreads")) {
			r = parse_iothreads(c, child);
		} else if (node_is(child, "iothreadids")) {
			r = parse_iothreadids(c, child);
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
		} else if (node_is(child, "keywrap")) {
			r = once(c, &keywrap, child);
			if (r >= 0)
				r = parse_keywrap(c, child);
		} else if (node_is(child, "cpu")) {
			r = once(c, &cpu, child);
			if (r >= 0)
				r = parse_cpu(c, child);
		} else if (node_is(child, "features")) {
			r = once(c, &features, child);
			if (r >= 0)
				r = parse_features(c, child);
		} else if (node_is(child, "seclabel"))
			r = parse_seclabel(c, child);
		else if (node_is(child, "resource"))
			r = parse_resource(c, child);
		else
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

static int parse_validated(xmlNode *root, const DomainXMLDefaults *defaults, DomainXMLParseFlags flags,
			   DomainDef **ret, ZvError *err)
{
	_cleanup_(domain_def_freep) DomainDef *def = calloc(1, sizeof(DomainDef));
	_cleanup_free_ DiskNodes *disk_nodes = NULL;
	_cleanup_free_ xmlNode **console_nodes = NULL, **controller_nodes = NULL, **hostdev_nodes = NULL,
			       **hostdev_addresses = NULL;
	_cleanup_free_ bool *controller_index_given = NULL;
	_cleanup_free_ AliasNode *aliases = NULL;
	_cleanup_free_ InterfaceNodes *interface_nodes = NULL;
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
	hostdev_nodes = c.hostdev_nodes;
	hostdev_addresses = c.hostdev_addresses;
	interface_nodes = c.interface_nodes;
	aliases = c.aliases;
	if (r < 0) {
		controller_nodes = c.controller_nodes;
		controller_index_given = c.controller_index_given;
		return r;
	}

	r = sort_disks(&c);
	if (r >= 0)
		r = finish_iothreads(&c);
	if (r >= 0)
		r = check_disk_iothreads(&c);
	if (r >= 0)
		r = check_boot_orders(&c);
	if (r >= 0)
		r = check_consoles(&c);
	if (r >= 0)
		r = check_interfaces(&c);
	if (r >= 0)
		r = check_aliases(&c);
	if (r >= 0)
		r = check_scsi(&c); /* may grow the controller arrays */
	controller_nodes = c.controller_nodes;
	controller_index_given = c.controller_index_given;
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

	r = schema_validate(doc, err);
	if (r < 0)
		return r;

	return parse_validated(root, defaults, flags, ret, err);
}

static bool only_whitespace(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_xml_space(s[i]))
			return false;
	return true;
}

int domain_def_parse_any_size(const char *xml, size_t len, const DomainXMLDefaults *defaults,
			      DomainXMLParseFlags flags, DomainDef **ret, ZvError *err)
{
	_cleanup_(error_collector_done) ErrorCollector ec = {};

	if (!ret)
		return -EINVAL;
	*ret = NULL;
	if (!xml || len == 0 || only_whitespace(xml, len))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Domain XML is empty");
	if (len > INT_MAX) /* libxml2 counts in int */
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EFBIG,
				    "Domain XML is too large: %zu bytes", len);

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

int domain_def_parse(const char *xml, size_t len, const DomainXMLDefaults *defaults,
		     DomainXMLParseFlags flags, DomainDef **ret, ZvError *err)
{
	if (!ret)
		return -EINVAL;
	*ret = NULL;
	if (len > DOMAIN_XML_MAX_SIZE)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EFBIG,
				    "Domain XML is too large: %zu bytes, at most %d are accepted", len,
				    DOMAIN_XML_MAX_SIZE);
	/* A caller's document: bounded before libxml2 spends time on it. */
	int r = xml_check_bounds(xml, len, err);
	if (r < 0)
		return r;
	return domain_def_parse_any_size(xml, len, defaults, flags, ret, err);
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

	put_resources(f, def);

	put_os(f, def);
	put_cpu(f, def);

	fputs("  <clock offset='utc'/>\n", f);
	put_text_element(f, 1, "on_poweroff", lifecycle_action_to_string(def->on_poweroff));
	put_text_element(f, 1, "on_reboot", lifecycle_action_to_string(def->on_reboot));
	put_text_element(f, 1, "on_crash", lifecycle_action_to_string(def->on_crash));

	fputs("  <devices>\n", f);
	if (def->emulator)
		put_text_element(f, 2, "emulator", def->emulator);
	/* libvirt's order of the device families. */
	for (size_t i = 0; i < def->n_disks; i++)
		put_disk(f, &def->disks[i], live);
	for (size_t i = 0; i < def->n_controllers; i++)
		put_controller(f, &def->controllers[i], live);
	for (size_t i = 0; i < def->n_interfaces; i++)
		put_interface(f, &def->interfaces[i], live);
	for (size_t i = 0; i < def->n_consoles; i++)
		put_console(f, &def->consoles[i], live);
	put_audio(f, def);
	for (size_t i = 0; i < def->n_hostdevs; i++)
		put_hostdev(f, &def->hostdevs[i], live);
	if (def->watchdog)
		put_watchdog(f, def->watchdog, live);
	put_memballoon(f, &def->memballoon, live);
	if (def->rng)
		put_rng(f, def->rng, live);
	put_panic(f, def);
	fputs("  </devices>\n", f);
	put_seclabel(f, def);
	put_keywrap(f, def);
	fputs("</domain>\n", f);

	bool failed = ferror(f);
	if (fclose(f) != 0 || failed)
		return NULL;
	return TAKE_PTR(buf);
}
