/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QMP client against a scripted peer on the other end of a
 * socketpair, driven on the same sd-event loop; and once against the
 * real qemu-system-s390x when it is installed. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "qemu/qmp.h"
#include "util/cleanup.h"

#define GREETING                                                                                        \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": " \
	"\"Debian "                                                                                     \
	"1:7.2+dfsg-7\"}, \"capabilities\": [\"oob\"]}}\r\n"

/* A command the peer received, and the fd that came with it. */
typedef struct PeerCmd {
	json_object *obj;
	int fd;
	bool fd_on_first_byte;
} PeerCmd;

/* The QEMU side: reads lines, records commands, writes what the test says. */
typedef struct Peer {
	int fd;
	sd_event_source *src;
	char *buf;
	size_t len;
	size_t stream_off; /* stream offset of buf[0] */
	int rx_fd;         /* a received fd not yet matched to its line */
	size_t rx_fd_off;
	PeerCmd *cmds;
	size_t n_cmds;
	size_t next; /* the next command peer_expect() returns */
	bool eof;
	/* Read one byte at a time: the kernel hands a passed fd to the read
	 * that starts on the byte it was sent with, so its line is exact. */
	bool bytewise;
} Peer;

typedef struct Fixture {
	sd_event *event;
	Qmp *qmp;
	Peer peer;
	char log[4096]; /* what happened, in order, space separated */
	unsigned n_ready;
	int ready_error;
	unsigned n_closed;
	bool free_in_event;
	bool free_in_closed;
	bool send_in_closed;
	int send_in_closed_result;
	pid_t qemu_pid; /* killed by the teardown if a test fails */
} Fixture;

/* One command's reply as the callback saw it. */
typedef struct Call {
	Fixture *f;
	const char *tag;
	bool done;
	json_object *result;
	char *error_class;
	char *error_desc;
	bool free_qmp; /* qmp_free() from inside this reply */
	int send_after_free;
} Call;

static void call_clear(Call *c)
{
	json_object_put(c->result);
	free(c->error_class);
	free(c->error_desc);
}

#define CALL(fixture, name)                   \
	{                                     \
		.f = (fixture), .tag = (name) \
	}

static void log_add(Fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_add(Fixture *f, const char *fmt, ...)
{
	size_t l = strlen(f->log);
	va_list ap;

	if (l > 0 && l + 1 < sizeof(f->log))
		f->log[l++] = ' ';
	va_start(ap, fmt);
	vsnprintf(f->log + l, sizeof(f->log) - l, fmt, ap);
	va_end(ap);
}

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Runs the loop until cond holds; fails the test after 20 s. */
#define RUN_UNTIL(f, cond)                                                      \
	do {                                                                    \
		uint64_t deadline_ = now_usec() + 20u * 1000000u;               \
		while (!(cond)) {                                               \
			if (now_usec() > deadline_)                             \
				fail_msg("timed out waiting for %s", #cond);    \
			assert_true(sd_event_run((f)->event, 100 * 1000) >= 0); \
		}                                                               \
	} while (0)

/* Lets whatever is ready happen, without waiting. */
static void run_briefly(Fixture *f)
{
	for (int i = 0; i < 10; i++)
		assert_true(sd_event_run(f->event, 0) >= 0);
}

/* --- the peer ----------------------------------------------------------- */

static void peer_add_line(Peer *p, const char *line, size_t len, size_t line_off)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *obj = json_tokener_parse_ex(tok, line, (int)len);
	assert_non_null(obj);
	json_tokener_free(tok);

	p->cmds = realloc(p->cmds, (p->n_cmds + 1) * sizeof(*p->cmds));
	assert_non_null(p->cmds);
	PeerCmd *c = &p->cmds[p->n_cmds++];
	*c = (PeerCmd){.obj = obj, .fd = -1};
	if (p->rx_fd >= 0 && p->rx_fd_off >= line_off && p->rx_fd_off <= line_off + len) {
		c->fd = TAKE_FD(p->rx_fd);
		c->fd_on_first_byte = p->rx_fd_off == line_off;
	}
}

static void peer_take_fds(Peer *p, struct msghdr *mh, size_t at)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		assert_int_equal(c->cmsg_len, CMSG_LEN(sizeof(int)));
		assert_int_equal(p->rx_fd, -1);
		memcpy(&p->rx_fd, CMSG_DATA(c), sizeof(int));
		p->rx_fd_off = at;
	}
}

static int on_peer_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Peer *p = userdata;
	char chunk[65536];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov = {.iov_base = chunk, .iov_len = p->bytewise ? 1 : sizeof(chunk)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};

	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		p->eof = true;
		return sd_event_source_set_enabled(s, SD_EVENT_OFF);
	}
	peer_take_fds(p, &mh, p->stream_off + p->len);

	p->buf = realloc(p->buf, p->len + (size_t)n);
	assert_non_null(p->buf);
	memcpy(p->buf + p->len, chunk, (size_t)n);
	p->len += (size_t)n;

	size_t start = 0;
	char *nl;
	while ((nl = memchr(p->buf + start, '\n', p->len - start))) {
		size_t end = (size_t)(nl - p->buf);
		peer_add_line(p, p->buf + start, end - start, p->stream_off + start);
		start = end + 1;
	}
	memmove(p->buf, p->buf + start, p->len - start);
	p->len -= start;
	p->stream_off += start;
	return 0;
}

/* Writes everything, letting the client read while the socket is full.
 * Returns false if the client closed the connection. */
static bool peer_write(Fixture *f, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(f->peer.fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
			continue;
		}
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return false;
		assert_true(n > 0);
		data += n;
		len -= (size_t)n;
	}
	return true;
}

static void peer_send(Fixture *f, const char *text)
{
	assert_true(peer_write(f, text, strlen(text)));
}

static void peer_sendf(Fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void peer_sendf(Fixture *f, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	peer_send(f, s);
}

/* Waits for the next command and checks its name; returns it (borrowed). */
static PeerCmd *peer_expect(Fixture *f, const char *execute)
{
	RUN_UNTIL(f, f->peer.next < f->peer.n_cmds);
	PeerCmd *c = &f->peer.cmds[f->peer.next++];
	json_object *v;
	assert_true(json_object_object_get_ex(c->obj, "execute", &v));
	assert_string_equal(json_object_get_string(v), execute);
	return c;
}

static const char *cmd_id(PeerCmd *c)
{
	json_object *v;
	assert_true(json_object_object_get_ex(c->obj, "id", &v));
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static const char *peer_expect_id(Fixture *f, const char *execute)
{
	return cmd_id(peer_expect(f, execute));
}

static void peer_reply_ok(Fixture *f, const char *id)
{
	peer_sendf(f, "{\"return\": {}, \"id\": \"%s\"}\r\n", id);
}

/* --- client callbacks --------------------------------------------------- */

static void on_ready(Qmp *qmp, int error, void *userdata)
{
	Fixture *f = userdata;
	f->n_ready++;
	f->ready_error = error;
	log_add(f, "ready(%d)", error);
}

static void on_event(Qmp *qmp, const char *event, json_object *data, void *userdata)
{
	Fixture *f = userdata;
	if (data)
		log_add(f, "event(%s,%s)", event,
			json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN));
	else
		log_add(f, "event(%s)", event);
	if (f->free_in_event)
		f->qmp = qmp_free(qmp);
}

static void on_closed(Qmp *qmp, void *userdata)
{
	Fixture *f = userdata;
	f->n_closed++;
	log_add(f, "closed");
	if (f->send_in_closed)
		f->send_in_closed_result = qmp_send_async(qmp, "cont", NULL, -1, NULL, NULL);
	if (f->free_in_closed)
		f->qmp = qmp_free(qmp);
}

static void on_reply(Qmp *qmp, json_object *result, const char *error_class, const char *error_desc,
		     void *userdata)
{
	Call *c = userdata;

	assert_false(c->done);
	c->done = true;
	if (error_class) {
		assert_null(result);
		assert_non_null(error_desc);
		c->error_class = strdup(error_class);
		c->error_desc = strdup(error_desc);
		log_add(c->f, "%s:%s", c->tag, error_class);
	} else {
		c->result = json_object_get(result);
		log_add(c->f, "%s:ok", c->tag);
	}
	if (c->free_qmp) {
		c->f->qmp = qmp_free(qmp);
		c->send_after_free = qmp_send_async(qmp, "cont", NULL, -1, NULL, NULL);
	}
}

static int send_call(Fixture *f, const char *command, json_object *args, Call *c)
{
	return qmp_send_async(f->qmp, command, args, -1, on_reply, c);
}

/* --- fixture ------------------------------------------------------------ */

static int setup(void **state)
{
	Fixture *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_non_null(f);
	assert_int_equal(sd_event_new(&f->event), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->peer.fd = sv[1];
	f->peer.rx_fd = -1;
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(sd_event_add_io(f->event, &f->peer.src, sv[1], EPOLLIN, on_peer_io, &f->peer), 0);

	QmpCallbacks cb = {.ready = on_ready, .event = on_event, .closed = on_closed, .userdata = f};
	assert_int_equal(qmp_new(f->event, sv[0], &cb, &f->qmp), 0);
	*state = f;
	return 0;
}

static void peer_clear(Peer *p)
{
	sd_event_source_disable_unref(p->src);
	if (p->fd >= 0)
		close(p->fd);
	if (p->rx_fd >= 0)
		close(p->rx_fd);
	for (size_t i = 0; i < p->n_cmds; i++) {
		json_object_put(p->cmds[i].obj);
		if (p->cmds[i].fd >= 0)
			close(p->cmds[i].fd);
	}
	free(p->cmds);
	free(p->buf);
}

static int teardown(void **state)
{
	Fixture *f = *state;
	qmp_free(f->qmp);
	if (f->qemu_pid > 0) {
		kill(f->qemu_pid, SIGKILL);
		waitpid(f->qemu_pid, NULL, 0);
	}
	peer_clear(&f->peer);
	sd_event_unref(f->event);
	free(f);
	return 0;
}

/* Greeting and capabilities, as QEMU does it. */
static void handshake(Fixture *f)
{
	peer_send(f, GREETING);
	peer_reply_ok(f, peer_expect_id(f, "qmp_capabilities"));
	RUN_UNTIL(f, f->n_ready == 1);
	assert_int_equal(f->ready_error, 0);
}

/* --- tests -------------------------------------------------------------- */

static void test_handshake(void **state)
{
	Fixture *f = *state;
	int major, minor, micro;

	qmp_get_version(f->qmp, &major, &minor, &micro);
	assert_int_equal(major, 0);

	handshake(f);
	assert_string_equal(f->log, "ready(0)");

	/* qmp_capabilities has an id and no arguments. */
	PeerCmd *caps = &f->peer.cmds[0];
	assert_false(json_object_object_get_ex(caps->obj, "arguments", NULL));
	assert_true(strncmp(cmd_id(caps), "zvirtd-", 7) == 0);

	qmp_get_version(f->qmp, &major, &minor, &micro);
	assert_int_equal(major, 7);
	assert_int_equal(minor, 2);
	assert_int_equal(micro, 22);
	/* NULLs are allowed. */
	qmp_get_version(f->qmp, NULL, NULL, &micro);
	assert_int_equal(micro, 22);

	run_briefly(f);
	assert_int_equal(f->n_ready, 1);
	assert_int_equal(f->peer.n_cmds, 1);
}

static void test_queued_before_ready(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");
	_cleanup_(call_clear) Call b = CALL(f, "b");

	assert_int_equal(send_call(f, "query-status", NULL, &a), 0);
	run_briefly(f);
	assert_int_equal(f->peer.n_cmds, 0); /* nothing before the greeting */

	peer_send(f, GREETING);
	const char *caps = peer_expect_id(f, "qmp_capabilities");
	assert_int_equal(send_call(f, "query-name", NULL, &b), 0);
	run_briefly(f);
	assert_int_equal(f->peer.n_cmds, 1); /* nothing before capabilities succeeded */

	peer_reply_ok(f, caps);
	const char *ida = peer_expect_id(f, "query-status");
	const char *idb = peer_expect_id(f, "query-name");
	peer_sendf(f, "{\"return\": {\"status\": \"prelaunch\"}, \"id\": \"%s\"}\r\n", ida);
	peer_sendf(f, "{\"return\": {}, \"id\": \"%s\"}\r\n", idb);
	RUN_UNTIL(f, b.done);
	assert_string_equal(f->log, "ready(0) a:ok b:ok");
	assert_string_equal(json_object_get_string(json_object_object_get(a.result, "status")), "prelaunch");
}

static void test_out_of_order_replies(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");
	_cleanup_(call_clear) Call b = CALL(f, "b");
	_cleanup_(call_clear) Call c = CALL(f, "c");

	handshake(f);
	assert_int_equal(send_call(f, "one", NULL, &a), 0);
	json_object *args = json_object_new_object();
	json_object_object_add(args, "n", json_object_new_int(2));
	assert_int_equal(send_call(f, "two", args, &b), 0);
	assert_int_equal(send_call(f, "three", NULL, &c), 0);

	const char *id1 = peer_expect_id(f, "one");
	PeerCmd *two = peer_expect(f, "two");
	const char *id3 = peer_expect_id(f, "three");
	assert_int_equal(json_object_get_int(
				 json_object_object_get(json_object_object_get(two->obj, "arguments"), "n")),
			 2);
	assert_string_not_equal(id1, id3);

	peer_sendf(f, "{\"return\": 3, \"id\": \"%s\"}\r\n", id3);
	RUN_UNTIL(f, c.done);
	peer_sendf(f, "{\"return\": 1, \"id\": \"%s\"}\r\n", id1);
	peer_sendf(f, "{\"return\": 2, \"id\": \"%s\"}\r\n", cmd_id(two));
	RUN_UNTIL(f, a.done && b.done);

	assert_string_equal(f->log, "ready(0) c:ok a:ok b:ok");
	assert_int_equal(json_object_get_int(a.result), 1);
	assert_int_equal(json_object_get_int(b.result), 2);
	assert_int_equal(json_object_get_int(c.result), 3);
}

static void test_error_reply(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");
	_cleanup_(call_clear) Call b = CALL(f, "b");

	handshake(f);
	assert_int_equal(send_call(f, "device_del", NULL, &a), 0);
	assert_int_equal(send_call(f, "odd", NULL, &b), 0);
	const char *ida = peer_expect_id(f, "device_del");
	const char *idb = peer_expect_id(f, "odd");
	peer_sendf(f,
		   "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'disk9' not found\"}, "
		   "\"id\": \"%s\"}\r\n",
		   ida);
	/* An error without class or desc still reads as an error. */
	peer_sendf(f, "{\"error\": {}, \"id\": \"%s\"}\r\n", idb);
	RUN_UNTIL(f, a.done && b.done);
	assert_string_equal(a.error_class, "DeviceNotFound");
	assert_string_equal(a.error_desc, "Device 'disk9' not found");
	assert_null(a.result);
	assert_string_equal(b.error_class, "GenericError");
	assert_string_equal(f->log, "ready(0) a:DeviceNotFound b:GenericError");
}

static void test_event_before_reply(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");

	handshake(f);
	assert_int_equal(send_call(f, "stop", NULL, &a), 0);
	const char *id = peer_expect_id(f, "stop");
	peer_send(f, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n");
	RUN_UNTIL(f, strstr(f->log, "STOP"));
	peer_send(f, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}, \"event\": \"SHUTDOWN\", "
		     "\"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n");
	peer_reply_ok(f, id);
	RUN_UNTIL(f, a.done);
	assert_string_equal(
		f->log,
		"ready(0) event(STOP) event(SHUTDOWN,{\"guest\":true,\"reason\":\"guest-shutdown\"}) a:ok");
}

static void test_partial_lines_byte_by_byte(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");

	for (const char *p = GREETING; *p; p++) {
		assert_true(peer_write(f, p, 1));
		run_briefly(f);
	}
	const char *caps = peer_expect_id(f, "qmp_capabilities");
	_cleanup_free_ char *reply = NULL;
	assert_true(asprintf(&reply,
			     "{\"event\": \"RESUME\"}\r\n{\"return\": {}, \"id\": \"%s\"}\r\n"
			     "{\"event\": \"STOP\", \"data\": {\"x\": \"a\\nb\"}}\n",
			     caps) > 0);
	for (const char *p = reply; *p; p++) {
		assert_true(peer_write(f, p, 1));
		run_briefly(f);
	}
	RUN_UNTIL(f, f->n_ready == 1);

	/* An event cut in half, the rest in the next write. */
	assert_int_equal(send_call(f, "cont", NULL, &a), 0);
	const char *id = peer_expect_id(f, "cont");
	peer_send(f, "{\"event\": \"RES");
	run_briefly(f);
	peer_sendf(f, "UME\"}\r\n{\"return\": {}, \"id\": \"%s\"}\r", id);
	run_briefly(f);
	peer_send(f, "\n");
	RUN_UNTIL(f, a.done);
	assert_string_equal(f->log,
			    "event(RESUME) ready(0) event(STOP,{\"x\":\"a\\nb\"}) event(RESUME) a:ok");
}

static void test_several_objects_in_one_write(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");
	_cleanup_(call_clear) Call b = CALL(f, "b");

	/* Greeting and reply in one write works too. */
	peer_send(f, GREETING);
	const char *caps = peer_expect_id(f, "qmp_capabilities");
	assert_int_equal(send_call(f, "x", NULL, &a), 0);
	assert_int_equal(send_call(f, "y", NULL, &b), 0);
	peer_sendf(f, "{\"return\": {}, \"id\": \"%s\"}\r\n", caps);
	const char *ida = peer_expect_id(f, "x");
	const char *idb = peer_expect_id(f, "y");

	peer_sendf(f,
		   "{\"event\": \"A\"}\r\n{\"return\": 1, \"id\": \"%s\"}\r\n\r\n{\"event\": \"B\"}\r\n"
		   "{\"return\": 2, \"id\": \"%s\"}\r\n{\"event\": \"C\"}\r\n",
		   idb, ida);
	RUN_UNTIL(f, strstr(f->log, "event(C)"));
	assert_string_equal(f->log, "ready(0) event(A) b:ok event(B) a:ok event(C)");
}

static void test_unknown_and_foreign_ids_ignored(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");

	handshake(f);
	assert_int_equal(send_call(f, "x", NULL, &a), 0);
	const char *id = peer_expect_id(f, "x");
	peer_send(f, "{\"return\": {}, \"id\": \"zvirtd-999\"}\r\n"
		     "{\"return\": {}, \"id\": 7}\r\n"
		     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}\r\n"
		     "{\"something\": \"else\"}\r\n");
	run_briefly(f);
	assert_false(a.done);
	peer_reply_ok(f, id);
	RUN_UNTIL(f, a.done);
	/* A second reply with the same id is no longer matched. */
	peer_reply_ok(f, id);
	run_briefly(f);
	assert_string_equal(f->log, "ready(0) a:ok");
}

static void test_malformed_json_closes(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");
	_cleanup_(call_clear) Call b = CALL(f, "b");

	handshake(f);
	assert_int_equal(send_call(f, "x", NULL, &a), 0);
	assert_int_equal(send_call(f, "y", NULL, &b), 0);
	peer_expect(f, "x");
	peer_send(f, "{\"return\": {}, \"id\": }\r\n");
	RUN_UNTIL(f, f->n_closed == 1);
	assert_string_equal(f->log, "ready(0) a:Disconnected b:Disconnected closed");
	assert_non_null(a.error_desc);
	RUN_UNTIL(f, f->peer.eof);
	assert_int_equal(qmp_send_async(f->qmp, "x", json_object_new_object(), -1, NULL, NULL), -ENOTCONN);
	run_briefly(f);
	assert_int_equal(f->n_closed, 1);
}

static void test_non_object_and_trailing_garbage_close(void **state)
{
	const char *bad[] = {"[1, 2]\r\n", "{\"event\": \"A\"} x\r\n", "\"str\"\n", "{\"event\": \"A\"\r\n"};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		Fixture *f;
		assert_int_equal(setup((void **)&f), 0);
		handshake(f);
		peer_send(f, bad[i]);
		RUN_UNTIL(f, f->n_closed == 1);
		assert_string_equal(f->log, "ready(0) closed");
		teardown((void **)&f);
	}
}

static void test_peer_close(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");
	_cleanup_(call_clear) Call b = CALL(f, "b");

	handshake(f);
	assert_int_equal(send_call(f, "x", NULL, &a), 0);
	assert_int_equal(send_call(f, "y", NULL, &b), 0);
	peer_expect(f, "x");
	peer_expect(f, "y");
	/* The last lines before the close are still handled. */
	peer_send(f, "{\"event\": \"SHUTDOWN\"}\r\n");
	f->peer.src = sd_event_source_disable_unref(f->peer.src);
	f->peer.fd = (close(f->peer.fd), -1);
	f->send_in_closed = true;
	RUN_UNTIL(f, f->n_closed == 1);
	assert_string_equal(f->log, "ready(0) event(SHUTDOWN) a:Disconnected b:Disconnected closed");
	assert_int_equal(f->send_in_closed_result, -ENOTCONN);
	run_briefly(f);
	assert_int_equal(f->n_closed, 1);
}

static void test_close_before_greeting(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");

	assert_int_equal(send_call(f, "x", NULL, &a), 0);
	f->peer.src = sd_event_source_disable_unref(f->peer.src);
	f->peer.fd = (close(f->peer.fd), -1);
	RUN_UNTIL(f, f->n_closed == 1);
	assert_int_equal(f->ready_error, -ECONNRESET);
	assert_string_equal(f->log, "ready(-104) a:Disconnected closed");
}

static void test_no_greeting(void **state)
{
	Fixture *f = *state;

	peer_send(f, "{\"event\": \"STOP\"}\r\n");
	RUN_UNTIL(f, f->n_closed == 1);
	assert_int_equal(f->ready_error, -EPROTO);
	assert_string_equal(f->log, "ready(-71) closed");
}

static void test_capabilities_refused(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");

	assert_int_equal(send_call(f, "x", NULL, &a), 0);
	peer_send(f, GREETING);
	const char *caps = peer_expect_id(f, "qmp_capabilities");
	peer_sendf(f, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no\"}, \"id\": \"%s\"}\r\n",
		   caps);
	RUN_UNTIL(f, f->n_closed == 1);
	assert_true(f->ready_error < 0);
	assert_string_equal(f->log, "ready(-71) a:Disconnected closed");
	assert_int_equal(f->peer.n_cmds, 1); /* x never went out */
}

static void test_line_too_long(void **state)
{
	Fixture *f = *state;
	const size_t len = 16u * 1024u * 1024u + 4096u;
	_cleanup_free_ char *junk = malloc(len);

	handshake(f);
	assert_non_null(junk);
	memset(junk, ' ', len);
	junk[0] = '{';
	/* The client closes once the line passes its limit; the rest of
	 * the write then fails, which is fine. */
	(void)peer_write(f, junk, len);
	RUN_UNTIL(f, f->n_closed == 1);
	assert_string_equal(f->log, "ready(0) closed");
}

static void test_free_in_reply(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");
	_cleanup_(call_clear) Call b = CALL(f, "b");
	_cleanup_(call_clear) Call c = CALL(f, "c");

	handshake(f);
	a.free_qmp = true;
	assert_int_equal(send_call(f, "x", NULL, &a), 0);
	assert_int_equal(send_call(f, "y", NULL, &b), 0);
	assert_int_equal(send_call(f, "z", NULL, &c), 0);
	const char *ida = peer_expect_id(f, "x");
	const char *idb = peer_expect_id(f, "y");
	/* b's reply in the same read must not reach a freed client. */
	peer_sendf(f,
		   "{\"return\": {}, \"id\": \"%s\"}\r\n{\"return\": {}, \"id\": \"%s\"}\r\n{\"event\": "
		   "\"E\"}\r\n",
		   ida, idb);
	RUN_UNTIL(f, a.done);
	assert_null(f->qmp);
	assert_int_equal(a.send_after_free, -ENOTCONN);
	assert_string_equal(f->log, "ready(0) a:ok b:Disconnected c:Disconnected");
	RUN_UNTIL(f, f->peer.eof);
	run_briefly(f);
	assert_int_equal(f->n_closed, 0);
}

static void test_free_in_disconnected_reply(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");
	_cleanup_(call_clear) Call b = CALL(f, "b");

	/* The owner frees the client while pending commands are failed. */
	handshake(f);
	a.free_qmp = true;
	assert_int_equal(send_call(f, "x", NULL, &a), 0);
	assert_int_equal(send_call(f, "y", NULL, &b), 0);
	peer_expect(f, "x");
	peer_expect(f, "y");
	f->peer.src = sd_event_source_disable_unref(f->peer.src);
	f->peer.fd = (close(f->peer.fd), -1);
	RUN_UNTIL(f, a.done);
	assert_null(f->qmp);
	assert_true(b.done);
	assert_string_equal(f->log, "ready(0) a:Disconnected b:Disconnected");
}

static void test_free_in_event(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");

	handshake(f);
	assert_int_equal(send_call(f, "x", NULL, &a), 0);
	const char *id = peer_expect_id(f, "x");
	f->free_in_event = true;
	peer_sendf(f, "{\"event\": \"STOP\"}\r\n{\"return\": {}, \"id\": \"%s\"}\r\n", id);
	RUN_UNTIL(f, f->qmp == NULL);
	run_briefly(f);
	assert_string_equal(f->log, "ready(0) event(STOP) a:Disconnected");
}

static void test_free_in_closed(void **state)
{
	Fixture *f = *state;

	handshake(f);
	f->free_in_closed = true;
	f->peer.src = sd_event_source_disable_unref(f->peer.src);
	f->peer.fd = (close(f->peer.fd), -1);
	RUN_UNTIL(f, f->n_closed == 1);
	assert_null(f->qmp);
	run_briefly(f);
	assert_string_equal(f->log, "ready(0) closed");
}

static void test_free_pending_and_unsent(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");

	/* Freed before the greeting: the queued command is answered, the
	 * ready and closed callbacks are not called. */
	assert_int_equal(send_call(f, "x", NULL, &a), 0);
	f->qmp = qmp_free(f->qmp);
	assert_string_equal(f->log, "a:Disconnected");
	RUN_UNTIL(f, f->peer.eof);
	assert_int_equal(f->peer.n_cmds, 0);
	assert_null(qmp_free(NULL));
}

static void test_forget_userdata(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");
	_cleanup_(call_clear) Call b = CALL(f, "b");
	_cleanup_(call_clear) Call c = CALL(f, "c");

	handshake(f);
	assert_int_equal(send_call(f, "x", NULL, &a), 0);
	assert_int_equal(send_call(f, "y", NULL, &b), 0);
	assert_int_equal(send_call(f, "z", NULL, &a), 0);
	assert_int_equal(send_call(f, "w", NULL, &c), 0);
	const char *idx = peer_expect_id(f, "x");
	const char *idy = peer_expect_id(f, "y");
	qmp_forget_userdata(f->qmp, &a);
	qmp_forget_userdata(f->qmp, NULL);
	peer_reply_ok(f, idx);
	peer_reply_ok(f, idy);
	RUN_UNTIL(f, b.done);
	/* z (forgotten) and w are still pending when the connection ends. */
	f->peer.src = sd_event_source_disable_unref(f->peer.src);
	f->peer.fd = (close(f->peer.fd), -1);
	RUN_UNTIL(f, f->n_closed == 1);
	assert_false(a.done);
	assert_string_equal(f->log, "ready(0) b:ok c:Disconnected closed");
}

static void test_fire_and_forget(void **state)
{
	Fixture *f = *state;

	handshake(f);
	assert_int_equal(qmp_send_async(f->qmp, "x", NULL, -1, NULL, NULL), 0);
	peer_reply_ok(f, peer_expect_id(f, "x"));
	run_briefly(f);
	assert_int_equal(qmp_send_async(f->qmp, "y", NULL, -1, NULL, NULL), 0);
	peer_expect(f, "y");
	f->peer.src = sd_event_source_disable_unref(f->peer.src);
	f->peer.fd = (close(f->peer.fd), -1);
	RUN_UNTIL(f, f->n_closed == 1);
	assert_string_equal(f->log, "ready(0) closed");
}

static void test_big_command_partial_writes(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");
	_cleanup_(call_clear) Call b = CALL(f, "b");
	const size_t len = 8u * 1024u * 1024u;
	_cleanup_free_ char *big = malloc(len + 1);

	handshake(f);
	/* Far more than a socket buffer holds: written in pieces as the
	 * peer reads, and the next command follows it intact. */
	assert_non_null(big);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	big[len] = 0;
	json_object *args = json_object_new_object();
	json_object_object_add(args, "blob", json_object_new_string(big));
	assert_int_equal(send_call(f, "big", args, &a), 0);
	assert_int_equal(send_call(f, "small", NULL, &b), 0);
	PeerCmd *c = peer_expect(f, "big");
	json_object *jargs = json_object_object_get(c->obj, "arguments");
	assert_string_equal(json_object_get_string(json_object_object_get(jargs, "blob")), big);
	peer_reply_ok(f, cmd_id(c));
	peer_reply_ok(f, peer_expect_id(f, "small"));
	RUN_UNTIL(f, b.done);
	assert_string_equal(f->log, "ready(0) a:ok b:ok");
}

static void test_fd_passing(void **state)
{
	Fixture *f = *state;
	_cleanup_(call_clear) Call a = CALL(f, "a");
	_cleanup_(call_clear) Call b = CALL(f, "b");
	int pipefd[2];
	char buf[16];

	handshake(f);
	f->peer.bytewise = true;
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	_cleanup_close_ int rd = pipefd[0];

	assert_int_equal(qmp_send_async(f->qmp, "query-status", NULL, -1, on_reply, &b), 0);
	json_object *args = json_object_new_object();
	json_object_object_add(args, "fdname", json_object_new_string("migfd"));
	assert_int_equal(qmp_send_async(f->qmp, "getfd", args, pipefd[1], on_reply, &a), 0);
	/* The caller's fd is not closed by the call, and may be closed at once. */
	assert_int_equal(fcntl(pipefd[1], F_GETFD), FD_CLOEXEC);
	close(pipefd[1]);

	PeerCmd *status = peer_expect(f, "query-status");
	assert_int_equal(status->fd, -1);
	peer_reply_ok(f, cmd_id(status));
	PeerCmd *c = peer_expect(f, "getfd");
	assert_true(c->fd >= 0);
	assert_true(c->fd_on_first_byte);
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_object_get(c->obj, "arguments"), "fdname")),
			    "migfd");

	/* It is the same pipe. */
	assert_int_equal(write(c->fd, "hello", 5), 5);
	assert_int_equal(read(rd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);

	/* And the client kept no copy: with the peer's closed, the pipe ends. */
	c->fd = (close(c->fd), -1);
	assert_int_equal(read(rd, buf, sizeof(buf)), 0);

	peer_reply_ok(f, cmd_id(c));
	RUN_UNTIL(f, a.done && b.done);

	/* A bad fd is refused at once. */
	assert_int_equal(qmp_send_async(f->qmp, "getfd", NULL, 987654, NULL, NULL), -EBADF);
}

/* --- against the real QEMU ---------------------------------------------- */

static char *find_in_path(const char *name)
{
	const char *env = getenv("ZVIRTD_TEST_QEMU");
	if (env && *env)
		return access(env, X_OK) == 0 ? strdup(env) : NULL;

	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path && *path ? path : "/usr/bin:/bin");
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = NULL;
		if (asprintf(&candidate, "%s/%s", dir, name) < 0)
			return NULL;
		if (access(candidate, X_OK) == 0)
			return candidate;
		free(candidate);
	}
	return NULL;
}

static int connect_unix_retry(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_true(strlen(path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);

	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		usleep(50 * 1000);
	}
	return -1;
}

static void test_real_qemu(void **state)
{
	_cleanup_free_ char *qemu = find_in_path("qemu-system-s390x");
	if (!qemu)
		skip();

	Fixture *f = *state;
	char dir[] = "/tmp/zvirtd-test-qmp-XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *sock = NULL, *qmp_opt = NULL;
	assert_true(asprintf(&sock, "%s/qmp.sock", dir) > 0);
	assert_true(asprintf(&qmp_opt, "unix:%s,server=on,wait=off", sock) > 0);

	char *argv[] = {qemu,
			"-machine",
			"s390-ccw-virtio,accel=tcg",
			"-nodefaults",
			"-no-user-config",
			"-display",
			"none",
			"-S",
			"-qmp",
			qmp_opt,
			NULL};
	assert_int_equal(posix_spawn(&f->qemu_pid, qemu, NULL, NULL, argv, environ), 0);

	int fd = connect_unix_retry(sock);
	assert_true(fd >= 0);

	/* This fixture's client talks to the socketpair peer: use a new one. */
	f->qmp = qmp_free(f->qmp);
	QmpCallbacks cb = {.ready = on_ready, .event = on_event, .closed = on_closed, .userdata = f};
	assert_int_equal(qmp_new(f->event, fd, &cb, &f->qmp), 0);
	RUN_UNTIL(f, f->n_ready == 1);
	assert_int_equal(f->ready_error, 0);

	int major = 0, minor = -1;
	qmp_get_version(f->qmp, &major, &minor, NULL);
	assert_true(major >= 7);
	assert_true(minor >= 0);

	_cleanup_(call_clear) Call status = CALL(f, "status");
	_cleanup_(call_clear) Call bad = CALL(f, "bad");
	_cleanup_(call_clear) Call quit = CALL(f, "quit");
	assert_int_equal(send_call(f, "query-status", NULL, &status), 0);
	assert_int_equal(send_call(f, "no-such-command", NULL, &bad), 0);
	RUN_UNTIL(f, status.done && bad.done);
	assert_null(status.error_class);
	assert_string_equal(json_object_get_string(json_object_object_get(status.result, "status")),
			    "prelaunch");
	assert_string_equal(bad.error_class, "CommandNotFound");

	assert_int_equal(send_call(f, "quit", NULL, &quit), 0);
	RUN_UNTIL(f, f->n_closed == 1);
	/* QEMU 7.2 answers quit before it goes; the SHUTDOWN event comes first. */
	assert_non_null(strstr(f->log, "event(SHUTDOWN"));
	assert_true(quit.done);

	int status_code;
	assert_int_equal(waitpid(f->qemu_pid, &status_code, 0), f->qemu_pid);
	f->qemu_pid = 0;
	assert_true(WIFEXITED(status_code));
	assert_int_equal(WEXITSTATUS(status_code), 0);
	unlink(sock);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queued_before_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_before_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_lines_byte_by_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_objects_in_one_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_foreign_ids_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_json_closes, setup, teardown),
		cmocka_unit_test(test_non_object_and_trailing_garbage_close),
		cmocka_unit_test_setup_teardown(test_peer_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_before_greeting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_greeting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capabilities_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_disconnected_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_pending_and_unsent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_userdata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fire_and_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_command_partial_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_passing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_qemu, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
