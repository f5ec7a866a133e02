/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One device element as a document of its own: parsed, checked against
 * the domain schema (whose start allows a lone device) and read by the
 * element readers that <devices> uses. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf/device-xml.h"
#include "xml-internal.h"

static const char *const kind_names[_DEVICE_KIND_MAX] = {
	[DEVICE_KIND_DISK] = "disk",
	[DEVICE_KIND_CONTROLLER] = "controller",
	[DEVICE_KIND_HOSTDEV] = "hostdev",
	[DEVICE_KIND_INTERFACE] = "interface",
};

const char *device_kind_to_string(DeviceKind kind)
{
	return kind >= 0 && kind < _DEVICE_KIND_MAX ? kind_names[kind] : NULL;
}

void device_def_clear(DeviceDef *dev)
{
	switch (dev->kind) {
	case DEVICE_KIND_DISK:
		disk_def_clear(&dev->disk);
		break;
	case DEVICE_KIND_CONTROLLER:
		controller_def_clear(&dev->controller);
		break;
	case DEVICE_KIND_HOSTDEV:
		hostdev_def_clear(&dev->hostdev);
		break;
	case DEVICE_KIND_INTERFACE:
		interface_def_clear(&dev->interface);
		break;
	default:
		break;
	}
}

DeviceDef *device_def_free(DeviceDef *dev)
{
	if (!dev)
		return NULL;
	device_def_clear(dev);
	free(dev);
	return NULL;
}

static int parse_device_node(xmlNode *root, DomainXMLParseFlags flags, DeviceDef **ret, ZvError *err)
{
	_cleanup_(device_def_freep) DeviceDef *dev = calloc(1, sizeof(*dev));
	/* The element readers keep what they read in a definition and its
	 * aliases; a scratch one holds this device's. */
	DomainDef scratch = {};
	AliasNode alias_slot[1] = {};
	ParseContext c = {
		.err = err,
		.flags = flags & DOMAIN_XML_PARSE_LIVE,
		.def = &scratch,
		.aliases = alias_slot,
		.aliases_size = 1,
	};
	int r;

	if (!dev)
		return -ENOMEM;
	if (node_is(root, "disk")) {
		DiskNodes nodes = {.disk = root};
		dev->kind = DEVICE_KIND_DISK;
		r = parse_disk(&c, root, &dev->disk, &nodes);
	} else if (node_is(root, "controller")) {
		bool index_given = false;
		dev->kind = DEVICE_KIND_CONTROLLER;
		r = parse_controller(&c, root, &dev->controller, &index_given);
		if (r >= 0 && !index_given)
			/* A domain gives it the lowest free index; one device
			 * alone has none to look at, and libvirt's attach
			 * wants it named too. */
			r = xml_error(err, root, "a controller to attach needs its index='N'");
	} else if (node_is(root, "interface")) {
		InterfaceNodes nodes = {.iface = root};
		dev->kind = DEVICE_KIND_INTERFACE;
		r = parse_interface(&c, root, &dev->interface, &nodes);
	} else {
		xmlNode *address = NULL;
		dev->kind = DEVICE_KIND_HOSTDEV;
		r = parse_hostdev(&c, root, &dev->hostdev, &address);
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(dev);
	return 0;
}

int device_def_parse(const char *xml, size_t len, DomainXMLParseFlags flags, DeviceDef **ret, ZvError *err)
{
	_cleanup_(error_collector_done) ErrorCollector ec = {};

	if (!ret)
		return -EINVAL;
	*ret = NULL;
	size_t blank = 0;
	while (xml && blank < len && is_xml_space(xml[blank]))
		blank++;
	if (!xml || blank == len)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Device XML is empty");
	if (len > DEVICE_XML_MAX_SIZE)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EFBIG,
				    "Device XML is too large: %zu bytes (at most %d)", len,
				    DEVICE_XML_MAX_SIZE);

	_cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctxt = new_parser_ctxt(&ec);
	if (!ctxt)
		return -ENOMEM;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc =
		xmlCtxtReadMemory(ctxt, xml, (int)len, "device.xml", "UTF-8", PARSE_OPTIONS);
	if (ec.doctype)
		return zv_error_set(
			err, ZV_ERROR_INVALID_XML, EBADMSG,
			"Invalid device XML: DOCTYPE declarations are not allowed (no DTDs, no entities)");
	if (!doc || !ctxt->wellFormed)
		return not_well_formed(&ec, err);

	xmlNode *root = xmlDocGetRootElement(doc);
	if (!root)
		return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG,
				    "Invalid device XML: no root element");
	/* Before the schema, which would accept a whole <domain> here. */
	if (root->ns || !(node_is(root, "disk") || node_is(root, "controller") || node_is(root, "hostdev") ||
			  node_is(root, "interface")))
		return zv_error_set(err, ZV_ERROR_INVALID_XML, EBADMSG,
				    "Invalid device XML: the root element must be a device (<disk>, "
				    "<controller>, <hostdev> or <interface>), not <%s>",
				    node_label(root));
	int r = schema_validate(doc, err);
	if (r < 0)
		return r;
	return parse_device_node(root, flags, ret, err);
}

char *device_def_format(const DeviceDef *dev, bool live)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	switch (dev->kind) {
	case DEVICE_KIND_DISK:
		put_disk(f, &dev->disk, live);
		break;
	case DEVICE_KIND_CONTROLLER:
		put_controller(f, &dev->controller, live);
		break;
	case DEVICE_KIND_HOSTDEV:
		put_hostdev(f, &dev->hostdev, live);
		break;
	case DEVICE_KIND_INTERFACE:
		put_interface(f, &dev->interface, live);
		break;
	default:
		break;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

DeviceDef *device_def_copy(const DeviceDef *dev)
{
	/* Through the XML, as domain_def_copy(): every field the element
	 * readers know is carried, now and when they learn more. */
	_cleanup_free_ char *xml = device_def_format(dev, true);
	DeviceDef *copy = NULL;
	ZvError err = ZV_ERROR_INIT;
	if (!xml || device_def_parse(xml, strlen(xml), DOMAIN_XML_PARSE_LIVE, &copy, &err) < 0)
		return NULL;
	return copy;
}
