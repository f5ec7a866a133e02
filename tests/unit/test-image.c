/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu_image_read_sizes(): a sparse and a written raw file, a qcow2
 * header's virtual size, a qcow2 disk without one, and the files it
 * must not open (a FIFO, a character device) or cannot find. */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "qemu/image.h"
#include "util/cleanup.h"

#define MIB (1024ULL * 1024)

static char dir[] = "/tmp/zvirt-test-image-XXXXXX";

static char *file(const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void write_at(const char *path, off_t offset, const void *data, size_t n)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, n, offset), (ssize_t)n);
	assert_int_equal(fsync(fd), 0);
}

static void test_raw(void **state)
{
	_cleanup_free_ char *sparse = file("sparse.raw"), *full = file("full.raw");
	QemuImageSizes s;
	struct stat st;

	/* A hole: 4 MiB the guest sees, nothing taken on the host. */
	write_at(sparse, 0, "", 0);
	assert_int_equal(truncate(sparse, 4 * MIB), 0);
	assert_int_equal(qemu_image_read_sizes(sparse, DISK_FORMAT_RAW, &s), 0);
	assert_int_equal(s.capacity, 4 * MIB);
	assert_int_equal(s.physical, 4 * MIB);
	assert_int_equal(stat(sparse, &st), 0);
	assert_int_equal(s.allocation, (uint64_t)st.st_blocks * 512);
	assert_true(s.allocation < s.physical);

	/* Written: allocation is what the file system gave it. */
	static char block[64 * 1024];
	memset(block, 'x', sizeof(block));
	write_at(full, 0, block, sizeof(block));
	assert_int_equal(qemu_image_read_sizes(full, DISK_FORMAT_RAW, &s), 0);
	assert_int_equal(s.capacity, sizeof(block));
	assert_int_equal(s.physical, sizeof(block));
	assert_int_equal(stat(full, &st), 0);
	assert_int_equal(s.allocation, (uint64_t)st.st_blocks * 512);
	assert_true(s.allocation >= sizeof(block));
	unlink(sparse);
	unlink(full);
}

static void test_qcow2(void **state)
{
	_cleanup_free_ char *image = file("disk.qcow2"), *plain = file("plain.qcow2"),
			    *shorter = file("short.qcow2");
	/* The fields before the size: magic, version 3, no backing file,
	 * 64 KiB clusters; then 16 GiB, big-endian. */
	unsigned char h[104] = {'Q', 'F', 'I', 0xfb, 0, 0, 0, 3};
	h[23] = 16;
	const uint64_t size = 16ULL << 30;
	for (int i = 0; i < 8; i++)
		h[24 + i] = (unsigned char)(size >> (56 - 8 * i));
	QemuImageSizes s;

	write_at(image, 0, h, sizeof(h));
	assert_int_equal(truncate(image, 196608), 0);
	assert_int_equal(qemu_image_read_sizes(image, DISK_FORMAT_QCOW2, &s), 0);
	assert_int_equal(s.capacity, size);
	assert_int_equal(s.physical, 196608);
	/* The same file as raw is what it is on the host. */
	assert_int_equal(qemu_image_read_sizes(image, DISK_FORMAT_RAW, &s), 0);
	assert_int_equal(s.capacity, 196608);

	/* Called qcow2 but without its header, or cut short. */
	write_at(plain, 0, "not an image at all, but long enough to hold a header", 53);
	assert_int_equal(qemu_image_read_sizes(plain, DISK_FORMAT_QCOW2, &s), -EBADMSG);
	write_at(shorter, 0, h, 20);
	assert_int_equal(qemu_image_read_sizes(shorter, DISK_FORMAT_QCOW2, &s), -EBADMSG);
	unlink(image);
	unlink(plain);
	unlink(shorter);
}

static void test_refused(void **state)
{
	_cleanup_free_ char *fifo = file("fifo"), *missing = file("missing.raw");
	QemuImageSizes s = {.capacity = 7};

	/* Opening a FIFO would wait for a writer: not opened at all. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(qemu_image_read_sizes(fifo, DISK_FORMAT_RAW, &s), -ENOTSUP);
	assert_int_equal(qemu_image_read_sizes("/dev/null", DISK_FORMAT_RAW, &s), -ENOTSUP);
	assert_int_equal(qemu_image_read_sizes(missing, DISK_FORMAT_RAW, &s), -ENOENT);
	assert_int_equal(qemu_image_read_sizes(dir, DISK_FORMAT_RAW, &s), -ENOTSUP);
	/* Nothing is written on failure. */
	assert_int_equal(s.capacity, 7);
	unlink(fifo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_qcow2),
		cmocka_unit_test(test_refused),
	};
	if (!mkdtemp(dir))
		return 1;
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return r;
}
