#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Demo step 3, inside the test host (run by inside.sh with drvbox.ko
# loaded): the e1000e NIC 52:54:00:db:00:01 passed through to a domain
# whose stock e1000e drives it; the domain exports its eth0, and the host
# gets a virtio_net interface with the NIC's MAC.  Pings and iperf3 to the
# other, native e1000e (in its own netns, on the same emulated wire); then
# the guest's kernel panics in the middle of an iperf3 run: the carrier
# drops and comes back, the TCP connection survives, iperf3 finishes.
# After stop, the NIC is the host's again.  Figures to $DEMO_RESULTS.
set -uo pipefail
. "$(dirname "$0")/../selftests/lib/common.sh"
. "$DRVBOX_TREE/selftests/tests/cli_lib.sh"
. "$DRVBOX_TREE/selftests/tests/pci_lib.sh"
. "$(dirname "$0")/lib.sh"

D=demo-net
MAC_ISO=52:54:00:db:00:01
MAC_NAT=52:54:00:db:00:02
PING=ping
command -v ping >/dev/null || PING="/bin/busybox ping"
iso=$(nic_bdf $MAC_ISO) || die "no NIC with MAC $MAC_ISO"
nat=$(nic_bdf $MAC_NAT) || die "no NIC with MAC $MAC_NAT"
[ -e "/sys/bus/pci/devices/$iso/iommu_group" ] || die "$iso has no IOMMU group (no IOMMU)"
isoif=$(nic_name "$iso")
natif=$(nic_name "$nat")
sysd=/sys/kernel/drvbox/domains/$D
command -v iperf3 >/dev/null || die "iperf3 is not installed (scripts/install-deps)"
# no udev in the test host to load it for drvbox's virtio device
host_module virtio_net || die "virtio_net is not available"
cleanup() {
	"$DRVBOX" stop $D >/dev/null 2>&1
	ip netns pids demo-wire 2>/dev/null | xargs -r kill
	ip netns del demo-wire 2>/dev/null
}
trap cleanup EXIT
ip addr flush dev "$isoif"
ip link set "$isoif" down
ip netns add demo-wire || die "ip netns add failed"
ip link set "$natif" netns demo-wire || die "moving $natif to the netns failed"
ip -n demo-wire addr add 10.213.7.2/24 dev "$natif"
ip -n demo-wire link set "$natif" up
ip -n demo-wire link set lo up
dmesg_mark

say "Step 3: the e1000e NIC $iso ($MAC_ISO) isolated in a domain, its eth0 exported to the host"
note "the other e1000e ($natif, $MAC_NAT) stays native, in netns demo-wire at 10.213.7.2"
t0=$(secs_now)
(
	while sleep 10; do note "... still booting the domain ($(secs_since "$t0") s)"; done
) &
ticker=$!
show "$DRVBOX" run --name $D --driver e1000e --pci "$iso" --export net:eth0 \
	--restart-limit 5 --restart-window 3600 --timeout 600
rc=$?
kill $ticker 2>/dev/null
wait $ticker 2>/dev/null
[ $rc = 0 ] || { "$DRVBOX" logs $D | tail -n 30; die "drvbox run $D failed"; }
dev=""
for _ in $(seq 120); do
	dev=$("$DRVBOX" ls --json | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    for e in d.get("exports", []):
        if d["name"] == sys.argv[1] and e.get("host_dev") not in (None, "", "-"):
            print(e["host_dev"])' $D 2>/dev/null)
	[ -n "$dev" ] && [ -e "/sys/class/net/$dev" ] && break
	sleep 1
done
[ -n "$dev" ] || die "the domain's eth0 never reached the host"
mac=$(cat "/sys/class/net/$dev/address")
[ "$mac" = "$MAC_ISO" ] || die "$dev has MAC $mac, not the NIC's $MAC_ISO"
note "domain up in $(secs_since "$t0") s; the host has $dev (driver $(basename "$(readlink /sys/class/net/$dev/device/driver)"), MAC $mac):"
"$DRVBOX" ls | sed 's/^/      /'
ip addr add 10.213.7.1/24 dev "$dev"
ip link set "$dev" up
carrier() { [ "$(cat "/sys/class/net/$dev/carrier" 2>/dev/null)" = "$1" ]; }
for _ in $(seq 120); do carrier 1 && break; sleep 0.5; done
carrier 1 || die "no carrier on $dev"
show $PING -c 10 -W 3 10.213.7.2 || die "no ping through the isolated NIC"

say "iperf3 TCP for 5 s through the isolated driver"
ip netns exec demo-wire iperf3 -s -D -1 >/dev/null 2>&1 || die "iperf3 server"
sleep 0.5
iperf3 -c 10.213.7.2 -t 5 -J > /tmp/demo-iperf.json 2>&1 || die "iperf3 through $dev failed"
mbit=$(python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' /tmp/demo-iperf.json)
note "$mbit Mbit/s through the guest's e1000e (everything here is emulated: see docs/performance.md)"

say "Panic the driver's kernel in the middle of a 60 s iperf3 run"
ip netns exec demo-wire iperf3 -s -D -1 >/dev/null 2>&1 || die "iperf3 server"
sleep 0.5
iperf3 -c 10.213.7.2 -t 60 -J > /tmp/demo-iperf-crash.json 2>&1 &
ipid=$!
sleep 5
show "$DRVBOX" crash $D --how panic || die "drvbox crash failed"
t0=$(secs_now)
for _ in $(seq 60); do carrier 0 && break; sleep 0.5; done
carrier 0 || die "the carrier did not drop after the panic"
note "$dev: carrier down $(secs_since "$t0") s after the panic; the domain restarts"
until carrier 1; do
	s=$(secs_since "$t0")
	[ "${s%.*}" -lt 600 ] || die "the carrier did not come back within 600 s"
	[ "$(cat $sysd/state)" != failed ] || die "the domain failed: $(cat $sysd/last_error)"
	[ $(( ${s%.*} % 10 )) = 0 ] && note "$s s: domain $(cat $sysd/state), incarnation $(cat $sysd/incarnation)"
	sleep 1
done
outage=$(secs_since "$t0")
restarts=$(cat $sysd/restarts)
[ "$restarts" -ge 1 ] || die "restarts is $restarts after the panic"
note "incarnation $(cat $sysd/incarnation): carrier up again $outage s after the panic"
wait $ipid || { tail -n 20 /tmp/demo-iperf-crash.json; die "iperf3 did not survive the panic"; }
read -r bytes retr < <(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]; print(e["sum_received"]["bytes"], e["sum_sent"].get("retransmits", 0))' /tmp/demo-iperf-crash.json)
[ "$bytes" -gt 0 ] || die "iperf3 moved no data"
note "iperf3 finished: the same TCP connection moved $((bytes >> 10)) KiB in 60 s across the panic ($retr retransmits)"
perr=$(cat $sysd/protocol_errors)

say "Stop the domain: the NIC is the host's again and carries traffic"
show "$DRVBOX" stop $D || die "drvbox stop failed"
wait_driver "$iso" e1000e 30
for _ in $(seq 20); do
	isoif=$(nic_name "$iso")
	[ -n "$isoif" ] && break
	sleep 0.5
done
[ -n "$isoif" ] || die "no host interface for $iso after stop"
ip addr add 10.213.7.1/24 dev "$isoif"
ip link set "$isoif" up
for _ in $(seq 40); do
	[ "$(cat "/sys/class/net/$isoif/carrier" 2>/dev/null)" = 1 ] && break
	sleep 0.5
done
show $PING -c 3 -W 3 -I "$isoif" 10.213.7.2 || die "no ping from $isoif to the native NIC"
ip addr flush dev "$isoif"
ip link set "$isoif" down
ip -n demo-wire link set "$natif" netns 1 2>/dev/null
ip netns pids demo-wire 2>/dev/null | xargs -r kill
ip netns del demo-wire
trap - EXIT
(dmesg_check_clean demo-step3) >/tmp/demo-dmesg 2>&1 || { cat /tmp/demo-dmesg; die "the host's kernel log shows a problem"; }
note "the host's kernel log has no oops, warning, BUG or hung task"
mkdir -p "$DEMO_RESULTS"
printf '3|e1000e, isolated (net export)|%s|%s s (carrier down to up)|%s KiB by one TCP connection|%s\n' \
	"$restarts" "$outage" "$((bytes >> 10))" "$perr" > "$DEMO_RESULTS/step3"
[ "$perr" = 0 ] || die "protocol errors: $perr"
