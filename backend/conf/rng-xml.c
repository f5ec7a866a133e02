/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <rng model='virtio'><backend model='random'>/dev/random</backend></rng>:
 * a virtio-rng-ccw device fed by QEMU's rng-random object reading the
 * host's /dev/random, with its alias and ccw address, read into the
 * definition's RngDef and written back in libvirt's order. The seed
 * allows /dev/random only (the host's hardware RNG, e.g. a Crypto
 * Express card, feeds it); an empty <backend> means it. One per domain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml-internal.h"

static int parse_backend(ParseContext *c, xmlNode *n, RngDef *rng)
{
	_cleanup_free_ char *text = NULL;
	char vbuf[80];
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "model");
	if (r < 0)
		return r;
	r = attr_enum(c, n, "model", rng_backend_from_string, "'random' (a host device)", &v);
	if (r < 0)
		return r;
	if (r == 0)
		return xml_error(c->err, n, "missing attribute 'model' (expected 'random')");
	rng->backend = (RngBackendModel)v;
	r = node_text(n, &text);
	if (r < 0)
		return r;
	const char *path = trim(text);
	if (!*path)
		path = RNG_RANDOM_DEVICE;
	if (strcmp(path, RNG_RANDOM_DEVICE) != 0)
		return xml_error(c->err, n,
				 "rng backend '%s' is not supported (expected " RNG_RANDOM_DEVICE
				 ", the only source the host's hardware RNG feeds)",
				 shorten(path, vbuf));
	rng->source = strdup(path);
	return rng->source ? 0 : -ENOMEM;
}

int parse_rng(ParseContext *c, xmlNode *n)
{
	xmlNode *child = NULL, *backend = NULL, *alias = NULL;
	int v, r;

	if (c->rng_node) {
		char other[256];
		_cleanup_xml_free_ xmlChar *p = xmlGetNodePath(c->rng_node);
		snprintf(other, sizeof(other), "%s", p ? (const char *)p : "?");
		return xml_error(c->err, n, "only one <rng> is supported (also %s)", other);
	}
	c->rng_node = n;

	RngDef *rng = calloc(1, sizeof(*rng));
	if (!rng)
		return -ENOMEM;
	c->def->rng = rng;

	r = CHECK_ATTRIBUTES(c, n, "model");
	if (r < 0)
		return r;
	r = attr_enum(c, n, "model", rng_model_from_string, "'virtio'", &v);
	if (r < 0)
		return r;
	if (r == 0)
		return xml_error(c->err, n, "missing attribute 'model' (expected 'virtio')");
	rng->model = (RngModel)v;

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "backend")) {
			r = once(c, &backend, child);
			if (r >= 0)
				r = parse_backend(c, child, rng);
		} else if (node_is(child, "alias")) {
			r = once(c, &alias, child);
			if (r >= 0)
				r = parse_device_alias(c, child, &rng->info);
		} else if (node_is(child, "address")) {
			r = once(c, &c->rng_address, child);
			if (r >= 0)
				r = parse_ccw_address(c, child, &rng->info.address);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return require(c, n, backend, "backend");
}

void put_rng(FILE *f, const RngDef *rng, bool live)
{
	fputs("    <rng", f);
	put_attribute(f, "model", rng_model_to_string(rng->model));
	fputs(">\n      <backend", f);
	put_attribute(f, "model", rng_backend_to_string(rng->backend));
	fputc('>', f);
	put_escaped(f, rng->source ? rng->source : RNG_RANDOM_DEVICE, false);
	fputs("</backend>\n", f);
	put_device_alias(f, 3, &rng->info, live);
	put_ccw_address(f, 3, &rng->info.address);
	fputs("    </rng>\n", f);
}
