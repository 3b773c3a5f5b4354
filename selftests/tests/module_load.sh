#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# insmod/rmmod drvbox.ko 50 times: /dev/drvbox comes and goes each time,
# and the kernel log stays clean.
. "$(dirname "$0")/../lib/common.sh"

unload_drvbox
dmesg_mark
for i in $(seq 1 50); do
	insmod "$DRVBOX_KO" || fail "cycle $i: insmod failed"
	[ -c /dev/drvbox ] || fail "cycle $i: /dev/drvbox missing after insmod"
	rmmod drvbox || fail "cycle $i: rmmod failed"
	[ ! -e /dev/drvbox ] || fail "cycle $i: /dev/drvbox still there after rmmod"
done
n=$(dmesg_since_mark | grep -c 'drvbox: loaded')
[ "$n" = 50 ] || fail "expected 50 'loaded' messages, saw $n"
dmesg_check_clean module_load
log "50 insmod/rmmod cycles clean"
