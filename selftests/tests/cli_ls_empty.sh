#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox ls with no domains: the table header only; --json an empty array.
. "$(dirname "$0")/../lib/common.sh"

DRVBOX="$TOOLS/drvbox"
[ -x "$DRVBOX" ] || fail "$DRVBOX not built (make tools)"
trap 'unload_drvbox' EXIT
unload_drvbox
load_drvbox

if ! "$DRVBOX" ls >/tmp/ls.out 2>/tmp/ls.err; then
	grep -q 'not supported by the loaded drvbox.ko' /tmp/ls.err &&
		skip "this drvbox.ko has no DRVBOX_LIST yet"
	fail "drvbox ls failed: $(cat /tmp/ls.err)"
fi
[ "$(wc -l </tmp/ls.out)" = 1 ] || fail "expected the header only, got: $(cat /tmp/ls.out)"
grep -qE '^NAME +STATE +RESTARTS +BOOT_MS +MEM +EXPORTS$' /tmp/ls.out ||
	fail "unexpected header: $(cat /tmp/ls.out)"

"$DRVBOX" ls --json >/tmp/ls.json 2>/tmp/ls.err || fail "drvbox ls --json failed: $(cat /tmp/ls.err)"
/usr/bin/python3 -m json.tool /tmp/ls.json >/dev/null || fail "ls --json is not JSON: $(cat /tmp/ls.json)"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d == [], d' /tmp/ls.json ||
	fail "ls --json with no domains is not []: $(cat /tmp/ls.json)"
log "ls: header only; ls --json: []"
