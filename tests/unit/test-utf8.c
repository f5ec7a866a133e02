/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* util/utf8: what it cuts and repairs is text sd-bus will send. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "util/cleanup.h"
#include "util/utf8.h"

/* The judge that matters: sd-bus, appending s as a string argument. A
 * bus on one end of a socketpair is enough to build messages. */
static sd_bus *test_bus;

static int bus_setup(void **state)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(sd_bus_new(&test_bus), 0);
	assert_int_equal(sd_bus_set_fd(test_bus, sv[0], sv[0]), 0);
	assert_int_equal(sd_bus_start(test_bus), 0);
	close(sv[1]);
	return 0;
}

static int bus_teardown(void **state)
{
	test_bus = sd_bus_close_unref(test_bus);
	return 0;
}

static bool sd_bus_sends(const char *s)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

	assert_int_equal(
		sd_bus_message_new_method_call(test_bus, &m, "org.example", "/", "org.example", "M"), 0);
	return sd_bus_message_append_basic(m, 's', s) >= 0;
}

static const char *const valid[] = {
	"",
	"plain ascii",
	"\xc3\xa9",                 /* é */
	"\xe6\x97\xa5\xe6\x9c\xac", /* 日本 */
	"\xf0\x9f\x98\x80",         /* U+1F600 */
	"\xf4\x8f\xbf\xbd",         /* U+10FFFD, the last character */
	"\xef\xbf\xbd",             /* U+FFFD */
	"\xed\x9f\xbf",             /* U+D7FF, just below the surrogates */
};

static const char *const invalid[] = {
	"\x80",             /* a lone continuation byte */
	"\xc3",             /* a lead byte alone */
	"a\xe6\x97",        /* cut short */
	"\xc0\xaf",         /* overlong '/' */
	"\xe0\x80\xaf",     /* overlong, 3 bytes */
	"\xf0\x80\x80\xaf", /* overlong, 4 bytes */
	"\xed\xa0\x80",     /* surrogate U+D800 */
	"\xf4\x90\x80\x80", /* U+110000 */
	"\xf5\x80\x80\x80", /* no such lead byte */
	"\xff",
	"\xef\xb7\x90",     /* U+FDD0, a noncharacter */
	"\xef\xbf\xbe",     /* U+FFFE */
	"\xf0\x9f\xbf\xbf", /* U+1FFFF */
};

static void test_validity_matches_sd_bus(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(valid); i++) {
		assert_true(utf8_is_valid(valid[i]));
		assert_true(sd_bus_sends(valid[i]));
	}
	for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
		if (utf8_is_valid(invalid[i]))
			fail_msg("invalid #%zu taken as valid", i);
		assert_false(sd_bus_sends(invalid[i]));
	}
	assert_int_equal(utf8_char_len("a"), 1);
	assert_int_equal(utf8_char_len("\xc3\xa9"), 2);
	assert_int_equal(utf8_char_len("\xe6\x97\xa5"), 3);
	assert_int_equal(utf8_char_len("\xf0\x9f\x98\x80"), 4);
	assert_int_equal(utf8_char_len(""), 0);
	assert_int_equal(utf8_char_len("\xe6\x97"), 0);
}

static void test_truncate(void **state)
{
	char s[128];

	/* 63 ASCII and an é: a cut at 64 would split it. */
	memset(s, 'a', 63);
	strcpy(s + 63, "\xc3\xa9");
	assert_int_equal(utf8_truncate(s, 64), 63);
	assert_int_equal(strlen(s), 63);
	assert_true(utf8_is_valid(s));

	/* At a boundary nothing more goes. */
	strcpy(s, "\xe6\x97\xa5\xe6\x9c\xac");
	assert_int_equal(utf8_truncate(s, 3), 3);
	assert_string_equal(s, "\xe6\x97\xa5");

	/* Every cut of 日本語 and of an emoji is a valid prefix. */
	const char *texts[] = {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "x\xf0\x9f\x98\x80y",
			       "\xc3\xa9\xc3\xa9"};
	for (size_t t = 0; t < ELEMENTSOF(texts); t++)
		for (size_t max = 0; max <= strlen(texts[t]) + 1; max++) {
			strcpy(s, texts[t]);
			size_t n = utf8_truncate(s, max);
			assert_true(n <= max);
			assert_int_equal(strlen(s), n);
			assert_true(utf8_is_valid(s));
			assert_memory_equal(s, texts[t], n);
			/* No more was dropped than the one character in the way. */
			assert_true(n + 4 > max || n == strlen(texts[t]));
		}

	/* Shorter than max: untouched. */
	strcpy(s, "short");
	assert_int_equal(utf8_truncate(s, 100), 5);
	assert_string_equal(s, "short");
}

static void test_sanitize(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"fine \xc3\xa9", "fine \xc3\xa9"},
		{"tab\there", "tab?here"},
		{"new\nline\r", "new?line?"},
		{"esc\x1b[31m", "esc?[31m"},
		{"del\x7f", "del?"},
		{"csi\xc2\x9b"
		 "31m",
		 "csi?31m"},                      /* U+009B, the C1 CSI */
		{"nbsp\xc2\xa0", "nbsp\xc2\xa0"}, /* U+00A0 is printable */
		{"bad\xff\xfe.", "bad??."},
		{"\xc0\xaf", "??"},
		{"sur\xed\xa0\x80", "sur???"},
		{"non\xef\xb7\x90", "non???"},
		{"lone\x80x", "lone?x"},
		/* What a byte-counted cut leaves at the end is dropped... */
		{"cut\xe6\x97", "cut"},
		{"cut\xf0\x9f\x98", "cut"},
		{"cut\xc3", "cut"},
		/* ... but not an incomplete character in the middle. */
		{"mid\xe6\x97x", "mid??x"},
	};
	char buf[64];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		strcpy(buf, cases[i].in);
		assert_ptr_equal(utf8_sanitize(buf), buf);
		assert_string_equal(buf, cases[i].out);
		assert_true(sd_bus_sends(buf));
	}
}

/* Random bytes, sanitised, are always something sd-bus sends, and
 * never longer than they were. */
static void test_sanitize_random(void **state)
{
	char buf[33];
	unsigned seed = 1;

	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % 32);
		for (size_t i = 0; i < n; i++) {
			/* Mostly bytes around the interesting ranges. */
			unsigned v = (unsigned)rand_r(&seed);
			buf[i] = (char)(v % 4 == 0 ? 'a' + v % 26 : 0x80 + (v >> 3) % 0x80);
			if (buf[i] == 0)
				buf[i] = 'z';
		}
		buf[n] = 0;
		utf8_sanitize(buf);
		assert_true(strlen(buf) <= n);
		assert_true(utf8_is_valid(buf));
		if (!sd_bus_sends(buf))
			fail_msg("round %d: sd-bus refuses the sanitised text", round);
		/* And a cut of it anywhere stays valid. */
		utf8_truncate(buf, (size_t)(rand_r(&seed) % 33));
		assert_true(utf8_is_valid(buf));
	}
}

static void test_shorten(void **state)
{
	char buf[UTF8_SHORTEN_SIZE(64)];
	char in[400];

	assert_string_equal(utf8_shorten(NULL, 64, buf), "");
	assert_string_equal(utf8_shorten("key", 64, buf), "key");
	assert_string_equal(utf8_shorten("a\nb", 64, buf), "a?b");

	/* 63 ASCII + é: 65 bytes, cut before the é. */
	memset(in, 'k', 63);
	strcpy(in + 63, "\xc3\xa9");
	utf8_shorten(in, 64, buf);
	assert_int_equal(strlen(buf), 63 + 3);
	assert_memory_equal(buf, in, 63);
	assert_string_equal(buf + 63, "...");

	/* Exactly 64 bytes: no cut. */
	memset(in, 'k', 62);
	strcpy(in + 62, "\xc3\xa9");
	assert_string_equal(utf8_shorten(in, 64, buf), in);

	/* 日本語 repeated past the limit. */
	in[0] = 0;
	for (int i = 0; i < 40; i++)
		strcat(in, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	utf8_shorten(in, 64, buf);
	assert_true(utf8_is_valid(buf));
	assert_int_equal(strlen(buf), 63 + 3);
	assert_true(sd_bus_sends(buf));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validity_matches_sd_bus),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_sanitize_random),
		cmocka_unit_test(test_shorten),
	};
	return cmocka_run_group_tests(tests, bus_setup, bus_teardown);
}
