#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A real domain exports null_blk (memory-backed) through drvbox_stub.ko:
# /dev/vdX has the right size, block size, serial and queues; mkfs.ext4,
# mount, a checksummed file tree, umount, fsck -f, remount and verify;
# fio crc32c verify (4k randwrite iodepth 32 numjobs 2, 128k sequential);
# discard and write-zeroes read back as zeroes; counters; no protocol
# error; stop removes the disk; the host log stays clean.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
blk_domain_need

D=bn0
trap '"$DRVBOX" stop $D >/dev/null 2>&1; umount /tmp/bn0-mnt 2>/dev/null; unload_drvbox; kvm_pin_stop' EXIT
blk_domain_load
kvm_pin_start
dmesg_mark

t0=$(ms_now)
blk_domain_start $D --driver null_blk "${BLK_DOMAIN_NULL_PARAMS[@]}" \
	--export blk:nullb0 --mem 512 --cpus 2
log "run to host disk: $(($(ms_now) - t0)) ms"
sys=/sys/block/$BLK_DEV
expect_eq serial "$(cat $sys/serial)" "drvbox-$D-nullb0"
expect_eq size "$(cat $sys/size)" $((1024 * 1024 * 2))
expect_eq lbs "$(cat $sys/queue/logical_block_size)" 4096
expect_eq queues "$(ls $sys/mq | wc -l)" 2
expect_eq write_cache "$(cat $sys/queue/write_cache)" "write back"
dmesg_since_mark | grep -q "domain $D: blk:nullb0 ready in incarnation 1: 1073741824 bytes, 2 queue(s)" ||
	fail "the host log does not show the export ready with 2 queues"

ext4_roundtrip $BLK_DEV bn0
log "ext4: 20 files written, fsck clean, checksums match after remount"

fio_verify rand4k $BLK_DEV --rw=randwrite --bs=4k --iodepth=32 --numjobs=2 \
	--size=16M --offset=512M --offset_increment=16M --group_reporting ||
	null_blk_fail $D "fio 4k randwrite verify"
fio_verify seq128k $BLK_DEV --rw=write --bs=128k --iodepth=8 --size=32M \
	--offset=640M || null_blk_fail $D "fio 128k seq verify"
# Deeper than the export's request table (64 per queue): the rest waits
# in the host vrings and is taken as entries come back.
fio_verify deep4k $BLK_DEV --rw=randwrite --bs=4k --iodepth=128 --numjobs=2 \
	--size=8M --offset=704M --offset_increment=8M --group_reporting ||
	null_blk_fail $D "fio 4k randwrite verify at iodepth 128"
null_blk_lost $D
expect_eq "incarnation after fio" "$(status_field $D incarnation)" 1
[ "$(blk_stat $D table_full)" -ge 1 ] ||
	fail "iodepth 128 x2 never filled the request table: $(blk_exports $D)"
log "fio crc32c verify: 4k randwrite qd32 x2 jobs, 128k seq, 4k qd128 x2 jobs (request table full $(blk_stat $D table_full) times): no errors"

# discard and write-zeroes read back as zero (null_blk frees discarded
# pages; write-zeroes becomes zero writes in the host's block layer when
# the guest device has no write-zeroes)
off=$((800 * 1024 * 1024))
head -c $((4 * 1024 * 1024)) /dev/urandom |
	dd of=/dev/$BLK_DEV bs=1M seek=800 oflag=direct status=none || fail "dd"
nz=$(dd if=/dev/$BLK_DEV bs=1M skip=800 count=4 iflag=direct status=none | tr -d '\0' | wc -c)
[ "$nz" -gt 0 ] || fail "random data reads back as zeroes"
blkdiscard -f -o $off -l $((2 * 1024 * 1024)) /dev/$BLK_DEV || fail "blkdiscard"
blkdiscard -f -z -o $((off + 2 * 1024 * 1024)) -l $((2 * 1024 * 1024)) /dev/$BLK_DEV ||
	fail "blkdiscard -z"
nz=$(dd if=/dev/$BLK_DEV bs=1M skip=800 count=4 iflag=direct status=none | tr -d '\0' | wc -c)
expect_eq "non-zero bytes after discard/write-zeroes" "$nz" 0
[ "$(blk_stat $D discards)" -ge 1 ] || fail "discards not counted: $(blk_exports $D)"
[ "$(blk_stat $D flushes)" -ge 1 ] || fail "flushes not counted: $(blk_exports $D)"

log "counters: $(blk_exports $D)"
[ "$(blk_stat $D errors)" = 0 ] || fail "errors counted: $(blk_exports $D)"
expect_eq protocol_errors "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
null_blk_lost $D
expect_eq incarnation "$(status_field $D incarnation)" 1
blk_domain_stop $D
trap - EXIT
kvm_pin_stop
unload_drvbox
dmesg_check_clean blk_domain_null
