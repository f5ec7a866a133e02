/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bounds checked before libxml2 parses a caller's document: hostile
 * shapes are refused at once with the line named, what the schema
 * accepts is never touched, and the worst document inside the bounds
 * still parses (and fails) in a moment. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "conf/domain-xml.h"
#include "conf/xml-bounds.h"
#include "util/cleanup.h"

static const DomainXMLDefaults defaults = {.emulator = "/usr/bin/qemu-system-s390x"};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appends to a 1 MiB buffer. */
typedef struct Buf {
	char *s;
	size_t len, cap;
} Buf;

static void put(Buf *b, const char *text)
{
	size_t n = strlen(text);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	memcpy(b->s + b->len, text, n + 1);
	b->len += n;
}

static int parse(const Buf *b, ZvError *err, double *ret_seconds)
{
	DomainDef *def = NULL;
	double t0 = now_s();
	int r = domain_def_parse(b->s, b->len, &defaults, 0, &def, err);
	*ret_seconds = now_s() - t0;
	domain_def_free(def);
	return r;
}

static void test_many_attributes(void **state)
{
	Buf b = {};
	char attr[32];
	put(&b, "<domain type='kvm'\n");
	for (int i = 0; b.len < DOMAIN_XML_MAX_SIZE - 64; i++) {
		snprintf(attr, sizeof(attr), " a%d=''", i);
		put(&b, attr);
	}
	put(&b, "><name>x</name></domain>");
	ZvError err = ZV_ERROR_INIT;
	double s;
	assert_int_equal(parse(&b, &err, &s), -EBADMSG);
	assert_int_equal(err.code, ZV_ERROR_INVALID_XML);
	assert_non_null(strstr(err.message, "line 1 has more than 32 attributes"));
	assert_true(s < 0.5);
	free(b.s);
}

static void test_many_elements_and_depth(void **state)
{
	Buf b = {};
	ZvError err = ZV_ERROR_INIT;
	double s;

	put(&b, "<domain type='kvm'><name>x</name><devices>");
	for (int i = 0; i < XML_MAX_ELEMENTS; i++)
		put(&b, "<x/>");
	put(&b, "</devices></domain>");
	assert_int_equal(parse(&b, &err, &s), -EBADMSG);
	assert_non_null(strstr(err.message, "more than 20000 elements"));
	free(b.s);

	b = (Buf){};
	zv_error_clear(&err);
	put(&b, "<domain type='kvm'>\n");
	for (int i = 0; i < XML_MAX_DEPTH; i++)
		put(&b, "<a>");
	put(&b, "</domain>");
	assert_int_equal(parse(&b, &err, &s), -EBADMSG);
	assert_non_null(strstr(err.message, "nested too deeply (more than 64 levels, line 2)"));
	free(b.s);
}

/* What looks like markup inside values, comments and CDATA is not
 * counted, and neither are end tags or empty elements as depth. */
static void test_counts_only_markup(void **state)
{
	ZvError err = ZV_ERROR_INIT;
	Buf b = {};
	put(&b, "<?xml version='1.0'?>\n<!-- <a b=1 c=2> = = = -->\n<domain title=\"");
	for (int i = 0; i < 100; i++)
		put(&b, "x=y ");
	put(&b, "\" t='<a>'><![CDATA[ <b c=1 d=2 e=3> ]]>");
	for (int i = 0; i < 1000; i++)
		put(&b, "<e/><f></f>");
	put(&b, "</domain>");
	assert_int_equal(xml_check_bounds(b.s, b.len, &err), 0);
	free(b.s);

	/* Unterminated constructs end the scan; the parser explains them. */
	const char *cut[] = {"<domain a='", "<!-- x", "<![CDATA[", "<?pi", "<", "</"};
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++)
		assert_int_equal(xml_check_bounds(cut[i], strlen(cut[i]), &err), 0);
}

/* The worst shape inside the bounds: as many elements with 32 attributes
 * each as 1 MiB holds. The schema refuses it; how long that takes is
 * printed, not judged (valgrind runs this too): test-stall and the
 * benchmark show that it does not hold the loop. */
static void test_worst_inside_bounds(void **state)
{
	Buf b = {};
	put(&b, "<domain type='kvm'><name>x</name><memory>1</memory><os><type>hvm</type></os><devices>");
	char el[512];
	while (b.len < DOMAIN_XML_MAX_SIZE - 1024) {
		size_t n = (size_t)snprintf(el, sizeof(el), "<disk");
		for (int a = 0; a < XML_MAX_ATTRIBUTES_PER_ELEMENT; a++)
			n += (size_t)snprintf(el + n, sizeof(el) - n, " b%d=''", a);
		snprintf(el + n, sizeof(el) - n, "/>");
		put(&b, el);
	}
	put(&b, "</devices></domain>");
	ZvError err = ZV_ERROR_INIT;
	double s;
	assert_true(parse(&b, &err, &s) < 0);
	assert_int_equal(err.code, ZV_ERROR_INVALID_XML);
	print_message("worst document inside the bounds: %zu bytes, %.1f ms\n", b.len, s * 1000);
	free(b.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_attributes),
		cmocka_unit_test(test_many_elements_and_depth),
		cmocka_unit_test(test_counts_only_markup),
		cmocka_unit_test(test_worst_inside_bounds),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	domain_xml_done();
	return r;
}
