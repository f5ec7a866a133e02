/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UpdateDevice of a NIC while its domain runs: only its link state can
 * change (virsh domif-setlink, or update-device with <link state=>), by
 * QMP set_link; anything else of the NIC is refused, as it would need
 * a new device. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain-devices.h"
#include "hotplug-internal.h"
#include "lifecycle-table.h"
#include "util/log.h"

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* What of the NIC would change besides its link state, or NULL. The
 * update's unset fields are the parse's defaults, so they are compared
 * as they are: the XML gives the whole NIC, as for virsh. */
static const char *live_difference(const InterfaceDef *old, const InterfaceDef *new)
{
	if (old->type != new->type)
		return "type";
	if (new->source_dev && !same_string(old->source_dev, new->source_dev))
		return "source device";
	if (old->type == NET_TYPE_DIRECT && old->mode != new->mode)
		return "macvtap mode";
	if (!same_string(old->source_bridge, new->source_bridge))
		return "bridge";
	if (old->virtualport != new->virtualport)
		return "virtual port";
	if (old->vlan_tag != new->vlan_tag)
		return "VLAN tag";
	if (old->model != new->model)
		return "model";
	if (new->mtu && old->mtu != new->mtu)
		return "MTU";
	if (new->target_dev && !net_target_is_generated(new->target_dev) &&
	    !same_string(old->target_dev, new->target_dev))
		return "host device name";
	return NULL;
}

int hotplug_update_link_begin(Domain *d, HotplugOp *op, ZvError *err)
{
	ssize_t i = domain_def_interface_index(d->live, &op->dev->interface);
	if (i == -ENOTUNIQ)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "UpdateDevice: domain '%s' has more than one interface; give the "
				    "<mac> of the one to change",
				    domain_name(d));
	if (i < 0)
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENOENT,
				    "%s is not attached to domain '%s'", op->what, domain_name(d));
	const InterfaceDef *old = &d->live->interfaces[i];
	int r = lifecycle_check(DOMAIN_OP_UPDATE_DEVICE, d->state, d->reason, domain_name(d), err);
	if (r >= 0)
		r = domain_check_idle(d, DOMAIN_OP_UPDATE_DEVICE, err);
	if (r < 0)
		return r;
	const char *what = live_difference(old, &op->dev->interface);
	if (what)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EPERM,
				    "UpdateDevice: the %s of %s cannot change while domain '%s' runs "
				    "(only its link state can)",
				    what, op->what, domain_name(d));
	if (old->link_down == op->dev->interface.link_down)
		return 1;

	InterfaceDef probe = *old;
	probe.link_down = op->dev->interface.link_down;
	r = qemu_plan_set_link(&probe, &op->plan, err);
	if (r < 0)
		return r;
	/* The update's MAC and alias name the live NIC from here on. */
	memcpy(op->dev->interface.mac, old->mac, NET_MAC_SIZE);
	op->dev->interface.mac_generated = false;
	r = domain_begin_op(d, DOMAIN_OP_UPDATE_DEVICE, hotplug_live_done, op, err);
	if (r < 0)
		return r;
	d->hotplug = op;
	op->next_step = 0;
	hotplug_plan_next(d, op);
	return 0;
}

void hotplug_update_link_done(Domain *d, HotplugOp *op)
{
	ssize_t i = domain_def_interface_index(d->live, &op->dev->interface);
	if (i < 0)
		return; /* gone meanwhile (QEMU's end): nothing to record */
	d->live->interfaces[i].link_down = op->dev->interface.link_down;
	log_info("Domain %s: the link of %s is %s", domain_name(d), op->what,
		 op->dev->interface.link_down ? "down" : "up");
}
