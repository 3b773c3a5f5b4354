#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The isolated nvme exported as it is (--driver nvme --pci BDF --export
# blk:nvme0n1): /dev/vdX has the namespace's size, serial and a queue per
# domain vCPU; mkfs.ext4, mount, a checksummed tree, umount, fsck -f,
# remount and verify; fio crc32c verify (4k randwrite iodepth 32 numjobs 2,
# 128k sequential); write-zeroes reads back as zeroes; no protocol error.
# After drvbox stop the controller is the host's again and its namespace
# holds what was written through the domain.  The host log stays clean.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
blk_domain_need

bdf=$(nvme_bdf drvbox-nvme0)
pci_need "$bdf" "nvme controller with serial drvbox-nvme0"
D=bv0
trap '"$DRVBOX" stop $D >/dev/null 2>&1; umount /tmp/bv-mnt 2>/dev/null; unload_drvbox' EXIT
blk_domain_load
dmesg_mark

t0=$(ms_now)
blk_domain_start $D --driver nvme --pci "$bdf" --export blk:nvme0n1 \
	--mem 512 --cpus 2
log "run to host disk: $(($(ms_now) - t0)) ms"
sys=/sys/block/$BLK_DEV
expect_eq serial "$(cat $sys/serial)" "drvbox-$D-nvme0n1"
expect_eq size "$(cat $sys/size)" 524288
expect_eq queues "$(ls $sys/mq | wc -l)" 2
log "/dev/$BLK_DEV: 256 MiB, 2 queues, $(cat $sys/queue/logical_block_size)-byte blocks, write cache: $(cat $sys/queue/write_cache)"

ext4_roundtrip $BLK_DEV bv
log "ext4 on the isolated nvme: 20 files, fsck clean, checksums match after remount"

fio_verify rand4k $BLK_DEV --rw=randwrite --bs=4k --iodepth=32 --numjobs=2 \
	--size=16M --offset=128M --offset_increment=16M --group_reporting ||
	{ blk_domain_diag $D; fail "fio 4k randwrite verify"; }
fio_verify seq128k $BLK_DEV --rw=write --bs=128k --iodepth=8 --size=32M \
	--offset=160M || { blk_domain_diag $D; fail "fio 128k seq verify"; }
log "fio crc32c verify: 4k randwrite qd32 x2 jobs, 128k seq: no errors"

# write-zeroes (the guest nvme's, or zero writes made by the host's block
# layer if the export has none) over random data reads back as zeroes
head -c $((2 << 20)) /dev/urandom |
	dd of=/dev/$BLK_DEV bs=1M seek=200 oflag=direct status=none || fail "dd"
blkdiscard -f -z -o $((200 << 20)) -l $((2 << 20)) /dev/$BLK_DEV || fail "blkdiscard -z"
nz=$(dd if=/dev/$BLK_DEV bs=1M skip=200 count=2 iflag=direct status=none | tr -d '\0' | wc -c)
expect_eq "non-zero bytes after write-zeroes" "$nz" 0

# data that must be on the real nvme once the host has it back
head -c $((4 << 20)) /dev/urandom > /tmp/bv.rand
dd if=/tmp/bv.rand of=/dev/$BLK_DEV bs=1M seek=220 oflag=direct conv=fsync status=none ||
	fail "write /dev/$BLK_DEV"
[ "$(blk_stat $D errors)" = 0 ] || fail "errors counted: $(blk_exports $D)"
expect_eq protocol_errors "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
expect_eq incarnation "$(status_field $D incarnation)" 1
log "counters: $(blk_exports $D)"
blk_domain_stop $D

nvme_host_holds "$bdf" /tmp/bv.rand 220
unload_drvbox
trap - EXIT
dmesg_check_clean blk_domain_nvme
