/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * zvirt-bench: measures the project's performance rows (tests/bench/README.md) for zvirtd and
 * prints them beside the targets and the libvirt anchor (and, with
 * --with-libvirt, beside libvirt measured in the same run: bench-libvirt.c).
 * tests/bench/README.md says how each figure is taken.
 *
 * It stands on the integration harness (tests/integration/harness.h): a
 * private dbus-daemon with our bus policy, the real polkitd, the zvirtd
 * built from this tree and real qemu-system-s390x guests. The figures are
 * medians; the second table says how many runs each took.
 *
 * Clients: "in-process" is one long-lived sd-bus connection as root (the
 * benchmark's own, not the harness's, so that the harness's signal
 * recorder never sits between a reply and its clock); "busctl" runs
 * `busctl call ...` as a child process per call, its start-up included.
 *
 * Not a test: nothing here fails because a figure is over its target.
 * It fails only when a daemon does something wrong (a call errors, a
 * state is not reached), and then prints what it measured so far.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "bench.h"

/* How many runs each figure is the median of; --runs scales the guest ones. */
Options opt = {
	.list = 500,
	.getall = 500,
	.gmo = 30,
	.busctl = 50,
	.busctl_floor = 30,
	.cycles = 10,
	.suspend = 20,
	.concurrent = 5,
	.restarts = 5,
	.stall = 5,
	.events = 5,
	.saves = 3,
	.console = 5,
	.hotplug = 10,
	.update = 50,
	.nic_pings = 5,
	.migrations = 3,
	.scale_list = 200,
	.scale_restarts = 3,
};

/* ---- clocks and numbers ---- */

uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

double ms_between(uint64_t from, uint64_t to)
{
	return (double)(int64_t)(to - from) / 1e6;
}

double ms_since(uint64_t from)
{
	return ms_between(from, now_ns());
}

void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

void progress(const char *fmt, ...)
{
	va_list ap;

	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void series_add(Series *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		double *n = realloc(s->v, cap * sizeof(*n));
		if (!n)
			abort();
		s->v = n;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* q in [0, 1]; nearest rank, except the median of an even count, which is
 * the mean of the two middle values. */
double series_quantile(const Series *s, double q)
{
	_cleanup_free_ double *v = NULL;
	double r;

	if (s->n == 0)
		return NAN;
	v = malloc(s->n * sizeof(*v));
	if (!v)
		abort();
	memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), cmp_double);
	if (q == 0.5 && s->n % 2 == 0)
		r = (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
	else {
		size_t i = (size_t)ceil(q * (double)s->n);
		r = v[i == 0 ? 0 : i - 1];
	}
	return r;
}

double series_median(const Series *s)
{
	return series_quantile(s, 0.5);
}

/* ---- the table ---- */

Row rows[N_ROWS] = {
	[ROW_LIST] = {"ListDomains, 1000 defined, in-process", "ms", 0.5, "≤ 0.5 ms", "4.63 ms"},
	[ROW_LIST_BUSCTL] = {"ListDomains, 1000 defined, busctl", "ms", 4.0, "≤ 4.0 ms", "9.14 ms"},
	[ROW_BUSCTL_FLOOR] = {"  busctl alone: Peer.Ping via busctl", "ms", 0, "(floor 3.5)", "~3.5 ms"},
	[ROW_GETALL] = {"GetAll of one domain, in-process", "ms", 0.2, "≤ 0.2 ms", "1.6 ms"},
	[ROW_PING] = {"  bus round trip alone: Peer.Ping, in-process", "ms", 0, "—", "—"},
	[ROW_GMO] = {"GetManagedObjects, 1000 domains", "ms", 30, "≤ 30 ms", "— (no ObjectManager)"},
	[ROW_DEFINE] = {"Define, per call, in-process (fsync)", "ms", 1.0, "≤ 1.0 ms", "1.69 ms"},
	[ROW_DEFINE_FLOOR] = {"  disk alone: write, fsync, rename, fsync dir in StateDir", "ms", 0, "—",
			      "—"},
	[ROW_START] = {"Start → running", "ms", 25, "≤ 25 ms", "41 ms"},
	[ROW_QEMU_START] = {"  QEMU alone: exec → QMP handshake → cont", "ms", 0, "—", "—"},
	[ROW_SUSPEND] = {"Suspend + Resume round trip, in-process", "ms", 0.8, "≤ 0.8 ms", "3.57 ms"},
	[ROW_QEMU_SUSPEND] = {"  QEMU alone: QMP stop + cont", "ms", 0, "—", "—"},
	[ROW_DESTROY] = {"Destroy of a running guest", "ms", 20, "≤ 20 ms", "210 ms"},
	[ROW_QEMU_KILL] = {"  QEMU alone: SIGKILL → reaped", "ms", 0, "—", "—"},
	[ROW_SHUTDOWN] = {"Shutdown → shut-off (guest powers off at once)", "ms", 30, "≤ 30 ms", "212 ms"},
	[ROW_SHUTDOWN_TAIL] = {"  of which QEMU's SHUTDOWN event → shut-off signal", "ms", 0, "—", "—"},
	[ROW_CONCURRENT] = {"5 concurrent Starts → all running", "ms", 120, "≤ 120 ms", "210 ms"},
	[ROW_QEMU_CONCURRENT] = {"  QEMU alone: 5 at once, exec → cont", "ms", 0, "—", "—"},
	[ROW_RSS] = {"Daemon RSS, 1000 defined", "MB", 8, "≤ 8 MB", "36.9 + 19.9 MB"},
	[ROW_RSS_EMPTY] = {"  RSS with nothing defined", "MB", 0, "—", "—"},
	[ROW_RESTART] = {"Restart → answering, 1000 defined + 5 running", "ms", 60, "≤ 60 ms",
			 "216 ms virsh / 232 ms D-Bus"},
	[ROW_RESTART_START] = {"  of which exec → answering", "ms", 0, "—", "—"},
	[ROW_RSS_RESTART] = {"  RSS after restart, 1000 defined + 5 running", "MB", 0, "—", "—"},
	[ROW_EVENT] = {"QMP event → D-Bus signal", "ms", 0.2, "≤ 0.2 ms", "—"},
	[ROW_EVENT_QEMU] = {"  from QEMU's own event time stamp", "ms", 0, "—", "—"},
	[ROW_EVENT_STORM] = {"  the same, during a DefineXML storm (100 in flight)", "ms", 0, "—", "—"},
	[ROW_STALL] = {"Loop stall: worst GetAll (every 1 ms) during 8 hostile ValidateXML", "ms", 5,
		       "≤ 5 ms", "—"},
	[ROW_STALL_IDLE] = {"  worst GetAll (every 1 ms), nothing else going on", "ms", 0, "—", "—"},
	[ROW_STALL_BUS] = {"  bus alone: worst GetAll while it relays the same 8 MiB elsewhere", "ms", 0,
			   "—", "—"},
	/* The targets of the save and restore rows are set once QEMU alone
	 * has been measured: set_relative_targets(). */
	[ROW_SAVE_256] = {"ManagedSave → saved, 256 MiB guest (64 MiB dirtied)", "ms", 0,
			  "≤ 1.2 × QEMU alone", "—"},
	[ROW_SAVE_256_SIZE] = {"  image size, 256 MiB guest", "MB", 0, "—", "—"},
	[ROW_QEMU_SAVE_256] = {"  QEMU alone: stop → migrate to fd: → completed → fsync", "ms", 0, "—", "—"},
	[ROW_RESTORE_256] = {"Start (restore) → running, 256 MiB guest", "ms", 0, "≤ 1.2 × QEMU alone", "—"},
	[ROW_QEMU_RESTORE_256] = {"  QEMU alone: exec -incoming defer → migrate-incoming fd: → cont", "ms",
				  0, "—", "—"},
	[ROW_SAVE_512] = {"ManagedSave → saved, 512 MiB guest (128 MiB dirtied)", "ms", 0,
			  "≤ 1.2 × QEMU alone", "—"},
	[ROW_SAVE_512_SIZE] = {"  image size, 512 MiB guest", "MB", 0, "—", "—"},
	[ROW_QEMU_SAVE_512] = {"  QEMU alone: stop → migrate to fd: → completed → fsync", "ms", 0, "—", "—"},
	[ROW_RESTORE_512] = {"Start (restore) → running, 512 MiB guest", "ms", 0, "≤ 1.2 × QEMU alone", "—"},
	[ROW_QEMU_RESTORE_512] = {"  QEMU alone: exec -incoming defer → migrate-incoming fd: → cont", "ms",
				  0, "—", "—"},
	[ROW_DUMP] = {"CoreDump → file written, 256 MiB guest (elf)", "ms", 0, "—", "—"},
	[ROW_DUMP_SIZE] = {"  file size, 256 MiB guest", "MB", 0, "—", "—"},
	[ROW_QEMU_DUMP] = {"  QEMU alone: dump-guest-memory to fd: → completed → fsync", "ms", 0, "—", "—"},
	[ROW_CONSOLE] = {"OpenConsole → first byte back (QEMU polls a new pty every 1 s)", "ms", 0, "—",
			 "— (no OpenConsole)"},
	[ROW_CONSOLE_CALL] = {"  of which the OpenConsole call → descriptor", "ms", 0, "—", "—"},
	[ROW_CONSOLE_RTT] = {"  then a round trip on the open console (write → first byte)", "ms", 0, "—",
			     "—"},
	[ROW_CONSOLE_PTY] = {"  pty alone: open QEMU's pty → first byte back", "ms", 0, "—", "—"},
	[ROW_CONSOLE_PTY_RTT] = {"  pty alone: a round trip once open", "ms", 0, "—", "—"},
	[ROW_VCPU_HOTPLUG] = {"SetVcpus +1 live → returned (QEMU's device_add done)", "ms", 0, "—", "—"},
	[ROW_VCPU_ONLINE] = {"  then the guest's rescan → the vCPU online (console)", "ms", 0, "—", "—"},
	[ROW_ATTACH] = {"Disk attach, live (qcow2), in-process: call → returned", "ms", 3, "≤ 3 ms", "—"},
	[ROW_ATTACH_SEEN] = {"  call → the guest has the disk (it looks every 10 ms)", "ms", 0, "—", "—"},
	[ROW_QEMU_ATTACH] = {"  QEMU alone: blockdev-add × 2 + device_add", "ms", 0, "—", "—"},
	[ROW_DETACH] = {"Disk detach, live, in-process: call → returned (DEVICE_DELETED)", "ms", 5, "≤ 5 ms",
			"—"},
	[ROW_DETACH_GONE] = {"  call → the guest no longer has it", "ms", 0, "—", "—"},
	[ROW_QEMU_DETACH] = {"  QEMU alone: device_del → DEVICE_DELETED, blockdev-del × 2", "ms", 0, "—",
			     "—"},
	/* The ping rows' limit is the veth row below: set_relative_targets(). */
	[ROW_NIC_ATTACH_SEEN] = {"NIC hot-plug: AttachDevice (direct, macvtap) → NIC seen in the guest",
				 "ms", 0, "—", "—"},
	[ROW_NIC_ATTACH] = {"  of which the call → returned", "ms", 0, "—", "—"},
	[ROW_NIC_DETACH_GONE] = {"NIC unplug: DetachDevice (direct) → NIC gone in the guest", "ms", 0, "—",
				 "—"},
	[ROW_NIC_DETACH] = {"  of which the call → returned", "ms", 0, "—", "—"},
	[ROW_NIC_PING_DIRECT] = {"Guest ping RTT to a peer namespace through the macvtap (direct)", "ms", 0,
				 "limit: veth below", "—"},
	[ROW_NIC_PING_BRIDGE] = {"Guest ping RTT to a peer namespace through a tap on a Linux bridge", "ms",
				 0, "limit: veth below", "—"},
	[ROW_NIC_PING_VETH] = {"  physical limit: veth ping RTT from the host namespace (ping -c 20)", "ms",
			       0, "—", "—"},
	/* Its target is set from the disk floor below: set_relative_targets(). */
	[ROW_UPDATE] = {"UpdateDevice, config only (a disk's cache), in-process, durable", "ms", 0,
			"≤ 1.3 × disk alone", "—"},
	[ROW_UPDATE_FLOOR] = {"  disk alone: write, fsync, rename, fsync dir, between the calls", "ms", 0,
			      "—", "—"},
	[ROW_MEDIA] = {"UpdateDevice media change, live (SCSI cdrom): call → returned", "ms", 0, "—", "—"},
	[ROW_MEDIA_SEEN] = {"  call → the guest reads the new medium (readdev, one after another)", "ms", 0,
			    "—", "—"},
	[ROW_MEDIA_READ] = {"  one readdev on the console (the step of that polling)", "ms", 0, "—", "—"},
	[ROW_QEMU_MEDIA] = {"  QEMU alone: open-tray, remove-medium, blockdev-del/add × 2, insert, close",
			    "ms", 0, "—", "—"},
	[ROW_GMO_DISKS] = {"GetManagedObjects, 1000 domains × 4 disks", "ms", 30, "≤ 30 ms",
			   "— (no ObjectManager)"},
	[ROW_GMO_DISKS_SIZE] = {"  its reply (D-Bus body), 1000 domains + 4000 disk objects", "MB", 0, "—",
				"—"},
	/* The targets of the migration rows are set once QEMU alone has
	 * been measured: migrate_set_targets(). */
	[ROW_MIG_256] = {"Live migration → running there, idle 256 MiB guest, loopback, unlimited", "ms", 0,
			 "≤ 1.2 × QEMU alone", "~310 ms"},
	[ROW_MIG_256_DOWN] = {"  downtime: source paused/migrating → destination running/migrated", "ms", 0,
			      "—", "~11 ms"},
	[ROW_QEMU_MIG_256] = {"  QEMU alone: exec -incoming defer → migrate tcp: → completed → cont", "ms",
			      0, "—", "—"},
	[ROW_QEMU_MIG_256_DOWN] = {"  QEMU alone: its own downtime (query-migrate)", "ms", 0, "—", "—"},
	[ROW_MIG_256_CAP] = {"Live migration → running there, idle 256 MiB guest, 100 MiB/s cap", "ms", 0,
			     "≤ 1.2 × QEMU alone", "—"},
	[ROW_MIG_256_CAP_DOWN] = {"  downtime: source paused/migrating → destination running/migrated", "ms",
				  0, "—", "—"},
	[ROW_QEMU_MIG_256_CAP] = {"  QEMU alone: the same at max-bandwidth 100 MiB/s", "ms", 0, "—", "—"},
	[ROW_QEMU_MIG_256_CAP_DOWN] = {"  QEMU alone: its own downtime (query-migrate)", "ms", 0, "—", "—"},
	[ROW_MIG_512] = {"Live migration → running there, idle 512 MiB guest, loopback, unlimited", "ms", 0,
			 "≤ 1.2 × QEMU alone", "—"},
	[ROW_MIG_512_DOWN] = {"  downtime: source paused/migrating → destination running/migrated", "ms", 0,
			      "—", "—"},
	[ROW_QEMU_MIG_512] = {"  QEMU alone: exec -incoming defer → migrate tcp: → completed → cont", "ms",
			      0, "—", "—"},
	[ROW_QEMU_MIG_512_DOWN] = {"  QEMU alone: its own downtime (query-migrate)", "ms", 0, "—", "—"},
	[ROW_MIG_512_CAP] = {"Live migration → running there, idle 512 MiB guest, 100 MiB/s cap", "ms", 0,
			     "≤ 1.2 × QEMU alone", "—"},
	[ROW_MIG_512_CAP_DOWN] = {"  downtime: source paused/migrating → destination running/migrated", "ms",
				  0, "—", "—"},
	[ROW_QEMU_MIG_512_CAP] = {"  QEMU alone: the same at max-bandwidth 100 MiB/s", "ms", 0, "—", "—"},
	[ROW_QEMU_MIG_512_CAP_DOWN] = {"  QEMU alone: its own downtime (query-migrate)", "ms", 0, "—", "—"},
	[ROW_MIG_DIRTY] = {"Live migration → running there, 256 MiB guest dirtying 64 MiB, auto-converge",
			   "ms", 0, "≤ 1.2 × QEMU alone", "—"},
	[ROW_MIG_DIRTY_DOWN] = {"  downtime: source paused/migrating → destination running/migrated", "ms",
				0, "—", "—"},
	[ROW_QEMU_MIG_DIRTY] = {"  QEMU alone: the same guest dirtying, capability auto-converge", "ms", 0,
				"—", "—"},
	[ROW_QEMU_MIG_DIRTY_DOWN] = {"  QEMU alone: its own downtime (query-migrate)", "ms", 0, "—", "—"},
	[ROW_MIG_COPY] =
		{"Live migration with copy-storage-all, 256 MiB guest, 1 GiB qcow2 disk (all written)", "ms",
		 0, "≤ 1.2 × QEMU alone", "—"},
	[ROW_MIG_COPY_DOWN] = {"  downtime: source paused/migrating → destination running/migrated", "ms", 0,
			       "—", "—"},
	[ROW_QEMU_MIG_COPY] =
		{"  QEMU alone: NBD export there, blockdev-mirror → ready, migrate, cancel, cont", "ms", 0,
		 "—", "—"},
	[ROW_QEMU_MIG_COPY_DOWN] = {"  QEMU alone: its own downtime (query-migrate)", "ms", 0, "—", "—"},
	/* Their limits are the lines below them, measured in the same run. */
	[ROW_HOST_LIST_CCW] = {"ListCcwDevices, 1000+ ccw devices (sysfs simulator), in-process", "ms", 0,
			       "limit: the line below", "—"},
	[ROW_HOST_LIST_CCW_FLOOR] = {"  sysfs alone: the same reads of every device, by the benchmark", "ms",
				     0, "—", "—"},
	[ROW_HOST_LIST_DASD] = {"ListDasds, 1000 DASDs (sysfs simulator), in-process", "ms", 0,
				"limit: the line below", "—"},
	[ROW_HOST_LIST_DASD_FLOOR] = {"  sysfs alone: the same reads of every DASD, by the benchmark", "ms",
				      0, "—", "—"},
	[ROW_HOST_ONLINE] = {"SetCcwOnline → block device appeared (returned, Online signal, by-path node)",
			     "ms", 0, "limit: the line below", "—"},
	[ROW_HOST_ONLINE_NOALIAS] = {"  the same with option aliases false (no search for PAV aliases)",
				     "ms", 0, "—", "—"},
	[ROW_HOST_ONLINE_FLOOR] = {"  sysfs alone: echo 1 > online → by-path node", "ms", 0, "—", "—"},
	[ROW_HOST_ZFCP] = {"ZfcpAddUnit → SCSI device (its address returned)", "ms", 0,
			   "limit: the line below", "—"},
	[ROW_HOST_ZFCP_FLOOR] = {"  sysfs alone: echo LUN > unit_add → SCSI device (200 ms scan delay)",
				 "ms", 0, "—", "—"},
	[ROW_COCKPIT_OPEN] = {"Cockpit page: open → 1000 domains listed (the page's clock)", "ms", 0, "—",
			      "— (no systemd here)"},
	[ROW_COCKPIT_TRANSPORT] = {"  of which the frame → its script runs with Cockpit's transport", "ms",
				   0, "—", "—"},
	[ROW_COCKPIT_MODEL] = {"  of which GetManagedObjects through cockpit-bridge → every proxy", "ms", 0,
			       "—", "—"},
	[ROW_COCKPIT_DRAW] = {"  of which drawing the list", "ms", 0, "—", "—"},
	[ROW_COCKPIT_GMO] = {"  limit: the same GetManagedObjects in-process", "ms", 0, "—", "—"},
	[ROW_COCKPIT_DEFINE] = {"Cockpit page: DefineXML from the page → its row drawn", "ms", 0, "—",
				"— (no systemd here)"},
	[ROW_COCKPIT_DEFINE_CALL] = {"  of which the call → its reply", "ms", 0, "—", "—"},
	[ROW_COCKPIT_PING] = {"  limit: Peer.Ping from the page through cockpit-bridge", "ms", 0, "—", "—"},
	[ROW_COCKPIT_DEFINE_EXT] = {"Cockpit page: busctl DefineXML → its row drawn", "ms", 0, "—",
				    "— (no systemd here)"},
	[ROW_COCKPIT_BUSCTL] = {"  limit: busctl's own start and call (busctl Peer.Ping)", "ms", 0, "—",
				"—"},
	[ROW_SCALE_DEFINE] = {"Define, per call, up to 10 000 defined", "ms", 1.0, "≤ 1.0 ms", "—", true},
	[ROW_SCALE_LIST] = {"ListDomains, 10 000 defined, in-process", "ms", 5, "≤ 5 ms", "—", true},
	[ROW_SCALE_RSS] = {"  RSS, 10 000 defined", "MB", 0, "—", "—", true},
	[ROW_SCALE_START] = {"Daemon exec → answering, 10 000 defined", "ms", 1000, "≤ 1 s", "—", true},
	[ROW_SCALE_REATTACH] = {"Restart → answering, 10 000 defined + 50 running", "ms", 1000, "≤ 1 s", "—",
				true},
	[ROW_SCALE_QMP] = {"Restart → all 50 reattached, QMP answering", "ms", 1000, "≤ 1 s", "—", true},
};

/* Facts that qualify figures, printed under the table. */
static char *notes[64];
static size_t n_notes;

void note(const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (n_notes >= ELEMENTSOF(notes))
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	notes[n_notes++] = s;
	progress("%s", s);
}

static void format_figure(char *buf, size_t size, double v, const char *unit)
{
	if (isnan(v))
		snprintf(buf, size, "n/a");
	else if (strcmp(unit, "MB") == 0)
		snprintf(buf, size, "%.1f MB", v);
	else if (v < 1)
		snprintf(buf, size, "%.3f ms", v);
	else if (v < 10)
		snprintf(buf, size, "%.2f ms", v);
	else if (v < 100)
		snprintf(buf, size, "%.1f ms", v);
	else
		snprintf(buf, size, "%.0f ms", v);
}

/* Columns are padded by what a terminal shows: ≤, → and — are one column
 * but three bytes. */
static size_t display_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void put_cell(const char *s, size_t width)
{
	fputs(s, stdout);
	for (size_t w = display_width(s); w < width; w++)
		fputc(' ', stdout);
}

static void print_rule(const size_t *widths, size_t n)
{
	fputs("|", stdout);
	for (size_t i = 0; i < n; i++) {
		fputc('-', stdout);
		for (size_t w = 0; w < widths[i]; w++)
			fputc('-', stdout);
		fputs("-|", stdout);
	}
	fputc('\n', stdout);
}

static void print_line(const char *const *cells, const size_t *widths, size_t n)
{
	fputs("|", stdout);
	for (size_t i = 0; i < n; i++) {
		fputc(' ', stdout);
		put_cell(cells[i], widths[i]);
		fputs(" |", stdout);
	}
	fputc('\n', stdout);
}

static void print_table(const char *const head[], size_t n_cols, char *cells[][8], size_t n_lines)
{
	size_t widths[8] = {0};

	for (size_t c = 0; c < n_cols; c++) {
		widths[c] = display_width(head[c]);
		for (size_t l = 0; l < n_lines; l++)
			if (display_width(cells[l][c]) > widths[c])
				widths[c] = display_width(cells[l][c]);
	}
	print_line(head, widths, n_cols);
	print_rule(widths, n_cols);
	for (size_t l = 0; l < n_lines; l++)
		print_line((const char *const *)cells[l], widths, n_cols);
}

static char *cpu_model(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) != 0 || !colon)
			continue;
		colon++;
		colon += strspn(colon, " \t");
		colon[strcspn(colon, "\n")] = '\0';
		return xstrdup(colon);
	}
	return xstrdup("unknown");
}

static char *daemon_version;
static char load_at_start[64] = "unknown";

/* Other guests or builds on the host show up in the figures; say so. */
static void read_load(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/loadavg", "re");
	double a, b, c;

	if (f && fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
		snprintf(load_at_start, sizeof(load_at_start), "%.2f %.2f %.2f", a, b, c);
}

static void format_ratio(char *buf, size_t size, double zvirtd, double libvirt)
{
	if (isnan(zvirtd) || isnan(libvirt) || zvirtd <= 0)
		snprintf(buf, size, "—");
	else
		snprintf(buf, size, "%.1f×", libvirt / zvirtd);
}

static void add_spread(char *cells[8], const char *what, const Series *s)
{
	char buf[5][32];

	snprintf(buf[0], sizeof(buf[0]), "%zu", s->n);
	snprintf(buf[1], sizeof(buf[1]), "%.3f", series_quantile(s, 0));
	snprintf(buf[2], sizeof(buf[2]), "%.3f", series_median(s));
	snprintf(buf[3], sizeof(buf[3]), "%.3f", series_quantile(s, 0.9));
	snprintf(buf[4], sizeof(buf[4]), "%.3f", series_quantile(s, 1));
	cells[0] = xstrdup(what);
	for (size_t c = 0; c < 5; c++)
		cells[c + 1] = xstrdup(buf[c]);
}

static void print_report(bool complete)
{
	static const char *const head[] = {"what",
					   "zvirtd",
					   "target",
					   "anchor (libvirt)",
					   "ok/over",
					   "libvirt, this run",
					   "libvirt ÷ zvirtd"};
	static const char *const dhead[] = {"what", "runs", "min", "median", "p90", "max"};
	size_t n_cols = opt.with_libvirt ? 7 : 5;
	char *cells[2 * N_ROWS][8];
	size_t n = 0;
	_cleanup_free_ char *cpu = cpu_model();
	struct utsname u;
	char date[64];
	time_t t = time(NULL);

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %z", localtime(&t));
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));

	printf("\nzvirtd %s benchmark%s\n", daemon_version ? daemon_version : "(version unknown)",
	       complete ? "" : " (INCOMPLETE: it stopped on an error, see above)");
	printf("machine: %ld CPUs (nproc), %s, Linux %s %s\n", sysconf(_SC_NPROCESSORS_ONLN), cpu, u.release,
	       u.machine);
	printf("date:    %s\n", date);
	printf("load:    %s (1, 5, 15 min load average when the benchmark began)\n\n", load_at_start);

	for (size_t i = 0; i < N_ROWS; i++) {
		const Row *r = &rows[i];
		double m = series_median(&r->s), lv = series_median(&r->lv);
		char fig[32], lfig[32], ratio[32];

		if (r->scale && !opt.scale)
			continue;
		if ((opt.only_nic || opt.only_host || opt.only_migrate || opt.only_cockpit) && r->s.n == 0 &&
		    r->lv.n == 0)
			continue;
		format_figure(fig, sizeof(fig), m, r->unit);
		format_figure(lfig, sizeof(lfig), lv, r->unit);
		format_ratio(ratio, sizeof(ratio), m, lv);
		cells[n][0] = xstrdup(r->what);
		cells[n][1] = xstrdup(fig);
		cells[n][2] = xstrdup(r->target_text);
		cells[n][3] = xstrdup(r->anchor);
		cells[n][4] = xstrdup(r->target <= 0 || isnan(m) ? "" : m <= r->target ? "ok" : "over");
		cells[n][5] = xstrdup(r->lv.n ? lfig : "—");
		cells[n][6] = xstrdup(r->lv.n ? ratio : "");
		n++;
	}
	print_table(head, n_cols, cells, n);
	for (size_t l = 0; l < n; l++)
		for (size_t c = 0; c < 7; c++)
			free(cells[l][c]);

	printf("\nFigures are medians. Runs and spread (ms, or MB for RSS):\n\n");
	n = 0;
	for (size_t i = 0; i < N_ROWS; i++)
		if (rows[i].s.n > 0 && (!rows[i].scale || opt.scale))
			add_spread(cells[n++], rows[i].what, &rows[i].s);
	for (size_t i = 0; i < N_ROWS; i++)
		if (rows[i].lv.n > 0) {
			_cleanup_free_ char *what = xasprintf("libvirt: %s", rows[i].what);
			add_spread(cells[n++], what, &rows[i].lv);
		}
	print_table(dhead, 6, cells, n);
	for (size_t l = 0; l < n; l++)
		for (size_t c = 0; c < 6; c++)
			free(cells[l][c]);

	if (n_notes > 0) {
		printf("\nNotes:\n");
		for (size_t i = 0; i < n_notes; i++)
			printf("- %s\n", notes[i]);
	}
	fflush(stdout);
}

/* ---- the benchmark's own bus connection ---- */

sd_bus *B;

typedef struct StateSignal {
	char *path;
	char *state;
	char *reason;
	uint64_t sequence;
	uint64_t mono_ns; /* when it was dispatched here */
	uint64_t real_ns; /* the same, wall clock: QEMU and the daemon log stamp that way */
} StateSignal;

static StateSignal *sigs;
static size_t n_sigs, cap_sigs;

static int on_state_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	uint64_t mono = now_ns(), real = clock_ns(CLOCK_REALTIME);
	const char *state, *reason;
	uint64_t seq;

	if (sd_bus_message_read(m, "sst", &state, &reason, &seq) < 0)
		return 0;
	if (n_sigs == cap_sigs) {
		size_t cap = cap_sigs ? cap_sigs * 2 : 64;
		StateSignal *n = realloc(sigs, cap * sizeof(*n));
		if (!n)
			abort();
		sigs = n;
		cap_sigs = cap;
	}
	sigs[n_sigs++] = (StateSignal){
		.path = xstrdup(sd_bus_message_get_path(m)),
		.state = xstrdup(state),
		.reason = xstrdup(reason),
		.sequence = seq,
		.mono_ns = mono,
		.real_ns = real,
	};
	return 0;
}

/* org.zvirt1.Job Completed, stamped as it is read: a ManagedSave ends
 * with it. */
typedef struct JobSignal {
	char *path;
	bool success;
	uint64_t mono_ns;
} JobSignal;

static JobSignal *job_sigs;
static size_t n_job_sigs, cap_job_sigs;

static int on_job_completed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	uint64_t mono = now_ns();
	const char *error;
	int success;

	if (sd_bus_message_read(m, "bs", &success, &error) < 0)
		return 0;
	if (n_job_sigs == cap_job_sigs) {
		size_t cap = cap_job_sigs ? cap_job_sigs * 2 : 16;
		JobSignal *n = realloc(job_sigs, cap * sizeof(*n));
		if (!n)
			abort();
		job_sigs = n;
		cap_job_sigs = cap;
	}
	job_sigs[n_job_sigs++] = (JobSignal){
		.path = xstrdup(sd_bus_message_get_path(m)),
		.success = success,
		.mono_ns = mono,
	};
	return 0;
}

static void bench_bus_open(void)
{
	int r = sd_bus_open_system(&B);

	if (r < 0)
		fail_msg("cannot connect to the private bus: %s", strerror(-r));
	(void)sd_bus_set_description(B, "zvirt-bench");
	r = sd_bus_add_match(B, NULL,
			     "type='signal',interface='" ZVIRT_DOMAIN_IFACE "',member='StateChanged',"
			     "path_namespace='/org/zvirt1/domain'",
			     on_state_changed, NULL);
	if (r < 0)
		fail_msg("cannot add the StateChanged match: %s", strerror(-r));
	r = sd_bus_add_match(B, NULL,
			     "type='signal',interface='org.zvirt1.Job',member='Completed',"
			     "path_namespace='/org/zvirt1/job'",
			     on_job_completed, NULL);
	if (r < 0)
		fail_msg("cannot add the Job Completed match: %s", strerror(-r));
}

static void bench_bus_close(void)
{
	B = sd_bus_flush_close_unref(B);
	for (size_t i = 0; i < n_sigs; i++) {
		free(sigs[i].path);
		free(sigs[i].state);
		free(sigs[i].reason);
	}
	free(sigs);
	sigs = NULL;
	n_sigs = cap_sigs = 0;
	for (size_t i = 0; i < n_job_sigs; i++)
		free(job_sigs[i].path);
	free(job_sigs);
	job_sigs = NULL;
	n_job_sigs = cap_job_sigs = 0;
}

/* Dispatch what has arrived, so a mark taken next excludes it. */
static size_t sig_mark(void)
{
	int r;

	while ((r = sd_bus_process(B, NULL)) > 0)
		;
	if (r < 0)
		fail_msg("bus: %s", strerror(-r));
	return n_sigs;
}

static const StateSignal *sig_find(size_t from, const char *path, const char *state, const char *reason)
{
	for (size_t i = from; i < n_sigs; i++)
		if (strcmp(sigs[i].path, path) == 0 && strcmp(sigs[i].state, state) == 0 &&
		    (!reason || strcmp(sigs[i].reason, reason) == 0))
			return &sigs[i];
	return NULL;
}

bool bench_wait(bool (*done)(void *userdata), void *userdata, int timeout_ms, int drain_fd)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ULL;

	for (;;) {
		struct pollfd p[2];
		int r;

		while ((r = sd_bus_process(B, NULL)) > 0)
			;
		if (r < 0)
			fail_msg("bus: %s", strerror(-r));
		if (done(userdata))
			return true;
		if (now_ns() >= deadline)
			return false;
		p[0] = (struct pollfd){.fd = sd_bus_get_fd(B), .events = (short)sd_bus_get_events(B)};
		p[1] = (struct pollfd){.fd = drain_fd, .events = POLLIN};
		r = poll(p, drain_fd >= 0 ? 2 : 1, (int)((deadline - now_ns()) / 1000000ULL) + 1);
		if (r < 0 && errno != EINTR)
			fail_msg("poll: %m");
		if (drain_fd >= 0 && (p[1].revents & POLLIN)) {
			char buf[4096];
			(void)!read(drain_fd, buf, sizeof(buf));
		}
	}
}

typedef struct StateWait {
	size_t from;
	const char *path, *state, *reason;
	const StateSignal *found;
} StateWait;

static bool state_arrived(void *userdata)
{
	StateWait *w = userdata;

	w->found = sig_find(w->from, w->path, w->state, w->reason);
	return w->found != NULL;
}

/*
 * Wait for a StateChanged. Sleeps in poll() on the bus fd, so a signal is
 * stamped the moment it can be read, not when some later call happens to
 * dispatch it. `drain_fd` (or -1) is read and discarded meanwhile: the
 * guest console, which must not fill up while we wait.
 */
static const StateSignal *wait_state(size_t from, const char *path, const char *state, const char *reason,
				     int timeout_ms, int drain_fd)
{
	StateWait w = {.from = from, .path = path, .state = state, .reason = reason};

	return bench_wait(state_arrived, &w, timeout_ms, drain_fd) ? w.found : NULL;
}

int bench_callv(sd_bus_error *error, sd_bus_message **reply, double *ret_ms, const char *dest,
		const char *path, const char *iface, const char *method, const char *types, va_list ap)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	uint64_t t0 = now_ns();
	int r;

	r = sd_bus_message_new_method_call(B, &m, dest, path, iface, method);
	if (r < 0)
		return r;
	if (types && *types) {
		r = sd_bus_message_appendv(m, types, ap);
		if (r < 0)
			return r;
	}
	r = sd_bus_call(B, m, CALL_TIMEOUT_USEC, error, reply);
	if (ret_ms)
		*ret_ms = ms_since(t0);
	return r;
}

sd_bus_message *bench_call(double *ret_ms, const char *dest, const char *path, const char *iface,
			   const char *method, const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	va_list ap;
	int r;

	va_start(ap, types);
	r = bench_callv(&error, &reply, ret_ms, dest, path, iface, method, types, ap);
	va_end(ap);
	if (r < 0)
		fail_msg("%s.%s on %s failed: %s: %s", iface, method, path, error.name ?: "(local)",
			 error.message ?: strerror(-r));
	return reply;
}

/* A call to org.zvirt1 that must succeed; its time in *ret_ms (may be NULL). */
static sd_bus_message *callt(double *ret_ms, const char *path, const char *iface, const char *method,
			     const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	va_list ap;
	int r;

	va_start(ap, types);
	r = bench_callv(&error, &reply, ret_ms, ZVIRT_BUS_NAME, path, iface, method, types, ap);
	va_end(ap);
	if (r < 0)
		fail_msg("%s.%s on %s failed: %s: %s", iface, method, path, error.name ?: "(local)",
			 error.message ?: strerror(-r));
	return reply;
}

static void domain_call(double *ret_ms, const char *path, const char *method)
{
	sd_bus_message_unref(callt(ret_ms, path, ZVIRT_DOMAIN_IFACE, method, "a{sv}", 0));
}

static char *get_string(const char *path, const char *property)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	char *v = NULL;
	int r = sd_bus_get_property_string(B, ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE, property, &error,
					   &v);

	if (r < 0)
		fail_msg("Get %s on %s: %s", property, path, error.message ?: strerror(-r));
	return v;
}

static uint32_t get_qemu_pid(const char *path)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	uint32_t v = 0;
	int r = sd_bus_get_property_trivial(B, ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE, "QemuPid", &error,
					    'u', &v);

	if (r < 0)
		fail_msg("Get QemuPid on %s: %s", path, error.message ?: strerror(-r));
	return v;
}

static bool state_is(const char *path, const char *state)
{
	_cleanup_free_ char *s = get_string(path, "State");

	return strcmp(s, state) == 0;
}

static char *define(const char *xml, double *ret_ms)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;

	reply = callt(ret_ms, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DefineXML", "sa{sv}", xml, 0);
	if (sd_bus_message_read(reply, "o", &path) < 0)
		fail_msg("DefineXML: bad reply");
	return xstrdup(path);
}

static unsigned list_domains(double *ret_ms)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_strv_free_ char **paths = NULL;
	unsigned n = 0;

	reply = callt(ret_ms, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ListDomains", "a{sv}", 0);
	if (sd_bus_message_read_strv(reply, &paths) < 0)
		fail_msg("ListDomains: bad reply");
	for (char **p = paths; p && *p; p++)
		n++;
	return n;
}

/* RunDir: see setup_run_dir(). */
static char *run_dir;
static bool run_dir_own;

const char *default_log_level(void)
{
	const char *l = getenv("ZVIRT_BENCH_LOG_LEVEL");

	return l && *l ? l : "info";
}

static void reload_log_level(const char *level)
{
	_cleanup_free_ char *conf = xasprintf("%s/zvirtd.conf", harness_tmpdir());
	_cleanup_free_ char *text = NULL;
	FILE *f;

	/* The harness's configuration, but quiet: at debug level every call
	 * writes log lines, which is not what a production daemon does. */
	text = xasprintf("# Written by zvirt-bench.\n"
			 "[Daemon]\n"
			 "LogLevel=%s\n"
			 "LogTarget=%s\n"
			 "StateDir=%s/state\n"
			 "RunDir=%s\n"
			 "LogDir=%s\n"
			 "\n"
			 "[Hypervisor]\n"
			 "Emulator=/usr/bin/qemu-system-s390x\n"
			 "Accelerator=tcg\n",
			 level, harness_daemon_log(), harness_tmpdir(), run_dir, harness_log_dir());
	f = fopen(conf, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		fail_msg("writing %s: %m", conf);
	if (B && harness_daemon_pid() > 0)
		sd_bus_message_unref(
			callt(NULL, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "ReloadConfig", "a{sv}", 0));
}

/* ---- concurrent calls ---- */

typedef struct Pending {
	sd_bus_slot *slot;
	bool done;
	uint64_t t_done;
	char *error;
} Pending;

static int on_pending_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Pending *p = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	p->t_done = now_ns();
	p->done = true;
	if (e)
		p->error = xasprintf("%s: %s", e->name, e->message ?: "");
	return 0;
}

double call_all_v(const char *dest, char **paths, size_t n, const char *iface, const char *method,
		  const char *types, ...)
{
	_cleanup_free_ Pending *p = calloc(n, sizeof(*p));
	uint64_t t0, last = 0;
	size_t done = 0;
	int r;

	if (!p)
		abort();
	(void)sig_mark();
	t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		va_list ap;

		va_start(ap, types);
		r = sd_bus_call_method_asyncv(B, &p[i].slot, dest, paths[i], iface, method, on_pending_reply,
					      &p[i], types, ap);
		va_end(ap);
		if (r < 0)
			fail_msg("sending %s to %s: %s", method, paths[i], strerror(-r));
	}
	while (done < n) {
		r = sd_bus_process(B, NULL);
		if (r < 0)
			fail_msg("bus: %s", strerror(-r));
		if (r > 0) {
			done = 0;
			for (size_t i = 0; i < n; i++)
				done += p[i].done;
			continue;
		}
		if (ms_since(t0) > CALL_TIMEOUT_USEC / 1000)
			fail_msg("%s: no reply from all %zu domains", method, n);
		r = sd_bus_wait(B, 100000);
		if (r < 0 && r != -EINTR)
			fail_msg("bus wait: %s", strerror(-r));
	}
	for (size_t i = 0; i < n; i++) {
		p[i].slot = sd_bus_slot_unref(p[i].slot);
		if (p[i].error)
			fail_msg("%s on %s failed: %s", method, paths[i], p[i].error);
		if (p[i].t_done > last)
			last = p[i].t_done;
	}
	for (size_t i = 0; i < n; i++)
		free(p[i].error);
	return ms_between(t0, last);
}

/* Start (`paused` or not), Resume, Destroy on every path at once. */
static double call_all(char **paths, size_t n, const char *method, bool paused)
{
	if (paused)
		return call_all_v(ZVIRT_BUS_NAME, paths, n, ZVIRT_DOMAIN_IFACE, method, "a{sv}", 1, "paused",
				  "b", 1);
	return call_all_v(ZVIRT_BUS_NAME, paths, n, ZVIRT_DOMAIN_IFACE, method, "a{sv}", 0);
}

/* ---- processes ---- */

/* VmRSS, and what it is made of: RssFile is mostly shared libraries,
 * the same pages every other process using them maps. */
Rss rss_of(pid_t pid)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/status", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[256];
	Rss rss = {NAN, NAN, NAN};

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long kb;
		if (sscanf(line, "VmRSS: %lu kB", &kb) == 1)
			rss.total = (double)kb / 1024.0;
		else if (sscanf(line, "RssAnon: %lu kB", &kb) == 1)
			rss.anon = (double)kb / 1024.0;
		else if (sscanf(line, "RssFile: %lu kB", &kb) == 1)
			rss.file = (double)kb / 1024.0;
	}
	if (isnan(rss.total))
		fail_msg("no VmRSS in %s", path);
	return rss;
}

static double rss_mb(pid_t pid, const char *what)
{
	Rss rss = rss_of(pid);

	if (what)
		note("RSS %s: %.1f MB = %.1f MB anonymous + %.1f MB file-backed (libraries, shared)", what,
		     rss.total, rss.anon, rss.file);
	return rss.total;
}

/* One `busctl` child with its stdout on /dev/null: fork, exec, its bus
 * connection, the call, exit; the figure the anchor's busctl rows quote. */
double run_busctl(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t def;
	uint64_t t0;
	pid_t pid;
	int status = 0, r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&attr);
	/* The harness ignores SIGPIPE; busctl should not inherit that. */
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

	t0 = now_ns();
	r = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	if (r == 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	double ms = ms_since(t0);

	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		fail_msg("cannot run %s: %s", argv[0], strerror(r));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s %s %s failed (status 0x%x)", argv[0], argv[1], argv[5] ? argv[5] : "",
			 (unsigned)status);
	return ms;
}

/* ---- the restart clock ---- */

/*
 * A second connection in a thread of its own watches for org.zvirt1 to get
 * an owner and calls ListDomains at once. The harness's own start-up wait
 * polls NameHasOwner every 5 ms, too coarse for a 60 ms target.
 */
typedef struct Answerer {
	pthread_t thread;
	int ready[2]; /* the thread writes a byte once its match is in place */
	bool owned;
	uint64_t t_owned, t_answer;
	unsigned n_domains;
	char error[256];
} Answerer;

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Answerer *a = userdata;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 &&
	    strcmp(name, ZVIRT_BUS_NAME) == 0 && *new_owner) {
		a->owned = true;
		a->t_owned = now_ns();
	}
	return 0;
}

static void *answerer_main(void *userdata)
{
	Answerer *a = userdata;
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	uint64_t deadline;
	int r;

	r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_add_match(
			bus, NULL,
			"type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
			"member='NameOwnerChanged',arg0='" ZVIRT_BUS_NAME "'",
			on_owner_changed, a);
	(void)!write(a->ready[1], "r", 1);
	if (r < 0) {
		snprintf(a->error, sizeof(a->error), "answerer: bus: %s", strerror(-r));
		return NULL;
	}
	deadline = now_ns() + ANSWER_TIMEOUT_MS * 1000000ULL;
	while (!a->owned) {
		r = sd_bus_process(bus, NULL);
		if (r > 0)
			continue;
		if (r < 0 || now_ns() >= deadline) {
			snprintf(a->error, sizeof(a->error), "answerer: %s never got an owner",
				 ZVIRT_BUS_NAME);
			return NULL;
		}
		(void)sd_bus_wait(bus, 100000);
	}
	for (;;) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		_cleanup_strv_free_ char **paths = NULL;

		r = sd_bus_call_method(bus, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
				       "ListDomains", &error, &reply, "a{sv}", 0);
		if (r >= 0) {
			a->t_answer = now_ns();
			if (sd_bus_message_read_strv(reply, &paths) >= 0)
				for (char **p = paths; p && *p; p++)
					a->n_domains++;
			return NULL;
		}
		if (now_ns() >= deadline) {
			snprintf(a->error, sizeof(a->error), "answerer: ListDomains: %s",
				 error.message ?: strerror(-r));
			return NULL;
		}
		/* Owning the name but not answering yet: ask again soon. */
		sleep_ms(1);
	}
}

typedef struct RestartTimes {
	double total_ms; /* SIGTERM sent → ListDomains answered */
	double stop_ms;  /* SIGTERM sent → old daemon gone */
	double start_ms; /* new daemon forked → ListDomains answered */
	uint64_t t0;     /* when SIGTERM went out */
	unsigned n_domains;
} RestartTimes;

static RestartTimes restart_daemon(void)
{
	Answerer a = {};
	RestartTimes t = {};
	uint64_t t0, t_stopped;
	char c;
	int r;

	if (pipe2(a.ready, O_CLOEXEC) < 0)
		fail_msg("pipe: %m");
	r = pthread_create(&a.thread, NULL, answerer_main, &a);
	if (r != 0)
		fail_msg("pthread_create: %s", strerror(r));
	while (read(a.ready[0], &c, 1) < 0 && errno == EINTR)
		;
	t0 = now_ns();
	r = harness_stop_daemon();
	t_stopped = now_ns();
	if (r < 0)
		fail_msg("stopping zvirtd: %s", strerror(-r));
	r = harness_start_daemon();
	if (r < 0)
		fail_msg("starting zvirtd again: %s", strerror(-r));
	pthread_join(a.thread, NULL);
	close(a.ready[0]);
	close(a.ready[1]);
	if (a.error[0])
		fail_msg("%s", a.error);
	t.total_ms = ms_between(t0, a.t_answer);
	t.stop_ms = ms_between(t0, t_stopped);
	t.start_ms = ms_between(t_stopped, a.t_answer);
	t.n_domains = a.n_domains;
	t.t0 = t0;
	return t;
}

/* ---- guests ---- */

typedef struct Guest {
	char *name;
	char *path;
	char *console_log;
	uint32_t pid;
} Guest;

static Guest guests[N_GUESTS];

/* Start (timed: until the reply, and the state is running). The console
 * log goes first so that waiting for the ready line cannot see an old one. */
static double start_guest(Guest *g)
{
	size_t mark;
	double ms;
	uint64_t t0;

	(void)unlink(g->console_log);
	mark = sig_mark();
	t0 = now_ns();
	domain_call(NULL, g->path, "Start");
	ms = ms_since(t0);
	if (!state_is(g->path, "running")) {
		/* The call returned before the state says so: the figure is
		 * when both hold. */
		const StateSignal *s = wait_state(mark, g->path, "running", NULL, STATE_TIMEOUT_MS, -1);
		if (!s)
			fail_msg("%s: Start returned, but it never became running", g->name);
		ms = ms_between(t0, s->mono_ns);
		note("%s: Start returned before State was running", g->name);
	}
	g->pid = get_qemu_pid(g->path);
	return ms;
}

static void wait_ready(Guest *g, off_t from)
{
	if (harness_wait_console_from(g->console_log, from, READY_LINE, BOOT_TIMEOUT_MS, NULL) < 0)
		fail_msg("%s did not boot: no \"%s\" on its console", g->name, READY_LINE);
}

static void destroy_all(Guest *g, size_t n)
{
	char *paths[N_SCALE_GUESTS];
	size_t k = 0;

	for (size_t i = 0; i < n && k < ELEMENTSOF(paths); i++)
		if (!state_is(g[i].path, "shut-off"))
			paths[k++] = g[i].path;
	if (k > 0)
		(void)call_all(paths, k, "Destroy", false);
}

/* ---- phases ---- */

static char *minimal_path; /* a defined, never started domain */

static void phase_define(unsigned from, unsigned to, Row *row)
{
	for (unsigned i = from; i < to; i++) {
		_cleanup_free_ char *name = xasprintf("bench-%05u", i);
		_cleanup_free_ char *xml = harness_minimal_xml(name, NULL);
		_cleanup_free_ char *path = NULL;
		double ms;

		path = define(xml, &ms);
		series_add(&row->s, ms);
		if (!minimal_path)
			minimal_path = TAKE_PTR(path);
		if ((i + 1) % 1000 == 0) {
			progress("defined %u domains", i + 1);
			/* The harness's connection records every signal; let it
			 * read them so the bus does not queue them for it. */
			(void)harness_flush_signals();
		}
	}
}

static int on_hostile_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	(*(unsigned *)userdata)++;
	return 0;
}

static int on_sink_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	if (sd_bus_message_is_signal(m, "org.zvirt1.BenchSink", "Take"))
		(*(unsigned *)userdata)++;
	return 0;
}

/* The worst wait of a GetAll sent every 1 ms for as long as busy has
 * calls out (or n_probes times when it is NULL). */
static double worst_getall(sd_bus *busy, const unsigned *answered, unsigned expected, unsigned n_probes)
{
	double worst = 0, ms;
	for (unsigned i = 0; busy ? *answered < expected : i < n_probes; i++) {
		sd_bus_message_unref(callt(&ms, ZVIRT_MANAGER_PATH, "org.freedesktop.DBus.Properties",
					   "GetAll", "s", ZVIRT_MANAGER_IFACE));
		if (ms > worst)
			worst = ms;
		if (busy)
			while (sd_bus_process(busy, NULL) > 0)
				;
		usleep(1000);
	}
	return worst;
}

/* ValidateXML is open to every caller: the largest documents it accepts,
 * sent from a second connection, must not hold the loop. */
static void phase_stall(void)
{
	_cleanup_free_ char *doc = harness_worst_domain_xml("hostile");

	progress("loop stall: GetAll every 1 ms, idle, then during hostile ValidateXML x%u", opt.stall);
	for (unsigned round = 0; round < opt.stall; round++)
		series_add(&rows[ROW_STALL_IDLE].s, worst_getall(NULL, NULL, 0, 200));
	for (unsigned round = 0; round < opt.stall; round++) {
		_cleanup_(sd_bus_flush_close_unrefp) sd_bus *busy = NULL;
		unsigned answered = 0;
		if (sd_bus_open_system(&busy) < 0)
			fail_msg("cannot open a second bus connection");
		for (unsigned i = 0; i < 8; i++)
			if (sd_bus_call_method_async(busy, NULL, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
						     ZVIRT_MANAGER_IFACE, "ValidateXML", on_hostile_reply,
						     &answered, "sa{sv}", doc, 0) < 0)
				fail_msg("cannot send ValidateXML");
		(void)sd_bus_flush(busy);
		series_add(&rows[ROW_STALL].s, worst_getall(busy, &answered, 8, 0));
	}
	/* The floor: dbus-daemon relays one message at a time, so a GetAll
	 * queued behind 1 MiB documents waits for them whoever they are for.
	 * The same documents, as unicast signals (the bus policy lets
	 * nobody call a unique name), to a peer of our own. */
	for (unsigned round = 0; round < opt.stall; round++) {
		_cleanup_(sd_bus_flush_close_unrefp) sd_bus *busy = NULL, *sink = NULL;
		const char *sink_name;
		unsigned received = 0;
		if (sd_bus_open_system(&busy) < 0 || sd_bus_open_system(&sink) < 0 ||
		    sd_bus_get_unique_name(sink, &sink_name) < 0 ||
		    sd_bus_add_filter(sink, NULL, on_sink_message, &received) < 0)
			fail_msg("cannot open two more bus connections");
		for (unsigned i = 0; i < 8; i++) {
			_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
			if (sd_bus_message_new_signal(busy, &m, "/", "org.zvirt1.BenchSink", "Take") < 0 ||
			    sd_bus_message_set_destination(m, sink_name) < 0 ||
			    sd_bus_message_append(m, "s", doc) < 0 || sd_bus_send(busy, m, NULL) < 0)
				fail_msg("cannot send to the sink");
		}
		(void)sd_bus_flush(busy);
		double worst = 0, ms;
		for (int spins = 0; received < 8 && spins < 100000; spins++) {
			sd_bus_message_unref(callt(&ms, ZVIRT_MANAGER_PATH,
						   "org.freedesktop.DBus.Properties", "GetAll", "s",
						   ZVIRT_MANAGER_IFACE));
			worst = ms > worst ? ms : worst;
			while (sd_bus_process(sink, NULL) > 0)
				;
			usleep(1000);
		}
		if (received < 8)
			fail_msg("the sink got %u of 8 documents", received);
		series_add(&rows[ROW_STALL_BUS].s, worst);
	}
}

/* What a durable definition write costs on this disk, done by the
 * benchmark itself: a definition-sized file in StateDir/domains
 * written, fsync'd, renamed, its directory fsync'd. */
static double disk_floor_once(void)
{
	_cleanup_free_ char *xml = harness_minimal_xml("bench-floor", NULL);
	_cleanup_free_ char *dir = xasprintf("%s/state/domains", harness_tmpdir());
	_cleanup_free_ char *path = xasprintf("%s/floor.xml", dir),
			    *tmp = xasprintf("%s/floor.xml.tmp", dir);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		fail_msg("cannot open %s: %m", dir);
	uint64_t t0 = now_ns();
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, xml, strlen(xml)) != (ssize_t)strlen(xml) || fsync(fd) < 0 ||
	    rename(tmp, path) < 0 || fsync(dfd) < 0)
		fail_msg("the disk floor: %m");
	double ms = ms_between(t0, now_ns());
	(void)unlink(path);
	return ms;
}

/* The floor of Define: what its durable write costs on this disk alone. */
static void phase_disk_floor(void)
{
	for (unsigned i = 0; i < 200; i++)
		series_add(&rows[ROW_DEFINE_FLOOR].s, disk_floor_once());
}

static void phase_queries(unsigned expect)
{
	_cleanup_free_ char *dest = xstrdup(ZVIRT_BUS_NAME);
	double ms;

	progress("ListDomains in-process x%u", opt.list);
	for (unsigned i = 0; i < 20; i++) /* warm caches and the connection */
		(void)list_domains(NULL);
	for (unsigned i = 0; i < opt.list; i++) {
		unsigned n = list_domains(&ms);
		if (n != expect)
			fail_msg("ListDomains returned %u domains, expected %u", n, expect);
		series_add(&rows[ROW_LIST].s, ms);
	}

	progress("GetAll in-process x%u", opt.getall);
	for (unsigned i = 0; i < opt.getall + 20; i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		reply = callt(&ms, minimal_path, "org.freedesktop.DBus.Properties", "GetAll", "s",
			      ZVIRT_DOMAIN_IFACE);
		if (i >= 20)
			series_add(&rows[ROW_GETALL].s, ms);
	}

	/* What any call costs on this bus: client → dbus-daemon → zvirtd and
	 * back, answered by sd-bus itself. */
	for (unsigned i = 0; i < opt.getall + 20; i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		reply = callt(&ms, ZVIRT_MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping", NULL);
		if (i >= 20)
			series_add(&rows[ROW_PING].s, ms);
	}

	progress("GetManagedObjects x%u", opt.gmo);
	for (unsigned i = 0; i < opt.gmo + 3; i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		unsigned n = 0;
		int r;

		reply = callt(&ms, ZVIRT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
			      "GetManagedObjects", NULL);
		if (i >= 3)
			series_add(&rows[ROW_GMO].s, ms);
		if (i > 0)
			continue;
		/* Once: it must really hold every domain. */
		r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
		while (r > 0 && (r = sd_bus_message_skip(reply, "{oa{sa{sv}}}")) >= 0)
			n++;
		if (n < expect)
			fail_msg("GetManagedObjects holds %u objects, expected at least %u", n, expect);
	}

	progress("busctl x%u (and busctl Peer.Ping x%u)", opt.busctl, opt.busctl_floor);
	{
		char *ping[] = {"busctl", "call", dest, "/org/zvirt1", "org.freedesktop.DBus.Peer",
				"Ping",   NULL};
		char *list[] = {"busctl",      "call",  dest, "/org/zvirt1", ZVIRT_MANAGER_IFACE,
				"ListDomains", "a{sv}", "0",  NULL};

		for (unsigned i = 0; i < 3; i++) /* page cache, dynamic linker */
			(void)run_busctl(ping);
		for (unsigned i = 0; i < opt.busctl_floor; i++)
			series_add(&rows[ROW_BUSCTL_FLOOR].s, run_busctl(ping));
		for (unsigned i = 0; i < opt.busctl; i++)
			series_add(&rows[ROW_LIST_BUSCTL].s, run_busctl(list));
	}
}

/* ---- QEMU alone ---- */

/*
 * The same QEMU command line the daemon runs, driven by a minimal QMP
 * client with nothing around it: how much of Start, Suspend+Resume and
 * Destroy is QEMU's own, so that an over-target figure can be read as
 * zvirtd's share plus QEMU's.
 */
static char **qemu_argv;

/* A process's command line as a NULL-terminated vector; NULL if unreadable. */
char **read_cmdline(pid_t pid)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/cmdline", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	size_t len = 0, n = 0;
	ssize_t k;
	char **argv;

	if (fd < 0)
		return NULL;
	while (len < sizeof(buf) - 1 && (k = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)k;
	buf[len] = '\0';
	if (len == 0)
		return NULL;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\0';
	argv = calloc(n + 1, sizeof(char *));
	if (!argv)
		abort();
	n = 0;
	for (const char *a = buf; a < buf + len; a += strlen(a) + 1)
		argv[n++] = xstrdup(a);
	return argv;
}

static void capture_qemu_argv(pid_t pid)
{
	qemu_argv = read_cmdline(pid);
}

/* `arg` with the value of `key=` (up to the next comma) replaced. */
static char *replace_option(const char *arg, const char *key, const char *value)
{
	const char *p = strstr(arg, key), *end;

	if (!p || (p != arg && p[-1] != ','))
		return xstrdup(arg);
	p += strlen(key);
	end = p + strcspn(p, ",");
	return xasprintf("%.*s%s%s", (int)(p - arg), arg, value, end);
}

/* One line from QEMU, stripped of its \r\n, into line[]. */
void qmp_read_line(Qemu *q, char *line, size_t size)
{
	uint64_t deadline = now_ns() + 30000ULL * 1000000ULL;

	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		struct pollfd p = {.fd = q->qmp, .events = POLLIN};
		ssize_t k;

		if (nl) {
			size_t n = (size_t)(nl - q->buf);
			snprintf(line, size, "%.*s", (int)(n > 0 && q->buf[n - 1] == '\r' ? n - 1 : n),
				 q->buf);
			q->len -= n + 1;
			memmove(q->buf, nl + 1, q->len);
			return;
		}
		if (q->len == sizeof(q->buf))
			fail_msg("QMP: a line longer than %zu bytes", sizeof(q->buf));
		if (now_ns() >= deadline)
			fail_msg("QMP: QEMU said nothing for 30 s");
		if (poll(&p, 1, 1000) < 0 && errno != EINTR)
			fail_msg("poll: %m");
		k = read(q->qmp, q->buf + q->len, sizeof(q->buf) - q->len);
		if (k == 0)
			fail_msg("QMP: QEMU closed the connection");
		if (k > 0)
			q->len += (size_t)k;
	}
}

/* Send one command (a JSON object and its newline) and wait for its
 * return, passing over events; the return line in reply[] (may be NULL).
 * `fd` >= 0 goes along with it (SCM_RIGHTS), for getfd. */
void qmp_command(Qemu *q, const char *json, int fd, char *reply, size_t size)
{
	struct iovec iov = {.iov_base = (void *)json, .iov_len = strlen(json)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	char line[16384];

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(q->qmp, &mh, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		fail_msg("QMP: send: %m");
	for (;;) {
		qmp_read_line(q, line, sizeof(line));
		if (strstr(line, "\"error\""))
			fail_msg("QMP %s: %s", json, line);
		if (strstr(line, "\"return\"")) {
			if (reply)
				snprintf(reply, size, "%s", line);
			return;
		}
	}
}

/* A command without arguments. */
void qmp_execute(Qemu *q, const char *command)
{
	_cleanup_free_ char *msg = xasprintf("{\"execute\":\"%s\"}\n", command);

	qmp_command(q, msg, -1, NULL, 0);
}

/* exec the guest's command line with a QMP socket of our own; connected,
 * greeting not yet read. `tag` keeps concurrent ones apart. */
void qemu_alone_spawn(Qemu *q, char **base_argv, const char *dir, unsigned tag)
{
	_cleanup_free_ char *sock = xasprintf("%s/qemu-alone-%u.qmp", dir, tag);
	_cleanup_free_ char *out = xasprintf("%s/qemu-alone-%u.log", dir, tag);
	_cleanup_free_ char *name = xasprintf("guest=qemu-alone-%u,debug-threads=on", tag);
	_cleanup_close_ int listen_fd = -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char fdbuf[16];
	char **argv;
	size_t n = 0;
	pid_t parent = getpid();

	for (char **a = base_argv; *a; a++)
		n++;
	argv = calloc(n + 1, sizeof(char *));
	if (!argv)
		abort();
	(void)unlink(sock);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	listen_fd = socket(AF_UNIX, SOCK_STREAM, 0); /* inherited by QEMU, so no CLOEXEC */
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listen_fd, 1) < 0)
		fail_msg("QMP socket %s: %m", sock);
	snprintf(fdbuf, sizeof(fdbuf), "%d", listen_fd);
	for (size_t i = 0; i < n; i++) {
		const char *a = base_argv[i];
		if (strstr(a, "id=charmonitor"))
			argv[i] = replace_option(a, "fd=", fdbuf);
		else if (strstr(a, "logfile="))
			argv[i] = replace_option(a, "logfile=", q->console_log);
		else if (strncmp(a, "guest=", 6) == 0)
			argv[i] = xstrdup(name);
		else if (i > 0 && strcmp(base_argv[i - 1], "-pidfile") == 0)
			/* The guest's own is locked by its QEMU, and one QEMU at a
			 * time may hold it: each copy gets its own. */
			argv[i] = xasprintf("%s/qemu-alone-%u.pid", dir, tag);
		else
			argv[i] = xstrdup(a);
	}

	fflush(stdout);
	fflush(stderr);
	q->pid = fork();
	if (q->pid < 0)
		fail_msg("fork: %m");
	if (q->pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int log_fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		/* Nothing of ours may outlive the benchmark. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		if (null_fd < 0 || log_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
		    dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
			_exit(127);
		if (q->own_dir &&
		    (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		     mount(q->own_dir, q->over_dir, NULL, MS_BIND, NULL) < 0))
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		_exit(127);
	}
	strv_free(argv);
	q->qmp = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->qmp < 0 || connect(q->qmp, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail_msg("connect %s: %m", sock);
	q->len = 0;
}

/* Greeting, qmp_capabilities, query-chardev, cont: the rest of the
 * daemon's Start, one step after the other. */
static void qemu_alone_handshake(Qemu *q)
{
	char line[4096];

	qmp_read_line(q, line, sizeof(line));
	if (!strstr(line, "\"QMP\""))
		fail_msg("QMP: no greeting from QEMU, got: %s", line);
	qmp_execute(q, "qmp_capabilities");
	qmp_execute(q, "query-chardev");
	qmp_execute(q, "cont");
}

static double qemu_alone_start(Qemu *q, const char *dir)
{
	uint64_t t0 = now_ns();

	qemu_alone_spawn(q, qemu_argv, dir, 0);
	qemu_alone_handshake(q);
	return ms_since(t0);
}

double qemu_alone_kill(Qemu *q)
{
	uint64_t t0 = now_ns();
	int status;

	(void)kill(q->pid, SIGKILL);
	while (waitpid(q->pid, &status, 0) < 0 && errno == EINTR)
		;
	double ms = ms_since(t0);
	q->pid = 0;
	q->qmp = (close(q->qmp), -1);
	return ms;
}

static void phase_qemu_alone(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/qemu-alone", harness_tmpdir());
	Qemu *q;

	if (!qemu_argv) {
		note("QEMU alone: not measured, the guest's command line could not be read");
		return;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		abort();
	/* Its console log names the harness's directory, so the harness
	 * kills this QEMU too should the benchmark be interrupted. */
	q->console_log = xasprintf("%s/qemu-alone.console.log", harness_log_dir());
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %m", dir);
	progress("QEMU alone: %u starts and kills, %u stop+cont", opt.cycles, opt.suspend * opt.cycles);
	for (unsigned i = 0; i < opt.cycles; i++) {
		series_add(&rows[ROW_QEMU_START].s, qemu_alone_start(q, dir));
		if (i + 1 < opt.cycles) {
			series_add(&rows[ROW_QEMU_KILL].s, qemu_alone_kill(q));
			continue;
		}
		/* The last one boots, so stop and cont meet an idle guest
		 * as the daemon's Suspend and Resume did. */
		if (harness_wait_console(q->console_log, READY_LINE, BOOT_TIMEOUT_MS) < 0)
			fail_msg("QEMU alone: the guest did not boot");
		for (unsigned k = 0; k < opt.suspend * opt.cycles; k++) {
			uint64_t t0 = now_ns();
			qmp_execute(q, "stop");
			qmp_execute(q, "cont");
			series_add(&rows[ROW_QEMU_SUSPEND].s, ms_since(t0));
		}
		series_add(&rows[ROW_QEMU_KILL].s, qemu_alone_kill(q));
	}

	/* Five at once, as the concurrent Starts: all spawned, then each
	 * handshake in turn (they start up in parallel meanwhile). */
	progress("QEMU alone: 5 at once, %u rounds", opt.concurrent);
	for (unsigned round = 0; round < opt.concurrent; round++) {
		Qemu *five = calloc(N_GUESTS, sizeof(*five));
		uint64_t t0;

		if (!five)
			abort();
		for (unsigned i = 0; i < N_GUESTS; i++)
			five[i].console_log =
				xasprintf("%s/qemu-alone-%u.console.log", harness_log_dir(), i);
		t0 = now_ns();
		for (unsigned i = 0; i < N_GUESTS; i++)
			qemu_alone_spawn(&five[i], qemu_argv, dir, i + 1);
		for (unsigned i = 0; i < N_GUESTS; i++)
			qemu_alone_handshake(&five[i]);
		series_add(&rows[ROW_QEMU_CONCURRENT].s, ms_since(t0));
		for (unsigned i = 0; i < N_GUESTS; i++) {
			(void)qemu_alone_kill(&five[i]);
			free(five[i].console_log);
		}
		free(five);
		sleep_ms(500);
	}
	free(q->console_log);
	free(q);
}

/* Start, boot, Suspend+Resume, then Destroy or Shutdown, `cycles` times. */
static void phase_lifecycle(Guest *g)
{
	unsigned destroyed = 0, destroy_gone = 0, shut = 0;

	for (unsigned c = 0; c < opt.cycles; c++) {
		double ms;

		progress("cycle %u/%u: Start %s", c + 1, opt.cycles, g->name);
		series_add(&rows[ROW_START].s, start_guest(g));
		if (!qemu_argv)
			capture_qemu_argv(g->pid);
		/* A booting guest under TCG takes a whole CPU; measure on an
		 * idle one, as on a host where guests have long been up. */
		wait_ready(g, 0);

		for (unsigned i = 0; i < opt.suspend; i++) {
			uint64_t t0 = now_ns();
			domain_call(NULL, g->path, "Suspend");
			domain_call(NULL, g->path, "Resume");
			series_add(&rows[ROW_SUSPEND].s, ms_since(t0));
		}
		if (!state_is(g->path, "running"))
			fail_msg("%s is not running after Suspend+Resume", g->name);

		if (c % 2 == 0) {
			domain_call(&ms, g->path, "Destroy");
			series_add(&rows[ROW_DESTROY].s, ms);
			destroyed++;
			/* "Destroy returns when the process is gone": check it. */
			if (!harness_pid_alive((pid_t)g->pid))
				destroy_gone++;
			if (!state_is(g->path, "shut-off"))
				fail_msg("%s: Destroy returned, but it is not shut-off", g->name);
		} else {
			size_t mark = sig_mark();
			uint64_t t0 = now_ns();
			const StateSignal *s;

			domain_call(NULL, g->path, "Shutdown");
			s = wait_state(mark, g->path, "shut-off", NULL, STATE_TIMEOUT_MS, -1);
			if (!s)
				fail_msg("%s did not shut off within %d ms of Shutdown", g->name,
					 STATE_TIMEOUT_MS);
			if (strcmp(s->reason, "shutdown") != 0)
				fail_msg("%s: shut-off/%s after Shutdown, expected shut-off/shutdown",
					 g->name, s->reason);
			series_add(&rows[ROW_SHUTDOWN].s, ms_between(t0, s->mono_ns));
			shut++;
		}
		if (harness_wait_pid_gone((pid_t)g->pid, 10000) < 0)
			fail_msg("%s: QEMU pid %u still runs after it stopped", g->name, g->pid);
	}
	if (destroyed > 0)
		note("Destroy: the QEMU process was gone when the call returned in %u of %u runs",
		     destroy_gone, destroyed);
	if (shut > 0)
		note("Shutdown: measured from the call to the StateChanged shut-off/shutdown signal (%u "
		     "runs)",
		     shut);
}

/* The first QMP `event` line from `from` on in the daemon log that
 * contains `with` (NULL: any), and its two time stamps: the daemon's (when
 * it read the line) and QEMU's (when it emitted the event). The first: a
 * guest power-off is followed by a second SHUTDOWN when the daemon quits
 * QEMU, and that one must not be taken for it. */
static bool find_event_in_log(off_t from, const char *event, const char *with, uint64_t *ret_daemon_ns,
			      uint64_t *ret_qemu_ns)
{
	_cleanup_fclose_ FILE *f = fopen(harness_daemon_log(), "re");
	_cleanup_free_ char *quoted = xasprintf("\"event\": \"%s\"", event);
	char *line = NULL;
	size_t size = 0;
	bool found = false;

	if (!f || fseeko(f, from, SEEK_SET) < 0)
		return false;
	while (getline(&line, &size, f) > 0) {
		long long sec, qsec;
		long usec, qusec;
		const char *p, *q;

		if (!strstr(line, "QMP <- ") || !strstr(line, quoted) || (with && !strstr(line, with)))
			continue;
		if (sscanf(line, "zvirtd[%*d] %lld.%ld", &sec, &usec) != 2)
			continue;
		p = strstr(line, "\"seconds\":");
		q = strstr(line, "\"microseconds\":");
		if (!p || !q)
			continue;
		qsec = strtoll(p + strlen("\"seconds\":"), NULL, 10);
		qusec = strtol(q + strlen("\"microseconds\":"), NULL, 10);
		*ret_daemon_ns = (uint64_t)sec * 1000000000ULL + (uint64_t)usec * 1000ULL;
		*ret_qemu_ns = (uint64_t)qsec * 1000000000ULL + (uint64_t)qusec * 1000ULL;
		found = true;
		break;
	}
	free(line);
	return found;
}

static int open_console(const char *pty)
{
	struct termios t;
	int fd = open(pty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %m", pty);
	/* Raw, or the pty would echo the guest's output back into it. */
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		(void)tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

/*
 * QMP event → D-Bus signal. A guest that powers itself off (`poweroff` on
 * its console) makes QEMU emit SHUTDOWN, an event no call of ours caused;
 * the daemon turns it into StateChanged in-shutdown. With LogLevel=debug
 * the daemon logs each QMP line as it reads it, stamped with the wall
 * clock, and QEMU stamps the event itself; this client stamps the signal
 * as it reads it. The figure is daemon-read → client-read, which includes
 * dbus-daemon's hop and the debug log writes on the way; QEMU's stamp →
 * client-read is shown too.
 *
 * (A guest reboot, RESET → running/reset, would spare a boot per sample,
 * but a second reboot in a row is no change of State or StateReason, and
 * the daemon signals nothing for it.)
 */
/* A storm of redefinitions on a thread and a connection of its own:
 * STORM_IN_FLIGHT DefineXML of one domain always out (the bus allows
 * 128 calls out per connection), each answer sending the next, until
 * told to stop. */
#define STORM_IN_FLIGHT 100

typedef struct Storm {
	pthread_t thread;
	sd_bus *bus;
	char *xml;
	unsigned sent, answered;
	atomic_bool stop;
	bool failed;
} Storm;

static int storm_send(Storm *st);

static int on_storm_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Storm *st = userdata;
	st->failed |= sd_bus_message_is_method_error(m, NULL);
	st->answered++;
	return atomic_load(&st->stop) ? 0 : storm_send(st);
}

static int storm_send(Storm *st)
{
	st->sent++;
	return sd_bus_call_method_async(st->bus, NULL, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH,
					ZVIRT_MANAGER_IFACE, "DefineXML", on_storm_reply, st, "sa{sv}",
					st->xml, 0);
}

static void *storm_main(void *userdata)
{
	Storm *st = userdata;
	for (unsigned i = 0; i < STORM_IN_FLIGHT; i++)
		if (storm_send(st) < 0)
			st->failed = true;
	while (!atomic_load(&st->stop) || st->answered < st->sent)
		if (sd_bus_process(st->bus, NULL) == 0)
			(void)sd_bus_wait(st->bus, 10 * 1000);
	return NULL;
}

static void storm_start(Storm *st)
{
	*st = (Storm){.xml = harness_minimal_xml("bench-storm", "6a1b2c3d-0000-4000-8000-0000000057a0")};
	atomic_init(&st->stop, false);
	if (sd_bus_open_system(&st->bus) < 0 || pthread_create(&st->thread, NULL, storm_main, st) != 0)
		fail_msg("cannot start the DefineXML storm");
}

/* Returns how many DefineXML the storm had answered in all. */
static unsigned storm_stop(Storm *st)
{
	atomic_store(&st->stop, true);
	pthread_join(st->thread, NULL);
	st->bus = sd_bus_flush_close_unref(st->bus);
	free(st->xml);
	if (st->failed)
		fail_msg("a DefineXML of the storm failed");
	return st->answered;
}

static void phase_events(Guest *g)
{
	unsigned seen = 0;

	progress("QMP event → signal: %u guest power-offs", opt.events);
	for (unsigned e = 0; e < opt.events; e++) {
		_cleanup_free_ char *pty = NULL;
		_cleanup_close_ int fd = -1;
		off_t log_mark;
		uint64_t daemon_ns, qemu_ns;
		const StateSignal *s;
		size_t mark;

		(void)start_guest(g);
		wait_ready(g, 0);
		pty = harness_console_pty(g->path);
		if (!pty) {
			note("QMP event → signal: not measured, %s has no console pty in its live XML",
			     g->name);
			destroy_all(g, 1);
			return;
		}
		reload_log_level("debug");
		fd = open_console(pty);
		log_mark = harness_file_size(harness_daemon_log());
		/* Every other power-off happens during a storm of redefinitions
		 * (parse, check, durable write) from another connection. */
		bool storm = e % 2 == 1;
		Storm st;
		if (storm)
			storm_start(&st);
		mark = sig_mark();
		if (write(fd, "poweroff\n", 9) != 9)
			fail_msg("writing to %s: %m", pty);
		/* QEMU notices the open pty within a second or so; keep it
		 * open, and drained, until the guest is off. */
		s = wait_state(mark, g->path, "in-shutdown", NULL, STATE_TIMEOUT_MS, fd);
		if (!s)
			fail_msg("%s: no StateChanged in-shutdown after the guest powered off", g->name);
		unsigned stormed = storm ? storm_stop(&st) : 0;
		if (find_event_in_log(log_mark, "SHUTDOWN", "\"guest\": true", &daemon_ns, &qemu_ns)) {
			if (!storm) {
				series_add(&rows[ROW_EVENT].s, ms_between(daemon_ns, s->real_ns));
				series_add(&rows[ROW_EVENT_QEMU].s, ms_between(qemu_ns, s->real_ns));
			} else if (stormed > 0)
				series_add(&rows[ROW_EVENT_STORM].s, ms_between(daemon_ns, s->real_ns));
			else
				note("QMP event → signal during DefineXML: no DefineXML was answered before "
				     "the "
				     "event");
			seen++;
		}
		s = wait_state(mark, g->path, "shut-off", "shutdown", STATE_TIMEOUT_MS, fd);
		if (!s)
			fail_msg("%s: powered off, but it never became shut-off/shutdown", g->name);
		/* The part of "Shutdown → shut-off" after the guest is done:
		 * quit QEMU, see the process go, signal. */
		if (find_event_in_log(log_mark, "SHUTDOWN", "\"guest\": true", &daemon_ns, &qemu_ns))
			series_add(&rows[ROW_SHUTDOWN_TAIL].s, ms_between(qemu_ns, s->real_ns));
		reload_log_level(default_log_level());
		if (harness_wait_pid_gone((pid_t)g->pid, 10000) < 0)
			fail_msg("%s: QEMU pid %u still runs after it stopped", g->name, g->pid);
	}
	_cleanup_free_ char *storm_path = harness_lookup("bench-storm");
	if (storm_path)
		harness_undefine(storm_path);
	if (seen < opt.events)
		note("QMP event → signal: the daemon log showed the SHUTDOWN event for %u of %u power-offs",
		     seen, opt.events);
	note("QMP event → signal: the guest powers itself off; SHUTDOWN read by zvirtd (its debug log "
	     "stamp) → "
	     "StateChanged in-shutdown read by the client through dbus-daemon, debug logging on meanwhile");
}

/* ---- managed save and restore ---- */

const SaveSize save_sizes[2] = {
	{256, 64, ROW_SAVE_256, ROW_SAVE_256_SIZE, ROW_QEMU_SAVE_256, ROW_RESTORE_256, ROW_QEMU_RESTORE_256},
	{512, 128, ROW_SAVE_512, ROW_SAVE_512_SIZE, ROW_QEMU_SAVE_512, ROW_RESTORE_512,
	 ROW_QEMU_RESTORE_512},
};

/* How long the guest may take to fill its dirty buffer: its first read of
 * /dev/urandom can wait for the guest's RNG, seconds under TCG on a busy
 * host. */
#define DIRTY_TIMEOUT_MS 60000

/* The command lines the daemon ran for each size, for QEMU alone: the
 * boot and the restore (with -incoming defer). */
static char **save_boot_argv[2], **save_restore_argv[2];

char *guest_xml_with_memory(const char *xml, unsigned mib)
{
	const char *open_tag = strstr(xml, "<memory"), *start, *end;

	start = open_tag ? strchr(open_tag, '>') : NULL;
	end = start ? strstr(start, "</memory>") : NULL;
	if (!end)
		fail_msg("the guest XML has no <memory> element");
	/* harness_guest_xml() says unit='KiB'. */
	return xasprintf("%.*s%llu%s", (int)(start + 1 - xml), xml, (unsigned long long)mib * 1024, end);
}

/*
 * The guest says nothing when its first fill is done (it then rewrites the
 * buffer in place, which changes nothing saved). QEMU's anonymous memory
 * grows as the guest touches pages it never touched: wait until it has
 * grown by half the buffer (some pages the guest freed after boot are
 * reused) and then stayed flat for a second.
 */
void guest_dirty(const char *pty, pid_t qemu_pid, unsigned mib)
{
	_cleanup_free_ char *cmd = xasprintf("dirty %u", mib);
	double before = rss_of(qemu_pid).anon, last = before;
	unsigned flat = 0;
	uint64_t t0;

	if (harness_console_command(pty, cmd, 30000, NULL) < 0)
		fail_msg("the guest did not take \"%s\" on %s", cmd, pty);
	t0 = now_ns();
	while (flat < 2) {
		double rss;

		if (ms_since(t0) > DIRTY_TIMEOUT_MS) {
			note("dirty %u: QEMU's memory grew by %.0f MiB in %d s, less than expected; saved "
			     "anyway",
			     mib, last - before, DIRTY_TIMEOUT_MS / 1000);
			break;
		}
		sleep_ms(500);
		rss = rss_of(qemu_pid).anon;
		flat = rss - before >= mib / 2.0 && rss - last < 2.0 ? flat + 1 : 0;
		last = rss;
	}
	/* Stopped and its file removed: the pages are free in the guest
	 * but keep their random contents, so the image carries them. */
	if (harness_console_command(pty, "dirty stop", 30000, NULL) < 0)
		fail_msg("the guest did not take \"dirty stop\" on %s", pty);
}

void check_image(const char *who, const SaveSize *z, double mib)
{
	if (mib < z->dirty_mib)
		note("%s: the %u MiB guest's image is %.1f MB, less than the %u MiB dirtied: the guest had "
		     "not "
		     "filled its buffer",
		     who, z->mib, mib, z->dirty_mib);
}

bool file_goes(const char *path, unsigned timeout_ms)
{
	uint64_t t0 = now_ns();

	while (access(path, F_OK) == 0) {
		if (ms_since(t0) > timeout_ms)
			return false;
		sleep_ms(5);
	}
	return true;
}

double file_mib(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		fail_msg("stat %s: %m", path);
	return (double)st.st_size / (1024.0 * 1024.0);
}

typedef struct SaveWait {
	size_t from, job_from;
	const char *path, *job;
	const StateSignal *state;
	const JobSignal *completed;
} SaveWait;

static bool save_arrived(void *userdata)
{
	SaveWait *w = userdata;

	if (!w->state)
		w->state = sig_find(w->from, w->path, "shut-off", "saved");
	for (size_t i = w->job_from; !w->completed && w->job && i < n_job_sigs; i++)
		if (strcmp(job_sigs[i].path, w->job) == 0)
			w->completed = &job_sigs[i];
	return w->state && (w->completed || !w->job);
}

/* ManagedSave: from the call until both the job's Completed and the
 * domain's shut-off/saved have been read, whichever comes last. */
static double managed_save(Guest *g)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	SaveWait w = {.path = g->path};
	uint64_t t0, end;
	const char *job;

	w.from = sig_mark();
	w.job_from = n_job_sigs;
	t0 = now_ns();
	reply = callt(NULL, g->path, ZVIRT_DOMAIN_IFACE, "ManagedSave", "a{sv}", 0);
	if (sd_bus_message_read(reply, "o", &job) < 0)
		fail_msg("ManagedSave: bad reply");
	w.job = strcmp(job, "/") == 0 ? NULL : job;
	if (!bench_wait(save_arrived, &w, SAVE_TIMEOUT_MS, -1))
		fail_msg("%s: no shut-off/saved and job Completed within %d ms of ManagedSave", g->name,
			 SAVE_TIMEOUT_MS);
	if (w.completed && !w.completed->success)
		fail_msg("%s: the managed-save job failed", g->name);
	end = w.state->mono_ns;
	if (w.completed && w.completed->mono_ns > end)
		end = w.completed->mono_ns;
	return ms_between(t0, end);
}

/* Start of a saved domain: the call until it answered and the guest runs. */
static double restore_guest(Guest *g)
{
	_cleanup_free_ char *reason = NULL;
	double ms;

	domain_call(&ms, g->path, "Start");
	if (!state_is(g->path, "running"))
		fail_msg("%s: Start of the saved domain returned, but it is not running", g->name);
	reason = get_string(g->path, "StateReason");
	if (strcmp(reason, "restored") != 0)
		fail_msg("%s: running/%s after a restore, expected running/restored", g->name, reason);
	g->pid = get_qemu_pid(g->path);
	return ms;
}

/* A dump file of this round, in the harness's directory (the file
 * system of StateDir); it must not exist yet. */
char *dump_file(const char *who, unsigned round)
{
	char *file = xasprintf("%s/%s-dump-%u.core", harness_tmpdir(), who, round);

	(void)unlink(file);
	return file;
}

typedef struct JobWait {
	size_t from;
	const char *job;
	const JobSignal *completed;
} JobWait;

static bool job_arrived(void *userdata)
{
	JobWait *w = userdata;

	for (size_t i = w->from; !w->completed && i < n_job_sigs; i++)
		if (strcmp(job_sigs[i].path, w->job) == 0)
			w->completed = &job_sigs[i];
	return w->completed != NULL;
}

/* CoreDump (elf) into `file`: from the call until the job's Completed has
 * been read; the job must say completed and the guest still run. */
static double core_dump(Guest *g, const char *file)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *state = NULL;
	JobWait w = {};
	uint64_t t0;
	const char *job;
	int r;

	(void)sig_mark();
	w.from = n_job_sigs;
	t0 = now_ns();
	reply = callt(NULL, g->path, ZVIRT_DOMAIN_IFACE, "CoreDump", "sa{sv}", file, 1, "format", "s",
		      "elf");
	if (sd_bus_message_read(reply, "o", &job) < 0 || strcmp(job, "/") == 0)
		fail_msg("CoreDump: bad reply");
	w.job = job;
	if (!bench_wait(job_arrived, &w, SAVE_TIMEOUT_MS, -1))
		fail_msg("%s: no job Completed within %d ms of CoreDump", g->name, SAVE_TIMEOUT_MS);
	double ms = ms_between(t0, w.completed->mono_ns);
	if (!w.completed->success)
		fail_msg("%s: the dump job failed", g->name);
	r = sd_bus_get_property_string(B, ZVIRT_BUS_NAME, job, "org.zvirt1.Job", "State", &error, &state);
	if (r < 0)
		fail_msg("Get State on %s: %s", job, error.message ?: strerror(-r));
	if (strcmp(state, "completed") != 0)
		fail_msg("%s: the dump job is %s after Completed, expected completed", g->name, state);
	if (!state_is(g->path, "running"))
		fail_msg("%s: not running after its dump", g->name);
	return ms;
}

/* `opt.saves` dumps of the booted, dirtied guest; each file is removed
 * once measured. */
static void dump_rounds(Guest *g)
{
	for (unsigned r = 0; r < opt.saves; r++) {
		_cleanup_free_ char *file = dump_file("zvirtd", r);

		progress("CoreDump of %s, %u/%u", g->name, r + 1, opt.saves);
		series_add(&rows[ROW_DUMP].s, core_dump(g, file));
		series_add(&rows[ROW_DUMP_SIZE].s, file_mib(file));
		if (unlink(file) < 0)
			fail_msg("unlink %s: %m", file);
	}
}

/* One guest of this size: boot, dirty, then ManagedSave and restore
 * `saves` times (a restored guest holds the same data). */
static void save_size(size_t k)
{
	const SaveSize *z = &save_sizes[k];
	Guest g = {.name = xasprintf("bench-save-%u", z->mib)};
	_cleanup_free_ char *base = NULL, *xml = NULL, *pty = NULL, *image = NULL;

	g.console_log = harness_console_log(g.name);
	base = harness_guest_xml(g.name);
	xml = guest_xml_with_memory(base, z->mib);
	g.path = define(xml, NULL);
	image = xasprintf("%s/state/save/%s.save", harness_tmpdir(), strrchr(g.path, '/') + 1);

	progress("ManagedSave: %s, booting and dirtying %u MiB", g.name, z->dirty_mib);
	(void)start_guest(&g);
	save_boot_argv[k] = read_cmdline((pid_t)g.pid);
	wait_ready(&g, 0);
	pty = harness_console_pty(g.path);
	if (!pty)
		fail_msg("%s has no console pty in its live XML", g.name);
	guest_dirty(pty, (pid_t)g.pid, z->dirty_mib);
	if (k == DUMP_SIZE)
		dump_rounds(&g);

	for (unsigned r = 0; r < opt.saves; r++) {
		progress("ManagedSave and restore of %s, %u/%u", g.name, r + 1, opt.saves);
		series_add(&rows[z->save].s, managed_save(&g));
		series_add(&rows[z->size].s, file_mib(image));
		if (r == 0)
			check_image("zvirtd", z, file_mib(image));
		if (harness_wait_pid_gone((pid_t)g.pid, 10000) < 0)
			fail_msg("%s: QEMU pid %u still runs after the save", g.name, g.pid);
		series_add(&rows[z->restore].s, restore_guest(&g));
		if (r == 0)
			save_restore_argv[k] = read_cmdline((pid_t)g.pid);
		if (!file_goes(image, 5000))
			fail_msg("%s: the image %s is still there 5 s after the restore", g.name, image);
	}
	destroy_all(&g, 1);
	domain_call(NULL, g.path, "Undefine");
	(void)harness_flush_signals();
	free(g.name);
	free(g.path);
	free(g.console_log);
}

static void phase_save(void)
{
	for (size_t k = 0; k < ELEMENTSOF(save_sizes); k++)
		save_size(k);
	note("ManagedSave: from the call to the later of the job's Completed and StateChanged "
	     "shut-off/saved; the daemon follows QEMU's migration with query-migrate every 100 ms and "
	     "at once on its MIGRATION events. The "
	     "image "
	     "is <StateDir>/save/<uuid>.save on %s; MB are MiB",
	     getenv("TMPDIR") ?: "/var/tmp");
	note("CoreDump: from the call to the job's Completed (State completed, the guest still running), "
	     "format elf, into a new file in the harness's directory; the daemon follows the dump with "
	     "query-dump every 100 ms and at once on DUMP_COMPLETED, and fsyncs the file before the job "
	     "completes");
}

/* The "filename" of the first pty chardev in a query-chardev reply. */
char *pty_of_chardevs(const char *reply)
{
	const char *p = strstr(reply, "\"pty:");

	if (!p)
		return NULL;
	p += strlen("\"pty:");
	return xasprintf("%.*s", (int)strcspn(p, "\""), p);
}

/* Until query-migrate says completed (polled every millisecond: the
 * floor, not the daemon's 100 ms step). */
static void qmp_wait_migration(Qemu *q)
{
	char line[16384];

	for (;;) {
		qmp_command(q, "{\"execute\":\"query-migrate\"}\n", -1, line, sizeof(line));
		if (strstr(line, "\"completed\""))
			return;
		if (strstr(line, "\"failed\"") || strstr(line, "\"cancelled\""))
			fail_msg("QEMU alone: the migration ended: %s", line);
		usleep(1000);
	}
}

static void qmp_getfd(Qemu *q, const char *name, int fd)
{
	_cleanup_free_ char *msg =
		xasprintf("{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"%s\"}}\n", name);

	qmp_command(q, msg, fd, NULL, 0);
}

/* What the daemon's ManagedSave asks of QEMU, with nothing around it:
 * stop, lift the 32 MiB/s default bandwidth, hand over a new file, migrate
 * into it, wait for completed, fsync. */
static double qemu_alone_save(Qemu *q, const char *image)
{
	uint64_t t0 = now_ns();
	_cleanup_close_ int fd = -1;

	qmp_execute(q, "stop");
	qmp_command(q,
		    "{\"execute\":\"migrate-set-parameters\","
		    "\"arguments\":{\"max-bandwidth\":1152921504606846976}}\n",
		    -1, NULL, 0);
	(void)unlink(image);
	fd = open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fail_msg("open %s: %m", image);
	qmp_getfd(q, "bench-save", fd);
	qmp_command(q, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"fd:bench-save\"}}\n", -1, NULL, 0);
	qmp_wait_migration(q);
	if (fsync(fd) < 0)
		fail_msg("fsync %s: %m", image);
	return ms_since(t0);
}

/* The value of "status" in a QMP reply, into buf: query-dump's reply also
 * has a member named "completed". */
const char *qmp_status(const char *line, char *buf, size_t size)
{
	const char *p = strstr(line, "\"status\"");

	buf[0] = '\0';
	if (!p)
		return buf;
	p += strlen("\"status\"");
	p += strspn(p, " :");
	if (*p++ != '"')
		return buf;
	snprintf(buf, size, "%.*s", (int)strcspn(p, "\""), p);
	return buf;
}

/* What the daemon's CoreDump asks of QEMU, with nothing around it: a new
 * file handed over with getfd, dump-guest-memory (elf, detached),
 * query-dump every millisecond until completed, fsync. */
static double qemu_alone_dump(Qemu *q, const char *file)
{
	uint64_t t0 = now_ns();
	_cleanup_close_ int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	char line[16384], status[32];

	if (fd < 0)
		fail_msg("open %s: %m", file);
	qmp_getfd(q, "bench-dump", fd);
	qmp_command(q,
		    "{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,"
		    "\"protocol\":\"fd:bench-dump\",\"detach\":true,\"format\":\"elf\"}}\n",
		    -1, NULL, 0);
	for (;;) {
		qmp_command(q, "{\"execute\":\"query-dump\"}\n", -1, line, sizeof(line));
		qmp_status(line, status, sizeof(status));
		if (strcmp(status, "completed") == 0)
			break;
		/* "none" until the dump thread has begun */
		if (strcmp(status, "active") != 0 && strcmp(status, "none") != 0)
			fail_msg("QEMU alone: the dump ended: %s", line);
		if (ms_since(t0) > SAVE_TIMEOUT_MS)
			fail_msg("QEMU alone: the dump is not done after %d ms: %s", SAVE_TIMEOUT_MS, line);
		usleep(1000);
	}
	if (fsync(fd) < 0)
		fail_msg("fsync %s: %m", file);
	return ms_since(t0);
}

/* And the restore: exec the restore command line, handshake, hand over
 * the file, migrate-incoming, wait for completed, cont. */
static double qemu_alone_restore(Qemu *q, char **argv, const char *dir, const char *image)
{
	uint64_t t0 = now_ns();
	_cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC);
	char line[4096];

	if (fd < 0)
		fail_msg("open %s: %m", image);
	qemu_alone_spawn(q, argv, dir, 10);
	qmp_read_line(q, line, sizeof(line));
	if (!strstr(line, "\"QMP\""))
		fail_msg("QMP: no greeting from QEMU, got: %s", line);
	qmp_execute(q, "qmp_capabilities");
	qmp_execute(q, "query-chardev");
	qmp_getfd(q, "bench-restore", fd);
	qmp_command(q, "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"fd:bench-restore\"}}\n",
		    -1, NULL, 0);
	qmp_wait_migration(q);
	qmp_execute(q, "cont");
	return ms_since(t0);
}

/* Boot QEMU alone from the daemon's boot command line, let the guest
 * come up and dirty the same amount; the console is the pty QEMU made. */
static void qemu_alone_boot(Qemu *q, char **argv, const char *dir, unsigned dirty_mib)
{
	_cleanup_free_ char *pty = NULL;
	char line[16384];

	(void)unlink(q->console_log);
	qemu_alone_spawn(q, argv, dir, 10);
	qmp_read_line(q, line, sizeof(line));
	if (!strstr(line, "\"QMP\""))
		fail_msg("QMP: no greeting from QEMU, got: %s", line);
	qmp_execute(q, "qmp_capabilities");
	qmp_command(q, "{\"execute\":\"query-chardev\"}\n", -1, line, sizeof(line));
	pty = pty_of_chardevs(line);
	if (!pty)
		fail_msg("QEMU alone: no pty console in query-chardev: %s", line);
	qmp_execute(q, "cont");
	if (harness_wait_console(q->console_log, READY_LINE, BOOT_TIMEOUT_MS) < 0)
		fail_msg("QEMU alone: the guest did not boot");
	guest_dirty(pty, q->pid, dirty_mib);
}

static void phase_qemu_save_alone(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/qemu-alone", harness_tmpdir());

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %m", dir);
	for (size_t k = 0; k < ELEMENTSOF(save_sizes); k++) {
		const SaveSize *z = &save_sizes[k];
		_cleanup_free_ char *image = xasprintf("%s/save-%u.img", dir, z->mib);
		Qemu *q;

		if (!save_boot_argv[k] || !save_restore_argv[k]) {
			note("QEMU alone, %u MiB: not measured, the daemon's command lines could not be "
			     "read",
			     z->mib);
			continue;
		}
		q = calloc(1, sizeof(*q));
		if (!q)
			abort();
		q->console_log = xasprintf("%s/qemu-alone-save.console.log", harness_log_dir());
		progress("QEMU alone: %u MiB guest, booting and dirtying %u MiB", z->mib, z->dirty_mib);
		qemu_alone_boot(q, save_boot_argv[k], dir, z->dirty_mib);
		for (unsigned r = 0; k == DUMP_SIZE && r < opt.saves; r++) {
			_cleanup_free_ char *file = dump_file("qemu-alone", r);

			progress("QEMU alone: dump of the %u MiB guest, %u/%u", z->mib, r + 1, opt.saves);
			series_add(&rows[ROW_QEMU_DUMP].s, qemu_alone_dump(q, file));
			if (r == 0)
				note("QEMU alone, %u MiB guest: the dump is %.1f MB (zvirtd's: %.1f MB)",
				     z->mib, file_mib(file), series_median(&rows[ROW_DUMP_SIZE].s));
			if (unlink(file) < 0)
				fail_msg("unlink %s: %m", file);
		}
		for (unsigned r = 0; r < opt.saves; r++) {
			progress("QEMU alone: save and restore of the %u MiB guest, %u/%u", z->mib, r + 1,
				 opt.saves);
			series_add(&rows[z->qemu_save].s, qemu_alone_save(q, image));
			if (r == 0) {
				note("QEMU alone, %u MiB guest: the image is %.1f MB (zvirtd's: %.1f MB)",
				     z->mib, file_mib(image), series_median(&rows[z->size].s));
				check_image("QEMU alone", z, file_mib(image));
			}
			(void)qemu_alone_kill(q);
			series_add(&rows[z->qemu_restore].s,
				   qemu_alone_restore(q, save_restore_argv[k], dir, image));
		}
		(void)qemu_alone_kill(q);
		(void)unlink(image);
		free(q->console_log);
		free(q);
		strv_free(save_boot_argv[k]);
		strv_free(save_restore_argv[k]);
		save_boot_argv[k] = save_restore_argv[k] = NULL;
	}
}

/* The targets against the floor measured in this run. */
static void set_relative_targets(void)
{
	static char text[ELEMENTSOF(save_sizes)][2][64], update_text[64], veth_text[64];
	double disk = series_median(&rows[ROW_UPDATE_FLOOR].s);
	double veth = series_median(&rows[ROW_NIC_PING_VETH].s);

	migrate_set_targets();

	/* No target: a guest's ping can only come near the veth's own round
	 * trip, never under it; the column states that limit. */
	if (!isnan(veth)) {
		snprintf(veth_text, sizeof(veth_text), "limit ≥ %.3f ms (veth)", veth);
		rows[ROW_NIC_PING_DIRECT].target_text = veth_text;
		rows[ROW_NIC_PING_BRIDGE].target_text = veth_text;
	}

	/* A config-only UpdateDevice is one durable write of a definition,
	 * as Define is: performance.md's ≤ 1.3 × (one fsync + one rename). */
	if (!isnan(disk)) {
		rows[ROW_UPDATE].target = 1.3 * disk;
		snprintf(update_text, sizeof(update_text), "≤ %.2f ms (1.3 × disk alone)", 1.3 * disk);
		rows[ROW_UPDATE].target_text = update_text;
	}

	for (size_t k = 0; k < ELEMENTSOF(save_sizes); k++) {
		const SaveSize *z = &save_sizes[k];
		RowId mine[2] = {z->save, z->restore}, alone[2] = {z->qemu_save, z->qemu_restore};

		for (size_t i = 0; i < 2; i++) {
			double floor = series_median(&rows[alone[i]].s);
			if (isnan(floor))
				continue;
			rows[mine[i]].target = 1.2 * floor;
			snprintf(text[k][i], sizeof(text[k][i]), "≤ %.0f ms (1.2 × alone)", 1.2 * floor);
			rows[mine[i]].target_text = text[k][i];
		}
	}
}

/* ---- the console ---- */

/* Write `text` (all of it) and return the time until the first byte comes
 * back; `t0` is when the clock started. */
static double first_byte_back(int fd, const char *text, uint64_t t0)
{
	size_t len = strlen(text), done = 0;
	char c;

	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			fail_msg("console: write: %m");
		if (n > 0)
			done += (size_t)n;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)(10000 - ms_since(t0)));
		if (r < 0 && errno != EINTR)
			fail_msg("console: poll: %m");
		if (r == 0 || ms_since(t0) >= 10000)
			fail_msg("console: nothing came back within 10 s");
		ssize_t n = read(fd, &c, 1);
		if (n == 1)
			return ms_since(t0);
		if (n == 0)
			fail_msg("console: end of file before the first byte");
		if (errno != EAGAIN && errno != EINTR)
			fail_msg("console: read: %m");
	}
}

/* Read until the guest has been quiet for `quiet_ms`. */
static void drain_console(int fd, int quiet_ms)
{
	char buf[4096];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, quiet_ms) <= 0)
			return;
		if (read(fd, buf, sizeof(buf)) <= 0 && errno != EAGAIN && errno != EINTR)
			return;
	}
}

/* The two figures of one console: first byte, then a round trip. */
static void console_round(int fd, uint64_t t0, RowId first, RowId rtt)
{
	series_add(&rows[first].s, first_byte_back(fd, "echo x\n", t0));
	drain_console(fd, 300);
	series_add(&rows[rtt].s, first_byte_back(fd, "echo y\n", now_ns()));
	drain_console(fd, 300);
}

/*
 * Between two clients of the pty. QEMU's 1 s timer starts again when it
 * sees the last client hang up, so after a fixed pause p the first byte
 * would always come 1 s - p later. A random pause on top makes the figure
 * what a client arriving at any moment sees. The first 200 ms let the
 * daemon see the end and let go of the pty, and QEMU notice the hang-up.
 */
static void console_pause(void)
{
	static unsigned seed;

	if (!seed)
		seed = (unsigned)now_ns();
	sleep_ms(200 + (unsigned)rand_r(&seed) % 1000);
}

static int open_console_relay(const char *path, double *ret_ms)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int fd;

	reply = callt(ret_ms, path, ZVIRT_DOMAIN_IFACE, "OpenConsole", "a{sv}", 0);
	if (sd_bus_message_read(reply, "h", &fd) < 0)
		fail_msg("OpenConsole: bad reply");
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		fail_msg("OpenConsole: the descriptor: %m");
	return fd;
}

/*
 * OpenConsole on a booted guest: call → first byte back after writing a
 * command, then a round trip on the console now open. Each round is a new
 * relay: the daemon opens the pty on the call and lets it go when the
 * client closes, and QEMU notices an opened pty only when its 1 s timer
 * looks, so the first figure is that timer's phase more than anything.
 * The floor, in alternate rounds: the benchmark opens the same pty itself.
 */
static void phase_console(Guest *g)
{
	_cleanup_free_ char *pty = NULL;

	progress("OpenConsole: %u rounds, and as many on the pty alone", opt.console);
	(void)start_guest(g);
	wait_ready(g, 0);
	pty = harness_console_pty(g->path);
	if (!pty) {
		note("OpenConsole: not measured, %s has no console pty in its live XML", g->name);
		destroy_all(g, 1);
		return;
	}
	for (unsigned r = 0; r < opt.console; r++) {
		uint64_t t0 = now_ns();
		double ms;
		int fd = open_console_relay(g->path, &ms);

		series_add(&rows[ROW_CONSOLE_CALL].s, ms);
		console_round(fd, t0, ROW_CONSOLE, ROW_CONSOLE_RTT);
		close(fd);
		console_pause();

		t0 = now_ns();
		fd = open_console(pty);
		console_round(fd, t0, ROW_CONSOLE_PTY, ROW_CONSOLE_PTY_RTT);
		close(fd);
		console_pause();
	}
	note("OpenConsole: \"echo x\" written at once; the first byte back is the guest's tty echo. QEMU "
	     "looks for a newly opened pty once a second, so the first figure falls anywhere in 0–1 s "
	     "(rounds start at random moments; median of %u); the round trips are on a console already "
	     "open, and the pty alone alternates with the daemon's relay",
	     opt.console);
	destroy_all(g, 1);
}

/* vCPU hot-plug: one guest with room for VCPU_ROUNDS more vCPUs (they
 * can only be added), one SetVcpus live per round, timed call → return;
 * then the guest's own part, its CPU rescan and online, over the console. */
char *vcpu_guest_xml(const char *name)
{
	_cleanup_free_ char *base = harness_guest_xml(name), *vcpu = NULL;
	const char *at = strstr(base, "<vcpu>1</vcpu>");

	if (!at)
		fail_msg("the test guest's XML has no <vcpu>1</vcpu>");
	vcpu = xasprintf("<vcpu current='1'>%d</vcpu>", VCPU_ROUNDS + 1);
	return xasprintf("%.*s%s%s", (int)(at - base), base, vcpu, at + strlen("<vcpu>1</vcpu>"));
}

double guest_cpus_online(const char *name, const char *pty, unsigned k)
{
	uint64_t t0 = now_ns();
	_cleanup_free_ char *out = NULL, *want = xasprintf("online=0-%u", k - 1);

	if (harness_console_command(pty, "cpus online", 30000, &out) < 0 || !strstr(out, want))
		fail_msg("%s: the guest did not bring vCPU %u online: %s", name, k - 1, out ?: "");
	return ms_since(t0);
}

static void phase_vcpus(void)
{
	Guest g = {.name = xstrdup("bench-vcpus")};
	_cleanup_free_ char *xml = NULL, *pty = NULL;

	progress("vCPU hot-plug: %d rounds", VCPU_ROUNDS);
	g.console_log = harness_console_log(g.name);
	xml = vcpu_guest_xml(g.name);
	g.path = define(xml, NULL);
	(void)start_guest(&g);
	wait_ready(&g, 0);
	pty = harness_console_pty(g.path);
	for (unsigned k = 2; k <= VCPU_ROUNDS + 1; k++) {
		double ms;
		sd_bus_message_unref(
			callt(&ms, g.path, ZVIRT_DOMAIN_IFACE, "SetVcpus", "ua{sv}", k, 1, "live", "b", 1));
		series_add(&rows[ROW_VCPU_HOTPLUG].s, ms);
		if (pty)
			series_add(&rows[ROW_VCPU_ONLINE].s, guest_cpus_online(g.name, pty, k));
	}
	note("vCPU hot-plug: %d vCPUs added to one running guest, one per call; the guest's rescan and "
	     "online go over its console (tests/guest/init: cpus online), opened anew each time, so "
	     "QEMU's 1 s pty timer is in that figure",
	     VCPU_ROUNDS);
	destroy_all(&g, 1);
	/* The other phases count the domains defined. */
	sd_bus_message_unref(callt(NULL, g.path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 0));
	free(g.name);
	free(g.path);
	free(g.console_log);
}

/* ---- disk hot-plug, UpdateDevice, GetManagedObjects with disks ---- */

char *hotplug_image(const char *who)
{
	char *path = xasprintf("%s/hotplug-%s.qcow2", harness_tmpdir(), who);
	_cleanup_free_ char *cmd = xasprintf("qemu-img create -q -f qcow2 '%s' 64M", path);

	if (system(cmd) != 0)
		fail_msg("%s failed", cmd);
	return path;
}

char *hotplug_disk_xml(const char *image)
{
	return xasprintf("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
			 "<source file='%s'/><target dev='" HOTPLUG_TARGET "' bus='virtio'/>"
			 "<address type='ccw' cssid='0xfe' ssid='0x0' devno='" HOTPLUG_DEVNO "'/></disk>",
			 image);
}

char *update_disk_xml(const char *image, const char *cache)
{
	return xasprintf("<disk type='file' device='disk'><driver name='qemu' type='raw' cache='%s'/>"
			 "<source file='%s'/><target dev='vda' bus='virtio'/></disk>",
			 cache, image);
}

struct GuestConsole {
	int fd;
	char buf[16384];
	size_t len;
};

/* The next whole line (without \r\n) into line[], or false at the deadline. */
static bool console_line(GuestConsole *c, char *line, size_t size, uint64_t deadline_ns)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			snprintf(line, size, "%.*s", (int)(n > 0 && c->buf[n - 1] == '\r' ? n - 1 : n),
				 c->buf);
			c->len -= n + 1;
			memmove(c->buf, nl + 1, c->len);
			return true;
		}
		if (c->len == sizeof(c->buf))
			c->len = 0; /* a line that long is none we wait for */
		uint64_t now = now_ns();
		if (now >= deadline_ns)
			return false;
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int r = poll(&p, 1, (int)((deadline_ns - now) / 1000000ULL) + 1);
		if (r < 0 && errno != EINTR)
			fail_msg("console: poll: %m");
		ssize_t k = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (k == 0)
			fail_msg("console: end of file");
		if (k > 0)
			c->len += (size_t)k;
		else if (errno != EAGAIN && errno != EINTR)
			fail_msg("console: read: %m");
	}
}

/* Until a line equal to `want` (or to `alt`, may be NULL); which one. */
static int console_expect(GuestConsole *c, const char *want, const char *alt, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	char line[512];

	while (console_line(c, line, sizeof(line), deadline)) {
		if (strcmp(line, want) == 0)
			return 0;
		if (alt && strcmp(line, alt) == 0)
			return 1;
	}
	fail_msg("console: no \"%s\" within %d ms", want, timeout_ms);
	return -1;
}

static void console_write(GuestConsole *c, const char *text)
{
	size_t len = strlen(text), done = 0;

	while (done < len) {
		ssize_t n = write(c->fd, text + done, len - done);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			fail_msg("console: write: %m");
		if (n > 0)
			done += (size_t)n;
		else
			sleep_ms(1);
	}
}

GuestConsole *guest_console_open(const char *pty)
{
	GuestConsole *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	c->fd = open_console(pty);
	/* QEMU passes output to a pty it has seen opened, within a second. */
	console_write(c, "echo zvirt-bench-console\n");
	(void)console_expect(c, "zvirt-bench-console", NULL, 10000);
	(void)console_expect(c, "zvirt-guest: done echo", NULL, 10000);
	return c;
}

void guest_console_close(GuestConsole *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

bool guest_waitblk_begin(GuestConsole *c, bool present)
{
	_cleanup_free_ char *cmd =
		xasprintf("waitblk " HOTPLUG_BUSID " %s 30\n", present ? "present" : "absent");

	console_write(c, cmd);
	if (console_expect(c, "blk " HOTPLUG_BUSID " waiting", "zvirt-guest: unknown command waitblk",
			   10000) == 1) {
		(void)console_expect(c, "zvirt-guest: done waitblk", NULL, 10000);
		return false;
	}
	return true;
}

uint64_t guest_waitblk_end(GuestConsole *c, bool present)
{
	const char *want = present ? "blk " HOTPLUG_BUSID " present" : "blk " HOTPLUG_BUSID " absent";
	uint64_t t;

	if (console_expect(c, want, "blk " HOTPLUG_BUSID " timeout", 40000) == 1)
		fail_msg("the guest never saw its disk at " HOTPLUG_BUSID " %s", present ? "come" : "go");
	t = now_ns();
	(void)console_expect(c, "zvirt-guest: done waitblk", NULL, 10000);
	return t;
}

/*
 * Live attach and detach of a qcow2 disk on a booted guest, `hotplug`
 * rounds: each call timed from the benchmark's send to its reply, and
 * from the same send to the guest's own word that it has (or no longer
 * has) the disk, from a `waitblk` it started before the call.
 */
static void phase_hotplug(Guest *g)
{
	_cleanup_free_ char *image = hotplug_image("zvirtd"), *xml = hotplug_disk_xml(image);
	_cleanup_free_ char *pty = NULL, *device = NULL;
	GuestConsole *c;
	bool seen = true;

	progress("disk hot-plug: %u live attach + detach rounds", opt.hotplug);
	(void)start_guest(g);
	wait_ready(g, 0);
	pty = harness_console_pty(g->path);
	if (!pty)
		fail_msg("%s has no console pty", g->name);
	c = guest_console_open(pty);
	device = xasprintf("%s/disk/" HOTPLUG_TARGET, g->path);
	for (unsigned r = 0; r < opt.hotplug; r++) {
		double ms;
		uint64_t t0;

		seen = seen && guest_waitblk_begin(c, true);
		t0 = now_ns();
		{
			_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
				callt(&ms, g->path, ZVIRT_DOMAIN_IFACE, "AttachDevice", "sa{sv}", xml, 0);
			const char *o;
			if (sd_bus_message_read(reply, "o", &o) < 0 || strcmp(o, device) != 0)
				fail_msg("AttachDevice: expected %s", device);
		}
		series_add(&rows[ROW_ATTACH].s, ms);
		if (seen)
			series_add(&rows[ROW_ATTACH_SEEN].s, ms_between(t0, guest_waitblk_end(c, true)));
		else
			sleep_ms(1000); /* let the guest take it before it goes */

		if (seen)
			(void)guest_waitblk_begin(c, false);
		t0 = now_ns();
		sd_bus_message_unref(
			callt(&ms, g->path, ZVIRT_DOMAIN_IFACE, "DetachDevice", "sa{sv}", xml, 0));
		series_add(&rows[ROW_DETACH].s, ms);
		if (seen)
			series_add(&rows[ROW_DETACH_GONE].s, ms_between(t0, guest_waitblk_end(c, false)));
		else
			sleep_ms(1000);
	}
	if (!seen)
		note("Disk hot-plug: this test guest has no waitblk (tests/guest/build-guest.sh builds one "
		     "that has): the guest's side was not measured");
	note("Disk hot-plug: a 64 MiB qcow2 image at ccw " HOTPLUG_BUSID "; AttachDevice returns once "
	     "QEMU has the device, DetachDevice once QEMU's DEVICE_DELETED came; the guest's side is its "
	     "waitblk (started before the call, looking every 10 ms) to the line read here; %u rounds",
	     opt.hotplug);
	guest_console_close(c);
	destroy_all(g, 1);
}

/* A command that ends with an event (device_del): until both its return
 * and `event` naming `device` came, in whichever order QEMU sends them. */
static void qmp_command_until_event(Qemu *q, const char *json, const char *event, const char *device)
{
	_cleanup_free_ char *dev = xasprintf("\"device\": \"%s\"", device);
	bool returned = false, happened = false;
	char line[16384];

	if (write(q->qmp, json, strlen(json)) != (ssize_t)strlen(json))
		fail_msg("QMP: send: %m");
	while (!returned || !happened) {
		qmp_read_line(q, line, sizeof(line));
		if (strstr(line, "\"error\""))
			fail_msg("QMP %s: %s", json, line);
		if (strstr(line, "\"return\""))
			returned = true;
		else if (strstr(line, event) && strstr(line, dev))
			happened = true;
	}
}

/* The same plug and unplug on the guest's command line run by the
 * benchmark, with the QMP commands the daemon sends. */
static void phase_qemu_hotplug_alone(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/qemu-alone", harness_tmpdir());
	_cleanup_free_ char *image = hotplug_image("qemu-alone");
	_cleanup_free_ char *storage = NULL, *format = NULL, *device = NULL;
	Qemu q = {};

	if (!qemu_argv) {
		note("QEMU alone: hot-plug not measured, the guest's command line could not be read");
		return;
	}
	storage = xasprintf("{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"file\",\"filename\":"
			    "\"%s\",\"node-name\":\"hp-storage\",\"read-only\":false,\"discard\":\"unmap\","
			    "\"auto-read-only\":true}}\n",
			    image);
	format = xstrdup(
		"{\"execute\":\"blockdev-add\",\"arguments\":{\"node-name\":\"hp-format\",\"driver\":"
		"\"qcow2\",\"file\":\"hp-storage\",\"read-only\":false,\"backing\":null}}\n");
	device =
		xstrdup("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-blk-ccw\",\"devno\":"
			"\"fe.0.0007\",\"drive\":\"hp-format\",\"id\":\"hp\"}}\n");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %m", dir);
	q.console_log = xasprintf("%s/qemu-alone-hotplug.console.log", harness_log_dir());
	progress("QEMU alone: %u hot-plug rounds", opt.hotplug);
	qemu_alone_spawn(&q, qemu_argv, dir, 90);
	qemu_alone_handshake(&q);
	if (harness_wait_console(q.console_log, READY_LINE, BOOT_TIMEOUT_MS) < 0)
		fail_msg("QEMU alone: the guest did not boot");
	for (unsigned r = 0; r < opt.hotplug; r++) {
		uint64_t t0 = now_ns();
		qmp_command(&q, storage, -1, NULL, 0);
		qmp_command(&q, format, -1, NULL, 0);
		qmp_command(&q, device, -1, NULL, 0);
		series_add(&rows[ROW_QEMU_ATTACH].s, ms_since(t0));
		/* As for the daemon: the guest has taken the disk before it goes. */
		sleep_ms(1000);
		t0 = now_ns();
		qmp_command_until_event(&q, "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"hp\"}}\n",
					"DEVICE_DELETED", "hp");
		qmp_command(&q,
			    "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"hp-format\"}}\n",
			    -1, NULL, 0);
		qmp_command(&q,
			    "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"hp-storage\"}}\n",
			    -1, NULL, 0);
		series_add(&rows[ROW_QEMU_DETACH].s, ms_since(t0));
		sleep_ms(500);
	}
	(void)qemu_alone_kill(&q);
	free(q.console_log);
}

/* ---- NIC hot-plug and the guest's ping ---- */

char *nic_direct_xml(void)
{
	return xstrdup("<interface type='direct'><mac address='" NIC_MAC_DIRECT "'/>"
		       "<source dev='" NIC_DIRECT_DEV "' mode='bridge'/><model type='virtio'/></interface>");
}

char *nic_bridge_xml(void)
{
	return xstrdup("<interface type='bridge'><mac address='" NIC_MAC_BRIDGE "'/>"
		       "<source bridge='" NIC_BRIDGE "'/><model type='virtio'/></interface>");
}

/* The next line starting with `prefix` (the rest of it in rest[]), or a
 * failure at the deadline. */
static void console_expect_prefix(GuestConsole *c, const char *prefix, char *rest, size_t size,
				  int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	char line[512];

	while (console_line(c, line, sizeof(line), deadline))
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			snprintf(rest, size, "%s", line + strlen(prefix));
			return;
		}
	fail_msg("console: no \"%s…\" within %d ms", prefix, timeout_ms);
}

bool guest_waitnic_begin(GuestConsole *c, const char *mac, bool present)
{
	_cleanup_free_ char *cmd = xasprintf("waitnic %s %s\n", mac, present ? "present" : "absent");
	_cleanup_free_ char *waiting = xasprintf("nic %s waiting", mac);

	console_write(c, cmd);
	if (console_expect(c, waiting, "zvirt-guest: unknown command waitnic", 10000) == 1) {
		(void)console_expect(c, "zvirt-guest: done waitnic", NULL, 10000);
		return false;
	}
	return true;
}

uint64_t guest_waitnic_end(GuestConsole *c, const char *mac, bool present)
{
	_cleanup_free_ char *prefix = xasprintf("nic %s ", mac);
	char rest[256];
	uint64_t t;

	/* "present <ifname>", "absent" or "timeout" (after 30 s). */
	console_expect_prefix(c, prefix, rest, sizeof(rest), 40000);
	t = now_ns();
	if (strncmp(rest, present ? "present" : "absent", present ? 7 : 6) != 0)
		fail_msg("the guest never saw its NIC %s %s: %s", mac, present ? "come" : "go", rest);
	(void)console_expect(c, "zvirt-guest: done waitnic", NULL, 10000);
	return t;
}

/* One `ping <peer> <count>`: the average round trip the guest prints. */
static double guest_ping(GuestConsole *c, const char *peer, unsigned count)
{
	_cleanup_free_ char *cmd = xasprintf("ping %s %u\n", peer, count);
	_cleanup_free_ char *prefix = xasprintf("ping %s ", peer);
	char rest[256];
	double avg;

	console_write(c, cmd);
	console_expect_prefix(c, prefix, rest, sizeof(rest), (int)(count * 3000 + 10000));
	if (sscanf(rest, "ok %lf", &avg) != 1)
		fail_msg("the guest's ping of %s: %s", peer, rest);
	(void)console_expect(c, "zvirt-guest: done ping", NULL, 10000);
	return avg;
}

void guest_nic_pings(GuestConsole *c, const char *mac, const char *addr, const char *peer, Series *s)
{
	_cleanup_free_ char *cmd = xasprintf("netup %s %s\n", mac, addr);
	char rest[256];
	size_t len;

	console_write(c, cmd);
	console_expect_prefix(c, "netup ", rest, sizeof(rest), 30000);
	len = strlen(rest);
	if (len < 3 || strcmp(rest + len - 3, " ok") != 0)
		fail_msg("the guest could not bring up its NIC %s: netup %s", mac, rest);
	(void)console_expect(c, "zvirt-guest: done netup", NULL, 10000);
	/* The first request waits for ARP; not a round trip of the path. */
	(void)guest_ping(c, peer, 1);
	for (unsigned r = 0; r < opt.nic_pings; r++)
		series_add(s, guest_ping(c, peer, NIC_PING_COUNT));
}

static bool nic_net_ready;

/* A shell command line of fixed strings, in the benchmark's namespace. */
static void sh(const char *cmd)
{
	int r = system(cmd);

	if (r != 0)
		fail_msg("'%s' failed (status 0x%x)", cmd, (unsigned)r);
}

/*
 * The peers of both NICs and the limit, once per run (libvirt's rows use
 * the same ones later), all in the namespace main() entered: the host's
 * links are never touched. The limit is iputils `ping -c 20` from here
 * to a third peer through a bare veth pair, each reply's time a sample.
 */
static void nic_net_setup(void)
{
	FILE *p;
	char line[512];
	unsigned replies = 0;

	if (nic_net_ready)
		return;
	if (harness_netns_peer("bnd", NIC_DIRECT_DEV, "zvbp0", NIC_DIRECT_PEER "/24") < 0 ||
	    harness_netns_peer("bnb", "zvbh1", "zvbp1", NIC_BRIDGE_PEER "/24") < 0 ||
	    harness_netns_peer("bnl", "zvbh2", "zvbp2", "10.83.0.1/24") < 0)
		fail_msg("cannot make the peer namespaces of the NIC rows");
	sh("ip link add " NIC_BRIDGE " type bridge && ip link set " NIC_BRIDGE " up && "
	   "ip link set zvbh1 master " NIC_BRIDGE " && ip addr add 10.83.0.2/24 dev zvbh2");
	nic_net_ready = true;

	progress("NIC rows: the limit, ping -c 20 through a veth pair from the host namespace");
	p = popen("ping -c 20 -W 2 10.83.0.1 2>&1", "re");
	if (!p)
		fail_msg("cannot run ping: %m");
	while (fgets(line, sizeof(line), p)) {
		const char *t = strstr(line, " time=");
		if (t) {
			series_add(&rows[ROW_NIC_PING_VETH].s, strtod(t + strlen(" time="), NULL));
			replies++;
		} else if (strstr(line, "min/avg/max"))
			note("NIC rows, the limit: host namespace → veth → peer namespace, ping -c 20 (1 s "
			     "apart): "
			     "%u replies, %.*s",
			     replies, (int)strcspn(line, "\n"), line);
	}
	if (pclose(p) != 0 || replies == 0)
		fail_msg("the host's ping through the veth pair failed");
}

static void nic_net_cleanup(void)
{
	/* The peer namespaces (and their veth pairs) go at the harness's
	 * teardown; the bridge is the benchmark's namespace's own. */
	if (nic_net_ready)
		(void)!system("ip link del " NIC_BRIDGE " 2>/dev/null");
	nic_net_ready = false;
}

static void nic_call(double *ret_ms, Guest *g, const char *method, const char *xml)
{
	sd_bus_message_unref(
		callt(ret_ms, g->path, ZVIRT_DOMAIN_IFACE, method, "sa{sv}", xml, 1, "live", "b", 1));
}

/* Plug, `netup`, ping rounds, unplug: one NIC's ping row. */
static void nic_ping_row(Guest *g, GuestConsole *c, const char *xml, const char *mac, const char *addr,
			 const char *peer, RowId row)
{
	if (!guest_waitnic_begin(c, mac, true))
		fail_msg("this test guest has no waitnic");
	nic_call(NULL, g, "AttachDevice", xml);
	(void)guest_waitnic_end(c, mac, true);
	guest_nic_pings(c, mac, addr, peer, &rows[row].s);
	(void)guest_waitnic_begin(c, mac, false);
	nic_call(NULL, g, "DetachDevice", xml);
	(void)guest_waitnic_end(c, mac, false);
}

/*
 * A direct NIC (macvtap in bridge mode on a veth to a peer namespace)
 * plugged live into a booted guest and pulled, `hotplug` rounds: each
 * call timed from the send to the guest's own word that it has (or no
 * longer has) the NIC, from a `waitnic` it started before the call on
 * the console held open for the phase (so QEMU's 1 s pty timer is not in
 * it), and to the call's reply. Then the guest's ping to the peer, through
 * the direct NIC and through a bridge NIC.
 */
static void phase_nic(Guest *g)
{
	_cleanup_free_ char *direct = nic_direct_xml(), *bridge = nic_bridge_xml(), *pty = NULL;
	GuestConsole *c;

	nic_net_setup();
	progress("NIC hot-plug: %u live attach + detach rounds (direct), then the guest's pings",
		 opt.hotplug);
	(void)start_guest(g);
	wait_ready(g, 0);
	pty = harness_console_pty(g->path);
	if (!pty)
		fail_msg("%s has no console pty", g->name);
	c = guest_console_open(pty);
	for (unsigned r = 0; r < opt.hotplug; r++) {
		double ms;
		uint64_t t0;

		if (!guest_waitnic_begin(c, NIC_MAC_DIRECT, true))
			fail_msg("this test guest has no waitnic (tests/guest/build-guest.sh builds one "
				 "that has)");
		t0 = now_ns();
		nic_call(&ms, g, "AttachDevice", direct);
		series_add(&rows[ROW_NIC_ATTACH].s, ms);
		series_add(&rows[ROW_NIC_ATTACH_SEEN].s,
			   ms_between(t0, guest_waitnic_end(c, NIC_MAC_DIRECT, true)));

		(void)guest_waitnic_begin(c, NIC_MAC_DIRECT, false);
		t0 = now_ns();
		nic_call(&ms, g, "DetachDevice", direct);
		series_add(&rows[ROW_NIC_DETACH].s, ms);
		series_add(&rows[ROW_NIC_DETACH_GONE].s,
			   ms_between(t0, guest_waitnic_end(c, NIC_MAC_DIRECT, false)));
	}
	progress("NIC rows: the guest's pings through the direct NIC and through the bridge NIC");
	nic_ping_row(g, c, direct, NIC_MAC_DIRECT, NIC_DIRECT_GUEST, NIC_DIRECT_PEER, ROW_NIC_PING_DIRECT);
	nic_ping_row(g, c, bridge, NIC_MAC_BRIDGE, NIC_BRIDGE_GUEST, NIC_BRIDGE_PEER, ROW_NIC_PING_BRIDGE);
	note("NIC rows: in the benchmark's own network namespace (zvirtd and libvirtd run in it too); "
	     "direct = macvtap in bridge mode on a veth to a peer namespace, bridge = a tap on a Linux "
	     "bridge with a veth to another; the guest's side is its waitnic (started before the call, "
	     "looking every 10 ms) to the line read here; %u rounds; pings: %u runs of `ping <peer> %d` "
	     "in the guest after one unmeasured, each run's average",
	     opt.hotplug, opt.nic_pings, NIC_PING_COUNT);
	guest_console_close(c);
	destroy_all(g, 1);
}

/* ---- media change of a SCSI cdrom ---- */

char *medium_file(const char *who, const char *text)
{
	char *path = xasprintf("%s/medium-%s.iso", harness_tmpdir(), who);

	harness_write_file(path, text);
	if (truncate(path, 64 * 1024) < 0)
		fail_msg("truncate %s: %m", path);
	return path;
}

char *cdrom_xml(const char *medium)
{
	return xasprintf("<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
			 "<source file='%s'/><target dev='sda' bus='scsi'/><readonly/></disk>",
			 medium);
}

char *media_guest_xml(const char *name, const char *medium)
{
	_cleanup_free_ char *base = harness_guest_xml(name), *cd = cdrom_xml(medium);
	const char *at = strstr(base, "    <memballoon");

	if (!at)
		fail_msg("the test guest's XML has no <memballoon>");
	return xasprintf("%.*s    <controller type='scsi' index='0' model='virtio-scsi'/>\n    %s\n%s",
			 (int)(at - base), base, cd, at);
}

uint64_t guest_reads_medium(GuestConsole *c, const char *text, double *ret_step_ms)
{
	_cleanup_free_ char *want = NULL;
	uint64_t deadline = now_ns() + 30000ULL * 1000000ULL;
	char line[512];
	size_t n = strlen(text);

	want = calloc(1, 2 * n + 6);
	if (!want)
		abort();
	strcpy(want, "data=");
	for (size_t i = 0; i < n; i++)
		sprintf(want + 5 + 2 * i, "%02x", (unsigned char)text[i]);
	for (;;) {
		uint64_t t0 = now_ns(), seen = 0;
		_cleanup_free_ char *cmd = xasprintf("readdev sr0 %zu\n", n);

		console_write(c, cmd);
		for (;;) {
			if (!console_line(c, line, sizeof(line), deadline))
				fail_msg("the guest never read \"%s\" from its cdrom within 30 s", text);
			if (strcmp(line, want) == 0)
				seen = now_ns();
			else if (strcmp(line, "zvirt-guest: done readdev") == 0)
				break;
		}
		if (seen) {
			if (ret_step_ms)
				*ret_step_ms = ms_between(t0, seen);
			return seen;
		}
	}
}

/*
 * A live medium change on a booted guest with a SCSI cdrom: UpdateDevice
 * with the cdrom's XML and the other medium, `hotplug` rounds, call →
 * return, and from the same send until the guest's readdev (one after the
 * other on the console held open) reads the new medium. Before each
 * change one readdev of the medium in place: the step of that polling.
 */
static char **media_argv;

static void phase_media(void)
{
	Guest g = {.name = xstrdup("bench-media")};
	_cleanup_free_ char *a = medium_file("zvirtd-a", MEDIUM_TEXT_A),
			    *b = medium_file("zvirtd-b", MEDIUM_TEXT_B);
	_cleanup_free_ char *xml = media_guest_xml(g.name, a), *pty = NULL;
	GuestConsole *c;

	progress("media change: %u live UpdateDevice rounds", opt.hotplug);
	g.console_log = harness_console_log(g.name);
	g.path = define(xml, NULL);
	(void)start_guest(&g);
	wait_ready(&g, 0);
	media_argv = read_cmdline((pid_t)get_qemu_pid(g.path));
	pty = harness_console_pty(g.path);
	if (!pty)
		fail_msg("%s has no console pty", g.name);
	c = guest_console_open(pty);
	(void)guest_reads_medium(c, MEDIUM_TEXT_A, NULL);
	for (unsigned r = 0; r < opt.hotplug; r++) {
		const char *next = r % 2 ? a : b, *text = r % 2 ? MEDIUM_TEXT_A : MEDIUM_TEXT_B;
		_cleanup_free_ char *cd = cdrom_xml(next);
		double ms, step;
		uint64_t t0;

		(void)guest_reads_medium(c, r % 2 ? MEDIUM_TEXT_B : MEDIUM_TEXT_A, &step);
		series_add(&rows[ROW_MEDIA_READ].s, step);
		t0 = now_ns();
		sd_bus_message_unref(callt(&ms, g.path, ZVIRT_DOMAIN_IFACE, "UpdateDevice", "sa{sv}", cd, 1,
					   "live", "b", 1));
		series_add(&rows[ROW_MEDIA].s, ms);
		series_add(&rows[ROW_MEDIA_SEEN].s, ms_between(t0, guest_reads_medium(c, text, NULL)));
	}
	note("Media change: UpdateDevice (live) of a SCSI cdrom (virtio-scsi, raw 64 KiB media) with the "
	     "other medium, %u rounds; the guest's side is `readdev sr0` on the console, one after the "
	     "other until it reads the new medium's first bytes, so it is coarse by one readdev",
	     opt.hotplug);
	guest_console_close(c);
	destroy_all(&g, 1);
	sd_bus_message_unref(callt(NULL, g.path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 0));
	free(g.name);
	free(g.path);
	free(g.console_log);
}

/* The string value of "key" in a JSON argument of QEMU's command line
 * (-blockdev, compact as the daemon writes it); NULL when it has none. */
static char *json_string_of(const char *json, const char *key)
{
	_cleanup_free_ char *k = xasprintf("\"%s\":", key);
	const char *p = strstr(json, k);

	if (!p)
		return NULL;
	p += strlen(k);
	while (*p == ' ')
		p++;
	if (*p != '"')
		return NULL;
	p++;
	return xasprintf("%.*s", (int)strcspn(p, "\""), p);
}

/* The value of `key=` in a key=value,... argument (-device); NULL if none. */
static char *option_value(const char *arg, const char *key)
{
	_cleanup_free_ char *k = xasprintf(",%s=", key);
	const char *p = strstr(arg, k);

	if (!p)
		return NULL;
	p += strlen(k);
	return xasprintf("%.*s", (int)strcspn(p, ","), p);
}

/* `s` with every `from` replaced by `to`. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t n = 0, lf = strlen(from), lt = strlen(to);
	char *out, *o;

	for (const char *p = strstr(s, from); p; p = strstr(p + lf, from))
		n++;
	out = malloc(strlen(s) + n * (lt > lf ? lt - lf : 0) + 1);
	if (!out)
		abort();
	o = out;
	for (const char *p = s, *q;; p = q + lf) {
		q = strstr(p, from);
		if (!q) {
			strcpy(o, p);
			return out;
		}
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, lt);
		o += lt;
	}
}

/*
 * The same change on the media guest's command line run by the
 * benchmark: the QMP sequence the daemon sends, with the nodes as its
 * command line has them (the new file node's -blockdev with the other
 * file), one command after the other.
 */
static void phase_qemu_media_alone(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/qemu-alone", harness_tmpdir());
	_cleanup_free_ char *a = NULL, *b = NULL, *id = NULL, *format = NULL, *storage = NULL;
	const char *device = NULL, *format_arg = NULL, *storage_arg = NULL;
	Qemu q = {};

	if (!media_argv) {
		note("QEMU alone: media change not measured, the guest's command line could not be read");
		return;
	}
	for (char **p = media_argv; *p; p++)
		if (strncmp(*p, "scsi-cd,", strlen("scsi-cd,")) == 0)
			device = *p;
	id = device ? option_value(device, "id") : NULL;
	format = device ? option_value(device, "drive") : NULL;
	for (char **p = media_argv; format && p[0] && p[1]; p++) {
		_cleanup_free_ char *node = NULL;
		if (strcmp(p[0], "-blockdev") != 0)
			continue;
		node = json_string_of(p[1], "node-name");
		if (node && strcmp(node, format) == 0)
			format_arg = p[1];
	}
	storage = format_arg ? json_string_of(format_arg, "file") : NULL;
	for (char **p = media_argv; storage && p[0] && p[1]; p++) {
		_cleanup_free_ char *node = NULL;
		if (strcmp(p[0], "-blockdev") != 0)
			continue;
		node = json_string_of(p[1], "node-name");
		if (node && strcmp(node, storage) == 0)
			storage_arg = p[1];
	}
	if (!id || !storage_arg) {
		note("QEMU alone: media change not measured, no scsi-cd with its nodes in the command line");
		return;
	}
	a = medium_file("qemu-alone-a", MEDIUM_TEXT_A);
	b = medium_file("qemu-alone-b", MEDIUM_TEXT_B);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %m", dir);
	q.console_log = xasprintf("%s/qemu-alone-media.console.log", harness_log_dir());
	progress("QEMU alone: %u media changes", opt.hotplug);
	qemu_alone_spawn(&q, media_argv, dir, 91);
	qemu_alone_handshake(&q);
	if (harness_wait_console(q.console_log, READY_LINE, BOOT_TIMEOUT_MS) < 0)
		fail_msg("QEMU alone: the media guest did not boot");
	{
		_cleanup_free_ char *old = json_string_of(storage_arg, "filename");
		_cleanup_free_ char *open_tray =
			xasprintf("{\"execute\":\"blockdev-open-tray\",\"arguments\":{\"id\":\"%s\","
				  "\"force\":false}}\n",
				  id);
		_cleanup_free_ char *remove = xasprintf(
			"{\"execute\":\"blockdev-remove-medium\",\"arguments\":{\"id\":\"%s\"}}\n", id);
		_cleanup_free_ char *del_format = xasprintf(
			"{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"%s\"}}\n", format);
		_cleanup_free_ char *del_storage = xasprintf(
			"{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"%s\"}}\n", storage);
		_cleanup_free_ char *add_format =
			xasprintf("{\"execute\":\"blockdev-add\",\"arguments\":%s}\n", format_arg);
		_cleanup_free_ char *insert =
			xasprintf("{\"execute\":\"blockdev-insert-medium\","
				  "\"arguments\":{\"id\":\"%s\",\"node-name\":\"%s\"}}\n",
				  id, format);
		_cleanup_free_ char *close_tray = xasprintf(
			"{\"execute\":\"blockdev-close-tray\",\"arguments\":{\"id\":\"%s\"}}\n", id);

		if (!old)
			fail_msg("QEMU alone: the cdrom's file node has no filename: %s", storage_arg);
		for (unsigned r = 0; r < opt.hotplug; r++) {
			_cleanup_free_ char *node = replace_all(storage_arg, old, r % 2 ? a : b);
			_cleanup_free_ char *add_storage =
				xasprintf("{\"execute\":\"blockdev-add\",\"arguments\":%s}\n", node);
			uint64_t t0 = now_ns();

			qmp_command(&q, open_tray, -1, NULL, 0);
			qmp_command(&q, remove, -1, NULL, 0);
			qmp_command(&q, del_format, -1, NULL, 0);
			qmp_command(&q, del_storage, -1, NULL, 0);
			qmp_command(&q, add_storage, -1, NULL, 0);
			qmp_command(&q, add_format, -1, NULL, 0);
			qmp_command(&q, insert, -1, NULL, 0);
			qmp_command(&q, close_tray, -1, NULL, 0);
			series_add(&rows[ROW_QEMU_MEDIA].s, ms_since(t0));
			sleep_ms(500);
		}
	}
	(void)qemu_alone_kill(&q);
	free(q.console_log);
}

/* UpdateDevice with `config` on a shut-off domain: the cache mode of its
 * disk goes back and forth, each call one durable write; between the
 * calls the same write done by the benchmark, since the disk is not as
 * idle this late in the run as it was for Define's floor. */
static void phase_update(void)
{
	_cleanup_free_ char *image = xasprintf("%s/update.raw", harness_tmpdir());
	_cleanup_free_ char *base = harness_minimal_xml("bench-update", NULL);
	_cleanup_free_ char *none = update_disk_xml(image, "none"),
			    *wb = update_disk_xml(image, "writeback");
	_cleanup_free_ char *xml = NULL, *path = NULL;
	const char *at = strstr(base, "    <memballoon");

	progress("UpdateDevice, config only: %u calls", opt.update);
	harness_write_file(image, "");
	if (!at)
		fail_msg("the minimal XML has no <memballoon>");
	xml = xasprintf("%.*s    %s\n%s", (int)(at - base), base, wb, at);
	path = define(xml, NULL);
	for (unsigned i = 0; i < opt.update + 5; i++) {
		double ms;
		sd_bus_message_unref(callt(&ms, path, ZVIRT_DOMAIN_IFACE, "UpdateDevice", "sa{sv}",
					   i % 2 ? wb : none, 1, "config", "b", 1));
		if (i < 5)
			continue;
		series_add(&rows[ROW_UPDATE].s, ms);
		series_add(&rows[ROW_UPDATE_FLOOR].s, disk_floor_once());
	}
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
			callt(NULL, path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", "a{sv}", 1, "inactive", "b", 1);
		const char *now;
		/* The last call (i = update + 4) set it. */
		if (sd_bus_message_read(reply, "s", &now) < 0 ||
		    !strstr(now, (opt.update + 4) % 2 ? "cache='writeback'" : "cache='none'"))
			fail_msg("UpdateDevice: the definition does not have the last cache mode");
	}
	domain_call(NULL, path, "Undefine");
	(void)harness_flush_signals();
}

/* The size a message's body takes on the wire (D-Bus marshalling: each
 * value aligned to its type, arrays with their length, strings with
 * theirs and a NUL), walking what sd-bus read. */
static size_t align_to(size_t off, size_t a)
{
	return (off + a - 1) / a * a;
}

static size_t type_alignment(char t)
{
	switch (t) {
	case 'y':
	case 'g':
	case 'v':
		return 1;
	case 'n':
	case 'q':
		return 2;
	case 'x':
	case 't':
	case 'd':
	case 'r':
	case 'e':
	case '(':
	case '{':
		return 8;
	default:
		return 4;
	}
}

static size_t wire_size_of(sd_bus_message *m, size_t off)
{
	char type;
	const char *contents;
	int r;

	while ((r = sd_bus_message_peek_type(m, &type, &contents)) > 0) {
		if (type == 'a' || type == 'r' || type == 'e' || type == 'v') {
			if (type == 'v')
				/* Its signature, then the value. */
				off += 1 + strlen(contents) + 1;
			else if (type == 'a')
				off = align_to(align_to(off, 4) + 4, type_alignment(contents[0]));
			else
				off = align_to(off, 8);
			if (sd_bus_message_enter_container(m, type, contents) < 0)
				fail_msg("GetManagedObjects: cannot walk the reply");
			off = wire_size_of(m, off);
			if (sd_bus_message_exit_container(m) < 0)
				fail_msg("GetManagedObjects: cannot walk the reply");
			continue;
		}
		union {
			uint64_t u64;
			const char *s;
		} v;
		if (sd_bus_message_read_basic(m, type, &v) < 0)
			fail_msg("GetManagedObjects: cannot read the reply");
		off = align_to(off, type_alignment(type));
		if (type == 's' || type == 'o')
			off += 4 + strlen(v.s) + 1;
		else if (type == 'g')
			off += 1 + strlen(v.s) + 1;
		else if (type == 'y')
			off += 1;
		else if (type == 'n' || type == 'q')
			off += 2;
		else if (type == 'x' || type == 't' || type == 'd')
			off += 8;
		else
			off += 4;
	}
	if (r < 0)
		fail_msg("GetManagedObjects: cannot walk the reply");
	return off;
}

/* The object path's 32 hex digits as a dashed UUID. */
static char *uuid_of_path(const char *path)
{
	const char *h = strrchr(path, '/') + 1;

	return xasprintf("%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

/* Each of the 1000 domains redefined (same name and UUID) with 4 qcow2
 * disks (vda–vdd; the images need not exist for a definition), or back
 * without them: 1000 Domain and 4000 Disk objects. */
static void redefine_all(bool with_disks)
{
	for (unsigned i = 0; i < N_DOMAINS; i++) {
		_cleanup_free_ char *name =
			i < N_GUESTS ? xstrdup(guests[i].name) : xasprintf("bench-%05u", i);
		_cleanup_free_ char *path = harness_lookup(name), *uuid = NULL, *base = NULL, *xml = NULL;
		_cleanup_free_ char *disks = xstrdup("");
		const char *at;

		if (!path)
			fail_msg("%s is not defined", name);
		uuid = uuid_of_path(path);
		base = i < N_GUESTS ? harness_guest_xml_uuid(name, uuid) : harness_minimal_xml(name, uuid);
		for (unsigned k = 0; with_disks && k < 4; k++) {
			char *more =
				xasprintf("%s    <disk type='file' device='disk'><driver name='qemu' "
					  "type='qcow2' cache='none' io='native'/><source "
					  "file='/var/lib/zvirtd/images/%s-%u.qcow2'/><target dev='vd%c' "
					  "bus='virtio'/></disk>\n",
					  disks, name, k, 'a' + k);
			free(disks);
			disks = more;
		}
		at = strstr(base, "    <memballoon");
		if (!at)
			fail_msg("the XML of %s has no <memballoon>", name);
		xml = xasprintf("%.*s%s%s", (int)(at - base), base, disks, at);
		free(define(xml, NULL));
		if ((i + 1) % 200 == 0)
			(void)harness_flush_signals();
	}
	(void)harness_flush_signals();
}

static void phase_gmo_disks(void)
{
	unsigned domains = 0, disks = 0;
	double mb = NAN;

	progress("GetManagedObjects with 1000 domains × 4 disks: redefining them");
	redefine_all(true);
	progress("GetManagedObjects x%u", opt.gmo);
	for (unsigned i = 0; i < opt.gmo + 3; i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		double ms;

		reply = callt(&ms, ZVIRT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
			      "GetManagedObjects", NULL);
		if (i >= 3)
			series_add(&rows[ROW_GMO_DISKS].s, ms);
		if (i > 0)
			continue;
		/* Once: what it holds, and its size on the wire. */
		mb = (double)wire_size_of(reply, 0) / (1024.0 * 1024.0);
		if (sd_bus_message_rewind(reply, true) < 0 ||
		    sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}") < 0)
			fail_msg("GetManagedObjects: bad reply");
		while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
			const char *o;
			if (sd_bus_message_read(reply, "o", &o) < 0)
				fail_msg("GetManagedObjects: bad reply");
			/* The Host object (/org/zvirt1/host) is neither. */
			if (strstr(o, "/disk/"))
				disks++;
			else if (strncmp(o, "/org/zvirt1/domain/", strlen("/org/zvirt1/domain/")) == 0)
				domains++;
			if (sd_bus_message_skip(reply, "a{sa{sv}}") < 0 ||
			    sd_bus_message_exit_container(reply) < 0)
				fail_msg("GetManagedObjects: bad reply");
		}
		if (domains != N_DOMAINS || disks != 4 * N_DOMAINS)
			fail_msg("GetManagedObjects holds %u domains and %u disks, expected %d and %d",
				 domains, disks, N_DOMAINS, 4 * N_DOMAINS);
	}
	series_add(&rows[ROW_GMO_DISKS_SIZE].s, mb);
	note("GetManagedObjects with disks: %u Domain and %u Disk objects, %.2f MiB of D-Bus body (its "
	     "marshalled size, header not counted); the 1000 domains were redefined with 4 disks each, "
	     "and back without them afterwards",
	     domains, disks, mb);
	progress("GetManagedObjects with disks: redefining the domains without them");
	redefine_all(false);
}

static void phase_concurrent(void)
{
	char *paths[N_GUESTS];

	for (size_t i = 0; i < N_GUESTS; i++)
		paths[i] = guests[i].path;
	for (unsigned round = 0; round < opt.concurrent; round++) {
		double ms;

		progress("5 concurrent Starts, round %u/%u", round + 1, opt.concurrent);
		for (size_t i = 0; i < N_GUESTS; i++)
			(void)unlink(guests[i].console_log);
		ms = call_all(paths, N_GUESTS, "Start", false);
		for (size_t i = 0; i < N_GUESTS; i++)
			if (!state_is(paths[i], "running"))
				fail_msg("%s: Start returned, but it is not running", guests[i].name);
		series_add(&rows[ROW_CONCURRENT].s, ms);
		destroy_all(guests, N_GUESTS);
		/* Let QEMU's exit and the host settle before the next round. */
		sleep_ms(500);
	}
}

static void phase_restart(unsigned expect)
{
	unsigned ok = 0, runs = 0;

	progress("restart with %u defined and %d running: booting the guests", expect, N_GUESTS);
	for (size_t i = 0; i < N_GUESTS; i++)
		(void)start_guest(&guests[i]);
	for (size_t i = 0; i < N_GUESTS; i++)
		wait_ready(&guests[i], 0);

	for (unsigned k = 0; k < opt.restarts; k++) {
		RestartTimes t;
		unsigned attached = 0;

		progress("restart %u/%u", k + 1, opt.restarts);
		/* A new daemon probes QEMU in the background: let the last
		 * one's probe finish rather than measure against it. */
		sleep_ms(1000);
		t = restart_daemon();
		if (t.n_domains != expect)
			fail_msg("after the restart ListDomains returned %u domains, expected %u",
				 t.n_domains, expect);
		series_add(&rows[ROW_RESTART].s, t.total_ms);
		series_add(&rows[ROW_RESTART_START].s, t.start_ms);
		if (k == 0)
			series_add(&rows[ROW_RSS_RESTART].s,
				   rss_mb(harness_daemon_pid(), "after a restart"));
		/* Reattached = still running, the same QEMU, and QMP answers
		 * (Suspend and Resume go through it). */
		(void)sig_mark();
		for (size_t i = 0; i < N_GUESTS; i++) {
			Guest *g = &guests[i];
			if (!state_is(g->path, "running") || get_qemu_pid(g->path) != g->pid)
				continue;
			domain_call(NULL, g->path, "Suspend");
			domain_call(NULL, g->path, "Resume");
			attached++;
		}
		runs++;
		if (attached == N_GUESTS)
			ok++;
	}
	note("Restart: measured from SIGTERM to the first successful ListDomains of a waiting client; "
	     "all %d guests reattached (running, same QemuPid, Suspend+Resume through QMP) after %u of %u "
	     "restarts",
	     N_GUESTS, ok, runs);
	destroy_all(guests, N_GUESTS);
}

static void phase_scale(void)
{
	_cleanup_free_ Guest *g = calloc(N_SCALE_GUESTS, sizeof(*g));
	char *paths[N_SCALE_GUESTS];
	unsigned expect = N_SCALE_DOMAINS;
	unsigned attached = 0;
	RestartTimes t;
	double ms;

	if (!g)
		abort();
	progress("--scale: defining up to %u domains", N_SCALE_DOMAINS);
	phase_define(N_DOMAINS, N_SCALE_DOMAINS, &rows[ROW_SCALE_DEFINE]);
	for (unsigned i = 0; i < 20; i++)
		(void)list_domains(NULL);
	for (unsigned i = 0; i < opt.scale_list; i++) {
		unsigned n = list_domains(&ms);
		if (n != expect)
			fail_msg("ListDomains returned %u domains, expected %u", n, expect);
		series_add(&rows[ROW_SCALE_LIST].s, ms);
	}
	series_add(&rows[ROW_SCALE_RSS].s, rss_mb(harness_daemon_pid(), "with 10 000 defined"));
	for (unsigned k = 0; k < opt.scale_restarts; k++) {
		progress("--scale: restart %u/%u with %u defined", k + 1, opt.scale_restarts, expect);
		sleep_ms(1000);
		t = restart_daemon();
		if (t.n_domains != expect)
			fail_msg("after the restart ListDomains returned %u domains, expected %u",
				 t.n_domains, expect);
		series_add(&rows[ROW_SCALE_START].s, t.start_ms);
	}

	/* 50 guests, started paused: reattaching is the same work for a
	 * paused QEMU, and 50 booting TCG guests on 2 CPUs would measure the
	 * CPU shortage instead. They replace 50 of the minimal domains in the
	 * count, so 10 000 stay defined. */
	progress("--scale: 50 guests, started paused");
	for (size_t i = 0; i < N_SCALE_GUESTS; i++) {
		_cleanup_free_ char *xml = NULL;
		_cleanup_free_ char *old_name = xasprintf("bench-%05zu", (size_t)N_SCALE_DOMAINS - 1 - i);
		_cleanup_free_ char *old = harness_lookup(old_name);

		if (old)
			domain_call(NULL, old, "Undefine");
		g[i].name = xasprintf("bench-scale-%02zu", i);
		g[i].console_log = harness_console_log(g[i].name);
		xml = harness_guest_xml(g[i].name);
		g[i].path = define(xml, NULL);
		paths[i] = g[i].path;
	}
	(void)harness_flush_signals();
	for (size_t i = 0; i < N_SCALE_GUESTS; i += 5)
		(void)call_all(paths + i, N_SCALE_GUESTS - i < 5 ? N_SCALE_GUESTS - i : 5, "Start", true);
	for (size_t i = 0; i < N_SCALE_GUESTS; i++) {
		if (!state_is(g[i].path, "paused"))
			fail_msg("%s: started paused, but it is not paused", g[i].name);
		g[i].pid = get_qemu_pid(g[i].path);
	}

	for (unsigned k = 0; k < opt.scale_restarts; k++) {
		uint64_t t_resume;

		progress("--scale: restart %u/%u with %u defined + 50 running", k + 1, opt.scale_restarts,
			 expect);
		sleep_ms(1000);
		t = restart_daemon();
		if (t.n_domains != expect)
			fail_msg("after the restart ListDomains returned %u domains, expected %u",
				 t.n_domains, expect);
		series_add(&rows[ROW_SCALE_REATTACH].s, t.total_ms);
		if (k + 1 < opt.scale_restarts)
			continue;
		/* The last time, prove every QMP connection is back: Resume
		 * all 50 at once, counted from SIGTERM like the
		 * answer (an upper bound: the harness notices the new daemon
		 * up to 5 ms late). */
		t_resume = now_ns();
		ms = call_all(paths, N_SCALE_GUESTS, "Resume", false);
		series_add(&rows[ROW_SCALE_QMP].s, ms_between(t.t0, t_resume) + ms);
		for (size_t i = 0; i < N_SCALE_GUESTS; i++)
			if (state_is(g[i].path, "running") && get_qemu_pid(g[i].path) == g[i].pid)
				attached++;
	}
	note("--scale: %u of %d guests started paused were reattached (same QemuPid) and answered Resume "
	     "through QMP after the last restart",
	     attached, N_SCALE_GUESTS);
	destroy_all(g, N_SCALE_GUESTS);
	for (size_t i = 0; i < N_SCALE_GUESTS; i++) {
		free(g[i].name);
		free(g[i].path);
		free(g[i].console_log);
	}
}

static void run_benchmark(void **state)
{
	unsigned i;

	bench_bus_open();
	{
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		if (sd_bus_get_property_string(B, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
					       "Version", &error, &daemon_version) < 0)
			daemon_version = NULL;
	}

	series_add(&rows[ROW_RSS_EMPTY].s, rss_mb(harness_daemon_pid(), "with nothing defined"));

	if (opt.only_nic) {
		/* --only nic: one bootable guest, the NIC rows, libvirt's. */
		guests[0].name = xstrdup("bench-guest-0");
		guests[0].console_log = harness_console_log(guests[0].name);
		{
			_cleanup_free_ char *xml = harness_guest_xml(guests[0].name);
			guests[0].path = define(xml, NULL);
		}
		(void)harness_flush_signals();
		phase_nic(&guests[0]);
		goto libvirt;
	}
	if (opt.only_host) {
		phase_host();
		goto done;
	}
	if (opt.only_migrate) {
		phase_migrate();
		goto libvirt;
	}
	if (opt.only_cockpit) {
		static Row scratch; /* the defines are not this phase's figures */
		progress("defining %d domains", N_DOMAINS);
		phase_define(0, N_DOMAINS, &scratch);
		free(scratch.s.v);
		(void)harness_flush_signals();
		phase_cockpit(N_DOMAINS);
		goto done;
	}

	/* The 5 bootable guests are among the 1000, defined first. */
	progress("defining %d domains (%d of them bootable)", N_DOMAINS, N_GUESTS);
	for (i = 0; i < N_GUESTS; i++) {
		_cleanup_free_ char *xml = NULL;
		double ms;

		guests[i].name = xasprintf("bench-guest-%u", i);
		guests[i].console_log = harness_console_log(guests[i].name);
		xml = harness_guest_xml(guests[i].name);
		guests[i].path = define(xml, &ms);
		series_add(&rows[ROW_DEFINE].s, ms);
	}
	phase_define(N_GUESTS, N_DOMAINS, &rows[ROW_DEFINE]);
	(void)harness_flush_signals();
	phase_disk_floor();

	phase_queries(N_DOMAINS);
	/* After serving the lists: whatever they cache counts. */
	series_add(&rows[ROW_RSS].s, rss_mb(harness_daemon_pid(), "with 1000 defined"));
	phase_stall();
	phase_cockpit(N_DOMAINS);

	phase_lifecycle(&guests[0]);
	phase_qemu_alone();
	phase_events(&guests[0]);
	phase_concurrent();
	phase_restart(N_DOMAINS);
	(void)harness_flush_signals();
	phase_save();
	phase_qemu_save_alone();
	(void)harness_flush_signals();
	phase_migrate();
	phase_console(&guests[0]);
	(void)harness_flush_signals();
	phase_vcpus();
	(void)harness_flush_signals();
	phase_hotplug(&guests[0]);
	phase_qemu_hotplug_alone();
	(void)harness_flush_signals();
	phase_nic(&guests[0]);
	(void)harness_flush_signals();
	phase_media();
	phase_qemu_media_alone();
	phase_update();
	phase_gmo_disks();

	if (opt.scale)
		phase_scale();
	/* Last of zvirtd's phases: the daemon restarts on the simulator and
	 * stays on it. */
	(void)harness_flush_signals();
	phase_host();
libvirt:
	if (opt.with_libvirt)
		phase_libvirt();
done:
	nic_net_cleanup();

	bench_bus_close();
	for (i = 0; i < N_GUESTS; i++) {
		free(guests[i].name);
		free(guests[i].path);
		free(guests[i].console_log);
	}
	free(minimal_path);
	minimal_path = NULL;
	strv_free(qemu_argv);
	qemu_argv = NULL;
	strv_free(media_argv);
	media_argv = NULL;
}

/* ---- the run directory ---- */

static int rm_rf_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

void rm_rf(const char *path)
{
	(void)nftw(path, rm_rf_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static struct sigaction harness_actions[3];
static const int chained_signals[3] = {SIGTERM, SIGINT, SIGHUP};

/* Ours first, then the harness's, which kills the guests and re-raises. */
static void on_fatal_signal(int sig)
{
	if (run_dir_own)
		rm_rf(run_dir);
	libvirt_emergency_cleanup();
	for (size_t i = 0; i < ELEMENTSOF(chained_signals); i++)
		if (chained_signals[i] == sig && harness_actions[i].sa_handler != SIG_DFL &&
		    harness_actions[i].sa_handler != SIG_IGN) {
			harness_actions[i].sa_handler(sig);
			return;
		}
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * The daemon's RunDir is a tmpfs in production (/run/zvirtd), and every
 * state change rewrites a status file there. The harness puts it next to
 * StateDir, on a disk, which would charge Suspend, Resume and every event
 * a journalled rename a real host never pays. Use a tmpfs like a host does;
 * StateDir (definitions, written with fsync) stays on the disk.
 */
static void setup_run_dir(void)
{
	struct statfs sf;
	struct sigaction sa = {.sa_handler = on_fatal_signal};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(chained_signals); i++)
		sigaction(chained_signals[i], &sa, &harness_actions[i]);

	if (statfs("/run", &sf) == 0 && sf.f_type == TMPFS_MAGIC)
		run_dir = xasprintf("/run/zvirt-bench-%d", (int)getpid());
	else if (statfs("/dev/shm", &sf) == 0 && sf.f_type == TMPFS_MAGIC)
		run_dir = xasprintf("/dev/shm/zvirt-bench-%d", (int)getpid());
	if (run_dir && mkdir(run_dir, 0700) < 0 && errno != EEXIST) {
		free(run_dir);
		run_dir = NULL;
	}
	if (run_dir) {
		run_dir_own = true;
		return;
	}
	run_dir = xasprintf("%s/run", harness_tmpdir());
	note("RunDir is on the same file system as StateDir: no tmpfs found at /run or /dev/shm");
}

static void remove_run_dir(void)
{
	/* One inside the harness's directory goes with it. */
	if (run_dir_own)
		rm_rf(run_dir);
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: zvirt-bench [--runs N] [--scale] [--with-libvirt] [--only "
		"nic|host|migrate|cockpit]\n"
		"\n"
		"Measures zvirtd against its performance targets on a private bus with the\n"
		"real polkitd and real s390x guests (TCG), and prints a table. Root only.\n"
		"\n"
		"  --runs N   Start/Destroy/Shutdown cycles (default %u; half Destroy, half\n"
		"             Shutdown); other guest rows scale with it\n"
		"  --scale    also 10 000 defined domains and 50 reattached guests\n"
		"  --with-libvirt  the same rows against libvirtd + libvirt-dbus (installed)\n"
		"             in a private mount namespace on the same bus, for ratios\n"
		"  --only nic the NIC hot-plug and ping rows alone (with libvirt's if asked)\n"
		"  --only host the host device rows alone, on the sysfs simulator (no libvirt)\n"
		"  --only migrate the live migration rows alone (a second daemon on this machine)\n"
		"  --only cockpit the Cockpit page's rows alone, 1000 defined (no libvirt)\n"
		"\n"
		"Environment: ZVIRTD_BINARY, ZVIRTD_LOG_PUMP, ZVIRT_SOURCE_ROOT (defaults: this build),\n"
		"ZVIRT_GUEST_DIR (else tests/guest/build-guest.sh runs), TMPDIR (keep it on\n"
		"a disk file system: Define is measured with its fsync), ZVIRT_KEEP_TMP=1.\n",
		opt.cycles);
}

static int parse_args(int argc, char **argv)
{
	static const struct option options[] = {
		{"runs", required_argument, NULL, 'r'},   {"scale", no_argument, NULL, 's'},
		{"with-libvirt", no_argument, NULL, 'l'}, {"only", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},         {},
	};
	int c;

	while ((c = getopt_long(argc, argv, "hr:s", options, NULL)) >= 0) {
		switch (c) {
		case 'r': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*end || n < 2 || n > 1000) {
				fprintf(stderr, "zvirt-bench: --runs wants a number from 2 to 1000\n");
				return -EINVAL;
			}
			opt.cycles = (unsigned)n;
			opt.concurrent = opt.restarts = opt.events = opt.stall = opt.saves = opt.migrations =
				(unsigned)(n + 1) / 2;
			break;
		}
		case 's':
			opt.scale = true;
			break;
		case 'l':
			opt.with_libvirt = true;
			break;
		case 'o':
			if (strcmp(optarg, "nic") == 0)
				opt.only_nic = true;
			else if (strcmp(optarg, "host") == 0)
				opt.only_host = true;
			else if (strcmp(optarg, "migrate") == 0)
				opt.only_migrate = true;
			else if (strcmp(optarg, "cockpit") == 0)
				opt.only_cockpit = true;
			else {
				fprintf(stderr, "zvirt-bench: --only knows four phases: nic, host, migrate, "
						"cockpit\n");
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (opt.only_nic + opt.only_host + opt.only_migrate + opt.only_cockpit > 1) {
		fprintf(stderr, "zvirt-bench: --only takes one phase\n");
		return -EINVAL;
	}
	if ((opt.only_host || opt.only_cockpit) && opt.with_libvirt) {
		fprintf(stderr,
			"zvirt-bench: --only host and --only cockpit have no libvirt rows (README.md "
			"says why)\n");
		return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "zvirt-bench: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(run_benchmark)};
	const char *binary;
	int failed, r, saved_stdout;

	r = parse_args(argc, argv);
	if (r <= 0)
		return r < 0 ? 2 : 0;
	read_load();
	if (geteuid() != 0) {
		fprintf(stderr, "zvirt-bench: must run as root (polkitd's namespace, QEMU, the daemon)\n");
		return 2;
	}
	/* The build's own daemon and tree unless told otherwise. */
	if (!getenv("ZVIRTD_BINARY"))
		setenv("ZVIRTD_BINARY", ZVIRT_BENCH_ZVIRTD, 1);
	if (!getenv("ZVIRTD_LOG_PUMP"))
		setenv("ZVIRTD_LOG_PUMP", ZVIRT_BENCH_LOG_PUMP, 1);
	if (!getenv("ZVIRT_SOURCE_ROOT"))
		setenv("ZVIRT_SOURCE_ROOT", ZVIRT_BENCH_SOURCE_ROOT, 1);
	if (!getenv("ZVIRT_SYSFS_SIM"))
		setenv("ZVIRT_SYSFS_SIM", ZVIRT_BENCH_SYSFS_SIM, 1);
	binary = getenv("ZVIRTD_BINARY");
	if (access(binary, X_OK) < 0) {
		fprintf(stderr, "zvirt-bench: %s: %m (build zvirtd first)\n", binary);
		return 2;
	}

	/* The NIC rows make links: in a network namespace of the
	 * benchmark's own, entered before the bus, polkitd, zvirtd and
	 * libvirtd start, so that all of them live in it. */
	if (harness_enter_netns() < 0)
		return 2;
	r = harness_setup(HARNESS_NO_DAEMON);
	if (r >= 0) {
		setup_run_dir();
		reload_log_level(default_log_level());
		r = harness_start_daemon();
	}
	if (r < 0) {
		fprintf(stderr, "zvirt-bench: setting up the bus, polkitd and zvirtd failed: %s\n",
			strerror(-r));
		harness_dump_logs();
		remove_run_dir();
		harness_teardown();
		return 1;
	}
	if (strcmp(default_log_level(), "info") != 0)
		note("zvirtd ran with LogLevel=%s (ZVIRT_BENCH_LOG_LEVEL): slower than a production daemon",
		     default_log_level());

	/* cmocka turns a failed check into a clean return from the group
	 * (with the bus, polkitd, daemon and guests still ours to tear
	 * down); its chatter goes to stderr, stdout is for the table. */
	fflush(stdout);
	saved_stdout = dup(STDOUT_FILENO);
	if (saved_stdout >= 0)
		(void)dup2(STDERR_FILENO, STDOUT_FILENO);
	failed = _cmocka_run_group_tests("zvirt-bench", tests, ELEMENTSOF(tests), NULL, NULL);
	libvirt_cleanup();
	fflush(stdout);
	if (saved_stdout >= 0) {
		(void)dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
	}
	if (failed) {
		if (B)
			bench_bus_close();
		harness_dump_logs();
	}
	remove_run_dir();
	harness_teardown();
	free(run_dir);

	set_relative_targets();
	print_report(!failed);
	free(daemon_version);
	for (size_t i = 0; i < n_notes; i++)
		free(notes[i]);
	for (size_t i = 0; i < N_ROWS; i++)
		free(rows[i].s.v);
	return failed ? 1 : 0;
}
