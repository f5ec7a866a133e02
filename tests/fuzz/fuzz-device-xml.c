/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: any bytes into device_def_parse, the device XML of
 * AttachDevice and its kin. Whatever parses must format to XML that
 * parses again and formats to the same string, and survive a copy. The
 * first byte picks the parse flags (LIVE keeps the daemon's aliases). */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/device-xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	DeviceDef *dev = NULL, *again = NULL, *copy = NULL;

	if (size > 0) {
		flags = data[0] & DOMAIN_XML_PARSE_LIVE;
		data++;
		size--;
	}
	int r = device_def_parse((const char *)data, size, flags, &dev, &err);
	if (r < 0) {
		if (dev || (err.code == ZV_ERROR_NONE && r != -ENOMEM) ||
		    (err.code != ZV_ERROR_NONE && !err.message[0]))
			die("refusal without a message", &err, NULL, NULL);
		return 0;
	}
	bool live = flags & DOMAIN_XML_PARSE_LIVE;
	char *first = device_def_format(dev, live);
	if (!first)
		die("format failed", NULL, NULL, NULL);
	zv_error_clear(&err);
	if (device_def_parse(first, strlen(first), flags, &again, &err) < 0)
		die("canonical device XML does not parse back", &err, first, NULL);
	char *second = device_def_format(again, live);
	if (!second || strcmp(first, second) != 0)
		die("canonical device XML is not stable", NULL, first, second);
	copy = device_def_copy(again);
	char *third = copy ? device_def_format(copy, live) : NULL;
	if (!third || strcmp(first, third) != 0)
		die("a copy formats differently", NULL, first, third);

	free(first);
	free(second);
	free(third);
	device_def_free(dev);
	device_def_free(again);
	device_def_free(copy);
	return 0;
}
