#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tier: long (make check runs it on the newest kernel only; see selftests/check)
# timeout: 480 (about 100 s normally; a stuck run says why before it is killed)
# Transparent recovery under a filesystem: ext4 on the host's
# /dev/vdX, backed by flaky_blk stacked over the isolated nvme.  flaky_blk
# oopses (oops=panic in the guest) while a checksummed tree is copied in and
# synced; after the domain is back: umount, fsck -f clean, remount, every
# checksum matches.  Exactly one crash, nothing timed out, host log clean.
# See blk_recovery_lib.sh for why flaky_blk's fault fires once.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
. "$(dirname "$0")/blk_recovery_lib.sh"
recov_need

# mkfs + mount are a few hundred requests; the test reads its way up to
# 100 requests before the fault, then copies.  After the fault: the rest of
# the copy, umount, fsck, mount and reading back, well under 3000.
FAULT_AFTER=3000
FAULT=oops
D=re0
mnt=/tmp/re-mnt
src=/tmp/re-src
trap 'recov_sampler_stop; umount $mnt 2>/dev/null; "$DRVBOX" stop $D >/dev/null 2>&1
	unload_drvbox' EXIT
unload_drvbox
load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000 \
	heartbeat_timeout_ms=30000 io_timeout_ms=300000
dmesg_mark

rm -rf $src && mkdir -p $src || fail "mkdir $src"
for i in $(seq 1 32); do
	mkdir -p $src/d$((i % 4))
	head -c $(((i % 8 + 1) * 96 * 1024)) /dev/urandom > $src/d$((i % 4))/f$i
done
(cd $src && find . -type f | sort | xargs sha256sum) > /tmp/re.sum

recov_start $D $FAULT $FAULT_AFTER --restart-limit 5
mkfs.ext4 -q -F -E nodiscard /dev/$BLK_DEV || fail "mkfs.ext4"
mkdir -p $mnt
mount /dev/$BLK_DEV $mnt || fail "mount"
# Requests so far, as the host counted them.  flaky_blk in the guest saw at
# most as many (the guest may merge some of mkfs's writes), so reading
# FAULT_AFTER - done - 100 blocks cannot fire the fault; the copy and a
# paced reader running next to it then cross it.
done_now=$(recov_done_count $D)
pad=$((FAULT_AFTER - done_now - 100))
[ $pad -gt 0 ] || fail "mkfs + mount took $done_now requests, more than the fault allows"
dd if=/dev/$BLK_DEV of=/dev/null bs=4k iflag=direct count=$pad status=none ||
	fail "reading $pad blocks before the fault"
expect_eq "crashes before the copy" "$(status_field $D crashes)" 0

recov_sampler_start $D
t0=$(ms_now)
# the pacer: one 4k read at a time, 600 of them, next to the copy
dd if=/dev/$BLK_DEV of=/dev/null bs=4k iflag=direct count=600 skip=$pad \
	status=none 2>/tmp/re.pacer &
pacer=$!
for d in $src/d*; do
	cp -a $d $mnt/ || fail "cp $d"
	sync -f $mnt || fail "sync after $d"
done
wait $pacer || fail "the paced reader failed: $(cat /tmp/re.pacer)"
t_copy=$(($(ms_now) - t0))
recov_sampler_stop
stall=$(recov_longest_stall)
expect_eq crashes "$(status_field $D crashes)" 1
"$DRVBOX" logs $D | grep -q "flaky_blk: injecting $FAULT after $FAULT_AFTER requests" ||
	{ blk_domain_logs $D; fail "no 'injecting $FAULT' line in the domain's log"; }
log "copy + sync of $(du -sh $src | cut -f1) with the $FAULT: $t_copy ms, outage $stall ms"

umount $mnt || fail "umount"
fsck.ext4 -f -n /dev/$BLK_DEV > /tmp/re.fsck 2>&1 ||
	{ sed 's/^/# /' /tmp/re.fsck; fail "fsck -f after the crash"; }
mount /dev/$BLK_DEV $mnt || fail "mount again"
(cd $mnt && sha256sum -c --quiet /tmp/re.sum) || fail "checksums differ after the crash"
umount $mnt || fail "umount"
log "ext4 across the $FAULT: fsck -f clean, 32 checksums match after remount"

expect_eq "crashes at the end" "$(status_field $D crashes)" 1
[ "$(blk_stat $D replayed)" -gt 0 ] || fail "nothing replayed: $(blk_exports $D)"
expect_eq timeouts "$(blk_stat $D timeouts)" 0
expect_eq errors "$(blk_stat $D errors)" 0
expect_eq protocol_errors "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
log "$(blk_exports $D | cut -d' ' -f3-)"
recov_stop $D
unload_drvbox
trap - EXIT
dmesg_check_clean blk_recovery_ext4
