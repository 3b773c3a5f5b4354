#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# How the isolated block path scales, on null_blk (no device to wait for):
# 1. with the domain's vCPUs, hence its queues (null_blk submit_queues =
#    vCPUs, and drvbox exports one host queue per guest queue): 4k randread
#    iodepth 32, one fio job per queue, 1 and 2 vCPUs (the test host has 2
#    CPUs; more would only share them);
# 2. with the number of domains: 1, 2 and 3 one-vCPU domains, each with its
#    null_blk, read at the same time (one fio job per disk); the total.
# The native figures of the same loads (null_blk in the test host, same
# number of queues or disks) make the ratios.
. "$(dirname "$0")/../lib.sh"

command -v fio >/dev/null || fail "fio is not installed (make install-deps)"
bench_start
trap 'stop_all_domains; rmmod drvbox null_blk 2>/dev/null' EXIT
maxdom=$(quick_or 3 2)

# fio_total JOBS DEV...: 4k randread iodepth 32 on every DEV at once (JOBS
# jobs each); total IOPS
fio_total() {
	local jobs=$1 out args=() d
	shift
	for d in "$@"; do
		args+=(--name="$d" --filename="/dev/$d")
	done
	out=$(mktemp)
	fio --direct=1 --ioengine=libaio --rw=randread --bs=4k --iodepth=32 \
		--numjobs="$jobs" --time_based --runtime="$FIO_RUNTIME" \
		--ramp_time=1 --group_reporting --output-format=json \
		--output="$out" "${args[@]}" >/dev/null || fail "fio $* failed"
	python3 -c 'import json, sys
t = open(sys.argv[1]).read()
print(round(json.loads(t[t.index("{"):])["jobs"][0]["read"]["iops"], 1))' "$out"
	rm -f "$out"
}

# native_iops QUEUES DISKS: null_blk in the test host
native_iops() {
	local q=$1 n=$2 disks=() i
	modprobe null_blk nr_devices="$n" gb=1 bs=512 irqmode=0 \
		submit_queues="$q" hw_queue_depth=64 || fail "modprobe null_blk"
	for i in $(seq 0 $((n - 1))); do disks+=("nullb$i"); done
	fio_total "$q" "${disks[@]}"
	rmmod null_blk || fail "rmmod null_blk"
}

# isolated_iops VCPUS DOMAINS: that many domains, each with a null_blk of
# VCPUS queues, read at once
isolated_iops() {
	local c=$1 n=$2 disks=() i vd
	for i in $(seq 1 "$n"); do
		bench_domain_up "sc$i" --driver null_blk --param null_blk.gb=1 \
			--param null_blk.bs=512 --param null_blk.irqmode=0 \
			--param null_blk.submit_queues="$c" \
			--param null_blk.hw_queue_depth=64 \
			--export blk:nullb0 --cpus "$c" --mem 256
		vd=$(export_host_dev "sc$i")
		[ -b "/dev/$vd" ] || fail "no host disk for sc$i (got '$vd')"
		disks+=("$vd")
	done
	fio_total "$c" "${disks[@]}"
	for i in $(seq 1 "$n"); do
		"$DRVBOX" stop "sc$i" >/dev/null || fail "stop sc$i"
	done
}

vcpus="" sep=""
for c in 1 2; do
	nat=$(native_iops "$c" 1) || fail "native, $c queue(s): $nat"
	iso=$(isolated_iops "$c" 1) || fail "isolated, $c vCPU(s): $iso"
	log "randread 4k qd32, $c queue(s): native $nat IOPS, isolated $iso IOPS"
	vcpus+="$sep\"vcpus_$c\": {\"native\": {\"iops\": $nat}, \"isolated\": {\"iops\": $iso}}"
	sep=", "
done
doms="" sep=""
for n in $(seq 1 "$maxdom"); do
	nat=$(native_iops 1 "$n") || fail "native, $n disk(s): $nat"
	iso=$(isolated_iops 1 "$n") || fail "isolated, $n domain(s): $iso"
	log "randread 4k qd32 on $n disk(s) at once: native $nat IOPS, isolated $iso IOPS"
	doms+="$sep\"domains_$n\": {\"native\": {\"iops\": $nat}, \"isolated\": {\"iops\": $iso}}"
	sep=", "
done
cat > "$BENCH_OUT/scale.json" <<JSON
{"runtime_s": $FIO_RUNTIME, "queues": {$vcpus}, "domains": {$doms}}
JSON
