/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What QEMU tells the driver over its monitor: the end of the handshake,
 * the events of the guest's life (through the state table), and the loss
 * of the connection. A call in flight sets its own result when QEMU
 * replies; the events of its transition are only echoes. */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "domain-internal.h"
#include "dump-internal.h"
#include "migration-in-internal.h"
#include "migration-mirror.h"
#include "migration-out-internal.h"
#include "save-internal.h"
#include "qemu/process.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/event-accuracy.h"
#include "util/log.h"

void domain_handle_guest_shutdown(Domain *d, const char *qemu_reason)
{
	LifecycleAction action = d->live ? d->live->on_poweroff : LIFECYCLE_ACTION_DESTROY;

	d->guest_halted = true;
	if (d->restart_pending)
		/* Reboot: the guest has shut down; now boot it again. */
		return domain_quit_qemu(d, DOMAIN_REASON_SHUTDOWN);
	if (qemu_reason && strcmp(qemu_reason, "guest-reset") == 0)
		/* Only with on_reboot=destroy does a guest reboot end up here. */
		return domain_quit_qemu(d, DOMAIN_REASON_DESTROYED);

	if (action == LIFECYCLE_ACTION_RESTART || action == LIFECYCLE_ACTION_RENAME_RESTART ||
	    action == LIFECYCLE_ACTION_COREDUMP_RESTART)
		return domain_restart_process(d, DOMAIN_REASON_SHUTDOWN);
	if (d->state != DOMAIN_STATE_IN_SHUTDOWN)
		domain_set_state(d, DOMAIN_STATE_IN_SHUTDOWN, DOMAIN_REASON_UNKNOWN);
	domain_quit_qemu(d, DOMAIN_REASON_SHUTDOWN);
}

static void handle_panic(Domain *d, const QemuEvent *ev)
{
	LifecycleAction action = d->live ? d->live->on_crash : LIFECYCLE_ACTION_DESTROY;
	DomainCrashInfo ci = {
		.reason = ev->panic.reason ? ev->panic.reason : "unknown",
		.core = ev->panic.core,
		.psw_mask = ev->panic.psw_mask,
		.psw_addr = ev->panic.psw_addr,
		.action = lifecycle_action_to_string(action),
	};

	log_warning("Domain %s: guest panicked (%s); on_crash=%s", domain_name(d), ci.reason, ci.action);
	domain_set_state(d, DOMAIN_STATE_CRASHED, DOMAIN_REASON_PANICKED);
	registry_notify_crashed(d->registry, d, &ci);
	/* coredump-* and EnableDump=: the action follows the dump. */
	if (domain_crash_dump(d, action))
		return;

	switch (action) {
	case LIFECYCLE_ACTION_PRESERVE:
		break; /* stays crashed for a dump */
	case LIFECYCLE_ACTION_RESTART:
	case LIFECYCLE_ACTION_RENAME_RESTART:
	case LIFECYCLE_ACTION_COREDUMP_RESTART:
		domain_restart_process(d, DOMAIN_REASON_CRASHED);
		break;
	default:
		domain_kill_qemu(d, DOMAIN_REASON_CRASHED);
	}
}

static bool op_owns(const Domain *d, DomainOp a, DomainOp b)
{
	return d->op_active && (d->op == a || d->op == b);
}

static bool action_is(const QemuEvent *ev, const char *action)
{
	return ev->action && strcmp(ev->action, action) == 0;
}

/* The diag288 watchdog expired. What QEMU does by itself comes as its
 * usual events: reset (RESET), shutdown (the guest's power-off,
 * SHUTDOWN), poweroff (QEMU exits: shut-off/crashed, as libvirt has
 * it), inject-nmi (a restart interrupt; without kdump a disabled wait,
 * GUEST_PANICKED), none. pause stops the guest (paused/watchdog); for
 * dump QEMU pauses too, and the daemon dumps and resumes (libvirt's
 * processWatchdogEvent). */
static void handle_watchdog(Domain *d, const QemuEvent *ev)
{
	const WatchdogDef *w = d->live ? d->live->watchdog : NULL;

	log_warning("Domain %s: the watchdog expired; action %s", domain_name(d),
		    w            ? watchdog_action_to_string(w->action)
		    : ev->action ? ev->action
				 : "unknown");
	if (action_is(ev, "pause") && d->state == DOMAIN_STATE_RUNNING)
		domain_set_state(d, DOMAIN_STATE_PAUSED, DOMAIN_REASON_WATCHDOG);
	if (w && w->action == WATCHDOG_ACTION_DUMP && d->state == DOMAIN_STATE_PAUSED &&
	    d->reason == DOMAIN_REASON_WATCHDOG)
		domain_watchdog_dump(d);
}

static void on_monitor_event(QemuMonitor *mon, const QemuEvent *ev, void *userdata)
{
	Domain *d = userdata;

	log_debug("Domain %s: QMP event %s", domain_name(d), ev->name);

	switch (ev->type) {
	case QEMU_EVENT_STOP:
		/* A save stops the CPUs on its way to shut-off/saved: no pause. */
		if (op_owns(d, DOMAIN_OP_SUSPEND, DOMAIN_OP_START) || d->state != DOMAIN_STATE_RUNNING ||
		    d->guest_halted || d->stop_expected || d->save || d->undo_save || d->dump)
			return;
		if (migration_out_owns_stop(d)) {
			domain_migrate_cpus_stopped(d);
			return;
		}
		domain_set_state(d, DOMAIN_STATE_PAUSED, DOMAIN_REASON_UNKNOWN);
		break;
	case QEMU_EVENT_RESUME:
		if (op_owns(d, DOMAIN_OP_RESUME, DOMAIN_OP_START) || d->state != DOMAIN_STATE_PAUSED)
			return;
		domain_set_state(d, DOMAIN_STATE_RUNNING, DOMAIN_REASON_UNPAUSED);
		break;
	case QEMU_EVENT_SHUTDOWN:
		if (d->stop_expected)
			return;
		domain_handle_guest_shutdown(d, ev->shutdown_reason);
		break;
	case QEMU_EVENT_RESET:
		if (op_owns(d, DOMAIN_OP_RESET, DOMAIN_OP_REBOOT) || d->state != DOMAIN_STATE_RUNNING)
			return;
		domain_set_state(d, DOMAIN_STATE_RUNNING, DOMAIN_REASON_RESET);
		break;
	case QEMU_EVENT_GUEST_PANICKED:
		if (d->state == DOMAIN_STATE_CRASHED)
			return;
		handle_panic(d, ev);
		break;
	case QEMU_EVENT_BLOCK_IO_ERROR:
		if (action_is(ev, "stop") && d->state == DOMAIN_STATE_RUNNING)
			domain_set_state(d, DOMAIN_STATE_PAUSED, DOMAIN_REASON_IOERROR);
		break;
	case QEMU_EVENT_MIGRATION:
		domain_save_migration_event(d);
		domain_restore_migration_event(d);
		domain_migrate_qemu_event(d);
		domain_incoming_qemu_event(d);
		break;
	case QEMU_EVENT_DUMP_COMPLETED:
		domain_dump_event(d);
		break;
	case QEMU_EVENT_DEVICE_DELETED:
		domain_hotplug_device_deleted(d, ev->device);
		break;
	case QEMU_EVENT_DEVICE_UNPLUG_GUEST_ERROR:
		domain_hotplug_unplug_refused(d, ev->device);
		break;
	case QEMU_EVENT_DEVICE_TRAY_MOVED:
		domain_hotplug_tray_moved(d, ev->device, ev->tray_open);
		break;
	case QEMU_EVENT_WATCHDOG:
		handle_watchdog(d, ev);
		break;
	case QEMU_EVENT_BLOCK_JOB_READY:
	case QEMU_EVENT_BLOCK_JOB_COMPLETED:
	case QEMU_EVENT_BLOCK_JOB_CANCELLED:
		if (d->migration_mirror)
			migration_mirror_event(d->migration_mirror, ev);
		else
			migration_mirror_orphan_event(d, ev);
		break;
	default:
		break;
	}
}

static void on_monitor_ready(QemuMonitor *mon, int error, void *userdata)
{
	Domain *d = userdata;
	bool starting = d->op_active && d->op == DOMAIN_OP_START;

	if (error < 0) {
		if (starting)
			domain_fail_start(d, "the QMP handshake", strerror(-error));
		else {
			d->monitor = qemu_monitor_free(d->monitor);
			domain_stats_monitor_gone(d);
			domain_reconnect_monitor_later(d, error);
		}
		return;
	}
	d->reconnect_delay_usec = 0;
	if (starting)
		domain_start_monitor_ready(d);
	else
		domain_reattach_monitor_ready(d);
}

static void on_monitor_closed(QemuMonitor *mon, void *userdata)
{
	Domain *d = userdata;
	d->monitor = qemu_monitor_free(d->monitor);
	domain_stats_monitor_gone(d);
	/* Usually QEMU is exiting and the pidfd fires next. */
	if (!d->process || qemu_process_exited(d->process) || d->stop_expected)
		return;
	if (d->op_active && d->op == DOMAIN_OP_START) {
		/* A start without a monitor cannot finish: it fails. */
		log_warning("Domain %s: QEMU closed its monitor while starting; stopping it",
			    domain_name(d));
		if (d->op_error.code == ZV_ERROR_NONE)
			zv_error_set(&d->op_error, ZV_ERROR_HYPERVISOR, EIO,
				     "QEMU for domain '%s' closed its monitor while starting",
				     domain_name(d));
		(void)qemu_process_kill(d->process, SIGKILL);
		return;
	}
	/* A running guest is never ended for the daemon's trouble: QEMU's
	 * monitor (server=on) takes a new connection. */
	domain_reconnect_monitor_later(d, -ECONNRESET);
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

#define RECONNECT_FIRST_USEC (100ULL * 1000)
#define RECONNECT_MAX_USEC   (10ULL * 1000 * 1000)

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata)
{
	Domain *d = userdata;
	d->reconnect = sd_event_source_disable_unref(d->reconnect);
	if (!d->process || qemu_process_exited(d->process) || d->monitor)
		return 0;
	int r = domain_connect_monitor(d);
	if (r < 0)
		domain_reconnect_monitor_later(d, r);
	return 0;
}

void domain_reconnect_monitor_later(Domain *d, int error)
{
	bool first = d->reconnect_delay_usec == 0;
	d->reconnect_delay_usec = first ? RECONNECT_FIRST_USEC : d->reconnect_delay_usec * 2;
	if (d->reconnect_delay_usec > RECONNECT_MAX_USEC)
		d->reconnect_delay_usec = RECONNECT_MAX_USEC;
	/* Loud once, then quiet while it keeps failing. */
	log_full(
		first ? LOG_ERR : LOG_DEBUG,
		"Domain %s: cannot reach QEMU's monitor %s (%s); the guest runs on, trying again in %" PRIu64
		" ms",
		domain_name(d), d->qmp_path, strerror(-error), d->reconnect_delay_usec / 1000);
	d->reconnect = sd_event_source_disable_unref(d->reconnect);
	int r = sd_event_add_time_relative(registry_get_event(d->registry), &d->reconnect, CLOCK_MONOTONIC,
					   d->reconnect_delay_usec, EVENT_ACCURACY_USEC, on_reconnect, d);
	if (r < 0)
		log_error_errno(r, "Domain %s: cannot schedule reaching QEMU's monitor again: %m",
				domain_name(d));
}

int domain_connect_monitor(Domain *d)
{
	static const QemuMonitorCallbacks callbacks = {
		.ready = on_monitor_ready,
		.event = on_monitor_event,
		.closed = on_monitor_closed,
	};
	int fd = connect_unix(d->qmp_path);
	if (fd < 0)
		return fd;
	return qemu_monitor_new(registry_get_event(d->registry), fd, &callbacks, d, &d->monitor);
}
