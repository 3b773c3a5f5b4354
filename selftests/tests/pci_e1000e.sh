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
nic_pair

cleanup() {
	"$DRVBOX" stop p1 >/dev/null 2>&1
	ip netns del drvbox-pci 2>/dev/null
	unload_drvbox
}
trap cleanup EXIT
unload_drvbox
load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000
dmesg_mark

# Nothing in a domain opens a NIC by itself (no net export yet), and
# e1000e only looks at the link once the interface is up: netconsole,
# loaded after e1000e, opens eth0 (netpoll_setup) and then sends the
# guest's kernel messages to the native NIC's MAC over the wire.
NETCON="netconsole.netconsole=6665@10.213.7.1/eth0,6666@10.213.7.2/$MAC_NAT"
"$DRVBOX" run --name p1 --driver e1000e --driver netconsole --param "$NETCON" \
	--pci "$ISO" --timeout 420 >/tmp/p1.out 2>/tmp/p1.err ||
	fail "drvbox run p1 failed: $(cat /tmp/p1.err)"
log "$(cat /tmp/p1.out)"
[ "$(pci_driver "$ISO")" = vfio-pci ] || fail "$ISO is on '$(pci_driver "$ISO")' while passed through"
wait_guest_dev p1 "^  net [^ ]+ +$MAC_ISO$" 120
wait_log p1 "NIC Link is Up" 120
"$DRVBOX" logs p1 | grep -E "pci $ISO: (reset|MSI|BAR)|e1000e " | sed 's/^/# log: /'
"$DRVBOX" logs p1 | grep -E "e1000e 0000:00:02\.0 [^ ]+: NIC Link is Up" >/dev/null ||
	fail "the link-up line is not from the guest's e1000e on 00:02.0"
grep -q "pci $ISO: MSI-X enabled with" <("$DRVBOX" logs p1) ||
	fail "the guest did not enable MSI-X on $ISO"
n=$(vfio_msix_count "$ISO")
[ "$n" -gt 0 ] || fail "no vfio-msix interrupts for $ISO in /proc/interrupts"
log "guest e1000e: link up, $n MSI-X interrupts via VFIO, boot $(status_field p1 boot_ms) ms"

"$DRVBOX" stop p1 >/dev/null || fail "drvbox stop p1 failed"
nic_back_on_host
unload_drvbox
trap - EXIT
dmesg_check_clean pci_e1000e
