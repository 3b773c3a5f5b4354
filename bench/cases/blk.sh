#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Block I/O, isolated vs native, in one run, for two software block drivers:
# null_blk and flaky_blk (RAM mode, no fault).  Native: the driver loaded in
# the test host's own kernel, fio on its disk.  Isolated: the same driver
# with the same parameters in a domain, fio on the host's /dev/vdX.  Then
# the outage a host reader sees when null_blk's guest panics (the crash
# request to the first 4k read that completes afterwards), and when its
# drivers are upgraded (drvbox upgrade to the same ones).
. "$(dirname "$0")/../lib.sh"

recoveries=$(quick_or 10 3)
NULLB_PARAMS=(gb=1 bs=512 irqmode=0 submit_queues=2 hw_queue_depth=64)
FLAKY_PARAMS=(size_mb=256)
FLAKY_KO="$KBUILD/selftests/drivers/flaky_blk.ko"
command -v fio >/dev/null || fail "fio is not installed (make install-deps)"
[ -r "$FLAKY_KO" ] || fail "$FLAKY_KO not built"
bench_start
trap 'stop_all_domains; rmmod drvbox null_blk flaky_blk 2>/dev/null' EXIT

# compare MOD DISK MODULE PARAMS...: MODULE is a path (insmod) or a name
# (modprobe); prints {"native": ..., "isolated": ...}
compare() {
	local mod=$1 disk=$2 file=$3 native isolated p vd
	shift 3
	local params=("$@") dparams=()
	if [[ $file == */* ]]; then
		insmod "$file" "${params[@]}" || fail "insmod $file failed"
	else
		modprobe "$file" "${params[@]}" || fail "modprobe $file failed"
	fi
	native=$(fio_suite "/dev/$disk")
	rmmod "$mod" || fail "rmmod $mod failed"
	for p in "${params[@]}"; do dparams+=(--param "$mod.$p"); done
	bench_domain_up "b$mod" --driver "$file" "${dparams[@]}" \
		--export "blk:$disk" --cpus 2 --mem 512
	vd=$(export_host_dev "b$mod")
	[ -b "/dev/$vd" ] || fail "no host disk for b$mod's export (got '$vd')"
	isolated=$(fio_suite "/dev/$vd" "b$mod")
	# requests the guest served only because its ring watchdog found them
	# (a lost interrupt costs up to 250 ms): should be 0
	log "b$mod: $("$DRVBOX" logs "b$mod" | grep -c 'waited without an interrupt') ring-watchdog rescues in the guest log" >&2
	log "b$mod: $(blk_export_summary "b$mod")" >&2
	echo "{\"native\": $native, \"isolated\": $isolated}"
}

# (a fail inside $(...) ends only the subshell; its message is the output)
null=$(compare null_blk nullb0 null_blk "${NULLB_PARAMS[@]}") ||
	fail "null_blk: $(echo "$null" | grep -m1 'FAIL')"
flaky=$(compare flaky_blk flakyb0 "$FLAKY_KO" "${FLAKY_PARAMS[@]}") ||
	fail "flaky_blk: $(echo "$flaky" | grep -m1 'FAIL')"
"$DRVBOX" stop bflaky_blk >/dev/null || fail "stop bflaky_blk failed"

# outage CMD...: with a 4k direct reader stamping each completed read of
# bnull_blk's disk, run CMD (which ends the incarnation), wait for the next
# one running and reads flowing; prints the ms from CMD to the first read
# after the largest gap.
outage() {
	local vd stamps reader inc t0 t_run t_first
	vd=$(export_host_dev bnull_blk)
	stamps=$(mktemp)
	( while :; do
		dd if="/dev/$vd" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null &&
			now_ms >> "$stamps"
	  done ) &
	reader=$!
	sleep 1
	wait_until 300 "bnull_blk running" dom_state_is bnull_blk running
	inc=$(dom_attr bnull_blk incarnation)
	t0=$(now_ms)
	"$@" >/dev/null || fail "$* failed"
	wait_until 300 "bnull_blk back" dom_attr_gt bnull_blk incarnation "$inc"
	wait_until 300 "bnull_blk running" dom_state_is bnull_blk running
	# reads flow again once the new incarnation has re-announced the disk
	t_run=$(now_ms)
	for _ in $(seq 1 600); do
		[ "$(tail -n1 "$stamps" 2>/dev/null || echo 0)" -gt "$t_run" ] 2>/dev/null && break
		sleep 0.5
	done
	t_first=$(awk -v t="$t0" '$1 > t { if (prev && $1 - prev > gap) {
		gap = $1 - prev; first = $1 } } { prev = $1 }
		END { if (first) print first }' "$stamps")
	kill "$reader"; wait "$reader" 2>/dev/null
	rm -f "$stamps"
	[ -n "$t_first" ] || fail "no read completed after '$*'"
	echo $((t_first - t0))
}

# Recovery: the outage a panic of the guest costs that reader; then the
# outage of drvbox upgrade to the same drivers (drain, restart from the
# boot image, replay).
recov=()
for i in $(seq 1 "$recoveries"); do
	recov+=("$(outage "$DRVBOX" crash bnull_blk --how panic)")
	log "recovery $i: panic to first completed read ${recov[-1]} ms"
done
upgrade_params=()
for p in "${NULLB_PARAMS[@]}"; do upgrade_params+=(--param "null_blk.$p"); done
upgrades=()
for i in $(seq 1 "$recoveries"); do
	upgrades+=("$(outage "$DRVBOX" upgrade bnull_blk --driver null_blk "${upgrade_params[@]}")")
	log "upgrade $i: request to first completed read after the gap ${upgrades[-1]} ms"
done
upgrade_errors=$(( $(blk_stat bnull_blk errors) + $(blk_stat bnull_blk timeouts) ))
cat > "$BENCH_OUT/blk.json" <<JSON
{"fio_runtime_s": $FIO_RUNTIME, "null_blk_params": "${NULLB_PARAMS[*]}",
 "flaky_blk_params": "${FLAKY_PARAMS[*]}",
 "null_blk": $null, "flaky_blk": $flaky,
 "recovery_ms": $(json_array "${recov[@]}"),
 "upgrade_ms": $(json_array "${upgrades[@]}"), "upgrade_errors": $upgrade_errors}
JSON
