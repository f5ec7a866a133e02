#!/bin/sh
# The whole test suite, as CI runs it, on a fresh Debian bookworm machine
# as root: installs what it needs, builds the test guest, builds zvirtd
# with -Werror under ASan+UBSan and runs every test; then the unit tests
# once more under valgrind on a plain build, and the memory tests there.
set -eu

cd "$(dirname "$0")/.."

sh tools/install-deps.sh

# The real s390x guest the integration tests boot (cached by version).
ZVIRT_GUEST_DIR=$(sh tests/guest/build-guest.sh | tail -n 1)
export ZVIRT_GUEST_DIR

setup() {
	dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}

# meson test, and on failure the reasons at the end of the output.
run() {
	dir=$1
	shift
	meson test -C "$dir" --print-errorlogs "$@" || {
		sh tools/test-failures.sh "$dir"
		exit 1
	}
}

# ASan's leak checker at exit; QEMU children are not instrumented.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

setup build-ci -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-ci
run build-ci --num-processes 2

# valgrind: the unit tests, and the daemon of every integration test (the
# harness runs it under ZVIRTD_WRAPPER and fails on an unclean exit).
VALGRIND='valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --quiet'
setup build-valgrind -Dwerror=true
ninja -C build-valgrind
run build-valgrind --suite unit --wrapper "$VALGRIND"
export ZVIRTD_WRAPPER="$VALGRIND"
run build-valgrind --suite integration --num-processes 2
unset ZVIRTD_WRAPPER

# RSS after hostile calls means something only without valgrind and ASan:
# the "memory" suite once more on the plain build, the daemon unwrapped.
run build-valgrind --suite memory
