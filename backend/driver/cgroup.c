/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-domain cgroup of a QEMU (cgroup.h): the host's cpu controller
 * found once, the domain's directory made, joined, weighted and
 * removed. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-internal.h"
#include "registry-internal.h"
#include "qemu/process.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"

/* Below the hierarchy's root, as libvirt's /machine partition is on
 * hosts without systemd-machined: the domains' weights are then shared
 * among each other, not with the daemon's own unit. */
#define CGROUP_PARTITION "zvirt"

/* --- finding the controller ---------------------------------------------- */

/* mountinfo escapes blanks and backslashes as \ooo. */
static void unescape_octal(char *s)
{
	char *o = s;
	for (char *i = s; *i; i++) {
		if (i[0] == '\\' && i[1] >= '0' && i[1] <= '7' && i[2] >= '0' && i[2] <= '7' &&
		    i[3] >= '0' && i[3] <= '7') {
			*o++ = (char)((i[1] - '0') * 64 + (i[2] - '0') * 8 + (i[3] - '0'));
			i += 3;
		} else
			*o++ = *i;
	}
	*o = 0;
}

static bool has_token(const char *list, const char *token)
{
	size_t n = strlen(token);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, token, n) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

int cgroup_parse_cpu_mount(const char *mountinfo, CgroupVersion *ret_version, char **ret_mount)
{
	_cleanup_free_ char *copy = strdup(mountinfo ? mountinfo : "");
	_cleanup_free_ char *v2 = NULL;
	if (!copy)
		return -ENOMEM;
	*ret_version = CGROUP_VERSION_NONE;
	*ret_mount = NULL;

	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPEROPTIONS */
		char *fields[6] = {};
		char *f = line, *tok;
		size_t n = 0;
		while (n < 6 && (tok = strsep(&f, " ")))
			fields[n++] = tok;
		char *sep = f ? strstr(f, "- ") : NULL;
		if (n < 6 || !sep || (sep != f && sep[-1] != ' '))
			continue;
		char *rest = sep + 2;
		char *fstype = strsep(&rest, " ");
		(void)strsep(&rest, " "); /* source */
		const char *superopts = rest ? rest : "";
		char *mount = fields[4];
		unescape_octal(mount);

		if (fstype && strcmp(fstype, "cgroup") == 0 && has_token(superopts, "cpu")) {
			if (!(*ret_mount = strdup(mount)))
				return -ENOMEM;
			*ret_version = CGROUP_VERSION_V1;
			return 0;
		}
		if (fstype && strcmp(fstype, "cgroup2") == 0 && !v2 && !(v2 = strdup(mount)))
			return -ENOMEM;
	}
	if (v2) {
		*ret_mount = TAKE_PTR(v2);
		*ret_version = CGROUP_VERSION_V2;
	}
	return 0;
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
	uint64_t w = shares * 100 / 1024;
	return w < 1 ? 1 : w > 10000 ? 10000 : w;
}

uint64_t cgroup_weight_to_shares(uint64_t weight)
{
	uint64_t s = weight * 1024 / 100;
	return s < 2 ? 2 : s > 262144 ? 262144 : s;
}

/* The host's controller, found at the first start and kept: the answer
 * (and the warning when there is none) is the same for every domain. */
static struct {
	bool probed;
	CgroupVersion version;
	char mount[PATH_MAX];
	char why[512]; /* why there is none */
} host;

static int read_small(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static int write_value(const char *path, const char *value)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(value);
	ssize_t n = write(fd, value, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static bool words_have(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ' || p[-1] == '\n') &&
		    (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

/* cgroup v2 passes a controller down only where each parent enables it
 * for its children ("+cpu" in cgroup.subtree_control). */
static int enable_cpu_below(const char *dir)
{
	char path[PATH_MAX + 32], list[512];
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	int r = read_small(path, list, sizeof(list));
	if (r < 0)
		return r;
	return words_have(list, "cpu") ? 0 : write_value(path, "+cpu");
}

static void probe_host(void)
{
	_cleanup_free_ char *mountinfo = NULL, *mount = NULL;
	CgroupVersion version = CGROUP_VERSION_NONE;
	char path[PATH_MAX + 32], list[512];
	int r;

	host.probed = true;
	r = read_file_full("/proc/self/mountinfo", 4 << 20, &mountinfo, NULL);
	if (r >= 0)
		r = cgroup_parse_cpu_mount(mountinfo, &version, &mount);
	if (r < 0) {
		snprintf(host.why, sizeof(host.why), "cannot read /proc/self/mountinfo: %s", strerror(-r));
		goto none;
	}
	if (version == CGROUP_VERSION_NONE || strlen(mount) >= sizeof(host.mount)) {
		snprintf(host.why, sizeof(host.why),
			 "no cgroup hierarchy with the cpu controller is mounted");
		goto none;
	}
	if (version == CGROUP_VERSION_V2) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", mount);
		if (read_small(path, list, sizeof(list)) < 0 || !words_have(list, "cpu")) {
			snprintf(host.why, sizeof(host.why),
				 "the cgroup2 hierarchy at %s does not offer the cpu controller", mount);
			goto none;
		}
	}
	snprintf(host.mount, sizeof(host.mount), "%s", mount);
	host.version = version;
	log_info("CPU weights of domains: cgroup %s cpu controller at %s/" CGROUP_PARTITION,
		 version == CGROUP_VERSION_V1 ? "v1" : "v2", host.mount);
	return;
none:
	host.version = CGROUP_VERSION_NONE;
	log_warning("Domains run without a cgroup of their own, and their CPU weight cannot be changed "
		    "while they run: %s",
		    host.why);
}

/* --- a domain's cgroup -------------------------------------------------- */

static int write_shares(const char *dir, uint64_t shares)
{
	char path[PATH_MAX + 32], value[32];
	if (host.version == CGROUP_VERSION_V2) {
		snprintf(path, sizeof(path), "%s/cpu.weight", dir);
		snprintf(value, sizeof(value), "%" PRIu64, cgroup_shares_to_weight(shares));
	} else {
		snprintf(path, sizeof(path), "%s/cpu.shares", dir);
		snprintf(value, sizeof(value), "%" PRIu64, shares);
	}
	return write_value(path, value);
}

static int make_domain_dir(const Domain *d, char **ret)
{
	_cleanup_free_ char *partition = NULL, *dir = NULL;
	int r;

	if (asprintf(&partition, "%s/" CGROUP_PARTITION, host.mount) < 0 ||
	    asprintf(&dir, "%s/%s", partition, d->uuid) < 0)
		return -ENOMEM;
	if (host.version == CGROUP_VERSION_V2 && (r = enable_cpu_below(host.mount)) < 0)
		return r;
	if (mkdir(partition, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (host.version == CGROUP_VERSION_V2 && (r = enable_cpu_below(partition)) < 0)
		return r;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	*ret = TAKE_PTR(dir);
	return 0;
}

int domain_cgroup_prepare(Domain *d)
{
	_cleanup_free_ char *dir = NULL;
	char path[PATH_MAX + 32];

	if (!host.probed)
		probe_host();
	d->cgroup_dir = (free(d->cgroup_dir), NULL);
	if (host.version == CGROUP_VERSION_NONE || !d->live)
		return -1;

	int r = make_domain_dir(d, &dir);
	if (r >= 0)
		r = write_shares(dir, domain_def_cpu_shares(d->live));
	if (r < 0) {
		log_warning("Domain %s: cannot make its cgroup below %s/" CGROUP_PARTITION
			    " (%s); it runs without one",
			    domain_name(d), host.mount, strerror(-r));
		if (dir)
			(void)rmdir(dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warning("Domain %s: cannot open %s (%m); it runs without a cgroup", domain_name(d),
			    path);
		(void)rmdir(dir);
		return -1;
	}
	d->cgroup_dir = TAKE_PTR(dir);
	return fd;
}

/* Whether pid is in dir already: /proc/<pid>/cgroup names it. */
static bool process_in(pid_t pid, const char *dir)
{
	char path[64], text[4096];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (read_small(path, text, sizeof(text)) < 0)
		return false;
	const char *rel = dir + strlen(host.mount); /* "/zvirt/<uuid>" */
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		bool ours = host.version == CGROUP_VERSION_V2 ? c1 == line + 1 && line[0] == '0' && !c1[1]
							      : has_token(c1 + 1, "cpu");
		if (ours)
			return strcmp(c2 + 1, rel) == 0;
	}
	return false;
}

void domain_cgroup_reattach(Domain *d)
{
	char path[PATH_MAX + 32], pid[16];
	pid_t qemu = (pid_t)domain_qemu_pid(d);

	_cleanup_close_ int fd = domain_cgroup_prepare(d);
	if (fd < 0 || qemu <= 0)
		return;
	/* Moving a running QEMU takes the kernel a while (its threads, an
	 * RCU grace period): only when the previous daemon did not. */
	if (process_in(qemu, d->cgroup_dir))
		return;
	snprintf(path, sizeof(path), "%s/cgroup.procs", d->cgroup_dir);
	snprintf(pid, sizeof(pid), "%d", (int)qemu);
	int r = write_value(path, pid);
	if (r < 0) {
		log_warning("Domain %s: cannot move QEMU into its cgroup %s (%s); it runs without one",
			    domain_name(d), d->cgroup_dir, strerror(-r));
		(void)rmdir(d->cgroup_dir);
		d->cgroup_dir = (free(d->cgroup_dir), NULL);
		return;
	}
	log_info("Domain %s: QEMU moved into its cgroup %s", domain_name(d), d->cgroup_dir);
}

/* A cgroup whose QEMU has exited but is not yet reaped (after a daemon
 * restart QEMU is not our child: its new parent reaps it in its time)
 * still counts that task, and rmdir says EBUSY: try again, every 100
 * ms for 5 s, without holding the loop. */
#define CGROUP_RMDIR_TRIES    50
#define CGROUP_RMDIR_INTERVAL (100 * 1000ULL)

typedef struct RmdirRetry {
	char *dir;
	char *name;
	unsigned left;
} RmdirRetry;

static void rmdir_retry_free(void *userdata)
{
	RmdirRetry *t = userdata;
	free(t->dir);
	free(t->name);
	free(t);
}

static int on_rmdir_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	RmdirRetry *t = userdata;
	if (rmdir(t->dir) >= 0 || errno == ENOENT)
		return sd_event_source_set_enabled(s, SD_EVENT_OFF);
	if (errno != EBUSY || --t->left == 0) {
		log_warning("Domain %s: cannot remove its cgroup %s: %m", t->name, t->dir);
		return sd_event_source_set_enabled(s, SD_EVENT_OFF);
	}
	return sd_event_source_set_time_relative(s, CGROUP_RMDIR_INTERVAL);
}

/* Floating: the source frees its RmdirRetry when it ends, or with the loop. */
static int rmdir_later(Domain *d, const char *dir)
{
	_cleanup_(sd_event_source_unrefp) sd_event_source *s = NULL;
	RmdirRetry *t = calloc(1, sizeof(*t));
	if (!t || !(t->dir = strdup(dir)) || !(t->name = strdup(domain_name(d)))) {
		if (t)
			rmdir_retry_free(t);
		return -ENOMEM;
	}
	t->left = CGROUP_RMDIR_TRIES;
	int r = sd_event_add_time_relative(registry_get_event(d->registry), &s, CLOCK_MONOTONIC,
					   CGROUP_RMDIR_INTERVAL, 0, on_rmdir_retry, t);
	if (r < 0) {
		rmdir_retry_free(t);
		return r;
	}
	(void)sd_event_source_set_destroy_callback(s, rmdir_retry_free);
	return sd_event_source_set_floating(s, true);
}

void domain_cgroup_remove(Domain *d)
{
	_cleanup_free_ char *dir = TAKE_PTR(d->cgroup_dir);
	bool known = dir;

	/* Also when this daemon never knew it: QEMU may have ended while
	 * no daemon ran, leaving the cgroup the previous one made. */
	if (!dir) {
		if (!host.probed)
			probe_host();
		if (host.version == CGROUP_VERSION_NONE ||
		    asprintf(&dir, "%s/" CGROUP_PARTITION "/%s", host.mount, d->uuid) < 0)
			return;
	}
	/* QEMU has ended, so its cgroup has no live process left (one we
	 * did not know may still hold a QEMU being killed: EBUSY). */
	if (rmdir(dir) >= 0 || errno == ENOENT || (!known && errno == EBUSY))
		return;
	if (errno == EBUSY && rmdir_later(d, dir) >= 0)
		return;
	log_warning("Domain %s: cannot remove its cgroup %s: %m", domain_name(d), dir);
}

int domain_cgroup_set_shares(Domain *d, uint64_t shares, ZvError *err)
{
	if (!host.probed)
		probe_host();
	if (!d->cgroup_dir)
		return zv_error_set(err, ZV_ERROR_HOST, ENOTSUP,
				    "Cannot change the CPU weight of domain '%s' while it runs: it has no "
				    "cgroup (%s)",
				    domain_name(d),
				    host.version == CGROUP_VERSION_NONE
					    ? host.why
					    : "it could not be made when the domain started; see the log");
	int r = write_shares(d->cgroup_dir, shares);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r,
				    "Cannot set the CPU weight of domain '%s' in %s: %s", domain_name(d),
				    d->cgroup_dir, strerror(-r));
	return 0;
}

const char *domain_cgroup_dir(const Domain *d)
{
	return d->cgroup_dir;
}
