/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plans of hot-plug (hotplug-plan.h): the command line's objects as
 * QMP commands, each paired with its undo. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu/cmdline.h"
#include "qemu/hotplug-plan.h"
#include "util/cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

void qemu_plan_clear(QemuPlan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		json_object_put(plan->v[i].args);
		json_object_put(plan->v[i].undo_args);
	}
	free(plan->v);
	*plan = (QemuPlan){};
}

/* Appends a step; takes args and undo_args in every case. */
static int add_step(QemuPlan *plan, const char *command, json_object *args, const char *undo_command,
		    json_object *undo_args)
{
	QemuPlanStep *v = realloc(plan->v, (plan->n + 1) * sizeof(*v));
	if (!v) {
		json_object_put(args);
		json_object_put(undo_args);
		return -ENOMEM;
	}
	plan->v = v;
	v[plan->n++] = (QemuPlanStep){.command = command,
				      .args = args,
				      .undo_command = undo_command,
				      .undo_args = undo_args,
				      .fd = -1};
	return 0;
}

/* {"<key>": "<value>"} */
static json_object *named(const char *key, const char *value)
{
	json_object *o = json_object_new_object();
	if (o && json_object_object_add(o, key, json_object_new_string(value)) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static const char *string_member(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static int oom(ZvError *err)
{
	return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
}

/* Every node of a disk, in the order they are added, each with its
 * blockdev-del. */
static int add_nodes(const DiskDef *disk, QemuPlan *plan, ZvError *err)
{
	_cleanup_(json_object_putp) json_object *chain = NULL;
	int r = qemu_disk_blockdev_chain(disk, &chain, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < json_object_array_length(chain); i++) {
		json_object *node = json_object_get(json_object_array_get_idx(chain, i));
		const char *name = string_member(node, "node-name");
		json_object *undo = name ? named("node-name", name) : NULL;
		if (!undo || add_step(plan, "blockdev-add", node, "blockdev-del", undo) < 0)
			return oom(err);
	}
	return 0;
}

static int add_device(QemuPlan *plan, json_object *props, ZvError *err)
{
	const char *id = string_member(props, "id");
	json_object *undo = id ? named("id", id) : NULL;
	if (!undo || add_step(plan, "device_add", props, "device_del", undo) < 0)
		return oom(err);
	return 0;
}

int qemu_plan_attach_disk(const DomainDef *def, const DiskDef *disk, QemuPlan *plan, ZvError *err)
{
	json_object *device = NULL;
	int r = add_nodes(disk, plan, err);
	if (r >= 0)
		r = qemu_disk_device_props_in(def, disk, &device, err);
	if (r >= 0)
		r = add_device(plan, device, err);
	if (r < 0)
		qemu_plan_clear(plan);
	return r;
}

int qemu_plan_attach_controller(const ControllerDef *cont, QemuPlan *plan, ZvError *err)
{
	json_object *device = NULL;
	int r = qemu_controller_device_props(cont, &device, err);
	if (r >= 0 && !device)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EOPNOTSUPP,
				    "The %s controller cannot be plugged",
				    controller_type_to_string(cont->type));
	if (r >= 0)
		r = add_device(plan, device, err);
	if (r < 0)
		qemu_plan_clear(plan);
	return r;
}

int qemu_plan_attach_hostdev(const DomainDef *def, const HostdevDef *h, QemuPlan *plan, ZvError *err)
{
	json_object *node = NULL, *device = NULL;
	char name[QEMU_NODE_NAME_MAX];
	int r = qemu_hostdev_blockdev_props(h, &node, err);
	if (r >= 0 && qemu_hostdev_node_name(h->info.alias, name) >= 0) {
		json_object *undo = named("node-name", name);
		r = undo ? add_step(plan, "blockdev-add", node, "blockdev-del", undo)
			 : (json_object_put(node), -ENOMEM);
		if (r < 0)
			r = oom(err);
	} else if (r >= 0) {
		json_object_put(node);
		r = zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "The hostdev's alias is too long");
	}
	if (r >= 0)
		r = qemu_hostdev_device_props(def, h, &device, err);
	if (r >= 0)
		r = add_device(plan, device, err);
	if (r < 0)
		qemu_plan_clear(plan);
	return r;
}

int qemu_plan_attach_interface(const InterfaceDef *net, int fd, QemuPlan *plan, ZvError *err)
{
	char id[QEMU_NODE_NAME_MAX], fdname[QEMU_NODE_NAME_MAX + 3];
	json_object *netdev = NULL, *device = NULL;
	int r;

	assert(fd >= 0);
	if (qemu_net_netdev_id(net, id) < 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "The interface has no alias");
	snprintf(fdname, sizeof(fdname), "fd-%s", id);
	json_object *getfd = named("fdname", fdname), *closefd = named("fdname", fdname);
	/* closefd undoes a getfd whose netdev_add never came; after one,
	 * QEMU answers that the name is unknown, which the undo ignores. */
	r = getfd && closefd ? add_step(plan, "getfd", getfd, "closefd", closefd)
			     : (json_object_put(getfd), json_object_put(closefd), -ENOMEM);
	if (r < 0)
		return oom(err);
	plan->v[plan->n - 1].fd = fd;
	r = qemu_net_netdev_props(net, fdname, &netdev, err);
	if (r >= 0) {
		json_object *undo = named("id", id);
		r = undo ? add_step(plan, "netdev_add", netdev, "netdev_del", undo)
			 : (json_object_put(netdev), -ENOMEM);
		if (r < 0)
			r = oom(err);
	}
	if (r >= 0)
		r = qemu_net_device_props(net, &device, err);
	if (r >= 0)
		r = add_device(plan, device, err);
	if (r < 0)
		qemu_plan_clear(plan);
	return r;
}

int qemu_plan_set_link(const InterfaceDef *net, QemuPlan *plan, ZvError *err)
{
	if (!net->info.alias)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "The interface has no alias");
	json_object *args = named("name", net->info.alias);
	if (!args || json_object_object_add(args, "up", json_object_new_boolean(!net->link_down)) < 0 ||
	    add_step(plan, "set_link", args, NULL, NULL) < 0)
		return oom(err);
	return 0;
}

int qemu_plan_drop_interface_netdev(const InterfaceDef *net, QemuPlan *plan, ZvError *err)
{
	char id[QEMU_NODE_NAME_MAX];
	if (qemu_net_netdev_id(net, id) < 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "The interface has no alias");
	json_object *args = named("id", id);
	if (!args || add_step(plan, "netdev_del", args, NULL, NULL) < 0)
		return oom(err);
	return 0;
}

int qemu_plan_drop_disk_nodes(const DiskDef *disk, QemuPlan *plan, ZvError *err)
{
	QemuPlan add = {};
	int r = add_nodes(disk, &add, err);
	/* The undo of each add, last first: the top node names those below. */
	for (size_t i = add.n; r >= 0 && i-- > 0;) {
		r = add_step(plan, add.v[i].undo_command, add.v[i].undo_args, NULL, NULL);
		add.v[i].undo_args = NULL;
		if (r < 0)
			r = oom(err);
	}
	qemu_plan_clear(&add);
	if (r < 0)
		qemu_plan_clear(plan);
	return r;
}

int qemu_plan_drop_hostdev_node(const HostdevDef *h, QemuPlan *plan, ZvError *err)
{
	char name[QEMU_NODE_NAME_MAX];
	if (qemu_hostdev_node_name(h->info.alias, name) < 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "The hostdev has no alias");
	json_object *args = named("node-name", name);
	if (!args || add_step(plan, "blockdev-del", args, NULL, NULL) < 0)
		return oom(err);
	return 0;
}

int qemu_plan_change_medium(const DiskDef *old, const DiskDef *new, bool force, QemuPlan *plan, ZvError *err)
{
	const char *id = old->info.alias;
	int r;

	if (!id || !new->info.alias || strcmp(id, new->info.alias) != 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "A medium change keeps the drive");
	json_object *open = named("id", id);
	if (!open || json_object_object_add(open, "force", json_object_new_boolean(force)) < 0 ||
	    add_step(plan, "blockdev-open-tray", open, NULL, NULL) < 0 ||
	    add_step(plan, NULL, NULL, NULL, NULL) < 0)
		goto fail;
	if (old->source) {
		json_object *remove = named("id", id);
		if (!remove || add_step(plan, "blockdev-remove-medium", remove, NULL, NULL) < 0)
			goto fail;
		r = qemu_plan_drop_disk_nodes(old, plan, err);
		if (r < 0)
			return r;
	}
	if (new->source) {
		char storage[QEMU_NODE_NAME_MAX], format[QEMU_NODE_NAME_MAX];
		QemuPlan add = {};
		r = add_nodes(new, &add, err);
		for (size_t i = 0; r >= 0 && i < add.n; i++) {
			/* A failure after them deletes them again: the drive is
			 * then empty, and its node names free for the next try. */
			r = add_step(plan, add.v[i].command, add.v[i].args, add.v[i].undo_command,
				     add.v[i].undo_args);
			add.v[i].args = add.v[i].undo_args = NULL;
		}
		qemu_plan_clear(&add);
		if (r < 0)
			goto fail;
		(void)qemu_disk_node_names(id, storage, format); /* checked by the chain */
		json_object *insert = named("id", id);
		if (!insert ||
		    json_object_object_add(insert, "node-name", json_object_new_string(format)) < 0 ||
		    add_step(plan, "blockdev-insert-medium", insert, NULL, NULL) < 0)
			goto fail;
	}
	json_object *close = named("id", id);
	if (!close || add_step(plan, "blockdev-close-tray", close, NULL, NULL) < 0)
		goto fail;
	return 0;
fail:
	qemu_plan_clear(plan);
	/* What add_nodes() said, or the allocation that failed here. */
	return err && err->code != ZV_ERROR_NONE ? -EINVAL : oom(err);
}
