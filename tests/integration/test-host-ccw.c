/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.zvirt1.Host's ccw devices and DASDs against the s390 sysfs
 * simulator (tests/sysfs-sim, seed.ini: the seed's DASD 0.0.7500 with
 * its alias 0.0.75fe and the unformatted 0.0.7501): the seed's "Preparing
 * DASDs" replayed over D-Bus, each answer checked against the
 * simulator's sysfs and /dev.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define HOST_PATH  "/org/zvirt1/host"
#define HOST_IFACE "org.zvirt1.Host"

static bool sim_ok;

static void need_sim(void)
{
	if (!sim_ok)
		skip();
}

static void test_start_sim(void **state)
{
	int r = harness_sim_start("seed.ini", NULL);
	if (r == -EOPNOTSUPP)
		skip();
	assert_int_equal(r, 0);
	sim_ok = true;
}

/* The listing's entry of busid: 1 found (its fields filled), 0 not. */
static int list_find(const char *opt_key, const char *opt_value, const char *busid, char **cu, char **dt,
		     bool *online, char **driver, size_t *count)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		opt_key ? harness_call(HOST_PATH, HOST_IFACE, "ListCcwDevices", "a{sv}", 1, opt_key, "s",
				       opt_value)
			: harness_call(HOST_PATH, HOST_IFACE, "ListCcwDevices", "a{sv}", 0);
	const char *b, *c, *d, *drv;
	int on, found = 0;
	size_t n = 0;
	assert_true(sd_bus_message_enter_container(reply, 'a', "(sssbs)") > 0);
	while (sd_bus_message_read(reply, "(sssbs)", &b, &c, &d, &on, &drv) > 0) {
		n++;
		if (strcmp(b, busid) == 0) {
			found = 1;
			if (cu)
				*cu = strdup(c);
			if (dt)
				*dt = strdup(d);
			if (online)
				*online = on;
			if (driver)
				*driver = strdup(drv);
		}
	}
	if (count)
		*count = n;
	return found;
}

static void test_list(void **state)
{
	need_sim();
	_cleanup_free_ char *cu = NULL, *dt = NULL, *drv = NULL;
	bool online = true;
	size_t n = 0;
	assert_int_equal(list_find(NULL, NULL, "0.0.7500", &cu, &dt, &online, &drv, &n), 1);
	assert_string_equal(cu, "3990/e9");
	assert_string_equal(dt, "3390/0c");
	assert_false(online);
	assert_string_equal(drv, "dasd-eckd");
	/* seed.ini: 3 DASDs, 2 FCP devices, 3 OSA devices. */
	assert_int_equal(n, 8);

	/* As sysfs has it. */
	_cleanup_free_ char *scu = harness_sim_read("bus/ccw/devices/0.0.1700/cutype");
	_cleanup_free_ char *fcu = NULL, *fdt = NULL, *fdrv = NULL;
	assert_int_equal(list_find(NULL, NULL, "0.0.1700", &fcu, &fdt, NULL, &fdrv, NULL), 1);
	assert_string_equal(fcu, scu);
	assert_string_equal(fdt, "1732/03");
	assert_string_equal(fdrv, "zfcp");

	/* lscss -t: the FCP devices only, by type or type/model. */
	assert_int_equal(list_find("devtype", "1732/03", "0.0.1cc8", NULL, NULL, NULL, NULL, &n), 1);
	assert_int_equal(n, 2);
	assert_int_equal(list_find("devtype", "1732", "0.0.7500", NULL, NULL, NULL, NULL, &n), 0);
	assert_int_equal(n, 5); /* 2 FCP, 3 OSA */
	assert_int_equal(list_find("cutype", "3990/e9", "0.0.75fe", NULL, NULL, NULL, NULL, &n), 1);
	assert_int_equal(n, 3);

	/* Reading is open to every user. */
	_cleanup_free_ char *out = harness_nobody_call(HOST_PATH, HOST_IFACE, "ListCcwDevices", "a{sv}", 0);
	assert_non_null(strstr(out, "0.0.7500"));
	harness_expect_error(ZVIRT_ERROR("InvalidArgument"), HOST_PATH, HOST_IFACE, "ListCcwDevices",
			     "a{sv}", 1, "devtype", "u", 3390);
}

#define CCW_IFACE "org.zvirt1.CcwDevice"
#define CCW_7500  "/org/zvirt1/host/ccw/_30_2e0_2e7500"
#define CCW_75FE  "/org/zvirt1/host/ccw/_30_2e0_2e75fe"
/* sd_bus_path_encode's: a leading digit is escaped too. */

static void set_online(const char *busid, bool online);

/* The message as sd_bus_message_dump() prints it. */
static char *dump(sd_bus_message *m)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	assert_non_null(f);
	assert_true(sd_bus_message_dump(m, f, SD_BUS_MESSAGE_DUMP_WITH_HEADER) >= 0);
	fclose(f);
	return text;
}

static void test_objects(void **state)
{
	need_sim();
	_cleanup_free_ char *busid = harness_get_string(CCW_7500, CCW_IFACE, "BusId"),
			    *sch = harness_get_string(CCW_7500, CCW_IFACE, "SubChannel"),
			    *cu = harness_get_string(CCW_7500, CCW_IFACE, "CuType"),
			    *dt = harness_get_string(CCW_7500, CCW_IFACE, "DevType"),
			    *drv = harness_get_string(CCW_7500, CCW_IFACE, "Driver"),
			    *avail = harness_get_string(CCW_7500, CCW_IFACE, "Availability"),
			    *blk = harness_get_string(CCW_7500, CCW_IFACE, "BlockDevice");
	assert_string_equal(busid, "0.0.7500");
	/* As sysfs has it: bus/ccw/devices/0.0.7500 -> devices/css0/<sch>/0.0.7500. */
	char link[512], target[512];
	snprintf(link, sizeof(link), "%s/bus/ccw/devices/0.0.7500", harness_sim_sysfs());
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = 0;
	_cleanup_free_ char *want = NULL;
	assert_true(asprintf(&want, "/css0/%s/0.0.7500", sch) > 0);
	assert_non_null(strstr(target, want));
	assert_string_equal(cu, "3990/e9");
	assert_string_equal(dt, "3390/0c");
	assert_string_equal(drv, "dasd-eckd");
	assert_string_equal(avail, "good");
	assert_string_equal(blk, "");
	assert_false(harness_get_bool(CCW_7500, CCW_IFACE, "Online"));
	/* One path per device: the decodable but not canonical one is none. */
	harness_expect_error("org.freedesktop.DBus.Error.UnknownObject", "/org/zvirt1/host/ccw/0_2e0_2e7500",
			     "org.freedesktop.DBus.Properties", "Get", "ss", CCW_IFACE, "BusId");
	harness_expect_error("org.freedesktop.DBus.Error.UnknownObject",
			     "/org/zvirt1/host/ccw/_30_2e0_2e9999", "org.freedesktop.DBus.Properties", "Get",
			     "ss", CCW_IFACE, "BusId");

	/* GetManagedObjects has them, with their properties. */
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call("/org/zvirt1", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL);
	_cleanup_free_ char *all = dump(reply);
	assert_non_null(strstr(all, CCW_7500));
	assert_non_null(strstr(all, "/org/zvirt1/host/ccw/_30_2e0_2e8052"));
	assert_non_null(strstr(all, CCW_IFACE));

	/* The introspection is the published file's, member for member. */
	_cleanup_free_ char *file = NULL;
	assert_true(asprintf(&file, "%s/introspection/" CCW_IFACE ".xml", getenv("ZVIRT_SOURCE_ROOT")) > 0);
	_cleanup_free_ char *published = harness_read_file(file);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *intro =
		harness_call(CCW_7500, "org.freedesktop.DBus.Introspectable", "Introspect", NULL);
	const char *live;
	assert_true(sd_bus_message_read(intro, "s", &live) > 0);
	size_t props = 0;
	for (const char *p = published; (p = strstr(p, "<property name=\"")); p++) {
		char prop[128];
		const char *end = strchr(p, '/');
		assert_non_null(end);
		snprintf(prop, sizeof(prop), "%.*s", (int)(end - p), p);
		if (!strstr(live, prop))
			fail_msg("live %s lacks %s", CCW_IFACE, prop);
		props++;
	}
	const char *iface = strstr(live, "<interface name=\"" CCW_IFACE "\">");
	assert_non_null(iface);
	size_t live_props = 0;
	for (const char *p = iface; (p = strstr(p, "<property ")) && p < strstr(iface, "</interface>"); p++)
		live_props++;
	assert_int_equal(props, 8);
	assert_int_equal(live_props, props);

	/* Online from the kernel's uevents: PropertiesChanged Online and
	 * BlockDevice, of the base and (Online) of the alias. */
	/* What the earlier tests changed is told first (50 ms after). */
	usleep(300 * 1000);
	(void)harness_flush_signals();
	size_t mark = harness_signal_mark();
	set_online("0.0.7500", true);
	const HarnessSignal *sig =
		harness_wait_signal(mark, CCW_7500, "org.freedesktop.DBus.Properties", "PropertiesChanged",
				    CCW_IFACE, HARNESS_SIGNAL_TIMEOUT_MS);
	assert_non_null(sig);
	assert_non_null(strstr(sig->properties, ",Online,"));
	if (!strstr(sig->properties, ",BlockDevice,")) {
		/* The block device's uevent came after the coalescing. */
		sig = harness_wait_signal(sig->index + 1, CCW_7500, "org.freedesktop.DBus.Properties",
					  "PropertiesChanged", CCW_IFACE, HARNESS_SIGNAL_TIMEOUT_MS);
		assert_non_null(sig);
		assert_non_null(strstr(sig->properties, ",BlockDevice,"));
	}
	assert_non_null(harness_wait_signal(mark, CCW_75FE, "org.freedesktop.DBus.Properties",
					    "PropertiesChanged", CCW_IFACE, HARNESS_SIGNAL_TIMEOUT_MS));
	assert_true(harness_get_bool(CCW_7500, CCW_IFACE, "Online"));
	/* The alias's store comes after the base's: maybe in a later round. */
	for (int i = 0; i < 100 && !harness_get_bool(CCW_75FE, CCW_IFACE, "Online"); i++)
		usleep(20 * 1000);
	assert_true(harness_get_bool(CCW_75FE, CCW_IFACE, "Online"));
	_cleanup_free_ char *blk_on = harness_get_string(CCW_7500, CCW_IFACE, "BlockDevice");
	assert_string_equal(blk_on, "dasda");

	/* And offline again. */
	mark = harness_signal_mark();
	set_online("0.0.7500", false);
	sig = harness_wait_signal(mark, CCW_7500, "org.freedesktop.DBus.Properties", "PropertiesChanged",
				  CCW_IFACE, HARNESS_SIGNAL_TIMEOUT_MS);
	assert_non_null(sig);
	for (int i = 0; i < 100 && harness_get_bool(CCW_7500, CCW_IFACE, "Online"); i++)
		usleep(20 * 1000);
	assert_false(harness_get_bool(CCW_7500, CCW_IFACE, "Online"));
	_cleanup_free_ char *blk_off = harness_get_string(CCW_7500, CCW_IFACE, "BlockDevice");
	assert_string_equal(blk_off, "");

	/* A change made behind the daemon's back (echo 1 > online) is seen too. */
	mark = harness_signal_mark();
	assert_int_equal(harness_sim_write("bus/ccw/devices/0.0.1700/online", "1"), 0);
	assert_non_null(harness_wait_signal(mark, "/org/zvirt1/host/ccw/_30_2e0_2e1700",
					    "org.freedesktop.DBus.Properties", "PropertiesChanged",
					    CCW_IFACE, HARNESS_SIGNAL_TIMEOUT_MS));
	assert_true(harness_get_bool("/org/zvirt1/host/ccw/_30_2e0_2e1700", CCW_IFACE, "Online"));
	assert_int_equal(harness_sim_write("bus/ccw/devices/0.0.1700/online", "0"), 0);
}

typedef struct DasdRow {
	char *status, *name, *device, *type, *uid, *by_path;
	uint32_t block_size;
	uint64_t blocks, size_mb;
	bool alias, found;
} DasdRow;

static void dasd_row_done(DasdRow *r)
{
	free(r->status);
	free(r->name);
	free(r->device);
	free(r->type);
	free(r->uid);
	free(r->by_path);
	*r = (DasdRow){};
}

static void get_dasd(const char *busid, DasdRow *row)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply =
		harness_call(HOST_PATH, HOST_IFACE, "ListDasds", "a{sv}", 0);
	dasd_row_done(row);
	assert_true(sd_bus_message_enter_container(reply, 'a', "a{sv}") > 0);
	while (sd_bus_message_enter_container(reply, 'a', "{sv}") > 0) {
		DasdRow r = {};
		char *bus = NULL;
		const char *key, *s;
		while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
			assert_true(sd_bus_message_read(reply, "s", &key) > 0);
			char **target = strcmp(key, "bus-id") == 0    ? &bus
					: strcmp(key, "status") == 0  ? &r.status
					: strcmp(key, "name") == 0    ? &r.name
					: strcmp(key, "device") == 0  ? &r.device
					: strcmp(key, "type") == 0    ? &r.type
					: strcmp(key, "uid") == 0     ? &r.uid
					: strcmp(key, "by-path") == 0 ? &r.by_path
								      : NULL;
			if (target) {
				assert_true(sd_bus_message_read(reply, "v", "s", &s) > 0);
				*target = strdup(s);
			} else if (strcmp(key, "block-size") == 0)
				assert_true(sd_bus_message_read(reply, "v", "u", &r.block_size) > 0);
			else if (strcmp(key, "blocks") == 0)
				assert_true(sd_bus_message_read(reply, "v", "t", &r.blocks) > 0);
			else if (strcmp(key, "size-mb") == 0)
				assert_true(sd_bus_message_read(reply, "v", "t", &r.size_mb) > 0);
			else if (strcmp(key, "alias") == 0) {
				int b;
				assert_true(sd_bus_message_read(reply, "v", "b", &b) > 0);
				r.alias = b;
			} else
				fail_msg("unknown ListDasds key %s", key);
			assert_true(sd_bus_message_exit_container(reply) >= 0);
		}
		assert_true(sd_bus_message_exit_container(reply) >= 0);
		if (bus && strcmp(bus, busid) == 0) {
			r.found = true;
			*row = r;
		} else
			dasd_row_done(&r);
		free(bus);
	}
	assert_true(row->found);
}

static void set_online(const char *busid, bool online)
{
	sd_bus_message_unref(
		harness_call(HOST_PATH, HOST_IFACE, "SetCcwOnline", "sba{sv}", busid, online, 0));
}

static void test_dasd_online(void **state)
{
	need_sim();
	_cleanup_(dasd_row_done) DasdRow r = {}, a = {};
	get_dasd("0.0.7500", &r);
	assert_string_equal(r.status, "offline");
	assert_string_equal(r.name, "");
	assert_string_equal(r.by_path, "");

	/* chccwdev -e 0.0.7500 */
	set_online("0.0.7500", true);
	_cleanup_free_ char *on = harness_sim_read("bus/ccw/devices/0.0.7500/online");
	assert_string_equal(on, "1");
	get_dasd("0.0.7500", &r);
	assert_string_equal(r.status, "active");
	assert_string_equal(r.name, "dasda");
	assert_string_equal(r.device, "94:0");
	assert_string_equal(r.type, "ECKD");
	assert_int_equal(r.block_size, 4096);
	assert_int_equal(r.size_mb, 7043);
	assert_int_equal(r.blocks, 1803060);
	assert_false(r.alias);
	assert_string_equal(r.uid, "IBM.75000000092461.e900.10");
	_cleanup_free_ char *node = NULL;
	assert_true(asprintf(&node, "%s/disk/by-path/ccw-0.0.7500", harness_sim_devroot()) > 0);
	assert_string_equal(r.by_path, node);
	assert_int_equal(access(node, F_OK), 0);

	/* The alias came with its base. */
	_cleanup_free_ char *aon = harness_sim_read("bus/ccw/devices/0.0.75fe/online");
	assert_string_equal(aon, "1");
	get_dasd("0.0.75fe", &a);
	assert_true(a.alias);
	assert_string_equal(a.status, "alias");
	assert_string_equal(a.name, "");

	/* Twice is no error (the kernel takes it). */
	set_online("0.0.7500", true);

	/* chccwdev -d 0.0.7500: the alias goes first. */
	set_online("0.0.7500", false);
	_cleanup_free_ char *off = harness_sim_read("bus/ccw/devices/0.0.7500/online"),
			    *aoff = harness_sim_read("bus/ccw/devices/0.0.75fe/online");
	assert_string_equal(off, "0");
	assert_string_equal(aoff, "0");
	get_dasd("0.0.7500", &r);
	assert_string_equal(r.status, "offline");
	assert_string_equal(r.by_path, "");
	assert_int_not_equal(access(node, F_OK), 0);

	/* aliases=false: the base alone. */
	sd_bus_message_unref(harness_call(HOST_PATH, HOST_IFACE, "SetCcwOnline", "sba{sv}", "0.0.7500", 1, 1,
					  "aliases", "b", 0));
	_cleanup_free_ char *alone = harness_sim_read("bus/ccw/devices/0.0.75fe/online");
	assert_string_equal(alone, "0");
	sd_bus_message_unref(harness_call(HOST_PATH, HOST_IFACE, "SetCcwOnline", "sba{sv}", "0.0.7500", 0, 1,
					  "aliases", "b", 0));

	/* An alias alone: nothing else comes with it. */
	set_online("0.0.75fe", true);
	_cleanup_free_ char *a_on = harness_sim_read("bus/ccw/devices/0.0.75fe/online"),
			    *base_off = harness_sim_read("bus/ccw/devices/0.0.7500/online");
	assert_string_equal(a_on, "1");
	assert_string_equal(base_off, "0");
	set_online("0.0.75fe", false);
}

static void test_unformatted(void **state)
{
	need_sim();
	_cleanup_(dasd_row_done) DasdRow r = {};
	set_online("0.0.7501", true);
	get_dasd("0.0.7501", &r);
	assert_string_equal(r.status, "n/f");
	assert_string_equal(r.type, "ECKD");
	assert_int_equal(r.blocks, 0);
	assert_string_not_equal(r.name, "");
	set_online("0.0.7501", false);
	get_dasd("0.0.7501", &r);
	assert_string_equal(r.status, "offline");
}

static void test_errors(void **state)
{
	need_sim();
	const char *inval = ZVIRT_ERROR("InvalidArgument");
	const char *bad[] = {"0.0.75000", "../x", "0.0.7500/online", "0.0.750A", "", "0.0.7500\n"};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		harness_expect_error(inval, HOST_PATH, HOST_IFACE, "SetCcwOnline", "sba{sv}", bad[i], 1, 0);
	harness_expect_error(ZVIRT_ERROR("NoSuchDevice"), HOST_PATH, HOST_IFACE, "SetCcwOnline", "sba{sv}",
			     "0.0.9999", 1, 0);
	harness_expect_error(inval, HOST_PATH, HOST_IFACE, "SetCcwOnline", "sba{sv}", "0.0.7500", 1, 1,
			     "bogus", "b", 1);
	/* An OSA device follows its qeth group: the kernel's EINVAL. */
	harness_expect_error(ZVIRT_ERROR("OperationInvalid"), HOST_PATH, HOST_IFACE, "SetCcwOnline",
			     "sba{sv}", "0.0.8050", 1, 0);
}

static void test_nobody_refused(void **state)
{
	need_sim();
	harness_nobody_expect_error(ZVIRT_ERROR("NotAuthorized"), HOST_PATH, HOST_IFACE, "SetCcwOnline",
				    "sba{sv}", "0.0.7500", 1, 0);
	_cleanup_free_ char *on = harness_sim_read("bus/ccw/devices/0.0.7500/online");
	assert_string_equal(on, "0");
	/* Reading is open. */
	_cleanup_free_ char *out = harness_nobody_call(HOST_PATH, HOST_IFACE, "ListDasds", "a{sv}", 0);
	assert_non_null(strstr(out, "0.0.7501"));
}

/* A qeth group's event names no ccw device: all of them are read again,
 * and the group's three devices tell that they are online. */
static void test_group_event(void **state)
{
	need_sim();
	const char *p8052 = "/org/zvirt1/host/ccw/_30_2e0_2e8052";
	usleep(300 * 1000);
	(void)harness_flush_signals();
	assert_int_equal(harness_sim_write("bus/ccwgroup/drivers/qeth/group", "0.0.8050,0.0.8051,0.0.8052"),
			 0);
	size_t mark = harness_signal_mark();
	assert_int_equal(harness_sim_write("bus/ccwgroup/devices/0.0.8050/online", "1"), 0);
	assert_non_null(harness_wait_signal(mark, p8052, "org.freedesktop.DBus.Properties",
					    "PropertiesChanged", CCW_IFACE, HARNESS_SIGNAL_TIMEOUT_MS));
	assert_true(harness_get_bool(p8052, CCW_IFACE, "Online"));
	assert_true(harness_get_bool("/org/zvirt1/host/ccw/_30_2e0_2e8050", CCW_IFACE, "Online"));
	/* The other devices did not change: nothing told of them. */
	usleep(200 * 1000);
	(void)harness_flush_signals();
	assert_null(harness_signal_find(mark, CCW_7500, "org.freedesktop.DBus.Properties",
					"PropertiesChanged", NULL));
	assert_int_equal(harness_sim_write("bus/ccwgroup/devices/0.0.8050/online", "0"), 0);
	assert_int_equal(harness_sim_write("bus/ccwgroup/devices/0.0.8050/ungroup", "1"), 0);
}

/* A busy DASD and one without a path: the kernel's EBUSY and ENODEV. */
static void test_busy_not_operational(void **state)
{
	need_sim();
	_cleanup_free_ char *scenario = NULL;
	assert_true(asprintf(&scenario, "%s/busy.ini", harness_tmpdir()) > 0);
	harness_write_file(scenario,
			   "[eckd 0.0.7600]\nbusy = yes\n[eckd 0.0.7601]\nnot_operational = yes\n");
	harness_sim_stop();
	assert_int_equal(harness_sim_start(scenario, NULL), 0);

	set_online("0.0.7600", true);
	harness_expect_error(ZVIRT_ERROR("Busy"), HOST_PATH, HOST_IFACE, "SetCcwOnline", "sba{sv}",
			     "0.0.7600", 0, 0);
	_cleanup_free_ char *still = harness_sim_read("bus/ccw/devices/0.0.7600/online");
	assert_string_equal(still, "1");
	harness_expect_error(ZVIRT_ERROR("HostError"), HOST_PATH, HOST_IFACE, "SetCcwOnline", "sba{sv}",
			     "0.0.7601", 1, 0);
	_cleanup_free_ char *avail = harness_sim_read("bus/ccw/devices/0.0.7601/availability");
	assert_string_equal(avail, "no path");
}

/* A device the host did not see (cio_ignore) appears and goes again:
 * its object comes and goes with the kernel's uevents. */
static void test_device_appears(void **state)
{
	(void)state;
	const char *p7600 = "/org/zvirt1/host/ccw/_30_2e0_2e7600";
	need_sim();
	harness_sim_stop();
	int r = harness_sim_start("late.ini", NULL);
	assert_return_code(r, -r);
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	assert_true(harness_call_full(harness_bus(), &error, NULL, p7600, "org.freedesktop.DBus.Properties",
				      "GetAll", "s", CCW_IFACE) < 0);
	sd_bus_error_free(&error);

	size_t mark = harness_signal_mark();
	assert_return_code(harness_sim_signal(SIGUSR1), errno);
	const HarnessSignal *sig =
		harness_wait_signal(mark, "/org/zvirt1", "org.freedesktop.DBus.ObjectManager",
				    "InterfacesAdded", p7600, HARNESS_SIGNAL_TIMEOUT_MS);
	assert_non_null(sig);
	assert_non_null(strstr(sig->interfaces, "," CCW_IFACE ","));
	_cleanup_free_ char *cu = harness_get_string(p7600, CCW_IFACE, "CuType");
	assert_string_equal(cu, "3990/e9");
	assert_true(list_find(NULL, NULL, "0.0.7600", NULL, NULL, NULL, NULL, NULL));

	/* Online, it stays through a purge, as the kernel keeps it. */
	set_online("0.0.7600", true);
	assert_return_code(harness_sim_signal(SIGUSR2), errno);
	usleep(300 * 1000);
	assert_true(list_find(NULL, NULL, "0.0.7600", NULL, NULL, NULL, NULL, NULL));
	set_online("0.0.7600", false);

	mark = harness_signal_mark();
	assert_return_code(harness_sim_signal(SIGUSR2), errno);
	assert_non_null(harness_wait_signal(mark, "/org/zvirt1", "org.freedesktop.DBus.ObjectManager",
					    "InterfacesRemoved", p7600, HARNESS_SIGNAL_TIMEOUT_MS));
	assert_false(list_find(NULL, NULL, "0.0.7600", NULL, NULL, NULL, NULL, NULL));
	assert_true(harness_call_full(harness_bus(), &error, NULL, p7600, "org.freedesktop.DBus.Properties",
				      "GetAll", "s", CCW_IFACE) < 0);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	char **name = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	*name = strdup(e ? e->name : "ok");
	return 0;
}

/* The daemon stops while a store runs in the host's worker: the store
 * ends, the call is answered Cancelled, and nothing is left behind (the
 * sanitizer's leak check at the daemon's exit); the device came online,
 * as the kernel finished the store. */
static void test_stop_during_store(void **state)
{
	(void)state;
	need_sim();
	_cleanup_free_ char *name = NULL;
	sd_bus_slot *slot = NULL;
	sd_bus *bus = harness_bus();
	assert_return_code(sd_bus_call_method_async(bus, &slot, "org.zvirt1", HOST_PATH, HOST_IFACE,
						    "SetCcwOnline", on_reply, &name, "sba{sv}", "0.0.7700",
						    1, 0),
			   0);
	/* The store sleeps 3 s in the simulator: stop the daemon inside. */
	usleep(800 * 1000);
	assert_null(name);
	assert_return_code(harness_stop_daemon(), 0);
	assert_int_equal(harness_daemon_exit_status(), 0);
	for (int i = 0; i < 100 && !name; i++) {
		assert_return_code(sd_bus_process(bus, NULL), 0);
		if (!name)
			assert_return_code(sd_bus_wait(bus, 100 * 1000), 0);
	}
	assert_non_null(name);
	assert_string_equal(name, ZVIRT_ERROR("Cancelled"));
	sd_bus_slot_unref(slot);
	_cleanup_free_ char *online = harness_sim_read("bus/ccw/devices/0.0.7700/online");
	assert_string_equal(online, "1");
	assert_return_code(harness_start_daemon(), 0);
}

int main(void)
{
	int r = harness_enter_netns();
	if (r < 0) {
		if (geteuid() != 0) {
			fprintf(stderr, "test-host-ccw: skipped, the integration tests must run as root\n");
			return 77;
		}
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_sim),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_dasd_online),
		cmocka_unit_test(test_unformatted),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nobody_refused),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_group_event),
		cmocka_unit_test(test_busy_not_operational),
		cmocka_unit_test(test_device_appears),
		cmocka_unit_test(test_stop_during_store),
	};
	return harness_main("test-host-ccw", tests, 0);
}
