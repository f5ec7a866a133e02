/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An asynchronous QMP client on sd-event: reads QEMU's greeting, sends
 * qmp_capabilities, then runs a queue of commands whose replies are
 * matched to their callers by "id"; events go to one handler. One JSON
 * object per line in both directions. Nothing here blocks. */

#include <json-c/json.h>
#include <systemd/sd-event.h>

typedef struct Qmp Qmp;

/* A command's reply. On success error_class is NULL and result is the
 * "return" value (borrowed; json_object_get() to keep it). On failure
 * result is NULL and error_class/error_desc say why: QEMU's own class
 * and desc, or "Disconnected" when the connection closed before the
 * reply came (then error_desc is a readable reason). */
typedef void (*qmp_reply_fn)(Qmp *qmp, json_object *result, const char *error_class, const char *error_desc,
			     void *userdata);

/* An event: name ("STOP") and its "data" (borrowed, may be NULL). */
typedef void (*qmp_event_fn)(Qmp *qmp, const char *event, json_object *data, void *userdata);

/* The greeting arrived and qmp_capabilities succeeded (error == 0), or
 * the handshake failed (negative errno). Called once. */
typedef void (*qmp_ready_fn)(Qmp *qmp, int error, void *userdata);

/* The connection closed (QEMU exited or the socket broke). Called once,
 * after every pending command got its "Disconnected" reply. */
typedef void (*qmp_closed_fn)(Qmp *qmp, void *userdata);

typedef struct QmpCallbacks {
	qmp_ready_fn ready;
	qmp_event_fn event;
	qmp_closed_fn closed;
	void *userdata;
} QmpCallbacks;

/* Takes ownership of fd (a connected stream socket, made non-blocking
 * here) and starts the handshake. Commands sent before the handshake
 * finishes are queued and go out after it. */
int qmp_new(sd_event *event, int fd, const QmpCallbacks *callbacks, Qmp **ret);

/* Sends {"execute": command, "arguments": args, "id": N}. args may be NULL
 * and is consumed (json_object_put) in every case. pass_fd >= 0 is sent
 * with the command as SCM_RIGHTS (for getfd/add-fd) and is not closed
 * by this call. cb may be NULL (fire and forget). Returns negative errno
 * (-ENOTCONN after the connection closed). */
int qmp_send_async(Qmp *qmp, const char *command, json_object *args, int pass_fd, qmp_reply_fn cb,
		   void *userdata);

/* Drops every callback for userdata-bearing pending commands: used when
 * the object a reply would go to is freed before the reply comes. */
void qmp_forget_userdata(Qmp *qmp, void *userdata);

/* Closes the connection; pending commands get "Disconnected" replies but
 * no closed callback is called. Returns NULL. */
Qmp *qmp_free(Qmp *qmp);

/* QEMU's version from the greeting (0 before it arrived). */
void qmp_get_version(const Qmp *qmp, int *major, int *minor, int *micro);
