#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A driver in a domain programs its passed-through NIC to DMA outside the
# domain's memory (selftests/drivers/dma_rogue.ko: the e1000e's transmit
# ring at bus address 128 GiB).  The host's IOMMU blocks the fetch and the
# host logs a DMA fault for that function; nothing else happens: the domain
# keeps running with no crash, the host log has no warning, and after stop
# the NIC is back on the host's e1000e and carries traffic.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
cli_need_domains
ROGUE_KO="$KBUILD/selftests/drivers/dma_rogue.ko"
[ -r "$ROGUE_KO" ] || fail "$ROGUE_KO not built (make KVER=$KVER)"
nic_pair

cleanup() {
	"$DRVBOX" stop r1 >/dev/null 2>&1
	ip netns del drvbox-pci 2>/dev/null
	unload_drvbox
}
trap cleanup EXIT
unload_drvbox
load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000
dmesg_mark

"$DRVBOX" run --name r1 --driver "$ROGUE_KO" --pci "$ISO" --detach \
	>/tmp/r1.out 2>/tmp/r1.err || fail "drvbox run r1 failed: $(cat /tmp/r1.err)"
wait_log r1 "the guest is still running" 400
"$DRVBOX" logs r1 | grep -E "dma_rogue" | sed 's/^/# log: /'

# The fault is reported by the host's IOMMU driver for the host's BDF.
short=${ISO#0000:}
fault=""
for _ in $(seq 20); do
	fault=$(dmesg_since_mark | grep -E "DMAR: \[DMA Read.*Request device \[$short\] .*fault addr 0x2000000000" | head -n1)
	[ -n "$fault" ] && break
	sleep 0.5
done
[ -n "$fault" ] || {
	dmesg_since_mark | tail -n 20 | sed 's/^/# dmesg: /'
	fail "no IOMMU fault logged for $ISO at 0x2000000000"
}
log "host: ${fault#*] }"

sleep 2
st=$(status_field r1 state)
[ "$st" = running ] || fail "state after the fault: $st, expected running"
n=$(status_field r1 crashes)
[ "$n" = 0 ] || fail "the domain crashed $n time(s): $(status_field r1 last_crash_reason)"
"$DRVBOX" stop r1 >/dev/null || fail "drvbox stop r1 failed"
nic_back_on_host
unload_drvbox
trap - EXIT
dmesg_check_clean pci_iommu_fault
