/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* host/qeth.c's reading: which ccw devices znetconf -u pairs into an
 * unconfigured device and which it leaves, a configured group's
 * attributes, bus ids and options, on a plain tree with sysfs's layout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/ccw-device.h"
#include "host/qeth.h"
#include "util/cleanup.h"

static char root[] = "/tmp/zvirt-qeth-XXXXXX";

static void mkdirs(const char *path)
{
	char full[512];
	snprintf(full, sizeof(full), "%s/%s", root, path);
	for (char *p = full + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	mkdir(full, 0755);
}

static void put(const char *path, const char *text)
{
	char full[512];
	snprintf(full, sizeof(full), "%s/%s", root, path);
	FILE *f = fopen(full, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", text);
	fclose(f);
}

static void link_to(const char *target, const char *path)
{
	char full[512];
	snprintf(full, sizeof(full), "%s/%s", root, path);
	assert_int_equal(symlink(target, full), 0);
}

/* A ccw device on subchannel schid, its subchannel's first chpid. */
static void dev(const char *busid, unsigned schid, const char *cu, const char *devtype, const char *driver,
		const char *chpid, const char *group)
{
	char sch[64], p[256], t[256];
	snprintf(sch, sizeof(sch), "devices/css0/0.0.%04x", schid);
	snprintf(p, sizeof(p), "%s/%s", sch, busid);
	mkdirs(p);
	snprintf(t, sizeof(t), "%s 00 00 00 00 00 00 00", chpid);
	snprintf(p, sizeof(p), "%s/chpids", sch);
	put(p, t);
	snprintf(p, sizeof(p), "%s/%s/cutype", sch, busid);
	put(p, cu);
	snprintf(p, sizeof(p), "%s/%s/devtype", sch, busid);
	put(p, devtype);
	snprintf(t, sizeof(t), "../../../../bus/ccw/drivers/%s", driver);
	snprintf(p, sizeof(p), "%s/%s/driver", sch, busid);
	link_to(t, p);
	if (group) {
		snprintf(t, sizeof(t), "../../../qeth/%s", group);
		snprintf(p, sizeof(p), "%s/%s/group_device", sch, busid);
		link_to(t, p);
	}
	snprintf(t, sizeof(t), "../../../%s/%s", sch, busid);
	snprintf(p, sizeof(p), "bus/ccw/devices/%s", busid);
	link_to(t, p);
}

static void group(const char *id, const char *driver, unsigned first_schid, const char *const cdev[3])
{
	char gp[64], p[256], t[256];
	snprintf(gp, sizeof(gp), "devices/qeth/%s", id);
	mkdirs(gp);
	for (int i = 0; i < 3; i++) {
		snprintf(t, sizeof(t), "../../css0/0.0.%04x/%s", first_schid + i, cdev[i]);
		snprintf(p, sizeof(p), "%s/cdev%d", gp, i);
		link_to(t, p);
	}
	const char *attrs[][2] = {
		{"card_type", "OSD_10GIG"},
		{"chpid", "a4"},
		{"online", "1"},
		{"state", "UP (LAN ONLINE)"},
		{"layer2", "1"},
		{"buffer_count", "128"},
		{"bridge_role", "primary"},
		{"bridge_state", "active"},
		{"if_name", "enccw0.0.a000"},
	};
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", gp, attrs[i][0]);
		put(p, attrs[i][1]);
	}
	snprintf(t, sizeof(t), "../../../devices/qeth/%s", id);
	snprintf(p, sizeof(p), "bus/ccwgroup/devices/%s", id);
	link_to(t, p);
	snprintf(t, sizeof(t), "../../../../devices/qeth/%s", id);
	snprintf(p, sizeof(p), "bus/ccwgroup/drivers/%s/%s", driver, id);
	link_to(t, p);
}

static int setup(void **state)
{
	if (!mkdtemp(root))
		return -1;
	mkdirs("bus/ccw/devices");
	mkdirs("bus/ccwgroup/devices");
	mkdirs("bus/ccwgroup/drivers/qeth");
	mkdirs("bus/ccwgroup/drivers/ctcm");
	/* A free OSA port and a free HiperSockets device. */
	dev("0.0.8050", 1, "1731/01", "1732/01", "qeth", "90", NULL);
	dev("0.0.8051", 2, "1731/01", "1732/01", "qeth", "90", NULL);
	dev("0.0.8052", 3, "1731/01", "1732/01", "qeth", "90", NULL);
	dev("0.0.f500", 4, "1731/05", "1732/05", "qeth", "f0", NULL);
	dev("0.0.f501", 5, "1731/05", "1732/05", "qeth", "f0", NULL);
	dev("0.0.f502", 6, "1731/05", "1732/05", "qeth", "f0", NULL);
	/* Not three consecutive device numbers. */
	dev("0.0.9000", 7, "1731/01", "1732/01", "qeth", "a0", NULL);
	dev("0.0.9001", 8, "1731/01", "1732/01", "qeth", "a0", NULL);
	dev("0.0.9003", 9, "1731/01", "1732/01", "qeth", "a0", NULL);
	/* Consecutive, but on two channel paths. */
	dev("0.0.9100", 10, "1731/01", "1732/01", "qeth", "a1", NULL);
	dev("0.0.9101", 11, "1731/01", "1732/01", "qeth", "a2", NULL);
	dev("0.0.9102", 12, "1731/01", "1732/01", "qeth", "a1", NULL);
	/* Consecutive, but one bound to another driver. */
	dev("0.0.9200", 13, "1731/01", "1732/01", "qeth", "a3", NULL);
	dev("0.0.9201", 14, "1731/01", "1732/01", "lcs", "a3", NULL);
	dev("0.0.9202", 15, "1731/01", "1732/01", "qeth", "a3", NULL);
	/* A DASD and an FCP device. */
	dev("0.0.7500", 16, "3990/e9", "3390/0c", "dasd-eckd", "40", NULL);
	dev("0.0.1700", 17, "1731/03", "1732/03", "zfcp", "50", NULL);
	/* A configured qeth group, and a ctcm group. */
	dev("0.0.a000", 18, "1731/01", "1732/01", "qeth", "a4", "0.0.a000");
	dev("0.0.a001", 19, "1731/01", "1732/01", "qeth", "a4", "0.0.a000");
	dev("0.0.a002", 20, "1731/01", "1732/01", "qeth", "a4", "0.0.a000");
	group("0.0.a000", "qeth", 18, (const char *const[]){"0.0.a000", "0.0.a001", "0.0.a002"});
	group("0.0.b000", "ctcm", 18, (const char *const[]){"0.0.a000", "0.0.a001", "0.0.a002"});
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_list(void **state)
{
	ZvError err = ZV_ERROR_INIT;
	_cleanup_(qeth_list_done) QethList l = {};
	assert_int_equal(qeth_list(root, &l, &err), 0);
	assert_int_equal(l.n, 3);

	const QethDevice *g = &l.devs[0];
	assert_true(g->configured);
	assert_string_equal(g->id, "0.0.a000");
	assert_string_equal(g->cdev[0], "0.0.a000");
	assert_string_equal(g->cdev[1], "0.0.a001");
	assert_string_equal(g->cdev[2], "0.0.a002");
	assert_string_equal(g->card_type, "OSD_10GIG");
	assert_string_equal(g->chpid, "a4");
	assert_string_equal(g->driver, "qeth");
	assert_true(g->online);
	assert_string_equal(g->state, "UP (LAN ONLINE)");
	assert_true(g->layer2);
	assert_int_equal(g->buffer_count, 128);
	assert_string_equal(g->bridge_role, "primary");
	assert_string_equal(g->bridge_state, "active");
	assert_string_equal(g->if_name, "enccw0.0.a000");

	const QethDevice *u = &l.devs[1];
	assert_false(u->configured);
	assert_string_equal(u->id, "0.0.8050");
	assert_string_equal(u->cdev[1], "0.0.8051");
	assert_string_equal(u->cdev[2], "0.0.8052");
	assert_string_equal(u->card_type, "OSA (QDIO)");
	assert_string_equal(u->chpid, "90");
	assert_false(u->online);
	assert_string_equal(u->if_name, "");

	const QethDevice *h = &l.devs[2];
	assert_false(h->configured);
	assert_string_equal(h->id, "0.0.f500");
	assert_string_equal(h->cdev[2], "0.0.f502");
	assert_string_equal(h->card_type, "HiperSockets");
	assert_string_equal(h->chpid, "f0");
}

static void test_list_empty(void **state)
{
	ZvError err = ZV_ERROR_INIT;
	_cleanup_(qeth_list_done) QethList l = {};
	/* A host without a channel subsystem: nothing, no error. */
	assert_int_equal(qeth_list("/nonexistent-zvirt", &l, &err), 0);
	assert_int_equal(l.n, 0);
}

static void test_find_triplet(void **state)
{
	ZvError err = ZV_ERROR_INIT;
	char *t[3] = {};
	assert_int_equal(qeth_find_triplet(root, "0.0.8050", t, &err), 0);
	assert_string_equal(t[0], "0.0.8050");
	assert_string_equal(t[1], "0.0.8051");
	assert_string_equal(t[2], "0.0.8052");
	for (int i = 0; i < 3; i++) {
		free(t[i]);
		t[i] = NULL;
	}

	const char *none[] = {"0.0.8051", "0.0.9000", "0.0.9100", "0.0.9200", "0.0.7500", "0.0.dead"};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		zv_error_clear(&err);
		assert_int_equal(qeth_find_triplet(root, none[i], t, &err), -ENODEV);
		assert_int_equal(err.code, ZV_ERROR_NO_SUCH_DEVICE);
		assert_null(t[0]);
	}
	zv_error_clear(&err);
	assert_int_equal(qeth_find_triplet(root, "0.0.a001", t, &err), -EEXIST);
	assert_int_equal(err.code, ZV_ERROR_OPERATION_INVALID);
	assert_non_null(strstr(err.message, "already in the qeth device 0.0.a000"));
}

/* Stores on an existing group: a name that is no qeth group is refused
 * before anything is written. */
static void test_not_a_group(void **state)
{
	ZvError err = ZV_ERROR_INIT;
	assert_int_equal(qeth_set_online(root, "0.0.b000", true, &err), -ENODEV);
	assert_int_equal(err.code, ZV_ERROR_NO_SUCH_DEVICE);
	zv_error_clear(&err);
	assert_int_equal(qeth_ungroup(root, "0.0.8050", &err), -ENODEV);
	assert_int_equal(err.code, ZV_ERROR_NO_SUCH_DEVICE);
}

static void test_busid(void **state)
{
	const char *good[] = {"0.0.8050", "0.1.ffff", "f.3.0000"};
	const char *bad[] = {"",         "0.0.805",  "0.0.80500", "0.0.805G",   "0.0.805F", "0_0.8050",
			     "../0.0.8", "0.0.8/50", "0.0..050",  "0.0.8050\n", NULL};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(ccw_busid_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(ccw_busid_valid(bad[i]));
}

static void test_options(void **state)
{
	ZvError err = ZV_ERROR_INIT;
	QethOptions o = {.has_buffer_count = true, .buffer_count = 8, .bridge_role = "secondary"};
	assert_int_equal(qeth_options_check(&o, &err), 0);
	o.buffer_count = 128;
	o.bridge_role = "none";
	assert_int_equal(qeth_options_check(&o, &err), 0);
	o.buffer_count = 129;
	assert_int_equal(qeth_options_check(&o, &err), -EINVAL);
	assert_int_equal(err.code, ZV_ERROR_INVALID_ARGUMENT);
	zv_error_clear(&err);
	o.buffer_count = 7;
	assert_int_equal(qeth_options_check(&o, &err), -EINVAL);
	zv_error_clear(&err);
	o = (QethOptions){.bridge_role = "Primary"};
	assert_int_equal(qeth_options_check(&o, &err), -EINVAL);
	assert_non_null(strstr(err.message, "bridge_role"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),         cmocka_unit_test(test_list_empty),
		cmocka_unit_test(test_find_triplet), cmocka_unit_test(test_not_a_group),
		cmocka_unit_test(test_busid),        cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
