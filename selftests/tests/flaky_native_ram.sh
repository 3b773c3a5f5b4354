#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# flaky_blk as a RAM disk, loaded natively: geometry and features, ext4
# (mkfs, a checksummed tree, fsck, remount) with flushes and FUA reaching the
# driver; discard and write-zeroes read back as zeroes and leave the
# neighbouring data alone; rmmod; a clean kernel log.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/flaky_lib.sh"

flaky_loaded && rmmod flaky_blk
dmesg_mark
flaky_load size_mb=128
sys=/sys/block/flakyb0
expect_eq size "$(cat $sys/size)" $((128 * 2048))
expect_eq write_cache "$(cat $sys/queue/write_cache)" "write back"
expect_eq fua "$(cat $sys/queue/fua)" 1
[ "$(cat $sys/queue/discard_max_bytes)" -gt 0 ] || fail "discard not offered"
[ "$(cat $sys/queue/write_zeroes_max_bytes)" -gt 0 ] || fail "write-zeroes not offered"
dmesg_since_mark | grep -q 'flaky_blk: flakyb0: RAM, 262144 sectors, fault none' ||
	fail "no load message: $(dmesg_since_mark | grep flaky_blk)"

mkfs.ext4 -q -F $FLAKY_DEV || fail "mkfs.ext4"
mkdir -p $FLAKY_MNT
mount $FLAKY_DEV $FLAKY_MNT || fail "mount"
for i in $(seq 1 20); do
	mkdir -p $FLAKY_MNT/d$((i % 4))
	head -c $((i * 41 * 1024)) /dev/urandom > $FLAKY_MNT/d$((i % 4))/f$i
done
(cd $FLAKY_MNT && find . -type f | sort | xargs sha256sum) > /tmp/flaky.sum
umount $FLAKY_MNT || fail "umount"
echo 3 > /proc/sys/vm/drop_caches
fsck.ext4 -f -n $FLAKY_DEV > /tmp/flaky.fsck 2>&1 || { sed 's/^/# /' /tmp/flaky.fsck; fail "fsck"; }
mount $FLAKY_DEV $FLAKY_MNT || fail "mount again"
(cd $FLAKY_MNT && sha256sum -c --quiet /tmp/flaky.sum) || fail "checksums differ after remount"
umount $FLAKY_MNT || fail "umount"
[ "$(flaky_stat flushes)" -gt 0 ] || fail "no flush reached the driver: $(tr '\n' ' ' < $FLAKY_DBG/stats)"
[ "$(flaky_stat fua)" -gt 0 ] || fail "no FUA write reached the driver: $(tr '\n' ' ' < $FLAKY_DBG/stats)"
log "ext4: 20 files, fsck clean, checksums match after remount; $(tr '\n' ' ' < $FLAKY_DBG/stats)"

# 6 MiB of random data at 100 MiB; discard the first 2, zero the next 2
head -c $((6 << 20)) /dev/urandom > /tmp/flaky.rand
dd if=/tmp/flaky.rand of=$FLAKY_DEV bs=1M seek=100 oflag=direct status=none || fail "dd write"
d0=$(flaky_stat discards) z0=$(flaky_stat write_zeroes)
blkdiscard -f -o $((100 << 20)) -l $((2 << 20)) $FLAKY_DEV || fail "blkdiscard"
blkdiscard -f -z -o $((102 << 20)) -l $((2 << 20)) $FLAKY_DEV || fail "blkdiscard -z"
expect_eq "non-zero bytes after discard/write-zeroes" "$(nonzero_bytes $FLAKY_DEV 100 4)" 0
dd if=$FLAKY_DEV bs=1M skip=104 count=2 iflag=direct status=none |
	cmp - <(tail -c $((2 << 20)) /tmp/flaky.rand) || fail "data after the zeroed range changed"
[ "$(flaky_stat discards)" -gt "$d0" ] || fail "discard did not reach the driver"
[ "$(flaky_stat write_zeroes)" -gt "$z0" ] || fail "write-zeroes did not reach the driver"
expect_eq errors "$(flaky_stat errors)" 0
log "discard and write-zeroes read back as zeroes; the next 2 MiB intact"

flaky_unload
dmesg_check_clean flaky_native_ram
