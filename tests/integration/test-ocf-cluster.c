/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ocf:zvirt:ZVirtDomain in a real two-node Pacemaker/Corosync cluster:
 * node1 and node2 are network namespaces joined by veth (corosync's knet
 * over UDP, two_node, no fencing), each with its own mount, UTS and PID
 * namespace (ocf-cluster-node.sh) and its own zvirtd (node1 the harness's
 * daemon, node2 its peer), reached through the DBUS_SYSTEM_BUS_ADDRESS
 * each node's Pacemaker passes to its agents. The resource is configured
 * with crmsh as the README shows; moving it live-migrates the guest (it
 * counts on over there); losing the node that runs it (its corosync,
 * Pacemaker, zvirtd and QEMU killed) makes the cluster start it on the
 * other.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "zvirtctl-run.h"

#define CLUSTER_TIMEOUT_MS 120000
#define COMMAND_TIMEOUT_MS 60000
#define N_NODES            2

static const char *const node_names[N_NODES] = {"node1", "node2"};
static const char *const node_addrs[N_NODES] = {"10.77.0.1", "10.77.0.2"};

static struct {
	char *dir;            /* TMP/cluster: corosync.conf, agents/, node1/, node2/ */
	pid_t nodes[N_NODES]; /* `ip netns exec ... unshare ...`: its end is the node's */
} C;

/* What is missing for a cluster here, or NULL. */
static const char *cluster_missing(void)
{
	static const char *const tools[] = {"/usr/sbin/corosync", "/usr/sbin/pacemakerd",
					    "/usr/sbin/crm",      "/usr/sbin/crm_mon",
					    "/usr/bin/unshare",   "/usr/bin/nsenter"};
	for (size_t i = 0; i < ELEMENTSOF(tools); i++)
		if (access(tools[i], X_OK) < 0)
			return tools[i];
	return NULL;
}

static void write_corosync_conf(void)
{
	_cleanup_free_ char *conf = NULL, *path = NULL;
	assert_true(asprintf(&conf,
			     "totem {\n\tversion: 2\n\tcluster_name: zvirt-test\n\ttransport: knet\n"
			     "\tcrypto_cipher: none\n\tcrypto_hash: none\n\ttoken: 2000\n}\n"
			     "nodelist {\n"
			     "\tnode {\n\t\tname: %s\n\t\tnodeid: 1\n\t\tring0_addr: %s\n\t}\n"
			     "\tnode {\n\t\tname: %s\n\t\tnodeid: 2\n\t\tring0_addr: %s\n\t}\n}\n"
			     "quorum {\n\tprovider: corosync_votequorum\n\ttwo_node: 1\n}\n"
			     "logging {\n\tto_logfile: yes\n\tlogfile: /var/log/corosync/corosync.log\n"
			     "\tto_stderr: no\n\tto_syslog: no\n\ttimestamp: on\n}\n",
			     node_names[0], node_addrs[0], node_names[1], node_addrs[1]) > 0);
	assert_true(asprintf(&path, "%s/corosync.conf", C.dir) > 0);
	harness_write_file(path, conf);
}

/* Node i in its namespaces, its zvirtd at bus; its output in
 * TMP/cluster/NODE/node.out. PR_SET_PDEATHSIG and unshare's --kill-child
 * end the node with this test, however it ends. */
static void start_node(size_t i, const char *bus)
{
	_cleanup_free_ char *root = NULL, *out = NULL, *script = NULL, *agents = NULL, *ns = NULL;
	assert_true(asprintf(&root, "%s/%s", C.dir, node_names[i]) > 0);
	assert_true(asprintf(&out, "%s/node.out", root) > 0);
	assert_true(asprintf(&script, "%s/tests/integration/ocf-cluster-node.sh", harness_source_root()) >
		    0);
	assert_true(asprintf(&agents, "%s/agents", C.dir) > 0);
	ns = harness_netns_name(node_names[i]);
	pid_t parent = getpid();
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		FILE *f = freopen(out, "w", stdout);
		if (!f || dup2(STDOUT_FILENO, STDERR_FILENO) < 0 || !freopen("/dev/null", "r", stdin))
			_exit(127);
		execl("/usr/sbin/ip", "ip", "netns", "exec", ns, "/usr/bin/unshare", "-m", "-u", "-p", "-f",
		      "--kill-child", "--mount-proc", "--propagation", "private", "/bin/sh", script, root,
		      node_names[i], bus, agents, (char *)NULL);
		_exit(127);
	}
	C.nodes[i] = pid;
}

/* The node's PID 1 (the child unshare forked), as this namespace sees it. */
static pid_t node_init(size_t i)
{
	_cleanup_free_ char *path = NULL;
	assert_true(asprintf(&path, "/proc/%d/task/%d/children", (int)C.nodes[i], (int)C.nodes[i]) > 0);
	for (int64_t deadline = harness_now_ms() + 10000; harness_now_ms() < deadline;
	     harness_sleep_ms(50)) {
		_cleanup_free_ char *children = harness_read_file_if_exists(path);
		int pid = children ? atoi(children) : 0;
		if (pid > 0)
			return (pid_t)pid;
	}
	fail_msg("%s has no PID 1", node_names[i]);
	return 0;
}

/* The whole node at once: its PID namespace goes with its PID 1. */
static void kill_node(size_t i)
{
	if (C.nodes[i] <= 0)
		return;
	kill(C.nodes[i], SIGKILL);
	while (waitpid(C.nodes[i], NULL, 0) < 0 && errno == EINTR)
		;
	C.nodes[i] = 0;
}

/* sh -c cmd on node i, as its administrator would type it there. */
static Run on_node(size_t i, const char *cmd)
{
	_cleanup_free_ char *target = NULL;
	assert_true(asprintf(&target, "%d", (int)node_init(i)) > 0);
	const char *const argv[] = {"-t", target, "-n", "-m", "-u", "-p", "/bin/sh", "-c", cmd, NULL};
	return run_argv_within("/usr/bin/nsenter", false, false, argv, COMMAND_TIMEOUT_MS);
}

/* The node's logs, for a failure's message. */
static char *node_logs(size_t i)
{
	return harness_sh_out("cd '%s/%s' && tail -n 40 node.out corosync.out pacemakerd.out "
			      "var/log/pacemaker/pacemaker.log 2>&1 | tail -n 120",
			      C.dir, node_names[i]);
}

static void on_node_ok(size_t i, const char *cmd)
{
	_cleanup_(run_done) Run r = on_node(i, cmd);
	if (r.code != 0) {
		_cleanup_free_ char *logs = node_logs(i);
		fail_msg("%s on %s: exit %d\n%s%s\n%s", cmd, node_names[i], r.code, r.out, r.err, logs);
	}
}

/* Until `cmd` on node i prints `needle`. */
static void wait_on_node(size_t i, const char *cmd, const char *needle, int timeout_ms)
{
	_cleanup_free_ char *last = NULL;
	for (int64_t deadline = harness_now_ms() + timeout_ms; harness_now_ms() < deadline;
	     harness_sleep_ms(500)) {
		_cleanup_(run_done) Run r = on_node(i, cmd);
		if (r.code == 0 && strstr(r.out, needle))
			return;
		free(last);
		last = strdup(r.out);
	}
	_cleanup_free_ char *logs = node_logs(i);
	fail_msg("%s on %s never showed '%s':\n%s\n%s", cmd, node_names[i], needle, last ? last : "", logs);
}

static void wait_crm_mon(size_t i, const char *needle)
{
	wait_on_node(i, "crm_mon -1 -r", needle, CLUSTER_TIMEOUT_MS);
}

/* Where the cluster says vs1 runs, asked on node i. */
static void wait_located(size_t i, const char *node)
{
	_cleanup_free_ char *needle = NULL;
	assert_true(asprintf(&needle, "resource vs1 is running on: %s", node) > 0);
	wait_on_node(i, "crm_resource --locate -r vs1", needle, CLUSTER_TIMEOUT_MS);
}

/* crm_mon on node i has no failed action to show: every operation of
 * Pacemaker's so far (probes, start, migrate_to, migrate_from, stop)
 * ended as it expected. */
static void assert_no_failures(size_t i)
{
	_cleanup_(run_done) Run r = on_node(i, "crm_mon -1 -r");
	if (r.code != 0 || strstr(r.out, "Failed Resource Actions")) {
		_cleanup_free_ char *logs = node_logs(i);
		fail_msg("crm_mon on %s: exit %d\n%s%s\n%s", node_names[i], r.code, r.out, r.err, logs);
	}
}

/* The domain named `name` on a daemon, once it is there. */
static char *wait_domain(char *(*lookup)(const char *), const char *name, size_t node)
{
	for (int64_t deadline = harness_now_ms() + CLUSTER_TIMEOUT_MS; harness_now_ms() < deadline;
	     harness_sleep_ms(200)) {
		char *path = lookup(name);
		if (path)
			return path;
	}
	_cleanup_(run_done) Run r = on_node(node, "crm_mon -1 -r --show-detail");
	_cleanup_free_ char *logs = node_logs(node);
	fail_msg("%s never appeared on %s's zvirtd\n%s\n%s", name, node_names[node], r.out, logs);
	return NULL;
}

static void wait_domain_gone(char *(*lookup)(const char *), const char *name)
{
	for (int64_t deadline = harness_now_ms() + CLUSTER_TIMEOUT_MS; harness_now_ms() < deadline;
	     harness_sleep_ms(200)) {
		_cleanup_free_ char *path = lookup(name);
		if (!path)
			return;
	}
	fail_msg("%s is still there", name);
}

/* The cluster's resource.d: our agent as Pacemaker would find it
 * installed, and resource-agents' own beside it. */
static void make_agents_dir(void)
{
	harness_sh("mkdir -p '%s/agents/zvirt' && ln -sfn '%s/ocf/ZVirtDomain' "
		   "'%s/agents/zvirt/ZVirtDomain' && "
		   "ln -sfn /usr/lib/ocf/resource.d/heartbeat '%s/agents/heartbeat'",
		   C.dir, harness_source_root(), C.dir, C.dir);
}

/* Both daemons take migrations: the peer from its start, this one by
 * ReloadConfig. */
static void relocation_both_ways(void)
{
	assert_int_equal(harness_peer_start("[Relocation]\nServer=yes\nAddress=127.0.0.3\n"), 0);
	harness_sh("printf '[Relocation]\\nServer=yes\\nAddress=127.0.0.2\\n' >> '%s/zvirtd.conf'",
		   harness_tmpdir());
	sd_bus_message_unref(harness_call("/org/zvirt1", ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));
}

static void test_cluster(void **state)
{
	const char *missing = cluster_missing();
	if (missing) {
		fprintf(stderr,
			"skip: %s is not installed (tools/install-deps.sh installs "
			"pacemaker, corosync and crmsh)\n",
			missing);
		skip();
	}
	relocation_both_ways();

	assert_true(asprintf(&C.dir, "%s/cluster", harness_tmpdir()) > 0);
	const char *buses[N_NODES] = {address(), harness_peer_bus_address()};
	for (size_t i = 0; i < N_NODES; i++) {
		/* remoteuri's %n: TMP/cluster/NODE/system_bus_socket is that
		 * node's zvirtd. */
		_cleanup_free_ char *sock = bus_socket_path(buses[i]);
		harness_sh("mkdir -p '%s/%s' && ln -sfn '%s' '%s/%s/system_bus_socket'", C.dir,
			   node_names[i], sock, C.dir, node_names[i]);
	}
	make_agents_dir();
	write_corosync_conf();
	_cleanup_free_ char *addr1 = NULL, *addr2 = NULL;
	assert_true(asprintf(&addr1, "%s/24", node_addrs[0]) > 0);
	assert_true(asprintf(&addr2, "%s/24", node_addrs[1]) > 0);
	assert_int_equal(harness_netns_pair(node_names[0], addr1, node_names[1], addr2), 0);
	for (size_t i = 0; i < N_NODES; i++)
		start_node(i, buses[i]);
	wait_crm_mon(0, "Online: [ node1 node2 ]");

	/* The resource, as the README configures it (with this build's
	 * zvirtctl and the D-Bus addresses for a destination). */
	_cleanup_free_ char *xml = harness_guest_xml("vs1");
	_cleanup_free_ char *config = write_tmp("vs1.xml", xml);
	_cleanup_free_ char *crm = NULL;
	assert_true(asprintf(&crm,
			     "crm configure property stonith-enabled=false && "
			     "crm configure primitive vs1 ocf:zvirt:ZVirtDomain "
			     "params config='%s' zvirtctl='%s' "
			     "remoteuri='unix:path=%s/%%n/system_bus_socket' "
			     "migrate_options='--auto-converge' "
			     "meta allow-migrate=true target-role=Stopped "
			     "op monitor interval=5s timeout=60s op start timeout=120s "
			     "op stop timeout=120s op migrate_to timeout=180s "
			     "op migrate_from timeout=60s && "
			     "crm configure location vs1-home vs1 100: node1 && "
			     "crm resource start vs1",
			     config, binary(), C.dir) > 0);
	on_node_ok(0, crm);

	/* Started on node1, by node1's zvirtd. */
	_cleanup_free_ char *log = harness_console_log("vs1");
	_cleanup_free_ char *path = wait_domain(harness_lookup, "vs1", 0);
	assert_int_equal(harness_wait_state(path, "running", "booted", CLUSTER_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console_from(
				 log, 0, "zvirt-guest: ready boot_id=", HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	wait_located(0, "node1");
	assert_no_failures(0);
	free(harness_guest_command(path, "count start", 30000));
	assert_int_equal(harness_wait_console_from(log, 0, "count 3", 30000, NULL), 0);

	/* Moved: a live migration to node2's zvirtd, the guest counting on. */
	off_t mark = harness_file_size(log);
	unsigned before = harness_guest_last_count(log);
	int64_t moved = harness_now_ms();
	on_node_ok(0, "crm resource move vs1 node2");
	_cleanup_free_ char *ppath = wait_domain(harness_peer_lookup, "vs1", 1);
	assert_int_equal(harness_peer_wait_state(ppath, "running", "migrated", CLUSTER_TIMEOUT_MS), 0);
	wait_domain_gone(harness_lookup, "vs1");
	wait_located(0, "node2");
	assert_no_failures(0);
	fprintf(stderr, "moved to node2 in %lld ms\n", (long long)(harness_now_ms() - moved));
	harness_assert_counts_past(log, mark, before);
	harness_peer_assert_state(ppath, "running", "migrated");

	/* node2 fails whole: its cluster stack, its zvirtd, its QEMU. */
	_cleanup_free_ char *pidfile = harness_peer_run_file(ppath, ".pid");
	_cleanup_free_ char *qemu_pid = harness_read_file(pidfile);
	pid_t qemu = (pid_t)atoi(qemu_pid);
	assert_true(qemu > 0);
	int64_t lost = harness_now_ms();
	kill_node(1);
	assert_int_equal(harness_peer_kill_daemon(), 0);
	assert_int_equal(kill(qemu, SIGKILL), 0);
	assert_int_equal(harness_wait_pid_gone(qemu, 10000), 0);
	mark = harness_file_size(log);

	/* node1 sees it gone and starts the guest itself: a new boot. */
	wait_crm_mon(0, "OFFLINE: [ node2 ]");
	_cleanup_free_ char *again = wait_domain(harness_lookup, "vs1", 0);
	assert_int_equal(harness_wait_state(again, "running", "booted", CLUSTER_TIMEOUT_MS), 0);
	assert_int_equal(harness_wait_console_from(
				 log, mark, "zvirt-guest: ready boot_id=", HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
	wait_located(0, "node1");
	assert_no_failures(0);
	fprintf(stderr, "recovered on node1 %lld ms after node2 was lost\n",
		(long long)(harness_now_ms() - lost));

	/* The cluster stops it. */
	on_node_ok(0, "crm resource stop vs1");
	wait_domain_gone(harness_lookup, "vs1");
}

static int teardown_cluster(void **state)
{
	for (size_t i = 0; i < N_NODES; i++)
		kill_node(i);
	harness_peer_stop();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_cluster, teardown_cluster),
	};
	return harness_run_tests("ocf-cluster", tests, ELEMENTSOF(tests), 0);
}
