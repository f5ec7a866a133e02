/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * zvirtctl, the built binary, against the real daemon on the harness's
 * private bus: every command's output as a person reads it and as
 * --json gives it (parsed with json-c), the exit codes of the failures
 * (usage, unknown domain, nobody refused by polkit, bad XML, wrong
 * state) with their "error: NAME: message" line, and `event` seeing
 * the life cycle of one guest: start, reboot, shutdown, a paused start,
 * reset and destroy. One guest, booted twice (start and reboot).
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "harness.h"
#include "zvirtctl-run.h"

#define GUEST      "zc-guest"
#define GUEST_UUID "5a1e2c3d-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
#define SECOND     "zc-second"

/* ---- without a domain ---- */

static void test_usage_and_connection(void **state)
{
	{
		_cleanup_(run_done) Run r = CTL("frobnicate");
		expect_fail(&r, EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs");
		assert_contains(r.err, "unknown command 'frobnicate'");
	}
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "list", "--bogus");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "start");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "dominfo", "a", "b");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "shutdown", GUEST, "--timeout",
		    "soon");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "event", "--event", "weather");
	{
		/* No daemon at that address: another failure, not the caller's argument. */
		_cleanup_(run_done) Run r =
			run_argv(false, false,
				 (const char *const[]){"-c", "unix:path=/nonexistent/socket", "list", NULL});
		expect_fail(&r, EXIT_FAILURE_OTHER, "org.freedesktop.DBus.Error.NoServer");
	}
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "-c", "not-an-address", "list");

	_cleanup_free_ char *help = OK("help", "start");
	assert_contains(help, "zvirtctl start DOMAIN [--paused] [--force-boot]");
	_cleanup_free_ char *all = OK("--help");
	assert_contains(all, "domxml-to-native");
	_cleanup_free_ char *types = OK("event", "--list");
	assert_contains(types, "lifecycle");
}

static void test_host_commands(void **state)
{
	/* The default connection: the system bus, which the environment names here. */
	_cleanup_(run_done) Run r = run_argv(false, false, (const char *const[]){"version", NULL});
	assert_int_equal(r.code, 0);
	assert_contains(r.out, "Client:         zvirtctl " PACKAGE_VERSION_FOR_TEST "\n");
	assert_contains(r.out, "Daemon:         zvirtd ");

	_cleanup_free_ char *vj = OK("version", "--json");
	json_object *v = parse_json(vj);
	_cleanup_free_ char *daemon_version =
		harness_get_string(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "Version");
	assert_string_equal(member_string(v, "daemon"), daemon_version);
	assert_string_equal(member_string(v, "client"), PACKAGE_VERSION_FOR_TEST);
	_cleanup_free_ char *accel =
		harness_get_string(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "Accelerator");
	assert_string_equal(member_string(v, "accelerator"), accel);
	json_object_put(v);

	_cleanup_free_ char *caps = OK("capabilities");
	assert_contains(caps, "<capabilities>");
	assert_contains(caps, "<arch name='s390x'>");
	_cleanup_free_ char *cj = OK("--json", "capabilities");
	json_object *c = parse_json(cj);
	assert_contains(member_string(c, "xml"), "<capabilities>");
	json_object_put(c);

	/* The host's links: lo is there, up, a loopback. */
	_cleanup_free_ char *links = OK("iface-list", "--all");
	assert_contains(links, " Name ");
	assert_contains(links, "\n lo ");
	_cleanup_free_ char *lj = OK("iface-list", "--all", "--json");
	json_object *ls = parse_json(lj);
	bool lo = false;
	for (size_t i = 0; i < json_object_array_length(member(ls, "interfaces")); i++) {
		json_object *link = json_object_array_get_idx(member(ls, "interfaces"), i);
		if (strcmp(member_string(link, "name"), "lo") == 0) {
			assert_string_equal(member_string(link, "kind"), "loopback");
			assert_true(json_object_get_boolean(member(link, "up")));
			lo = true;
		}
	}
	assert_true(lo);
	json_object_put(ls);
	_cleanup_free_ char *down = OK("iface-list", "--inactive");
	if (strstr(down, "\n lo "))
		fail_msg("lo listed as inactive:\n%s", down);

	/* No domain yet: virsh's empty table. */
	_cleanup_free_ char *empty = OK("list", "--all");
	assert_string_equal(empty, " Id   Name   State\n--------------------\n\n");
	_cleanup_free_ char *ej = OK("list", "--json");
	json_object *e = parse_json(ej);
	assert_int_equal(json_object_array_length(member(e, "domains")), 0);
	json_object_put(e);

	/* nodeinfo: the Manager's host properties. */
	_cleanup_free_ char *ni = OK("nodeinfo");
	_cleanup_free_ char *ni_expect = NULL;
	assert_true(asprintf(&ni_expect,
			     "CPU model:           s390x\nCPU(s):              %" PRIu32
			     "\nMemory size:         %" PRIu64 " KiB\nReserved memory:     %" PRIu64
			     " KiB\nDomains:             0 (0 active)\n\n",
			     harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "HostCPUs"),
			     harness_get_u64(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "HostMemory") / 1024,
			     harness_get_u64(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ReservedHostMemory") /
				     1024) > 0);
	assert_string_equal(ni, ni_expect);
	_cleanup_free_ char *nij = OK("nodeinfo", "--json");
	json_object *nj = parse_json(nij);
	assert_int_equal(json_object_get_int64(member(nj, "cpus")),
			 harness_get_u32(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "HostCPUs"));
	assert_true(json_object_get_int64(member(nj, "memory")) > 0);
	assert_int_equal(json_object_get_int64(member(nj, "domains")), 0);
	json_object_put(nj);
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "nodeinfo", "--domain", GUEST);
	{
		/* Open to every user. */
		_cleanup_(run_done) Run n = CTL_NOBODY("nodeinfo");
		assert_int_equal(n.code, 0);
		assert_string_equal(n.out, ni_expect);
	}

	/* daemon-reload: taken; a bad drop-in refused, naming it; nobody refused. */
	_cleanup_free_ char *reload = OK("daemon-reload");
	assert_string_equal(reload, "");
	_cleanup_free_ char *dir = NULL, *dropin = NULL;
	assert_true(asprintf(&dir, "%s/zvirtd.conf.d", harness_tmpdir()) > 0);
	assert_true(asprintf(&dropin, "%s/99-zvirtctl.conf", dir) > 0);
	assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
	harness_write_file(dropin, "[Daemon]\nLogLevel=chatty\n");
	{
		_cleanup_(run_done) Run bad = CTL("daemon-reload");
		expect_fail(&bad, EXIT_INVALID, "org.zvirt1.Error.InvalidArgument");
		assert_contains(bad.err, "99-zvirtctl.conf");
	}
	assert_return_code(unlink(dropin), 0);
	{
		_cleanup_(run_done) Run refused = CTL_NOBODY("daemon-reload");
		expect_fail(&refused, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	_cleanup_free_ char *rj = OK("daemon-reload", "--json");
	json_object *ro = parse_json(rj);
	assert_true(json_object_get_boolean(member(ro, "reloaded")));
	json_object_put(ro);
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "daemon-reload", "now");
}

/* ---- a defined domain ---- */

static void test_define_and_read(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml_uuid(GUEST, GUEST_UUID);
	_cleanup_free_ char *file = write_tmp("zc-guest.xml", xml);

	_cleanup_free_ char *out = OK("define", file);
	_cleanup_free_ char *expect = NULL;
	assert_true(asprintf(&expect, "Domain '%s' defined from %s\n\n", GUEST, file) > 0);
	assert_string_equal(out, expect);

	_cleanup_free_ char *path = harness_lookup(GUEST);
	assert_non_null(path);
	_cleanup_free_ char *uuid = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "UUID");
	_cleanup_free_ char *reason = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "StateReason");

	/* Redefining is an edit, and says so the same way. */
	_cleanup_free_ char *again = OK("define", file);
	assert_string_equal(again, expect);

	/* list: only running ones by default; --all shows it, aligned as virsh's. */
	_cleanup_free_ char *active = OK("list");
	assert_string_equal(active, " Id   Name   State\n--------------------\n\n");
	_cleanup_free_ char *all = OK("list", "--all");
	assert_string_equal(all, " Id   Name       State\n"
				 "---------------------------\n"
				 " -    zc-guest   shut off\n\n");
	_cleanup_free_ char *names = OK("list", "--all", "--name");
	assert_string_equal(names, GUEST "\n");
	_cleanup_free_ char *uuids = OK("list", "--inactive", "--uuid");
	_cleanup_free_ char *uuid_line = NULL;
	assert_true(asprintf(&uuid_line, "%s\n", uuid) > 0);
	assert_string_equal(uuids, uuid_line);
	_cleanup_free_ char *none = OK("list", "--all", "--transient", "--name");
	assert_string_equal(none, "");
	_cleanup_free_ char *shutoff = OK("list", "--state-shutoff", "--name");
	assert_string_equal(shutoff, GUEST "\n");
	_cleanup_free_ char *running = OK("list", "--state-running", "--state-paused", "--name");
	assert_string_equal(running, "");
	_cleanup_free_ char *persistent =
		OK("list", "--persistent", "--all", "--without-managed-save", "--name");
	assert_string_equal(persistent, GUEST "\n");

	_cleanup_free_ char *lj = OK("list", "--all", "--json");
	json_object *l = parse_json(lj);
	json_object *domains = member(l, "domains");
	assert_int_equal(json_object_array_length(domains), 1);
	json_object *d = json_object_array_get_idx(domains, 0);
	assert_string_equal(member_string(d, "name"), GUEST);
	assert_string_equal(member_string(d, "uuid"), uuid);
	assert_null(member(d, "id"));
	assert_string_equal(member_string(d, "state"), "shut-off");
	assert_string_equal(member_string(d, "reason"), reason);
	assert_true(json_object_get_boolean(member(d, "persistent")));
	assert_false(json_object_get_boolean(member(d, "autostart")));
	assert_false(json_object_get_boolean(member(d, "managed-save")));
	json_object_put(l);

	/* The domain by name, by UUID dashed and not, and with --domain. */
	_cleanup_free_ char *st = OK("domstate", GUEST);
	assert_string_equal(st, "shut off\n\n");
	_cleanup_free_ char *str = OK("domstate", "--reason", "--domain", GUEST);
	_cleanup_free_ char *str_expect = NULL;
	assert_true(asprintf(&str_expect, "shut off (%s)\n\n", reason) > 0);
	assert_string_equal(str, str_expect);
	_cleanup_free_ char *name = OK("domname", uuid);
	assert_string_equal(name, GUEST "\n\n");
	char bare[33];
	size_t j = 0;
	for (const char *p = uuid; *p; p++)
		if (*p != '-')
			bare[j++] = *p;
	bare[j] = 0;
	_cleanup_free_ char *name2 = OK("domname", bare);
	assert_string_equal(name2, GUEST "\n\n");
	_cleanup_free_ char *u = OK("domuuid", GUEST);
	_cleanup_free_ char *u_expect = NULL;
	/* virsh's empty line after a value. */
	assert_true(asprintf(&u_expect, "%s\n\n", uuid) > 0);
	assert_string_equal(u, u_expect);
	_cleanup_free_ char *id = OK("domid", GUEST);
	assert_string_equal(id, "-\n\n");
	_cleanup_free_ char *idj = OK("domid", GUEST, "--json");
	json_object *i = parse_json(idj);
	assert_null(member(i, "id"));
	json_object_put(i);
	_cleanup_free_ char *sj = OK("domstate", GUEST, "--json");
	json_object *s = parse_json(sj);
	assert_string_equal(member_string(s, "state"), "shut-off");
	assert_string_equal(member_string(s, "reason"), reason);
	json_object_put(s);

	_cleanup_free_ char *info = OK("dominfo", GUEST);
	_cleanup_free_ char *info_expect = NULL;
	assert_true(asprintf(&info_expect,
			     "Id:             -\n"
			     "Name:           %s\n"
			     "UUID:           %s\n"
			     "OS Type:        hvm\n"
			     "State:          shut off\n"
			     "CPU(s):         1\n"
			     "Max memory:     262144 KiB\n"
			     "Used memory:    262144 KiB\n"
			     "Persistent:     yes\n"
			     "Autostart:      disable\n"
			     "Managed save:   no\n\n",
			     GUEST, uuid) > 0);
	assert_string_equal(info, info_expect);
	_cleanup_free_ char *ij = OK("dominfo", GUEST, "--json");
	json_object *in = parse_json(ij);
	assert_string_equal(member_string(in, "name"), GUEST);
	assert_int_equal(json_object_get_int64(member(in, "max-memory")), 262144 * 1024LL);
	assert_int_equal(json_object_get_int64(member(in, "vcpus")), 1);
	assert_null(member(in, "cpu-time-ns"));
	json_object_put(in);

	/* dumpxml: what GetXMLDesc says, with the options passed. */
	_cleanup_free_ char *dx = OK("dumpxml", GUEST);
	_cleanup_free_ char *daemon_xml = harness_get_xml(path);
	assert_string_equal(dx, daemon_xml);
	_cleanup_free_ char *dxi = OK("dumpxml", GUEST, "--inactive", "--migratable");
	assert_contains(dxi, "<name>" GUEST "</name>");
	_cleanup_free_ char *dxs = OK("dumpxml", GUEST, "--security-info");
	assert_contains(dxs, "<uuid>");
	_cleanup_free_ char *dj = OK("dumpxml", GUEST, "--json");
	json_object *dd = parse_json(dj);
	assert_string_equal(member_string(dd, "xml"), daemon_xml);
	json_object_put(dd);

	/* autostart and back. */
	_cleanup_free_ char *as = OK("autostart", GUEST);
	assert_string_equal(as, "Domain '" GUEST "' marked as autostarted\n\n");
	assert_true(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
	_cleanup_free_ char *asl = OK("list", "--all", "--autostart", "--name");
	assert_string_equal(asl, GUEST "\n");
	_cleanup_free_ char *asd = OK("autostart", "--disable", GUEST, "--json");
	json_object *a = parse_json(asd);
	assert_false(json_object_get_boolean(member(a, "autostart")));
	json_object_put(a);
	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
	_cleanup_free_ char *nas = OK("list", "--all", "--autostart", "--name");
	assert_string_equal(nas, "");
}

/* The bash completion of the source tree, completing `line` (its last
 * word the one to complete), with the built zvirtctl first on PATH. */
static char *complete(const char *line)
{
	_cleanup_free_ char *dir = strdup(binary());
	assert_non_null(dir);
	*strrchr(dir, '/') = 0;
	return harness_sh_out("PATH='%s':\"$PATH\" bash -c 'source \"%s/zvirtctl/completion/zvirtctl\"; "
			      "COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _zvirtctl; "
			      "printf \"%%s\\n\" \"${COMPREPLY[@]}\"'",
			      dir, harness_source_root(), line);
}

static void test_completion(void **state)
{
	_cleanup_free_ char *line = NULL;

	/* Domain names from the daemon, on the -c connection the line names. */
	assert_true(asprintf(&line, "zvirtctl -c '%s' start zc", address()) > 0);
	_cleanup_free_ char *names = complete(line);
	assert_string_equal(names, GUEST);
	_cleanup_free_ char *cmds = complete("zvirtctl domx");
	assert_string_equal(cmds, "domxml-to-native");
	_cleanup_free_ char *cmds2 = complete("zvirtctl managedsave");
	assert_string_equal(cmds2, "managedsave\nmanagedsave-remove");
	_cleanup_free_ char *opts = complete("zvirtctl destroy vs1 --gr");
	assert_string_equal(opts, "--graceful");
	_cleanup_free_ char *events = complete("zvirtctl event --event l");
	assert_string_equal(events, "lifecycle");
}

static void test_validate_native_undefine(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml_uuid(GUEST, GUEST_UUID);
	_cleanup_free_ char *file = write_tmp("zc-validate.xml", xml);
	_cleanup_free_ char *bad =
		write_tmp("zc-bad.xml", "<domain type='kvm'><name>x</name><bogus/></domain>\n");

	_cleanup_free_ char *v = OK("validate", file);
	_cleanup_free_ char *v_expect = NULL;
	assert_true(asprintf(&v_expect, "%s validates\n", file) > 0);
	assert_string_equal(v, v_expect);
	_cleanup_free_ char *vj = OK("validate", "--json", file);
	json_object *o = parse_json(vj);
	assert_true(json_object_get_boolean(member(o, "valid")));
	assert_int_equal(json_object_array_length(member(o, "warnings")), 0);
	json_object_put(o);

	/* A warning of the seed's: a DASD by its device number. */
	_cleanup_free_ char *dasd_xml =
		harness_guest_xml_devices("zc-dasd", "    <disk type='block' device='disk'>\n"
						     "      <driver name='qemu' type='raw'/>\n"
						     "      <source dev='/dev/disk/by-path/ccw-0.0.7500'/>\n"
						     "      <target dev='vdb' bus='virtio'/>\n"
						     "    </disk>\n");
	_cleanup_free_ char *dasd = write_tmp("zc-dasd.xml", dasd_xml);
	{
		_cleanup_(run_done) Run r = CTL("validate", dasd);
		assert_int_equal(r.code, 0);
		assert_contains(r.err, "warning: ");
		assert_contains(r.err, "ccw-0.0.7500");
		assert_contains(r.out, "validates");
	}

	{
		_cleanup_(run_done) Run r = CTL("validate", bad);
		expect_fail(&r, EXIT_INVALID, "org.zvirt1.Error.InvalidXML");
		assert_contains(r.err, "bogus");
	}
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidXML", "define", bad);
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.FileNotFound", "define",
		    "/nonexistent/vs1.xml");
	assert_null(harness_lookup("x"));

	/* domxml-to-native: the daemon's line, from a file or a domain. */
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DomainXMLToNative", "ssa{sv}",
			     "qemu-argv", xml, 0);
	const char *native;
	assert_return_code(sd_bus_message_read(reply, "s", &native), 0);
	_cleanup_free_ char *n = OK("domxml-to-native", "qemu-argv", file);
	_cleanup_free_ char *n_expect = NULL;
	assert_true(asprintf(&n_expect, "%s%s", native, native[strlen(native) - 1] == '\n' ? "" : "\n") > 0);
	assert_string_equal(n, n_expect);
	assert_contains(n, "-machine");
	_cleanup_free_ char *nd = OK("domxml-to-native", "qemu-argv", "--domain", GUEST, "--json");
	json_object *nj = parse_json(nd);
	assert_contains(member_string(nj, "native"), "-machine");
	json_object_put(nj);
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "domxml-to-native", "xen-xm", file);

	/* undefine a second domain; then it is not there. */
	_cleanup_free_ char *min = harness_minimal_xml(SECOND, NULL);
	_cleanup_free_ char *second = write_tmp("zc-second.xml", min);
	_cleanup_free_ char *d = OK("define", "--json", second);
	json_object *dj = parse_json(d);
	assert_string_equal(member_string(dj, "name"), SECOND);
	assert_string_equal(member_string(dj, "state"), "shut-off");
	json_object_put(dj);
	_cleanup_free_ char *u = OK("undefine", SECOND);
	assert_string_equal(u, "Domain '" SECOND "' has been undefined\n\n");
	assert_null(harness_lookup(SECOND));
	EXPECT_FAIL(EXIT_NO_DOMAIN, "org.zvirt1.Error.NoSuchDomain", "undefine", SECOND);
}

static void test_errors(void **state)
{
	/* Unknown domain, by each kind of name. */
	{
		_cleanup_(run_done) Run r = CTL("dominfo", "no-such-domain");
		expect_fail(&r, EXIT_NO_DOMAIN, "org.zvirt1.Error.NoSuchDomain");
		assert_contains(r.err, "no-such-domain");
	}
	EXPECT_FAIL(EXIT_NO_DOMAIN, "org.zvirt1.Error.NoSuchDomain", "start", "4711");
	EXPECT_FAIL(EXIT_NO_DOMAIN, "org.zvirt1.Error.NoSuchDomain", "domstate",
		    "6c1c1a7e-0b2d-4f6a-9d3e-5b8c7a1f2e3d");
	EXPECT_FAIL(EXIT_NO_DOMAIN, "org.zvirt1.Error.NoSuchDomain", "event", "--domain", "no-such-domain");

	/* Wrong state: nothing to suspend or resume while shut off. */
	{
		_cleanup_(run_done) Run r = CTL("suspend", GUEST);
		expect_fail(&r, EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid");
		assert_contains(r.err, "shut-off");
	}
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "resume", GUEST);
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "destroy", GUEST);

	/* nobody reads, but polkit refuses it the calls that change things. */
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("list", "--all", "--name");
		assert_int_equal(r.code, 0);
		assert_string_equal(r.out, GUEST "\n");
	}
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("start", GUEST);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
		assert_contains(r.err, "org.zvirt1.domain.lifecycle");
		/* Not on a terminal: polkit was asked without interaction. */
		assert_contains(r.err, "interaction was not allowed");
	}
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("autostart", GUEST);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("dumpxml", "--security-info", GUEST);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	{
		_cleanup_free_ char *min = harness_minimal_xml("zc-nobody", NULL);
		_cleanup_free_ char *file = write_tmp("zc-nobody.xml", min);
		_cleanup_(run_done) Run r = CTL_NOBODY("define", file);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
		assert_null(harness_lookup("zc-nobody"));
	}
	_cleanup_free_ char *path = harness_lookup(GUEST);
	_cleanup_free_ char *now = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "State");
	assert_string_equal(now, "shut-off");
	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Autostart"));
}

/* ---- the life cycle, and event ---- */

/* A monitor connection on the bus: it sees every AddMatch, so a test
 * knows when `zvirtctl event` listens (its match is in place once the
 * bus has read the call, and the bus serves one message at a time). */
/* Waits until n_state AddMatch calls for DomainStateChanged and n_crash
 * for Crashed went to the bus, in whatever order the listeners send them. */
static void monitor_wait_matches(sd_bus *bus, unsigned n_state, unsigned n_crash)
{
	unsigned state = 0, crash = 0;
	time_t deadline = time(NULL) + 30;

	while (state < n_state || crash < n_crash) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
		const char *rule;
		int r = sd_bus_process(bus, &m);

		assert_true(r >= 0);
		if (m && sd_bus_message_is_method_call(m, "org.freedesktop.DBus", "AddMatch") &&
		    sd_bus_message_read(m, "s", &rule) > 0) {
			state += strstr(rule, "member='DomainStateChanged'") != NULL;
			crash += strstr(rule, "member='Crashed'") != NULL;
		}
		if (r > 0 || m)
			continue;
		if (time(NULL) > deadline)
			fail_msg("zvirtctl event did not subscribe (%u of %u, %u of %u)", state, n_state,
				 crash, n_crash);
		(void)sd_bus_wait(bus, 1000 * 1000);
	}
}

/* Waits until the domain is in state/reason by a change after `seq`
 * (the StateSequence before the call). */
static void wait_state_after(const char *path, uint64_t seq, const char *state, const char *reason)
{
	time_t deadline = time(NULL) + HARNESS_BOOT_TIMEOUT_MS / 1000;

	for (;;) {
		_cleanup_free_ char *st = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "State");
		_cleanup_free_ char *re = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "StateReason");
		if (harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence") > seq &&
		    strcmp(st, state) == 0 && strcmp(re, reason) == 0)
			return;
		if (time(NULL) > deadline)
			fail_msg("still %s/%s, waiting for %s/%s", st, re, state, reason);
		usleep(100 * 1000);
	}
}

static uint64_t sequence(const char *path)
{
	return harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence");
}

static void wait_console_ready(off_t mark)
{
	_cleanup_free_ char *log = harness_console_log(GUEST);
	assert_int_equal(harness_wait_console_from(
				 log, mark, "zvirt-guest: ready boot_id=", HARNESS_BOOT_TIMEOUT_MS, NULL),
			 0);
}

/* An editor for `edit`: a shell script at TMP/name doing body on "$1". */
static char *editor_script(const char *name, const char *body)
{
	_cleanup_free_ char *text = NULL;
	assert_true(asprintf(&text, "#!/bin/sh\n%s\n", body) > 0);
	char *path = write_tmp(name, text);
	assert_return_code(chmod(path, 0755), 0);
	return path;
}

static void test_edit(void **state)
{
	_cleanup_free_ char *path = harness_lookup(GUEST);
	_cleanup_free_ char *before = harness_get_xml(path);
	_cleanup_free_ char *smaller =
		editor_script("editor-smaller", "sed -i 's/>262144</>131072</g' \"$1\"");
	_cleanup_free_ char *bigger =
		editor_script("editor-bigger", "sed -i 's/>131072</>262144</g' \"$1\"");
	_cleanup_free_ char *breaker =
		editor_script("editor-breaker", "echo '<domain><bogus/></domain>' > \"$1\"");
	assert_return_code(unsetenv("VISUAL"), 0);

	/* Unchanged: nothing defined. */
	assert_return_code(setenv("EDITOR", "true", 1), 0);
	_cleanup_free_ char *same = OK("edit", GUEST);
	assert_string_equal(same, "Domain '" GUEST "' XML configuration not changed.\n\n");

	/* A change: defined, the property shows it. */
	assert_return_code(setenv("EDITOR", smaller, 1), 0);
	_cleanup_free_ char *edited = OK("edit", GUEST);
	assert_string_equal(edited, "Domain '" GUEST "' XML configuration edited.\n\n");
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "MaxMemory"), 131072ULL * 1024);

	/* A refused document, off a terminal: the error, no question, nothing changed. */
	assert_return_code(setenv("EDITOR", breaker, 1), 0);
	{
		_cleanup_(run_done) Run r = CTL("edit", GUEST);
		expect_fail(&r, EXIT_INVALID, "org.zvirt1.Error.InvalidXML");
	}
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "MaxMemory"), 131072ULL * 1024);

	/* The editor failing. */
	assert_return_code(setenv("EDITOR", "false", 1), 0);
	{
		_cleanup_(run_done) Run r = CTL("edit", GUEST);
		expect_fail(&r, EXIT_FAILURE_OTHER, "org.freedesktop.DBus.Error.Failed");
	}

	/* On a terminal a refused document is offered again: the first edit
	 * breaks it, "y", the second puts the memory back. */
	_cleanup_free_ char *count = NULL;
	assert_true(asprintf(&count, "%s/editor-count", harness_tmpdir()) > 0);
	_cleanup_free_ char *body = NULL;
	/* The second edit starts from the broken file, as virsh's does: it
	 * puts back what the first one saved. */
	assert_true(
		asprintf(&body,
			 "echo x >> '%s'\n"
			 "if [ $(wc -l < '%s') -eq 1 ]; then cp \"$1\" '%s.saved'; exec '%s' \"$1\"; fi\n"
			 "cp '%s.saved' \"$1\"; exec '%s' \"$1\"",
			 count, count, count, breaker, count, bigger) > 0);
	_cleanup_free_ char *twice = editor_script("editor-twice", body);
	assert_return_code(setenv("EDITOR", twice, 1), 0);
	_cleanup_free_ char *tty =
		harness_sh_out("printf 'y\\n' | script -qec \"'%s' -c '%s' edit " GUEST "\" /dev/null",
			       binary(), address());
	assert_contains(tty, "error: org.zvirt1.Error.InvalidXML: ");
	assert_contains(tty, "Failed. Try again? [y,n]: ");
	assert_contains(tty, "Domain '" GUEST "' XML configuration edited.");
	_cleanup_free_ char *lines = harness_read_file(count);
	assert_string_equal(lines, "x\nx\n");
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "MaxMemory"), 262144ULL * 1024);
	_cleanup_free_ char *after = harness_get_xml(path);
	assert_string_equal(after, before);

	/* nobody may not define. */
	assert_return_code(setenv("EDITOR", smaller, 1), 0);
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("edit", GUEST);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	EXPECT_FAIL(EXIT_NO_DOMAIN, "org.zvirt1.Error.NoSuchDomain", "edit", "no-such-domain");
	assert_return_code(unsetenv("EDITOR"), 0);
}

/* create: a transient domain, started paused (the guest runs nothing). */
static void test_create(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("zc-transient");
	_cleanup_free_ char *file = write_tmp("zc-transient.xml", xml);
	_cleanup_free_ char *guest_xml = harness_guest_xml_uuid(GUEST, GUEST_UUID);
	_cleanup_free_ char *guest_file = write_tmp("zc-guest-again.xml", guest_xml);

	_cleanup_free_ char *out = OK("create", file, "--paused");
	_cleanup_free_ char *expect = NULL;
	assert_true(asprintf(&expect, "Domain 'zc-transient' created from %s\n\n", file) > 0);
	assert_string_equal(out, expect);
	_cleanup_free_ char *path = harness_lookup("zc-transient");
	assert_non_null(path);
	harness_assert_state(path, "paused", "user");
	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "Persistent"));
	_cleanup_free_ char *transient = OK("list", "--transient", "--name");
	assert_string_equal(transient, "zc-transient\n");
	_cleanup_free_ char *d = OK("destroy", "zc-transient");
	assert_string_equal(d, "Domain 'zc-transient' destroyed\n\n");
	EXPECT_FAIL(EXIT_NO_DOMAIN, "org.zvirt1.Error.NoSuchDomain", "domstate", "zc-transient");

	/* A name that is taken, and nobody. */
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.DomainExists", "create", guest_file);
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("create", "--paused", file);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	assert_null(harness_lookup("zc-transient"));
}

/* setvcpus, vcpucount, setmem, setmaxmem, schedinfo on the shut-off
 * guest's definition (put back as it was), and domrename. */
static void test_resources(void **state)
{
	_cleanup_free_ char *path = harness_lookup(GUEST);

	_cleanup_free_ char *vc = OK("vcpucount", GUEST);
	assert_string_equal(vc, "maximum      config         1\ncurrent      config         1\n\n");
	_cleanup_free_ char *sv = OK("setvcpus", GUEST, "3", "--config", "--maximum");
	assert_string_equal(sv, "");
	_cleanup_free_ char *sv2 = OK("setvcpus", "--config", GUEST, "2");
	_cleanup_free_ char *vmax = OK("vcpucount", GUEST, "--maximum", "--config");
	assert_string_equal(vmax, "3\n\n");
	_cleanup_free_ char *vcur = OK("vcpucount", GUEST, "--current", "--config");
	assert_string_equal(vcur, "2\n\n");
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "VCPUs"), 2);
	_cleanup_free_ char *vj = OK("vcpucount", GUEST, "--json");
	json_object *v = parse_json(vj);
	assert_int_equal(json_object_get_int(member(v, "maximum-config")), 3);
	assert_int_equal(json_object_get_int(member(v, "current-config")), 2);
	assert_null(member(v, "current-live"));
	json_object_put(v);
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "setvcpus", GUEST, "4", "--config");
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "setvcpus", GUEST, "2", "--live");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "setvcpus", GUEST, "many");
	_cleanup_free_ char *sv3 = OK("setvcpus", GUEST, "1", "--config", "--maximum");
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "VCPUs"), 1);

	_cleanup_free_ char *mm = OK("setmaxmem", GUEST, "512M", "--config");
	assert_string_equal(mm, "");
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "MaxMemory"), 512ULL << 20);
	_cleanup_free_ char *sm = OK("setmem", GUEST, "131072", "--config", "--json");
	json_object *mj = parse_json(sm);
	assert_int_equal(json_object_get_int64(member(mj, "memory")), 128LL << 20);
	assert_int_equal(json_object_get_int64(member(mj, "max-memory")), 512LL << 20);
	json_object_put(mj);
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "setmem", GUEST, "1G", "--live");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "setmem", GUEST, "12X",
		    "--config");
	_cleanup_free_ char *mm2 = OK("setmaxmem", GUEST, "256MiB", "--config");
	_cleanup_free_ char *sm2 = OK("setmem", GUEST, "256M", "--config");

	_cleanup_free_ char *si = OK("schedinfo", GUEST, "--config");
	assert_string_equal(si, "Scheduler      : posix\ncpu_shares     : 1024\n\n");
	_cleanup_free_ char *si2 = OK("schedinfo", GUEST, "cpu_shares=2048", "--config");
	assert_string_equal(si2, "Scheduler      : posix\ncpu_shares     : 2048\n\n");
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "CPUShares"), 2048);
	_cleanup_free_ char *sij = OK("schedinfo", "--json", GUEST);
	json_object *sj = parse_json(sij);
	assert_int_equal(json_object_get_int64(member(sj, "cpu_shares")), 2048);
	json_object_put(sj);
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "schedinfo", GUEST, "cpu_shares=1",
		    "--config");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "schedinfo", GUEST, "weight=5");
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("schedinfo", GUEST, "cpu_shares=512", "--config");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	_cleanup_free_ char *si3 = OK("schedinfo", GUEST, "cpu_shares=1024", "--config");

	/* The definition is as it was (but for the <cputune> an explicit
	 * 1024 may leave): compare what matters. */
	_cleanup_free_ char *after = harness_get_xml(path);
	assert_contains(after, "<memory unit='KiB'>262144</memory>");
	assert_int_equal(harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "Memory"), 256ULL << 20);
	assert_int_equal(harness_get_u32(path, ZVIRT_DOMAIN_IFACE, "MaxVCPUs"), 1);

	/* I/O threads of the definition. */
	_cleanup_free_ char *io0 = OK("iothreadinfo", GUEST, "--config");
	assert_string_equal(io0, " IOThread ID   CPU Affinity\n-----------------------------\n\n");
	_cleanup_free_ char *ia = OK("iothreadadd", GUEST, "1", "--config");
	assert_string_equal(ia, "");
	_cleanup_free_ char *io1 = OK("iothreadinfo", GUEST, "--config");
	assert_contains(io1, "\n 1             ");
	_cleanup_free_ char *ioj = OK("iothreadinfo", GUEST, "--config", "--json");
	json_object *io = parse_json(ioj);
	json_object *threads = member(io, "iothreads");
	assert_int_equal(json_object_array_length(threads), 1);
	assert_int_equal(json_object_get_int(member(json_object_array_get_idx(threads, 0), "id")), 1);
	assert_true(json_object_array_length(member(json_object_array_get_idx(threads, 0), "cpus")) >= 1);
	json_object_put(io);
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "iothreadadd", GUEST, "1", "--config");
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "iothreadadd", GUEST, "2",
		    "--live");
	_cleanup_free_ char *id = OK("iothreaddel", GUEST, "1", "--config");
	assert_string_equal(id, "");
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "iothreaddel", GUEST, "1", "--config");
	_cleanup_free_ char *io2 = OK("iothreadinfo", GUEST, "--config");
	assert_string_equal(io2, io0);

	/* domrename of a second domain. */
	_cleanup_free_ char *min = harness_minimal_xml("zc-rename-a", NULL);
	_cleanup_free_ char *file = write_tmp("zc-rename.xml", min);
	_cleanup_free_ char *d = OK("define", file);
	_cleanup_free_ char *rn = OK("domrename", "zc-rename-a", "zc-rename-b");
	assert_string_equal(rn, "Domain successfully renamed\n\n");
	assert_null(harness_lookup("zc-rename-a"));
	_cleanup_free_ char *rb = harness_lookup("zc-rename-b");
	assert_non_null(rb);
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.DomainExists", "domrename", "zc-rename-b", GUEST);
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "domrename", "zc-rename-b");
	_cleanup_free_ char *u = OK("undefine", "zc-rename-b");
}

/* domblklist, domiflist, domstats of a shut-off domain with a disk and
 * a NIC (defined only: the bridge need not exist); inject-nmi refused. */
static void test_stats(void **state)
{
	_cleanup_free_ char *disk = write_tmp("zc-disk.img", "");
	_cleanup_free_ char *devices = NULL;
	assert_true(asprintf(&devices,
			     "    <disk type='file' device='disk'>\n"
			     "      <driver name='qemu' type='raw'/>\n"
			     "      <source file='%s'/>\n"
			     "      <target dev='vda' bus='virtio'/>\n"
			     "    </disk>\n"
			     "    <interface type='bridge'>\n"
			     "      <mac address='52:54:00:12:34:56'/>\n"
			     "      <source bridge='br0'/>\n"
			     "      <model type='virtio'/>\n"
			     "    </interface>\n",
			     disk) > 0);
	_cleanup_free_ char *xml = harness_guest_xml_devices("zc-devices", devices);
	_cleanup_free_ char *file = write_tmp("zc-devices.xml", xml);
	_cleanup_free_ char *d = OK("define", file);

	_cleanup_free_ char *bl = OK("domblklist", "zc-devices");
	_cleanup_free_ char *bl_expect = NULL;
	assert_true(
		asprintf(
			&bl_expect, " Target   Source\n%.*s\n vda      %s\n\n", (int)(9 + strlen(disk) + 3),
			"----------------------------------------------------------------------------------"
			"----------------------------------------------------------------------------------",
			disk) > 0);
	assert_string_equal(bl, bl_expect);
	_cleanup_free_ char *blj = OK("domblklist", "zc-devices", "--json");
	json_object *b = parse_json(blj);
	json_object *disks = member(b, "disks");
	assert_int_equal(json_object_array_length(disks), 1);
	assert_string_equal(member_string(json_object_array_get_idx(disks, 0), "target"), "vda");
	assert_string_equal(member_string(json_object_array_get_idx(disks, 0), "source"), disk);
	json_object_put(b);

	_cleanup_free_ char *il = OK("domiflist", "zc-devices");
	assert_string_equal(il, " Interface   Type     Source   Model    MAC\n"
				"-----------------------------------------------------------\n"
				" -           bridge   br0      virtio   52:54:00:12:34:56\n\n");
	_cleanup_free_ char *ilj = OK("--json", "domiflist", "zc-devices");
	json_object *i = parse_json(ilj);
	json_object *nic = json_object_array_get_idx(member(i, "interfaces"), 0);
	assert_non_null(nic);
	assert_null(member(nic, "interface"));
	assert_string_equal(member_string(nic, "mac"), "52:54:00:12:34:56");
	assert_string_equal(member_string(nic, "source"), "br0");
	json_object_put(i);

	_cleanup_free_ char *st = OK("domstats", "zc-devices");
	assert_contains(st, "Domain: 'zc-devices'\n");
	assert_contains(st, "  state=shut-off\n");
	assert_contains(st, "  block.count=1\n");
	assert_contains(st, "  block.0.name=vda\n");
	assert_contains(st, "  net.0.mac=52:54:00:12:34:56\n");
	_cleanup_free_ char *stj = OK("domstats", "zc-devices", "--json");
	json_object *sj = parse_json(stj);
	json_object *stats = member(sj, "stats");
	assert_string_equal(member_string(stats, "state"), "shut-off");
	assert_int_equal(json_object_get_int64(member(stats, "balloon.maximum")), 262144LL * 1024);
	assert_int_equal(json_object_get_int64(member(stats, "block.count")), 1);
	json_object_put(sj);

	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "inject-nmi", "zc-devices");
	EXPECT_FAIL(EXIT_NO_DOMAIN, "org.zvirt1.Error.NoSuchDomain", "domstats", "no-such-domain");
	_cleanup_free_ char *u = OK("undefine", "zc-devices");
}

/* attach-device, detach-device, update-device and change-media on the
 * definition of a shut-off domain with an empty SCSI CD drive. */
static void test_devices(void **state)
{
	_cleanup_free_ char *img = write_tmp("zc-vdb.img", "");
	_cleanup_free_ char *iso = write_tmp("zc-cd.iso", "");
	_cleanup_free_ char *cd = strdup("    <disk type='file' device='cdrom'>\n"
					 "      <driver name='qemu' type='raw'/>\n"
					 "      <target dev='sda' bus='scsi'/>\n"
					 "      <readonly/>\n"
					 "    </disk>\n");
	_cleanup_free_ char *xml = harness_guest_xml_devices("zc-devs", cd);
	_cleanup_free_ char *file = write_tmp("zc-devs.xml", xml);
	_cleanup_free_ char *d = OK("define", file);
	_cleanup_free_ char *disk_xml = NULL;
	assert_true(asprintf(&disk_xml,
			     "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
			     "<source file='%s'/><target dev='vdb' bus='virtio'/></disk>\n",
			     img) > 0);
	_cleanup_free_ char *disk_file = write_tmp("zc-vdb.xml", disk_xml);

	_cleanup_free_ char *a = OK("attach-device", "zc-devs", disk_file, "--config");
	assert_string_equal(a, "Device attached successfully\n\n");
	_cleanup_free_ char *bl = OK("domblklist", "zc-devs");
	assert_contains(bl, " vdb      ");
	assert_contains(bl, img);
	_cleanup_free_ char *dj = OK("detach-device", "zc-devs", disk_file, "--config", "--json");
	json_object *o = parse_json(dj);
	assert_null(member(o, "device"));
	json_object_put(o);
	_cleanup_free_ char *bl2 = OK("domblklist", "zc-devs");
	if (strstr(bl2, "vdb"))
		fail_msg("vdb still there:\n%s", bl2);
	_cleanup_free_ char *aj = OK("attach-device", "--json", "zc-devs", disk_file, "--persistent");
	json_object *ao = parse_json(aj);
	const char *dev = member_string(ao, "device");
	assert_true(strlen(dev) > 9 && strcmp(dev + strlen(dev) - 9, "/disk/vdb") == 0);
	json_object_put(ao);
	_cleanup_free_ char *d2 = OK("detach-device", "zc-devs", disk_file, "--config");
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "detach-device", "zc-devs",
		    disk_file, "--config");
	/* No option is live: the domain is shut off. */
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "attach-device", "zc-devs",
		    disk_file);
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("attach-device", "zc-devs", disk_file, "--config");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	_cleanup_free_ char *bad = write_tmp("zc-bad-dev.xml", "<disk type='file'><bogus/></disk>\n");
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidXML", "attach-device", "zc-devs", bad,
		    "--config");

	/* The CD drive: a medium in, out, and in again by update-device. */
	_cleanup_free_ char *in = OK("change-media", "zc-devs", "sda", iso, "--insert", "--config");
	assert_string_equal(in, "Successfully inserted media.\n\n");
	_cleanup_free_ char *bl3 = OK("domblklist", "zc-devs");
	assert_contains(bl3, iso);
	_cleanup_free_ char *out = OK("change-media", "zc-devs", "sda", "--eject", "--config");
	assert_string_equal(out, "Successfully ejected media.\n\n");
	_cleanup_free_ char *bl4 = OK("domblklist", "zc-devs");
	assert_contains(bl4, " sda      -\n");
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "change-media", "zc-devs", "sda",
		    "--eject", "--config");
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "change-media", "zc-devs", "sdz",
		    "--eject", "--config");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "change-media", "zc-devs", "sda",
		    "--insert", "--config");
	_cleanup_free_ char *cd_xml = NULL;
	assert_true(asprintf(&cd_xml,
			     "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
			     "<source file='%s'/><target dev='sda' bus='scsi'/><readonly/></disk>\n",
			     iso) > 0);
	_cleanup_free_ char *cd_file = write_tmp("zc-cd.xml", cd_xml);
	_cleanup_free_ char *up = OK("update-device", "zc-devs", cd_file, "--config");
	assert_string_equal(up, "Device updated successfully\n\n");
	_cleanup_free_ char *bl5 = OK("domblklist", "zc-devs");
	assert_contains(bl5, iso);
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "attach-device", "zc-devs",
		    cd_file, "--force");

	/* detach-device-alias: a host device (HostDevice.Detach) and the CD
	 * drive (Disk.Detach), by their user aliases. */
	_cleanup_free_ char *hd_file =
		write_tmp("zc-hostdev.xml",
			  "<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host3'/>"
			  "<address bus='0' target='8' unit='0'/></source><alias name='ua-tape'/>"
			  "</hostdev>\n");
	_cleanup_free_ char *ah = OK("attach-device", "zc-devs", hd_file, "--config");
	_cleanup_free_ char *dumped = OK("dumpxml", "zc-devs");
	assert_contains(dumped, "<alias name='ua-tape'/>");
	{
		_cleanup_(run_done) Run r =
			CTL_NOBODY("detach-device-alias", "zc-devs", "ua-tape", "--config");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	_cleanup_free_ char *da = OK("detach-device-alias", "zc-devs", "ua-tape", "--config");
	assert_string_equal(da, "Device detach request sent successfully\n\n");
	_cleanup_free_ char *dumped2 = OK("dumpxml", "zc-devs");
	if (strstr(dumped2, "<hostdev"))
		fail_msg("the host device is still there:\n%s", dumped2);
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.NoSuchDevice", "detach-device-alias", "zc-devs",
		    "ua-tape", "--config");
	_cleanup_free_ char *cd_alias = NULL;
	assert_true(asprintf(&cd_alias,
			     "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
			     "<source file='%s'/><target dev='sda' bus='scsi'/><readonly/><alias "
			     "name='ua-cd'/></disk>\n",
			     iso) > 0);
	_cleanup_free_ char *cd_alias_file = write_tmp("zc-cd-alias.xml", cd_alias);
	_cleanup_free_ char *up2 = OK("update-device", "zc-devs", cd_alias_file, "--config");
	_cleanup_free_ char *daj = OK("detach-device-alias", "zc-devs", "ua-cd", "--config", "--json");
	json_object *dao = parse_json(daj);
	assert_string_equal(member_string(dao, "alias"), "ua-cd");
	const char *dev_path = member_string(dao, "device");
	assert_true(strlen(dev_path) > 9 && strcmp(dev_path + strlen(dev_path) - 9, "/disk/sda") == 0);
	json_object_put(dao);
	_cleanup_free_ char *bl6 = OK("domblklist", "zc-devs");
	if (strstr(bl6, "sda"))
		fail_msg("sda is still there:\n%s", bl6);
	EXPECT_FAIL(EXIT_NO_DOMAIN, "org.zvirt1.Error.NoSuchDomain", "detach-device-alias", "zc-nosuch",
		    "ua-cd");
	_cleanup_free_ char *u = OK("undefine", "zc-devs");
}

/* The next Start call the monitor sees: whether it allowed interactive
 * authorization (the message flag) and its auth.no_user_interaction. */
static void monitor_next_start(sd_bus *bus, bool *ret_flag, int *ret_no_interaction)
{
	time_t deadline = time(NULL) + 30;

	for (;;) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
		int r = sd_bus_process(bus, &m);

		assert_true(r >= 0);
		if (m && sd_bus_message_is_method_call(m, ZVIRT_DOMAIN_IFACE, "Start")) {
			const char *key;
			*ret_flag = sd_bus_message_get_allow_interactive_authorization(m) > 0;
			*ret_no_interaction = -1;
			assert_return_code(sd_bus_message_enter_container(m, 'a', "{sv}"), 0);
			while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
				assert_return_code(sd_bus_message_read(m, "s", &key), 0);
				if (strcmp(key, "auth.no_user_interaction") == 0) {
					int b;
					assert_return_code(sd_bus_message_read(m, "v", "b", &b), 0);
					*ret_no_interaction = b;
				} else
					assert_return_code(sd_bus_message_skip(m, "v"), 0);
				assert_return_code(sd_bus_message_exit_container(m), 0);
			}
			return;
		}
		if (r > 0 || m)
			continue;
		if (time(NULL) > deadline)
			fail_msg("no Start call on the bus");
		(void)sd_bus_wait(bus, 1000 * 1000);
	}
}

/* polkit may ask a person only when zvirtctl runs on a terminal: the
 * call's flag and option say so, on script(1)'s pty and off it. The
 * password prompt itself needs a session and an admin password, which
 * the test user has not: polkit still refuses. */
static void test_interactive(void **state)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *mon =
		monitor_open("type='method_call',interface='" ZVIRT_DOMAIN_IFACE "',member='Start'");
	bool flag;
	int no_interaction;

	{
		_cleanup_(run_done) Run r = CTL_NOBODY("start", GUEST);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	monitor_next_start(mon, &flag, &no_interaction);
	assert_false(flag);
	assert_int_equal(no_interaction, 1);

	/* On a terminal: polkit asks zvirtctl's agent for an administrator's
	 * password (org.zvirt1.policy's auth_admin); a wrong one is refused. */
	Pty p;
	pty_exec(&p,
		 (const char *const[]){"/usr/bin/setpriv", "--reuid", "nobody", "--regid", "nogroup",
				       "--clear-groups", binary(), "-c", address(), "start", GUEST, NULL});
	size_t at = pty_expect(&p, 0, "Password: ", 60000);
	pty_wait_no_echo(&p);
	pty_type(&p, "not-the-password\n");
	int code = pty_end(&p);
	monitor_next_start(mon, &flag, &no_interaction);
	assert_true(flag);
	assert_int_equal(no_interaction, 0);
	if (code != EXIT_NOT_AUTHORIZED)
		fail_msg("on a pty: exit %d: %s", code, p.buf);
	assert_contains(p.buf + at, "error: org.zvirt1.Error.NotAuthorized: ");
	_cleanup_free_ char *path = harness_lookup(GUEST);
	_cleanup_free_ char *now = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "State");
	assert_string_equal(now, "shut-off");
}

static void test_lifecycle_and_events(void **state)
{
	_cleanup_free_ char *path = harness_lookup(GUEST);
	_cleanup_free_ char *log = harness_console_log(GUEST);
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *mon =
		monitor_open("type='method_call',interface='org.freedesktop.DBus',member='AddMatch'");
	assert_non_null(path);

	/* Three listeners: all events of all domains; the first lifecycle event of
	 * the guest (it exits then); and --json lines of the guest's. */
	Listener all = listen_start("event-all",
				    (const char *const[]){"event", "--loop", "--all", "--timestamp", NULL});
	Listener first =
		listen_start("event-first", (const char *const[]){"event", "--domain", GUEST, NULL});
	Listener json = listen_start(
		"event-json", (const char *const[]){"event", "--loop", "--domain", GUEST, "--json", NULL});
	monitor_wait_matches(mon, 3, 1); /* Crashed: --all's last */

	/* A definition event, for the --all listener only. */
	_cleanup_free_ char *min = harness_minimal_xml(SECOND, NULL);
	_cleanup_free_ char *second = write_tmp("zc-second2.xml", min);
	_cleanup_free_ char *d = OK("define", second);
	_cleanup_free_ char *u = OK("undefine", SECOND);

	/* start: boot 1. */
	off_t mark = harness_file_size(log);
	_cleanup_free_ char *s = OK("start", GUEST);
	assert_string_equal(s, "Domain '" GUEST "' started\n\n");
	harness_assert_state(path, "running", "booted");
	wait_console_ready(mark);

	_cleanup_(run_done) Run f = listen_end(&first, false);
	assert_int_equal(f.code, 0);
	assert_string_equal(f.out, "event 'lifecycle' for domain '" GUEST
				   "': running (booted)\nevents received: 1\n");

	/* What reads show while it runs. */
	int32_t id = harness_get_i32(path, ZVIRT_DOMAIN_IFACE, "Id");
	char id_s[16];
	snprintf(id_s, sizeof(id_s), "%" PRIi32, id);
	_cleanup_free_ char *l = OK("list");
	_cleanup_free_ char *l_expect = NULL;
	/* The Id column is as wide as "Id" or the id, whichever is wider. */
	int idw = strlen(id_s) > 2 ? (int)strlen(id_s) : 2;
	assert_true(asprintf(&l_expect, " %-*s   Name       State\n%.*s\n %-*s   %s   running\n\n", idw,
			     "Id", idw + 3 + 11 + 10, "------------------------------------------------",
			     idw, id_s, GUEST) > 0);
	assert_string_equal(l, l_expect);
	_cleanup_free_ char *ids = OK("list", "--id");
	_cleanup_free_ char *id_line = NULL;
	assert_true(asprintf(&id_line, "%s\n", id_s) > 0);
	assert_string_equal(ids, id_line);
	_cleanup_free_ char *domid = OK("domid", GUEST);
	_cleanup_free_ char *domid_expect = NULL;
	assert_true(asprintf(&domid_expect, "%s\n\n", id_s) > 0);
	assert_string_equal(domid, domid_expect);
	_cleanup_free_ char *byid = OK("domname", id_s);
	assert_string_equal(byid, GUEST "\n\n");
	_cleanup_free_ char *st = OK("domstate", id_s, "--reason");
	assert_string_equal(st, "running (booted)\n\n");
	_cleanup_free_ char *info = OK("dominfo", GUEST);
	assert_contains(info, "State:          running\n");
	assert_contains(info, "CPU time:       ");
	_cleanup_free_ char *ij = OK("dominfo", "--json", GUEST);
	json_object *in = parse_json(ij);
	assert_int_equal(json_object_get_int(member(in, "id")), id);
	assert_true(json_object_get_int64(member(in, "cpu-time-ns")) > 0);
	json_object_put(in);
	_cleanup_free_ char *dx = OK("dumpxml", GUEST);
	_cleanup_free_ char *id_attr = NULL;
	assert_true(asprintf(&id_attr, "id='%s'", id_s) > 0);
	assert_contains(dx, id_attr);

	/* console through script(1)'s pty: a guest command, its answer, Ctrl-].
	 * QEMU reads a pty only once it noticed it opened (it looks every
	 * second): the command goes twice. */
	_cleanup_free_ char *con = harness_sh_out(
		"(sleep 2; printf 'devices\\n'; sleep 2; printf 'devices\\n'; sleep 3; printf '\\035') | "
		"timeout 60 script -qec \"'%s' -c '%s' console " GUEST "\" /dev/null",
		binary(), address());
	assert_contains(con, "Connected to domain '" GUEST "'\r\nEscape character is ^] (Ctrl + ])\r\n");
	assert_contains(con, "zvirt-guest: done devices");
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("console", GUEST);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "console", GUEST, "--json");

	/* While it runs, vcpucount has the live rows too. */
	_cleanup_free_ char *vc = OK("vcpucount", GUEST);
	assert_string_equal(vc, "maximum      config         1\n"
				"maximum      live           1\n"
				"current      config         1\n"
				"current      live           1\n\n");

	/* Wrong states and refusals while it runs. */
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "start", GUEST);
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "undefine", GUEST);
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("destroy", GUEST);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	harness_assert_state(path, "running", "booted");

	/* suspend, resume. */
	_cleanup_free_ char *sp = OK("suspend", GUEST);
	assert_string_equal(sp, "Domain '" GUEST "' suspended\n\n");
	harness_assert_state(path, "paused", "user");
	_cleanup_free_ char *spl = OK("list", "--state-paused", "--name");
	assert_string_equal(spl, GUEST "\n");
	_cleanup_free_ char *rs = OK("resume", GUEST, "--json");
	json_object *rj = parse_json(rs);
	assert_string_equal(member_string(rj, "state"), "running");
	assert_string_equal(member_string(rj, "reason"), "unpaused");
	assert_int_equal(json_object_get_int(member(rj, "id")), id);
	json_object_put(rj);

	/* reboot: the guest shuts down and boots again (boot 2). */
	mark = harness_file_size(log);
	uint64_t seq_before = sequence(path);
	_cleanup_free_ char *rb = OK("reboot", GUEST);
	assert_string_equal(rb, "Domain '" GUEST "' is being rebooted\n\n");
	wait_state_after(path, seq_before, "running", "booted");
	wait_console_ready(mark);

	/* shutdown: the guest powers off well before the timeout. */
	seq_before = sequence(path);
	_cleanup_free_ char *sd = OK("shutdown", GUEST, "--timeout", "120");
	assert_string_equal(sd, "Domain '" GUEST "' is being shutdown\n\n");
	wait_state_after(path, seq_before, "shut-off", "shutdown");

	/* A paused start (the guest runs no instruction), a reset, a destroy. */
	_cleanup_free_ char *sp2 = OK("start", "--paused", "--force-boot", GUEST, "--json");
	json_object *pj = parse_json(sp2);
	assert_string_equal(member_string(pj, "state"), "paused");
	assert_string_equal(member_string(pj, "reason"), "user");
	json_object_put(pj);
	_cleanup_free_ char *rst = OK("reset", GUEST);
	assert_string_equal(rst, "Domain '" GUEST "' was reset\n\n");
	_cleanup_free_ char *ds = OK("destroy", "--graceful", GUEST);
	assert_string_equal(ds, "Domain '" GUEST "' destroyed\n\n");
	harness_assert_state(path, "shut-off", "destroyed");
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "reset", GUEST);

	/* What the listeners saw. The --all one: the definition events and
	 * every state change, each with its timestamp, in order. */
	_cleanup_(run_done) Run a = listen_end(&all, true);
	assert_int_equal(a.code, 0);
	static const char *const expected[] = {
		"event 'definition' for domain '" SECOND "': defined\n",
		"event 'definition' for domain '" SECOND "': undefined\n",
		"event 'lifecycle' for domain '" GUEST "': running (booted)\n",
		"event 'lifecycle' for domain '" GUEST "': paused (user)\n",
		"event 'lifecycle' for domain '" GUEST "': running (unpaused)\n",
		"event 'lifecycle' for domain '" GUEST "': shut-off (shutdown)\n",
		"event 'lifecycle' for domain '" GUEST "': running (booted)\n",
		"event 'lifecycle' for domain '" GUEST "': in-shutdown (unknown)\n",
		"event 'lifecycle' for domain '" GUEST "': shut-off (shutdown)\n",
		"event 'lifecycle' for domain '" GUEST "': paused (user)\n",
		"event 'lifecycle' for domain '" GUEST "': shut-off (destroyed)\n",
	};
	const char *at = a.out;
	for (size_t i = 0; i < ELEMENTSOF(expected); i++) {
		const char *hit = strstr(at, expected[i]);
		if (!hit)
			fail_msg("'%s' not in order in:\n%s", expected[i], a.out);
		/* "YYYY-MM-DD HH:MM:SS.mmm+0000: " before it. */
		const char *line = hit;
		while (line > a.out && line[-1] != '\n')
			line--;
		assert_int_equal(hit - line, 30);
		assert_memory_equal(line + 23, "+0000: ", 7);
		at = hit + strlen(expected[i]);
	}
	assert_contains(a.out, "events received: ");

	/* The --json one: one document a line, the guest's only, the
	 * sequence growing by one. */
	_cleanup_(run_done) Run j = listen_end(&json, true);
	assert_int_equal(j.code, 0);
	uint64_t seq = 0;
	size_t lines = 0;
	bool destroyed = false;
	for (char *line = strtok(j.out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
		json_object *e = parse_json(line);
		assert_string_equal(member_string(e, "event"), "lifecycle");
		assert_string_equal(member_string(e, "domain"), GUEST);
		_cleanup_free_ char *uuid = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "UUID");
		assert_string_equal(member_string(e, "uuid"), uuid);
		uint64_t n = json_object_get_uint64(member(e, "sequence"));
		if (lines > 0)
			assert_int_equal(n, seq + 1);
		seq = n;
		destroyed = strcmp(member_string(e, "state"), "shut-off") == 0 &&
			    strcmp(member_string(e, "reason"), "destroyed") == 0;
		json_object_put(e);
	}
	assert_true(lines >= ELEMENTSOF(expected) - 2);
	assert_true(destroyed);
	assert_int_equal(seq, harness_get_u64(path, ZVIRT_DOMAIN_IFACE, "StateSequence"));

	/* start --console: started, then on the console until Ctrl-]. */
	_cleanup_free_ char *sc =
		harness_sh_out("(sleep 2; printf '\\035') | timeout 60 script -qec \"'%s' -c '%s' "
			       "start --paused --console " GUEST "\" /dev/null",
			       binary(), address());
	assert_contains(sc, "Domain '" GUEST "' started\r\n\r\nConnected to domain '" GUEST "'\r\n");
	harness_assert_state(path, "paused", "user");

	/* inject-nmi: taken (a paused guest gets it when it runs: it never will). */
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("inject-nmi", GUEST);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	_cleanup_free_ char *nmi = OK("inject-nmi", GUEST);
	assert_string_equal(nmi, "");
	_cleanup_free_ char *ds3 = OK("destroy", GUEST);
	_cleanup_free_ char *sp3 = OK("start", "--paused", GUEST);
	harness_assert_state(path, "paused", "user");

	/* dump: the job waited for, a memory-only ELF core. */
	_cleanup_free_ char *core = NULL;
	assert_true(asprintf(&core, "%s/zc-guest.core", harness_tmpdir()) > 0);
	{
		_cleanup_(run_done) Run r = CTL("dump", GUEST, core, "--memory-only", "--verbose");
		if (r.code != 0)
			fail_msg("dump exited %d: %s", r.code, r.err);
		_cleanup_free_ char *dexp = NULL;
		assert_true(asprintf(&dexp, "Domain '" GUEST "' dumped to %s\n\n", core) > 0);
		assert_string_equal(r.out, dexp);
		assert_contains(r.err, "dump: ");
	}
	{
		_cleanup_close_ int cfd = open(core, O_RDONLY | O_CLOEXEC);
		char magic[4] = {0};
		assert_true(cfd >= 0);
		assert_int_equal(read(cfd, magic, 4), 4);
		assert_memory_equal(magic, "\177ELF", 4);
	}
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "dump", GUEST, core, "--memory-only");
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("dump", GUEST, "/tmp/zc-nobody.core");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	assert_return_code(unlink(core), 0);
	harness_assert_state(path, "paused", "user");

	/* No job now. */
	_cleanup_free_ char *ji = OK("domjobinfo", GUEST);
	assert_string_equal(ji, "Job type:         None\n\n");
	_cleanup_free_ char *jij = OK("domjobinfo", GUEST, "--json");
	json_object *jo = parse_json(jij);
	assert_null(member(jo, "job"));
	json_object_put(jo);
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "domjobabort", GUEST);
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("managedsave", GUEST);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}

	/* managedsave of the paused guest: the job waited for, its progress
	 * as lines (stderr is no terminal). */
	{
		_cleanup_(run_done) Run r = CTL("managedsave", GUEST, "--verbose");
		if (r.code != 0)
			fail_msg("managedsave exited %d: %s", r.code, r.err);
		assert_string_equal(r.out, "Domain '" GUEST "' state saved\n\n");
		size_t n = 0;
		for (char *line = strtok(r.err, "\n"); line; line = strtok(NULL, "\n"), n++) {
			int percent = -1, end = 0;
			if (sscanf(line, "managed save: %d %%%n", &percent, &end) != 1 || line[end] ||
			    percent < 0 || percent > 100)
				fail_msg("not a progress line: '%s'", line);
		}
		assert_true(n >= 1);
	}
	harness_assert_state(path, "shut-off", "saved");
	assert_true(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));
	_cleanup_free_ char *saved = OK("list", "--all", "--with-managed-save", "--name");
	assert_string_equal(saved, GUEST "\n");
	_cleanup_free_ char *sinfo = OK("dominfo", GUEST);
	assert_contains(sinfo, "Managed save:   yes\n");
	{
		_cleanup_(run_done) Run r = CTL("undefine", GUEST);
		expect_fail(&r, EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid");
	}

	/* start restores it, paused as it was saved; the image goes. */
	_cleanup_free_ char *restored = OK("start", GUEST);
	assert_string_equal(restored, "Domain '" GUEST "' started\n\n");
	_cleanup_free_ char *rstate = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "State");
	assert_string_equal(rstate, "paused");
	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));

	/* Saved again (--json), then the image removed. */
	_cleanup_free_ char *sj = OK("managedsave", "--json", GUEST);
	json_object *so = parse_json(sj);
	assert_string_equal(member_string(so, "state"), "shut-off");
	assert_string_equal(member_string(so, "reason"), "saved");
	assert_true(json_object_get_boolean(member(so, "managed-save")));
	json_object_put(so);
	_cleanup_free_ char *rm = OK("managedsave-remove", GUEST);
	assert_string_equal(rm, "Removed managedsave image for domain '" GUEST "'\n\n");
	harness_assert_state(path, "shut-off", "unknown");
	assert_false(harness_get_bool(path, ZVIRT_DOMAIN_IFACE, "HasManagedSave"));
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "managedsave-remove", GUEST);
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "console", GUEST);
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "managedsave", GUEST);
}

/* migrate to a second host (its own bus, polkitd and daemon) and the
 * migration tuning; the paused guest goes, stays paused there, and is
 * destroyed there with -c naming the other bus. */
static void test_migrate(void **state)
{
	_cleanup_free_ char *path = harness_lookup(GUEST);
	assert_int_equal(harness_peer_start("[Relocation]\nServer=yes\nAddress=127.0.0.3\n"), 0);
	const char *peer = harness_peer_bus_address();

	_cleanup_free_ char *gs = OK("migrate-getspeed", GUEST);
	assert_string_equal(gs, "8796093022207\n\n");
	_cleanup_free_ char *ss = OK("migrate-setspeed", GUEST, "1000");
	assert_string_equal(ss, "");
	_cleanup_free_ char *gs2 = OK("migrate-getspeed", GUEST, "--json");
	json_object *o = parse_json(gs2);
	assert_int_equal(json_object_get_int64(member(o, "bandwidth-MiBps")), 1000);
	json_object_put(o);
	EXPECT_FAIL(EXIT_WRONG_STATE, "org.zvirt1.Error.OperationInvalid", "migrate-setmaxdowntime", GUEST,
		    "500");
	EXPECT_FAIL(EXIT_INVALID, "org.freedesktop.DBus.Error.InvalidArgs", "migrate-setspeed", GUEST,
		    "fast");
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("migrate-setspeed", GUEST, "10");
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}

	_cleanup_free_ char *st = OK("start", "--paused", GUEST);
	_cleanup_free_ char *dt = OK("migrate-setmaxdowntime", GUEST, "500");
	assert_string_equal(dt, "");
	EXPECT_FAIL(EXIT_FAILURE_OTHER, "org.zvirt1.Error.MigrationFailed", "migrate", GUEST,
		    "unix:path=/nonexistent/socket");
	{
		_cleanup_(run_done) Run r = CTL_NOBODY("migrate", GUEST, peer);
		expect_fail(&r, EXIT_NOT_AUTHORIZED, "org.zvirt1.Error.NotAuthorized");
	}
	harness_assert_state(path, "paused", "user");
	uint64_t seq = sequence(path);
	{
		_cleanup_(run_done) Run r = CTL("migrate", GUEST, peer, "--live", "--suspend", "--verbose");
		if (r.code != 0)
			fail_msg("migrate exited %d: %s", r.code, r.err);
		_cleanup_free_ char *expect = NULL;
		assert_true(asprintf(&expect, "Domain '" GUEST "' migrated to %s\n\n", peer) > 0);
		assert_string_equal(r.out, expect);
		size_t n = 0;
		for (char *line = strtok(r.err, "\n"); line; line = strtok(NULL, "\n"), n++) {
			int percent = -1, end = 0;
			if (sscanf(line, "migration: %d %%%n", &percent, &end) != 1 || line[end])
				fail_msg("not a progress line: '%s'", line);
		}
		assert_true(n >= 1);
	}
	/* The job ends when the guest runs there; the source's QEMU quits a moment later. */
	wait_state_after(path, seq, "shut-off", "migrated");

	/* There: transient, paused (--suspend); gone when destroyed. */
	{
		_cleanup_(run_done) Run r = run_argv(
			false, false, (const char *const[]){"-c", peer, "list", "--all", "--name", NULL});
		assert_int_equal(r.code, 0);
		assert_string_equal(r.out, GUEST "\n");
	}
	{
		_cleanup_(run_done) Run r =
			run_argv(false, false,
				 (const char *const[]){"-c", peer, "domstate", "--reason", GUEST, NULL});
		assert_int_equal(r.code, 0);
		assert_string_equal(r.out, "paused (user)\n\n");
	}
	{
		_cleanup_(run_done) Run r =
			run_argv(false, false, (const char *const[]){"-c", peer, "destroy", GUEST, NULL});
		assert_int_equal(r.code, 0);
		assert_string_equal(r.out, "Domain '" GUEST "' destroyed\n\n");
	}
	{
		_cleanup_(run_done) Run r = run_argv(
			false, false, (const char *const[]){"-c", peer, "list", "--all", "--name", NULL});
		assert_string_equal(r.out, "");
	}
	harness_peer_stop();
}

/* The second host, once for the migration tests; its bus address. */
static const char *start_peer_once(void)
{
	if (!harness_peer_dir())
		assert_int_equal(harness_peer_start("[Relocation]\nServer=yes\nAddress=127.0.0.3\n"), 0);
	return harness_peer_bus_address();
}

/* One poll of domjobinfo while a migration runs: the JSON, then the
 * text right after it. A figure QEMU has reported stays reported while
 * the job transfers, so a line the JSON had is in the text unless the
 * job moved on to its last phase (or ended) in between. */
typedef struct JobFigures {
	uint64_t expected_downtime_ms, dirty_rate_mibps, throttle_percent;
	unsigned polls_with_job;
} JobFigures;

static bool poll_job_info(const char *name, JobFigures *max)
{
	_cleanup_free_ char *js = OK("domjobinfo", name, "--json");
	_cleanup_free_ char *text = OK("domjobinfo", name);
	json_object *o = parse_json(js);
	json_object *job = member(o, "job");
	bool running = job != NULL;
	if (running) {
		static const struct {
			const char *key, *line;
			size_t offset;
		} figures[] = {
			{"expected-downtime-ms",
			 "Expected downtime:", offsetof(JobFigures, expected_downtime_ms)},
			{"dirty-rate-MiBps", "Dirty rate:", offsetof(JobFigures, dirty_rate_mibps)},
			{"throttle-percent",
			 "Auto converge throttle:", offsetof(JobFigures, throttle_percent)},
		};
		assert_string_equal(member_string(job, "type"), "migration-out");
		max->polls_with_job++;
		/* In its last phase (stopped: the guest is paused, the rest
		 * goes over) QEMU no longer has the figures. */
		_cleanup_free_ char *phase_line = NULL;
		assert_true(asprintf(&phase_line, "Phase:            %s\n", member_string(job, "phase")) >
			    0);
		bool ended =
			strcmp(member_string(job, "phase"), "stopped") == 0 || !strstr(text, phase_line);
		for (size_t i = 0; i < ELEMENTSOF(figures); i++) {
			uint64_t v = (uint64_t)json_object_get_int64(member(job, figures[i].key));
			uint64_t *m = (uint64_t *)((char *)max + figures[i].offset);
			*m = v > *m ? v : *m;
			if (v > 0 && !ended && !strstr(text, figures[i].line))
				fail_msg("--json has %s %" PRIu64 ", the text no '%s':\n%s", figures[i].key,
					 v, figures[i].line, text);
		}
	}
	json_object_put(o);
	return running;
}

/* migrate's copy-storage options refused before anything moves, and
 * domjobinfo of a running migration: virsh's migration lines (expected
 * downtime, dirty rate, auto-converge throttle) once QEMU reports them,
 * the same figures in --json. */
static void test_migrate_job(void **state)
{
	const char *peer = start_peer_once();
	_cleanup_free_ char *path = harness_boot_dirty("zc-mig-job", 32);

	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "migrate", "zc-mig-job", peer,
		    "--live", "--copy-storage-all", "--copy-storage-inc");
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "migrate", "zc-mig-job", peer,
		    "--live", "--migrate-disks", "vda");
	EXPECT_FAIL(EXIT_INVALID, "org.zvirt1.Error.InvalidArgument", "migrate", "zc-mig-job", peer,
		    "--live", "--copy-storage-all", "--migrate-disks", "vdz");
	harness_assert_state(path, "running", "booted");
	_cleanup_free_ char *none = harness_peer_lookup("zc-mig-job");
	assert_null(none);

	/* The guest dirtying as fast as it can, a 16 MiB/s link and a
	 * downtime allowed too short for what it dirties in a pass: a second
	 * pass comes, QEMU reports the rate and its downtime estimate after
	 * the first, and auto-converge throttles the guest if it keeps up. */
	Listener l =
		listen_start("zc-mig-job", (const char *const[]){"migrate", "zc-mig-job", peer, "--live",
								 "--auto-converge", "--bandwidth", "16",
								 "--downtime", "50", NULL});
	JobFigures max = {0};
	for (int i = 0; i < 1200 && (poll_job_info("zc-mig-job", &max) || max.polls_with_job == 0); i++)
		usleep(100 * 1000);
	_cleanup_(run_done) Run r = listen_end(&l, false);
	if (r.code != 0)
		fail_msg("migrate exited %d: %s", r.code, r.err);
	print_message("domjobinfo: %u polls; expected downtime %" PRIu64 " ms, dirty rate %" PRIu64
		      " MiB/s, throttle %" PRIu64 " %%\n",
		      max.polls_with_job, max.expected_downtime_ms, max.dirty_rate_mibps,
		      max.throttle_percent);
	assert_true(max.dirty_rate_mibps > 0);
	assert_true(max.expected_downtime_ms > 0);
	if (max.dirty_rate_mibps > 16 && max.throttle_percent == 0)
		fail_msg("the guest dirtied %" PRIu64 " MiB/s over a 16 MiB/s link, and domjobinfo never "
			 "showed a throttle",
			 max.dirty_rate_mibps);
	_cleanup_free_ char *ppath = harness_peer_lookup("zc-mig-job");
	assert_non_null(ppath);
	harness_peer_assert_state(ppath, "running", "migrated");
	harness_peer_stop();
	harness_undefine(path);
}

/* A migration on a terminal: the bar drawn and redrawn in place without
 * --verbose; Ctrl-C asks, "n" lets the job go on (the bar with it), the
 * next Ctrl-C and "y" cancel it: Cancelled, the guest still running
 * here and nothing there. */
static void test_migrate_on_a_terminal(void **state)
{
	const char *peer = start_peer_once();
	/* 32 MiB of random data at 8 MiB/s: many seconds to go. */
	_cleanup_free_ char *path = harness_boot_dirty("zc-mig-tty", 32);

	Pty p;
	pty_start(&p,
		  (const char *const[]){"migrate", "zc-mig-tty", peer, "--live", "--bandwidth", "8", NULL});
	size_t at = pty_expect(&p, 0, "migration: [", 60000);
	for (int redraw = 0; redraw < 3; redraw++)
		at = pty_expect(&p, at, "\rmigration: [", 60000);
	pty_type(&p, "\003");
	at = pty_expect(&p, at, "Cancel the migration? [y/N] ", 30000);
	pty_type(&p, "n\n");
	at = pty_expect(&p, at, "\rmigration: [", 60000);
	{
		/* Still under way. */
		_cleanup_free_ char *ji = OK("domjobinfo", "zc-mig-tty", "--json");
		json_object *o = parse_json(ji);
		assert_string_equal(member_string(member(o, "job"), "state"), "running");
		json_object_put(o);
	}
	pty_type(&p, "\003");
	at = pty_expect(&p, at, "Cancel the migration? [y/N] ", 30000);
	pty_type(&p, "y\n");
	int code = pty_end(&p);
	if (code != EXIT_FAILURE_OTHER || !strstr(p.buf + at, "org.zvirt1.Error.Cancelled"))
		fail_msg("after cancelling: exit %d\n%s", code, p.buf);
	/* A bar of 40 columns and the percentage. */
	int percent = -1;
	const char *bar = strstr(p.buf, "migration: [");
	assert_non_null(bar);
	assert_int_equal(bar[strlen("migration: [") + 40], ']');
	assert_int_equal(sscanf(bar + strlen("migration: [") + 41, "%d %%", &percent), 1);
	assert_true(percent >= 0 && percent <= 100);

	_cleanup_free_ char *now = harness_get_string(path, ZVIRT_DOMAIN_IFACE, "State");
	assert_string_equal(now, "running");
	_cleanup_free_ char *there = harness_peer_lookup("zc-mig-tty");
	assert_null(there);
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	harness_peer_stop();
	harness_undefine(path);
}

#define PW_USER     "zvirt-pwtest"
#define PW_PASSWORD "Zv-pw-7391"
#define PW_DOMAIN   "password-guest"

/* zvirtctl start --paused PW_DOMAIN as PW_USER on a terminal. The agent's
 * helper (polkit-agent-helper-1) is setuid, so GLib ignores
 * DBUS_SYSTEM_BUS_ADDRESS there and it answers polkitd on the system
 * bus's well-known socket: in a mount namespace of its own, that socket
 * is the harness's bus. */
static void pty_start_as_pw_user(Pty *p)
{
	_cleanup_free_ char *sock = bus_socket_path(address());
	_cleanup_free_ char *cmd = NULL;
	assert_true(asprintf(&cmd,
			     "mkdir -p /run/dbus && mount -t tmpfs -o mode=755 tmpfs /run/dbus && "
			     ": > /run/dbus/system_bus_socket && "
			     "mount --bind '%s' /run/dbus/system_bus_socket && "
			     "exec setpriv --reuid " PW_USER " --regid nogroup --clear-groups "
			     "'%s' -c '%s' start --paused " PW_DOMAIN,
			     sock, binary(), address()) > 0);
	pty_exec(p, (const char *const[]){"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh",
					  "-c", cmd, NULL});
}

/* polkit's AUTH_SELF through zvirtctl's text agent (pkttyagent): the
 * password prompt on the caller's terminal, the right password lets the
 * call through, a wrong one is "not authorized". */
static void test_password_prompt(void **state)
{
	if (access("/usr/bin/pkttyagent", X_OK) < 0 ||
	    access("/usr/lib/polkit-1/polkit-agent-helper-1", X_OK) < 0) {
		fprintf(stderr, "skip: no pkttyagent or polkit-agent-helper-1\n");
		skip();
	}
	harness_sh("id -u " PW_USER " >/dev/null 2>&1 || useradd -M -N -g nogroup -s /bin/sh " PW_USER
		   " && echo '" PW_USER ":" PW_PASSWORD "' | chpasswd");
	_cleanup_free_ char *xml = harness_guest_xml(PW_DOMAIN);
	_cleanup_free_ char *path = harness_define(xml);

	Pty p;
	pty_start_as_pw_user(&p);
	size_t at = pty_expect(&p, 0, "Password: ", 60000);
	pty_wait_no_echo(&p);
	pty_type(&p, PW_PASSWORD "\n");
	int code = pty_end(&p);
	if (code != 0)
		fail_msg("start with the password: exit %d\n%s", code, p.buf);
	assert_contains(p.buf + at, "AUTHENTICATION COMPLETE");
	harness_assert_state(path, "paused", "user");
	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));

	pty_start_as_pw_user(&p);
	at = pty_expect(&p, 0, "Password: ", 60000);
	pty_wait_no_echo(&p);
	pty_type(&p, "not-" PW_PASSWORD "\n");
	code = pty_end(&p);
	if (code != EXIT_NOT_AUTHORIZED || !strstr(p.buf + at, "org.zvirt1.Error.NotAuthorized"))
		fail_msg("start with a wrong password: exit %d\n%s", code, p.buf);
	harness_assert_state(path, "shut-off", "destroyed");
	harness_undefine(path);
}

static int remove_pw_user(void **state)
{
	harness_sh("! id -u " PW_USER " >/dev/null 2>&1 || userdel " PW_USER);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_and_connection),
		cmocka_unit_test(test_host_commands),
		cmocka_unit_test(test_define_and_read),
		cmocka_unit_test(test_completion),
		cmocka_unit_test(test_validate_native_undefine),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_resources),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_interactive),
		cmocka_unit_test(test_lifecycle_and_events),
		cmocka_unit_test(test_migrate),
		cmocka_unit_test(test_migrate_job),
		cmocka_unit_test(test_migrate_on_a_terminal),
		cmocka_unit_test_teardown(test_password_prompt, remove_pw_user),
	};
	return harness_main("zvirtctl", tests, 0);
}
