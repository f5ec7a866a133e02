/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <keywrap><cipher name='aes|dea' state='on|off'/></keywrap>: whether
 * the guest gets AES and DEA/TDEA wrapping keys for CPACF protected-key
 * operations (QEMU's -machine aes-key-wrap / dea-key-wrap). At least one
 * cipher, each at most once, as libvirt; a cipher left out keeps QEMU's
 * default (on). Written after </devices>, where libvirt writes it. */
#include <stdio.h>
#include <string.h>

#include "xml-internal.h"

int parse_keywrap(ParseContext *c, xmlNode *n)
{
	DomainDef *def = c->def;
	xmlNode *child = NULL, *aes = NULL, *dea = NULL;
	int r;

	r = CHECK_ATTRIBUTES(c, n, NULL);
	if (r < 0)
		return r;
	while ((r = next_child(c, n, &child)) > 0) {
		_cleanup_free_ char *name = NULL;
		bool state, present;
		char vbuf[80];

		if (!node_is(child, "cipher"))
			return unknown_element(c, child);
		r = CHECK_ATTRIBUTES(c, child, "name", "state");
		if (r >= 0)
			r = attr_get(child, "name", &name);
		if (r < 0)
			return r;
		if (!name)
			return xml_error(c->err, child,
					 "missing attribute 'name' (expected one of: aes, dea)");
		bool is_aes = strcmp(name, "aes") == 0;
		if (!is_aes && strcmp(name, "dea") != 0)
			return xml_error(
				c->err, child,
				"invalid value '%s' for attribute 'name' (expected one of: aes, dea)",
				shorten(name, vbuf));
		xmlNode **slot = is_aes ? &aes : &dea;
		if (*slot) {
			_cleanup_xml_free_ xmlChar *p = xmlGetNodePath(*slot);
			return xml_error(c->err, child, "cipher '%s' is given twice (also %s)", name,
					 p ? (const char *)p : "?");
		}
		*slot = child;
		r = attr_on_off(c, child, "state", &state, &present);
		if (r < 0)
			return r;
		if (!present)
			return xml_error(c->err, child,
					 "missing attribute 'state' (expected one of: on, off)");
		*(is_aes ? &def->keywrap_aes : &def->keywrap_dea) = state ? TRISTATE_ON : TRISTATE_OFF;
	}
	if (r < 0)
		return r;
	if (!aes && !dea)
		return xml_error(c->err, n,
				 "<keywrap> needs at least one <cipher name='aes|dea' state='on|off'/>");
	return 0;
}

static void put_cipher(FILE *f, const char *name, TristateSwitch state)
{
	if (state == TRISTATE_ABSENT)
		return;
	fprintf(f, "    <cipher name='%s' state='%s'/>\n", name, state == TRISTATE_ON ? "on" : "off");
}

void put_keywrap(FILE *f, const DomainDef *def)
{
	if (def->keywrap_aes == TRISTATE_ABSENT && def->keywrap_dea == TRISTATE_ABSENT)
		return;
	fputs("  <keywrap>\n", f);
	put_cipher(f, "aes", def->keywrap_aes);
	put_cipher(f, "dea", def->keywrap_dea);
	fputs("  </keywrap>\n", f);
}
