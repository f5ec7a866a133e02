/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ssh:// destinations end to end, with a real sshd: the harness's own
 * (harness-ssh.c) on 127.0.0.1, whose one authorized key runs
 * systemd-stdio-bridge to the second host's bus, as a real host's would
 * to its system bus. The source daemon's sd-bus runs ssh as it would
 * between two hosts (the harness only puts a wrapper first on PATH that
 * adds -F with the test's ssh_config). Domain.Migrate to
 * ssh://root@127.0.0.1:PORT moves the counting guest there; an ssh that
 * cannot connect, a key sshd refuses, a host key nobody knows, a
 * destination without its daemon or without its bus fail the job and leave the guest
 * running here; zvirtctl -H reaches the other daemon, and zvirtctl
 * migrate takes virsh's qemu+ssh:// form.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "zvirtctl-run.h"

#define JOB_IFACE "org.zvirt1.Job"
#define ROOT      "/org/zvirt1"
/* The destination's relocation server, on its own loopback address. */
#define PEER_ACCEPTS "[Relocation]\nServer=yes\nAddress=127.0.0.3\n"

static bool ssh_ok;
static char *host;        /* root@127.0.0.1:PORT, for -H */
static char *destination; /* ssh://root@127.0.0.1:PORT */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The daemon's stderr, where the ssh it runs writes why it failed. */
static char *daemon_stderr(void)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/zvirtd.stderr", harness_tmpdir()) > 0);
	return p;
}

/* The peer behind sshd: its bus is what the authorized key leads to. */
static void test_setup(void **state)
{
	assert_int_equal(harness_peer_start(PEER_ACCEPTS), 0);
	_cleanup_free_ char *bus = NULL;
	assert_true(asprintf(&bus, "unix:path=%s/system_bus_socket", harness_peer_dir()) > 0);
	int r = harness_sshd_start(bus);
	if (r == -EOPNOTSUPP)
		skip();
	assert_int_equal(r, 0);
	assert_true(asprintf(&host, "root@127.0.0.1:%u", (unsigned)harness_sshd_port()) > 0);
	assert_true(asprintf(&destination, "ssh://%s", host) > 0);
	ssh_ok = true;
}

static Run ctl_host(const char *const *argv)
{
	const char *args[16] = {"-H", host};
	size_t n = 2;
	for (; *argv; argv++) {
		assert_true(n < ELEMENTSOF(args) - 1);
		args[n++] = *argv;
	}
	args[n] = NULL;
	return run_argv(false, false, args);
}
#define CTL_HOST(...) ctl_host((const char *const[]){__VA_ARGS__, NULL})

/* zvirtctl -H: the other daemon's domains, a privileged call authorized
 * there (the session is root's), and a refused key. */
static void test_zvirtctl_host(void **state)
{
	if (!ssh_ok)
		skip();
	_cleanup_free_ char *xml = harness_minimal_xml("ssh-remote", NULL);
	_cleanup_free_ char *ppath = harness_peer_define(xml);
	_cleanup_free_ char *sshd_log = NULL;
	assert_true(asprintf(&sshd_log, "%s/sshd.log", harness_ssh_dir()) > 0);
	off_t sshd_mark = harness_file_size(sshd_log);

	double t0 = now_s();
	{
		_cleanup_(run_done) Run r = CTL_HOST("list", "--all");
		if (r.code != 0)
			fail_msg("zvirtctl -H %s list --all exited %d: %s", host, r.code, r.err);
		assert_string_equal(r.out, " Id   Name         State\n"
					   "-----------------------------\n"
					   " -    ssh-remote   shut off\n\n");
	}
	fprintf(stderr, "timing: zvirtctl -H list --all over ssh: %.2f s\n", now_s() - t0);
	if (harness_wait_console_from(sshd_log, sshd_mark, "Accepted publickey for root from 127.0.0.1",
				      5000, NULL) < 0)
		fail_msg("sshd did not log root's login");
	{
		_cleanup_(run_done) Run r = CTL_HOST("list", "--all", "--json");
		assert_int_equal(r.code, 0);
		json_object *doc = parse_json(r.out);
		json_object *list = member(doc, "domains");
		assert_int_equal(json_object_array_length(list), 1);
		assert_string_equal(member_string(json_object_array_get_idx(list, 0), "name"), "ssh-remote");
		json_object_put(doc);
	}
	/* The primary's own list is not the remote one. */
	{
		_cleanup_(run_done) Run r = CTL("list", "--all", "--name");
		assert_int_equal(r.code, 0);
		assert_null(strstr(r.out, "ssh-remote"));
	}

	/* Undefine is privileged: the peer's polkit lets root, the identity
	 * systemd-stdio-bridge has on its bus, do it. */
	{
		_cleanup_(run_done) Run r = CTL_HOST("undefine", "ssh-remote");
		if (r.code != 0)
			fail_msg("zvirtctl -H undefine exited %d: %s", r.code, r.err);
	}
	_cleanup_free_ char *gone = harness_peer_lookup("ssh-remote");
	assert_null(gone);

	/* A key sshd does not know: BatchMode, so no password prompt; ssh's
	 * reason, then zvirtctl's error line; exit status 1. */
	assert_int_equal(harness_ssh_client(HARNESS_SSH_OTHER_KEY), 0);
	{
		_cleanup_(run_done) Run r = CTL_HOST("list", "--all");
		_cleanup_free_ char *line = NULL;
		assert_true(asprintf(&line,
				     "\nerror: org.freedesktop.DBus.Error.NoServer: Cannot reach the system "
				     "bus of %s over ssh and systemd-stdio-bridge: ",
				     host) > 0);
		fprintf(stderr, "zvirtctl -H with a refused key: exit %d, stderr:\n%s", r.code, r.err);
		assert_int_equal(r.code, EXIT_FAILURE_OTHER);
		assert_string_equal(r.out, "");
		assert_contains(r.err, "Permission denied (publickey)");
		assert_contains(r.err, line);
	}
	assert_int_equal(harness_ssh_client(HARNESS_SSH_AUTHORIZED), 0);
}

static char *migrate(const char *path, const char *to)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}", to, 1, "live", "b", 1);
	const char *job;
	assert_int_equal(sd_bus_message_read(reply, "o", &job), 1);
	assert_string_not_equal(job, "/");
	return strdup(job);
}

static char *wait_job(const char *job, size_t mark)
{
	assert_non_null(harness_wait_signal(mark, job, JOB_IFACE, "Completed", NULL, 60000));
	return harness_get_string(job, JOB_IFACE, "State");
}

/* A TCP port on 127.0.0.1 where nobody listens. */
static unsigned closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* A migration to `to` that fails: the job says `why` (and ssh said
 * `ssh_says` on the daemon's stderr, when not NULL); the guest runs on
 * here untouched and nothing is left on the destination. */
static void expect_failed(const char *path, const char *to, const char *why, const char *ssh_says)
{
	_cleanup_free_ char *err_log = daemon_stderr();
	off_t err_mark = harness_file_size(err_log);
	uint64_t seq = harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence");
	size_t mark = harness_signal_mark();
	double t0 = now_s();
	_cleanup_free_ char *job = migrate(path, to);
	_cleanup_free_ char *final = wait_job(job, mark);
	double took = now_s() - t0;
	_cleanup_free_ char *error = harness_get_string(job, JOB_IFACE, "Error");
	fprintf(stderr, "%s: job %s after %.2f s: %s\n", to, final, took, error);
	assert_string_equal(final, "failed");
	if (!strstr(error, why))
		fail_msg("the job's error does not say '%s': %s", why, error);
	if (ssh_says && harness_wait_console_from(err_log, err_mark, ssh_says, 5000, NULL) < 0)
		fail_msg("ssh did not say '%s' on the daemon's stderr", ssh_says);
	harness_assert_state(path, "running", "booted");
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence"), seq);
	if (harness_peer_daemon_pid() > 0) {
		_cleanup_free_ char *left = harness_peer_lookup("ssh-ref");
		assert_null(left);
	}
}

/* What ssh cannot do fails the job, never the guest. */
static void test_refused(void **state)
{
	if (!ssh_ok)
		skip();
	_cleanup_free_ char *xml = harness_guest_xml("ssh-ref");
	_cleanup_free_ char *path = harness_define(xml);
	harness_boot_guest(path, "ssh-ref");

	/* Refused before any ssh runs: no port, or one that is not. */
	const char *const bad[] = {"ssh://root@127.0.0.1:", "ssh://root@127.0.0.1:0",
				   "ssh://root@127.0.0.1:65536", "ssh://root@127.0.0.1:22x"};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		harness_expect_error(ZVIRT_ERROR("InvalidArgument"), path, ZVIRT_DOMAIN_IFACE, "Migrate",
				     "sa{sv}", bad[i], 0);

	/* Nothing listens there. */
	_cleanup_free_ char *nowhere = NULL;
	assert_true(asprintf(&nowhere, "ssh://root@127.0.0.1:%u", closed_port()) > 0);
	expect_failed(path, nowhere, "127.0.0.1", "Connection refused");

	/* sshd refuses the key (BatchMode: no password asked). */
	assert_int_equal(harness_ssh_client(HARNESS_SSH_OTHER_KEY), 0);
	expect_failed(path, destination, "127.0.0.1", "Permission denied (publickey)");

	/* A host key nobody vouched for (StrictHostKeyChecking). */
	assert_int_equal(harness_ssh_client(HARNESS_SSH_UNKNOWN_HOST), 0);
	expect_failed(path, destination, "127.0.0.1", "Host key verification failed");
	assert_int_equal(harness_ssh_client(HARNESS_SSH_AUTHORIZED), 0);

	/* ssh and the bridge work, the bus is there, its zvirtd is not. */
	_cleanup_free_ char *sshd_log = NULL;
	assert_true(asprintf(&sshd_log, "%s/sshd.log", harness_ssh_dir()) > 0);
	off_t sshd_mark = harness_file_size(sshd_log);
	assert_int_equal(harness_peer_stop_daemon(), 0);
	expect_failed(path, destination, "org.zvirt1", NULL);
	assert_int_equal(
		harness_wait_console_from(sshd_log, sshd_mark, "Accepted publickey for root", 5000, NULL),
		0);
	assert_int_equal(harness_peer_start_daemon(), 0);

	/* No bus there at all: the bridge ends at once (its own complaint
	 * goes to its host's log, not through ssh). */
	harness_peer_stop();
	sshd_mark = harness_file_size(sshd_log);
	expect_failed(path, destination, "127.0.0.1", NULL);
	assert_int_equal(
		harness_wait_console_from(sshd_log, sshd_mark, "Accepted publickey for root", 5000, NULL),
		0);
	assert_int_equal(harness_peer_start(PEER_ACCEPTS), 0);

	/* The guest never noticed. */
	_cleanup_free_ char *out = harness_guest_command(path, "echo still-here", 30000);
	assert_non_null(strstr(out, "still-here"));
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

/* The real thing over ssh: the guest keeps its memory (it counts on)
 * and its boot (same boot id); the state/reason pairs on both sides. */
static void test_live(void **state)
{
	if (!ssh_ok)
		skip();
	_cleanup_free_ char *xml = harness_guest_xml("ssh-live");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *log = harness_console_log("ssh-live");
	harness_boot_guest(path, "ssh-live");
	_cleanup_free_ char *pty = harness_console_pty(path);
	_cleanup_free_ char *boot = harness_guest_boot_id(pty);
	_cleanup_free_ char *started = harness_guest_command(path, "count start", 30000);
	assert_int_equal(harness_wait_console_from(log, 0, "count 3", 30000, NULL), 0);

	_cleanup_free_ char *sshd_log = NULL;
	assert_true(asprintf(&sshd_log, "%s/sshd.log", harness_ssh_dir()) > 0);
	off_t sshd_mark = harness_file_size(sshd_log);
	size_t mark = harness_signal_mark(), pmark = harness_peer_signal_mark();
	double t0 = now_s();
	_cleanup_free_ char *job = migrate(path, destination);
	_cleanup_free_ char *final = wait_job(job, mark);
	double took = now_s() - t0;
	if (strcmp(final, "completed") != 0) {
		_cleanup_free_ char *error = harness_get_string(job, JOB_IFACE, "Error");
		fail_msg("the migration to %s ended %s: %s", destination, final, error);
	}
	fprintf(stderr, "timing: live migration over %s: %.2f s (Migrate to the job's end)\n", destination,
		took);
	/* It went through sshd, as root with the client key. */
	if (harness_wait_console_from(sshd_log, sshd_mark, "Accepted publickey for root from 127.0.0.1",
				      5000, NULL) < 0)
		fail_msg("sshd did not log the source daemon's login");
	assert_int_equal(harness_wait_state(path, "shut-off", "migrated", HARNESS_STATE_TIMEOUT_MS), 0);
	unsigned before = harness_guest_last_count(log);
	off_t log_mark = harness_file_size(log);
	_cleanup_free_ char *ppath = harness_peer_lookup("ssh-live");
	assert_non_null(ppath);
	harness_peer_assert_state(ppath, "running", "migrated");
	assert_non_null(
		harness_peer_wait_signal(pmark, ppath, ZVIRT_DOMAIN_IFACE, "StateChanged", "paused", 5000));
	harness_assert_counts_past(log, log_mark, before);
	_cleanup_free_ char *ppty = harness_peer_console_pty(ppath);
	_cleanup_free_ char *boot_there = harness_guest_boot_id(ppty);
	assert_string_equal(boot_there, boot);

	/* zvirtctl -H sees it running there. */
	{
		_cleanup_(run_done) Run r = CTL_HOST("domstate", "--reason", "ssh-live");
		assert_int_equal(r.code, 0);
		assert_string_equal(r.out, "running (migrated)\n\n");
	}
	sd_bus_message_unref(harness_peer_call(ppath, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_undefine(path);
}

/* zvirtctl migrate with virsh's qemu+ssh:// URI: refused by sshd it
 * fails and the guest stays; then a paused guest goes and stays paused
 * there; zvirtctl -H destroys it there. */
static void test_zvirtctl_migrate(void **state)
{
	if (!ssh_ok)
		skip();
	_cleanup_free_ char *xml = harness_guest_xml("ssh-ctl");
	_cleanup_free_ char *path = harness_define(xml);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	assert_int_equal(harness_wait_state(path, "paused", "user", HARNESS_STATE_TIMEOUT_MS), 0);

	_cleanup_free_ char *uri = NULL, *expect = NULL;
	assert_true(asprintf(&uri, "qemu+ssh://%s/system", host) > 0);
	/* A key sshd refuses: the job's failure is zvirtctl's, the guest stays. */
	assert_int_equal(harness_ssh_client(HARNESS_SSH_OTHER_KEY), 0);
	{
		_cleanup_(run_done) Run r = CTL("migrate", "ssh-ctl", uri, "--live", "--suspend");
		fprintf(stderr, "zvirtctl migrate with a refused key: exit %d, stderr: %s", r.code, r.err);
		assert_int_equal(r.code, EXIT_FAILURE_OTHER);
		assert_string_equal(r.out, "");
		assert_contains(r.err, "error: ");
	}
	assert_int_equal(harness_ssh_client(HARNESS_SSH_AUTHORIZED), 0);
	harness_assert_state(path, "paused", "user");

	assert_true(asprintf(&expect, "Domain 'ssh-ctl' migrated to %s\n\n", destination) > 0);
	{
		_cleanup_(run_done) Run r = CTL("migrate", "ssh-ctl", uri, "--live", "--suspend");
		if (r.code != 0)
			fail_msg("zvirtctl migrate ssh-ctl %s exited %d: %s", uri, r.code, r.err);
		assert_string_equal(r.out, expect);
	}
	assert_int_equal(harness_wait_state(path, "shut-off", "migrated", HARNESS_STATE_TIMEOUT_MS), 0);
	{
		_cleanup_(run_done) Run r = CTL_HOST("domstate", "--reason", "ssh-ctl");
		assert_int_equal(r.code, 0);
		assert_string_equal(r.out, "paused (user)\n\n");
	}
	{
		_cleanup_(run_done) Run r = CTL_HOST("destroy", "ssh-ctl");
		assert_int_equal(r.code, 0);
		assert_string_equal(r.out, "Domain 'ssh-ctl' destroyed\n\n");
	}
	_cleanup_free_ char *gone = harness_peer_lookup("ssh-ctl");
	assert_null(gone);
	harness_undefine(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup),
		cmocka_unit_test(test_zvirtctl_host),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_zvirtctl_migrate),
	};
	/* Without an sshd there is nothing to test here. */
	if (access("/usr/sbin/sshd", X_OK) < 0) {
		fprintf(stderr, "test-migrate-ssh: skipped: no /usr/sbin/sshd (Debian's openssh-server; "
				"tools/install-deps.sh installs it)\n");
		return 77;
	}
	int r = harness_run_tests("migrate-ssh", tests, ELEMENTSOF(tests), 0);
	free(host);
	free(destination);
	return r;
}
