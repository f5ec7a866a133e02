/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a domain gets of the host: <vcpu> (maximum and current),
 * <cputune><shares> (its CPU weight), <iothreads> and <iothreadids> (its
 * I/O threads, with each disk's iothread= checked against them), read
 * into the definition and written back in libvirt's order. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/iothreads.h"
#include "xml-internal.h"

int parse_vcpu(ParseContext *c, xmlNode *n)
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

int parse_cputune(ParseContext *c, xmlNode *n)
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
		if (c->def->cpu_shares < DOMAIN_CPU_SHARES_MIN || c->def->cpu_shares > DOMAIN_CPU_SHARES_MAX)
			return xml_error(c->err, child, "cpu shares must be between %d and %d, not %" PRIu64,
					 DOMAIN_CPU_SHARES_MIN, DOMAIN_CPU_SHARES_MAX, c->def->cpu_shares);
	}
	return r;
}

int parse_iothreads(ParseContext *c, xmlNode *n)
{
	int r = once(c, &c->iothreads_node, n);
	if (r >= 0)
		r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r >= 0)
		r = text_unsigned(c, n, "iothreads count", &c->iothreads_count);
	if (r >= 0 && c->iothreads_count > DOMAIN_IOTHREADS_MAX)
		r = xml_error(c->err, n, "%u I/O threads requested, at most %d are supported",
			      c->iothreads_count, DOMAIN_IOTHREADS_MAX);
	return r;
}

/* <iothreadids><iothread id='N'/>...: the listed ids, in their order. */
int parse_iothreadids(ParseContext *c, xmlNode *n)
{
	DomainDef *def = c->def;
	xmlNode *child = NULL;
	size_t n_listed;
	int r;

	r = once(c, &c->iothreadids_node, n);
	if (r >= 0)
		r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;
	count_children(n, "iothread", &n_listed);
	if (n_listed > DOMAIN_IOTHREADS_MAX)
		return xml_error(c->err, n, "%zu I/O threads listed, at most %d are supported", n_listed,
				 DOMAIN_IOTHREADS_MAX);

	while ((r = next_child(c, n, &child)) > 0) {
		unsigned id;
		bool present;
		if (!node_is(child, "iothread"))
			return unknown_element(c, child);
		r = CHECK_ATTRIBUTES(c, child, "id");
		if (r >= 0)
			r = attr_unsigned(c, child, "id", &id, &present);
		if (r < 0)
			return r;
		if (!present)
			return xml_error(c->err, child, "missing attribute 'id'");
		if (has_element_children(child))
			return xml_error(c->err, child, "<iothread> must be empty");
		r = domain_def_add_iothread(def, id);
		if (r == -EINVAL)
			return xml_error(c->err, child, "iothread id must be a positive integer, not 0");
		if (r == -EEXIST)
			return xml_error(c->err, child, "iothread id %u is listed twice", id);
		if (r < 0)
			return r;
	}
	return r;
}

/* As libvirt: <iothreads>N</iothreads> counts the listed ids and numbers
 * the rest with the lowest ids not taken; more listed ids than N raise
 * N. Runs once the whole document is read (the elements come in any
 * order). */
int finish_iothreads(ParseContext *c)
{
	DomainDef *def = c->def;
	size_t listed = def->n_iothreads;

	if (c->iothreads_count <= listed)
		return 0;
	IOThreadDef *v = realloc(def->iothreads, c->iothreads_count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	def->iothreads = v;
	for (unsigned id = 1; def->n_iothreads < c->iothreads_count; id++)
		if (!domain_def_find_iothread(def, id))
			v[def->n_iothreads++] = (IOThreadDef){.id = id, .autofill = true};
	return 0;
}

static xmlNode *first_child_named(xmlNode *n, const char *name)
{
	for (xmlNode *k = n ? n->children : NULL; k; k = k->next)
		if (node_is(k, name))
			return k;
	return n;
}

int check_disk_iothreads(ParseContext *c)
{
	const DomainDef *def = c->def;
	char list[256];

	for (size_t i = 0; i < def->n_disks; i++) {
		const DiskDef *disk = &def->disks[i];
		if (disk->iothread && disk->bus != DISK_BUS_VIRTIO)
			return xml_error(
				c->err, first_child_named(c->disk_nodes[i].disk, "driver"),
				"disk '%s': iothread is for virtio disks only (a SCSI disk is served "
				"by its controller)",
				disk->target);
		if (!disk->iothread || domain_def_find_iothread(def, disk->iothread))
			continue;
		return xml_error(c->err, first_child_named(c->disk_nodes[i].disk, "driver"),
				 "disk '%s': iothread %u is not one of the domain's I/O threads (%s; "
				 "<iothreads> and <iothreadids> define them)",
				 disk->target, disk->iothread,
				 domain_def_iothread_list(def, list, sizeof(list)));
	}
	return 0;
}

void put_resources(FILE *f, const DomainDef *def)
{
	unsigned vcpus = def->vcpus_max ? def->vcpus_max : 1;
	fputs("  <vcpu placement='static'", f);
	if (def->vcpus_current && def->vcpus_current != vcpus)
		fprintf(f, " current='%u'", def->vcpus_current);
	fprintf(f, ">%u</vcpu>\n", vcpus);

	if (def->n_iothreads) {
		fprintf(f, "  <iothreads>%zu</iothreads>\n", def->n_iothreads);
		bool listed = false;
		for (size_t i = 0; i < def->n_iothreads; i++)
			listed |= !def->iothreads[i].autofill;
		if (listed) {
			fputs("  <iothreadids>\n", f);
			for (size_t i = 0; i < def->n_iothreads; i++)
				fprintf(f, "    <iothread id='%u'/>\n", def->iothreads[i].id);
			fputs("  </iothreadids>\n", f);
		}
	}

	if (def->cpu_shares)
		fprintf(f, "  <cputune>\n    <shares>%" PRIu64 "</shares>\n  </cputune>\n", def->cpu_shares);
}
