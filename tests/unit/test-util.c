/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The util floor: the hash map, atomic writes, errors. */

#include <errno.h>
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

#include "util/cleanup.h"
#include "util/error.h"
#include "util/utf8.h"
#include "util/fileio.h"
#include "util/hashmap.h"

static void test_hashmap(void **state)
{
	Hashmap *h = hashmap_new();
	char keys[2000][16];

	for (int i = 0; i < 2000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		assert_int_equal(hashmap_put(h, keys[i], (void *)(intptr_t)(i + 1)), 0);
	}
	assert_int_equal(hashmap_size(h), 2000);
	assert_int_equal(hashmap_put(h, "k7", NULL), -EEXIST);
	for (int i = 0; i < 2000; i++)
		assert_int_equal((intptr_t)hashmap_get(h, keys[i]), i + 1);
	assert_null(hashmap_get(h, "absent"));

	/* Remove every other one; tombstones must not hide the rest. */
	for (int i = 0; i < 2000; i += 2)
		assert_int_equal((intptr_t)hashmap_remove(h, keys[i]), i + 1);
	assert_int_equal(hashmap_size(h), 1000);
	for (int i = 0; i < 2000; i++)
		assert_int_equal((intptr_t)hashmap_get(h, keys[i]), i % 2 ? i + 1 : 0);

	size_t n = 0;
	void *v;
	for (size_t it = 0; hashmap_iterate(h, &it, &v);)
		n++;
	assert_int_equal(n, 1000);

	/* Re-insert into tombstoned slots. */
	for (int i = 0; i < 2000; i += 2)
		assert_int_equal(hashmap_put(h, keys[i], (void *)(intptr_t)(i + 1)), 0);
	assert_int_equal(hashmap_size(h), 2000);
	hashmap_free(h);
}

static void test_atomic_write(void **state)
{
	char dir[] = "/tmp/zvirt-util-XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *path = NULL, *data = NULL;
	assert_true(asprintf(&path, "%s/a/b/file.xml", dir) > 0);

	char sub[256];
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	assert_int_equal(mkdir_p(sub, 0700), 0);
	assert_int_equal(write_file_atomic(path, "one", 3, 0600, WRITE_DURABLE), 0);
	assert_int_equal(write_file_atomic(path, "second", 6, 0640, 0), 0);

	size_t size;
	assert_int_equal(read_file_full(path, 1024, &data, &size), 0);
	assert_int_equal(size, 6);
	assert_string_equal(data, "second");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);

	/* No temporary files are left behind. */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", sub);
	assert_int_equal(system(cmd), 0);

	free(data);
	data = NULL;
	assert_int_equal(read_file_full(path, 3, &data, &size), -EFBIG);
	assert_int_equal(unlink_if_exists(path), 0);
	assert_int_equal(unlink_if_exists(path), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_error(void **state)
{
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(zv_error_set(&err, ZV_ERROR_INVALID_XML, EBADMSG, "bad %s", "thing"), -EBADMSG);
	/* The first error is the specific one and stays. */
	assert_int_equal(zv_error_set(&err, ZV_ERROR_HOST, -ENOENT, "later"), -ENOENT);
	assert_int_equal(err.code, ZV_ERROR_INVALID_XML);
	assert_string_equal(err.message, "bad thing");
	assert_string_equal(zv_error_code_name(ZV_ERROR_OPERATION_INVALID), "OperationInvalid");
	assert_int_equal(zv_error_set(NULL, ZV_ERROR_HOST, 0, "x"), -EIO);

	/* A message cut at the buffer's end is cut between characters: it
	 * becomes a D-Bus string. */
	/* 1023 bytes of 2-byte characters end half-way through one. */
	char text[1200 * 2 + 1];
	for (size_t i = 0; i < 1200; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2);
	text[2400] = 0;
	zv_error_clear(&err);
	(void)zv_error_set(&err, ZV_ERROR_HOST, EIO, "%s", text);
	assert_true(strlen(err.message) < sizeof(err.message));
	assert_true(utf8_is_valid(err.message));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashmap),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
