/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A domain definition as qemu-system-s390x's argv, the way libvirt
 * writes it (see cmdline.h). Every device is named by its alias: the
 * -device id, the disk's block node names, the console's chardev. */
#include "cmdline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline-internal.h"
#include "util/cleanup.h"

#define DEFAULT_MACHINE "s390-ccw-virtio"

/* --- a growing argv ----------------------------------------------------- */

void argv_take(Argv *a, char *s)
{
	if (!s || a->oom) {
		free(s);
		a->oom = true;
		return;
	}
	if (a->n + 2 > a->allocated) {
		size_t allocated = a->allocated ? a->allocated * 2 : 64;
		char **v = realloc(a->v, allocated * sizeof(char *));
		if (!v) {
			free(s);
			a->oom = true;
			return;
		}
		a->v = v;
		a->allocated = allocated;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void argv_add(Argv *a, const char *s)
{
	argv_take(a, strdup(s));
}

/* An option and its value: "-m", "size=...". */
void argv_add_pair(Argv *a, const char *option, char *value)
{
	argv_add(a, option);
	argv_take(a, value);
}

char *strdup_printf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

void argv_clear(Argv *a)
{
	if (a->v)
		strv_free(a->v);
}

/* --- escaping ----------------------------------------------------------- */

char *qemu_opt_escape(const char *s)
{
	size_t commas = 0;
	for (const char *i = s; *i; i++)
		commas += *i == ',';

	char *r = malloc(strlen(s) + commas + 1), *o = r;
	if (!r)
		return NULL;
	for (const char *i = s; *i; i++) {
		*o++ = *i;
		if (*i == ',')
			*o++ = ',';
	}
	*o = 0;
	return r;
}

static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=./:,@%") ==
	       strlen(s);
}

/* Appends s to buf (at *len), single-quoted if the shell would need it. */
static void append_quoted(char *buf, size_t *len, const char *s)
{
	if (shell_safe(s)) {
		size_t l = strlen(s);
		memcpy(buf + *len, s, l);
		*len += l;
		return;
	}
	buf[(*len)++] = '\'';
	for (const char *i = s; *i; i++) {
		if (*i == '\'') {
			memcpy(buf + *len, "'\\''", 4);
			*len += 4;
		} else
			buf[(*len)++] = *i;
	}
	buf[(*len)++] = '\'';
}

char *qemu_argv_to_string(char **argv)
{
	size_t size = 1;
	for (char **i = argv; *i; i++)
		size += 4 * strlen(*i) + 3; /* every ' may become '\'' */

	char *buf = malloc(size);
	if (!buf)
		return NULL;
	size_t len = 0;
	for (char **i = argv; *i; i++) {
		if (i != argv)
			buf[len++] = ' ';
		append_quoted(buf, &len, *i);
	}
	buf[len] = 0;
	return buf;
}

/* "fe.0.0004", what QEMU's devno property reads. */
char *devno_string(const CcwAddress *a)
{
	return strdup_printf("%x.%x.%04x", a->cssid, a->ssid, a->devno);
}

/* --- json helpers ------------------------------------------------------- */

int json_add(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

int json_add_string(json_object *o, const char *key, const char *s)
{
	return json_add(o, key, json_object_new_string(s));
}

int json_add_bool(json_object *o, const char *key, bool b)
{
	return json_add(o, key, json_object_new_boolean(b));
}

int json_add_int(json_object *o, const char *key, int64_t i)
{
	return json_add(o, key, json_object_new_int64(i));
}

char *json_to_arg(json_object *o)
{
	const char *s =
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	return s ? strdup(s) : NULL;
}

/* "driver,key=value,..." from flat device properties: strings escaped,
 * booleans on/off. "driver" must be the first key. */
char *device_props_to_opts(json_object *props)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	_cleanup_fclose_ FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;

	bool first = true;
	json_object_object_foreach(props, key, val)
	{
		if (!first)
			fprintf(f, ",%s=", key);
		switch (json_object_get_type(val)) {
		case json_type_boolean:
			fputs(json_object_get_boolean(val) ? "on" : "off", f);
			break;
		case json_type_int:
			fprintf(f, "%" PRId64, json_object_get_int64(val));
			break;
		default: {
			_cleanup_free_ char *e = qemu_opt_escape(json_object_get_string(val));
			if (!e)
				return NULL;
			fputs(e, f);
			break;
		}
		}
		first = false;
	}
	if (fflush(f) != 0 || ferror(f))
		return NULL;
	f = (fclose(f), NULL);
	return TAKE_PTR(buf);
}

/* --- consoles ----------------------------------------------------------- */

/* Its id is "char" + the alias (console0: charconsole0, which the driver
 * reads back from query-chardev). */
static char *console_chardev(const ConsoleDef *c, const char *logfile, bool logappend)
{
	_cleanup_free_ char *path = c->source_path ? qemu_opt_escape(c->source_path) : NULL;
	_cleanup_free_ char *log = logfile ? qemu_opt_escape(logfile) : NULL;
	if ((c->source_path && !path) || (logfile && !log))
		return NULL;

	_cleanup_free_ char *log_opts =
		log ? strdup_printf(",logfile=%s,logappend=%s", log, logappend ? "on" : "off") : strdup("");
	if (!log_opts)
		return NULL;

	switch (c->type) {
	case CONSOLE_TYPE_PTY:
		return strdup_printf("pty,id=char%s%s", c->info.alias, log_opts);
	case CONSOLE_TYPE_FILE:
		return strdup_printf("file,id=char%s,path=%s%s", c->info.alias, path, log_opts);
	case CONSOLE_TYPE_UNIX:
	default:
		/* bind: QEMU listens, and must not wait for a client to boot. */
		return strdup_printf("socket,id=char%s,path=%s%s%s", c->info.alias, path,
				     c->unix_bind ? ",server=on,wait=off" : "", log_opts);
	}
}

static int check_consoles(const DomainDef *def, ZvError *err)
{
	bool seen[_CONSOLE_TARGET_MAX] = {};

	for (size_t i = 0; i < def->n_consoles; i++) {
		const ConsoleDef *c = &def->consoles[i];
		if (c->type < 0 || c->type >= _CONSOLE_TYPE_MAX || c->target < 0 ||
		    c->target >= _CONSOLE_TARGET_MAX)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
					    "Console %zu: unsupported type", i);
		if (c->type != CONSOLE_TYPE_PTY && !c->source_path)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
					    "Console %zu has no source path", i);
		char what[32];
		snprintf(what, sizeof(what), "Console %zu", i);
		int r = check_alias(&c->info, what, err);
		if (r < 0)
			return r;
		/* QEMU has one SCLP console and one line-mode console. */
		if (seen[c->target])
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
					    "Console %zu: only one console per SCLP target (%s)", i,
					    c->target == CONSOLE_TARGET_SCLP ? "sclp" : "sclplm");
		seen[c->target] = true;
	}
	return 0;
}

static void add_consoles(Argv *a, const DomainDef *def, const char *default_log, int default_log_fd)
{
	_cleanup_free_ char *fdset = NULL;
	bool wanted = false;
	for (size_t i = 0; i < def->n_consoles; i++)
		wanted |= !def->consoles[i].log_file;
	if (wanted && default_log_fd > 2) {
		/* QEMU opens /dev/fdset/N as a dup of the set's member with the
		 * same access mode: the pipe's write end. Appending, since
		 * logappend=off would try to truncate a pipe. */
		argv_add_pair(a, "-add-fd",
			      strdup_printf("fd=%d,set=%d", default_log_fd, QEMU_FDSET_CONSOLE_LOG));
		fdset = strdup_printf("/dev/fdset/%d", QEMU_FDSET_CONSOLE_LOG);
		if (!fdset)
			a->oom = true;
		default_log = fdset;
	}
	for (size_t i = 0; i < def->n_consoles; i++) {
		const ConsoleDef *c = &def->consoles[i];
		const char *log = c->log_file;
		bool append = c->log_append;

		if (!log && default_log) {
			log = default_log;
			append = fdset != NULL;
			default_log = NULL; /* only the first console without its own log */
		}
		argv_add_pair(a, "-chardev", console_chardev(c, log, append));
		argv_add_pair(
			a, "-device",
			strdup_printf("%s,chardev=char%s,id=%s",
				      c->target == CONSOLE_TARGET_SCLPLM ? "sclplmconsole" : "sclpconsole",
				      c->info.alias, c->info.alias));
	}
}

/* --- watchdog and rng ---------------------------------------------------- */

const char *qemu_watchdog_action(WatchdogAction action)
{
	/* QEMU's names. It has no dump: it pauses, and the daemon dumps on
	 * the WATCHDOG event and resumes (libvirt's way). */
	static const char *const names[_WATCHDOG_ACTION_MAX] = {
		[WATCHDOG_ACTION_RESET] = "reset",       [WATCHDOG_ACTION_SHUTDOWN] = "shutdown",
		[WATCHDOG_ACTION_POWEROFF] = "poweroff", [WATCHDOG_ACTION_PAUSE] = "pause",
		[WATCHDOG_ACTION_DUMP] = "pause",        [WATCHDOG_ACTION_INJECT_NMI] = "inject-nmi",
		[WATCHDOG_ACTION_NONE] = "none",
	};
	if ((int)action < 0 || action >= _WATCHDOG_ACTION_MAX)
		return NULL;
	return names[action];
}

static int check_watchdog(const WatchdogDef *w, ZvError *err)
{
	if (w->model != WATCHDOG_MODEL_DIAG288 || !qemu_watchdog_action(w->action))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "The watchdog: unsupported model or action");
	return check_alias(&w->info, "The watchdog", err);
}

int qemu_watchdog_device_props(const WatchdogDef *w, json_object **ret, ZvError *err)
{
	int r = check_watchdog(w, err);
	if (r < 0)
		return r;
	/* No devno: DIAG 288 is an instruction, not a channel device. */
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	if (!o || json_add_string(o, "driver", "diag288") < 0 || json_add_string(o, "id", w->info.alias) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*ret = TAKE_PTR(o);
	return 0;
}

static int check_rng(const RngDef *rng, ZvError *err)
{
	if (rng->model != RNG_MODEL_VIRTIO || rng->backend != RNG_BACKEND_RANDOM || !rng->source ||
	    strcmp(rng->source, RNG_RANDOM_DEVICE) != 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "The rng: only a virtio one reading " RNG_RANDOM_DEVICE " is supported");
	int r = check_alias(&rng->info, "The rng", err);
	if (r < 0)
		return r;
	if (strlen(rng->info.alias) + strlen("obj") >= QEMU_NODE_NAME_MAX)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "The rng: alias '%s' is too long", rng->info.alias);
	return 0;
}

/* The backend object's id: "obj" + the alias, as libvirt names it. */
static void rng_object_id(const RngDef *rng, char buf[static QEMU_NODE_NAME_MAX])
{
	snprintf(buf, QEMU_NODE_NAME_MAX, "obj%s", rng->info.alias);
}

int qemu_rng_object_props(const RngDef *rng, json_object **ret, ZvError *err)
{
	char id[QEMU_NODE_NAME_MAX];
	int r = check_rng(rng, err);
	if (r < 0)
		return r;
	rng_object_id(rng, id);
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	if (!o || json_add_string(o, "qom-type", "rng-random") < 0 || json_add_string(o, "id", id) < 0 ||
	    json_add_string(o, "filename", rng->source) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*ret = TAKE_PTR(o);
	return 0;
}

int qemu_rng_device_props(const RngDef *rng, json_object **ret, ZvError *err)
{
	char id[QEMU_NODE_NAME_MAX];
	int r = check_rng(rng, err);
	if (r < 0)
		return r;
	rng_object_id(rng, id);
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	if (!o || json_add_string(o, "driver", "virtio-rng-ccw") < 0 || json_add_string(o, "rng", id) < 0 ||
	    json_add_string(o, "id", rng->info.alias) < 0 || add_devno(o, &rng->info.address) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*ret = TAKE_PTR(o);
	return 0;
}

static int add_watchdog(Argv *a, const WatchdogDef *w, ZvError *err)
{
	_cleanup_(json_object_putp) json_object *device = NULL;
	int r = qemu_watchdog_device_props(w, &device, err);
	if (r < 0)
		return r;
	argv_add_pair(a, "-device", device_props_to_opts(device));
	argv_add_pair(a, "-watchdog-action", strdup(qemu_watchdog_action(w->action)));
	return 0;
}

static int add_rng(Argv *a, const RngDef *rng, ZvError *err)
{
	_cleanup_(json_object_putp) json_object *object = NULL, *device = NULL;
	int r = qemu_rng_object_props(rng, &object, err);
	if (r >= 0)
		r = qemu_rng_device_props(rng, &device, err);
	if (r < 0)
		return r;
	argv_add_pair(a, "-object", json_to_arg(object));
	argv_add_pair(a, "-device", device_props_to_opts(device));
	return 0;
}

/* --- the rest ----------------------------------------------------------- */

static void add_memballoon(Argv *a, const MemballoonDef *m)
{
	if (m->model != MEMBALLOON_MODEL_VIRTIO)
		return;
	if (!m->info.address.assigned) {
		argv_add_pair(a, "-device", strdup_printf("virtio-balloon-ccw,id=%s", m->info.alias));
		return;
	}
	_cleanup_free_ char *devno = devno_string(&m->info.address);
	argv_add_pair(a, "-device",
		      devno ? strdup_printf("virtio-balloon-ccw,id=%s,devno=%s", m->info.alias, devno)
			    : NULL);
}

static int add_monitor(Argv *a, const QemuCmdlineParams *p, ZvError *err)
{
	if (p->qmp_fd >= 0)
		argv_add_pair(a, "-chardev",
			      strdup_printf("socket,id=charmonitor,fd=%d,server=on,wait=off", p->qmp_fd));
	else if (p->qmp_path) {
		_cleanup_free_ char *path = qemu_opt_escape(p->qmp_path);
		argv_add_pair(a, "-chardev",
			      path ? strdup_printf("socket,id=charmonitor,path=%s,server=on,wait=off", path)
				   : NULL);
	} else
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "No QMP socket for the command line");
	argv_add_pair(a, "-mon", strdup("chardev=charmonitor,id=monitor,mode=control"));
	if (p->pidfile)
		argv_add_pair(a, "-pidfile", strdup(p->pidfile));
	return 0;
}

static const char *keywrap_opt(TristateSwitch t)
{
	return t == TRISTATE_ON ? "on" : "off";
}

/* libvirt's: the loadparm of the device that boots first (bootindex 1). */
static const char *boot_loadparm(const DomainDef *def)
{
	for (size_t i = 0; i < def->n_disks; i++)
		if (def->disks[i].info.boot_order == 1 && def->disks[i].info.loadparm)
			return def->disks[i].info.loadparm;
	return NULL;
}

static void add_machine(Argv *a, const DomainDef *def, bool kvm)
{
	_cleanup_free_ char *machine = qemu_opt_escape(def->os_machine ? def->os_machine : DEFAULT_MACHINE);
	_cleanup_free_ char *keywrap = NULL, *loadparm = NULL;
	const char *lp = boot_loadparm(def);
	if (!machine) {
		a->oom = true;
		return;
	}
	/* In libvirt's order: key wrapping, guest core, loadparm. */
	keywrap = strdup_printf("%s%s%s%s", def->keywrap_aes ? ",aes-key-wrap=" : "",
				def->keywrap_aes ? keywrap_opt(def->keywrap_aes) : "",
				def->keywrap_dea ? ",dea-key-wrap=" : "",
				def->keywrap_dea ? keywrap_opt(def->keywrap_dea) : "");
	loadparm = lp ? strdup_printf(",loadparm=%s", lp) : strdup("");
	if (!keywrap || !loadparm) {
		a->oom = true;
		return;
	}
	argv_add_pair(a, "-machine",
		      strdup_printf("%s,accel=%s%s%s%s", machine, kvm ? "kvm" : "tcg", keywrap,
				    !def->dump_core_set ? ""
				    : def->dump_core    ? ",dump-guest-core=on"
							: ",dump-guest-core=off",
				    loadparm));
	argv_add_pair(a, "-cpu", strdup(kvm ? "host" : "qemu"));
}

/* The s390-ccw BIOS's zipl menu, as libvirt writes -boot; nothing
 * without <bootmenu> (s390x ignores the strict=on libvirt adds). */
static void add_boot(Argv *a, const DomainDef *def)
{
	if (def->bootmenu == TRISTATE_ABSENT)
		return;
	_cleanup_free_ char *timeout = def->bootmenu_timeout_set
					       ? strdup_printf("splash-time=%u,", def->bootmenu_timeout)
					       : strdup("");
	if (!timeout) {
		a->oom = true;
		return;
	}
	argv_add_pair(
		a, "-boot",
		strdup_printf("menu=%s,%sstrict=on", def->bootmenu == TRISTATE_ON ? "on" : "off", timeout));
}

static void add_identity(Argv *a, const DomainDef *def)
{
	_cleanup_free_ char *name = qemu_opt_escape(def->name);
	argv_add_pair(a, "-name", name ? strdup_printf("guest=%s,debug-threads=on", name) : NULL);
	argv_add_pair(a, "-uuid", strdup_printf(SD_ID128_UUID_FORMAT_STR, SD_ID128_FORMAT_VAL(def->uuid)));
}

char *qemu_iothread_id(unsigned id, char buf[static QEMU_IOTHREAD_ID_MAX])
{
	snprintf(buf, QEMU_IOTHREAD_ID_MAX, "iothread%u", id);
	return buf;
}

char *qemu_vcpu_id(unsigned id, char buf[static QEMU_VCPU_ID_MAX])
{
	snprintf(buf, QEMU_VCPU_ID_MAX, "vcpu%u", id);
	return buf;
}

json_object *qemu_iothread_props(unsigned id)
{
	char name[QEMU_IOTHREAD_ID_MAX];
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	if (!o || json_add_string(o, "qom-type", "iothread") < 0 ||
	    json_add_string(o, "id", qemu_iothread_id(id, name)) < 0)
		return NULL;
	return TAKE_PTR(o);
}

static void add_resources(Argv *a, const DomainDef *def)
{
	unsigned max = def->vcpus_max ? def->vcpus_max : 1;
	unsigned current = def->vcpus_current ? def->vcpus_current : max;

	argv_add_pair(a, "-m", strdup_printf("size=%" PRIu64 "k", def->memory_kib));
	argv_add_pair(a, "-smp", strdup_printf("%u,maxcpus=%u", current, max));
	/* libvirt's place for them: right after -smp, in JSON. */
	for (size_t i = 0; i < def->n_iothreads; i++) {
		_cleanup_(json_object_putp) json_object *o = qemu_iothread_props(def->iothreads[i].id);
		argv_add_pair(a, "-object", o ? json_to_arg(o) : NULL);
	}
}

static int check_iothreads(const DomainDef *def, ZvError *err)
{
	for (size_t i = 0; i < def->n_disks; i++) {
		unsigned id = def->disks[i].iothread;
		bool found = false;
		for (size_t k = 0; id && !found && k < def->n_iothreads; k++)
			found = def->iothreads[k].id == id;
		if (id && !found)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
					    "Disk '%s': iothread %u is not one of the domain's I/O threads",
					    disk_what(&def->disks[i]), id);
	}
	return 0;
}

static void add_kernel(Argv *a, const DomainDef *def)
{
	/* Plain values: QEMU does not split these at commas. */
	if (def->os_kernel)
		argv_add_pair(a, "-kernel", strdup(def->os_kernel));
	if (def->os_initrd)
		argv_add_pair(a, "-initrd", strdup(def->os_initrd));
	if (def->os_cmdline)
		argv_add_pair(a, "-append", strdup(def->os_cmdline));
}

static int check_domain(const DomainDef *def, ZvError *err)
{
	if (!def->name || !*def->name)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "The domain has no name");
	if (def->memory_kib == 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "Domain '%s' has no memory",
				    def->name);
	if (def->vcpus_current > def->vcpus_max && def->vcpus_max > 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "Domain '%s': %u current vCPUs exceed the maximum of %u", def->name,
				    def->vcpus_current, def->vcpus_max);
	for (size_t i = 0; i < def->n_disks; i++) {
		int r = check_disk(&def->disks[i], err);
		if (r < 0)
			return r;
	}
	if (def->memballoon.model == MEMBALLOON_MODEL_VIRTIO) {
		int r = check_alias(&def->memballoon.info, "The memballoon", err);
		if (r < 0)
			return r;
	}
	int r = check_iothreads(def, err);
	if (r < 0)
		return r;
	if (def->watchdog) {
		r = check_watchdog(def->watchdog, err);
		if (r < 0)
			return r;
	}
	if (def->rng) {
		r = check_rng(def->rng, err);
		if (r < 0)
			return r;
	}
	return check_consoles(def, err);
}

int qemu_build_argv(const DomainDef *def, const QemuCmdlineParams *p, char ***ret_argv, ZvError *err)
{
	_cleanup_(argv_clear) Argv a = {};
	/* type='qemu' asks for emulation whatever the host offers. */
	bool kvm = p->use_kvm && def->virt_type != DOMAIN_VIRT_QEMU;

	int r = check_domain(def, err);
	if (r < 0)
		return r;

	argv_add(&a, def->emulator ? def->emulator : p->emulator ? p->emulator : QEMU_DEFAULT_EMULATOR);
	add_identity(&a, def);
	argv_add(&a, "-S");
	if (p->incoming_defer) {
		argv_add(&a, "-incoming");
		argv_add(&a, "defer");
	}
	add_machine(&a, def, kvm);
	add_resources(&a, def);
	argv_add(&a, "-no-user-config");
	argv_add(&a, "-nodefaults");
	r = add_monitor(&a, p, err);
	if (r < 0)
		return r;
	argv_add(&a, "-display");
	argv_add(&a, "none");
	argv_add(&a, "-no-shutdown");
	/* The daemon, not QEMU, decides what a panic does. */
	argv_add_pair(&a, "-action", strdup("panic=pause"));
	if (def->on_reboot == LIFECYCLE_ACTION_DESTROY)
		argv_add_pair(&a, "-action", strdup("reboot=shutdown"));
	add_boot(&a, def);
	add_kernel(&a, def);

	/* libvirt's order: controllers, disks, interfaces, consoles,
	 * the watchdog, hostdevs, the balloon, the rng. A SCSI device needs
	 * its controller's bus to exist already. */
	for (size_t i = 0; i < def->n_controllers; i++) {
		r = add_controller(&a, &def->controllers[i], err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < def->n_disks; i++) {
		r = add_disk(&a, def, &def->disks[i], err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < def->n_interfaces; i++) {
		r = add_interface(&a, &def->interfaces[i], p->net_fds ? p->net_fds[i] : -1, err);
		if (r < 0)
			return r;
	}
	add_consoles(&a, def, p->default_console_log, p->default_console_log_fd);
	/* libvirt's: the watchdog (with its action), the hostdevs, the
	 * balloon, then the rng. */
	if (def->watchdog) {
		r = add_watchdog(&a, def->watchdog, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < def->n_hostdevs; i++) {
		r = add_hostdev(&a, def, &def->hostdevs[i], err);
		if (r < 0)
			return r;
	}
	add_memballoon(&a, &def->memballoon);
	if (def->rng) {
		r = add_rng(&a, def->rng, err);
		if (r < 0)
			return r;
	}

	argv_add_pair(&a, "-sandbox",
		      strdup("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
	argv_add_pair(&a, "-msg", strdup("timestamp=on"));

	if (a.oom)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*ret_argv = TAKE_PTR(a.v);
	return 0;
}
