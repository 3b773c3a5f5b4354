#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Transparent recovery with real data.  The data lives on the
# isolated nvme (drvbox-nvme0 passed through); flaky_blk is stacked over it
# in the same domain and the host writes through /dev/vdX.  For each
# crashing fault of flaky_blk (panic, oops, bug, hang) and for a VMM killed
# by SIGKILL, fio writes 4k blocks at random (iodepth 32, two jobs, crc32c
# verification interleaved) while the domain dies; fio must end with no I/O
# and no verify error, then a separate verify-only pass reads everything
# back.  The domain must have crashed exactly once and replayed requests;
# nothing may time out; the host log stays clean.  The outage (last request
# completed before the fault to the first completed after it) is logged.
#
# RECOV_CASES (default "panic oops bug hang vmm-kill") picks cases;
# make check runs each case as its own test (blk_recovery_CASE.sh).
# See blk_recovery_lib.sh for why flaky_blk's fault fires once.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
. "$(dirname "$0")/blk_recovery_lib.sh"
recov_need

# Per case: 2 jobs x 4 MiB = 2048 writes + 2048 verify reads, plus a few
# reads of the host's partition scan.  The fault fires after 3400 of them;
# after the crash come at most 696 + 64 replayed + 2048 (verify-only) =
# 2808 requests, under 3400: the next incarnation does not fault.
SIZE_MIB=4
FAULT_AFTER=3400

D=""
trap 'recov_sampler_stop; [ -n "$D" ] && "$DRVBOX" stop "$D" >/dev/null 2>&1; unload_drvbox' EXIT
unload_drvbox
# heartbeat_timeout_ms: a hung guest (fault hang) is killed after 10 s
# (not less: on a loaded 2-core machine a live nested guest can miss a few s).
# io_timeout_ms: long enough for a reboot on a loaded machine, so that a
# slow recovery shows as a slow recovery and not as EIO.
load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000 \
	heartbeat_timeout_ms=10000 io_timeout_ms=300000
dmesg_mark

summary=""
for c in ${RECOV_CASES:-panic oops bug hang vmm-kill}; do
	# n is fixed per case, not per position: each case writes its own
	# region with its own seed, so a lost write can never read back as
	# another case's identical data
	case $c in
	panic) n=1; fault=$c ;;
	oops) n=2; fault=$c ;;
	bug) n=3; fault=$c ;;
	hang) n=4; fault=$c ;;
	vmm-kill) n=5; fault=none ;;
	*) fail "unknown case $c" ;;
	esac
	D=rf$n
	t0=$(ms_now)
	recov_start $D $fault $FAULT_AFTER --restart-limit 5
	log "$c: domain up in $(($(ms_now) - t0)) ms"
	off=$((n * 2 * SIZE_MIB + 64))	# a region of its own on the nvme
	seed=$((4242 + n))
	recov_sampler_start $D
	t0=$(ms_now)
	recov_fio "rf-$c" $BLK_DEV $seed $off $SIZE_MIB > /tmp/recov-$c.fio 2>&1 &
	fio_pid=$!
	if [ $c = vmm-kill ]; then
		# a third of the way through, as flaky_blk's faults would be
		until [ "$(recov_done_count $D)" -ge 1400 ] || ! kill -0 $fio_pid 2>/dev/null; do
			sleep 0.1
		done
		"$DRVBOX" crash $D --how vmm-kill >/dev/null || fail "drvbox crash $D --how vmm-kill"
	fi
	wait $fio_pid || { cat /tmp/recov-$c.fio; blk_domain_logs $D; fail "$c: fio failed across the crash"; }
	recov_fio_kb /tmp/recov-$c.fio
	expect_eq "$c: KiB fio wrote" "$RECOV_WRITE_KB" $((2 * SIZE_MIB * 1024))
	expect_eq "$c: KiB fio read back" "$RECOV_READ_KB" $((2 * SIZE_MIB * 1024))
	t_fio=$(($(ms_now) - t0))
	recov_sampler_stop
	wait_incarnation $D 2 300
	stall=$(recov_longest_stall)
	log "$c: fio done in $t_fio ms, outage $stall ms"
	t0=$(ms_now)

	recov_fio "rf-$c" $BLK_DEV $seed $off $SIZE_MIB --verify_only > /tmp/recov-$c.vfy 2>&1 ||
		{ cat /tmp/recov-$c.vfy; fail "$c: the verify-only pass found bad data"; }
	expect_eq "$c: KiB of the verify-only pass" "$RECOV_READ_KB" $((2 * SIZE_MIB * 1024))
	log "$c: verify-only pass in $(($(ms_now) - t0)) ms"

	crashes=$(status_field $D crashes)
	reason=$(status_field $D last_crash_reason)
	expect_eq "$c: crashes" "$crashes" 1
	expect_eq "$c: incarnation" "$(status_field $D incarnation)" 2
	if [ $fault != none ]; then
		"$DRVBOX" logs $D | grep -q "flaky_blk: injecting $fault after $FAULT_AFTER requests" ||
			{ blk_domain_logs $D; fail "$c: no 'injecting $fault' line in the domain's log"; }
	fi
	if [ $c = hang ]; then
		# the hang report: flaky_blk spins with interrupts off in the
		# only vCPU, called from kernel code the report names
		report=$("$DRVBOX" logs $D | grep 'drvbox-vmm: hang report:')
		echo "$report" | sed 's/^/#   /'
		echo "$report" | grep -q 'vCPU 0 running, interrupts off: rip 0xffffffffc' ||
			fail "$c: no hang report of vCPU 0 spinning in a module with interrupts off"
		echo "$report" | grep -Eq 'vCPU 0 stack:( \? [A-Za-z0-9_.]+\+0x[0-9a-f]+)+' ||
			fail "$c: the hang report names no kernel function on vCPU 0's stack"
	fi
	[ "$(blk_stat $D replayed)" -gt 0 ] || fail "$c: nothing replayed: $(blk_exports $D)"
	expect_eq "$c: timeouts" "$(blk_stat $D timeouts)" 0
	expect_eq "$c: errors" "$(blk_stat $D errors)" 0
	expect_eq "$c: protocol_errors" "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
	boot=$(status_field $D boot_ms)
	log "$c: new incarnation booted in ${boot} ms; reason: $reason"
	log "$c: $(blk_exports $D | cut -d' ' -f3-)"
	summary="$summary $c=${stall}ms"
	recov_stop $D
	D=""
done
unload_drvbox
trap - EXIT
dmesg_check_clean blk_recovery_flaky
log "outage per case (last completion before the fault to first after):$summary"
