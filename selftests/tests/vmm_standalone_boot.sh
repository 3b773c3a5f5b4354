#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox-vmm --standalone boots the running kernel as a KVM guest with an
# initramfs it builds: /init binds the stub, loads null_blk (with its
# dependency) and brd, and reports nullb0 and ram0; the stub's
# /dev/drvbox_stub takes the results.  The two modules are given by path
# as .ko.zst and .ko.gz, which the VMM unpacks (configfs comes from
# null_blk.ko.zst's own modinfo, and is the kernel's .ko.xz on 6.12).
# Two vCPUs, so the MP table and SMP bring-up are exercised.
. "$(dirname "$0")/../lib/common.sh"

VMM="$TOOLS/drvbox-vmm"
[ -x "$VMM" ] || fail "$VMM not built (make)"
[ -r "$STUB_KO" ] || fail "$STUB_KO not built (make KVER=$KVER)"
[ -c /dev/kvm ] || skip "no /dev/kvm"
command -v zstd >/dev/null || fail "zstd not installed (scripts/install-deps)"
W="$(mktemp -d)"
log="$W/console.log"
trap 'rm -rf "$W"' EXIT

# plain_module NAME: KVER's module NAME, unpacked, on stdout
plain_module() {
	local f
	f=$(modinfo -k "$KVER" -n "$1") || fail "no $1 module for $KVER"
	case "$f" in
	*.ko.xz) xz -dc "$f" ;;
	*.ko.zst) zstd -qdc "$f" ;;
	*.ko.gz) gzip -dc "$f" ;;
	*) cat "$f" ;;
	esac
}
plain_module null_blk | zstd -q -o "$W/null_blk.ko.zst" ||
	fail "cannot make null_blk.ko.zst"
plain_module brd | gzip -c >"$W/brd.ko.gz" || fail "cannot make brd.ko.gz"

start=$(date +%s%N)
"$VMM" --standalone --kernel "/boot/vmlinuz-$KVER" \
	--module "$W/null_blk.ko.zst" --module "$W/brd.ko.gz" \
	--param null_blk.gb=1 --param brd.rd_nr=1 --param brd.rd_size=1024 \
	--cpus 2 --mem 256 --log "$log" --timeout 300 2>"$log.err" &
pid=$!
# SIGTERM once the guest reported its devices: a clean stop, exit status 0.
for _ in $(seq 1 2400); do
	grep -q '^drvbox-init: dev blk nullb0' "$log" &&
		grep -q '^drvbox-init: dev blk ram0' "$log" && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
sed 's/^/# console: /' "$log" | tail -n 30
sed 's/^/# vmm: /' "$log.err"
[ $rc = 0 ] || fail "drvbox-vmm exited with $rc, expected 0 (stopped by SIGTERM)"
grep -q '^=== drvbox: standalone incarnation 1 started at ' "$log" ||
	fail "no start marker in the console log"
grep -q '^=== drvbox: standalone incarnation 1 ended: stopped by Terminated ===$' "$log" ||
	fail "no end marker for the SIGTERM in the console log"
grep -q '^drvbox-init: drvbox_stub.ko bound to ' "$log" || fail "stub not bound"
grep -q '^drvbox-init: loaded configfs\.ko (' "$log" ||
	fail "configfs (null_blk.ko.zst's dependency) not loaded unpacked"
grep -q '^drvbox-init: loaded null_blk\.ko gb=1 (' "$log" ||
	fail "null_blk.ko.zst not loaded unpacked with gb=1"
grep -q '^drvbox-init: loaded brd\.ko rd_nr=1 rd_size=1024 (' "$log" ||
	fail "brd.ko.gz not loaded unpacked with its parameters"
grep -q '^drvbox-init: dev blk nullb0 1073741824$' "$log" ||
	fail "nullb0 not reported with 1 GiB (gb=1 not passed?)"
grep -q '^drvbox-init: dev blk ram0 1048576$' "$log" ||
	fail "ram0 not reported with 1 MiB"
if grep -q '/dev/drvbox_stub: ' "$log"; then
	fail "init could not talk to the stub: $(grep '/dev/drvbox_stub: ' "$log" | head -n1)"
fi
# A soft lockup report only says the emulator starved a vCPU (nested
# under TCG on a busy machine); anything else is the guest's own trouble.
if grep 'Kernel panic\|BUG:\|WARNING:' "$log" | grep -qv 'soft lockup'; then
	fail "guest kernel complained: $(grep 'Kernel panic\|BUG:\|WARNING:' "$log" | head -n1)"
fi
log "booted $KVER (2 vCPUs) to nullb0 in about $ms ms wall, VMM setup included"
