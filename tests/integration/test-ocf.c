/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Pacemaker resource agent ocf:zvirt:ZVirtDomain (ocf/ZVirtDomain)
 * against the real daemon and guest: resource-agents' ocf-tester, every
 * OCF return code the agent promises (running, paused, shut off, no such
 * domain, crashed, an unreachable daemon, bad parameters), crm_resource
 * --validate (pacemaker-cli-utils) with good and bad parameters, and
 * migrate_to/migrate_from between two daemons with the environment
 * Pacemaker gives them: the guest counts on over there.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "zvirtctl-run.h"

#define OCF_TESTER   "/usr/sbin/ocf-tester"
#define CRM_RESOURCE "/usr/sbin/crm_resource"
#define OCF_TIMEOUT  240000

/* OCF return codes (ocf-returncodes). */
#define OCF_SUCCESS        0
#define OCF_ERR_GENERIC    1
#define OCF_ERR_INSTALLED  5
#define OCF_ERR_CONFIGURED 6
#define OCF_NOT_RUNNING    7

static char *agent_path(void)
{
	char *p;
	assert_true(asprintf(&p, "%s/ocf/ZVirtDomain", getenv("ZVIRT_SOURCE_ROOT")) > 0);
	return p;
}

/* argv[0] with the rest of argv (NULL-terminated), stdout and stderr
 * caught, within OCF_TIMEOUT. */
static Run run_long(const char *const *argv)
{
	return run_argv_within(argv[0], false, false, argv + 1, OCF_TIMEOUT);
}

/* The domain XML file of the test guest `name`; its path. */
static char *config_xml(const char *name, char *xml)
{
	_cleanup_free_ char *file = NULL;
	assert_true(asprintf(&file, "%s.xml", name) > 0);
	char *path = write_tmp(file, xml);
	free(xml);
	return path;
}

static char *config_of(const char *name)
{
	return config_xml(name, harness_guest_xml(name));
}

/*
 * The agent's action as pacemaker-execd runs it: the OCF environment with
 * config, bus_address (the harness's bus, or `bus` if not NULL), zvirtctl
 * and a 20 s operation timeout, then `extra` (NULL-terminated
 * "NAME=VALUE", may be NULL).
 */
static Run agent_on(const char *bus, const char *config, const char *action, const char *const *extra)
{
	_cleanup_free_ char *agent = agent_path(), *cfg = NULL, *busv = NULL, *ctl = NULL;
	const char *argv[48];
	size_t n = 0;

	assert_true(asprintf(&cfg, "OCF_RESKEY_config=%s", config) > 0);
	assert_true(asprintf(&busv, "OCF_RESKEY_bus_address=%s", bus ? bus : address()) > 0);
	assert_true(asprintf(&ctl, "OCF_RESKEY_zvirtctl=%s", binary()) > 0);
	argv[n++] = "/usr/bin/env";
	argv[n++] = "OCF_ROOT=/usr/lib/ocf";
	argv[n++] = "OCF_RA_VERSION_MAJOR=1";
	argv[n++] = "OCF_RA_VERSION_MINOR=1";
	argv[n++] = "OCF_RESOURCE_INSTANCE=vs";
	argv[n++] = "OCF_RESOURCE_TYPE=ZVirtDomain";
	argv[n++] = "OCF_RESOURCE_PROVIDER=zvirt";
	argv[n++] = "OCF_RESKEY_CRM_meta_timeout=20000";
	argv[n++] = "OCF_RESKEY_CRM_meta_interval=10000";
	argv[n++] = cfg;
	argv[n++] = busv;
	argv[n++] = ctl;
	for (; extra && *extra; extra++) {
		assert_true(n < ELEMENTSOF(argv) - 3);
		argv[n++] = *extra;
	}
	argv[n++] = agent;
	argv[n++] = action;
	argv[n] = NULL;
	return run_long(argv);
}

static Run agent(const char *config, const char *action, const char *const *extra)
{
	return agent_on(NULL, config, action, extra);
}

#define AGENT(config, action, ...) agent((config), (action), (const char *const[]){__VA_ARGS__ NULL})

/* The guest `name` printed its ready line after `from` in its log. */
static void wait_ready(const char *name, off_t from)
{
	_cleanup_free_ char *log = harness_console_log(name);
	assert_int_equal(harness_wait_console_from(
				 log, from, "zvirt-guest: ready boot_id=", HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
}

static off_t log_size(const char *name)
{
	_cleanup_free_ char *log = harness_console_log(name);
	return access(log, F_OK) == 0 ? harness_file_size(log) : 0;
}

static void expect_code(const Run *r, int code, const char *what)
{
	if (r->code != code)
		fail_msg("%s: exit %d, expected %d\nstdout: %s\nstderr: %s", what, r->code, code, r->out,
			 r->err);
}

static void expect_reason(const Run *r, const char *needle)
{
	if (!strstr(r->err, needle))
		fail_msg("no '%s' in the agent's messages:\n%s", needle, r->err);
}

/* resource-agents' own checker: meta-data against ra-api-1.dtd,
 * validate-all, monitor of a stopped resource and the probe, start,
 * monitor, start again, stop, stop again. */
static void test_ocf_tester(void **state)
{
	if (access(OCF_TESTER, X_OK) < 0)
		skip();
	_cleanup_free_ char *config = config_of("ocf-tester"), *agent = agent_path();
	_cleanup_free_ char *o_config = NULL, *o_bus = NULL, *o_ctl = NULL;
	assert_true(asprintf(&o_config, "config=%s", config) > 0);
	assert_true(asprintf(&o_bus, "bus_address=%s", address()) > 0);
	assert_true(asprintf(&o_ctl, "zvirtctl=%s", binary()) > 0);
	const char *const argv[] = {OCF_TESTER, "-v",  "-n", "ocf-tester", "-o", o_config,
				    "-o",       o_bus, "-o", o_ctl,        "-o", "shutdown_timeout=5",
				    agent,      NULL};
	_cleanup_(run_done) Run r = run_long(argv);
	if (r.code != 0 || !strstr(r.out, "passed all tests"))
		fail_msg("ocf-tester: exit %d\n%s\n%s", r.code, r.out, r.err);
	/* It ran what the agent has (ocf-tester -v names each step). */
	static const char *const steps[] = {"Testing: validate-all", "Testing: start", "Testing: stop",
					    "Checking for migrate_to action", NULL};
	for (const char *const *s = steps; *s; s++)
		if (!strstr(r.out, *s))
			fail_msg("ocf-tester did not run '%s':\n%s", *s, r.out);
	/* Its stops left nothing: the domain was transient. */
	_cleanup_free_ char *path = harness_lookup("ocf-tester");
	assert_null(path);
}

/* Each state the daemon reports, as the code Pacemaker acts on. */
static void test_return_codes(void **state)
{
	/* A crash leaves the domain there, crashed (libvirt's default,
	 * destroy, would end a transient one). */
	_cleanup_free_ char *config =
		config_xml("ocf-codes", harness_guest_xml_on_crash("ocf-codes", "preserve"));

	/* Nothing yet: not running, also as a probe. */
	{
		_cleanup_(run_done) Run r = AGENT(config, "monitor", );
		expect_code(&r, OCF_NOT_RUNNING, "monitor of no domain");
		_cleanup_(run_done) Run p = AGENT(config, "monitor", "OCF_RESKEY_CRM_meta_interval=0", );
		expect_code(&p, OCF_NOT_RUNNING, "probe of no domain");
	}
	/* start: a transient domain, running; started again: still fine. */
	off_t boot = log_size("ocf-codes");
	{
		_cleanup_(run_done) Run r = AGENT(config, "start", );
		expect_code(&r, OCF_SUCCESS, "start");
		_cleanup_free_ char *path = harness_lookup("ocf-codes");
		assert_non_null(path);
		harness_assert_state(path, "running", "booted");
		assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Persistent"));
		_cleanup_(run_done) Run again = AGENT(config, "start", );
		expect_code(&again, OCF_SUCCESS, "start of a running domain");
		_cleanup_(run_done) Run m = AGENT(config, "monitor", );
		expect_code(&m, OCF_SUCCESS, "monitor of a running domain");
	}
	_cleanup_free_ char *path = harness_lookup("ocf-codes");
	wait_ready("ocf-codes", boot);
	/* Paused is active. */
	{
		_cleanup_free_ char *out = OK("suspend", "ocf-codes");
		_cleanup_(run_done) Run m = AGENT(config, "monitor", );
		expect_code(&m, OCF_SUCCESS, "monitor of a paused domain");
		free(OK("resume", "ocf-codes"));
	}
	/* The daemon out of reach: a failure, with why. */
	{
		_cleanup_(run_done) Run m =
			agent_on("unix:path=/nonexistent/socket", config, "monitor", NULL);
		expect_code(&m, OCF_ERR_GENERIC, "monitor without the daemon");
		expect_reason(&m, "cannot ask zvirtd");
	}
	/* A monitor command that fails fails the monitor. */
	{
		_cleanup_(run_done) Run m =
			AGENT(config, "monitor", "OCF_RESKEY_monitor_scripts=/bin/true /bin/false", );
		expect_code(&m, OCF_ERR_GENERIC, "monitor with a failing monitor_scripts");
		expect_reason(&m, "/bin/false");
	}
	/* Crashed is not "stopped": Pacemaker must recover it; stop clears it. */
	{
		harness_panic_guest(path);
		assert_int_equal(harness_wait_state(path, "crashed", "panicked", HARNESS_BOOT_TIMEOUT_MS),
				 0);
		_cleanup_(run_done) Run m = AGENT(config, "monitor", );
		expect_code(&m, OCF_ERR_GENERIC, "monitor of a crashed domain");
		expect_reason(&m, "crashed (panicked)");
		_cleanup_(run_done) Run s = AGENT(config, "stop", );
		expect_code(&s, OCF_SUCCESS, "stop of a crashed domain");
		_cleanup_free_ char *gone = harness_lookup("ocf-codes");
		assert_null(gone);
		_cleanup_(run_done) Run again = AGENT(config, "stop", );
		expect_code(&again, OCF_SUCCESS, "stop of a stopped resource");
	}
	/* persistent: defined and started; stop shuts the guest down and the
	 * definition stays, shut off: not running. */
	{
		boot = log_size("ocf-codes");
		_cleanup_(run_done) Run r = AGENT(config, "start", "OCF_RESKEY_persistent=true", );
		expect_code(&r, OCF_SUCCESS, "start, persistent");
		_cleanup_free_ char *p = harness_lookup("ocf-codes");
		assert_true(harness_get_bool(p, ZVIRT_DOMAIN_IFACE, "Persistent"));
		wait_ready("ocf-codes", boot);
		_cleanup_(run_done) Run s = AGENT(config, "stop", "OCF_RESKEY_persistent=true", );
		expect_code(&s, OCF_SUCCESS, "stop, persistent");
		harness_assert_state(p, "shut-off", "shutdown");
		_cleanup_(run_done) Run m = AGENT(config, "monitor", "OCF_RESKEY_persistent=true", );
		expect_code(&m, OCF_NOT_RUNNING, "monitor of a shut-off definition");
		/* Not persistent again: the file is the domain, the definition
		 * here goes. */
		_cleanup_(run_done) Run t = AGENT(config, "start", );
		expect_code(&t, OCF_SUCCESS, "start, transient over a definition");
		_cleanup_free_ char *q = harness_lookup("ocf-codes");
		assert_false(harness_get_bool(q, ZVIRT_DOMAIN_IFACE, "Persistent"));
		/* force_stop: destroyed, not asked. */
		_cleanup_(run_done) Run f = AGENT(config, "stop", "OCF_RESKEY_force_stop=true", );
		expect_code(&f, OCF_SUCCESS, "stop, force_stop");
		expect_reason(&f, "destroying it");
		_cleanup_free_ char *none = harness_lookup("ocf-codes");
		assert_null(none);
	}
}

/* validate-all: what is wrong is a configuration error (6), a missing
 * file "not installed" (5), and a probe of it "not running". */
static void test_validate(void **state)
{
	_cleanup_free_ char *config = config_of("ocf-valid");
	_cleanup_(run_done) Run ok = AGENT(config, "validate-all", );
	expect_code(&ok, OCF_SUCCESS, "validate-all");

	static const struct {
		const char *param, *reason;
	} bad[] = {
		{"OCF_RESKEY_migration_speed=fast", "migration_speed"},
		{"OCF_RESKEY_migration_downtime=-1", "migration_downtime"},
		{"OCF_RESKEY_shutdown_timeout=soon", "shutdown_timeout"},
		{"OCF_RESKEY_persistent=maybe", "persistent"},
		{"OCF_RESKEY_migration_transport=tcp", "migration_transport"},
		{"OCF_RESKEY_migration_user=-oProxyCommand=x", "migration_user"},
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_(run_done) Run r = AGENT(config, "validate-all", bad[i].param, );
		expect_code(&r, OCF_ERR_CONFIGURED, bad[i].param);
		expect_reason(&r, bad[i].reason);
	}
	/* A document the daemon refuses. */
	_cleanup_free_ char *broken =
		write_tmp("ocf-broken.xml", "<domain type='kvm'><name>ocf-broken</name>"
					    "<memory unit='MiB'>lots</memory></domain>");
	_cleanup_(run_done) Run refused = AGENT(broken, "validate-all", );
	expect_code(&refused, OCF_ERR_CONFIGURED, "validate-all of a refused document");
	expect_reason(&refused, "zvirtd refuses");
	/* No name in it. */
	_cleanup_free_ char *nameless = write_tmp("ocf-nameless.xml", "<domain type='kvm'/>");
	_cleanup_(run_done) Run nn = AGENT(nameless, "validate-all", );
	expect_code(&nn, OCF_ERR_CONFIGURED, "validate-all without a name");
	/* No file: not installed here; the probe says not running, stop
	 * succeeds (it cannot run here). */
	_cleanup_(run_done) Run missing = AGENT("/nonexistent/vs.xml", "validate-all", );
	expect_code(&missing, OCF_ERR_INSTALLED, "validate-all without the file");
	_cleanup_(run_done) Run probe =
		AGENT("/nonexistent/vs.xml", "monitor", "OCF_RESKEY_CRM_meta_interval=0", );
	expect_code(&probe, OCF_NOT_RUNNING, "probe without the file");
	_cleanup_(run_done) Run stop = AGENT("/nonexistent/vs.xml", "stop", );
	expect_code(&stop, OCF_SUCCESS, "stop without the file");
	/* An action it does not have. */
	_cleanup_(run_done) Run un = AGENT(config, "promote", );
	expect_code(&un, 3, "promote");
}

/* crm_resource --validate finds the agent where Pacemaker looks for it
 * (/usr/lib/ocf/resource.d/zvirt/, here in a mount namespace of its own
 * with the tree's agent) and reports its verdict. */
static void test_crm_validate(void **state)
{
	if (access(CRM_RESOURCE, X_OK) < 0)
		skip();
	_cleanup_free_ char *config = config_of("ocf-crm"), *agent = agent_path();
	_cleanup_free_ char *root = NULL;
	assert_true(asprintf(&root, "%s/ocf-resource.d", harness_tmpdir()) > 0);
	harness_sh("mkdir -p '%s/zvirt' && ln -sfn '%s' '%s/zvirt/ZVirtDomain' && "
		   "ln -sfn /usr/lib/ocf/resource.d/heartbeat '%s/heartbeat'",
		   root, agent, root, root);
	static const struct {
		const char *option;
		int code;
	} cases[] = {
		{"--option=migration_speed=100", 0},
		{"--option=migration_speed=fast", OCF_ERR_CONFIGURED},
		{"--option=force_stop=perhaps", OCF_ERR_CONFIGURED},
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *cmd = NULL;
		assert_true(
			asprintf(&cmd,
				 "mount --bind '%s' /usr/lib/ocf/resource.d && exec " CRM_RESOURCE
				 " --validate --class ocf --provider zvirt --agent ZVirtDomain "
				 "--option 'config=%s' --option 'bus_address=%s' --option 'zvirtctl=%s' %s",
				 root, config, address(), binary(), cases[i].option) > 0);
		const char *const argv[] = {
			"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", cmd, NULL};
		_cleanup_(run_done) Run r = run_long(argv);
		if (r.code != cases[i].code)
			fail_msg("crm_resource --validate %s: exit %d, expected %d\n%s%s", cases[i].option,
				 r.code, cases[i].code, r.out, r.err);
		if (cases[i].code == 0)
			assert_contains(r.out, "returned 0");
	}
}

/* migrate_to here, migrate_from there, as Pacemaker calls them (the
 * target and source node names in the environment, the destination
 * from remoteuri's %n): the guest counts on over there. */
static void test_migrate(void **state)
{
	assert_int_equal(harness_peer_start("[Relocation]\nServer=yes\nAddress=127.0.0.3\n"), 0);
	_cleanup_free_ char *config = config_of("ocf-mig");
	_cleanup_free_ char *log = harness_console_log("ocf-mig");
	_cleanup_(run_done) Run started = AGENT(config, "start", );
	expect_code(&started, OCF_SUCCESS, "start");
	_cleanup_free_ char *path = harness_lookup("ocf-mig");
	wait_ready("ocf-mig", 0);
	free(harness_guest_command(path, "count start", 30000));
	assert_int_equal(harness_wait_console_from(log, 0, "count 3", 30000, NULL), 0);

	/* The peer's bus is TMP/peer/system_bus_socket: the node is "peer". */
	_cleanup_free_ char *uri = NULL, *uri_env = NULL;
	assert_true(asprintf(&uri, "unix:path=%s/%%n/system_bus_socket", harness_tmpdir()) > 0);
	assert_true(asprintf(&uri_env, "OCF_RESKEY_remoteuri=%s", uri) > 0);

	/* Nowhere to go: a failure, the guest runs on here. */
	{
		_cleanup_(run_done) Run r =
			AGENT(config, "migrate_to", "OCF_RESKEY_CRM_meta_migrate_source=here",
			      "OCF_RESKEY_CRM_meta_migrate_target=nowhere", uri_env, );
		expect_code(&r, OCF_ERR_GENERIC, "migrate_to an unknown node");
		expect_reason(&r, "live migration to nowhere failed");
		harness_assert_state(path, "running", "booted");
	}
	off_t mark = harness_file_size(log);
	{
		_cleanup_(run_done) Run r =
			AGENT(config, "migrate_to", "OCF_RESKEY_CRM_meta_migrate_source=here",
			      "OCF_RESKEY_CRM_meta_migrate_target=peer", uri_env,
			      "OCF_RESKEY_migration_downtime=300", "OCF_RESKEY_migration_speed=1000",
			      "OCF_RESKEY_migrate_options=--auto-converge", );
		expect_code(&r, OCF_SUCCESS, "migrate_to");
		expect_reason(&r, "live migration to peer succeeded");
	}
	{
		_cleanup_(run_done) Run r =
			agent_on(harness_peer_bus_address(), config, "migrate_from",
				 (const char *const[]){"OCF_RESKEY_CRM_meta_migrate_source=here",
						       "OCF_RESKEY_CRM_meta_migrate_target=peer", NULL});
		expect_code(&r, OCF_SUCCESS, "migrate_from");
		_cleanup_(run_done) Run m = agent_on(harness_peer_bus_address(), config, "monitor", NULL);
		expect_code(&m, OCF_SUCCESS, "monitor there");
	}
	_cleanup_free_ char *ppath = harness_peer_lookup("ocf-mig");
	assert_non_null(ppath);
	harness_peer_assert_state(ppath, "running", "migrated");
	/* Transient: gone from here, so not running here. */
	_cleanup_free_ char *here = harness_lookup("ocf-mig");
	assert_null(here);
	_cleanup_(run_done) Run m = AGENT(config, "monitor", );
	expect_code(&m, OCF_NOT_RUNNING, "monitor here after the migration");
	/* It counts on from where it was: the same boot, its memory moved. */
	_cleanup_free_ char *after = NULL;
	assert_int_equal(harness_wait_console_from(log, mark, "count ", 60000, &after), 0);
	unsigned n = 0;
	assert_int_equal(sscanf(strstr(after, "count "), "count %u", &n), 1);
	assert_true(n > 3);
	/* stop there. */
	_cleanup_(run_done) Run s = agent_on(harness_peer_bus_address(), config, "stop",
					     (const char *const[]){"OCF_RESKEY_force_stop=true", NULL});
	expect_code(&s, OCF_SUCCESS, "stop there");
	harness_peer_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate),     cmocka_unit_test(test_return_codes),
		cmocka_unit_test(test_crm_validate), cmocka_unit_test(test_ocf_tester),
		cmocka_unit_test(test_migrate),
	};
	return harness_run_tests("ocf", tests, ELEMENTSOF(tests), 0);
}
