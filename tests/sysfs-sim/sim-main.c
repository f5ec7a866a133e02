/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * zvirt-sysfs-sim: a sysfs of an s390 host's channel subsystem, for the
 * tests of a machine that has none. A FUSE file system, so that a write
 * the kernel would refuse fails with the kernel's errno at the write,
 * as it does on sysfs; a tree of the kernel's layout; uevents on the
 * kernel's netlink group for the changes it makes.
 *
 *   zvirt-sysfs-sim SCENARIO MOUNTPOINT DEVROOT
 *
 * It mounts, prints "ready" on stdout once the tree is there, and runs
 * until SIGTERM or SIGINT (then unmounts). See README.md.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fuse.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim-loop.h"
#include "sim-s390.h"
#include "sim-tree.h"
#include "sim-uevent.h"

static pthread_mutex_t sim_lock = PTHREAD_MUTEX_INITIALIZER;

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&sim_lock);
	SimEntry *e = sim_lookup(path);
	int r = 0;
	if (!e)
		r = -ENOENT;
	else if (e->kind == SIM_DIR) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (e->kind == SIM_LINK) {
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)strlen(e->value);
	} else {
		/* sysfs: 4096 for every attribute, whatever it holds. */
		st->st_mode = S_IFREG | (e->readable ? 0444 : 0) | (e->writable ? 0200 : 0);
		st->st_nlink = 1;
		st->st_size = 4096;
	}
	pthread_mutex_unlock(&sim_lock);
	return r;
}

static int op_readlink(const char *path, char *buf, size_t size)
{
	pthread_mutex_lock(&sim_lock);
	SimEntry *e = sim_lookup(path);
	int r = 0;
	if (!e)
		r = -ENOENT;
	else if (e->kind != SIM_LINK)
		r = -EINVAL;
	else
		snprintf(buf, size, "%s", e->value);
	pthread_mutex_unlock(&sim_lock);
	return r;
}

typedef struct Fill {
	void *buf;
	fuse_fill_dir_t fill;
} Fill;

static void fill_one(const char *name, void *userdata)
{
	Fill *f = userdata;
	f->fill(f->buf, name, NULL, 0, 0);
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	pthread_mutex_lock(&sim_lock);
	SimEntry *e = sim_lookup(path);
	int r = 0;
	if (!e)
		r = -ENOENT;
	else if (e->kind != SIM_DIR)
		r = -ENOTDIR;
	else {
		fill(buf, ".", NULL, 0, 0);
		fill(buf, "..", NULL, 0, 0);
		sim_children(path, fill_one, &(Fill){buf, fill});
	}
	pthread_mutex_unlock(&sim_lock);
	return r;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	pthread_mutex_lock(&sim_lock);
	SimEntry *e = sim_lookup(path);
	int r = 0;
	int acc = fi->flags & O_ACCMODE;
	if (!e)
		r = -ENOENT;
	else if (e->kind == SIM_DIR)
		r = -EISDIR;
	else if ((acc != O_RDONLY && !e->writable) || (acc != O_WRONLY && !e->readable))
		r = -EACCES;
	/* No page cache: every read asks, as sysfs's show does. */
	fi->direct_io = 1;
	pthread_mutex_unlock(&sim_lock);
	return r;
}

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	pthread_mutex_lock(&sim_lock);
	SimEntry *e = sim_lookup(path);
	int r;
	if (!e)
		r = -ENOENT;
	else {
		size_t len = strlen(e->value);
		if ((size_t)off >= len)
			r = 0;
		else {
			size_t n = len - (size_t)off < size ? len - (size_t)off : size;
			memcpy(buf, e->value + off, n);
			r = (int)n;
		}
	}
	pthread_mutex_unlock(&sim_lock);
	return r;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	(void)off;
	pthread_mutex_lock(&sim_lock);
	SimEntry *e = sim_lookup(path);
	ssize_t r;
	if (!e)
		r = -ENOENT;
	else if (!e->store)
		r = -EACCES;
	else
		r = e->store(e, buf, size);
	pthread_mutex_unlock(&sim_lock);
	return (int)r;
}

/* echo > file opens with O_TRUNC: sysfs ignores it. */
static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	(void)size;
	(void)fi;
	pthread_mutex_lock(&sim_lock);
	int r = sim_lookup(path) ? 0 : -ENOENT;
	pthread_mutex_unlock(&sim_lock);
	return r;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	/* What the kernel shows now, never a cached name or attribute. */
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 1;
	return NULL;
}

static const struct fuse_operations ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.truncate = op_truncate,
};

/* SIGUSR1: cio_ignore -r of the ignored devices; SIGUSR2: cio_ignore -a
 * and purge. /proc/cio_ignore is not sysfs: the test signals instead. */
static volatile sig_atomic_t want_free, want_purge;

static void on_usr(int sig)
{
	if (sig == SIGUSR1)
		want_free = 1;
	else
		want_purge = 1;
}

static void *ticker(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec t = {0, 10 * 1000000L};
		nanosleep(&t, NULL);
		pthread_mutex_lock(&sim_lock);
		sim_s390_tick();
		if (want_free) {
			want_free = 0;
			sim_s390_cio_ignore(true);
		}
		if (want_purge) {
			want_purge = 0;
			sim_s390_cio_ignore(false);
		}
		pthread_mutex_unlock(&sim_lock);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	/* --backing DIR: the disks are loop devices on images in DIR. */
	if (argc == 6 && strcmp(argv[1], "--backing") == 0) {
		sim_loop_init(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: %s [--backing DIR] SCENARIO MOUNTPOINT DEVROOT\n", argv[0]);
		return 2;
	}
	sim_tree_init();
	if (sim_uevent_open() < 0)
		perror("sysfs-sim: uevent socket (no uevents will be sent)");
	if (sim_s390_load(argv[1], argv[3]) < 0)
		return 1;

	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	if (fuse_opt_add_arg(&args, argv[0]) < 0 || fuse_opt_add_arg(&args, "-odefault_permissions") < 0 ||
	    fuse_opt_add_arg(&args, "-ofsname=zvirt-sysfs-sim") < 0)
		return 1;
	struct fuse *fuse = fuse_new(&args, &ops, sizeof(ops), NULL);
	if (!fuse || fuse_mount(fuse, argv[2]) < 0) {
		fprintf(stderr, "sysfs-sim: cannot mount on %s\n", argv[2]);
		return 1;
	}
	if (fuse_set_signal_handlers(fuse_get_session(fuse)) < 0)
		return 1;
	struct sigaction sa = {.sa_handler = on_usr};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0 || sigaction(SIGUSR2, &sa, NULL) < 0)
		return 1;
	pthread_t t;
	if (pthread_create(&t, NULL, ticker, NULL) != 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	int r = fuse_loop_mt(fuse, 0);
	fuse_remove_signal_handlers(fuse_get_session(fuse));
	fuse_unmount(fuse);
	fuse_destroy(fuse);
	fuse_opt_free_args(&args);
	return r == 0 ? 0 : 1;
}
