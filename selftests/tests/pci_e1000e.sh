#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# An e1000e NIC passed through with VFIO: the guest's stock e1000e driver
# probes it, uses MSI-X and brings the link up (its own log line in drvbox
# logs); after drvbox stop the NIC is back on the host's e1000e and carries
# traffic: ping to the other, native e1000e (in a netns) over the test
# host's private hub.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
cli_need_domains
PING="ping"
command -v ping >/dev/null || PING="/bin/busybox ping"
$PING -h 2>&1 | grep -q -- '-I' || skip "no ping with -I in the test host"

MAC_ISO=52:54:00:db:00:01
MAC_NAT=52:54:00:db:00:02
iso=$(nic_bdf $MAC_ISO)
nat=$(nic_bdf $MAC_NAT)
pci_need "$iso" "e1000e with MAC $MAC_ISO"
[ -n "$nat" ] || skip "no e1000e with MAC $MAC_NAT"
[ "$(pci_driver "$iso")" = e1000e ] || skip "$iso is on '$(pci_driver "$iso")', not e1000e"
isoif=$(nic_name "$iso")
natif=$(nic_name "$nat")
log "isolated: $iso ($isoif), native: $nat ($natif)"
ip addr flush dev "$isoif"
ip link set "$isoif" down

cleanup() {
	"$DRVBOX" stop p1 >/dev/null 2>&1
	ip netns del drvbox-pci 2>/dev/null
	unload_drvbox
}
trap cleanup EXIT
unload_drvbox
load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000
dmesg_mark

"$DRVBOX" run --name p1 --driver e1000e --pci "$iso" --timeout 420 >/tmp/p1.out 2>/tmp/p1.err ||
	fail "drvbox run p1 failed: $(cat /tmp/p1.err)"
log "$(cat /tmp/p1.out)"
[ "$(pci_driver "$iso")" = vfio-pci ] || fail "$iso is on '$(pci_driver "$iso")' while passed through"
wait_guest_dev p1 "^  net [^ ]+ +$MAC_ISO$" 120
wait_log p1 "NIC Link is Up" 120
"$DRVBOX" logs p1 | grep -E "pci $iso: (reset|MSI|BAR)|e1000e " | sed 's/^/# log: /'
"$DRVBOX" logs p1 | grep -E "e1000e 0000:00:02\.0 [^ ]+: NIC Link is Up" >/dev/null ||
	fail "the link-up line is not from the guest's e1000e on 00:02.0"
grep -q "pci $iso: MSI-X enabled with" <("$DRVBOX" logs p1) ||
	fail "the guest did not enable MSI-X on $iso"
n=$(vfio_msix_count "$iso")
[ "$n" -gt 0 ] || fail "no vfio-msix interrupts for $iso in /proc/interrupts"
log "guest e1000e: link up, $n MSI-X interrupts via VFIO, boot $(status_field p1 boot_ms) ms"

"$DRVBOX" stop p1 >/dev/null || fail "drvbox stop p1 failed"
wait_driver "$iso" e1000e 30
for i in $(seq 20); do
	isoif=$(nic_name "$iso")
	[ -n "$isoif" ] && break
	sleep 0.5
done
[ -n "$isoif" ] || fail "no host interface for $iso after stop"
[ "$(cat "/sys/class/net/$isoif/address")" = $MAC_ISO ] || fail "$isoif has another MAC"

# the wire: the native NIC in its own netns, so traffic must cross the hub
ip netns add drvbox-pci || fail "ip netns add failed"
ip link set "$natif" netns drvbox-pci || fail "moving $natif to the netns failed"
ip -n drvbox-pci addr add 10.213.7.2/24 dev "$natif"
ip -n drvbox-pci link set "$natif" up
ip addr add 10.213.7.1/24 dev "$isoif"
ip link set "$isoif" up
for i in $(seq 40); do
	[ "$(cat "/sys/class/net/$isoif/carrier" 2>/dev/null)" = 1 ] && break
	sleep 0.5
done
[ "$(cat "/sys/class/net/$isoif/carrier" 2>/dev/null)" = 1 ] || fail "no carrier on $isoif after stop"
$PING -c 3 -W 3 -I "$isoif" 10.213.7.2 >/tmp/p1.ping 2>&1 ||
	{ sed 's/^/# ping: /' /tmp/p1.ping; fail "no ping from $isoif to the native NIC"; }
log "after stop: $iso on e1000e, $isoif carrier up, $(grep -oE '[0-9]+ (packets )?received' /tmp/p1.ping) of 3 pings"
ip addr flush dev "$isoif"
ip link set "$isoif" down
ip netns del drvbox-pci
unload_drvbox
trap - EXIT
dmesg_check_clean pci_e1000e
