#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tier: full (only with CHECK_FULL=1; domain_crash covers every kind of crash
# in make check; see selftests/check)
# drvbox crash --how oops|hang|vmm-kill on a real domain: each ends the
# incarnation in its own way (the guest stub's wild write under oops=panic;
# every vCPU spinning so the heartbeat stops; SIGKILL to the VMM), the next
# incarnation runs, and status names the reason.  Crashing a domain that is
# not running is refused.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
cli_need_domains

trap '"$DRVBOX" stop cr0 >/dev/null 2>&1; unload_drvbox' EXIT
unload_drvbox
load_drvbox vmm_path="$(cli_vmm_path)"
dmesg_mark

"$DRVBOX" run --name cr0 --driver null_blk --cpus 2 >/dev/null 2>/tmp/cr.err ||
	fail "drvbox run cr0 failed: $(cat /tmp/cr.err)"

n=1
for how in oops hang vmm-kill; do
	"$DRVBOX" crash cr0 --how "$how" >/tmp/cr.out || fail "crash --how $how failed"
	[ "$(cat /tmp/cr.out)" = "cr0: $how injected" ] || fail "crash said: $(cat /tmp/cr.out)"
	n=$((n + 1))
	wait_incarnation cr0 "$n" 150
	reason=$(status_field cr0 last_crash_reason)
	log "$how: incarnation $n running; last crash: $reason"
	case $how in
	oops) echo "$reason" | grep -q 'guest panic' || fail "oops: reason '$reason'"
	      "$DRVBOX" logs cr0 | grep -q 'drvbox_stub: oops requested by the host' ||
		fail "the log does not show the oops request"
	      "$DRVBOX" logs cr0 | grep -q 'BUG: kernel NULL pointer dereference' ||
		fail "the log does not show the oops" ;;
	hang) [ "$reason" = "heartbeat lost" ] || fail "hang: reason '$reason'" ;;
	vmm-kill) echo "$reason" | grep -q 'signal 9' || fail "vmm-kill: reason '$reason'" ;;
	esac
done
[ "$(status_field cr0 crashes)" = 3 ] || fail "crashes is $(status_field cr0 crashes), expected 3"

"$DRVBOX" stop cr0 >/dev/null || fail "stop failed"
"$DRVBOX" run --name cr0 --driver null_blk --detach >/dev/null || fail "run --detach failed"
"$DRVBOX" crash cr0 --how panic >/dev/null 2>/tmp/cr.err
[ $? = 1 ] || fail "crashing a starting domain did not exit 1"
grep -qE "^drvbox: cr0 is (starting|restarting): only a running domain can be crashed$" /tmp/cr.err ||
	fail "crash of a starting domain said: $(cat /tmp/cr.err)"
"$DRVBOX" stop cr0 >/dev/null || fail "stop failed"
rmmod_drvbox || fail "rmmod drvbox failed"
trap - EXIT
dmesg_check_clean cli_crash
