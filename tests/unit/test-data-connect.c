/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The source's data connection (migration/data-connect.h): the uri the
 * destination answers, and a connect that never blocks the loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "migration/data-connect.h"
#include "migration/port-listen.h"

static void test_uri(void **state)
{
	struct sockaddr_storage a;
	socklen_t len;
	assert_int_equal(migration_uri_parse("tcp:127.0.0.2:49152", &a, &len), 0);
	assert_int_equal(a.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(((struct sockaddr_in *)&a)->sin_port), 49152);
	assert_int_equal(migration_uri_parse("tcp:[::1]:8002", &a, &len), 0);
	assert_int_equal(a.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&a)->sin6_port), 8002);

	const char *bad[] = {
		NULL,
		"",
		"tcp:",
		"tcp:127.0.0.1",
		"tcp:127.0.0.1:",
		"tcp:127.0.0.1:0",
		"tcp:127.0.0.1:65536",
		"tcp:127.0.0.1:-1",
		"tcp:127.0.0.1:80x",
		"tcp:localhost:49152", /* a name would need a lookup */
		"tcp:::1:49152",       /* IPv6 without brackets */
		"tcp:[127.0.0.1]:49152",
		"tcp:[::1:49152",
		"unix:/run/x",
		"fd:3",
		"tcp:[0123456789abcdef0123456789abcdef0123456789abcdef]:1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (migration_uri_parse(bad[i], &a, &len) != -EINVAL)
			fail_msg("accepted '%s'", bad[i] ? bad[i] : "(null)");
}

typedef struct Outcome {
	int result, fd, calls;
	sd_event *event;
} Outcome;

static void on_done(int result, int fd, void *userdata)
{
	Outcome *o = userdata;
	o->result = result;
	o->fd = fd;
	o->calls++;
}

static void run_until_done(Outcome *o)
{
	for (int i = 0; i < 100 && o->calls == 0; i++)
		assert_true(sd_event_run(o->event, 100000) >= 0);
}

static void test_connect(void **state)
{
	sd_event *e = NULL;
	assert_int_equal(sd_event_new(&e), 0);
	int lfd;
	uint16_t port;
	assert_int_equal(migration_listen("127.0.0.1", 49152, 49215, &lfd, &port), 0);
	char uri[64];
	snprintf(uri, sizeof(uri), "tcp:127.0.0.1:%u", port);

	Outcome o = {.fd = -1, .event = e};
	DataConnect *c = NULL;
	assert_int_equal(data_connect_new(e, uri, 5000000, on_done, &o, &c), 0);
	run_until_done(&o);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.result, 0);
	assert_true(o.fd >= 0);
	int peer = accept(lfd, NULL, NULL);
	assert_true(peer >= 0);
	assert_int_equal(write(o.fd, "x", 1), 1);
	char b;
	assert_int_equal(read(peer, &b, 1), 1);
	close(peer);
	close(o.fd);
	data_connect_free(c);

	/* Nobody listens there any more: refused, said once. */
	close(lfd);
	o = (Outcome){.fd = -1, .event = e};
	assert_int_equal(data_connect_new(e, uri, 5000000, on_done, &o, &c), 0);
	run_until_done(&o);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.result, -ECONNREFUSED);
	assert_int_equal(o.fd, -1);
	data_connect_free(c);

	/* Freed before it connects: no callback. */
	assert_int_equal(migration_listen("127.0.0.1", 49152, 49215, &lfd, &port), 0);
	snprintf(uri, sizeof(uri), "tcp:127.0.0.1:%u", port);
	o = (Outcome){.fd = -1, .event = e};
	assert_int_equal(data_connect_new(e, uri, 5000000, on_done, &o, &c), 0);
	data_connect_free(c);
	assert_int_equal(sd_event_run(e, 100000), 0);
	assert_int_equal(o.calls, 0);
	close(lfd);

	assert_int_equal(data_connect_new(e, "tcp:host:1", 1000, on_done, &o, &c), -EINVAL);
	sd_event_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_connect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
