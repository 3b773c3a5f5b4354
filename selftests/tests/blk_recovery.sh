#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Transparent recovery: the domain is killed (VMM SIGKILL, guest panic, VMM
# exiting by itself) while fio writes and verifies; in-flight requests are
# replayed to the next incarnation and fio sees no error.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"

kmod_setup heartbeat_timeout_ms=10000
D=blkrec
blk_start $D blk 128 --vcpus 2 --limit 20

crash_during_fio() { # HOW INCARNATION
	fio_verify "rec-$1" $BLK_DEV --rw=randwrite --bs=4k --iodepth=32 \
		--size=24M --offset=$((RANDOM % 64))M > /tmp/blkrec.fio 2>&1 &
	local pid=$!
	sleep 2
	dbx crash $D "$1" || fail "crash $1"
	wait $pid || { cat /tmp/blkrec.fio; fail "fio failed across crash $1"; }
	wait_state $D running 30 "$2" || fail "no incarnation $2 after $1"
	log "crash $1 during fio: no I/O error; $(blk_exports $D)"
}
crash_during_fio vmm-kill 2
crash_during_fio panic 3
[ "$(blk_stat $D replayed)" -gt 0 ] || log "note: nothing was in flight at the crashes"
[ "$(blk_stat $D errors)" = 0 ] || fail "errors: $(blk_exports $D)"
[ "$(blk_stat $D timeouts)" = 0 ] || fail "timeouts: $(blk_exports $D)"
blk_teardown $D

# The VMM itself exits with requests in flight (fake: after 200 requests).
kmod_setup heartbeat_timeout_ms=10000
D=blkexit
blk_start $D blk-exit 64
fio_verify exit $BLK_DEV --rw=randwrite --bs=4k --iodepth=32 --size=16M ||
	fail "fio failed across the VMM exit"
st_ge $D incarnation 2 || fail "the VMM did not exit (incarnation $(st $D incarnation))"
[ "$(blk_stat $D replayed)" -gt 0 ] || fail "nothing replayed: $(blk_exports $D)"
log "VMM exit with I/O in flight: $(blk_exports $D)"
blk_teardown $D
