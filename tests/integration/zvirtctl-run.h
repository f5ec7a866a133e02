/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Running the built zvirtctl in the integration tests: as root or as
 * nobody, with -c naming the harness's bus, stdout and stderr caught;
 * and the checks of its output (its exit codes, its error line, its
 * JSON). */

#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "harness.h"

/* zvirtctl's exit codes (zvirtctl(1), EXIT STATUS). */
#define EXIT_FAILURE_OTHER  1
#define EXIT_INVALID        2
#define EXIT_NO_DOMAIN      3
#define EXIT_NOT_AUTHORIZED 4
#define EXIT_WRONG_STATE    5

typedef struct Run {
	int code; /* the exit status; 128+N for a signal */
	char *out;
	char *err;
} Run;

void run_done(Run *r);
/* $ZVIRTCTL_BINARY, and the harness's bus address. */
const char *binary(void);
const char *address(void);
/* The socket of a bus address "unix:path=P,guid=...": P (malloc'd). */
char *bus_socket_path(const char *address);
/* TMP/name, opened for a child's output; its whole text. */
int open_capture(const char *name);
char *read_capture(int fd);
/* prog with argv (NULL-terminated, without prog), its stdout and stderr
 * into out and err, stdin /dev/null; with connect, "-c ADDRESS" first;
 * as nobody when told. */
pid_t spawn_prog(const char *prog, bool nobody, bool connect, int out, int err, const char *const *argv);
pid_t spawn(bool nobody, bool connect, int out, int err, const char *const *argv);
/* The exit status (128+N for a signal), or -ETIMEDOUT after killing it. */
int wait_exit(pid_t pid, int timeout_ms);
Run run_argv_full(const char *prog, bool nobody, bool connect, const char *const *argv);
/* The same, killed (and the test failed) after timeout_ms. */
Run run_argv_within(const char *prog, bool nobody, bool connect, const char *const *argv, int timeout_ms);
Run run_argv(bool nobody, bool connect, const char *const *argv);
Run run_argv_prog(bool nobody, const char *prog, const char *const *argv);
/* Asserting: exit 0 and nothing on stderr; returns stdout. */
char *ok_argv(const char *const *argv);
/* Asserting: exit code `code`, one "error: NAME: ..." line, nothing on stdout. */
void expect_fail(const Run *r, int code, const char *error_name);
json_object *parse_json(const char *text);
json_object *member(json_object *o, const char *key);
const char *member_string(json_object *o, const char *key);
void assert_contains(const char *text, const char *needle);
/* TMP/name with text; its path. */
char *write_tmp(const char *name, const char *text);

/* A bus monitor of the harness's bus for rule (BecomeMonitor). */
sd_bus *monitor_open(const char *rule);
/* Waits until an AddMatch naming member went to the bus (a monitor of AddMatch calls). */
void monitor_wait_member(sd_bus *bus, const char *member);

/* zvirtctl running in the background (event), its output caught in TMP/name.out, .err. */
typedef struct Listener {
	pid_t pid;
	int out;
	int err;
} Listener;
Listener listen_start(const char *name, const char *const *argv);
/* Its exit (SIGTERM first with stop) and output. */
Run listen_end(Listener *l, bool stop);

#define CTL(...)        run_argv(false, true, (const char *const[]){__VA_ARGS__, NULL})
#define CTL_NOBODY(...) run_argv(true, true, (const char *const[]){__VA_ARGS__, NULL})
#define OK(...)         ok_argv((const char *const[]){__VA_ARGS__, NULL})

#define EXPECT_FAIL(code, name, ...)                                                     \
	do {                                                                             \
		_cleanup_(run_done) Run _r =                                             \
			run_argv(false, true, (const char *const[]){__VA_ARGS__, NULL}); \
		expect_fail(&_r, (code), (name));                                        \
	} while (0)

/* zvirtctl on a pseudo-terminal of its own (forkpty: its stdin, stdout
 * and stderr, its controlling terminal), what it wrote so far kept. */

typedef struct Pty {
	pid_t pid;
	int fd;
	char buf[65536];
	size_t len;
} Pty;
/* args[0] with args (NULL-terminated) on a new terminal; zvirtctl -c
 * ADDRESS with argv. */
void pty_exec(Pty *p, const char *const *args);
void pty_start(Pty *p, const char *const *argv);
/* Until `needle` comes after offset `from` (failing the test after
 * timeout_ms); the offset after it. */
size_t pty_expect(Pty *p, size_t from, const char *needle, int timeout_ms);
/* Until the program turned the terminal's echo off (a password prompt). */
void pty_wait_no_echo(Pty *p);
void pty_type(Pty *p, const char *keys);
/* Its exit status, what is left read; the terminal closed. */
int pty_end(Pty *p);
