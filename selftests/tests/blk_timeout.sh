#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Nothing hangs: a domain that stops completing gets its requests failed
# with EIO after io_timeout_ms; a dead domain with restarts disabled fails
# the I/O too; destroy fails what is pending and removes the disk.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"

kmod_setup io_timeout_ms=3000
D=blkstall
blk_start $D blk-stall 64
start=$(date +%s)
dd if=/dev/urandom of=/dev/$BLK_DEV bs=4k count=64 seek=1000 oflag=direct status=none 2>/dev/null &&
	dd if=/dev/$BLK_DEV of=/dev/null bs=4k count=64 skip=3000 iflag=direct status=none 2>/dev/null &&
	fail "I/O to a stalled domain succeeded"
took=$(( $(date +%s) - start ))
[ "$took" -le 30 ] || fail "EIO took $took s"
[ "$(blk_stat $D timeouts)" -gt 0 ] || fail "no timeouts counted: $(blk_exports $D)"
log "stalled domain: EIO after $took s; $(blk_exports $D)"
blk_teardown $D

kmod_setup io_timeout_ms=5000
D=blknorestart
blk_start $D blk 64 --flags 1
dbx crash $D vmm-kill || fail "crash"
wait_state $D failed 20 || fail "not failed"
start=$(date +%s)
dd if=/dev/$BLK_DEV of=/dev/null bs=4k count=16 skip=7 iflag=direct status=none 2>/dev/null &&
	fail "read from a failed domain succeeded"
took=$(( $(date +%s) - start ))
[ "$took" -le 10 ] || fail "EIO took $took s"
log "failed domain (no restart): EIO after $took s"
blk_teardown $D
