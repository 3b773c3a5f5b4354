#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A later incarnation announces the device with another capacity: what was
# waiting for it fails, the host disk is resized (virtio config change), the
# same /dev/vdX keeps working.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"

kmod_setup
D=blkresize
blk_start $D blk-resize 64
expect_eq size "$(cat /sys/block/$BLK_DEV/size)" $((64 * 2048))
dbx restart $D || fail "restart"
wait_state $D running 30 2 || fail "not running again"
size_is() { [ "$(cat /sys/block/$BLK_DEV/size)" = "$1" ]; }
wait_until 10 size_is $((32 * 2048)) ||
	fail "size after restart: $(cat /sys/block/$BLK_DEV/size)"
fio_verify resized $BLK_DEV --rw=randwrite --bs=4k --iodepth=8 --size=8M ||
	fail "I/O after resize"
log "resized to 32 MiB on incarnation 2: $(blk_exports $D)"
blk_teardown $D
