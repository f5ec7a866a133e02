/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A domain as the daemon knows it: its definition, its state and, while
 * active, its QEMU. The type is opaque above this floor: objects/ reads
 * it through the getters below and acts on it through the life cycle
 * calls. The calls are asynchronous: each returns < 0 with err set when
 * it cannot begin (the callback is then never called), or 0 and calls
 * cb exactly once, later, from the event loop. */

#include <stdbool.h>
#include <stdint.h>

#include "conf/domain-def.h"
#include "conf/domain-state.h"
#include "util/error.h"

typedef struct Registry Registry;
typedef struct Domain Domain;

typedef struct Job Job;

typedef enum DomainStartFlags {
	DOMAIN_START_PAUSED = 1 << 0,
	DOMAIN_START_FORCE_BOOT = 1 << 1,
} DomainStartFlags;

/* Completion of an asynchronous call: r < 0 with err set on failure. */
typedef void (*domain_done_fn)(Domain *d, int r, const ZvError *err, void *userdata);

/* --- what a domain is ---------------------------------------------------- */

Registry *domain_get_registry(const Domain *d);
const char *domain_name(const Domain *d);
/* Dashed, for people: 4f1c...-... */
const char *domain_uuid(const Domain *d);
/* 32 hex digits: the registry key and the object path label. */
const char *domain_uuid_hex(const Domain *d);
/* The next-boot definition (persistent or transient). */
const DomainDef *domain_get_def(const Domain *d);
/* What runs, while active; NULL when shut off. */
const DomainDef *domain_get_live_def(const Domain *d);
/* The definition that describes the domain now: live while active. */
const DomainDef *domain_current_def(const Domain *d);
/* The run number while active, -1 while inactive. */
int domain_get_id(const Domain *d);
DomainState domain_get_state(const Domain *d);
DomainReason domain_get_reason(const Domain *d);
/* +1 on every state change: lets a client order StateChanged signals. */
uint64_t domain_get_sequence(const Domain *d);
bool domain_is_persistent(const Domain *d);
bool domain_get_autostart(const Domain *d);
/* CPU time used by QEMU so far, 0 when inactive. */
uint64_t domain_cpu_time_ns(const Domain *d);
/* 0 when no QEMU runs. */
uint32_t domain_qemu_pid(const Domain *d);
/* A managed-save image waits for the next Start. */
bool domain_has_managed_save(const Domain *d);

/* --- the life cycle calls ------------------------------------------------ */

/* Spawns QEMU, connects QMP and (unless paused) lets the guest run; cb
 * runs when the domain is running (or paused). */
int domain_start(Domain *d, DomainStartFlags flags, domain_done_fn cb, void *userdata, ZvError *err);

/* Asks the guest to power off (signal-quiesce); cb runs once the request
 * is delivered and the domain is in-shutdown. timeout_ms > 0: destroy
 * when the guest has not gone by then. */
int domain_shutdown(Domain *d, uint64_t timeout_ms, domain_done_fn cb, void *userdata, ZvError *err);

/* Shuts the guest down (or destroys it, with on_reboot=destroy), then
 * boots the same live definition in a new QEMU. */
int domain_reboot(Domain *d, domain_done_fn cb, void *userdata, ZvError *err);
int domain_reset(Domain *d, domain_done_fn cb, void *userdata, ZvError *err);

/* cb runs when the QEMU process is gone. graceful: SIGTERM first, SIGKILL
 * after 10 s. */
int domain_destroy(Domain *d, bool graceful, domain_done_fn cb, void *userdata, ZvError *err);

int domain_suspend(Domain *d, domain_done_fn cb, void *userdata, ZvError *err);

typedef enum DomainSaveFlags {
	DOMAIN_SAVE_RUNNING = 1 << 0, /* come back running (default: as it was) */
	DOMAIN_SAVE_PAUSED = 1 << 1,  /* come back paused */
	DOMAIN_SAVE_BYPASS_CACHE = 1 << 2,
} DomainSaveFlags;

/* ManagedSave (save.c): begins the save and returns its job, which ends
 * completed once the domain is shut-off/saved, or failed / cancelled
 * with the guest as it was. */
int domain_managed_save(Domain *d, DomainSaveFlags flags, Job **ret_job, ZvError *err);
typedef enum DomainDumpFlags {
	DOMAIN_DUMP_CRASH = 1 << 0, /* destroy it afterwards: shut-off/crashed */
	DOMAIN_DUMP_RESET = 1 << 1, /* reset it afterwards */
} DomainDumpFlags;

/* CoreDump (dump.c): the guest's memory into path (a new file), in
 * format (elf, kdump-zlib, ...), as a job. */
int domain_core_dump(Domain *d, const char *path, DomainDumpFlags flags, const char *format, Job **ret_job,
		     ZvError *err);

/* Deletes the image; a saved domain becomes shut-off/unknown. */
int domain_managed_save_remove(Domain *d, ZvError *err);
int domain_resume(Domain *d, domain_done_fn cb, void *userdata, ZvError *err);

/* QEMU's inject-nmi (s390x: a restart interrupt); running or paused
 * only. cb runs once QEMU took it; the guest's answer comes as events. */
int domain_inject_nmi(Domain *d, domain_done_fn cb, void *userdata, ZvError *err);

/* --- devices (hotplug.c) -------------------------------------------------- */

/* Which definitions a change applies to: the live one, the persistent
 * one, or both (modify-flags.h turns virsh's options into these). */
typedef enum DomainModifyFlags {
	DOMAIN_MODIFY_LIVE = 1 << 0,
	DOMAIN_MODIFY_CONFIG = 1 << 1,
	/* A cdrom's media change: open the tray even when the guest locked it. */
	DOMAIN_MODIFY_FORCE = 1 << 2,
} DomainModifyFlags;

struct DeviceDef;

/* Completion of a device call: dev is the device it was about, as the
 * call named it (borrowed for the callback; NULL on failure). */
typedef void (*domain_device_done_fn)(Domain *d, int r, const ZvError *err, const struct DeviceDef *dev,
				      void *userdata);

/* AttachDevice: live, the device is plugged into QEMU (blockdev-add and
 * device_add, as a start would have it) and joins the live definition;
 * config, the persistent definition gets it (durably, in the write
 * queue). Both: one ccw address, free in either. dev is taken in every
 * case. */
int domain_attach_device(Domain *d, struct DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			 void *userdata, ZvError *err);

/* DetachDevice: the device of the same target leaves. Live, QEMU's
 * device_del asks for it and the call ends with DEVICE_DELETED; a guest
 * that does not let go within DOMAIN_DEVICE_REMOVAL_TIMEOUT_USEC ends
 * it with Timeout and DeviceRemovalFailed, and the device stays (it is
 * removed if QEMU lets it go later). dev is taken. */
int domain_detach_device(Domain *d, struct DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			 void *userdata, ZvError *err);

/* UpdateDevice: the device of the same target becomes dev. Live, only
 * what QEMU can change on a running device may differ; config, any
 * setting but its identity (target, ccw address when given). dev is taken. */
int domain_update_device(Domain *d, struct DeviceDef *dev, DomainModifyFlags flags, domain_device_done_fn cb,
			 void *userdata, ZvError *err);

/* ChangeMedia (virsh change-media): the cdrom of that target gets
 * source as its medium, or none (NULL: eject). Live, the tray is opened
 * (DOMAIN_MODIFY_FORCE: even when the guest locked it; otherwise a tray
 * still locked after 5 s ends the call with OperationInvalid and the
 * medium stays), the medium replaced and the tray closed; config, the
 * persistent definition's disk gets the source. */
typedef enum DomainMediaFlags {
	DOMAIN_MEDIA_EJECT = 1 << 0, /* change-media --eject: a drive without medium is refused */
	DOMAIN_MEDIA_BLOCK = 1 << 1, /* --block: source is a block device (else a file) */
} DomainMediaFlags;
int domain_change_media(Domain *d, const char *target, const char *source, DomainModifyFlags flags,
			DomainMediaFlags media, domain_device_done_fn cb, void *userdata, ZvError *err);

/* libvirt waits 5 s for QEMU's DEVICE_DELETED before it reports an
 * unplug as not (yet) done. */
#define DOMAIN_DEVICE_REMOVAL_TIMEOUT_USEC (5 * 1000000ULL)
