#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 900 (about 4 minutes normally)
# drvbox restart --graceful and drvbox upgrade on an isolated nvme, each
# with fio writing and verifying through it: no I/O or verify error, the
# same host disk throughout.
#  - graceful: the domain drains, so nothing is replayed, and the
#    incarnation ends for "graceful restart" (not a timed-out drain);
#  - upgrade to the same driver with a parameter (nvme.io_queue_depth=64):
#    the next incarnation starts from the boot image and loads it with
#    that parameter, upgrades 1;
#  - upgrade to a parameter the module refuses: the command fails naming
#    the module and the error, the domain is back on the old parameter
#    (rollbacks 1), and the I/O that waited through it all completes;
#  - upgrade while the domain restarts: refused, nothing changes.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
. "$(dirname "$0")/blk_recovery_lib.sh"
recov_need

SIZE_MIB=6
D=bu0
trap '"$DRVBOX" stop $D >/dev/null 2>&1; unload_drvbox' EXIT
unload_drvbox
load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000 \
	heartbeat_timeout_ms=10000 io_timeout_ms=300000
dmesg_mark

blk_domain_start $D --driver nvme --pci "$NVME_BDF" --export blk:nvme0n1 \
	--mem 512 --timeout 420
dev=$BLK_DEV

# loaded_with PARAMS: the current incarnation's log loads nvme with PARAMS
loaded_with() {
	inc_log $D | grep -qE "drvbox-init: loaded nvme\.ko[.a-z]* $1 \("
}

# during N WHAT CMD...: fio (seed N, its own region) writing and
# verifying on the host disk while CMD runs; CMD's status is kept in
# $during_rc, its output in /tmp/$D.cmd.{out,err}.  Fails on any fio
# error, or if fio was not still running when CMD finished.
during() {
	local n=$1 what=$2 fio_pid t0
	shift 2
	recov_fio "bu-$n" "$dev" $((5150 + n)) $((64 + n * 2 * SIZE_MIB)) $SIZE_MIB \
		> /tmp/$D.fio.$n 2>&1 &
	fio_pid=$!
	until [ "$(recov_done_count $D)" -ge $((done0 + 500)) ] || ! kill -0 $fio_pid 2>/dev/null; do
		sleep 0.1
	done
	t0=$(ms_now)
	"$@" > /tmp/$D.cmd.out 2> /tmp/$D.cmd.err
	during_rc=$?
	log "$what: '$*' exited $during_rc after $(($(ms_now) - t0)) ms: $(cat /tmp/$D.cmd.out /tmp/$D.cmd.err | tr '\n' ' ')"
	kill -0 $fio_pid 2>/dev/null ||
		inconclusive "$what: fio was done before '$*' was: the I/O did not cross it (raise SIZE_MIB)"
	wait $fio_pid || { cat /tmp/$D.fio.$n; blk_domain_logs $D; fail "$what: fio failed"; }
	recov_fio_kb /tmp/$D.fio.$n
	expect_eq "$what: KiB fio wrote" "$RECOV_WRITE_KB" $((2 * SIZE_MIB * 1024))
	expect_eq "$what: KiB fio read back" "$RECOV_READ_KB" $((2 * SIZE_MIB * 1024))
}

# same_disk: the host disk is the one of the start, and has no errors
same_disk() {
	expect_eq "$1: host disk" "$(blk_host_dev $D)" "$dev"
	expect_eq "$1: timeouts" "$(blk_stat $D timeouts)" 0
	expect_eq "$1: errors" "$(blk_stat $D errors)" 0
	expect_eq "$1: protocol_errors" "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
}

# 1. graceful restart
done0=$(recov_done_count $D)
replayed0=$(blk_stat $D replayed)
during 1 graceful "$DRVBOX" restart $D --graceful --timeout 300
expect_eq "graceful: exit status" "$during_rc" 0
expect_eq "graceful: incarnation" "$(status_field $D incarnation)" 2
expect_eq "graceful: the end's reason" "$(status_field $D last_crash_reason)" "graceful restart"
expect_eq "graceful: replayed (all drained)" "$(blk_stat $D replayed)" "$replayed0"
expect_eq "graceful: crashes" "$(status_field $D crashes)" 0
same_disk graceful
log "graceful: $(blk_exports $D | cut -d' ' -f3-)"

# 2. an upgrade
done0=$(recov_done_count $D)
during 2 upgrade "$DRVBOX" upgrade $D --driver nvme --param nvme.io_queue_depth=64 --timeout 400
[ "$during_rc" = 0 ] || { blk_domain_logs $D; fail "upgrade: exit status $during_rc"; }
grep -q "^$D: upgraded, running the new drivers (incarnation 3, " /tmp/$D.cmd.out ||
	fail "upgrade: unexpected output: $(cat /tmp/$D.cmd.out)"
expect_eq "upgrade: upgrades" "$(status_field $D upgrades)" 1
expect_eq "upgrade: rollbacks" "$(status_field $D rollbacks)" 0
expect_eq "upgrade: crashes" "$(status_field $D crashes)" 0
loaded_with "io_queue_depth=64" ||
	{ blk_domain_logs $D; fail "upgrade: incarnation 3 did not load nvme with io_queue_depth=64"; }
# drivers are not in the boot image: new ones start from it too
inc_log $D 3 | grep -q "started from boot image" ||
	{ blk_domain_logs $D; fail "upgrade: incarnation 3 booted cold"; }
same_disk upgrade

# 3. an upgrade that fails: back on the old drivers
done0=$(recov_done_count $D)
during 3 rollback "$DRVBOX" upgrade $D --driver nvme --param nvme.io_queue_depth=bogus --timeout 400
expect_eq "rollback: exit status" "$during_rc" 1
grep -q "the upgrade of $D failed: module nvme.ko[.a-z]*: " /tmp/$D.cmd.err ||
	fail "rollback: no reason naming nvme: $(cat /tmp/$D.cmd.err)"
grep -q "$D is back on its previous drivers (incarnation 5, running)" /tmp/$D.cmd.err ||
	fail "rollback: no word of the previous drivers: $(cat /tmp/$D.cmd.err)"
expect_eq "rollback: upgrades" "$(status_field $D upgrades)" 1
expect_eq "rollback: rollbacks" "$(status_field $D rollbacks)" 1
expect_eq "rollback: state" "$(status_field $D state)" running
loaded_with "io_queue_depth=64" ||
	{ blk_domain_logs $D; fail "rollback: incarnation 5 is not on io_queue_depth=64 again"; }
same_disk rollback

# 4. not while restarting
"$DRVBOX" restart $D >/dev/null 2>&1 &
restart_pid=$!
wait_until 60 eval '[ "$(status_field $D state)" != running ]' ||
	fail "the domain did not leave running for the restart"
"$DRVBOX" upgrade $D --driver nvme >/tmp/$D.up.out 2>/tmp/$D.up.err
rc=$?
expect_eq "upgrade while restarting: exit status" "$rc" 1
grep -q "only a running domain can be upgraded" /tmp/$D.up.err ||
	fail "upgrade while restarting: $(cat /tmp/$D.up.err)"
wait $restart_pid || fail "drvbox restart $D failed"
expect_eq "after the refused upgrade: upgrades" "$(status_field $D upgrades)" 1
loaded_with "io_queue_depth=64" || fail "the refused upgrade changed the drivers"

log "$(blk_exports $D | cut -d' ' -f3-)"
recov_stop $D
unload_drvbox
trap - EXIT
dmesg_check_clean blk_upgrade
exit 0
