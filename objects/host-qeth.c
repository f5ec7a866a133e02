/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Host's OSA/qeth calls: ListQethDevices (znetconf -u and
 * -c), GroupQeth (-a with -o), SetQethOnline, UngroupQeth (-r). The
 * sysfs work is backend/host/qeth.c's; its stores run in the host
 * worker, one after another. */
#include "host-qeth.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-dict.h"
#include "errors.h"
#include "host.h"
#include "options.h"
#include "polkit.h"
#include "host/ccw-device.h"
#include "host/qeth.h"
#include "util/cleanup.h"
#include "util/utf8.h"

static int check_busid(const char *busid, sd_bus_error *error)
{
	char quoted[UTF8_SHORTEN_SIZE(32)];
	if (ccw_busid_valid(busid))
		return 0;
	return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
			      "'%s' is not a ccw bus id (x.y.zzzz, lower-case hex)",
			      utf8_shorten(busid, 32, quoted));
}

/* --- ListQethDevices ------------------------------------------------------ */

static int append_device(sd_bus_message *reply, const void *item)
{
	const QethDevice *d = item;
	int r = bus_append_dict_entry(reply, "id", "s", d->id);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "configured", "b", (int)d->configured);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "cdevs", "as", 3, d->cdev[0], d->cdev[1], d->cdev[2]);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "card_type", "s", d->card_type);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "chpid", "s", d->chpid);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "driver", "s", d->driver);
	if (r >= 0 && d->configured) {
		r = bus_append_dict_entry(reply, "online", "b", (int)d->online);
		if (r >= 0)
			r = bus_append_dict_entry(reply, "state", "s", d->state);
		if (r >= 0)
			r = bus_append_dict_entry(reply, "layer2", "b", (int)d->layer2);
		if (r >= 0)
			r = bus_append_dict_entry(reply, "buffer_count", "u", d->buffer_count);
		if (r >= 0)
			r = bus_append_dict_entry(reply, "bridge_role", "s", d->bridge_role);
		if (r >= 0)
			r = bus_append_dict_entry(reply, "bridge_state", "s", d->bridge_state);
		if (r >= 0)
			r = bus_append_dict_entry(reply, "if_name", "s", d->if_name);
	}
	return r;
}

/* Reading: open to every user, as znetconf -u and -c are. */
int method_list_qeth_devices(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	ZvError err = ZV_ERROR_INIT;
	_cleanup_(qeth_list_done) QethList list = {};
	assert(m);
	assert(o);

	int r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;
	r = qeth_list(o->settings->sysfs_root, &list, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return bus_reply_dict_list(m, list.devs, list.n, sizeof(*list.devs), append_device);
}

/* --- the stores, in the worker ---------------------------------------------- */

typedef enum QethOp { QETH_GROUP, QETH_ONLINE, QETH_UNGROUP } QethOp;

typedef struct QethJob {
	QethOp op;
	sd_bus_message *m; /* answered in job_done */
	char *root;
	char *cdev[3]; /* cdev[0]: the group's id */
	char *bridge_role;
	QethOptions opts;
	bool online;
	char *if_name;
	ZvError err;
} QethJob;

static void job_free(QethJob *j)
{
	sd_bus_message_unref(j->m);
	free(j->root);
	for (int i = 0; i < 3; i++)
		free(j->cdev[i]);
	free(j->bridge_role);
	free(j->if_name);
	free(j);
}

static int job_run(void *userdata)
{
	QethJob *j = userdata;
	switch (j->op) {
	case QETH_GROUP:
		return qeth_group(j->root, j->cdev, &j->opts, &j->if_name, &j->err);
	case QETH_ONLINE:
		return qeth_set_online(j->root, j->cdev[0], j->online, &j->err);
	case QETH_UNGROUP:
		return qeth_ungroup(j->root, j->cdev[0], &j->err);
	}
	return -EINVAL;
}

static void job_done(int result, void *userdata)
{
	QethJob *j = userdata;
	if (result < 0)
		(void)bus_reply_zv_error(j->m, &j->err, result);
	else if (j->op == QETH_GROUP)
		(void)sd_bus_reply_method_return(j->m, "s", j->if_name ?: "");
	else
		(void)sd_bus_reply_method_return(j->m, NULL);
	job_free(j);
}

static QethJob *job_new(Objects *o, sd_bus_message *m, QethOp op)
{
	QethJob *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->op = op;
	j->m = sd_bus_message_ref(m);
	j->err = (ZvError)ZV_ERROR_INIT;
	if (!(j->root = strdup(o->settings->sysfs_root))) {
		job_free(j);
		return NULL;
	}
	return j;
}

/* The daemon stops before the store's answer. */
static void job_drop(void *userdata)
{
	QethJob *j = userdata;
	(void)bus_reply_cancelled_stopping(j->m);
	job_free(j);
}

static int job_submit(Objects *o, QethJob *j, sd_bus_error *error)
{
	int r = objects_host_submit(o, job_run, job_done, job_drop, j);
	if (r < 0) {
		job_free(j);
		return bus_error_setf(error, ZV_ERROR_HOST, "Cannot start the host's store: %s",
				      strerror(-r));
	}
	return 1;
}

/* --- GroupQeth -------------------------------------------------------------- */

int method_group_qeth(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	ZvError err = ZV_ERROR_INIT;
	_cleanup_strv_free_ char **busids = NULL;
	const char *bridge_role = NULL;
	QethOptions opts = {.online = true};
	const OptionSpec specs[] = {
		{"layer2", "b", &opts.layer2, &opts.has_layer2},
		{"buffer_count", "u", &opts.buffer_count, &opts.has_buffer_count},
		{"bridge_role", "s", &bridge_role},
		{"online", "b", &opts.online},
		{},
	};
	assert(m);
	assert(o);

	int r = sd_bus_message_read_strv(m, &busids);
	if (r < 0)
		return r;
	r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	size_t n = 0;
	while (busids && busids[n])
		n++;
	if (n != 1 && n != 3)
		return bus_error_setf(error, ZV_ERROR_INVALID_ARGUMENT,
				      "Give the read device's bus id, or the read, write and data devices' "
				      "(%zu given)",
				      n);
	for (size_t i = 0; i < n; i++)
		if ((r = check_busid(busids[i], error)) < 0)
			return r;
	opts.bridge_role = bridge_role;
	if ((r = qeth_options_check(&opts, &err)) < 0)
		return bus_error_from_zv(error, &err, r);
	r = host_authorize_device(o, m, "qeth-group", busids[0], common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	QethJob *j = job_new(o, m, QETH_GROUP);
	if (!j)
		return -ENOMEM;
	if (n == 1) {
		/* znetconf -a BUSID: the unconfigured device it starts (a read). */
		r = qeth_find_triplet(o->settings->sysfs_root, busids[0], j->cdev, &err);
		if (r < 0) {
			job_free(j);
			return bus_error_from_zv(error, &err, r);
		}
	} else
		for (int i = 0; i < 3; i++)
			if (!(j->cdev[i] = strdup(busids[i]))) {
				job_free(j);
				return -ENOMEM;
			}
	j->opts = opts;
	if (bridge_role && !(j->bridge_role = strdup(bridge_role))) {
		job_free(j);
		return -ENOMEM;
	}
	j->opts.bridge_role = j->bridge_role;
	return job_submit(o, j, error);
}

/* --- SetQethOnline, UngroupQeth ------------------------------------------- */

/* SetQethOnline and UngroupQeth, once their arguments are read: the
 * options, the bus id, polkit, then the store in the host's worker. */
static int group_call(Objects *o, sd_bus_message *m, QethOp op, const char *verb, const char *id,
		      bool online, sd_bus_error *error)
{
	OptionsCommon common = {};
	int r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	if ((r = check_busid(id, error)) < 0)
		return r;
	r = host_authorize_device(o, m, verb, id, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	QethJob *j = job_new(o, m, op);
	if (!j || !(j->cdev[0] = strdup(id))) {
		if (j)
			job_free(j);
		return -ENOMEM;
	}
	j->online = online;
	return job_submit(o, j, error);
}

int method_set_qeth_online(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	const char *id;
	int online;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "sb", &id, &online);
	if (r < 0)
		return r;
	return group_call(o, m, QETH_ONLINE, "qeth-set-online", id, online, error);
}

int method_ungroup_qeth(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	const char *id;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "s", &id);
	if (r < 0)
		return r;
	return group_call(o, m, QETH_UNGROUP, "qeth-ungroup", id, false, error);
}
