/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os>: the machine (type, arch, machine), a kernel to IPL with its
 * initrd and command line, libvirt's <boot dev='hd'/> and the IPL boot
 * menu (<bootmenu enable='yes' timeout='ms'/>), read into the definition
 * and written back. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml-internal.h"

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

/* QEMU's -boot menu=on,splash-time=N: the s390-ccw BIOS shows the zipl
 * menu of the IPL disk (the one with boot order 1) for N ms. */
static int parse_bootmenu(ParseContext *c, xmlNode *n)
{
	DomainDef *def = c->def;
	_cleanup_free_ char *enable = NULL;
	bool has_timeout;
	int r;

	r = CHECK_ATTRIBUTES(c, n, "enable", "timeout");
	if (r >= 0)
		r = attr_get(n, "enable", &enable);
	if (r < 0)
		return r;
	if (!enable)
		return xml_error(c->err, n, "missing attribute 'enable' (expected one of: yes, no)");
	if (strcmp(enable, "yes") == 0)
		def->bootmenu = TRISTATE_ON;
	else if (strcmp(enable, "no") == 0)
		def->bootmenu = TRISTATE_OFF;
	else {
		char vbuf[80];
		return xml_error(c->err, n,
				 "invalid value '%s' for attribute 'enable' (expected one of: yes, no)",
				 shorten(enable, vbuf));
	}
	r = attr_unsigned(c, n, "timeout", &def->bootmenu_timeout, &has_timeout);
	if (r < 0)
		return r;
	if (!has_timeout)
		return 0;
	/* libvirt ignores a timeout without enable='yes'; it is refused here
	 * rather than dropped. */
	if (def->bootmenu != TRISTATE_ON)
		return xml_error(c->err, n, "a boot menu timeout needs enable='yes'");
	if (def->bootmenu_timeout > 65535)
		return xml_error(c->err, n, "boot menu timeout %u is out of range (0 to 65535 ms)",
				 def->bootmenu_timeout);
	def->bootmenu_timeout_set = true;
	return 0;
}

int parse_os(ParseContext *c, xmlNode *n)
{
	DomainDef *def = c->def;
	xmlNode *child = NULL, *type = NULL, *kernel = NULL, *initrd = NULL, *cmdline = NULL,
		*bootmenu = NULL;
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
		} else if (node_is(child, "bootmenu")) {
			r = once(c, &bootmenu, child);
			if (r >= 0)
				r = parse_bootmenu(c, child);
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

void put_os(FILE *f, const DomainDef *def)
{
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
	if (def->bootmenu != TRISTATE_ABSENT) {
		fprintf(f, "    <bootmenu enable='%s'", def->bootmenu == TRISTATE_ON ? "yes" : "no");
		if (def->bootmenu_timeout_set)
			fprintf(f, " timeout='%u'", def->bootmenu_timeout);
		fputs("/>\n", f);
	}
	fputs("  </os>\n", f);
}
