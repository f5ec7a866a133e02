/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.zvirt1.Host at /org/zvirt1/host: the network links (listing,
 * bonds, VLANs, up/down, queue length) and their NetworkLinksChanged
 * signal. The work is backend/host's; this file reads the calls, asks
 * polkit and builds the replies. */
#include "host.h"
#include "ccw-objects.h"
#include "host-ccw.h"
#include "host-zfcp.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-dict.h"
#include "errors.h"
#include "host-qeth.h"
#include "options.h"
#include "polkit.h"
#include "host/link-create.h"
#include "host/link-list.h"
#include "host/link-monitor.h"
#include "host/link-name.h"
#include "host/link-set.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/utf8.h"
#include "util/worker.h"

#define HOST_ACTION "org.zvirt1.host.configure"

/* polkit for a call that changes the host: the verb and the link it
 * names (rules may allow some links and not others). */
static int host_authorize(Objects *o, sd_bus_message *m, const char *verb, const char *link,
			  bool no_user_interaction, sd_bus_error *error)
{
	const char *details[] = {"verb", verb, "link", link, NULL};
	return polkit_check(o, m, HOST_ACTION, details, no_user_interaction, error);
}

int host_authorize_device(Objects *o, sd_bus_message *m, const char *verb, const char *device,
			  bool no_user_interaction, sd_bus_error *error)
{
	const char *details[] = {"verb", verb, "device", device, NULL};
	return polkit_check(o, m, HOST_ACTION, details, no_user_interaction, error);
}

/* --- ListNetworkLinks --------------------------------------------------- */

static int append_link(sd_bus_message *reply, const void *item)
{
	const HostLink *l = item;
	int r = bus_append_dict_entry(reply, "name", "s", l->name);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "index", "u", l->index);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "kind", "s", l->kind);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "mac", "s", l->mac);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "mtu", "u", l->mtu);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "qlen", "u", l->qlen);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "operstate", "s", l->operstate);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "up", "b", (int)l->up);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "master", "s", l->master);
	if (r >= 0)
		r = bus_append_dict_entry(reply, "alias", "s", l->alias);
	if (r >= 0 && l->bond_mode)
		r = bus_append_dict_entry(reply, "mode", "s", l->bond_mode);
	if (r >= 0 && l->bond_slaves)
		r = bus_append_dict_strv(reply, "slaves", l->bond_slaves);
	if (r >= 0 && l->vlan_link)
		r = bus_append_dict_entry(reply, "link", "s", l->vlan_link);
	if (r >= 0 && l->vlan_link)
		r = bus_append_dict_entry(reply, "vlan-id", "q", l->vlan_id);
	return r;
}

/* Reading: open to every user, as ip link show is. */
static int method_list_network_links(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	ZvError err = ZV_ERROR_INIT;
	_cleanup_(host_link_list_done) HostLinkList links = {};
	assert(m);
	assert(o);

	int r = bus_read_options(m, NULL, NULL, error);
	if (r < 0)
		return r;
	r = host_link_list(o->settings->sysfs_root, &links, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return bus_reply_dict_list(m, links.links, links.n, sizeof(*links.links), append_link);
}

/* --- changing links ----------------------------------------------------- */

static int method_create_bond(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	ZvError err = ZV_ERROR_INIT;
	_cleanup_strv_free_ char **slaves = NULL;
	const char *name, *mode = NULL, *fail_over_mac = NULL;
	HostBondOptions opts = {.mode = HOST_BOND_BALANCE_RR};
	const OptionSpec specs[] = {
		{"mode", "s", &mode},
		{"miimon", "u", &opts.miimon, &opts.has_miimon},
		{"fail_over_mac", "s", &fail_over_mac},
		{},
	};
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "s", &name);
	if (r >= 0)
		r = sd_bus_message_read_strv(m, &slaves);
	if (r < 0)
		return r;
	r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	if (mode && (r = host_bond_mode_from_string(mode, &opts.mode, &err)) < 0)
		return bus_error_from_zv(error, &err, r);
	if (fail_over_mac) {
		r = host_bond_fail_over_mac_from_string(fail_over_mac, &opts.fail_over_mac, &err);
		if (r < 0)
			return bus_error_from_zv(error, &err, r);
		opts.has_fail_over_mac = true;
	}
	r = host_authorize(o, m, "create-bond", name, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	r = host_link_create_bond(name, slaves, &opts, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, "s", name);
}

static int method_create_vlan(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	ZvError err = ZV_ERROR_INIT;
	const char *link, *name = NULL;
	_cleanup_free_ char *default_name = NULL;
	uint16_t id;
	const OptionSpec specs[] = {{"name", "s", &name}, {}};
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "sq", &link, &id);
	if (r < 0)
		return r;
	r = bus_read_options(m, specs, &common, error);
	if (r < 0)
		return r;
	if (!name) {
		default_name = host_vlan_default_name(link, id);
		if (!default_name)
			return -ENOMEM;
		/* An OSA link's "enccw0.0.8050.623" does not fit IFNAMSIZ. */
		if (strlen(default_name) > HOST_LINK_NAME_MAX)
			return bus_error_setf(
				error, ZV_ERROR_INVALID_ARGUMENT,
				"The VLAN's default name '%s' (link.id) is longer than 15 bytes; "
				"give it a name with option name",
				utf8_sanitize(default_name));
		name = default_name;
	}
	r = host_authorize(o, m, "create-vlan", link, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;

	r = host_link_create_vlan(link, id, name, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, "s", name);
}

static int method_delete_link(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	ZvError err = ZV_ERROR_INIT;
	const char *name;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "s", &name);
	if (r < 0)
		return r;
	r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	r = host_authorize(o, m, "delete-link", name, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	r = host_link_delete(name, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, NULL);
}

static int method_set_link_up(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	ZvError err = ZV_ERROR_INIT;
	const char *name;
	int up;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "sb", &name, &up);
	if (r < 0)
		return r;
	r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	r = host_authorize(o, m, "set-link-up", name, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	r = host_link_set_up(name, up, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, NULL);
}

static int method_set_queue_length(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Objects *o = userdata;
	OptionsCommon common = {};
	ZvError err = ZV_ERROR_INIT;
	const char *name;
	uint32_t qlen;
	assert(m);
	assert(o);

	int r = sd_bus_message_read(m, "su", &name, &qlen);
	if (r < 0)
		return r;
	r = bus_read_options(m, NULL, &common, error);
	if (r < 0)
		return r;
	r = host_authorize(o, m, "set-queue-length", name, common.no_user_interaction, error);
	if (r <= 0)
		return r == 0 ? 1 : r;
	r = host_link_set_queue_length(name, qlen, &err);
	if (r < 0)
		return bus_error_from_zv(error, &err, r);
	return sd_bus_reply_method_return(m, NULL);
}

#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable host_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("ListNetworkLinks", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("aa{sv}", links), method_list_network_links, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("CreateBond", SD_BUS_ARGS("s", name, "as", slaves, "a{sv}", options),
				SD_BUS_RESULT("s", name), method_create_bond, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("CreateVlan", SD_BUS_ARGS("s", link, "q", id, "a{sv}", options),
				SD_BUS_RESULT("s", name), method_create_vlan, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("DeleteLink", SD_BUS_ARGS("s", name, "a{sv}", options), SD_BUS_NO_RESULT,
				method_delete_link, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("SetLinkUp", SD_BUS_ARGS("s", name, "b", up, "a{sv}", options),
				SD_BUS_NO_RESULT, method_set_link_up, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("SetQueueLength", SD_BUS_ARGS("s", name, "u", qlen, "a{sv}", options),
				SD_BUS_NO_RESULT, method_set_queue_length, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("ListQethDevices", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("aa{sv}", devices), method_list_qeth_devices, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("GroupQeth", SD_BUS_ARGS("as", busids, "a{sv}", options),
				SD_BUS_RESULT("s", interface), method_group_qeth, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("SetQethOnline", SD_BUS_ARGS("s", id, "b", online, "a{sv}", options),
				SD_BUS_NO_RESULT, method_set_qeth_online, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("UngroupQeth", SD_BUS_ARGS("s", id, "a{sv}", options), SD_BUS_NO_RESULT,
				method_ungroup_qeth, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("ListCcwDevices", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("a(sssbs)", devices), host_method_list_ccw_devices, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("SetCcwOnline", SD_BUS_ARGS("s", busid, "b", online, "a{sv}", options),
				SD_BUS_NO_RESULT, host_method_set_ccw_online, UNPRIV),
	SD_BUS_METHOD_WITH_ARGS("ListDasds", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("aa{sv}", dasds),
				host_method_list_dasds, UNPRIV),
	HOST_ZFCP_VTABLE,
	SD_BUS_SIGNAL("NetworkLinksChanged", "", 0),
	SD_BUS_VTABLE_END,
};

/* --- wiring ------------------------------------------------------------- */

static void on_links_changed(void *userdata)
{
	Objects *o = userdata;
	(void)sd_bus_emit_signal(o->bus, ZVIRT_HOST_PATH, ZVIRT_HOST_IFACE, "NetworkLinksChanged", NULL);
}

int objects_add_host_object(Objects *o, sd_bus_slot **ret_slot)
{
	int r = sd_bus_add_object_vtable(o->bus, ret_slot, ZVIRT_HOST_PATH, ZVIRT_HOST_IFACE, host_vtable,
					 o);
	if (r < 0)
		return r;
	sd_event *event = sd_bus_get_event(o->bus);
	r = event ? host_link_monitor_new(event, on_links_changed, o, &o->link_monitor) : -ENXIO;
	if (r < 0)
		log_warning_errno(
			r,
			"Cannot watch the host's network links; NetworkLinksChanged will not be sent: %m");
	r = ccw_objects_new(o, &o->ccw_objects);
	if (r < 0)
		log_warning_errno(r, "Cannot register the CcwDevice objects: %m");
	return 0;
}

/* A store in the host's worker, known until its done ran. */
typedef struct HostStore {
	Objects *o;
	int (*job)(void *userdata);
	void (*done)(int result, void *userdata);
	void (*drop)(void *userdata);
	void *userdata;
	struct HostStore *prev, *next;
} HostStore;

static void host_store_unlink(HostStore *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		s->o->host_stores = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

/* On the worker's thread: only s's fixed fields are read. */
static int host_store_run(void *p)
{
	HostStore *s = p;
	return s->job(s->userdata);
}

static void host_store_done(int result, void *p)
{
	HostStore *s = p;
	host_store_unlink(s);
	s->done(result, s->userdata);
	free(s);
}

int objects_host_submit(Objects *o, int (*job)(void *userdata), void (*done)(int result, void *userdata),
			void (*drop)(void *userdata), void *userdata)
{
	assert(o && job && done && drop);
	if (!o->host_worker) {
		int r = worker_new(sd_bus_get_event(o->bus), 1, &o->host_worker);
		if (r < 0)
			return r;
	}
	HostStore *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (HostStore){.o = o, .job = job, .done = done, .drop = drop, .userdata = userdata};
	int r = worker_submit(o->host_worker, host_store_run, host_store_done, s, NULL);
	if (r < 0) {
		free(s);
		return r;
	}
	s->next = o->host_stores;
	if (s->next)
		s->next->prev = s;
	o->host_stores = s;
	return 0;
}

void objects_host_done(Objects *o)
{
	o->link_monitor = host_link_monitor_free(o->link_monitor);
	o->ccw_objects = ccw_objects_free(o->ccw_objects);
	/* Waits for a store under way; no done is called after this, so
	 * the calls still here are answered and freed by their drop. */
	o->host_worker = worker_free(o->host_worker);
	HostStore *s;
	while ((s = o->host_stores)) {
		host_store_unlink(s);
		s->drop(s->userdata);
		free(s);
	}
}
