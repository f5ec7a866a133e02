/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's own domain XML for s390x/ccw guests (tests/unit/xml/libvirt,
 * see its README): each document is defined as DefineXML defines it and
 * its QEMU command line built as Start builds it, and both are compared
 * with the document's sidecar: accepted or refused (with the element's
 * path), and the devices QEMU gets (driver, id, devno, ...) as libvirt
 * creates them for that XML. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "conf/device-info.h"
#include "conf/domain-xml.h"
#include "qemu/cmdline.h"
#include "util/cleanup.h"
#include "util/fileio.h"

#ifndef ZVIRTD_SOURCE_DIR
#error "ZVIRTD_SOURCE_DIR must point at the source tree"
#endif

#define CORPUS   ZVIRTD_SOURCE_DIR "/tests/unit/xml/libvirt"
#define EMULATOR "/usr/bin/qemu-system-s390x"

/* What a sidecar says. */
typedef struct Expect {
	bool accepted;
	char *pending;
	char *error;
	char **devices; /* "driver key=value ..." */
	size_t n_devices;
	char **machine; /* "key=value" */
	size_t n_machine;
	char **no_machine; /* "key" */
	size_t n_no_machine;
	char **args; /* "option value" */
	size_t n_args;
} Expect;

static void strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(char *));
	assert_non_null(nv);
	*v = nv;
	assert_non_null((*v)[(*n)++] = strdup(s));
}

static void expect_clear(Expect *e)
{
	free(e->pending);
	free(e->error);
	for (size_t i = 0; i < e->n_devices; i++)
		free(e->devices[i]);
	for (size_t i = 0; i < e->n_machine; i++)
		free(e->machine[i]);
	for (size_t i = 0; i < e->n_no_machine; i++)
		free(e->no_machine[i]);
	for (size_t i = 0; i < e->n_args; i++)
		free(e->args[i]);
	free(e->devices);
	free(e->machine);
	free(e->no_machine);
	free(e->args);
}

static char *read_text(const char *path)
{
	char *data = NULL;
	size_t size;
	int r = read_file_full(path, 1024 * 1024, &data, &size);
	if (r < 0)
		fail_msg("cannot read %s: %s", path, strerror(-r));
	return data;
}

static void read_expect(const char *path, Expect *e)
{
	_cleanup_free_ char *text = read_text(path);
	bool has_expected = false;
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == 0)
			continue;
		char *value = strchr(line, ' ');
		if (!value)
			fail_msg("%s: \"%s\" has no value", path, line);
		*value++ = 0;
		if (strcmp(line, "expected") == 0) {
			if (strcmp(value, "accepted") != 0 && strcmp(value, "refused") != 0)
				fail_msg("%s: expected %s (accepted or refused)", path, value);
			e->accepted = strcmp(value, "accepted") == 0;
			has_expected = true;
		} else if (strcmp(line, "pending") == 0)
			assert_non_null(e->pending = strdup(value));
		else if (strcmp(line, "error") == 0)
			assert_non_null(e->error = strdup(value));
		else if (strcmp(line, "device") == 0)
			strv_push(&e->devices, &e->n_devices, value);
		else if (strcmp(line, "machine") == 0)
			strv_push(&e->machine, &e->n_machine, value);
		else if (strcmp(line, "no-machine") == 0)
			strv_push(&e->no_machine, &e->n_no_machine, value);
		else if (strcmp(line, "arg") == 0)
			strv_push(&e->args, &e->n_args, value);
		else
			fail_msg("%s: unknown statement \"%s\"", path, line);
	}
	if (!has_expected)
		fail_msg("%s: no \"expected\" line", path);
	if (e->accepted && (e->error || e->pending))
		fail_msg("%s: an accepted document has no error or pending line", path);
	if (!e->accepted && !e->error)
		fail_msg("%s: a refused document needs its error line", path);
}

/* "key=value" among a QEMU option string's comma-separated items ("a,b"
 * is written "a,,b" inside a value: none of the values checked here has
 * a comma). */
static bool opts_have(const char *opts, const char *item)
{
	size_t l = strlen(item);
	for (const char *p = opts; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, item, l) == 0 && (p[l] == ',' || p[l] == 0))
			return true;
	}
	return false;
}

static bool opts_have_key(const char *opts, const char *key)
{
	size_t l = strlen(key);
	for (const char *p = opts; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, key, l) == 0 && p[l] == '=')
			return true;
	}
	return false;
}

/* Whether -device value dev is the sidecar's "driver key=value ...". */
static bool device_matches(const char *dev, const char *want)
{
	_cleanup_free_ char *copy = strdup(want);
	char *save = NULL;
	assert_non_null(copy);
	char *driver = strtok_r(copy, " ", &save);
	size_t dl = strlen(driver);
	if (strncmp(dev, driver, dl) != 0 || (dev[dl] != ',' && dev[dl] != 0))
		return false;
	for (char *kv = strtok_r(NULL, " ", &save); kv; kv = strtok_r(NULL, " ", &save))
		if (!opts_have(dev + dl, kv))
			return false;
	return true;
}

static char *join(char **argv)
{
	_cleanup_free_ char *s = qemu_argv_to_string(argv);
	assert_non_null(s);
	return TAKE_PTR(s);
}

static void check_argv(const char *name, char **argv, const Expect *e)
{
	_cleanup_free_ char *line = join(argv);
	size_t n_dev = 0;
	bool *matched = calloc(e->n_devices + 1, sizeof(bool));
	assert_non_null(matched);

	/* Every -device is one of the sidecar's, each sidecar line once. */
	for (char **a = argv; *a; a++) {
		if (strcmp(*a, "-device") != 0 || !a[1])
			continue;
		n_dev++;
		bool found = false;
		for (size_t i = 0; i < e->n_devices && !found; i++)
			if (!matched[i] && device_matches(a[1], e->devices[i]))
				matched[i] = found = true;
		if (!found) {
			free(matched);
			fail_msg("%s: -device %s is not in its sidecar\n%s", name, a[1], line);
		}
	}
	for (size_t i = 0; i < e->n_devices; i++)
		if (!matched[i]) {
			free(matched);
			fail_msg("%s: no -device %s\n%s", name, e->devices[i], line);
		}
	free(matched);
	assert_int_equal(n_dev, e->n_devices);

	const char *machine = NULL;
	for (char **a = argv; *a; a++)
		if (strcmp(*a, "-machine") == 0)
			machine = a[1];
	assert_non_null(machine);
	for (size_t i = 0; i < e->n_machine; i++)
		if (!opts_have(machine, e->machine[i]))
			fail_msg("%s: -machine %s has no %s", name, machine, e->machine[i]);
	for (size_t i = 0; i < e->n_no_machine; i++)
		if (opts_have_key(machine, e->no_machine[i]))
			fail_msg("%s: -machine %s has %s", name, machine, e->no_machine[i]);

	for (size_t i = 0; i < e->n_args; i++) {
		_cleanup_free_ char *option = strdup(e->args[i]);
		assert_non_null(option);
		char *value = strchr(option, ' ');
		assert_non_null(value);
		*value++ = 0;
		bool found = false;
		for (char **a = argv; *a && !found; a++)
			found = strcmp(*a, option) == 0 && a[1] && strcmp(a[1], value) == 0;
		if (!found)
			fail_msg("%s: no %s %s\n%s", name, option, value, line);
	}
}

static void test_document(void **state)
{
	const char *name = *state;
	_cleanup_free_ char *xml_path = NULL, *expect_path = NULL;
	assert_true(asprintf(&xml_path, "%s/%s.xml", CORPUS, name) > 0);
	assert_true(asprintf(&expect_path, "%s/%s.expect", CORPUS, name) > 0);
	_cleanup_free_ char *xml = read_text(xml_path);
	_cleanup_(expect_clear) Expect e = {};
	read_expect(expect_path, &e);

	const DomainXMLDefaults defaults = {.emulator = EMULATOR};
	ZvError err = ZV_ERROR_INIT;
	_cleanup_(domain_def_freep) DomainDef *def = NULL;
	int r = domain_def_parse(xml, strlen(xml), &defaults, 0, &def, &err);

	if (!e.accepted) {
		if (r >= 0) {
			if (e.pending)
				fail_msg(
					"%s is accepted now: %s has landed, so flip %s.expect to \"expected "
					"accepted\" (its device lines are libvirt's) and drop its error and "
					"pending lines",
					name, e.pending, name);
			fail_msg("%s is accepted, but its sidecar says refused (%s)", name, e.error);
		}
		assert_int_equal(err.code, ZV_ERROR_INVALID_XML);
		if (!strstr(err.message, e.error))
			fail_msg("%s: refused with\n  %s\nnot with\n  %s", name, err.message, e.error);
		return;
	}
	if (r < 0)
		fail_msg("%s: refused: %s", name, err.message);

	/* It defines again from what zvirtd keeps of it. */
	_cleanup_free_ char *formatted = domain_def_format(def, 0, DOMAIN_XML_FORMAT_INACTIVE);
	assert_non_null(formatted);
	_cleanup_(domain_def_freep) DomainDef *again = NULL;
	if (domain_def_parse(formatted, strlen(formatted), &defaults, 0, &again, &err) < 0)
		fail_msg("%s: its formatted definition is refused: %s\n%s", name, err.message, formatted);
	_cleanup_free_ char *formatted2 = domain_def_format(again, 0, DOMAIN_XML_FORMAT_INACTIVE);
	assert_string_equal(formatted, formatted2);

	/* The command line of a start on an s390x KVM host (type='qemu'
	 * domains are emulated there too). */
	assert_int_equal(domain_def_assign_aliases(def), 0);
	/* What a start finds for a SCSI host device in sysfs (this
	 * machine has none): its generic node. */
	for (size_t i = 0; i < def->n_hostdevs; i++)
		assert_true(asprintf(&def->hostdevs[i].live_sg_path, "/dev/sg%zu", i) > 0);
	QemuCmdlineParams p = {.use_kvm = true, .qmp_fd = 3};
	_cleanup_strv_free_ char **argv = NULL;
	if (qemu_build_argv(def, &p, &argv, &err) < 0)
		fail_msg("%s: no command line: %s", name, err.message);
	check_argv(name, argv, &e);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	DIR *d = opendir(CORPUS);
	if (!d) {
		fprintf(stderr, "cannot open %s: %m\n", CORPUS);
		return 1;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l <= 4 || strcmp(de->d_name + l - 4, ".xml") != 0)
			continue;
		names = realloc(names, (n + 1) * sizeof(char *));
		if (!names || !(names[n] = strndup(de->d_name, l - 4)))
			return 1;
		n++;
	}
	closedir(d);
	if (n < 20) {
		fprintf(stderr, "%s: only %zu documents\n", CORPUS, n);
		return 1;
	}
	qsort(names, n, sizeof(char *), compare_names);

	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){
			.name = names[i], .test_func = test_document, .initial_state = names[i]};
	int failed = _cmocka_run_group_tests("xml-corpus", tests, n, NULL, NULL);

	domain_xml_done();
	xmlCleanupParser();
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return failed;
}
