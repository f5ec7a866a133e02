/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Creating a disk image (image.h) for a migration's copied disk, as
 * libvirt precreates the destination's storage: a raw one is a sparse
 * file of the size; a qcow2 one is qemu-img's work, not ours. */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"

#define QEMU_IMG           "qemu-img"
#define QEMU_IMG_ERROR_MAX 1024

extern char **environ;

static int create_raw(const char *path, uint64_t size, ZvError *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot create the image %s: %s", path,
				    strerror(errno));
	if (ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0) {
		int r = errno;
		(void)unlink(path);
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot size the image %s: %s", path,
				    strerror(r));
	}
	return 0;
}

/* qemu-img create, its stderr read for the message; blocking. */
static int create_qcow2(const char *path, uint64_t size, const char *backing, DiskFormat backing_format,
			ZvError *err)
{
	char size_arg[32];
	snprintf(size_arg, sizeof(size_arg), "%" PRIu64, size);
	const char *argv[16];
	size_t n = 0;
	argv[n++] = QEMU_IMG;
	argv[n++] = "create";
	argv[n++] = "-q";
	argv[n++] = "-f";
	argv[n++] = "qcow2";
	if (backing) {
		argv[n++] = "-b";
		argv[n++] = backing;
		argv[n++] = "-F";
		argv[n++] = backing_format == DISK_FORMAT_QCOW2 ? "qcow2" : "raw";
	}
	argv[n++] = path; /* absolute: never read as an option */
	argv[n++] = size_arg;
	argv[n] = NULL;

	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot run qemu-img: %s", strerror(errno));
	_cleanup_close_ int rd = pipefd[0];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	int r = posix_spawn_file_actions_init(&fa);
	if (r == 0 && (r = posix_spawnattr_init(&attr)) != 0)
		posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		close(pipefd[1]);
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot run qemu-img: %s", strerror(r));
	}
	/* The daemon's blocked signals and descriptors stay the daemon's. */
	r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	if (r == 0)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	if (r == 0)
		r = posix_spawnattr_setsigmask(&attr, &none);
	if (r == 0)
		r = posix_spawnattr_setsigdefault(&attr, &all);
	if (r == 0)
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid = -1;
	if (r == 0)
		r = posix_spawnp(&pid, QEMU_IMG, &fa, &attr, (char *const *)argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r != 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot run qemu-img: %s", strerror(r));

	char msg[QEMU_IMG_ERROR_MAX] = "";
	size_t len = 0;
	for (;;) {
		ssize_t k = read(rd, msg + len, sizeof(msg) - 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
		if (len == sizeof(msg) - 1) {
			char drain[256];
			while (read(rd, drain, sizeof(drain)) > 0)
				;
			break;
		}
	}
	msg[len] = 0;
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = 0;
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot wait for qemu-img: %s",
					    strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	(void)unlink(path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return zv_error_set(err, ZV_ERROR_HOST, ENOENT, "Cannot create the image %s: no qemu-img",
				    path);
	return zv_error_set(err, ZV_ERROR_HOST, EIO, "qemu-img cannot create the image %s: %s", path,
			    len ? msg : "no message");
}

int qemu_image_create(const char *path, DiskFormat format, uint64_t size, const char *backing,
		      DiskFormat backing_format, ZvError *err)
{
	if (!path || path[0] != '/')
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "An image to create needs an absolute path");
	if (format == DISK_FORMAT_QCOW2)
		return create_qcow2(path, size, backing, backing_format, err);
	if (backing)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "A raw image has no backing file (%s)", path);
	return create_raw(path, size, err);
}
