/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Open vSwitch ports of the domains' NICs (net.h): added, removed and
 * a crash's leftovers found, through ovs-vsctl on a worker of their own
 * with one thread, so that the jobs run in the order they were queued: a
 * stop's del-port before the add-port of a restart that reuses the tap's
 * name. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain-internal.h"
#include "host/ovs.h"
#include "net.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

typedef enum OvsJobKind {
	OVS_JOB_ADD,
	OVS_JOB_REMOVE,
	OVS_JOB_LEFTOVERS,
} OvsJobKind;

typedef struct OvsPort {
	char *bridge; /* ADD only */
	char *ifname;
	char mac[NET_MAC_STRING_MAX];
	char iface_id[SD_ID128_UUID_STRING_MAX];
	unsigned vlan_tag;
} OvsPort;

typedef struct OvsJob OvsJob;

/* Everything a job needs is copied in: it runs while the loop goes on and
 * the domain may change or go. */
struct OvsJob {
	struct OvsJob *prev, *next; /* r->ovs_jobs */
	Registry *r;
	OvsJobKind kind;
	Domain *d;  /* ADD: whose done waits; NULL once the domain stopped or went */
	char *name; /* the domain's, for the log */
	char vm_uuid[SD_ID128_UUID_STRING_MAX];
	OvsPort *ports;
	size_t n_ports;
	char **uuids; /* LEFTOVERS: the domains of this host that do not run */
	domain_net_connected_fn done;
	void *userdata;
	ZvError err;
};

static OvsJob *job_free(OvsJob *j)
{
	if (!j)
		return NULL;
	for (size_t i = 0; i < j->n_ports; i++) {
		free(j->ports[i].bridge);
		free(j->ports[i].ifname);
	}
	free(j->ports);
	strv_free(j->uuids);
	free(j->name);
	free(j);
	return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(OvsJob *, job_free);

static void job_unlink(OvsJob *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		j->r->ovs_jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
}

static OvsJob *job_new(Registry *r, OvsJobKind kind, const char *name, const sd_id128_t *uuid)
{
	OvsJob *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	*j = (OvsJob){.r = r, .kind = kind, .err = ZV_ERROR_INIT};
	if (name && !(j->name = strdup(name)))
		return job_free(j);
	if (uuid)
		sd_id128_to_uuid_string(*uuid, j->vm_uuid);
	return j;
}

static bool is_ovs(const InterfaceDef *net)
{
	return net->type == NET_TYPE_BRIDGE && net->virtualport == VIRTUALPORT_OPENVSWITCH &&
	       net->target_dev;
}

static int job_add_port(OvsJob *j, const InterfaceDef *net, bool with_bridge)
{
	OvsPort *p = realloc(j->ports, (j->n_ports + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	j->ports = p;
	p = &j->ports[j->n_ports];
	*p = (OvsPort){.vlan_tag = net->vlan_tag};
	if (!(p->ifname = strdup(net->target_dev)) ||
	    (with_bridge && !(p->bridge = strdup(net->source_bridge)))) {
		free(p->ifname);
		return -ENOMEM;
	}
	net_mac_to_string(net->mac, p->mac);
	sd_id128_to_uuid_string(net->interface_id, p->iface_id);
	j->n_ports++;
	return 0;
}

/* ovs-vsctl is not there, or no ovsdb answers: nothing of ours can be
 * on a switch that does not run. */
static bool ovs_absent(int r, const ZvError *err)
{
	return r == -ENOENT || (r == -EIO && strstr(err->message, "database connection failed"));
}

/* ---- on the worker ---- */

/* Deletes the ports among ifnames whose Interface carries vm-id=vm_uuid:
 * never one the daemon did not mark as this domain's. */
static int remove_marked(const char *name, const char *vm_uuid, char *const *ifnames, size_t n, bool quiet)
{
	ZvError err = ZV_ERROR_INIT;
	_cleanup_strv_free_ char **ours = NULL;
	int r = host_ovs_vm_ports(vm_uuid, &ours, &err);
	if (r < 0) {
		if (ovs_absent(r, &err) || quiet)
			log_debug("Domain %s: no Open vSwitch ports to remove: %s", name, err.message);
		else
			log_warning("Domain %s: cannot list its Open vSwitch ports: %s", name, err.message);
		return r;
	}
	for (size_t i = 0; ours[i]; i++) {
		bool wanted = false;
		for (size_t k = 0; !wanted && k < n; k++)
			wanted = strcmp(ours[i], ifnames[k]) == 0;
		if (!wanted)
			continue;
		zv_error_clear(&err);
		r = host_ovs_del_port(ours[i], &err);
		if (r < 0)
			log_warning("Domain %s: %s", name, err.message);
		else
			log_info("Domain %s: removed Open vSwitch port %s", name, ours[i]);
	}
	return 0;
}

static int job_remove_ports(OvsJob *j, bool quiet)
{
	_cleanup_free_ char **names = calloc(j->n_ports + 1, sizeof(char *));
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < j->n_ports; i++)
		names[i] = j->ports[i].ifname;
	return remove_marked(j->name, j->vm_uuid, names, j->n_ports, quiet);
}

static int run_add(OvsJob *j)
{
	for (size_t i = 0; i < j->n_ports; i++) {
		const OvsPort *p = &j->ports[i];
		int r = host_ovs_add_port(p->bridge, p->ifname, p->mac, p->iface_id, j->vm_uuid, p->vlan_tag,
					  &j->err);
		if (r < 0) {
			/* The ones added, and this one if ovs-vsctl was cut off
			 * after all: none is left behind. */
			(void)job_remove_ports(j, true);
			return r;
		}
		if (p->vlan_tag)
			log_info("Domain %s: interface %s is port %s of Open vSwitch bridge %s, VLAN %u",
				 j->name, p->mac, p->ifname, p->bridge, p->vlan_tag);
		else
			log_info("Domain %s: interface %s is port %s of Open vSwitch bridge %s", j->name,
				 p->mac, p->ifname, p->bridge);
	}
	return 0;
}

static int run_leftovers(OvsJob *j)
{
	for (size_t i = 0; j->uuids[i]; i++) {
		ZvError err = ZV_ERROR_INIT;
		_cleanup_strv_free_ char **ports = NULL;
		int r = host_ovs_vm_ports(j->uuids[i], &ports, &err);
		if (r < 0) {
			if (ovs_absent(r, &err)) {
				log_debug("No Open vSwitch leftovers to look for: %s", err.message);
				return 0;
			}
			log_warning("Cannot look for leftover Open vSwitch ports: %s", err.message);
			continue;
		}
		for (size_t k = 0; ports[k]; k++) {
			zv_error_clear(&err);
			if (host_ovs_del_port(ports[k], &err) < 0)
				log_warning("Cannot remove leftover Open vSwitch port %s: %s", ports[k],
					    err.message);
			else
				log_info("Removed Open vSwitch port %s, left over by domain %s, which does "
					 "not run",
					 ports[k], j->uuids[i]);
		}
	}
	return 0;
}

static int run_job(void *userdata)
{
	OvsJob *j = userdata;
	switch (j->kind) {
	case OVS_JOB_ADD:
		return run_add(j);
	case OVS_JOB_REMOVE:
		return job_remove_ports(j, false);
	case OVS_JOB_LEFTOVERS:
		return run_leftovers(j);
	}
	return -EINVAL;
}

/* ---- on the loop ---- */

static void on_job_done(int result, void *userdata)
{
	OvsJob *j = userdata;
	job_unlink(j);
	if (j->kind == OVS_JOB_ADD && j->d && j->done) {
		if (result < 0 && j->err.code == ZV_ERROR_NONE)
			zv_error_set(&j->err, ZV_ERROR_HOST, result, "Cannot add Open vSwitch ports: %s",
				     strerror(-result));
		j->done(j->d, result < 0 ? result : 0, &j->err, j->userdata);
	}
	job_free(j);
}

static int submit(Registry *r, OvsJob *j)
{
	if (!r->ovs_worker) {
		int k = worker_new(r->event, 1, &r->ovs_worker);
		if (k < 0) {
			job_free(j);
			return k;
		}
	}
	j->next = r->ovs_jobs;
	if (j->next)
		j->next->prev = j;
	r->ovs_jobs = j;
	int k = worker_submit(r->ovs_worker, run_job, on_job_done, j, NULL);
	if (k < 0) {
		job_unlink(j);
		job_free(j);
	}
	return k;
}

static int connect_nets(Domain *d, const InterfaceDef *const *nets, size_t n, domain_net_connected_fn done,
			void *userdata, ZvError *err)
{
	assert(d);
	assert(done);
	_cleanup_(job_freep) OvsJob *j = job_new(d->registry, OVS_JOB_ADD, domain_name(d), &d->uuid_id);
	if (!j)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!is_ovs(nets[i]))
			continue;
		if (job_add_port(j, nets[i], true) < 0)
			return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	if (j->n_ports == 0)
		return 1;
	j->d = d;
	j->done = done;
	j->userdata = userdata;
	int k = submit(d->registry, TAKE_PTR(j));
	if (k < 0)
		return zv_error_set(err, ZV_ERROR_HOST, k,
				    "Cannot queue the Open vSwitch ports of domain '%s': %s", domain_name(d),
				    strerror(-k));
	return 0;
}

int domain_net_connect(Domain *d, const InterfaceDef *net, domain_net_connected_fn done, void *userdata,
		       ZvError *err)
{
	assert(net);
	return connect_nets(d, &net, 1, done, userdata, err);
}

int domain_net_connect_all(Domain *d, domain_net_connected_fn done, void *userdata, ZvError *err)
{
	assert(d && d->live);
	size_t n = d->live->n_interfaces;
	_cleanup_free_ const InterfaceDef **nets = calloc(n ?: 1, sizeof(*nets));
	if (!nets)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	for (size_t i = 0; i < n; i++)
		nets[i] = &d->live->interfaces[i];
	return connect_nets(d, nets, n, done, userdata, err);
}

void domain_net_disconnect(Domain *d, const InterfaceDef *const *nets, size_t n)
{
	_cleanup_(job_freep) OvsJob *j = job_new(d->registry, OVS_JOB_REMOVE, domain_name(d), &d->uuid_id);
	if (!j) {
		log_warning("Domain %s: out of memory removing its Open vSwitch ports", domain_name(d));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (is_ovs(nets[i]) && job_add_port(j, nets[i], false) < 0) {
			log_warning("Domain %s: out of memory removing its Open vSwitch ports",
				    domain_name(d));
			return;
		}
	if (j->n_ports == 0)
		return;
	int k = submit(d->registry, TAKE_PTR(j));
	if (k < 0)
		log_warning("Domain %s: cannot queue the removal of its Open vSwitch ports: %s",
			    domain_name(d), strerror(-k));
}

void domain_net_ovs_detach(Domain *d)
{
	for (OvsJob *j = d->registry->ovs_jobs; j; j = j->next)
		if (j->d == d)
			j->d = NULL;
}

void registry_net_ovs_remove_leftovers(Registry *r)
{
	_cleanup_(job_freep) OvsJob *j = job_new(r, OVS_JOB_LEFTOVERS, NULL, NULL);
	if (!j || !(j->uuids = calloc(registry_count(r) + 1, sizeof(char *)))) {
		log_warning("Out of memory looking for leftover Open vSwitch ports");
		return;
	}
	size_t n = 0;
	Domain *d;
	for (size_t i = 0; registry_iterate(r, &i, &d);) {
		if (d->live)
			continue;
		if (!(j->uuids[n] = strdup(d->uuid))) {
			log_warning("Out of memory looking for leftover Open vSwitch ports");
			return;
		}
		n++;
	}
	if (n == 0)
		return;
	int k = submit(r, TAKE_PTR(j));
	if (k < 0)
		log_warning("Cannot queue the search for leftover Open vSwitch ports: %s", strerror(-k));
}

void registry_net_ovs_free(Registry *r)
{
	/* The running job ends first; no done runs after this. */
	r->ovs_worker = worker_free(r->ovs_worker);
	while (r->ovs_jobs) {
		OvsJob *j = r->ovs_jobs;
		job_unlink(j);
		job_free(j);
	}
}
