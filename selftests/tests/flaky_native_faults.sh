#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# flaky_blk's non-crashing faults, loaded natively: bad parameters are
# refused; ioerr fails exactly the requests after fault_after (dd sees EIO
# after N 4 KiB direct reads), re-arms through debugfs and still unloads;
# slow delays each completion by slow_ms and goes back to fast when cleared.
# The crashing faults take the host down: selftests/host-tests/.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/flaky_lib.sh"

flaky_loaded && rmmod flaky_blk
[ -r "$FLAKY_KO" ] || fail "$FLAKY_KO not built (make KVER=$KVER)"
dmesg_mark
flaky_insmod_fails fault=bogus
flaky_insmod_fails size_mb=0
flaky_insmod_fails size_mb=5000
flaky_insmod_fails lower=/dev/flaky-no-such-disk
dmesg_since_mark | grep -q 'flaky_blk: cannot open lower device /dev/flaky-no-such-disk: error -2' ||
	fail "no message for the missing lower device"

# dd_reads COUNT: 4 KiB direct reads from the start; prints "records-in rc"
dd_reads() {
	local out rc
	out=$(dd if=$FLAKY_DEV of=/dev/null bs=4k count="$1" iflag=direct 2>&1)
	rc=$?
	echo "$out" > /tmp/flaky-dd.out
	echo "$(echo "$out" | sed -n 's/^\([0-9]*\)+0 records in/\1/p') $rc"
}

# ioerr from load: 20 reads pass, the 21st gets EIO
flaky_load fault=ioerr fault_after=20
read -r n rc < <(dd_reads 40)
[ "$rc" != 0 ] || fail "dd succeeded with fault=ioerr"
grep -q 'Input/output error' /tmp/flaky-dd.out || fail "dd error is not EIO: $(cat /tmp/flaky-dd.out)"
expect_eq "records read before EIO" "$n" 20
dmesg_since_mark | grep -q 'flaky_blk: injecting ioerr after 20 requests' ||
	fail "no 'injecting ioerr after 20 requests' line"
[ "$(flaky_stat errors)" -ge 1 ] || fail "errors not counted"
log "ioerr: dd read 20 blocks, then EIO; $(tr '\n' ' ' < $FLAKY_DBG/stats)"

# cleared, then re-armed through debugfs with another count; writes too
flaky_set fault none
read -r n rc < <(dd_reads 40)
expect_eq "dd after fault=none" "$n $rc" "40 0"
flaky_set fault_after 5
flaky_set fault ioerr
expect_eq "debugfs fault" "$(cat $FLAKY_DBG/fault)" ioerr
read -r n rc < <(dd_reads 10)
expect_eq "records read after re-arming with fault_after=5" "$n" 5
[ "$rc" != 0 ] || fail "dd succeeded after re-arming ioerr"
dd if=/dev/zero of=$FLAKY_DEV bs=4k count=1 oflag=direct status=none 2>/dev/null &&
	fail "a write succeeded with ioerr armed"
dmesg_since_mark | grep -q 'flaky_blk: injecting ioerr after 5 requests' ||
	fail "no 'injecting ioerr after 5 requests' line"
if echo sideways > $FLAKY_DBG/fault 2>/dev/null; then fail "debugfs took fault=sideways"; fi
flaky_unload
log "ioerr re-armed via debugfs fails after 5; the module unloads with it armed"

# slow: each completion waits slow_ms.  Times are dd's own ("copied, S s"),
# which leave out starting dd under TCG.
dd_ms() { sed -n 's/.* copied, \([0-9.]*\) s,.*/\1/p' /tmp/flaky-dd.out | awk '{ printf "%d", $1 * 1000 }'; }
flaky_load fault=slow fault_after=0 slow_ms=300
read -r n rc < <(dd_reads 5)
expect_eq "slow dd" "$n $rc" "5 0"
t=$(dd_ms)
[ "$t" -ge 1500 ] || fail "5 reads at slow_ms=300 took ${t} ms; expected >= 1500"
dmesg_since_mark | grep -q 'flaky_blk: injecting slow after 0 requests' ||
	fail "no 'injecting slow after 0 requests' line"
flaky_set slow_ms 50
read -r n rc < <(dd_reads 10)
expect_eq "slow dd at 50 ms" "$n $rc" "10 0"
t50=$(dd_ms)
[ "$t50" -ge 500 ] && [ "$t50" -lt 3000 ] || fail "10 reads at slow_ms=50 took ${t50} ms"
flaky_set slow_ms 300
flaky_set fault none
read -r n rc < <(dd_reads 10)
expect_eq "fast dd" "$n $rc" "10 0"
tf=$(dd_ms)
[ "$tf" -lt 1000 ] || fail "10 reads without the fault took ${tf} ms (slow_ms=300 would be 3000)"
log "slow: 5 reads at 300 ms took ${t} ms, 10 at 50 ms ${t50} ms, 10 without the fault ${tf} ms"
flaky_unload

dmesg_check_clean flaky_native_faults
