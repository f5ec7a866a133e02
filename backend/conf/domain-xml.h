/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Domain XML: libxml2 parse, RelaxNG validation (data/schemas/domain.rng,
 * compiled into the binary), the checks a schema cannot express, default
 * filling, and the canonical formatter. */

#include <stddef.h>
#include <stdint.h>

#include "conf/domain-def.h"
#include "util/error.h"

/* The largest document DefineXML accepts; larger is InvalidArgument. */
#define DOMAIN_XML_MAX_SIZE (1024 * 1024)

typedef struct DomainXMLDefaults {
	const char *emulator; /* filled in when <emulator> is absent */
} DomainXMLDefaults;

typedef enum DomainXMLParseFlags {
	/* Keep live-only values (console pty path, the daemon's device
	 * aliases): used when reading the runtime status the daemon wrote
	 * itself. Otherwise they are accepted and dropped, as libvirt does,
	 * so GetXMLDesc of a running domain can be fed back to DefineXML
	 * (a user's ua- alias is kept either way). */
	DOMAIN_XML_PARSE_LIVE = 1 << 0,
	/* Do not fill defaults or assign addresses (ValidateXML of a
	 * fragment is not a thing; this is for tests of the raw parser). */
	DOMAIN_XML_PARSE_NO_DEFAULTS = 1 << 1,
} DomainXMLParseFlags;

typedef enum DomainXMLFormatFlags {
	/* Leave out live-only values (pty paths, the daemon's aliases): the
	 * persistent, next-boot form. */
	DOMAIN_XML_FORMAT_INACTIVE = 1 << 0,
} DomainXMLFormatFlags;

/* Parses, validates and fills defaults (uuid when absent, currentMemory,
 * vcpu current, emulator, memballoon, ccw addresses). On failure returns
 * negative errno with err set to ZV_ERROR_INVALID_XML (bad XML, schema,
 * semantic check; the message names the XPath and the allowed values) or
 * ZV_ERROR_INVALID_ARGUMENT (too large, empty). */
int domain_def_parse(const char *xml, size_t len, const DomainXMLDefaults *defaults,
		     DomainXMLParseFlags flags, DomainDef **ret, ZvError *err);

/* Parses from an already parsed libxml2 <domain> node (runtime status
 * files embed one); same checks. node is an xmlNodePtr. */
int domain_def_parse_node(void *doc, void *node, const DomainXMLDefaults *defaults,
			  DomainXMLParseFlags flags, DomainDef **ret, ZvError *err);

/* Canonical XML: what DefineXML takes back unchanged. id > 0 adds
 * id='N' to <domain> (a running domain); ignored with FORMAT_INACTIVE.
 * Returns a malloc'd string, NULL on ENOMEM. */
char *domain_def_format(const DomainDef *def, int id, DomainXMLFormatFlags flags);

/* The longest domain name: names become file names, and
 * "<name>.console" and "<name>.log" must still fit NAME_MAX (255). */
#define DOMAIN_NAME_MAX 200

/* Empty names, names with '/' or starting with '.', control characters,
 * only spaces, or longer than DOMAIN_NAME_MAX bytes are refused (they
 * become file names). ZV_ERROR_INVALID_ARGUMENT. */
int domain_name_validate(const char *name, ZvError *err);

/* value in unit (libvirt's: b, bytes, KB, k, KiB, MB, M, MiB, GB, G, GiB,
 * TB, T, TiB; NULL means KiB) as KiB, rounded up. -EINVAL for an unknown
 * unit, -ERANGE on overflow. */
int domain_memory_to_kib(uint64_t value, const char *unit, uint64_t *ret_kib);

/* libxml2's global set-up: call once on the main thread before any
 * thread parses (documents are parsed in worker threads too). */
void domain_xml_init(void);

/* Frees the compiled schema that the calling thread's first parse built
 * (each thread has its own; a worker thread's goes when it ends). Call
 * once at exit on the main thread, after the last parse, so valgrind
 * sees no leak; a later parse would simply build it again. */
void domain_xml_done(void);
