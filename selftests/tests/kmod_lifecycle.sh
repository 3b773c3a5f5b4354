#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A domain's life with the fake VMM: create -> RUNNING with boot_ms, sysfs,
# rmmod refused while it exists, requested restart, crashes (VMM killed,
# guest panic, guest hang) each restarted with the right reason and fresh
# zeroed memory, destroy frees it all, then rmmod works.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/kmod_lib.sh"

kmod_setup heartbeat_timeout_ms=3000
D=life0
dbx create $D || fail "create"
wait_state $D running 30 || fail "not running"
boot=$(st $D boot_ms)
[ "$boot" -gt 0 ] || fail "boot_ms is $boot"
expect_eq incarnation "$(st $D incarnation)" 1
# 8 KiB of host/guest pages + the rings of blk:fakeblk0 (1 queue)
expect_eq mem_kib "$(st $D mem_kib)" $((128 * 1024 + 12))
expect_eq module0 "$(st $D module0)" "fake_drv.ko 1 0"
expect_eq export0 "$(st $D export0)" "blk:fakeblk0"
pid=$(st $D vmm_pid)
expect_eq vmm_comm "$(cat /proc/"$pid"/comm 2>/dev/null)" fake_vmm
sys=/sys/kernel/drvbox/domains/$D
for f in state incarnation restarts crashes last_crash_reason last_error boot_ms mem_kib vcpus vmm_pid; do
	[ -r "$sys/$f" ] || fail "$sys/$f missing"
done
expect_eq sysfs_state "$(cat $sys/state)" running
expect_eq sysfs_vmm_pid "$(cat $sys/vmm_pid)" "$pid"
expect_eq sysfs_boot_ms "$(cat $sys/boot_ms)" "$boot"
log "running after $boot ms, VMM pid $pid"

out=$(rmmod drvbox 2>&1) && fail "rmmod succeeded with a domain"
drvbox_loaded || fail "drvbox unloaded with a domain"
echo "$out" | grep -qi "in use\|busy" || fail "rmmod said: $out"

dbx restart $D || fail "restart"
wait_state $D running 20 2 || fail "not running after restart"
expect_eq restarts "$(st $D restarts)" 1
expect_eq crashes "$(st $D crashes)" 0
expect_eq reason "$(st $D last_crash_reason)" "restart requested"

check_crash() { # HOW INCARNATION CRASHES REASON
	dbx crash $D "$1" || fail "crash $1"
	wait_state $D running 30 "$2" || fail "crash $1: no incarnation $2 running"
	expect_eq "crash $1 crashes" "$(st $D crashes)" "$3"
	expect_eq "crash $1 reason" "$(st $D last_crash_reason)" "$4"
	log "crash $1: restarted, reason '$4'"
}
check_crash vmm-kill 3 1 "VMM killed by signal 9"
check_crash panic 4 2 "guest panic: fake panic command"
check_crash oops 5 3 "guest panic: Fatal exception (fake oops)"
check_crash hang 6 4 "heartbeat lost"
expect_eq restarts "$(st $D restarts)" 5

grep -q "ram-zero=0" "$FAKE_LOG" && fail "an incarnation saw non-zero memory: $(cat $FAKE_LOG)"
expect_eq incarnations_logged "$(grep -c "^$D " "$FAKE_LOG")" 6

dbx destroy $D || fail "destroy"
dbx status $D | grep -q "errno 2 " || fail "status after destroy: $(dbx status $D)"
[ ! -e $sys ] || fail "$sys still there"
wait_until 5 no_fake_vmm_left || fail "fake_vmm left after destroy"
rmmod_drvbox || fail "rmmod after destroy"
dmesg_check_clean kmod_lifecycle
log "lifecycle ok"
