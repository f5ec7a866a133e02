/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's uevent datagrams (host/uevent-monitor.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "host/uevent-monitor.h"

static void test_parse(void **state)
{
	static const char msg[] = "add@/devices/css0/0.0.0000/0.0.7500/block/dasda\0"
				  "ACTION=add\0"
				  "DEVPATH=/devices/css0/0.0.0000/0.0.7500/block/dasda\0"
				  "SUBSYSTEM=block\0"
				  "DEVNAME=dasda\0"
				  "SEQNUM=1001";
	HostUevent ev;
	assert_int_equal(host_uevent_parse(msg, sizeof(msg), &ev), 0);
	assert_string_equal(ev.action, "add");
	assert_string_equal(ev.devpath, "/devices/css0/0.0.0000/0.0.7500/block/dasda");
	assert_string_equal(ev.subsystem, "block");
}

static void test_refused(void **state)
{
	HostUevent ev;
	/* udev's own (group 2) have a header, not ACTION@DEVPATH. */
	static const char udev[] = "libudev\0\xfe\xed\xca\xfe";
	assert_int_equal(host_uevent_parse(udev, sizeof(udev), &ev), -EINVAL);
	/* No SUBSYSTEM. */
	static const char partial[] = "change@/devices/x\0ACTION=change\0DEVPATH=/devices/x";
	assert_int_equal(host_uevent_parse(partial, sizeof(partial), &ev), -EINVAL);
	/* Not terminated. */
	static const char cut[] = "change@/d\0ACTION=change\0DEVPATH=/d\0SUBSYSTEM=ccw";
	assert_int_equal(host_uevent_parse(cut, sizeof(cut) - 1, &ev), -EINVAL);
	/* A relative devpath. */
	static const char rel[] = "change@x\0ACTION=change\0DEVPATH=x\0SUBSYSTEM=ccw";
	assert_int_equal(host_uevent_parse(rel, sizeof(rel), &ev), -EINVAL);
	assert_int_equal(host_uevent_parse("", 0, &ev), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse), cmocka_unit_test(test_refused)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
