/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Inside the Registry: its fields and what the driver's own files tell
 * it. For backend/driver/ only. */

#include <systemd/sd-event.h>

#include "conf/domain-xml.h"
#include "registry.h"
#include "util/hashmap.h"
#include "util/worker.h"

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
	/* Parses of callers' documents, off the loop; started on first use. */
	Worker *worker;
	struct DefineJob *define_jobs;             /* in flight, to answer if we stop */
	struct DefineJob *write_head, *write_tail; /* checked and written one at a time */
	struct DefineJob *writing;                 /* the durable write under way */
};

/* Whether a DefineXML for this UUID is parsed or being written: Undefine
 * waits for it rather than race it. */
bool registry_definition_pending(const Registry *r, const char *uuid_hex);

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
