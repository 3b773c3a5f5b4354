#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A read-only device exported from a real domain (flaky_blk ro=1: the
# guest's disk is read-only, so the stub opens it read-only and announces
# RO): the host's /dev/vdX is read-only; a write to it fails with EROFS,
# EPERM or EACCES and no write reaches the domain; mkfs fails; reads work;
# the host log stays clean.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
blk_domain_need

FLAKY_KO="$KBUILD/selftests/drivers/flaky_blk.ko"
[ -r "$FLAKY_KO" ] || fail "$FLAKY_KO not built (make KVER=$KVER)"
D=bro
trap '"$DRVBOX" stop $D >/dev/null 2>&1; unload_drvbox' EXIT
blk_domain_load
dmesg_mark

blk_domain_start $D --driver "$FLAKY_KO" --param flaky_blk.size_mb=32 \
	--param flaky_blk.ro=1 --export blk:flakyb0 --timeout 420
expect_eq "ro" "$(cat /sys/block/$BLK_DEV/ro)" 1
expect_eq "blockdev --getro" "$(blockdev --getro /dev/$BLK_DEV)" 1
dmesg_since_mark | grep -q "domain $D: blk:flakyb0 ready in incarnation 1: .*, read-only" ||
	fail "the export's ready line does not say read-only: $(dmesg_since_mark | grep "domain $D: blk:flakyb0 ready" | tail -n1)"

err=$(dd if=/dev/zero of=/dev/$BLK_DEV bs=4k count=1 oflag=direct conv=notrunc 2>&1) &&
	fail "a write to the read-only export succeeded"
echo "$err" | grep -qE 'Read-only file system|Operation not permitted|Permission denied' ||
	fail "the write failed, but not as read-only: $err"
log "write refused: $(echo "$err" | head -n1)"
mkfs.ext4 -q -F /dev/$BLK_DEV >/dev/null 2>&1 && fail "mkfs.ext4 on the read-only export succeeded"
dd if=/dev/$BLK_DEV of=/dev/null bs=64k count=64 iflag=direct status=none ||
	fail "reading the read-only export failed"
expect_eq "writes that reached the domain" "$(blk_stat $D writes)" 0
[ "$(blk_stat $D reads)" -gt 0 ] || fail "no reads counted: $(blk_exports $D)"
log "$(blk_exports $D | cut -d' ' -f1-9)"

blk_domain_stop $D
unload_drvbox
trap - EXIT
dmesg_check_clean blk_domain_ro
