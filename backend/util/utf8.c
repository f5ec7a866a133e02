/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cutting and repairing UTF-8 so that sd-bus will send it. */

#include "utf8.h"

#include <stdint.h>
#include <string.h>

static bool is_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* How long a sequence with this lead byte is; 0 for a byte no valid
 * character starts with (continuation bytes, C0/C1 overlong leads, F5+). */
static size_t sequence_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return 2;
	if (c < 0xf0)
		return 3;
	if (c < 0xf5)
		return 4;
	return 0;
}

size_t utf8_char_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = sequence_len(p[0]);
	uint32_t cp;

	if (p[0] == 0 || n == 0)
		return 0;
	if (n == 1)
		return 1;
	cp = p[0] & (0x7f >> n);
	/* Stops at the NUL too: it is no continuation byte. */
	for (size_t i = 1; i < n; i++) {
		if (!is_continuation(p[i]))
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) /* overlong */
		return 0;
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* sd-bus refuses noncharacters, although D-Bus itself allows them. */
	if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
		return 0;
	return n;
}

bool utf8_is_valid(const char *s)
{
	while (*s) {
		size_t n = utf8_char_len(s);
		if (n == 0)
			return false;
		s += n;
	}
	return true;
}

size_t utf8_truncate(char *s, size_t max)
{
	size_t len = strnlen(s, max + 1), i = max;

	if (len <= max)
		return len;
	/* s[max] is the first byte cut off; if it continues a character,
	 * that character began before the cut and goes too. */
	for (size_t k = 0; k < 3 && i > 0 && is_continuation((unsigned char)s[i]); k++)
		i--;
	s[i] = 0;
	return i;
}

/* Whether p is the start of a character that the end of the string cut short. */
static bool is_incomplete_tail(const char *p)
{
	size_t need = sequence_len((unsigned char)p[0]), k = 1;

	if (need < 2)
		return false;
	while (k < need && is_continuation((unsigned char)p[k]))
		k++;
	return k < need && p[k] == 0;
}

static bool is_control(const char *p, size_t n)
{
	unsigned char c = (unsigned char)p[0];

	if (n == 1)
		return c < 0x20 || c == 0x7f;
	return n == 2 && c == 0xc2 && (unsigned char)p[1] < 0xa0; /* U+0080..U+009F */
}

char *utf8_sanitize(char *s)
{
	char *w = s;
	const char *r = s;

	while (*r) {
		size_t n = utf8_char_len(r);

		if (n == 0 && is_incomplete_tail(r))
			break;
		if (n == 0 || is_control(r, n)) {
			*w++ = '?';
			r += n ? n : 1;
			continue;
		}
		memmove(w, r, n);
		w += n;
		r += n;
	}
	*w = 0;
	return s;
}

const char *utf8_shorten(const char *s, size_t max, char *buf)
{
	if (!s)
		s = "";

	size_t len = strnlen(s, max + 1), n = len > max ? max : len;
	bool cut = len > max;

	for (size_t k = 0; cut && k < 3 && n > 0 && is_continuation((unsigned char)s[n]); k++)
		n--;
	memcpy(buf, s, n);
	buf[n] = 0;
	utf8_sanitize(buf);
	if (cut)
		strcat(buf, "...");
	return buf;
}
