#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The point of drvbox, with flaky_blk's own fault: flaky_blk stacked over
# the passed-through nvme (drvbox-nvme0) in a domain, loaded with
# fault=panic fault_after=60.  The host writes 100 x 64 KiB with O_DIRECT
# and fsync through /dev/vdX; the guest panics in flaky_blk's queue_rq
# part-way; the domain restarts, the in-flight write is replayed and dd
# finishes without an error.  Incarnation 2, the crash reason is flaky_blk's
# panic, and after drvbox stop the host's own nvme holds every byte.  The
# host log stays clean.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
blk_domain_need

FLAKY_KO="$KBUILD/selftests/drivers/flaky_blk.ko"
[ -r "$FLAKY_KO" ] || fail "$FLAKY_KO not built (make KVER=$KVER)"
bdf=$(nvme_bdf drvbox-nvme0)
pci_need "$bdf" "nvme controller with serial drvbox-nvme0"
D=bfc
trap '"$DRVBOX" stop $D >/dev/null 2>&1; unload_drvbox' EXIT
unload_drvbox
# The restart boots a nested kernel under TCG (a minute or more on a loaded
# machine): no I/O timeout, so the replayed write waits for it.
load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000 io_timeout_ms=0
dmesg_mark

blk_domain_start $D --driver nvme --driver "$FLAKY_KO" --pci "$bdf" \
	--param flaky_blk.lower=/dev/nvme0n1 --param flaky_blk.lower_wait_ms=60000 \
	--param flaky_blk.fault=panic --param flaky_blk.fault_after=60 \
	--export blk:flakyb0 --mem 512 --timeout 420
expect_eq incarnation "$(status_field $D incarnation)" 1

head -c $((100 * 64 * 1024)) /dev/urandom > /tmp/bfc.rand
t0=$(ms_now)
dd if=/tmp/bfc.rand of=/dev/$BLK_DEV bs=64k oflag=direct conv=fsync status=none 2>/tmp/bfc.dd ||
	{ blk_domain_logs $D; fail "dd through the crashing domain failed: $(cat /tmp/bfc.dd)"; }
log "100 x 64 KiB written with one guest panic in between: $(($(ms_now) - t0)) ms"
expect_eq incarnation "$(status_field $D incarnation)" 2
expect_eq crashes "$(status_field $D crashes)" 1
reason=$(status_field $D last_crash_reason)
case "$reason" in
*"flaky_blk: injected panic after 60 requests"*) ;;
*) fail "last crash reason '$reason' is not flaky_blk's panic" ;;
esac
"$DRVBOX" logs $D | grep -q 'flaky_blk: injecting panic after 60 requests' ||
	{ blk_domain_logs $D; fail "the domain's log lacks the injection line"; }
[ "$(blk_stat $D replayed)" -ge 1 ] || fail "nothing replayed: $(blk_exports $D)"
expect_eq errors "$(blk_stat $D errors)" 0
log "crash reason: $reason; $(blk_exports $D)"
blk_domain_stop $D

wait_driver "$bdf" nvme 30
ns=""
for i in $(seq 60); do
	ctrl=$(nvme_ctrl drvbox-nvme0) && ns=$(nvme_ns "$ctrl")
	[ -n "$ns" ] && [ -e "/dev/$ns" ] && break
	sleep 0.5
done
[ -n "$ns" ] && [ -e "/dev/$ns" ] || fail "drvbox-nvme0 has no namespace on the host after stop"
dd if=/dev/$ns bs=64k count=100 iflag=direct status=none | cmp - /tmp/bfc.rand ||
	fail "the host's /dev/$ns does not hold what was written through the crashing domain"
log "after stop: /dev/$ns holds all 6400 KiB"
unload_drvbox
trap - EXIT
dmesg_check_clean blk_domain_flaky_crash
