/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's files (store.h): definitions, autostart marks, runtime
 * status, the instance lock; file I/O only, the documents are conf's. */
#include "store.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fault.h"
#include "util/fileio.h"
#include "util/log.h"
#include "conf/domain-xml.h"

#define STATUS_MAX_SIZE (4 * 1024 * 1024)

char *store_path(const char *dir, const char *uuid_hex, const char *suffix)
{
	char *p;
	if (asprintf(&p, "%s/domains/%s%s", dir, uuid_hex, suffix) < 0)
		return NULL;
	return p;
}

static bool is_uuid_file(const char *name, char uuid_hex[static SD_ID128_STRING_MAX])
{
	size_t len = strlen(name);
	if (len != 32 + 4 || strcmp(name + 32, ".xml") != 0)
		return false;
	for (size_t i = 0; i < 32; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	memcpy(uuid_hex, name, 32);
	uuid_hex[32] = 0;
	return true;
}

/* <32 hex>.xml.tmp.XXXXXX: what write_file_atomic() leaves when the
 * process dies between creating its temporary file and the rename. */
static bool is_leftover_temp(const char *name)
{
	char uuid_hex[SD_ID128_STRING_MAX], head[32 + 5];
	const char *tmp = strstr(name, ".tmp.");
	if (!tmp || (size_t)(tmp - name) != 32 + 4 || strlen(tmp + 5) != 6)
		return false;
	memcpy(head, name, 32 + 4);
	head[32 + 4] = 0;
	return is_uuid_file(head, uuid_hex);
}

static char *autostart_path(const char *state_dir, const char *uuid_hex)
{
	char *p;
	if (asprintf(&p, "%s/autostart/%s.xml", state_dir, uuid_hex) < 0)
		return NULL;
	return p;
}

int store_lock_instance(const Settings *s)
{
	_cleanup_free_ char *path = NULL;
	int r = mkdir_p(s->run_dir, 0755);
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/zvirtd.lock", s->run_dir) < 0)
		return -ENOMEM;
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return TAKE_FD(fd);
}

int store_prepare_dirs(const Settings *s)
{
	const char *parents[] = {s->state_dir, s->state_dir, s->run_dir, s->log_dir};
	const char *subdirs[] = {"/domains", "/autostart", "/domains", ""};
	for (size_t i = 0; i < ELEMENTSOF(parents); i++) {
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s%s", parents[i], subdirs[i]) < 0)
			return -ENOMEM;
		int r = mkdir_p(path, 0700);
		if (r < 0)
			return log_error_errno(r, "Cannot create %s: %m", path);
	}
	return 0;
}

/* The directory half of a durable change: < 0 here means the change is
 * made but a power cut may undo it. */
static int sync_directory_of(const char *path)
{
	fault_delay("store-directory-fsync");
	int r = fsync_parent_directory(path);
	if (r >= 0)
		r = fault_error("store-directory-fsync");
	if (r < 0)
		log_error_errno(r, "Cannot fsync the directory of %s: %m", path);
	return r;
}

int store_write_definition(const char *state_dir, const char *uuid_hex, const char *xml, int *ret_unsynced)
{
	assert(ret_unsynced);
	_cleanup_free_ char *path = store_path(state_dir, uuid_hex, ".xml");
	if (!path)
		return -ENOMEM;
	int r = write_file_atomic(path, xml, strlen(xml), 0600, WRITE_DURABLE);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", path);
	*ret_unsynced = sync_directory_of(path);
	return 0;
}

int store_save_definition(const char *state_dir, const DomainDef *def, int *ret_unsynced)
{
	_cleanup_free_ char *xml = domain_def_format(def, 0, DOMAIN_XML_FORMAT_INACTIVE);
	if (!xml)
		return -ENOMEM;
	return store_write_definition(state_dir, SD_ID128_TO_STRING(def->uuid), xml, ret_unsynced);
}

int store_remove_definition(const char *state_dir, const char *uuid_hex, int *ret_unsynced)
{
	assert(ret_unsynced);
	_cleanup_free_ char *path = store_path(state_dir, uuid_hex, ".xml");
	if (!path)
		return -ENOMEM;
	int r = unlink_if_exists(path);
	if (r < 0)
		return log_error_errno(r, "Cannot remove %s: %m", path);
	*ret_unsynced = sync_directory_of(path);
	return 0;
}

int store_set_autostart(const char *state_dir, const char *uuid_hex, bool autostart, int *ret_unsynced)
{
	assert(ret_unsynced);
	_cleanup_free_ char *path = autostart_path(state_dir, uuid_hex), *target = NULL;
	if (!path || asprintf(&target, "../domains/%s.xml", uuid_hex) < 0)
		return -ENOMEM;

	int r;
	if (autostart)
		r = symlink(target, path) < 0 && errno != EEXIST ? -errno : 0;
	else
		r = unlink_if_exists(path);
	if (r < 0)
		return log_error_errno(r, "Cannot %s %s: %m", autostart ? "create" : "remove", path);
	*ret_unsynced = sync_directory_of(path);
	return 0;
}

int store_claim_boot_autostart(const Settings *s)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/autostarted", s->run_dir) < 0)
		return -ENOMEM;
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		return 1;
	return errno == EEXIST ? 0 : -errno;
}

/* Calls cb for every entry of dir named <32 hex>.xml. */
typedef int (*uuid_entry_fn)(const char *dir, const char *name, const char *uuid_hex, void *userdata);

static int foreach_uuid_entry(const char *dir, uuid_entry_fn cb, void *userdata)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : log_error_errno(errno, "Cannot open %s: %m", dir);

	struct dirent *de;
	char uuid_hex[SD_ID128_STRING_MAX];
	int r = 0;
	while ((de = readdir(d))) {
		if (is_leftover_temp(de->d_name)) {
			/* Only one daemon runs (the instance lock), so no write of
			 * ours is under way: this one was cut by a crash. */
			log_info("Removing %s/%s, left by an interrupted write", dir, de->d_name);
			(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (is_uuid_file(de->d_name, uuid_hex) && (r = cb(dir, de->d_name, uuid_hex, userdata)) < 0)
			break;
	}
	closedir(d);
	return r;
}

/* Reads every <dir>/domains/<32 hex>.xml up to max bytes and hands it to
 * cb; files that cannot be read are passed with xml NULL and the error. */
typedef int (*uuid_file_fn)(const char *path, const char *uuid_hex, const char *xml, size_t len, int error,
			    void *userdata);

typedef struct FileWalk {
	size_t max;
	uuid_file_fn cb;
	void *userdata;
} FileWalk;

static int on_uuid_file(const char *dir, const char *name, const char *uuid_hex, void *userdata)
{
	FileWalk *w = userdata;
	_cleanup_free_ char *path = NULL, *xml = NULL;
	size_t len = 0;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	int k = read_file_full(path, w->max, &xml, &len);
	return w->cb(path, uuid_hex, k < 0 ? NULL : xml, len, k < 0 ? k : 0, w->userdata);
}

static int foreach_uuid_file(const char *top, size_t max, uuid_file_fn cb, void *userdata)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/domains", top) < 0)
		return -ENOMEM;
	FileWalk w = {max, cb, userdata};
	return foreach_uuid_entry(dir, on_uuid_file, &w);
}

typedef struct AutostartWalk {
	store_autostart_fn cb;
	void *userdata;
} AutostartWalk;

static int on_autostart_entry(const char *dir, const char *name, const char *uuid_hex, void *userdata)
{
	AutostartWalk *w = userdata;
	return w->cb(uuid_hex, w->userdata);
}

int store_foreach_autostart(const Settings *s, store_autostart_fn cb, void *userdata)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/autostart", s->state_dir) < 0)
		return -ENOMEM;
	AutostartWalk w = {cb, userdata};
	return foreach_uuid_entry(dir, on_autostart_entry, &w);
}

typedef struct DefinitionWalk {
	store_definition_fn cb;
	void *userdata;
} DefinitionWalk;

static int on_definition_file(const char *path, const char *uuid_hex, const char *xml, size_t len, int error,
			      void *userdata)
{
	DefinitionWalk *w = userdata;
	if (error < 0) {
		log_warning_errno(error, "Skipping %s: %m", path);
		return 0;
	}
	return w->cb(path, xml, len, w->userdata);
}

int store_foreach_definition(const Settings *s, store_definition_fn cb, void *userdata)
{
	DefinitionWalk w = {cb, userdata};
	return foreach_uuid_file(s->state_dir, DOMAIN_XML_MAX_SIZE, on_definition_file, &w);
}

int store_save_status(const Settings *s, const char *uuid_hex, const DomainStatus *st)
{
	_cleanup_free_ char *buf = domain_status_format(st),
			    *path = store_path(s->run_dir, uuid_hex, ".xml");
	if (!buf || !path)
		return -ENOMEM;

	/* RunDir is a tmpfs that a reboot empties: atomic is enough, no fsync. */
	int r = write_file_atomic(path, buf, strlen(buf), 0600, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", path);
	return 0;
}

int store_remove_status(const Settings *s, const char *uuid_hex)
{
	_cleanup_free_ char *path = store_path(s->run_dir, uuid_hex, ".xml");
	if (!path)
		return -ENOMEM;
	return unlink_if_exists(path);
}

typedef struct StatusWalk {
	const DomainXMLDefaults *defaults;
	store_status_fn cb;
	void *userdata;
} StatusWalk;

static int on_status_file(const char *path, const char *uuid_hex, const char *xml, size_t len, int error,
			  void *userdata)
{
	StatusWalk *w = userdata;
	DomainStatus st = {};
	int k = error < 0 ? error : domain_status_parse(xml, len, w->defaults, &st);
	if (k < 0) {
		log_warning_errno(k, "Removing unreadable status file %s: %m", path);
		(void)unlink_if_exists(path);
		domain_status_done(&st);
		return 0;
	}
	int r = w->cb(uuid_hex, &st, w->userdata);
	domain_status_done(&st);
	return r;
}

int store_foreach_status(const Settings *s, const DomainXMLDefaults *defaults, store_status_fn cb,
			 void *userdata)
{
	StatusWalk w = {defaults, cb, userdata};
	return foreach_uuid_file(s->run_dir, STATUS_MAX_SIZE, on_status_file, &w);
}

void store_remove_save_leftovers(const Settings *s)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/save", s->state_dir) < 0)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *tmp = strstr(de->d_name, ".save.tmp.");
		if (!tmp || tmp - de->d_name != 32)
			continue;
		log_info("Removing %s/%s, left by a managed save that did not finish", dir, de->d_name);
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}
