/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Start: spawn QEMU (stopped, -S) with its monitor socket already
 * listening, finish the handshake, record where the consoles went, then
 * cont unless the caller asked for paused. Every step that fails ends in
 * shut-off/failed with the step named. */

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "accelerator.h"
#include "cgroup.h"
#include "dac.h"
#include "conf/startup-policy.h"
#include "domain-internal.h"
#include "host-memory.h"
#include "net.h"
#include "host/disk-node.h"
#include "host/scsi-host.h"
#include "qemu/cmdline.h"
#include "qemu/pidfile.h"
#include "qemu/process.h"
#include "registry-internal.h"
#include "migration-in-internal.h"
#include "save-internal.h"
#include "store.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/fileio.h"
#include "util/log.h"

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

/* This run's first lines in QEMU's log, through the pump's pipe, so
 * that rotation cannot separate them from QEMU's output: where
 * qemu_log_last_error() starts looking. The pipe is new and empty, and
 * the write must not block the loop: a command line larger than the pipe
 * is cut. */
static void log_start_header(int fd, char **argv)
{
	_cleanup_free_ char *cmd = qemu_argv_to_string(argv), *text = NULL;
	time_t now = time(NULL);
	char stamp[64];
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", gmtime(&now));
	int n = asprintf(&text, "%s" QEMU_LOG_HEADER_TAG "\n%s\n", stamp, cmd ? cmd : argv[0]);
	if (n < 0)
		return;
	if (n > 65536)
		(void)fcntl(fd, F_SETPIPE_SZ, n);
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return;
	(void)!write(fd, text, (size_t)n);
	(void)fcntl(fd, F_SETFL, flags);
}

/* The pump that writes QEMU's output (LogDir/NAME.log) and the console
 * log (LogDir/NAME.console, when a console has no <log> of its own; a
 * new run starts a new file, the last one's is NAME.console.0), each
 * rotated at its limit. ret_console_fd is -1 without a console log. */
static int start_log_pump(Domain *d, const char *console_log, int *ret_out_fd, int *ret_console_fd,
			  QemuLogPump **ret, ZvError *err)
{
	const Settings *s = registry_get_settings(d->registry);
	bool console_logged = false;
	for (size_t i = 0; i < d->live->n_consoles; i++)
		console_logged |= !d->live->consoles[i].log_file;

	const QemuLogStream streams[] = {
		{.path = d->log_path, .max_size = s->log_limit},
		{.path = console_log, .max_size = s->console_limit, .fresh = true},
	};
	int fds[ELEMENTSOF(streams)];
	int r = qemu_log_pump_start(registry_get_event(d->registry), s->log_pump, streams,
				    console_logged ? 2 : 1, SETTINGS_LOG_BACKUPS, fds, ret);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r,
				    "Cannot start the log pump %s for domain '%s': %s", s->log_pump,
				    domain_name(d), strerror(-r));
	*ret_out_fd = fds[0];
	*ret_console_fd = console_logged ? fds[1] : -1;
	return 0;
}

/* Everything a start needs up to a spawned QEMU; the caller undoes it
 * on failure. */
int domain_kill_stray_qemu(Domain *d, const char *pidfile)
{
	pid_t pid;
	int r = qemu_pidfile_holder(pidfile, &pid);
	if (r <= 0)
		return r;
	/* Attaching checks that the holder really runs this domain (-uuid). */
	QemuProcess *stray = NULL;
	r = qemu_process_attach(registry_get_event(d->registry), pid, d->uuid, NULL, NULL, &stray);
	if (r < 0)
		return r == -ESRCH || r == -ESTALE ? 0 : r;
	log_warning("Domain %s: killing QEMU pid %d, which holds %s but which zvirtd does not track",
		    domain_name(d), (int)pid, pidfile);
	(void)qemu_process_kill(stray, SIGKILL);
	qemu_process_free(stray);
	return (int)pid;
}

static bool source_exists(const char *path, void *userdata)
{
	struct stat st;
	/* A quick stat: the start path stats and opens files anyway. */
	return stat(path, &st) == 0;
}

/* What the live definition needs from the host before the argv: disks
 * whose startupPolicy drops a missing source, a clear word for a
 * prepared device's missing node (host/disk-node.h), the sgN of each
 * SCSI host device. */
static int prepare_host_devices(Domain *d, bool cold_boot, ZvError *err)
{
	const Settings *s = registry_get_settings(d->registry);
	int r = domain_def_apply_startup_policy(d->live, cold_boot, source_exists, NULL, err);
	if (r < 0)
		return r == -ENOMEM ? zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory") : r;
	for (size_t i = 0; i < d->live->n_disks; i++) {
		const DiskDef *disk = &d->live->disks[i];
		if (disk->type != DISK_TYPE_BLOCK || !disk->source)
			continue;
		r = host_disk_node_check(s->sysfs_root, s->dev_root, disk->source, err);
		if (r < 0)
			return r == -ENOMEM ? zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory") : r;
	}
	for (size_t i = 0; i < d->live->n_hostdevs; i++) {
		HostdevDef *h = &d->live->hostdevs[i];
		h->live_sg_path = (free(h->live_sg_path), NULL);
		r = host_scsi_sg_path(s->sysfs_root, s->dev_root, h->adapter, h->host_bus, h->host_target,
				      h->host_unit, &h->live_sg_path, err);
		if (r < 0)
			return r == -ENOMEM ? zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory") : r;
	}
	return 0;
}

static int spawn_qemu(Domain *d, DomainDef *live, ZvError *err)
{
	const Settings *s = registry_get_settings(d->registry);
	_cleanup_free_ char *console_log = NULL, *pidfile = NULL;
	_cleanup_strv_free_ char **argv = NULL;
	_cleanup_(qemu_log_pump_freep) QemuLogPump *pump = NULL;
	_cleanup_close_ int out_fd = -1, console_fd = -1;
	_cleanup_(net_fds_close) NetFds net_fds = {};
	bool use_kvm;
	int r;

	r = domain_pick_accelerator(d, &use_kvm, err);
	if (r < 0)
		return r;

	d->log_path = (free(d->log_path), NULL);
	/* Not "<name>.console.log": that is the QEMU log of a domain named
	 * "<name>.console". Nothing ends in ".console" but console logs. */
	if (asprintf(&console_log, "%s/%s.console", s->log_dir, domain_name(d)) < 0 ||
	    asprintf(&d->log_path, "%s/%s.log", s->log_dir, domain_name(d)) < 0 ||
	    !(d->qmp_path = store_path(s->run_dir, d->uuid_hex, ".qmp")) ||
	    !(d->live = live ? live : domain_def_copy(d->def)))
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	/* A restore brings its own live definition: not a cold boot. */
	r = prepare_host_devices(d, !live, err);
	if (r < 0)
		return r;
	/* Live aliases name QEMU's devices; kept in the status file. */
	if (domain_def_assign_aliases(d->live) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");

	pidfile = domain_pidfile_path(d);
	if (!pidfile)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	r = domain_kill_stray_qemu(d, pidfile);
	if (r > 0)
		return zv_error_set(
			err, ZV_ERROR_BUSY, EBUSY,
			"A QEMU of domain '%s' that zvirtd did not track (pid %d) was still running; it is "
			"being killed, start the domain again",
			domain_name(d), r);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot check %s: %s", pidfile, strerror(-r));

	_cleanup_close_ int listen_fd = listen_unix(d->qmp_path);
	if (listen_fd < 0)
		return zv_error_set(err, ZV_ERROR_HOST, listen_fd, "Cannot create the QMP socket %s: %s",
				    d->qmp_path, strerror(-listen_fd));

	r = start_log_pump(d, console_log, &out_fd, &console_fd, &pump, err);
	if (r < 0)
		return r;

	/* The NICs' links, last before the argv: a failure after this
	 * removes them again (domain_start_with). A daemon that dies before
	 * the status names them leaves tagged links, which the next one's
	 * registry_net_remove_leftovers() finds by their tag. */
	size_t n_nets = d->live->n_interfaces;
	r = domain_net_prepare_all(d, &net_fds.v, err);
	net_fds.n = n_nets;
	if (r < 0)
		return r;

	QemuCmdlineParams params = {
		.use_kvm = use_kvm,
		.qmp_fd = listen_fd,
		.default_console_log_fd = console_fd,
		.pidfile = pidfile,
		.incoming_defer = d->restore || d->migration_in,
		.net_fds = net_fds.v,
	};
	r = qemu_build_argv(d->live, &params, &argv, err);
	if (r < 0)
		return r;

	r = dac_label_domain(d, &params, err);
	if (r < 0)
		return r;
	log_start_header(out_fd, argv);
	/* QEMU is in its cgroup before its first instruction. */
	_cleanup_close_ int cgroup_fd = domain_cgroup_prepare(d);
	QemuProcessUser user = dac_process_user(d);
	user.cgroup_procs_fd = cgroup_fd;
	/* The daemon's write ends close when this returns: from then on the
	 * pump ends when QEMU does. */
	_cleanup_free_ int *keep_fds = calloc(2 + n_nets, sizeof(int));
	if (!keep_fds)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	keep_fds[0] = listen_fd;
	keep_fds[1] = console_fd;
	for (size_t i = 0; i < n_nets; i++)
		keep_fds[2 + i] = net_fds.v[i];
	r = qemu_process_spawn_piped(registry_get_event(d->registry), argv, out_fd, keep_fds, 2 + n_nets,
				     TAKE_PTR(pump), user, domain_on_process_exit, d, &d->process);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, r, "Cannot start %s for domain '%s': %s",
				    argv[0], domain_name(d), strerror(-r));
	log_info("Starting domain %s (pid %u, %s)", domain_name(d), domain_qemu_pid(d),
		 use_kvm ? "KVM" : "TCG");
	return 0;
}

int domain_start_with(Domain *d, DomainDef *live, DomainStartFlags flags, domain_done_fn cb, void *userdata,
		      ZvError *err)
{
	int r = domain_begin_op(d, DOMAIN_OP_START, cb, userdata, err);
	if (r >= 0 && (r = domain_check_host_memory(d, live ? live : d->def, err)) < 0)
		domain_abort_op(d); /* refused before anything began: nothing changed */
	if (r < 0) {
		domain_def_free(live);
		return r;
	}
	d->start_flags = flags;

	r = spawn_qemu(d, live, err);
	if (r < 0) {
		domain_cgroup_remove(d);
		dac_restore_domain(d);
		domain_net_release_all(d);
		domain_abort_op(d);
		if (d->qmp_path)
			(void)unlink_if_exists(d->qmp_path);
		d->qmp_path = (free(d->qmp_path), NULL);
		d->live = domain_def_free(d->live);
		/* The status the labelling wrote: nothing runs. */
		(void)store_remove_status(registry_get_settings(d->registry), d->uuid_hex);
		/* A start that failed leaves the domain shut-off/failed; a
		 * restore leaves it saved, with its image. */
		domain_set_state(d, DOMAIN_STATE_SHUT_OFF,
				 d->restore        ? DOMAIN_REASON_SAVED
				 : d->migration_in ? domain_incoming_failed_reason(d)
						   : DOMAIN_REASON_FAILED);
		return r;
	}
	d->id = registry_next_id(d->registry);

	/* The window that matters: QEMU runs, the status file does not know
	 * it yet (QEMU's pidfile lock covers it). */
	fault_point("start-spawned");
	(void)domain_save_status(d);
	fault_point("start-recorded");

	/* From here on the answer comes from the monitor's handshake or from
	 * domain_stopped. */
	r = domain_connect_monitor(d);
	if (r < 0) {
		zv_error_set(&d->op_error, ZV_ERROR_HYPERVISOR, r, "Cannot connect to QEMU's monitor %s: %s",
			     d->qmp_path, strerror(-r));
		domain_kill_qemu(d, DOMAIN_REASON_FAILED);
	}
	return 0;
}

int domain_start(Domain *d, DomainStartFlags flags, domain_done_fn cb, void *userdata, ZvError *err)
{
	if (d->has_managed_save && d->state == DOMAIN_STATE_SHUT_OFF)
		return domain_restore(d, flags, cb, userdata, err);
	return domain_start_with(d, NULL, flags, cb, userdata, err);
}

void domain_fail_start(Domain *d, const char *what, const char *error)
{
	zv_error_set(&d->op_error, ZV_ERROR_HYPERVISOR, EIO, "Starting domain '%s' failed at %s: %s",
		     domain_name(d), what, error ? error : "unknown error");
	domain_kill_qemu(d, DOMAIN_REASON_FAILED);
}

void domain_start_done(Domain *d)
{
	DomainState state;
	DomainReason reason;

	lifecycle_start_result(d->reason, d->start_image_paused, d->start_flags & DOMAIN_START_PAUSED,
			       d->start_flags & DOMAIN_START_FORCE_BOOT, &state, &reason);
	d->start_image_paused = false;
	domain_set_state(d, state, reason);
	registry_notify_definition(d->registry, d);
	domain_finish_op(d, 0, NULL);
}

static void on_start_cont(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (r < 0)
		return domain_fail_start(d, "cont", error);
	domain_start_done(d);
}

static void on_start_set_link(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	Domain *d = userdata;
	if (r < 0)
		log_warning("Domain %s: set_link (down) failed: %s", domain_name(d), error);
}

/* Once the NICs are on their switches: the restore's incoming
 * migration, a paused start's end, or cont. */
static void start_run_guest(Domain *d)
{
	if (d->restore)
		return domain_restore_incoming(d);
	if (d->migration_in)
		return domain_incoming_ready(d);
	if (d->start_flags & DOMAIN_START_PAUSED)
		return domain_start_done(d);
	fault_point("start-before-cont");
	if (qemu_monitor_cont(d->monitor, on_start_cont) < 0)
		domain_fail_start(d, "cont", "the monitor connection is gone");
}

/* A port that could not be added is the host's fault, not QEMU's: the
 * start fails with HostError; QEMU goes, and its taps with it. */
static void on_start_connected(Domain *d, int r, const ZvError *err, void *userdata)
{
	if (r < 0) {
		zv_error_set(&d->op_error, err->code != ZV_ERROR_NONE ? err->code : ZV_ERROR_HOST, r,
			     "Starting domain '%s' failed: %s", domain_name(d), err->message);
		return domain_kill_qemu(d, DOMAIN_REASON_FAILED);
	}
	start_run_guest(d);
}

/* Records where each pty console ended up, as libvirt shows it in live XML. */
static void on_start_chardevs(QemuMonitor *mon, int r, const QemuChardev *chardevs, size_t n,
			      const char *error, void *userdata)
{
	Domain *d = userdata;
	if (r < 0)
		return domain_fail_start(d, "query-chardev", error);

	for (size_t i = 0; i < n; i++) {
		/* A console's chardev is "char" + its alias (qemu/cmdline.c). */
		if (!chardevs[i].pty_path || strncmp(chardevs[i].label, "char", 4) != 0)
			continue;
		for (size_t c = 0; c < d->live->n_consoles; c++) {
			ConsoleDef *con = &d->live->consoles[c];
			if (!con->info.alias || strcmp(con->info.alias, chardevs[i].label + 4) != 0)
				continue;
			free(con->live_pty_path);
			con->live_pty_path = strdup(chardevs[i].pty_path);
		}
	}

	/* QEMU has no device property for it: libvirt's set_link at start.
	 * Commands run in order, so the guest's CPUs run after it. */
	for (size_t i = 0; i < d->live->n_interfaces; i++) {
		const InterfaceDef *net = &d->live->interfaces[i];
		if (net->link_down && net->info.alias &&
		    qemu_monitor_set_link(d->monitor, net->info.alias, false, on_start_set_link) < 0)
			return domain_fail_start(d, "set_link", "the monitor connection is gone");
	}

	/* The NICs' switch ports before the guest's CPUs run: its first
	 * packets must not be lost. */
	ZvError e = ZV_ERROR_INIT;
	r = domain_net_connect_all(d, on_start_connected, NULL, &e);
	if (r < 0)
		return on_start_connected(d, r, &e, NULL);
	if (r > 0)
		start_run_guest(d);
}

void domain_start_monitor_ready(Domain *d)
{
	fault_point("start-handshake");
	if (qemu_monitor_query_chardev(d->monitor, on_start_chardevs) < 0)
		domain_fail_start(d, "query-chardev", "the monitor connection is gone");
}
