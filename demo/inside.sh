#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The part of the demo that runs inside the test host.
set -euo pipefail
. "$(dirname "$0")/../selftests/lib/common.sh"

say() { printf '\n==> %s\n' "$*"; }
show() { echo "\$ $*"; "$@"; }
die() { echo "DEMO FAILED: $*"; exit 1; }

say "The test host runs a stock kernel with nested KVM:"
show uname -r
[ -c /dev/kvm ] || die "/dev/kvm missing"
show ls -l /dev/kvm

say "Load drvbox.ko"
show insmod "$DRVBOX_KO"
[ -c /dev/drvbox ] || die "/dev/drvbox did not appear"
show ls -l /dev/drvbox
show "$TOOLS/drvbox" version || die "version check failed"
dmesg | grep 'drvbox:' | tail -n 2

DRVBOX="$TOOLS/drvbox"
# Leave nothing running if a step fails.
trap '"$DRVBOX" stop demo0 >/dev/null 2>&1; rmmod drvbox 2>/dev/null' EXIT
echo "(drvbox.ko starts its VMM from the build tree for this demo)"
rmmod drvbox
insmod "$DRVBOX_KO" vmm_path="$TOOLS/drvbox-vmm"

say "Run the null_blk driver in a driver domain: a KVM guest booting this same kernel"
show "$DRVBOX" run --name demo0 --driver null_blk || die "drvbox run failed"
show "$DRVBOX" ls
"$DRVBOX" logs demo0 | grep -E 'drvbox-init: (loaded|dev)' ||
	die "the guest's console does not show null_blk loaded"

say "Make the driver domain's kernel panic: only the domain dies"
show "$DRVBOX" crash demo0 --how panic || die "crash failed"
t0=$(date +%s)
until [ "$(cat /sys/kernel/drvbox/domains/demo0/restarts)" -ge 1 ] &&
      [ "$(cat /sys/kernel/drvbox/domains/demo0/state)" = running ]; do
	[ $(( $(date +%s) - t0 )) -lt 180 ] || die "demo0 did not come back"
	sleep 0.5
done
echo "demo0 is running again after $(( $(date +%s) - t0 )) s"
show "$DRVBOX" status demo0
echo "The panic, as the guest printed it (drvbox logs keeps earlier incarnations):"
"$DRVBOX" logs demo0 | grep -m1 'Kernel panic - not syncing' || die "panic not in the log"
if dmesg | grep -E "$DMESG_BAD" | grep -v 'drvbox: domain'; then
	die "the host's kernel log shows a problem"
fi
echo "The host's kernel log has no oops, warning or hung task: the host never noticed."

say "Stop the domain and unload drvbox.ko"
show "$DRVBOX" stop demo0
show rmmod drvbox
trap - EXIT
[ ! -e /dev/drvbox ] || die "/dev/drvbox still there after rmmod"
echo "/dev/drvbox is gone."
