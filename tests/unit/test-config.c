/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
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
	assert_true((a->emulator_allow == NULL) == (b->emulator_allow == NULL));
	if (a->emulator_allow)
		assert_string_equal(a->emulator_allow, b->emulator_allow);
	assert_string_equal(a->user, b->user);
	assert_int_equal(a->console_limit, b->console_limit);
	assert_int_equal(a->log_limit, b->log_limit);
	assert_true((a->group == NULL) == (b->group == NULL));
	if (a->group)
		assert_string_equal(a->group, b->group);
	assert_int_equal(a->relocation_server, b->relocation_server);
	assert_string_equal(a->relocation_address, b->relocation_address);
	assert_int_equal(a->relocation_port, b->relocation_port);
	assert_string_equal(a->relocation_hosts_allow, b->relocation_hosts_allow);
	assert_int_equal(a->migration_port_min, b->migration_port_min);
	assert_int_equal(a->migration_port_max, b->migration_port_max);
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
	assert_null(s.emulator_allow);
	assert_string_equal(s.user, "zvirt-qemu");
	assert_null(s.group);
	assert_int_equal(s.console_limit, 1024 * 1024);
	assert_int_equal(s.log_limit, 2 * 1024 * 1024);
	assert_non_null(s.log_pump);
	assert_string_equal(s.dev_root, "/dev");
	/* Not resolved yet: nothing may run QEMU with these. */
	assert_true(s.qemu_uid == (uid_t)-1);
	assert_true(s.qemu_gid == (gid_t)-1);

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
		"LogLevel",      "LogTarget",   "StateDir",
		"RunDir",        "LogDir",      "IdleTimeoutSec",
		"Emulator",      "Accelerator", "ReservedHostMemory",
		"EmulatorAllow", "User",        "Group",
		"ConsoleLimit",  "LogLimit",    "Server",
		"Address",       "Port",        "HostsAllow",
		"PortMin",       "PortMax",
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
			    "EmulatorAllow= /opt/a/qemu \t/opt/b/qemu  \n"
			    "User=nobody\n"
			    "Group=nogroup\n"
			    "\t[Daemon]\n"
			    "RunDir=/srv/zvirtd/run2 ; inline comment\n"
			    "[Hypervisor]\n"
			    "ReservedHostMemory=2G\n"
			    "DevRoot=/srv/dev/\n");
	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_null(err);

	assert_int_equal(s.log_level, LOG_DEBUG);
	assert_string_equal(s.log_target, "/var/log/zvirtd/daemon.log");
	assert_string_equal(s.state_dir, "/srv/zvirtd/state"); /* trailing slash dropped */
	assert_string_equal(s.run_dir, "/srv/zvirtd/run2");    /* a section may come again */
	assert_string_equal(s.log_dir, "/srv/zvirtd/log");
	assert_int_equal(s.idle_timeout_sec, 120);
	assert_string_equal(s.emulator, "/opt/qemu/bin/qemu-system-s390x");
	assert_int_equal(s.accelerator, ACCELERATOR_TCG);
	assert_int_equal(s.reserved_host_memory, UINT64_C(2) << 30);
	assert_string_equal(s.emulator_allow, "/opt/a/qemu /opt/b/qemu");
	assert_string_equal(s.user, "nobody");
	assert_string_equal(s.group, "nogroup");
	assert_string_equal(s.dev_root, "/srv/dev");
	assert_int_equal(s.qemu_uid, getpwnam("nobody")->pw_uid);
	assert_int_equal(s.qemu_gid, getgrnam("nogroup")->gr_gid);
}

static void test_values(void **state)
{
	Fixture *f = *state;
	static const struct {
		const char *line;
		size_t offset;
		uint64_t expected;
	} cases[] = {
		{"[Hypervisor]\nReservedHostMemory=0\n", offsetof(Settings, reserved_host_memory), 0},
		{"[Hypervisor]\nReservedHostMemory=17\n", offsetof(Settings, reserved_host_memory), 17},
		{"[Hypervisor]\nReservedHostMemory=17B\n", offsetof(Settings, reserved_host_memory), 17},
		{"[Hypervisor]\nReservedHostMemory=3K\n", offsetof(Settings, reserved_host_memory), 3 << 10},
		{"[Hypervisor]\nReservedHostMemory=3 KiB\n", offsetof(Settings, reserved_host_memory),
		 3 << 10},
		{"[Hypervisor]\nReservedHostMemory=5M\n", offsetof(Settings, reserved_host_memory), 5 << 20},
		{"[Hypervisor]\nReservedHostMemory=5MiB\n", offsetof(Settings, reserved_host_memory),
		 5 << 20},
		{"[Hypervisor]\nReservedHostMemory=1GiB\n", offsetof(Settings, reserved_host_memory),
		 UINT64_C(1) << 30},
		{"[Hypervisor]\nReservedHostMemory=2T\n", offsetof(Settings, reserved_host_memory),
		 UINT64_C(2) << 40},
		{"[Hypervisor]\nReservedHostMemory=16777215TiB\n", offsetof(Settings, reserved_host_memory),
		 UINT64_C(16777215) << 40},
		{"[Hypervisor]\nReservedHostMemory=18446744073709551615\n",
		 offsetof(Settings, reserved_host_memory), UINT64_MAX},
		{"[Daemon]\nLogLevel=critical\n", offsetof(Settings, log_level), LOG_CRIT},
		{"[Daemon]\nLogLevel=error\n", offsetof(Settings, log_level), LOG_ERR},
		{"[Daemon]\nLogLevel=warning\n", offsetof(Settings, log_level), LOG_WARNING},
		{"[Daemon]\nLogLevel=notice\n", offsetof(Settings, log_level), LOG_NOTICE},
		{"[Daemon]\nIdleTimeoutSec=18446744073709551615\n", offsetof(Settings, idle_timeout_sec),
		 UINT64_MAX},
		{"[Hypervisor]\nAccelerator=kvm\n", offsetof(Settings, accelerator), ACCELERATOR_KVM},
		{"[Hypervisor]\nConsoleLimit=4K\n", offsetof(Settings, console_limit), 4096},
		{"[Hypervisor]\nConsoleLimit=16 MiB\n", offsetof(Settings, console_limit), 16 << 20},
		{"[Hypervisor]\nLogLimit=4096\n", offsetof(Settings, log_limit), 4096},
		{"[Hypervisor]\nLogLimit=1G\n", offsetof(Settings, log_limit), UINT64_C(1) << 30},
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
		case offsetof(Settings, reserved_host_memory):
		case offsetof(Settings, idle_timeout_sec):
		case offsetof(Settings, console_limit):
		case offsetof(Settings, log_limit):
			got = *(const uint64_t *)field;
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
		{"Hypervisor", "ConsoleLimit", "4095", "at least 4K"},
		{"Hypervisor", "ConsoleLimit", "0", "at least 4K"},
		{"Hypervisor", "ConsoleLimit", "1X", "size"},
		{"Hypervisor", "LogLimit", "3K", "at least 4K"},
		{"Hypervisor", "LogLimit", "-2M", "size"},
		{"Hypervisor", "EmulatorAllow", "/usr/bin/qemu relative/qemu", "absolute paths"},
		{"Hypervisor", "EmulatorAllow", "/usr/bin/", "absolute paths"},
		{"Hypervisor", "User", "zvirt-no-such-user", "no such user"},
		{"Hypervisor", "Group", "zvirt-no-such-group", "no such group"},
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
	write_text(f->conf, "[Daemon]\nEmulator=/usr/bin/qemu-system-s390x\n");
	expect_error(f, -EINVAL,
		     (const char *const[]){l2, "unknown key Emulator= in section [Daemon]", NULL});

	/* Reported at the section header, not at its first key. */
	write_text(f->conf, "[Daemon]\nLogLevel=info\n[Deamon]\n\nLogLevel=debug\n");
	expect_error(f, -EINVAL,
		     (const char *const[]){l3, "unknown section [Deamon]",
					   "expected [Daemon], [Hypervisor], [Network] or [Relocation]",
					   NULL});

	/* Keys are case-sensitive, as in systemd. */
	write_text(f->conf, "[Daemon]\n\n\n\nloglevel=info\n");
	expect_error(f, -EINVAL, (const char *const[]){l5, "loglevel", NULL});

	write_text(f->conf, "# nothing yet\nLogLevel=info\n[Daemon]\n");
	expect_error(f, -EINVAL, (const char *const[]){l2, "LogLevel", "outside of any section", NULL});
}

/* Loads text as f->conf and expects an error at line of f->conf that
 * says what. */
static void expect_error_at(Fixture *f, const char *text, unsigned line, const char *what)
{
	_cleanup_free_ char *where = NULL;

	write_text(f->conf, text);
	assert_true(asprintf(&where, "%s:%u: ", f->conf, line) > 0);
	expect_error(f, -EINVAL, (const char *const[]){where, what, NULL});
}

/* Keys whose feature does not work yet, or no longer exists, are not
 * accepted: each is refused as an unknown key at its line, like a
 * misspelt one. */
static void test_removed_keys(void **state)
{
	Fixture *f = *state;
	static const struct {
		const char *key, *value;
	} removed[] = {
		{"HostCPUs", "4"},
		{"DefaultNIC", "bond0"},
	};

	for (size_t i = 0; i < ELEMENTSOF(removed); i++) {
		const char *key = removed[i].key, *value = removed[i].value;
		_cleanup_free_ char *text = NULL, *what = NULL;

		/* Where it used to be: line 5, after a key that is fine. */
		assert_true(asprintf(&text, "# removed\n[Hypervisor]\nAccelerator=tcg\n\n%s=%s\n", key,
				     value) > 0);
		assert_true(asprintf(&what, "unknown key %s= in section [Hypervisor]", key) > 0);
		expect_error_at(f, text, 5, what);

		/* In a section that exists, every one of them is an unknown key. */
		free(TAKE_PTR(text));
		free(TAKE_PTR(what));
		assert_true(asprintf(&text, "[Daemon]\nLogLevel=info\n%s=%s\n", key, value) > 0);
		assert_true(asprintf(&what, "unknown key %s= in section [Daemon]", key) > 0);
		expect_error_at(f, text, 3, what);

		/* "Key=" (back to the default) is refused the same way. */
		free(TAKE_PTR(text));
		free(TAKE_PTR(what));
		assert_true(asprintf(&text, "[Hypervisor]\n%s=\n", key) > 0);
		assert_true(asprintf(&what, "unknown key %s= in section [Hypervisor]", key) > 0);
		expect_error_at(f, text, 2, what);
	}

	/* In a drop-in, the drop-in and its line are named. */
	_cleanup_free_ char *where = NULL;
	write_text(f->conf, "[Hypervisor]\nAccelerator=tcg\n");
	write_dropin(f, "50-old.conf", "[Hypervisor]\nHostCPUs=4\n");
	assert_true(asprintf(&where, "%s/50-old.conf:2: ", f->dropin) > 0);
	expect_error(f, -EINVAL,
		     (const char *const[]){where, "unknown key HostCPUs= in section [Hypervisor]", NULL});
}

/* [Relocation]: the defaults, every key, and each bad value refused at
 * its line; an empty range is an error of the whole file. */
static void test_relocation(void **state)
{
	Fixture *f = *state;
	_cleanup_(settings_done) Settings s = {};
	_cleanup_free_ char *err = NULL;

	assert_int_equal(settings_init_defaults(&s), 0);
	assert_false(s.relocation_server);
	assert_string_equal(s.relocation_address, "127.0.0.1");
	assert_int_equal(s.relocation_port, 8002);
	assert_string_equal(s.relocation_hosts_allow, "^localhost$");
	assert_int_equal(s.migration_port_min, 49152);
	assert_int_equal(s.migration_port_max, 49215);
	settings_done(&s);

	write_text(f->conf, "[Relocation]\nServer=yes\nAddress=::1\nPort=8102\n"
			    "HostsAllow=^host-a$ ^10\\.0\\.\nPortMin=50000\nPortMax=50000\n");
	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_true(s.relocation_server);
	assert_string_equal(s.relocation_address, "::1");
	assert_int_equal(s.relocation_port, 8102);
	assert_string_equal(s.relocation_hosts_allow, "^host-a$ ^10\\.0\\.");
	assert_int_equal(s.migration_port_min, 50000);
	assert_int_equal(s.migration_port_max, 50000);
	settings_done(&s);

	/* "Key=" puts the default back, as everywhere. */
	write_text(f->conf, "[Relocation]\nAddress=10.1.2.3\nAddress=\nHostsAllow=\n");
	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_string_equal(s.relocation_address, "127.0.0.1");
	assert_string_equal(s.relocation_hosts_allow, "^localhost$");

	expect_error_at(f, "[Relocation]\nServer=maybe\n", 2, "expected yes or no");
	/* A name would be a blocking lookup at every migration. */
	expect_error_at(f, "[Relocation]\nAddress=localhost\n", 2, "numeric IPv4 or IPv6");
	expect_error_at(f, "[Relocation]\n\nAddress=10.0.0.300\n", 3, "numeric IPv4 or IPv6");
	expect_error_at(f, "[Relocation]\nAddress=0.0.0.0\n", 2, "not the unspecified one");
	expect_error_at(f, "[Relocation]\nAddress=::\n", 2, "not the unspecified one");
	expect_error_at(f, "[Relocation]\nPort=0\n", 2, "1 to 65535");
	expect_error_at(f, "[Relocation]\nPortMax=65536\n", 2, "1 to 65535");
	expect_error_at(f, "[Relocation]\nPortMin=4x\n", 2, "1 to 65535");
	expect_error_at(f, "[Relocation]\nHostsAllow=^ok$ (unclosed\n", 2, "(unclosed");

	_cleanup_free_ char *where = NULL;
	write_text(f->conf, "[Relocation]\nPortMin=50001\nPortMax=50000\n");
	assert_true(asprintf(&where, "%s: ", f->conf) > 0);
	expect_error(f, -EINVAL, (const char *const[]){where, "PortMin=50001 is above PortMax=50000", NULL});
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
			    "[Hypervisor]\nEmulator=/opt/qemu\nReservedHostMemory=2G\nAccelerator=kvm\n");
	/* strcmp order: "10-..." < "20-..." < "9-..." */
	write_dropin(f, "20-b.conf", "[Daemon]\nLogLevel=error\n");
	write_dropin(f, "10-a.conf", "[Daemon]\nLogLevel=warning\nStateDir=/dropin\n");
	write_dropin(f, "9-last.conf", "[Hypervisor]\nAccelerator=tcg\n");
	/* "Key=" restores the default. */
	write_dropin(f, "15-reset.conf", "[Hypervisor]\nEmulator=\nReservedHostMemory=\n");
	/* Not drop-ins: wrong suffix, hidden, a directory. */
	write_dropin(f, "30-c.conf.bak", "[Daemon]\nLogLevel=critical\n");
	write_dropin(f, ".40-hidden.conf", "[Daemon]\nLogLevel=critical\n");
	assert_true(asprintf(&subdir, "%s/50-dir.conf", f->dropin) > 0);
	assert_int_equal(mkdir(subdir, 0755), 0);

	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_int_equal(s.log_level, LOG_ERR);
	assert_string_equal(s.state_dir, "/dropin");
	assert_string_equal(s.emulator, "/usr/bin/qemu-system-s390x");
	assert_int_equal(s.reserved_host_memory, 0);
	assert_int_equal(s.accelerator, ACCELERATOR_TCG);

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

static void test_duplicates_last_wins(void **state)
{
	Fixture *f = *state;
	_cleanup_(settings_done) Settings s = {};
	_cleanup_free_ char *err = NULL;

	write_text(f->conf,
		   "[Daemon]\nStateDir=/a\n[Hypervisor]\nReservedHostMemory=1\n[Daemon]\nStateDir=/b\n"
		   "[Hypervisor]\nReservedHostMemory=3\nReservedHostMemory=2\nEmulator=/opt/a\n"
		   "Emulator=/opt/b\n");
	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_string_equal(s.state_dir, "/b");
	assert_int_equal(s.reserved_host_memory, 2);
	assert_string_equal(s.emulator, "/opt/b");
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

/* User= and Group= become numbers after the last file: the default user,
 * its primary group, its supplementary groups; root only warns. */
static void test_identity(void **state)
{
	Fixture *f = *state;
	_cleanup_free_ char *err = NULL;
	struct passwd *pw = getpwnam("zvirt-qemu");
	if (!pw)
		fail_msg("user zvirt-qemu is missing: tools/install-deps.sh creates it");
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;

	{
		_cleanup_(settings_done) Settings s = {};
		write_text(f->conf, "[Hypervisor]\n");
		assert_int_equal(config_load(f->conf, false, &s, &err), 0);
		assert_int_equal(s.qemu_uid, uid);
		assert_int_equal(s.qemu_gid, gid);
		bool primary = false;
		for (size_t i = 0; i < s.n_qemu_groups; i++)
			primary |= s.qemu_groups[i] == gid;
		assert_true(primary);
	}
	{
		/* Group= alone changes the group, not the user; "User=" is the default again. */
		_cleanup_(settings_done) Settings s = {};
		write_text(f->conf, "[Hypervisor]\nUser=root\nGroup=nogroup\n");
		write_dropin(f, "10-user.conf", "[Hypervisor]\nUser=\n");
		assert_int_equal(config_load(f->conf, false, &s, &err), 0);
		assert_int_equal(s.qemu_uid, uid);
		assert_int_equal(s.qemu_gid, getgrnam("nogroup")->gr_gid);
	}
	{
		_cleanup_(settings_done) Settings s = {};
		write_dropin(f, "10-user.conf", "[Hypervisor]\nUser=root\nGroup=\n");
		assert_int_equal(config_load(f->conf, false, &s, &err), 0);
		assert_int_equal(s.qemu_uid, 0);
		assert_int_equal(s.qemu_gid, 0);
	}
}

static void test_emulator_allowed(void **state)
{
	Fixture *f = *state;
	_cleanup_(settings_done) Settings s = {};
	_cleanup_free_ char *err = NULL;

	write_text(f->conf, "[Hypervisor]\nEmulator=/usr/bin/qemu-system-s390x\n"
			    "EmulatorAllow=/opt/q/qemu-system-s390x /opt/r/qemu\n");
	assert_int_equal(config_load(f->conf, false, &s, &err), 0);
	assert_true(settings_emulator_allowed(&s, "/usr/bin/qemu-system-s390x"));
	assert_true(settings_emulator_allowed(&s, "/opt/q/qemu-system-s390x"));
	assert_true(settings_emulator_allowed(&s, "/opt/r/qemu"));
	/* Whole paths only: no prefix, no part of one. */
	assert_false(settings_emulator_allowed(&s, "/opt/r/qem"));
	assert_false(settings_emulator_allowed(&s, "/opt/q"));
	assert_false(settings_emulator_allowed(&s, "/bin/sh"));
	assert_false(settings_emulator_allowed(&s, ""));
	assert_false(settings_emulator_allowed(&s, NULL));

	free(TAKE_PTR(s.emulator_allow));
	assert_false(settings_emulator_allowed(&s, "/opt/r/qemu"));
	assert_true(settings_emulator_allowed(&s, "/usr/bin/qemu-system-s390x"));
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
		cmocka_unit_test_setup_teardown(test_relocation, setup, teardown),
		cmocka_unit_test(test_accelerator_strings),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shipped_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_reload_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_last_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emulator_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_log, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
