#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Demo step 1, inside its own test host: flaky_blk loaded NATIVELY, stacked
# over the test host's nvme drvbox-nvme1, with its panic armed part way
# through a file copy.  The panic takes the whole test host down, so this
# script never finishes: demo.sh checks that the test host died (exit 125)
# and shows the kernel's panic lines from the console.
set -uo pipefail
. "$(dirname "$0")/../selftests/lib/common.sh"
. "$DRVBOX_TREE/selftests/tests/pci_lib.sh"
. "$(dirname "$0")/lib.sh"

FLAKY_KO="$KBUILD/selftests/drivers/flaky_blk.ko"
[ -r "$FLAKY_KO" ] || die "$FLAKY_KO not built"
ctrl=$(nvme_ctrl drvbox-nvme1) || die "no nvme controller with serial drvbox-nvme1"
ns=$(nvme_ns "$ctrl")
[ -n "$ns" ] && [ -b "/dev/$ns" ] || die "$ctrl has no namespace"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug ||
	die "cannot mount debugfs"
# so that flaky_blk's "injecting panic" line reaches the console too
echo 8 > /proc/sys/kernel/printk

say "Load flaky_blk.ko into the test host's own kernel, stacked over its nvme /dev/$ns"
show insmod "$FLAKY_KO" lower="/dev/$ns" || die "insmod flaky_blk failed"
[ -b /dev/flakyb0 ] || die "/dev/flakyb0 did not appear"
demo_source_file
demo_mkfs_mount flakyb0

# Natively the nvme takes 512 KiB requests, and each 4 MiB piece below
# adds a journal commit and a flush: the copy makes ~11 requests per 4 MiB.
# Arm the panic for 64 requests from now: a third of the way through.
stats=/sys/kernel/debug/flaky_blk
after=64
echo "$after" > $stats/fault_after || die "cannot set fault_after"
echo panic > $stats/fault || die "cannot arm the panic"
say "Copy $DEMO_COPY_MIB MiB onto it; flaky_blk is armed to panic after $after more requests"
# In 4 MiB pieces, so that the screen shows how far it got (natively the
# whole copy takes about a second).
for ((mib = 0; mib < DEMO_COPY_MIB; mib += 4)); do
	dd if=/tmp/demo-src of="$DEMO_MNT/demo-src" bs=1M count=4 skip=$mib seek=$mib \
		oflag=direct conv=notrunc,fsync status=none || die "dd failed at $mib MiB"
	note "$((mib + 4)) MiB copied"
done
# Only reached if the fault did not fire: demo.sh fails on a live host.
echo "demo step 1: the copy finished and the host is still up"
exit 0
