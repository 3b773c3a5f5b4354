#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tier: long (make check runs it on the newest kernel only; see selftests/check)
# A hostile guest on the block rings: bogus completion id, duplicate
# completion, length past the buffer, garbage ring index, unknown status,
# a slot outside guest RAM, a doorbell storm.  Each violation is counted
# and restarts the domain; I/O in flight is replayed and verified, the host
# log stays clean (no WARN/BUG), nothing outside the buffers is touched.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"

for mode in blk-bad-id blk-dup blk-len blk-index blk-status blk-slot blk-storm; do
	kmod_setup heartbeat_timeout_ms=10000
	D=hostile
	if [ $mode = blk-slot ]; then
		# refused at READY: no disk until incarnation 2
		blk_start $D $mode 64
	else
		blk_start $D $mode 64
	fi
	fio_verify $mode $BLK_DEV --rw=randwrite --bs=4k --iodepth=16 --size=8M ||
		fail "$mode: fio saw errors"
	pe=$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)
	if [ $mode = blk-storm ]; then
		expect_eq "$mode protocol_errors" "$pe" 0
		expect_eq "$mode incarnation" "$(st $D incarnation)" 1
	else
		[ "$pe" -ge 1 ] || fail "$mode: no protocol error counted"
		st_ge $D incarnation 2 || fail "$mode: domain not restarted"
		dmesg_since_mark | grep -q "guest protocol violation" ||
			fail "$mode: violation not logged"
	fi
	log "$mode: protocol_errors=$pe incarnation=$(st $D incarnation) $(blk_exports $D)"
	blk_teardown $D
done
