/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Text that leaves the daemon (D-Bus strings, error messages) must be
 * valid UTF-8, or sd-bus refuses to send it and the caller is left
 * waiting: cutting at character boundaries and repairing text that came
 * from elsewhere (callers, files, QEMU). "Valid" is what sd-bus accepts:
 * shortest forms only, no surrogates, nothing above U+10FFFF, no
 * noncharacters (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF). */

#include <stdbool.h>
#include <stddef.h>

/* Bytes (1..4) of the valid character s starts with, 0 if it starts
 * none (an invalid or incomplete sequence, or the terminating NUL). */
size_t utf8_char_len(const char *s);

bool utf8_is_valid(const char *s);

/* Cuts s in place to at most max bytes; a cut that would fall inside a
 * character goes before it. Returns the new length. */
size_t utf8_truncate(char *s, size_t max);

/* Repairs s in place and returns it: every byte that starts no valid
 * character becomes '?', and so does every control character (C0, DEL,
 * C1: a message must not steer the terminal it is printed on). An
 * incomplete character at the very end (what a byte-counted cut leaves)
 * is dropped instead. The result is never longer than s was. */
char *utf8_sanitize(char *s);

/* Room for utf8_shorten(s, max, buf): the cut text and "...". */
#define UTF8_SHORTEN_SIZE(max) ((max) + 4)

/* s as it may appear inside a message: sanitised and, when longer than
 * max bytes, cut at a character boundary with "..." after it. buf has
 * UTF8_SHORTEN_SIZE(max) bytes. Returns buf. */
const char *utf8_shorten(const char *s, size_t max, char *buf);
