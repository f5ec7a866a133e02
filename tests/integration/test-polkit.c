/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ground the other integration tests stand on, without zvirtd: the
 * private bus enforces our real bus policy (data/dbus-1/system.d/
 * org.zvirt1.conf), and the real polkitd on it knows our actions and
 * applies tests/integration/test.rules, and nothing of the host's.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define POLKIT_BUS_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH     "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE    "org.freedesktop.PolicyKit1.Authority"

static const char *const zvirt_actions[] = {
	"org.zvirt1.domain.lifecycle", "org.zvirt1.domain.define", "org.zvirt1.domain.modify",
	"org.zvirt1.domain.console",   "org.zvirt1.domain.dump",   "org.zvirt1.domain.migrate",
	"org.zvirt1.host.configure",   "org.zvirt1.daemon.manage",
};

static int append_subject_unix_process(sd_bus_message *m, pid_t pid, uint64_t start_time, int32_t uid)
{
	return sd_bus_message_append(m, "(sa{sv})", "unix-process", 3, "pid", "u", (uint32_t)pid,
				     "start-time", "t", start_time, "uid", "i", uid);
}

static int append_subject_bus_name(sd_bus_message *m, const char *name)
{
	return sd_bus_message_append(m, "(sa{sv})", "system-bus-name", 1, "name", "s", name);
}

typedef struct Subject {
	bool bus_name; /* else unix-process */
	const char *name;
	pid_t pid;
	uint64_t start_time;
	int32_t uid;
} Subject;

/* CheckAuthorization for a subject; 1 authorized, 0 not, negative errno.
 * verb may be NULL (not passed). */
static int polkit_check(sd_bus *bus, const Subject *subject, const char *action, const char *domain_name,
			const char *verb, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	int authorized, challenge, r;

	r = sd_bus_message_new_method_call(bus, &m, POLKIT_BUS_NAME, POLKIT_PATH, POLKIT_IFACE,
					   "CheckAuthorization");
	if (r < 0)
		return r;
	r = subject->bus_name
		    ? append_subject_bus_name(m, subject->name)
		    : append_subject_unix_process(m, subject->pid, subject->start_time, subject->uid);
	if (r < 0)
		return r;
	/* The details zvirtd passes, so the rule sees what it will see then. */
	r = verb ? sd_bus_message_append(m, "sa{ss}us", action, 3, "verb", verb, "domain_name", domain_name,
					 "domain_uuid", "00000000000000000000000000000000", 0u, "")
		 : sd_bus_message_append(m, "sa{ss}us", action, 2, "domain_name", domain_name, "domain_uuid",
					 "00000000000000000000000000000000", 0u, "");
	if (r < 0)
		return r;
	r = sd_bus_call(bus, m, HARNESS_CALL_TIMEOUT_USEC, error, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
	if (r < 0)
		return r;
	return !!authorized;
}

/* Field 22 of /proc/PID/stat: what polkit uses to tell a pid's incarnations apart. */
static uint64_t process_start_time(pid_t pid)
{
	char path[64], buf[1024];
	const char *p;
	uint64_t start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* after ") " come fields 3..: state is 3, starttime is 22 */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

static void test_polkitd_runs_isolated(void **state)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	bool seen[ELEMENTSOF(zvirt_actions)] = {false};
	bool host_action = false;
	int r;

	assert_int_equal(harness_name_has_owner(harness_bus(), POLKIT_BUS_NAME), 1);

	r = sd_bus_call_method(harness_bus(), POLKIT_BUS_NAME, POLKIT_PATH, POLKIT_IFACE, "EnumerateActions",
			       &error, &reply, "s", "");
	if (r < 0)
		fail_msg("EnumerateActions: %s", error.message);
	assert_return_code(sd_bus_message_enter_container(reply, 'a', "(ssssssuuua{ss})"), 0);
	while ((r = sd_bus_message_enter_container(reply, 'r', "ssssssuuua{ss}")) > 0) {
		const char *id;

		assert_return_code(sd_bus_message_read(reply, "s", &id), 0);
		for (size_t i = 0; i < ELEMENTSOF(zvirt_actions); i++)
			if (strcmp(id, zvirt_actions[i]) == 0)
				seen[i] = true;
		if (strncmp(id, "org.zvirt1.", 11) != 0)
			host_action = true;
		assert_return_code(sd_bus_message_skip(reply, "sssssuuua{ss}"), 0);
		assert_return_code(sd_bus_message_exit_container(reply), 0);
	}
	assert_return_code(r, 0);
	for (size_t i = 0; i < ELEMENTSOF(zvirt_actions); i++)
		if (!seen[i])
			fail_msg("polkitd does not know %s: policy/org.zvirt1.policy not loaded?",
				 zvirt_actions[i]);
	/* Our actions directory hides the host's: only what we gave it. */
	assert_false(host_action);
}

/* A process of nobody's, with or without a bus connection, that lives
 * until stop_holder(): a subject for root to ask polkit about. */
typedef struct Holder {
	pid_t pid;
	int hold_fd;
	char unique_name[256];
} Holder;

static int start_holder(Holder *h, bool with_bus)
{
	int ready[2], hold[2];
	ssize_t n;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
		return -errno;
	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (h->pid == 0) {
		sd_bus *bus = NULL;
		const char *unique = "-";
		char c;

		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		close(hold[1]);
		if (setgroups(0, NULL) < 0 || setgid(HARNESS_NOBODY_UID) < 0 ||
		    setuid(HARNESS_NOBODY_UID) < 0)
			_exit(1);
		if (with_bus && (sd_bus_open_system(&bus) < 0 || sd_bus_get_unique_name(bus, &unique) < 0))
			_exit(1);
		if (write(ready[1], unique, strlen(unique)) != (ssize_t)strlen(unique))
			_exit(1);
		close(ready[1]);
		(void)read(hold[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	h->hold_fd = hold[1];
	n = read(ready[0], h->unique_name, sizeof(h->unique_name) - 1);
	close(ready[0]);
	if (n <= 0)
		return -EIO;
	h->unique_name[n] = '\0';
	return 0;
}

static int stop_holder(Holder *h)
{
	int status;

	close(h->hold_fd);
	if (waitpid(h->pid, &status, 0) != h->pid)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static const struct {
	const char *action;
	const char *domain_name;
	const char *verb;
	int expected;
} rule_cases[] = {
	{"org.zvirt1.domain.lifecycle", HARNESS_GRANTED_DOMAIN, "start", 1},
	{"org.zvirt1.domain.lifecycle", HARNESS_GRANTED_DOMAIN, "destroy", 1},
	{"org.zvirt1.domain.lifecycle", "other-guest", "start", 0},
	{"org.zvirt1.domain.lifecycle", "granted-guest2", "start", 0},
	{"org.zvirt1.domain.define", HARNESS_GRANTED_DOMAIN, "undefine", 0},
	{"org.zvirt1.domain.define", HARNESS_DEFINE_GRANTED_DOMAIN, "undefine", 1},
	{"org.zvirt1.domain.lifecycle", HARNESS_DEFINE_GRANTED_DOMAIN, "start", 0},
	{"org.zvirt1.domain.console", HARNESS_GRANTED_DOMAIN, NULL, 0},
	{"org.zvirt1.daemon.manage", HARNESS_GRANTED_DOMAIN, "reload-config", 0},
	/* The rule for "start-only" reads the verb: Start, nothing else. */
	{"org.zvirt1.domain.lifecycle", "start-only", "start", 1},
	{"org.zvirt1.domain.lifecycle", "start-only", "destroy", 0},
	{"org.zvirt1.domain.lifecycle", "start-only", "resume", 0},
	{"org.zvirt1.domain.lifecycle", "start-only", NULL, 0},
	{"org.zvirt1.domain.define", "start-only", "start", 0},
	/* org.zvirt1.domain.modify: the CPU weight of granted-guest only. */
	{"org.zvirt1.domain.modify", HARNESS_GRANTED_DOMAIN, "schedinfo", 1},
	{"org.zvirt1.domain.modify", HARNESS_GRANTED_DOMAIN, "setvcpus", 0},
	{"org.zvirt1.domain.modify", HARNESS_GRANTED_DOMAIN, "iothreadadd", 0},
	{"org.zvirt1.domain.modify", "other-guest", "schedinfo", 0},
};

static void check_rule_cases(const Subject *s, const char *what)
{
	for (size_t i = 0; i < ELEMENTSOF(rule_cases); i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		int r = polkit_check(harness_bus(), s, rule_cases[i].action, rule_cases[i].domain_name,
				     rule_cases[i].verb, &error);

		if (r < 0)
			fail_msg("CheckAuthorization for %s (%s, %s): %s", what, rule_cases[i].action,
				 rule_cases[i].domain_name, error.message ?: strerror(-r));
		if (r != rule_cases[i].expected)
			fail_msg("%s (verb %s) for %s on %s: %s, expected %s", rule_cases[i].action,
				 rule_cases[i].verb ?: "none", what, rule_cases[i].domain_name,
				 r ? "authorized" : "not authorized",
				 rule_cases[i].expected ? "authorized" : "not authorized");
	}
}

/* A unix-process subject, asked about by root. */
static void test_rule_for_nobody_process(void **state)
{
	Holder h;

	assert_return_code(start_holder(&h, false), 0);
	Subject s = {.pid = h.pid, .start_time = process_start_time(h.pid), .uid = HARNESS_NOBODY_UID};
	if (s.start_time == 0) {
		(void)stop_holder(&h);
		fail_msg("no start time for pid %d", (int)h.pid);
	}
	check_rule_cases(&s, "nobody's process");
	assert_return_code(stop_holder(&h), 0);
}

/* A system-bus-name subject, asked about by root: exactly what zvirtd does
 * for a caller (polkit resolves the name to uid and pid through the bus). */
static void test_rule_for_nobody_bus_name(void **state)
{
	Holder h;

	assert_return_code(start_holder(&h, true), 0);
	Subject s = {.bus_name = true, .name = h.unique_name};
	check_rule_cases(&s, h.unique_name);
	assert_return_code(stop_holder(&h), 0);
}

/* A caller that is not root may not pass details, so a client cannot
 * forge the domain name polkit sees: only the daemon can. */
static int self_check(sd_bus *bus, void *userdata, sd_bus_error *error, char **ret_output)
{
	const char *unique;
	int r;

	r = sd_bus_get_unique_name(bus, &unique);
	if (r < 0)
		return r;
	Subject s = {.bus_name = true, .name = unique};
	return polkit_check(bus, &s, "org.zvirt1.domain.lifecycle", HARNESS_GRANTED_DOMAIN, "start", error);
}

static void test_nobody_cannot_pass_details(void **state)
{
	_cleanup_free_ char *name = NULL, *message = NULL;
	int r = harness_as_nobody(self_check, NULL, &name, &message, NULL);

	assert_true(r < 0);
	assert_string_equal(name, "org.freedesktop.PolicyKit1.Error.NotAuthorized");
}

static int request_zvirt_name(sd_bus *bus, void *userdata, sd_bus_error *error, char **ret_output)
{
	return sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				  "org.freedesktop.DBus", "RequestName", error, NULL, "su", ZVIRT_BUS_NAME,
				  0u);
}

/*
 * A tiny service that owns org.zvirt1, so the bus policy for callers can be
 * checked without the daemon: org.zvirt1.Manager is open to everybody,
 * an interface the policy does not list is not. Runs as root in a child
 * until `stop_fd` closes (or 60 s pass).
 */
static int ping(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return sd_bus_reply_method_return(m, "s", "pong");
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Ping", "", "s", ping, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable other_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Ping", "", "s", ping, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

_Noreturn static void serve_policy_probe(int ready_fd, int stop_fd)
{
	sd_bus *bus = NULL;
	int r;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
					     manager_vtable, NULL);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, ZVIRT_MANAGER_PATH, "org.example.NotListed",
					     other_vtable, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, ZVIRT_BUS_NAME, 0);
	if (r < 0)
		_exit(1);
	if (write(ready_fd, "x", 1) != 1)
		_exit(1);
	for (int i = 0; i < 60 * 20; i++) {
		struct pollfd p = {.fd = stop_fd, .events = POLLIN};

		while ((r = sd_bus_process(bus, NULL)) > 0)
			;
		if (r < 0)
			_exit(1);
		if (poll(&p, 1, 0) != 0)
			break;
		(void)sd_bus_wait(bus, 50 * 1000);
	}
	sd_bus_flush_close_unref(bus);
	_exit(0);
}

static void test_bus_policy(void **state)
{
	_cleanup_free_ char *name = NULL, *output = NULL;
	int ready[2], stop[2], status, r;
	char c;
	pid_t pid;

	/* Nobody may not own the name, whatever runs. */
	r = harness_as_nobody(request_zvirt_name, NULL, &name, NULL, NULL);
	assert_true(r < 0);
	assert_string_equal(name, "org.freedesktop.DBus.Error.AccessDenied");
	free(name);
	name = NULL;

	/* Root may: the probe service takes it. */
	assert_return_code(pipe2(ready, O_CLOEXEC), errno);
	assert_return_code(pipe2(stop, O_CLOEXEC), errno);
	pid = fork();
	assert_return_code(pid, errno);
	if (pid == 0) {
		close(ready[0]);
		close(stop[1]);
		serve_policy_probe(ready[1], stop[0]);
	}
	close(ready[1]);
	close(stop[0]);
	r = (int)read(ready[0], &c, 1);
	close(ready[0]);

	int manager = r == 1 ? harness_call_as_nobody(&name, &output, ZVIRT_MANAGER_PATH,
						      ZVIRT_MANAGER_IFACE, "Ping", NULL)
			     : -EIO;
	_cleanup_free_ char *manager_error = TAKE_PTR(name);
	int introspect =
		r == 1 ? harness_call_as_nobody(&name, NULL, ZVIRT_MANAGER_PATH,
						"org.freedesktop.DBus.Introspectable", "Introspect", NULL)
		       : -EIO;
	_cleanup_free_ char *introspect_error = TAKE_PTR(name);
	int get_all = r == 1 ? harness_call_as_nobody(&name, NULL, ZVIRT_MANAGER_PATH,
						      "org.freedesktop.DBus.Properties", "GetAll", "s",
						      ZVIRT_MANAGER_IFACE)
			     : -EIO;
	_cleanup_free_ char *get_all_error = TAKE_PTR(name);
	int other = r == 1 ? harness_call_as_nobody(&name, NULL, ZVIRT_MANAGER_PATH, "org.example.NotListed",
						    "Ping", NULL)
			   : -EIO;
	_cleanup_free_ char *other_error = TAKE_PTR(name);
	/* Root is not limited by the policy. */
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int root_other = r == 1 ? harness_call_full(harness_bus(), &error, NULL, ZVIRT_MANAGER_PATH,
						    "org.example.NotListed", "Ping", NULL)
				: -EIO;

	close(stop[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(r, 1);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	if (manager < 0)
		fail_msg("nobody calling org.zvirt1.Manager: %s", manager_error);
	assert_non_null(strstr(output, "pong"));
	if (introspect < 0)
		fail_msg("nobody introspecting: %s", introspect_error);
	if (get_all < 0)
		fail_msg("nobody calling Properties.GetAll: %s", get_all_error);
	assert_true(other < 0);
	assert_string_equal(other_error, "org.freedesktop.DBus.Error.AccessDenied");
	if (root_other < 0)
		fail_msg("root calling an unlisted interface: %s", error.message);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_polkitd_runs_isolated),
		cmocka_unit_test(test_rule_for_nobody_process),
		cmocka_unit_test(test_rule_for_nobody_bus_name),
		cmocka_unit_test(test_nobody_cannot_pass_details),
		cmocka_unit_test(test_bus_policy),
	};

	return harness_main("polkit", tests, HARNESS_NO_DAEMON);
}
