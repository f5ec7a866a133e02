/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* All domains of this host, by UUID and by name, and what happens to the
 * set: define, undefine, load at start. Tells objects/ about changes
 * through callbacks; never calls up. */

#include <stddef.h>

#include <systemd/sd-event.h>

#include "conf/settings.h"
#include "domain.h"
#include "job.h"
#include "qemu/caps.h"

typedef struct DomainCrashInfo {
	const char *reason; /* "disabled-wait", ... */
	int64_t core;
	uint64_t psw_mask;
	uint64_t psw_addr;
	const char *action; /* what the daemon does: destroy, restart, preserve */
} DomainCrashInfo;

typedef struct RegistryCallbacks {
	void (*domain_added)(Domain *d, void *userdata);
	/* Before the domain is freed (it can still be looked up). */
	void (*domain_removed)(Domain *d, void *userdata);
	/* After it left the registry: the count of domains changed. */
	void (*domain_count_changed)(void *userdata);
	void (*domain_state_changed)(Domain *d, void *userdata);
	/* Name, memory, vCPUs, ... may differ: a redefinition, or a start or
	 * stop that changed which definition is current. */
	void (*domain_definition_changed)(Domain *d, void *userdata);
	void (*domain_crashed)(Domain *d, const DomainCrashInfo *info, void *userdata);
	/* A live unplug the guest refused or did not finish in time: that
	 * device (as the call named it) stays (DeviceRemovalFailed). */
	void (*device_removal_failed)(Domain *d, const struct DeviceDef *dev, const char *message,
				      void *userdata);
	/* Jobs (job.h): a new one, a change of its properties, its end
	 * (after the change that set its final state), its removal. */
	void (*job_added)(Job *j, void *userdata);
	void (*job_changed)(Job *j, void *userdata);
	void (*job_finished)(Job *j, void *userdata);
	void (*job_removed)(Job *j, void *userdata);
	void *userdata;
} RegistryCallbacks;

int registry_new(sd_event *event, const Settings *settings, Registry **ret);
/* Stops nothing: guests keep running. */
Registry *registry_free(Registry *r);
void registry_set_callbacks(Registry *r, const RegistryCallbacks *cb);

/* Reads the definitions and the runtime status of guests that still run,
 * and reattaches to them. Bad files are logged and skipped. */
int registry_load(Registry *r);

/* Reads the default emulator's machine types and CPU models in the
 * background (again after Emulator= changed). */
int registry_probe_caps(Registry *r);

/* The userdata of the callbacks (objects/ finds itself from a Domain). */
void *registry_get_userdata(const Registry *r);

/* What the default emulator offers; NULL until the probe has answered. */
const QemuCaps *registry_get_caps(const Registry *r);

/* Lookups. uuid in either form (dashed or 32 hex). */
Domain *registry_find_by_uuid(const Registry *r, const char *uuid);
Domain *registry_find_by_name(const Registry *r, const char *name);
size_t registry_count(const Registry *r);
/* Domains with a QEMU process (any state but shut-off). */
size_t registry_count_active(const Registry *r);

/* Iterates: `for (size_t i = 0; registry_iterate(r, &i, &d);)` */
bool registry_iterate(const Registry *r, size_t *state, Domain **ret);

/* DefineXML: a new domain, or a new definition for the one with the same
 * UUID (the name must then match or be free; on an active domain it
 * takes effect at the next start). ValidateXML: the same checks without
 * side effects. The parse runs in a worker thread, so a large document
 * never holds the loop; the checks against the other domains run on the
 * loop afterwards, and the durable write in the write queue.
 * Both find the definition's risky choices (conf/domain-warnings.h):
 * DefineXML logs them, ValidateXML answers them (warnings is NULL on
 * failure). xml must stay valid until cb runs. cb runs exactly once,
 * later (also when the daemon stops first: Cancelled); d is NULL on
 * failure. < 0 only when the call cannot be queued. */
typedef void (*registry_define_fn)(Registry *r, int result, Domain *d, const ZvError *err, void *userdata);
typedef void (*registry_validate_fn)(Registry *r, int result, char *const *warnings, const ZvError *err,
				     void *userdata);
int registry_define_async(Registry *r, const char *xml, size_t len, registry_define_fn cb, void *userdata);
int registry_validate_async(Registry *r, const char *xml, size_t len, registry_validate_fn cb,
			    void *userdata);

/* DomainXMLToNative: the QEMU command line a Start of xml would run
 * (one line, arguments shell-quoted), built as Start builds it with the
 * daemon's emulator and accelerator; the document is parsed off the
 * loop, as DefineXML parses it. Nothing else changes. xml must stay
 * valid until cb runs; cb runs exactly once, later (Cancelled when the
 * daemon stops first); native is NULL on failure. < 0 only when the
 * call cannot be queued. */
typedef struct NativeJob NativeJob;
typedef void (*registry_native_fn)(Registry *r, int result, const char *native, const ZvError *err,
				   void *userdata);
int registry_xml_to_native_async(Registry *r, const char *xml, size_t len, registry_native_fn cb,
				 void *userdata);

/* CreateXML, in two steps so that objects/ can authorize with the
 * domain's name and UUID in between: the document is parsed off the loop
 * (cb runs exactly once, later; on success it owns c: pass it to
 * registry_create_start() or registry_create_free()); then the name and
 * UUID are checked against every domain (DomainExists) in line with the
 * DefineXML calls before it, the transient domain joins the registry and
 * starts. Its cb runs exactly once (possibly before registry_create_start
 * returns) when the domain runs (or is paused); on failure the domain is
 * gone again. xml must stay valid until the parse's cb has run. */
typedef struct RegistryCreate RegistryCreate;
typedef void (*registry_create_parsed_fn)(Registry *r, int result, RegistryCreate *c, const ZvError *err,
					  void *userdata);
int registry_create_parse_async(Registry *r, const char *xml, size_t len, registry_create_parsed_fn cb,
				void *userdata);
const char *registry_create_name(const RegistryCreate *c);
/* Dashed. */
const char *registry_create_uuid(const RegistryCreate *c);
/* Takes c. */
int registry_create_start(RegistryCreate *c, DomainStartFlags flags, registry_define_fn cb, void *userdata);
RegistryCreate *registry_create_free(RegistryCreate *c);

/* Answers of Undefine and Autostart: err is set when result < 0. */
typedef void (*registry_done_fn)(Registry *r, int result, const ZvError *err, void *userdata);

typedef enum UndefineFlags {
	UNDEFINE_KEEP_RUNNING = 1 << 0, /* an active domain becomes transient */
	UNDEFINE_MANAGED_SAVE = 1 << 1, /* its managed-save image goes too (else refused) */
} UndefineFlags;

/* Removes the definition and its autostart mark (durable, off the loop,
 * in line with the DefineXML calls before it); a shut-off domain then
 * disappears, an active one with keep-running becomes transient. Until
 * then no call can start or change d (Busy). The checks run now (< 0
 * with err: cb never runs) and again at the write's turn; cb runs
 * exactly once otherwise. */
int registry_undefine_async(Registry *r, Domain *d, UndefineFlags flags, registry_done_fn cb, void *userdata,
			    ZvError *err);

/* The Autostart property: start at the first daemon start of a host boot.
 * Only persistent domains; the mark is written like a definition. Errors
 * as registry_undefine_async(). */
int registry_set_autostart_async(Registry *r, Domain *d, bool autostart, registry_done_fn cb, void *userdata,
				 ZvError *err);

/* Rename of a shut-off persistent domain: the name rules of DefineXML,
 * then the definition is written again (durable, in the write queue) and
 * the logs <LogDir>/<name>.log and <name>.console follow the name. Until
 * then no call can start or change d (Busy). Errors as
 * registry_undefine_async(). */
int registry_rename_async(Registry *r, Domain *d, const char *new_name, registry_done_fn cb, void *userdata,
			  ZvError *err);

/* Starts the domains marked for autostart that are not running, once per
 * host boot (a daemon restart does not start what a user stopped). */
int registry_autostart(Registry *r);
