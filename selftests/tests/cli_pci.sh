#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox run --pci: a NIC the host uses (up with an address) is refused
# before anything happens; a free one is moved to vfio-pci and, when the
# domain cannot start, given back to e1000e with driver_override cleared.
. "$(dirname "$0")/../lib/common.sh"

DRVBOX="$TOOLS/drvbox"
[ -x "$DRVBOX" ] || fail "$DRVBOX not built (make tools)"
[ -e /dev/kvm ] || skip "no /dev/kvm in the test host"

bdf=
for d in /sys/bus/pci/devices/*; do
	[ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" = e1000e ] && bdf=$(basename "$d")
done
[ -n "$bdf" ] || skip "no e1000e NIC in the test host"
[ -e "/sys/bus/pci/devices/$bdf/iommu_group" ] || skip "$bdf has no IOMMU group"
ifname=$(ls "/sys/bus/pci/devices/$bdf/net" | head -n1)
log "using $bdf ($ifname)"

cleanup() {
	"$DRVBOX" stop pt0 >/dev/null 2>&1
	ip addr flush dev "$ifname" 2>/dev/null
	unload_drvbox
}
trap cleanup EXIT
load_drvbox
dmesg_mark

# In use by the host: refused, nothing touched.
ip link set "$ifname" up
ip addr add 10.213.0.1/24 dev "$ifname"
"$DRVBOX" run --name pt0 --driver null_blk --pci "$bdf" >/tmp/pt.out 2>/tmp/pt.err
rc=$?
[ $rc = 1 ] || fail "run with a busy NIC exited $rc, expected 1"
want="drvbox: --pci $bdf: network interface $ifname is up with addresses (ip link set $ifname down, or flush its addresses)"
[ "$(head -n1 /tmp/pt.err)" = "$want" ] || fail "message '$(head -n1 /tmp/pt.err)', expected '$want'"
[ "$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")" = e1000e ] || fail "$bdf left e1000e"
ip addr flush dev "$ifname"
ip link set "$ifname" down
log "a NIC in use is refused"

# Free: bound to vfio-pci for the domain, back to e1000e when it fails.
"$DRVBOX" run --name pt0 --driver drvbox_no_such_module --pci "$bdf" --timeout 120 \
	>/tmp/pt.out 2>/tmp/pt.err
rc=$?
sed 's/^/# run: /' /tmp/pt.err
[ $rc = 1 ] || fail "run with a missing module exited $rc, expected 1"
drv=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver" 2>/dev/null)")
[ "$drv" = e1000e ] || fail "$bdf is on '$drv' after the failed run, expected e1000e"
ov=$(cat "/sys/bus/pci/devices/$bdf/driver_override")
[ "$ov" = "(null)" ] || fail "driver_override of $bdf is '$ov'"
[ ! -e /run/drvbox/pt0/pci-passthrough ] || fail "the passthrough record survived"
dmesg_since_mark | grep -q vfio || log "note: the kernel log does not mention vfio"
dmesg_check_clean cli_pci
log "$bdf went to vfio-pci and back to e1000e"
