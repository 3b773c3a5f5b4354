#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tier: long (make check runs it on the newest kernel only; see selftests/check)
# Crash/restart cycles of a real domain leak nothing: afterwards host
# MemAvailable is back within 8 MiB of the start, and no VMM process or
# eventfd is left.  `make check` runs 10 cycles to stay within
# its time budget (each real restart is a nested-TCG guest boot, ~10 s);
# CYCLES=50 runs the full count (kmod_cycles does 50 with the fake VMM).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/domain.sh"

CYCLES=${CYCLES:-10}
# The crashes are injected (no hang among them): a 30 s heartbeat timeout
# keeps a guest starved on a busy machine from adding a restart of its own.
load_drvbox_real restart_limit=1000 heartbeat_timeout_ms=30000
dmesg_mark
trap 'stop_all_domains; rmmod drvbox 2>/dev/null' EXIT

sync; echo 3 > /proc/sys/vm/drop_caches
mem0=$(mem_available_kib)
efd0=$(count_eventfds)
files0=$(cut -f1 /proc/sys/fs/file-nr)
"$DRVBOX" run --name m0 --driver null_blk --mem 128 || fail "drvbox run m0 failed"
hows=(vmm-kill panic vmm-kill oops vmm-kill)
for i in $(seq 1 "$CYCLES"); do
	how=${hows[$((i % ${#hows[@]}))]}
	before=$(dom_attr m0 restarts)
	"$DRVBOX" crash m0 --how "$how" || fail "cycle $i: crash --how $how failed"
	wait_until 60 "cycle $i restart" dom_attr_gt m0 restarts "$before"
	wait_until 180 "cycle $i running" dom_state_is m0 running
	[ $((i % 10)) != 0 ] || log "cycle $i/$CYCLES done (MemAvailable $(mem_available_kib) KiB)"
done
[ "$(dom_attr m0 restarts)" = "$CYCLES" ] ||
	fail "expected $CYCLES restarts, got $(dom_attr m0 restarts) (last reason: $(dom_attr m0 last_crash_reason))"
"$DRVBOX" stop m0 || fail "stop failed"
wait_until 10 "VMM processes to go" eval '! vmm_running'
rmmod drvbox || fail "rmmod failed"
trap - EXIT

sync; echo 3 > /proc/sys/vm/drop_caches
mem1=$(mem_available_kib)
efd1=$(count_eventfds)
files1=$(cut -f1 /proc/sys/fs/file-nr)
log "MemAvailable: ${mem0} KiB before, ${mem1} KiB after ($(( (mem0 - mem1) )) KiB less)"
log "eventfds open: $efd0 before, $efd1 after"
[ $((mem0 - mem1)) -le 8192 ] || fail "MemAvailable dropped by $((mem0 - mem1)) KiB (> 8 MiB)"
log "open files (file-nr): $files0 before, $files1 after"
[ "$efd1" -le "$efd0" ] || fail "eventfds leaked: $efd0 -> $efd1"
[ "$files1" -le $((files0 + 32)) ] || fail "open files grew: $files0 -> $files1"
dmesg_check_clean domain_cycles
