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

say "Unload drvbox.ko"
show rmmod drvbox
[ ! -e /dev/drvbox ] || die "/dev/drvbox still there after rmmod"
echo "/dev/drvbox is gone."
