/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "qemu/cmdline.h"
#include "qemu/process.h"
#include "qemu/qmp.h"
#include "registry.h"
#include "store.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"

#define GRACEFUL_DESTROY_USEC (10ULL * 1000 * 1000)

static const Settings *settings_of(const Domain *d)
{
	return d->registry->settings;
}

static void on_qmp_ready(Qmp *qmp, int error, void *userdata);
static void on_qmp_event(Qmp *qmp, const char *event, json_object *data, void *userdata);
static void on_qmp_closed(Qmp *qmp, void *userdata);
static void on_process_exit(QemuProcess *p, void *userdata);
static int start_with(Domain *d, DomainDef *live, DomainStartFlags flags, domain_done_fn cb, void *userdata,
		      ZvError *err);

/* --- small helpers ------------------------------------------------------ */

static int begin_op(Domain *d, DomainOp op, domain_done_fn cb, void *userdata, ZvError *err)
{
	int r = lifecycle_check(op, d->state, d->reason, domain_name(d), err);
	if (r < 0)
		return r;
	r = domain_check_idle(d, op, err);
	if (r < 0)
		return r;
	d->op = op;
	d->op_active = true;
	d->op_call = (DomainCall){cb, userdata};
	zv_error_clear(&d->op_error);
	return 0;
}

/* Undo begin_op when the call fails before anything was sent. */
static void abort_op(Domain *d)
{
	d->op_active = false;
	d->op_call = (DomainCall){};
}

bool host_has_s390x_kvm(void)
{
	struct utsname u;
	if (uname(&u) < 0 || strcmp(u.machine, "s390x") != 0)
		return false;
	return access("/dev/kvm", R_OK | W_OK) == 0;
}

const char *host_kvm_domain_accelerator(const Settings *s)
{
	if (s->accelerator == ACCELERATOR_TCG)
		return "tcg";
	return host_has_s390x_kvm() ? "kvm" : NULL;
}

int domain_pick_accelerator(const Domain *d, bool *ret_kvm, ZvError *err)
{
	if (d->def->virt_type == DOMAIN_VIRT_QEMU) {
		*ret_kvm = false;
		return 0;
	}
	const char *accel = host_kvm_domain_accelerator(settings_of(d));
	if (!accel)
		return zv_error_set(
			err, ZV_ERROR_HYPERVISOR, ENODEV,
			"Domain '%s' has type 'kvm', but this host cannot run s390x guests with KVM (no "
			"usable /dev/kvm on an s390x host). Use <domain type='qemu'> to emulate it, or set "
			"Accelerator=tcg in zvirtd.conf for a test rig",
			domain_name(d));
	*ret_kvm = strcmp(accel, "kvm") == 0;
	return 0;
}

static int qmp_send(Domain *d, const char *cmd, json_object *args, qmp_reply_fn cb)
{
	if (!d->qmp) {
		json_object_put(args);
		return -ENOTCONN;
	}
	return qmp_send_async(d->qmp, cmd, args, -1, cb, d);
}

/* --- stopping ----------------------------------------------------------- */

static void expect_stop(Domain *d, DomainReason reason)
{
	/* The first reason given wins: a Destroy during a shutdown is a destroy. */
	if (d->stop_expected)
		return;
	d->stop_expected = true;
	d->stop_reason = reason;
}

static void on_quit_reply(Qmp *qmp, json_object *result, const char *error_class, const char *error_desc,
			  void *userdata)
{
	Domain *d = userdata;
	/* "Disconnected" is the normal answer: QEMU exits before replying. */
	if (error_class && strcmp(error_class, "Disconnected") != 0 && d->process)
		(void)qemu_process_kill(d->process, SIGTERM);
}

/* Ends QEMU in an orderly way (the guest has already stopped). */
static void quit_qemu(Domain *d, DomainReason reason)
{
	expect_stop(d, reason);
	if (qmp_send(d, "quit", NULL, on_quit_reply) < 0 && d->process)
		(void)qemu_process_kill(d->process, SIGTERM);
}

static void kill_qemu(Domain *d, DomainReason reason)
{
	expect_stop(d, reason);
	if (d->process)
		(void)qemu_process_kill(d->process, SIGKILL);
}

/* QEMU is gone: forget the run, settle the state, answer who waited. */
static void domain_stopped(Domain *d)
{
	Registry *r = d->registry;
	bool was_starting = d->op_active && d->op == DOMAIN_OP_START;
	DomainReason reason = d->stop_expected ? d->stop_reason : DOMAIN_REASON_CRASHED;
	ZvError err = ZV_ERROR_INIT;

	if (was_starting && d->stop_expected && d->stop_reason == DOMAIN_REASON_DESTROYED) {
		zv_error_set(&err, ZV_ERROR_CANCELLED, ECANCELED,
			     "Starting domain '%s' was cancelled by Destroy", domain_name(d));
	} else if (was_starting) {
		reason = DOMAIN_REASON_FAILED;
		if (d->op_error.code != ZV_ERROR_NONE)
			err = d->op_error;
		else {
			_cleanup_free_ char *why =
				d->log_path ? qemu_log_last_error(d->log_path, d->log_offset) : NULL;
			zv_error_set(&err, ZV_ERROR_HYPERVISOR, EIO,
				     "QEMU for domain '%s' exited while starting%s%s", domain_name(d),
				     why ? ": " : "", why ? why : "");
		}
	} else if (!d->stop_expected)
		log_warning("Domain %s: QEMU ended unexpectedly", domain_name(d));

	if (d->qmp) {
		qmp_forget_userdata(d->qmp, d);
		d->qmp = qmp_free(d->qmp);
	}
	d->process = qemu_process_free(d->process);
	d->timer = sd_event_source_disable_unref(d->timer);
	if (d->qmp_path)
		(void)unlink_if_exists(d->qmp_path);
	d->qmp_path = (free(d->qmp_path), NULL);
	(void)store_remove_status(r->settings, d->uuid_hex);
	/* A restart boots what ran, not a definition changed meanwhile. */
	DomainDef *restart_def = d->restart_pending && !was_starting ? TAKE_PTR(d->live) : NULL;
	d->live = domain_def_free(d->live);
	d->id = -1;
	d->restart_pending = false;
	d->guest_halted = false;
	d->stop_expected = false;

	domain_set_state(d, DOMAIN_STATE_SHUT_OFF, reason);
	registry_notify_definition(r, d);

	if (d->op_active) {
		if (was_starting)
			domain_finish_op(d, -EIO, &err);
		else if (d->op == DOMAIN_OP_SHUTDOWN || d->op == DOMAIN_OP_REBOOT)
			domain_finish_op(d, 0, NULL);
		else {
			ZvError e = ZV_ERROR_INIT;
			int k = zv_error_set(&e, ZV_ERROR_OPERATION_INVALID, ESRCH,
					     "Domain '%s' stopped (%s) before %s completed", domain_name(d),
					     domain_reason_to_string(reason), domain_op_to_string(d->op));
			domain_finish_op(d, k, &e);
		}
	}

	/* Destroy callers: answered now that the process is really gone. */
	DomainCall *waiters = TAKE_PTR(d->stop_waiters);
	size_t n = d->n_stop_waiters;
	d->n_stop_waiters = 0;
	for (size_t i = 0; i < n; i++)
		if (waiters[i].cb)
			waiters[i].cb(d, 0, NULL, waiters[i].userdata);
	free(waiters);

	if (restart_def) {
		ZvError e = ZV_ERROR_INIT;
		log_info("Domain %s: booting it again", domain_name(d));
		if (start_with(d, restart_def, 0, NULL, NULL, &e) < 0)
			log_error("Domain %s: restart failed: %s", domain_name(d), e.message);
		return;
	}

	if (!d->persistent)
		registry_remove(r, d);
}

static void on_process_exit(QemuProcess *p, void *userdata)
{
	domain_stopped(userdata);
}

static void on_qmp_closed(Qmp *qmp, void *userdata)
{
	Domain *d = userdata;
	d->qmp = qmp_free(d->qmp);
	/* Usually QEMU is exiting and the pidfd fires next. If it lives on
	 * without a monitor, nobody can drive it: end it. */
	if (d->process && !qemu_process_exited(d->process) && !d->stop_expected) {
		log_warning("Domain %s: lost the QMP connection; stopping QEMU", domain_name(d));
		if (d->op_active && d->op == DOMAIN_OP_START && d->op_error.code == ZV_ERROR_NONE)
			zv_error_set(&d->op_error, ZV_ERROR_HYPERVISOR, EIO,
				     "QEMU for domain '%s' closed its monitor while starting",
				     domain_name(d));
		(void)qemu_process_kill(d->process, SIGKILL);
	}
}

/* --- start -------------------------------------------------------------- */

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* The listening socket exists before QEMU runs, so this succeeds at
	 * once (it waits in the backlog): no polling for QEMU to come up. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static int connect_qmp(Domain *d)
{
	int fd = connect_unix(d->qmp_path);
	if (fd < 0)
		return fd;
	QmpCallbacks cb = {
		.ready = on_qmp_ready, .event = on_qmp_event, .closed = on_qmp_closed, .userdata = d};
	return qmp_new(d->registry->event, fd, &cb, &d->qmp);
}

static void log_start_header(const char *log_path, char **argv, long *ret_offset)
{
	_cleanup_close_ int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return;
	struct stat st;
	_cleanup_free_ char *cmd = qemu_argv_to_string(argv);
	time_t now = time(NULL);
	char stamp[64];
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", gmtime(&now));
	dprintf(fd, "%s: starting up\n%s\n", stamp, cmd ? cmd : argv[0]);
	if (fstat(fd, &st) == 0)
		*ret_offset = (long)st.st_size;
}

/* Everything a start needs up to a spawned QEMU; the caller undoes it
 * on failure. */
static int spawn_qemu(Domain *d, DomainDef *live, ZvError *err)
{
	const Settings *s = settings_of(d);
	_cleanup_free_ char *console_log = NULL;
	_cleanup_strv_free_ char **argv = NULL;
	bool use_kvm;
	int r;

	r = domain_pick_accelerator(d, &use_kvm, err);
	if (r < 0)
		return r;

	d->log_path = (free(d->log_path), NULL);
	if (asprintf(&console_log, "%s/%s.console.log", s->log_dir, domain_name(d)) < 0 ||
	    asprintf(&d->log_path, "%s/%s.log", s->log_dir, domain_name(d)) < 0 ||
	    !(d->qmp_path = store_path(s->run_dir, d->uuid_hex, ".qmp")) ||
	    !(d->live = live ? live : domain_def_copy(d->def)))
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");

	_cleanup_close_ int listen_fd = listen_unix(d->qmp_path);
	if (listen_fd < 0)
		return zv_error_set(err, ZV_ERROR_HOST, listen_fd, "Cannot create the QMP socket %s: %s",
				    d->qmp_path, strerror(-listen_fd));

	QemuCmdlineParams params = {
		.use_kvm = use_kvm,
		.qmp_fd = listen_fd,
		.default_console_log = console_log,
	};
	r = qemu_build_argv(d->live, &params, &argv, err);
	if (r < 0)
		return r;

	log_start_header(d->log_path, argv, &d->log_offset);
	r = qemu_process_spawn(d->registry->event, argv, d->log_path, listen_fd, on_process_exit, d,
			       &d->process);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, r, "Cannot start %s for domain '%s': %s",
				    argv[0], domain_name(d), strerror(-r));
	log_info("Starting domain %s (pid %u, %s)", domain_name(d), domain_qemu_pid(d),
		 use_kvm ? "KVM" : "TCG");
	return 0;
}

/* Starts with live as the running definition (taken; NULL: a copy of def). */
static int start_with(Domain *d, DomainDef *live, DomainStartFlags flags, domain_done_fn cb, void *userdata,
		      ZvError *err)
{
	int r = begin_op(d, DOMAIN_OP_START, cb, userdata, err);
	if (r < 0) {
		domain_def_free(live);
		return r;
	}
	d->start_flags = flags;

	r = spawn_qemu(d, live, err);
	if (r < 0) {
		abort_op(d);
		if (d->qmp_path)
			(void)unlink_if_exists(d->qmp_path);
		d->qmp_path = (free(d->qmp_path), NULL);
		d->live = domain_def_free(d->live);
		/* A start that failed leaves the domain shut-off/failed. */
		domain_set_state(d, DOMAIN_STATE_SHUT_OFF, DOMAIN_REASON_FAILED);
		return r;
	}
	d->id = d->registry->next_id++;

	/* From here on the answer comes from on_qmp_ready or domain_stopped. */
	r = connect_qmp(d);
	if (r < 0) {
		zv_error_set(&d->op_error, ZV_ERROR_HYPERVISOR, r, "Cannot connect to QEMU's monitor %s: %s",
			     d->qmp_path, strerror(-r));
		kill_qemu(d, DOMAIN_REASON_FAILED);
	}
	return 0;
}

int domain_start(Domain *d, DomainStartFlags flags, domain_done_fn cb, void *userdata, ZvError *err)
{
	return start_with(d, NULL, flags, cb, userdata, err);
}

static void fail_start(Domain *d, const char *what, const char *error_desc)
{
	zv_error_set(&d->op_error, ZV_ERROR_HYPERVISOR, EIO, "Starting domain '%s' failed at %s: %s",
		     domain_name(d), what, error_desc ? error_desc : "unknown error");
	kill_qemu(d, DOMAIN_REASON_FAILED);
}

static void start_done(Domain *d)
{
	DomainState state;
	DomainReason reason;

	lifecycle_start_result(d->reason, false, d->start_flags & DOMAIN_START_PAUSED,
			       d->start_flags & DOMAIN_START_FORCE_BOOT, &state, &reason);
	domain_set_state(d, state, reason);
	registry_notify_definition(d->registry, d);
	domain_finish_op(d, 0, NULL);
}

static void on_start_cont(Qmp *qmp, json_object *result, const char *error_class, const char *error_desc,
			  void *userdata)
{
	Domain *d = userdata;
	if (error_class)
		return fail_start(d, "cont", error_desc);
	start_done(d);
}

/* Records where each pty console ended up, as libvirt shows it in live XML. */
static void on_start_query_chardev(Qmp *qmp, json_object *result, const char *error_class,
				   const char *error_desc, void *userdata)
{
	Domain *d = userdata;
	if (error_class)
		return fail_start(d, "query-chardev", error_desc);

	size_t n = json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(result, i), *label, *filename;
		if (!json_object_object_get_ex(c, "label", &label) ||
		    !json_object_object_get_ex(c, "filename", &filename))
			continue;
		const char *l = json_object_get_string(label), *f = json_object_get_string(filename);
		unsigned idx;
		if (sscanf(l, "charconsole%u", &idx) != 1 || idx >= d->live->n_consoles ||
		    strncmp(f, "pty:", 4) != 0)
			continue;
		free(d->live->consoles[idx].live_pty_path);
		d->live->consoles[idx].live_pty_path = strdup(f + 4);
	}

	if (d->start_flags & DOMAIN_START_PAUSED)
		return start_done(d);
	if (qmp_send(d, "cont", NULL, on_start_cont) < 0)
		fail_start(d, "cont", "the monitor connection is gone");
}

/* --- reattach ----------------------------------------------------------- */

static void handle_guest_shutdown(Domain *d, const char *qemu_reason);

static void on_reattach_status(Qmp *qmp, json_object *result, const char *error_class,
			       const char *error_desc, void *userdata)
{
	Domain *d = userdata;
	json_object *status;
	DomainState state;
	DomainReason reason;

	if (error_class || !json_object_object_get_ex(result, "status", &status)) {
		log_warning("Domain %s: query-status failed after reattach: %s", domain_name(d),
			    error_desc ? error_desc : "no status");
		return;
	}
	const char *st = json_object_get_string(status);
	if (lifecycle_from_qemu_status(st, &state, &reason) < 0) {
		/* The guest powered off while the daemon was away. */
		handle_guest_shutdown(d, "guest-shutdown");
		return;
	}
	/* Keep the recorded reason when QEMU agrees on the state. */
	if (state == d->state || (state == DOMAIN_STATE_RUNNING && d->state == DOMAIN_STATE_IN_SHUTDOWN))
		return;
	domain_set_state(d, state, reason);
}

int domain_reattach(Domain *d, pid_t pid, const char *qmp_path)
{
	int r = qemu_process_attach(d->registry->event, pid, d->uuid, on_process_exit, d, &d->process);
	if (r >= 0) {
		d->qmp_path = strdup(qmp_path);
		if (!d->qmp_path)
			r = -ENOMEM;
	}
	if (r >= 0)
		r = connect_qmp(d);
	if (r < 0) {
		if (d->process) {
			(void)qemu_process_kill(d->process, SIGKILL);
			d->process = qemu_process_free(d->process);
		}
		if (!d->qmp_path)
			d->qmp_path = strdup(qmp_path);
		domain_stopped(d);
		return r;
	}
	log_info("Reattached to domain %s (pid %d)", domain_name(d), (int)pid);
	return 0;
}

static void on_qmp_ready(Qmp *qmp, int error, void *userdata)
{
	Domain *d = userdata;

	if (error < 0) {
		if (d->op_active && d->op == DOMAIN_OP_START)
			fail_start(d, "the QMP handshake", strerror(-error));
		else if (d->process)
			kill_qemu(d, DOMAIN_REASON_CRASHED);
		return;
	}

	if (d->op_active && d->op == DOMAIN_OP_START) {
		if (qmp_send(d, "query-chardev", NULL, on_start_query_chardev) < 0)
			fail_start(d, "query-chardev", "the monitor connection is gone");
		return;
	}
	/* A reattach: what QEMU says now beats what the status file said. */
	(void)qmp_send(d, "query-status", NULL, on_reattach_status);
}

/* --- events ------------------------------------------------------------- */

/* End this QEMU and boot the same live definition in a new one. */
static void restart_process(Domain *d, DomainReason stop_reason)
{
	d->restart_pending = true;
	if (stop_reason == DOMAIN_REASON_SHUTDOWN)
		quit_qemu(d, stop_reason);
	else
		kill_qemu(d, stop_reason);
}

/* SHUTDOWN: QEMU (with -no-shutdown) has stopped the guest and waits. */
static void handle_guest_shutdown(Domain *d, const char *qemu_reason)
{
	LifecycleAction action = d->live ? d->live->on_poweroff : LIFECYCLE_ACTION_DESTROY;

	d->guest_halted = true;
	if (d->restart_pending)
		/* Reboot: the guest has shut down; now boot it again. */
		return quit_qemu(d, DOMAIN_REASON_SHUTDOWN);
	if (qemu_reason && strcmp(qemu_reason, "guest-reset") == 0)
		/* Only with on_reboot=destroy does a guest reboot end up here. */
		return quit_qemu(d, DOMAIN_REASON_DESTROYED);

	if (action == LIFECYCLE_ACTION_RESTART || action == LIFECYCLE_ACTION_RENAME_RESTART ||
	    action == LIFECYCLE_ACTION_COREDUMP_RESTART)
		return restart_process(d, DOMAIN_REASON_SHUTDOWN);
	if (d->state != DOMAIN_STATE_IN_SHUTDOWN)
		domain_set_state(d, DOMAIN_STATE_IN_SHUTDOWN, DOMAIN_REASON_UNKNOWN);
	quit_qemu(d, DOMAIN_REASON_SHUTDOWN);
}

static uint64_t json_u64(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

static void handle_panic(Domain *d, json_object *data)
{
	json_object *info = NULL, *reason = NULL;
	if (data)
		json_object_object_get_ex(data, "info", &info);
	if (info)
		json_object_object_get_ex(info, "reason", &reason);

	LifecycleAction action = d->live ? d->live->on_crash : LIFECYCLE_ACTION_DESTROY;
	DomainCrashInfo ci = {
		.reason = reason ? json_object_get_string(reason) : "unknown",
		.core = info ? (int64_t)json_u64(info, "core") : -1,
		.psw_mask = info ? json_u64(info, "psw-mask") : 0,
		.psw_addr = info ? json_u64(info, "psw-addr") : 0,
		.action = lifecycle_action_to_string(action),
	};

	log_warning("Domain %s: guest panicked (%s); on_crash=%s", domain_name(d), ci.reason, ci.action);
	domain_set_state(d, DOMAIN_STATE_CRASHED, DOMAIN_REASON_PANICKED);
	registry_notify_crashed(d->registry, d, &ci);

	switch (action) {
	case LIFECYCLE_ACTION_PRESERVE:
		break; /* stays crashed for a dump */
	case LIFECYCLE_ACTION_RESTART:
	case LIFECYCLE_ACTION_RENAME_RESTART:
	case LIFECYCLE_ACTION_COREDUMP_RESTART:
		restart_process(d, DOMAIN_REASON_CRASHED);
		break;
	default:
		kill_qemu(d, DOMAIN_REASON_CRASHED);
	}
}

static bool op_owns(const Domain *d, DomainOp a, DomainOp b)
{
	return d->op_active && (d->op == a || d->op == b);
}

static void on_qmp_event(Qmp *qmp, const char *event, json_object *data, void *userdata)
{
	Domain *d = userdata;

	log_debug("Domain %s: QMP event %s", domain_name(d), event);

	/* A call in flight sets its own result when QEMU replies; events for
	 * its transition are only echoes. */
	if (strcmp(event, "STOP") == 0) {
		if (op_owns(d, DOMAIN_OP_SUSPEND, DOMAIN_OP_START) || d->state != DOMAIN_STATE_RUNNING ||
		    d->guest_halted || d->stop_expected)
			return;
		domain_set_state(d, DOMAIN_STATE_PAUSED, DOMAIN_REASON_UNKNOWN);
	} else if (strcmp(event, "RESUME") == 0) {
		if (op_owns(d, DOMAIN_OP_RESUME, DOMAIN_OP_START) || d->state != DOMAIN_STATE_PAUSED)
			return;
		domain_set_state(d, DOMAIN_STATE_RUNNING, DOMAIN_REASON_UNPAUSED);
	} else if (strcmp(event, "SHUTDOWN") == 0) {
		json_object *reason = NULL;
		if (data)
			json_object_object_get_ex(data, "reason", &reason);
		if (d->stop_expected)
			return;
		handle_guest_shutdown(d, reason ? json_object_get_string(reason) : NULL);
	} else if (strcmp(event, "RESET") == 0) {
		if (op_owns(d, DOMAIN_OP_RESET, DOMAIN_OP_REBOOT) || d->state != DOMAIN_STATE_RUNNING)
			return;
		domain_set_state(d, DOMAIN_STATE_RUNNING, DOMAIN_REASON_RESET);
	} else if (strcmp(event, "GUEST_PANICKED") == 0) {
		if (d->state == DOMAIN_STATE_CRASHED)
			return;
		handle_panic(d, data);
	} else if (strcmp(event, "BLOCK_IO_ERROR") == 0) {
		json_object *action;
		if (data && json_object_object_get_ex(data, "action", &action) &&
		    strcmp(json_object_get_string(action), "stop") == 0 && d->state == DOMAIN_STATE_RUNNING)
			domain_set_state(d, DOMAIN_STATE_PAUSED, DOMAIN_REASON_IOERROR);
	} else if (strcmp(event, "WATCHDOG") == 0) {
		json_object *action;
		if (data && json_object_object_get_ex(data, "action", &action) &&
		    strcmp(json_object_get_string(action), "pause") == 0 && d->state == DOMAIN_STATE_RUNNING)
			domain_set_state(d, DOMAIN_STATE_PAUSED, DOMAIN_REASON_WATCHDOG);
	}
}

/* --- the simple calls --------------------------------------------------- */

/* A reply that, on success, moves to (state, reason) and ends the call. */
static void reply_then_state(Domain *d, const char *cmd, const char *error_class, const char *error_desc,
			     DomainState state, DomainReason reason)
{
	if (!d->op_active)
		return; /* overtaken by Destroy; domain_stopped answered */
	if (error_class) {
		ZvError err = ZV_ERROR_INIT;
		int r = zv_error_set(&err, ZV_ERROR_HYPERVISOR, EIO, "QEMU refused %s for domain '%s': %s",
				     cmd, domain_name(d), error_desc);
		domain_finish_op(d, r, &err);
		return;
	}
	domain_set_state(d, state, reason);
	domain_finish_op(d, 0, NULL);
}

static void on_stop_reply(Qmp *qmp, json_object *result, const char *error_class, const char *error_desc,
			  void *userdata)
{
	reply_then_state(userdata, "stop", error_class, error_desc, DOMAIN_STATE_PAUSED, DOMAIN_REASON_USER);
}

static void on_cont_reply(Qmp *qmp, json_object *result, const char *error_class, const char *error_desc,
			  void *userdata)
{
	reply_then_state(userdata, "cont", error_class, error_desc, DOMAIN_STATE_RUNNING,
			 DOMAIN_REASON_UNPAUSED);
}

static int simple_call(Domain *d, DomainOp op, const char *cmd, qmp_reply_fn reply, domain_done_fn cb,
		       void *userdata, ZvError *err)
{
	int r = begin_op(d, op, cb, userdata, err);
	if (r < 0)
		return r;
	r = qmp_send(d, cmd, NULL, reply);
	if (r < 0) {
		abort_op(d);
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, r,
				    "Cannot send %s to QEMU for domain '%s': %s", cmd, domain_name(d),
				    strerror(-r));
	}
	return 0;
}

int domain_suspend(Domain *d, domain_done_fn cb, void *userdata, ZvError *err)
{
	return simple_call(d, DOMAIN_OP_SUSPEND, "stop", on_stop_reply, cb, userdata, err);
}

int domain_resume(Domain *d, domain_done_fn cb, void *userdata, ZvError *err)
{
	return simple_call(d, DOMAIN_OP_RESUME, "cont", on_cont_reply, cb, userdata, err);
}

static void on_reset_reply_cont(Qmp *qmp, json_object *result, const char *error_class,
				const char *error_desc, void *userdata)
{
	reply_then_state(userdata, "cont", error_class, error_desc, DOMAIN_STATE_RUNNING,
			 DOMAIN_REASON_RESET);
}

static void on_reset_reply(Qmp *qmp, json_object *result, const char *error_class, const char *error_desc,
			   void *userdata)
{
	Domain *d = userdata;
	if (!d->op_active)
		return;
	if (!error_class && d->state == DOMAIN_STATE_CRASHED) {
		/* A panicked guest is halted; after the reset it has to run again. */
		if (qmp_send(d, "cont", NULL, on_reset_reply_cont) >= 0)
			return;
	}
	if (!error_class && d->state == DOMAIN_STATE_PAUSED) {
		/* Reset keeps a paused guest paused: no state change. */
		domain_finish_op(d, 0, NULL);
		return;
	}
	reply_then_state(d, "system_reset", error_class, error_desc, DOMAIN_STATE_RUNNING,
			 DOMAIN_REASON_RESET);
}

int domain_reset(Domain *d, domain_done_fn cb, void *userdata, ZvError *err)
{
	return simple_call(d, DOMAIN_OP_RESET, "system_reset", on_reset_reply, cb, userdata, err);
}

static void on_shutdown_timeout(sd_event_source *s, uint64_t usec, void *userdata);

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	on_shutdown_timeout(s, usec, userdata);
	return 0;
}

static void arm_timer(Domain *d, uint64_t usec)
{
	d->timer = sd_event_source_disable_unref(d->timer);
	(void)sd_event_add_time_relative(d->registry->event, &d->timer, CLOCK_MONOTONIC, usec, 0, on_timer,
					 d);
}

static void on_shutdown_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	Domain *d = userdata;
	d->timer = sd_event_source_disable_unref(d->timer);
	if (!d->process)
		return;
	if (d->stop_expected && d->stop_reason == DOMAIN_REASON_DESTROYED) {
		log_info("Domain %s: still there after SIGTERM; sending SIGKILL", domain_name(d));
		(void)qemu_process_kill(d->process, SIGKILL);
		return;
	}
	log_info("Domain %s: the guest did not power off in time; destroying it", domain_name(d));
	kill_qemu(d, DOMAIN_REASON_DESTROYED);
}

static void on_powerdown_reply(Qmp *qmp, json_object *result, const char *error_class,
			       const char *error_desc, void *userdata)
{
	Domain *d = userdata;
	if (!d->op_active || d->op != DOMAIN_OP_SHUTDOWN)
		return;
	if (error_class) {
		ZvError err = ZV_ERROR_INIT;
		int r = zv_error_set(&err, ZV_ERROR_HYPERVISOR, EIO,
				     "QEMU refused system_powerdown for '%s': %s", domain_name(d),
				     error_desc);
		domain_finish_op(d, r, &err);
		return;
	}
	if (d->state != DOMAIN_STATE_IN_SHUTDOWN)
		domain_set_state(d, DOMAIN_STATE_IN_SHUTDOWN, DOMAIN_REASON_UNKNOWN);
	domain_finish_op(d, 0, NULL);
}

int domain_shutdown(Domain *d, uint64_t timeout_ms, domain_done_fn cb, void *userdata, ZvError *err)
{
	int r = simple_call(d, DOMAIN_OP_SHUTDOWN, "system_powerdown", on_powerdown_reply, cb, userdata,
			    err);
	if (r >= 0 && timeout_ms > 0)
		arm_timer(d, timeout_ms * 1000);
	return r;
}

static void on_reboot_powerdown(Qmp *qmp, json_object *result, const char *error_class,
				const char *error_desc, void *userdata)
{
	Domain *d = userdata;
	if (!d->op_active || d->op != DOMAIN_OP_REBOOT)
		return;
	if (error_class) {
		d->restart_pending = false;
		ZvError err = ZV_ERROR_INIT;
		int r = zv_error_set(&err, ZV_ERROR_HYPERVISOR, EIO,
				     "QEMU refused system_powerdown for '%s': %s", domain_name(d),
				     error_desc);
		domain_finish_op(d, r, &err);
		return;
	}
	/* Like virsh reboot: answer once the request is delivered. */
	domain_finish_op(d, 0, NULL);
}

int domain_reboot(Domain *d, domain_done_fn cb, void *userdata, ZvError *err)
{
	/* on_reboot=destroy: destroy, then boot (the seed's table); else an
	 * orderly shutdown first. Both boot the unchanged live definition. */
	if (d->live && d->live->on_reboot == LIFECYCLE_ACTION_DESTROY) {
		int r = begin_op(d, DOMAIN_OP_REBOOT, cb, userdata, err);
		if (r < 0)
			return r;
		restart_process(d, DOMAIN_REASON_DESTROYED);
		return 0;
	}
	int r = simple_call(d, DOMAIN_OP_REBOOT, "system_powerdown", on_reboot_powerdown, cb, userdata, err);
	if (r >= 0)
		d->restart_pending = true;
	return r;
}

int domain_destroy(Domain *d, bool graceful, domain_done_fn cb, void *userdata, ZvError *err)
{
	int r = lifecycle_check(DOMAIN_OP_DESTROY, d->state, d->reason, domain_name(d), err);
	if (r < 0)
		return r;
	if (!d->process)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, ESRCH,
				    "Domain '%s' has no QEMU process", domain_name(d));

	DomainCall *w = realloc(d->stop_waiters, (d->n_stop_waiters + 1) * sizeof(*w));
	if (!w)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	d->stop_waiters = w;
	w[d->n_stop_waiters++] = (DomainCall){cb, userdata};

	/* Destroy wins over any stop already on its way (a shutdown, a start). */
	d->stop_expected = true;
	d->stop_reason = DOMAIN_REASON_DESTROYED;
	if (graceful) {
		(void)qemu_process_kill(d->process, SIGTERM);
		arm_timer(d, GRACEFUL_DESTROY_USEC);
	} else
		(void)qemu_process_kill(d->process, SIGKILL);
	return 0;
}
