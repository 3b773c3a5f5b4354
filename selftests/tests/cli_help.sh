#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox CLI: --help of drvbox and of every command, and usage errors
# (exit 2).  Needs neither root nor drvbox.ko.
. "$(dirname "$0")/../lib/common.sh"

DRVBOX="$TOOLS/drvbox"
[ -x "$DRVBOX" ] || fail "$DRVBOX not built (make tools)"

# expect RC CMD...: run CMD, check its exit status.
expect() {
	local want=$1 rc
	shift
	"$@" >/tmp/cli.out 2>/tmp/cli.err
	rc=$?
	[ "$rc" = "$want" ] || {
		sed 's/^/# out: /' /tmp/cli.out; sed 's/^/# err: /' /tmp/cli.err
		fail "'$*' exited $rc, expected $want"
	}
}

expect 0 "$DRVBOX" --help
grep -q '^Usage: drvbox COMMAND' /tmp/cli.out || fail "drvbox --help has no Usage line"
cp /tmp/cli.out /tmp/cli.help
for c in run ls status logs stop restart upgrade crash version; do
	grep -qE "^  $c " /tmp/cli.help || fail "drvbox --help does not list '$c'"
	expect 0 "$DRVBOX" "$c" --help
	grep -q "^Usage: drvbox $c" /tmp/cli.out ||
		fail "drvbox $c --help: no 'Usage: drvbox $c' line"
	[ -s /tmp/cli.err ] && fail "drvbox $c --help wrote to stderr"
done
log "--help of drvbox and its 9 commands"

expect 2 "$DRVBOX"
expect 2 "$DRVBOX" frobnicate
grep -q "unknown command 'frobnicate'" /tmp/cli.err || fail "no 'unknown command' message"
expect 2 "$DRVBOX" run --name a
grep -q -- '--driver is required' /tmp/cli.err || fail "run without --driver: $(cat /tmp/cli.err)"
expect 2 "$DRVBOX" run --driver x
grep -q -- '--name is required' /tmp/cli.err || fail "run without --name: $(cat /tmp/cli.err)"
expect 2 "$DRVBOX" run --name a --driver x --bogus
grep -q "unknown option '--bogus'" /tmp/cli.err || fail "run --bogus: $(cat /tmp/cli.err)"
expect 2 "$DRVBOX" run --name a --driver
expect 2 "$DRVBOX" run --name a --driver x extra
expect 2 "$DRVBOX" ls --bogus
expect 2 "$DRVBOX" status
expect 2 "$DRVBOX" status a b
expect 2 "$DRVBOX" logs
expect 2 "$DRVBOX" stop
expect 2 "$DRVBOX" restart
expect 2 "$DRVBOX" restart a --timeout
expect 2 "$DRVBOX" restart a --timeout=0
expect 2 "$DRVBOX" restart a --graceful b
expect 2 "$DRVBOX" restart a --soon
grep -q "unknown option '--soon'" /tmp/cli.err || fail "restart --soon: $(cat /tmp/cli.err)"
expect 2 "$DRVBOX" upgrade
expect 2 "$DRVBOX" upgrade a
grep -q -- '--driver is required' /tmp/cli.err || fail "upgrade without --driver: $(cat /tmp/cli.err)"
expect 2 "$DRVBOX" upgrade a b --driver x
expect 2 "$DRVBOX" upgrade a --driver x --timeout soon
expect 2 "$DRVBOX" upgrade 'a b' --driver x
expect 2 "$DRVBOX" crash a
expect 2 "$DRVBOX" crash a --how explode
grep -q 'expected panic, oops, hang or vmm-kill' /tmp/cli.err || fail "crash --how explode: $(cat /tmp/cli.err)"
expect 2 "$DRVBOX" version extra
log "usage errors exit 2"
