/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What zvirt-bench.c (zvirtd, the table, main) and bench-libvirt.c (the same
 * rows against libvirtd + libvirt-dbus, --with-libvirt) share.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "harness.h"

extern char **environ;

#define N_DOMAINS       1000  /* "1000 defined" */
#define N_SCALE_DOMAINS 10000 /* --scale: "10 000 defined" */
#define N_GUESTS        5     /* bootable ones among them; "5 running" */
#define N_SCALE_GUESTS  50    /* --scale: "50 running guests must reattach" */

#define CALL_TIMEOUT_USEC (60ULL * 1000 * 1000)
#define BOOT_TIMEOUT_MS   HARNESS_BOOT_TIMEOUT_MS
#define STATE_TIMEOUT_MS  30000
#define ANSWER_TIMEOUT_MS 30000
#define READY_LINE        "zvirt-guest: ready boot_id="

typedef struct Options {
	unsigned list;         /* ListDomains in-process */
	unsigned getall;       /* GetAll */
	unsigned gmo;          /* GetManagedObjects */
	unsigned busctl;       /* busctl ListDomains */
	unsigned busctl_floor; /* busctl Peer.Ping */
	unsigned cycles;       /* Start, then Destroy or Shutdown */
	unsigned suspend;      /* Suspend+Resume round trips per cycle */
	unsigned concurrent;   /* rounds of 5 concurrent Starts */
	unsigned restarts;     /* daemon restarts with 5 running */
	unsigned events;       /* guest power-offs for QMP event → signal */
	unsigned stall;        /* rounds of 8 hostile ValidateXML (and idle rounds) */
	unsigned saves;        /* ManagedSave + restore rounds per guest size */
	unsigned console;      /* OpenConsole rounds (and as many on the pty alone) */
	unsigned hotplug;      /* live disk attach + detach rounds */
	unsigned update;       /* config-only UpdateDevice calls */
	unsigned nic_pings;    /* guest `ping` runs per NIC (NIC_PING_COUNT each) */
	unsigned migrations;   /* live migrations per guest size and cap, there and back */
	unsigned scale_list;
	unsigned scale_restarts;
	bool scale;
	bool with_libvirt;
	bool only_nic;     /* --only nic: the NIC rows alone (and libvirt's) */
	bool only_host;    /* --only host: the host device rows alone */
	bool only_migrate; /* --only migrate: the live migration rows alone */
	bool only_cockpit; /* --only cockpit: the Cockpit page's rows alone */
} Options;

extern Options opt;

typedef struct Series {
	double *v;
	size_t n, cap;
} Series;

void series_add(Series *s, double v);
double series_quantile(const Series *s, double q);
double series_median(const Series *s);

/* In table order; rows whose name starts with two spaces give context to
 * the row above them and have no target of their own. */
typedef enum RowId {
	ROW_LIST,
	ROW_LIST_BUSCTL,
	ROW_BUSCTL_FLOOR,
	ROW_GETALL,
	ROW_PING,
	ROW_GMO,
	ROW_DEFINE,
	ROW_DEFINE_FLOOR,
	ROW_START,
	ROW_QEMU_START,
	ROW_SUSPEND,
	ROW_QEMU_SUSPEND,
	ROW_DESTROY,
	ROW_QEMU_KILL,
	ROW_SHUTDOWN,
	ROW_SHUTDOWN_TAIL,
	ROW_CONCURRENT,
	ROW_QEMU_CONCURRENT,
	ROW_RSS,
	ROW_RSS_EMPTY,
	ROW_RESTART,
	ROW_RESTART_START,
	ROW_RSS_RESTART,
	ROW_EVENT,
	ROW_EVENT_QEMU,
	ROW_EVENT_STORM,
	ROW_STALL,
	ROW_STALL_IDLE,
	ROW_STALL_BUS,
	ROW_SAVE_256,
	ROW_SAVE_256_SIZE,
	ROW_QEMU_SAVE_256,
	ROW_RESTORE_256,
	ROW_QEMU_RESTORE_256,
	ROW_SAVE_512,
	ROW_SAVE_512_SIZE,
	ROW_QEMU_SAVE_512,
	ROW_RESTORE_512,
	ROW_QEMU_RESTORE_512,
	ROW_DUMP,
	ROW_DUMP_SIZE,
	ROW_QEMU_DUMP,
	ROW_CONSOLE,
	ROW_CONSOLE_CALL,
	ROW_CONSOLE_RTT,
	ROW_CONSOLE_PTY,
	ROW_CONSOLE_PTY_RTT,
	ROW_VCPU_HOTPLUG,
	ROW_VCPU_ONLINE,
	ROW_ATTACH,
	ROW_ATTACH_SEEN,
	ROW_QEMU_ATTACH,
	ROW_DETACH,
	ROW_DETACH_GONE,
	ROW_QEMU_DETACH,
	ROW_NIC_ATTACH_SEEN,
	ROW_NIC_ATTACH,
	ROW_NIC_DETACH_GONE,
	ROW_NIC_DETACH,
	ROW_NIC_PING_DIRECT,
	ROW_NIC_PING_BRIDGE,
	ROW_NIC_PING_VETH,
	ROW_UPDATE,
	ROW_UPDATE_FLOOR,
	ROW_MEDIA,
	ROW_MEDIA_SEEN,
	ROW_MEDIA_READ,
	ROW_QEMU_MEDIA,
	ROW_GMO_DISKS,
	ROW_GMO_DISKS_SIZE,
	ROW_MIG_256,
	ROW_MIG_256_DOWN,
	ROW_QEMU_MIG_256,
	ROW_QEMU_MIG_256_DOWN,
	ROW_MIG_256_CAP,
	ROW_MIG_256_CAP_DOWN,
	ROW_QEMU_MIG_256_CAP,
	ROW_QEMU_MIG_256_CAP_DOWN,
	ROW_MIG_512,
	ROW_MIG_512_DOWN,
	ROW_QEMU_MIG_512,
	ROW_QEMU_MIG_512_DOWN,
	ROW_MIG_512_CAP,
	ROW_MIG_512_CAP_DOWN,
	ROW_QEMU_MIG_512_CAP,
	ROW_QEMU_MIG_512_CAP_DOWN,
	ROW_MIG_DIRTY,
	ROW_MIG_DIRTY_DOWN,
	ROW_QEMU_MIG_DIRTY,
	ROW_QEMU_MIG_DIRTY_DOWN,
	ROW_MIG_COPY,
	ROW_MIG_COPY_DOWN,
	ROW_QEMU_MIG_COPY,
	ROW_QEMU_MIG_COPY_DOWN,
	ROW_HOST_LIST_CCW,
	ROW_HOST_LIST_CCW_FLOOR,
	ROW_HOST_LIST_DASD,
	ROW_HOST_LIST_DASD_FLOOR,
	ROW_HOST_ONLINE,
	ROW_HOST_ONLINE_NOALIAS,
	ROW_HOST_ONLINE_FLOOR,
	ROW_HOST_ZFCP,
	ROW_HOST_ZFCP_FLOOR,
	ROW_COCKPIT_OPEN,
	ROW_COCKPIT_TRANSPORT,
	ROW_COCKPIT_MODEL,
	ROW_COCKPIT_DRAW,
	ROW_COCKPIT_GMO,
	ROW_COCKPIT_DEFINE,
	ROW_COCKPIT_DEFINE_CALL,
	ROW_COCKPIT_PING,
	ROW_COCKPIT_DEFINE_EXT,
	ROW_COCKPIT_BUSCTL,
	/* --scale */
	ROW_SCALE_DEFINE,
	ROW_SCALE_LIST,
	ROW_SCALE_RSS,
	ROW_SCALE_START,
	ROW_SCALE_REATTACH,
	ROW_SCALE_QMP,
	N_ROWS,
} RowId;

typedef struct Row {
	const char *what;
	const char *unit; /* "ms" or "MB" */
	double target;    /* the figure is ok at or below it; 0: no target */
	const char *target_text;
	const char *anchor; /* libvirt's recorded figure (tests/bench/README.md) */
	bool scale;         /* measured only with --scale */
	Series s;           /* zvirtd */
	Series lv;          /* libvirt on this machine, this run (--with-libvirt) */
} Row;

extern Row rows[N_ROWS];

/* ---- clocks, strings, output ---- */

uint64_t clock_ns(clockid_t id);
uint64_t now_ns(void); /* CLOCK_MONOTONIC */
double ms_between(uint64_t from, uint64_t to);
double ms_since(uint64_t from);
void sleep_ms(unsigned ms);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);
char *xstrdup(const char *s);
/* A line on stderr. */
__attribute__((format(printf, 1, 2))) void progress(const char *fmt, ...);
/* A fact printed under the table (and on stderr now). */
__attribute__((format(printf, 1, 2))) void note(const char *fmt, ...);

/* ---- the benchmark's own bus connection ---- */

extern sd_bus *B;

int bench_callv(sd_bus_error *error, sd_bus_message **reply, double *ret_ms, const char *dest,
		const char *path, const char *iface, const char *method, const char *types, va_list ap);
/* A call that must succeed; its time in *ret_ms (may be NULL). Unref the reply. */
sd_bus_message *bench_call(double *ret_ms, const char *dest, const char *path, const char *iface,
			   const char *method, const char *types, ...);
/* Dispatch what has arrived; then wait (poll on the bus, reading and
 * discarding `drain_fd` if >= 0) until done(userdata) or the timeout.
 * Signals are handled the moment they can be read. */
bool bench_wait(bool (*done)(void *userdata), void *userdata, int timeout_ms, int drain_fd);
/* Send the same call to every path at once; wait for all replies, which
 * must be successes. Returns first send → last reply. */
double call_all_v(const char *dest, char **paths, size_t n, const char *iface, const char *method,
		  const char *types, ...);

/* ---- processes and files ---- */

typedef struct Rss {
	double total, anon, file; /* MB (MiB, as ps and top count) */
} Rss;

Rss rss_of(pid_t pid);
/* One `busctl` child, stdout on /dev/null; fork to exit. */
double run_busctl(char *const argv[]);
void rm_rf(const char *path);
const char *default_log_level(void);

/* ---- managed save ---- */

/* The guest sizes saved, and what is dirtied in each before the save so
 * that the image holds data, not just zero pages. */
typedef struct SaveSize {
	unsigned mib, dirty_mib;
	RowId save, size, qemu_save, restore, qemu_restore;
} SaveSize;

extern const SaveSize save_sizes[2];

#define SAVE_TIMEOUT_MS 120000

/* CoreDump runs on the first size's guest (256 MiB), before its saves. */
#define DUMP_SIZE 0

/* The test guest's XML with <memory> set to `mib`. */
char *guest_xml_with_memory(const char *xml, unsigned mib);
/* `dirty <mib>` on the guest's console, until the guest (its QEMU:
 * qemu_pid) has filled the buffer with random data once, `dirty stop`. */
void guest_dirty(const char *pty, pid_t qemu_pid, unsigned mib);
/* A note if an image holds less than the data dirtied. */
void check_image(const char *who, const SaveSize *z, double mib);
/* A file's size in MiB (the unit of the table's MB rows). */
double file_mib(const char *path);
/* A new dump file's path in the harness's directory, for `who` and the
 * round; whatever was there is removed. */
char *dump_file(const char *who, unsigned round);
/* Whether `path` is gone within `timeout_ms`: the daemon removes a
 * restored image after it answered. */
bool file_goes(const char *path, unsigned timeout_ms);

/* ---- disk hot-plug ---- */

/* The disk every hot-plug row plugs: a qcow2 image at a fixed ccw
 * address, so that the guest can be told where to look before the
 * plug. */
#define HOTPLUG_DEVNO  "0x0007"
#define HOTPLUG_BUSID  "0.0.0007"
#define HOTPLUG_TARGET "vdb"

/* A new 64 MiB qcow2 image in the harness's directory for `who`. */
char *hotplug_image(const char *who);
/* The <disk> of it, as AttachDevice and DetachDevice take it. */
char *hotplug_disk_xml(const char *image);
/* The same disk (vda) with a cache mode, for config-only UpdateDevice. */
char *update_disk_xml(const char *image, const char *cache);

/* The guest's console, held open across rounds (QEMU notices a newly
 * opened pty only once a second), line by line. */
typedef struct GuestConsole GuestConsole;
GuestConsole *guest_console_open(const char *pty);
void guest_console_close(GuestConsole *c);
/* `waitblk HOTPLUG_BUSID present|absent`: the guest looks every 10 ms.
 * Returns once it is looking; false when this guest has no waitblk
 * (an older test guest). */
bool guest_waitblk_begin(GuestConsole *c, bool present);
/* When its answer was read (CLOCK_MONOTONIC ns); fails on a timeout. */
uint64_t guest_waitblk_end(GuestConsole *c, bool present);
/* `readdev sr0 MEDIUM_TEXT_LEN` until the guest reads `text` from its
 * cdrom, one command after the other: when the answer that had it was
 * read (CLOCK_MONOTONIC ns); fails after 30 s. The time of one readdev
 * (the step of that polling) in *ret_step_ms if not NULL. */
uint64_t guest_reads_medium(GuestConsole *c, const char *text, double *ret_step_ms);

/* ---- NIC hot-plug and the guest's ping ---- */

/* The networking of these rows lives in the benchmark's own network
 * namespace (main() enters one): a veth pair to a peer namespace for the
 * direct NIC (a macvtap in bridge mode on NIC_DIRECT_DEV), another one on
 * the Linux bridge NIC_BRIDGE for the bridge NIC (a tap on it), a third
 * one with an address on this side for the host's own ping, the limit. */
#define NIC_DIRECT_DEV   "zvbh0"
#define NIC_DIRECT_PEER  "10.81.0.1"
#define NIC_DIRECT_GUEST "10.81.0.2/24"
#define NIC_MAC_DIRECT   "52:54:00:7c:00:01"
#define NIC_BRIDGE       "zvbbr0"
#define NIC_BRIDGE_PEER  "10.82.0.1"
#define NIC_BRIDGE_GUEST "10.82.0.2/24"
#define NIC_MAC_BRIDGE   "52:54:00:7c:00:02"
/* Replies per guest `ping` run; opt.nic_pings runs per NIC. */
#define NIC_PING_COUNT 5

/* The two NICs, as AttachDevice and DetachDevice take them (zvirtd and
 * libvirt alike). */
char *nic_direct_xml(void);
char *nic_bridge_xml(void);
/* `waitnic <mac> present|absent` on the console held open: returns once
 * the guest is looking (every 10 ms); false when this guest has no
 * waitnic. */
bool guest_waitnic_begin(GuestConsole *c, const char *mac, bool present);
/* When its answer was read (CLOCK_MONOTONIC ns); fails on a timeout. */
uint64_t guest_waitnic_end(GuestConsole *c, const char *mac, bool present);
/* `netup` of the NIC with `mac` at `addr`, one unmeasured `ping` (ARP),
 * then opt.nic_pings runs of `ping <peer> NIC_PING_COUNT`, each run's
 * average (as the guest prints it) into `s`. */
void guest_nic_pings(GuestConsole *c, const char *mac, const char *addr, const char *peer, Series *s);

/* ---- vCPU hot-plug ---- */

/* vCPUs added to one running guest, one per SetVcpus: it starts with 1
 * of VCPU_ROUNDS + 1. */
#define VCPU_ROUNDS 5

/* The test guest's XML with <vcpu current='1'>VCPU_ROUNDS + 1</vcpu>. */
char *vcpu_guest_xml(const char *name);
/* `cpus online` on the guest's console until it reports vCPUs 0–k-1
 * online: how long it took. */
double guest_cpus_online(const char *name, const char *pty, unsigned k);

/* ---- media change ---- */

/* Two 64 KiB "ISOs", each starting with its text (MEDIUM_TEXT_LEN
 * bytes), zeros after: which one the guest reads tells them apart. */
#define MEDIUM_TEXT_A   "ZVIRT-BENCH-MEDIUM-A"
#define MEDIUM_TEXT_B   "ZVIRT-BENCH-MEDIUM-B"
#define MEDIUM_TEXT_LEN 20

/* A new medium in the harness's directory for `who`, starting with text. */
char *medium_file(const char *who, const char *text);
/* The SCSI cdrom (sda) with `medium` in it, as UpdateDevice takes it. */
char *cdrom_xml(const char *medium);
/* The test guest's XML with a virtio-scsi controller and that cdrom. */
char *media_guest_xml(const char *name, const char *medium);

/* ---- QEMU alone (zvirt-bench.c) ---- */

/* A QEMU started by the benchmark itself with a QMP socket of its own. */
typedef struct Qemu {
	pid_t pid;
	int qmp;
	char buf[65536];
	size_t len;
	char *console_log; /* set before qemu_alone_spawn() */
	/* If set: it runs in a mount namespace of its own where own_dir is
	 * bound over over_dir, as another host has its own disks at the
	 * same paths. */
	const char *own_dir, *over_dir;
} Qemu;

/* A process's command line as a NULL-terminated vector; NULL if unreadable. */
char **read_cmdline(pid_t pid);
/* exec base_argv (the daemon's command line of a guest) with a QMP socket,
 * console log and pidfile of its own in `dir` (`tag` keeps concurrent
 * ones apart); connected, greeting not yet read. */
void qemu_alone_spawn(Qemu *q, char **base_argv, const char *dir, unsigned tag);
/* SIGKILL, reaped, QMP closed: how long that took. */
double qemu_alone_kill(Qemu *q);
/* One line from QEMU (events included), without its \r\n. */
void qmp_read_line(Qemu *q, char *line, size_t size);
/* One command and its return line (passing over events) into reply (may
 * be NULL); `fd` >= 0 goes along (SCM_RIGHTS). Fails on an error. */
void qmp_command(Qemu *q, const char *json, int fd, char *reply, size_t size);
void qmp_execute(Qemu *q, const char *command);
/* The "filename" of the first pty chardev in a query-chardev reply. */
char *pty_of_chardevs(const char *reply);
/* The value of "status" in a QMP reply, into buf. */
const char *qmp_status(const char *line, char *buf, size_t size);

/* ---- bench-migrate.c ---- */

/* Live migration between this daemon and a second one (the harness's
 * peer), there and back, and the same with two bare QEMUs. */
void phase_migrate(void);

/* What one row pair measures: a guest size, a cap (0: unlimited),
 * whether the guest keeps dirtying memory (then with auto-converge), and
 * whether its disk goes along (copy-storage-all). */
typedef struct MigCase {
	unsigned mib;
	uint64_t cap_mibps;
	bool dirty;
	RowId time, down, qemu_time, qemu_down;
	bool copy;
} MigCase;

#define N_MIG_CASES 5
#define N_MIG_SIZES 2
/* In the order measured: per size, its cases in turn on one guest. */
extern const MigCase mig_cases[N_MIG_CASES];
extern const unsigned mig_sizes[N_MIG_SIZES];
/* The guest whose disk is copied (copy-storage-all), measured apart from
 * mig_cases: it has a qcow2 disk of MIG_COPY_DISK_MIB, all of it written,
 * at the same path on both hosts (each host its own image). */
extern const MigCase mig_copy_case;
#define MIG_COPY_DISK_MIB 1024
#define MIG_COPY_TARGET   "vdb"
/* The directory of that image as both hosts name it, and the one that
 * the second host sees there (its own mount namespace); to free. */
char *mig_copy_dir(void);
char *mig_copy_peer_dir(void);
/* Writes the image there (all of it) and creates the second host's. */
void mig_copy_images(void);
/* The guest `name` of that case with its disk (malloc'd). */
char *mig_copy_guest_xml(const char *name);
/* Fails unless both images hold the same; who names the hosts. */
void mig_copy_compare(const char *who);
/* What the dirtying guest rewrites, MiB. */
#define MIG_DIRTY_MIB 64
/* `dirty <mib>` on the guest's console (its QEMU: qemu_pid), until its
 * buffer has been filled once; the guest goes on rewriting it. */
void mig_start_dirtying(const char *pty, pid_t qemu_pid, unsigned mib);
/* Its rows' targets from the QEMU-alone rows of the same run. */
void migrate_set_targets(void);

/* ---- bench-host.c ---- */

/* The host device rows against the sysfs simulator (1000 generated DASDs
 * and the seed's devices); restarts the daemon on it, which keeps it. */
void phase_host(void);
/* The Cockpit page's rows (bench-cockpit.c), with `expect` domains defined. */
void phase_cockpit(unsigned expect);

/* ---- bench-libvirt.c ---- */

/* Install, start and measure libvirtd + libvirt-dbus: the `lv` series. */
void phase_libvirt(void);
/* The migration rows for libvirt: a second libvirtd beside the one
 * phase_libvirt() started, virsh migrate between them; called by it. */
void libvirt_migrate(void);
/* Stop what phase_libvirt() started, also after it failed half-way. */
void libvirt_cleanup(void);
/* From a fatal signal handler: undo what the host would keep. */
void libvirt_emergency_cleanup(void);
