#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# One node of test-ocf-cluster's Pacemaker cluster:
#   ocf-cluster-node.sh ROOT NAME BUS AGENTS
# run by `ip netns exec` (the node's network) and `unshare -m -u -p -f
# --kill-child --mount-proc` (its files, host name and processes: this
# shell is PID 1 of the node, and when it dies the kernel ends the rest).
# The node keeps its state below ROOT (config, CIB, logs); its agents see
# DBUS_SYSTEM_BUS_ADDRESS=BUS, the node's own zvirtd, as pacemaker-execd
# passes its environment on; AGENTS is the resource.d tree Pacemaker finds
# at /usr/lib/ocf/resource.d.
set -eu
root=$1 name=$2 bus=$3 agents=$4

hostname "$name"
for d in etc/corosync var/lib/pacemaker/cib var/lib/pacemaker/pengine \
	var/lib/pacemaker/blackbox var/lib/pacemaker/cores var/lib/corosync \
	var/log/pacemaker var/log/corosync; do
	mkdir -p "$root/$d"
done
chown -R hacluster:haclient "$root/var/lib/pacemaker" "$root/var/log/pacemaker"
chmod 750 "$root/var/lib/pacemaker/cib" "$root/var/lib/pacemaker/pengine"
for d in etc/corosync var/lib/pacemaker var/lib/corosync var/log/pacemaker var/log/corosync; do
	mount --bind "$root/$d" "/$d"
done
mount --bind "$agents" /usr/lib/ocf/resource.d
# libqb's IPC (corosync, Pacemaker's daemons) lives in /dev/shm and /run.
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/crm /run/corosync
chown hacluster:haclient /run/crm
cp "$root/../corosync.conf" /etc/corosync/corosync.conf

export DBUS_SYSTEM_BUS_ADDRESS="$bus"
corosync -f >"$root/corosync.out" 2>&1 &
# pacemakerd gives up without corosync; wait for its IPC.
i=0
until corosync-cfgtool -s >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || {
		echo "corosync did not come up" >&2
		exit 1
	}
	sleep 0.1
done
pacemakerd -f >"$root/pacemakerd.out" 2>&1 &
wait
