#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo/demo.sh - what `make demo` runs on the build machine (docs/demo.md):
#   1. flaky_blk loaded natively over an nvme, its panic fired mid-copy:
#      the whole (test) host goes down.  Its own short test-host boot.
#   2. the same driver isolated by drvbox over the nvme passed through with
#      VFIO: the same panic mid-copy, the domain restarts, the copy finishes
#      with matching checksums; drvbox upgrade swaps in a flaky_blk without
#      the fault under the mounted file system; the host's log is clean.
#   3. e1000e isolated via passthrough, its eth0 exported to the host:
#      ping and iperf3 to the native NIC, a panic in the middle of an
#      iperf3 run, the carrier drops and comes back, iperf3 finishes.
#   4. a summary table.
# Steps 2 and 3 run in one test-host boot (demo/inside.sh).  Any claim that
# is not true ends it with "DEMO FAILED: why" and exit status 1.
set -uo pipefail
cd "$(dirname "$0")/.."
. selftests/lib/kernels.sh

kver=""
case "${1:-}" in
--kernel) kver="${2:?--kernel needs a version}" ;;
-h|--help) sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//'; echo "Usage: demo/demo.sh [--kernel KVER]"; exit 0 ;;
"") ;;
*) echo "demo.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac
[ -n "$kver" ] || kver="$(drvbox_kernels | tail -n1)"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\n\033[1;31mDEMO FAILED: %s\033[0m\n' "$*"; exit 1; }
start=$(date +%s)

say "Building drvbox for $kver (drvbox.ko, drvbox_stub.ko, flaky_blk.ko, tools)"
make -s KVER="$kver" modules tools || die "the build failed"
out="build/demo/$kver"
mkdir -p "$out" || die "cannot create $out"
rm -f "$out"/step*

# ---- 1. natively ----
say "Step 1: load the flaky driver natively (Linux $kver in the QEMU test host) and let it crash"
echo "flaky_blk.ko is an ordinary out-of-tree block driver with a bug we can trigger (a panic in"
echo "its request handler).  Loaded into the host's own kernel, its crash is the host's crash."
log1="$out/step1.log"
t1=$(date +%s)
TESTHOST_TIMEOUT=900 selftests/testhost --kernel "$kver" -- demo/step1_native.sh 2>&1 | tee "$log1"
rc=${PIPESTATUS[0]}
s1=$(( $(date +%s) - t1 ))
[ "$rc" = 125 ] || die "step 1: the test host did not die (testhost exit $rc, expected 125; log $log1)"
grep -q 'flaky_blk: injecting panic after' "$log1" || die "step 1: no 'flaky_blk: injecting panic' on the console"
grep -q 'Kernel panic - not syncing: flaky_blk: injected panic' "$log1" ||
	die "step 1: no 'Kernel panic - not syncing: flaky_blk' on the console"
grep -q 'DEMO FAILED' "$log1" && die "step 1: the script inside failed before the fault"
mib1=$(grep -oE '[0-9]+ MiB copied' "$log1" | tail -n1 | cut -d' ' -f1)
say "Step 1 result: the test host is gone (testhost exit 125, after ${s1} s). Its console said:"
grep -E 'flaky_blk: injecting|Kernel panic - not syncing|RIP: .*flaky|flaky_queue_rq' "$log1" | head -n 6 | sed 's/^/    /'
echo "Every program on that host died with it; the copy stopped at ${mib1:-0} MiB."
printf '1|flaky_blk over nvme, native|host died|until someone reboots it|%s MiB, then nothing|host panicked\n' \
	"${mib1:-0}" > "$out/step1"

# ---- 2 and 3, isolated ----
say "Steps 2 and 3: boot $kver in a fresh test host, load drvbox.ko, isolate the drivers"
echo "(each driver domain is a nested KVM guest under emulation: a boot takes 1-3 minutes here)"
t2=$(date +%s)
TESTHOST_TIMEOUT=3000 selftests/testhost --kernel "$kver" -- demo/inside.sh 2>&1 | tee "$out/inside.log"
rc=${PIPESTATUS[0]}
s2=$(( $(date +%s) - t2 ))
[ "$rc" = 0 ] || die "steps 2-3: $(grep -m1 'DEMO FAILED' "$out/inside.log" || echo "testhost exit $rc") (log $out/inside.log)"
for s in 2 3; do
	[ -s "$out/results/step$s" ] || die "step $s left no figures in $out/results/step$s"
done

# ---- 4. summary ----
say "Step 4: summary ($kver)"
{
	echo "step|driver|restarts|outage|data moved|errors"
	echo "-|-|-|-|-|-"
	cat "$out/step1" "$out/results/step2" "$out/results/step3"
} | column -t -s'|' | sed 's/^/    /'
e2=$(cut -d'|' -f6 "$out/results/step2")
e3=$(cut -d'|' -f6 "$out/results/step3")
[ "$e2" = 0 ] && [ "$e3" = 0 ] || die "errors counted in the summary (step 2: $e2, step 3: $e3)"
echo
echo "Wall time: step 1 ${s1} s, steps 2-3 ${s2} s, all $(( $(date +%s) - start )) s (including the build)."
say "Demo finished: every step above checked what it showed."
