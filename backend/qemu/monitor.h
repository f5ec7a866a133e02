/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU's monitor as typed calls and events: the commands the driver
 * sends (cont, stop, quit, system_reset, system_powerdown, query-status,
 * query-chardev, inject-nmi, and GetStats' queries) and the events it reacts to, decoded from QMP's JSON
 * here so that nothing above this floor speaks JSON. The transport is
 * qmp.c; every reply comes back later, from the event loop. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

typedef struct QemuMonitor QemuMonitor;

typedef enum QemuEventType {
	QEMU_EVENT_STOP,
	QEMU_EVENT_RESUME,
	QEMU_EVENT_SHUTDOWN,
	QEMU_EVENT_RESET,
	QEMU_EVENT_GUEST_PANICKED,
	QEMU_EVENT_BLOCK_IO_ERROR,
	QEMU_EVENT_WATCHDOG,
	QEMU_EVENT_MIGRATION, /* with migrate-set-capabilities events on */
	QEMU_EVENT_DUMP_COMPLETED,
	QEMU_EVENT_DEVICE_DELETED,
	QEMU_EVENT_DEVICE_UNPLUG_GUEST_ERROR,
	QEMU_EVENT_DEVICE_TRAY_MOVED,
	/* A block job (a migration's disk mirror): synchronised, ended
	 * (with error set when it failed), cancelled before it was. */
	QEMU_EVENT_BLOCK_JOB_READY,
	QEMU_EVENT_BLOCK_JOB_COMPLETED,
	QEMU_EVENT_BLOCK_JOB_CANCELLED,
	QEMU_EVENT_OTHER, /* any event the driver does not act on */
	_QEMU_EVENT_MAX,
} QemuEventType;

/* An event with the fields the driver uses; strings are borrowed for the
 * duration of the callback. */
typedef struct QemuEvent {
	QemuEventType type;
	const char *name; /* QEMU's own name, "STOP" */
	/* SHUTDOWN: "guest-shutdown", "guest-reset", "host-qmp-quit", ...; NULL if absent */
	const char *shutdown_reason;
	/* BLOCK_IO_ERROR and WATCHDOG: "stop", "pause", "report", ...; NULL if absent */
	const char *action;
	/* MIGRATION: "active", "completed", "failed", ...; NULL if absent */
	const char *migration_status;
	/* DEVICE_DELETED, DEVICE_UNPLUG_GUEST_ERROR, DEVICE_TRAY_MOVED: the
	 * device's id (our alias; NULL for a device without one) and its
	 * QOM path */
	const char *device;
	const char *device_path;
	bool tray_open; /* DEVICE_TRAY_MOVED */
	/* BLOCK_JOB_*: the job's id is in device; COMPLETED's error (NULL: it
	 * succeeded) */
	const char *job_error;
	/* GUEST_PANICKED: s390's details ("disabled-wait", core, PSW) when QEMU sent them */
	struct {
		const char *reason; /* NULL: QEMU gave no info */
		int64_t core;       /* -1: unknown */
		uint64_t psw_mask;
		uint64_t psw_addr;
	} panic;
} QemuEvent;

typedef struct QemuMonitorCallbacks {
	/* The handshake is done (error == 0) or failed (negative errno). Once. */
	void (*ready)(QemuMonitor *mon, int error, void *userdata);
	void (*event)(QemuMonitor *mon, const QemuEvent *event, void *userdata);
	/* The connection closed (QEMU exited or the socket broke). Once. */
	void (*closed)(QemuMonitor *mon, void *userdata);
} QemuMonitorCallbacks;

/* Takes fd (a connected stream socket) in every case. userdata goes to
 * every callback, replies included. */
int qemu_monitor_new(sd_event *event, int fd, const QemuMonitorCallbacks *callbacks, void *userdata,
		     QemuMonitor **ret);

/* Closes the connection. No callback of any kind runs after this, not even
 * for commands still waiting: their owner is going away. May be called
 * from inside any of this monitor's callbacks. Returns NULL. */
QemuMonitor *qemu_monitor_free(QemuMonitor *mon);

/* A command's completion: r == 0 on success; -EIO with QEMU's error text
 * in error when QEMU refused it; -ENOTCONN when the connection closed
 * before the reply (the normal answer to quit). */
typedef void (*qemu_monitor_done_fn)(QemuMonitor *mon, int r, const char *error, void *userdata);

/* Each returns negative errno when the command cannot be sent (then cb
 * is never called), else 0 and cb runs exactly once, later. cb may be
 * NULL for fire and forget. */
int qemu_monitor_cont(QemuMonitor *mon, qemu_monitor_done_fn cb);
int qemu_monitor_stop(QemuMonitor *mon, qemu_monitor_done_fn cb);
int qemu_monitor_quit(QemuMonitor *mon, qemu_monitor_done_fn cb);
int qemu_monitor_system_reset(QemuMonitor *mon, qemu_monitor_done_fn cb);
int qemu_monitor_system_powerdown(QemuMonitor *mon, qemu_monitor_done_fn cb);

/* query-status: status is QEMU's RunState ("running", "paused",
 * "shutdown", ...), NULL when r < 0. */
typedef void (*qemu_monitor_status_fn)(QemuMonitor *mon, int r, const char *status, const char *error,
				       void *userdata);
int qemu_monitor_query_status(QemuMonitor *mon, qemu_monitor_status_fn cb);

/* query-chardev: every character device QEMU has, with the host side of
 * the pty ones (the /dev/pts/N path), borrowed for the callback. */
typedef struct QemuChardev {
	const char *label;    /* the chardev id, "charconsole0" */
	const char *pty_path; /* NULL unless the backend is a pty */
} QemuChardev;
typedef void (*qemu_monitor_chardevs_fn)(QemuMonitor *mon, int r, const QemuChardev *chardevs, size_t n,
					 const char *error, void *userdata);
int qemu_monitor_query_chardev(QemuMonitor *mon, qemu_monitor_chardevs_fn cb);

/* inject-nmi: on s390x a restart interrupt on the first CPU. */
int qemu_monitor_inject_nmi(QemuMonitor *mon, qemu_monitor_done_fn cb);

/* The queries of GetStats. Unlike the commands above, whose replies go
 * to the monitor's userdata (the one domain), each takes the userdata of
 * its own request, since several may be in flight at once. The rule of
 * qemu_monitor_free() holds: a reply still pending then never comes, so
 * the owner of a request answers it itself when it frees the monitor. */

/* query-cpus-fast: one entry per vCPU. */
typedef struct QemuCpuInfo {
	int64_t cpu_index;
	int64_t thread_id;      /* the host thread running it; 0 when unknown */
	const char *s390_state; /* s390x "cpu-state": "operating", "stopped", ...; NULL if absent */
} QemuCpuInfo;
typedef void (*qemu_monitor_cpus_fn)(QemuMonitor *mon, int r, const QemuCpuInfo *cpus, size_t n,
				     const char *error, void *userdata);
int qemu_monitor_query_cpus_fast(QemuMonitor *mon, qemu_monitor_cpus_fn cb, void *userdata);

/* query-balloon: the guest's memory as the balloon has it, bytes. QEMU
 * refuses it (r = -EIO) when there is no balloon device. */
typedef void (*qemu_monitor_balloon_fn)(QemuMonitor *mon, int r, uint64_t actual_bytes, const char *error,
					void *userdata);
int qemu_monitor_query_balloon(QemuMonitor *mon, qemu_monitor_balloon_fn cb, void *userdata);

/* query-blockstats: the counters of each block backend, named by its
 * root node and the device it is attached to. */
typedef struct QemuBlockStats {
	const char *node_name; /* the root node: "<alias>-format" for our disks; NULL if absent */
	const char *qdev;      /* the device's id or QOM path; NULL if absent */
	uint64_t rd_bytes, wr_bytes;
	uint64_t rd_operations, wr_operations, flush_operations;
	uint64_t rd_total_time_ns, wr_total_time_ns, flush_total_time_ns;
	uint64_t failed_operations; /* read, write and flush together */
	/* The highest offset written in the image file: the "parent"
	 * (protocol) node's, as libvirt reads it. */
	uint64_t wr_highest_offset;
	bool has_wr_highest_offset;
} QemuBlockStats;
typedef void (*qemu_monitor_blockstats_fn)(QemuMonitor *mon, int r, const QemuBlockStats *stats, size_t n,
					   const char *error, void *userdata);
int qemu_monitor_query_blockstats(QemuMonitor *mon, qemu_monitor_blockstats_fn cb, void *userdata);

/* query-named-block-nodes (flat, monitor-block.c): the image of every
 * block node, as libvirt's domblkinfo reads capacity and physical. */
typedef struct QemuBlockNode {
	const char *node_name;
	uint64_t virtual_size; /* what the guest sees, bytes */
	uint64_t actual_size;  /* what the file takes on the host (allocated bytes) */
	bool has_actual_size;
} QemuBlockNode;
typedef void (*qemu_monitor_block_nodes_fn)(QemuMonitor *mon, int r, const QemuBlockNode *nodes, size_t n,
					    const char *error, void *userdata);
int qemu_monitor_query_named_block_nodes(QemuMonitor *mon, qemu_monitor_block_nodes_fn cb, void *userdata);

const char *qemu_event_type_to_string(QemuEventType t);

/* --- migration (monitor-migration.c): managed save, restore, migrate --- */

/* getfd: QEMU keeps a duplicate of fd under name (fd stays ours). */
int qemu_monitor_getfd(QemuMonitor *mon, const char *name, int fd, qemu_monitor_done_fn cb);
/* migrate / migrate-incoming to or from uri ("fd:<name>" for getfd's). */
int qemu_monitor_migrate(QemuMonitor *mon, const char *uri, qemu_monitor_done_fn cb);
int qemu_monitor_migrate_incoming(QemuMonitor *mon, const char *uri, qemu_monitor_done_fn cb);
int qemu_monitor_migrate_cancel(QemuMonitor *mon, qemu_monitor_done_fn cb);
/* migrate-set-capabilities of the n capabilities named (QEMU's names:
 * "events", "auto-converge", ...) to their states. */
int qemu_monitor_set_migration_capabilities(QemuMonitor *mon, const char *const *names, const bool *states,
					    size_t n, qemu_monitor_done_fn cb);
/* migrate-set-capabilities events: MIGRATION events on every status
 * change, so that the end is seen at once, not at the next poll. */
int qemu_monitor_enable_migration_events(QemuMonitor *mon, qemu_monitor_done_fn cb);
/* migrate-set-parameters: the members set, the others as they are. */
typedef struct QemuMigrationParams {
	bool set_max_bandwidth, set_downtime_limit;
	uint64_t max_bandwidth;     /* bytes per second (QEMU's default is 32 MiB/s) */
	uint64_t downtime_limit_ms; /* the longest stop the switch-over may take */
} QemuMigrationParams;
int qemu_monitor_set_migration_parameters(QemuMonitor *mon, const QemuMigrationParams *p,
					  qemu_monitor_done_fn cb);
/* migrate-set-parameters max-bandwidth alone. */
int qemu_monitor_set_migration_speed(QemuMonitor *mon, uint64_t bytes_per_second, qemu_monitor_done_fn cb);

/* query-migrate: status is QEMU's MigrationStatus ("setup", "active",
 * "completed", "failed", "cancelled", ...; "none" before any), error its
 * error-desc when failed; strings borrowed for the callback. */
typedef struct QemuMigrationInfo {
	const char *status;
	const char *error;
	uint64_t total, transferred, remaining; /* RAM, bytes */
	double mbps;                            /* megabits per second */
	uint64_t expected_downtime_ms;
	uint64_t dirty_rate;       /* bytes per second the guest dirties (pages/s × page size) */
	uint64_t dirty_sync_count; /* passes over the memory so far */
	uint64_t throttle_percent; /* auto-converge's CPU throttle, 0 when none */
	uint64_t downtime_ms;      /* completed: how long the guest was stopped */
	uint64_t total_time_ms;    /* since the migration began */
} QemuMigrationInfo;
typedef void (*qemu_monitor_migration_fn)(QemuMonitor *mon, int r, const QemuMigrationInfo *info,
					  const char *error, void *userdata);
int qemu_monitor_query_migrate(QemuMonitor *mon, qemu_monitor_migration_fn cb);

/* --- disks copied during a migration (monitor-nbd.c) --------------------- */

/* The destination: an NBD server on the listening socket given with
 * getfd as fd_name (the daemon bound it in the migration port range),
 * taking at most max_connections clients (0: no limit); a writable
 * export of a block node under a name; the server's end. */
int qemu_monitor_nbd_server_start_fd(QemuMonitor *mon, const char *fd_name, unsigned max_connections,
				     qemu_monitor_done_fn cb);
int qemu_monitor_nbd_export_add(QemuMonitor *mon, const char *id, const char *node_name, const char *name,
				qemu_monitor_done_fn cb);
int qemu_monitor_nbd_server_stop(QemuMonitor *mon, qemu_monitor_done_fn cb);
/* The source: an NBD client node of the destination's export
 * (numeric host and port), a mirror job of a disk's node into it
 * (top_only: sync "top", else "full"; speed in bytes/s, 0: unlimited),
 * its cancel (after READY without force: it completes with everything
 * written; force: it stops at once), and a node's removal. */
int qemu_monitor_nbd_blockdev_add(QemuMonitor *mon, const char *node_name, const char *host,
				  const char *port, const char *export_name, qemu_monitor_done_fn cb);
int qemu_monitor_blockdev_mirror(QemuMonitor *mon, const char *job_id, const char *device,
				 const char *target, bool top_only, uint64_t speed, qemu_monitor_done_fn cb);
int qemu_monitor_block_job_cancel(QemuMonitor *mon, const char *job_id, bool force, qemu_monitor_done_fn cb);
int qemu_monitor_blockdev_del(QemuMonitor *mon, const char *node_name, qemu_monitor_done_fn cb);
/* query-block-jobs: each job's id, how far it got (offset of len
 * bytes; both grow while the guest writes) and whether it is in sync. */
typedef struct QemuBlockJob {
	const char *id;
	uint64_t len, offset;
	bool ready;
} QemuBlockJob;
typedef void (*qemu_monitor_block_jobs_fn)(QemuMonitor *mon, int r, const QemuBlockJob *jobs, size_t n,
					   const char *error, void *userdata);
int qemu_monitor_query_block_jobs(QemuMonitor *mon, qemu_monitor_block_jobs_fn cb, void *userdata);

/* --- hot-plug (monitor-hotplug.c) ---------------------------------------- */

/* One command of a qemu/hotplug-plan.h plan (args consumed in every
 * case). A device_del is only a request: the device is gone when
 * QEMU_EVENT_DEVICE_DELETED names it. */
int qemu_monitor_run_step(QemuMonitor *mon, const char *command, json_object *args, qemu_monitor_done_fn cb);
/* The same with a descriptor the command carries (SCM_RIGHTS; pass_fd
 * stays the caller's): a plan's getfd. */
int qemu_monitor_run_step_fd(QemuMonitor *mon, const char *command, json_object *args, int pass_fd,
			     qemu_monitor_done_fn cb);
/* set_link: the guest NIC of that device id sees its link up or down. */
int qemu_monitor_set_link(QemuMonitor *mon, const char *id, bool up, qemu_monitor_done_fn cb);
/* device_del of the device with that id. */
int qemu_monitor_device_del(QemuMonitor *mon, const char *id, qemu_monitor_done_fn cb);
/* query-block: whether the tray of the drive of device id is open
 * (-ENOENT: QEMU has no drive of that device). */
typedef void (*qemu_monitor_tray_fn)(QemuMonitor *mon, int r, bool open, const char *error, void *userdata);
int qemu_monitor_query_tray(QemuMonitor *mon, const char *id, qemu_monitor_tray_fn cb);

/* --- dumps (monitor-dump.c) ---------------------------------------------- */

/* dump-guest-memory of all memory (no paging) into the descriptor that
 * getfd named, detached: the reply comes at once, query-dump follows.
 * format: "elf", "kdump-zlib", ... */
int qemu_monitor_dump_guest_memory(QemuMonitor *mon, const char *fd_name, const char *format,
				   qemu_monitor_done_fn cb);
/* query-dump: status "none", "active", "completed", "failed"; bytes. */
typedef struct QemuDumpInfo {
	const char *status;
	uint64_t completed, total;
} QemuDumpInfo;
typedef void (*qemu_monitor_dump_fn)(QemuMonitor *mon, int r, const QemuDumpInfo *info, const char *error,
				     void *userdata);
int qemu_monitor_query_dump(QemuMonitor *mon, qemu_monitor_dump_fn cb);

/* --- vCPUs and I/O threads (monitor-resources.c) ------------------------- */

/* Each of these takes its own userdata, and its callback runs exactly
 * once: with QEMU's reply, or with r = -ENOTCONN and mon NULL when the
 * monitor is freed first. That last call comes from inside
 * qemu_monitor_free(), so it must not use the monitor. */
typedef void (*qemu_monitor_request_fn)(QemuMonitor *mon, int r, const char *error, void *userdata);

/* query-hotpluggable-cpus: one entry per CPU slot of the machine. */
typedef struct QemuHotpluggableCpu {
	const char *type;     /* the device type that fills it: "qemu-s390x-cpu", "host-s390x-cpu" */
	int64_t core_id;      /* props "core-id", -1 when absent */
	const char *qom_path; /* the CPU in it; NULL when the slot is free */
} QemuHotpluggableCpu;
typedef void (*qemu_monitor_hotpluggable_cpus_fn)(QemuMonitor *mon, int r, const QemuHotpluggableCpu *cpus,
						  size_t n, const char *error, void *userdata);
int qemu_monitor_query_hotpluggable_cpus(QemuMonitor *mon, qemu_monitor_hotpluggable_cpus_fn cb,
					 void *userdata);

/* device_add {"driver": type, "core-id": core_id, "id": id}: a vCPU into
 * a free slot (the guest finds it stopped and brings it online). */
int qemu_monitor_add_cpu(QemuMonitor *mon, const char *type, int64_t core_id, const char *id,
			 qemu_monitor_request_fn cb, void *userdata);

/* balloon: the guest's memory target, bytes (the guest's balloon driver
 * gives memory back or takes it; query-balloon tells how far it got). */
int qemu_monitor_set_balloon(QemuMonitor *mon, uint64_t bytes, qemu_monitor_request_fn cb, void *userdata);

/* object-add and object-del of I/O thread "iothread<id>". */
int qemu_monitor_add_iothread(QemuMonitor *mon, unsigned id, qemu_monitor_request_fn cb, void *userdata);
int qemu_monitor_del_iothread(QemuMonitor *mon, unsigned id, qemu_monitor_request_fn cb, void *userdata);

/* query-iothreads: QEMU's I/O threads with their host threads. */
typedef struct QemuIOThread {
	const char *id;    /* "iothread1" */
	int64_t thread_id; /* the host thread; 0 when unknown */
} QemuIOThread;
typedef void (*qemu_monitor_iothreads_fn)(QemuMonitor *mon, int r, const QemuIOThread *threads, size_t n,
					  const char *error, void *userdata);
int qemu_monitor_query_iothreads(QemuMonitor *mon, qemu_monitor_iothreads_fn cb, void *userdata);
