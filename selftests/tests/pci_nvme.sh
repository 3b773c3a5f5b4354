#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# An nvme controller passed through with VFIO: the guest's stock nvme
# driver probes it (reset at start, MSI-X vectors routed through VFIO and
# KVM) and the 256 MiB namespace shows in drvbox status; after a guest
# panic the next incarnation resets and probes it again; after drvbox stop
# it is back on the host's nvme driver and readable.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
cli_need_domains

bdf=$(nvme_bdf drvbox-nvme0)
pci_need "$bdf" "nvme controller with serial drvbox-nvme0"
log "drvbox-nvme0 is $bdf"
CAP=268435456

trap '"$DRVBOX" stop p0 >/dev/null 2>&1; unload_drvbox' EXIT
unload_drvbox
# a loaded build machine can take minutes per nested boot
load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000
dmesg_mark

"$DRVBOX" run --name p0 --driver nvme --pci "$bdf" --timeout 420 >/tmp/p0.out 2>/tmp/p0.err ||
	fail "drvbox run p0 failed: $(cat /tmp/p0.err)"
log "$(cat /tmp/p0.out)"
[ "$(pci_driver "$bdf")" = vfio-pci ] || fail "$bdf is on '$(pci_driver "$bdf")' while passed through"
wait_guest_dev p0 "^  blk nvme0n1 +$CAP bytes$" 120
wait_log p0 "pci $bdf: reset ok in" 5
wait_log p0 "pci $bdf: MSI-X enabled with" 5
"$DRVBOX" logs p0 | grep -E "pci $bdf: (reset|MSI-X|BAR)|nvme nvme0:" | sed 's/^/# log: /'
# nvme's admin and I/O queues complete by interrupt: the namespace showing
# up means MSI-X works; the host's own count of the vectors VFIO armed
# says the interrupts really came from the device.
n=$(vfio_msix_count "$bdf")
[ "$n" -gt 0 ] || fail "no vfio-msix interrupts for $bdf in /proc/interrupts"
log "incarnation 1: nvme0n1 $CAP bytes, $n MSI-X interrupts via VFIO, boot $(status_field p0 boot_ms) ms"

resets=$("$DRVBOX" logs p0 | grep -c "pci $bdf: reset ok in")
"$DRVBOX" crash p0 --how panic >/dev/null || fail "crash --how panic failed"
wait_incarnation p0 2 420
wait_guest_dev p0 "^  blk nvme0n1 +$CAP bytes$" 120
r2=$("$DRVBOX" logs p0 | grep -c "pci $bdf: reset ok in")
[ "$r2" -gt "$resets" ] || fail "incarnation 2 did not reset $bdf (reset lines: $resets then $r2)"
log "incarnation 2: $("$DRVBOX" logs p0 | grep "pci $bdf: reset ok in" | tail -n1 | sed 's/.*drvbox-vmm: //'), boot $(status_field p0 boot_ms) ms"

"$DRVBOX" stop p0 >/dev/null || fail "drvbox stop p0 failed"
wait_driver "$bdf" nvme 30
for i in $(seq 60); do
	[ "$(nvme_bdf drvbox-nvme0)" = "$bdf" ] && break
	sleep 0.5
done
[ "$(nvme_bdf drvbox-nvme0)" = "$bdf" ] || fail "the host's nvme driver did not take $bdf back"
ctrl=$(nvme_ctrl drvbox-nvme0)
ns=""
for i in $(seq 60); do
	ns=$(nvme_ns "$ctrl")
	[ -n "$ns" ] && [ -e "/dev/$ns" ] && break
	sleep 0.5
done
[ -n "$ns" ] || fail "no namespace of $ctrl on the host after stop"
size=$(( $(cat "/sys/block/$ns/size") * 512 ))
[ "$size" = $CAP ] || fail "host $ns is $size bytes, expected $CAP"
dd if="/dev/$ns" of=/dev/null bs=4096 count=256 iflag=direct 2>/tmp/p0.dd ||
	fail "reading /dev/$ns on the host failed: $(cat /tmp/p0.dd)"
log "after stop: $bdf on nvme again, /dev/$ns reads ($size bytes)"
unload_drvbox
trap - EXIT
dmesg_check_clean pci_nvme
