#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Cost of idle driver domains: host CPU and MemAvailable with 0, 1, 2, 4
# and 8 idle null_blk domains (128 MiB, 1 vCPU each).  The paper's anchor
# is ~0.12% of a CPU per extra driver VM.
. "$(dirname "$0")/../lib.sh"

window=$(quick_or 60 20)
counts=(0 1 2 4 8)
bench_start

points=()
up=0
for n in "${counts[@]}"; do
	while [ "$up" -lt "$n" ]; do
		bench_domain_up "idle$up" --driver null_blk --mem 128 --cpus 1
		up=$((up + 1))
	done
	sleep 5		# let the last boot's work drain
	sync; echo 3 > /proc/sys/vm/drop_caches
	mem=$(mem_available_kib)
	cpu=$(cpu_busy_pct "$window")
	log "$n idle domain(s): host CPU ${cpu}% of one CPU over ${window} s, MemAvailable ${mem} KiB"
	points+=("{\"domains\": $n, \"cpu_pct\": $cpu, \"mem_available_kib\": $mem}")
done
rss=0
for p in $(pgrep -x drvbox-vmm); do
	rss=$((rss + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status")))
done
cat > "$BENCH_OUT/idle.json" <<JSON
{"window_s": $window, "guest_mem_mib": 128, "vmm_rss_kib_total": $rss,
 "vmm_count": $up, "points": [$(IFS=,; echo "${points[*]}")]}
JSON
