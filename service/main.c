/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* zvirtd: the host daemon for KVM virtual servers on IBM Z. */

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "driver/registry.h"
#include "driver/store.h"
#include "conf/settings.h"
#include "conf/domain-xml.h"
#include "objects/objects.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/memory.h"
#include "zvirtd-config.h"

typedef struct Daemon {
	sd_event *event;
	sd_bus *bus;
	Settings settings;
	Registry *registry;
	Objects *objects;

	const char *config_path;
	bool config_explicit; /* -f: the file must exist */
	bool verbose;
	bool daemonize;
	bool unprivileged;
	const char *pid_file;
	int64_t idle_timeout_arg; /* -t, or -1 */

	sd_event_source *idle_timer;
	uint64_t last_activity;
	int ready_fd;      /* -d: tells the waiting parent we are up */
	int instance_lock; /* <RunDir>/zvirtd.lock, held while we run */
} Daemon;

/* RequestName's answers (the D-Bus specification's numbers). */
#define DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER 1
#define DBUS_REQUEST_NAME_REPLY_ALREADY_OWNER 4

static void help(void)
{
	printf("Usage: zvirtd [OPTIONS]\n\n"
	       "Host daemon for KVM virtual servers on IBM Z, on the D-Bus system bus as %s.\n\n"
	       "  -h, --help            Show this help and exit\n"
	       "  -d, --daemon          Run in the background\n"
	       "  -f, --config FILE     Read the configuration from FILE (default %s)\n"
	       "  -p, --pid-file FILE   Write the daemon's pid to FILE\n"
	       "  -t, --timeout SECONDS Exit after SECONDS without clients and running domains\n"
	       "  -v, --verbose         Log debug messages\n"
	       "      --unprivileged    Allow running as a non-root user (tests)\n"
	       "      --version         Show the version and exit\n",
	       ZVIRT_BUS_NAME, ZVIRTD_CONF_FILE);
}

static int parse_argv(Daemon *d, int argc, char **argv)
{
	enum { ARG_VERSION = 0x100, ARG_UNPRIVILEGED };
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"daemon", no_argument, NULL, 'd'},
		{"config", required_argument, NULL, 'f'},
		{"pid-file", required_argument, NULL, 'p'},
		{"timeout", required_argument, NULL, 't'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, ARG_VERSION},
		{"unprivileged", no_argument, NULL, ARG_UNPRIVILEGED},
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "hdf:p:t:v", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("zvirtd %s\n", PACKAGE_VERSION);
			return 0;
		case 'd':
			d->daemonize = true;
			break;
		case 'f':
			d->config_path = optarg;
			d->config_explicit = true;
			break;
		case 'p':
			d->pid_file = optarg;
			break;
		case 't': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 0) {
				fprintf(stderr, "zvirtd: -t needs a number of seconds, not '%s'\n", optarg);
				return -EINVAL;
			}
			d->idle_timeout_arg = v;
			break;
		}
		case 'v':
			d->verbose = true;
			break;
		case ARG_UNPRIVILEGED:
			d->unprivileged = true;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "zvirtd: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 1;
}

static int apply_logging(const Daemon *d, const Settings *s)
{
	log_set_max_level(d->verbose ? LOG_DEBUG : s->log_level);
	if (strcmp(s->log_target, "stderr") == 0)
		return log_set_target(LOG_TARGET_STDERR, NULL);
	if (strcmp(s->log_target, "journal") == 0) {
		/* Without journald (a container, a test rig) stderr is the best we have. */
		if (access("/run/systemd/journal/socket", W_OK) < 0)
			return log_set_target(LOG_TARGET_STDERR, NULL);
		return log_set_target(LOG_TARGET_JOURNAL, NULL);
	}
	return log_set_target(LOG_TARGET_FILE, s->log_target);
}

static int load_config(Daemon *d, Settings *ret)
{
	_cleanup_free_ char *error = NULL;
	int r = config_load(d->config_path, !d->config_explicit, ret, &error);
	if (r < 0)
		log_error("Configuration not loaded: %s", error ? error : strerror(-r));
	return r;
}

/* SIGHUP and ReloadConfig: a bad file changes nothing. Directories stay:
 * moving them under running guests would lose their files. */
static int reload_config(void *userdata, char **ret_error)
{
	Daemon *d = userdata;
	Settings fresh;

	int r = config_load(d->config_path, !d->config_explicit, &fresh, ret_error);
	if (r < 0) {
		log_error("Reload refused, the old settings stay: %s",
			  *ret_error ? *ret_error : strerror(-r));
		return r;
	}
	const char *dirs[] = {"StateDir", "RunDir", "LogDir"};
	char **old_dirs[] = {&d->settings.state_dir, &d->settings.run_dir, &d->settings.log_dir};
	char **new_dirs[] = {&fresh.state_dir, &fresh.run_dir, &fresh.log_dir};
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		if (strcmp(*old_dirs[i], *new_dirs[i]) != 0)
			log_warning("%s changed to %s; it takes effect when zvirtd restarts", dirs[i],
				    *new_dirs[i]);
		free(*new_dirs[i]);
		*new_dirs[i] = TAKE_PTR(*old_dirs[i]);
	}
	settings_done(&d->settings);
	d->settings = fresh;
	(void)apply_logging(d, &d->settings);
	(void)registry_probe_caps(d->registry);
	log_info("Configuration reloaded from %s", d->config_path);
	return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	_cleanup_free_ char *error = NULL;
	(void)reload_config(userdata, &error);
	return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	log_info("Received %s, exiting; guests keep running", strsignal((int)si->ssi_signo));
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static uint64_t idle_timeout_usec(const Daemon *d)
{
	uint64_t sec =
		d->idle_timeout_arg >= 0 ? (uint64_t)d->idle_timeout_arg : d->settings.idle_timeout_sec;
	return sec * 1000000ULL;
}

/* Any message to us counts as a client being around. */
static int on_bus_activity(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Daemon *d = userdata;
	(void)sd_event_now(d->event, CLOCK_MONOTONIC, &d->last_activity);
	return 0;
}

static int on_idle_check(sd_event_source *s, uint64_t usec, void *userdata)
{
	Daemon *d = userdata;
	uint64_t timeout = idle_timeout_usec(d);

	if (registry_count_active(d->registry) == 0 && usec >= d->last_activity + timeout) {
		log_info("Idle for %" PRIu64 " s with no running domain; exiting", timeout / 1000000);
		return sd_event_exit(d->event, 0);
	}
	uint64_t next = (registry_count_active(d->registry) ? usec : d->last_activity) + timeout;
	(void)sd_event_source_set_time(s, next);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int setup_idle_exit(Daemon *d)
{
	uint64_t timeout = idle_timeout_usec(d);
	if (timeout == 0)
		return 0;
	(void)sd_event_now(d->event, CLOCK_MONOTONIC, &d->last_activity);
	int r = sd_bus_add_filter(d->bus, NULL, on_bus_activity, d);
	if (r < 0)
		return r;
	return sd_event_add_time(d->event, &d->idle_timer, CLOCK_MONOTONIC, d->last_activity + timeout, 0,
				 on_idle_check, d);
}

static void notify_ready(Daemon *d)
{
	(void)sd_notify(false, "READY=1\nSTATUS=Managing domains");
	if (d->ready_fd >= 0) {
		(void)write(d->ready_fd, "R", 1);
		d->ready_fd = (close(d->ready_fd), -1);
	}
}

static int on_name_acquired(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Daemon *d = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	uint32_t answer = 0;
	if (e || sd_bus_message_read(m, "u", &answer) < 0 ||
	    (answer != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER &&
	     answer != DBUS_REQUEST_NAME_REPLY_ALREADY_OWNER)) {
		/* Without SD_BUS_NAME_QUEUE a taken name answers EXISTS (3). */
		log_error("Cannot own %s on the bus: %s", ZVIRT_BUS_NAME,
			  e ? e->message : "another connection owns it");
		/* Negative: the daemon exits with a failure status. */
		return sd_event_exit(d->event, -EADDRINUSE);
	}
	log_info("zvirtd %s ready on the bus as %s (%zu domains, %zu active)", PACKAGE_VERSION,
		 ZVIRT_BUS_NAME, registry_count(d->registry), registry_count_active(d->registry));
	notify_ready(d);
	/* Only now: a daemon that cannot serve must not start guests. */
	(void)registry_autostart(d->registry);
	return 0;
}

static int write_pid_file(const char *path)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	return write_file_atomic(path, buf, (size_t)n, 0644, 0);
}

/* -d: fork; the parent stays until the child is on the bus, so the exit
 * status says whether the daemon came up. */
static int daemonize(Daemon *d)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		char c;
		close(pipefd[1]);
		ssize_t n = read(pipefd[0], &c, 1);
		_exit(n == 1 ? EXIT_SUCCESS : EXIT_FAILURE);
	}
	close(pipefd[0]);
	d->ready_fd = pipefd[1];
	if (setsid() < 0)
		return -errno;
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
		if (strcmp(d->settings.log_target, "stderr") != 0)
			dup2(null_fd, STDERR_FILENO);
		close(null_fd);
	}
	return 0;
}

static int run(Daemon *d)
{
	int r;

	r = load_config(d, &d->settings);
	if (r < 0)
		return r;
	r = apply_logging(d, &d->settings);
	if (r < 0)
		return log_error_errno(r, "Cannot open the log target %s: %m", d->settings.log_target);

	if (geteuid() != 0 && !d->unprivileged) {
		log_error("zvirtd must run as root: it starts QEMU, opens /dev/kvm and sets up host devices "
			  "(--unprivileged is for tests)");
		return -EPERM;
	}

	if (d->daemonize) {
		r = daemonize(d);
		if (r < 0)
			return log_error_errno(r, "Cannot daemonize: %m");
	}
	if (d->pid_file) {
		r = write_pid_file(d->pid_file);
		if (r < 0)
			return log_error_errno(r, "Cannot write the pid file %s: %m", d->pid_file);
	}

	/* QEMU writes may hit a closed console socket: not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_default(&d->event);
	if (r < 0)
		return log_error_errno(r, "Cannot create the event loop: %m");
	(void)sd_event_add_signal(d->event, NULL, SIGTERM, on_exit_signal, d);
	(void)sd_event_add_signal(d->event, NULL, SIGINT, on_exit_signal, d);
	(void)sd_event_add_signal(d->event, NULL, SIGHUP, on_sighup, d);

	r = sd_bus_open_system(&d->bus);
	if (r < 0)
		return log_error_errno(r, "Cannot connect to the system bus: %m");
	r = sd_bus_attach_event(d->bus, d->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "Cannot attach the bus to the event loop: %m");
	/* sd-bus would close the connection as the loop exits; calls still
	 * in flight are answered after that (daemon_done), then it closes. */
	r = sd_bus_set_close_on_exit(d->bus, false);
	if (r < 0)
		return log_error_errno(r, "Cannot keep the bus open at exit: %m");

	/* Before any state is read: a second daemon must not reattach to the
	 * first one's guests or tidy its files. */
	d->instance_lock = store_lock_instance(&d->settings);
	if (d->instance_lock == -EBUSY)
		return log_error_errno(-EBUSY, "Another zvirtd already runs with RunDir=%s",
				       d->settings.run_dir);
	if (d->instance_lock < 0)
		return log_error_errno(d->instance_lock, "Cannot lock %s/zvirtd.lock: %m",
				       d->settings.run_dir);

	/* Before any thread parses a document. */
	domain_xml_init();
	r = registry_new(d->event, &d->settings, &d->registry);
	if (r < 0)
		return log_error_errno(r, "Cannot create the registry: %m");
	r = objects_new(d->bus, d->registry, &d->settings, &d->objects);
	if (r < 0)
		return r;
	objects_set_reload(d->objects, reload_config, d);

	/* Objects first, then the name: the first caller sees every domain. */
	r = registry_load(d->registry);
	if (r < 0)
		return log_error_errno(r, "Cannot load the domains: %m");
	objects_devices_loaded(d->objects);

	/* In the background: the daemon answers meanwhile. */
	r = registry_probe_caps(d->registry);
	if (r < 0)
		log_warning_errno(r, "Cannot read what %s offers: %m", d->settings.emulator);

	r = sd_bus_request_name_async(d->bus, NULL, ZVIRT_BUS_NAME, 0, on_name_acquired, d);
	if (r < 0)
		return log_error_errno(r, "Cannot request %s: %m", ZVIRT_BUS_NAME);

	r = setup_idle_exit(d);
	if (r < 0)
		return log_error_errno(r, "Cannot set up the idle timeout: %m");

	r = sd_event_loop(d->event);
	(void)sd_notify(false, "STOPPING=1");
	return r;
}

static void daemon_done(Daemon *d)
{
	d->objects = objects_free(d->objects);
	d->registry = registry_free(d->registry);
	d->idle_timer = sd_event_source_disable_unref(d->idle_timer);
	if (d->bus) {
		(void)sd_bus_flush(d->bus);
		d->bus = sd_bus_flush_close_unref(d->bus);
	}
	d->event = sd_event_unref(d->event);
	if (d->pid_file)
		(void)unlink_if_exists(d->pid_file);
	if (d->ready_fd >= 0)
		close(d->ready_fd);
	if (d->instance_lock >= 0)
		close(d->instance_lock);
	settings_done(&d->settings);
	domain_xml_done();
}

int main(int argc, char **argv)
{
	Daemon d = {
		.config_path = ZVIRTD_CONF_FILE,
		.idle_timeout_arg = -1,
		.ready_fd = -1,
		.instance_lock = -1,
	};

	memory_tune_allocator();
	int r = parse_argv(&d, argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

	r = run(&d);
	daemon_done(&d);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
