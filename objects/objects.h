/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The D-Bus face of the daemon: org.zvirt1.Manager at /org/zvirt1 and
 * one org.zvirt1.Domain object per domain. Speaks D-Bus only; all work
 * is done by backend/. */

#include <systemd/sd-bus.h>

#include "driver/registry.h"
#include "driver/stats.h"
#include "conf/settings.h"
#include "util/hashmap.h"
#include "util/ratelimit.h"

#define ZVIRT_BUS_NAME      "org.zvirt1"
#define ZVIRT_ROOT_PATH     "/org/zvirt1"
#define ZVIRT_DOMAIN_PREFIX "/org/zvirt1/domain"
#define ZVIRT_MANAGER_IFACE "org.zvirt1.Manager"
#define ZVIRT_DOMAIN_IFACE  "org.zvirt1.Domain"
#define ZVIRT_JOB_PREFIX    "/org/zvirt1/job"
#define ZVIRT_JOB_IFACE     "org.zvirt1.Job"

typedef struct Objects Objects;

/* What the service layer does for the Manager's ReloadConfig. Returns
 * negative errno with *ret_error ("FILE:LINE: ...") when the file is bad. */
typedef int (*objects_reload_fn)(void *userdata, char **ret_error);

struct Objects {
	sd_bus *bus;
	Registry *registry;
	const Settings *settings;
	Hashmap *auth_queries;          /* polkit.c: pending checks by message */
	Hashmap *sender_uids;           /* polkit.c: unique name → uid cache */
	RateLimit polkit_log_limit;     /* polkit.c: its per-call warnings */
	struct AuthLimits *auth_limits; /* polkit.c: checks in flight and waiting */
	Hashmap *pending_creates;       /* parsed-call.c: parsed calls waiting for polkit, by message */
	objects_reload_fn reload;
	void *reload_userdata;
	Hashmap *device_snapshots;            /* device-objects.c: what was announced per domain, by uuid */
	struct HostLinkMonitor *link_monitor; /* host.c: NetworkLinksChanged */
	struct Worker *host_worker;           /* host.c: the host calls' blocking stores */
	struct HostStore *host_stores;        /* host.c: those not answered yet */
	struct CcwObjects *ccw_objects;       /* ccw-objects.c: the CcwDevice objects */
	struct MigrateFlow *migrate_flows; /* domain-migrate.c: Migrate calls talking to their destination */
	struct IncomingWatch *incoming_watches; /* manager-migration.c: the sources of incoming migrations */
	sd_bus_slot *slots[15];
	/* The counts last announced: most state changes change neither. */
	size_t announced_count;
	size_t announced_active;
};

/* Registers every vtable, the enumerator and the object manager, and
 * takes the registry's callbacks. */
int objects_new(sd_bus *bus, Registry *registry, const Settings *settings, Objects **ret);
Objects *objects_free(Objects *o);
void objects_set_reload(Objects *o, objects_reload_fn fn, void *userdata);

/* /org/zvirt1/domain/<32 hex> */
#define DOMAIN_PATH_MAX (sizeof(ZVIRT_DOMAIN_PREFIX "/") + 32)
const char *domain_object_path(const Domain *d, char buf[static DOMAIN_PATH_MAX]);

/* Used by the Manager: vtables live in their own files. */
extern const sd_bus_vtable manager_vtable[];
extern const sd_bus_vtable domain_vtable[];
/* domain-resources.c: vCPUs, CPU weight and I/O threads, on the same
 * interface (a second vtable keeps that file apart). */
extern const sd_bus_vtable domain_resources_vtable[];
/* domain-migrate.c: Migrate, its tuning and AbortJob. */
extern const sd_bus_vtable domain_migrate_vtable[];
typedef struct MigrateFlow MigrateFlow;
/* At exit: the migrations' connections to their destinations close
 * (each destination drops its half when its caller leaves). */
void objects_migrate_done(Objects *o);
/* manager-migration.c: PrepareMigration, FinishMigration and the
 * [Relocation] properties, on the Manager's interface. */
extern const sd_bus_vtable manager_migration_vtable[];
typedef struct IncomingWatch IncomingWatch;
/* At exit: the watches of the sources. */
void objects_incoming_done(Objects *o);
int domain_object_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
		       sd_bus_error *error);
/* Bus filter: polkit for Properties.Set of Domain.Autostart. */
int domain_autostart_gate(sd_bus_message *m, void *userdata, sd_bus_error *error);
int domain_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
			   sd_bus_error *error);

/* domain.c: answers a GetStats call m (Domain's or Disk's) with the
 * values as an a{sv}, or with the error when r < 0. */
void objects_reply_stats(sd_bus_message *m, int r, const ZvError *err, const DomainStats *stats);

/* polkit for a call on d, with the details rules see (docs/dbus-api.md):
 * verb, domain_name, domain_uuid, and device when not NULL. 1: allowed,
 * 0: asked (the message comes back), < 0: refused. */
int domain_authorize(Domain *d, sd_bus_message *m, const char *action, const char *verb, const char *device,
		     bool no_user_interaction, sd_bus_error *error);

/* Device objects below their domain (device-objects.c, disk.c,
 * hostdev.c, interface.c). */
#define ZVIRT_DISK_IFACE    "org.zvirt1.Disk"
#define ZVIRT_HOSTDEV_IFACE "org.zvirt1.HostDevice"
#define ZVIRT_NET_IFACE     "org.zvirt1.NetworkInterface"
/* <domain path>/disk/<target> (malloc'd; NULL on ENOMEM). */
char *disk_object_path(const Domain *d, const char *target);
/* <domain path>/hostdev/<index> of the hostdev with that host address in
 * the definition that describes d now, or d's own path when it has none
 * (malloc'd; NULL on ENOMEM). */
char *hostdev_object_path(const Domain *d, const HostdevDef *h);
/* <domain path>/interface/<index> of the interface net names (by MAC,
 * as domain_def_interface_index) in the definition that describes d
 * now, or d's own path when it has none (malloc'd; NULL on ENOMEM). */
char *interface_object_path(const Domain *d, const InterfaceDef *net);
/* Registers the vtable of each device interface and their enumerator
 * into ret_slots[0..n_slots): 4 slots. */
int objects_add_device_objects(Objects *o, sd_bus_slot **ret_slots, size_t n_slots);
/* Announces what changed among d's devices since the last call
 * (InterfacesAdded, InterfacesRemoved, PropertiesChanged); gone: d
 * leaves, all its devices go. */
void objects_devices_sync(Objects *o, Domain *d, bool gone);
/* The devices of the domains registry_load() found, as they are: what
 * later syncs compare with (a loaded domain is announced by nothing). */
void objects_devices_loaded(Objects *o);
void objects_devices_done(Objects *o);

/* Signals for backend changes (domain.c emits; manager.c aggregates). */
void objects_domain_state_changed(Objects *o, Domain *d);
void objects_domain_definition_changed(Objects *o, Domain *d);
void objects_domain_crashed(Objects *o, Domain *d, const DomainCrashInfo *info);
void objects_manager_counts_changed(Objects *o);

/* /org/zvirt1/job/<n> */
#define JOB_PATH_MAX (sizeof(ZVIRT_JOB_PREFIX "/") + 10)
const char *job_object_path(const Job *j, char buf[static JOB_PATH_MAX]);
/* The polkit action that starts a job of that type (and may cancel it). */
const char *job_polkit_action(JobType t);
/* job.c: the Job objects, and the registry callbacks that announce them. */
int objects_add_job_objects(Objects *o, sd_bus_slot **ret_vtable, sd_bus_slot **ret_enumerator);
void objects_job_callbacks(RegistryCallbacks *cb);

static inline Objects *objects_of_domain(const Domain *d)
{
	return registry_get_userdata(domain_get_registry(d));
}
