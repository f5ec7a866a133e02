/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0004'/> of a
 * device, read (hex or decimal, ranges checked, all three or none) and
 * written. Which devices hold which address is ccw-address.c's job. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ccw-address.h"
#include "xml-internal.h"

/* 0x-prefixed hex or decimal, like libvirt; -ERANGE past 32 bits. */
static int parse_ccw_number(char *text, uint64_t *ret)
{
	const char *s = trim(text);
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		if (!*s)
			return -EINVAL;
		for (; *s; s++) {
			unsigned d;
			if (*s >= '0' && *s <= '9')
				d = (unsigned)(*s - '0');
			else if (*s >= 'a' && *s <= 'f')
				d = (unsigned)(*s - 'a' + 10);
			else if (*s >= 'A' && *s <= 'F')
				d = (unsigned)(*s - 'A' + 10);
			else
				return -EINVAL;
			if (v > UINT32_MAX)
				return -ERANGE;
			v = v * 16 + d;
		}
		*ret = v;
		return 0;
	}
	int r = parse_u64(text, &v);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

int parse_ccw_address(ParseContext *c, xmlNode *n, CcwAddress *ret)
{
	static const struct {
		const char *name;
		uint64_t min, max;
		const char *range;
	} fields[] = {
		{"cssid", CCW_CSSID_VIRTUAL, CCW_CSSID_VIRTUAL,
		 "must be 0xfe (the virtual channel subsystem)"},
		{"ssid", 0, CCW_SSID_MAX, "must be 0x0 to 0x3"},
		{"devno", 0, CCW_DEVNO_MAX, "must be 0x0000 to 0xffff"},
	};
	_cleanup_free_ char *type = NULL;
	uint64_t v[3];
	unsigned present = 0;
	int r;

	r = CHECK_ATTRIBUTES(c, n, "type", "cssid", "ssid", "devno");
	if (r < 0)
		return r;
	r = attr_get(n, "type", &type);
	if (r < 0)
		return r;
	if (!type || strcmp(type, "ccw") != 0) {
		char vbuf[80];
		return xml_error(c->err, n, "address type '%s' is not supported (expected 'ccw')",
				 shorten(type, vbuf));
	}

	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		_cleanup_free_ char *s = NULL;
		r = attr_get(n, fields[i].name, &s);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		present++;
		_cleanup_free_ char *copy = strdup(s);
		if (!copy)
			return -ENOMEM;
		char vbuf[80];
		r = parse_ccw_number(copy, &v[i]);
		if (r == -EINVAL)
			return xml_error(c->err, n,
					 "%s '%s' is not a number (expected hexadecimal such as 0x0004)",
					 fields[i].name, shorten(s, vbuf));
		if (r < 0 || v[i] < fields[i].min || v[i] > fields[i].max)
			return xml_error(c->err, n, "%s %s, not %s", fields[i].name, fields[i].range,
					 shorten(s, vbuf));
	}

	if (present == 0) {
		/* <address type='ccw'/>: libvirt's way of asking for one. */
		*ret = (CcwAddress){};
		return 0;
	}
	if (present != ELEMENTSOF(fields))
		return xml_error(c->err, n,
				 "a ccw address needs all of cssid, ssid and devno, or none of them");

	*ret = (CcwAddress){
		.assigned = true,
		.cssid = (uint8_t)v[0],
		.ssid = (uint8_t)v[1],
		.devno = (uint16_t)v[2],
	};
	return 0;
}

void put_ccw_address(FILE *f, unsigned level, const CcwAddress *a)
{
	if (!a->assigned)
		return;
	put_indent(f, level);
	fprintf(f, "<address type='ccw' cssid='0x%02x' ssid='0x%x' devno='0x%04x'/>\n", (unsigned)a->cssid,
		(unsigned)a->ssid, (unsigned)a->devno);
}
