/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The files a domain names, given to QEMU's user for a run and given back
 * after it (dac.h), and the emulators a definition may name.
 *
 * Where the old owners are kept: in each domain's runtime status
 * (<owners>), not in xattrs on the files as libvirt does with
 * trusted.libvirt.security.*. The status file is written at every start
 * and read back by a restarted daemon, so the memory survives a restart
 * either way; it works on every file system (NFS and many FUSE ones have
 * no trusted.* xattrs); and it lives in RunDir, which a reboot empties
 * together with the guests, so no stale reference count can outlive the
 * processes it counted. Sharing between running domains is therefore
 * counted by looking at the other domains' records (the same file is the
 * same st_dev and st_ino, whatever path names it), and whoever stops last
 * gives the file back. */

#include "dac.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-internal.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/log.h"

/* Mode bits QEMU needs on a file. */
#define NEED_READ   4u
#define NEED_RW     6u
#define NEED_SEARCH 1u

typedef struct Labeler {
	Domain *d;
	const Settings *s;
	FileOwners done; /* to give away in this start */
	/* done.v[i]'s open file, to chown once the list is recorded; -1
	 * when it needs no chown (already QEMU's user's). */
	int *fds;
	size_t n_fds;
	char **whats; /* for the messages */
} Labeler;

static void labeler_close(Labeler *l)
{
	for (size_t i = 0; i < l->n_fds; i++)
		if (l->fds[i] >= 0)
			close(l->fds[i]);
	free(l->fds);
	for (size_t i = 0; i < l->n_fds; i++)
		free(l->whats[i]);
	free(l->whats);
	l->fds = NULL;
	l->whats = NULL;
	l->n_fds = 0;
}

int dac_check_emulator(const Settings *s, const DomainDef *def, ZvError *err)
{
	const char *emulator = def->emulator ? def->emulator : QEMU_DEFAULT_EMULATOR;
	if (settings_emulator_allowed(s, emulator))
		return 0;
	return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EPERM,
			    "Emulator '%s' is not allowed: the configuration allows %s (Emulator=)%s%s%s",
			    emulator, s->emulator ? s->emulator : QEMU_DEFAULT_EMULATOR,
			    s->emulator_allow && *s->emulator_allow ? " and " : "",
			    s->emulator_allow ? s->emulator_allow : "",
			    s->emulator_allow && *s->emulator_allow ? " (EmulatorAllow=)" : "");
}

QemuProcessUser dac_process_user(const Domain *d)
{
	return dac_settings_user(registry_get_settings(d->registry));
}

QemuProcessUser dac_settings_user(const Settings *s)
{
	return (QemuProcessUser){
		.change = geteuid() == 0,
		.uid = s->qemu_uid,
		.gid = s->qemu_gid,
		.groups = s->qemu_groups,
		.n_groups = s->n_qemu_groups,
	};
}

/* The permission bits (rwx) that apply to QEMU's user on st, as the
 * kernel picks them: owner, else group, else other. ACLs are not looked
 * at: a file they open to the user is given away all the same. */
static unsigned user_bits(const Settings *s, const struct stat *st)
{
	if (st->st_uid == s->qemu_uid)
		return (st->st_mode >> 6) & 7;
	bool member = st->st_gid == s->qemu_gid;
	for (size_t i = 0; i < s->n_qemu_groups; i++)
		member |= st->st_gid == s->qemu_groups[i];
	return member ? (st->st_mode >> 3) & 7 : st->st_mode & 7;
}

static bool user_may(const Settings *s, const struct stat *st, unsigned need)
{
	return (user_bits(s, st) & need) == need;
}

/* The record of the same file in another running domain, if any. */
static const FileOwner *find_elsewhere(const Domain *self, uint64_t dev, uint64_t ino, const Domain **ret)
{
	Domain *o;
	for (size_t i = 0; registry_iterate(self->registry, &i, &o);) {
		if (o == self)
			continue;
		for (size_t j = 0; j < o->owners.n; j++)
			if (o->owners.v[j].dev == dev && o->owners.v[j].ino == ino) {
				if (ret)
					*ret = o;
				return &o->owners.v[j];
			}
	}
	return NULL;
}

static void restore_one(const FileOwner *o)
{
	/* Following links is safe here: only the recorded inode is touched. */
	_cleanup_close_ int fd = open(o->path, O_PATH | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (errno == ENOENT)
			log_debug("%s is gone; no owner to give back", o->path);
		else
			log_warning_errno(errno, "Cannot give %s back to %u:%u: %m", o->path,
					  (unsigned)o->uid, (unsigned)o->gid);
		return;
	}
	if ((uint64_t)st.st_dev != o->dev || (uint64_t)st.st_ino != o->ino) {
		log_warning("%s is another file than the one given to QEMU; its owner stays", o->path);
		return;
	}
	if (st.st_uid != o->label_uid || st.st_gid != o->label_gid) {
		log_info("%s changed owner while QEMU ran (now %u:%u); it stays so", o->path,
			 (unsigned)st.st_uid, (unsigned)st.st_gid);
		return;
	}
	if (st.st_uid == o->uid && st.st_gid == o->gid)
		return;
	if (fchownat(fd, "", o->uid, o->gid, AT_EMPTY_PATH) < 0) {
		log_warning_errno(errno, "Cannot give %s back to %u:%u: %m", o->path, (unsigned)o->uid,
				  (unsigned)o->gid);
		return;
	}
	log_debug("Gave %s back to %u:%u", o->path, (unsigned)o->uid, (unsigned)o->gid);
}

/* Gives back what list holds, but what another running domain of self's
 * registry still uses; empties list. */
static void restore_list(const Domain *self, FileOwners *list)
{
	for (size_t i = 0; i < list->n; i++) {
		const Domain *other = NULL;
		if (find_elsewhere(self, list->v[i].dev, list->v[i].ino, &other)) {
			log_debug("%s stays with QEMU: domain %s uses it too", list->v[i].path,
				  domain_name(other));
			continue;
		}
		restore_one(&list->v[i]);
	}
	file_owners_done(list);
}

void dac_restore_domain(Domain *d)
{
	restore_list(d, &d->owners);
}

void dac_take_owners(Domain *d, FileOwners *owners)
{
	file_owners_done(&d->owners);
	d->owners = *owners;
	*owners = (FileOwners){};
}

/* Opens path as a file to give away, without following a symbolic link
 * in its last component: what is checked is what gets chowned (fchownat
 * on the descriptor), so nothing can be swapped in between. Links that
 * root keeps in DevRoot= (udev's /dev/disk/by-*, /dev/mapper) are followed
 * to the block device they name. create: make a missing file (console
 * files and logs, which QEMU would create in a directory it may not
 * write). 1 with *ret_fd, 0 when there is no such file (QEMU will say
 * so), or an error naming what. */
static int open_file(const char *dev_root, const char *what, const char *path, bool create, int *ret_fd,
		     struct stat *ret_st, ZvError *err)
{
	size_t root_len = strlen(dev_root);
	_cleanup_close_ int fd =
		create ? open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
			      0600)
		       : open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 && errno == ELOOP)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ELOOP,
				    "%s: %s is a symbolic link; name the file it points to", what, path);
	if (fd < 0 && errno == ENXIO)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ENXIO,
				    "%s: %s is not a regular file or block device", what, path);
	if (fd < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "%s: cannot open %s: %s", what, path,
				    strerror(errno));

	struct stat st;
	if (fstat(fd, &st) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "%s: cannot stat %s: %s", what, path,
				    strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		if (strncmp(path, dev_root, root_len) != 0 || path[root_len] != '/' || st.st_uid != 0)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ELOOP,
					    "%s: %s is a symbolic link; name the file it points to", what,
					    path);
		close(fd);
		fd = open(path, O_PATH | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return zv_error_set(err, ZV_ERROR_HOST, errno, "%s: cannot open %s: %s", what, path,
					    strerror(errno));
		if (!S_ISBLK(st.st_mode))
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ELOOP,
					    "%s: %s is a symbolic link to something else than a block "
					    "device; name the file it points to",
					    what, path);
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%s: %s is not a regular file or block device", what, path);
	*ret_fd = TAKE_FD(fd);
	*ret_st = st;
	return 1;
}

static int label_file(Labeler *l, const char *what, const char *path, unsigned need, bool create,
		      ZvError *err)
{
	const Settings *s = l->s;
	_cleanup_close_ int fd = -1;
	struct stat st = {}; /* set when open_file() returns 1 */

	int r = open_file(s->dev_root, what, path, create, &fd, &st, err);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < l->done.n; i++)
		if (l->done.v[i].dev == (uint64_t)st.st_dev && l->done.v[i].ino == (uint64_t)st.st_ino)
			return 0; /* named twice in one definition */

	/* A file another domain gave away is shared: its owner from before
	 * is the one to give back, by whoever stops last. Otherwise a file
	 * the user can already use keeps its owner (the test guest's 0644
	 * kernel, images in a group the user is in). */
	const FileOwner *other = find_elsewhere(l->d, st.st_dev, st.st_ino, NULL);
	if (!other && user_may(s, &st, need))
		return 0;

	FileOwner o = {
		.path = (char *)path,
		.dev = st.st_dev,
		.ino = st.st_ino,
		.uid = other ? other->uid : st.st_uid,
		.gid = other ? other->gid : st.st_gid,
		.label_uid = s->qemu_uid,
		.label_gid = s->qemu_gid,
	};
	int *fds = realloc(l->fds, (l->n_fds + 1) * sizeof(*fds));
	if (fds)
		l->fds = fds;
	char **whats = fds ? realloc(l->whats, (l->n_fds + 1) * sizeof(*whats)) : NULL;
	if (whats)
		l->whats = whats;
	char *what_copy = whats ? strdup(what) : NULL;
	if (!what_copy || file_owners_add(&l->done, &o) < 0) {
		free(what_copy);
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	/* The chown comes once the whole list is in the status file. */
	l->whats[l->n_fds] = what_copy;
	l->fds[l->n_fds++] = st.st_uid == s->qemu_uid && st.st_gid == s->qemu_gid ? -1 : TAKE_FD(fd);
	return 0;
}

/* Gives every recorded file to QEMU's user. A file that cannot change
 * owner for reasons QEMU may live with (root-squashed NFS, read-only
 * media) leaves the list with a warning; any other failure is the
 * start's. */
static int give_all(Labeler *l, ZvError *err)
{
	const Settings *s = l->s;
	for (size_t i = 0; i < l->n_fds;) {
		const char *what = l->whats[i], *path = l->done.v[i].path;
		int fd = l->fds[i];
		if (fd < 0 || fchownat(fd, "", s->qemu_uid, s->qemu_gid, AT_EMPTY_PATH) >= 0) {
			if (fd >= 0)
				fault_point("start-file-given");
			if (fd >= 0)
				log_debug("%s: gave %s to %u:%u (it was %u:%u)", what, path,
					  (unsigned)s->qemu_uid, (unsigned)s->qemu_gid,
					  (unsigned)l->done.v[i].uid, (unsigned)l->done.v[i].gid);
			i++;
			continue;
		}
		int e = errno;
		if (e != EPERM && e != EROFS && e != EOPNOTSUPP)
			return zv_error_set(err, ZV_ERROR_HOST, e, "%s: cannot give %s to %s: %s", what,
					    path, s->user, strerror(e));
		log_warning("%s: cannot give %s to %s: %s; QEMU may not be able to open it", what, path,
			    s->user, strerror(e));
		close(fd);
		free(l->done.v[i].path);
		free(l->whats[i]);
		l->done.n--;
		l->n_fds--;
		memmove(&l->done.v[i], &l->done.v[i + 1], (l->done.n - i) * sizeof(l->done.v[0]));
		memmove(&l->fds[i], &l->fds[i + 1], (l->n_fds - i) * sizeof(l->fds[0]));
		memmove(&l->whats[i], &l->whats[i + 1], (l->n_fds - i) * sizeof(l->whats[0]));
	}
	return 0;
}

/* The daemon's own directories that QEMU opens files in by path (its
 * pidfile, console logs) must be searchable by it: group Group=, g+x,
 * never g+r. A directory of someone else's group is left alone with a
 * warning. */
static void make_searchable(const Labeler *l, const char *dir)
{
	const Settings *s = l->s;
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		log_warning_errno(errno, "Cannot open %s: %m", dir);
		return;
	}
	if (user_may(s, &st, NEED_SEARCH))
		return;
	if (st.st_uid != geteuid() || (st.st_gid != 0 && st.st_gid != s->qemu_gid)) {
		log_warning("QEMU's user %s cannot search %s; QEMU will not reach its files there", s->user,
			    dir);
		return;
	}
	if (fchown(fd, (uid_t)-1, s->qemu_gid) < 0 || fchmod(fd, (st.st_mode & 07777) | S_IXGRP) < 0) {
		log_warning_errno(errno, "Cannot make %s searchable by group %u: %m", dir,
				  (unsigned)s->qemu_gid);
		return;
	}
	log_info("Made %s searchable by QEMU's group %u (mode g+x)", dir, (unsigned)s->qemu_gid);
}

/* QEMU's -pidfile: QEMU opens it for writing, and cannot create files in
 * RunDir/domains. The daemon removes it when QEMU has ended. */
static int give_pidfile(const Labeler *l, const char *path, ZvError *err)
{
	_cleanup_close_ int fd =
		open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot create QEMU's pidfile %s: %s", path,
				    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return zv_error_set(err, ZV_ERROR_HOST, EEXIST, "QEMU's pidfile %s is not a regular file",
				    path);
	if (fchown(fd, l->s->qemu_uid, l->s->qemu_gid) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, errno, "Cannot give QEMU's pidfile %s to %s: %s",
				    path, l->s->user, strerror(errno));
	return 0;
}

static int label_all(Labeler *l, const QemuCmdlineParams *p, ZvError *err)
{
	const DomainDef *def = l->d->live;
	const Settings *s = l->s;
	char what[64];
	int r;

	make_searchable(l, s->run_dir);
	if (p->pidfile) {
		_cleanup_free_ char *dir = strdup(p->pidfile);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash && slash != dir) {
			*slash = 0;
			make_searchable(l, dir);
		}
		r = give_pidfile(l, p->pidfile, err);
		if (r < 0)
			return r;
	}
	make_searchable(l, s->log_dir);

	if (def->os_kernel && (r = label_file(l, "The kernel", def->os_kernel, NEED_READ, false, err)) < 0)
		return r;
	if (def->os_initrd && (r = label_file(l, "The initrd", def->os_initrd, NEED_READ, false, err)) < 0)
		return r;

	for (size_t i = 0; i < def->n_disks; i++) {
		const DiskDef *disk = &def->disks[i];
		if (!disk->source || !*disk->source)
			continue; /* an empty cdrom */
		snprintf(what, sizeof(what), "Disk '%s'", disk->target ? disk->target : "?");
		r = label_file(l, what, disk->source, disk->readonly ? NEED_READ : NEED_RW, false, err);
		if (r < 0)
			return r;
		/* QEMU opens the backing chain read-only. */
		for (size_t k = 0; k < disk->n_backing; k++) {
			snprintf(what, sizeof(what), "Disk '%s' (backing store %zu)",
				 disk->target ? disk->target : "?", k + 1);
			r = label_file(l, what, disk->backing[k].source, NEED_READ, false, err);
			if (r < 0)
				return r;
		}
	}

	for (size_t i = 0; i < def->n_hostdevs; i++) {
		const HostdevDef *h = &def->hostdevs[i];
		if (!h->live_sg_path)
			continue;
		snprintf(what, sizeof(what), "SCSI host device %s", h->live_sg_path);
		r = label_file(l, what, h->live_sg_path, h->readonly ? NEED_READ : NEED_RW, false, err);
		if (r < 0)
			return r;
	}

	bool default_log_used = false;
	for (size_t i = 0; i < def->n_consoles; i++) {
		const ConsoleDef *c = &def->consoles[i];
		snprintf(what, sizeof(what), "Console %zu", i);
		if (c->type == CONSOLE_TYPE_FILE && c->source_path &&
		    (r = label_file(l, what, c->source_path, NEED_RW, true, err)) < 0)
			return r;
		if (c->log_file && (r = label_file(l, what, c->log_file, NEED_RW, true, err)) < 0)
			return r;
		/* qemu/cmdline.c: the first console without a log of its own,
		 * unless a log pump's pipe takes its output (then QEMU opens
		 * nothing in LogDir, and its user may not write there). */
		if (!c->log_file && p->default_console_log && p->default_console_log_fd <= 2 &&
		    !default_log_used) {
			default_log_used = true;
			r = label_file(l, what, p->default_console_log, NEED_RW, true, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int dac_label_domain(Domain *d, const QemuCmdlineParams *p, ZvError *err)
{
	const Settings *s = registry_get_settings(d->registry);

	int r = dac_check_emulator(s, d->live, err);
	if (r < 0)
		return r;
	/* Not root: QEMU runs as the daemon's user, who can chown nothing.
	 * root: opens everything anyway. */
	if (geteuid() != 0 || s->qemu_uid == 0)
		return 0;

	/* Left from a run that ended without its QEMU being noticed: give
	 * it back first, so that the new record starts from the truth. */
	if (d->owners.n > 0)
		restore_list(d, &d->owners);

	Labeler l = {.d = d, .s = s};
	r = label_all(&l, p, err);
	if (r >= 0) {
		/* Recorded before any file changes hands: a daemon that dies
		 * while giving them away leaves a status file whose domain has
		 * no QEMU, and the next daemon gives them back. */
		d->owners = l.done;
		(void)domain_save_status(d);
		d->owners = (FileOwners){};
		r = give_all(&l, err);
	}
	labeler_close(&l);
	if (r < 0) {
		restore_list(d, &l.done);
		return r;
	}
	dac_take_owners(d, &l.done);
	return 0;
}

/* Labels one more file for the run of d: recorded (and the status
 * written) before its chown, as at start. A file d already gave away
 * (another device of the run names it) is left as it is. */
static int label_one_more(Domain *d, const char *what, const char *path, unsigned need, ZvError *err)
{
	const Settings *s = registry_get_settings(d->registry);
	for (size_t i = 0; i < d->owners.n; i++)
		if (strcmp(d->owners.v[i].path, path) == 0)
			return 0;

	Labeler l = {.d = d, .s = s};
	size_t before = d->owners.n;
	int r = label_file(&l, what, path, need, false, err);
	for (size_t i = 0; r >= 0 && i < l.done.n; i++)
		if (file_owners_add(&d->owners, &l.done.v[i]) < 0)
			r = zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	if (r >= 0 && l.done.n > 0) {
		(void)domain_save_status(d);
		r = give_all(&l, err);
	}
	/* What give_all() kept is what changed hands: d's record follows. */
	for (size_t i = before; i < d->owners.n; i++)
		free(d->owners.v[i].path);
	d->owners.n = before;
	for (size_t i = 0; r >= 0 && i < l.done.n; i++)
		if (file_owners_add(&d->owners, &l.done.v[i]) < 0)
			r = zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	if (r < 0) {
		for (size_t i = 0; i < l.done.n; i++)
			restore_one(&l.done.v[i]);
		for (size_t i = before; i < d->owners.n; i++)
			free(d->owners.v[i].path);
		d->owners.n = before;
	}
	if (l.done.n > 0)
		(void)domain_save_status(d);
	labeler_close(&l);
	file_owners_done(&l.done);
	return r;
}

int dac_label_device(Domain *d, const DeviceDef *dev, ZvError *err)
{
	const Settings *s = registry_get_settings(d->registry);
	char what[96];
	size_t before = d->owners.n;
	int r = 0;

	if (geteuid() != 0 || s->qemu_uid == 0)
		return 0;
	if (dev->kind == DEVICE_KIND_DISK) {
		const DiskDef *disk = &dev->disk;
		if (!disk->source || !*disk->source)
			return 0; /* an empty cdrom */
		snprintf(what, sizeof(what), "Disk '%s'", disk->target ? disk->target : "?");
		r = label_one_more(d, what, disk->source, disk->readonly ? NEED_READ : NEED_RW, err);
		/* QEMU opens the backing chain read-only. */
		for (size_t k = 0; r >= 0 && k < disk->n_backing; k++) {
			snprintf(what, sizeof(what), "Disk '%s' (backing store %zu)", disk->target, k + 1);
			r = label_one_more(d, what, disk->backing[k].source, NEED_READ, err);
		}
	} else if (dev->kind == DEVICE_KIND_HOSTDEV && dev->hostdev.live_sg_path) {
		snprintf(what, sizeof(what), "SCSI host device %s", dev->hostdev.live_sg_path);
		r = label_one_more(d, what, dev->hostdev.live_sg_path,
				   dev->hostdev.readonly ? NEED_READ : NEED_RW, err);
	}
	if (r < 0 && d->owners.n > before) {
		for (size_t i = before; i < d->owners.n; i++) {
			restore_one(&d->owners.v[i]);
			free(d->owners.v[i].path);
		}
		d->owners.n = before;
		(void)domain_save_status(d);
	}
	return r;
}

/* Whether the live definition still names path. */
static bool live_names(const DomainDef *def, const char *path)
{
	for (size_t i = 0; def && i < def->n_disks; i++) {
		const DiskDef *disk = &def->disks[i];
		if (disk->source && strcmp(disk->source, path) == 0)
			return true;
		for (size_t k = 0; k < disk->n_backing; k++)
			if (disk->backing[k].source && strcmp(disk->backing[k].source, path) == 0)
				return true;
	}
	for (size_t i = 0; def && i < def->n_hostdevs; i++)
		if (def->hostdevs[i].live_sg_path && strcmp(def->hostdevs[i].live_sg_path, path) == 0)
			return true;
	if (def && ((def->os_kernel && strcmp(def->os_kernel, path) == 0) ||
		    (def->os_initrd && strcmp(def->os_initrd, path) == 0)))
		return true;
	for (size_t i = 0; def && i < def->n_consoles; i++)
		if ((def->consoles[i].source_path && strcmp(def->consoles[i].source_path, path) == 0) ||
		    (def->consoles[i].log_file && strcmp(def->consoles[i].log_file, path) == 0))
			return true;
	return false;
}

/* Gives back path if d recorded it and its live definition no longer
 * names it. */
static void restore_path(Domain *d, const char *path)
{
	if (!path || live_names(d->live, path))
		return;
	for (size_t i = 0; i < d->owners.n; i++) {
		if (strcmp(d->owners.v[i].path, path) != 0)
			continue;
		FileOwners one = {};
		int k = file_owners_add(&one, &d->owners.v[i]);
		free(d->owners.v[i].path);
		memmove(&d->owners.v[i], &d->owners.v[i + 1], (d->owners.n - i - 1) * sizeof(FileOwner));
		d->owners.n--;
		(void)domain_save_status(d);
		if (k >= 0)
			restore_list(d, &one); /* not while another running domain uses it */
		return;
	}
}

void dac_restore_device(Domain *d, const DeviceDef *dev)
{
	if (dev->kind == DEVICE_KIND_DISK) {
		restore_path(d, dev->disk.source);
		for (size_t k = 0; k < dev->disk.n_backing; k++)
			restore_path(d, dev->disk.backing[k].source);
	} else if (dev->kind == DEVICE_KIND_HOSTDEV)
		restore_path(d, dev->hostdev.live_sg_path);
}
