#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox version: with drvbox.ko both API versions; without it exit 1 and
# a message saying the module is not loaded.
. "$(dirname "$0")/../lib/common.sh"

DRVBOX="$TOOLS/drvbox"
[ -x "$DRVBOX" ] || fail "$DRVBOX not built (make tools)"
trap 'unload_drvbox' EXIT

unload_drvbox
"$DRVBOX" version >/tmp/v.out 2>/tmp/v.err && fail "drvbox version succeeded without drvbox.ko"
grep -q '^drvbox: drvbox.ko is not loaded (/dev/drvbox: No such file or directory)' /tmp/v.err ||
	fail "unexpected message without drvbox.ko: $(cat /tmp/v.err)"

load_drvbox
"$DRVBOX" version >/tmp/v.out 2>/tmp/v.err || fail "drvbox version failed: $(cat /tmp/v.err)"
grep -qx 'drvbox tool: api 3' /tmp/v.out || fail "no tool version line: $(cat /tmp/v.out)"
grep -qx 'drvbox.ko:   api 3' /tmp/v.out || fail "no module version line: $(cat /tmp/v.out)"
log "$(tr '\n' ' ' </tmp/v.out)"
