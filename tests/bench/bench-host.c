/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host device rows (tests/bench/README.md, issue 11): ListCcwDevices and
 * ListDasds with 1000 generated DASDs, SetCcwOnline until the block device
 * is there, ZfcpAddUnit until the SCSI device is, all against the sysfs
 * simulator (tests/sysfs-sim). Each beside its limit: the benchmark doing
 * the same sysfs reads or writes itself on the same mount, in the same run.
 * libvirt has no figure here: its node device driver reads the real /sys
 * through libudev and cannot be pointed at the simulator.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define HOST_PATH  "/org/zvirt1/host"
#define HOST_IFACE "org.zvirt1.Host"
#define CCW_IFACE  "org.zvirt1.CcwDevice"

#define N_GENERATED 1000
/* The first generated DASD: formatted, offline, no alias. */
#define ONLINE_BUSID "0.0.a000"
#define ZFCP_BUSID   "0.0.1700"
#define ZFCP_WWPN    "0x500507630513c1ae"
#define ZFCP_LUN     "0x402340bc00000000"
#define ZFCP_SCSI    "2:0:17:1086079011"

#define HOST_LISTS  10 /* calls per list row (after 2 unmeasured): each reads ~1000 devices */
#define HOST_ROUNDS 10 /* SetCcwOnline and ZfcpAddUnit rounds */
#define WAIT_MS     10000

/* ---- the limit of the lists: the daemon's reads, done here ---- */

/* open, read, close: what sysfs_read_attr does. */
static void read_attr(const char *dir, const char *attr)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, attr);
	char buf[4096];
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	(void)!read(fd, buf, sizeof(buf));
	close(fd);
}

static bool busid_like(const char *s)
{
	unsigned c, ss, d;
	char end;

	return sscanf(s, "%x.%x.%4x%c", &c, &ss, &d, &end) == 3;
}

/*
 * One listing as backend/host/ccw-device.c reads it (access, realpath, cutype,
 * devtype, availability, online, the block/ directory, the driver link) and,
 * with `dasds`, what backend/host/dasd.c adds for a DASD (status, alias,
 * uid, the block device's dev, size and logical block size when online,
 * the by-path node). Returns the devices found, the DASDs in *ret_dasds.
 */
static unsigned own_listing(const char *sys, const char *dev, bool dasds, unsigned *ret_dasds)
{
	_cleanup_free_ char *devices = xasprintf("%s/bus/ccw/devices", sys);
	unsigned n = 0, n_dasds = 0;
	struct dirent *e;
	DIR *d;

	d = opendir(devices);
	if (!d)
		fail_msg("%s: %m", devices);
	while ((e = readdir(d))) {
		_cleanup_free_ char *dir = NULL, *blockdir = NULL, *link = NULL, *node = NULL;
		char real[PATH_MAX], target[PATH_MAX], block[NAME_MAX + 1] = "";
		const char *driver = "";
		ssize_t k;
		DIR *b;

		if (!busid_like(e->d_name))
			continue;
		dir = xasprintf("%s/%s", devices, e->d_name);
		if (faccessat(AT_FDCWD, dir, F_OK, AT_SYMLINK_NOFOLLOW) < 0 || !realpath(dir, real))
			continue;
		read_attr(dir, "cutype");
		read_attr(dir, "devtype");
		read_attr(dir, "availability");
		read_attr(dir, "online");
		blockdir = xasprintf("%s/block", dir);
		b = opendir(blockdir);
		if (b) {
			struct dirent *be;
			while ((be = readdir(b)))
				if (be->d_name[0] != '.') {
					snprintf(block, sizeof(block), "%s", be->d_name);
					break;
				}
			closedir(b);
		}
		link = xasprintf("%s/driver", dir);
		k = readlink(link, target, sizeof(target) - 1);
		if (k > 0) {
			target[k] = 0;
			driver = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
		}
		n++;
		if (strcmp(driver, "dasd-eckd") != 0 && strcmp(driver, "dasd-fba") != 0)
			continue;
		n_dasds++;
		if (!dasds)
			continue;
		read_attr(dir, "status");
		read_attr(dir, "alias");
		read_attr(dir, "uid");
		if (block[0]) {
			_cleanup_free_ char *bdir = xasprintf("%s/%s", blockdir, block);
			read_attr(bdir, "dev");
			read_attr(bdir, "size");
			read_attr(bdir, "queue/logical_block_size");
		}
		node = xasprintf("%s/disk/by-path/ccw-%s", dev, e->d_name);
		(void)access(node, F_OK);
	}
	closedir(d);
	if (ret_dasds)
		*ret_dasds = n_dasds;
	return n;
}

/* The entries of the reply's one array of `contents`. */
static unsigned count_array(sd_bus_message *reply, const char *contents)
{
	unsigned n = 0;
	int r = sd_bus_message_enter_container(reply, 'a', contents);

	if (r < 0)
		fail_msg("reply: %s", strerror(-r));
	while ((r = sd_bus_message_at_end(reply, false)) == 0) {
		r = sd_bus_message_skip(reply, contents);
		if (r < 0)
			fail_msg("reply: %s", strerror(-r));
		n++;
	}
	if (r < 0)
		fail_msg("reply: %s", strerror(-r));
	return n;
}

/* A list call, HOST_LISTS times after 2 unmeasured, each followed by
 * its limit (the benchmark's own reads of the same sysfs), so that both
 * see the same load of the machine (the simulator is a process like any
 * other); the reply must hold want entries. */
static void measure_list(const char *sys, const char *dev, const char *method, const char *entry_type,
			 bool dasds, unsigned want, int row, int floor_row)
{
	for (unsigned i = 0; i < HOST_LISTS + 2; i++) {
		double ms;
		sd_bus_message *reply =
			bench_call(&ms, ZVIRT_BUS_NAME, HOST_PATH, HOST_IFACE, method, "a{sv}", 0);
		unsigned n = count_array(reply, entry_type);

		sd_bus_message_unref(reply);
		if (n != want)
			fail_msg("%s returned %u entries, sysfs has %u", method, n, want);
		uint64_t t0 = now_ns();
		(void)own_listing(sys, dev, dasds, NULL);
		if (i >= 2) {
			series_add(&rows[floor_row].s, ms_since(t0));
			series_add(&rows[row].s, ms);
		}
	}
}

static void phase_lists(void)
{
	const char *sys = harness_sim_sysfs(), *dev = harness_sim_devroot();
	unsigned n_ccw, n_dasds;

	n_ccw = own_listing(sys, dev, false, &n_dasds);
	if (n_dasds < N_GENERATED)
		fail_msg("the simulator shows %u DASDs, expected at least %d", n_dasds, N_GENERATED);
	progress("host: ListCcwDevices (%u devices) and ListDasds (%u DASDs), %d calls each", n_ccw, n_dasds,
		 HOST_LISTS);
	measure_list(sys, dev, "ListCcwDevices", "(sssbs)", false, n_ccw, ROW_HOST_LIST_CCW,
		     ROW_HOST_LIST_CCW_FLOOR);
	measure_list(sys, dev, "ListDasds", "a{sv}", true, n_dasds, ROW_HOST_LIST_DASD,
		     ROW_HOST_LIST_DASD_FLOOR);
}

/* ---- SetCcwOnline until the block device is there ---- */

typedef struct OnlineWait {
	bool want;          /* the Online value waited for */
	uint64_t reply_ns;  /* 0 until the call returned */
	uint64_t signal_ns; /* 0 until PropertiesChanged(Online=want) was read */
	uint64_t node_ns;   /* 0 until the by-path node is seen (want) */
	char *error;        /* the call's error, if it failed */
	const char *node;   /* DevRoot/disk/by-path/ccw-<id> */
} OnlineWait;

static int on_online_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	uint64_t t = now_ns();
	OnlineWait *w = userdata;
	const char *iface;

	if (!w || sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, CCW_IFACE) != 0)
		return 0;
	if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return 0;
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		const char *name;
		int b;

		if (sd_bus_message_read(m, "s", &name) < 0)
			return 0;
		if (strcmp(name, "Online") == 0 && sd_bus_message_read(m, "v", "b", &b) >= 0) {
			if (!b == !w->want && !w->signal_ns)
				w->signal_ns = t;
		} else if (sd_bus_message_skip(m, "v") < 0)
			return 0;
		if (sd_bus_message_exit_container(m) < 0)
			return 0;
	}
	return 0;
}

static int on_online_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	OnlineWait *w = userdata;

	w->reply_ns = now_ns();
	if (sd_bus_message_is_method_error(m, NULL))
		w->error = xasprintf("%s: %s", sd_bus_message_get_error(m)->name,
				     sd_bus_message_get_error(m)->message ?: "");
	return 0;
}

static bool online_done(void *userdata)
{
	OnlineWait *w = userdata;

	if (w->want && !w->node_ns && access(w->node, F_OK) == 0)
		w->node_ns = now_ns();
	return w->error || (w->reply_ns && w->signal_ns && (!w->want || w->node_ns));
}

/* SetCcwOnline(ONLINE_BUSID, want) sent; until it returned, the signal
 * came and (online) the node is there. How long. */
static double set_online_timed(OnlineWait *w, bool want, bool aliases)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	uint64_t t0, end, deadline;
	int r;

	free(w->error);
	*w = (OnlineWait){.want = want, .node = w->node};
	r = sd_bus_message_new_method_call(B, &m, ZVIRT_BUS_NAME, HOST_PATH, HOST_IFACE, "SetCcwOnline");
	if (r >= 0)
		r = aliases ? sd_bus_message_append(m, "sba{sv}", ONLINE_BUSID, (int)want, 0)
			    : sd_bus_message_append(m, "sba{sv}", ONLINE_BUSID, (int)want, 1, "aliases", "b",
						    0);
	if (r < 0)
		fail_msg("SetCcwOnline: %s", strerror(-r));
	t0 = now_ns();
	r = sd_bus_call_async(B, NULL, m, on_online_reply, w, CALL_TIMEOUT_USEC);
	if (r < 0)
		fail_msg("SetCcwOnline: %s", strerror(-r));
	/* Short waits: the node is looked for between them (about 1 ms). */
	deadline = t0 + (uint64_t)WAIT_MS * 1000000ULL;
	while (!bench_wait(online_done, w, 1, -1))
		if (now_ns() > deadline)
			fail_msg(
				"SetCcwOnline %s %s: after %d ms returned %s, PropertiesChanged %s, node %s",
				ONLINE_BUSID, want ? "true" : "false", WAIT_MS, w->reply_ns ? "yes" : "no",
				w->signal_ns ? "read" : "not read", w->node_ns ? "there" : "missing");
	if (w->error)
		fail_msg("SetCcwOnline %s %s failed: %s", ONLINE_BUSID, want ? "true" : "false", w->error);
	if (want)
		progress("host: SetCcwOnline%s: returned +%.1f ms, Online signal +%.1f ms, node +%.1f ms",
			 aliases ? "" : " (aliases false)", ms_between(t0, w->reply_ns),
			 ms_between(t0, w->signal_ns), ms_between(t0, w->node_ns));
	end = w->reply_ns > w->signal_ns ? w->reply_ns : w->signal_ns;
	if (want && w->node_ns > end)
		end = w->node_ns;
	return ms_between(t0, end);
}

static void sim_write_or_fail(const char *path, const char *value)
{
	int r = harness_sim_write(path, value);

	if (r < 0)
		fail_msg("echo %s > %s (simulator): %s", value, path, strerror(-r));
}

/* Until path exists, looking every 0.1 ms; fails after WAIT_MS. */
static uint64_t wait_exists(const char *path)
{
	uint64_t deadline = now_ns() + (uint64_t)WAIT_MS * 1000000ULL;

	while (access(path, F_OK) < 0) {
		if (now_ns() > deadline)
			fail_msg("%s did not appear within %d ms", path, WAIT_MS);
		usleep(100);
	}
	return now_ns();
}

static void phase_online(void)
{
	_cleanup_free_ char *node = xasprintf("%s/disk/by-path/ccw-%s", harness_sim_devroot(), ONLINE_BUSID);
	_cleanup_free_ char *obj = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	OnlineWait w = {.node = node};
	int r;

	r = sd_bus_path_encode("/org/zvirt1/host/ccw", ONLINE_BUSID, &obj);
	if (r < 0)
		fail_msg("sd_bus_path_encode: %s", strerror(-r));
	r = sd_bus_match_signal(B, &slot, ZVIRT_BUS_NAME, obj, "org.freedesktop.DBus.Properties",
				"PropertiesChanged", on_online_changed, &w);
	if (r < 0)
		fail_msg("PropertiesChanged match: %s", strerror(-r));
	progress("host: SetCcwOnline %s until %s exists, %d rounds, %d more with aliases false",
		 ONLINE_BUSID, node, HOST_ROUNDS, HOST_ROUNDS);
	/* chccwdev -e as it is (the daemon looks for the base's aliases
	 * first), then with option aliases false (it does not). */
	for (unsigned k = 0; k < 2 * HOST_ROUNDS; k++) {
		bool aliases = k < HOST_ROUNDS;

		series_add(&rows[aliases ? ROW_HOST_ONLINE : ROW_HOST_ONLINE_NOALIAS].s,
			   set_online_timed(&w, true, aliases));
		(void)set_online_timed(&w, false, aliases);
		if (access(node, F_OK) == 0)
			fail_msg("%s is still there after SetCcwOnline false", node);
		/* The daemon reads a device 50 ms after a burst of uevents:
		 * let that one pass before the next round. */
		sleep_ms(200);
	}
	free(w.error);
	w.error = NULL;

	for (unsigned k = 0; k < HOST_ROUNDS; k++) {
		uint64_t t0 = now_ns();

		sim_write_or_fail("bus/ccw/devices/" ONLINE_BUSID "/online", "1");
		series_add(&rows[ROW_HOST_ONLINE_FLOOR].s, ms_between(t0, wait_exists(node)));
		sim_write_or_fail("bus/ccw/devices/" ONLINE_BUSID "/online", "0");
		sleep_ms(200);
	}
}

/* ---- ZfcpAddUnit until the SCSI device is there ---- */

static void phase_zfcp(void)
{
	_cleanup_free_ char *scsi = xasprintf("%s/bus/scsi/devices/" ZFCP_SCSI, harness_sim_sysfs());

	/* The FCP device online, unmeasured: the rows are about the unit. */
	sd_bus_message_unref(bench_call(NULL, ZVIRT_BUS_NAME, HOST_PATH, HOST_IFACE, "SetCcwOnline",
					"sba{sv}", ZFCP_BUSID, 1, 0));
	progress("host: ZfcpAddUnit %s %s %s, %d rounds", ZFCP_BUSID, ZFCP_WWPN, ZFCP_LUN, HOST_ROUNDS);
	for (unsigned k = 0; k < HOST_ROUNDS; k++) {
		double ms;
		const char *address;
		sd_bus_message *reply = bench_call(&ms, ZVIRT_BUS_NAME, HOST_PATH, HOST_IFACE, "ZfcpAddUnit",
						   "sssa{sv}", ZFCP_BUSID, ZFCP_WWPN, ZFCP_LUN, 0);
		int r = sd_bus_message_read(reply, "s", &address);

		if (r < 0 || strcmp(address, ZFCP_SCSI) != 0)
			fail_msg("ZfcpAddUnit returned %s, expected %s", r < 0 ? strerror(-r) : address,
				 ZFCP_SCSI);
		sd_bus_message_unref(reply);
		series_add(&rows[ROW_HOST_ZFCP].s, ms);
		/* The scan takes 200 ms and the daemon looks every 50 ms. */
		if (ms > 300)
			note("ZfcpAddUnit round %u took %.0f ms", k + 1, ms);
		sd_bus_message_unref(bench_call(NULL, ZVIRT_BUS_NAME, HOST_PATH, HOST_IFACE,
						"ZfcpRemoveUnit", "sssa{sv}", ZFCP_BUSID, ZFCP_WWPN,
						ZFCP_LUN, 0));
		if (access(scsi, F_OK) == 0)
			fail_msg("%s is still there after ZfcpRemoveUnit", scsi);
		sleep_ms(100);
	}
	for (unsigned k = 0; k < HOST_ROUNDS; k++) {
		uint64_t t0 = now_ns();

		sim_write_or_fail("bus/ccw/devices/" ZFCP_BUSID "/" ZFCP_WWPN "/unit_add", ZFCP_LUN);
		series_add(&rows[ROW_HOST_ZFCP_FLOOR].s, ms_between(t0, wait_exists(scsi)));
		sim_write_or_fail("bus/ccw/devices/" ZFCP_BUSID "/" ZFCP_WWPN "/unit_remove", ZFCP_LUN);
		sleep_ms(100);
	}
	sd_bus_message_unref(bench_call(NULL, ZVIRT_BUS_NAME, HOST_PATH, HOST_IFACE, "SetCcwOnline",
					"sba{sv}", ZFCP_BUSID, 0, 0));
}

void phase_host(void)
{
	_cleanup_free_ char *seed_path = NULL, *seed = NULL, *scenario = NULL, *text = NULL;
	const char *src = getenv("ZVIRT_SOURCE_ROOT");
	int r;

	/* The seed's devices and 1000 generated DASDs, written at run time
	 * so that the seed has one copy. */
	seed_path = xasprintf("%s/tests/sysfs-sim/seed.ini", src ?: ".");
	seed = harness_read_file(seed_path);
	if (!seed)
		fail_msg("%s: cannot read it", seed_path);
	text = xasprintf("%s\n[generate]\neckd = %d 0.0.a000\n", seed, N_GENERATED);
	scenario = xasprintf("%s/bench-host.ini", harness_tmpdir());
	harness_write_file(scenario, text);

	progress("host: the sysfs simulator with the seed's devices and %d DASDs; the daemon restarts "
		 "on it",
		 N_GENERATED);
	r = harness_sim_start(scenario, NULL);
	if (r < 0)
		fail_msg("the sysfs simulator did not start: %s", strerror(-r));
	/* The restarted daemon reads every device for its CcwDevice objects;
	 * let that settle before the first call. */
	sleep_ms(500);

	phase_lists();
	phase_online();
	phase_zfcp();
	note("Host rows: against tests/sysfs-sim (FUSE) with seed.ini's devices and %d generated ECKD "
	     "DASDs; the limit lines are the benchmark's own reads and writes on the same mount. libvirt "
	     "has no column here: its node device driver reads the real /sys through libudev",
	     N_GENERATED);
}
