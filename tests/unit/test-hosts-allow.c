/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The relocation server's peer check (migration/hosts-allow.h) and its
 * listening socket (migration/port-listen.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "migration/hosts-allow.h"
#include "migration/port-listen.h"
#include "migration/relocation-accept.h"
#include "util/worker.h"
#include "util/cleanup.h"

static HostsAllow *parse(const char *spec)
{
	HostsAllow *h = NULL;
	char *why = NULL;
	if (hosts_allow_parse(spec, &h, &why) < 0)
		fail_msg("%s: %s", spec, why ? why : "?");
	return h;
}

static void test_default(void **state)
{
	(void)state;
	HostsAllow *h = parse("^localhost$");
	assert_true(hosts_allow_match(h, "localhost", "127.0.0.1"));
	assert_true(hosts_allow_match(h, "LOCALHOST", "127.0.0.1"));
	assert_false(hosts_allow_match(h, "localhost.example.com", "127.0.0.1"));
	assert_false(hosts_allow_match(h, NULL, "127.0.0.1"));
	assert_false(hosts_allow_match(h, "evil", "10.0.0.1"));
	hosts_allow_free(h);
}

/* xend's re.match: anchored at the start, not at the end. */
static void test_match_start(void **state)
{
	(void)state;
	HostsAllow *h = parse("host  192\\.168\\.1\\.[0-9]+$ ^.*\\.example\\.com$");
	assert_true(hosts_allow_match(h, "hostb", "10.0.0.1"));
	assert_false(hosts_allow_match(h, "ahost", "10.0.0.1"));
	assert_true(hosts_allow_match(h, NULL, "192.168.1.42"));
	assert_false(hosts_allow_match(h, NULL, "10.192.168.1.42"));
	assert_false(hosts_allow_match(h, NULL, "192.168.1.42x"));
	assert_true(hosts_allow_match(h, "zhost.example.com", "10.0.0.1"));
	assert_false(hosts_allow_match(h, "zhost.example.com.evil", "10.0.0.1"));
	hosts_allow_free(h);
}

static void test_empty_allows_all(void **state)
{
	(void)state;
	HostsAllow *h = parse("");
	assert_true(hosts_allow_match(h, NULL, "203.0.113.9"));
	hosts_allow_free(h);
	h = parse("   ");
	assert_true(hosts_allow_match(h, "any", "::1"));
	hosts_allow_free(h);
}

static void test_bad_expression(void **state)
{
	(void)state;
	HostsAllow *h = NULL;
	_cleanup_free_ char *why = NULL;
	assert_int_equal(hosts_allow_parse("^ok$ (unclosed", &h, &why), -EINVAL);
	assert_null(h);
	assert_non_null(why);
	assert_non_null(strstr(why, "'(unclosed'"));
}

/* What would make regcomp run for seconds is refused at once; what a
 * host name needs is not. */
static void test_too_complex(void **state)
{
	(void)state;
	static const char *const refused[] = {
		"^c++++++++++++++++++++++$",
		"((((((((((((c+)+)+)+)+)+)+)+)+)+)+)+)+",
		"((((c{1,9}){1,9}){1,9}){1,9})",
		"a{2000}",
		"(x{1,40}){1,40}",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		HostsAllow *h = NULL;
		_cleanup_free_ char *why = NULL;
		assert_int_equal(hosts_allow_parse(refused[i], &h, &why), -EINVAL);
		assert_null(h);
		assert_non_null(strstr(why, "too complex"));
	}
	_cleanup_free_ char *long_one = malloc(300);
	assert_non_null(long_one);
	memset(long_one, 'a', 299);
	long_one[299] = '\0';
	HostsAllow *h = NULL;
	_cleanup_free_ char *why = NULL;
	assert_int_equal(hosts_allow_parse(long_one, &h, &why), -EINVAL);

	/* Escaped and bracketed quantifier characters are no quantifiers. */
	assert_int_equal(
		hosts_allow_parse("^node[0-9]{1,3}\\.example\\.com$ ^10\\.[0-9]+\\.[0-9]+\\.[0-9]+$ "
				  "^a\\+\\+\\+\\+\\+\\+\\+\\+\\+\\+\\+b$ ^[+*?]{1,2}[+]*$",
				  &h, NULL),
		0);
	assert_true(hosts_allow_match(h, "node17.example.com", "192.0.2.1"));
	assert_true(hosts_allow_match(h, NULL, "10.1.2.3"));
	assert_true(hosts_allow_match(h, "a+++++++++++b", "192.0.2.1"));
	assert_false(hosts_allow_match(h, "node1777.example.com", "192.0.2.1"));
	hosts_allow_free(h);
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				       : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* The first free port of the range, on the address asked for. */
static void test_listen_range(void **state)
{
	(void)state;
	int a = -1, b = -1, c = -1;
	uint16_t pa = 0, pb = 0, pc = 0;
	/* A range of three high ports; another test run may hold one of
	 * them, so only the order is checked. */
	int r = migration_listen("127.0.0.1", 61100, 61102, &a, &pa);
	if (r == -EADDRINUSE)
		skip();
	assert_int_equal(r, 0);
	assert_int_equal(bound_port(a), pa);
	assert_int_equal(migration_listen("127.0.0.1", pa, 61102, &b, &pb), 0);
	assert_true(pb > pa);
	r = migration_listen("127.0.0.1", pa, pb, &c, &pc);
	assert_int_equal(r, -EADDRINUSE);
	close(a);
	/* Freed, the first port is given again. */
	assert_int_equal(migration_listen("127.0.0.1", pa, pb, &c, &pc), 0);
	assert_int_equal(pc, pa);
	close(b);
	close(c);
}

static void test_listen_addresses(void **state)
{
	(void)state;
	int fd = -1;
	uint16_t port = 0;
	assert_int_equal(migration_listen("", 61110, 61120, &fd, &port), 0);
	close(fd);
	int r = migration_listen("::1", 61110, 61120, &fd, &port);
	if (r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL)
		print_message("no IPv6 loopback here: ::1 not checked\n");
	else {
		assert_int_equal(r, 0);
		close(fd);
	}
	assert_int_equal(migration_listen("localhost", 61110, 61120, &fd, &port), -EINVAL);
	assert_int_equal(migration_listen("127.0.0.1", 61120, 61110, &fd, &port), -EINVAL);
	assert_int_equal(migration_listen("127.0.0.1", 0, 10, &fd, &port), -EINVAL);
	/* An address this host does not have. */
	assert_int_equal(migration_listen("192.0.2.1", 61110, 61120, &fd, &port), -EADDRNOTAVAIL);
}

typedef struct Accepted {
	int n, result, fd;
	char peer[256];
} Accepted;

static void on_accepted(int result, int fd, const char *peer, void *userdata)
{
	Accepted *a = userdata;
	a->n++;
	a->result = result;
	a->fd = fd;
	snprintf(a->peer, sizeof(a->peer), "%s", peer ? peer : "");
}

/* A TCP connection to port from source address src. */
static int connect_from(const char *src, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in s = {.sin_family = AF_INET}, d = {.sin_family = AF_INET, .sin_port = htons(port)};
	assert_int_equal(inet_pton(AF_INET, src, &s.sin_addr), 1);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &d.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&s, sizeof(s)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&d, sizeof(d)), 0);
	return fd;
}

static void run_until(sd_event *e, const int *n, int want)
{
	for (int i = 0; i < 500 && *n < want; i++)
		assert_true(sd_event_run(e, 10 * 1000) >= 0);
	assert_int_equal(*n, want);
}

/* A refused peer is closed and the wait goes on; the allowed one is
 * handed over. */
static void test_accept_allowed_only(void **state)
{
	(void)state;
	sd_event *e = NULL;
	assert_int_equal(sd_event_new(&e), 0);
	Worker *w = NULL;
	assert_int_equal(worker_new(e, 1, &w), 0);
	HostsAllow *allow = parse("^127\\.0\\.0\\.2$");
	int lfd = -1;
	uint16_t port = 0;
	assert_int_equal(migration_listen("127.0.0.1", 61130, 61150, &lfd, &port), 0);
	Accepted got = {.fd = -1};
	RelocationAccept *a = NULL;
	assert_int_equal(
		relocation_accept_new(e, w, lfd, allow, 5 * 1000 * 1000, "domain t", on_accepted, &got, &a),
		0);

	int stray = connect_from("127.0.0.1", port);
	/* Closed by the acceptor: the stray peer reads the end. */
	char c;
	for (int i = 0; i < 200; i++) {
		assert_true(sd_event_run(e, 10 * 1000) >= 0);
		struct pollfd p = {.fd = stray, .events = POLLIN};
		if (poll(&p, 1, 0) == 1)
			break;
	}
	assert_int_equal(read(stray, &c, 1), 0);
	close(stray);
	assert_int_equal(got.n, 0);

	int source = connect_from("127.0.0.2", port);
	run_until(e, &got.n, 1);
	assert_int_equal(got.result, 0);
	assert_true(got.fd >= 0);
	assert_non_null(strstr(got.peer, "127.0.0.2"));
	/* The connection is the source's. */
	assert_int_equal(write(source, "x", 1), 1);
	assert_int_equal(read(got.fd, &c, 1), 1);
	assert_int_equal(c, 'x');
	close(got.fd);
	close(source);
	relocation_accept_free(a);
	hosts_allow_free(allow);
	worker_free(w);
	sd_event_unref(e);
}

static void test_accept_timeout(void **state)
{
	(void)state;
	sd_event *e = NULL;
	assert_int_equal(sd_event_new(&e), 0);
	Worker *w = NULL;
	assert_int_equal(worker_new(e, 1, &w), 0);
	HostsAllow *allow = parse("^localhost$");
	int lfd = -1;
	uint16_t port = 0;
	assert_int_equal(migration_listen("127.0.0.1", 61130, 61150, &lfd, &port), 0);
	Accepted got = {.fd = -1};
	RelocationAccept *a = NULL;
	assert_int_equal(
		relocation_accept_new(e, w, lfd, allow, 100 * 1000, "domain t", on_accepted, &got, &a), 0);
	run_until(e, &got.n, 1);
	assert_int_equal(got.result, -ETIMEDOUT);
	assert_int_equal(got.fd, -1);
	relocation_accept_free(a);
	hosts_allow_free(allow);
	worker_free(w);
	sd_event_unref(e);
}

/* Freed while a peer's lookup is queued or running: no wait, no
 * callback, and the lookup cleans up after itself (ASan's leak check). */
static void test_free_during_lookup(void **state)
{
	(void)state;
	sd_event *e = NULL;
	assert_int_equal(sd_event_new(&e), 0);
	Worker *w = NULL;
	assert_int_equal(worker_new(e, 1, &w), 0);
	HostsAllow *allow = parse("^nothing$");
	int lfd = -1;
	uint16_t port = 0;
	assert_int_equal(migration_listen("127.0.0.1", 61130, 61150, &lfd, &port), 0);
	Accepted got = {.fd = -1};
	RelocationAccept *a = NULL;
	assert_int_equal(
		relocation_accept_new(e, w, lfd, allow, 5 * 1000 * 1000, "domain t", on_accepted, &got, &a),
		0);
	int peer = connect_from("127.0.0.1", port);
	/* Accepted, its lookup handed to the worker. */
	assert_true(sd_event_run(e, 100 * 1000) >= 0);
	relocation_accept_free(a);
	for (int i = 0; i < 50; i++)
		assert_true(sd_event_run(e, 10 * 1000) >= 0);
	assert_int_equal(got.n, 0);
	close(peer);
	hosts_allow_free(allow);
	worker_free(w);
	sd_event_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),          cmocka_unit_test(test_match_start),
		cmocka_unit_test(test_too_complex),      cmocka_unit_test(test_empty_allows_all),
		cmocka_unit_test(test_bad_expression),   cmocka_unit_test(test_listen_range),
		cmocka_unit_test(test_listen_addresses), cmocka_unit_test(test_accept_allowed_only),
		cmocka_unit_test(test_accept_timeout),   cmocka_unit_test(test_free_during_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
