/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Inside a Domain: its fields and the steps the life cycle files share.
 * For backend/driver/ only (the floor checker refuses it elsewhere):
 * above this floor a Domain is opaque. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>

#include "conf/status-xml.h"
#include "domain.h"
#include "job.h"
#include "lifecycle-table.h"
#include "qemu/monitor.h"

typedef struct QemuProcess QemuProcess;
typedef struct DomainConsole DomainConsole;     /* console.c */
typedef struct DomainStatsCall DomainStatsCall; /* stats.c */

typedef struct DomainCall {
	domain_done_fn cb;
	void *userdata;
} DomainCall;

struct Domain {
	Registry *registry;
	sd_id128_t uuid_id;
	char uuid_hex[SD_ID128_STRING_MAX];  /* key and object path label */
	char uuid[SD_ID128_UUID_STRING_MAX]; /* dashed, for people */

	DomainDef *def;  /* the next-boot definition (persistent or transient) */
	DomainDef *live; /* what runs, while active; def may be redefined meanwhile */
	bool persistent;
	bool autostart;
	bool undefine_pending; /* undefine.c: its write is queued or under way */
	bool rename_pending;   /* rename.c: its write is queued or under way */
	Job *job;              /* job.c: the running job, NULL when none */
	struct SaveOp *save;   /* save.c: the managed save under way */
	/* save.c: one whose domain stopped during its fsync, until the
	 * worker is done with it (no new save meanwhile) */
	struct SaveOp *save_detached;
	bool has_managed_save; /* save.c: <StateDir>/save/<uuid>.save exists */
	/* A save the previous daemon left: cancel QEMU's stream (and let the
	 * guest run) once the monitor answers. */
	bool undo_save, undo_save_resume;
	struct RestoreOp *restore_pending;        /* restore.c: the image is being read */
	struct RestoreOp *restore;                /* restore.c: QEMU reads the image */
	bool start_image_paused;                  /* the image was taken while paused */
	struct DumpOp *dump;                      /* dump.c: the dump under way */
	struct MigrationOut *migration_out;       /* migration-out.c: Migrate under way */
	struct MigrationIn *migration_in;         /* migration-in.c: an incoming migration */
	struct MigrationMirror *migration_mirror; /* migration-mirror.c: its disk copy, the source's */
	/* A migration the previous daemon left sending: cancel it unless it
	 * completed (and let the guest run, if it ran), once QEMU answers. */
	bool undo_migration, undo_migration_resume;
	uint64_t migrate_speed_mibps;       /* SetMigrationMaxSpeed; 0: unlimited */
	uint64_t migrate_downtime_ms;       /* SetMigrationMaxDowntime; 0: QEMU's */
	struct HotplugOp *hotplug;          /* hotplug.c: the live device change under way */
	struct HotplugOp *hotplug_deferred; /* hotplug.c: live no-op updates still to answer */

	DomainState state;
	DomainReason reason;
	uint64_t sequence; /* +1 on every state change */
	int id;            /* -1 while inactive */

	/* While active. */
	QemuProcess *process;
	QemuMonitor *monitor;
	char *qmp_path;
	char *log_path;
	FileOwners owners; /* dac.c: files given to QEMU's user for this run */
	char *cgroup_dir;  /* cgroup.c: QEMU's own cgroup; NULL: none */

	/* The one state-changing call in flight; Destroy may overtake it. */
	DomainOp op;
	bool op_active;
	DomainCall op_call;
	DomainStartFlags start_flags;
	ZvError op_error; /* a failed start, reported once QEMU has exited */

	/* Destroy calls waiting for the process to end. */
	DomainCall *stop_waiters;
	size_t n_stop_waiters;

	/* How the coming end of QEMU is to be reported (else: crashed). */
	bool stop_expected;
	DomainReason stop_reason;
	/* Boot the same live definition again once QEMU has ended: Reboot,
	 * on_poweroff/on_crash=restart (shut-off → running/booted). */
	bool restart_pending;
	/* QEMU (-no-shutdown) stopped the guest after its SHUTDOWN: the STOP
	 * that follows is part of that, not a user's pause. */
	bool guest_halted;

	sd_event_source *timer;         /* SIGKILL at kill_at_usec */
	uint64_t kill_at_usec;          /* CLOCK_MONOTONIC; Shutdown timeout-ms, graceful Destroy; 0: none */
	sd_event_source *reconnect;     /* the next try to reach QEMU's monitor */
	uint64_t reconnect_delay_usec;  /* doubles on every failed try */
	sd_event_source *status_writer; /* the runtime status file, written after the signals */

	/* resources.c: the method of the live vCPU or I/O thread change
	 * under way (one at a time), NULL when none */
	const char *resource_call;
	DomainConsole *console;       /* the OpenConsole relay, while a client has it */
	DomainStatsCall *stats_calls; /* GetStats calls waiting for QEMU's replies */
};

/* start.c: the Start has the guest where it belongs: the state, the answer. */
void domain_start_done(Domain *d);

/* domain.c: the object and its state. */
int domain_new(Registry *r, DomainDef *def, bool persistent, Domain **ret);
Domain *domain_free(Domain *d);
/* Moves to (state, reason): sequence+1, status file, callbacks. Setting
 * the current pair again changes nothing, but for running/reset: every
 * reset is a transition. */
void domain_set_state(Domain *d, DomainState state, DomainReason reason);
/* Writes the runtime status file now (a restarted daemon reads it). */
int domain_save_status(const Domain *d);
/* Records what was asked for and not yet done (a Start in flight, a
 * restart, how QEMU's end is to be reported, the SIGKILL deadline) in
 * the status file at once: a daemon killed right after the call was
 * answered must not lose it. */
void domain_save_intents(Domain *d);
/* SIGKILL QEMU at deadline (CLOCK_MONOTONIC µs), reported as destroyed:
 * Shutdown's timeout-ms, graceful Destroy's 10 s. Kept in the status. */
int domain_arm_kill_deadline(Domain *d, uint64_t deadline_usec);
/* <RunDir>/domains/<uuid>.pid, QEMU's -pidfile (malloc'd; NULL: ENOMEM). */
char *domain_pidfile_path(const Domain *d);

/* op.c: the one state-changing call in flight. */
/* Fails with Busy when a call is in flight. */
int domain_check_idle(Domain *d, DomainOp op, ZvError *err);
/* The table allows op now and nothing else is in flight: op begins. */
int domain_begin_op(Domain *d, DomainOp op, domain_done_fn cb, void *userdata, ZvError *err);
/* Undoes domain_begin_op when the call fails before anything was sent. */
void domain_abort_op(Domain *d);
/* Finishes the call in flight (if any) with r/err. */
void domain_finish_op(Domain *d, int r, const ZvError *err);
/* Answers every Destroy waiting for QEMU's end with r/err. */
void domain_answer_stop_waiters(Domain *d, int r, const ZvError *err);

/* A call that is one monitor command: begins op and sends it; reply gets
 * the Domain as userdata. */
typedef int (*domain_send_fn)(QemuMonitor *mon, qemu_monitor_done_fn reply);
int domain_one_command_call(Domain *d, DomainOp op, const char *command, domain_send_fn send,
			    qemu_monitor_done_fn reply, domain_done_fn cb, void *userdata, ZvError *err);
/* The reply of such a call: on success moves to (state, reason) and ends
 * the call; on failure ends it with QEMU's error. */
void domain_reply_then_state(Domain *d, const char *command, int r, const char *error, DomainState state,
			     DomainReason reason);

/* start.c */
/* Starts with live as the running definition (taken; NULL: a copy of def). */
int domain_start_with(Domain *d, DomainDef *live, DomainStartFlags flags, domain_done_fn cb, void *userdata,
		      ZvError *err);
/* The monitor is up during a Start: record the consoles, then cont. */
void domain_start_monitor_ready(Domain *d);
/* A QEMU that holds the domain's pidfile but that the daemon does not
 * track (its daemon died between fork and the status file) is killed.
 * >0: its pid (SIGKILL sent), 0: there is none, <0: error. */
int domain_kill_stray_qemu(Domain *d, const char *pidfile);
/* A step of a Start failed: QEMU is killed, the Start fails with this. */
void domain_fail_start(Domain *d, const char *what, const char *error);

/* reattach.c: after a daemon restart, watch pid, reconnect QMP at
 * qmp_path and read the real state. The domain's state fields hold what
 * the status file said until QEMU answers. On failure the domain is
 * shut off, and freed when it is transient. */
int domain_reattach(Domain *d, pid_t pid, const char *qmp_path);
/* The monitor is up again: undo what the previous daemon left half
 * done, then ask QEMU for the state (domain_reattach_query_state). */
void domain_reattach_monitor_ready(Domain *d);
void domain_reattach_query_state(Domain *d);

/* events.c: the monitor connection and what QEMU says over it. */
int domain_connect_monitor(Domain *d);
/* The monitor of a running QEMU cannot be reached (after a daemon
 * restart, or it closed): try again later, with backoff, and never
 * disturb the guest meanwhile. */
void domain_reconnect_monitor_later(Domain *d, int error);
/* QEMU (with -no-shutdown) has stopped the guest after its SHUTDOWN. */
void domain_handle_guest_shutdown(Domain *d, const char *qemu_reason);

/* stop.c: ending QEMU, and what happens once it has ended. */
void domain_quit_qemu(Domain *d, DomainReason reason);
void domain_kill_qemu(Domain *d, DomainReason reason);
/* Ends this QEMU and boots the same live definition in a new one. */
void domain_restart_process(Domain *d, DomainReason stop_reason);
/* QEMU is gone: forget the run, settle the state, answer who waited. */
void domain_stopped(Domain *d);
/* The process watch callback, for spawn and attach. */
void domain_on_process_exit(QemuProcess *p, void *userdata);

/* hotplug.c: QEMU said a device is gone (DEVICE_DELETED), or that the
 * guest refused to let it go. */
void domain_hotplug_device_deleted(Domain *d, const char *alias);
void domain_hotplug_unplug_refused(Domain *d, const char *alias);
/* DEVICE_TRAY_MOVED: a cdrom's tray opened or closed. */
void domain_hotplug_tray_moved(Domain *d, const char *alias, bool open);
/* QEMU ended, or the domain goes: the change under way is over. */
void domain_hotplug_stopped(Domain *d);

/* console.c: ends the console relay (its client sees end of file). */
void domain_console_close(Domain *d);

/* stats.c: the monitor was freed, so the replies GetStats waits for
 * never come: those calls are answered soon with what they have. */
void domain_stats_monitor_gone(Domain *d);
/* The domain goes away: every GetStats call is answered now. */
void domain_stats_answer_all(Domain *d);
