# SPDX-License-Identifier: GPL-2.0
# Helpers for the recovery tests with real data: flaky_blk stacked over the
# passed-through nvme (serial drvbox-nvme0) in a real domain, the host's
# /dev/vdX on top.  Not a test itself (not executable).  Source after
# common.sh, cli_lib.sh, kmod_lib.sh, blk_lib.sh, blk_domain_lib.sh and
# pci_lib.sh.
#
# How a fault fires once: flaky_blk's parameters are part of the domain's
# spec, so every incarnation loads it with the same fault=F fault_after=N
# and would fault again after N requests of its own (the count starts at 0
# in each incarnation: fresh guest, fresh module).  The tests size their I/O
# so that incarnation 1 serves more than N requests (the fault fires in the
# middle of the workload) and everything after the crash (replayed requests,
# the rest of the workload, the read-back) stays well under N, then check
# that the domain crashed exactly once.  Nothing in the guest is armed from
# the host at run time: drvbox has no channel for that, by design.

FLAKY_KO="$KBUILD/selftests/drivers/flaky_blk.ko"

# recov_need: skip without fio, domains, the nvme or an IOMMU; sets NVME_BDF.
recov_need() {
	blk_domain_need
	[ -r "$FLAKY_KO" ] || fail "$FLAKY_KO not built (make KVER=$KVER)"
	NVME_BDF=$(nvme_bdf drvbox-nvme0) || skip "no nvme with serial drvbox-nvme0"
	[ -e "/sys/bus/pci/devices/$NVME_BDF/iommu_group" ] ||
		skip "$NVME_BDF has no IOMMU group (no IOMMU)"
}

# recov_start NAME FAULT FAULT_AFTER [drvbox run args...]: flaky_blk over the
# isolated nvme with that fault; sets BLK_DEV.
recov_start() {
	local name=$1 fault=$2 after=$3
	shift 3
	blk_domain_start "$name" --driver nvme --driver "$FLAKY_KO" --pci "$NVME_BDF" \
		--param flaky_blk.lower=/dev/nvme0n1 --param flaky_blk.lower_wait_ms=60000 \
		--param flaky_blk.fault="$fault" --param flaky_blk.fault_after="$after" \
		--export blk:flakyb0 --mem 512 --timeout 420 "$@"
	"$DRVBOX" logs "$name" | grep -q "flaky_blk: flakyb0: /dev/nvme0n1, .* fault $fault after $after requests" ||
		{ blk_domain_logs "$name"; fail "$name: the log does not show flakyb0 over nvme0n1 with fault $fault after $after"; }
}

# recov_stop NAME: stop the domain and wait until the nvme is the host's again
# (the next domain passes it through afresh).
recov_stop() {
	blk_domain_stop "$1"
	wait_driver "$NVME_BDF" nvme 60
}

# Completed requests of NAME's export (reads + writes + flushes + discards),
# read without forking: the sampler runs every 50 ms.
recov_done_count() {
	local line
	read -r line < "/sys/kernel/drvbox/domains/$1/exports" || return 1
	[[ $line =~ reads=([0-9]+)\ writes=([0-9]+)\ bytes=[0-9]+\ flushes=([0-9]+)\ discards=([0-9]+) ]] ||
		return 1
	echo $((BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3] + BASH_REMATCH[4]))
}

# recov_sampler_start NAME: log "<ms> <count>" whenever NAME's completed
# request count changes (to $RECOV_SAMPLES), until recov_sampler_stop.
recov_sampler_start() {
	RECOV_SAMPLES=/tmp/recov-$1.samples
	: > "$RECOV_SAMPLES"
	(
		f=/sys/kernel/drvbox/domains/$1/exports
		last=-1
		while [ -e "$f" ]; do
			line=""
			read -r line < "$f" 2>/dev/null
			if [[ $line =~ reads=([0-9]+)\ writes=([0-9]+)\ bytes=[0-9]+\ flushes=([0-9]+)\ discards=([0-9]+) ]]; then
				c=$((BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3] + BASH_REMATCH[4]))
				if [ "$c" != "$last" ]; then
					t=${EPOCHREALTIME/./}
					echo "$((t / 1000)) $c" >> "$RECOV_SAMPLES"
					last=$c
				fi
			fi
			sleep 0.05
		done
	) &
	RECOV_SAMPLER=$!
}

recov_sampler_stop() {
	[ -n "$RECOV_SAMPLER" ] || return 0
	kill "$RECOV_SAMPLER" 2>/dev/null
	wait "$RECOV_SAMPLER" 2>/dev/null
	RECOV_SAMPLER=""
}

# recov_longest_stall: the longest time (ms) between two successive changes of
# the completed count in $RECOV_SAMPLES: from the last request that completed
# before the fault to the first that completed after it.
recov_longest_stall() {
	awk 'NR > 1 && $1 - t > max { max = $1 - t } { t = $1 } END { print max + 0 }' \
		"$RECOV_SAMPLES"
}

# recov_fio NAME DEV SEED OFFSET_MIB SIZE_MIB [--verify_only]: 4k random
# writes, iodepth 32, two jobs on their own SIZE_MIB regions from
# OFFSET_MIB, crc32c verification interleaved with the writes
# (verify_backlog), so that reads and writes are in flight whenever the
# fault fires.  SEED makes the data of each case its own.  Fails on any
# I/O or verify error; sets RECOV_READ_KB and RECOV_WRITE_KB (terse v3
# fields 6 and 47) so the caller can check that everything was read.
recov_fio() {
	local name=$1 dev=$2 seed=$3 off=$4 size=$5 out rc
	shift 5
	out=$(fio --name="$name" --filename=/dev/"$dev" --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=4k --iodepth=32 --numjobs=2 --group_reporting \
		--offset=${off}M --offset_increment=${size}M --size=${size}M \
		--randseed="$seed" --verify=crc32c --verify_fatal=1 --do_verify=1 \
		--verify_backlog=256 --verify_state_save=0 --output-format=terse --terse-version=3 "$@" 2>&1)
	rc=$?
	echo "$out"
	local last
	last=$(echo "$out" | tail -n1)
	RECOV_READ_KB=$(echo "$last" | cut -d';' -f6)
	RECOV_WRITE_KB=$(echo "$last" | cut -d';' -f47)
	[ $rc = 0 ] && [ "$(echo "$last" | cut -d';' -f5)" = 0 ]
}

# recov_fio_kb FILE: RECOV_READ_KB and RECOV_WRITE_KB from a recov_fio
# output saved in FILE (a recov_fio run in the background).
recov_fio_kb() {
	local last
	last=$(tail -n1 "$1")
	RECOV_READ_KB=$(echo "$last" | cut -d';' -f6)
	RECOV_WRITE_KB=$(echo "$last" | cut -d';' -f47)
}
