#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# flaky_native_crash.sh - what flaky_blk's crashing faults do to a host that
# loads the driver natively: each one boots its own test host, loads
# flaky_blk.ko with fault=FAULT fault_after=10, reads with dd, and expects
# the whole test host to die (testhost exit 125) with the kernel's own
# report on the console.  This is the baseline drvbox exists to avoid.
#
# Run it on the BUILD machine, from the tree root, after `make KVER=...`;
# it cannot run inside the test host (it kills its host).  Not part of
# `make check`.  See docs/testing.md.
#
#   selftests/host-tests/flaky_native_crash.sh [--kernel KVER] [FAULT...]
#
# FAULT: panic, oops, bug (default: all three) or hang.  A hang spins with
# interrupts off; nothing in the test host ends it, so it expects the
# testhost timeout (exit 124, TESTHOST_TIMEOUT, here 120 s by default)
# after the injection line.  Logs: build/host-tests/.
# Ends with "N passed, N failed"; exit 1 if anything failed.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
. selftests/lib/kernels.sh

kver=""
faults=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kver="${2:?--kernel needs a version}"; shift 2 ;;
	-h|--help) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	panic|oops|bug|hang) faults+=("$1"); shift ;;
	*) echo "flaky_native_crash: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
[ -n "$kver" ] || kver="$(drvbox_kernels | tail -n1)"
[ ${#faults[@]} -gt 0 ] || faults=(panic oops bug)
ko="build/$kver/selftests/drivers/flaky_blk.ko"
[ -r "$ko" ] || { echo "flaky_native_crash: $ko not built (make KVER=$kver)" >&2; exit 1; }
logs="build/host-tests"
mkdir -p "$logs"

# What the console must show for each fault, besides the injection line.
declare -A expect=(
	[panic]='Kernel panic - not syncing: flaky_blk: injected panic after 10 requests'
	[oops]='general protection fault'
	[bug]='list_del corruption'
	[hang]=''
)

passed=0 failed=0
for f in "${faults[@]}"; do
	log="$logs/flaky_native_crash-$kver-$f.log"
	want=125 timeout=600
	[ "$f" = hang ] && { want=124; timeout="${TESTHOST_TIMEOUT:-120}"; }
	# Console loglevel 8 so the pr_info injection line reaches the serial log.
	# One line: testhost passes the command through printf %q, which quotes
	# a newline as $'\n', and the test host's sh does not read that.
	cmd="echo 8 > /proc/sys/kernel/printk; insmod $ko fault=$f fault_after=10 || exit 3;"
	cmd+=" [ -b /dev/flakyb0 ] || exit 3;"
	cmd+=" dd if=/dev/flakyb0 of=/dev/null bs=4k count=100 iflag=direct;"
	cmd+=" echo flaky_native_crash: dd returned \$?; exit 0"
	start=$(date +%s)
	TESTHOST_TIMEOUT=$timeout selftests/testhost --kernel "$kver" -- sh -c "$cmd" > "$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	why=""
	[ "$rc" = "$want" ] || why="testhost exit $rc, expected $want"
	grep -q "flaky_blk: injecting $f after 10 requests" "$log" ||
		why="${why:+$why; }no 'injecting $f after 10 requests' line"
	if [ -n "${expect[$f]}" ]; then
		grep -qF "${expect[$f]}" "$log" || why="${why:+$why; }no '${expect[$f]}' line"
		grep -q 'Kernel panic - not syncing' "$log" || why="${why:+$why; }no kernel panic line"
	fi
	if [ "$f" = bug ]; then
		grep -q 'kernel BUG at' "$log" || why="${why:+$why; }no 'kernel BUG at' line"
	fi
	if [ -z "$why" ]; then
		passed=$((passed + 1))
		echo "ok - $kver: fault=$f took the host down (exit $rc, ${secs}s): $(grep -m1 'Kernel panic' "$log" || echo 'hung')"
	else
		failed=$((failed + 1))
		tail -n 30 "$log" | sed 's/^/# /'
		echo "not ok - $kver: fault=$f: $why (log: $log)"
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
