#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# flaky_blk isolated in a real domain (--driver flaky_blk.ko --export
# blk:flakyb0):
# 1. RAM mode: /dev/vdX has flakyb0's size and write cache; mkfs.ext4,
#    mount, a checksummed tree, umount, fsck -f, remount and verify;
#    discard and write-zeroes read back as zeroes; stop removes the disk.
# 2. Stacked over the isolated nvme (drvbox-nvme0 passed through with VFIO,
#    the guest's nvme driver, flaky_blk lower=/dev/nvme0n1): data written
#    to /dev/vdX is on the real nvme after drvbox stop gives it back to the
#    host.  Skipped when there is no IOMMU.
# The host log stays clean.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
blk_domain_need

FLAKY_KO="$KBUILD/selftests/drivers/flaky_blk.ko"
[ -r "$FLAKY_KO" ] || fail "$FLAKY_KO not built (make KVER=$KVER)"
mnt=/tmp/bf-mnt
trap '"$DRVBOX" stop bf0 >/dev/null 2>&1; "$DRVBOX" stop bf1 >/dev/null 2>&1
	umount $mnt 2>/dev/null; unload_drvbox' EXIT
unload_drvbox
# a loaded build machine can take minutes per nested boot
load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000
dmesg_mark

# ---- 1. RAM mode ----
D=bf0
t0=$(ms_now)
blk_domain_start $D --driver "$FLAKY_KO" --param flaky_blk.size_mb=128 \
	--export blk:flakyb0 --mem 512 --timeout 420
log "run to host disk: $(($(ms_now) - t0)) ms"
# (the guest console is at loglevel 4 without passthrough: the init's line)
"$DRVBOX" logs $D | grep -q 'loaded .*flaky_blk.ko size_mb=128' ||
	{ blk_domain_logs $D; fail "the domain's log does not show flaky_blk.ko loaded"; }
sys=/sys/block/$BLK_DEV
expect_eq serial "$(cat $sys/serial)" "drvbox-$D-flakyb0"
expect_eq size "$(cat $sys/size)" $((128 * 2048))
expect_eq write_cache "$(cat $sys/queue/write_cache)" "write back"

ext4_roundtrip $BLK_DEV bf
log "ext4 on isolated flaky_blk: 20 files, fsck clean, checksums match after remount"

head -c $((4 << 20)) /dev/urandom |
	dd of=/dev/$BLK_DEV bs=1M seek=100 oflag=direct status=none || fail "dd"
blkdiscard -f -o $((100 << 20)) -l $((2 << 20)) /dev/$BLK_DEV 2>/dev/null || fail "blkdiscard"
blkdiscard -f -z -o $((102 << 20)) -l $((2 << 20)) /dev/$BLK_DEV 2>/dev/null || fail "blkdiscard -z"
nz=$(dd if=/dev/$BLK_DEV bs=1M skip=100 count=4 iflag=direct status=none | tr -d '\0' | wc -c)
expect_eq "non-zero bytes after discard/write-zeroes" "$nz" 0
[ "$(blk_stat $D flushes)" -ge 1 ] || fail "flushes not counted: $(blk_exports $D)"
[ "$(blk_stat $D errors)" = 0 ] || fail "errors counted: $(blk_exports $D)"
expect_eq protocol_errors "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
log "counters: $(blk_exports $D)"
blk_domain_stop $D

# ---- 2. stacked over the isolated nvme ----
bdf=$(nvme_bdf drvbox-nvme0)
if [ -z "$bdf" ] || [ ! -e "/sys/bus/pci/devices/$bdf/iommu_group" ]; then
	unload_drvbox
	trap - EXIT
	dmesg_check_clean blk_domain_flaky
	skip "RAM mode passed; no drvbox-nvme0 with an IOMMU group for the stacked part"
fi
D=bf1
blk_domain_start $D --driver nvme --driver "$FLAKY_KO" --pci "$bdf" \
	--param flaky_blk.lower=/dev/nvme0n1 --param flaky_blk.lower_wait_ms=60000 \
	--export blk:flakyb0 --mem 512 --timeout 420
"$DRVBOX" logs $D | grep -q 'flaky_blk: flakyb0: /dev/nvme0n1, 524288 sectors' ||
	{ blk_domain_logs $D; fail "the domain's log does not show flakyb0 over nvme0n1"; }
expect_eq size "$(cat /sys/block/$BLK_DEV/size)" 524288
head -c $((4 << 20)) /dev/urandom > /tmp/bf.rand
dd if=/tmp/bf.rand of=/dev/$BLK_DEV bs=1M seek=32 oflag=direct conv=fsync status=none ||
	fail "write /dev/$BLK_DEV"
dd if=/dev/$BLK_DEV bs=1M skip=32 count=4 iflag=direct status=none | cmp - /tmp/bf.rand ||
	fail "data does not read back through the isolated flaky_blk"
expect_eq protocol_errors "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
log "4 MiB through vdX -> flaky_blk -> guest nvme read back; $(blk_exports $D | cut -d' ' -f1-4)"
blk_domain_stop $D

# the nvme is the host's again: the data is on it
nvme_host_holds "$bdf" /tmp/bf.rand 32
unload_drvbox
trap - EXIT
dmesg_check_clean blk_domain_flaky
