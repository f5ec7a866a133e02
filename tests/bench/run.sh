#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The zvirtd benchmark (tests/bench/README.md), as root on Debian bookworm:
#
#   tests/bench/run.sh [--runs N] [--scale] [--with-libvirt] [--only nic|host|migrate|cockpit]
#
# Builds a release zvirtd and the benchmark in build-bench/ (or
# $ZVIRT_BENCH_BUILD), builds the s390x test guest, runs the benchmark on a
# private bus with the real polkitd and prints the table. Everything it
# starts (bus, polkitd, zvirtd, QEMU guests, temporary directory) is gone
# when it ends, Ctrl-C included. --with-libvirt also installs libvirtd and
# libvirt-dbus (apt) and measures them in the same run. See
# tests/bench/README.md.
set -eu

cd "$(dirname "$0")/../.."
src=$(pwd)
build=${ZVIRT_BENCH_BUILD:-$src/build-bench}

log() { echo "run.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	log "run as root: the benchmark starts polkitd in a mount namespace, QEMU and zvirtd"
	exit 2
fi

# Only what is missing: install-deps.sh runs apt-get update every time.
if ! command -v meson >/dev/null || ! command -v ninja >/dev/null ||
	! command -v busctl >/dev/null || ! command -v dbus-daemon >/dev/null ||
	! command -v qemu-system-s390x >/dev/null || ! [ -x /usr/lib/polkit-1/polkitd ] ||
	! pkg-config --exists libsystemd libxml-2.0 json-c libnl-route-3.0 inih cmocka 2>/dev/null; then
	log "installing build and run dependencies (tools/install-deps.sh)"
	sh tools/install-deps.sh
fi

with_libvirt=
for a in "$@"; do
	case $a in
	--with-libvirt) with_libvirt=1 ;;
	esac
done
# virsh (libvirt-clients) drives libvirt's migration rows.
if [ -n "$with_libvirt" ] && { ! [ -x /usr/sbin/libvirtd ] || ! [ -x /usr/sbin/libvirt-dbus ] ||
	! [ -x /usr/bin/virsh ]; }; then
	log "installing libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-dbus and libvirt-clients for --with-libvirt"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		libvirt-daemon libvirt-daemon-driver-qemu libvirt-dbus libvirt-clients >&2
fi

# A release build of its own: no sanitizers, no debug assertions in the
# figures; tests stay on because the benchmark links the harness.
opts="-Dbuildtype=release -Db_sanitize=none -Dtests=true"
if [ -f "$build/build.ninja" ]; then
	# shellcheck disable=SC2086
	meson setup --reconfigure "$build" $opts >/dev/null
else
	# shellcheck disable=SC2086
	meson setup "$build" $opts >/dev/null
fi
ninja -C "$build" service/zvirtd service/zvirtd-log-pump tests/sysfs-sim/zvirt-sysfs-sim \
	tests/bench/zvirt-bench cockpit/zvirt >&2

if [ -z "${ZVIRT_GUEST_DIR:-}" ]; then
	ZVIRT_GUEST_DIR=$(sh tests/guest/build-guest.sh | tail -n 1)
fi
export ZVIRT_GUEST_DIR
export ZVIRTD_BINARY="$build/service/zvirtd"
export ZVIRTD_LOG_PUMP="$build/service/zvirtd-log-pump"
export ZVIRT_SOURCE_ROOT="$src"
# The Cockpit rows: the page as built here, the node that drives Chromium.
export ZVIRT_COCKPIT_PAGE="$build/cockpit/zvirt"
ZVIRT_NODE=$(command -v node || echo /usr/bin/node)
export ZVIRT_NODE

# Define is measured with its fsync: the state directory must be on a
# disk, and /tmp is often a tmpfs. /var/tmp is meant to be a disk.
if [ -z "${TMPDIR:-}" ]; then
	TMPDIR=/var/tmp
fi
export TMPDIR
if [ "$(stat -f -c %T "$TMPDIR" 2>/dev/null)" = tmpfs ]; then
	log "warning: $TMPDIR is a tmpfs; Define's fsync costs nothing there"
fi

# The benchmark cleans up after itself on SIGINT, SIGTERM and SIGHUP (the
# harness's handlers). Run it in the background so that a signal sent to
# this script alone reaches it too.
"$build/tests/bench/zvirt-bench" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM HUP
rc=0
while :; do
	rc=0
	wait "$pid" || rc=$?
	kill -0 "$pid" 2>/dev/null || break
done
trap - INT TERM HUP

# Killed outright (SIGKILL, OOM), it could not clean up: its bus, polkitd,
# daemon, libvirtd and libvirt-dbus die with it (PR_SET_PDEATHSIG), but
# QEMU guests run in their own session. They carry the benchmark's
# temporary directory, which names its pid, in their command line.
if [ "$rc" -ge 128 ]; then
	for p in /proc/[0-9]*; do
		if tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -q "/zvirt-it-$pid-"; then
			kill -KILL "${p#/proc/}" 2>/dev/null || true
		fi
	done
	if [ -z "${ZVIRT_KEEP_TMP:-}" ]; then
		for d in "$TMPDIR"/zvirt-it-"$pid"-*; do
			if [ -d "$d" ]; then
				rm -rf "$d"
			fi
		done
	fi
	# The daemon's RunDir, and the mount point libvirtd's namespace
	# needed (only if it is empty: then it is the one we made).
	rm -rf "/run/zvirt-bench-$pid" "/dev/shm/zvirt-bench-$pid"
	if [ -n "$with_libvirt" ]; then
		rmdir /run/libvirt 2>/dev/null || true
	fi
fi
exit "$rc"
