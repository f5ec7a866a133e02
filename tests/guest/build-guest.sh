#!/bin/sh
# Builds the zvirtd s390x test guest (kernel + busybox initramfs) from
# Debian's own s390x packages.  Works on any host architecture: nothing
# s390x is executed here, packages are only downloaded and unpacked.
#
#   tests/guest/build-guest.sh            -> prints the guest directory
#
# Output: ${ZVIRT_GUEST_CACHE:-/var/cache/zvirtd/test-guest}/<key>/{vmlinuz,initrd.img}
# and the symlink .../current -> <key>.  <key> names the kernel and busybox
# package versions plus a short hash of the guest sources (init, inittab,
# this script), so editing the init rebuilds the initramfs.
# The directory path is the last line of stdout; progress goes to stderr.
#
# Needs: apt-get, apt-cache, dpkg-deb, cpio, gzip, find, sort, sha256sum,
# truncate;
# xz/zstd only if the kernel ships compressed modules; modinfo optional.
# Root only for `apt-get update` (run only when apt does not know the
# packages) and for the default cache directory.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${ZVIRT_GUEST_CACHE:-/var/cache/zvirtd/test-guest}
arch=s390x
kmeta=linux-image-s390x
bbpkg="busybox-static"
# Modules the guest needs; their dependencies are added from `depends=`.
want_modules="virtio_blk virtio_net virtio_scsi sr_mod sg virtio_balloon"
# Modules shipped but loaded only when a console command needs them
# (/lib/modules/demand-order): diag288_wdt fails to load without QEMU's
# diag288 device, and would print that at every boot.
demand_modules="diag288_wdt"

log() { echo "build-guest: $*" >&2; }
die() { log "error: $*"; exit 1; }

# The source hash: the initramfs content depends on these files.
srchash=$(cat "$here/build-guest.sh" "$here/init" "$here/inittab" |
	sha256sum | cut -c1-10)

# Candidate versions of both packages in one apt-cache call (each call
# costs most of a second): sets kmeta_ver and bb_ver, empty if unknown.
resolve() {
	vers=$(LC_ALL=C apt-cache policy "$kmeta:$arch" "$bbpkg:$arch" 2>/dev/null |
		awk '/^[^ ]/ { sub(/:$/, ""); p = $0 }
		     /^ *Candidate:/ && $2 != "(none)" { print p, $2 }') || vers=
	kmeta_ver=$(echo "$vers" | awk -v p="$kmeta:$arch" '$1 == p { print $2 }')
	bb_ver=$(echo "$vers" | awk -v p="$bbpkg:$arch" '$1 == p { print $2 }')
	[ -n "$kmeta_ver" ] && [ -n "$bb_ver" ]
}

# The meta package depends on exactly one ABI-named image package, with
# an exact version: "linux-image-6.1.0-50-s390x (= 6.1.176-1)".
resolve_kernel() {
	dep=$(LC_ALL=C apt-cache show "$kmeta:$arch=$kmeta_ver" 2>/dev/null |
		sed -n 's/^Depends: *//p' | head -n1 | tr ',' '\n' |
		grep -E '^ *linux-image-[0-9][^ ]*-s390x' | head -n1) || dep=
	kpkg=$(echo "$dep" | sed -n 's/^ *\(linux-image-[^ ]*\).*/\1/p')
	[ -n "$kpkg" ] ||
		die "cannot find the kernel image package that $kmeta $kmeta_ver depends on"
	kver=$(echo "$dep" | sed -n 's/.*(= *\([^)]*\)).*/\1/p')
	if [ -z "$kver" ]; then
		kver=$(LC_ALL=C apt-cache policy "$kpkg:$arch" 2>/dev/null |
			sed -n 's/^ *Candidate: *//p' | grep -v '^(none)$' | head -n1) ||
			kver=
	fi
	[ -n "$kver" ] || die "apt does not know $kpkg:$arch"
}

# What apt resolved last time, valid while apt's lists and cache are
# unchanged: "<stamp> <kernel package> <kernel version> <busybox version>".
memo=$cache/.resolved
stamp=$(stat -c %Y /var/lib/apt/lists /var/cache/apt/pkgcache.bin \
	/var/lib/dpkg/arch 2>/dev/null | tr '\n' .) || stamp=
kpkg=''
kver=''
bb_ver=''
if [ -n "$stamp" ] && [ -f "$memo" ]; then
	# shellcheck disable=SC2034
	read -r m_stamp m_kpkg m_kver m_bb <"$memo" || m_stamp=
	if [ "$m_stamp" = "$stamp" ]; then
		kpkg=$m_kpkg kver=$m_kver bb_ver=$m_bb
	fi
fi

if [ -z "$kpkg" ]; then
	if ! resolve; then
		if ! dpkg --print-foreign-architectures 2>/dev/null | grep -qx "$arch"; then
			[ "$(id -u)" -eq 0 ] ||
				die "dpkg foreign architecture $arch is not enabled (run tools/install-deps.sh as root)"
			log "enabling dpkg foreign architecture $arch"
			dpkg --add-architecture "$arch"
		fi
		if [ "$(id -u)" -eq 0 ]; then
			log "apt does not know $kmeta:$arch / $bbpkg:$arch; running apt-get update"
			apt-get update -qq >&2 || log "apt-get update failed"
		fi
		if ! resolve; then
			# Offline and nothing resolvable: use the last good guest.
			if [ -f "$cache/current/vmlinuz" ] && [ -f "$cache/current/initrd.img" ]; then
				log "warning: cannot resolve package versions; using the cached guest"
				(cd "$cache/current" && pwd -P)
				exit 0
			fi
			die "cannot resolve $kmeta:$arch and $bbpkg:$arch with apt-cache"
		fi
		# apt-get update changed the lists.
		stamp=$(stat -c %Y /var/lib/apt/lists /var/cache/apt/pkgcache.bin \
			/var/lib/dpkg/arch 2>/dev/null | tr '\n' .) || stamp=
	fi
	resolve_kernel
	if [ -n "$stamp" ] && mkdir -p "$cache" 2>/dev/null; then
		if echo "$stamp $kpkg $kver $bb_ver" >"$memo.$$" 2>/dev/null; then
			mv -f "$memo.$$" "$memo"
		fi
	fi
fi

key=$(printf '%s_%s_busybox_%s_%s' "$kpkg" "$kver" "$bb_ver" "$srchash" |
	sed 's/:/%3a/g; s|/|-|g')
out=$cache/$key

# Point `current` at $out atomically (rename of a fresh symlink).
set_current() {
	if [ "$(readlink "$cache/current" 2>/dev/null || true)" != "$key" ]; then
		ln -sfn "$key" "$cache/.current.$$"
		mv -fT "$cache/.current.$$" "$cache/current"
	fi
}

if [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
	set_current
	echo "$out"
	exit 0
fi

mkdir -p "$cache" || die "cannot create $cache (set ZVIRT_GUEST_CACHE or run as root)"

work=$(mktemp -d "$cache/.build.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Serialise concurrent builders; the loser finds the finished guest.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
	if [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
		set_current
		echo "$out"
		exit 0
	fi
fi

log "building $key"
log "downloading $kpkg:$arch=$kver and $bbpkg:$arch=$bb_ver"
mkdir -p "$work/debs" "$work/pkg" "$work/root"
(cd "$work/debs" &&
	apt-get download -q -o APT::Sandbox::User=root \
		"$kpkg:$arch=$kver" "$bbpkg:$arch=$bb_ver" >&2) ||
	die "apt-get download failed"
for deb in "$work"/debs/*.deb; do
	dpkg-deb -x "$deb" "$work/pkg"
done

pkg=$work/pkg
root=$work/root

vmlinuz=$(find "$pkg/boot" -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | head -n1)
[ -n "$vmlinuz" ] || die "no /boot/vmlinuz-* in $kpkg"
busybox=$pkg/bin/busybox
[ -f "$busybox" ] || busybox=$pkg/usr/bin/busybox
[ -f "$busybox" ] || die "no busybox binary in $bbpkg"

moddir=
for d in "$pkg"/lib/modules/* "$pkg"/usr/lib/modules/*; do
	[ -d "$d/kernel" ] && moddir=$d && break
done
[ -n "$moddir" ] || die "no lib/modules/<version>/kernel in $kpkg"

# ---- initramfs tree -------------------------------------------------------
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
	"$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/run" \
	"$root/tmp" "$root/root" "$root/lib/modules"
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/init" "$root/init"
chmod 0755 "$root/init"
cp "$here/inittab" "$root/etc/inittab"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo zvirt-guest >"$root/etc/hostname"

# ---- kernel modules -------------------------------------------------------
# Locate <name>.ko* (module names use '_', file names may use '-').
find_module() {
	f=$(find "$moddir/kernel" \( -name "$1.ko" -o -name "$1.ko.*" \) | head -n1)
	if [ -z "$f" ]; then
		alt=$(echo "$1" | tr '_' '-')
		f=$(find "$moddir/kernel" \( -name "$alt.ko" -o -name "$alt.ko.*" \) | head -n1)
	fi
	[ -n "$f" ] || die "module $1 not found in $kpkg"
	echo "$f"
}

# Copy a module uncompressed to $root/lib/modules/<name>.ko.
stage_module() {
	case $2 in
	*.ko) cp "$2" "$root/lib/modules/$1.ko" ;;
	*.ko.xz) xz -dc "$2" >"$root/lib/modules/$1.ko" ;;
	*.ko.zst) zstd -qdc "$2" >"$root/lib/modules/$1.ko" ;;
	*.ko.gz) gzip -dc "$2" >"$root/lib/modules/$1.ko" ;;
	*) die "unknown module format: $2" ;;
	esac
}

# The `depends=` field of a staged (uncompressed) .ko.
module_depends() {
	d=
	if command -v modinfo >/dev/null 2>&1; then
		d=$(modinfo -F depends "$1" 2>/dev/null) || d=
	fi
	if [ -z "$d" ]; then
		# .modinfo strings are NUL separated.
		d=$(tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -n1)
	fi
	echo "$d" | tr ',' ' '
}

# Depth-first: dependencies first, each module once.
order=
visiting=
add_module() {
	case " $order " in *" $1 "*) return 0 ;; esac
	case " $visiting " in *" $1 "*) die "module dependency cycle at $1" ;; esac
	visiting="$visiting $1"
	src=$(find_module "$1")
	stage_module "$1" "$src"
	for dep in $(module_depends "$root/lib/modules/$1.ko"); do
		add_module "$dep"
	done
	order="$order $1"
}
for m in $want_modules; do
	add_module "$m"
done
: >"$root/lib/modules/load-order"
for m in $order; do
	echo "$m" >>"$root/lib/modules/load-order"
done
log "modules (load order):$order"
boot_order=$order
for m in $demand_modules; do
	add_module "$m"
done
: >"$root/lib/modules/demand-order"
for m in $order; do
	case " $boot_order " in *" $m "*) ;; *) echo "$m" >>"$root/lib/modules/demand-order" ;; esac
done
log "modules (on demand): $(tr '\n' ' ' <"$root/lib/modules/demand-order")"

# ---- pack -----------------------------------------------------------------
mkdir -p "$work/out"
cp "$vmlinuz" "$work/out/vmlinuz"
# Pad the kernel image with zeros (sparse) to 32 MiB, or 6 times its size
# if that is more.  Why: QEMU 7.2 under TCG keeps the translated code of
# the old kernel across a reset, and the s390 decompressor then writes the
# new kernel byte by byte into pages that still hold translated code; each
# write takes TCG's self-modifying-code path and a reboot or system_reset
# takes 60-110 s instead of 4 s.  QEMU reloads the whole -kernel file into
# guest memory at every reset, which drops the stale code of that range,
# so a kernel file that covers the decompressor's output area (and the old
# kernel text) makes reboots as fast as the first boot.  The decompressor
# ignores the trailing zeros; QEMU puts the initrd after the file.
ksize=$(wc -c <"$work/out/vmlinuz")
pad_mib=$(((ksize * 6 + 1048575) / 1048576))
[ "$pad_mib" -ge 32 ] || pad_mib=32
truncate -s "${pad_mib}M" "$work/out/vmlinuz"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$work/out/initrd.img"
{
	echo "kernel_package=$kpkg"
	echo "kernel_version=$kver"
	echo "kernel_release=$(basename "$moddir")"
	echo "kernel_image_bytes=$ksize"
	echo "kernel_padded_mib=$pad_mib"
	echo "busybox_version=$bb_ver"
	echo "source_hash=$srchash"
	echo "modules=${boot_order# }"
	echo "demand_modules=$(tr '\n' ' ' <"$root/lib/modules/demand-order" | sed 's/ $//')"
} >"$work/out/guest.info"

rm -rf "$out"
mv "$work/out" "$out"
set_current
# Older builds stay: a test that resolved their path may still use them.
log "guest ready: $out (vmlinuz $ksize bytes padded to $pad_mib MiB, initrd.img $(wc -c <"$out/initrd.img") bytes)"
echo "$out"
