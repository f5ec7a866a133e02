/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <controller>: a virtio-scsi HBA (type='scsi', virtio-scsi-ccw with
 * its ccw address) or the pci-root that libvirt's dumpxml of s390x
 * guests shows (type='pci' index='0' model='pci-root', nothing on the
 * command line), read into a ControllerDef and written back. Every
 * other controller is refused at its path. Indexes across controllers
 * (unique, contiguous, the implicit ones) are domain-validate.c's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xml-internal.h"

int parse_controller(ParseContext *c, xmlNode *n, ControllerDef *cont, bool *index_given)
{
	_cleanup_free_ char *type = NULL, *model = NULL;
	xmlNode *child = NULL, *alias = NULL, *address = NULL;
	char vbuf[80];
	int r;

	r = CHECK_ATTRIBUTES(c, n, "type", "index", "model");
	if (r < 0)
		return r;
	r = attr_get(n, "type", &type);
	if (r >= 0)
		r = attr_get(n, "model", &model);
	if (r < 0)
		return r;
	if (!type)
		return xml_error(c->err, n, "missing attribute 'type'");
	int t = controller_type_from_string(type);
	if (t < 0)
		return xml_error(c->err, n,
				 "controller type '%s' is not supported (expected 'scsi' for a virtio-scsi "
				 "controller, or the pci-root of type 'pci')",
				 shorten(type, vbuf));
	cont->type = (ControllerType)t;
	r = attr_unsigned(c, n, "index", &cont->index, index_given);
	if (r < 0)
		return r;

	if (cont->type == CONTROLLER_TYPE_SCSI) {
		/* libvirt's default SCSI model on s390x. */
		cont->model = CONTROLLER_MODEL_VIRTIO_SCSI;
		if (model && strcmp(model, "virtio-scsi") != 0)
			return xml_error(c->err, n,
					 "SCSI controller model '%s' is not supported (expected "
					 "'virtio-scsi')",
					 shorten(model, vbuf));
		if (cont->index > DRIVE_ADDRESS_CONTROLLER_MAX)
			return xml_error(c->err, n, "SCSI controller index must be 0 to %d, not %u",
					 DRIVE_ADDRESS_CONTROLLER_MAX, cont->index);
	} else {
		cont->model = CONTROLLER_MODEL_PCI_ROOT;
		if (!model || strcmp(model, "pci-root") != 0)
			return xml_error(c->err, n,
					 "PCI controller model '%s' is not supported (expected 'pci-root': "
					 "zvirtd has no PCI devices)",
					 shorten(model, vbuf));
		if (*index_given && cont->index != 0)
			return xml_error(c->err, n, "the pci-root controller has index 0, not %u",
					 cont->index);
	}

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "alias")) {
			r = once(c, &alias, child);
			if (r >= 0)
				r = parse_device_alias(c, child, &cont->info);
		} else if (node_is(child, "address")) {
			r = once(c, &address, child);
			if (r >= 0 && cont->type == CONTROLLER_TYPE_PCI)
				r = xml_error(c->err, child, "the pci-root controller has no address");
			if (r >= 0)
				r = parse_device_address(c, child, ADDRESS_CCW, "a SCSI controller",
							 &cont->info);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	return r;
}

void put_controller(FILE *f, const ControllerDef *cont, bool live)
{
	fputs("    <controller", f);
	put_attribute(f, "type", controller_type_to_string(cont->type));
	fprintf(f, " index='%u'", cont->index);
	put_attribute(f, "model", controller_model_to_string(cont->model));
	if (!cont->info.address.assigned && !device_alias_shown(&cont->info, live)) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n", f);
	put_device_alias(f, 3, &cont->info, live);
	put_ccw_address(f, 3, &cont->info.address);
	fputs("    </controller>\n", f);
}
