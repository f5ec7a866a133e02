/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The managed-save image header (save-image.h). */

#include "save-image.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char magic[16] = "ZVIRTD-SAVE";

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return le64toh(v);
}

int save_image_encode(const SaveImageHeader *h, const char *xml, void **ret, size_t *ret_len)
{
	size_t xml_len = strlen(xml);
	size_t data_offset = (SAVE_IMAGE_HEADER_SIZE + xml_len + SAVE_IMAGE_ALIGN - 1) / SAVE_IMAGE_ALIGN *
			     SAVE_IMAGE_ALIGN;
	uint8_t *buf = calloc(1, data_offset);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, magic, sizeof(magic));
	put32(buf + 16, SAVE_IMAGE_VERSION);
	put32(buf + 20, h->flags);
	memcpy(buf + 24, h->uuid.bytes, 16);
	put64(buf + 40, xml_len);
	put64(buf + 48, data_offset);
	memcpy(buf + SAVE_IMAGE_HEADER_SIZE, xml, xml_len);
	*ret = buf;
	*ret_len = data_offset;
	return 0;
}

int save_image_decode(const void *buf_, size_t len, size_t max_xml, SaveImageHeader *h, const char **ret_why)
{
	const uint8_t *buf = buf_;
	*ret_why = NULL;
	if (len < SAVE_IMAGE_HEADER_SIZE) {
		*ret_why = "it is shorter than its header";
		return -EBADMSG;
	}
	if (memcmp(buf, magic, sizeof(magic)) != 0) {
		*ret_why = "it is not a zvirtd save image";
		return -EBADMSG;
	}
	SaveImageHeader v = {
		.version = get32(buf + 16),
		.flags = get32(buf + 20),
		.xml_len = get64(buf + 40),
		.data_offset = get64(buf + 48),
	};
	memcpy(v.uuid.bytes, buf + 24, 16);
	if (v.version != SAVE_IMAGE_VERSION) {
		*ret_why = "its format version is not one this zvirtd reads";
		return -EPROTONOSUPPORT;
	}
	if (v.flags & ~(uint32_t)SAVE_IMAGE_RUNNING) {
		*ret_why = "its header has unknown flags";
		return -EBADMSG;
	}
	if (v.xml_len == 0 || v.xml_len > max_xml || v.data_offset % SAVE_IMAGE_ALIGN != 0 ||
	    v.data_offset < SAVE_IMAGE_HEADER_SIZE + v.xml_len ||
	    v.data_offset - (SAVE_IMAGE_HEADER_SIZE + v.xml_len) >= SAVE_IMAGE_ALIGN ||
	    get64(buf + 56) != 0) {
		*ret_why = "its header is damaged";
		return -EBADMSG;
	}
	*h = v;
	return 0;
}
