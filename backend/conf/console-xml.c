/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <console>: pty, file or unix on an SCLP target, with an optional log
 * and an alias, read into a ConsoleDef and written back. The pty path
 * is live only: kept with DOMAIN_XML_PARSE_LIVE, shown without
 * FORMAT_INACTIVE. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xml-internal.h"

int parse_console(ParseContext *c, xmlNode *n, ConsoleDef *con)
{
	xmlNode *child = NULL, *source = NULL, *target = NULL, *log = NULL, *alias = NULL;
	_cleanup_free_ char *tty = NULL, *source_path = NULL;
	bool live = c->flags & DOMAIN_XML_PARSE_LIVE;
	int v, r;

	r = CHECK_ATTRIBUTES(c, n, "type", "tty");
	if (r < 0)
		return r;
	r = attr_enum(c, n, "type", console_type_from_string, "one of: pty, file, unix", &v);
	if (r < 0)
		return r;
	if (r == 0)
		return xml_error(c->err, n, "missing attribute 'type'");
	con->type = (ConsoleType)v;
	r = attr_get(n, "tty", &tty);
	if (r < 0)
		return r;
	if (tty && con->type != CONSOLE_TYPE_PTY)
		return xml_error(c->err, n, "tty= belongs to type='pty' consoles only");

	while ((r = next_child(c, n, &child)) > 0) {
		if (node_is(child, "source")) {
			_cleanup_free_ char *mode = NULL;
			r = once(c, &source, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "mode", "path");
			if (r >= 0)
				r = attr_get(child, "mode", &mode);
			if (r >= 0)
				r = attr_get(child, "path", &source_path);
			if (r < 0)
				return r;
			if (mode && con->type != CONSOLE_TYPE_UNIX)
				return xml_error(c->err, child,
						 "mode= belongs to type='unix' consoles only");
			if (mode && strcmp(mode, "bind") == 0)
				con->unix_bind = true;
			else if (mode && strcmp(mode, "connect") != 0) {
				char vbuf[80];
				return xml_error(
					c->err, child,
					"invalid value '%s' for attribute 'mode' (expected one of: bind, "
					"connect)",
					shorten(mode, vbuf));
			}
			if (source_path) {
				r = check_absolute_path(c, child, "console source", source_path);
				if (r < 0)
					return r;
			}
		} else if (node_is(child, "target")) {
			bool has_port;
			r = once(c, &target, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "type", "port");
			if (r >= 0)
				r = attr_enum(c, child, "type", console_target_from_string,
					      "one of: sclp, sclplm", &v);
			if (r > 0)
				con->target = (ConsoleTarget)v;
			if (r >= 0)
				r = attr_unsigned(c, child, "port", &con->port, &has_port);
			if (r >= 0 && con->port != 0)
				r = xml_error(c->err, child,
					      "console port must be 0, not %u (each SCLP console "
					      "has one port)",
					      con->port);
		} else if (node_is(child, "log")) {
			r = once(c, &log, child);
			if (r >= 0)
				r = CHECK_ATTRIBUTES(c, child, "file", "append");
			if (r >= 0)
				r = attr_get(child, "file", &con->log_file);
			if (r >= 0 && !con->log_file)
				r = xml_error(c->err, child, "missing attribute 'file'");
			if (r >= 0)
				r = check_absolute_path(c, child, "console log", con->log_file);
			if (r >= 0)
				r = attr_on_off(c, child, "append", &con->log_append, NULL);
		} else if (node_is(child, "alias")) {
			r = once(c, &alias, child);
			if (r >= 0)
				r = parse_device_alias(c, child, &con->info);
		} else
			r = unknown_element(c, child);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;

	switch (con->type) {
	case CONSOLE_TYPE_PTY:
		/* The pty exists only while the domain runs: live XML shows
		 * it, a definition never keeps it (so GetXMLDesc of a running
		 * domain can be fed back to DefineXML). */
		if (live && (source_path || tty))
			con->live_pty_path = source_path ? TAKE_PTR(source_path) : TAKE_PTR(tty);
		break;
	case CONSOLE_TYPE_FILE:
	case CONSOLE_TYPE_UNIX:
		if (!source_path)
			return xml_error(c->err, source ? source : n,
					 "a type='%s' console needs <source path='...'/>",
					 console_type_to_string(con->type));
		con->source_path = TAKE_PTR(source_path);
		break;
	default:
		break;
	}
	return 0;
}

void put_console(FILE *f, const ConsoleDef *con, bool live)
{
	const char *pty = live && con->type == CONSOLE_TYPE_PTY ? con->live_pty_path : NULL;

	fputs("    <console", f);
	put_attribute(f, "type", console_type_to_string(con->type));
	if (pty)
		put_attribute(f, "tty", pty);
	fputs(">\n", f);
	/* libvirt's order: source, log, target, alias. */
	if (pty) {
		fputs("      <source", f);
		put_attribute(f, "path", pty);
		fputs("/>\n", f);
	} else if (con->type != CONSOLE_TYPE_PTY && con->source_path) {
		fputs("      <source", f);
		if (con->type == CONSOLE_TYPE_UNIX)
			put_attribute(f, "mode", con->unix_bind ? "bind" : "connect");
		put_attribute(f, "path", con->source_path);
		fputs("/>\n", f);
	}
	if (con->log_file) {
		fputs("      <log", f);
		put_attribute(f, "file", con->log_file);
		put_attribute(f, "append", con->log_append ? "on" : "off");
		fputs("/>\n", f);
	}
	fputs("      <target", f);
	put_attribute(f, "type", console_target_to_string(con->target));
	fprintf(f, " port='%u'/>\n", con->port);
	put_device_alias(f, 3, &con->info, live);
	fputs("    </console>\n", f);
}
