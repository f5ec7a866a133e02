/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The managed-save image header: what is written reads back, and what a
 * foreign, damaged or future file holds is refused with a reason. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/save-image.h"

static const char xml[] = "<domain type='kvm'><name>vs1</name></domain>";

static void *encode(size_t *len)
{
	SaveImageHeader h = {.flags = SAVE_IMAGE_RUNNING};
	void *buf;
	assert_int_equal(sd_id128_from_string("4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", &h.uuid), 0);
	assert_int_equal(save_image_encode(&h, xml, &buf, len), 0);
	return buf;
}

static void test_round_trip(void **state)
{
	size_t len;
	uint8_t *buf = encode(&len);
	SaveImageHeader h;
	const char *why;

	assert_int_equal(len, SAVE_IMAGE_ALIGN);
	assert_memory_equal(buf, "ZVIRTD-SAVE", 11);
	/* Little-endian on every host: the version is byte 16. */
	assert_int_equal(buf[16], 1);
	assert_int_equal(buf[17], 0);
	assert_int_equal(save_image_decode(buf, len, 1 << 20, &h, &why), 0);
	assert_int_equal(h.version, SAVE_IMAGE_VERSION);
	assert_int_equal(h.flags, SAVE_IMAGE_RUNNING);
	assert_int_equal(h.xml_len, strlen(xml));
	assert_int_equal(h.data_offset, SAVE_IMAGE_ALIGN);
	assert_true(sd_id128_equal(
		h.uuid, SD_ID128_MAKE(4f, 1c, 2d, 3e, 4f, 5a, 6b, 7c, 8d, 9e, 0f, 1a, 2b, 3c, 4d, 5e)));
	assert_memory_equal(buf + SAVE_IMAGE_HEADER_SIZE, xml, strlen(xml));
	for (size_t i = SAVE_IMAGE_HEADER_SIZE + strlen(xml); i < len; i++)
		assert_int_equal(buf[i], 0);
	free(buf);
}

static void test_large_xml_aligns(void **state)
{
	size_t n = 3 * SAVE_IMAGE_ALIGN;
	char *big = malloc(n + 1);
	memset(big, 'x', n);
	big[n] = 0;
	SaveImageHeader h = {}, back;
	void *buf;
	size_t len;
	const char *why;
	assert_int_equal(save_image_encode(&h, big, &buf, &len), 0);
	assert_int_equal(len, 4 * SAVE_IMAGE_ALIGN);
	assert_int_equal(save_image_decode(buf, len, n, &back, &why), 0);
	assert_int_equal(save_image_decode(buf, len, n - 1, &back, &why), -EBADMSG); /* claims too much */
	free(buf);
	free(big);
}

static void test_refused(void **state)
{
	size_t len;
	uint8_t *buf = encode(&len);
	SaveImageHeader h;
	const char *why;

	assert_int_equal(save_image_decode(buf, SAVE_IMAGE_HEADER_SIZE - 1, 1 << 20, &h, &why), -EBADMSG);
	assert_non_null(why);

	buf[0] ^= 1; /* a foreign file */
	assert_int_equal(save_image_decode(buf, len, 1 << 20, &h, &why), -EBADMSG);
	assert_string_equal(why, "it is not a zvirtd save image");
	buf[0] ^= 1;

	buf[16] = 2; /* a future format */
	assert_int_equal(save_image_decode(buf, len, 1 << 20, &h, &why), -EPROTONOSUPPORT);
	buf[16] = 1;

	buf[21] = 1; /* an unknown flag */
	assert_int_equal(save_image_decode(buf, len, 1 << 20, &h, &why), -EBADMSG);
	buf[21] = 0;

	buf[48] = 1; /* a stream offset not on a boundary */
	assert_int_equal(save_image_decode(buf, len, 1 << 20, &h, &why), -EBADMSG);
	buf[48] = 0;

	buf[40] = 0; /* no XML */
	assert_int_equal(save_image_decode(buf, len, 1 << 20, &h, &why), -EBADMSG);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_large_xml_aligns),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
