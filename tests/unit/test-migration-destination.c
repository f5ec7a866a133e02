/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain.Migrate's destination (migration/destination.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "migration/destination.h"

static void ok(const char *s, bool ssh, const char *target, const char *peer)
{
	MigrationDestination d = {};
	char *why = NULL;
	if (migration_destination_parse(s, &d, &why) < 0)
		fail_msg("%s: %s", s, why ? why : "?");
	assert_int_equal(d.ssh, ssh);
	assert_string_equal(ssh ? d.host : d.address, target);
	assert_null(ssh ? d.address : d.host);
	assert_string_equal(d.peer, peer);
	migration_destination_done(&d);
}

static void bad(const char *s, const char *part)
{
	MigrationDestination d = {};
	char *why = NULL;
	assert_int_equal(migration_destination_parse(s, &d, &why), -EINVAL);
	assert_null(d.host);
	assert_null(d.address);
	assert_non_null(why);
	if (!strstr(why, part))
		fail_msg("%s: '%s', expected '%s'", s, why, part);
	free(why);
}

static void test_ssh(void **state)
{
	(void)state;
	ok("ssh://kvmhost", true, "kvmhost", "kvmhost");
	ok("ssh://root@zhost.example.com", true, "root@zhost.example.com", "zhost.example.com");
	ok("ssh://admin@10.1.2.3:2222", true, "admin@10.1.2.3:2222", "10.1.2.3");
	ok("ssh://[fd00::1]", true, "[fd00::1]", "[fd00::1]");
	ok("ssh://kvmhost/", true, "kvmhost", "kvmhost");
}

static void test_bus_address(void **state)
{
	(void)state;
	ok("unix:path=/run/dbus/system_bus_socket", false, "unix:path=/run/dbus/system_bus_socket",
	   "unix:path=/run/dbus/system_bus_socket");
	ok("tcp:host=127.0.0.3,port=5555", false, "tcp:host=127.0.0.3,port=5555", "127.0.0.3");
	ok("unix:abstract=zvirt-test,guid=0123456789abcdef0123456789abcdef", false,
	   "unix:abstract=zvirt-test,guid=0123456789abcdef0123456789abcdef",
	   "unix:abstract=zvirt-test,guid=0123456789abcdef0123456789abcdef");
}

/* Nothing that ssh could read as an option or a shell as a command. */
static void test_hostile(void **state)
{
	(void)state;
	bad("", "is empty");
	bad("ssh://", "names no host");
	bad("ssh://-oProxyCommand=sh", "names no host");
	bad("ssh://host;reboot", "cannot have");
	bad("ssh://a b", "cannot have");
	bad("ssh://-l@host", "user name");
	bad("ssh://@host", "user name");
	bad("ssh://us$er@host", "user name");
	bad("ssh://host:0", "port");
	bad("ssh://host:70000", "port");
	bad("ssh://host:22x", "port");
	bad("ssh://[fd00::1", "IPv6");
	bad("ssh://[]", "IPv6");
	bad("qemu+ssh://kvmhost/system", "neither");
	bad("kvmhost", "neither");
	bad("unix:", "names no socket");
	/* sd-bus would run this, as root. */
	bad("unixexec:path=/bin/sh,argv1=-c,argv2=touch /tmp/x", "neither");
	bad("x-machine-unix:machine=other", "neither");
	bad("unix:path=/a;unixexec:path=/bin/sh", "more than one");
	bad("unix:path=/run/dbus/system_bus_socket,runtime=yes", "does not take");
	bad("tcp:host=kvmhost,port=5555", "numeric");
	bad("tcp:host=127.0.0.3", "no port");
	bad("tcp:host=127.0.0.3,port=0", "port");
	bad("unix:path", "key=value");
	bad("ssh://h\xc3\xa9te", "cannot have");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssh),
		cmocka_unit_test(test_bus_address),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
