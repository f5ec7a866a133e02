/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The README's "Host devices" section, run as a user would paste it:
 * every busctl command of its sh blocks, in order, against the daemon
 * on the s390 sysfs simulator with the seed's devices. Each must
 * succeed, and a command whose line ends in a comment with the answer
 * (`# s "2:0:17:1086079011"`) must print exactly that. Keeps the
 * README's replay of the seed's Part 2 true.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* The README's section between "## Host devices" and the next "## ". */
static char *host_section(void)
{
	_cleanup_free_ char *path = NULL;
	assert_true(asprintf(&path, "%s/README.md", getenv("ZVIRT_SOURCE_ROOT")) > 0);
	_cleanup_free_ char *readme = harness_read_file(path);
	const char *start = strstr(readme, "\n## Host devices\n");
	assert_non_null(start);
	const char *end = strstr(start + 1, "\n## ");
	assert_non_null(end);
	return strndup(start, (size_t)(end - start));
}

/* The answer a trailing "# s \"...\"" comment promises, or NULL. */
static char *promised_answer(const char *line)
{
	const char *c = strstr(line, "   # ");
	if (!c)
		return NULL;
	c += 5;
	if (strncmp(c, "s \"", 3) != 0)
		return NULL;
	return strdup(c);
}

static void run_command(const char *assignments, const char *cmd)
{
	_cleanup_free_ char *script = NULL, *out = NULL;
	assert_true(asprintf(&script, "%s\n%s", assignments, cmd) > 0);
	FILE *p = popen(script, "re");
	assert_non_null(p);
	size_t size = 0;
	ssize_t n = getdelim(&out, &size, 0, p);
	int status = pclose(p);
	if (n < 0) {
		free(out);
		out = strdup("");
	}
	size_t len = strlen(out);
	while (len && out[len - 1] == '\n')
		out[--len] = 0;
	fprintf(stderr, "$ %s\n%s\n", cmd, out);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the README's command failed (status 0x%x): %s", (unsigned)status, cmd);
	_cleanup_free_ char *promised = promised_answer(cmd);
	if (promised && strcmp(promised, out) != 0)
		fail_msg("the README promises %s, the command printed %s: %s", promised, out, cmd);
}

static void test_readme_host_devices(void **state)
{
	(void)state;
	int r = harness_sim_start("seed.ini", NULL);
	if (r == -EOPNOTSUPP)
		skip();
	assert_return_code(r, -r);
	/* The OSA port's interface as the host has it once grouped (the
	 * simulator's qeth device is sysfs only): SetLinkUp and
	 * SetQueueLength act on a real link of that name. */
	harness_sh("ip link add enccw0.0.8050 type veth peer name zv-osa-peer");

	/* vs1.xml, which the README validates: the test guest with the
	 * section's devices. */
	_cleanup_free_ char *section = host_section();
	const char *x = strstr(section, "```xml\n"), *xe = x ? strstr(x + 7, "```") : NULL;
	assert_non_null(xe);
	_cleanup_free_ char *devices = strndup(x + 7, (size_t)(xe - x - 7));
	_cleanup_free_ char *xml = harness_guest_xml_devices("vs1", devices);
	assert_return_code(chdir(harness_tmpdir()), errno);
	harness_write_file("vs1.xml", xml);

	_cleanup_free_ char *assignments = strdup("set -e");
	size_t commands = 0;
	bool in_sh = false;
	_cleanup_free_ char *logical = NULL;
	for (char *line = strtok(section, "\n"); line; line = strtok(NULL, "\n")) {
		if (!in_sh) {
			in_sh = strcmp(line, "```sh") == 0;
			continue;
		}
		if (strcmp(line, "```") == 0) {
			in_sh = false;
			continue;
		}
		/* Continued lines are one command. */
		_cleanup_free_ char *joined = NULL;
		assert_true(asprintf(&joined, "%s%s", logical ? logical : "", line) > 0);
		free(logical);
		logical = NULL;
		size_t len = strlen(joined);
		if (len && joined[len - 1] == '\\') {
			joined[len - 1] = ' ';
			logical = TAKE_PTR(joined);
			continue;
		}
		const char *t = joined + strspn(joined, " \t");
		if (!*t || *t == '#')
			continue;
		if (strncmp(t, "busctl ", 7) != 0) {
			/* H="...": kept for the commands after it. */
			char *more = NULL;
			assert_true(asprintf(&more, "%s\n%s", assignments, t) > 0);
			free(assignments);
			assignments = more;
			continue;
		}
		run_command(assignments, t);
		commands++;
	}
	/* DASD 5, zfcp 6, tape 4, OSA 8, ValidateXML 1. */
	assert_int_equal(commands, 24);
	harness_sh("ip link delete enccw0.0.8050");
	harness_sim_stop();
}

int main(void)
{
	int r = harness_enter_netns();
	if (r < 0) {
		if (geteuid() != 0) {
			fprintf(stderr,
				"test-readme-host: skipped, the integration tests must run as root\n");
			return 77;
		}
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_host_devices),
	};
	return harness_main("test-readme-host", tests, 0);
}
