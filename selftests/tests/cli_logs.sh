#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox logs prints /run/drvbox/NAME/console.log; --follow keeps reading
# as it grows and across rotation (console.log -> console.log.1), and exits
# 0 on SIGINT.  Needs no drvbox.ko: the log is written by hand.
. "$(dirname "$0")/../lib/common.sh"

DRVBOX="$TOOLS/drvbox"
[ -x "$DRVBOX" ] || fail "$DRVBOX not built (make tools)"
D=/run/drvbox/clilog0
OUT=/tmp/cli-logs.out
rm -rf "$D"; mkdir -p "$D"
follower=
trap '[ -n "$follower" ] && kill "$follower" 2>/dev/null; rm -rf "$D"' EXIT

"$DRVBOX" logs nosuchdomain >/dev/null 2>/tmp/cli-logs.err && fail "logs of a missing domain succeeded"
[ "$(cat /tmp/cli-logs.err)" = "drvbox: no console log for nosuchdomain (/run/drvbox/nosuchdomain/console.log: No such file or directory)" ] ||
	fail "unexpected message: $(cat /tmp/cli-logs.err)"
"$DRVBOX" logs 'bad/name' 2>/dev/null; [ $? = 1 ] || fail "logs with a bad name did not exit 1"

printf '=== drvbox: clilog0 incarnation 1 started ===\nline one\n' >"$D/console.log"
"$DRVBOX" logs clilog0 >"$OUT" || fail "drvbox logs failed"
cmp -s "$OUT" "$D/console.log" || fail "logs output differs from the file"

"$DRVBOX" logs --follow clilog0 >"$OUT" 2>&1 &
follower=$!
sleep 0.5
echo "line two" >>"$D/console.log"
sleep 0.5
# Rotation as the VMM does it: rename, then a new file.
echo "last of the old file" >>"$D/console.log"
mv "$D/console.log" "$D/console.log.1"
sleep 0.3
printf '=== drvbox: clilog0 incarnation 2 started ===\nline three\n' >"$D/console.log"
sleep 0.6
echo "line four" >>"$D/console.log"
sleep 0.6
kill -INT "$follower"
wait "$follower"
rc=$?
follower=
[ "$rc" = 0 ] || fail "logs --follow exited $rc on SIGINT, expected 0"
for l in "line one" "line two" "last of the old file" "incarnation 2 started" "line three" "line four"; do
	grep -q "$l" "$OUT" || { sed 's/^/# out: /' "$OUT"; fail "--follow missed '$l'"; }
done
[ "$(grep -c 'line one' "$OUT")" = 1 ] || fail "--follow printed 'line one' twice"
log "logs and logs --follow across rotation"
