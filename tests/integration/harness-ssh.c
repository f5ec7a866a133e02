/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An sshd of the test's own (harness.h, "ssh"), never the host's: below
 * TMP/ssh its host key, its sshd_config (127.0.0.1 and a free port, keys
 * only), and an authorized_keys whose one key may only run
 * systemd-stdio-bridge on a bus of the harness, so that ssh to it reaches
 * that bus as ssh to a real host reaches /run/dbus/system_bus_socket.
 *
 * The clients are sd-bus's (sd_bus_open_system_remote: the daemon's
 * ssh:// destinations, zvirtctl -H). systemd 252's runs `ssh -xT [-p
 * PORT] -- [USER@]HOST systemd-stdio-bridge` found on PATH and reads no
 * $SYSTEMD_SSH, and ssh reads ~/.ssh from the password database, not
 * $HOME: so TMP/ssh/bin, first on PATH, has an `ssh` that runs the real
 * one with -F TMP/ssh/ssh_config. That file is read at every connection,
 * which lets a test switch the client's key or known hosts between calls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness-internal.h"

#define SSHD_START_MS 15000
#define SSHD_STOP_MS  5000
/* sshd's compiled-in privilege separation directory (Debian's). */
#define PRIVSEP_DIR "/run/sshd"

static struct {
	char *dir;
	char *old_path; /* PATH before TMP/ssh/bin came first */
	pid_t sshd_pid;
	uint16_t port;
} S;

static char *ssh_path(const char *file)
{
	char *p;
	if (asprintf(&p, "%s/%s", S.dir, file) < 0)
		abort();
	return p;
}

/* The absolute path of prog on PATH (or in /usr/sbin, which a plain
 * user's PATH lacks: sshd is there), NULL if none. */
static char *find_program(const char *prog)
{
	const char *path = getenv("PATH") ?: "/usr/bin:/bin";
	_cleanup_free_ char *copy = NULL;
	if (asprintf(&copy, "%s:/usr/sbin", path) < 0)
		abort();
	for (char *save = NULL, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p;
		if (d[0] != '/')
			continue;
		if (asprintf(&p, "%s/%s", d, prog) < 0)
			abort();
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

/* Runs argv, its output into TMP/ssh/setup.log; 0 if it exited 0, else
 * -EIO after printing the command. */
static int run(const char *const argv[])
{
	_cleanup_free_ char *log = ssh_path("setup.log");
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (null_fd < 0 || log_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
		    dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "harness:");
	for (size_t i = 0; argv[i]; i++)
		fprintf(stderr, " %s", argv[i]);
	fprintf(stderr, ": failed (status 0x%x), see %s\n", (unsigned)status, log);
	return -EIO;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	int r = fclose(f) == 0 ? 0 : -errno;
	if (r == 0 && chmod(path, mode) < 0)
		r = -errno;
	if (r < 0)
		fprintf(stderr, "harness: writing %s: %s\n", path, strerror(-r));
	return r;
}

static char *read_line(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t size = 0;
	if (!f)
		return NULL;
	ssize_t n = getline(&line, &size, f);
	fclose(f);
	if (n <= 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static int keygen(const char *keygen_bin, const char *name)
{
	_cleanup_free_ char *key = ssh_path(name);
	const char *argv[] = {keygen_bin, "-q",         "-t", "ed25519", "-N", "",
			      "-C",       "zvirt-test", "-f", key,       NULL};
	return run(argv);
}

/* sshd says so once it listens (-e: its log on stderr); a port that
 * merely answers could be someone else's. */
static bool sshd_listens(const char *log)
{
	char needle[64];
	snprintf(needle, sizeof(needle), "Server listening on 127.0.0.1 port %u.", (unsigned)S.port);
	FILE *f = fopen(log, "re");
	char *line = NULL;
	size_t size = 0;
	bool found = false;
	while (f && !found && getline(&line, &size, f) > 0)
		found = strstr(line, needle) != NULL;
	free(line);
	if (f)
		fclose(f);
	return found;
}

static int write_sshd_config(void)
{
	_cleanup_free_ char *conf = ssh_path("sshd_config"), *host_key = ssh_path("host_key"),
			    *keys = ssh_path("authorized_keys"), *text = NULL;
	if (asprintf(&text,
		     "# The harness's own sshd (tests/integration/harness-ssh.c).\n"
		     "ListenAddress 127.0.0.1:%u\n"
		     "HostKey %s\n"
		     "PidFile none\n"
		     "AuthorizedKeysFile %s\n"
		     "AuthorizedPrincipalsFile none\n"
		     "PermitRootLogin prohibit-password\n"
		     "AllowUsers root\n"
		     "PubkeyAuthentication yes\n"
		     "PasswordAuthentication no\n"
		     "KbdInteractiveAuthentication no\n"
		     "UsePAM no\n"
		     /* TMP is below /tmp, which others may write. */
		     "StrictModes no\n"
		     "PrintMotd no\n"
		     "LogLevel VERBOSE\n",
		     (unsigned)S.port, host_key, keys) < 0)
		abort();
	return write_file(conf, text, 0600);
}

static int start_sshd(const char *sshd)
{
	_cleanup_free_ char *conf = ssh_path("sshd_config"), *log = ssh_path("sshd.log");
	/* sshd re-executes itself for each connection: by its absolute path. */
	const char *argv[] = {sshd, "-D", "-e", "-f", conf, NULL};
	pid_t parent = getpid();

	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(127);
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (null_fd < 0 || log_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
		    dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %m\n", argv[0]);
		_exit(127);
	}
	S.sshd_pid = pid;
	for (int64_t deadline = harness_now_ms() + SSHD_START_MS;;) {
		if (sshd_listens(log))
			return 0;
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			S.sshd_pid = 0;
			fprintf(stderr, "harness: sshd exited (status 0x%x) before it listened, see %s\n",
				(unsigned)status, log);
			return -ESRCH;
		}
		if (harness_now_ms() >= deadline) {
			fprintf(stderr, "harness: sshd did not listen on port %u within %d ms\n",
				(unsigned)S.port, SSHD_START_MS);
			return -ETIMEDOUT;
		}
		harness_sleep_ms(10);
	}
}

static void stop_server(void)
{
	if (S.sshd_pid <= 0)
		return;
	(void)kill(S.sshd_pid, SIGTERM);
	for (int64_t deadline = harness_now_ms() + SSHD_STOP_MS;;) {
		pid_t r = waitpid(S.sshd_pid, NULL, WNOHANG);
		if (r == S.sshd_pid || (r < 0 && errno != EINTR))
			break;
		if (harness_now_ms() >= deadline) {
			(void)kill(S.sshd_pid, SIGKILL);
			(void)waitpid(S.sshd_pid, NULL, 0);
			break;
		}
		harness_sleep_ms(5);
	}
	S.sshd_pid = 0;
}

/* TMP/ssh's keys, authorized_keys and the ssh wrapper in TMP/ssh/bin. */
static int make_files(const char *ssh, const char *keygen_bin, const char *bridge, const char *bus_address)
{
	_cleanup_free_ char *bin = ssh_path("bin");
	if ((mkdir(S.dir, 0755) < 0 && errno != EEXIST) || (mkdir(bin, 0755) < 0 && errno != EEXIST)) {
		int r = -errno;
		fprintf(stderr, "harness: mkdir below %s: %m\n", S.dir);
		return r;
	}
	/* The host's key; the client's, which authorized_keys lets in; another
	 * client key that it does not. */
	int r;
	if ((r = keygen(keygen_bin, "host_key")) < 0 || (r = keygen(keygen_bin, "client_key")) < 0 ||
	    (r = keygen(keygen_bin, "other_key")) < 0)
		return r;

	/* The key may run the bridge to the bus and nothing else, whatever
	 * the client asks for (sd-bus asks for systemd-stdio-bridge). */
	_cleanup_free_ char *pub = ssh_path("client_key.pub"), *line = read_line(pub), *keys = NULL,
			    *keys_path = ssh_path("authorized_keys");
	if (!line) {
		fprintf(stderr, "harness: reading %s failed\n", pub);
		return -EIO;
	}
	if (asprintf(&keys, "restrict,command=\"exec %s --bus-path='%s'\" %s\n", bridge, bus_address, line) <
	    0)
		abort();
	r = write_file(keys_path, keys, 0600);
	if (r < 0)
		return r;

	_cleanup_free_ char *wrapper = ssh_path("bin/ssh"), *conf = ssh_path("ssh_config"), *script = NULL;
	if (asprintf(&script,
		     "#!/bin/sh\n"
		     "# The harness's ssh (tests/integration/harness-ssh.c): its own config only.\n"
		     "exec %s -F '%s' \"$@\"\n",
		     ssh, conf) < 0)
		abort();
	return write_file(wrapper, script, 0755);
}

/* TMP/ssh/bin first on PATH, for us and the daemons started from now on. */
static int put_wrapper_first(void)
{
	_cleanup_free_ char *bin = ssh_path("bin"), *new_path = NULL;
	const char *path = getenv("PATH") ?: "/usr/bin:/bin";
	if (asprintf(&new_path, "%s:%s", bin, path) < 0 || !(S.old_path = strdup(path)))
		abort();
	return setenv("PATH", new_path, 1) < 0 ? -errno : 0;
}

static void free_strv(char *(*v)[4])
{
	for (size_t i = 0; i < ELEMENTSOF(*v); i++)
		free((*v)[i]);
}

int harness_sshd_start(const char *bus_address)
{
	static const char *const progs[4] = {"sshd", "ssh", "ssh-keygen", "systemd-stdio-bridge"};
	_cleanup_(free_strv) char *found[4] = {0};
	const char *tmp = harness_tmpdir();
	int r;

	if (!tmp || !bus_address || strchr(bus_address, '"') || strchr(bus_address, '\''))
		return -EINVAL;
	if (S.dir)
		return -EBUSY;
	for (size_t i = 0; i < ELEMENTSOF(progs); i++)
		if (!(found[i] = find_program(progs[i]))) {
			fprintf(stderr,
				"harness: no %s here (Debian's openssh-server, openssh-client and "
				"systemd; tools/install-deps.sh installs them)\n",
				progs[i]);
			return -EOPNOTSUPP;
		}
	/* What systemd-tmpfiles makes for the host's sshd at boot. */
	if (mkdir(PRIVSEP_DIR, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		fprintf(stderr, "harness: mkdir %s: %m\n", PRIVSEP_DIR);
		return r;
	}
	if (asprintf(&S.dir, "%s/ssh", tmp) < 0)
		abort();
	r = make_files(found[1], found[2], found[3], bus_address);
	for (int attempt = 0; r >= 0; attempt++) {
		/* A race for the port lost to another process shows as sshd
		 * failing to bind, and is retried. */
		r = harness_free_port(&S.port);
		if (r >= 0)
			r = write_sshd_config();
		if (r >= 0)
			r = start_sshd(found[0]);
		if (r >= 0 || attempt == 2)
			break;
		stop_server();
		r = 0;
	}
	if (r >= 0)
		r = harness_ssh_client(HARNESS_SSH_AUTHORIZED);
	if (r >= 0)
		r = put_wrapper_first();
	/* A daemon that runs already has the old PATH. */
	if (r >= 0 && harness_daemon_pid() > 0)
		r = harness_restart_daemon();
	if (r < 0)
		harness_sshd_stop();
	return r;
}

int harness_ssh_client(HarnessSshClient how)
{
	if (!S.dir)
		return -ESRCH;
	_cleanup_free_ char *conf = ssh_path("ssh_config"), *hosts = ssh_path("known_hosts"),
			    *strangers = ssh_path("known_hosts.empty"),
			    *key = ssh_path(how == HARNESS_SSH_OTHER_KEY ? "other_key" : "client_key"),
			    *host_pub = ssh_path("host_key.pub"), *host_line = read_line(host_pub),
			    *known = NULL, *text = NULL;
	if (!host_line)
		return -EIO;
	if (asprintf(&known, "[127.0.0.1]:%u %s\n", (unsigned)S.port, host_line) < 0)
		abort();
	int r = write_file(hosts, known, 0644);
	if (r >= 0)
		r = write_file(strangers, "", 0644);
	if (r < 0)
		return r;
	/* Never a question: a key, a host key already known, or failure. */
	if (asprintf(&text,
		     "# The harness's ssh client (tests/integration/harness-ssh.c).\n"
		     "Host *\n"
		     "  IdentityFile %s\n"
		     "  IdentitiesOnly yes\n"
		     "  IdentityAgent none\n"
		     "  UserKnownHostsFile %s\n"
		     "  GlobalKnownHostsFile /dev/null\n"
		     "  StrictHostKeyChecking yes\n"
		     "  UpdateHostKeys no\n"
		     "  BatchMode yes\n"
		     "  PasswordAuthentication no\n"
		     "  ConnectTimeout 10\n"
		     "  LogLevel ERROR\n",
		     key, how == HARNESS_SSH_UNKNOWN_HOST ? strangers : hosts) < 0)
		abort();
	return write_file(conf, text, 0644);
}

uint16_t harness_sshd_port(void)
{
	return S.dir ? S.port : 0;
}

const char *harness_ssh_dir(void)
{
	return S.dir;
}

void harness_sshd_stop(void)
{
	if (!S.dir)
		return;
	stop_server();
	/* A daemon started from now on runs the host's ssh. */
	if (S.old_path)
		setenv("PATH", S.old_path, 1);
	free(S.old_path);
	free(S.dir);
	S.dir = S.old_path = NULL;
	S.port = 0;
}

void harness_sshd_emergency(void)
{
	if (S.sshd_pid > 0)
		(void)kill(S.sshd_pid, SIGKILL);
}

/* The tail of sshd's log (its refusals say why a login failed). Also
 * after harness_sshd_stop(): the file stays until the teardown. */
void harness_sshd_dump_logs(void)
{
	const char *tmp = harness_tmpdir();
	_cleanup_free_ char *log = NULL;
	if (!tmp || asprintf(&log, "%s/ssh/sshd.log", tmp) < 0)
		return;
	FILE *f = fopen(log, "re");
	if (!f)
		return;
	/* The last 40 lines: a ring of them. */
	char *lines[40] = {0};
	size_t sizes[40] = {0}, n = 0;
	while (getline(&lines[n % 40], &sizes[n % 40], f) > 0)
		n++;
	fclose(f);
	fprintf(stderr, "---- last lines of %s ----\n", log);
	for (size_t i = n > 40 ? n - 40 : 0; i < n; i++)
		fputs(lines[i % 40], stderr);
	for (size_t i = 0; i < 40; i++)
		free(lines[i]);
}
