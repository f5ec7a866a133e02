/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runtime status document: what is written reads back the same
 * (paths with quotes and newlines included, the owners of the files a
 * start gave away), and what is not a status document the daemon wrote
 * is refused without a crash. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf/status-xml.h"
#include "util/cleanup.h"

static const char *const domain_xml =
	"<domain type='qemu'><name>st1</name><uuid>6a5c1f29-8a4c-4c5d-9a6e-2c2f0b1a9d11</uuid>"
	"<memory unit='MiB'>256</memory><os><type arch='s390x' machine='s390-ccw-virtio-7.2'>hvm</type></os>"
	"<devices><console type='pty'><target type='sclp'/></console></devices></domain>";

static const DomainXMLDefaults defaults = {.emulator = "/usr/bin/qemu-system-s390x"};

static DomainDef *parse_domain(void)
{
	DomainDef *def = NULL;
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(domain_def_parse(domain_xml, strlen(domain_xml), &defaults, 0, &def, &err), 0);
	return def;
}

static void test_round_trip(void **state)
{
	_cleanup_(domain_def_freep) DomainDef *live = parse_domain();
	live->consoles[0].live_pty_path = strdup("/dev/pts/4");
	DomainStatus st = {
		.state = DOMAIN_STATE_PAUSED,
		.reason = DOMAIN_REASON_USER,
		.sequence = 18446744073709551615ULL,
		.id = 7,
		.pid = 4242,
		.persistent = true,
		.qmp_path = "/run/zvirtd/domains/x'y\".qmp",
		.log_path = "/var/log/zvirtd/a&b<c>\n\td.log",
		.live = live,
	};
	_cleanup_free_ char *xml = domain_status_format(&st);
	assert_non_null(xml);

	DomainStatus back = {};
	assert_int_equal(domain_status_parse(xml, strlen(xml), &defaults, &back), 0);
	assert_int_equal(back.state, DOMAIN_STATE_PAUSED);
	assert_int_equal(back.reason, DOMAIN_REASON_USER);
	assert_true(back.sequence == st.sequence);
	assert_int_equal(back.id, 7);
	assert_int_equal(back.pid, 4242);
	assert_true(back.persistent);
	assert_string_equal(back.qmp_path, st.qmp_path);
	assert_string_equal(back.log_path, st.log_path);
	/* Live-only values survive: the status file is the daemon's memory. */
	assert_string_equal(back.live->consoles[0].live_pty_path, "/dev/pts/4");
	assert_string_equal(back.live->name, "st1");

	/* Formatting what was read gives the same document. */
	_cleanup_free_ char *again = domain_status_format(&back);
	assert_string_equal(again, xml);
	domain_status_done(&back);
	assert_null(back.live);
}

/* What was asked for and not done yet survives the round trip too. */
static void test_intents(void **state)
{
	_cleanup_(domain_def_freep) DomainDef *live = parse_domain();
	DomainStatus st = {.state = DOMAIN_STATE_SHUT_OFF,
			   .reason = DOMAIN_REASON_UNKNOWN,
			   .pid = 77,
			   .qmp_path = "/q",
			   .live = live,
			   .starting = true,
			   .start_paused = true,
			   .restart_pending = true,
			   .stop_expected = true,
			   .stop_reason = DOMAIN_REASON_DESTROYED,
			   .kill_at_usec = 123456789012ULL,
			   .incoming = true,
			   .incoming_prev_reason = _DOMAIN_REASON_MAX,
			   .migrating = true,
			   .migrating_resume = true};
	_cleanup_free_ char *xml = domain_status_format(&st);
	assert_non_null(strstr(xml, "<intents starting='paused' restart='yes' stop='destroyed' "
				    "kill-at='123456789012' incoming='yes' migrating='running'/>"));
	DomainStatus back = {};
	assert_int_equal(domain_status_parse(xml, strlen(xml), &defaults, &back), 0);
	assert_true(back.starting && back.start_paused && back.restart_pending && back.stop_expected);
	assert_true(back.incoming && !back.restoring && !back.saving);
	assert_true(back.migrating && back.migrating_resume);
	assert_int_equal(back.incoming_prev_reason, _DOMAIN_REASON_MAX);
	domain_status_done(&back);

	/* Came to an inactive definition: the reason it goes back to. */
	st.incoming_prev_reason = DOMAIN_REASON_SHUTDOWN;
	_cleanup_free_ char *to_def = domain_status_format(&st);
	assert_non_null(strstr(to_def, "incoming='shutdown'"));
	assert_int_equal(domain_status_parse(to_def, strlen(to_def), &defaults, &back), 0);
	assert_true(back.incoming);
	assert_int_equal(back.incoming_prev_reason, DOMAIN_REASON_SHUTDOWN);
	assert_int_equal(back.stop_reason, DOMAIN_REASON_DESTROYED);
	assert_true(back.kill_at_usec == 123456789012ULL);
	domain_status_done(&back);

	/* None: no element at all. */
	st.starting = st.restart_pending = st.stop_expected = st.incoming = st.migrating = false;
	st.kill_at_usec = 0;
	_cleanup_free_ char *plain = domain_status_format(&st);
	assert_null(strstr(plain, "<intents"));

	/* Each bad value makes the file unreadable rather than half-read. */
	const char *bad[] = {"starting='soon'", "restart='no'",  "stop='because'", "kill-at='-1'",
			     "kill-at='0'",     "kill-at='12x'", "incoming='no'",  "migrating='yes'"};
	const char *dom = strstr(plain, "<domain");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[8192];
		snprintf(buf, sizeof(buf),
			 "<domstatus state='shut-off' reason='unknown' sequence='0' id='1' pid='77' "
			 "persistent='yes'><monitor path='/q'/><intents %s/>%s",
			 bad[i], dom);
		DomainStatus out = {};
		assert_int_equal(domain_status_parse(buf, strlen(buf), &defaults, &out), -EBADMSG);
		domain_status_done(&out);
	}
}

static void test_no_live_definition(void **state)
{
	DomainStatus st = {.state = DOMAIN_STATE_RUNNING, .reason = DOMAIN_REASON_BOOTED, .pid = 1};
	assert_null(domain_status_format(&st));
}

static void test_refused(void **state)
{
	_cleanup_(domain_def_freep) DomainDef *live = parse_domain();
	DomainStatus st = {.state = DOMAIN_STATE_RUNNING,
			   .reason = DOMAIN_REASON_BOOTED,
			   .id = 1,
			   .pid = 10,
			   .qmp_path = "/q",
			   .log_path = "/l",
			   .live = live};
	_cleanup_free_ char *good = domain_status_format(&st);
	assert_non_null(good);
	const char *dom = strstr(good, "<domain");
	assert_non_null(dom);

	char buf[8192];
	const char *bad[] = {
		"", "not xml", "<other/>",
		/* An entity declaration: the file is ours, and ours never has one. */
		"<!DOCTYPE domstatus [<!ENTITY x 'y'>]><domstatus/>",
		"<domstatus state='running' reason='booted' sequence='1' id='1' pid='10' persistent='yes'>"
		"<monitor path='/q'/></domstatus>",
		NULL, /* filled below: each with one thing wrong around a good <domain> */
	};
	for (size_t i = 0; bad[i]; i++) {
		DomainStatus out = {};
		assert_int_equal(domain_status_parse(bad[i], strlen(bad[i]), &defaults, &out), -EBADMSG);
		domain_status_done(&out);
	}

	const char *heads[] = {
		"<domstatus state='sleeping' reason='booted' sequence='1' id='1' pid='10' persistent='yes'>",
		"<domstatus state='running' reason='because' sequence='1' id='1' pid='10' persistent='yes'>",
		"<domstatus state='running' reason='booted' sequence='1' id='1' pid='0' persistent='yes'>",
		"<domstatus state='running' reason='booted' sequence='1' id='1' persistent='yes'>",
	};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		snprintf(buf, sizeof(buf), "%s<monitor path='/q'/>%s", heads[i], dom);
		DomainStatus out = {};
		assert_int_equal(domain_status_parse(buf, strlen(buf), &defaults, &out), -EBADMSG);
		domain_status_done(&out);
	}

	/* Before QEMU is spawned (pid 0) the domain is still shut-off. */
	snprintf(
		buf, sizeof(buf), "%s<monitor path='/q'/>%s",
		"<domstatus state='shut-off' reason='unknown' sequence='1' id='1' pid='0' persistent='yes'>",
		dom);
	{
		DomainStatus out = {};
		assert_int_equal(domain_status_parse(buf, strlen(buf), &defaults, &out), 0);
		assert_int_equal(out.pid, 0);
		domain_status_done(&out);
	}

	/* A live definition that does not parse makes the file unreadable. */
	snprintf(buf, sizeof(buf),
		 "<domstatus state='running' reason='booted' sequence='1' id='1' pid='10' persistent='yes'>"
		 "<monitor path='/q'/><domain type='qemu'><name>a/b</name></domain></domstatus>");
	DomainStatus out = {};
	assert_true(domain_status_parse(buf, strlen(buf), &defaults, &out) < 0);
	assert_null(out.live);
	domain_status_done(&out);
}

/* The files a start gave to QEMU's user survive a daemon restart: their
 * owners come back exactly, a file without <owners> (written before it
 * existed) reads as having none, and a damaged entry is refused. */
static void test_owners(void **state)
{
	_cleanup_(domain_def_freep) DomainDef *live = parse_domain();
	FileOwner v[] = {
		{.path = (char *)"/srv/img/a'b\".qcow2",
		 .dev = 2049,
		 .ino = 18446744073709551615ULL,
		 .uid = 0,
		 .gid = 0,
		 .label_uid = 102,
		 .label_gid = 106},
		{.path = (char *)"/dev/dasdb1",
		 .dev = 5,
		 .ino = 7,
		 .uid = 4294967294U,
		 .gid = 6,
		 .label_uid = 0,
		 .label_gid = 4294967294U},
	};
	DomainStatus st = {.state = DOMAIN_STATE_RUNNING,
			   .reason = DOMAIN_REASON_BOOTED,
			   .pid = 77,
			   .qmp_path = "/q",
			   .live = live,
			   .owners = {.v = v, .n = 2}};
	_cleanup_free_ char *xml = domain_status_format(&st);
	assert_non_null(xml);
	assert_non_null(strstr(xml, "<owners>"));

	DomainStatus back = {};
	assert_int_equal(domain_status_parse(xml, strlen(xml), &defaults, &back), 0);
	assert_int_equal(back.owners.n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(back.owners.v[i].path, v[i].path);
		assert_true(back.owners.v[i].dev == v[i].dev && back.owners.v[i].ino == v[i].ino);
		assert_int_equal(back.owners.v[i].uid, v[i].uid);
		assert_int_equal(back.owners.v[i].gid, v[i].gid);
		assert_int_equal(back.owners.v[i].label_uid, v[i].label_uid);
		assert_int_equal(back.owners.v[i].label_gid, v[i].label_gid);
	}
	_cleanup_free_ char *again = domain_status_format(&back);
	assert_string_equal(again, xml);
	domain_status_done(&back);
	assert_int_equal(back.owners.n, 0);

	/* None: no element, and an old file reads with none. */
	st.owners = (FileOwners){};
	_cleanup_free_ char *plain = domain_status_format(&st);
	assert_null(strstr(plain, "<owners"));
	assert_int_equal(domain_status_parse(plain, strlen(plain), &defaults, &back), 0);
	assert_int_equal(back.owners.n, 0);
	assert_null(back.owners.v);
	domain_status_done(&back);

	/* An empty element is none too. */
	const char *dom = strstr(plain, "<domain");
	char buf[8192];
	snprintf(buf, sizeof(buf),
		 "<domstatus state='running' reason='booted' sequence='0' id='1' pid='77' "
		 "persistent='yes'><monitor path='/q'/><owners/>%s",
		 dom);
	assert_int_equal(domain_status_parse(buf, strlen(buf), &defaults, &back), 0);
	assert_int_equal(back.owners.n, 0);
	domain_status_done(&back);

	const char *good = "path='/a' dev='1' ino='2' uid='0' gid='0' label-uid='102' label-gid='106'";
	const char *bad[] = {
		"path='a' dev='1' ino='2' uid='0' gid='0' label-uid='102' label-gid='106'",
		"dev='1' ino='2' uid='0' gid='0' label-uid='102' label-gid='106'",
		"path='/a' ino='2' uid='0' gid='0' label-uid='102' label-gid='106'",
		"path='/a' dev='1' ino='2' uid='-1' gid='0' label-uid='102' label-gid='106'",
		"path='/a' dev='1' ino='2' uid='4294967295' gid='0' label-uid='102' label-gid='106'",
		"path='/a' dev='1' ino='2' uid='0' gid='0x1' label-uid='102' label-gid='106'",
		"path='/a' dev='1' ino='2' uid='0' gid='0' label-uid=' 102' label-gid='106'",
		"path='/a' dev='1' ino='2' uid='0' gid='0' label-uid='102'",
		"path='/a' dev='18446744073709551616' ino='2' uid='0' gid='0' label-uid='1' label-gid='1'",
	};
	for (size_t i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		bool ok = i == sizeof(bad) / sizeof(bad[0]);
		snprintf(buf, sizeof(buf),
			 "<domstatus state='running' reason='booted' sequence='0' id='1' pid='77' "
			 "persistent='yes'><monitor path='/q'/><owners><file %s/><file %s/></owners>%s",
			 good, ok ? good : bad[i], dom);
		DomainStatus out = {};
		assert_int_equal(domain_status_parse(buf, strlen(buf), &defaults, &out), ok ? 0 : -EBADMSG);
		if (ok)
			assert_int_equal(out.owners.n, 2);
		domain_status_done(&out);
	}
	/* Only <file> inside <owners>. */
	snprintf(buf, sizeof(buf),
		 "<domstatus state='running' reason='booted' sequence='0' id='1' pid='77' "
		 "persistent='yes'><monitor path='/q'/><owners><dir %s/></owners>%s",
		 good, dom);
	assert_int_equal(domain_status_parse(buf, strlen(buf), &defaults, &back), -EBADMSG);
	domain_status_done(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_intents),
		cmocka_unit_test(test_no_live_definition),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_owners),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	domain_xml_done();
	return r;
}
