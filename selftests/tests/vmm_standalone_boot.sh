#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox-vmm --standalone boots the running kernel as a KVM guest with an
# initramfs it builds: /init loads the stub and null_blk (with its
# dependency) and reports nullb0; the stub's /dev/drvbox_stub takes the
# results.  Two vCPUs, so the MP table and SMP bring-up are exercised.
. "$(dirname "$0")/../lib/common.sh"

VMM="$TOOLS/drvbox-vmm"
[ -x "$VMM" ] || fail "$VMM not built (make)"
[ -r "$STUB_KO" ] || fail "$STUB_KO not built (make KVER=$KVER)"
[ -c /dev/kvm ] || skip "no /dev/kvm"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

start=$(date +%s%N)
"$VMM" --standalone --kernel "/boot/vmlinuz-$KVER" --module null_blk \
	--param null_blk.gb=1 --cpus 2 --mem 256 --log "$log" --timeout 300 \
	2>"$log.err" &
pid=$!
# SIGTERM once the guest reported its device: a clean stop, exit status 0.
for _ in $(seq 1 2400); do
	grep -q '^drvbox-init: dev blk nullb0' "$log" && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
sed 's/^/# console: /' "$log" | tail -n 30
sed 's/^/# vmm: /' "$log.err"
rm -f "$log.err"
[ $rc = 0 ] || fail "drvbox-vmm exited with $rc, expected 0 (stopped by SIGTERM)"
grep -q '^=== drvbox: standalone incarnation 1 started at ' "$log" ||
	fail "no start marker in the console log"
grep -q '^=== drvbox: standalone incarnation 1 ended: stopped by Terminated ===$' "$log" ||
	fail "no end marker for the SIGTERM in the console log"
grep -q '^drvbox-init: drvbox_stub.ko bound to ' "$log" || fail "stub not bound"
grep -q '^drvbox-init: loaded null_blk.ko.* gb=1' "$log" ||
	fail "null_blk not loaded with gb=1"
grep -q '^drvbox-init: dev blk nullb0 1073741824$' "$log" ||
	fail "nullb0 not reported with 1 GiB (gb=1 not passed?)"
if grep -q '/dev/drvbox_stub: ' "$log"; then
	fail "init could not talk to the stub: $(grep '/dev/drvbox_stub: ' "$log" | head -n1)"
fi
# A soft lockup report only says the emulator starved a vCPU (nested
# under TCG on a busy machine); anything else is the guest's own trouble.
if grep 'Kernel panic\|BUG:\|WARNING:' "$log" | grep -qv 'soft lockup'; then
	fail "guest kernel complained: $(grep 'Kernel panic\|BUG:\|WARNING:' "$log" | head -n1)"
fi
log "booted $KVER (2 vCPUs) to nullb0 in about $ms ms wall, VMM setup included"
