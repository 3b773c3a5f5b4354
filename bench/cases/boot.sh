#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Domain boot time (drvbox run -> running, as drvbox.ko measures it in
# boot_ms) and recovery time after a guest panic (crash -> the next
# incarnation running), each over several runs: cold boots (drvbox.ko
# boot_image=N), and incarnations started from the configuration's boot
# image (docs/recovery.md; the first run of the configuration makes it).
. "$(dirname "$0")/../lib.sh"

runs=$(quick_or 20 5)
bench_start
IMAGE_PARAM=/sys/module/drvbox/parameters/boot_image
trap 'echo Y > $IMAGE_PARAM 2>/dev/null' EXIT

# boots NAME: $runs runs of NAME, boot_ms of each on stdout
boots() {
	local i out=()
	for i in $(seq 1 "$runs"); do
		bench_domain_up "$1" --driver null_blk --mem 128
		out+=("$(dom_attr "$1" boot_ms)")
		"$DRVBOX" stop "$1" >/dev/null || fail "stop $1 failed"
	done
	echo "${out[@]}"
}

# recoveries NAME: $runs panics of a running NAME, ms to running again
recoveries() {
	local i inc t0 out=()
	bench_domain_up "$1" --driver null_blk --mem 128
	for i in $(seq 1 "$runs"); do
		inc=$(dom_attr "$1" incarnation)
		t0=$(now_ms)
		"$DRVBOX" crash "$1" --how panic >/dev/null || fail "crash $1 failed"
		wait_until 300 "$1 incarnation $((inc + 1))" dom_attr_gt "$1" incarnation "$inc"
		wait_until 300 "$1 running" dom_state_is "$1" running
		out+=("$(( $(now_ms) - t0 ))")
	done
	"$DRVBOX" stop "$1" >/dev/null || fail "stop $1 failed"
	echo "${out[@]}"
}

echo N > $IMAGE_PARAM || fail "cannot set drvbox.ko boot_image"
cold=($(boots boot0))
log "cold boot_ms over $runs runs: ${cold[*]}"
cold_recov=($(recoveries rec0))
log "cold: panic -> running (ms) over $runs runs: ${cold_recov[*]}"

echo Y > $IMAGE_PARAM
bench_domain_up first0 --driver null_blk --mem 128
first=$(dom_attr first0 boot_ms)
"$DRVBOX" stop first0 >/dev/null || fail "stop first0 failed"
log "first boot of the configuration (saves the image): $first ms"
restored=($(boots boot1))
log "boot_ms from the image over $runs runs: ${restored[*]}"
recov=($(recoveries rec1))
log "from the image: panic -> running (ms) over $runs runs: ${recov[*]}"

cat > "$BENCH_OUT/boot.json" <<JSON
{"runs": $runs, "boot_ms": $(json_array "${cold[@]}"),
 "panic_to_running_cold_ms": $(json_array "${cold_recov[@]}"),
 "first_boot_ms": $first,
 "restore_boot_ms": $(json_array "${restored[@]}"),
 "panic_to_running_ms": $(json_array "${recov[@]}")}
JSON
