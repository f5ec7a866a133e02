/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the device calls' files share: the call under way (HotplugOp)
 * and the steps one file takes for another. hotplug.c has the calls,
 * the walk of a plan, attach and detach; hotplug-config.c the config
 * half; hotplug-media.c a cdrom's medium. For backend/driver/ only. */

#include <stdbool.h>

#include "conf/device-xml.h"
#include "domain-internal.h"
#include "qemu/hotplug-plan.h"

#define error_is_set(err) ((err) && (err)->code != ZV_ERROR_NONE)

typedef enum HotplugKind {
	HOTPLUG_ATTACH,
	HOTPLUG_DETACH,
	HOTPLUG_UPDATE,
} HotplugKind;

typedef enum HotplugPhase {
	PHASE_NONE,
	PHASE_PLAN,         /* walking op->plan */
	PHASE_WAIT_TRAY,    /* the plan waits for DEVICE_TRAY_MOVED (open) */
	PHASE_DEVICE_DEL,   /* device_del sent */
	PHASE_WAIT_DELETED, /* QEMU took the device_del: DEVICE_DELETED is next */
} HotplugPhase;

typedef struct HotplugOp {
	Registry *registry;
	char uuid_hex[SD_ID128_STRING_MAX];
	char *domain_name; /* for messages once the domain may be gone */
	HotplugKind kind;
	DomainModifyFlags flags;
	DeviceDef *dev; /* the caller's device; the config half's */
	char what[96];  /* "Disk 'vdb'", for messages */
	char *target;   /* a disk's target, for the answer; NULL otherwise */

	/* The live half. */
	HotplugPhase phase;
	DeviceDef *live_dev;    /* attach: what is plugged; update: the new medium's disk */
	ControllerDef implicit; /* attach: the SCSI controller plugged first ... */
	bool has_implicit;      /* ... when the device needs one */
	QemuPlan plan;
	size_t next_step;                /* the plan's step whose reply comes next */
	char *alias;                     /* detach, media change: the device QEMU knows */
	bool deleted;                    /* DEVICE_DELETED came (maybe before device_del's reply) */
	bool tray_open;                  /* DEVICE_TRAY_MOVED said open */
	bool force;                      /* media change: open a locked tray */
	bool medium_removed;             /* media change: the old medium is out */
	int net_fd;                      /* attach of a NIC: its host side, until the op ends */
	struct HotplugOp *next_deferred; /* on Domain.hotplug_deferred */
	sd_event_source *timeout;

	domain_device_done_fn cb;
	void *userdata;
	ZvError err;
} HotplugOp;

HotplugOp *hotplug_op_free(HotplugOp *op);
/* "AttachDevice", ..., for messages. */
const char *hotplug_kind_call(HotplugKind k);
/* ZV_ERROR_HOST "Out of memory"; returns -ENOMEM. */
int hotplug_oom(ZvError *err);
/* Answers the caller and frees op. */
void hotplug_finish(HotplugOp *op, int r);
/* A new call on d (dev taken in every case) and its run: the live half
 * first, then the config half (hotplug.c). */
int hotplug_op_new(Domain *d, HotplugKind kind, DeviceDef *dev, DomainModifyFlags flags,
		   domain_device_done_fn cb, void *userdata, HotplugOp **ret, ZvError *err);
int hotplug_op_run(Domain *d, HotplugOp *op, ZvError *err);

/* The live half (hotplug.c): its end with an error, the undo of what
 * was done of the plan, the plan's next step. */
void hotplug_live_fail(Domain *d, HotplugOp *op, ZvErrorCode code, int e, const char *what,
		       const char *detail);
void hotplug_undo_plan(Domain *d, HotplugOp *op);
/* The op machinery's end of the live half (domain_begin_op's cb). */
void hotplug_live_done(Domain *d, int r, const ZvError *err, void *userdata);
void hotplug_plan_next(Domain *d, HotplugOp *op);

/* hotplug-config.c: what the change makes of def (a copy of the
 * persistent definition), and the durable write of that. */
int hotplug_config_apply(HotplugOp *op, DomainDef *def);
void hotplug_config_begin(HotplugOp *op);

/* hotplug-media.c: the live half of an update (1: nothing to send), the
 * plan's wait for the tray, and a media change that stopped half way. */
int hotplug_update_live_begin(Domain *d, HotplugOp *op, ZvError *err);
/* hotplug-link.c: the live half of a NIC's update (only its link state
 * can change live; 1: nothing to send), and its end. */
int hotplug_update_link_begin(Domain *d, HotplugOp *op, ZvError *err);
void hotplug_update_link_done(Domain *d, HotplugOp *op);
void hotplug_wait_tray(Domain *d, HotplugOp *op);
void hotplug_medium_failed(Domain *d, HotplugOp *op);
