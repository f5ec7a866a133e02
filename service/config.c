/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* zvirtd.conf and its drop-ins into Settings: every key checked where it
 * is written, so an error names its file and line. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <arpa/inet.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "conf/domain-def.h"
#include "migration/hosts-allow.h"
#include "util/cleanup.h"
#include "util/log.h"

typedef struct ConfigParser {
	Settings *settings;       /* being filled */
	const Settings *defaults; /* what "Key=" resets to */

	/* The file being read. inih counts lines too, but only tells us
	 * the number of the first failing one; the reader keeps its own
	 * count so the handler can name the line it is looking at. */
	const char *path;
	FILE *file;
	char *line;
	size_t line_size;
	unsigned lineno;
	unsigned section_lineno; /* where the current [Section] header is */

	/* The first error of the whole load; later ones are not reported. */
	int error_code; /* negative errno, 0 while all is well */
	unsigned error_lineno;
	char *error;
} ConfigParser;

static void config_parser_done(ConfigParser *p)
{
	free(p->line);
	free(p->error);
}

/* Records the first error as "PATH:LINE: message" (no ":LINE" when line is
 * 0) and returns code; %m in fmt stands for code. */
static int config_fail(ConfigParser *p, int code, const char *path, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int config_fail(ConfigParser *p, int code, const char *path, unsigned line, const char *fmt, ...)
{
	_cleanup_free_ char *what = NULL;
	va_list ap;
	int r;

	if (p->error_code < 0)
		return p->error_code;

	errno = -code;
	va_start(ap, fmt);
	r = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (r < 0)
		what = NULL;

	p->error_code = code;
	p->error_lineno = p->lineno;
	if (what && (line > 0 ? asprintf(&p->error, "%s:%u: %s", path, line, what)
			      : asprintf(&p->error, "%s: %s", path, what)) < 0)
		p->error = NULL;
	return code;
}

/* ---- values ---- */

/* Each parser stores value into field or, when it is not acceptable,
 * returns -EINVAL (-ERANGE) and says in why what would have been. */
typedef int (*ValueParser)(const char *value, void *field, char *why, size_t why_size);

/* Plain decimal digits only: strtoull would also take "-1", " 1", "0x10". */
static int parse_u64_prefix(const char *s, uint64_t *ret, const char **ret_end)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	*ret = v;
	*ret_end = end;
	return 0;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	const char *end;
	int r = parse_u64_prefix(s, ret, &end);
	if (r < 0)
		return r;
	return *end ? -EINVAL : 0;
}

static int parse_log_level(const char *value, void *field, char *why, size_t why_size)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
		{"debug", LOG_DEBUG},     {"info", LOG_INFO}, {"notice", LOG_NOTICE},
		{"warning", LOG_WARNING}, {"error", LOG_ERR}, {"critical", LOG_CRIT},
	};

	for (size_t i = 0; i < ELEMENTSOF(levels); i++)
		if (strcmp(value, levels[i].name) == 0) {
			*(int *)field = levels[i].level;
			return 0;
		}
	snprintf(why, why_size, "expected debug, info, notice, warning, error or critical");
	return -EINVAL;
}

static int parse_accelerator(const char *value, void *field, char *why, size_t why_size)
{
	int a = accelerator_from_string(value);
	if (a < 0) {
		snprintf(why, why_size, "expected auto, kvm or tcg");
		return -EINVAL;
	}
	*(Accelerator *)field = (Accelerator)a;
	return 0;
}

static int parse_seconds(const char *value, void *field, char *why, size_t why_size)
{
	uint64_t v;
	int r = parse_u64(value, &v);
	if (r < 0) {
		snprintf(why, why_size, "expected a number of seconds (0 for never)");
		return r;
	}
	*(uint64_t *)field = v;
	return 0;
}

static int parse_boolean(const char *value, void *field, char *why, size_t why_size)
{
	static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off",
										    "0"};
	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*(bool *)field = true;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*(bool *)field = false;
			return 0;
		}
	}
	snprintf(why, why_size, "expected yes or no");
	return -EINVAL;
}

/* Bytes, with the binary suffixes systemd and xend users write. */
static int parse_size(const char *value, void *field, char *why, size_t why_size)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} suffixes[] = {
		{"", 0},     {"B", 0},  {"K", 10},   {"KiB", 10}, {"M", 20},
		{"MiB", 20}, {"G", 30}, {"GiB", 30}, {"T", 40},   {"TiB", 40},
	};
	const char *end;
	uint64_t v;

	int r = parse_u64_prefix(value, &v, &end);
	if (r >= 0) {
		end += strspn(end, " \t");
		r = -EINVAL;
		for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
			if (strcmp(end, suffixes[i].suffix) != 0)
				continue;
			if (v > (UINT64_MAX >> suffixes[i].shift)) {
				r = -ERANGE;
				break;
			}
			*(uint64_t *)field = v << suffixes[i].shift;
			return 0;
		}
	}
	snprintf(why, why_size,
		 "expected a size in bytes, optionally followed by B, K, M, G or T (or KiB, MiB, GiB, TiB; "
		 "all 1024-based)");
	return r;
}

/* A size a log file may grow to before it rotates: a line of QEMU's must
 * fit, or every line would be split. */
static int parse_log_limit(const char *value, void *field, char *why, size_t why_size)
{
	uint64_t v;
	int r = parse_size(value, &v, why, why_size);
	if (r >= 0 && v < SETTINGS_LOG_LIMIT_MIN) {
		snprintf(why, why_size,
			 "expected a size of at least 4K (suffixes B, K, M, G or T, 1024-based)");
		return -ERANGE;
	}
	if (r >= 0)
		*(uint64_t *)field = v;
	return r;
}

static int replace_string(void *field, const char *value)
{
	char *copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*(char **)field);
	*(char **)field = copy;
	return 0;
}

/* Directories: the daemon chdir()s nowhere, so a relative path would mean
 * whatever the starter's cwd was. Trailing slashes are dropped so that
 * "<dir>/domains" built by others comes out clean. */
static int parse_directory(const char *value, void *field, char *why, size_t why_size)
{
	if (value[0] != '/') {
		snprintf(why, why_size, "expected an absolute path");
		return -EINVAL;
	}
	size_t n = strlen(value);
	while (n > 1 && value[n - 1] == '/')
		n--;
	char *copy = strndup(value, n);
	if (!copy)
		return -ENOMEM;
	free(*(char **)field);
	*(char **)field = copy;
	return 0;
}

/* A host network interface name as the kernel takes it. */
static int parse_ifname(const char *value, void *field, char *why, size_t why_size)
{
	if (net_ifname_problem(value)) {
		snprintf(why, why_size,
			 "expected a network interface name (1 to %d bytes, no '/', ':', '%%' or white "
			 "space)",
			 NET_IFNAME_MAX);
		return -EINVAL;
	}
	return replace_string(field, value);
}

static int parse_executable(const char *value, void *field, char *why, size_t why_size)
{
	if (value[0] != '/' || value[strlen(value) - 1] == '/') {
		snprintf(why, why_size, "expected the absolute path of a program");
		return -EINVAL;
	}
	return replace_string(field, value);
}

/* EmulatorAllow=: absolute paths of programs, separated by blanks; kept
 * with one space between them. */
static int parse_executable_list(const char *value, void *field, char *why, size_t why_size)
{
	_cleanup_free_ char *list = malloc(strlen(value) + 1);
	if (!list)
		return -ENOMEM;
	size_t n = 0;
	for (const char *i = value + strspn(value, " \t"); *i; i += strspn(i, " \t")) {
		size_t len = strcspn(i, " \t");
		if (i[0] != '/' || i[len - 1] == '/') {
			snprintf(why, why_size, "expected absolute paths of programs, separated by spaces");
			return -EINVAL;
		}
		if (n > 0)
			list[n++] = ' ';
		memcpy(list + n, i, len);
		n += len;
		i += len;
	}
	list[n] = 0;
	free(*(char **)field);
	*(char **)field = TAKE_PTR(list);
	return 0;
}

/* The buffer size getpwnam_r/getgrnam_r want; grown on ERANGE. */
static size_t nss_buffer_size(int name)
{
	long n = sysconf(name);
	return n > 0 ? (size_t)n : 1024;
}

/* -ENOENT: no such user; other negative errno: the lookup failed. */
static int lookup_user(const char *name, uid_t *ret_uid, gid_t *ret_gid)
{
	for (size_t size = nss_buffer_size(_SC_GETPW_R_SIZE_MAX); size <= 1024 * 1024; size *= 2) {
		_cleanup_free_ char *buf = malloc(size);
		struct passwd pw, *found = NULL;
		if (!buf)
			return -ENOMEM;
		int r = getpwnam_r(name, &pw, buf, size, &found);
		if (r == ERANGE)
			continue;
		if (r != 0)
			return -r;
		if (!found)
			return -ENOENT;
		*ret_uid = pw.pw_uid;
		*ret_gid = pw.pw_gid;
		return 0;
	}
	return -ERANGE;
}

static int lookup_group(const char *name, gid_t *ret_gid)
{
	for (size_t size = nss_buffer_size(_SC_GETGR_R_SIZE_MAX); size <= 1024 * 1024; size *= 2) {
		_cleanup_free_ char *buf = malloc(size);
		struct group gr, *found = NULL;
		if (!buf)
			return -ENOMEM;
		int r = getgrnam_r(name, &gr, buf, size, &found);
		if (r == ERANGE)
			continue;
		if (r != 0)
			return -r;
		if (!found)
			return -ENOENT;
		*ret_gid = gr.gr_gid;
		return 0;
	}
	return -ERANGE;
}

/* User= and Group= must name entries of the user and group databases
 * now, so a typo is an error at its line; config_load() turns them into
 * numbers once every file is read. */
static int parse_user(const char *value, void *field, char *why, size_t why_size)
{
	uid_t uid;
	gid_t gid;
	int r = lookup_user(value, &uid, &gid);
	if (r == -ENOENT) {
		snprintf(why, why_size, "no such user (zvirt-qemu comes from sysusers.d/zvirtd.conf)");
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(why, why_size, "cannot look the user up: %s", strerror(-r));
		return r == -ENOMEM ? r : -EINVAL;
	}
	return replace_string(field, value);
}

static int parse_group(const char *value, void *field, char *why, size_t why_size)
{
	gid_t gid;
	int r = lookup_group(value, &gid);
	if (r == -ENOENT) {
		snprintf(why, why_size, "no such group");
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(why, why_size, "cannot look the group up: %s", strerror(-r));
		return r == -ENOMEM ? r : -EINVAL;
	}
	return replace_string(field, value);
}

/* A TCP port, 1 to 65535. */
static int parse_port(const char *value, void *field, char *why, size_t why_size)
{
	uint64_t v;
	int r = parse_u64(value, &v);
	if (r < 0 || v < 1 || v > UINT16_MAX) {
		snprintf(why, why_size, "expected a TCP port, 1 to 65535");
		return -EINVAL;
	}
	*(uint16_t *)field = (uint16_t)v;
	return 0;
}

/* A numeric IPv4 or IPv6 address: the relocation server never looks a
 * name up (that would block the loop at every migration). */
static int parse_numeric_address(const char *value, void *field, char *why, size_t why_size)
{
	struct in6_addr a6;
	struct in_addr a4;
	bool v4 = inet_pton(AF_INET, value, &a4) == 1;
	if (!v4 && inet_pton(AF_INET6, value, &a6) != 1) {
		snprintf(why, why_size, "expected a numeric IPv4 or IPv6 address");
		return -EINVAL;
	}
	/* The source is told to connect to it: "any" is nowhere to go. */
	if (v4 ? a4.s_addr == htonl(INADDR_ANY) : IN6_IS_ADDR_UNSPECIFIED(&a6)) {
		snprintf(why, why_size, "expected this host's address, not the unspecified one");
		return -EINVAL;
	}
	return replace_string(field, value);
}

/* HostsAllow=: the expressions must compile now, so a typo is an error
 * at its line rather than a refused migration later. */
static int parse_hosts_allow(const char *value, void *field, char *why, size_t why_size)
{
	_cleanup_free_ char *error = NULL;
	HostsAllow *h = NULL;
	int r = hosts_allow_parse(value, &h, &error);
	hosts_allow_free(h);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		snprintf(why, why_size, "%s", error ?: "expected regular expressions separated by spaces");
		return -EINVAL;
	}
	return replace_string(field, value);
}

static int parse_log_target(const char *value, void *field, char *why, size_t why_size)
{
	if (strcmp(value, "journal") != 0 && strcmp(value, "stderr") != 0 &&
	    (value[0] != '/' || value[strlen(value) - 1] == '/')) {
		snprintf(why, why_size, "expected journal, stderr or the absolute path of a log file");
		return -EINVAL;
	}
	return replace_string(field, value);
}

/* ---- keys ---- */

typedef struct ConfigKey {
	const char *section;
	const char *name;
	ValueParser parse;
	size_t offset;
	size_t size;
	bool is_string; /* a char * owned by Settings */
} ConfigKey;

#define KEY(sec, key, fn, field)                                                                          \
	{                                                                                                 \
		.section = sec, .name = key, .parse = fn, .offset = offsetof(Settings, field),            \
		.size = sizeof(((Settings *)NULL)->field),                                                \
		.is_string = __builtin_types_compatible_p(__typeof__(((Settings *)NULL)->field), char *), \
	}

static const ConfigKey config_keys[] = {
	KEY("Daemon", "LogLevel", parse_log_level, log_level),
	KEY("Daemon", "LogTarget", parse_log_target, log_target),
	KEY("Daemon", "StateDir", parse_directory, state_dir),
	KEY("Daemon", "RunDir", parse_directory, run_dir),
	KEY("Daemon", "LogDir", parse_directory, log_dir),
	KEY("Daemon", "IdleTimeoutSec", parse_seconds, idle_timeout_sec),

	KEY("Hypervisor", "Emulator", parse_executable, emulator),
	KEY("Hypervisor", "EmulatorAllow", parse_executable_list, emulator_allow),
	KEY("Hypervisor", "Accelerator", parse_accelerator, accelerator),
	KEY("Hypervisor", "ReservedHostMemory", parse_size, reserved_host_memory),
	KEY("Hypervisor", "User", parse_user, user),
	KEY("Hypervisor", "Group", parse_group, group),
	KEY("Hypervisor", "ConsoleLimit", parse_log_limit, console_limit),
	KEY("Hypervisor", "LogLimit", parse_log_limit, log_limit),
	KEY("Hypervisor", "EnableDump", parse_boolean, enable_dump),
	KEY("Hypervisor", "DumpDir", parse_directory, dump_dir),
	KEY("Hypervisor", "SysfsRoot", parse_directory, sysfs_root),
	KEY("Hypervisor", "DevRoot", parse_directory, dev_root),

	KEY("Network", "DefaultNIC", parse_ifname, default_nic),

	KEY("Relocation", "Server", parse_boolean, relocation_server),
	KEY("Relocation", "Address", parse_numeric_address, relocation_address),
	KEY("Relocation", "Port", parse_port, relocation_port),
	KEY("Relocation", "HostsAllow", parse_hosts_allow, relocation_hosts_allow),
	KEY("Relocation", "PortMin", parse_port, migration_port_min),
	KEY("Relocation", "PortMax", parse_port, migration_port_max),
};

/* A key is accepted only once the feature behind it works; keys and
 * sections for later features arrive with them. */
static const char *const config_sections[] = {"Daemon", "Hypervisor", "Network", "Relocation"};

/* "Key=" puts back the default, so a drop-in can undo an earlier file
 * the way systemd's empty assignments do. */
static int config_reset(ConfigParser *p, const ConfigKey *k)
{
	void *dst = (uint8_t *)p->settings + k->offset;
	const void *src = (const uint8_t *)p->defaults + k->offset;

	if (!k->is_string) {
		memcpy(dst, src, k->size);
		return 0;
	}
	const char *def = *(char *const *)src;
	if (!def) {
		free(*(char **)dst);
		*(char **)dst = NULL;
		return 0;
	}
	return replace_string(dst, def);
}

static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	ConfigParser *p = user;
	const ConfigKey *k = NULL;
	bool known_section = false;
	char why[256] = "";
	int r;

	for (size_t i = 0; i < ELEMENTSOF(config_sections); i++)
		if (strcmp(section, config_sections[i]) == 0)
			known_section = true;
	if (!section[0]) {
		config_fail(p, -EINVAL, p->path, p->lineno,
			    "%s= outside of any section; expected it under [Daemon], [Hypervisor], "
			    "[Network] or [Relocation]",
			    name);
		return 0;
	}
	if (!known_section) {
		config_fail(
			p, -EINVAL, p->path, p->section_lineno,
			"unknown section [%s]; expected [Daemon], [Hypervisor], [Network] or [Relocation]",
			section);
		return 0;
	}

	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
		if (strcmp(section, config_keys[i].section) == 0 && strcmp(name, config_keys[i].name) == 0)
			k = &config_keys[i];
	if (!k) {
		config_fail(p, -EINVAL, p->path, p->lineno, "unknown key %s= in section [%s]", name,
			    section);
		return 0;
	}

	if (!value[0])
		r = config_reset(p, k);
	else
		r = k->parse(value, (uint8_t *)p->settings + k->offset, why, sizeof(why));
	if (r == -ENOMEM) {
		config_fail(p, r, p->path, p->lineno, "out of memory");
		return 0;
	}
	if (r < 0) {
		config_fail(p, r, p->path, p->lineno, "invalid %s=%s: %s", name, value, why);
		return 0;
	}
	return 1;
}

/* Feeds inih whole lines. Leading blanks are dropped so that an indented
 * line is just a line: inih would otherwise take it as a continuation of
 * the previous value, which no systemd-style file means. */
static char *config_reader(char *str, int num, void *stream)
{
	ConfigParser *p = stream;

	/* Stop at the first error: nothing after it gets reported. */
	if (p->error_code < 0)
		return NULL;

	errno = 0;
	ssize_t n = getline(&p->line, &p->line_size, p->file);
	if (n < 0) {
		if (ferror(p->file))
			config_fail(p, errno > 0 ? -errno : -EIO, p->path, 0, "read error: %m");
		return NULL;
	}
	p->lineno++;

	size_t skip = strspn(p->line, " \t");
	size_t len = (size_t)n - skip;
	if (memchr(p->line + skip, '\0', len)) {
		config_fail(p, -EINVAL, p->path, p->lineno, "line contains a NUL byte");
		return NULL;
	}
	/* inih's line buffer is fixed; a silently split line would be worse. */
	if (len + 1 > (size_t)num) {
		config_fail(p, -EINVAL, p->path, p->lineno, "line too long (at most %d characters)",
			    num - 2);
		return NULL;
	}
	memcpy(str, p->line + skip, len + 1);
	if (str[0] == '[')
		p->section_lineno = p->lineno;
	return str;
}

static int config_parse_file(ConfigParser *p, const char *path, bool allow_missing)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && allow_missing)
			return 0;
		return config_fail(p, negative_errno(), path, 0, "cannot open: %m");
	}

	p->path = path;
	p->file = f;
	p->lineno = 0;
	p->section_lineno = 0;
	int r = ini_parse_stream(config_reader, p, config_handler, p);
	p->file = NULL;

	if (r == -2)
		return config_fail(p, -ENOMEM, path, 0, "out of memory");
	/* inih names only the first bad line; if that is before the one our
	 * handler complained about (or ours is fine), it is a syntax error. */
	if (r > 0 && (p->error_code == 0 || (unsigned)r < p->error_lineno)) {
		free(TAKE_PTR(p->error));
		p->error_code = 0;
		p->lineno = (unsigned)r;
		return config_fail(
			p, -EINVAL, path, (unsigned)r,
			"syntax error: expected [Section], Key=Value, a comment or an empty line");
	}
	return p->error_code;
}

static int dropin_filter(const struct dirent *de)
{
	size_t n = strlen(de->d_name);
	/* Hidden files are editor and package-manager leftovers. */
	return de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0;
}

/* Byte order, not the locale's collation: "10-a.conf" must sort the same
 * for the daemon as for the admin who named it. */
static int dropin_compare(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

typedef struct DirentList {
	struct dirent **entries;
	int n;
} DirentList;

static void dirent_list_done(DirentList *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->entries[i]);
	free(l->entries);
}

static int config_parse_dropins(ConfigParser *p, const char *dir)
{
	_cleanup_(dirent_list_done) DirentList l = {};

	l.n = scandir(dir, &l.entries, dropin_filter, dropin_compare);
	if (l.n < 0) {
		l.n = 0;
		if (errno == ENOENT)
			return 0;
		return config_fail(p, negative_errno(), dir, 0, "cannot read directory: %m");
	}

	for (int i = 0; i < l.n; i++) {
		_cleanup_free_ char *path = NULL;
		struct stat st;
		int r;

		if (asprintf(&path, "%s/%s", dir, l.entries[i]->d_name) < 0) {
			path = NULL;
			return config_fail(p, -ENOMEM, dir, 0, "out of memory");
		}
		/* Follows symlinks; directories, dangling links and /dev/null
		 * (systemd's way of masking) are skipped. */
		if (stat(path, &st) < 0) {
			if (errno == ENOENT)
				continue;
			return config_fail(p, negative_errno(), path, 0, "cannot stat: %m");
		}
		if (!S_ISREG(st.st_mode))
			continue;
		r = config_parse_file(p, path, false);
		if (r < 0)
			return r;
	}
	return 0;
}

/* User= and Group= as numbers, with the user's supplementary groups: what
 * QEMU's process takes on before exec. Each name was found when its line
 * was read; one that is gone by now (or the default, which no line
 * checked) is an error of the whole file. */
static int config_resolve_identity(ConfigParser *p, const char *path, Settings *s, const Settings *defaults)
{
	gid_t primary;
	int r = lookup_user(s->user, &s->qemu_uid, &primary);
	if (r == -ENOENT)
		return config_fail(p, -EINVAL, path, 0,
				   "User=%s%s: no such user; create it (systemd-sysusers with "
				   "sysusers.d/zvirtd.conf, or tools/install-deps.sh) or set User=",
				   s->user, strcmp(s->user, defaults->user) == 0 ? " (the default)" : "");
	if (r < 0)
		return config_fail(p, r, path, 0, "User=%s: cannot look the user up: %m", s->user);
	s->qemu_gid = primary;
	if (s->group) {
		r = lookup_group(s->group, &s->qemu_gid);
		if (r < 0)
			return config_fail(p, r == -ENOENT ? -EINVAL : r, path, 0, "Group=%s: %s", s->group,
					   r == -ENOENT ? "no such group" : strerror(-r));
	}

	/* getgrouplist() says how many there are when the array is too small. */
	int n = 16;
	for (unsigned tries = 0; tries < 8; tries++) {
		gid_t *groups = realloc(s->qemu_groups, (size_t)n * sizeof(gid_t));
		if (!groups)
			return config_fail(p, -ENOMEM, path, 0, "out of memory");
		s->qemu_groups = groups;
		int want = n;
		if (getgrouplist(s->user, s->qemu_gid, s->qemu_groups, &want) >= 0) {
			s->n_qemu_groups = (size_t)want;
			break;
		}
		n = want > n ? want : n * 2;
	}

	if (s->qemu_uid == 0)
		log_warning("User=%s: QEMU runs as root, with every capability; a guest that escapes the "
			    "emulator owns the host",
			    s->user);
	return 0;
}

int config_load(const char *path, bool allow_missing, Settings *ret, char **ret_error)
{
	_cleanup_(settings_done) Settings defaults = {};
	_cleanup_(settings_done) Settings s = {};
	_cleanup_(config_parser_done) ConfigParser p = {};
	_cleanup_free_ char *dropin_dir = NULL;
	int r;

	r = settings_init_defaults(&defaults);
	if (r >= 0)
		r = settings_init_defaults(&s);
	if (r < 0)
		r = config_fail(&p, r, path, 0, "out of memory");

	if (r >= 0) {
		p.settings = &s;
		p.defaults = &defaults;
		r = config_parse_file(&p, path, allow_missing);
	}
	if (r >= 0) {
		if (asprintf(&dropin_dir, "%s.d", path) < 0) {
			dropin_dir = NULL;
			r = config_fail(&p, -ENOMEM, path, 0, "out of memory");
		} else
			r = config_parse_dropins(&p, dropin_dir);
	}
	if (r >= 0)
		r = config_resolve_identity(&p, path, &s, &defaults);
	if (r >= 0 && s.migration_port_min > s.migration_port_max)
		r = config_fail(
			&p, -EINVAL, path, 0,
			"[Relocation] PortMin=%u is above PortMax=%u: the migration port range is empty",
			s.migration_port_min, s.migration_port_max);

	if (r < 0) {
		if (ret_error)
			*ret_error = TAKE_PTR(p.error);
		return r;
	}

	*ret = s;
	s = (Settings){};
	return 0;
}

int config_apply_log(const Settings *s)
{
	LogTarget target = LOG_TARGET_FILE;

	if (strcmp(s->log_target, "journal") == 0)
		target = LOG_TARGET_JOURNAL;
	else if (strcmp(s->log_target, "stderr") == 0)
		target = LOG_TARGET_STDERR;

	int r = log_set_target(target, s->log_target);
	if (r < 0)
		return r;
	log_set_max_level(s->log_level);
	return 0;
}
