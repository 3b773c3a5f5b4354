#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# flaky_blk stacked over the test host's second nvme (serial drvbox-nvme1),
# loaded natively: data written to the nvme reads back through flakyb0 and
# data written through flakyb0 reads back from the raw nvme; write-zeroes,
# flush and FUA pass through when the nvme has them; an ext4 made on flakyb0
# mounts from the nvme after rmmod with the same checksums; ioerr works.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/flaky_lib.sh"

flaky_loaded && rmmod flaky_blk
nvme=$(nvme_by_serial drvbox-nvme1) || skip "no nvme with serial drvbox-nvme1"
NV=/dev/$nvme
[ -b $NV ] || fail "$NV missing"
dmesg_mark

head -c $((1 << 20)) /dev/urandom > /tmp/flaky.b
dd if=/tmp/flaky.b of=$NV bs=1M seek=8 oflag=direct status=none || fail "write $NV"

flaky_load lower=$NV
sys=/sys/block/flakyb0
expect_eq size "$(cat $sys/size)" "$(cat /sys/block/$nvme/size)"
expect_eq logical_block_size "$(cat $sys/queue/logical_block_size)" \
	"$(cat /sys/block/$nvme/queue/logical_block_size)"
expect_eq write_cache "$(cat $sys/queue/write_cache)" "$(cat /sys/block/$nvme/queue/write_cache)"
dmesg_since_mark | grep -q "flaky_blk: flakyb0: $NV, " || fail "no load message naming $NV"

dd if=$FLAKY_DEV bs=1M skip=8 count=1 iflag=direct status=none | cmp - /tmp/flaky.b ||
	fail "data written to $NV does not read back through flakyb0"
head -c $((4 << 20)) /dev/urandom > /tmp/flaky.a
dd if=/tmp/flaky.a of=$FLAKY_DEV bs=64k seek=256 oflag=direct status=none || fail "write flakyb0"
dd if=$NV bs=1M skip=16 count=4 iflag=direct status=none | cmp - /tmp/flaky.a ||
	fail "data written through flakyb0 does not read back from $NV"
log "1 MiB $nvme -> flakyb0 and 4 MiB flakyb0 -> $nvme read back identical"

if [ "$(cat $sys/queue/write_zeroes_max_bytes)" -gt 0 ]; then
	blkdiscard -f -z -o $((16 << 20)) -l $((1 << 20)) $FLAKY_DEV || fail "blkdiscard -z"
	expect_eq "non-zero bytes on $nvme after write-zeroes" "$(nonzero_bytes $NV 16 1)" 0
	dd if=$NV bs=1M skip=17 count=3 iflag=direct status=none |
		cmp - <(tail -c $((3 << 20)) /tmp/flaky.a) || fail "write-zeroes touched the next 3 MiB"
	[ "$(flaky_stat write_zeroes)" -ge 1 ] || fail "write-zeroes not counted"
	log "write-zeroes passed through"
else
	log "$nvme has no write-zeroes; flakyb0 offers none"
fi
if [ "$(cat $sys/queue/discard_max_bytes)" -gt 0 ]; then
	blkdiscard -f -o $((24 << 20)) -l $((1 << 20)) $FLAKY_DEV || fail "blkdiscard"
fi

mkfs.ext4 -q -F $FLAKY_DEV || fail "mkfs.ext4"
mkdir -p $FLAKY_MNT
mount $FLAKY_DEV $FLAKY_MNT || fail "mount"
for i in $(seq 1 12); do head -c $((i * 53 * 1024)) /dev/urandom > $FLAKY_MNT/f$i; done
(cd $FLAKY_MNT && sha256sum f*) > /tmp/flaky-lower.sum
umount $FLAKY_MNT || fail "umount"
if [ "$(cat $sys/queue/write_cache)" = "write back" ]; then
	[ "$(flaky_stat flushes)" -gt 0 ] || fail "no flush passed through"
fi
log "ext4 on flakyb0: $(tr '\n' ' ' < $FLAKY_DBG/stats)"

flaky_set fault ioerr
dd if=$FLAKY_DEV of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null &&
	fail "read succeeded with ioerr armed over $nvme"
flaky_set fault none
dd if=$FLAKY_DEV of=/dev/null bs=4k count=1 iflag=direct status=none || fail "read after clearing ioerr"
flaky_unload

fsck.ext4 -f -n $NV > /tmp/flaky.fsck 2>&1 || { sed 's/^/# /' /tmp/flaky.fsck; fail "fsck $NV"; }
mount $NV $FLAKY_MNT || fail "mount $NV after rmmod"
(cd $FLAKY_MNT && sha256sum -c --quiet /tmp/flaky-lower.sum) || fail "checksums differ on $NV"
umount $FLAKY_MNT || fail "umount $NV"
log "ext4 made through flakyb0 is on $nvme: fsck clean, checksums match"
# leave no filesystem behind for later tests of this nvme
dd if=/dev/zero of=$NV bs=1M count=4 oflag=direct status=none || fail "wipe $NV"
dmesg_check_clean flaky_native_lower
