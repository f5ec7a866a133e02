/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Elements libvirt's dumpxml prints for an s390x guest that only say
 * what zvirtd does anyway, so that such a document defines unchanged:
 * each is accepted in the one form that is true of zvirtd, kept, and
 * written back where libvirt writes it; every other form is refused
 * with the reason (never dropped).
 *
 *   <cpu mode='host-passthrough' [check='none']/>: zvirtd runs QEMU's
 *     -cpu host under KVM, which is libvirt's host-passthrough.
 *   <seclabel type='dynamic' model='dac' relabel='yes'/>: QEMU runs as
 *     its own user and the files it needs are given to it for the run
 *     (dac.c), libvirt's DAC driver with dynamic ownership.
 *   <features/> (empty): no machine features are set.
 *   <panic model='s390'/>: a disabled wait is reported as a crash and
 *     <on_crash> is carried out; there is nothing on the command line.
 *   <audio id='N' type='none'/>: the guest has no sound device, so no
 *     audio backend; there is nothing on the command line.
 *
 * And <resource>, which is refused: zvirtd places no guest in a cgroup
 * partition (libvirt's /machine). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml-internal.h"

/* ---- <cpu> --------------------------------------------------------------- */

#define CPU_HINT                                                                             \
	"zvirtd runs QEMU's -cpu host under KVM, which libvirt calls host-passthrough, and " \
	"expands no CPU models; use <cpu mode='host-passthrough'/> or leave <cpu> out"

int parse_cpu(ParseContext *c, xmlNode *n)
{
	DomainDef *def = c->def;
	_cleanup_free_ char *mode = NULL, *check = NULL;
	xmlNode *child = NULL;
	char vbuf[80];
	int r;

	r = CHECK_ATTRIBUTES(c, n, "mode", "check", "match", "migratable");
	if (r < 0)
		return r;
	r = attr_get(n, "mode", &mode);
	if (r >= 0)
		r = attr_get(n, "check", &check);
	if (r < 0)
		return r;
	if (!mode || strcmp(mode, "host-passthrough") != 0)
		return xml_error(c->err, n, "cpu mode '%s' is not supported: " CPU_HINT,
				 mode ? shorten(mode, vbuf) : "custom");
	if (def->virt_type != DOMAIN_VIRT_KVM)
		return xml_error(
			c->err, n,
			"cpu mode 'host-passthrough' needs <domain type='kvm'>: a type='qemu' domain "
			"runs QEMU's emulated 'qemu' CPU model");
	if (check && strcmp(check, "none") != 0)
		return xml_error(c->err, n,
				 "cpu check '%s' is not supported: with host-passthrough there is no CPU "
				 "model to check (use check='none' or leave it out)",
				 shorten(check, vbuf));
	if (xmlHasProp(n, BAD_CAST "match"))
		return xml_error(c->err, n,
				 "cpu match= belongs to CPU models, which zvirtd does not run: " CPU_HINT);
	if (xmlHasProp(n, BAD_CAST "migratable"))
		return xml_error(c->err, n,
				 "cpu migratable= is not supported: zvirtd runs -cpu host with all its "
				 "features");
	while ((r = next_child(c, n, &child)) > 0)
		return xml_error(
			c->err, child,
			"<%s> is not supported in <cpu mode='host-passthrough'>: the guest gets the "
			"host's CPU as it is (no models, features or topology)",
			node_label(child));
	if (r < 0)
		return r;
	def->cpu_mode = CPU_MODE_HOST_PASSTHROUGH;
	def->cpu_check_none = check != NULL;
	return 0;
}

void put_cpu(FILE *f, const DomainDef *def)
{
	if (def->cpu_mode != CPU_MODE_HOST_PASSTHROUGH)
		return;
	fprintf(f, "  <cpu mode='host-passthrough'%s/>\n", def->cpu_check_none ? " check='none'" : "");
}

/* ---- <seclabel> ------------------------------------------------------------ */

#define SECLABEL_HINT                                                                \
	"zvirtd runs QEMU as its own user and gives it the files it needs for each " \
	"run: <seclabel type='dynamic' model='dac' relabel='yes'/>, or no <seclabel>"

int parse_seclabel(ParseContext *c, xmlNode *n)
{
	_cleanup_free_ char *type = NULL, *model = NULL, *relabel = NULL;
	xmlNode *child = NULL, *label = NULL, *imagelabel = NULL;
	char vbuf[80];
	int r;

	if (c->def->seclabel_dac)
		return xml_error(c->err, n, "only one <seclabel> is allowed, the DAC one: " SECLABEL_HINT);
	r = CHECK_ATTRIBUTES(c, n, "type", "model", "relabel");
	if (r >= 0)
		r = attr_get(n, "type", &type);
	if (r >= 0)
		r = attr_get(n, "model", &model);
	if (r >= 0)
		r = attr_get(n, "relabel", &relabel);
	if (r < 0)
		return r;
	if (!model || strcmp(model, "dac") != 0)
		return xml_error(c->err, n, "security model '%s' is not supported: " SECLABEL_HINT,
				 model ? shorten(model, vbuf) : "(none)");
	if (type && strcmp(type, "dynamic") != 0)
		return xml_error(c->err, n, "seclabel type '%s' is not supported: " SECLABEL_HINT,
				 shorten(type, vbuf));
	if (relabel && strcmp(relabel, "yes") != 0)
		return xml_error(c->err, n,
				 "relabel='%s' is not supported: a dynamic label relabels the files QEMU "
				 "uses (" SECLABEL_HINT ")",
				 shorten(relabel, vbuf));

	while ((r = next_child(c, n, &child)) > 0) {
		/* The labels of a run, in live XML: zvirtd's QEMU user, chosen
		 * again at each start; dropped like a pty path. */
		if (node_is(child, "label"))
			r = once(c, &label, child);
		else if (node_is(child, "imagelabel"))
			r = once(c, &imagelabel, child);
		else if (node_is(child, "baselabel"))
			r = xml_error(c->err, child,
				      "<baselabel> is not supported: QEMU runs as [Hypervisor] User= and "
				      "Group= of zvirtd.conf");
		else
			r = unknown_element(c, child);
		if (r >= 0 && (label == child || imagelabel == child))
			r = CHECK_ATTRIBUTES(c, child, NULL);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	c->def->seclabel_dac = true;
	return 0;
}

void put_seclabel(FILE *f, const DomainDef *def)
{
	if (def->seclabel_dac)
		fputs("  <seclabel type='dynamic' model='dac' relabel='yes'/>\n", f);
}

/* ---- <features>, <resource> ------------------------------------------------ */

int parse_features(ParseContext *c, xmlNode *n)
{
	xmlNode *child = NULL;
	int r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;
	/* Nothing to keep: an empty <features/> is what zvirtd runs, and
	 * libvirt does not write one back either. */
	while ((r = next_child(c, n, &child)) > 0)
		return xml_error(c->err, child,
				 "machine feature <%s> is not supported (zvirtd sets no machine features)",
				 node_label(child));
	return r;
}

int parse_resource(ParseContext *c, xmlNode *n)
{
	return xml_error(c->err, n,
			 "<resource> is not supported: zvirtd places no guest in a cgroup partition "
			 "(libvirt's /machine); remove it");
}

/* ---- <panic>, <audio> -------------------------------------------------------- */

int parse_panic(ParseContext *c, xmlNode *n)
{
	_cleanup_free_ char *model = NULL;
	xmlNode *child = NULL;
	char vbuf[80];
	int r;

	if (c->def->panic_s390)
		return xml_error(c->err, n, "only one <panic> is allowed");
	r = CHECK_ATTRIBUTES(c, n, "model");
	if (r >= 0)
		r = attr_get(n, "model", &model);
	if (r < 0)
		return r;
	if (model && strcmp(model, "s390") != 0)
		return xml_error(c->err, n, "panic model '%s' is not supported (expected 's390')",
				 shorten(model, vbuf));
	while ((r = next_child(c, n, &child)) > 0)
		return xml_error(c->err, child, "<%s> is not supported in <panic model='s390'/>",
				 node_label(child));
	if (r < 0)
		return r;
	c->def->panic_s390 = true;
	return 0;
}

void put_panic(FILE *f, const DomainDef *def)
{
	if (def->panic_s390)
		fputs("    <panic model='s390'/>\n", f);
}

int parse_audio(ParseContext *c, xmlNode *n)
{
	_cleanup_free_ char *type = NULL;
	xmlNode *child = NULL;
	unsigned id = 0;
	bool present;
	char vbuf[80];
	int r;

	if (c->def->audio_none_id)
		return xml_error(c->err, n, "only one <audio type='none'/> is allowed");
	r = CHECK_ATTRIBUTES(c, n, "id", "type");
	if (r >= 0)
		r = attr_get(n, "type", &type);
	if (r < 0)
		return r;
	if (!type || strcmp(type, "none") != 0)
		return xml_error(c->err, n,
				 "audio type '%s' is not supported (expected 'none': the guest has no sound "
				 "device)",
				 type ? shorten(type, vbuf) : "(none)");
	r = attr_unsigned(c, n, "id", &id, &present);
	if (r < 0)
		return r;
	if (!present || id == 0)
		return xml_error(c->err, n, "<audio> needs id= a positive integer");
	while ((r = next_child(c, n, &child)) > 0)
		return xml_error(c->err, child, "<%s> is not supported in <audio type='none'/>",
				 node_label(child));
	if (r < 0)
		return r;
	c->def->audio_none_id = id;
	return 0;
}

void put_audio(FILE *f, const DomainDef *def)
{
	if (def->audio_none_id)
		fprintf(f, "    <audio id='%u' type='none'/>\n", def->audio_none_id);
}
