/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the emulator offers: parsing its help output (recorded from QEMU
 * 7.2) and a real probe in the background. */

#include <errno.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "qemu/caps.h"
#include "util/cleanup.h"
#include "util/fileio.h"

#define EMULATOR "/usr/bin/qemu-system-s390x"

static char *fixture(const char *name)
{
	char path[512];
	char *text = NULL;
	snprintf(path, sizeof(path), "%s/tests/unit/qemu/%s", ZVIRT_SOURCE_ROOT, name);
	assert_int_equal(read_file_full(path, 1 << 20, &text, NULL), 0);
	return text;
}

static void test_parse_machines(void **state)
{
	_cleanup_free_ char *text = fixture("machine-help-7.2.txt");
	QemuCaps *caps = calloc(1, sizeof(*caps));

	assert_int_equal(qemu_caps_parse_machines(text, caps), 0);
	assert_true(caps->n_machines > 10);
	assert_string_equal(qemu_caps_resolve_machine(caps, "s390-ccw-virtio"), "s390-ccw-virtio-7.2");
	assert_string_equal(qemu_caps_resolve_machine(caps, "s390-ccw-virtio-2.12"), "s390-ccw-virtio-2.12");
	assert_null(qemu_caps_resolve_machine(caps, "s390-ccw-virtio-99.0"));
	assert_null(qemu_caps_resolve_machine(caps, "Supported"));

	bool found_default = false;
	for (size_t i = 0; i < caps->n_machines; i++)
		if (caps->machines[i].is_default) {
			assert_string_equal(caps->machines[i].name, "s390-ccw-virtio-7.2");
			found_default = true;
		}
	assert_true(found_default);
	qemu_caps_free(caps);
}

static void test_parse_cpu_models(void **state)
{
	_cleanup_free_ char *text = fixture("cpu-help-7.2.txt");
	QemuCaps *caps = calloc(1, sizeof(*caps));

	assert_int_equal(qemu_caps_parse_cpu_models(text, caps), 0);
	assert_string_equal(caps->cpu_models[0], "qemu");
	assert_string_equal(caps->cpu_models[1], "max");
	bool z900 = false;
	for (char **c = caps->cpu_models; *c; c++)
		z900 |= strcmp(*c, "z900") == 0;
	assert_true(z900);
	qemu_caps_free(caps);
}

static void test_parse_garbage(void **state)
{
	QemuCaps *caps = calloc(1, sizeof(*caps));
	assert_int_equal(qemu_caps_parse_machines("", caps), -EBADMSG);
	assert_int_equal(qemu_caps_parse_machines("Supported machines are:\n", caps), -EBADMSG);
	assert_int_equal(qemu_caps_parse_cpu_models("qemu: unknown option\n", caps), -EBADMSG);
	qemu_caps_free(caps);
}

typedef struct ProbeResult {
	bool done;
	int error;
	QemuCaps *caps;
} ProbeResult;

static void on_done(QemuCaps *caps, int error, void *userdata)
{
	ProbeResult *p = userdata;
	p->done = true;
	p->error = error;
	p->caps = caps;
}

/* Probes emulator as user and runs a loop of its own until the probe is
 * done (at most 100 s). */
static ProbeResult probe_until_done(const char *emulator, const char *dir, QemuProcessUser user)
{
	sd_event *e = NULL;
	assert_int_equal(sd_event_new(&e), 0);
	ProbeResult res = {};
	QemuCapsProbe *probe = NULL;
	assert_int_equal(qemu_caps_probe(e, emulator, dir, user, on_done, &res, &probe), 0);
	for (int i = 0; i < 1000 && !res.done; i++)
		assert_true(sd_event_run(e, 100 * 1000) >= 0);
	assert_true(res.done);
	qemu_caps_probe_free(probe);
	sd_event_unref(e);
	return res;
}

/* An executable shell script dir/name (malloc'd path). */
static char *write_script(const char *dir, const char *name, const char *text)
{
	char *script = NULL;
	assert_true(asprintf(&script, "%s/%s", dir, name) > 0);
	FILE *f = fopen(script, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(script, 0755), 0);
	return script;
}

static void test_probe_real_emulator(void **state)
{
	if (access(EMULATOR, X_OK) < 0)
		skip();

	char dir[] = "/tmp/zvirt-caps-XXXXXX";
	assert_non_null(mkdtemp(dir));
	ProbeResult res = probe_until_done(EMULATOR, dir, (QemuProcessUser){});
	assert_int_equal(res.error, 0);
	assert_non_null(res.caps);
	assert_string_equal(res.caps->emulator, EMULATOR);
	assert_non_null(qemu_caps_resolve_machine(res.caps, "s390-ccw-virtio"));
	assert_non_null(res.caps->cpu_models);
	/* The scratch file is gone. */
	assert_int_equal(rmdir(dir), 0);
	qemu_caps_free(res.caps);
}

/* The probe runs the emulator as the user it is given, not as the
 * daemon: a fake emulator reports its uid as a machine type. */
static void test_probe_runs_as_user(void **state)
{
	if (geteuid() != 0)
		skip();

	char dir[] = "/tmp/zvirt-caps-XXXXXX";
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	char *script =
		write_script(dir, "fake-qemu",
			     "#!/bin/sh\n"
			     "case \"$*\" in\n"
			     "*'-cpu help'*) echo 's390 qemu            QEMU Virtual CPU' ;;\n"
			     "*) echo 'Supported machines are:'; echo \"s390-ccw-virtio-uid$(id -u) Virtual "
			     "(default)\" ;;\n"
			     "esac\n");
	const gid_t groups[] = {65534};
	QemuProcessUser nobody = {
		.change = true, .uid = 65534, .gid = 65534, .groups = groups, .n_groups = 1};
	ProbeResult res = probe_until_done(script, dir, nobody);
	assert_int_equal(res.error, 0);
	assert_non_null(res.caps);
	assert_int_equal(res.caps->n_machines, 1);
	assert_string_equal(res.caps->machines[0].name, "s390-ccw-virtio-uid65534");
	qemu_caps_free(res.caps);
	assert_int_equal(unlink(script), 0);
	assert_int_equal(rmdir(dir), 0);
	free(script);
}

/* An emulator that never answers is killed at the probe's timeout, and
 * the probe ends with -ETIMEDOUT (the registry then tries again). */
static void test_probe_hangs(void **state)
{
	char dir[] = "/tmp/zvirt-caps-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *script = write_script(dir, "hung-qemu", "#!/bin/sh\nexec sleep 6017\n");
	ProbeResult res = probe_until_done(script, dir, (QemuProcessUser){});
	assert_int_equal(res.error, -ETIMEDOUT);
	assert_null(res.caps);
	/* Killed and reaped: nothing runs the script any more. */
	assert_int_not_equal(system("pgrep -fx 'sleep 6017' >/dev/null"), 0);
	assert_int_equal(unlink(script), 0);
	assert_int_equal(rmdir(dir), 0);
	free(script);
}

static void test_probe_missing_emulator(void **state)
{
	sd_event *e = NULL;
	QemuCapsProbe *probe = NULL;
	ProbeResult res = {};
	assert_int_equal(sd_event_new(&e), 0);
	assert_true(qemu_caps_probe(e, "/nonexistent/qemu", "/tmp", (QemuProcessUser){}, on_done, &res,
				    &probe) < 0);
	assert_null(probe);
	assert_false(res.done);
	sd_event_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_machines),
		cmocka_unit_test(test_parse_cpu_models),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_probe_real_emulator),
		cmocka_unit_test(test_probe_missing_emulator),
		cmocka_unit_test(test_probe_runs_as_user),
		cmocka_unit_test(test_probe_hangs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
