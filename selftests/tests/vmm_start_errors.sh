#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox-vmm refuses to start with a clear message (and exit status 1)
# when the kernel image, a module, or the guest stub is missing, or the
# kernel is not a bzImage.  No guest boots in this test.
. "$(dirname "$0")/../lib/common.sh"

VMM="$TOOLS/drvbox-vmm"
[ -x "$VMM" ] || fail "$VMM not built (make)"
KERNEL="/boot/vmlinuz-$KVER"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# expect_error WANT ARGS...: drvbox-vmm ARGS exits 1 and says WANT
expect_error() {
	local want="$1" out rc
	shift
	out="$("$VMM" --standalone --log "$tmp/console.log" "$@" 2>&1)"
	rc=$?
	[ $rc = 1 ] || fail "drvbox-vmm $*: exit status $rc, expected 1 (output: $out)"
	grep -qF -- "drvbox-vmm: $want" <<<"$out" ||
		fail "drvbox-vmm $*: expected \"$want\", got: $out"
	grep -qF -- "ended: $want" "$tmp/console.log" ||
		fail "drvbox-vmm $*: no end marker with the error in the console log"
	log "ok: $want"
}

expect_error "kernel image /boot/vmlinuz-0.0.0-none: No such file or directory" \
	--kernel /boot/vmlinuz-0.0.0-none --module null_blk
expect_error "kernel image /etc/os-release: not a bzImage" \
	--kernel /etc/os-release
expect_error "module no_such_module_xyz: not found in /lib/modules/$KVER (modules.dep)" \
	--kernel "$KERNEL" --module no_such_module_xyz
expect_error "module /nonexistent/flaky.ko: No such file or directory" \
	--kernel "$KERNEL" --module /nonexistent/flaky.ko
expect_error "module parameter \"null_blk\": expected MODULE.KEY=VALUE" \
	--kernel "$KERNEL" --module null_blk --param null_blk

# No stub next to a copied VMM (nor installed): say where it looked.
if [ ! -e "/lib/modules/$KVER/extra/drvbox_stub.ko" ]; then
	mkdir -p "$tmp/bin"
	cp "$VMM" "$TOOLS/drvbox-init" "$tmp/bin/"
	VMM="$tmp/bin/drvbox-vmm" expect_error "guest stub for $KVER not found" \
		--kernel "$KERNEL" --module null_blk
	rm "$tmp/bin/drvbox-init"
	[ -e /usr/local/libexec/drvbox/drvbox-init ] ||
		VMM="$tmp/bin/drvbox-vmm" expect_error \
			"guest init $tmp/bin/drvbox-init: No such file or directory" \
			--kernel "$KERNEL" --module null_blk
fi

# A console log over 4 MiB is rotated to .1 when an incarnation starts.
rm -f "$tmp/console.log" "$tmp/console.log.1"
head -c $((5 << 20)) /dev/zero | tr '\0' 'x' > "$tmp/console.log"
expect_error "kernel image /boot/vmlinuz-0.0.0-none: No such file or directory" \
	--kernel /boot/vmlinuz-0.0.0-none
[ "$(stat -c %s "$tmp/console.log.1" 2>/dev/null)" = $((5 << 20)) ] ||
	fail "the 5 MiB console log was not rotated to console.log.1"
[ "$(stat -c %s "$tmp/console.log")" -lt 4096 ] ||
	fail "console.log after rotation is $(stat -c %s "$tmp/console.log") bytes"
head -n1 "$tmp/console.log" | grep -q '^=== drvbox: standalone incarnation 1 started at ' ||
	fail "rotated console.log does not start with the start marker"
log "ok: console log rotated at 4 MiB"

# Usage errors are not domain errors: exit 1, message on stderr.
out="$("$VMM" --standalone 2>&1)" && fail "--standalone without --kernel succeeded"
grep -q -- "--standalone needs --kernel" <<<"$out" || fail "unclear usage error: $out"
"$VMM" --help | grep -q -- "--domain NAME --incarnation N" || fail "--help lacks the synopsis"
log "start errors are clear"
