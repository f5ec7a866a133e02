#!/bin/sh
# Prints why the tests of the last `meson test` in BUILD_DIR failed: the
# assertion, harness and sanitizer lines of every failed test, taken from
# meson's full log. meson shows only the last 100 lines of a failed test,
# which are usually the daemon's log, so the reason itself can be cut off.
#
#   tools/test-failures.sh BUILD_DIR
set -eu

log=$1/meson-logs/testlog.txt
[ -f "$log" ] || exit 0
echo "==== why the failed tests failed (from $log) ===="
awk '
/^=+ [0-9]+\/[0-9]+ =+$/ { test = ""; failed = 0; next }
/^test: / { sub(/^test: +/, ""); test = $0; next }
/^result: / { failed = ($0 !~ /exit status 0$/ && $0 !~ /skipped/); next }
# A cmocka message can span lines (a command output): keep them up to
# the [ LINE ] that ends it.
failed && inmsg && !/\[   LINE   \]/ {
	print test ":   " $0
	if (++inmsg > 40) inmsg = 0
	if (++n >= 200) { print "(more in " FILENAME ")"; exit }
	next
}
{ inmsg = 0 }
failed && /\[  ERROR   \] --- / { inmsg = 1 }
failed && (/^ERROR: / || /\[  (ERROR|FAILED) +\]/ || /\[   LINE   \]/ || /^harness: / ||
	   / within [0-9]+ ms/ || /Failure!/ || /ERROR: AddressSanitizer/ ||
	   /runtime error:/ || /^==[0-9]+== .*(Invalid|uninitialised|definitely)/) {
	print test ": " $0
	if (++n >= 200) { print "(more in " FILENAME ")"; exit }
}' "$log"
