#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tier: full (only with CHECK_FULL=1; make check has blk_recovery_panic and
# blk_recovery_vmmkill, which also verify the data; see selftests/check)
# A real domain exporting null_blk dies under I/O: `drvbox crash --how
# panic`, then `--how vmm-kill`, while fio runs on the host's /dev/vdX.
# Each time the next incarnation re-announces the same disk, I/O goes on
# (what was in flight is replayed; logged, not asserted), and every fio run
# finishes with zero errors; nothing times out, no protocol error, host log
# clean.
#
# The fio jobs do not verify data: null_blk's memory-backed data dies with
# the domain, so what was written before a crash reads back as zeroes
# afterwards.  (Verified recovery needs persistent storage in the domain,
# which comes with nvme passthrough.)  Also measured: the time from `crash
# --how panic` on an idle disk to the first completed read.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
blk_domain_need

D=bc0
W=/tmp/bc0
rm -rf $W; mkdir -p $W
trap 'touch $W/stop; [ -n "${loop:-}" ] && wait $loop; "$DRVBOX" stop $D >/dev/null 2>&1; unload_drvbox; kvm_pin_stop' EXIT
# replay is tested, not timeouts: a nested boot here can outlast 60 s
blk_domain_load io_timeout_ms=300000
kvm_pin_start
dmesg_mark

blk_domain_start $D --driver null_blk "${BLK_DOMAIN_NULL_PARAMS[@]}" \
	--export blk:nullb0 --mem 512 --cpus 2

# fio runs back to back until told to stop; one line per run: rc errors
fio_loop() {
	local out rc
	while [ ! -e $W/stop ]; do
		out=$(fio --name=crash --filename=/dev/$BLK_DEV --direct=1 \
			--ioengine=libaio --rw=randrw --bs=4k --iodepth=16 \
			--size=256M --time_based --runtime=3 \
			--output-format=terse --terse-version=3 2>$W/fio.err)
		rc=$?
		echo "$rc $(echo "$out" | tail -n1 | cut -d';' -f5)" >> $W/runs
		[ $rc = 0 ] || sed 's/^/# fio: /' $W/fio.err
	done
}
replayed_gt() { [ "$(blk_stat $D replayed)" -gt "$1" ]; }
runs_ge() { [ "$(wc -l < $W/runs)" -ge "$1" ]; }
in_flight() { [ "$(blk_stat $D pending)" -gt 0 ]; }

: > $W/runs
fio_loop &
loop=$!
sleep 3

n=1
for how in panic vmm-kill; do
	replayed=$(blk_stat $D replayed)
	# crash while fio has requests in flight (not between two runs)
	wait_until 20 in_flight || fail "$how: no request in flight: $(blk_exports $D)"
	"$DRVBOX" crash $D --how $how >/dev/null || fail "drvbox crash --how $how failed"
	n=$((n + 1))
	wait_incarnation $D $n 450
	# Not asserted: null_blk is fast, and the guest may complete what it
	# had before it dies (seen: pending > 0 at the crash, replayed 0).
	wait_until 10 replayed_gt "$replayed" ||
		log "$how: nothing was replayed (the guest finished its requests first)"
	runs=$(wc -l < $W/runs)
	# I/O goes on in the new incarnation: one more whole fio run
	wait_until 60 runs_ge $((runs + 2)) ||
		{ blk_domain_diag $D; fail "$how: fio makes no progress after recovery: $(blk_exports $D)"; }
	log "$how: incarnation $n serves the disk; $(blk_exports $D | cut -d' ' -f3,6-)"
done
touch $W/stop
wait $loop
sed 's/^/# fio run: rc errors: /' $W/runs | tail -n 3
[ "$(wc -l < $W/runs)" -ge 4 ] || fail "only $(wc -l < $W/runs) fio runs"
bad=$(grep -cv '^0 0$' $W/runs)
expect_eq "fio runs with an error" "$bad" 0

# idle disk: crash, then one read; it waits for the next incarnation
t0=$(ms_now)
"$DRVBOX" crash $D --how panic >/dev/null || fail "drvbox crash --how panic failed"
# crash returns once the command is posted; a read issued before the guest
# acts on it could still be served by the dying incarnation
wait_until 120 st_ge $D incarnation $((n + 1)) ||
	fail "incarnation $((n + 1)) did not start after the panic"
dd if=/dev/$BLK_DEV of=/dev/null bs=4k count=1 iflag=direct status=none ||
	fail "the read after the crash failed"
t1=$(ms_now)
n=$((n + 1))
expect_eq incarnation "$(status_field $D incarnation)" $n
log "figure: crash --how panic to the first completed read: $((t1 - t0)) ms"

for k in timeouts errors; do
	expect_eq "$k" "$(blk_stat $D $k)" 0
done
expect_eq protocol_errors "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
blk_domain_stop $D
trap - EXIT
kvm_pin_stop
unload_drvbox
dmesg_check_clean blk_domain_crash
