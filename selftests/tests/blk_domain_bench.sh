#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Isolated vs native null_blk, one run each (figures, and a test that both
# serve reads without error): fio 4k randread iodepth 32 (IOPS) and 128k
# sequential read iodepth 8 (MB/s) on a prefilled 64 MiB region of
#   - null_blk in a domain, exported as /dev/vdX (drvbox_stub.ko), and
#   - null_blk loaded in the test host itself with the same parameters.
# The figures go to the TAP log and to build/bench/blk_domain_null-KVER.json.
# Under TCG the absolute numbers mean little; the ratio is the result.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
blk_domain_need
[ -d /sys/module/null_blk ] && skip "null_blk is already loaded in the test host"
modinfo null_blk >/dev/null 2>&1 || skip "no null_blk module for the test host's kernel"

D=bb0
trap '"$DRVBOX" stop $D >/dev/null 2>&1; unload_drvbox; rmmod null_blk 2>/dev/null; kvm_pin_stop' EXIT
blk_domain_load
kvm_pin_start
dmesg_mark

# bench DEV: prefill, then B_IOPS (4k randread) and B_MBPS (128k read)
bench() {
	local dev=$1 out bw
	dd if=/dev/urandom of=/dev/"$dev" bs=1M count=64 oflag=direct status=none ||
		fail "prefill /dev/$dev"
	out=$(fio --name=r4k --filename=/dev/"$dev" --direct=1 --ioengine=libaio \
		--rw=randread --bs=4k --iodepth=32 --size=64M --time_based \
		--runtime=5 --output-format=terse --terse-version=3 2>&1 | tail -n1) ||
		fail "fio 4k randread on /dev/$dev: $out"
	[ "$(echo "$out" | cut -d';' -f5)" = 0 ] || fail "fio 4k randread on /dev/$dev: errors"
	B_IOPS=$(echo "$out" | cut -d';' -f8)
	out=$(fio --name=s128k --filename=/dev/"$dev" --direct=1 --ioengine=libaio \
		--rw=read --bs=128k --iodepth=8 --size=64M --time_based \
		--runtime=5 --output-format=terse --terse-version=3 2>&1 | tail -n1) ||
		fail "fio 128k read on /dev/$dev: $out"
	[ "$(echo "$out" | cut -d';' -f5)" = 0 ] || fail "fio 128k read on /dev/$dev: errors"
	bw=$(echo "$out" | cut -d';' -f7)	# KiB/s
	B_MBPS=$((bw * 1024 / 1000000))
}

blk_domain_start $D --driver null_blk "${BLK_DOMAIN_NULL_PARAMS[@]}" \
	--export blk:nullb0 --mem 512 --cpus 2
bench "$BLK_DEV"
iso_iops=$B_IOPS iso_mbps=$B_MBPS
[ "$(blk_stat $D errors)" = 0 ] || fail "errors counted: $(blk_exports $D)"
blk_domain_stop $D

# the same null_blk, native in the test host (params without "--param null_blk.")
params=()
for p in "${BLK_DOMAIN_NULL_PARAMS[@]}"; do
	[ "$p" = --param ] || params+=("${p#null_blk.}")
done
modprobe null_blk "${params[@]}" || fail "modprobe null_blk ${params[*]}"
wait_until 5 test -e /sys/block/nullb0 || fail "no native nullb0"
[ -b /dev/nullb0 ] || mknod_blk nullb0
bench nullb0
nat_iops=$B_IOPS nat_mbps=$B_MBPS
rmmod null_blk || fail "rmmod null_blk"

log "figure: 4k randread qd32: isolated $iso_iops IOPS, native $nat_iops IOPS ($((iso_iops * 100 / (nat_iops ? nat_iops : 1)))%)"
log "figure: 128k seq read qd8: isolated $iso_mbps MB/s, native $nat_mbps MB/s ($((iso_mbps * 100 / (nat_mbps ? nat_mbps : 1)))%)"
mkdir -p "$DRVBOX_TREE/build/bench"
printf '{"kernel":"%s","isolated":{"randread4k_iops":%s,"read128k_mbps":%s},"native":{"randread4k_iops":%s,"read128k_mbps":%s}}\n' \
	"$KVER" "$iso_iops" "$iso_mbps" "$nat_iops" "$nat_mbps" \
	> "$DRVBOX_TREE/build/bench/blk_domain_null-$KVER.json"
trap - EXIT
kvm_pin_stop
unload_drvbox
dmesg_check_clean blk_domain_bench
