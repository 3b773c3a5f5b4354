#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Cost of idle driver domains: host CPU and MemAvailable with 0, 1, 2, 4
# and 8 idle null_blk domains (128 MiB, 1 vCPU each), and how often their
# guests wake up (KVM's halt_wakeup, summed over every VM) and exit.  The
# paper's anchor is ~0.12% of a CPU per extra driver VM.  Wake-ups and
# exits per second are the figures that hold on any machine.
. "$(dirname "$0")/../lib.sh"

# kvm_stat NAME: KVM's counter NAME summed over every VM (debugfs), or 0
kvm_stat() { cat "/sys/kernel/debug/kvm/$1" 2>/dev/null || echo 0; }
# per_s COUNT MS: COUNT events over MS milliseconds, a second
per_s() { awk -v c="$1" -v t="$2" 'BEGIN { printf "%.2f", t ? 1000 * c / t : 0 }'; }
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug ||
	log "no debugfs: guest wake-ups are not counted"

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
	sleep "$(quick_or 15 10)"	# let the last boot's work drain
	sync; echo 3 > /proc/sys/vm/drop_caches
	mem=$(mem_available_kib)
	w0=$(kvm_stat halt_wakeup) x0=$(kvm_stat exits) t0=$(now_ms)
	cpu=$(cpu_busy_pct "$window")
	w1=$(kvm_stat halt_wakeup) x1=$(kvm_stat exits) t1=$(now_ms)
	wps=$(per_s $((w1 - w0)) $((t1 - t0)))
	xps=$(per_s $((x1 - x0)) $((t1 - t0)))
	log "$n idle domain(s): host CPU ${cpu}% of one CPU over ${window} s, MemAvailable ${mem} KiB, guest wake-ups ${wps}/s, exits ${xps}/s"
	points+=("{\"domains\": $n, \"cpu_pct\": $cpu, \"mem_available_kib\": $mem, \"guest_wakeups_per_s\": $wps, \"exits_per_s\": $xps}")
done
rss=0
for p in $(pgrep -x drvbox-vmm); do
	rss=$((rss + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status")))
done
cat > "$BENCH_OUT/idle.json" <<JSON
{"window_s": $window, "guest_mem_mib": 128, "vmm_rss_kib_total": $rss,
 "vmm_count": $up, "points": [$(IFS=,; echo "${points[*]}")]}
JSON
