#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# An isolated block device through the stock virtio_blk: serial, mkfs.ext4,
# mount, a checksummed file tree, umount, fsck -f; fio crc32c verify runs
# (4k randwrite iodepth 32, 128k sequential); discard and write-zeroes read
# back as zeroes; counters in sysfs; destroy removes the disk.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"

kmod_setup
D=blkfs
blk_start $D blk 256 --vcpus 2
sys=/sys/block/$BLK_DEV
# "drvbox-blkfs-fakeblk0" is 21 bytes: the prefix goes first
expect_eq serial "$(cat $sys/serial)" "blkfs-fakeblk0"
expect_eq size "$(cat $sys/size)" $((256 * 2048))
expect_eq queues "$(ls $sys/mq | wc -l)" 2
expect_eq lbs "$(cat $sys/queue/logical_block_size)" 512
expect_eq pbs "$(cat $sys/queue/physical_block_size)" 4096
[ "$(cat $sys/queue/max_hw_sectors_kb)" -ge 128 ] || true
log "max_sectors_kb $(cat $sys/queue/max_sectors_kb), max_segments $(cat $sys/queue/max_segments), cache $(cat $sys/queue/write_cache)"

ext4_roundtrip $BLK_DEV blkfs
log "ext4: 20 files written, fsck clean, checksums match after remount"

fio_verify rand4k $BLK_DEV --rw=randwrite --bs=4k --iodepth=32 --size=32M \
	--offset=64M || fail "fio 4k randwrite verify"
fio_verify seq128k $BLK_DEV --rw=write --bs=128k --iodepth=8 --size=64M \
	--offset=128M || fail "fio 128k seq verify"
log "fio crc32c verify: 4k randwrite qd32, 128k seq: no errors"

# discard and write-zeroes read back as zero (the fake zeroes both)
off=$((200 * 1024 * 1024))
head -c $((4 * 1024 * 1024)) /dev/urandom | dd of=/dev/$BLK_DEV bs=1M seek=200 oflag=direct status=none
blkdiscard -f -o $off -l $((2 * 1024 * 1024)) /dev/$BLK_DEV || fail "blkdiscard"
blkdiscard -f -z -o $((off + 2 * 1024 * 1024)) -l $((2 * 1024 * 1024)) /dev/$BLK_DEV || fail "blkdiscard -z"
nz=$(dd if=/dev/$BLK_DEV bs=1M skip=200 count=4 iflag=direct status=none | tr -d '\0' | wc -c)
expect_eq "non-zero bytes after discard/write-zeroes" "$nz" 0
[ "$(blk_stat $D discards)" -ge 2 ] || fail "discards not counted: $(blk_exports $D)"

log "counters: $(blk_exports $D)"
[ "$(blk_stat $D errors)" = 0 ] || fail "errors counted: $(blk_exports $D)"
[ "$(blk_stat $D writes)" -gt 0 ] && [ "$(blk_stat $D reads)" -gt 0 ] || fail "counters: $(blk_exports $D)"
expect_eq protocol_errors "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
blk_teardown $D
