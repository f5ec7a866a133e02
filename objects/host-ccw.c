/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Host's ccw devices and DASDs (host-ccw.h): lscss, chccwdev
 * -e/-d and lsdasd over D-Bus. The reads run on the loop (sysfs answers
 * at once); the online stores, which wait on the device, in the host
 * worker, one call after the other. */
#include "host-ccw.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bus-dict.h"
#include "errors.h"
#include "host.h"
#include "options.h"
#include "host/ccw-device.h"
#include "host/dasd.h"
#include "util/cleanup.h"
#include "util/utf8.h"

static int invalid_busid(sd_bus_error *error, const char *busid)
{
	char buf[UTF8_SHORTEN_SIZE(64)];
	return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
			      "'%s' is no ccw bus id (x.y.zzzz: lower-case hex, as 0.0.7500)",
			      utf8_shorten(busid, 64, buf));
}

/* lscss -t/-u: "3390" matches every model of it, "3390/0c" that one. */
static bool type_matches(const char *want, const char *have)
{
	if (!want)
		return true;
	size_t n = strlen(want);
	return strncmp(want, have, n) == 0 && (have[n] == 0 || (have[n] == '/' && !strchr(want, '/')));
}

/* --- ListCcwDevices ------------------------------------------------------ */

int host_method_list_ccw_devices(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	const char *devtype = NULL, *cutype = NULL;
	const OptionSpec specs[] = {{"devtype", "s", &devtype}, {"cutype", "s", &cutype}, {}};
	_cleanup_(ccw_device_list_done) CcwDeviceList l = {};
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	assert(m);
	assert(o);

	int r = bus_read_options(m, specs, NULL, error);
	if (r < 0)
		return r;
	r = ccw_device_list(o->settings->sysfs_root, &l);
	if (r < 0)
		return bus_error_setf(error, ZV_ERROR_HOST, "Cannot list the ccw devices below %s: %s",
				      o->settings->sysfs_root, strerror(-r));
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(sssbs)");
	for (size_t i = 0; r >= 0 && i < l.n; i++) {
		const CcwDevice *d = &l.devs[i];
		if (!type_matches(devtype, d->devtype) || !type_matches(cutype, d->cutype))
			continue;
		r = sd_bus_message_append(reply, "(sssbs)", d->busid, d->cutype, d->devtype, (int)d->online,
					  d->driver);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/* --- SetCcwOnline -------------------------------------------------------- */

typedef struct OnlineCall {
	sd_bus_message *m;
	char *root;
	char busid[CCW_BUSID_MAX];
	char **aliases; /* brought along: after the base online, before it offline */
	bool online;
	bool find_aliases; /* a DASD base: its aliases are looked for in the worker */
	int failed_at;     /* -1: the base; else the alias's index */
	int search_error;  /* the alias search's, which stores nothing */
} OnlineCall;

static void online_call_free(OnlineCall *c)
{
	sd_bus_message_unref(c->m);
	free(c->root);
	for (char **a = c->aliases; a && *a; a++)
		free(*a);
	free(c->aliases);
	free(c);
}

/* The daemon stops before the store's answer. */
static void online_call_drop(void *userdata)
{
	OnlineCall *c = userdata;
	(void)bus_reply_cancelled_stopping(c->m);
	online_call_free(c);
}

static int online_job(void *userdata)
{
	OnlineCall *c = userdata;
	int r;
	size_t n = 0;
	/* Reading every ccw device (1000 on a big host) is the worker's,
	 * not the loop's. */
	if (c->find_aliases && (r = dasd_aliases_of(c->root, c->busid, &c->aliases)) < 0) {
		c->search_error = r;
		return r;
	}
	while (c->aliases && c->aliases[n])
		n++;
	if (c->online) {
		c->failed_at = -1;
		r = ccw_device_set_online(c->root, c->busid, true);
		for (size_t i = 0; r >= 0 && i < n; i++) {
			c->failed_at = (int)i;
			r = ccw_device_set_online(c->root, c->aliases[i], true);
		}
		return r;
	}
	/* An alias goes first: it works for its base. */
	for (size_t i = 0; i < n; i++) {
		c->failed_at = (int)i;
		r = ccw_device_set_online(c->root, c->aliases[i], false);
		if (r < 0)
			return r;
	}
	c->failed_at = -1;
	return ccw_device_set_online(c->root, c->busid, false);
}

static void online_done(int result, void *userdata)
{
	OnlineCall *c = userdata;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *dev = c->failed_at < 0 ? c->busid : c->aliases[c->failed_at];
	const char *value = c->online ? "1" : "0";

	if (result >= 0) {
		(void)sd_bus_reply_method_return(c->m, NULL);
		online_call_free(c);
		return;
	}
	if (c->search_error) {
		bus_error_setf(&error, ZV_ERROR_HOST, "Cannot look for the PAV aliases of DASD %s: %s",
			       c->busid, strerror(-c->search_error));
		(void)sd_bus_reply_method_error(c->m, &error);
		online_call_free(c);
		return;
	}
	/* The kernel's errno, in words a caller can act on. */
	switch (result) {
	case -EBUSY:
		bus_error_setf(&error, ZV_ERROR_BUSY, "ccw device %s: device busy (EBUSY): it is in use",
			       dev);
		break;
	case -ENODEV:
		bus_error_setf(&error, ZV_ERROR_HOST,
			       "ccw device %s: not operational (ENODEV): no path to the device", dev);
		break;
	case -EINVAL:
		bus_error_setf(&error, ZV_ERROR_OPERATION_INVALID,
			       "ccw device %s: the kernel refused %s for online (EINVAL)", dev, value);
		break;
	case -ENOENT:
		bus_error_setf(&error, ZV_ERROR_NO_SUCH_DEVICE, "No ccw device %s", dev);
		break;
	default:
		bus_error_setf(&error, ZV_ERROR_HOST, "ccw device %s: storing %s to online failed: %s", dev,
			       value, strerror(-result));
	}
	(void)sd_bus_reply_method_error(c->m, &error);
	online_call_free(c);
}

int host_method_set_ccw_online(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	const char *busid;
	int online;
	bool aliases = true;
	const OptionSpec specs[] = {{"aliases", "b", &aliases}, {}};
	_cleanup_(ccw_device_done) CcwDevice dev = {};
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "sb", &busid, &online);
	if (r < 0)
		return r;
	r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	if (!ccw_busid_valid(busid))
		return invalid_busid(error, busid);
	r = host_authorize_device(o, m, "set-ccw-online", busid, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	r = ccw_device_read(o->settings->sysfs_root, busid, &dev);
	if (r == -ENOENT)
		return bus_error_setf(error, ZV_ERROR_NO_SUCH_DEVICE, "No ccw device %s", busid);
	if (r < 0)
		return bus_error_setf(error, ZV_ERROR_HOST, "Cannot read ccw device %s: %s", busid,
				      strerror(-r));
	OnlineCall *c = calloc(1, sizeof(*c));
	if (!c || !(c->root = strdup(o->settings->sysfs_root))) {
		free(c);
		return -ENOMEM;
	}
	c->m = sd_bus_message_ref(m);
	c->online = online;
	c->failed_at = -1;
	snprintf(c->busid, sizeof(c->busid), "%s", busid);
	/* A DASD base brings its PAV aliases along (an alias itself
	 * brings nothing). */
	bool dasd = strcmp(dev.driver, "dasd-eckd") == 0 || strcmp(dev.driver, "dasd-fba") == 0;
	c->find_aliases = aliases && dasd;
	r = objects_host_submit(o, online_job, online_done, online_call_drop, c);
	if (r < 0) {
		online_call_free(c);
		return r;
	}
	return 1;
}

/* --- ListDasds ----------------------------------------------------------- */

static int append_dasd(sd_bus_message *reply, const void *item)
{
	const Dasd *d = item;
	int r = bus_append_dict_entry(reply, "bus-id", "s", d->busid);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "status", "s", d->status);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "name", "s", d->name);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "device", "s", d->device);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "type", "s", d->type);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "block-size", "u", d->block_size);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "blocks", "t", d->blocks);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "size-mb", "t", d->size_mb);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "alias", "b", (int)d->alias);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "uid", "s", d->uid);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "by-path", "s", d->by_path);
	return r;
}

int host_method_list_dasds(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	_cleanup_(dasd_list_done) DasdList l = {};
	assert(m);
	assert(o);

	int r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;
	r = dasd_list(o->settings->sysfs_root, o->settings->dev_root, &l);
	if (r < 0)
		return bus_error_setf(error, ZV_ERROR_HOST, "Cannot list the DASDs below %s: %s",
				      o->settings->sysfs_root, strerror(-r));
	return bus_reply_dict_list(m, l.dasds, l.n, sizeof(*l.dasds), append_dasd);
}
