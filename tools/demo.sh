#!/bin/sh
# Installs zvirtd's dependencies, builds it, and runs it with a demo s390x
# guest: a private system bus, the real polkitd with zvirtd's policy, the
# daemon, a guest defined and started over D-Bus, and cockpit-ws serving
# Cockpit with zvirt's page on that bus. Debian bookworm, as root.
# Stop it all with: tools/demo.sh stop
# A --local-session cockpit-ws serves one browser session; for another,
# restart it with: tools/demo.sh cockpit
set -eu

cd "$(dirname "$0")/.."
SRC=$(pwd)
DEMO=${ZVIRT_DEMO_DIR:-/run/zvirtd-demo}
BUILD=${ZVIRT_DEMO_BUILD:-$SRC/build-demo}
BUS="$DEMO/system_bus_socket"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$BUS"
COCKPIT_PORT=${ZVIRT_DEMO_COCKPIT_PORT:-9090}

stop() {
	for p in cockpit-ws zvirtd polkitd dbus-daemon; do
		if [ -f "$DEMO/$p.pid" ]; then
			kill "$(cat "$DEMO/$p.pid")" 2>/dev/null || true
			rm -f "$DEMO/$p.pid"
		fi
	done
	# Guests outlive the daemon by design; the demo's own go with it.
	pkill -f -- "-uuid .* .*$DEMO/" 2>/dev/null || true
	pkill -f "qemu-system-s390x.*$DEMO" 2>/dev/null || true
}

# cockpit-ws on the demo's bus, without TLS, on 127.0.0.1 only, with a
# local session: the bridge runs as root, with no login. The page is the
# one in the build ($BUILD/cockpit/zvirt), found through XDG_DATA_DIRS.
start_cockpit() {
	if [ -f "$DEMO/cockpit-ws.pid" ]; then
		kill "$(cat "$DEMO/cockpit-ws.pid")" 2>/dev/null || true
		rm -f "$DEMO/cockpit-ws.pid"
	fi
	XDG_DATA_DIRS="$BUILD:/usr/share" setsid /usr/lib/cockpit/cockpit-ws --no-tls \
		-a 127.0.0.1 -p "$COCKPIT_PORT" --local-session=cockpit-bridge \
		>"$DEMO/log/cockpit-ws.log" 2>&1 &
	echo $! >"$DEMO/cockpit-ws.pid"
}

if [ "${1:-}" = stop ]; then
	stop
	echo "zvirtd demo stopped."
	exit 0
fi

if [ "${1:-}" = cockpit ]; then
	start_cockpit
	echo "Cockpit: http://127.0.0.1:$COCKPIT_PORT/zvirt"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root" >&2
	exit 1
fi

sh tools/install-deps.sh
if [ -f "$BUILD/build.ninja" ]; then
	meson setup --reconfigure "$BUILD" -Dtests=false >/dev/null
else
	meson setup "$BUILD" -Dtests=false >/dev/null
fi
ninja -C "$BUILD" >/dev/null
GUEST=$(sh tests/guest/build-guest.sh | tail -n 1)

stop
# Each run starts from nothing: the demo keeps no state between runs.
rm -rf "$DEMO"
mkdir -p "$DEMO/actions" "$DEMO/rules.d" "$DEMO/state" "$DEMO/run" "$DEMO/log"

sed -e "s|@BUS_DIR@|$DEMO|g" -e "s|@SOURCE_ROOT@|$SRC|g" \
	tools/private-bus.conf.in >"$DEMO/bus.conf"

dbus-daemon --config-file="$DEMO/bus.conf" --fork --print-pid >"$DEMO/dbus-daemon.pid"

# polkitd reads its actions and rules from fixed directories: show it ours
# in a mount namespace of its own, so the host's stay untouched.
cp policy/org.zvirt1.policy "$DEMO/actions/"
cp policy/50-zvirtd-example.rules "$DEMO/rules.d/"
unshare --mount --propagation private sh -c "
	mount --bind '$DEMO/actions' /usr/share/polkit-1/actions &&
	mount --bind '$DEMO/rules.d' /etc/polkit-1/rules.d &&
	exec /usr/lib/polkit-1/polkitd --no-debug" >"$DEMO/log/polkitd.log" 2>&1 &
echo $! >"$DEMO/polkitd.pid"

cat >"$DEMO/zvirtd.conf" <<CONF
[Daemon]
LogLevel=info
LogTarget=$DEMO/log/zvirtd.log
StateDir=$DEMO/state
RunDir=$DEMO/run
LogDir=$DEMO/log

[Hypervisor]
# No s390x KVM on this host: emulate (TCG).
Accelerator=tcg
CONF

# The build's log pump: nothing is installed.
ZVIRTD_LOG_PUMP="$BUILD/service/zvirtd-log-pump" \
	"$BUILD/service/zvirtd" -d -f "$DEMO/zvirtd.conf" -p "$DEMO/zvirtd.pid"

# The demo guest: Debian's s390x kernel and a busybox initramfs.
XML=$(cat <<DOMAIN
<domain type='kvm'>
  <name>demo</name>
  <title>zvirtd demo guest</title>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='s390x' machine='s390-ccw-virtio'>hvm</type>
    <kernel>$GUEST/vmlinuz</kernel>
    <initrd>$GUEST/initrd.img</initrd>
    <cmdline>console=ttysclp0 panic=0 quiet</cmdline>
  </os>
  <on_crash>preserve</on_crash>
  <devices>
    <console type='pty'>
      <target type='sclp' port='0'/>
      <log file='$DEMO/log/demo.console.log' append='on'/>
    </console>
    <memballoon model='none'/>
  </devices>
</domain>
DOMAIN
)

path=$(busctl call org.zvirt1 /org/zvirt1 org.zvirt1.Manager DefineXML 'sa{sv}' "$XML" 0 | cut -d'"' -f2)
busctl call org.zvirt1 "$path" org.zvirt1.Domain Start 'a{sv}' 0

i=0
until grep -q 'zvirt-guest: ready' "$DEMO/log/demo.console.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then
		echo "demo.sh: the guest did not come up; see $DEMO/log/" >&2
		exit 1
	fi
	sleep 0.1
done

start_cockpit

cat <<EOF2

zvirtd is running on a private system bus with the demo guest "demo":
  $(grep -m1 'zvirt-guest: ready' "$DEMO/log/demo.console.log")

Talk to it:
  export DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS
  busctl tree org.zvirt1
  busctl introspect org.zvirt1 $path
  busctl get-property org.zvirt1 $path org.zvirt1.Domain State StateReason
  busctl call org.zvirt1 $path org.zvirt1.Domain Shutdown 'a{sv}' 0

In a browser, Cockpit with the virtual servers page (no login; one
session, "tools/demo.sh cockpit" gives another):
  http://127.0.0.1:$COCKPIT_PORT/zvirt

Logs: $DEMO/log/   Stop everything: tools/demo.sh stop
EOF2
