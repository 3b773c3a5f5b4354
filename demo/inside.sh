#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The part of the demo that runs inside the test host, after step 1's own
# boot: load drvbox.ko, then step 2 (flaky_blk isolated over the passed-
# through nvme) and step 3 (e1000e isolated), then unload.
#
#   demo/inside.sh [STEP...]   (default: 2 3)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../selftests/lib/common.sh"
. "$DRVBOX_TREE/selftests/tests/cli_lib.sh"
. "$here/lib.sh"

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(2 3)
rm -rf "$DEMO_RESULTS"

say "The test host: a stock Debian kernel $(uname -r) with nested KVM and an IOMMU"
[ -c /dev/kvm ] || die "/dev/kvm missing"
[ -d /sys/kernel/iommu_groups/0 ] || die "no IOMMU groups"
dmesg_mark
# drvbox.ko starts its VMM from the build tree for this demo.  A domain's
# reboot takes 1-3 minutes here (nested KVM under emulation), longer than
# the default io_timeout_ms (60 s) after which a waiting request fails with
# EIO: give requests 10 minutes to see the domain back.
note "A driver domain reboots in 1-3 minutes on this emulated machine (well under a second"
note "on hardware), so requests may wait 10 minutes for it here (io_timeout_ms=600000)."
show insmod "$DRVBOX_KO" vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000 io_timeout_ms=600000 ||
	die "insmod drvbox.ko failed"
# Test-host workaround, not a drvbox feature: KVM flips the preempt-notifier
# static key (code patched in __schedule with int3) whenever the number of
# VMs goes 0 -> 1 -> 0, i.e. at every restart of the only domain.  Under
# QEMU's multi-threaded TCG the other vCPU can still run the stale int3
# after the patch completed: "Oops: int3" in __schedule took this test host
# down once during a domain restart.  An idle VM held open for the whole
# run keeps the key on, so nothing is patched while domains come and go.
/usr/bin/python3 -c 'import os, fcntl, time
k = os.open("/dev/kvm", os.O_RDWR)
fcntl.ioctl(k, 0xAE01, 0)  # KVM_CREATE_VM
time.sleep(1 << 30)' &
kvm_hold=$!
note "(an idle KVM VM is held open for the run: see the comment in demo/inside.sh)"
trap 'for d in demo-blk demo-net; do "$DRVBOX" stop $d >/dev/null 2>&1; done; rmmod drvbox 2>/dev/null; kill $kvm_hold 2>/dev/null' EXIT
show "$DRVBOX" version || die "drvbox version failed"

for s in "${steps[@]}"; do
	case "$s" in
	2) "$here/step2_blk.sh" || die "step 2 failed" ;;
	3) "$here/step3_net.sh" || die "step 3 failed" ;;
	2:*) "$here/step2_blk.sh" "${s#2:}" || die "step 2 failed" ;;
	*) die "unknown step $s" ;;
	esac
done

say "Unload drvbox.ko"
# a stopped domain's last file (its guest RAM mapping) can go a moment
# after its VMM: rmmod may say "in use" briefly (docs/cli.md, stop)
echo "\$ rmmod drvbox"
for i in $(seq 50); do rmmod drvbox 2>/dev/null && break; sleep 0.2; done
[ ! -e /sys/module/drvbox ] || die "rmmod drvbox failed: $(rmmod drvbox 2>&1)"
trap - EXIT
kill $kvm_hold 2>/dev/null
[ ! -e /dev/drvbox ] || die "/dev/drvbox still there after rmmod"
(dmesg_check_clean demo) >/tmp/demo-dmesg 2>&1 || { cat /tmp/demo-dmesg; die "the host's kernel log shows a problem"; }
echo "drvbox.ko unloaded; the host's kernel log is clean for the whole run."
