/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The harness's second host (harness.h, "the second host"): below
 * TMP/peer a bus, polkitd and zvirtd of their own, beside the primary's,
 * for the tests of migration between two daemons. */

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness-internal.h"

static HarnessHost P = {.what = "the peer's zvirtd", .daemon_status = -1};

/* The primary's configuration (with what a test added, SysfsRoot= say)
 * with the daemon's own files under dir, then extra_conf: lines of
 * [Hypervisor] (it is the last section) or whole sections. */
static char *peer_conf(const char *primary, const char *dir, const char *extra_conf)
{
	static const char *const own[] = {"LogTarget", "StateDir", "RunDir", "LogDir", "DumpDir"};
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	const char *last_section = NULL;
	size_t last_len = 0;

	if (!f)
		abort();
	for (const char *line = primary; *line;) {
		size_t len = strcspn(line, "\n");
		const char *key = NULL;
		for (size_t i = 0; i < ELEMENTSOF(own); i++)
			if (strncmp(line, own[i], strlen(own[i])) == 0 && line[strlen(own[i])] == '=')
				key = own[i];
		if (line[0] == '[') {
			last_section = line;
			last_len = len;
		}
		if (!key)
			fprintf(f, "%.*s\n", (int)len, line);
		else if (strcmp(key, "LogTarget") == 0)
			fprintf(f, "LogTarget=%s/zvirtd.log\n", dir);
		else if (strcmp(key, "LogDir") == 0)
			fprintf(f, "LogDir=%s/log\n", dir);
		else if (strcmp(key, "DumpDir") == 0)
			fprintf(f, "DumpDir=%s/dump\n", dir);
		else
			fprintf(f, "%s=%s/%s\n", key, dir, strcmp(key, "StateDir") == 0 ? "state" : "run");
		line += len;
		if (*line == '\n')
			line++;
	}
	/* inih takes a section named again as the same section. */
	if (!last_section || strncmp(last_section, "[Hypervisor]", last_len) != 0)
		fprintf(f, "[Hypervisor]\n");
	if (extra_conf) {
		fputs(extra_conf, f);
		if (*extra_conf && extra_conf[strlen(extra_conf) - 1] != '\n')
			fputc('\n', f);
	}
	if (fclose(f) != 0)
		abort();
	return out;
}

/* The test guest's console log is in the primary's LogDir
 * (harness_console_log()) on either host, as a migrated guest's stays
 * where its definition says. The peer's QEMU must reach it even before
 * the primary's daemon ran a guest, which is when that daemon makes the
 * directory searchable by QEMU's group: do as it does (g+x, never g+r). */
static int share_primary_log_dir(void)
{
	const char *dir = harness_log_dir();
	struct group *g = getgrnam("zvirt-qemu");
	struct stat st;

	if (!g) {
		fprintf(stderr, "harness: no group zvirt-qemu (tools/install-deps.sh creates it)\n");
		return -ENOENT;
	}
	if (!dir || stat(dir, &st) < 0 || chown(dir, (uid_t)-1, g->gr_gid) < 0 ||
	    chmod(dir, (st.st_mode & 07777) | S_IXGRP) < 0) {
		int r = -errno;
		fprintf(stderr, "harness: making %s searchable by group zvirt-qemu: %m\n", dir ?: "LogDir");
		return r;
	}
	return 0;
}

static int read_text(const char *path, char **ret)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t size = 0;

	if (!f)
		return -errno;
	ssize_t n = getdelim(&text, &size, 0, f);
	int r = n < 0 && ferror(f) ? -EIO : 0;
	fclose(f);
	if (r < 0 || n < 0) {
		free(text);
		return r < 0 ? r : -ENODATA;
	}
	*ret = text;
	return 0;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -errno;
}

int harness_peer_start(const char *extra_conf)
{
	static const char *const dirs[] = {"", "/state", "/run", "/log"};
	const char *tmp = harness_tmpdir();
	_cleanup_free_ char *primary = NULL, *conf = NULL, *primary_conf = NULL;
	int r;

	if (!tmp)
		return -EINVAL;
	if (P.dir)
		return -EBUSY;
	if (asprintf(&P.dir, "%s/peer", tmp) < 0 || asprintf(&P.log_dir, "%s/log", P.dir) < 0 ||
	    asprintf(&P.run_dir, "%s/run", P.dir) < 0 ||
	    asprintf(&P.daemon_log, "%s/zvirtd.log", P.dir) < 0 ||
	    asprintf(&P.daemon_conf, "%s/zvirtd.conf", P.dir) < 0 ||
	    asprintf(&primary_conf, "%s/zvirtd.conf", tmp) < 0)
		abort();
	/* As the primary's: TMP/peer is searchable for QEMU's user, the
	 * daemon's own directories are not (it opens RunDir and LogDir to
	 * QEMU's group itself). A second start reuses what the first left. */
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s%s", P.dir, dirs[i]) < 0)
			abort();
		if (mkdir(p, i == 0 ? 0755 : 0700) < 0 && errno != EEXIST) {
			r = -errno;
			fprintf(stderr, "harness: mkdir %s: %m\n", p);
			goto fail;
		}
	}
	r = read_text(primary_conf, &primary);
	if (r < 0) {
		fprintf(stderr, "harness: reading %s: %s\n", primary_conf, strerror(-r));
		goto fail;
	}
	conf = peer_conf(primary, P.dir, extra_conf);
	r = write_text(P.daemon_conf, conf);
	if (r < 0) {
		fprintf(stderr, "harness: writing %s: %s\n", P.daemon_conf, strerror(-r));
		goto fail;
	}
	r = share_primary_log_dir();
	if (r < 0)
		goto fail;
	r = host_start_bus(&P);
	if (r < 0) {
		fprintf(stderr, "harness: starting the peer's dbus-daemon: %s\n", strerror(-r));
		goto fail;
	}
	r = host_start_polkitd(&P);
	if (r < 0) {
		fprintf(stderr, "harness: starting the peer's polkitd: %s\n", strerror(-r));
		goto fail;
	}
	r = host_start_daemon(&P);
	if (r < 0)
		goto fail;
	return 0;
fail:
	harness_peer_stop();
	return r;
}

void harness_peer_stop(void)
{
	if (!P.dir)
		return;
	(void)host_stop_daemon(&P);
	/* Guests outlive their daemon by design; the peer's go with it. Its
	 * RunDir is on each of their command lines (-pidfile, the QMP socket). */
	_cleanup_free_ char *needle = NULL;
	if (asprintf(&needle, "%s/", P.run_dir) < 0)
		abort();
	int n = harness_kill_guests(needle, 5000);
	if (n > 0)
		fprintf(stderr, "harness: killed %d QEMU guest(s) of the peer\n", n);
	host_stop(&P);
	free(P.dir);
	free(P.bus_address);
	free(P.log_dir);
	free(P.run_dir);
	free(P.daemon_log);
	free(P.daemon_conf);
	P.dir = P.bus_address = P.log_dir = P.run_dir = P.daemon_log = P.daemon_conf = NULL;
}

void harness_peer_emergency(void)
{
	host_emergency(&P);
}

void harness_peer_dump_logs(void)
{
	const char *tmp = harness_tmpdir();
	_cleanup_free_ char *dir = NULL;
	struct stat st;

	if (!tmp || asprintf(&dir, "%s/peer", tmp) < 0)
		return;
	/* Also after harness_peer_stop(): the files stay until the teardown. */
	if (stat(dir, &st) < 0)
		return;
	fprintf(stderr, "---- the peer's logs (%s) ----\n", dir);
	host_dump_logs(dir);
	fprintf(stderr, "---- end of the peer's logs ----\n");
}

int harness_peer_own_dir(const char *own, const char *over)
{
	free(P.mount_src);
	free(P.mount_dst);
	P.mount_src = own ? strdup(own) : NULL;
	P.mount_dst = over ? strdup(over) : NULL;
	if ((own && !P.mount_src) || (over && !P.mount_dst))
		return -ENOMEM;
	return 0;
}

const char *harness_peer_dir(void)
{
	return P.dir;
}

const char *harness_peer_bus_address(void)
{
	return P.bus_address;
}

sd_bus *harness_peer_bus(void)
{
	return host_bus(&P);
}

const char *harness_peer_log_dir(void)
{
	return P.log_dir;
}

const char *harness_peer_daemon_log(void)
{
	return P.daemon_log;
}

int harness_peer_start_daemon(void)
{
	return P.dir ? host_start_daemon(&P) : -ESRCH;
}

int harness_peer_stop_daemon(void)
{
	return host_stop_daemon(&P);
}

int harness_peer_kill_daemon(void)
{
	return host_kill_daemon(&P);
}

pid_t harness_peer_daemon_pid(void)
{
	return P.daemon_pid;
}

int harness_peer_daemon_exit_status(void)
{
	return P.daemon_status;
}

sd_bus_message *harness_peer_call(const char *path, const char *iface, const char *method, const char *types,
				  ...)
{
	sd_bus_message *reply;
	va_list ap;

	va_start(ap, types);
	reply = host_callv(&P, path, iface, method, types, ap);
	va_end(ap);
	return reply;
}

void harness_peer_expect_error(const char *error_name, const char *path, const char *iface,
			       const char *method, const char *types, ...)
{
	va_list ap;

	va_start(ap, types);
	host_expect_errorv(&P, error_name, path, iface, method, types, ap);
	va_end(ap);
}

char *harness_peer_define(const char *xml)
{
	return host_define(&P, xml);
}

char *harness_peer_lookup(const char *name)
{
	return host_lookup(&P, name);
}

void harness_peer_undefine(const char *path)
{
	host_undefine(&P, path);
}

char *harness_peer_get_string(const char *path, const char *iface, const char *property)
{
	return host_get_string(&P, path, iface, property);
}

uint32_t harness_peer_get_u32(const char *path, const char *iface, const char *property)
{
	return host_get_u32(&P, path, iface, property);
}

char *harness_peer_get_xml(const char *path)
{
	return host_get_xml(&P, path);
}

char *harness_peer_console_pty(const char *path)
{
	return host_console_pty(&P, path);
}

char *harness_peer_run_file(const char *path, const char *suffix)
{
	return host_run_file(&P, path, suffix);
}

int harness_peer_wait_state(const char *path, const char *state, const char *reason, int timeout_ms)
{
	return host_wait_state(&P, path, state, reason, timeout_ms);
}

void harness_peer_assert_state(const char *path, const char *state, const char *reason)
{
	host_assert_state(&P, path, state, reason);
}

void harness_peer_boot_guest(const char *path, const char *name)
{
	host_boot_guest(&P, path, name);
}

size_t harness_peer_signal_mark(void)
{
	return host_signal_mark(&P);
}

const HarnessSignal *harness_peer_signal_find(size_t from, const char *path, const char *interface,
					      const char *member, const char *arg0)
{
	return host_signal_find(&P, from, path, interface, member, arg0);
}

const HarnessSignal *harness_peer_wait_signal(size_t from, const char *path, const char *interface,
					      const char *member, const char *arg0, int timeout_ms)
{
	return host_wait_signal(&P, from, path, interface, member, arg0, timeout_ms);
}

char *harness_peer_nobody_call(const char *path, const char *iface, const char *method, const char *types,
			       ...)
{
	va_list ap;
	char *output;

	if (!P.bus_address)
		fail_msg("harness_peer_nobody_call() before harness_peer_start()");
	va_start(ap, types);
	output = host_nobody_callv(P.bus_address, path, iface, method, types, ap);
	va_end(ap);
	return output;
}

void harness_peer_nobody_expect_error(const char *error_name, const char *path, const char *iface,
				      const char *method, const char *types, ...)
{
	va_list ap;

	if (!P.bus_address)
		fail_msg("harness_peer_nobody_expect_error() before harness_peer_start()");
	va_start(ap, types);
	host_nobody_expect_errorv(P.bus_address, error_name, path, iface, method, types, ap);
	va_end(ap);
}

unsigned harness_guest_last_count(const char *log)
{
	_cleanup_free_ char *text = harness_read_file(log);
	unsigned n = 0;
	for (const char *p = text; (p = strstr(p, "count ")); p += 6)
		if (p == text || p[-1] == '\n')
			n = (unsigned)strtoul(p + 6, NULL, 10);
	return n;
}

void harness_assert_counts_past(const char *log, off_t from, unsigned n)
{
	_cleanup_free_ char *after = NULL;
	if (harness_wait_console_from(log, from, "count ", 60000, &after) < 0)
		fail_msg("the guest did not count on after the migration (last: %u)", n);
	unsigned m = 0;
	const char *at = strstr(after, "count ");
	if (!at || sscanf(at, "count %u", &m) != 1)
		fail_msg("no count in: %s", after);
	if (m <= n)
		fail_msg("the counter was at %u before the migration, %u after", n, m);
}

char *harness_guest_boot_id(const char *pty)
{
	_cleanup_free_ char *out = NULL;
	if (harness_console_command(pty, "bootid", 30000, &out) < 0)
		fail_msg("the guest did not answer bootid on %s", pty);
	const char *b = strstr(out, "boot_id=");
	if (!b)
		fail_msg("no boot id in: %s", out);
	char *id = strndup(b + 8, 36);
	if (!id)
		abort();
	return id;
}
