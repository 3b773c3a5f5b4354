#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A driver domain with null_blk reaches running; the guest's console shows
# null_blk loaded; ls and status show it; stop removes it; rmmod works.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/domain.sh"

load_drvbox_real
dmesg_mark
trap 'stop_all_domains; rmmod drvbox 2>/dev/null' EXIT

"$DRVBOX" run --name t0 --driver null_blk || fail "drvbox run t0 failed"
[ "$(dom_attr t0 state)" = running ] || fail "state is '$(dom_attr t0 state)', expected running"
boot_ms=$(dom_attr t0 boot_ms)
[ "${boot_ms:-0}" -gt 0 ] || fail "boot_ms is '$boot_ms'"
log "t0 running, boot ${boot_ms} ms"

"$DRVBOX" logs t0 > /tmp/t0.log || fail "drvbox logs t0 failed"
grep -q 'drvbox-init: loaded null_blk' /tmp/t0.log ||
	{ tail -n 30 /tmp/t0.log | sed 's/^/# log: /'; fail "logs do not show null_blk loaded"; }
grep -q 'drvbox_stub' /tmp/t0.log || log "note: stub not mentioned in the log"

"$DRVBOX" ls > /tmp/ls.txt || fail "drvbox ls failed"
cat /tmp/ls.txt
grep -E "^t0[[:space:]]+running[[:space:]]" /tmp/ls.txt >/dev/null || fail "ls does not show t0 running"
grep -q -w "$boot_ms" /tmp/ls.txt || fail "ls does not show the boot time $boot_ms"

"$DRVBOX" ls --json > /tmp/ls.json || fail "drvbox ls --json failed"
python3 - "$boot_ms" <<'PY' || fail "ls --json is wrong: $(cat /tmp/ls.json)"
import json, sys
text = open("/tmp/ls.json").read()
try:
    doms = json.loads(text)
except ValueError:
    doms = [json.loads(l) for l in text.splitlines() if l.strip()]
t0 = [d for d in doms if d["name"] == "t0"]
assert len(t0) == 1, doms
d = t0[0]
assert d["state"] == "running", d
assert d["boot_ms"] == int(sys.argv[1]), d
assert d["restarts"] == 0, d
assert isinstance(d["exports"], list), d
PY

"$DRVBOX" status t0 > /tmp/status.txt || fail "drvbox status t0 failed"
grep -q null_blk /tmp/status.txt || fail "status does not list null_blk"

"$DRVBOX" stop t0 || fail "drvbox stop t0 failed"
[ ! -e /sys/kernel/drvbox/domains/t0 ] || fail "t0 still in sysfs after stop"
vmm_running && fail "a drvbox-vmm process survived stop"
rmmod_drvbox || fail "rmmod after stop failed"
trap - EXIT
dmesg_check_clean domain_run
