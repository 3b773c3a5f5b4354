#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox end to end with the real VMM and guest stub: run reaches running;
# ls, status and logs show it; a crash (panic) brings incarnation 2 with
# the reason; restart brings incarnation 3; stop removes it; a module that
# fails in the guest makes run fail with the module's error and clean up.
. "$(dirname "$0")/../lib/common.sh"

. "$(dirname "$0")/cli_lib.sh"
cli_need_domains

W=/tmp/cli-e2e
rm -rf "$W"; mkdir -p "$W"
trap '"$DRVBOX" stop e2e0 >/dev/null 2>&1; "$DRVBOX" stop e2e1 >/dev/null 2>&1; unload_drvbox' EXIT
unload_drvbox
load_drvbox vmm_path="$(cli_vmm_path)"
dmesg_mark

# The log an earlier domain of the same name left behind: the new domain
# starts its own, the old one becomes console.log.1.
mkdir -p /run/drvbox/e2e0
echo "stale line of an earlier e2e0" > /run/drvbox/e2e0/console.log
"$DRVBOX" run --name e2e0 --driver null_blk --export blk:nullb0 >"$W/out" 2>"$W/err" ||
	{ sed 's/^/# err: /' "$W/err"; "$DRVBOX" logs e2e0 | tail -n 30 | sed 's/^/# log: /'; fail "drvbox run e2e0 failed"; }
cat "$W/out"
grep -qE '^e2e0: running \(boot [0-9]+ ms\)$' "$W/out" || fail "run said: $(cat "$W/out")"
boot=$(sed -E 's/.*boot ([0-9]+) ms.*/\1/' "$W/out")
[ "$boot" -gt 0 ] || fail "boot time $boot"

"$DRVBOX" ls >"$W/ls" || fail "drvbox ls failed"
grep -qE "^e2e0 +running +0 +$boot +256M +blk:nullb0->" "$W/ls" || fail "ls: $(cat "$W/ls")"
"$DRVBOX" status e2e0 >"$W/st" || fail "drvbox status failed"
grep -qE '^  null_blk\.ko(\.xz)? +loaded$' "$W/st" || fail "status does not show null_blk loaded: $(cat "$W/st")"
grep -qE '^  blk nullb0 +[0-9]+ bytes$' "$W/st" || fail "status does not show the guest's nullb0: $(cat "$W/st")"
pid=$(status_field e2e0 vmm_pid)
[ "$pid" -gt 0 ] && [ -d "/proc/$pid" ] || fail "VMM pid '$pid' is not a process"
"$DRVBOX" logs e2e0 >"$W/log" || fail "drvbox logs failed"
grep -q 'drvbox-init: loaded null_blk' "$W/log" || fail "the console log does not show null_blk loaded"
grep -q 'stale line' "$W/log" && fail "drvbox logs shows the earlier domain's log"
grep -q 'stale line' /run/drvbox/e2e0/console.log.1 || fail "the earlier log is not console.log.1"
log "e2e0 running after $boot ms; ls, status, logs agree"

"$DRVBOX" crash e2e0 --how panic >/dev/null || fail "drvbox crash --how panic failed"
wait_incarnation e2e0 2 150
[ "$(status_field e2e0 crashes)" = 1 ] || fail "crashes is not 1"
status_field e2e0 last_crash_reason | grep -q 'panic requested by the host' ||
	fail "last crash reason: $(status_field e2e0 last_crash_reason)"
"$DRVBOX" logs e2e0 | grep -q 'Kernel panic - not syncing: drvbox: panic requested by the host' ||
	fail "the console log does not show the panic"
log "panic -> incarnation 2 running, reason recorded"

"$DRVBOX" restart e2e0 --timeout 180 >"$W/out" || fail "drvbox restart failed"
grep -qE '^e2e0: running \(boot [0-9]+ ms, incarnation 3\)$' "$W/out" || fail "restart said: $(cat "$W/out")"
"$DRVBOX" stop e2e0 >/dev/null || fail "drvbox stop failed"
[ "$(wc -l < <("$DRVBOX" ls))" = 1 ] || fail "ls not empty after stop"
kill -0 "$pid" 2>/dev/null && fail "VMM $pid survived stop"
log "restart -> incarnation 3; stop"

# A module that fails in the guest: run fails with its error, cleans up.
"$DRVBOX" run --name e2e1 --driver null_blk --param null_blk.queue_mode=bogus \
	>"$W/out" 2>"$W/err"
rc=$?
sed 's/^/# run: /' "$W/err"
[ $rc = 1 ] || fail "run with a failing module exited $rc"
grep -qE '^drvbox: e2e1 failed to start: .*null_blk' "$W/err" || fail "run did not name null_blk"
grep -qE '^drvbox:   module null_blk\.ko(\.xz)?: Invalid argument \(error -22\)$' "$W/err" ||
	fail "run did not list the failed module"
grep -qx 'drvbox: e2e1 removed' "$W/err" || fail "run did not remove e2e1"
[ "$(wc -l < <("$DRVBOX" ls))" = 1 ] || fail "ls not empty after the failed run"

rmmod_drvbox || fail "rmmod drvbox failed"
trap - EXIT
dmesg_check_clean cli_e2e
