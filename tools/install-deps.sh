#!/bin/sh
# Installs everything zvirtd needs to build, run and test on Debian bookworm.
# Idempotent: safe to run again; apt-get skips what is already there.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# The test guest is a real s390x Debian kernel + busybox; its packages come
# from the s390x architecture of the same archive.
if ! dpkg --print-foreign-architectures | grep -qx s390x; then
	dpkg --add-architecture s390x
fi

apt-get update -qq

# openvswitch-switch's postinst would start the host's own ovsdb-server
# and ovs-vswitchd (and fail without systemd or the kernel module): the
# tests run private ones (tests/integration/harness-net.c). A policy-rc.d
# that says 101 makes invoke-rc.d and deb-systemd-invoke start nothing;
# one the machine has already is left as it is. openssh-server's would
# start the host's sshd likewise: the ssh tests run their own
# (tests/integration/harness-ssh.c).
own_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# tools/install-deps.sh: start no service\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	own_policy=1
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi

apt-get install -y -qq --no-install-recommends \
	build-essential pkg-config meson ninja-build clang llvm lld \
	libclang-rt-14-dev \
	libsystemd-dev libxml2-dev libxml2-utils libjson-c-dev \
	libnl-3-dev libnl-route-3-dev libcmocka-dev libinih-dev \
	dbus dbus-daemon polkitd \
	qemu-system-misc qemu-system-data qemu-utils \
	cpio gzip kmod util-linux iproute2 iputils-ping procps psmisc \
	openvswitch-switch \
	openssh-server openssh-client \
	resource-agents pacemaker-cli-utils pacemaker corosync crmsh \
	libfuse3-dev fuse3 \
	valgrind python3 scdoc \
	cockpit-ws cockpit-bridge cockpit-system chromium \
	>/dev/null

# The Cockpit page's toolchain (cockpit/package-lock.json): the machine's
# Node.js when it has one (20 or later for playwright-core), else Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

if [ -n "$own_policy" ]; then
	rm -f /usr/sbin/policy-rc.d
	trap - EXIT
fi

# The user QEMU runs as (zvirtd.conf: [Hypervisor] User=zvirt-qemu), which a
# package would create from data/sysusers.d/zvirtd.conf. The integration
# tests run QEMU as this user too.
if ! getent passwd zvirt-qemu >/dev/null; then
	if command -v adduser >/dev/null 2>&1; then
		adduser --system --group --no-create-home --home /nonexistent --quiet zvirt-qemu
	else
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin zvirt-qemu
	fi
fi
# /dev/kvm is root:kvm on Debian; a host without the group has no KVM to share.
if getent group kvm >/dev/null && ! id -nG zvirt-qemu | tr ' ' '\n' | grep -qx kvm; then
	usermod -a -G kvm zvirt-qemu
fi

# The page's pinned npm packages (esbuild, PatternFly, xterm.js, and
# playwright-core for the browser test, which drives Debian's chromium).
(cd "$(dirname "$0")/../cockpit" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
