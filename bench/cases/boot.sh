#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Domain boot time (drvbox run -> running, as drvbox.ko measures it in
# boot_ms) and recovery time after a guest panic (crash -> the next
# incarnation running), each over several runs.
. "$(dirname "$0")/../lib.sh"

runs=$(quick_or 20 5)
bench_start

boots=()
for i in $(seq 1 "$runs"); do
	bench_domain_up boot0 --driver null_blk --mem 128
	boots+=("$(dom_attr boot0 boot_ms)")
	"$DRVBOX" stop boot0 >/dev/null || fail "stop boot0 failed"
done
log "boot_ms over $runs runs: ${boots[*]}"

recov=()
bench_domain_up rec0 --driver null_blk --mem 128
for i in $(seq 1 "$runs"); do
	inc=$(dom_attr rec0 incarnation)
	t0=$(now_ms)
	"$DRVBOX" crash rec0 --how panic >/dev/null || fail "crash rec0 failed"
	wait_until 300 "rec0 incarnation $((inc + 1))" dom_attr_gt rec0 incarnation "$inc"
	wait_until 300 "rec0 running" dom_state_is rec0 running
	recov+=("$(( $(now_ms) - t0 ))")
done
log "panic -> running (ms) over $runs runs: ${recov[*]}"
cat > "$BENCH_OUT/boot.json" <<JSON
{"runs": $runs, "boot_ms": $(json_array "${boots[@]}"),
 "panic_to_running_ms": $(json_array "${recov[@]}")}
JSON
