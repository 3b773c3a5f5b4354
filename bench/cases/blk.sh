#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Block I/O, isolated vs native, in one run: fio against null_blk loaded in
# the test host's own kernel (native) and against the /dev/vdX of the same
# driver in a domain (isolated): 4k random read/write at iodepth 1 and 32,
# 128k sequential read/write.  Then the recovery time: a guest panic while
# a reader polls the disk, to the first read that completes afterwards.
. "$(dirname "$0")/../lib.sh"

runtime=$(quick_or 10 4)
recoveries=$(quick_or 10 3)
NULLB_PARAMS=(gb=1 bs=512 irqmode=0 submit_queues=2 hw_queue_depth=64)
command -v fio >/dev/null || fail "fio is not installed (make install-deps)"
bench_start
trap 'stop_all_domains; rmmod drvbox 2>/dev/null; rmmod null_blk 2>/dev/null' EXIT

# fio_job DEV RW BS IODEPTH: one job's summary (bench/fio_summary.py)
fio_job() {
	local out
	out=$(mktemp)
	fio --name=b --filename="$1" --direct=1 --ioengine=libaio --rw="$2" \
		--bs="$3" --iodepth="$4" --numjobs=1 --time_based \
		--runtime="$runtime" --ramp_time=1 --output-format=json \
		--output="$out" >/dev/null || fail "fio $* failed"
	python3 "$(dirname "$0")/../fio_summary.py" "$out"
	rm -f "$out"
}

# fio_suite DEV: every workload on DEV as one JSON object
fio_suite() {
	local dev=$1 sep="" spec name rw bs qd
	echo -n "{"
	for spec in randread4k_qd1:randread:4k:1 randread4k_qd32:randread:4k:32 \
		    randwrite4k_qd1:randwrite:4k:1 randwrite4k_qd32:randwrite:4k:32 \
		    seqread128k:read:128k:8 seqwrite128k:write:128k:8; do
		IFS=: read -r name rw bs qd <<< "$spec"
		log "fio $name on $dev"
		echo -n "$sep\"$name\": $(fio_job "$dev" "$rw" "$bs" "$qd")"
		sep=", "
	done
	echo "}"
}

modprobe null_blk "${NULLB_PARAMS[@]}" || fail "modprobe null_blk failed"
native=$(fio_suite /dev/nullb0)
rmmod null_blk || fail "rmmod null_blk failed"

params=()
for p in "${NULLB_PARAMS[@]}"; do params+=(--param "null_blk.$p"); done
bench_domain_up nb0 --driver null_blk "${params[@]}" --export blk:nullb0 --cpus 2
vd=$("$DRVBOX" ls --json | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    if d["name"] == "nb0":
        print(d["exports"][0]["host_dev"])')
[ -b "/dev/$vd" ] || fail "no host block device for nb0's export (got '$vd')"
isolated=$(fio_suite "/dev/$vd")

# Recovery: a 4k direct reader in a loop stamps each completed read; the
# gap that contains the panic is the outage the host saw.
recov=()
for i in $(seq 1 "$recoveries"); do
	stamps=$(mktemp)
	( while :; do
		dd if="/dev/$vd" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null &&
			now_ms >> "$stamps"
	  done ) &
	reader=$!
	sleep 1
	inc=$(dom_attr nb0 incarnation)
	t0=$(now_ms)
	"$DRVBOX" crash nb0 --how panic >/dev/null || fail "crash nb0 failed"
	wait_until 300 "nb0 back" dom_attr_gt nb0 incarnation "$inc"
	wait_until 300 "nb0 running" dom_state_is nb0 running
	sleep 2		# reads after the recovery are stamped by now
	# the read after the largest gap following the crash request
	t_first=$(awk -v t="$t0" '$1 > t { if (prev && $1 - prev > gap) {
		gap = $1 - prev; first = $1 } } { prev = $1 }
		END { if (first) print first }' "$stamps")
	kill "$reader"; wait "$reader" 2>/dev/null
	rm -f "$stamps"
	[ -n "$t_first" ] || fail "no read completed after recovery $i"
	recov+=("$((t_first - t0))")
	log "recovery $i: panic to first completed read $((t_first - t0)) ms"
done
cat > "$BENCH_OUT/blk.json" <<JSON
{"runtime_s": $runtime, "null_blk_params": "${NULLB_PARAMS[*]}",
 "null_blk": {"native": $native, "isolated": $isolated},
 "recovery_ms": $(json_array "${recov[@]}")}
JSON
