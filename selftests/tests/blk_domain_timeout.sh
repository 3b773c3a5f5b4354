#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Nothing hangs when a real domain dies for good.  flaky_blk over the
# isolated nvme, restarts disabled (--no-restart), an ext4 mounted from the
# host's /dev/vdX, then flaky_blk's hang fault (interrupts off, spinning in
# queue_rq, the one vCPU gone):
# 1. the outstanding read fails with EIO io_timeout_ms (5 s) after the last
#    completion (not before), while the supervisor has not noticed the hang yet;
# 2. the filesystem's own writes and sync end (with errors) instead of
#    hanging;
# 3. once the supervisor kills the hung domain (heartbeat lost) it is
#    FAILED, and new I/O fails at once;
# 4. the filesystem unmounts, the domain stops, the nvme is the host's again,
#    and the host log is clean.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
. "$(dirname "$0")/blk_recovery_lib.sh"
recov_need

IO_TIMEOUT_MS=5000
# mkfs (no discard) + mount + one file are a few hundred requests; the hang
# fires during the dd below.
FAULT_AFTER=2000
D=dt0
mnt=/tmp/dt-mnt
PARAMS=/sys/module/drvbox/parameters
trap 'umount $mnt 2>/dev/null; "$DRVBOX" stop $D >/dev/null 2>&1
	unload_drvbox' EXIT
unload_drvbox
# The heartbeat timeout starts long so that the I/O timeout is what ends the
# first read; it is shortened afterwards (the parameter is read at each
# supervisor tick).
load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000 \
	heartbeat_timeout_ms=600000 io_timeout_ms=$IO_TIMEOUT_MS
dmesg_mark

dt_failed() { [ "$(cat /sys/kernel/drvbox/domains/$D/state)" = failed ]; }
recov_start $D hang $FAULT_AFTER --no-restart
mkfs.ext4 -q -F -E nodiscard /dev/$BLK_DEV || fail "mkfs.ext4"
mkdir -p $mnt
mount /dev/$BLK_DEV $mnt || fail "mount"
head -c $((1 << 20)) /dev/urandom > $mnt/before || fail "write a file"
sync -f $mnt/before || fail "sync before the fault"
before=$(recov_done_count $D)
[ "$before" -lt $FAULT_AFTER ] ||
	fail "mkfs and mount took $before requests, the fault fired before the test"
log "mkfs + mount + 1 MiB: $before requests"

# 1. one reader, one 4k direct read at a time, until the hang.  It takes
# the time after each read that succeeds; the read that hangs started
# after that, so the time from there to its EIO is at least io_timeout_ms
# however late the reader itself ran on a busy machine.
read -r errno took n < <(/usr/bin/python3 - /dev/$BLK_DEV $((2 * FAULT_AFTER)) <<'PY'
import mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
last = time.monotonic()
for i in range(int(sys.argv[2])):
    try:
        os.preadv(fd, [buf], i * 4096)
    except OSError as e:
        print(e.errno, int((time.monotonic() - last) * 1000), i)
        sys.exit(0)
    last = time.monotonic()
print(0, 0, sys.argv[2])
PY
)
expect_eq "errno of the read across the hang" "$errno" 5
log "hang: EIO $took ms after the last completed read (read $n; io_timeout_ms $IO_TIMEOUT_MS)"
# (10 ms: the jiffy the host stamped the request with)
[ "$took" -ge $((IO_TIMEOUT_MS - 10)) ] || fail "EIO after $took ms, before io_timeout_ms"
# the timeout is checked every 250 ms; a busy machine adds its own delay
[ "$took" -le $((IO_TIMEOUT_MS + 15000)) ] || fail "EIO only after $took ms"
"$DRVBOX" logs $D | grep -q "flaky_blk: injecting hang after $FAULT_AFTER requests" ||
	{ blk_domain_logs $D; fail "no 'injecting hang' line in the domain's log"; }
expect_eq "state while hung" "$(status_field $D state)" running
[ "$(blk_stat $D timeouts)" -ge 1 ] || fail "no timeouts counted: $(blk_exports $D)"

# 2. the filesystem's writes to the hung domain end too.  One page: the
# page cache takes it, but ext4, its journal aborted by the EIO above,
# writes its superblock whenever the inode grows, and each such write
# waits io_timeout_ms for its EIO.  6.1.0-56 keeps the fs writable after
# the error (it says "Remounting filesystem read-only" each time), so 2 MiB
# of appends took 5 s per page, 40 minutes; one page shows the same.
t0=$(ms_now)
timeout 120 dd if=/dev/urandom of=$mnt/after bs=4k count=1 status=none 2>/dev/null
[ $? != 124 ] || fail "a 4 KiB write to ext4 on the hung domain did not end in 120 s"
timeout 120 sync -f $mnt 2>/dev/null
rc=$?
[ $rc != 124 ] || fail "sync on the hung domain did not return in 120 s"
[ $rc != 0 ] || fail "sync of the write to the hung domain succeeded"
log "ext4 sync on the hung domain: failed (status $rc) after $(($(ms_now) - t0)) ms"

# 3. the supervisor notices the hang: FAILED, no restart, I/O fails at once
echo 3000 > $PARAMS/heartbeat_timeout_ms || fail "set heartbeat_timeout_ms"
wait_until 60 dt_failed ||
	fail "not failed after the heartbeat timeout: $("$DRVBOX" status $D)"
expect_eq reason "$(status_field $D last_crash_reason)" "heartbeat lost"
expect_eq incarnation "$(status_field $D incarnation)" 1
t0=$(ms_now)
dd if=/dev/$BLK_DEV of=/dev/null bs=4k iflag=direct count=1 skip=17 status=none 2>/tmp/dt.dd &&
	fail "read from the failed domain succeeded"
took=$(($(ms_now) - t0))
grep -q 'Input/output error' /tmp/dt.dd || fail "dd: expected EIO, got: $(cat /tmp/dt.dd)"
# "at once": well under io_timeout_ms (dd itself takes a second or two to
# start on a loaded build machine)
[ $took -lt $((IO_TIMEOUT_MS - 1000)) ] || fail "EIO from the failed domain took $took ms"
log "failed domain: EIO after $took ms"

# 4. unmount, stop; the nvme comes back to the host
t0=$(ms_now)
timeout 60 umount $mnt || fail "umount of the ext4 on the dead domain failed or hung"
grep -q " $mnt " /proc/mounts && fail "$mnt still mounted"
log "umount: $(($(ms_now) - t0)) ms; $(blk_exports $D | cut -d' ' -f3-)"
recov_stop $D
unload_drvbox
trap - EXIT
dmesg_check_clean blk_domain_timeout
