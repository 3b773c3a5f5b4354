#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# No kick is lost while either side polls or goes to sleep.  drvbox.ko
# with poll windows on both sides (poll_us, guest_poll_us), a domain
# exporting null_blk (memory-backed), and 60 s of fio crc32c verify that
# alternates bursts (iodepth 32) with single requests: back to back (each
# lands inside a poll window), and spaced by less and by more than the
# window (each lands while a side stops polling, or after it slept).
# Afterwards: no I/O error, no timeout, no request that waited 1 s or
# more (the export's max_queue_ms and max_guest_ms), both poll outcomes
# seen, still the first incarnation.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
blk_domain_need

D=bk0
POLL_US=50
SECONDS_TOTAL=60
trap '"$DRVBOX" stop $D >/dev/null 2>&1; unload_drvbox; kvm_pin_stop' EXIT
blk_domain_load poll_us=$POLL_US guest_poll_us=$POLL_US
kvm_pin_start
dmesg_mark

blk_domain_start $D --driver null_blk "${BLK_DOMAIN_NULL_PARAMS[@]}" \
	--export blk:nullb0 --mem 512 --cpus 2

# Each phase writes its own 2 MiB region and reads it back verified.
end=$(( $(date +%s) + SECONDS_TOTAL ))
phase=0
while [ "$(date +%s)" -lt "$end" ]; do
	off=$(( (phase % 64) * 2 ))M
	case $((phase % 4)) in
	0) args=(--iodepth=32 --numjobs=2 --size=1M --offset_increment=1M) ;;
	1) args=(--iodepth=1 --size=2M) ;;
	# thinktime in microseconds: inside, and well past, the window
	2) args=(--iodepth=1 --size=2M --thinktime=$((POLL_US / 2))) ;;
	3) args=(--iodepth=1 --size=1M --thinktime=$((POLL_US * 40))) ;;
	esac
	fio_verify "kick$phase" $BLK_DEV --rw=randwrite --bs=4k --offset="$off" \
		--group_reporting "${args[@]}" ||
		null_blk_fail $D "fio verify, phase $phase (${args[*]})"
	phase=$((phase + 1))
done
log "$phase fio phases in ${SECONDS_TOTAL} s: $(blk_exports $D)"

for k in errors timeouts; do
	[ "$(blk_stat $D $k)" = 0 ] || null_blk_fail $D "$k counted: $(blk_exports $D)"
done
for k in max_queue_ms max_guest_ms; do
	[ "$(blk_stat $D $k)" -lt 1000 ] ||
		null_blk_fail $D "a request waited $(blk_stat $D $k) ms ($k): $(blk_exports $D)"
done
# both outcomes of a poll window happened, so both paths were tested
[ "$(blk_stat $D polls)" -gt 0 ] || null_blk_fail $D "no poll window found work: $(blk_exports $D)"
[ "$(blk_stat $D poll_misses)" -gt 0 ] || null_blk_fail $D "every poll window found work: $(blk_exports $D)"
expect_eq protocol_errors "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
expect_eq incarnation "$(status_field $D incarnation)" 1
"$DRVBOX" logs $D | grep -q 'waited without an interrupt' &&
	null_blk_fail $D "the guest's ring watchdog served requests no interrupt announced"
blk_domain_stop $D
trap - EXIT
kvm_pin_stop
unload_drvbox
dmesg_check_clean blk_domain_kicks
