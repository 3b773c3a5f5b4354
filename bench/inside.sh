#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench/inside.sh OUTDIR [CASE...]: run the benchmark cases inside the test
# host (bench/run starts it).  Each case writes OUTDIR/<case>.json,
# replacing only its own; this script adds OUTDIR/meta.json and exits
# non-zero if any case failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export BENCH_OUT="${1:?usage: bench/inside.sh OUTDIR [CASE...]}"
shift
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(blk nvme net netmq idle boot scale)
mkdir -p "$BENCH_OUT"
# Only the cases run now start afresh: `bench/run blk` after a full run
# replaces blk's figures and keeps the others (each case measures native
# and isolated in the same test host; meta.json names the newest run).
for c in "${cases[@]}"; do rm -f "$BENCH_OUT/$c.json"; done

failed=()
for c in "${cases[@]}"; do
	echo "==> bench case $c (QUICK=${QUICK:-0})"
	t0=$(date +%s)
	if "$here/cases/$c.sh"; then
		echo "==> $c done in $(( $(date +%s) - t0 )) s"
	else
		echo "==> $c FAILED after $(( $(date +%s) - t0 )) s"
		failed+=("$c")
	fi
done
cat > "$BENCH_OUT/meta.json" <<JSON
{"kernel": "$(uname -r)", "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "quick": ${QUICK:-0}, "testhost_cpus": $(nproc),
 "kmod_params": "${BENCH_KMOD_PARAMS:-}",
 "testhost_mem_kib": $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo),
 "cases": "${cases[*]}", "failed": "${failed[*]}"}
JSON
[ ${#failed[@]} -eq 0 ] || { echo "==> failed cases: ${failed[*]}"; exit 1; }
