/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iothreadadd, iothreaddel and iothreadinfo (resources.h): QEMU's
 * iothread objects (object-add / object-del, query-iothreads) and the
 * <iothreads> of the live and persistent definitions. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/iothreads.h"
#include "qemu/cmdline.h"
#include "registry-internal.h"
#include "resources-internal.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"

typedef struct IOThreadCall {
	Domain *domain; /* while the live part runs */
	unsigned id;
	bool add;
	DomainModifyFlags affect;
	registry_done_fn cb;
	void *userdata;
	ZvError err;
} IOThreadCall;

static const char *call_name(bool add)
{
	return add ? "AddIOThread" : "DeleteIOThread";
}

/* What must hold in def (live or persistent) for the change. */
static int check_def(const DomainDef *def, const char *name, unsigned id, bool add, bool live, ZvError *err)
{
	char list[256];
	const char *which = live ? "running" : "persistent";

	if (add) {
		if (domain_def_find_iothread(def, id))
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EEXIST,
					    "The %s definition of domain '%s' has I/O thread %u already",
					    which, name, id);
		if (def->n_iothreads >= DOMAIN_IOTHREADS_MAX)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, E2BIG,
					    "Domain '%s' has %zu I/O threads, the most it can have", name,
					    def->n_iothreads);
		return 0;
	}
	if (!domain_def_find_iothread(def, id))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, ENOENT,
				    "The %s definition of domain '%s' has no I/O thread %u (it has: %s)",
				    which, name, id, domain_def_iothread_list(def, list, sizeof(list)));
	const DiskDef *user = domain_def_iothread_user(def, id);
	if (user)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EBUSY,
				    "I/O thread %u of domain '%s' is in use by disk '%s' (%s definition); "
				    "detach the disk first",
				    id, name, user->target, which);
	return 0;
}

static int apply(DomainDef *def, unsigned id, bool add)
{
	return add ? domain_def_add_iothread(def, id) : domain_def_remove_iothread(def, id);
}

static void call_answer(IOThreadCall *c, Registry *reg, int r)
{
	c->cb(reg, r < 0 ? r : 0, r < 0 ? &c->err : NULL, c->userdata);
	free(c);
}

static int edit_config(DomainDef *def, void *userdata, ZvError *err)
{
	IOThreadCall *c = userdata;
	int r = check_def(def, def->name, c->id, c->add, false, err);
	if (r >= 0 && (r = apply(def, c->id, c->add)) < 0)
		r = zv_error_set(err, ZV_ERROR_HOST, -r, "Out of memory");
	return r;
}

static void on_config_done(Registry *r, int result, const ZvError *err, void *userdata)
{
	IOThreadCall *c = userdata;
	if (result < 0 && err)
		c->err = *err;
	if (result < 0 && (c->affect & DOMAIN_MODIFY_LIVE))
		domain_resource_live_stays(&c->err);
	call_answer(c, r, result);
}

static void on_qemu_done(QemuMonitor *mon, int r, const char *error, void *userdata)
{
	IOThreadCall *c = userdata;
	Domain *d = c->domain;
	Registry *reg = d->registry;

	d->resource_call = NULL;
	c->domain = NULL;
	if (r < 0)
		return call_answer(c, reg,
				   zv_error_set(&c->err, ZV_ERROR_HYPERVISOR, EIO,
						"QEMU did not %s I/O thread %u of domain '%s': %s",
						c->add ? "add" : "remove", c->id, domain_name(d),
						error ? error : "no reply"));
	r = apply(d->live, c->id, c->add);
	if (r < 0)
		log_error("Domain %s: I/O thread %u is %s in QEMU, but not in its live definition: %s",
			  domain_name(d), c->id, c->add ? "added" : "removed", strerror(-r));
	log_info("Domain %s: I/O thread %u %s", domain_name(d), c->id, c->add ? "added" : "removed");
	domain_resource_live_changed(d);
	if (c->affect & DOMAIN_MODIFY_CONFIG) {
		r = registry_edit_definition_async(reg, d, edit_config, on_config_done, c, &c->err);
		if (r >= 0)
			return;
		domain_resource_live_stays(&c->err);
	}
	call_answer(c, reg, r);
}

static int change(Domain *d, unsigned id, bool add, const ModifyOptions *o, registry_done_fn cb,
		  void *userdata, ZvError *err)
{
	const char *call = call_name(add);
	DomainModifyFlags affect;
	int r = domain_resource_affect(d, o, false, true, call, &affect, err);
	if (r < 0)
		return r;
	if (id == 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "%s: an I/O thread id is a positive integer, not 0", call);
	if ((affect & DOMAIN_MODIFY_LIVE) &&
	    ((r = check_def(d->live, domain_name(d), id, add, true, err)) < 0 ||
	     (r = domain_resource_check_live(d, call, err)) < 0))
		return r;
	if ((affect & DOMAIN_MODIFY_CONFIG) &&
	    (r = check_def(d->def, domain_name(d), id, add, false, err)) < 0)
		return r;

	IOThreadCall *c = calloc(1, sizeof(*c));
	if (!c)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	*c = (IOThreadCall){.id = id,
			    .add = add,
			    .affect = affect,
			    .cb = cb,
			    .userdata = userdata,
			    .err = ZV_ERROR_INIT};
	if (!(affect & DOMAIN_MODIFY_LIVE)) {
		r = registry_edit_definition_async(d->registry, d, edit_config, on_config_done, c, err);
		if (r < 0)
			free(c);
		return r;
	}
	c->domain = d;
	r = add ? qemu_monitor_add_iothread(d->monitor, id, on_qemu_done, c)
		: qemu_monitor_del_iothread(d->monitor, id, on_qemu_done, c);
	if (r < 0) {
		free(c);
		return zv_error_set(err, ZV_ERROR_HYPERVISOR, r,
				    "Cannot send %s to QEMU for domain '%s': %s",
				    add ? "object-add" : "object-del", domain_name(d), strerror(-r));
	}
	d->resource_call = call;
	return 0;
}

int domain_add_iothread(Domain *d, unsigned id, const ModifyOptions *o, registry_done_fn cb, void *userdata,
			ZvError *err)
{
	return change(d, id, true, o, cb, userdata, err);
}

int domain_del_iothread(Domain *d, unsigned id, const ModifyOptions *o, registry_done_fn cb, void *userdata,
			ZvError *err)
{
	return change(d, id, false, o, cb, userdata, err);
}

/* --- iothreadinfo -------------------------------------------------------- */

typedef struct InfoList {
	DomainIOThreadInfo *v;
	size_t n;
} InfoList;

static void info_list_done(InfoList *l)
{
	for (size_t i = 0; i < l->n; i++)
		strv_free(l->v[i].cpus);
	free(l->v);
	*l = (InfoList){};
}

/* "0-3,8-11" → {"0-3", "8-11"}. */
static char **split_cpulist(const char *list)
{
	size_t n = 1;
	for (const char *p = list; *p; p++)
		n += *p == ',';
	_cleanup_strv_free_ char **v = calloc(n + 1, sizeof(char *));
	_cleanup_free_ char *copy = strdup(list);
	if (!v || !copy)
		return NULL;
	size_t k = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, ",\n", &save); t; t = strtok_r(NULL, ",\n", &save))
		if (*t && !(v[k++] = strdup(t)))
			return NULL;
	return TAKE_PTR(v);
}

/* A thread's affinity as cpulist ranges. */
static char **affinity_ranges(pid_t tid)
{
	cpu_set_t set;
	char buf[4096] = "";
	size_t len = 0;

	if (sched_getaffinity(tid, sizeof(set), &set) < 0)
		return NULL;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		int last = cpu;
		while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set))
			last++;
		int w = last > cpu ? snprintf(buf + len, sizeof(buf) - len, "%s%d-%d", len ? "," : "", cpu,
					      last)
				   : snprintf(buf + len, sizeof(buf) - len, "%s%d", len ? "," : "", cpu);
		if (w < 0 || (size_t)w >= sizeof(buf) - len)
			break;
		len += (size_t)w;
		cpu = last;
	}
	return split_cpulist(buf);
}

static int info_add(InfoList *l, unsigned id, char **cpus)
{
	DomainIOThreadInfo *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v) {
		strv_free(cpus);
		return -ENOMEM;
	}
	l->v = v;
	v[l->n++] = (DomainIOThreadInfo){.id = id, .cpus = cpus};
	return 0;
}

typedef struct InfoCall {
	domain_iothreads_fn cb;
	void *userdata;
	char *name;
} InfoCall;

static void on_query_iothreads(QemuMonitor *mon, int r, const QemuIOThread *threads, size_t n,
			       const char *error, void *userdata)
{
	InfoCall *c = userdata;
	_cleanup_(info_list_done) InfoList l = {};
	ZvError err = ZV_ERROR_INIT;

	if (r < 0)
		r = zv_error_set(&err, ZV_ERROR_HYPERVISOR, EIO,
				 "QEMU did not list the I/O threads of domain '%s': %s", c->name,
				 error ? error : "no reply");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		unsigned id;
		char rest;
		/* Ours are iothread<id>; anything else is not the domain's. */
		if (!threads[i].id || sscanf(threads[i].id, "iothread%u%c", &id, &rest) != 1)
			continue;
		char **cpus = threads[i].thread_id > 0 ? affinity_ranges((pid_t)threads[i].thread_id) : NULL;
		if (!cpus)
			cpus = calloc(1, sizeof(char *)); /* the thread is gone, or unknown */
		if (!cpus || info_add(&l, id, cpus) < 0)
			r = zv_error_set(&err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	c->cb(r, r < 0 ? &err : NULL, l.v, l.n, c->userdata);
	free(c->name);
	free(c);
}

int domain_get_iothreads(Domain *d, const ModifyOptions *o, domain_iothreads_fn cb, void *userdata,
			 ZvError *err)
{
	DomainModifyFlags affect;
	int r = domain_resource_affect(d, o, true, true, "GetIOThreads", &affect, err);
	if (r < 0)
		return r;

	if (affect == DOMAIN_MODIFY_LIVE) {
		if (!d->monitor)
			return zv_error_set(
				err, ZV_ERROR_HYPERVISOR, ENOTCONN,
				"zvirtd cannot reach QEMU's monitor of domain '%s' now (it tries "
				"again; see the log)",
				domain_name(d));
		InfoCall *c = calloc(1, sizeof(*c));
		if (!c || !(c->name = strdup(domain_name(d)))) {
			free(c);
			return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		}
		c->cb = cb;
		c->userdata = userdata;
		r = qemu_monitor_query_iothreads(d->monitor, on_query_iothreads, c);
		if (r < 0) {
			free(c->name);
			free(c);
			return zv_error_set(err, ZV_ERROR_HYPERVISOR, r,
					    "Cannot send query-iothreads to QEMU for domain '%s': %s",
					    domain_name(d), strerror(-r));
		}
		return 0;
	}

	/* No <iothreadpin>: each may run on every online CPU of the host. */
	_cleanup_free_ char *online = NULL;
	_cleanup_(info_list_done) InfoList l = {};
	r = read_file_full("/sys/devices/system/cpu/online", 4096, &online, NULL);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot read /sys/devices/system/cpu/online: %s",
				    strerror(-r));
	for (size_t i = 0; i < d->def->n_iothreads; i++) {
		char **cpus = split_cpulist(online);
		if (!cpus || info_add(&l, d->def->iothreads[i].id, cpus) < 0)
			return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	cb(0, NULL, l.v, l.n, userdata);
	return 0;
}
