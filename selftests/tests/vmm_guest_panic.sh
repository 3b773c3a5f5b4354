#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A guest kernel panic (here: no init, so no root to mount) ends in a write
# to the reset control port (reboot=p panic=-1), not in a triple fault;
# drvbox-vmm exits with status 2 and the end marker names the panic message
# from the console.
. "$(dirname "$0")/../lib/common.sh"

VMM="$TOOLS/drvbox-vmm"
[ -x "$VMM" ] || fail "$VMM not built (make)"
[ -r "$STUB_KO" ] || fail "$STUB_KO not built (make KVER=$KVER)"
[ -c /dev/kvm ] || skip "no /dev/kvm"
log="$(mktemp)"
trap 'rm -f "$log" "$log.err"' EXIT

"$VMM" --standalone --kernel "/boot/vmlinuz-$KVER" \
	--cmdline "rdinit=/no-such-init" --log "$log" --timeout 180 2>"$log.err"
rc=$?
sed 's/^/# console: /' "$log" | tail -n 15
sed 's/^/# vmm: /' "$log.err"
[ $rc = 2 ] || fail "drvbox-vmm exited with $rc, expected 2 (guest died)"
grep -q '^=== drvbox: standalone incarnation 1 ended: guest panic: .*VFS: Unable to mount root fs' "$log" ||
	fail "end marker does not carry the panic message"
grep -q 'guest panic: .*(guest reboot)$' "$log.err" ||
	fail "the guest did not end through the reset port (reboot=p)"
log "$(tail -n1 "$log")"
