#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox run/ls/status/stop against drvbox.ko with a VMM that cannot be
# started: run reports the failure and removes the domain; run --detach
# leaves a failed domain that ls and status show (text and JSON); a second
# run of the name is refused; stop removes it; rmmod works afterwards.
. "$(dirname "$0")/../lib/common.sh"

DRVBOX="$TOOLS/drvbox"
[ -x "$DRVBOX" ] || fail "$DRVBOX not built (make tools)"
modinfo -p "$DRVBOX_KO" 2>/dev/null | grep -q '^vmm_path:' ||
	skip "this drvbox.ko has no vmm_path parameter (no domains yet)"
W=/tmp/cli-lifecycle
rm -rf "$W"; mkdir -p "$W"
trap '"$DRVBOX" stop lc0 >/dev/null 2>&1; "$DRVBOX" stop lc1 >/dev/null 2>&1; unload_drvbox' EXIT
unload_drvbox
load_drvbox vmm_path=/nonexistent/drvbox-vmm
dmesg_mark

ls_is_empty() {
	"$DRVBOX" ls >"$W/ls" 2>"$W/ls.err" || fail "drvbox ls failed: $(cat "$W/ls.err")"
	[ "$(wc -l <"$W/ls")" = 1 ] || fail "$1: ls shows domains: $(cat "$W/ls")"
}

# 1. run waits, sees FAILED, prints why, removes the domain.
"$DRVBOX" run --name lc0 --driver null_blk --timeout 60 >"$W/out" 2>"$W/err"
rc=$?
sed 's/^/# run: /' "$W/err"
[ $rc = 1 ] || fail "run with an unstartable VMM exited $rc, expected 1"
grep -q '^drvbox: lc0 failed to start: .*/nonexistent/drvbox-vmm' "$W/err" ||
	fail "run did not say why lc0 failed"
grep -qx 'drvbox: lc0 removed' "$W/err" || fail "run did not remove lc0"
ls_is_empty "after the failed run"

# 2. --detach returns after CREATE; the domain stays (failed).  Without
# virtio_blk (no udev here) run notes that the export gets no host device.
rmmod virtio_blk 2>/dev/null
"$DRVBOX" run --name lc0 --driver null_blk --export blk:nullb0 --mem 200 --cpus 2 \
	--detach >"$W/out" 2>"$W/err" || fail "run --detach failed: $(cat "$W/err")"
grep -qx 'lc0: created (starting; see drvbox status lc0)' "$W/out" || fail "run --detach said: $(cat "$W/out")"
if [ -d /sys/module/virtio_blk ]; then	# built in, or in use
	! grep -q 'virtio_blk is not loaded' "$W/err" ||
		fail "run says virtio_blk is not loaded while it is: $(cat "$W/err")"
else
	grep -qx 'drvbox: note: virtio_blk is not loaded, so blk:nullb0 gets no host device until it is (modprobe virtio_blk; udev normally does it)' "$W/err" ||
		fail "run did not note that virtio_blk is missing: $(cat "$W/err")"
fi
host_module virtio_blk
for _ in $(seq 50); do
	"$DRVBOX" status lc0 | grep -q '^state: *failed$' && break
	sleep 0.2
done
"$DRVBOX" status lc0 >"$W/st" || fail "drvbox status lc0 failed"
sed 's/^/# status: /' "$W/st"
grep -q '^state: *failed$' "$W/st" || fail "lc0 is not failed"
grep -q '^last error: .*/nonexistent/drvbox-vmm' "$W/st" || fail "status has no last error"
grep -q '^memory: *200 MiB guest RAM' "$W/st" || fail "status does not show 200 MiB"
grep -q '^vCPUs: *2$' "$W/st" || fail "status does not show 2 vCPUs"
grep -qE '^  blk:nullb0 +-> \(not yet\)$' "$W/st" || fail "status does not show the export"

"$DRVBOX" status lc0 --json >"$W/st.json" || fail "status --json failed"
/usr/bin/python3 - "$W/st.json" <<'PY' || fail "status --json is wrong: $(cat "$W/st.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["name"] == "lc0" and d["state"] == "failed", d
assert d["mem_mib"] == 200 and d["vcpus"] == 2, d
assert d["exports"] == [{"spec": "blk:nullb0", "host_dev": ""}], d
assert "/nonexistent/drvbox-vmm" in d["last_error"], d
assert isinstance(d["modules"], list) and isinstance(d["guest_devs"], list), d
PY

"$DRVBOX" run --name lc1 --driver null_blk --detach >/dev/null || fail "run lc1 --detach failed"
"$DRVBOX" ls >"$W/ls" || fail "drvbox ls failed"
sed 's/^/# ls: /' "$W/ls"
[ "$(wc -l <"$W/ls")" = 3 ] || fail "ls shows $(($(wc -l <"$W/ls") - 1)) domains, expected 2"
grep -qE '^lc0 +[a-z]+ +[0-9]+ +[0-9]+ +200M +blk:nullb0->\?$' "$W/ls" || fail "ls line of lc0 is wrong"
grep -qE '^lc1 +[a-z]+ +[0-9]+ +[0-9]+ +256M +-$' "$W/ls" || fail "ls line of lc1 is wrong"
[ "$(sed -n 2p "$W/ls" | cut -d' ' -f1)" = lc0 ] || fail "ls is not sorted by name"
"$DRVBOX" ls --json >"$W/ls.json" || fail "ls --json failed"
/usr/bin/python3 -m json.tool "$W/ls.json" >/dev/null || fail "ls --json is not JSON: $(cat "$W/ls.json")"
/usr/bin/python3 - "$W/ls.json" <<'PY' || fail "ls --json is wrong: $(cat "$W/ls.json")"
import json, sys
doms = json.load(open(sys.argv[1]))
assert [d["name"] for d in doms] == ["lc0", "lc1"], doms
for d in doms:
    for k in ("state", "restarts", "boot_ms", "exports"):
        assert k in d, (k, d)
assert doms[0]["exports"] == [{"spec": "blk:nullb0", "host_dev": ""}], doms
assert doms[1]["exports"] == [], doms
PY
log "run --detach, ls, ls --json, status, status --json"

# 3. The name is taken.
"$DRVBOX" run --name lc0 --driver null_blk >"$W/out" 2>"$W/err"
[ $? = 1 ] || fail "a second run of lc0 did not exit 1"
[ "$(cat "$W/err")" = "drvbox: domain lc0 already exists" ] || fail "second run said: $(cat "$W/err")"

# 4. stop, and the errors after it.
"$DRVBOX" stop lc0 >"$W/out" 2>"$W/err" || fail "stop lc0 failed: $(cat "$W/err")"
[ "$(cat "$W/out")" = "lc0: stopped" ] || fail "stop said: $(cat "$W/out")"
"$DRVBOX" stop lc1 >/dev/null || fail "stop lc1 failed"
ls_is_empty "after stop"
for c in "stop lc0" "status lc0" "restart lc0" "crash lc0 --how panic"; do
	# shellcheck disable=SC2086
	"$DRVBOX" $c >/dev/null 2>"$W/err"
	[ $? = 1 ] || fail "'drvbox $c' on a stopped domain did not exit 1"
	[ "$(cat "$W/err")" = "drvbox: no domain named 'lc0'" ] || fail "'drvbox $c' said: $(cat "$W/err")"
done
log "already-exists, stop, and no-such-domain messages"

rmmod_drvbox || fail "rmmod drvbox after stopping every domain failed"
trap - EXIT
dmesg_check_clean cli_lifecycle
