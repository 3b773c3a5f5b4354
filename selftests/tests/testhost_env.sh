#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test host has what the other tests rely on: nested KVM, an IOMMU,
# two nvme controllers, two e1000e NICs and two igb NICs.
. "$(dirname "$0")/../lib/common.sh"

[ -c /dev/kvm ] || fail "/dev/kvm missing: nested KVM not available"
[ -e /sys/module/kvm_amd ] || [ -e /sys/module/kvm_intel ] ||
	fail "neither kvm_amd nor kvm_intel is loaded"
groups=$(find /sys/kernel/iommu_groups -mindepth 1 -maxdepth 1 | wc -l)
[ "$groups" -gt 0 ] || fail "no IOMMU groups: intel_iommu=on did not take"

count_pci() { grep -l -x "$1" /sys/bus/pci/devices/*/vendor 2>/dev/null |
	while read -r v; do d=${v%/vendor}; [ "$(cat "$d/device")" = "$2" ] && echo "$d"; done | wc -l; }
nvme=$(count_pci 0x1b36 0x0010)
e1000e=$(count_pci 0x8086 0x10d3)
igb=$(count_pci 0x8086 0x10c9)
log "nvme controllers: $nvme, e1000e NICs: $e1000e, igb NICs: $igb, iommu groups: $groups"
[ "$nvme" = 2 ] || fail "expected 2 QEMU nvme controllers, found $nvme"
[ "$e1000e" = 2 ] || fail "expected 2 e1000e NICs, found $e1000e"
[ "$igb" = 2 ] || fail "expected 2 igb NICs, found $igb"
n=$(ls /sys/class/nvme 2>/dev/null | wc -l)
[ "$n" = 2 ] || fail "expected 2 nvme devices bound to the host nvme driver, found $n"
n=$(for d in /sys/class/net/*/device/driver; do readlink "$d"; done 2>/dev/null | grep -c '/e1000e$')
[ "$n" = 2 ] || fail "expected 2 netdevs on e1000e, found $n"
n=$(for d in /sys/class/net/*/device/driver; do readlink "$d"; done 2>/dev/null | grep -c '/igb$')
[ "$n" = 2 ] || fail "expected 2 netdevs on igb, found $n"
exit 0
