/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The managed-save image: a header, the domain XML (the live definition,
 * aliases and ccw addresses included), then from a 4 KiB boundary the
 * migration stream QEMU wrote. Fields are little-endian whatever the
 * host's byte order:
 *
 *   0  magic "ZVIRTD-SAVE\0\0\0\0\0" (16 bytes)
 *  16  u32 version (1)
 *  20  u32 flags (SAVE_IMAGE_RUNNING: the domain comes back running)
 *  24  u8[16] the domain's UUID
 *  40  u64 length of the XML
 *  48  u64 offset of QEMU's stream (a multiple of 4096)
 *  56  u64 reserved (0)
 *  64  the XML, then zeros up to the stream
 *
 * Encoding and checking only; the driver does the file I/O. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-id128.h>

#define SAVE_IMAGE_HEADER_SIZE 64
#define SAVE_IMAGE_ALIGN       4096
#define SAVE_IMAGE_VERSION     1

typedef enum SaveImageFlags {
	SAVE_IMAGE_RUNNING = 1 << 0,
} SaveImageFlags;

typedef struct SaveImageHeader {
	uint32_t version;
	uint32_t flags;
	sd_id128_t uuid;
	uint64_t xml_len;
	uint64_t data_offset;
} SaveImageHeader;

/* The header and XML, padded to where the stream starts: malloc'd in
 * *ret (length *ret_len == data offset). */
int save_image_encode(const SaveImageHeader *h, const char *xml, void **ret, size_t *ret_len);

/* Checks the first SAVE_IMAGE_HEADER_SIZE bytes: -EBADMSG with a reason
 * in *ret_why (static text) for a foreign or damaged header, -EPROTONOSUPPORT
 * for a version this daemon does not read; else fills h. max_xml bounds
 * the XML length a header may claim. */
int save_image_decode(const void *buf, size_t len, size_t max_xml, SaveImageHeader *h, const char **ret_why);
