/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The harness's s390 sysfs (harness.h, "the s390 sysfs simulator"):
 * tests/sysfs-sim/'s zvirt-sysfs-sim mounted below TMP, the daemon's
 * SysfsRoot= pointed at it. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct {
	pid_t pid;
	char *sys, *dev, *disks;
} M;

const char *harness_sim_sysfs(void)
{
	return M.sys;
}

const char *harness_sim_devroot(void)
{
	return M.dev;
}

/* The daemon's configuration with [Hypervisor] lines added after the
 * section's header. */
static char *conf_with(const char *conf, const char *lines)
{
	const char *h = strstr(conf, "[Hypervisor]\n");
	char *out = NULL;
	if (!h)
		return NULL;
	h += strlen("[Hypervisor]\n");
	if (asprintf(&out, "%.*s%s%s", (int)(h - conf), conf, lines, h) < 0)
		abort();
	return out;
}

int harness_sim_start(const char *scenario, const char *extra_conf)
{
	const char *bin = getenv("ZVIRT_SYSFS_SIM"), *src = getenv("ZVIRT_SOURCE_ROOT");
	const char *tmp = harness_tmpdir();
	if (!bin || !src || !tmp) {
		fprintf(stderr,
			"harness: ZVIRT_SYSFS_SIM or ZVIRT_SOURCE_ROOT is not set (meson sets them)\n");
		return -EINVAL;
	}
	if (M.pid > 0)
		return -EBUSY;
	if (access("/dev/fuse", R_OK | W_OK) < 0) {
		fprintf(stderr, "harness: no /dev/fuse: the sysfs simulator cannot run here\n");
		return -EOPNOTSUPP;
	}
	_cleanup_free_ char *path = NULL;
	if (scenario[0] == '/')
		path = strdup(scenario);
	else if (asprintf(&path, "%s/tests/sysfs-sim/%s", src, scenario) < 0)
		path = NULL;
	if (!path || asprintf(&M.sys, "%s/sysfs", tmp) < 0 || asprintf(&M.dev, "%s/devroot", tmp) < 0 ||
	    asprintf(&M.disks, "%s/sim-disks", tmp) < 0)
		abort();
	/* A new /dev, as after a boot: the nodes a simulator made before are
	 * not this one's. The disks' images stay, as storage does. */
	harness_sh("rm -rf '%s'", M.dev);
	if ((mkdir(M.sys, 0755) < 0 && errno != EEXIST) || (mkdir(M.dev, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(M.disks, 0700) < 0 && errno != EEXIST))
		return -errno;

	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	M.pid = fork();
	if (M.pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (M.pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(127);
		/* The disks are loop devices a guest can use (sim-loop.h). */
		execl(bin, bin, "--backing", M.disks, path, M.sys, M.dev, (char *)NULL);
		fprintf(stderr, "exec %s: %m\n", bin);
		_exit(127);
	}
	close(p[1]);
	char line[64] = "";
	FILE *f = fdopen(p[0], "r");
	bool ready = f && fgets(line, sizeof(line), f) && strcmp(line, "ready\n") == 0;
	if (f)
		fclose(f);
	else
		close(p[0]);
	if (!ready) {
		fprintf(stderr, "harness: the sysfs simulator did not start (%s)\n", path);
		harness_sim_stop();
		return -EIO;
	}

	/* The daemon's SysfsRoot= (and what the test adds) point at it. */
	_cleanup_free_ char *conf_path = NULL, *lines = NULL;
	if (asprintf(&conf_path, "%s/zvirtd.conf", tmp) < 0 ||
	    asprintf(&lines, "SysfsRoot=%s\nDevRoot=%s\n%s", M.sys, M.dev, extra_conf ?: "") < 0)
		abort();
	_cleanup_free_ char *before = harness_read_file(conf_path), *conf = conf_with(before, lines);
	if (!conf)
		return -EINVAL;
	harness_write_file(conf_path, conf);
	return harness_daemon_pid() > 0 ? harness_restart_daemon() : 0;
}

void harness_sim_stop(void)
{
	if (M.pid > 0) {
		/* Unmounting ends it; SIGTERM is its own way out too. */
		(void)umount2(M.sys, MNT_DETACH);
		kill(M.pid, SIGTERM);
		(void)waitpid(M.pid, NULL, 0);
		M.pid = 0;
	}
	/* The daemon's configuration keeps SysfsRoot=: it stops before the
	 * simulator at the teardown. */
	free(M.sys);
	free(M.dev);
	free(M.disks);
	M.sys = M.dev = M.disks = NULL;
}

void harness_sim_emergency(void)
{
	if (M.pid > 0) {
		if (M.sys)
			(void)umount2(M.sys, MNT_DETACH);
		kill(M.pid, SIGKILL);
	}
}

int harness_sim_signal(int sig)
{
	if (M.pid <= 0)
		return -ESRCH;
	return kill(M.pid, sig) < 0 ? -errno : 0;
}

/* Asserting: value to a file of the simulator's sysfs (path below it). */
int harness_sim_write(const char *path, const char *value)
{
	_cleanup_free_ char *full = NULL;
	if (asprintf(&full, "%s/%s", M.sys, path) < 0)
		abort();
	int fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, value, strlen(value));
	int r = n < 0 ? -errno : 0;
	close(fd);
	return r;
}

char *harness_sim_read(const char *path)
{
	_cleanup_free_ char *full = NULL;
	if (asprintf(&full, "%s/%s", M.sys, path) < 0)
		abort();
	char *s = harness_read_file(full);
	size_t len = s ? strlen(s) : 0;
	if (len && s[len - 1] == '\n')
		s[len - 1] = 0;
	return s;
}
