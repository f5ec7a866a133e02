/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Host's SCSI devices and zfcp units (host-zfcp.h). Lists
 * are reads of sysfs, on the loop; the stores (unit_add, unit_remove,
 * port_rescan) run in the host worker; after unit_add a 50 ms timer
 * looks for the SCSI device the kernel's scan makes, so the loop never
 * waits. */
#include "host-zfcp.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-dict.h"
#include "errors.h"
#include "host.h"
#include "options.h"
#include "polkit.h"
#include "host/ccw-device.h"
#include "host/scsi-device.h"
#include "host/zfcp-device.h"
#include "util/cleanup.h"
#include "util/event-accuracy.h"

#define SCAN_POLL_USEC              (50 * 1000)
#define ADD_UNIT_TIMEOUT_MS_DEFAULT 10000

/* A key only when the device has the value. */
static int append_str_if(sd_bus_message *reply, const char *key, const char *value)
{
	return value ? bus_append_dict_entry(reply, key, "s", value) : 0;
}

static int append_scsi(sd_bus_message *reply, const void *item)
{
	const HostScsiDevice *d = item;
	char adapter[32];
	/* What a <hostdev type='scsi'> names: adapter, bus, target, unit. */
	snprintf(adapter, sizeof(adapter), "scsi_host%u", d->host);
	int r = bus_append_dict_entry(reply, "address", "s", d->address);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "adapter", "s", adapter);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "type", "s", d->type);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "type-number", "u", (uint32_t)d->type_number);
	if (r >= 0)
		r = append_str_if(reply, "vendor", d->vendor);
	if (r >= 0)
		r = append_str_if(reply, "model", d->model);
	if (r >= 0)
		r = append_str_if(reply, "rev", d->rev);
	if (r >= 0)
		r = append_str_if(reply, "node", d->node);
	if (r >= 0)
		r = append_str_if(reply, "sg", d->sg);
	if (r >= 0)
		r = append_str_if(reply, "wwid", d->wwid);
	if (r >= 0)
		r = append_str_if(reply, "scsi-id", d->scsi_id);
	if (r >= 0)
		r = append_str_if(reply, "by-id", d->by_id);
	if (r >= 0)
		r = append_str_if(reply, "multipath", d->multipath);
	if (r >= 0)
		r = append_str_if(reply, "hba-id", d->hba_id);
	if (r >= 0)
		r = append_str_if(reply, "wwpn", d->wwpn);
	if (r >= 0)
		r = append_str_if(reply, "fcp-lun", d->fcp_lun);
	return r;
}

/* Reading: open to every user, as lsscsi is. */
int method_list_scsi_devices(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	ZvError err = ZV_ERROR_INIT;
	_cleanup_(host_scsi_device_list_done) HostScsiDeviceList l = {};
	assert(m);
	assert(o);

	int r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;
	r = host_scsi_device_list(o->settings->sysfs_root, o->settings->dev_root, &l, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return bus_reply_dict_list(m, l.devices, l.n, sizeof(*l.devices), append_scsi);
}

static int append_zfcp(sd_bus_message *reply, const void *item)
{
	const HostZfcpDevice *d = item;
	int r = bus_append_dict_entry(reply, "busid", "s", d->busid);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "online", "b", (int)d->online);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "npiv", "b", (int)d->npiv);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "auto-lun-scan", "b", (int)d->auto_lun_scan);
	if (r >= 0)
		r = append_str_if(reply, "scsi-host", d->scsi_host);
	if (r >= 0)
		r = bus_append_dict_strv(reply, "ports", d->ports);
	return r;
}

/* Reading: open to every user, as lszfcp is. */
int method_list_zfcp_devices(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	ZvError err = ZV_ERROR_INIT;
	_cleanup_(host_zfcp_device_list_done) HostZfcpDeviceList l = {};
	assert(m);
	assert(o);

	int r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;
	r = host_zfcp_device_list(o->settings->sysfs_root, &l, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return bus_reply_dict_list(m, l.devices, l.n, sizeof(*l.devices), append_zfcp);
}

/* --- the stores ---------------------------------------------------------- */

typedef enum { STORE_RESCAN, STORE_ADD, STORE_REMOVE } StoreKind;

/* One store call from its worker job to its answer (and, for unit_add,
 * through the wait for the SCSI device). */
typedef struct StoreCall {
	Objects *o;
	sd_bus_message *m;
	StoreKind kind;
	char *root, *busid, *wwpn, *lun;
	uint64_t deadline; /* CLOCK_MONOTONIC usec */
	uint64_t timeout_ms;
	ZvError err;
	bool answered;
} StoreCall;

static void store_call_free(void *p)
{
	StoreCall *c = p;
	if (!c)
		return;
	if (!c->answered)
		(void)bus_reply_cancelled_stopping(c->m);
	sd_bus_message_unref(c->m);
	free(c->root);
	free(c->busid);
	free(c->wwpn);
	free(c->lun);
	free(c);
}

static int store_job(void *userdata)
{
	StoreCall *c = userdata;
	switch (c->kind) {
	case STORE_RESCAN:
		return host_zfcp_port_rescan(c->root, c->busid, &c->err);
	case STORE_ADD:
		return host_zfcp_unit_add(c->root, c->busid, c->wwpn, c->lun, &c->err);
	case STORE_REMOVE:
		return host_zfcp_unit_remove(c->root, c->busid, c->wwpn, c->lun, &c->err);
	}
	return -EINVAL;
}

static void answer_error(StoreCall *c, int r)
{
	(void)bus_reply_zv_error(c->m, &c->err, r);
	c->answered = true;
}

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Every 50 ms: the kernel's scan of the new unit made its SCSI device,
 * or the deadline passed. */
static int on_scan_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	StoreCall *c = userdata;
	_cleanup_free_ char *address = NULL;
	(void)usec;

	int r = host_scsi_device_find_zfcp(c->root, c->busid, c->wwpn, c->lun, &address);
	if (r == 0) {
		(void)sd_bus_reply_method_return(c->m, "s", address);
		c->answered = true;
	} else if (r == -ENOMEM) {
		answer_error(c, r);
	} else if (now_usec() >= c->deadline) {
		zv_error_set(&c->err, ZV_ERROR_TIMEOUT, ETIMEDOUT,
			     "No SCSI device came for LUN %s of port %s on %s within %" PRIu64
			     " ms; the unit stays (remove it with ZfcpRemoveUnit)",
			     c->lun, c->wwpn, c->busid, c->timeout_ms);
		answer_error(c, -ETIMEDOUT);
	} else {
		/* A timer is one-shot: set it again and enable it again. */
		r = sd_event_source_set_time_relative(s, SCAN_POLL_USEC);
		if (r >= 0)
			r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
		if (r >= 0)
			return 0;
		answer_error(c, r);
	}
	/* Frees c through the destroy callback. */
	sd_event_source_disable_unref(s);
	return 0;
}

static int start_scan_poll(StoreCall *c)
{
	sd_event *e = sd_bus_get_event(c->o->bus);
	sd_event_source *s = NULL;
	int r = e ? sd_event_add_time_relative(e, &s, CLOCK_MONOTONIC, 0, EVENT_ACCURACY_USEC, on_scan_poll,
					       c)
		  : -ENXIO;
	if (r < 0)
		return r;
	/* The loop owns the source; freeing it (at its end or the loop's)
	 * frees the call, answering it if it was not. */
	(void)sd_event_source_set_destroy_callback(s, store_call_free);
	(void)sd_event_source_set_floating(s, true);
	sd_event_source_unref(s);
	return 0;
}

static void store_done(int r, void *userdata)
{
	StoreCall *c = userdata;
	if (r < 0) {
		answer_error(c, r);
	} else if (c->kind == STORE_ADD) {
		c->deadline = now_usec() + c->timeout_ms * 1000;
		r = start_scan_poll(c);
		if (r >= 0)
			return;
		answer_error(c, r);
	} else {
		(void)sd_bus_reply_method_return(c->m, NULL);
		c->answered = true;
	}
	store_call_free(c);
}

static int submit_store(Objects *o, sd_bus_message *m, StoreCall *c, sd_bus_error *error)
{
	c->o = o;
	c->m = sd_bus_message_ref(m);
	c->root = strdup(o->settings->sysfs_root);
	if (!c->root)
		return -ENOMEM;
	/* store_call_free answers Cancelled what was not answered. */
	int r = objects_host_submit(o, store_job, store_done, store_call_free, c);
	if (r < 0)
		return r;
	(void)error;
	return 1;
}

/* Strict forms before polkit, so the answer does not depend on rules. */
static int check_busid(const char *busid, sd_bus_error *error)
{
	if (!ccw_busid_valid(busid))
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "'%s' is not a bus id (x.y.zzzz, lower-case hex)", busid);
	return 0;
}

static int check_port_lun(const char *wwpn, const char *lun, sd_bus_error *error)
{
	if (!host_zfcp_wwpn_valid(wwpn))
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "'%s' is not a WWPN (0x and 16 lower-case hex digits)", wwpn);
	if (!host_zfcp_wwpn_valid(lun))
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "'%s' is not an FCP LUN (0x and 16 lower-case hex digits)", lun);
	return 0;
}

int method_zfcp_port_rescan(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	const char *busid;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "s", &busid);
	if (r < 0)
		return r;
	r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	if ((r = check_busid(busid, error)) < 0)
		return r;
	r = host_authorize_device(o, m, "zfcp-port-rescan", busid, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	_cleanup_free_ StoreCall *c = calloc(1, sizeof(*c));
	if (!c || !(c->busid = strdup(busid)))
		return -ENOMEM;
	c->kind = STORE_RESCAN;
	r = submit_store(o, m, c, error);
	if (r < 0) {
		c->answered = true;
		store_call_free(TAKE_PTR(c));
		return r;
	}
	TAKE_PTR(c);
	return 1;
}

static int unit_call(sd_bus_message *m, Objects *o, StoreKind kind, sd_bus_error *error)
{
	OptionsCommon common = {};
	const char *busid, *wwpn, *lun;
	uint32_t timeout_ms = ADD_UNIT_TIMEOUT_MS_DEFAULT;
	const OptionSpec add_specs[] = {{"timeout-ms", "u", &timeout_ms}, {}};

	int r = sd_bus_message_read(m, "sss", &busid, &wwpn, &lun);
	if (r < 0)
		return r;
	r = bus_read_options(m, kind == STORE_ADD ? add_specs : NULL, &common, error);
	if (r < 0)
		return r;
	if ((r = check_busid(busid, error)) < 0 || (r = check_port_lun(wwpn, lun, error)) < 0)
		return r;
	if (kind == STORE_ADD && timeout_ms == 0)
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "Option timeout-ms must be at least 1");
	r = host_authorize_device(o, m, kind == STORE_ADD ? "zfcp-add-unit" : "zfcp-remove-unit", busid,
				  common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	_cleanup_free_ StoreCall *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->kind = kind;
	c->timeout_ms = timeout_ms;
	if (!(c->busid = strdup(busid)) || !(c->wwpn = strdup(wwpn)) || !(c->lun = strdup(lun))) {
		c->answered = true;
		store_call_free(TAKE_PTR(c));
		return -ENOMEM;
	}
	r = submit_store(o, m, c, error);
	if (r < 0) {
		c->answered = true;
		store_call_free(TAKE_PTR(c));
		return r;
	}
	TAKE_PTR(c);
	return 1;
}

int method_zfcp_add_unit(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	assert(m);
	assert(userdata);
	return unit_call(m, userdata, STORE_ADD, error);
}

int method_zfcp_remove_unit(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	assert(m);
	assert(userdata);
	return unit_call(m, userdata, STORE_REMOVE, error);
}
