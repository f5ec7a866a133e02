/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.CcwDevice objects (ccw-objects.h). What was announced is
 * kept (a list sorted by bus id); an event marks the bus id its devpath
 * names (devices/css0/<subchannel>/<bus id>/...) dirty, or all of them
 * for a qeth group or lost events, and the timer re-reads those and
 * announces the difference. */
#include "ccw-objects.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/ccw-device.h"
#include "host/uevent-monitor.h"
#include "util/cleanup.h"
#include "util/event-accuracy.h"
#include "util/log.h"

struct CcwObjects {
	Objects *o;
	CcwDeviceList devs; /* what was announced */
	char **dirty;       /* bus ids to read again */
	size_t n_dirty;
	bool all_dirty;
	HostUeventMonitor *monitor;
	sd_event_source *timer;
	sd_bus_slot *vtable_slot, *enum_slot;
};

static CcwDevice *find_dev(CcwObjects *c, const char *busid, size_t *ret_index)
{
	for (size_t i = 0; i < c->devs.n; i++)
		if (strcmp(c->devs.devs[i].busid, busid) == 0) {
			if (ret_index)
				*ret_index = i;
			return &c->devs.devs[i];
		}
	return NULL;
}

/* --- the objects ----------------------------------------------------------- */

static int ccw_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found,
		    sd_bus_error *error)
{
	CcwObjects *c = userdata;
	_cleanup_free_ char *busid = NULL;
	_cleanup_free_ char *canonical = NULL;
	if (sd_bus_path_decode(path, ZVIRT_CCW_PREFIX, &busid) <= 0)
		return 0;
	/* One path per device: decoding also takes "0_2e0_2e7500". */
	if (sd_bus_path_encode(ZVIRT_CCW_PREFIX, busid, &canonical) < 0)
		return -ENOMEM;
	if (strcmp(canonical, path) != 0)
		return 0;
	CcwDevice *d = find_dev(c, busid, NULL);
	if (!d)
		return 0;
	*found = d;
	return 1;
}

static int ccw_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error)
{
	CcwObjects *c = userdata;
	char **v = calloc(c->devs.n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < c->devs.n; i++)
		if (sd_bus_path_encode(ZVIRT_CCW_PREFIX, c->devs.devs[i].busid, &v[i]) < 0) {
			for (size_t k = 0; k < i; k++)
				free(v[k]);
			free(v);
			return -ENOMEM;
		}
	*nodes = v;
	return 0;
}

#define STRING_PROPERTY(fn, field)                                                            \
	static int fn(sd_bus *bus, const char *path, const char *iface, const char *property, \
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)             \
	{                                                                                     \
		const CcwDevice *d = userdata;                                                \
		return sd_bus_message_append_basic(reply, 's', d->field);                     \
	}
STRING_PROPERTY(get_busid, busid)
STRING_PROPERTY(get_subchannel, subchannel)
STRING_PROPERTY(get_cutype, cutype)
STRING_PROPERTY(get_devtype, devtype)
STRING_PROPERTY(get_driver, driver)
STRING_PROPERTY(get_availability, availability)
STRING_PROPERTY(get_block, block)

static int get_online(sd_bus *bus, const char *path, const char *iface, const char *property,
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const CcwDevice *d = userdata;
	return sd_bus_message_append(reply, "b", (int)d->online);
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
static const sd_bus_vtable ccw_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("BusId", "s", get_busid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("SubChannel", "s", get_subchannel, 0, EMITS),
	SD_BUS_PROPERTY("CuType", "s", get_cutype, 0, EMITS),
	SD_BUS_PROPERTY("DevType", "s", get_devtype, 0, EMITS),
	SD_BUS_PROPERTY("Online", "b", get_online, 0, EMITS),
	SD_BUS_PROPERTY("Driver", "s", get_driver, 0, EMITS),
	SD_BUS_PROPERTY("Availability", "s", get_availability, 0, EMITS),
	SD_BUS_PROPERTY("BlockDevice", "s", get_block, 0, EMITS),
	SD_BUS_VTABLE_END,
};

/* --- announcing ------------------------------------------------------------ */

static void announce_changes(CcwObjects *c, const CcwDevice *was, const CcwDevice *now)
{
	const char *names[9];
	size_t n = 0;
	if (strcmp(was->subchannel, now->subchannel) != 0)
		names[n++] = "SubChannel";
	if (strcmp(was->cutype, now->cutype) != 0)
		names[n++] = "CuType";
	if (strcmp(was->devtype, now->devtype) != 0)
		names[n++] = "DevType";
	if (was->online != now->online)
		names[n++] = "Online";
	if (strcmp(was->driver, now->driver) != 0)
		names[n++] = "Driver";
	if (strcmp(was->availability, now->availability) != 0)
		names[n++] = "Availability";
	if (strcmp(was->block, now->block) != 0)
		names[n++] = "BlockDevice";
	names[n] = NULL;
	_cleanup_free_ char *path = NULL;
	if (n && sd_bus_path_encode(ZVIRT_CCW_PREFIX, now->busid, &path) >= 0)
		(void)sd_bus_emit_properties_changed_strv(c->o->bus, path, ZVIRT_CCW_IFACE, (char **)names);
}

static int busid_cmp(const CcwDevice *a, const CcwDevice *b)
{
	return strcmp(a->busid, b->busid);
}

/* One device read again: added, changed or gone. */
static void resync_one(CcwObjects *c, const char *busid)
{
	CcwDevice now = {};
	size_t i;
	CcwDevice *was = find_dev(c, busid, &i);
	_cleanup_free_ char *path = NULL;
	int r = ccw_device_read(c->o->settings->sysfs_root, busid, &now);
	if (r < 0 && r != -ENOENT) {
		log_debug_errno(r, "Cannot read ccw device %s: %m", busid);
		return;
	}
	if (sd_bus_path_encode(ZVIRT_CCW_PREFIX, busid, &path) < 0) {
		ccw_device_done(&now);
		return;
	}
	if (r == -ENOENT) {
		if (!was)
			return;
		ccw_device_done(was);
		memmove(was, was + 1, (c->devs.n - i - 1) * sizeof(*was));
		c->devs.n--;
		(void)sd_bus_emit_interfaces_removed(c->o->bus, path, ZVIRT_CCW_IFACE, NULL);
		return;
	}
	if (was) {
		if (!ccw_device_equal(was, &now)) {
			CcwDevice old = *was;
			*was = now;
			announce_changes(c, &old, was);
			ccw_device_done(&old);
		} else
			ccw_device_done(&now);
		return;
	}
	CcwDevice *n = realloc(c->devs.devs, (c->devs.n + 1) * sizeof(*n));
	if (!n) {
		ccw_device_done(&now);
		return;
	}
	c->devs.devs = n;
	/* Sorted by name is enough here: the enumerator's order is free. */
	size_t at = 0;
	while (at < c->devs.n && busid_cmp(&c->devs.devs[at], &now) < 0)
		at++;
	memmove(&n[at + 1], &n[at], (c->devs.n - at) * sizeof(*n));
	n[at] = now;
	c->devs.n++;
	(void)sd_bus_emit_interfaces_added(c->o->bus, path, ZVIRT_CCW_IFACE, NULL);
}

static void clear_dirty(CcwObjects *c)
{
	for (size_t i = 0; i < c->n_dirty; i++)
		free(c->dirty[i]);
	free(c->dirty);
	c->dirty = NULL;
	c->n_dirty = 0;
	c->all_dirty = false;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	CcwObjects *c = userdata;
	if (c->all_dirty) {
		_cleanup_(ccw_device_list_done) CcwDeviceList l = {};
		if (ccw_device_list(c->o->settings->sysfs_root, &l) >= 0) {
			/* Gone ones first (from the end: the list shrinks). */
			for (size_t i = c->devs.n; i-- > 0;) {
				bool still = false;
				for (size_t k = 0; k < l.n && !still; k++)
					still = strcmp(l.devs[k].busid, c->devs.devs[i].busid) == 0;
				if (!still) {
					char busid[CCW_BUSID_MAX];
					memcpy(busid, c->devs.devs[i].busid, sizeof(busid));
					resync_one(c, busid);
				}
			}
			for (size_t k = 0; k < l.n; k++)
				resync_one(c, l.devs[k].busid);
		}
	} else
		for (size_t i = 0; i < c->n_dirty; i++)
			resync_one(c, c->dirty[i]);
	clear_dirty(c);
	return 0;
}

static void mark_dirty(CcwObjects *c, const char *busid)
{
	if (!busid) {
		c->all_dirty = true;
	} else if (!c->all_dirty) {
		for (size_t i = 0; i < c->n_dirty; i++)
			if (strcmp(c->dirty[i], busid) == 0)
				goto arm;
		char **n = realloc(c->dirty, (c->n_dirty + 1) * sizeof(char *));
		char *s = strdup(busid);
		if (!n || !s) {
			free(s);
			if (n)
				c->dirty = n;
			c->all_dirty = true;
		} else {
			c->dirty = n;
			c->dirty[c->n_dirty++] = s;
		}
	}
arm:;
	int enabled = SD_EVENT_OFF;
	uint64_t now;
	sd_event *event = sd_bus_get_event(c->o->bus);
	if (c->timer && sd_event_source_get_enabled(c->timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
		return;
	if (sd_event_now(event, CLOCK_MONOTONIC, &now) < 0)
		return;
	if (!c->timer) {
		if (sd_event_add_time(event, &c->timer, CLOCK_MONOTONIC, now + CCW_OBJECTS_COALESCE_USEC,
				      EVENT_ACCURACY_USEC, on_timer, c) >= 0)
			(void)sd_event_source_set_description(c->timer, "ccw-changes");
		else
			on_timer(NULL, 0, c);
		return;
	}
	(void)sd_event_source_set_time(c->timer, now + CCW_OBJECTS_COALESCE_USEC);
	(void)sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

/* "/devices/css0/0.0.0001/0.0.7500/block/dasda": 0.0.7500. */
static void on_uevent(const HostUevent *ev, void *userdata)
{
	CcwObjects *c = userdata;
	char busid[CCW_BUSID_MAX];
	const char *p = ev->devpath;

	if (!p || strcmp(ev->subsystem, "ccwgroup") == 0) {
		/* A qeth group sets its three devices online: all of them. */
		mark_dirty(c, NULL);
		return;
	}
	if (strncmp(p, "/devices/css", 12) != 0)
		return;
	p = strchr(p + 1, '/');
	p = p ? strchr(p + 1, '/') : NULL; /* the subchannel */
	p = p ? strchr(p + 1, '/') : NULL; /* the device */
	if (!p)
		return;
	size_t n = strcspn(p + 1, "/");
	if (n >= sizeof(busid))
		return;
	memcpy(busid, p + 1, n);
	busid[n] = 0;
	if (ccw_busid_valid(busid))
		mark_dirty(c, busid);
}

/* --- wiring ---------------------------------------------------------------- */

int ccw_objects_new(Objects *o, CcwObjects **ret)
{
	CcwObjects *c = calloc(1, sizeof(*c));
	int r;
	if (!c)
		return -ENOMEM;
	c->o = o;
	/* The monitor first: nothing that changes after the listing is
	 * missed. */
	sd_event *event = sd_bus_get_event(o->bus);
	r = event ? host_uevent_monitor_new(event, on_uevent, c, &c->monitor) : -ENXIO;
	if (r < 0)
		log_warning_errno(r, "Cannot listen to the kernel's uevents; the CcwDevice objects will not "
				     "follow the devices: %m");
	r = ccw_device_list(o->settings->sysfs_root, &c->devs);
	if (r < 0)
		log_warning_errno(r, "Cannot list the ccw devices below %s: %m", o->settings->sysfs_root);
	r = sd_bus_add_fallback_vtable(o->bus, &c->vtable_slot, ZVIRT_CCW_PREFIX, ZVIRT_CCW_IFACE,
				       ccw_vtable, ccw_find, c);
	if (r >= 0)
		r = sd_bus_add_node_enumerator(o->bus, &c->enum_slot, ZVIRT_CCW_PREFIX, ccw_enumerate, c);
	if (r < 0) {
		ccw_objects_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

CcwObjects *ccw_objects_free(CcwObjects *c)
{
	if (!c)
		return NULL;
	sd_bus_slot_unref(c->vtable_slot);
	sd_bus_slot_unref(c->enum_slot);
	c->monitor = host_uevent_monitor_free(c->monitor);
	sd_event_source_disable_unref(c->timer);
	clear_dirty(c);
	ccw_device_list_done(&c->devs);
	free(c);
	return NULL;
}
