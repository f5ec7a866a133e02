/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "service/config.h"
#include "util/cleanup.h"
#include "util/log.h"

/* Each test gets a fresh directory holding zvirtd.conf and zvirtd.conf.d/. */
typedef struct Fixture {
	char dir[64];
	char *conf;   /* <dir>/zvirtd.conf */
	char *dropin; /* <dir>/zvirtd.conf.d */
} Fixture;

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			_cleanup_free_ char *p = NULL;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			assert_true(asprintf(&p, "%s/%s", path, de->d_name) > 0);
			rm_rf(p);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

static int setup(void **state)
{
	Fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/test-config-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_true(asprintf(&f->conf, "%s/zvirtd.conf", f->dir) > 0);
	assert_true(asprintf(&f->dropin, "%s/zvirtd.conf.d", f->dir) > 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	Fixture *f = *state;
	rm_rf(f->dir);
	free(f->conf);
	free(f->dropin);
	free(f);
	return 0;
}

static void write_text(const char *path, const char *text)
{
	FILE *file = fopen(path, "we");
	assert_non_null(file);
	assert_int_equal(fputs(text, file) >= 0, 1);
	assert_int_equal(fclose(file), 0);
}

static void write_dropin(Fixture *f, const char *name, const char *text)
{
	_cleanup_free_ char *p = NULL;
	(void)mkdir(f->dropin, 0755);
	assert_true(asprintf(&p, "%s/%s", f->dropin, name) > 0);
	write_text(p, text);
}

/* Loads f->conf and expects an error that mentions every given fragment. */
static void expect_error(Fixture *f, int expected_r, const char *const *fragments)
{
	Settings s = {.log_level = -42};
	_cleanup_free_ char *err = NULL;

	int r = config_load(f->conf, false, &s, &err);
	if (expected_r)
		assert_int_equal(r, expected_r);
	else
		assert_true(r < 0);
	assert_non_null(err);
	for (const char *const *i = fragments; *i; i++)
		if (!strstr(err, *i))
			fail_msg("error \"%s\" does not mention \"%s\"", err, *i);
	/* *ret untouched */
	assert_int_equal(s.log_level, -42);
	assert_null(s.state_dir);
}

static void assert_string_or_null_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_settings_equal(const Settings *a, const Settings *b)
{
	assert_int_equal(a->log_level, b->log_level);
	assert_string_equal(a->log_target, b->log_target);
	assert_string_equal(a->state_dir, b->state_dir);
	assert_string_equal(a->run_dir, b->run_dir);
	assert_string_equal(a->log_dir, b->log_dir);
	assert_int_equal(a->idle_timeout_sec, b->idle_timeout_sec);
	assert_string_equal(a->emulator, b->emulator);
	assert_int_equal(a->accelerator, b->accelerator);
	assert_int_equal(a->reserved_host_memory, b->reserved_host_memory);
	assert_int_equal(a->host_cpus, b->host_cpus);
	assert_int_equal(a->enable_dump, b->enable_dump);
	assert_string_or_null_equal(a->dump_dir, b->dump_dir);
	assert_int_equal(a->console_limit, b->console_limit);
	assert_string_equal(a->default_nic, b->default_nic);
	assert_string_equal(a->sysfs_root, b->sysfs_root);
	assert_int_equal(a->relocation_server, b->relocation_server);
	assert_string_equal(a->relocation_address, b->relocation_address);
	assert_int_equal(a->relocation_port, b->relocation_port);
	assert_string_equal(a->relocation_hosts_allow, b->relocation_hosts_allow);
	assert_int_equal(a->relocation_port_min, b->relocation_port_min);
	assert_int_equal(a->relocation_port_max, b->relocation_port_max);
}

static void test_defaults(void **state)
{
	_cleanup_(settings_done) Settings s = {};

	assert_int_equal(settings_init_defaults(&s), 0);
	assert_int_equal(s.log_level, LOG_INFO);
	assert_string_equal(s.log_target, "journal");
	assert_string_equal(s.state_dir, "/var/lib/zvirtd");
	assert_string_equal(s.run_dir, "/run/zvirtd");
	assert_string_equal(s.log_dir, "/var/log/zvirtd");
	assert_int_equal(s.idle_timeout_sec, 0);
	assert_string_equal(s.emulator, "/usr/bin/qemu-system-s390x");
	assert_int_equal(s.accelerator, ACCELERATOR_AUTO);
	assert_int_equal(s.reserved_host_memory, 0);
	assert_int_equal(s.host_cpus, 0);
	assert_false(s.enable_dump);
	assert_null(s.dump_dir);
	assert_int_equal(s.console_limit, 1024 * 1024);
	assert_string_equal(s.default_nic, "");
	assert_string_equal(s.sysfs_root, "/sys");
	assert_false(s.relocation_server);
	assert_string_equal(s.relocation_address, "127.0.0.1");
	assert_int_equal(s.relocation_port, 8002);
	assert_string_equal(s.relocation_hosts_allow, "^localhost$");
	assert_int_equal(s.relocation_port_min, 49152);
	assert_int_equal(s.relocation_port_max, 49215);

	/* Twice is harmless: the cleanup runs after this explicit one. */
	settings_done(&s);
	assert_null(s.state_dir);
}

static void test_accelerator_strings(void **state)
{
	assert_string_equal(accelerator_to_string(ACCELERATOR_AUTO), "auto");
	assert_string_equal(accelerator_to_string(ACCELERATOR_KVM), "kvm");
	assert_string_equal(accelerator_to_string(ACCELERATOR_TCG), "tcg");
	assert_null(accelerator_to_string(_ACCELERATOR_MAX));
	assert_null(accelerator_to_string((Accelerator)-1));
	for (int a = 0; a < _ACCELERATOR_MAX; a++)
		assert_int_equal(accelerator_from_string(accelerator_to_string((Accelerator)a)), a);
	assert_int_equal(accelerator_from_string("xen"), -EINVAL);
	assert_int_equal(accelerator_from_string(""), -EINVAL);
	assert_int_equal(accelerator_from_string(NULL), -EINVAL);
}

static void test_missing_file(void **state)
{
	Fixture *f = *state;
	_cleanup_(settings_done) Settings defaults = {};
	_cleanup_(settings_done) Settings s = {};
	_cleanup_free_ char *err = NULL;

	assert_int_equal(settings_init_defaults(&defaults), 0);
	assert_int_equal(config_load(f->conf, true, &s, &err), 0);
	assert_null(err);
	assert_settings_equal(&s, &defaults);

	const char *const frags[] = {f->conf, "No such file", NULL};
	expect_error(f, -ENOENT, frags);

	/* Drop-ins still apply without a main file. */
	settings_done(&s);
	write_dropin(f, "10-debug.conf", "[Daemon]\nLogLevel=debug\n");
	assert_int_equal(config_load(f->conf, true, &s, &err), 0);
	assert_int_equal(s.log_level, LOG_DEBUG);
}

/* The shipped file, as is, changes nothing; with every "#Key=" line
 * uncommented it still changes nothing and names every key. */
static void test_shipped_conf(void **state)
{
	Fixture *f = *state;
	_cleanup_(settings_done) Settings defaults = {};
	_cleanup_(settings_done) Settings s = {};
	_cleanup_free_ char *err = NULL;
	_cleanup_free_ char *uncommented = NULL;
	static const char *const keys[] = {
		"LogLevel",     "LogTarget",   "StateDir",
		"RunDir",       "LogDir",      "IdleTimeoutSec",
		"Emulator",     "Accelerator", "ReservedHostMemory",
		"HostCPUs",     "EnableDump",  "DumpDir",
		"ConsoleLimit", "DefaultNIC",  "SysfsRoot",
		"Server",       "Address",     "Port",
		"HostsAllow",   "PortMin",     "PortMax",
	};
	size_t size = 0, n_keys = 0;

	assert_int_equal(settings_init_defaults(&defaults), 0);

	assert_int_equal(config_load(ZVIRTD_EXAMPLE_CONF, false, &s, &err), 0);
	assert_settings_equal(&s, &defaults);
	settings_done(&s);

	FILE *in = fopen(ZVIRTD_EXAMPLE_CONF, "re");
	assert_non_null(in);
	FILE *out = open_memstream(&uncommented, &size);
	assert_non_null(out);
	char line[512];
	while (fgets(line, sizeof(line), in)) {
		/* "#Key=value" is a setting, "# text" an explanation. */
		if (line[0] == '#' && line[1] >= 'A' && line[1] <= 'Z' && strchr(line, '=')) {
			fputs(line + 1, out);
			for (size_t i = 0; i < ELEMENTSOF(keys); i++)
				if (strncmp(line + 1, keys[i], strlen(keys[i])) == 0 &&
				    line[1 + strlen(keys[i])] == '=')
					n_keys++;
		} else
			fputs(line, out);
	}
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(n_keys, ELEMENTSOF(keys));

	write_text(f->conf, uncommented);
	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_settings_equal(&s, &defaults);
}

static void test_every_key(void **state)
{
	Fixture *f = *state;
	_cleanup_(settings_done) Settings s = {};
	_cleanup_free_ char *err = NULL;

	write_text(f->conf, "# a comment\n"
			    "; another comment\n"
			    "\n"
			    "[Daemon]\n"
			    "LogLevel=debug\n"
			    "  LogTarget = /var/log/zvirtd/daemon.log\n"
			    "StateDir=/srv/zvirtd/state/\n"
			    "RunDir=/srv/zvirtd/run\n"
			    "LogDir=/srv/zvirtd/log\n"
			    "IdleTimeoutSec=120\n"
			    "[Hypervisor]\n"
			    "Emulator=/opt/qemu/bin/qemu-system-s390x\n"
			    "Accelerator=tcg\n"
			    "ReservedHostMemory=2G\n"
			    "HostCPUs=4\n"
			    "EnableDump=Yes\n"
			    "DumpDir=/srv/dumps ; inline comment\n"
			    "ConsoleLimit=64KiB\n"
			    "DefaultNIC=bond0\n"
			    "SysfsRoot=/tmp/fake-sys\n"
			    "\t[Relocation]\n"
			    "Server=on\n"
			    "Address=::\n"
			    "Port=8003\n"
			    "HostsAllow=^(host1|host2)\\.example\\.org$\n"
			    "PortMin=50000\n"
			    "PortMax=50010\n");
	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_null(err);

	assert_int_equal(s.log_level, LOG_DEBUG);
	assert_string_equal(s.log_target, "/var/log/zvirtd/daemon.log");
	assert_string_equal(s.state_dir, "/srv/zvirtd/state"); /* trailing slash dropped */
	assert_string_equal(s.run_dir, "/srv/zvirtd/run");
	assert_string_equal(s.log_dir, "/srv/zvirtd/log");
	assert_int_equal(s.idle_timeout_sec, 120);
	assert_string_equal(s.emulator, "/opt/qemu/bin/qemu-system-s390x");
	assert_int_equal(s.accelerator, ACCELERATOR_TCG);
	assert_int_equal(s.reserved_host_memory, UINT64_C(2) << 30);
	assert_int_equal(s.host_cpus, 4);
	assert_true(s.enable_dump);
	assert_string_equal(s.dump_dir, "/srv/dumps");
	assert_int_equal(s.console_limit, 64 * 1024);
	assert_string_equal(s.default_nic, "bond0");
	assert_string_equal(s.sysfs_root, "/tmp/fake-sys");
	assert_true(s.relocation_server);
	assert_string_equal(s.relocation_address, "::");
	assert_int_equal(s.relocation_port, 8003);
	assert_string_equal(s.relocation_hosts_allow, "^(host1|host2)\\.example\\.org$");
	assert_int_equal(s.relocation_port_min, 50000);
	assert_int_equal(s.relocation_port_max, 50010);
}

static void test_values(void **state)
{
	Fixture *f = *state;
	static const struct {
		const char *line;
		size_t offset;
		uint64_t expected;
	} cases[] = {
		{"[Hypervisor]\nConsoleLimit=0\n", offsetof(Settings, console_limit), 0},
		{"[Hypervisor]\nConsoleLimit=17\n", offsetof(Settings, console_limit), 17},
		{"[Hypervisor]\nConsoleLimit=17B\n", offsetof(Settings, console_limit), 17},
		{"[Hypervisor]\nConsoleLimit=3K\n", offsetof(Settings, console_limit), 3 << 10},
		{"[Hypervisor]\nConsoleLimit=3 KiB\n", offsetof(Settings, console_limit), 3 << 10},
		{"[Hypervisor]\nConsoleLimit=5M\n", offsetof(Settings, console_limit), 5 << 20},
		{"[Hypervisor]\nConsoleLimit=5MiB\n", offsetof(Settings, console_limit), 5 << 20},
		{"[Hypervisor]\nConsoleLimit=1GiB\n", offsetof(Settings, console_limit), UINT64_C(1) << 30},
		{"[Hypervisor]\nReservedHostMemory=2T\n", offsetof(Settings, reserved_host_memory),
		 UINT64_C(2) << 40},
		{"[Hypervisor]\nReservedHostMemory=16777215TiB\n", offsetof(Settings, reserved_host_memory),
		 UINT64_C(16777215) << 40},
		{"[Hypervisor]\nReservedHostMemory=18446744073709551615\n",
		 offsetof(Settings, reserved_host_memory), UINT64_MAX},
		{"[Hypervisor]\nHostCPUs=4294967295\n", offsetof(Settings, host_cpus), UINT_MAX},
		{"[Relocation]\nPort=1\n", offsetof(Settings, relocation_port), 1},
		{"[Relocation]\nPort=65535\nPortMax=65535\n", offsetof(Settings, relocation_port), 65535},
		{"[Relocation]\nPortMin=49215\n", offsetof(Settings, relocation_port_min), 49215},
		{"[Daemon]\nLogLevel=critical\n", offsetof(Settings, log_level), LOG_CRIT},
		{"[Daemon]\nLogLevel=error\n", offsetof(Settings, log_level), LOG_ERR},
		{"[Daemon]\nLogLevel=warning\n", offsetof(Settings, log_level), LOG_WARNING},
		{"[Daemon]\nLogLevel=notice\n", offsetof(Settings, log_level), LOG_NOTICE},
		{"[Daemon]\nIdleTimeoutSec=18446744073709551615\n", offsetof(Settings, idle_timeout_sec),
		 UINT64_MAX},
		{"[Hypervisor]\nAccelerator=kvm\n", offsetof(Settings, accelerator), ACCELERATOR_KVM},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(settings_done) Settings s = {};
		_cleanup_free_ char *err = NULL;
		const uint8_t *field = (const uint8_t *)&s + cases[i].offset;
		uint64_t got;

		write_text(f->conf, cases[i].line);
		if (config_load(f->conf, false, &s, &err) < 0)
			fail_msg("%s: %s", cases[i].line, err);
		switch (cases[i].offset) {
		case offsetof(Settings, console_limit):
		case offsetof(Settings, reserved_host_memory):
		case offsetof(Settings, idle_timeout_sec):
			got = *(const uint64_t *)field;
			break;
		case offsetof(Settings, host_cpus):
			got = *(const unsigned *)field;
			break;
		case offsetof(Settings, relocation_port):
		case offsetof(Settings, relocation_port_min):
			got = *(const uint16_t *)field;
			break;
		case offsetof(Settings, accelerator):
			got = (uint64_t) * (const Accelerator *)field;
			break;
		default:
			got = (uint64_t) * (const int *)field;
		}
		if (got != cases[i].expected)
			fail_msg("%s: got %" PRIu64 ", expected %" PRIu64, cases[i].line, got,
				 cases[i].expected);
	}

	static const char *const booleans[][2] = {
		{"yes", "1"}, {"true", "1"},  {"on", "1"},  {"1", "1"}, {"TRUE", "1"},
		{"no", "0"},  {"false", "0"}, {"off", "0"}, {"0", "0"}, {"No", "0"},
	};
	for (size_t i = 0; i < ELEMENTSOF(booleans); i++) {
		_cleanup_(settings_done) Settings s = {};
		_cleanup_free_ char *err = NULL, *text = NULL;

		assert_true(asprintf(&text, "[Hypervisor]\nEnableDump=%s\n[Relocation]\nServer=%s\n",
				     booleans[i][0], booleans[i][0]) > 0);
		write_text(f->conf, text);
		assert_int_equal(config_load(f->conf, false, &s, &err), 0);
		assert_int_equal(s.enable_dump, booleans[i][1][0] == '1');
		assert_int_equal(s.relocation_server, booleans[i][1][0] == '1');
	}
}

/* Each class of bad value, on line 4, after a comment, a blank line and
 * the section header. */
static void test_bad_values(void **state)
{
	Fixture *f = *state;
	static const struct {
		const char *section, *key, *value, *why;
	} cases[] = {
		{"Daemon", "LogLevel", "loud", "debug, info, notice, warning, error or critical"},
		{"Daemon", "LogLevel", "emerg", "debug, info"},
		{"Daemon", "LogTarget", "syslog", "journal, stderr"},
		{"Daemon", "LogTarget", "zvirtd.log", "absolute path"},
		{"Daemon", "StateDir", "var/lib/zvirtd", "absolute path"},
		{"Daemon", "RunDir", "./run", "absolute path"},
		{"Daemon", "LogDir", "~/log", "absolute path"},
		{"Daemon", "IdleTimeoutSec", "-1", "seconds"},
		{"Daemon", "IdleTimeoutSec", "10min", "seconds"},
		{"Daemon", "IdleTimeoutSec", "18446744073709551616", "seconds"},
		{"Hypervisor", "Emulator", "qemu-system-s390x", "absolute path"},
		{"Hypervisor", "Emulator", "/usr/bin/", "absolute path"},
		{"Hypervisor", "Accelerator", "xen", "auto, kvm or tcg"},
		{"Hypervisor", "Accelerator", "KVM", "auto, kvm or tcg"},
		{"Hypervisor", "ReservedHostMemory", "1X", "size"},
		{"Hypervisor", "ReservedHostMemory", "-1", "size"},
		{"Hypervisor", "ReservedHostMemory", "1.5G", "size"},
		{"Hypervisor", "ReservedHostMemory", "M", "size"},
		{"Hypervisor", "ReservedHostMemory", "16777216T", "size"},
		{"Hypervisor", "ReservedHostMemory", "18446744073709551616", "size"},
		{"Hypervisor", "HostCPUs", "-1", "unsigned integer"},
		{"Hypervisor", "HostCPUs", "4294967296", "unsigned integer"},
		{"Hypervisor", "HostCPUs", "all", "unsigned integer"},
		{"Hypervisor", "HostCPUs", "0x10", "unsigned integer"},
		{"Hypervisor", "EnableDump", "maybe", "boolean"},
		{"Hypervisor", "EnableDump", "2", "boolean"},
		{"Hypervisor", "DumpDir", "dump", "absolute path"},
		{"Hypervisor", "ConsoleLimit", "lots", "size"},
		{"Hypervisor", "DefaultNIC", "much-too-long-name", "interface name"},
		{"Hypervisor", "DefaultNIC", "eth0/1", "interface name"},
		{"Hypervisor", "SysfsRoot", "sys", "absolute path"},
		{"Relocation", "Server", "nope", "boolean"},
		{"Relocation", "Address", "localhost", "IPv4 or IPv6"},
		{"Relocation", "Address", "127.0.0.256", "IPv4 or IPv6"},
		{"Relocation", "Port", "0", "1 to 65535"},
		{"Relocation", "Port", "65536", "1 to 65535"},
		{"Relocation", "Port", "http", "1 to 65535"},
		{"Relocation", "HostsAllow", "(localhost", "regular expression"},
		{"Relocation", "HostsAllow", "[a-", "regular expression"},
		{"Relocation", "PortMin", "0", "1 to 65535"},
		{"Relocation", "PortMax", "70000", "1 to 65535"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *text = NULL, *where = NULL, *assignment = NULL;

		assert_true(asprintf(&text, "# bad value\n\n[%s]\n%s=%s\n", cases[i].section, cases[i].key,
				     cases[i].value) > 0);
		assert_true(asprintf(&where, "%s:4: ", f->conf) > 0);
		assert_true(asprintf(&assignment, "%s=%s", cases[i].key, cases[i].value) > 0);
		write_text(f->conf, text);
		const char *const frags[] = {where, assignment, cases[i].why, NULL};
		expect_error(f, 0, frags);
	}
}

static void test_unknown(void **state)
{
	Fixture *f = *state;
	_cleanup_free_ char *l2 = NULL, *l3 = NULL, *l5 = NULL;

	assert_true(asprintf(&l2, "%s:2: ", f->conf) > 0);
	assert_true(asprintf(&l3, "%s:3: ", f->conf) > 0);
	assert_true(asprintf(&l5, "%s:5: ", f->conf) > 0);

	write_text(f->conf, "[Daemon]\nLogLevel=info\nLogLevle=debug\n");
	expect_error(f, -EINVAL, (const char *const[]){l3, "unknown key", "LogLevle", "[Daemon]", NULL});

	/* A real key in the wrong section is unknown there. */
	write_text(f->conf, "[Daemon]\nPort=8002\n");
	expect_error(f, -EINVAL, (const char *const[]){l2, "unknown key", "Port", NULL});

	/* Reported at the section header, not at its first key. */
	write_text(f->conf, "[Daemon]\nLogLevel=info\n[Deamon]\n\nLogLevel=debug\n");
	expect_error(f, -EINVAL, (const char *const[]){l3, "unknown section [Deamon]", NULL});

	/* Keys are case-sensitive, as in systemd. */
	write_text(f->conf, "[Daemon]\n\n\n\nloglevel=info\n");
	expect_error(f, -EINVAL, (const char *const[]){l5, "loglevel", NULL});

	write_text(f->conf, "# nothing yet\nLogLevel=info\n[Daemon]\n");
	expect_error(f, -EINVAL, (const char *const[]){l2, "LogLevel", "outside of any section", NULL});
}

static void test_syntax_errors(void **state)
{
	Fixture *f = *state;
	_cleanup_free_ char *l1 = NULL, *l2 = NULL, *l3 = NULL;

	assert_true(asprintf(&l1, "%s:1: ", f->conf) > 0);
	assert_true(asprintf(&l2, "%s:2: ", f->conf) > 0);
	assert_true(asprintf(&l3, "%s:3: ", f->conf) > 0);

	write_text(f->conf, "[Daemon]\nLogLevel=info\nthis is not an assignment\nLogLevel=debug\n");
	expect_error(f, -EINVAL, (const char *const[]){l3, "syntax error", NULL});

	write_text(f->conf, "[Daemon\nLogLevel=info\n");
	expect_error(f, -EINVAL, (const char *const[]){l1, "syntax error", NULL});

	/* Whichever comes first is the one reported. */
	write_text(f->conf, "[Daemon]\ngarbage\nLogLevel=loud\n");
	expect_error(f, -EINVAL, (const char *const[]){l2, "syntax error", NULL});
	write_text(f->conf, "[Daemon]\nLogLevel=loud\ngarbage\n");
	expect_error(f, -EINVAL, (const char *const[]){l2, "LogLevel=loud", NULL});

	/* inih's buffer is fixed; an over-long line is refused, not split. */
	_cleanup_free_ char *long_line = NULL;
	assert_true(asprintf(&long_line, "[Daemon]\n\nStateDir=/%0300d\n", 0) > 0);
	write_text(f->conf, long_line);
	expect_error(f, -EINVAL, (const char *const[]){l3, "too long", NULL});

	/* An indented line is a line of its own, not a continuation. */
	_cleanup_(settings_done) Settings s = {};
	_cleanup_free_ char *err = NULL;
	write_text(f->conf, "[Daemon]\nStateDir=/a\n   RunDir=/b\n\tLogDir=/c\n");
	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_string_equal(s.state_dir, "/a");
	assert_string_equal(s.run_dir, "/b");
	assert_string_equal(s.log_dir, "/c");
}

static void test_dropins(void **state)
{
	Fixture *f = *state;
	_cleanup_(settings_done) Settings s = {};
	_cleanup_free_ char *err = NULL, *subdir = NULL;

	write_text(f->conf, "[Daemon]\nLogLevel=debug\nStateDir=/main\n"
			    "[Hypervisor]\nDumpDir=/dumps\nHostCPUs=2\n"
			    "[Relocation]\nPort=9000\n");
	/* strcmp order: "10-..." < "20-..." < "9-..." */
	write_dropin(f, "20-b.conf", "[Daemon]\nLogLevel=error\n");
	write_dropin(f, "10-a.conf", "[Daemon]\nLogLevel=warning\nStateDir=/dropin\n");
	write_dropin(f, "9-last.conf", "[Relocation]\nPort=9001\n");
	/* "Key=" restores the default. */
	write_dropin(f, "15-reset.conf", "[Hypervisor]\nDumpDir=\nHostCPUs=\n");
	/* Not drop-ins: wrong suffix, hidden, a directory. */
	write_dropin(f, "30-c.conf.bak", "[Daemon]\nLogLevel=critical\n");
	write_dropin(f, ".40-hidden.conf", "[Daemon]\nLogLevel=critical\n");
	assert_true(asprintf(&subdir, "%s/50-dir.conf", f->dropin) > 0);
	assert_int_equal(mkdir(subdir, 0755), 0);

	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_int_equal(s.log_level, LOG_ERR);
	assert_string_equal(s.state_dir, "/dropin");
	assert_null(s.dump_dir);
	assert_int_equal(s.host_cpus, 0);
	assert_int_equal(s.relocation_port, 9001);

	/* An error in a drop-in names the drop-in. */
	_cleanup_free_ char *where = NULL;
	write_dropin(f, "25-bad.conf", "[Daemon]\nLogLevel=loud\n");
	assert_true(asprintf(&where, "%s/25-bad.conf:2: ", f->dropin) > 0);
	expect_error(f, -EINVAL, (const char *const[]){where, "LogLevel=loud", NULL});
}

/* The caller pattern for SIGHUP / ReloadConfig: load into a new Settings,
 * swap only on success. */
static void test_failed_reload_keeps_old(void **state)
{
	Fixture *f = *state;
	_cleanup_(settings_done) Settings current = {};
	_cleanup_free_ char *err = NULL;

	write_text(f->conf, "[Daemon]\nLogLevel=debug\nStateDir=/srv/one\n");
	assert_int_equal(config_load(f->conf, false, &current, &err), 0);

	write_text(f->conf, "[Daemon]\nLogLevel=warning\nStateDir=/srv/two\nRunDir=relative\n");
	Settings next;
	memset(&next, 0x5a, sizeof(next));
	assert_int_equal(config_load(f->conf, false, &next, &err), -EINVAL);
	assert_non_null(err);
	assert_non_null(strstr(err, ":4: "));
	for (size_t i = 0; i < sizeof(next); i++)
		assert_int_equal(((uint8_t *)&next)[i], 0x5a);
	assert_int_equal(current.log_level, LOG_DEBUG);
	assert_string_equal(current.state_dir, "/srv/one");

	/* A good file swaps in. */
	free(TAKE_PTR(err));
	write_text(f->conf, "[Daemon]\nLogLevel=warning\nStateDir=/srv/two\n");
	Settings fresh;
	assert_int_equal(config_load(f->conf, false, &fresh, &err), 0);
	settings_done(&current);
	current = fresh;
	assert_int_equal(current.log_level, LOG_WARNING);
	assert_string_equal(current.state_dir, "/srv/two");

	/* ret_error may be NULL. */
	write_text(f->conf, "[Nope]\nA=b\n");
	assert_int_equal(config_load(f->conf, false, &next, NULL), -EINVAL);
}

static void test_port_range(void **state)
{
	Fixture *f = *state;
	_cleanup_free_ char *main_line = NULL, *dropin_line = NULL;

	write_text(f->conf, "[Relocation]\nPortMin=50000\n");
	assert_true(asprintf(&main_line, "%s:2: ", f->conf) > 0);
	expect_error(f, -EINVAL, (const char *const[]){main_line, "PortMin=50000", "PortMax=49215", NULL});

	/* The later assignment is the one blamed, even in another file. */
	write_text(f->conf, "[Relocation]\nPortMin=1000\n");
	write_dropin(f, "10-ports.conf", "# narrower\n[Relocation]\nPortMax=999\n");
	assert_true(asprintf(&dropin_line, "%s/10-ports.conf:3: ", f->dropin) > 0);
	expect_error(f, -EINVAL, (const char *const[]){dropin_line, "PortMin=1000", "PortMax=999", NULL});

	/* A single port is a valid range. */
	_cleanup_(settings_done) Settings s = {};
	_cleanup_free_ char *err = NULL;
	write_dropin(f, "10-ports.conf", "[Relocation]\nPortMax=1000\n");
	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_int_equal(s.relocation_port_min, 1000);
	assert_int_equal(s.relocation_port_max, 1000);
}

static void test_duplicates_last_wins(void **state)
{
	Fixture *f = *state;
	_cleanup_(settings_done) Settings s = {};
	_cleanup_free_ char *err = NULL;

	write_text(f->conf,
		   "[Daemon]\nStateDir=/a\n[Hypervisor]\nHostCPUs=1\n[Daemon]\nStateDir=/b\n"
		   "[Hypervisor]\nHostCPUs=3\nHostCPUs=2\n[Relocation]\nHostsAllow=^a$\nHostsAllow=^b$\n");
	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_string_equal(s.state_dir, "/b");
	assert_int_equal(s.host_cpus, 2);
	assert_string_equal(s.relocation_hosts_allow, "^b$");
}

static void test_unreadable(void **state)
{
	Fixture *f = *state;
	_cleanup_free_ char *err = NULL;
	Settings s;

	/* A directory where the file should be. */
	assert_int_equal(mkdir(f->conf, 0755), 0);
	assert_true(config_load(f->conf, false, &s, &err) < 0);
	assert_non_null(strstr(err, f->conf));
	rmdir(f->conf);
	free(TAKE_PTR(err));

	/* A file where the drop-in directory should be. */
	write_text(f->conf, "[Daemon]\n");
	write_text(f->dropin, "");
	assert_int_equal(config_load(f->conf, false, &s, &err), -ENOTDIR);
	assert_non_null(strstr(err, f->dropin));
}

static void test_apply_log(void **state)
{
	Fixture *f = *state;
	_cleanup_(settings_done) Settings s = {};
	_cleanup_free_ char *err = NULL, *text = NULL, *log_path = NULL;

	assert_true(asprintf(&log_path, "%s/daemon.log", f->dir) > 0);
	assert_true(asprintf(&text, "[Daemon]\nLogLevel=debug\nLogTarget=%s\n", log_path) > 0);
	write_text(f->conf, text);
	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_int_equal(config_apply_log(&s), 0);
	assert_int_equal(log_get_max_level(), LOG_DEBUG);
	log_debug("hello from test-config");
	assert_int_equal(access(log_path, F_OK), 0);

	free(s.log_target);
	s.log_target = strdup("stderr");
	assert_non_null(s.log_target);
	s.log_level = LOG_INFO;
	assert_int_equal(config_apply_log(&s), 0);
	assert_int_equal(log_get_max_level(), LOG_INFO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_accelerator_strings),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shipped_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_reload_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_last_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_log, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
