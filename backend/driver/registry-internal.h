/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Inside the Registry: its fields and what the driver's own files tell
 * it. For backend/driver/ only. */

#include <systemd/sd-event.h>

#include "conf/domain-xml.h"
#include "registry.h"
#include "util/hashmap.h"
#include "util/worker.h"
#include "util/write-queue.h"

struct Registry {
	sd_event *event;
	const Settings *settings;
	Hashmap *by_uuid; /* uuid_hex → Domain */
	Hashmap *by_name; /* name → Domain */
	RegistryCallbacks callbacks;
	int next_id;
	size_t n_active;
	/* What the default emulator offers; NULL until the probe is done. */
	QemuCaps *caps;
	QemuCapsProbe *caps_probe;
	/* A failed probe is tried again a few times (a host short of
	 * memory or processes at the daemon's start). */
	sd_event_source *caps_retry;
	unsigned caps_failures;
	/* Parses of callers' documents and the durable writes, off the loop;
	 * started on first use (registry_start_worker()). */
	Worker *worker;
	/* Definitions and autostart marks, written one at a time in order. */
	WriteQueue *writes;
	struct DefineJob *define_jobs;      /* in flight, to answer if we stop */
	struct RegistryCreate *create_jobs; /* create.c: parses in flight, likewise */
	struct NativeJob *native_jobs;      /* native.c: likewise */
	Hashmap *jobs;                      /* job.c: id → Job, running and lingering */
	/* net-ovs.c: ovs-vsctl runs, one thread so that they keep their
	 * order; started on first use. The jobs queued or running. */
	Worker *ovs_worker;
	struct OvsJob *ovs_jobs;
	unsigned last_job_id;
};

int registry_start_worker(Registry *r);

/* A new Domain for def (taken in every case), in both maps. */
int registry_insert(Registry *r, DomainDef *def, bool persistent, Domain **ret);
/* The name and UUID rules of DefineXML. */
int registry_check_conflicts(Registry *r, const DomainDef *def, Domain **ret_existing, ZvError *err);

/* d's machine alias expanded now that the probe has answered (and the
 * definition stored again and announced), as DefineXML would have done:
 * for a domain whose define or edit was on its way while the probe
 * answered. Whether it expanded anything. */
bool registry_expand_domain_machine(Registry *r, Domain *d);

/* net-mac.c: a generated MAC of net (a NIC of own, or one about to join
 * it) drawn again until no other NIC of the host or of own has it; every
 * generated one of def. A given MAC is left as it is. */
int registry_unique_mac(Registry *r, const DomainDef *own, InterfaceDef *net, ZvError *err);
int registry_unique_macs(Registry *r, DomainDef *def, ZvError *err);
/* s390-ccw-virtio and other aliases → the host's versioned machine type:
 * 1 when def changed, 0 when not (or no probe answer yet). */
/* create.c, for migration-in.c: the parsed definition of c (steal: the
 * caller owns it), and its registry. */
Registry *registry_create_registry(const RegistryCreate *c);
DomainDef *registry_create_def(const RegistryCreate *c);
DomainDef *registry_create_steal_def(RegistryCreate *c);

int registry_expand_machine(Registry *r, DomainDef *def, ZvError *err);

/* define.c: answers every DefineXML and ValidateXML still in flight
 * (Cancelled), at registry_free(). */
void registry_cancel_defines(Registry *r);
/* create.c: the same for the CreateXML parses in flight. */
void registry_cancel_creates(Registry *r);
/* native.c: the same for DomainXMLToNative. */
void registry_cancel_natives(Registry *r);
/* Writes d's definition again after the daemon itself changed it; the
 * file gets the definition as it is when the write's turn comes. */
int registry_store_definition(Registry *r, Domain *d);

/* A change of d's persistent definition that a call asked for (SetVcpus
 * and the other calls with 'config'): edit runs on a copy of the
 * definition as it is at the write's turn in the queue of durable
 * changes (< 0 with err set refuses the change: nothing is written); the
 * copy is then written (durable) and becomes d's definition, announced
 * with the definition's properties. cb runs exactly once, later, with
 * userdata, which edit gets too (it must stay valid until cb). Errors as
 * registry_rename_async(); a transient domain is refused at the write's
 * turn. */
typedef int (*definition_edit_fn)(DomainDef *def, void *userdata, ZvError *err);
int registry_edit_definition_async(Registry *r, Domain *d, definition_edit_fn edit, registry_done_fn cb,
				   void *userdata, ZvError *err);

sd_event *registry_get_event(const Registry *r);
const Settings *registry_get_settings(const Registry *r);
/* The id of the next run (the Id property while active). */
int registry_next_id(Registry *r);

/* Removes a transient domain that stopped. */
void registry_remove(Registry *r, Domain *d);

/* A domain changed state (it was in old): counts and callbacks. */
void registry_notify_state(Registry *r, Domain *d, DomainState old);
void registry_notify_definition(Registry *r, Domain *d);
void registry_notify_crashed(Registry *r, Domain *d, const DomainCrashInfo *info);

/* The default values the XML parser fills in. */
void registry_xml_defaults(const Registry *r, DomainXMLDefaults *ret);
