#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# How domains fail, with the fake VMM: start error, module load failure,
# heartbeat loss (and a guest without heartbeat that answers pings, which
# does not fail), boot timeout, VMM gone before attach, the restart rate
# limit, NO_RESTART, an unrunnable vmm_path, and a guest writing garbage
# (restarted, host log clean).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/kmod_lib.sh"

# 3 s: a domain in "silent" mode is RUNNING for that long before its
# crash, long enough for a poll on a slow machine to see it
kmod_setup heartbeat_timeout_ms=3000 boot_timeout_ms=4000

# run_case NAME MODE [create args...]: create NAME with the fake VMM in MODE
run_case() {
	local name=$1
	fake_mode "$2"
	shift 2
	dbx create "$name" "$@" || fail "create $name"
}
gone() { dbx destroy "$1" || fail "destroy $1"; }

run_case se start-error
wait_state se failed 15 || fail "start-error: not failed"
expect_eq "start-error last_error" "$(st se last_error)" "fake: no kernel image"
expect_eq "start-error crashes" "$(st se crashes)" 0
sleep 1
expect_eq "start-error incarnation" "$(st se incarnation)" 1
gone se

run_case mf module-fail
wait_state mf failed 15 || fail "module-fail: not failed"
expect_eq "module-fail last_error" "$(st mf last_error)" "module fake_drv.ko: Exec format error"
expect_eq "module-fail module0" "$(st mf module0)" "fake_drv.ko 2 -8"
wait_until 5 st_is mf vmm_pid 0 || fail "module-fail: VMM not killed"
gone mf

# A guest that never bumps its heartbeat but answers the supervisor's
# pings is alive (an idle guest's deferrable heartbeat timer does not
# run); one that answers nothing is hung.
run_case nh no-heartbeat
wait_state nh running 15 || fail "no-heartbeat: not running"
sleep 7		# over twice heartbeat_timeout_ms
expect_eq "no-heartbeat crashes" "$(st nh crashes)" 0
[ "$(cat /sys/kernel/drvbox/domains/nh/pings)" -ge 1 ] ||
	fail "no-heartbeat: running without a heartbeat, and never pinged"
log "no-heartbeat: alive on $(cat /sys/kernel/drvbox/domains/nh/pings) answered ping(s)"
gone nh

run_case si silent
wait_state si running 15 || fail "silent: not running"
wait_until 15 st_ge si crashes 1 || fail "silent: no crash"
expect_eq "silent reason" "$(st si last_crash_reason)" "heartbeat lost"
gone si

run_case sb slow-boot
wait_until 20 st_ge sb crashes 1 || fail "slow-boot: no crash"
expect_eq "slow-boot reason" "$(st sb last_crash_reason)" "boot timeout (4000 ms)"
gone sb

run_case ee exit-early --limit 2 --window 60
wait_state ee failed 20 || fail "exit-early: not failed"
expect_eq "exit-early crashes" "$(st ee crashes)" 3
expect_eq "exit-early reason" "$(st ee last_crash_reason)" "VMM exited with status 3"
expect_eq "exit-early last_error" "$(st ee last_error)" \
	"crashed 3 times within 60 s, gave up: VMM exited with status 3"
# a requested restart gives a FAILED domain a fresh try
fake_mode ok
dbx restart ee || fail "restart of a failed domain"
wait_state ee running 15 4 || fail "restart of a failed domain: not running"
expect_eq "restart: last_error" "$(st ee last_error)" ""
gone ee

run_case nr report-panic --flags 1
wait_state nr failed 20 || fail "NO_RESTART: not failed"
expect_eq "NO_RESTART last_error" "$(st nr last_error)" "guest panic: fake (restart disabled)"
expect_eq "NO_RESTART incarnation" "$(st nr incarnation)" 1
gone nr

fake_mode ok
path=$(cat /sys/module/drvbox/parameters/vmm_path)
echo /nonexistent/drvbox-vmm > /sys/module/drvbox/parameters/vmm_path
run_case bp ok
wait_state bp failed 10 || fail "bad vmm_path: not failed"
expect_eq "bad vmm_path last_error" "$(st bp last_error)" \
	"cannot run VMM /nonexistent/drvbox-vmm: error -2"
echo "$path" > /sys/module/drvbox/parameters/vmm_path
gone bp

dmesg_check_clean kmod_failures-before-garbage
run_case gb garbage
wait_state gb running 15 || fail "garbage: not running"
wait_until 20 st_ge gb crashes 1 || fail "garbage: not restarted"
expect_eq "garbage reason" "$(st gb last_crash_reason)" "guest protocol violation: state 77"
perr=$(cat /sys/kernel/drvbox/domains/gb/protocol_errors)
[ "$perr" -ge 3 ] || fail "garbage: protocol_errors $perr, expected >= 3"
wait_state gb running 15 2 || fail "garbage: not running again"
gone gb
dmesg_since_mark | grep -q "guest protocol violation" || fail "violation not logged"

kmod_teardown kmod_failures
