/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QMP transport of qmp.h: greeting, capabilities, the command queue
 * matched to replies by id, events, fds passed with SCM_RIGHTS. */
#include "qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* A line longer than this is not QEMU talking sense: close. The largest
 * real reply (query-qmp-schema) is well under 1 MiB. */
#define QMP_MAX_LINE    (16u * 1024u * 1024u)
#define QMP_READ_CHUNK  (64u * 1024u)
#define QMP_KEEP_BUFFER (1024u * 1024u)
/* query-block nests one level per backing file: allow deep chains. */
#define QMP_JSON_MAX_DEPTH 256
#define QMP_ID_PREFIX      "zvirtd-"
#define QMP_ID_MAX         32
/* How much of a line debug logging shows. */
#define QMP_LOG_MAX 2048

/* A command waiting for its reply (queued, in flight or sent). */
typedef struct QmpPending {
	struct QmpPending *next;
	char id[QMP_ID_MAX];
	qmp_reply_fn cb;
	void *userdata;
} QmpPending;

/* One line to write; fd (ours, a dup) rides on its first byte. */
typedef struct QmpOut {
	struct QmpOut *next;
	char *data;
	size_t len;
	size_t off;
	int fd;
} QmpOut;

typedef struct QmpOutQueue {
	QmpOut *head;
	QmpOut *tail;
} QmpOutQueue;

struct Qmp {
	unsigned n_ref;
	sd_event *event;
	sd_event_source *io;
	int fd;

	QmpCallbacks callbacks;

	bool greeted;    /* the greeting arrived and qmp_capabilities went out */
	bool ready;      /* qmp_capabilities succeeded */
	bool ready_told; /* callbacks.ready was called (or never will be) */
	bool closed;     /* the socket is gone; nothing more is sent or read */
	bool freed;      /* qmp_free() was called: no more callbacks to the owner */

	int version_major, version_minor, version_micro;

	uint64_t next_id;
	QmpPending *pending; /* in the order sent */

	QmpOutQueue out;  /* may be written now */
	QmpOutQueue held; /* the owner's commands, waiting for the handshake */

	char *rbuf;
	size_t rlen;
	size_t rsize;
	size_t rscanned; /* rbuf[0..rscanned) has no newline */
};

static void qmp_out_free(QmpOut *o)
{
	if (!o)
		return;
	if (o->fd >= 0)
		close(o->fd);
	free(o->data);
	free(o);
}

static void out_queue_push(QmpOutQueue *q, QmpOut *o)
{
	o->next = NULL;
	if (q->tail)
		q->tail->next = o;
	else
		q->head = o;
	q->tail = o;
}

static QmpOut *out_queue_pop(QmpOutQueue *q)
{
	QmpOut *o = q->head;
	if (!o)
		return NULL;
	q->head = o->next;
	if (!q->head)
		q->tail = NULL;
	o->next = NULL;
	return o;
}

static void out_queue_append(QmpOutQueue *to, QmpOutQueue *from)
{
	if (!from->head)
		return;
	if (to->tail)
		to->tail->next = from->head;
	else
		to->head = from->head;
	to->tail = from->tail;
	from->head = from->tail = NULL;
}

static void out_queue_clear(QmpOutQueue *q)
{
	QmpOut *o;
	while ((o = out_queue_pop(q)))
		qmp_out_free(o);
}

static void pending_append(Qmp *qmp, QmpPending *p)
{
	QmpPending **i = &qmp->pending;
	while (*i)
		i = &(*i)->next;
	p->next = NULL;
	*i = p;
}

/* Unlinks and returns the pending command with this id, or NULL. */
static QmpPending *pending_take(Qmp *qmp, const char *id)
{
	for (QmpPending **i = &qmp->pending; *i; i = &(*i)->next)
		if (strcmp((*i)->id, id) == 0) {
			QmpPending *p = *i;
			*i = p->next;
			p->next = NULL;
			return p;
		}
	return NULL;
}

static QmpPending *pending_take_first(Qmp *qmp)
{
	QmpPending *p = qmp->pending;
	if (p) {
		qmp->pending = p->next;
		p->next = NULL;
	}
	return p;
}

static Qmp *qmp_ref(Qmp *qmp)
{
	qmp->n_ref++;
	return qmp;
}

static void qmp_release(Qmp *qmp)
{
	out_queue_clear(&qmp->out);
	out_queue_clear(&qmp->held);
	free(qmp->rbuf);
	sd_event_unref(qmp->event);
	free(qmp);
}

static void qmp_unref(Qmp *qmp)
{
	if (qmp && --qmp->n_ref == 0)
		qmp_release(qmp);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Qmp *, qmp_unref);

/* Whether the owner still wants to hear from us. */
static bool qmp_alive(const Qmp *qmp)
{
	return !qmp->closed && !qmp->freed;
}

static void update_io_events(Qmp *qmp)
{
	if (!qmp->io)
		return;
	uint32_t events = EPOLLIN;
	if (qmp->out.head)
		events |= EPOLLOUT;
	int r = sd_event_source_set_io_events(qmp->io, events);
	if (r < 0)
		log_warning_errno(r, "QMP: cannot update the watched events: %m");
}

/* Closes the socket and answers everyone still waiting. notify: whether
 * the owner hears about it (ready with an error, then closed); false
 * from qmp_free(). Safe against callbacks that call qmp_free() or
 * qmp_forget_userdata(): pending commands leave the list one at a time. */
static void qmp_disconnect(Qmp *qmp, int error, const char *reason, bool notify)
{
	if (qmp->closed)
		return;
	qmp->closed = true;

	/* A callback below may drop the owner's reference. */
	qmp_ref(qmp);

	qmp->io = sd_event_source_disable_unref(qmp->io);
	qmp->fd = (close(qmp->fd), -1);
	out_queue_clear(&qmp->out);
	out_queue_clear(&qmp->held);

	log_debug("QMP: connection closed: %s", reason);

	if (notify && !qmp->ready_told && !qmp->freed) {
		qmp->ready_told = true;
		if (qmp->callbacks.ready)
			qmp->callbacks.ready(qmp, error < 0 ? error : -ECONNRESET, qmp->callbacks.userdata);
	}
	qmp->ready_told = true;

	QmpPending *p;
	while ((p = pending_take_first(qmp))) {
		if (p->cb)
			p->cb(qmp, NULL, "Disconnected", reason, p->userdata);
		free(p);
	}

	if (notify && !qmp->freed && qmp->callbacks.closed)
		qmp->callbacks.closed(qmp, qmp->callbacks.userdata);
	qmp_unref(qmp);
}

static void qmp_fail(Qmp *qmp, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void qmp_fail(Qmp *qmp, int error, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* QEMU going away is normal; QEMU talking nonsense is not. */
	if (qmp_alive(qmp))
		log_full(error == -ECONNRESET ? LOG_DEBUG : LOG_WARNING, "QMP: %s", reason);
	qmp_disconnect(qmp, error, reason, true);
}

static int format_command(const char *command, json_object *args, const char *id, char **ret,
			  size_t *ret_len)
{
	_cleanup_(json_object_putp) json_object *msg = json_object_new_object();
	if (!msg)
		return -ENOMEM;

	json_object *jcmd = json_object_new_string(command);
	if (!jcmd || json_object_object_add(msg, "execute", jcmd) < 0) {
		json_object_put(jcmd);
		return -ENOMEM;
	}
	if (args && json_object_object_add(msg, "arguments", json_object_get(args)) < 0) {
		json_object_put(args);
		return -ENOMEM;
	}
	json_object *jid = json_object_new_string(id);
	if (!jid || json_object_object_add(msg, "id", jid) < 0) {
		json_object_put(jid);
		return -ENOMEM;
	}

	size_t len;
	const char *s = json_object_to_json_string_length(
		msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!s)
		return -ENOMEM;
	char *line = malloc(len + 3);
	if (!line)
		return -ENOMEM;
	memcpy(line, s, len);
	memcpy(line + len, "\r\n", 3);
	*ret = line;
	*ret_len = len + 2;
	return 0;
}

/* Queues a command. internal: part of the handshake, so it goes out
 * before the owner's commands that wait for it. */
static int queue_command(Qmp *qmp, const char *command, json_object *args, int pass_fd, qmp_reply_fn cb,
			 void *userdata, bool internal)
{
	_cleanup_(json_object_putp) json_object *owned_args = args;

	if (qmp->closed)
		return -ENOTCONN;

	_cleanup_free_ QmpPending *p = calloc(1, sizeof(*p));
	_cleanup_free_ QmpOut *o = calloc(1, sizeof(*o));
	if (!p || !o)
		return -ENOMEM;
	o->fd = -1;

	snprintf(p->id, sizeof(p->id), QMP_ID_PREFIX "%" PRIu64, qmp->next_id++);
	p->cb = cb;
	p->userdata = userdata;

	int r = format_command(command, owned_args, p->id, &o->data, &o->len);
	if (r < 0)
		return r;

	if (pass_fd >= 0) {
		/* Our own copy: the caller may close theirs before the line goes out. */
		o->fd = fcntl(pass_fd, F_DUPFD_CLOEXEC, 3);
		if (o->fd < 0) {
			r = negative_errno();
			free(o->data);
			return r;
		}
	}

	log_debug("QMP -> %.*s", (int)(o->len > QMP_LOG_MAX ? QMP_LOG_MAX : o->len - 2), o->data);

	if (internal || qmp->ready)
		out_queue_push(&qmp->out, TAKE_PTR(o));
	else
		out_queue_push(&qmp->held, TAKE_PTR(o));
	pending_append(qmp, TAKE_PTR(p));
	update_io_events(qmp);
	return 0;
}

/* Sends one line's remaining bytes; the fd goes with the first of them. */
static ssize_t send_out(int fd, QmpOut *o)
{
	struct iovec iov = {.iov_base = o->data + o->off, .iov_len = o->len - o->off};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;

	if (o->fd >= 0 && o->off == 0) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &o->fd, sizeof(int));
	}

	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n < 0 ? negative_errno() : n;
}

/* Writes as much of the queue as the socket takes. */
static int flush_out(Qmp *qmp)
{
	QmpOut *o;
	while ((o = qmp->out.head)) {
		ssize_t n = send_out(qmp->fd, o);
		if (n == -EAGAIN)
			break;
		if (n < 0)
			return (int)n;
		if (o->fd >= 0)
			o->fd = (close(o->fd), -1); /* it went with the first byte */
		o->off += (size_t)n;
		if (o->off < o->len)
			break; /* the socket is full; go on when it is writable */
		qmp_out_free(out_queue_pop(&qmp->out));
	}
	update_io_events(qmp);
	return 0;
}

static void on_capabilities_reply(Qmp *qmp, json_object *result, const char *error_class,
				  const char *error_desc, void *userdata)
{
	if (error_class) {
		/* A disconnect during the handshake reports itself. */
		if (qmp_alive(qmp))
			qmp_fail(qmp, -EPROTO, "qmp_capabilities failed: %s: %s", error_class,
				 error_desc ? error_desc : "");
		return;
	}

	qmp->ready = true;
	out_queue_append(&qmp->out, &qmp->held);
	update_io_events(qmp);

	qmp->ready_told = true;
	if (!qmp->freed && qmp->callbacks.ready)
		qmp->callbacks.ready(qmp, 0, qmp->callbacks.userdata);
}

static int version_part(json_object *qemu, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(qemu, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int(v);
}

static void handle_greeting(Qmp *qmp, json_object *greeting)
{
	json_object *version, *qemu;

	if (qmp->greeted) {
		log_debug("QMP: ignoring a second greeting");
		return;
	}
	qmp->greeted = true;

	if (json_object_object_get_ex(greeting, "version", &version) &&
	    json_object_object_get_ex(version, "qemu", &qemu)) {
		qmp->version_major = version_part(qemu, "major");
		qmp->version_minor = version_part(qemu, "minor");
		qmp->version_micro = version_part(qemu, "micro");
	}

	int r = queue_command(qmp, "qmp_capabilities", NULL, -1, on_capabilities_reply, NULL, true);
	if (r < 0)
		qmp_fail(qmp, r, "Cannot send qmp_capabilities: %s", strerror(-r));
}

static void handle_reply(Qmp *qmp, json_object *msg, json_object *jid)
{
	if (!json_object_is_type(jid, json_type_string)) {
		log_debug("QMP: ignoring a reply with a foreign id");
		return;
	}
	_cleanup_free_ QmpPending *p = pending_take(qmp, json_object_get_string(jid));
	if (!p) {
		log_debug("QMP: ignoring a reply to unknown id %s", json_object_get_string(jid));
		return;
	}
	if (!p->cb)
		return;

	json_object *ret, *error;
	if (json_object_object_get_ex(msg, "return", &ret)) {
		p->cb(qmp, ret, NULL, NULL, p->userdata);
		return;
	}

	const char *class = "GenericError", *desc = "";
	json_object *v;
	if (json_object_object_get_ex(msg, "error", &error)) {
		if (json_object_object_get_ex(error, "class", &v) &&
		    json_object_is_type(v, json_type_string))
			class = json_object_get_string(v);
		if (json_object_object_get_ex(error, "desc", &v) && json_object_is_type(v, json_type_string))
			desc = json_object_get_string(v);
	}
	p->cb(qmp, NULL, class, desc, p->userdata);
}

static void handle_event(Qmp *qmp, json_object *msg, json_object *jevent)
{
	json_object *data = NULL;

	if (!json_object_is_type(jevent, json_type_string))
		return;
	(void)json_object_object_get_ex(msg, "data", &data);
	if (qmp->callbacks.event && !qmp->freed)
		qmp->callbacks.event(qmp, json_object_get_string(jevent), data, qmp->callbacks.userdata);
}

static void dispatch_message(Qmp *qmp, json_object *msg)
{
	json_object *v, *jid;

	if (json_object_object_get_ex(msg, "event", &v))
		handle_event(qmp, msg, v);
	else if (json_object_object_get_ex(msg, "return", &v) ||
		 json_object_object_get_ex(msg, "error", &v)) {
		if (json_object_object_get_ex(msg, "id", &jid))
			handle_reply(qmp, msg, jid);
		else /* QEMU answers a line it could not parse without an id. */
			log_warning("QMP: reply without id: %s", json_object_to_json_string(msg));
	} else if (json_object_object_get_ex(msg, "QMP", &v))
		handle_greeting(qmp, v);
	else
		log_debug("QMP: ignoring an unknown message");
}

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* Parses one line (without its \n) into an object; NULL if it is not
 * exactly one JSON object. */
static json_object *parse_line(const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(QMP_JSON_MAX_DEPTH);
	if (!tok)
		return NULL;

	json_object *obj = NULL;
	if (len <= INT32_MAX)
		obj = json_tokener_parse_ex(tok, line, (int)len);
	if (obj &&
	    (json_tokener_get_error(tok) != json_tokener_success ||
	     !json_object_is_type(obj, json_type_object) ||
	     !is_blank(line + json_tokener_get_parse_end(tok), len - json_tokener_get_parse_end(tok))))
		obj = (json_object_put(obj), NULL);
	json_tokener_free(tok);
	return obj;
}

/* Handles one received line. Returns false when the connection was
 * closed by it (or by a callback) and reading must stop. */
static bool handle_line(Qmp *qmp, const char *line, size_t len)
{
	if (is_blank(line, len))
		return true;

	log_debug("QMP <- %.*s", (int)(len > QMP_LOG_MAX ? QMP_LOG_MAX : len), line);

	_cleanup_(json_object_putp) json_object *msg = parse_line(line, len);
	if (!msg) {
		qmp_fail(qmp, -EBADMSG, "QEMU sent a line that is not a JSON object");
		return false;
	}
	if (!qmp->greeted && !json_object_object_get_ex(msg, "QMP", NULL)) {
		qmp_fail(qmp, -EPROTO, "QEMU did not start with a QMP greeting");
		return false;
	}
	dispatch_message(qmp, msg);
	return qmp_alive(qmp);
}

/* Hands every complete line in the buffer out, keeps the partial rest. */
static void process_lines(Qmp *qmp)
{
	size_t start = 0;
	/* The partial line kept last time has no newline: don't rescan it. */
	size_t scan = qmp->rscanned;

	while (scan < qmp->rlen) {
		char *nl = memchr(qmp->rbuf + scan, '\n', qmp->rlen - scan);
		if (!nl)
			break;
		size_t end = (size_t)(nl - qmp->rbuf);
		bool go_on = handle_line(qmp, qmp->rbuf + start, end - start);
		start = scan = end + 1;
		if (!go_on)
			return;
	}

	memmove(qmp->rbuf, qmp->rbuf + start, qmp->rlen - start);
	qmp->rlen -= start;
	qmp->rscanned = qmp->rlen;
	if (qmp->rlen > QMP_MAX_LINE)
		qmp_fail(qmp, -EMSGSIZE, "QEMU sent a line longer than %u bytes", QMP_MAX_LINE);
	else if (qmp->rlen == 0 && qmp->rsize > QMP_KEEP_BUFFER) {
		/* Don't keep the room a big reply needed. */
		qmp->rbuf = (free(qmp->rbuf), NULL);
		qmp->rsize = 0;
	}
}

static int ensure_read_space(Qmp *qmp)
{
	if (qmp->rsize - qmp->rlen >= QMP_READ_CHUNK)
		return 0;
	/* Doubling keeps a long line from costing a copy per read. */
	size_t size = qmp->rsize * 2;
	if (size < qmp->rlen + QMP_READ_CHUNK)
		size = qmp->rlen + QMP_READ_CHUNK;
	char *b = realloc(qmp->rbuf, size);
	if (!b)
		return -ENOMEM;
	qmp->rbuf = b;
	qmp->rsize = size;
	return 0;
}

static void read_input(Qmp *qmp)
{
	int r = ensure_read_space(qmp);
	if (r < 0) {
		qmp_fail(qmp, r, "Out of memory reading from QEMU");
		return;
	}

	ssize_t n = recv(qmp->fd, qmp->rbuf + qmp->rlen, qmp->rsize - qmp->rlen, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		r = negative_errno();
		qmp_fail(qmp, r, "Reading from QEMU failed: %s", strerror(-r));
	} else if (n == 0)
		qmp_fail(qmp, -ECONNRESET, "QEMU closed the monitor connection");
	else {
		qmp->rlen += (size_t)n;
		process_lines(qmp);
	}
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	_cleanup_(qmp_unrefp) Qmp *qmp = qmp_ref(userdata);

	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		read_input(qmp);

	if (!qmp->closed && (revents & EPOLLOUT)) {
		int r = flush_out(qmp);
		if (r < 0)
			qmp_fail(qmp, r, "Writing to QEMU failed: %s", strerror(-r));
	}
	return 0;
}

int qmp_new(sd_event *event, int fd, const QmpCallbacks *callbacks, Qmp **ret)
{
	_cleanup_close_ int owned_fd = fd;

	if (!event || fd < 0 || !ret)
		return -EINVAL;

	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return negative_errno();

	Qmp *qmp = calloc(1, sizeof(*qmp));
	if (!qmp)
		return -ENOMEM;
	qmp->n_ref = 1;
	qmp->event = sd_event_ref(event);
	qmp->fd = -1;
	qmp->next_id = 1;
	if (callbacks)
		qmp->callbacks = *callbacks;

	int r = sd_event_add_io(event, &qmp->io, fd, EPOLLIN, on_io, qmp);
	if (r < 0) {
		qmp_release(qmp);
		return r;
	}
	(void)sd_event_source_set_description(qmp->io, "qmp");
	qmp->fd = TAKE_FD(owned_fd);

	*ret = qmp;
	return 0;
}

int qmp_send_async(Qmp *qmp, const char *command, json_object *args, int pass_fd, qmp_reply_fn cb,
		   void *userdata)
{
	if (!qmp || !command) {
		json_object_put(args);
		return -EINVAL;
	}
	if (qmp->freed) {
		json_object_put(args);
		return -ENOTCONN;
	}
	return queue_command(qmp, command, args, pass_fd, cb, userdata, false);
}

void qmp_forget_userdata(Qmp *qmp, void *userdata)
{
	if (!qmp || !userdata)
		return;
	for (QmpPending *p = qmp->pending; p; p = p->next)
		if (p->userdata == userdata) {
			p->cb = NULL;
			p->userdata = NULL;
		}
}

Qmp *qmp_free(Qmp *qmp)
{
	if (!qmp || qmp->freed)
		return NULL;
	qmp->freed = true;
	qmp_disconnect(qmp, -ECONNABORTED, "The monitor connection was closed by zvirtd", false);
	qmp_unref(qmp);
	return NULL;
}

void qmp_get_version(const Qmp *qmp, int *major, int *minor, int *micro)
{
	if (major)
		*major = qmp ? qmp->version_major : 0;
	if (minor)
		*minor = qmp ? qmp->version_minor : 0;
	if (micro)
		*micro = qmp ? qmp->version_micro : 0;
}
