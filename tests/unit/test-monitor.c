/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The typed monitor against a scripted QEMU on the other end of a
 * socketpair: each command's reply decoded, QEMU's errors and a lost
 * connection as errno, the events the driver acts on, and a monitor
 * freed while replies are still owed (from outside and from inside a
 * reply). */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "qemu/monitor.h"
#include "util/cleanup.h"

#define GREETING                                                                          \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"\"}, \"capabilities\": []}}\r\n"

typedef struct Fixture {
	sd_event *event;
	QemuMonitor *mon;
	int peer;
	char in[8192]; /* what the peer has read and not yet consumed */
	size_t in_len;

	int n_ready, ready_error, n_closed, n_events;
	QemuEvent last_event;
	char last_event_name[64], last_string[128], panic_reason[64];

	int n_done, done_r;
	char done_error[128];
	char status[64];
	char labels[256];    /* "label=pty label=- ..." of the last query-chardev */
	char last_args[256]; /* the "arguments" of the last command read, as JSON; "" if none */
	char blocks[512];    /* what the last block query decoded, one entry per line */
	bool free_in_reply;
} Fixture;

static void run_until(Fixture *f, const int *counter, int target)
{
	for (int i = 0; i < 500 && *counter < target; i++)
		assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
	assert_int_equal(*counter, target);
}

static void peer_write(Fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void peer_write(Fixture *f, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	assert_int_equal(write(f->peer, s, strlen(s)), (ssize_t)strlen(s));
}

/* The next command the monitor sent: its "execute", and its id as a JSON
 * text to echo in the reply. */
static void peer_read_command(Fixture *f, char execute[static 64], char id[static 64])
{
	char *nl;
	for (int i = 0; i < 500 && !(nl = memchr(f->in, '\n', f->in_len)); i++) {
		assert_true(sd_event_run(f->event, 2 * 1000) >= 0);
		struct pollfd p = {.fd = f->peer, .events = POLLIN};
		if (poll(&p, 1, 0) == 1) {
			ssize_t n = read(f->peer, f->in + f->in_len, sizeof(f->in) - f->in_len - 1);
			assert_true(n > 0);
			f->in_len += (size_t)n;
		}
	}
	assert_non_null(nl);
	*nl = 0;
	json_object *cmd = json_tokener_parse(f->in), *v;
	assert_non_null(cmd);
	assert_true(json_object_object_get_ex(cmd, "execute", &v));
	snprintf(execute, 64, "%s", json_object_get_string(v));
	assert_true(json_object_object_get_ex(cmd, "id", &v));
	snprintf(id, 64, "%s", json_object_to_json_string(v));
	snprintf(f->last_args, sizeof(f->last_args), "%s",
		 json_object_object_get_ex(cmd, "arguments", &v)
			 ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)
			 : "");
	json_object_put(cmd);
	size_t used = (size_t)(nl + 1 - f->in);
	memmove(f->in, nl + 1, f->in_len - used);
	f->in_len -= used;
}

/* Reads the next command, checks its name, answers with reply_fmt's
 * members ("\"return\": {}") and the command's id. */
static void peer_answer(Fixture *f, const char *expected, const char *members)
{
	char execute[64], id[64];
	peer_read_command(f, execute, id);
	assert_string_equal(execute, expected);
	peer_write(f, "{%s, \"id\": %s}\r\n", members, id);
}

static void on_ready(QemuMonitor *mon, int error, void *userdata)
{
	Fixture *f = userdata;
	f->n_ready++;
	f->ready_error = error;
}

static void on_event(QemuMonitor *mon, const QemuEvent *ev, void *userdata)
{
	Fixture *f = userdata;
	f->n_events++;
	f->last_event = *ev;
	snprintf(f->last_event_name, sizeof(f->last_event_name), "%s", ev->name);
	const char *s = ev->shutdown_reason ?: ev->action;
	snprintf(f->last_string, sizeof(f->last_string), "%s", s ?: "(null)");
	snprintf(f->panic_reason, sizeof(f->panic_reason), "%s", ev->panic.reason ?: "(null)");
}

static void on_closed(QemuMonitor *mon, void *userdata)
{
	Fixture *f = userdata;
	f->n_closed++;
	f->mon = qemu_monitor_free(f->mon);
}

static const QemuMonitorCallbacks callbacks = {.ready = on_ready, .event = on_event, .closed = on_closed};

static void on_done(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Fixture *f = userdata;
	f->n_done++;
	f->done_r = r;
	snprintf(f->done_error, sizeof(f->done_error), "%s", error ?: "");
	if (f->free_in_reply)
		f->mon = qemu_monitor_free(f->mon);
}

static void on_status(QemuMonitor *mon, int r, const char *status, const char *error, void *userdata)
{
	Fixture *f = userdata;
	f->n_done++;
	f->done_r = r;
	snprintf(f->status, sizeof(f->status), "%s", status ?: "(null)");
	snprintf(f->done_error, sizeof(f->done_error), "%s", error ?: "");
}

static void on_chardevs(QemuMonitor *mon, int r, const QemuChardev *c, size_t n, const char *error,
			void *userdata)
{
	Fixture *f = userdata;
	f->n_done++;
	f->done_r = r;
	f->labels[0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(f->labels);
		snprintf(f->labels + l, sizeof(f->labels) - l, "%s%s=%s", i ? " " : "", c[i].label,
			 c[i].pty_path ?: "-");
	}
}

static void on_blockstats(QemuMonitor *mon, int r, const QemuBlockStats *b, size_t n, const char *error,
			  void *userdata)
{
	Fixture *f = userdata;
	f->n_done++;
	f->done_r = r;
	f->blocks[0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(f->blocks);
		snprintf(f->blocks + l, sizeof(f->blocks) - l,
			 "%s %s rd=%" PRIu64 "/%" PRIu64 " wr=%" PRIu64 "/%" PRIu64 " fl=%" PRIu64
			 " t=%" PRIu64 "/%" PRIu64 "/%" PRIu64 " err=%" PRIu64 " hi=%s%" PRIu64 "\n",
			 b[i].node_name ?: "-", b[i].qdev ?: "-", b[i].rd_operations, b[i].rd_bytes,
			 b[i].wr_operations, b[i].wr_bytes, b[i].flush_operations, b[i].rd_total_time_ns,
			 b[i].wr_total_time_ns, b[i].flush_total_time_ns, b[i].failed_operations,
			 b[i].has_wr_highest_offset ? "" : "none:", b[i].wr_highest_offset);
	}
}

static void on_block_nodes(QemuMonitor *mon, int r, const QemuBlockNode *b, size_t n, const char *error,
			   void *userdata)
{
	Fixture *f = userdata;
	f->n_done++;
	f->done_r = r;
	snprintf(f->done_error, sizeof(f->done_error), "%s", error ?: "");
	f->blocks[0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(f->blocks);
		snprintf(f->blocks + l, sizeof(f->blocks) - l, "%s %" PRIu64 " %s%" PRIu64 "\n",
			 b[i].node_name, b[i].virtual_size,
			 b[i].has_actual_size ? "" : "none:", b[i].actual_size);
	}
}

static int setup(void **state)
{
	Fixture *f = calloc(1, sizeof(*f));
	int sv[2];
	assert_non_null(f);
	assert_int_equal(sd_event_new(&f->event), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
	f->peer = sv[1];
	assert_int_equal(qemu_monitor_new(f->event, sv[0], &callbacks, f, &f->mon), 0);
	peer_write(f, GREETING);
	peer_answer(f, "qmp_capabilities", "\"return\": {}");
	run_until(f, &f->n_ready, 1);
	assert_int_equal(f->ready_error, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	Fixture *f = *state;
	qemu_monitor_free(f->mon);
	close(f->peer);
	sd_event_unref(f->event);
	free(f);
	return 0;
}

static void test_simple_commands(void **state)
{
	Fixture *f = *state;
	static const struct {
		const char *name;
		int (*send)(QemuMonitor *, qemu_monitor_done_fn);
	} cmds[] = {
		{"cont", qemu_monitor_cont},
		{"stop", qemu_monitor_stop},
		{"system_reset", qemu_monitor_system_reset},
		{"system_powerdown", qemu_monitor_system_powerdown},
		{"quit", qemu_monitor_quit},
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int before = f->n_done;
		assert_int_equal(cmds[i].send(f->mon, on_done), 0);
		peer_answer(f, cmds[i].name, "\"return\": {}");
		run_until(f, &f->n_done, before + 1);
		assert_int_equal(f->done_r, 0);
		assert_string_equal(f->done_error, "");
	}
}

static void test_error_reply(void **state)
{
	Fixture *f = *state;
	assert_int_equal(qemu_monitor_cont(f->mon, on_done), 0);
	peer_answer(f, "cont", "\"error\": {\"class\": \"GenericError\", \"desc\": \"not now\"}");
	run_until(f, &f->n_done, 1);
	assert_int_equal(f->done_r, -EIO);
	assert_string_equal(f->done_error, "not now");
}

static void test_query_status(void **state)
{
	Fixture *f = *state;
	assert_int_equal(qemu_monitor_query_status(f->mon, on_status), 0);
	peer_answer(f, "query-status", "\"return\": {\"status\": \"paused\", \"running\": false}");
	run_until(f, &f->n_done, 1);
	assert_int_equal(f->done_r, 0);
	assert_string_equal(f->status, "paused");

	/* A reply without the member is QEMU misbehaving, not a state. */
	assert_int_equal(qemu_monitor_query_status(f->mon, on_status), 0);
	peer_answer(f, "query-status", "\"return\": {\"running\": false}");
	run_until(f, &f->n_done, 2);
	assert_int_equal(f->done_r, -EBADMSG);
	assert_string_equal(f->status, "(null)");
}

static void test_query_chardev(void **state)
{
	Fixture *f = *state;
	assert_int_equal(qemu_monitor_query_chardev(f->mon, on_chardevs), 0);
	peer_answer(f, "query-chardev",
		    "\"return\": [{\"frontend-open\": true, \"filename\": \"pty:/dev/pts/7\", \"label\": "
		    "\"charconsole0\"}, {\"filename\": \"file\", \"label\": \"charconsole1\"}, "
		    "{\"filename\": \"pty:/dev/pts/9\"}, {\"label\": \"charmonitor\", \"filename\": "
		    "\"unix:/run/x.qmp,server=on\"}]");
	run_until(f, &f->n_done, 1);
	assert_int_equal(f->done_r, 0);
	/* The entry without a label is left out. */
	assert_string_equal(f->labels, "charconsole0=/dev/pts/7 charconsole1=- charmonitor=-");
}

static void test_query_blockstats(void **state)
{
	Fixture *f = *state;
	assert_int_equal(qemu_monitor_query_blockstats(f->mon, on_blockstats, f), 0);
	peer_answer(f, "query-blockstats",
		    "\"return\": [{\"device\": \"\", \"node-name\": \"virtio-disk0-format\", "
		    "\"qdev\": \"/machine/peripheral/virtio-disk0/virtio-backend\", "
		    "\"stats\": {\"rd_operations\": 3, \"rd_bytes\": 12288, \"wr_operations\": 2, "
		    "\"wr_bytes\": 1024, \"flush_operations\": 1, \"rd_total_time_ns\": 10, "
		    "\"wr_total_time_ns\": 20, \"flush_total_time_ns\": 30, \"failed_rd_operations\": 1, "
		    "\"failed_wr_operations\": 2, \"failed_flush_operations\": 4, "
		    "\"wr_highest_offset\": 99}, "
		    "\"parent\": {\"node-name\": \"virtio-disk0-storage\", "
		    "\"stats\": {\"wr_highest_offset\": 1048576}}}, "
		    "{\"device\": \"\", \"qdev\": \"virtio-disk1\", \"stats\": {\"rd_operations\": -1}}]");
	run_until(f, &f->n_done, 1);
	assert_int_equal(f->done_r, 0);
	/* The highest offset is the image file's (the parent's), not the
	 * format node's; a backend without a parent has none; a negative
	 * counter is 0. */
	assert_string_equal(f->blocks,
			    "virtio-disk0-format /machine/peripheral/virtio-disk0/virtio-backend rd=3/12288 "
			    "wr=2/1024 fl=1 t=10/20/30 err=7 hi=1048576\n"
			    "- virtio-disk1 rd=0/0 wr=0/0 fl=0 t=0/0/0 err=0 hi=none:0\n");
}

static void test_query_named_block_nodes(void **state)
{
	Fixture *f = *state;
	assert_int_equal(qemu_monitor_query_named_block_nodes(f->mon, on_block_nodes, f), 0);
	peer_answer(f, "query-named-block-nodes",
		    "\"return\": [{\"node-name\": \"virtio-disk0-format\", \"drv\": \"qcow2\", "
		    "\"image\": {\"virtual-size\": 16777216, \"actual-size\": 200704, \"format\": "
		    "\"qcow2\"}}, {\"node-name\": \"virtio-disk1-format\", \"image\": {\"virtual-size\": "
		    "4194304}}, {\"node-name\": \"no-image\"}, {\"image\": {\"virtual-size\": 1}}]");
	/* Each node once, not the chain below each. */
	assert_string_equal(f->last_args, "{\"flat\":true}");
	run_until(f, &f->n_done, 1);
	assert_int_equal(f->done_r, 0);
	assert_string_equal(f->blocks, "virtio-disk0-format 16777216 200704\n"
				       "virtio-disk1-format 4194304 none:0\n");

	assert_int_equal(qemu_monitor_query_named_block_nodes(f->mon, on_block_nodes, f), 0);
	peer_answer(f, "query-named-block-nodes",
		    "\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no such command\"}");
	run_until(f, &f->n_done, 2);
	assert_int_equal(f->done_r, -EIO);
	assert_string_equal(f->done_error, "no such command");
	assert_string_equal(f->blocks, "");
}

/* The migration's tuning as QEMU takes it. */
static void test_migration_tuning(void **state)
{
	Fixture *f = *state;
	QemuMigrationParams p = {.set_max_bandwidth = true,
				 .max_bandwidth = 100ULL << 20,
				 .set_downtime_limit = true,
				 .downtime_limit_ms = 300};
	assert_int_equal(qemu_monitor_set_migration_parameters(f->mon, &p, on_done), 0);
	peer_answer(f, "migrate-set-parameters", "\"return\": {}");
	run_until(f, &f->n_done, 1);
	assert_int_equal(f->done_r, 0);
	assert_string_equal(f->last_args, "{\"max-bandwidth\":104857600,\"downtime-limit\":300}");

	/* Only what is set is sent. */
	p = (QemuMigrationParams){.set_downtime_limit = true, .downtime_limit_ms = 50};
	assert_int_equal(qemu_monitor_set_migration_parameters(f->mon, &p, on_done), 0);
	peer_answer(f, "migrate-set-parameters", "\"return\": {}");
	run_until(f, &f->n_done, 2);
	assert_string_equal(f->last_args, "{\"downtime-limit\":50}");

	static const char *const names[] = {"events", "auto-converge"};
	static const bool states[] = {true, false};
	assert_int_equal(qemu_monitor_set_migration_capabilities(f->mon, names, states, 2, on_done), 0);
	peer_answer(f, "migrate-set-capabilities", "\"return\": {}");
	run_until(f, &f->n_done, 3);
	assert_string_equal(f->last_args, "{\"capabilities\":[{\"capability\":\"events\",\"state\":true},"
					  "{\"capability\":\"auto-converge\",\"state\":false}]}");

	/* A refused parameter is the caller's error, with QEMU's words. */
	p = (QemuMigrationParams){.set_downtime_limit = true, .downtime_limit_ms = 9000000};
	assert_int_equal(qemu_monitor_set_migration_parameters(f->mon, &p, on_done), 0);
	peer_answer(f, "migrate-set-parameters",
		    "\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'downtime_limit' "
		    "expects an integer in the range of 0 to 2000000 milliseconds\"}");
	run_until(f, &f->n_done, 4);
	assert_int_equal(f->done_r, -EIO);
	assert_non_null(strstr(f->done_error, "downtime_limit"));
}

static QemuMigrationInfo got_info;
static char got_status[32];

static void on_migration(QemuMonitor *mon, int r, const QemuMigrationInfo *info, const char *error,
			 void *userdata)
{
	Fixture *f = userdata;
	f->n_done++;
	f->done_r = r;
	if (info) {
		got_info = *info;
		snprintf(got_status, sizeof(got_status), "%s", info->status);
		got_info.status = got_status;
		got_info.error = NULL;
	}
}

/* query-migrate while active and once completed, as QEMU 7.2 answers. */
static void test_query_migrate(void **state)
{
	Fixture *f = *state;
	assert_int_equal(qemu_monitor_query_migrate(f->mon, on_migration), 0);
	peer_answer(f, "query-migrate",
		    "\"return\": {\"expected-downtime\": 310, \"status\": \"active\", \"setup-time\": 4, "
		    "\"total-time\": 1520, \"cpu-throttle-percentage\": 20, \"ram\": {\"total\": 268435456, "
		    "\"remaining\": 1048576, \"transferred\": 300000000, \"mbps\": 838.9, "
		    "\"dirty-pages-rate\": 2560, \"page-size\": 4096, \"dirty-sync-count\": 7}}");
	run_until(f, &f->n_done, 1);
	assert_int_equal(f->done_r, 0);
	assert_string_equal(got_info.status, "active");
	assert_int_equal(got_info.total, 268435456);
	assert_int_equal(got_info.remaining, 1048576);
	assert_int_equal(got_info.transferred, 300000000);
	assert_int_equal(got_info.expected_downtime_ms, 310);
	assert_int_equal(got_info.dirty_rate, 2560 * 4096);
	assert_int_equal(got_info.dirty_sync_count, 7);
	assert_int_equal(got_info.throttle_percent, 20);
	assert_int_equal(got_info.total_time_ms, 1520);

	assert_int_equal(qemu_monitor_query_migrate(f->mon, on_migration), 0);
	peer_answer(f, "query-migrate",
		    "\"return\": {\"status\": \"completed\", \"downtime\": 12, \"total-time\": 2100, "
		    "\"ram\": {\"total\": 268435456, \"remaining\": 0, \"transferred\": 301000000}}");
	run_until(f, &f->n_done, 2);
	assert_string_equal(got_info.status, "completed");
	assert_int_equal(got_info.downtime_ms, 12);
	assert_int_equal(got_info.dirty_rate, 0);
}

static void test_events(void **state)
{
	Fixture *f = *state;

	peer_write(f, "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\r\n");
	run_until(f, &f->n_events, 1);
	assert_int_equal(f->last_event.type, QEMU_EVENT_STOP);
	assert_string_equal(f->last_event_name, "STOP");

	peer_write(
		f,
		"{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-reset\"}}\r\n");
	run_until(f, &f->n_events, 2);
	assert_int_equal(f->last_event.type, QEMU_EVENT_SHUTDOWN);
	assert_string_equal(f->last_string, "guest-reset");

	peer_write(f,
		   "{\"event\": \"BLOCK_IO_ERROR\", \"data\": {\"device\": \"\", \"operation\": \"write\", "
		   "\"action\": \"stop\"}}\r\n");
	run_until(f, &f->n_events, 3);
	assert_int_equal(f->last_event.type, QEMU_EVENT_BLOCK_IO_ERROR);
	assert_string_equal(f->last_string, "stop");

	/* s390's disabled wait, with a PSW mask above INT64_MAX. */
	peer_write(f,
		   "{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\", \"info\": {\"core\": "
		   "1, \"psw-addr\": 1234, \"reason\": \"disabled-wait\", \"psw-mask\": "
		   "9223372036854775808, \"type\": \"s390\"}}}\r\n");
	run_until(f, &f->n_events, 4);
	assert_int_equal(f->last_event.type, QEMU_EVENT_GUEST_PANICKED);
	assert_string_equal(f->panic_reason, "disabled-wait");
	assert_int_equal(f->last_event.panic.core, 1);
	assert_true(f->last_event.panic.psw_mask == 9223372036854775808ULL);
	assert_int_equal(f->last_event.panic.psw_addr, 1234);

	/* Without info: no reason, core unknown. */
	peer_write(f, "{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\"}}\r\n");
	run_until(f, &f->n_events, 5);
	assert_string_equal(f->panic_reason, "(null)");
	assert_int_equal(f->last_event.panic.core, -1);

	peer_write(f, "{\"event\": \"NIC_RX_FILTER_CHANGED\", \"data\": {}}\r\n");
	run_until(f, &f->n_events, 6);
	assert_int_equal(f->last_event.type, QEMU_EVENT_OTHER);
	assert_string_equal(f->last_event_name, "NIC_RX_FILTER_CHANGED");

	/* A member of the wrong type is absent, not a crash. */
	peer_write(f, "{\"event\": \"SHUTDOWN\", \"data\": {\"reason\": 5}}\r\n");
	run_until(f, &f->n_events, 7);
	assert_string_equal(f->last_string, "(null)");
}

static void test_connection_lost(void **state)
{
	Fixture *f = *state;
	assert_int_equal(qemu_monitor_quit(f->mon, on_done), 0);
	assert_int_equal(qemu_monitor_stop(f->mon, NULL), 0);
	close(f->peer);
	f->peer = -1;
	/* quit's normal answer: the connection goes before the reply. */
	run_until(f, &f->n_done, 1);
	assert_int_equal(f->done_r, -ENOTCONN);
	run_until(f, &f->n_closed, 1);
	assert_null(f->mon);
	assert_int_equal(f->n_done, 1);
}

static void test_free_with_replies_owed(void **state)
{
	Fixture *f = *state;
	assert_int_equal(qemu_monitor_cont(f->mon, on_done), 0);
	assert_int_equal(qemu_monitor_query_status(f->mon, on_status), 0);
	/* Its context goes with the monitor (a leak under ASan otherwise). */
	assert_int_equal(qemu_monitor_query_named_block_nodes(f->mon, on_block_nodes, f), 0);
	f->mon = qemu_monitor_free(f->mon);
	for (int i = 0; i < 5; i++)
		assert_true(sd_event_run(f->event, 1000) >= 0);
	assert_int_equal(f->n_done, 0);
	assert_int_equal(f->n_closed, 0);
}

static void test_free_inside_reply(void **state)
{
	Fixture *f = *state;
	f->free_in_reply = true;
	assert_int_equal(qemu_monitor_stop(f->mon, on_done), 0);
	assert_int_equal(qemu_monitor_cont(f->mon, on_done), 0);
	assert_int_equal(qemu_monitor_query_status(f->mon, on_status), 0);
	peer_answer(f, "stop", "\"return\": {}");
	run_until(f, &f->n_done, 1);
	assert_null(f->mon);
	/* The two still owed go nowhere, and nothing touches freed memory. */
	for (int i = 0; i < 5; i++)
		assert_true(sd_event_run(f->event, 1000) >= 0);
	assert_int_equal(f->n_done, 1);
	assert_int_equal(f->n_closed, 0);
}

static void test_send_after_close(void **state)
{
	Fixture *f = *state;
	close(f->peer);
	f->peer = -1;
	run_until(f, &f->n_closed, 1);
	/* on_closed freed it; a fresh one on a dead socket refuses commands once closed. */
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[1]);
	f->n_ready = 0;
	assert_int_equal(qemu_monitor_new(f->event, sv[0], &callbacks, f, &f->mon), 0);
	run_until(f, &f->n_ready, 1);
	assert_true(f->ready_error < 0);
	run_until(f, &f->n_closed, 2);
	assert_null(f->mon);
}

static void test_event_names(void **state)
{
	assert_string_equal(qemu_event_type_to_string(QEMU_EVENT_GUEST_PANICKED), "GUEST_PANICKED");
	assert_null(qemu_event_type_to_string(_QEMU_EVENT_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_simple_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_chardev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_blockstats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_named_block_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_tuning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_migrate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_replies_owed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_inside_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_after_close, setup, teardown),
		cmocka_unit_test(test_event_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
