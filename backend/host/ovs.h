/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Open vSwitch ports of the guests' interfaces (<virtualport
 * type='openvswitch'>), through ovs-vsctl as libvirt does it: the port
 * on the bridge, its Interface row marked with the guest's MAC, the
 * interface id and the domain's UUID, so that an OVN controller can bind
 * it and a crashed domain's ports can be found again.
 *
 * BLOCKING: every call here spawns "ovs-vsctl" (found on PATH; it talks
 * to the ovsdb at $OVS_RUNDIR/db.sock) and waits for it, up to a few
 * seconds when ovs-vswitchd is slow or gone. Never call them on the
 * event loop: submit them to the worker (util/worker.h). They share no
 * state and may run on several threads at once.
 *
 * Errors: -EINVAL and ZV_ERROR_INVALID_ARGUMENT for a name, MAC, UUID or
 * VLAN tag that cannot be right (nothing is run); ZV_ERROR_HOST with
 * ovs-vsctl's own words when it fails (-EIO), -ENOENT with "Open vSwitch
 * is not installed (no ovs-vsctl)", -ETIMEDOUT when it did not finish in
 * time (it is killed); -ENOMEM. */

#include "util/error.h"

/* How long ovs-vsctl gets (its own --timeout is 5 s; this adds a grace
 * for it to say so itself before it is killed). */
#define HOST_OVS_WAIT_MS 7000

/* ovs-vsctl --timeout=5 -- --may-exist add-port BRIDGE IFNAME [tag=VLAN]
 *   -- set Interface IFNAME external-ids:attached-mac=MAC
 *      external-ids:iface-id=IFACE_ID external-ids:iface-status=active
 *      external-ids:vm-id=VM_UUID
 * ifname is the host side of the guest's NIC (a tap), which must exist
 * for ovs-vswitchd to use it. vlan_tag 0: no tag (a trunk port), else
 * 1-4095. iface_id is the <parameters interfaceid=.../> (a UUID), mac
 * "52:54:00:..." and vm_uuid the domain's, both as libvirt spells them.
 * Adding a port that is already there updates its marks. */
int host_ovs_add_port(const char *bridge, const char *ifname, const char *mac, const char *iface_id,
		      const char *vm_uuid, unsigned vlan_tag, ZvError *err);

/* ovs-vsctl --timeout=5 -- --if-exists del-port IFNAME: 0 also when
 * there is no such port. */
int host_ovs_del_port(const char *ifname, ZvError *err);

/* ovs-vsctl --timeout=5 br-exists BRIDGE: 1 if the bridge exists, 0 if
 * not (exit status 2). */
int host_ovs_bridge_exists(const char *bridge, ZvError *err);

/* The names of the ports whose Interface has external-ids:vm-id=VM_UUID
 * (what a domain that crashed left behind), sorted as ovsdb lists them:
 * a NULL-terminated array, possibly empty; free with strv_free(). */
int host_ovs_vm_ports(const char *vm_uuid, char ***ret_ifnames, ZvError *err);

/* Tests only, before any other call: how long to wait for ovs-vsctl
 * (0: HOST_OVS_WAIT_MS). */
void host_ovs_set_wait_ms(unsigned ms);
