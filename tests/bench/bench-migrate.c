/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The live migration rows (--only migrate, and part of the default run):
 * a guest moves between this daemon and a second one on the same machine
 * (the harness's peer, its own bus, polkitd and zvirtd), there and back,
 * so that one booted guest serves several rounds; then the same with two
 * bare QEMUs started from the daemon's own command line, the floor.
 *
 * Every signal that ends a figure is stamped as it is read: the peer's bus
 * has a connection of the benchmark's own with its own matches, polled
 * together with the primary's, and Migrate itself is sent asynchronously
 * so that no blocking call holds a signal back.
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define JOB_IFACE "org.zvirt1.Job"
/* The destination's relocation server on its own loopback address, and
 * this daemon's (for the way back), as tests/integration/test-migrate.c. */
#define PEER_CONF      "[Relocation]\nServer=yes\nAddress=127.0.0.3\n"
#define PRIMARY_RELOC  "\n[Relocation]\nServer=yes\nAddress=127.0.0.2\n"
#define MIG_TIMEOUT_MS 120000
/* QEMU alone's data ports: one per round, away from [Relocation]
 * PortMin–PortMax, on the destination's address. */
#define QEMU_MIG_ADDRESS   "127.0.0.3"
#define QEMU_MIG_PORT_BASE 47310
#define UNLIMITED_BYTES    "1152921504606846976"

const MigCase mig_cases[N_MIG_CASES] = {
	{256, 0, false, ROW_MIG_256, ROW_MIG_256_DOWN, ROW_QEMU_MIG_256, ROW_QEMU_MIG_256_DOWN},
	{256, 100, false, ROW_MIG_256_CAP, ROW_MIG_256_CAP_DOWN, ROW_QEMU_MIG_256_CAP,
	 ROW_QEMU_MIG_256_CAP_DOWN},
	{256, 0, true, ROW_MIG_DIRTY, ROW_MIG_DIRTY_DOWN, ROW_QEMU_MIG_DIRTY, ROW_QEMU_MIG_DIRTY_DOWN},
	{512, 0, false, ROW_MIG_512, ROW_MIG_512_DOWN, ROW_QEMU_MIG_512, ROW_QEMU_MIG_512_DOWN},
	{512, 100, false, ROW_MIG_512_CAP, ROW_MIG_512_CAP_DOWN, ROW_QEMU_MIG_512_CAP,
	 ROW_QEMU_MIG_512_CAP_DOWN},
};

const MigCase mig_copy_case = {
	256, 0, false, ROW_MIG_COPY, ROW_MIG_COPY_DOWN, ROW_QEMU_MIG_COPY, ROW_QEMU_MIG_COPY_DOWN, true};

/* The guest sizes, in the order of mig_cases; each size's command line
 * is kept for QEMU alone. */
const unsigned mig_sizes[N_MIG_SIZES] = {256, 512};
static char **boot_argv[N_MIG_SIZES];

/* ---- the two hosts and their signals ---- */

typedef struct MigSignal {
	char *path;
	bool job; /* Job Completed; else StateChanged */
	bool success;
	char *state, *reason;
	uint64_t mono_ns;
} MigSignal;

typedef struct Host {
	const char *name;
	sd_bus *bus; /* B for this daemon; a connection of our own to the peer's */
	sd_bus_slot *slots[2];
	MigSignal *sigs;
	size_t n, cap;
	const char *address; /* its bus, as a source on the other host names it */
} Host;

static Host hosts[2] = {{.name = "this daemon"}, {.name = "the peer"}};

static void record(Host *h, const MigSignal *s)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		MigSignal *n = realloc(h->sigs, cap * sizeof(*n));
		if (!n)
			abort();
		h->sigs = n;
		h->cap = cap;
	}
	h->sigs[h->n++] = *s;
}

static int on_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	uint64_t mono = now_ns(), seq;
	const char *state, *reason;

	if (sd_bus_message_read(m, "sst", &state, &reason, &seq) < 0)
		return 0;
	record(userdata, &(MigSignal){.path = xstrdup(sd_bus_message_get_path(m)),
				      .state = xstrdup(state),
				      .reason = xstrdup(reason),
				      .mono_ns = mono});
	return 0;
}

static int on_completed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	uint64_t mono = now_ns();
	const char *error;
	int success;

	if (sd_bus_message_read(m, "bs", &success, &error) < 0)
		return 0;
	record(userdata, &(MigSignal){.path = xstrdup(sd_bus_message_get_path(m)),
				      .job = true,
				      .success = success,
				      .reason = xstrdup(error),
				      .mono_ns = mono});
	return 0;
}

static void host_watch(Host *h)
{
	int r = sd_bus_add_match(h->bus, &h->slots[0],
				 "type='signal',interface='" ZVIRT_DOMAIN_IFACE "',member='StateChanged',"
				 "path_namespace='/org/zvirt1/domain'",
				 on_state, h);
	if (r >= 0)
		r = sd_bus_add_match(h->bus, &h->slots[1],
				     "type='signal',interface='" JOB_IFACE "',member='Completed',"
				     "path_namespace='/org/zvirt1/job'",
				     on_completed, h);
	if (r < 0)
		fail_msg("%s: cannot add the migration matches: %s", h->name, strerror(-r));
}

static void hosts_open(void)
{
	sd_bus *bus = NULL;
	int r;

	hosts[0].bus = B;
	hosts[0].address = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	if (!hosts[0].address)
		fail_msg("DBUS_SYSTEM_BUS_ADDRESS is not set");
	hosts[1].address = harness_peer_bus_address();
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, hosts[1].address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, true);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0)
		fail_msg("cannot connect to the peer's bus %s: %s", hosts[1].address, strerror(-r));
	(void)sd_bus_set_description(bus, "zvirt-bench-peer");
	hosts[1].bus = bus;
	for (size_t i = 0; i < ELEMENTSOF(hosts); i++)
		host_watch(&hosts[i]);
}

static void hosts_close(void)
{
	for (size_t i = 0; i < ELEMENTSOF(hosts); i++) {
		Host *h = &hosts[i];
		for (size_t k = 0; k < ELEMENTSOF(h->slots); k++)
			h->slots[k] = sd_bus_slot_unref(h->slots[k]);
		for (size_t k = 0; k < h->n; k++) {
			free(h->sigs[k].path);
			free(h->sigs[k].state);
			free(h->sigs[k].reason);
		}
		free(h->sigs);
		h->sigs = NULL;
		h->n = h->cap = 0;
	}
	hosts[1].bus = sd_bus_flush_close_unref(hosts[1].bus);
	hosts[0].bus = NULL;
}

static void host_process(Host *h)
{
	int r;

	while ((r = sd_bus_process(h->bus, NULL)) > 0)
		;
	if (r < 0)
		fail_msg("%s: bus: %s", h->name, strerror(-r));
}

/* Dispatch both buses, then sleep in poll() on both until done(userdata)
 * or the timeout; tick(userdata) (may be NULL) about every 100 ms. */
static bool hosts_wait(bool (*done)(void *), void (*tick)(void *), void *userdata, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ULL, next_tick = now_ns();

	for (;;) {
		struct pollfd p[ELEMENTSOF(hosts)];
		uint64_t now;
		int wait_ms, r;

		for (size_t i = 0; i < ELEMENTSOF(hosts); i++)
			host_process(&hosts[i]);
		if (done(userdata))
			return true;
		now = now_ns();
		if (now >= deadline)
			return false;
		if (tick && now >= next_tick) {
			tick(userdata);
			next_tick = now + 100 * 1000000ULL;
		}
		for (size_t i = 0; i < ELEMENTSOF(hosts); i++)
			p[i] = (struct pollfd){.fd = sd_bus_get_fd(hosts[i].bus),
					       .events = (short)sd_bus_get_events(hosts[i].bus)};
		wait_ms = (int)((deadline - now) / 1000000ULL) + 1;
		if (tick && wait_ms > 100)
			wait_ms = 100;
		r = poll(p, ELEMENTSOF(hosts), wait_ms);
		if (r < 0 && errno != EINTR)
			fail_msg("poll: %m");
	}
}

static const MigSignal *find_state(const Host *h, size_t from, const char *path, const char *state,
				   const char *reason)
{
	for (size_t i = from; i < h->n; i++)
		if (!h->sigs[i].job && strcmp(h->sigs[i].path, path) == 0 &&
		    strcmp(h->sigs[i].state, state) == 0 && strcmp(h->sigs[i].reason, reason) == 0)
			return &h->sigs[i];
	return NULL;
}

static const MigSignal *find_job(const Host *h, size_t from, const char *job)
{
	for (size_t i = from; i < h->n; i++)
		if (h->sigs[i].job && strcmp(h->sigs[i].path, job) == 0)
			return &h->sigs[i];
	return NULL;
}

/* A call on h's bus that must succeed. Unref the reply. */
static sd_bus_message *host_call(Host *h, const char *path, const char *iface, const char *method,
				 const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	sd_bus_message *reply = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(h->bus, &m, ZVIRT_BUS_NAME, path, iface, method);
	if (r >= 0 && types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_call(h->bus, m, CALL_TIMEOUT_USEC, &error, &reply);
	if (r < 0)
		fail_msg("%s: %s.%s on %s failed: %s: %s", h->name, iface, method, path,
			 error.name ?: "(local)", error.message ?: strerror(-r));
	return reply;
}

static char *host_get_string(Host *h, const char *path, const char *iface, const char *property)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	char *v = NULL;
	int r = sd_bus_get_property_string(h->bus, ZVIRT_BUS_NAME, path, iface, property, &error, &v);

	if (r < 0)
		fail_msg("%s: Get %s on %s: %s", h->name, property, path, error.message ?: strerror(-r));
	return v;
}

static pid_t host_qemu_pid(Host *h, const char *path)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	uint32_t v = 0;
	int r = sd_bus_get_property_trivial(h->bus, ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE, "QemuPid",
					    &error, 'u', &v);

	if (r < 0 || v == 0)
		fail_msg("%s: no QemuPid on %s: %s", h->name, path, error.message ?: strerror(-r));
	return (pid_t)v;
}

/* Whether a domain of that name is known on h. */
static bool host_has(Host *h, const char *name)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

	return sd_bus_call_method(h->bus, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
				  "LookupDomainByName", &error, &reply, "sa{sv}", name, 0) >= 0;
}

/* ---- one migration ---- */

/* The job's dirty rate and throttle, read while it runs (asynchronous
 * Gets, so that no signal waits behind them). Static: a reply may come
 * after its round is over. */
static struct {
	Series dirty;      /* DirtyRateMiBps, every nonzero reading */
	uint32_t throttle; /* the highest ThrottlePercent */
	unsigned in_flight;
} job_stats;

static int on_job_property(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *which = userdata;
	job_stats.in_flight--;
	if (sd_bus_message_is_method_error(m, NULL))
		return 0;
	if (strcmp(which, "t") == 0) {
		uint64_t v;
		if (sd_bus_message_read(m, "v", "t", &v) > 0 && v > 0)
			series_add(&job_stats.dirty, (double)v);
	} else {
		uint32_t v;
		if (sd_bus_message_read(m, "v", "u", &v) > 0 && v > job_stats.throttle)
			job_stats.throttle = v;
	}
	return 0;
}

typedef struct Round {
	Host *src, *dst;
	const char *path; /* the domain's: the same UUID, so the same path on both */
	bool watch_job;
	sd_bus_slot *call;
	bool replied;
	char *job, *error;
	size_t src_from, dst_from;
	const MigSignal *completed, *paused, *src_off, *dst_running;
} Round;

static int on_migrate_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Round *w = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	const char *job;

	w->replied = true;
	if (e)
		w->error = xasprintf("%s: %s", e->name, e->message ?: "");
	else if (sd_bus_message_read(m, "o", &job) < 0 || strcmp(job, "/") == 0)
		w->error = xstrdup("no job in the reply");
	else
		w->job = xstrdup(job);
	return 0;
}

static bool round_done(void *userdata)
{
	Round *w = userdata;

	if (w->error)
		return true;
	if (w->job && !w->completed)
		w->completed = find_job(w->src, w->src_from, w->job);
	if (!w->paused)
		w->paused = find_state(w->src, w->src_from, w->path, "paused", "migrating");
	if (!w->src_off)
		w->src_off = find_state(w->src, w->src_from, w->path, "shut-off", "migrated");
	if (!w->dst_running)
		w->dst_running = find_state(w->dst, w->dst_from, w->path, "running", "migrated");
	if (w->completed && !w->completed->success)
		return true;
	return w->completed && w->dst_running && w->src_off;
}

static void round_tick(void *userdata)
{
	Round *w = userdata;
	static const char *const props[][2] = {{"DirtyRateMiBps", "t"}, {"ThrottlePercent", "u"}};

	if (!w->watch_job || !w->job || w->completed || job_stats.in_flight > 0)
		return;
	for (size_t i = 0; i < ELEMENTSOF(props); i++)
		if (sd_bus_call_method_async(w->src->bus, NULL, ZVIRT_BUS_NAME, w->job,
					     "org.freedesktop.DBus.Properties", "Get", on_job_property,
					     (void *)props[i][1], "ss", JOB_IFACE, props[i][0]) >= 0)
			job_stats.in_flight++;
}

/* Domain.Migrate of `name` from src to dst, live (with the case's cap and
 * auto-converge for a dirtying guest): the time from the call to the
 * later of the source's Job Completed and the destination's running/
 * migrated, and the downtime between the source's paused/migrating and
 * that. Returns once the source is shut-off/migrated and, from the peer,
 * its transient domain is gone. */
static void migrate_once(Host *src, Host *dst, const char *path, const char *name, const MigCase *c)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	Round w = {.src = src, .dst = dst, .path = path, .watch_job = c->dirty};
	uint64_t t0, end;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(hosts); i++)
		host_process(&hosts[i]);
	w.src_from = src->n;
	w.dst_from = dst->n;
	r = sd_bus_message_new_method_call(src->bus, &m, ZVIRT_BUS_NAME, path, ZVIRT_DOMAIN_IFACE,
					   "Migrate");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", dst->address);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}", "live", "b", 1);
	if (r >= 0 && c->cap_mibps)
		r = sd_bus_message_append(m, "{sv}", "bandwidth-MiBps", "t", c->cap_mibps);
	if (r >= 0 && c->dirty)
		r = sd_bus_message_append(m, "{sv}", "auto-converge", "b", 1);
	if (r >= 0 && c->copy)
		r = sd_bus_message_append(m, "{sv}", "copy-storage-all", "b", 1);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0)
		fail_msg("building Migrate: %s", strerror(-r));
	t0 = now_ns();
	r = sd_bus_call_async(src->bus, &w.call, m, on_migrate_reply, &w, CALL_TIMEOUT_USEC);
	if (r < 0)
		fail_msg("sending Migrate: %s", strerror(-r));
	if (!hosts_wait(round_done, round_tick, &w, MIG_TIMEOUT_MS))
		fail_msg("%s → %s: %s did not arrive within %d ms (job %s: %s)", src->name, dst->name, name,
			 MIG_TIMEOUT_MS, w.job ?: "none", w.completed ? "completed" : "not completed");
	w.call = sd_bus_slot_unref(w.call);
	if (w.error)
		fail_msg("%s: Migrate to %s failed: %s", name, dst->name, w.error);
	if (!w.completed->success) {
		_cleanup_free_ char *error = host_get_string(src, w.job, JOB_IFACE, "Error");
		fail_msg("%s: the migration to %s failed: %s", name, dst->name, error);
	}
	end = w.completed->mono_ns > w.dst_running->mono_ns ? w.completed->mono_ns : w.dst_running->mono_ns;
	series_add(&rows[c->time].s, ms_between(t0, end));
	if (w.paused)
		series_add(&rows[c->down].s, ms_between(w.paused->mono_ns, w.dst_running->mono_ns));
	else
		note("%s → %s (%s): the source never said paused/migrating, no downtime for that round",
		     src->name, dst->name, rows[c->time].what);
	progress("  %s → %s: %.1f ms, downtime %.1f ms", src->name, dst->name, ms_between(t0, end),
		 w.paused ? ms_between(w.paused->mono_ns, w.dst_running->mono_ns) : NAN);
	free(w.job);
	free(w.error);

	/* From the peer its domain is transient: it goes, and must be gone
	 * before it can come back. */
	if (src == &hosts[1]) {
		uint64_t g0 = now_ns();
		while (host_has(src, name)) {
			if (ms_since(g0) > 10000)
				fail_msg("%s is still on %s 10 s after it left", name, src->name);
			sleep_ms(5);
		}
	}
}

/* ---- the guests ---- */

/*
 * `dirty <mib>` on the guest's console, then until the guest has filled its
 * buffer once: QEMU's anonymous memory has grown by the buffer, then 2 s
 * more. Not "grown, then flat" as guest_dirty() waits: a guest that keeps
 * rewriting the buffer (and a QEMU that just received it, whose TCG code
 * buffer and newly touched guest pages grow) never stays flat.
 */
void mig_start_dirtying(const char *pty, pid_t qemu_pid, unsigned mib)
{
	_cleanup_free_ char *cmd = xasprintf("dirty %u", mib);
	_cleanup_free_ char *out = NULL;
	double before = rss_of(qemu_pid).anon, grown = 0;
	uint64_t t0;

	if (harness_console_command(pty, cmd, 30000, &out) < 0 || !out || !strstr(out, "dirtying"))
		fail_msg("the guest did not take \"%s\" on %s: %s", cmd, pty, out ?: "");
	t0 = now_ns();
	while ((grown = rss_of(qemu_pid).anon - before) < mib) {
		if (ms_since(t0) > 30000) {
			note("dirty %u: QEMU's memory grew by only %.0f MiB in 30 s; migrated anyway", mib,
			     grown);
			break;
		}
		sleep_ms(250);
	}
	sleep_ms(2000);
}

/*
 * The dirty rate the job reports (DirtyRateMiBps): QEMU computes it at most
 * once a second, at the end of a pass over memory, so a migration over in
 * a fraction of a second (the timed rounds, on loopback) never shows one.
 * So first a probe, not timed: Migrate capped at 50 MiB/s, the job's
 * property read every 100 ms until it shows a rate, then AbortJob; the
 * guest runs on where it was.
 */
static bool probe_dirty_rate(Host *src, Host *dst, const char *path, const char *name)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *job = NULL, *state = NULL;
	uint64_t rate = 0, t0;
	size_t from;
	const char *j;

	for (size_t i = 0; i < ELEMENTSOF(hosts); i++)
		host_process(&hosts[i]);
	from = src->n;
	reply = host_call(src, path, ZVIRT_DOMAIN_IFACE, "Migrate", "sa{sv}", dst->address, 2, "live", "b",
			  1, "bandwidth-MiBps", "t", (uint64_t)50);
	if (sd_bus_message_read(reply, "o", &j) < 0)
		fail_msg("Migrate: bad reply");
	job = xstrdup(j);
	t0 = now_ns();
	while (rate == 0 && ms_since(t0) < 30000 && !find_job(src, from, job)) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		sleep_ms(100);
		for (size_t i = 0; i < ELEMENTSOF(hosts); i++)
			host_process(&hosts[i]);
		if (sd_bus_get_property_trivial(src->bus, ZVIRT_BUS_NAME, job, JOB_IFACE, "DirtyRateMiBps",
						&error, 't', &rate) < 0)
			rate = 0;
	}
	if (rate > 0)
		note("live migration, dirtying guest (dirty %u): the job's DirtyRateMiBps, the known rate: "
		     "%" PRIu64 " MiB/s (a probe migration capped at 50 MiB/s, read every 100 ms: it showed "
		     "after %.1f s; then AbortJob)",
		     MIG_DIRTY_MIB, rate, ms_since(t0) / 1000.0);
	else
		note("live migration, dirtying guest: the probe's job showed no DirtyRateMiBps in %.0f s",
		     ms_since(t0) / 1000.0);
	if (!find_job(src, from, job))
		sd_bus_message_unref(host_call(src, path, ZVIRT_DOMAIN_IFACE, "AbortJob", "a{sv}", 0));
	for (t0 = now_ns(); !find_job(src, from, job); sleep_ms(5)) {
		if (ms_since(t0) > 30000)
			fail_msg("%s: the probe migration did not end 30 s after AbortJob", name);
		for (size_t i = 0; i < ELEMENTSOF(hosts); i++)
			host_process(&hosts[i]);
	}
	/* Over before the abort: the guest moved. */
	if (find_job(src, from, job)->success) {
		note("live migration, dirtying guest: the probe migration completed before AbortJob");
		return true;
	}
	state = host_get_string(src, path, ZVIRT_DOMAIN_IFACE, "State");
	if (strcmp(state, "running") != 0)
		fail_msg("%s: %s after the aborted probe migration, expected running", name, state);
	/* Nothing may stay on the destination: there it was a transient
	 * domain (or, back here, the definition it came to). */
	for (t0 = now_ns(); dst == &hosts[1] && host_has(dst, name); sleep_ms(5))
		if (ms_since(t0) > 10000)
			fail_msg("%s is still on %s 10 s after the aborted probe", name, dst->name);
	return false;
}

/* The rounds of one case, alternating directions; *at is where the guest
 * runs (0 here, 1 on the peer) and is updated. */
static void daemon_rounds(const char *path, const char *name, const MigCase *c, size_t *at)
{
	for (unsigned r = 0; r < opt.migrations; r++) {
		Host *src = &hosts[*at], *dst = &hosts[1 - *at];

		progress("live migration of %s (%u MiB%s%s%s), %u/%u", name, c->mib,
			 c->cap_mibps ? ", 100 MiB/s cap" : "", c->dirty ? ", dirtying, auto-converge" : "",
			 c->copy ? ", copy-storage-all" : "", r + 1, opt.migrations);
		migrate_once(src, dst, path, name, c);
		*at = 1 - *at;
		/* The destination's guest has a moment to settle, as one would
		 * not migrate a guest straight back. */
		sleep_ms(200);
	}
}

/* DefineXML here and Start; once it said it is ready, its path (to free)
 * and its QEMU's command line (for QEMU alone; to free, may be NULL). */
static char *define_and_boot(const char *name, const char *xml, char ***ret_argv)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *log = harness_console_log(name);
	const char *p;
	char *path;

	reply = host_call(&hosts[0], ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DefineXML", "sa{sv}", xml, 0);
	if (sd_bus_message_read(reply, "o", &p) < 0)
		fail_msg("DefineXML: bad reply");
	path = xstrdup(p);
	progress("live migration: %s, booting", name);
	(void)unlink(log);
	sd_bus_message_unref(host_call(&hosts[0], path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 0));
	*ret_argv = read_cmdline(host_qemu_pid(&hosts[0], path));
	if (harness_wait_console(log, READY_LINE, BOOT_TIMEOUT_MS) < 0)
		fail_msg("%s did not boot: no \"%s\" on its console", name, READY_LINE);
	return path;
}

/* Destroyed where it runs (from the peer a transient domain goes); the
 * definition here stays shut-off/migrated until undefined. */
static void destroy_and_undefine(const char *path, const char *name, size_t at)
{
	sd_bus_message_unref(host_call(&hosts[at], path, ZVIRT_DOMAIN_IFACE, "Destroy", "a{sv}", 0));
	if (at == 1) {
		uint64_t g0 = now_ns();
		while (host_has(&hosts[1], name) && ms_since(g0) < 10000)
			sleep_ms(5);
	}
	sd_bus_message_unref(host_call(&hosts[0], path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 0));
	(void)harness_flush_signals();
}

static void daemon_size(size_t k)
{
	_cleanup_free_ char *name = xasprintf("bench-mig-%u", mig_sizes[k]);
	_cleanup_free_ char *base = harness_guest_xml(name);
	_cleanup_free_ char *xml = guest_xml_with_memory(base, mig_sizes[k]);
	_cleanup_free_ char *path = define_and_boot(name, xml, &boot_argv[k]);
	size_t at = 0;

	for (size_t i = 0; i < ELEMENTSOF(mig_cases); i++) {
		const MigCase *c = &mig_cases[i];

		if (c->mib != mig_sizes[k])
			continue;
		if (c->dirty) {
			Host *h = &hosts[at];
			_cleanup_free_ char *pty =
				at == 0 ? harness_console_pty(path) : harness_peer_console_pty(path);
			if (!pty)
				fail_msg("%s has no console pty on %s", name, h->name);
			progress("live migration: %s dirties %u MiB", name, MIG_DIRTY_MIB);
			mig_start_dirtying(pty, host_qemu_pid(h, path), MIG_DIRTY_MIB);
			if (probe_dirty_rate(h, &hosts[1 - at], path, name))
				at = 1 - at;
		}
		daemon_rounds(path, name, c, &at);
	}
	destroy_and_undefine(path, name, at);
}

/* ---- copy-storage ---- */

char *mig_copy_dir(void)
{
	return xasprintf("%s/mig-copy", harness_tmpdir());
}

char *mig_copy_peer_dir(void)
{
	return xasprintf("%s/mig-copy-peer", harness_tmpdir());
}

/* The image here, all of it written (a mirror copies what is allocated),
 * and the second host's, created empty beforehand as the seed says
 * (libvirt wants it there too). */
void mig_copy_images(void)
{
	_cleanup_free_ char *dir = mig_copy_dir(), *own = mig_copy_peer_dir();

	progress("copy-storage: writing the %u MiB qcow2 image", MIG_COPY_DISK_MIB);
	harness_sh("mkdir -p '%s' '%s' && chmod 755 '%s' '%s' && "
		   "qemu-img create -q -f qcow2 '%s/" MIG_COPY_TARGET ".qcow2' %uM && "
		   "qemu-io -f qcow2 -c 'write -P 0x5a 0 %uM' '%s/" MIG_COPY_TARGET ".qcow2' >/dev/null && "
		   "qemu-img create -q -f qcow2 '%s/" MIG_COPY_TARGET ".qcow2' %uM",
		   dir, own, dir, own, dir, MIG_COPY_DISK_MIB, MIG_COPY_DISK_MIB, dir, own,
		   MIG_COPY_DISK_MIB);
}

/* After the last round, with the guest gone: both images hold the same. */
void mig_copy_compare(const char *who)
{
	_cleanup_free_ char *dir = mig_copy_dir(), *own = mig_copy_peer_dir();

	harness_sh("qemu-img compare -q -f qcow2 -F qcow2 '%s/" MIG_COPY_TARGET
		   ".qcow2' '%s/" MIG_COPY_TARGET
		   ".qcow2' || { echo '%s: the two hosts images differ after copy-storage' >&2; false; }",
		   dir, own, who);
}

char *mig_copy_guest_xml(const char *name)
{
	_cleanup_free_ char *dir = mig_copy_dir();
	_cleanup_free_ char *devices =
		xasprintf("    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
			  "<source file='%s/" MIG_COPY_TARGET ".qcow2'/><target dev='" MIG_COPY_TARGET
			  "' bus='virtio'/></disk>\n",
			  dir);
	_cleanup_free_ char *base = harness_guest_xml_devices(name, devices);

	return guest_xml_with_memory(base, mig_copy_case.mib);
}

static char **copy_argv;

static void daemon_copy(void)
{
	const MigCase *c = &mig_copy_case;
	_cleanup_free_ char *dir = mig_copy_dir(), *own = mig_copy_peer_dir();
	_cleanup_free_ char *xml = mig_copy_guest_xml("bench-mig-copy");
	_cleanup_free_ char *path = NULL;
	size_t at = 0;

	mig_copy_images();
	/* The second host's daemon (and its QEMUs) see their own image. */
	if (harness_peer_own_dir(own, dir) < 0 || harness_peer_stop_daemon() < 0 ||
	    harness_peer_start_daemon() < 0)
		fail_msg("the peer daemon did not restart with its own %s", dir);
	path = define_and_boot("bench-mig-copy", xml, &copy_argv);
	daemon_rounds(path, "bench-mig-copy", c, &at);
	destroy_and_undefine(path, "bench-mig-copy", at);
	mig_copy_compare("zvirtd");
}

/* ---- QEMU alone ---- */

static void qemu_greet(Qemu *q)
{
	char line[4096];

	qmp_read_line(q, line, sizeof(line));
	if (!strstr(line, "\"QMP\""))
		fail_msg("QMP: no greeting from QEMU, got: %s", line);
	qmp_execute(q, "qmp_capabilities");
}

/* A destination QEMU exec'd (-incoming defer in dst_argv), greeted and
 * asked its chardevs, as the daemon does before migrate-incoming. */
static void qemu_destination(Qemu *dst, char **dst_argv, const char *dir, unsigned tag)
{
	qemu_alone_spawn(dst, dst_argv, dir, tag);
	qemu_greet(dst);
	qmp_execute(dst, "query-chardev");
}

/* query-migrate every millisecond until its status is completed; the
 * reply line in `line`. */
static void qemu_wait_completed(Qemu *q, char *line, size_t size)
{
	uint64_t t0 = now_ns();
	char status[32];

	for (;;) {
		qmp_command(q, "{\"execute\":\"query-migrate\"}\n", -1, line, size);
		qmp_status(line, status, sizeof(status));
		if (strcmp(status, "completed") == 0)
			return;
		if (strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0)
			fail_msg("QEMU alone: the migration ended: %s", line);
		if (ms_since(t0) > MIG_TIMEOUT_MS)
			fail_msg("QEMU alone: the migration is not done after %d ms: %s", MIG_TIMEOUT_MS,
				 line);
		usleep(1000);
	}
}

/* A number member of a QMP reply ("downtime": 12), or NAN. */
static double qmp_number(const char *line, const char *key)
{
	_cleanup_free_ char *k = xasprintf("\"%s\"", key);
	const char *p = strstr(line, k);

	if (!p)
		return NAN;
	p += strlen(k);
	p += strspn(p, " :");
	return strtod(p, NULL);
}

/*
 * What two daemons ask of their QEMUs, with nothing around them: exec the
 * destination (-incoming defer), greeting, qmp_capabilities,
 * query-chardev, migrate-incoming tcp:; on the source the bandwidth and
 * (dirtying) auto-converge, migrate tcp:; the destination's query-migrate
 * every millisecond until completed, cont there. The source's QEMU is
 * killed afterwards; the destination is the next round's source.
 */
static void qemu_alone_round(Qemu *src, Qemu *dst, char **dst_argv, const char *dir, unsigned tag,
			     unsigned port, const MigCase *c)
{
	_cleanup_free_ char *incoming = xasprintf("{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":"
						  "\"tcp:%s:%u\"}}\n",
						  QEMU_MIG_ADDRESS, port);
	_cleanup_free_ char *migrate = xasprintf(
		"{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:%s:%u\"}}\n", QEMU_MIG_ADDRESS, port);
	_cleanup_free_ char *bandwidth = NULL;
	char line[16384];
	uint64_t t0;
	double ms, down;

	if (c->cap_mibps)
		bandwidth = xasprintf("{\"execute\":\"migrate-set-parameters\",\"arguments\":"
				      "{\"max-bandwidth\":%" PRIu64 "}}\n",
				      c->cap_mibps * 1024 * 1024);
	else
		bandwidth = xasprintf("{\"execute\":\"migrate-set-parameters\",\"arguments\":"
				      "{\"max-bandwidth\":" UNLIMITED_BYTES "}}\n");
	t0 = now_ns();
	qemu_destination(dst, dst_argv, dir, tag);
	qmp_command(dst, incoming, -1, NULL, 0);
	qmp_command(src, bandwidth, -1, NULL, 0);
	qmp_command(src,
		    c->dirty ? "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":"
			       "[{\"capability\":\"auto-converge\",\"state\":true}]}}\n"
			     : "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":"
			       "[{\"capability\":\"auto-converge\",\"state\":false}]}}\n",
		    -1, NULL, 0);
	qmp_command(src, migrate, -1, NULL, 0);
	qemu_wait_completed(dst, line, sizeof(line));
	qmp_execute(dst, "cont");
	ms = ms_since(t0);
	qemu_wait_completed(src, line, sizeof(line));
	down = qmp_number(line, "downtime");
	series_add(&rows[c->qemu_time].s, ms);
	if (!isnan(down))
		series_add(&rows[c->qemu_down].s, down);
	progress("  QEMU alone: %.1f ms, its downtime %.0f ms", ms, down);
	(void)qemu_alone_kill(src);
}

/* A vector of argv with more arguments after it. */
static char **argv_plus(char **argv, const char *a, const char *b)
{
	size_t n = 0;
	char **v;

	while (argv[n])
		n++;
	v = calloc(n + 3, sizeof(char *));
	if (!v)
		abort();
	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(argv[i]);
	v[n] = xstrdup(a);
	v[n + 1] = xstrdup(b);
	return v;
}

static void qemu_alone_size(size_t k)
{
	_cleanup_free_ char *dir = xasprintf("%s/qemu-alone", harness_tmpdir());
	Qemu *q = calloc(2, sizeof(*q));
	char **incoming_argv;
	size_t at = 0;
	unsigned round = 0;
	char line[16384];

	if (!q)
		abort();
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %m", dir);
	incoming_argv = argv_plus(boot_argv[k], "-incoming", "defer");
	for (size_t i = 0; i < 2; i++)
		q[i].console_log = xasprintf("%s/qemu-alone-mig-%zu.console.log", harness_log_dir(), i);

	progress("QEMU alone: %u MiB guest, booting", mig_sizes[k]);
	(void)unlink(q[0].console_log);
	qemu_alone_spawn(&q[0], boot_argv[k], dir, 20);
	qemu_greet(&q[0]);
	qmp_execute(&q[0], "cont");
	if (harness_wait_console(q[0].console_log, READY_LINE, BOOT_TIMEOUT_MS) < 0)
		fail_msg("QEMU alone: the %u MiB guest did not boot", mig_sizes[k]);

	for (size_t i = 0; i < ELEMENTSOF(mig_cases); i++) {
		const MigCase *c = &mig_cases[i];

		if (c->mib != mig_sizes[k])
			continue;
		if (c->dirty) {
			_cleanup_free_ char *pty = NULL;
			qmp_command(&q[at], "{\"execute\":\"query-chardev\"}\n", -1, line, sizeof(line));
			pty = pty_of_chardevs(line);
			if (!pty)
				fail_msg("QEMU alone: no pty console in query-chardev: %s", line);
			progress("QEMU alone: the guest dirties %u MiB", MIG_DIRTY_MIB);
			mig_start_dirtying(pty, q[at].pid, MIG_DIRTY_MIB);
		}
		for (unsigned r = 0; r < opt.migrations; r++, round++) {
			progress("QEMU alone: migration of the %u MiB guest%s%s, %u/%u", c->mib,
				 c->cap_mibps ? ", 100 MiB/s cap" : "",
				 c->dirty ? ", dirtying, auto-converge" : "", r + 1, opt.migrations);
			(void)unlink(q[1 - at].console_log);
			qemu_alone_round(&q[at], &q[1 - at], incoming_argv, dir, 20 + (unsigned)(1 - at),
					 QEMU_MIG_PORT_BASE + 10 * (unsigned)k + round, c);
			at = 1 - at;
			sleep_ms(200);
		}
	}
	(void)qemu_alone_kill(&q[at]);
	for (size_t i = 0; i < 2; i++)
		free(q[i].console_log);
	free(q);
	strv_free(incoming_argv);
}

/* The node-name of the first qcow2 -blockdev in argv (the copied disk's
 * format node), to free. */
static char *qcow2_node_of(char **argv)
{
	for (size_t i = 1; argv[i]; i++) {
		const char *a = argv[i], *p, *end;

		if (strcmp(argv[i - 1], "-blockdev") != 0 || !strstr(a, "\"qcow2\"") ||
		    !(p = strstr(a, "\"node-name\"")))
			continue;
		p += strlen("\"node-name\"");
		p += strspn(p, " :");
		if (*p++ != '"' || !(end = strchr(p, '"')))
			continue;
		return strndup(p, (size_t)(end - p));
	}
	fail_msg("QEMU alone: no qcow2 -blockdev in the copy guest's command line");
	return NULL; /* not reached */
}

/* query-block-jobs until `ready` (the mirror caught up) or, if !ready,
 * until no job is left (it completed). */
static void qemu_wait_jobs(Qemu *q, bool ready)
{
	uint64_t t0 = now_ns();
	char line[16384];

	for (;;) {
		qmp_command(q, "{\"execute\":\"query-block-jobs\"}\n", -1, line, sizeof(line));
		if (ready ? strstr(line, "\"ready\": true") || strstr(line, "\"ready\":true")
			  : strstr(line, "\"return\": []") || strstr(line, "\"return\":[]"))
			return;
		if (ms_since(t0) > MIG_TIMEOUT_MS)
			fail_msg("QEMU alone: the mirror is not %s after %d ms: %s",
				 ready ? "ready" : "over", MIG_TIMEOUT_MS, line);
		usleep(1000);
	}
}

/*
 * What two daemons ask of their QEMUs for copy-storage-all: the
 * destination exported (-incoming defer, nbd-server-start,
 * block-export-add of the disk's format node, migrate-incoming); on the
 * source an NBD client node, blockdev-mirror sync full to it, until
 * ready; migrate; once the source completed, block-job-cancel (the
 * mirror completes, every write there), blockdev-del; on the
 * destination nbd-server-stop, cont.
 */
static void qemu_alone_copy_round(Qemu *src, Qemu *dst, char **dst_argv, const char *dir, unsigned tag,
				  unsigned port, const char *node)
{
	const unsigned nbd_port = port + 500;
	_cleanup_free_ char *nbd_server = xasprintf(
		"{\"execute\":\"nbd-server-start\",\"arguments\":{\"addr\":{\"type\":\"inet\",\"data\":"
		"{\"host\":\"%s\",\"port\":\"%u\"}}}}\n",
		QEMU_MIG_ADDRESS, nbd_port);
	_cleanup_free_ char *export = xasprintf(
		"{\"execute\":\"block-export-add\",\"arguments\":{\"type\":\"nbd\",\"id\":\"alone-export\","
		"\"node-name\":\"%s\",\"name\":\"" MIG_COPY_TARGET "\",\"writable\":true}}\n",
		node);
	_cleanup_free_ char *client = xasprintf("{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":"
						"\"nbd\",\"node-name\":\"alone-nbd\","
						"\"server\":{\"type\":\"inet\",\"host\":\"%s\",\"port\":\"%"
						"u\"},\"export\":\"" MIG_COPY_TARGET "\"}}\n",
						QEMU_MIG_ADDRESS, nbd_port);
	_cleanup_free_ char *mirror = xasprintf("{\"execute\":\"blockdev-mirror\",\"arguments\":{\"job-id\":"
						"\"alone-mirror\",\"device\":\"%s\","
						"\"target\":\"alone-nbd\",\"sync\":\"full\"}}\n",
						node);
	_cleanup_free_ char *incoming = xasprintf("{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":"
						  "\"tcp:%s:%u\"}}\n",
						  QEMU_MIG_ADDRESS, port);
	_cleanup_free_ char *migrate = xasprintf(
		"{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:%s:%u\"}}\n", QEMU_MIG_ADDRESS, port);
	char line[16384];
	uint64_t t0;
	double ms, down;

	t0 = now_ns();
	qemu_destination(dst, dst_argv, dir, tag);
	qmp_command(dst, nbd_server, -1, NULL, 0);
	qmp_command(dst, export, -1, NULL, 0);
	qmp_command(dst, incoming, -1, NULL, 0);
	qmp_command(src, client, -1, NULL, 0);
	qmp_command(src, mirror, -1, NULL, 0);
	qemu_wait_jobs(src, true);
	qmp_command(
		src,
		"{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":" UNLIMITED_BYTES
		"}}\n",
		-1, NULL, 0);
	qmp_command(src, migrate, -1, NULL, 0);
	qemu_wait_completed(src, line, sizeof(line));
	down = qmp_number(line, "downtime");
	qmp_command(src, "{\"execute\":\"block-job-cancel\",\"arguments\":{\"device\":\"alone-mirror\"}}\n",
		    -1, NULL, 0);
	qemu_wait_jobs(src, false);
	qmp_command(src, "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"alone-nbd\"}}\n", -1,
		    NULL, 0);
	qemu_wait_completed(dst, line, sizeof(line));
	qmp_execute(dst, "nbd-server-stop");
	qmp_execute(dst, "cont");
	ms = ms_since(t0);
	series_add(&rows[ROW_QEMU_MIG_COPY].s, ms);
	if (!isnan(down))
		series_add(&rows[ROW_QEMU_MIG_COPY_DOWN].s, down);
	progress("  QEMU alone: %.1f ms, its downtime %.0f ms", ms, down);
	(void)qemu_alone_kill(src);
}

/* The copy guest as QEMU alone: this host's view and, for every other
 * QEMU, the second host's own image directory. */
static void qemu_alone_copy(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/qemu-alone", harness_tmpdir());
	_cleanup_free_ char *images = mig_copy_dir(), *own = mig_copy_peer_dir();
	_cleanup_free_ char *node = qcow2_node_of(copy_argv);
	Qemu *q = calloc(2, sizeof(*q));
	char **incoming_argv = argv_plus(copy_argv, "-incoming", "defer");
	size_t at = 0;

	if (!q)
		abort();
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %m", dir);
	for (size_t i = 0; i < 2; i++)
		q[i].console_log = xasprintf("%s/qemu-alone-copy-%zu.console.log", harness_log_dir(), i);
	q[1].own_dir = own;
	q[1].over_dir = images;

	progress("QEMU alone: the copy-storage guest, booting");
	(void)unlink(q[0].console_log);
	qemu_alone_spawn(&q[0], copy_argv, dir, 30);
	qemu_greet(&q[0]);
	qmp_execute(&q[0], "cont");
	if (harness_wait_console(q[0].console_log, READY_LINE, BOOT_TIMEOUT_MS) < 0)
		fail_msg("QEMU alone: the copy-storage guest did not boot");
	for (unsigned r = 0; r < opt.migrations; r++) {
		progress("QEMU alone: migration with its %u MiB disk, %u/%u", MIG_COPY_DISK_MIB, r + 1,
			 opt.migrations);
		(void)unlink(q[1 - at].console_log);
		qemu_alone_copy_round(&q[at], &q[1 - at], incoming_argv, dir, 30 + (unsigned)(1 - at),
				      QEMU_MIG_PORT_BASE + 40 + r, node);
		at = 1 - at;
		sleep_ms(200);
	}
	(void)qemu_alone_kill(&q[at]);
	mig_copy_compare("QEMU alone");
	for (size_t i = 0; i < 2; i++)
		free(q[i].console_log);
	free(q);
	strv_free(incoming_argv);
}

/* ---- the phase ---- */

void phase_migrate(void)
{
	_cleanup_free_ char *conf = xasprintf("%s/zvirtd.conf", harness_tmpdir());
	_cleanup_free_ char *addr = NULL;
	FILE *f;

	progress("live migration: starting the second host (bus, polkitd, zvirtd)");
	if (harness_peer_start(PEER_CONF) < 0)
		fail_msg("the second host (harness_peer_start) did not start");
	/* Back here too: this daemon takes migrations once its config says
	 * so. After the peer copied the config, which keeps its own. */
	f = fopen(conf, "ae");
	if (!f || fputs(PRIMARY_RELOC, f) < 0 || fclose(f) != 0)
		fail_msg("appending to %s: %m", conf);
	sd_bus_message_unref(bench_call(NULL, ZVIRT_BUS_NAME, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE,
					"ReloadConfig", "a{sv}", 0));
	hosts_open();
	addr = host_get_string(&hosts[0], ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "RelocationAddress");
	if (strcmp(addr, "127.0.0.2") != 0)
		fail_msg("this daemon's RelocationAddress is %s after ReloadConfig, not 127.0.0.2", addr);

	for (size_t k = 0; k < ELEMENTSOF(mig_sizes); k++)
		daemon_size(k);
	daemon_copy();
	if (job_stats.dirty.n > 0 || job_stats.throttle > 0)
		note("live migration, dirtying guest, the timed rounds: the job's DirtyRateMiBps %.0f MiB/s "
		     "(median of %zu readings every 100 ms), ThrottlePercent up to %u%%",
		     series_median(&job_stats.dirty), job_stats.dirty.n, job_stats.throttle);
	else
		note("live migration, dirtying guest, the timed rounds: over before QEMU computed a dirty "
		     "rate (it does once a second) and never throttled (ThrottlePercent 0)");
	free(job_stats.dirty.v);
	job_stats.dirty = (Series){};
	hosts_close();
	harness_peer_stop();

	for (size_t k = 0; k < ELEMENTSOF(mig_sizes); k++) {
		if (!boot_argv[k]) {
			note("QEMU alone, %u MiB migration: not measured, the guest's command line could "
			     "not "
			     "be read",
			     mig_sizes[k]);
			continue;
		}
		qemu_alone_size(k);
		strv_free(boot_argv[k]);
		boot_argv[k] = NULL;
	}
	if (copy_argv) {
		qemu_alone_copy();
		strv_free(copy_argv);
		copy_argv = NULL;
	} else
		note("QEMU alone, copy-storage: not measured, the guest's command line could not be read");

	note("live migration: %u rounds per row, alternating there (to the peer: a second bus, polkitd and "
	     "zvirtd on this machine, [Relocation] on 127.0.0.3) and back (to this daemon, 127.0.0.2), "
	     "one guest per size; from the Migrate call (sent asynchronously) until the source's Job "
	     "Completed (success) and the destination's StateChanged running/migrated have both been "
	     "read on connections polled together; downtime: the source's StateChanged paused/migrating "
	     "to the destination's running/migrated",
	     opt.migrations);
	note("live migration, QEMU alone: the daemon's command line of that size (the destination's with "
	     "-incoming defer), migrate-incoming and migrate on tcp:" QEMU_MIG_ADDRESS
	     ":PORT; its downtime is the source's query-migrate after completion");
	note("live migration with copy-storage-all: a 256 MiB guest with a %u MiB qcow2 disk, all of it "
	     "written, at the same path on both hosts (the second host's daemon and QEMUs see an image "
	     "of their own there, a mount namespace); the destination's image exists (qemu-img create), "
	     "the mirror copies the whole disk in every round; after the rounds both images compare "
	     "equal (qemu-img compare)",
	     MIG_COPY_DISK_MIB);
}

void migrate_set_targets(void)
{
	static char text[ELEMENTSOF(mig_cases) + 1][64];

	for (size_t i = 0; i <= ELEMENTSOF(mig_cases); i++) {
		const MigCase *c = i < ELEMENTSOF(mig_cases) ? &mig_cases[i] : &mig_copy_case;
		double floor = series_median(&rows[c->qemu_time].s);

		if (isnan(floor))
			continue;
		rows[c->time].target = 1.2 * floor;
		snprintf(text[i], sizeof(text[i]), "≤ %.0f ms (1.2 × alone)", 1.2 * floor);
		rows[c->time].target_text = text[i];
	}
}
