#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Multi-queue through an isolated igb (82576): the NIC is passed through
# to a domain with 2 vCPUs, whose stock igb driver runs 2 queue pairs; the
# export serves one guest queue per igb RX queue, and the host's
# virtio_net gets as many queue pairs (VIRTIO_NET_F_MQ, VQ_PAIRS_SET).
# Against the other igb, native in a netns over its own hub:
#  - the host interface shows 2 combined channels, the export 2 queues;
#  - 8 TCP streams from the native side (RSS spreads them over the igb's
#    RX queues) come up through both guest queues and both host RX
#    vrings (drvbox's per-pair counts), and 2 senders pinned
#    to the host's 2 CPUs (XPS) go down through both host TX vrings;
#  - `ethtool -L combined 1` on the host (VQ_PAIRS_SET 1): everything
#    comes up through the first RX vring and pings still flow;
#  - a guest panic: the new incarnation serves 2 queues again, carrier
#    comes back and pings flow.  Host log clean.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
. "$(dirname "$0")/net_lib.sh"
cli_need_domains
command -v iperf3 >/dev/null || skip "iperf3 is not installed (scripts/install-deps)"
host_module virtio_net || skip "virtio_net not available"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs in the test host (XPS spreads TX by CPU)"

nic_pair igb
NS=drvbox-mq
D=mq0

nic_wire_setup $D $NS 10.213.9.2/24

"$DRVBOX" run --name $D --driver igb --pci "$ISO" --export net:eth0 \
	--cpus 2 --timeout 420 >/tmp/$D.out 2>/tmp/$D.err ||
	fail "drvbox run $D failed: $(cat /tmp/$D.err)"
wait_until 120 net_has_dev $D ||
	{ "$DRVBOX" logs $D | tail -n 30 | sed 's/^/# log: /'; fail "no host interface: $(net_exports $D)"; }
NET_DEV=$(net_host_dev $D)
expect_eq "MAC of $NET_DEV" "$(cat /sys/class/net/$NET_DEV/address)" $MAC_ISO
ip addr add 10.213.9.1/24 dev "$NET_DEV"
ip link set "$NET_DEV" up
carrier() { [ "$(cat /sys/class/net/$NET_DEV/carrier 2>/dev/null)" = "$1" ]; }
wait_until 60 carrier 1 || fail "no carrier on $NET_DEV: $(net_exports $D)"

# ethtool -l: "Combined: N" twice, the maximum and the current
channels() { ethtool -l "$NET_DEV" | awk '/^Combined:/ { print $2 }' | tr '\n' ' '; }
log "$D: $NET_DEV up; guest: $("$DRVBOX" logs $D | grep -o 'net export eth0: .*' | tail -n1)"
expect_eq "guest queues" "$(net_stat $D queues)" 2
expect_eq "queue pairs (used/offered)" "$(net_stat $D pairs)" 2/2
expect_eq "combined channels (max, current)" "$(channels)" "2 2 "
expect_eq "MQ negotiated" "$(cut -c23 /sys/class/net/$NET_DEV/device/features)" 1

ping4() {
	PING_OUT=$(busybox ping -4 -A -q -c "$1" -W 5 10.213.9.2 2>&1)
	echo "$PING_OUT" | grep -q "$1 packets received"
}
# ping_fail WHY: fail with ping's summary and the export's counters
ping_fail() {
	fail "$1: $(echo "$PING_OUT" | grep -E 'packets|round-trip' | tr '\n' ' ')($(net_exports $D))"
}
ping4 20 || ping_fail "no pings through $NET_DEV"
# list N: field N (1-based) of a comma list
nth() { echo "$1" | cut -d, -f"$2"; }
# by_pair rx|tx: frames through each of virtio_net's RX or TX vrings
# (drvbox's rx_by_pair/tx_by_pair; virtio_net's own kick counts say
# little once EVENT_IDX suppresses kicks)
by_pair() { net_stat $D "$1_by_pair"; }

# RX: 8 streams from the native side; the igb's RSS spreads them
rx0=$(net_stat $D rx_by_queue)
ip netns exec $NS iperf3 -s -D -1 >/dev/null 2>&1
sleep 0.5
iperf3 -c 10.213.9.2 -R -P 8 -t 8 -J >/tmp/$D.rx 2>&1 ||
	{ tail -n 20 /tmp/$D.rx | sed 's/^/# iperf3: /'; fail "iperf3 -R -P 8 failed"; }
rx1=$(net_stat $D rx_by_queue)
log "8 streams up: $(python3 -c 'import json,sys; print("%.1f Mbit/s" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' /tmp/$D.rx); frames by guest queue $rx0 -> $rx1"
for q in 1 2; do
	[ $(( $(nth "$rx1" $q) - $(nth "$rx0" $q) )) -gt 100 ] ||
		fail "guest queue $((q - 1)) brought (almost) nothing up: $rx0 -> $rx1"
done
for q in 1 2; do
	[ "$(nth "$(by_pair rx)" $q)" -gt 100 ] ||
		fail "host RX vring of pair $((q - 1)) carried (almost) nothing: $(by_pair rx)"
done
log "frames up by host pair: $(by_pair rx)"

# TX: one sender per host CPU; virtio_net maps CPU n to TX vring n (XPS)
tx0=$(net_stat $D tx_by_queue)
txp0=$(by_pair tx)
ip netns exec $NS iperf3 -s -p 5301 -D -1 >/dev/null 2>&1
ip netns exec $NS iperf3 -s -p 5302 -D -1 >/dev/null 2>&1
sleep 0.5
taskset -c 0 iperf3 -c 10.213.9.2 -p 5301 -t 8 -J >/tmp/$D.tx0 2>&1 &
p0=$!
taskset -c 1 iperf3 -c 10.213.9.2 -p 5302 -t 8 -J >/tmp/$D.tx1 2>&1 &
p1=$!
wait $p0 || { tail -n 20 /tmp/$D.tx0 | sed 's/^/# iperf3: /'; fail "iperf3 on CPU 0 failed"; }
wait $p1 || { tail -n 20 /tmp/$D.tx1 | sed 's/^/# iperf3: /'; fail "iperf3 on CPU 1 failed"; }
tx1=$(net_stat $D tx_by_queue)
log "2 senders down (CPU 0, CPU 1): frames by guest queue $tx0 -> $tx1"
txp1=$(by_pair tx)
log "frames down by host pair: $txp0 -> $txp1"
for q in 1 2; do
	[ $(( $(nth "$tx1" $q) - $(nth "$tx0" $q) )) -gt 100 ] ||
		fail "guest queue $((q - 1)) took (almost) nothing down: $tx0 -> $tx1"
	[ $(( $(nth "$txp1" $q) - $(nth "$txp0" $q) )) -gt 100 ] ||
		fail "host TX vring of pair $((q - 1)) carried (almost) nothing: $txp0 -> $txp1"
done
expect_eq "stub TX errors" "$(net_stat $D guest_tx_errors)" 0

# one pair: virtio_net sends VQ_PAIRS_SET 1, all comes up through rx0
ethtool -L "$NET_DEV" combined 1 || fail "ethtool -L combined 1"
expect_eq "queue pairs after ethtool -L combined 1" "$(net_stat $D pairs)" 1/2
n0=$(nth "$(by_pair rx)" 1)
ip netns exec $NS iperf3 -s -D -1 >/dev/null 2>&1
sleep 0.5
iperf3 -c 10.213.9.2 -R -P 8 -t 4 -J >/tmp/$D.rx1q 2>&1 ||
	{ tail -n 20 /tmp/$D.rx1q | sed 's/^/# iperf3: /'; fail "iperf3 over one pair failed"; }
n1=$(nth "$(by_pair rx)" 1)
log "one pair: $(python3 -c 'import json,sys; print("%.1f Mbit/s" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' /tmp/$D.rx1q), frames up host pair 0 $n0 -> $n1; by guest queue $(net_stat $D rx_by_queue)"
[ $((n1 - n0)) -gt 100 ] || fail "(almost) nothing came up through RX vring 0 with one pair: $n0 -> $n1"
ping4 20 || ping_fail "no pings with one pair"
ethtool -L "$NET_DEV" combined 2 || fail "ethtool -L combined 2"
expect_eq "queue pairs after ethtool -L combined 2" "$(net_stat $D pairs)" 2/2

# a guest panic: the next incarnation serves both queues again
"$DRVBOX" crash $D --how panic >/dev/null || fail "drvbox crash failed"
wait_until 30 carrier 0 || fail "carrier still up after the panic"
wait_until 180 carrier 1 || fail "carrier not back: $(net_exports $D)"
expect_eq "guest queues after the panic" "$(net_stat $D queues)" 2
ping4 20 || ping_fail "no pings after the panic"
log "after the panic: $(net_exports $D)"
expect_eq protocol_errors "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0

"$DRVBOX" stop $D >/dev/null || fail "drvbox stop failed"
nic_returned
nic_wire_cleanup
trap - EXIT
dmesg_check_clean net_igb_mq
