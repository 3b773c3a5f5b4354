#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --restart-limit 1 --restart-window W: the second crash within W seconds
# leaves the domain failed, also for a window whose jiffies do not fit 32
# bits (W * HZ wrapped to a fraction of a second once, so the domain
# restarted for ever).  17179870 s is the first window that wrapped at
# HZ=250; 4294968 s the first at HZ=1000; the test uses both.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
cli_need_domains

D=rw0
trap '"$DRVBOX" stop $D >/dev/null 2>&1; unload_drvbox' EXIT
unload_drvbox
load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000
dmesg_mark

for window in 17179870 4294968; do
	"$DRVBOX" run --name $D --driver null_blk --mem 128 --restart-limit 1 \
		--restart-window $window --timeout 300 >/dev/null 2>/tmp/$D.err ||
		fail "drvbox run $D failed: $(cat /tmp/$D.err)"
	"$DRVBOX" crash $D --how panic >/dev/null || fail "first crash failed"
	wait_incarnation $D 2 300
	"$DRVBOX" crash $D --how panic >/dev/null || fail "second crash failed"
	for _ in $(seq 120); do
		[ "$(status_field $D state)" = failed ] && break
		sleep 0.5
	done
	state=$(status_field $D state)
	[ "$state" = failed ] ||
		fail "window $window s: state '$state' (incarnation $(status_field $D incarnation)) after 2 crashes with --restart-limit 1, expected failed"
	status_field $D last_error | grep -q "crashed 2 times within $window s" ||
		fail "window $window s: last error: $(status_field $D last_error)"
	log "window $window s: failed after the second crash"
	"$DRVBOX" stop $D >/dev/null || fail "drvbox stop $D failed"
done
dmesg_check_clean
exit 0
