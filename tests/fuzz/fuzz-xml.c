/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: any bytes into domain_def_parse. Whatever parses must
 * format to XML that parses again and formats to the same string (the
 * GetXMLDesc -> DefineXML promise), and survive a deep copy. The first
 * byte picks the parse flags, so LIVE and NO_DEFAULTS get fuzzed too. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain-xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const DomainXMLDefaults defaults = {.emulator = "/usr/bin/qemu-system-s390x"};

static void die(const char *what, const ZvError *err, const char *a, const char *b)
{
	fprintf(stderr, "%s\n%s\n--- first:\n%s\n--- second:\n%s\n", what, err ? err->message : "",
		a ? a : "", b ? b : "");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	DomainXMLParseFlags flags = 0;
	ZvError err = ZV_ERROR_INIT;
	DomainDef *def = NULL, *again = NULL, *copy = NULL;

	if (size > 0) {
		flags = data[0] & (DOMAIN_XML_PARSE_LIVE | DOMAIN_XML_PARSE_NO_DEFAULTS);
		data++;
		size--;
	}

	int r = domain_def_parse((const char *)data, size, &defaults, flags, &def, &err);
	if (r < 0) {
		/* Every refusal says why (allocation failures aside). */
		if (def || (err.code == ZV_ERROR_NONE && r != -ENOMEM) ||
		    (err.code != ZV_ERROR_NONE && !err.message[0]))
			die("refusal without a message", &err, NULL, NULL);
		return 0;
	}

	char *first = domain_def_format(def, 1, 0);
	if (!first)
		die("format failed", NULL, NULL, NULL);

	zv_error_clear(&err);
	r = domain_def_parse(first, strlen(first), &defaults, flags, &again, &err);
	if (r < 0)
		die("canonical XML does not parse back", &err, first, NULL);
	char *second = domain_def_format(again, 1, 0);
	if (!second || strcmp(first, second) != 0)
		die("canonical XML is not stable", NULL, first, second);

	copy = domain_def_copy(again);
	char *third = copy ? domain_def_format(copy, 1, 0) : NULL;
	if (!third || strcmp(first, third) != 0)
		die("copy formats differently", NULL, first, third);

	free(first);
	free(second);
	free(third);
	domain_def_free(def);
	domain_def_free(again);
	domain_def_free(copy);
	return 0;
}
