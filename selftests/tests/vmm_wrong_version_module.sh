#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A module built for another kernel (null_blk of the other installed
# kernel, by path) gets into the guest, its load fails there, and the guest
# /init says so on the console with the loader's error; the domain's other
# module (the stub) still loads and /init still reaches "ready".  (A 6.12
# guest rejects 6.1's null_blk.ko with ENOEXEC, a 6.1 guest 6.12's
# null_blk.ko.xz, which the VMM unpacked for it.)
. "$(dirname "$0")/../lib/common.sh"

VMM="$TOOLS/drvbox-vmm"
[ -x "$VMM" ] || fail "$VMM not built (make)"
[ -r "$STUB_KO" ] || fail "$STUB_KO not built (make KVER=$KVER)"
[ -c /dev/kvm ] || skip "no /dev/kvm"

other=""
for k in /lib/modules/*; do
	k="${k##*/}"
	[ "$k" != "$KVER" ] || continue
	for f in /lib/modules/"$k"/kernel/drivers/block/null_blk/null_blk.ko{,.xz}; do
		[ -r "$f" ] && { other="$f"; break 2; }
	done
done
[ -n "$other" ] || skip "no other kernel's null_blk module installed"
file="${other##*/}"
file="${file%.xz}"	# the VMM unpacks it: the guest loads null_blk.ko
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

"$VMM" --standalone --kernel "/boot/vmlinuz-$KVER" --module "$other" \
	--log "$log" --until 'drvbox-init: ready' --timeout 180 2>"$log.err"
rc=$?
sed 's/^/# console: /' "$log" | tail -n 20
sed 's/^/# vmm: /' "$log.err"
rm -f "$log.err"
[ $rc = 0 ] || fail "drvbox-vmm exited with $rc, expected 0 (init reached ready)"
grep -q '^drvbox-init: drvbox_stub.ko bound to ' "$log" || fail "stub not bound"
err="$(grep "^drvbox-init: $file: " "$log")" ||
	fail "no loader error for $file on the console"
grep -qE ": (Exec format error|Invalid argument|Operation not supported)$" <<<"$err" ||
	fail "unexpected loader error: $err"
grep -q '^drvbox-init: ready (.* 1 failed[,)]' "$log" ||
	fail "init's summary does not count the failure"
grep -q "^drvbox-init: loaded $file" "$log" && fail "$file loaded into a $KVER guest"
log "$other in a $KVER guest: $err"
